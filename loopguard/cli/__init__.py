"""The command line: ``loopguard classify | replay | check``."""

from __future__ import annotations

from loopguard.cli.commands import run

__all__ = ["run"]
