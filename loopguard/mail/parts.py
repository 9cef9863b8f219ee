"""The one walk over a parsed message's MIME tree: iterative, bounded, not into attachments.

Every reader of a body walks it here, and gets each part's bytes and text from the one
decoder (:mod:`loopguard.mail.decode`), decoded at most once per part.
"""

from __future__ import annotations

import email.message
from collections.abc import Iterator

from loopguard.mail.decode import charset_of, decode_bytes, transfer_decoded

__all__ = ["MAX_PARTS", "Part", "walk"]

#: Parts a walk visits at most; a report or a person's mail has a handful.
MAX_PARTS = 200


class Part:
    """One node of a message's MIME tree, as the walk met it.

    Attributes:
        message: The stdlib part (the message itself at depth 0).
        content_type: Its ``maintype/subtype``, lower-cased.
        depth: How many multiparts enclose it.
        preferred: ``False`` inside a rendering of a multipart/alternative that another
            rendering is preferred to (the plain text one, else the last).
    """

    __slots__ = (
        "_attachment",
        "_payload",
        "_text",
        "content_type",
        "depth",
        "message",
        "preferred",
    )

    def __init__(self, message: email.message.Message, depth: int, preferred: bool) -> None:
        self.message = message
        self.content_type = message.get_content_type()
        self.depth = depth
        self.preferred = preferred
        self._attachment: bool | None = None
        self._payload: bytes | None = None
        self._text: tuple[str, str] | None = None

    @property
    def is_leaf(self) -> bool:
        """Whether the part holds a body rather than other parts."""
        return not self.message.is_multipart()

    @property
    def is_attachment(self) -> bool:
        """Whether the part is marked ``Content-Disposition: attachment`` (read once: a
        header lookup walks every header of the part)."""
        if self._attachment is None:
            disposition = str(self.message.get("Content-Disposition", "")).strip().lower()
            self._attachment = disposition.startswith("attachment")
        return self._attachment

    @property
    def payload(self) -> bytes:
        """The body with its transfer encoding undone (see
        :func:`~loopguard.mail.decode.transfer_decoded`), decoded once."""
        if self._payload is None:
            self._payload = transfer_decoded(self.message) if self.is_leaf else b""
        return self._payload

    def text(self) -> tuple[str, str]:
        """The body as text and the codec that decoded it (see
        :func:`~loopguard.mail.decode.decode_bytes`), decoded once."""
        if self._text is None:
            self._text = decode_bytes(self.payload, charset_of(self.message))
        return self._text


def walk(
    message: email.message.Message, *, limit: int = MAX_PARTS, enter_attached: bool = False
) -> Iterator[Part]:
    """The message and its parts in document order, at most ``limit`` of them.

    ``Message.walk()`` recurses, so 500-deep nesting would hit the recursion limit; this
    walk keeps its own stack. Attached messages (``message/*``: a forwarded mail, the
    original returned in a bounce) are listed but not entered unless ``enter_attached``:
    what they contain is somebody else's message, not this one's.
    """
    stack = [(message, 0, True)]
    seen = 0
    while stack and seen < limit:
        current, depth, preferred = stack.pop()
        seen += 1
        part = Part(current, depth, preferred)
        yield part
        # is_multipart() first: get_payload() of a leaf re-decodes 8-bit text with the
        # part's charset and raises on a hostile one ("idna", a NUL in the name).
        if not current.is_multipart():
            continue
        if part.content_type.startswith("message/") and not enter_attached:
            continue
        children = [p for p in current.get_payload() if isinstance(p, email.message.Message)]
        chosen = _preferred(children) if part.content_type == "multipart/alternative" else None
        stack.extend(
            (child, depth + 1, preferred and chosen in (None, child))
            for child in reversed(children)
        )


def _preferred(renderings: list[email.message.Message]) -> email.message.Message | None:
    for rendering in renderings:
        if rendering.get_content_type() == "text/plain":
            return rendering
    return renderings[-1] if renderings else None
