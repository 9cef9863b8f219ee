"""The hand-made fixtures under ``tests/fixtures/core`` agree with ``expected.jsonl``.

These checks guard the test data itself: a fixture that is missing from the expectations,
an expectation that names a file that does not exist, or a message the stdlib parser cannot
take would silently weaken every classifier test built on them.
"""

from __future__ import annotations

import codecs
import email
import json
from pathlib import Path
from typing import Any

import pytest

from loopguard.classifier.bounce.step import BOUNCE_FINDINGS
from loopguard.classifier.rules import DEFAULT_RULES
from loopguard.classifier.rules.body import BODY_RULES
from loopguard.classifier.rules.content import TEXT_FINDINGS
from loopguard.classifier.verdict import Category
from loopguard.mail.address import normalize_address

FIXTURES = Path(__file__).parent / "fixtures" / "core"
EXPECTED = FIXTURES / "expected.jsonl"
EXAMPLES = Path(__file__).parent.parent / "examples" / "messages"

# Every rule name the classifier may report for these fixtures: the header and body rule
# registries, plus the names its bounce stage and damage reports add.
STAGE_RULES = frozenset(
    {"malformed-headers", "malformed-mime"}
    | {finding.name for finding in (*BOUNCE_FINDINGS, *TEXT_FINDINGS)}
)
KNOWN_RULES = STAGE_RULES | {r.name for r in DEFAULT_RULES} | {r.name for r in BODY_RULES}

FIELDS = ("file", "category", "rules", "permanent", "temporary", "no_autoreply", "sender", "note")

# Real mail is small; only the one large-attachment fixture may exceed this.
SMALL_FILE_LIMIT = 20 * 1024
LARGE_FILE_LIMIT = 3 * 1024 * 1024


def _load_expected() -> list[dict[str, Any]]:
    return [json.loads(line) for line in EXPECTED.read_text(encoding="utf-8").splitlines() if line]


EXPECTED_ROWS = _load_expected()
FIXTURE_FILES = sorted(path.relative_to(FIXTURES).as_posix() for path in FIXTURES.rglob("*.eml"))


def test_every_fixture_is_listed_and_every_listing_exists() -> None:
    listed = [row["file"] for row in EXPECTED_ROWS]
    assert len(listed) == len(set(listed)), "a fixture is listed twice"
    assert sorted(listed) == FIXTURE_FILES


def test_every_category_has_fixtures() -> None:
    covered = {row["category"] for row in EXPECTED_ROWS}
    assert covered == {category.value for category in Category}


@pytest.mark.parametrize("row", EXPECTED_ROWS, ids=lambda row: row["file"])
def test_expectation_is_well_formed(row: dict[str, Any]) -> None:
    assert tuple(row) == FIELDS
    category = Category(row["category"])
    assert row["file"].split("/")[0] == category.value, "directory must name the category"
    assert set(row["rules"]) <= KNOWN_RULES
    assert isinstance(row["no_autoreply"], bool)
    assert row["note"].strip()
    failed = row["permanent"] + row["temporary"]
    assert all(address == address.lower() and "@" in address for address in failed)
    if category is not Category.BOUNCE:
        assert not failed, "only bounces name failed recipients"
    if row["sender"] is not None:
        assert normalize_address(row["sender"]) == row["sender"]


@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_fixture_parses_with_the_stdlib(name: str) -> None:
    raw = (FIXTURES / name).read_bytes()
    limit = LARGE_FILE_LIMIT if name.startswith("human/large_") else SMALL_FILE_LIMIT
    assert len(raw) < limit
    message = email.message_from_bytes(raw)
    # Walking forces every multipart level to be split; damage must surface as defects.
    parts = list(message.walk())
    assert parts
    if Path(name).name.startswith("malformed_"):
        assert _is_damaged(message), "a malformed_ fixture must really be damaged"
    else:
        assert not _is_damaged(message)


@pytest.mark.parametrize("row", EXPECTED_ROWS, ids=lambda row: row["file"])
def test_bounce_recipients_appear_in_the_message(row: dict[str, Any]) -> None:
    text = (FIXTURES / row["file"]).read_bytes().decode("ascii", "replace").lower()
    for address in row["permanent"] + row["temporary"]:
        assert address in text


def test_examples_are_clean_messages() -> None:
    examples = sorted(EXAMPLES.glob("*.eml"))
    assert 6 <= len(examples) <= 8
    for path in examples:
        message = email.message_from_bytes(path.read_bytes())
        assert not message.defects, path.name
        assert message["From"], path.name
        assert message["Subject"], path.name


def _is_damaged(message: email.message.Message) -> bool:
    """Parser defects, raw non-ASCII header bytes, or a charset no codec knows."""
    parts = list(message.walk())
    if any(part.defects for part in parts):
        return True
    if any(not str(value).isascii() for value in message.values()):
        return True
    return any(_unknown_charset(part) for part in parts)


def _unknown_charset(part: email.message.Message) -> bool:
    charset = part.get_content_charset()
    if charset is None:
        return False
    try:
        codecs.lookup(charset)
    except LookupError:
        return True
    return False
