"""Address normalization: one canonical form for keys, comparisons and verdicts."""

from __future__ import annotations

import email.utils
import re

__all__ = ["domain_of", "local_part_of", "normalize_address", "parse_address_list"]

# RFC 5321 caps a path at 256 octets; anything much longer is not an address worth parsing.
_MAX_INPUT = 2048
_WHITESPACE = re.compile(r"\s")
# The forms most headers take, for which the stdlib's address parser returns exactly the
# captured address: a display name of words and quoted strings (no comment, no escape, no
# special) then <addr>; a bare addr, perhaps with a comment ("MAILER-DAEMON@host (Mail
# Delivery System)"); a lone token ("MAILER-DAEMON"). The alternatives of each repetition
# start with different characters: the match stays linear.
_SIMPLE = re.compile(
    r"(?:\"[^\"\\\r\n]{0,200}\"|[\w .!#$%&'*+/=?^`{|}~-]){0,200}<([\w.+-]{1,64}@[\w.-]{1,255})>"
    r"|([\w.+-]{1,64}@[\w.-]{1,255})(?:[ \t]*\([^()\\\r\n]{0,200}\))?"
    r"|([\w.+-]{1,64})"
)


def normalize_address(value: str | None, *, fold_subaddress: bool = False) -> str | None:
    """Return ``local@domain`` case-folded, with an IDNA (ASCII) domain, or ``None``.

    Display names, comments, angle brackets and surrounding whitespace are dropped.
    With ``fold_subaddress``, ``user+tag@example.org`` becomes ``user@example.org``.
    A bare local part (``MAILER-DAEMON``) is kept without a domain. Never raises.
    """
    if not value:
        return None
    text = value[:_MAX_INPUT].strip()
    if not text or text == "<>":
        return None
    simple = _SIMPLE.fullmatch(text)
    # Most headers are "Name <local@domain>" or a bare address: skip the full parser.
    addr = next(filter(None, simple.groups()), "") if simple else _parse_one(text)
    addr = addr.strip().strip("<>").strip()
    if not addr or _WHITESPACE.search(addr):
        return None
    if "@" not in addr and not _is_lone_token(text, addr):
        return None  # "not an address" parses as "not"; only a lone token or <token> counts
    local, sep, domain = addr.rpartition("@")
    if not sep:
        local, domain = addr, ""
    local = local.strip('"').casefold()
    if fold_subaddress and "+" in local:
        local = local.split("+", 1)[0]
    if not local:
        return None
    domain = _ascii_domain(domain.strip().rstrip("."))
    return f"{local}@{domain}" if domain else local


def parse_address_list(value: str) -> list[tuple[str, str]]:
    """``email.utils.getaddresses([value])``, safe on hostile input. Never raises.

    The stdlib's parser recurses once per nested comment ("((((...") and per nested
    group (": : : ..."); a value nested deeper than the recursion limit, which no real
    header is, gives no address at all.
    """
    try:
        return email.utils.getaddresses([value])
    except RecursionError:
        return []


def _parse_one(text: str) -> str:
    try:
        return email.utils.parseaddr(text)[1]
    except RecursionError:  # hostile nesting, see parse_address_list
        return ""


def _is_lone_token(text: str, token: str) -> bool:
    return text == token or text.endswith(f"<{token}>")


def _ascii_domain(domain: str) -> str:
    folded = domain.casefold()
    if folded.isascii():
        return folded
    try:
        encoded = folded.encode("idna").decode("ascii")
    except UnicodeError:
        # Not encodable as IDNA (empty label, label too long): keep the folded text.
        return folded
    # NFKC (IDNA's nameprep) turns spacing accents such as U+00B8 into a space and a
    # combining mark; an address never holds whitespace, so keep the folded text.
    return folded if _WHITESPACE.search(encoded) else encoded


def local_part_of(address: str) -> str:
    """The part before the last ``@`` of a normalized address."""
    return address.rpartition("@")[0] or address


def domain_of(address: str) -> str:
    """The domain of a normalized address, or ``""`` for a bare local part."""
    return address.rpartition("@")[2] if "@" in address else ""
