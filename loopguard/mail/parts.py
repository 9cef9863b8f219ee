"""Walking a parsed message's MIME tree safely: iterative, bounded, and not into attachments."""

from __future__ import annotations

import email.message
from collections.abc import Iterator

__all__ = ["own_parts"]


def own_parts(
    message: email.message.Message, *, limit: int = 200
) -> Iterator[email.message.Message]:
    """The message and its parts in document order, at most ``limit`` of them.

    ``Message.walk()`` recurses, so 500-deep nesting would hit the recursion limit; this
    walk keeps its own stack. Attached messages (``message/*``: a forwarded mail, the
    original returned in a bounce) are listed but not entered: what they contain is
    somebody else's message, not this one's.
    """
    stack = [message]
    seen = 0
    while stack and seen < limit:
        part = stack.pop()
        seen += 1
        yield part
        # is_multipart() first: get_payload() of a leaf re-decodes 8-bit text with the
        # part's charset and raises on a hostile one ("idna", a NUL in the name).
        if part.is_multipart() and part.get_content_maintype() != "message":
            payload = part.get_payload()
            stack.extend(reversed([p for p in payload if isinstance(p, email.message.Message)]))
