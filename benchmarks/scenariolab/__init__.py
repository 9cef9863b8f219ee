"""The scenario lab: one simulated day of mail per scenario, and what the guard let through.

Each scenario builds a :class:`loopguard.Guard` the way a help desk following
docs/recipes.md does (our address ``help@desk.example``, a secret, the default limits and
policy unless the scenario is about a setting, every acknowledgement stamped), writes the
other side's mail message by message as real bytes, moves a
:class:`loopguard.testing.FakeClock` through the day and counts what the guard allowed:

- a **loop** is a closed system: every acknowledgement the guard allows produces the next
  incoming message, one round a minute. The number is acknowledgements sent in 24 h; issue
  12 promises at most 10, the first rung of the default ladder;
- a **human** flow counts the people who wrote and how many of their messages were
  answered; the promise is all of them.

Every loop also runs against a guard whose classifier reads headers only
(``Classifier(text_heuristics=False, body_rules=())``), in the row ``NAME/headers-only``: the
partner's case system then reads as a person, as a responder with other words would, and
only the guard's own defences (who is counted, reservation, the ladder) cut the loop. The
promises hold on both.

Usage: ``python benchmarks/scenarios.py [--fast] [--only NAME ...] [--json]``. ``--fast``
runs the subset CI runs and stops a loop as soon as it has broken its promise (the count
only grows during the day, so the verdict cannot change). The lab uses only the public API
(``import loopguard``, ``loopguard.testing``), so it keeps measuring whatever the package's
internal layout. A scenario calling an API the guard does not have yet is reported as
"n/a (feature missing)" and fails; nothing stops the run.

The lab is this package, run by ``benchmarks/scenarios.py``; one module per part:

- ``core``: the day's constants, ``Outcome`` and ``Row``, the registry (``SCENARIOS``,
  ``loop_scenario``, ``human_scenario``) and ``KNOWN_BROKEN``;
- ``mail``: message bytes and headers; ``desk``: our guard and help desk;
- ``casesystem``: the partner's case system; ``loops``: closed loops and issue 12's loop
  rows; ``loop_probes``: other shapes of the other side;
- ``people``: who writes and what; ``threads``: conversations and their events;
  ``replay``: a day of human mail through a desk; ``humans``: the realistic mailbox and the
  people of issue 12; ``human_probes``: people who share or change an address;
- ``attacks``: forged mail against a customer and a mail bomb; ``concurrency``: workers
  inside ``dispatching()`` on every store;
- ``cli``: the table and the command line.

The table lists the rows in the order their modules register them, imported below.
"""

from __future__ import annotations

# isort: off
from . import loops, loop_probes, humans, human_probes, attacks, concurrency  # noqa: F401

# isort: on
from .cli import main, run, verdict
from .core import BLIND, KNOWN_BROKEN, SCENARIOS, Scenario, fast_names, new_api, run_scenario

__all__ = [
    "BLIND",
    "KNOWN_BROKEN",
    "SCENARIOS",
    "Scenario",
    "fast_names",
    "main",
    "new_api",
    "run",
    "run_scenario",
    "verdict",
]
