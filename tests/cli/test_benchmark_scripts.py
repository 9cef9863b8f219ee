"""The benchmark scripts a newcomer runs first: where they find the corpus, and
``accuracy.py --json`` (issue 15)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "messages"


@pytest.mark.parametrize("script", ["accuracy", "bench_classify", "bench_guard", "bench_text"])
def test_benchmark_reads_the_corpus_named_by_loopguard_corpus(script: str, tmp_path: Path) -> None:
    # A fresh interpreter: the default is read when the script is loaded.
    code = (
        "import sys; sys.path.insert(0, 'tests'); from scripts import load_script; "
        f"print(load_script('benchmarks/{script}.py').DEFAULT_CORPUS)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "LOOPGUARD_CORPUS": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == str(tmp_path)


def test_accuracy_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels = {"person.eml": "human", "vacation_reply.eml": "auto_reply", "bounce.eml": "bounce"}
    for name in labels:
        shutil.copy(EXAMPLES / name, tmp_path / name)
    rows = [json.dumps({"file": name, "label": label}) for name, label in labels.items()]
    (tmp_path / "labels.jsonl").write_text("\n".join(rows) + "\n")
    assert load_script("benchmarks/accuracy.py").main([str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["messages"] == 3
    assert report["misses"] == []
    assert report["categories"]["human"] == {"support": 1, "recall": 1.0, "precision": 1.0}
    assert report["categories"]["bulk"] == {"support": 0, "recall": None, "precision": None}
    assert report["human_wrongly_flagged"] == 0
