"""The scenario lab's command line: one simulated day of mail per scenario, and what the
guard let through (the lab itself is the package ``benchmarks/scenariolab/``).

Usage: ``python benchmarks/scenarios.py [--fast] [--only NAME ...] [--json]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, Python puts this folder first on the path; loaded by path (the tests), not.
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))

from scenariolab import main

if __name__ == "__main__":
    sys.exit(main())
