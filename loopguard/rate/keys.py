"""Store keys for rate tracking: normalized, hashed, Redis-Cluster friendly.

A key looks like ``v1:pair:{3f9a…}``: a format version, the scope, and a 128-bit digest of
the normalized address(es) or thread id inside a Redis Cluster hash tag, so that every
key maps to one hash slot and no store ever sees an address in the key itself. Without
a secret the digest is a plain SHA-256, which hides addresses from casual reading but can
be reversed by guessing; with a secret it is an HMAC-SHA256 that cannot.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Final, Literal

from loopguard.errors import ConfigurationError
from loopguard.mail.address import normalize_address

__all__ = ["SCOPES", "KeyDeriver", "MailEvent", "Scope"]

#: What a limit counts events by.
Scope = Literal["pair", "sender", "recipient", "thread", "domain", "answers"]
SCOPES: Final[tuple[Scope, ...]] = ("pair", "sender", "recipient", "thread", "domain", "answers")

_KEY_VERSION: Final = "v1"
_DIGEST_BYTES: Final = 16  # 128 bits: collisions stay negligible at billions of keys
_DIGEST_HEX: Final = 2 * _DIGEST_BYTES
# Normalizing an address costs ~7 µs; mail reuses few addresses (one help desk, repeat
# senders), so a small cache pays. It is cleared when full, which bounds its memory.
_DEFAULT_CACHE_SIZE: Final = 65_536


@dataclass(frozen=True, slots=True)
class MailEvent:
    """One automatic answer about to be sent, as the tracker sees it.

    Attributes:
        sender: Who is on the other side (the address the answer would go to).
        recipient: The address that received it (the one that would answer).
        thread: The root Message-ID of the conversation (first of References, else
            In-Reply-To, else the Message-ID), if the caller knows it.
        domain: The sender's organization (its registrable domain), when it is counted
            by domain; ``None`` for a shared free-mail domain or an unknown one.
        answering: The incoming mail answers one of our own automatic answers.
    """

    sender: str | None = None
    recipient: str | None = None
    thread: str | None = None
    domain: str | None = None
    answering: bool = False


class KeyDeriver:
    """Turns a :class:`MailEvent` into one store key per scope.

    Args:
        secret: Key for HMAC-SHA256; with it, no store holds anything from which an
            address can be recovered. Keep it stable: a new secret starts new counters.
        fold_subaddress: Count ``user+tag@example.org`` as ``user@example.org``.
        cache_size: How many normalized addresses to remember.

    Raises:
        ConfigurationError: An empty secret or a negative cache size.
    """

    def __init__(
        self,
        *,
        secret: bytes | str | None = None,
        fold_subaddress: bool = False,
        cache_size: int = _DEFAULT_CACHE_SIZE,
    ) -> None:
        if secret is not None and not secret:
            raise ConfigurationError("the hashing secret must not be empty (use None for none)")
        if cache_size < 0:
            raise ConfigurationError(f"cache_size must be >= 0, got {cache_size}")
        self._secret = secret.encode() if isinstance(secret, str) else secret
        self._fold = fold_subaddress
        self._cache_size = cache_size
        self._cache: dict[str, str | None] = {}

    def key(self, scope: Scope, event: MailEvent) -> str | None:
        """The store key of ``event`` in ``scope``, or ``None`` if the event lacks that part."""
        return self.key_of(
            scope, event.sender, event.recipient, event.thread, event.domain, event.answering
        )

    def key_of(
        self,
        scope: Scope,
        sender: str | None,
        recipient: str | None,
        thread: str | None,
        domain: str | None = None,
        answering: bool = False,
    ) -> str | None:
        """Like :meth:`key`, from the parts (the tracker's hot path builds no event).

        A thread is counted per (thread, sender) when the sender is known, so that a
        stranger who cites a conversation's root cannot spend its participants' count.
        Answers to our own answers are counted per domain, else per sender.
        """
        if scope == "pair":
            sender = self.address(sender)
            recipient = self.address(recipient)
            if sender is None or recipient is None:
                return None
            material = f"{sender}\n{recipient}"
        elif scope == "thread":
            thread = _thread_id(thread)
            if thread is None:
                return None
            who = self.address(sender)
            material = f"{thread}\n{who}" if who else thread
        elif scope == "domain":
            if not domain:
                return None
            material = domain.strip().casefold()
        elif scope == "answers":
            if not answering:
                return None
            who = domain.strip().casefold() if domain else self.address(sender)
            if not who:
                return None
            material = who
        else:
            address = self.address(sender if scope == "sender" else recipient)
            if address is None:
                return None
            material = address
        return f"{_KEY_VERSION}:{scope}:{{{self._digest(material)}}}"

    def address(self, value: str | None) -> str | None:
        """The normalized form of ``value`` that keys are built from, or ``None`` if blank.

        Text that is not an address is still counted (case-folded and stripped), so a
        responder with a broken From header cannot slip past the limits.
        """
        if not value:
            return None
        cached = self._cache.get(value, _MISSING)
        if cached is not _MISSING:
            return cached
        normalized = normalize_address(value, fold_subaddress=self._fold)
        if normalized is None:
            normalized = value.strip().strip("<>").strip().casefold() or None
        if len(self._cache) >= self._cache_size:
            self._cache.clear()
        if self._cache_size:
            self._cache[value] = normalized
        return normalized

    def _digest(self, material: str) -> str:
        data = material.encode("utf-8", "surrogatepass")
        if self._secret is None:
            return hashlib.sha256(data).hexdigest()[:_DIGEST_HEX]
        return hmac.digest(self._secret, data, "sha256")[:_DIGEST_BYTES].hex()


_MISSING: Final = "\0missing"


def _thread_id(value: str | None) -> str | None:
    # Message-IDs are compared as written (their left part is case-sensitive); only
    # the angle brackets and surrounding whitespace vary between headers.
    if not value:
        return None
    return value.strip().strip("<>").strip() or None
