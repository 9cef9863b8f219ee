"""The library's exceptions: one base class, so callers need a single ``except``."""

from __future__ import annotations

__all__ = ["ConfigurationError", "LoopguardError", "StoreError"]


class LoopguardError(Exception):
    """Base class of every exception loopguard raises on purpose."""


class ConfigurationError(LoopguardError, ValueError):
    """Bad configuration, raised at construction time (bad limit, bad URL, missing extra)."""


class StoreError(LoopguardError):
    """A rate store failed (server down, timeout, locked database); chained to the cause."""
