"""The command line: ``loopguard classify | replay | check``.

:mod:`~loopguard.cli.main` builds the parser and runs a command; each command lives in its
own ``*_command`` module; :mod:`~loopguard.cli.console` holds what they share (streams,
exit codes, safe text, progress); :mod:`~loopguard.cli.mailbox` reads mail from disk and
:mod:`~loopguard.cli.replay` feeds it through a guard on the mailbox's own time.
"""

from __future__ import annotations

from loopguard.cli.main import run

__all__ = ["run"]
