"""Entry point of ``loopguard`` and ``python -m loopguard`` (the commands live in loopguard.cli)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from loopguard.cli import run

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on ``argv`` (``sys.argv[1:]`` by default); returns the exit code."""
    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
