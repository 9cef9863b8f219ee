"""Speed and memory of `loopguard classify` on a large mbox, in one streaming pass.

Generates an mbox of N messages (default 100,000) in a temporary directory from the
bundled examples (examples/messages/*.eml and examples/loop.mbox, cycled: people,
auto-replies, bounces, lists, notifications, receipts), runs
``python -m loopguard classify --json --quiet`` on it in a child process with stdout to
/dev/null, and prints messages/s and the child's peak RSS. A smaller run first shows
that memory does not grow with the mailbox. Nothing is written outside the temp dir.

``--replay`` measures ``loopguard replay --quiet`` (date order, memory store) instead;
``--tune`` measures ``loopguard replay --quiet`` and ``loopguard tune --quiet`` on the same
mbox and prints what tune costs per message as a multiple of replay.

Usage: ``python benchmarks/bench_cli.py [--messages N] [--small N] [--headers-only]
[--replay | --tune]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from loopguard.cli.mailbox import MailItem, read_inputs

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def sample_messages() -> list[bytes]:
    """The bundled example messages, in a fixed order."""
    inputs = [*sorted(str(p) for p in (EXAMPLES / "messages").glob("*.eml"))]
    inputs.append(str(EXAMPLES / "loop.mbox"))
    return [item.raw for item in read_inputs(inputs) if isinstance(item, MailItem)]


def write_mbox(path: Path, count: int, samples: list[bytes]) -> int:
    """Write ``count`` messages cycled from ``samples``; return the file size."""
    with path.open("wb") as out:
        for number in range(count):
            out.write(b"From bench@example.com Mon Nov 23 10:00:00 2026\n")
            out.write(samples[number % len(samples)].rstrip(b"\n"))
            out.write(b"\n\n")
    return path.stat().st_size


def run_command(path: Path, arguments: list[str]) -> tuple[float, int]:
    """Seconds and peak RSS (bytes) of one `loopguard ARGUMENTS PATH` child process."""
    command = [sys.executable, "-m", "loopguard", *arguments, str(path)]
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err)
        # wait4 gives this child's own rusage (RUSAGE_CHILDREN would mix all runs).
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{arguments[0]} failed ({child.returncode}): {err.read()[-500:]!r}")
    return elapsed, usage.ru_maxrss * 1024  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000, help="the smaller run (0: none)")
    parser.add_argument("--headers-only", action="store_true")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--replay", action="store_true")
    mode.add_argument("--tune", action="store_true", help="replay, then tune: the ratio")
    args = parser.parse_args()
    commands = [["classify", "--json", "-q"]]
    if args.replay or args.tune:
        commands = [["replay", "-q"], *([["tune", "-q"]] if args.tune else [])]
    if args.headers_only:
        commands[0].append("--headers-only")
    samples = sample_messages()
    print(
        f"loopguard {' / '.join(' '.join(command) for command in commands)}; "
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {len(samples)} sample messages"
    )
    with tempfile.TemporaryDirectory() as folder:
        for count in [n for n in (args.small, args.messages) if n]:
            path = Path(folder) / f"bench-{count}.mbox"
            size = write_mbox(path, count, samples)
            times = []
            for command in commands:
                elapsed, peak = run_command(path, command)
                times.append(elapsed)
                print(
                    f"{command[0]:<8} {count:>9,} messages  {size / 2**20:8.1f} MiB mbox  "
                    f"{elapsed:7.1f} s  {count / elapsed:8,.0f} msg/s  "
                    f"peak RSS {peak / 2**20:6.1f} MiB"
                )
            if len(times) == 2:
                print(f"tune / replay: {times[1] / times[0]:.1f}x the time")
            path.unlink()


if __name__ == "__main__":
    main()
