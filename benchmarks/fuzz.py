"""Fuzz harnesses: classify, Guard.check, may_autorespond, normalize_address, the mailbox
readers and stamp, each with an oracle stronger than "did not raise".

Two engines drive the same targets:

- ``--engine mutate`` (default): a seeded, dependency-free mutation fuzzer. It starts from
  the repository's fixtures (tests/fixtures/core, tests/fixtures/ooo, examples/) and
  mutates them with byte flips, cuts, splices, repeated slices, line-ending swaps and
  tokens that matter to mail parsers. Deterministic for a given ``--seed``: CI runs a short
  budget of it (tests/fuzz/test_fuzz_budget.py).
- ``--engine atheris``: coverage-guided (libFuzzer through atheris, ``pip install
  atheris``), seeded with the same inputs. For the long runs by hand.

Usage::

    python benchmarks/fuzz.py --target all --runs 2000 --seed 1          # quick, deterministic
    python benchmarks/fuzz.py --engine atheris --target classify --runs 300000 --seconds 900

Every unexpected exception (and every input slower than ``--slow`` seconds) is saved under
``--out`` (default /tmp/loopguard-fuzz/TARGET/) and counted; the run goes on. A finding
becomes a small hand-written regression test in tests/fuzz/test_regressions.py.
"""

from __future__ import annotations

import argparse
import email
import email.message
import email.policy
import hashlib
import os
import random
import shutil
import sys
import tempfile
import time
import traceback
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED_FOLDERS = (ROOT / "tests" / "fixtures" / "core", ROOT / "tests" / "fixtures" / "ooo")
EXAMPLES = ROOT / "examples"
MAX_LEN = 100_000

Target = Callable[[bytes], None]

#: Tokens that steer mail parsers into their less travelled paths.
TOKENS: tuple[bytes, ...] = (
    b"\r\n",
    b"\n\n",
    b"\n ",
    b"\r",
    b"\x00",
    b"\xff\xfe",
    b"\xc3",
    b"From ",
    b"\nFrom ",
    b">From ",
    b":",
    b"<>",
    b"<",
    b">",
    b"@",
    b'"',
    b"(",
    b")",
    b"((((((((((((((((",
    b";",
    b"=",
    b"=?",
    b"?=",
    b"=?utf-8?B?",
    b"=?utf-8?Q?",
    b"=?x-unknown?B?",
    b"=?iso-2022-jp?B?GyRC?=",
    b"boundary=",
    b'boundary="b"',
    b"\n--b\n",
    b"\n--b--\n",
    b"Content-Type: ",
    b"multipart/mixed",
    b"multipart/report; report-type=delivery-status",
    b"report-type=disposition-notification",
    b"message/rfc822",
    b"message/delivery-status",
    b"text/rfc822-headers",
    b"Content-Transfer-Encoding: base64\n",
    b"Content-Transfer-Encoding: quoted-printable\n",
    b"charset=",
    b"charset=utf-16",
    b"charset=x-nonsense",
    b"Auto-Submitted: auto-replied\n",
    b"Auto-Submitted: no\n",
    b"Precedence: bulk\n",
    b"List-Id: <l.example.org>\n",
    b"X-Auto-Response-Suppress: All\n",
    b"Return-Path: <>\n",
    b"Reply-To: ",
    b"Final-Recipient: rfc822; ",
    b"Original-Recipient: ",
    b"Action: failed\n",
    b"Action: delayed\n",
    b"Status: 5.1.1\n",
    b"Status: 4.4.7\n",
    b"Diagnostic-Code: smtp; 550 ",
    b"Received: from a by b;\n",
    b"References: <a@b> <c@d>\n",
    b"In-Reply-To: <",
    b"Message-ID: <",
    b"X-Loopguard-Token: ",
    b"lg1.0123456789abcdef.0123456789abcdef0123",
    b"MAILER-DAEMON",
    b"postmaster@",
    b"noreply@",
    b"Subject: Re: ",
    b"Subject: Automatic reply: ",
    b"Undelivered Mail Returned to Sender",
    b"out of the office",
    b"> ",
    b"-- \n",
    b"xn--",
    b"\xe2\x80\xae",
    b"\xef\xbb\xbf",
)


def seed_messages() -> list[bytes]:
    """Every fixture message and example, each at most MAX_LEN bytes, sorted by path."""
    paths = sorted(p for folder in SEED_FOLDERS for p in folder.rglob("*.eml"))
    paths += sorted((EXAMPLES / "messages").glob("*.eml"))
    seeds = [p.read_bytes()[:MAX_LEN] for p in paths]
    mbox = EXAMPLES / "loop.mbox"
    if mbox.exists():
        seeds.append(mbox.read_bytes()[:MAX_LEN])
    return seeds


def seed_addresses() -> list[bytes]:
    """Address-shaped seeds: the From/To/Reply-To values of the seed messages and odd cases."""
    found: list[bytes] = [
        b"",
        b"<>",
        b"MAILER-DAEMON",
        b'"Ann, the \\"boss\\"" <ann+tag@EXAMPLE.org>',
        b"ann@b\xc3\xbccher.example",
        b"(comment) ann@example.org (more)",
        b"=?utf-8?B?QW5u?= <ann@example.org>",
        b"group: a@example.org, b@example.org;",
        b"(((((((((((((((((((((((((((((((((((((((( a@example.org",
    ]
    for raw in seed_messages():
        for line in raw.split(b"\n")[:60]:
            name, sep, value = line.partition(b":")
            if sep and name.lower() in (b"from", b"to", b"reply-to", b"return-path", b"cc"):
                found.append(value.strip())
    return sorted(set(found))


# -- the targets and their oracles ---------------------------------------------------


def _check_verdict(verdict: object) -> None:
    from loopguard.classifier.verdict import Category, Verdict

    assert isinstance(verdict, Verdict)
    assert isinstance(verdict.category, Category)
    assert 0.0 <= verdict.confidence <= 1.0
    for reason in verdict.reasons:
        # A rule that raised is caught and reported; for the fuzzer it is a crash.
        assert reason.rule != "rule-error", reason
        # Details reach logs and terminals: one line, bounded (docs/classification.md).
        assert len(reason.detail.splitlines()) <= 1, reason
        assert len(reason.detail) <= 200, reason


def target_classify(data: bytes) -> None:
    from loopguard import classify

    _check_verdict(classify(data))


class _GuardTarget:
    """Guard.check on a memory store; a fresh guard every 10,000 calls bounds memory."""

    def __init__(self) -> None:
        self.calls = 0
        self.guard = self._new()

    @staticmethod
    def _new() -> object:
        from loopguard import Guard, MemoryStore

        return Guard(store=MemoryStore(), own_addresses=["help@example.org"], secret=b"fuzz")

    def __call__(self, data: bytes) -> None:
        from loopguard import Action, Category, Guard

        self.calls += 1
        if self.calls % 10_000 == 0:
            self.guard = self._new()
        guard = self.guard
        assert isinstance(guard, Guard)
        envelope = _ENVELOPES[data[0] % len(_ENVELOPES)] if data else None
        decision = guard.check(data, recipient="help@example.org", envelope_sender=envelope)
        _check_verdict(decision.verdict)
        assert isinstance(decision.action, Action)
        if decision.allowed:
            # The default trigger fires for person-written mail only.
            assert decision.verdict.category is Category.HUMAN, decision
        # A key hash is safe to log: never an address.
        assert decision.key is None or "@" not in decision.key, decision.key


_ENVELOPES: tuple[str | None, ...] = (None, None, "", "<>", "ann@example.com", "help@example.org")


def target_autorespond(data: bytes) -> None:
    from loopguard import may_autorespond

    envelope = _ENVELOPES[data[0] % len(_ENVELOPES)] if data else None
    allowed, reasons = may_autorespond(
        data, recipient="help@example.org", envelope_sender=envelope, addresses=["me@example.org"]
    )
    assert allowed is (not reasons)
    for reason in reasons:
        assert len(reason.detail) <= 200, reason


def target_address(data: bytes) -> None:
    from loopguard.mail.address import normalize_address

    text = data.decode("utf-8", "surrogateescape")
    for fold in (False, True):
        result = normalize_address(text, fold_subaddress=fold)
        if result is None:
            continue
        assert result, text
        assert not any(char.isspace() for char in result), (text, result)
        assert result == result.casefold() or not result.isascii(), (text, result)
        assert len(result) <= 2 * 2048, (text, result)


class _MailboxTarget:
    """The command line's readers over a file and a Maildir holding the fuzzed bytes."""

    def __init__(self, folder: Path | None = None) -> None:
        if folder is None:
            folder = Path(tempfile.mkdtemp(prefix="loopguard-fuzz-"))
            weakref.finalize(self, shutil.rmtree, folder, ignore_errors=True)
        self.folder = folder
        self.file = self.folder / "input"
        self.maildir = self.folder / "Maildir"
        for part in ("cur", "new", "tmp"):
            (self.maildir / part).mkdir(parents=True)

    def __call__(self, data: bytes) -> None:
        from loopguard.cli.mailbox import (
            MAX_MESSAGE_BYTES,
            MailItem,
            ReadError,
            read_inputs,
            reread,
        )

        self.file.write_bytes(data)
        items = list(read_inputs([str(self.file)]))
        assert items, "every input yields a message or an error"
        for item in items:
            assert isinstance(item, MailItem | ReadError)
            if isinstance(item, MailItem):
                assert len(item.raw) <= MAX_MESSAGE_BYTES
                assert item.path is not None
                # The replay command revisits messages by offset: it must get them back.
                assert reread(item.path, item.offset, len(item.raw)) == item.raw, item.location
        halves = (data[: len(data) // 2], data[len(data) // 2 :])
        for name, half in zip(("1", "2"), halves, strict=True):
            (self.maildir / "new" / name).write_bytes(half)
        found = list(read_inputs([str(self.maildir)]))
        assert len(found) == 2, found


def target_stamp(data: bytes) -> None:
    """stamp() answering a fuzzed message: the reply must carry exactly the headers we set."""
    from email.message import EmailMessage, Message

    from loopguard.guard import Guard
    from loopguard.mail.view import MessageView

    guard = _STAMP_GUARD.get("guard")
    if not isinstance(guard, Guard):
        guard = Guard(own_addresses=["help@example.org"], secret=b"fuzz")
        _STAMP_GUARD["guard"] = guard
    choice = (data[:1] or b"\0")[0]
    reply: Message = EmailMessage() if choice % 2 else Message()
    reply["From"] = "help@example.org"
    reply["To"] = "ann@example.com"
    reply["Subject"] = "We received your request"
    reply["Content-Type"] = f'text/plain; charset="{_CHARSETS[choice % len(_CHARSETS)]}"'
    reply.set_payload("Thank you, café.\n".encode().decode("ascii", "surrogateescape"))
    guard.stamp(reply, replying_to=MessageView.from_bytes(data))
    wire = reply.as_bytes()
    reparsed = email.message_from_bytes(wire, policy=email.policy.compat32)
    assert sorted(k.lower() for k in reparsed) == sorted(k.lower() for k in reply), wire[:2000]
    token = reparsed["X-Loopguard-Token"]
    assert token is not None
    assert guard.token is not None
    assert guard.token.verify(str(token))
    assert f"[ref {token}]".encode() in wire  # findable without decoding


_CHARSETS = ("utf-8", "us-ascii", "iso-8859-1", "utf-16", "undefined", "x-unknown", "koi8-r")


_STAMP_GUARD: dict[str, object] = {}


def build_targets(workdir: Path | None = None) -> dict[str, Target]:
    """Every target by name (imports loopguard: call after atheris instrumentation).

    ``workdir``: where the mailbox target writes its files (a temporary folder if None).
    """
    return {
        "classify": target_classify,
        "guard": _GuardTarget(),
        "autorespond": target_autorespond,
        "address": target_address,
        "mailbox": _MailboxTarget(workdir),
        "stamp": target_stamp,
    }


TARGET_NAMES = ("classify", "guard", "autorespond", "address", "mailbox", "stamp")


def seeds_for(name: str) -> list[bytes]:
    """The seed inputs of a target."""
    return seed_addresses() if name == "address" else seed_messages()


# -- the mutation engine -------------------------------------------------------------


def mutate(data: bytes, rng: random.Random, pool: list[bytes], max_len: int = MAX_LEN) -> bytes:
    """One to eight stacked mutations of ``data``."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        where = rng.randint(0, len(out))
        choice = rng.randrange(9)
        if choice == 0 and out:  # flip one byte
            out[min(where, len(out) - 1)] = rng.randrange(256)
        elif choice == 1:  # insert a token
            out[where:where] = rng.choice(TOKENS)
        elif choice == 2:  # cut a range
            del out[where : where + rng.randint(1, 200)]
        elif choice == 3:  # repeat a slice: long runs, many headers, deep nesting
            piece = bytes(out[where : where + rng.randint(1, 80)])
            out[where:where] = piece * rng.randint(2, 300)
        elif choice == 4:  # splice in part of another seed
            other = rng.choice(pool)
            start = rng.randint(0, len(other))
            out[where:where] = other[start : start + rng.randint(1, 2000)]
        elif choice == 5:  # swap line endings
            out = bytearray(
                out.replace(b"\r\n", b"\n") if rng.random() < 0.5 else out.replace(b"\n", b"\r\n")
            )
        elif choice == 6:  # truncate
            del out[where:]
        elif choice == 7:  # random bytes
            out[where:where] = rng.randbytes(rng.randint(1, 16))
        else:  # a header line moved to another place
            lines = out.split(b"\n")
            if len(lines) > 2:
                line = lines.pop(rng.randrange(len(lines)))
                lines.insert(rng.randrange(len(lines)), line)
                out = bytearray(b"\n".join(lines))
    return bytes(out[:max_len])


@dataclass
class Report:
    """What one run of one target did."""

    target: str
    executions: int = 0
    seconds: float = 0.0
    slowest: float = 0.0
    findings: dict[str, Path] = field(default_factory=dict)


def run_mutation(
    name: str, target: Target, *, runs: int, seed: int, out: Path | None, slow: float = 2.0
) -> Report:
    """``runs`` executions of ``target``: first every seed, then mutations of the pool."""
    rng = random.Random(f"{seed}:{name}")
    pool = seeds_for(name)
    report = Report(name)
    slowest_input = b""
    started = time.perf_counter()
    for index in range(runs):
        data = pool[index] if index < len(pool) else mutate(rng.choice(pool), rng, pool)
        before = time.perf_counter()
        try:
            target(data)
        except Exception as exc:
            _record(report, data, _signature(exc), out, traceback.format_exc())
        elapsed = time.perf_counter() - before
        if elapsed > report.slowest:
            report.slowest, slowest_input = elapsed, data
        if elapsed > slow:
            _record(report, data, f"slow {elapsed:.1f}s", out, "")
        if index % 50 == 0 and len(pool) < 2000 and rng.random() < 0.5:
            pool.append(data)  # keep some mutants: mutations of mutations go deeper
        report.executions += 1
    report.seconds = time.perf_counter() - started
    if out is not None and report.executions:
        out.mkdir(parents=True, exist_ok=True)
        (out / "slowest-input").write_bytes(slowest_input)  # to profile by hand
    return report


def _signature(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    last = frames[-1] if frames else None
    where = f"{Path(last.filename).name}:{last.lineno}" if last else "?"
    return f"{type(exc).__name__} at {where}"


def _record(report: Report, data: bytes, signature: str, out: Path | None, trace: str) -> None:
    if signature in report.findings:
        return
    path = Path("-")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"finding-{hashlib.sha1(data).hexdigest()[:12]}"
        path.write_bytes(data)
        path.with_suffix(".txt").write_text(f"{signature}\n{trace}")
    report.findings[signature] = path


# -- the coverage-guided engine ------------------------------------------------------


def run_atheris(name: str, *, runs: int, seconds: int, seed: int, out: Path) -> None:
    """libFuzzer through atheris; never returns (libFuzzer exits the process)."""
    import atheris

    with atheris.instrument_imports(include=["loopguard"]):
        # Everything the targets reach, instrumented before build_targets() imports it.
        import loopguard.cli
        import loopguard.guard  # noqa: F401
    targets = build_targets()
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for data in seeds_for(name):
        (corpus / hashlib.sha1(data).hexdigest()).write_bytes(data)
    tokens = out / "tokens.dict"
    tokens.write_text("".join(f'"{_dict_escape(t)}"\n' for t in TOKENS))
    argv = [
        sys.argv[0],
        str(corpus),
        f"-runs={runs}",
        f"-max_total_time={seconds}",
        f"-seed={seed}",
        f"-max_len={MAX_LEN}",
        f"-dict={tokens}",
        f"-artifact_prefix={out}/",
        "-timeout=10",
        "-rss_limit_mb=3072",
        "-print_final_stats=1",
    ]
    target = targets[name]

    atheris.Setup(argv, target)
    atheris.Fuzz()


def _dict_escape(token: bytes) -> str:
    return "".join(chr(b) if 32 <= b < 127 and b not in b'"\\' else f"\\x{b:02x}" for b in token)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", default="all", choices=("all", *TARGET_NAMES))
    parser.add_argument("--engine", default="mutate", choices=("mutate", "atheris"))
    parser.add_argument("--runs", type=int, default=2000, help="executions per target")
    parser.add_argument("--seconds", type=int, default=600, help="atheris: time budget")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "loopguard-fuzz")
    parser.add_argument("--slow", type=float, default=2.0, help="seconds that make a finding")
    args = parser.parse_args(argv)
    import logging

    logging.disable(logging.CRITICAL)  # rule errors surface as reasons, which the oracle checks
    if args.engine == "atheris":
        if args.target == "all":
            parser.error("atheris fuzzes one --target per process")
        run_atheris(args.target, runs=args.runs, seconds=args.seconds, seed=args.seed, out=args.out)
        return 0
    targets = build_targets()
    names = TARGET_NAMES if args.target == "all" else (args.target,)
    failed = False
    for name in names:
        report = run_mutation(
            name, targets[name], runs=args.runs, seed=args.seed, out=args.out / name, slow=args.slow
        )
        print(
            f"{name:<12} {report.executions:>9,} runs {report.seconds:>8.1f}s "
            f"{report.executions / max(report.seconds, 1e-9):>8.0f}/s "
            f"slowest {report.slowest * 1e3:>7.1f}ms findings {len(report.findings)}",
            flush=True,
        )
        for signature, path in report.findings.items():
            failed = True
            print(f"    {signature}: {path}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
