"""One decoder for body bytes: the transfer encoding, then the charset, as senders mean it.

Every reader of a message's text (the body rules, the out-of-office step, the bounce
reader, the guard's token search) gets its bytes and its text from here, so that they all
read the same decoding of one message.
"""

from __future__ import annotations

import binascii
import codecs
import contextlib
import email.message
import re

__all__ = ["charset_of", "decode_bytes", "transfer_decoded"]

# Labels mail declares, mapped to the Python codec that decodes what senders really mean
# by them: Windows and CJK supersets of the registered charsets.
_CODEC_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "cp936": "gb18030",
    "gb_2312-80": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-8-i": "iso-8859-8",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "utf8": "utf-8",
}
# What a hostile charset label can make ``bytes.decode`` raise: bad bytes, unknown or
# non-text codecs ("base64"), codecs that always fail ("undefined") or reject "replace".
_DECODE_FAILURES = (UnicodeError, LookupError, ValueError, TypeError)
# ISO-2022-JP as real mailers write it: NEC and IBM extensions need the wider codecs.
_ISO_2022_JP_FAMILY = ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_3")
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/]+")


def transfer_decoded(part: email.message.Message) -> bytes:
    """A leaf part's body with its transfer encoding undone; never raises.

    Base64 is decoded as far as it goes: the stdlib returns the *undecoded* text when the
    length is not a whole number of quanta, which is what a body cut at the parse limit
    looks like. Empty for a multipart or a broken part.
    """
    try:
        raw = _base64_payload(part) or part.get_payload(decode=True)
    except (ValueError, binascii.Error, LookupError, TypeError):
        raw = None
    return raw if isinstance(raw, bytes) else b""


def charset_of(part: email.message.Message) -> str | None:
    """The charset a part declares, or ``None``; never raises."""
    try:
        return part.get_content_charset()
    except (ValueError, LookupError, TypeError):
        return None


def _base64_payload(part: email.message.Message) -> bytes | None:
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if encoding != "base64":
        return None  # before get_payload(), which re-decodes 8-bit text with the charset
    payload = part.get_payload()
    if not isinstance(payload, str):
        return None
    alphabet = _NOT_BASE64.sub("", payload)
    whole = alphabet[: len(alphabet) - len(alphabet) % 4]
    tail = alphabet[len(whole) :]
    padded = whole + (tail + "=" * (4 - len(tail)) if len(tail) > 1 else "")
    return binascii.a2b_base64(padded)


def decode_bytes(data: bytes, declared: str | None) -> tuple[str, str]:
    """Decode body bytes, trusting the declared charset only as far as the bytes allow.

    1. Valid UTF-8 with non-ASCII bytes is UTF-8 whatever the label says: mislabelled UTF-8
       is the most common lie, and legacy text is almost never valid UTF-8.
    2. The declared charset, through Windows/CJK superset aliases, tolerating a few bad
       bytes: a body cut at the parse limit ends in half a character.
    3. Windows-1252 with replacement characters: never fails.

    Returns:
        The text and the codec that produced it.
    """
    if not data.isascii():
        with contextlib.suppress(UnicodeDecodeError):
            return data.decode("utf-8"), "utf-8"
    for codec in _declared_codecs(data, declared):
        text = _decode_tolerant(data, codec)
        if text is not None:
            return text, codec
    return data.decode("cp1252", "replace"), "cp1252"


def _declared_codecs(data: bytes, declared: str | None) -> list[str]:
    label = (declared or "").strip().strip('"').lower()
    codec = _CODEC_ALIASES.get(label, label)
    if codec.startswith("iso-2022-jp") or (not codec and b"\x1b$" in data):
        return list(_ISO_2022_JP_FAMILY)
    if not codec:
        return ["utf-8"]  # undeclared: ASCII, or UTF-8 with a few bad bytes
    return [codec] if _known_codec(codec) else []


def _decode_tolerant(data: bytes, codec: str) -> str | None:
    """``data`` in ``codec``, if the only damage is a cut character at the end or is rare.

    Rare means one replaced character per 200: a stray byte in a long legacy text, not a
    wrong label (a wrong label damages every non-ASCII character).
    """
    try:
        text = data.decode(codec, "replace")
    except _DECODE_FAILURES:
        return None
    damaged = text.count("\ufffd")
    cut_at_end = damaged <= 3 and "\ufffd" not in text.rstrip("\ufffd")
    return text if cut_at_end or damaged <= len(text) // 200 else None


def _known_codec(name: str) -> bool:
    try:
        codecs.lookup(name)
    except (LookupError, ValueError, TypeError):  # unknown, or a name with a NUL in it
        return False
    return True
