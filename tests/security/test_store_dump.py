"""With a secret (hashing on), nothing a store holds gives an address away.

A scenario that touches every tracker the guard keeps (rates per pair, sender, recipient
and thread; final notices; bounces; repeated content; a trigger's own namespace; a
recorded answer) runs against SQLite and a real Redis server. Then the SQLite file (and
its WAL), its SQL dump, and every Redis key with its DUMP and its members are searched
for each address, local part, domain, Message-ID and the text of the mail, in any case.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from pathlib import Path

import pytest

from loopguard import Action, Guard, Limit
from loopguard.classifier.verdict import Category
from loopguard.guard.policy import Policy, TriggerPolicy
from loopguard.stores import Store
from loopguard.stores.redis import RedisStore
from loopguard.stores.sqlite import SQLiteStore
from loopguard.testing import build_message

HELP = "Help.Desk@Support.Example"
SENDER = "Ann.Sample@Customer-Domain.Example"
REPLY_TO = "Replyto.Person@Other-Domain.Example"
GONE = "gone.user@bounced-domain.example"
RECORDED = "recorded.person@elsewhere-domain.example"
THREAD = "<thread-root-4711@customer-domain.example>"
TEXT = "my printer on the third floor is broken again, the toner light blinks"
SECRETS: tuple[str, ...] = (
    *(
        a
        for address in (HELP, SENDER, REPLY_TO, GONE, RECORDED)
        for a in (address, *address.split("@"))
    ),
    THREAD.strip("<>"),
    "printer on the third floor",
)


def bounce_of(address: str) -> bytes:
    return (
        "From: MAILER-DAEMON@mx.bounced-domain.example\nTo: help.desk@support.example\n"
        "Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\n"
        f"Final-Recipient: rfc822; {address}\nAction: failed\nStatus: 5.1.1\n\n--b--\n"
    ).encode()


def exercise(store: Store) -> None:
    """Every kind of store entry the guard writes, for the addresses above."""
    now = [1_800_000_000.0]
    policy = Policy(
        triggers={
            "create-ticket": TriggerPolicy(frozenset({Category.HUMAN}), answers_sender=False)
        },
        final_notice=True,
    )
    guard = Guard(
        [
            Limit(2, "1h"),
            Limit(5, "1d", "sender"),
            Limit(9, "1d", "recipient"),
            Limit(9, "1d", "thread"),
        ],
        store=store,
        own_addresses=[HELP],
        secret=b"store dump secret",
        policy=policy,
        clock=lambda: now[0],
    )
    message = build_message(
        [("Reply-To", REPLY_TO), ("References", THREAD)], body=TEXT, sender=SENDER, to=HELP
    )
    answers = []
    for _ in range(4):  # the same text four times: the repeat tracker counts it too
        answers.append(guard.check(message, recipient=HELP).action)
        guard.check(message, recipient=HELP, trigger="create-ticket")
        now[0] += 60
    assert answers[:3] == [Action.ALLOW, Action.ALLOW, Action.FINAL_NOTICE]
    guard.check(bounce_of(GONE), recipient=HELP)
    guard.record(sender=RECORDED, recipient=HELP, thread=THREAD)
    guard.close()


def assert_no_plain_text(dump: bytes) -> None:
    folded = dump.lower()
    for secret in SECRETS:
        assert secret.lower().encode() not in folded, secret


def test_sqlite_file_holds_no_address(tmp_path: Path) -> None:
    path = tmp_path / "rates.db"
    exercise(SQLiteStore(path))
    files = b"".join(p.read_bytes() for p in sorted(tmp_path.iterdir()))
    with sqlite3.connect(path) as connection:
        dump = "\n".join(connection.iterdump()).encode()
        keys = [row[0] for row in connection.execute("SELECT key FROM loopguard_rates")]
    connection.close()
    assert len(keys) >= 8  # the scenario really wrote: rates, notices, bounces, repeats
    assert all(key.startswith("v1:") for key in keys)
    assert_no_plain_text(files)
    assert_no_plain_text(dump)


def _redis_dump(client: object, pattern: str) -> tuple[list[bytes], bytes]:
    import redis

    assert isinstance(client, redis.Redis)
    keys = sorted(client.scan_iter(match=pattern, count=1000))
    parts: list[bytes] = []
    for key in keys:
        parts.append(key)
        parts.append(client.dump(key) or b"")
        kind = client.type(key)
        if kind == b"zset":
            parts += [m for m, _ in client.zrange(key, 0, -1, withscores=True)]
        elif kind == b"string":
            parts.append(client.get(key) or b"")
        elif kind == b"hash":
            parts += [b"%s=%s" % item for item in client.hgetall(key).items()]
        elif kind in (b"list", b"set"):
            members = client.lrange(key, 0, -1) if kind == b"list" else client.smembers(key)
            parts += list(members)
    return keys, b"\n".join(parts)


@pytest.mark.redis
def test_every_redis_key_holds_no_address(redis_server_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_server_url)
    prefix = f"lgsec{uuid.uuid4().hex[:8]}"
    try:
        exercise(RedisStore(redis_server_url, prefix=prefix))
        keys, dump = _redis_dump(client, f"{prefix}:*")
        assert len(keys) >= 8
        assert_no_plain_text(dump)
        if not os.environ.get("LOOPGUARD_TEST_REDIS_URL"):
            # A server of our own holds only our keys: check every key it has.
            _, everything = _redis_dump(client, "*")
            assert_no_plain_text(everything)
    finally:
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)
        client.close()


def test_the_search_would_find_a_plain_address() -> None:
    # The oracle itself: a key derived without hashing would be caught.
    with pytest.raises(AssertionError):
        assert_no_plain_text(f"v1:pair:{{{SENDER}\n{HELP}}}".encode())
