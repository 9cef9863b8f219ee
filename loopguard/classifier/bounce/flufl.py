"""The flufl.bounce adapter: its detectors, one by one, shielded and size-gated.

flufl.bounce walks every body line 48 times on mail that is not a bounce, so the caller
gates it to bounce candidates whose own reading found nothing, and this module caps the
size. Its ``all_failures()`` stops at the first detector that raises (some do on real
mail, e.g. Yale on an empty From) and logs a traceback; running the detectors one by one
skips only the broken one.
"""

from __future__ import annotations

import email.message
import logging
from typing import Any

from loopguard.mail.address import normalize_address
from loopguard.mail.parts import walk

__all__ = ["flufl_failures"]

log = logging.getLogger(__name__)

_FLUFL_MAX_PARTS = 20  # flufl.bounce runs only on messages of a bounce's size


def flufl_failures(message: email.message.Message) -> tuple[set[str], set[str], str | None]:
    """Permanent and temporary failed recipients flufl.bounce finds, and what went wrong."""
    parts = sum(1 for _ in walk(message, limit=_FLUFL_MAX_PARTS + 1))
    if parts > _FLUFL_MAX_PARTS:
        # Its detectors re-walk the whole tree for every body line: quadratic on hostile
        # structures (seconds for a few thousand parts). Real bounces have a handful.
        return set(), set(), f"flufl.bounce skipped: more than {_FLUFL_MAX_PARTS} MIME parts"
    damage = None
    for detector in _detectors():
        try:
            temporary, permanent = detector().process(message)
        except Exception as exc:
            log.debug("flufl.bounce detector %s failed", detector.__name__, exc_info=True)
            damage = damage or f"flufl.bounce {detector.__name__}: {type(exc).__name__}"
            continue
        if temporary or permanent:
            failed = _addresses(permanent)
            return failed, _addresses(temporary) - failed, damage
    return set(), set(), damage


def _detectors() -> list[type[Any]]:
    try:
        from flufl.bounce._scan import _DETECTORS
    except ImportError:  # a future flufl.bounce may move its list: use the public call
        from flufl.bounce import all_failures

        class _AllFailures:
            def process(self, msg: email.message.Message) -> tuple[Any, Any]:
                return all_failures(msg)

        return [_AllFailures]
    return list(_DETECTORS)


def _addresses(found: frozenset[bytes]) -> set[str]:
    addresses: set[str] = set()
    for raw in found:
        address = normalize_address(raw.decode("utf-8", "replace"))
        if address and "@" in address:
            addresses.add(address)
    return addresses
