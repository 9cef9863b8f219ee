"""The command line: ``loopguard classify | replay | check | tune``.

:mod:`~loopguard.cli.main` builds the parser and runs a command; each command lives in its
own ``*_command`` module; :mod:`~loopguard.cli.console` holds what they share (streams,
exit codes, safe text, progress); :mod:`~loopguard.cli.mailbox` reads mail from disk and
:mod:`~loopguard.cli.replay` feeds it through a guard on the mailbox's own time;
:mod:`~loopguard.cli.tuning` compares the ladders of :mod:`~loopguard.cli.ladders` on it.
"""

from __future__ import annotations

from loopguard.cli.main import run

__all__ = ["run"]
