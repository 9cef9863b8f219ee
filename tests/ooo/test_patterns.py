"""Language data files and the phrase compiler: validation, overrides, phrase semantics."""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loopguard.classifier.text.languages import default_patterns, load_patterns
from loopguard.classifier.text.patterns import PatternSet, PhraseMatch, fold
from loopguard.errors import ConfigurationError

REQUIRED_LISTS = (
    "reply_prefixes",
    "autoreply_subjects",
    "autoreply_statements",
    "absence_phrases",
    "return_phrases",
    "ack_phrases",
    "person_phrases",
    "quote_markers",
    "forward_markers",
    "sender_fields",
    "header_fields",
    "read_receipt_subjects",
    "read_receipt_statements",
    "request_acknowledgements",
    "notification_phrases",
    "automatic_notices",
    "notification_senders",
)


def _language_files() -> list[Path]:
    folder = resources.files("loopguard") / "data" / "languages"
    return sorted(Path(str(entry)) for entry in folder.iterdir() if entry.name.endswith(".toml"))


def test_at_least_25_languages_are_packaged(patterns: PatternSet) -> None:
    assert len(patterns.codes) >= 25
    assert {"en", "de", "fr", "es", "zh", "ja", "ru", "ar"} <= set(patterns.codes)


@pytest.mark.parametrize("path", _language_files(), ids=lambda path: path.stem)
def test_every_language_file_fills_every_list(path: Path) -> None:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert data["language"] == path.stem
    for key in REQUIRED_LISTS:
        assert data.get(key), f"{path.name} has no {key}"


def test_default_patterns_are_compiled_once() -> None:
    assert default_patterns() is default_patterns()


def _one(table: dict[str, Any]) -> PatternSet:
    return load_patterns(table, languages=[str(table["language"])])


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"language": "xx", "colour": []}, "unknown field"),
        ({"language": "English"}, "'language'"),
        ({"language": "xx", "absence_phrases": "away"}, "'absence_phrases' must be a list"),
        ({"language": "xx", "absence_phrases": [1]}, "'absence_phrases' must be a list"),
        ({"language": "xx", "reply_prefixes": ["R*"]}, "literal"),
        ({"language": "xx", "absence_phrases": ["a * b * c * d"]}, "more than 2"),
        ({"language": "xx", "absence_phrases": ["away * * now"]}, "two '*' in a row"),
        ({"language": "xx", "absence_phrases": ["* away"]}, "may not start or end"),
        ({"language": "xx", "absence_phrases": ["  *  "]}, "no literal text"),
        ({"language": "xx", "absence_phrases": ["x" * 201]}, "longer than"),
        ({"language": "xx", "absence_phrases": ["away\u0007"]}, "control character"),
        ({"language": "xx", "noreply_senders": ["ne pas répondre"]}, "ASCII letters and digits"),
        ({"language": "xx", "noreply_senders": ["no*reply"]}, "ASCII letters and digits"),
        ({"language": "xx", "noreply_senders": ["no--reply"]}, "ASCII letters and digits"),
        ({"language": "xx", "mode": "merge"}, "'mode'"),
        ({"language": "xx", "word_boundaries": "yes"}, "'word_boundaries'"),
    ],
)
def test_bad_entries_raise_configuration_error_naming_the_field(
    table: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        _one(table)


def test_bad_file_is_named_in_the_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('language = "xx"\nabsence_phrases = [\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"broken\.toml: invalid TOML"):
        load_patterns(broken)
    with pytest.raises(ConfigurationError, match=r"missing\.toml: cannot read"):
        load_patterns(tmp_path / "missing.toml")


def test_unknown_language_filter_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match="unknown language"):
        load_patterns(languages=["en", "tlh"])


def test_extra_file_extends_a_language(tmp_path: Path) -> None:
    extra = tmp_path / "en-extra.toml"
    extra.write_text('language = "en"\nabsence_phrases = ["gone fishing"]\n', encoding="utf-8")
    patterns = load_patterns(extra, languages=["en"])
    assert [match.text for match in patterns.find("absence_phrases", "Gone  fishing!")] == [
        "Gone  fishing"
    ]
    assert patterns.find("absence_phrases", "I am out of the office")


def test_replace_mode_drops_the_packaged_phrases() -> None:
    patterns = load_patterns(
        {"language": "en", "mode": "replace", "absence_phrases": ["gone fishing"]},
        languages=["en"],
    )
    assert not patterns.find("absence_phrases", "I am out of the office")
    assert patterns.find("absence_phrases", "gone fishing")


def test_a_dict_adds_a_new_language() -> None:
    patterns = load_patterns(
        {"language": "eo", "name": "Esperanto", "autoreply_subjects": ["Aŭtomata respondo"]}
    )
    assert "eo" in patterns.codes
    match = patterns.autoreply_subject.match("Aŭtomata respondo: fakturo")
    assert match is not None


@pytest.fixture(scope="module")
def probe() -> PatternSet:
    return _one(
        {
            "language": "xx",
            "absence_phrases": ["I am * away", "out: now", "I'm gone", "hors ș bureau"],
            "quote_markers": ["On * wrote:"],
        }
    )


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("I AM AWAY", "I AM AWAY"),
        ("I am\n   away", None),
        ("I am " + "x" * 58 + " away", "I am " + "x" * 58 + " away"),
        ("I am " + "x" * 59 + " away", None),
        ("I am here\nand away", None),
        ("Priam away", None),
        ("out : now", "out : now"),
        ("out：now", "out：now"),
        ("I’m gone", "I’m gone"),
        ("hors ş bureau", "hors ş bureau"),
    ],
)
def test_phrase_syntax(probe: PatternSet, text: str, found: str | None) -> None:
    matches = probe.find("absence_phrases", text)
    assert (matches[0].text if matches else None) == found


def test_line_markers_use_a_wider_star(probe: PatternSet) -> None:
    line = (
        "On Tuesday, 13 August 2024 at 09:11:23 CEST, A Very Long Display Name"
        " <a.very.long.address@example.com> wrote:"
    )
    (marker,) = probe.line_markers("quote_markers", fold(line))
    assert marker.regex.fullmatch(line)


def test_overlapping_phrases_count_once(patterns: PatternSet) -> None:
    matches = patterns.find("absence_phrases", "I am out of the office until Monday.")
    assert len(matches) == 1


def test_languages_without_spaces_match_inside_text(patterns: PatternSet) -> None:
    assert patterns.find("absence_phrases", "您好，我目前正在休假。")
    assert patterns.find("absence_phrases", "ただいま出張中のため")


@pytest.mark.parametrize(
    ("phrase", "text"),
    [
        ("limited access to e-mail", "with limited access to e-mails."),
        ("ich bin * nicht im Büro", "Ich bin bis Freitag nicht im Büro"),
        ("ab dem *wieder", "ab dem 5.wieder da"),
        ("out: now", "OUT：now"),
        ("hors ș bureau", "HORS Ş BUREAU"),
    ],
)
def test_anchor_prefilter_never_hides_a_match(phrase: str, text: str) -> None:
    patterns = _one({"language": "xx", "absence_phrases": [phrase]})
    assert patterns.find("absence_phrases", text)


def test_turkish_capital_dotted_i_keeps_its_anchor(patterns: PatternSet) -> None:
    assert fold("İzindeyim") == "izindeyim"
    assert patterns.find("absence_phrases", "İzindeyim, e-postalarıma erişimim yok.")


def _vocabulary() -> list[str]:
    """The packaged body phrases (stars filled in) and their words, to build texts from."""
    entries = [
        entry.replace("*", " now ")
        for data in default_patterns().languages
        for entry in data.absence_phrases + data.return_phrases + data.person_phrases
    ]
    return sorted(set(entries) | {word for entry in entries for word in entry.split()})


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(_vocabulary()) | st.sampled_from([" ", "\n", ", ", "-", "'", "İ", "ş"]),
        max_size=40,
    )
)
def test_indexed_search_equals_a_scan_of_every_phrase(tokens: list[str]) -> None:
    patterns = default_patterns()
    text = " ".join(tokens)
    for kind in ("absence_phrases", "return_phrases", "person_phrases"):
        scanned = {
            (phrase.language, match.group(), match.start())
            for phrase in patterns.phrases[kind]
            for match in phrase.regex.finditer(text)
        }
        found = {(hit.language, hit.text, hit.start) for hit in patterns.find(kind, text)}
        assert found <= scanned
        assert {start for _, _, start in scanned} <= _covered(patterns.find(kind, text))


def _covered(hits: tuple[PhraseMatch, ...]) -> set[int]:
    """Every start position inside a reported match (overlapping matches are merged)."""
    return {position for hit in hits for position in range(hit.start, hit.start + len(hit.text))}


def test_person_phrases_end_at_a_word_end(patterns: PatternSet) -> None:
    assert not patterns.find("person_phrases", "In order to reach us, call the desk.")
    assert patterns.find("person_phrases", "Het contract is in orde.")


def test_noreply_senders_extend_at_run_time() -> None:
    patterns = load_patterns({"language": "eo", "noreply_senders": ["ne respondu"]})
    assert patterns.noreply_local.search("ne-respondu")
    assert patterns.noreply_local.search("noreply")  # the packaged languages stay
    assert not patterns.noreply_local.search("respondu")


@pytest.mark.parametrize(
    ("text", "starts"),
    [
        ("back on Monday", [0]),
        ("I am back on Monday", [5]),
        ("(back on Monday)", [1]),
        ("line\nback on Monday", [5]),
        ("BACK ON Monday", [0]),
        ("comeback on Monday", []),  # inside a word
        ("2back on Monday", []),
        ("x_back on Monday", []),  # "_" is a word character too
        ("back on back on", [0, 8]),
    ],
)
def test_body_phrases_start_at_a_word_edge(text: str, starts: list[int]) -> None:
    patterns = load_patterns({"language": "xx", "return_phrases": ["back on"]}, languages=["xx"])
    assert [match.start for match in patterns.find("return_phrases", text)] == starts


def test_a_phrase_without_word_edges_matches_inside_runs_of_letters() -> None:
    patterns = load_patterns(
        {"language": "xx", "word_boundaries": False, "return_phrases": ["back on"]},
        languages=["xx"],
    )
    assert [match.start for match in patterns.find("return_phrases", "comeback on")] == [4]


def _anchor_pieces() -> list[str]:
    patterns = default_patterns()
    anchors = {*patterns.line_index.by_anchor, *patterns.phrase_index.by_anchor}
    return sorted(anchors | {anchor[:2] for anchor in anchors} | {anchor[1:] for anchor in anchors})


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(_anchor_pieces()) | st.sampled_from([" ", "\n", "\xa0", "™", "ı", "x"]),
        max_size=30,
    ).map("".join)
)
def test_the_anchors_found_in_a_text_are_those_it_holds(text: str) -> None:
    patterns = default_patterns()
    folded = fold(text)
    for index in (patterns.line_index, patterns.phrase_index):
        held = {anchor for anchor in index.by_anchor if anchor in folded}
        found = list(index._anchors_in(folded))
        assert sorted(found) == sorted(held)
