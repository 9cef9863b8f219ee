"""Every example in docs/ and the README runs: Python blocks, `$ loopguard ...` console
sessions, TOML and INI configurations (shell blocks: tests/cli/test_doc_commands.py).

Python blocks of a page run in order in one namespace (later blocks build on earlier
ones), from a scratch directory where ``examples/`` is the repository's. A block preceded
by a MyST comment ``% skip: REASON`` (a server or a package the tests do not have) is only
compiled. Console blocks run each ``$`` command in a shell, stderr merged into stdout, and
compare the output exactly. TOML and INI blocks must load with
:func:`loopguard.guard.policy.load_config`.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from loopguard.guard.policy import load_config

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = [*sorted(DOCS.glob("*.md")), ROOT / "README.md"]
# The reason of a skip is the rest of its one line: it is what the test summary shows.
FENCE = re.compile(
    r"^(% skip: (?P<skip>[^\n]+)\n)?```(?P<lang>[a-z]+)\n(?P<body>.*?)^```$", re.M | re.S
)


def blocks(page: Path, lang: str) -> list[tuple[str, str | None]]:
    """(body, skip reason) of every ```lang block of a page, in order."""
    return [
        (match["body"], match["skip"])
        for match in FENCE.finditer(page.read_text(encoding="utf-8"))
        if match["lang"] == lang
    ]


def cases(lang: str) -> list[object]:
    return [
        pytest.param(page, index, id=f"{page.name}[{index}]")
        for page in PAGES
        for index, _ in enumerate(blocks(page, lang))
    ]


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with the repository's examples/, and a `loopguard` on PATH
    that runs this interpreter's package."""
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "loopguard"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m loopguard "$@"\n')
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("LOOPGUARD_SECRET", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("page", "index"), cases("python"))
def test_python_block_runs(page: Path, index: int, scratch: Path) -> None:
    code = blocks(page, "python")
    namespace: dict[str, object] = {"__name__": f"docs.{page.stem}"}
    for number, (body, skip) in enumerate(code[: index + 1]):
        compiled = compile(body, f"{page.name}[{number}]", "exec")
        if number < index:
            with contextlib.suppress(Exception), contextlib.redirect_stdout(io.StringIO()):
                if not skip:
                    exec(compiled, namespace)
            continue
        if skip:
            pytest.skip(f"{page.name}[{index}]: {skip}")
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compiled, namespace)


def commands(page: Path, index: int) -> list[tuple[str, str]]:
    """(command, expected output) of every `$ ` line of a console block."""
    body, _ = blocks(page, "console")[index]
    sessions: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            sessions.append((line[2:], []))
        else:
            sessions[-1][1].append(line)
    return [(command, "\n".join(output)) for command, output in sessions]


@pytest.mark.parametrize(("page", "index"), cases("console"))
def test_console_block_output(page: Path, index: int, scratch: Path) -> None:
    for command, expected in commands(page, index):
        result = subprocess.run(
            ["sh", "-c", command],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
            timeout=120,
        )
        assert result.stdout.rstrip("\n") == expected, f"{page.name}: $ {command}"


def test_guard_example_runs_when_the_message_is_suppressed(scratch: Path) -> None:
    # The page's run takes the allowed branch; the other one must hold up as well.
    body, _ = blocks(DOCS / "guard.md", "python")[0]
    allowed = "examples/messages/person.eml"
    assert allowed in body, "guard.md's first example reads another message now"
    namespace: dict[str, object] = {"__name__": "docs.guard"}
    suppressed = body.replace(allowed, "examples/messages/vacation_reply.eml")
    exec(compile(suppressed, "guard.md[0]", "exec"), namespace)
    assert namespace["outbox"] == []


@pytest.mark.parametrize(("page", "index"), cases("toml"))
def test_toml_block_loads(page: Path, index: int, tmp_path: Path) -> None:
    body, _ = blocks(page, "toml")[index]
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    load_config(path)


@pytest.mark.parametrize(("page", "index"), cases("ini"))
def test_ini_block_loads(page: Path, index: int, tmp_path: Path) -> None:
    body, _ = blocks(page, "ini")[index]
    path = tmp_path / "config.ini"
    path.write_text(body, encoding="utf-8")
    load_config(path)


def test_every_block_is_checked() -> None:
    # A block in a language nothing here reads would be an example nobody runs. A bare
    # block is measured output (a benchmark's), shown, not run.
    checked = {"python", "console", "toml", "ini", "sh", "text", ""}
    opening = re.compile(r"^```(\S*)\n(?:.*?)^```$", re.M | re.S)
    for page in PAGES:
        languages = set(opening.findall(page.read_text(encoding="utf-8")))
        directives = {lang for lang in languages if lang.startswith("{")}
        assert languages - directives <= checked, page.name


def test_every_page_is_in_a_toctree() -> None:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^([a-z-]+)$", index, re.M))
    pages = {page.stem for page in DOCS.glob("*.md")} - {"index"}
    assert pages <= listed
