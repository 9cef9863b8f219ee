"""Store keys for rate tracking: normalized, hashed, Redis-Cluster friendly.

A key looks like ``v1:pair:{3f9a…}``: a format version, the scope, and a 128-bit digest of
the normalized address(es) or thread id inside a Redis Cluster hash tag, so that every
key maps to one hash slot and no store ever sees an address in the key itself. Without
a secret the digest is a plain SHA-256, which hides addresses from casual reading but can
be reversed by guessing; with a secret it is an HMAC-SHA256 that cannot.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final, Literal

from loopguard.errors import ConfigurationError
from loopguard.mail.address import normalize_address
from loopguard.rate.cache import BoundedCache

__all__ = ["SCOPES", "KeyDeriver", "MailEvent", "Scope"]

#: What a limit counts events by.
Scope = Literal["pair", "sender", "recipient", "thread", "domain", "answers"]
SCOPES: Final[tuple[Scope, ...]] = ("pair", "sender", "recipient", "thread", "domain", "answers")

_KEY_VERSION: Final = "v1"
_DIGEST_BYTES: Final = 16  # 128 bits: collisions stay negligible at billions of keys
_DIGEST_HEX: Final = 2 * _DIGEST_BYTES
# Normalizing an address costs 2-7 µs; mail reuses few addresses (one help desk, repeat
# senders) and the guard derives several keys from each correspondent of a message, so a
# small bounded cache pays (see BoundedCache). Remembered from the first sighting: a cache
# of those seen twice normalized each new correspondent twice per message in the guard.
_DEFAULT_CACHE_SIZE: Final = 4096
# HMAC-SHA256 (RFC 2104) with the key's two padded blocks hashed once: each digest then
# copies two prepared hashes (1.8 µs) where hmac.digest sets the key up anew (4 µs).
_BLOCK: Final = 64
_INNER_PAD: Final = bytes(byte ^ 0x36 for byte in range(256))
_OUTER_PAD: Final = bytes(byte ^ 0x5C for byte in range(256))


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
        key = secret.encode() if isinstance(secret, str) else secret
        self._keyed = _padded_hashes(key) if key is not None else None
        self._fold = fold_subaddress
        self._addresses: BoundedCache[str, str] = BoundedCache(cache_size)

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
            # The cache's own get first (no Python frame): nearly every address of a
            # pair was normalized before.
            known = self._addresses.get
            sender = known(sender or "") or self.address(sender)
            recipient = known(recipient or "") or self.address(recipient)
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
        normalized = self._addresses.get(value)
        if normalized is not None:
            return normalized
        normalized = normalize_address(value, fold_subaddress=self._fold)
        if normalized is None:
            normalized = value.strip().strip("<>").strip().casefold() or None
        if normalized is not None:
            # Most addresses arrive normalized already: remember the caller's string then,
            # not a second copy of it.
            self._addresses.put(value, value if normalized == value else normalized)
        return normalized

    def _digest(self, material: str) -> str:
        try:
            data = material.encode()  # an error handler argument costs a tenth of a digest
        except UnicodeEncodeError:  # lone surrogates: kept, never an error
            data = material.encode("utf-8", "surrogatepass")
        if self._keyed is None:
            return hashlib.sha256(data).hexdigest()[:_DIGEST_HEX]
        inner_start, outer_start = self._keyed
        inner = inner_start.copy()
        inner.update(data)
        outer = outer_start.copy()
        outer.update(inner.digest())
        return outer.digest()[:_DIGEST_BYTES].hex()


def _padded_hashes(key: bytes) -> tuple[hashlib._Hash, hashlib._Hash]:
    """SHA-256 states after the inner and the outer padded key block of HMAC."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    block = key.ljust(_BLOCK, b"\0")
    return hashlib.sha256(block.translate(_INNER_PAD)), hashlib.sha256(block.translate(_OUTER_PAD))


def _thread_id(value: str | None) -> str | None:
    # Message-IDs are compared as written (their left part is case-sensitive); only
    # the angle brackets and surrounding whitespace vary between headers.
    if not value:
        return None
    return value.strip().strip("<>").strip() or None
