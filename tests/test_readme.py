"""The README's example runs as written, from the repository root."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_readme_python_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.DOTALL)
    assert blocks, "the README lost its usage example"
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        exec(compile(blocks[0], "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    out = capsys.readouterr().out
    assert out.startswith("auto_reply 0.99")
    assert "auto-submitted → Auto-Submitted: auto-replied" in out
    assert "do not answer automatically" in out


def test_readme_gives_exactly_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    first = re.search(r"```sh\n(.*?)```", readme, re.DOTALL)
    assert first is not None
    commands = [line for line in first.group(1).splitlines() if line.strip()]
    assert len(commands) == 2
    test_command = commands[1].split("&&")[1].split("#")[0].strip()
    assert test_command == "python3 -m pytest"
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert [line for line in ci if line.strip() == test_command] == [test_command]


def test_every_public_name_is_in_the_api_reference() -> None:
    import loopguard

    reference = (ROOT / "docs" / "api.md").read_text()
    missing = [
        name
        for name in loopguard.__all__
        if name != "__version__"
        and f"loopguard.{name}" not in reference
        and f".{name}\n" not in reference
    ]
    assert not missing, f"add to docs/api.md: {missing}"
