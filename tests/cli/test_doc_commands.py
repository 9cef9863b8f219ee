"""The shell commands the docs show are ones that work: what can run quickly runs elsewhere
(tests/cli/test_docs.py runs every ``$`` session); the rest is checked without running it.

Shell blocks (```sh, and the ```text of a procmail recipe) of docs/*.md and the README:
``sh -n`` accepts them, every ``loopguard`` command parses with the command line's own
parser, every ``python -m pytest`` names paths that exist, every ``pip install`` names
extras that setup.cfg defines. Every ``python benchmarks/NAME.py ...`` (in the docs, the
README and the scripts' own docstrings) parses with that script's parser; a synopsis with
``[...]`` must name options the script has (issue 15: accuracy.py advertised ``--json``).
"""

from __future__ import annotations

import argparse
import ast
import configparser
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from scripts import load_script

from loopguard.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[2]
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
SHELL_FENCE = re.compile(r"^```(?P<lang>sh|text)\n(?P<body>.*?)^```$", re.M | re.S)
LOOPGUARD = re.compile(r"(?:^|[\s?])loopguard\s+(?P<args>(?:classify|replay|check|tune)\b.*)$")
PYTEST = re.compile(r"python3? -m pytest(?P<args>[^`\n]*)")
PIP_EXTRAS = re.compile(r"pip install\s[^`\n]*?'?[\w.]+\[(?P<extras>[\w,]+)\]")
BENCHMARK = re.compile(r"python3? (?P<script>benchmarks/\w+\.py)(?P<args>[^`\n]*)")


def shell_blocks() -> list[object]:
    return [
        pytest.param(match["lang"], match["body"], id=f"{page.name}[{index}]")
        for page in PAGES
        for index, match in enumerate(SHELL_FENCE.finditer(page.read_text(encoding="utf-8")))
    ]


def words(command: str) -> list[str]:
    """The words of one shell command, up to its first operator (``|``, ``<``, ``;``...)."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    found: list[str] = []
    for word in lexer:
        if word and all(char in lexer.punctuation_chars for char in word):
            break
        found.append(word)
    return found


def parses(parser: argparse.ArgumentParser, argv: list[str]) -> str | None:
    """None when ``parser`` accepts ``argv``, else argparse's complaint."""
    try:
        parser.parse_args(argv)
    except SystemExit as exc:
        return f"argparse exited with {exc.code}"
    return None


@pytest.mark.parametrize(("lang", "body"), shell_blocks())
def test_shell_block_is_well_formed(
    lang: str, body: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if lang == "sh":
        syntax = subprocess.run(["sh", "-n"], input=body, text=True, capture_output=True)
        assert syntax.returncode == 0, syntax.stderr
    for line in body.splitlines():
        if match := LOOPGUARD.search(line):
            argv = words(match["args"])
            assert parses(build_parser(), argv) is None, f"{line}\n{capsys.readouterr().err}"
        if match := PYTEST.search(line):
            paths = [word for word in words(match["args"]) if not word.startswith("-")]
            missing = [path for path in paths if not (ROOT / path.split("::")[0]).exists()]
            assert not missing, line


def test_pip_extras_exist() -> None:
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    defined = set(setup["options.extras_require"])
    for page in PAGES:
        for match in PIP_EXTRAS.finditer(page.read_text(encoding="utf-8")):
            assert set(match["extras"].split(",")) <= defined, f"{page.name}: {match[0]}"


class _InterceptedParseError(Exception):
    """Raised instead of parsing: it carries the parser a script built."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self.parser = parser


def script_parser(script: str, monkeypatch: pytest.MonkeyPatch) -> argparse.ArgumentParser:
    """The argument parser a benchmark builds in ``main()``, caught before it parses."""

    def capture(self: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        raise _InterceptedParseError(self)

    module = load_script(script)
    with monkeypatch.context() as patch:
        patch.setattr(argparse.ArgumentParser, "parse_args", capture)
        patch.setattr("sys.argv", [script])
        with pytest.raises(_InterceptedParseError) as caught:
            module.main()
    return caught.value.parser


def benchmark_commands() -> list[object]:
    texts = [(page.name, page.read_text(encoding="utf-8")) for page in PAGES]
    for script in sorted((ROOT / "benchmarks").glob("*.py")):
        docstring = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8"))) or ""
        texts.append((f"benchmarks/{script.name}", docstring))
    found = {
        (match["script"], match["args"].split(" #")[0].strip(), where)
        for where, text in texts
        for match in BENCHMARK.finditer(text)
    }
    return [
        pytest.param(script, args, id=f"{where}: {script} {args}".strip())
        for script, args, where in sorted(found)
    ]


@pytest.mark.parametrize(("script", "args"), benchmark_commands())
def test_benchmark_command_is_accepted(
    script: str, args: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = script_parser(script, monkeypatch)
    if "[" not in args:
        assert parses(parser, words(args)) is None, capsys.readouterr().err
        return
    usage = parser.format_usage()
    for option in re.findall(r"(?<![\w-])--[\w-]+", args):
        assert re.search(rf"(?<![\w-]){option}(?![\w-])", usage), f"{script} has no {option}"
