"""Address normalization: one canonical form for keys, comparisons and verdicts."""

from __future__ import annotations

import email.utils
import re

__all__ = ["domain_of", "local_part_of", "normalize_address", "parse_address_list"]

# RFC 5321 caps a path at 256 octets; anything much longer is not an address worth parsing.
_MAX_INPUT = 2048
# The stdlib's address parser recurses once per nested comment, so "((((..." deeper than
# the recursion limit raises RecursionError. Real addresses nest a comment or two.
_MAX_COMMENT_DEPTH = 32
_WHITESPACE = re.compile(r"\s")
# A display name without quotes, comments or specials, then <addr>; or a bare addr.
_SIMPLE = re.compile(
    r"[\w .'-]{0,200}<([\w.+-]{1,64}@[\w.-]{1,255})>|([\w.+-]{1,64}@[\w.-]{1,255})"
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
    if simple is None and _too_deep(text):
        return None
    # Most headers are "Name <local@domain>" or a bare address: skip the full parser.
    addr = simple.group(1) or simple.group(2) if simple else email.utils.parseaddr(text)[1]
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
    """``email.utils.getaddresses([value])``, safe on hostile input: a value with comments
    nested deeper than any real address (which would exhaust the recursion limit) gives
    no address at all. Never raises."""
    if _too_deep(value):
        return []
    return email.utils.getaddresses([value])


def _too_deep(text: str) -> bool:
    if text.count("(") <= _MAX_COMMENT_DEPTH:
        return False  # the common case, decided by one count in C
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
            if depth > _MAX_COMMENT_DEPTH:
                return True
        elif char == ")" and depth:
            depth -= 1
    return False


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
