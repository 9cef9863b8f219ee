"""benchmarks/accuracy.py reports calibration: the reliability table, the confusion matrix
and per-language figures, over labels.jsonl or expected.jsonl folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scripts import load_script

ACCURACY = load_script("benchmarks/accuracy.py")
CLASSES = Path(__file__).resolve().parents[1] / "fixtures" / "classes"


def test_the_fixture_folder_is_read_with_its_languages() -> None:
    report = ACCURACY.run(CLASSES)
    assert report.total == 192
    right, total = report.relied_on()
    assert total > 0
    assert right / total >= 0.98
    assert {lang for lang, _ in report.languages} >= {"de", "fr", "ja", "ru", "ar"}


def test_json_report_holds_the_reliability_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert ACCURACY.main([str(CLASSES), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    buckets = report["reliability"]
    assert [bucket["from"] for bucket in buckets] == list(ACCURACY.BUCKETS)
    assert sum(bucket["messages"] for bucket in buckets) == report["messages"]
    assert report["relied_on"]["threshold"] == 0.9
    assert set(report["confusion"]) == set(ACCURACY.CATEGORIES)
    assert report["languages"]["de"]["messages"] >= 10


def test_text_report_prints_every_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert ACCURACY.main([str(CLASSES)]) == 0
    out = capsys.readouterr().out
    for heading in (
        "reliability (confidence -> share right):",
        "confusion (rows: label",
        "languages",
    ):
        assert heading in out
