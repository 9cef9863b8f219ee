"""author_text: part choice, every charset and transfer encoding, HTML, quote cutting."""

from __future__ import annotations

import base64
import email
import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loopguard.classifier.text.authortext import BodyText, author_text
from loopguard.classifier.text.patterns import PatternSet
from loopguard.mail.decode import decode_bytes
from loopguard.mail.html import html_to_text

Build = Callable[..., bytes]

SAMPLES = {
    "us-ascii": "I am out of the office until Monday.",
    "utf-8": "Je suis absent — retour le 3 septembre. 我正在休假。",
    "iso-8859-1": "Ich bin bis 22. August nicht im Büro. Grüße",
    "iso-8859-2": "Jestem na urlopie do 16 sierpnia. Dziękuję, Łukasz",
    "iso-8859-5": "Я в отпуске до 26 августа.",
    "iso-8859-7": "Βρίσκομαι εκτός γραφείου.",
    "iso-8859-9": "Yıllık izindeyim, 26 Ağustos'ta döneceğim.",
    "iso-8859-15": "Olen lomalla, hinta 5 €.",
    "windows-1250": "Jsem mimo kancelář do 23. srpna.",
    "windows-1251": "Я у відпустці до 23 серпня.",
    "windows-1252": "I’m away — back on Monday “soon”.",
    "windows-1253": "Είμαι σε άδεια.",
    "windows-1254": "İzindeyim.",
    "windows-1255": "אני בחופשה עד 22 באוגוסט.",
    "windows-1256": "أنا خارج المكتب حتى 25 أغسطس.",
    "koi8-r": "Нахожусь в командировке.",
    "koi8-u": "Я у відрядженні, повернуся 5 вересня.",
    "gb2312": "我目前正在休假，8月20日返回办公室。",
    "gbk": "本人正在休假，回来后会尽快回复。",
    "gb18030": "我正在出差中，请联系王芳。",
    "big5": "我正在休假中，將於9月2日返回辦公室。",
    "euc-kr": "8월 19일까지 휴가 중입니다.",
    "iso-2022-jp": "夏季休暇のため不在にしております。",
    "shift_jis": "現在出張中のため、ご返信が遅れます。",
    "euc-jp": "出張中です。",
    "tis-620": "ดิฉันลาพักร้อนถึงวันที่ 20 สิงหาคม",
}


@pytest.mark.parametrize("encoding", ["8bit", "quoted-printable", "base64"])
@pytest.mark.parametrize("charset", SAMPLES.keys())
def test_every_charset_and_transfer_encoding_decodes(
    build: Build, charset: str, encoding: str
) -> None:
    raw = build(SAMPLES[charset], charset, encoding)
    body = author_text(email.message_from_bytes(raw))
    assert body.text == SAMPLES[charset]
    assert not body.quoted
    assert not body.html_only


@pytest.mark.parametrize(
    ("data", "declared", "text"),
    [
        ("Grüße".encode(), "us-ascii", "Grüße"),
        ("Grüße".encode(), "iso-8859-1", "Grüße"),
        ("Grüße".encode("latin-1"), "utf-8", "Grüße"),
        ("Grüße".encode("latin-1"), None, "Grüße"),
        ("Grüße".encode("latin-1"), "x-no-such-charset", "Grüße"),
        ("Grüße".encode("latin-1"), "unknown-8bit", "Grüße"),
        ("夏季休暇".encode("iso-2022-jp"), None, "夏季休暇"),
        (b"\x81\x82\xff", "big5", None),
    ],
)
def test_lying_or_missing_charsets_fall_back(
    data: bytes, declared: str | None, text: str | None
) -> None:
    decoded, _codec = decode_bytes(data, declared)
    if text is not None:
        assert decoded == text
    else:
        assert "\ufffd" in decoded


def test_html_only_bodies_are_reduced_to_text(build: Build) -> None:
    html = (
        "<html><head><title>t</title><style>p {color: red}</style>"
        "<script>var away = 1;</script></head><body>"
        "<p>Je suis absent&nbsp;du bureau jusqu&#39;au 5&nbsp;mai.</p>"
        '<div class="gmail_signature">Jean Dupont<br>Directeur</div>'
        "</body></html>"
    )
    body = author_text(email.message_from_bytes(build(html, content_type="text/html")))
    assert body.html_only
    assert body.text == "Je suis absent du bureau jusqu'au 5 mai."


def test_html_blockquotes_are_cut_as_quotes() -> None:
    text = html_to_text("<div>Thanks!</div><blockquote><div>I am away</div></blockquote>")
    assert text == "Thanks!\n> I am away"


def test_broken_html_keeps_the_text_before_the_damage() -> None:
    assert html_to_text("<p>I am away</p><![if foo ").startswith("I am away")


QUOTED = {
    "angle brackets": "Thanks!\n\n> I am out of the office.\n> Back Monday.",
    "gmail attribution": "Thanks!\n\nOn Mon, 1 Jan 2024 at 10:00, Jane <j@x.com> wrote:\nI am away",
    "wrapped attribution": (
        "Thanks!\n\nOn Mon, 1 Jan 2024 at 10:00, Jane Doe <\njane@x.com> wrote:\n\nI am away"
    ),
    "french attribution": "Merci !\n\nLe lun. 1 janv. 2024, Jean <j@x.fr> a écrit :\nabsent",
    "german attribution": "Danke!\n\nAm 01.01.2024 um 10:00 schrieb Hans <h@x.de>:\nnicht im Büro",
    "original message": "Thanks!\n\n-----Original Message-----\nFrom: Jane\nI am away",
    "outlook block": "Thanks!\n\n_______________\nFrom: Jane <j@x.com>\nSent: Monday\nTo: me",
    "german outlook block": "Danke!\n\nVon: Jane <j@x.com>\nGesendet: Montag\nAn: mich\nBetreff: x",
    "bold outlook block": "Thanks!\n\n*From:* Jane <j@x.com>\n*Sent:* Monday\nI am away",
    "japanese attribution": "Thanks!\n\n2024年1月1日(月) 10:00 山田太郎 <t@x.jp>:\n\n> 不在です",
    "hebrew attribution": "Thanks!\n\n\u202bבתאריך יום ב׳ מאת \u202aYossi\u202c <y@x>:\u202c\n> x",
    "slovenian attribution": "Thanks!\n\nV pon., 1. jan. 2024 je Janez <j@x> napisal(a):\n> x",
    "croatian attribution": "Thanks!\n\npon, 1. sij 2024. u 10:00 Ivan <i@x> napisao je:\n> x",
    "hungarian attribution": "Thanks!\n\nIvan <i@x> ezt írta (időpont: 2024. jan. 1., H):\n> x",
}


@pytest.mark.parametrize("text", QUOTED.values(), ids=QUOTED.keys())
def test_quotes_are_cut(build: Build, text: str) -> None:
    body = author_text(email.message_from_bytes(build(text)))
    assert body.quoted
    assert body.text in ("Thanks!", "Merci !", "Danke!")


def test_forwarded_blocks_are_cut_and_flagged(build: Build) -> None:
    text = "FYI\n\n---------- Forwarded message ---------\nFrom: Jane\n\nI am away"
    body = author_text(email.message_from_bytes(build(text)))
    assert (body.text, body.quoted, body.forwarded) == ("FYI", True, True)


@pytest.mark.parametrize(
    "text",
    [
        "I am away.\n-- \nJane Doe\nACME",
        "I am away.\n\nSent from my iPhone",
        "I am away.\n\nVon meinem iPhone gesendet",
    ],
)
def test_signatures_are_cut_without_counting_as_quotes(build: Build, text: str) -> None:
    body = author_text(email.message_from_bytes(build(text)))
    assert (body.text, body.quoted) == ("I am away.", False)


def test_bottom_posted_replies_keep_the_unquoted_lines(build: Build) -> None:
    text = "> Are you coming?\n> Please say.\nYes, see you there.\n> Bring cake?\nSure."
    body = author_text(email.message_from_bytes(build(text)))
    assert (body.text, body.quoted) == ("Yes, see you there.\nSure.", True)


def test_field_lines_without_a_sender_do_not_cut(build: Build) -> None:
    text = (
        "Your message was received:\n\nTo: jane@x.com\nSubject: BLAH\n\nThis account is protected."
    )
    body = author_text(email.message_from_bytes(build(text)))
    assert body.text.endswith("This account is protected.")
    assert not body.quoted


def test_long_bodies_are_truncated(build: Build) -> None:
    body = author_text(email.message_from_bytes(build("x" * 50_000)), max_chars=1000)
    assert body.truncated
    assert len(body.text) == 1000


MULTIPART = b"""Subject: x
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: application/pdf
Content-Disposition: attachment; filename="a.txt"

not text
--b1
Content-Type: text/plain; charset=utf-8
Content-Disposition: attachment; filename="notes.txt"

attached notes
--b1
Content-Type: message/rfc822

Subject: inner
Content-Type: text/plain

inner message text
--b1
Content-Type: multipart/alternative; boundary="b2"

--b2
Content-Type: text/html; charset=utf-8

<p>html version</p>
--b2
Content-Type: text/plain; charset=utf-8

plain version
--b2--
--b1--
"""


def test_first_inline_text_plain_wins_over_attachments_and_attached_messages() -> None:
    body = author_text(email.message_from_bytes(MULTIPART))
    assert (body.text, body.html_only) == ("plain version", False)


def test_truncated_multipart_without_end_boundary() -> None:
    raw = MULTIPART[: MULTIPART.index(b"plain version") + 5]
    body = author_text(email.message_from_bytes(raw))
    assert body.text == "plain"


def _nested(depth: int) -> bytes:
    head = b"".join(
        f'Content-Type: multipart/mixed; boundary="n{i}"\n\n--n{i}\n'.encode() for i in range(depth)
    )
    return b"Subject: deep\nMIME-Version: 1.0\n" + head + b"Content-Type: text/plain\n\ndeep text\n"


def test_deep_nesting_is_capped_without_error() -> None:
    assert author_text(email.message_from_bytes(_nested(10))).text == "deep text"
    assert author_text(email.message_from_bytes(_nested(400))).text == ""


def test_many_parts_are_capped_without_error() -> None:
    parts = b"".join(b"--m\nContent-Type: image/png\n\nx\n" for _ in range(5000))
    raw = b'Subject: x\nContent-Type: multipart/mixed; boundary="m"\n\n' + parts + b"--m--\n"
    assert author_text(email.message_from_bytes(raw)) == BodyText("")


def test_non_text_messages_give_empty_text() -> None:
    raw = b"Subject: x\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\n!!!\n"
    assert author_text(email.message_from_bytes(raw)).text == ""


def test_broken_base64_does_not_raise(build: Build) -> None:
    raw = b"Subject: x\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n@@@==x\n"
    assert isinstance(author_text(email.message_from_bytes(raw)), BodyText)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_never_raises_on_arbitrary_bytes(raw: bytes) -> None:
    message = email.message_from_bytes(b"Content-Type: multipart/mixed; boundary=x\n\n" + raw)
    assert isinstance(author_text(message), BodyText)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["utf-8", "koi8-r", "x-bad", "iso-2022-jp"]))
def test_never_raises_on_arbitrary_text(text: str, charset: str) -> None:
    raw = f"Content-Type: text/plain; charset={charset}\n\n{text}".encode("utf-8", "surrogatepass")
    assert isinstance(author_text(email.message_from_bytes(raw)), BodyText)


def test_patterns_argument_is_used(patterns: PatternSet, build: Build) -> None:
    text = "Thanks!\n\nOn Monday Jane wrote:\nI am away"
    assert author_text(email.message_from_bytes(build(text)), patterns=patterns).quoted


def test_a_one_line_legal_disclaimer_is_cut_as_a_signature(build: Build) -> None:
    disclaimer = "This email and any attachments are confidential. " * 20
    body = author_text(
        email.message_from_bytes(build(f"Out of office until Monday.\n\n{disclaimer}"))
    )
    assert (body.text, body.quoted) == ("Out of office until Monday.", False)


@pytest.mark.parametrize(
    "text",
    [
        "---------- Forwarded message ---------\nFrom: Tom\n\nI am out of the office.",
        "From: Tom <t@x.com>\nSent: Monday\nTo: me\nSubject: Automatic reply: x\n\nI am away.",
    ],
)
def test_nothing_above_a_forward_or_quote_header_means_no_author_text(
    build: Build, text: str
) -> None:
    body = author_text(email.message_from_bytes(build(text)))
    assert (body.text, body.quoted) == ("", True)


def test_an_empty_plain_part_falls_back_to_the_html_part() -> None:
    raw = b"""Subject: x
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="a"

--a
Content-Type: text/plain; charset=utf-8

\x20
--a
Content-Type: text/html; charset=utf-8

<p>I am out of the office.</p>
--a--
"""
    body = author_text(email.message_from_bytes(raw))
    assert (body.text, body.html_only) == ("I am out of the office.", True)


def _windows_1258(text: str) -> str:
    """Vietnamese as Windows-1258 spells it: tone marks as separate combining characters."""
    spelled = []
    for char in text:
        marks = unicodedata.normalize("NFD", char)
        fits = char.encode("cp1258", "ignore") == b"" and len(marks) > 1
        spelled.append(unicodedata.normalize("NFC", marks[:-1]) + marks[-1] if fits else char)
    return "".join(spelled)


def test_decomposed_accents_are_composed(build: Build, patterns: PatternSet) -> None:
    text = "Tôi đang nghỉ phép đến ngày 26/8."
    legacy = _windows_1258(text)
    assert legacy != text
    body = author_text(email.message_from_bytes(build(legacy, "cp1258", "quoted-printable")))
    assert body.text == text
    assert patterns.find("absence_phrases", body.text)


def test_unclosed_markup_becomes_text() -> None:
    assert html_to_text("<p>I am away</p> a <b and <!-- never closed") == (
        "I am away\na <b and <!-- never closed"
    )


@pytest.mark.parametrize(
    "charset", ["undefined", "idna", "punycode", "base64", "rot13", "zlib", "a\x00b", "x" * 300]
)
def test_hostile_charset_labels_never_raise(charset: str) -> None:
    for data in (b"\xff\xfe\x00abc\\N{", b"plain", "Grüße".encode("latin-1")):
        text, codec = decode_bytes(data, charset)
        assert isinstance(text, str)
        assert codec


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200), st.text(max_size=40))
def test_decode_bytes_never_raises(data: bytes, charset: str) -> None:
    assert isinstance(decode_bytes(data, charset)[0], str)


@pytest.mark.parametrize("charset", ["gb2312", "big5", "euc-kr", "shift_jis", "utf-8", "koi8-r"])
def test_a_character_cut_at_the_parse_limit_keeps_the_declared_charset(charset: str) -> None:
    text = SAMPLES.get(charset, "我目前正在休假，8月20日返回办公室。")
    data = text.encode(charset)
    cut = data[:-1] if len(text.encode(charset)) > len(text) else data
    decoded, _codec = decode_bytes(cut, charset)
    assert decoded.rstrip("\ufffd") == text[: len(decoded.rstrip("\ufffd"))]
    assert len(decoded.rstrip("\ufffd")) >= len(text) - 1


@pytest.mark.parametrize("extra", [0, 1, 2, 3])
def test_base64_cut_at_the_parse_limit_decodes_as_far_as_it_goes(extra: int) -> None:
    text = "Ich bin bis 22. August nicht im Büro. " * 40
    encoded = base64.encodebytes(text.encode("utf-8"))
    head = b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
    cut = encoded[: len(encoded) // 2 + extra]
    body = author_text(email.message_from_bytes(head + cut))
    assert body.text.startswith("Ich bin bis 22. August nicht im Büro.")
    assert text.startswith(body.text.rstrip("\ufffd"))


# Lines that are, nearly are, or wrap into quote headers, forwards, header blocks and
# signatures, in several languages: before_quotes only looks closely at some lines, so it
# must agree with looking at every line.
_MARKERISH_LINES = [
    "On Mon, 1 Jan 2024 at 10:00, Jane Doe <",
    "jane@example.com> wrote:",
    "On Tuesday, Jane Doe",
    "jane@example.com wrote:",
    "On Mon, 1 Jan 2024, Jane Doe <jane@example.com> wrote:",
    "-----Original Message-----",
    "---------- Forwarded message ---------",
    "Le lun. 1 janv. 2024 à 10:00, Jean <jean@example.fr> a écrit :",
    "Am 01.01.2024 um 10:00 schrieb Max <max@example.de>:",
    "Max Mustermann <max@example.de>:",
    "From: Ann Example",
    "Von: Bob",
    "*From:* Ann",
    "Sent: Monday, 1 January 2024 10:00",
    "Gesendet: Montag",
    "Subject: your request",
    "To: help@example.org",
    "> quoted text",
    "  > indented quote",
    "-- ",
    "Sent from my phone",
    "",
    "   ",
    "Hello, my printer stopped working: can you help?",
    "Thanks, Ann",
    "wrote:",
    "x" * 320 + " wrote:",
    "İSTANBUL ofisinden yazdı:",
    "Ayşe yazdi:",
    "Quotıng Ann:",
    "ΣΟΦΊΑ έγραψε:",
    "2024年1月1日 10:00 山田 <yamada@example.jp>:",
]


def _before_quotes_line_by_line(text: str, patterns: PatternSet) -> str:
    from loopguard.classifier.text.patterns import fold
    from loopguard.classifier.text.quotes import _line_kind, _Markers

    normalized = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = normalized.split("\n")
    markers = _Markers.of(fold(normalized), patterns, signatures=False)
    for index, line in enumerate(lines):
        if line.lstrip().startswith(">"):
            continue
        if _line_kind(lines, index, markers, patterns) in ("quote", "forward"):
            return "\n".join(lines[:index])
    return text


@settings(max_examples=400)
@given(
    st.lists(st.one_of(st.sampled_from(_MARKERISH_LINES), st.text(max_size=80)), max_size=25),
    st.sampled_from(["\n", "\r\n"]),
)
def test_before_quotes_agrees_with_looking_at_every_line(
    patterns: PatternSet, lines: list[str], newline: str
) -> None:
    from loopguard.classifier.text.quotes import before_quotes

    text = newline.join(lines)
    assert before_quotes(text, patterns) == _before_quotes_line_by_line(text, patterns)


def test_a_text_part_without_headers_is_the_authors_text() -> None:
    # A part with no header at all is text/plain (RFC 2046 5.1); it is falsy as a Message
    # (no header), which once made it count as "no text part".
    message = email.message_from_string(
        'Content-Type: multipart/mixed; boundary="b"\n\n--b\n\nI am away until Monday.\n'
        "--b\nContent-Type: text/html\n\n<p>other</p>\n--b--\n"
    )
    assert author_text(message).text == "I am away until Monday."


def test_a_view_reads_the_parts_it_has_decoded() -> None:
    from loopguard.mail.view import MessageView

    view = MessageView.from_bytes(b"Subject: x\n\nI am away until Monday.\n")
    assert author_text(view) == author_text(view.parsed)
    assert view.parts[0].text() is view.parts[0].text()  # decoded once, then cached


@settings(max_examples=300)
@given(
    st.text(alphabet=st.characters(max_codepoint=127), max_size=200)
    | st.text(max_size=100)
    | st.text(alphabet="ab1_ -.'\n\xa0’é中²\u3000\u0301\x85\u2028\x1c", max_size=60)
    | st.lists(st.sampled_from(_MARKERISH_LINES), max_size=6).map("\n".join)
)
def test_the_word_split_of_a_text_is_the_word_regex(text: str) -> None:
    from loopguard.classifier.text.patterns import fold
    from loopguard.classifier.text.phraseindex import WORD, _words

    folded = fold(text)
    assert _words(folded) == frozenset(WORD.findall(folded))


@settings(max_examples=400)
@given(
    st.lists(st.one_of(st.sampled_from(_MARKERISH_LINES), st.text(max_size=80)), max_size=25),
    st.sampled_from(["\n", "\r\n"]),
)
def test_cutting_reads_only_lines_that_can_be_markers(
    patterns: PatternSet, lines: list[str], newline: str
) -> None:
    from unittest import mock

    from loopguard.classifier.text import quotes

    text = newline.join(lines)
    found = quotes.cut_author_part(text, patterns)
    before = quotes.before_quotes(text, patterns)
    every_line = lambda self, markers, field, every_kind: range(len(self.lines))  # noqa: E731
    with mock.patch.object(quotes._Lines, "candidates", every_line):
        assert found == quotes.cut_author_part(text, patterns)
        assert before == quotes.before_quotes(text, patterns)


def test_case_twins_are_the_regex_engines() -> None:
    from re._casefix import _EXTRA_CASES  # type: ignore[import-not-found]

    from loopguard.classifier.text.patterns import CASE_TWINS

    expected = {chr(code): {chr(twin) for twin in twins} for code, twins in _EXTRA_CASES.items()}
    assert {letter: set(twins) for letter, twins in CASE_TWINS.items()} == expected


def test_a_marker_matched_through_a_case_twin_still_cuts(patterns: PatternSet) -> None:
    from loopguard.classifier.text.quotes import before_quotes, cut_author_part

    # The regex engine takes dotless "ı" for "i": the line matches "Originalnachricht"
    # without holding its anchor, which the first line supplies.
    text = "Die Originalnachricht fehlt.\n-----Orıgınalnachricht-----\nalt"
    assert cut_author_part(text, patterns).text == "Die Originalnachricht fehlt."
    assert before_quotes(text, patterns) == "Die Originalnachricht fehlt."


_HTML_PIECES = st.lists(
    st.sampled_from(
        [
            "<p>", "</p>", "<div>", "<br>", "text", " ", "&amp;", "&#x41;", "&lt", "x;", "<",
            ">", "a < b", "<script>if (a<b) {}</script>", "<style>p{}</style>", "<!--", "-->",
            "<blockquote>", "</blockquote>", '<div class="gmail_signature">', "</", "<!x",
            "<a href='<x>'>", "\n",
        ]
    ),
    max_size=40,
).map("".join)  # fmt: skip


def _one_feed(html: str) -> str:
    from loopguard.mail.html import _defuse, _TextExtractor

    parser = _TextExtractor()
    try:
        parser.feed(_defuse(html))
        parser.close()
    except Exception:  # html_to_text keeps the text before the damage too
        pass
    return parser.text()


@settings(max_examples=300)
@given(_HTML_PIECES, st.integers(min_value=0, max_value=120))
def test_html_read_in_pieces_or_up_to_a_limit_is_the_same_text(html: str, limit: int) -> None:
    from unittest import mock

    from loopguard.mail import html as html_module

    whole = _one_feed(html)
    with mock.patch.object(html_module, "_CHUNK", 1):  # a piece before every "<"
        assert html_to_text(html) == whole
        limited = html_to_text(html, limit=limit)
    assert limited[:limit] == whole[:limit]
    assert (len(limited) > limit) == (len(whole) > limit)


@pytest.mark.parametrize(
    ("pattern", "last"),
    [
        (r"[^\n]{0,200}?<[^\n]{0,200}?>\s*+[:：]", {":", "："}),
        (r"wrote\s*+[:：]", {":", "："}),
        (r"元のメッセージ", {"ジ"}),
        (r"Original\s+Message", None),  # a letter: the case-insensitive match may end in "E"
        (r"wrote:|Original", None),  # a top-level alternation ends in either
        (r"wrote:?", None),
        (r"", None),
    ],
)
def test_markers_know_their_last_characters_only_when_the_regex_says_so(
    pattern: str, last: set[str] | None
) -> None:
    import re

    from loopguard.classifier.text.quotes import _last_characters

    assert _last_characters(re.compile(pattern, re.I)) == last


def _packaged_phrases() -> list[object]:
    from loopguard.classifier.text.languages import default_patterns

    vocabulary = "until out of the office i will be back see you i'll take a look"
    return [
        phrase
        for found in default_patterns().phrases.values()
        for phrase in found
        if phrase.anchor in vocabulary
    ]


@settings(max_examples=400)
@given(
    st.sampled_from(_packaged_phrases()),
    st.lists(
        st.sampled_from(
            ["until", "UNTIL", "untıl", "out of the office", "I will be back", "ſee you", " ",
             "\n", "İ", "will", "back on", "Σ", "ς", "σ", "x", "-", "I'm", "ünd", "i", "\t",
             "\xa0", "\u2028", "be", "I’ll", "ll", "i'll be back", "xI'll"]
        ),
        max_size=30,
    ).map("".join),
)  # fmt: skip
def test_phrases_are_tried_where_their_first_letters_are_as_everywhere(
    phrase: object, text: str
) -> None:
    from loopguard.classifier.text.patterns import fold, phrase_matches
    from loopguard.classifier.text.phraseindex import CompiledPhrase

    assert isinstance(phrase, CompiledPhrase)
    everywhere = [(m.start(), m.end()) for m in phrase.regex.finditer(text)]
    assert [
        (m.start(), m.end()) for m in phrase_matches(phrase.regex, text, fold(text))
    ] == everywhere


@settings(max_examples=300)
@given(
    st.text(alphabet="ab:>-\n\r ", max_size=80),
    st.sampled_from([":", ">", "--", "ab", "b"]),
)
def test_first_hits_are_each_lines_first_occurrence(text: str, needle: str) -> None:
    from loopguard.classifier.text.quotes import _Lines

    lines = _Lines(text)
    expected = [
        (number, line.find(needle)) for number, line in enumerate(lines.lines) if needle in line
    ]
    assert list(lines.first_hits(needle, lines.text)) == expected
