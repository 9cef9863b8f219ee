from __future__ import annotations

import hmac
import re

import pytest

from loopguard.errors import ConfigurationError
from loopguard.rate.keys import KeyDeriver, MailEvent

KEY_SHAPE = re.compile(r"v1:(pair|sender|recipient|thread):\{[0-9a-f]{32}\}")


def test_keys_are_versioned_scoped_and_hash_tagged() -> None:
    keys = KeyDeriver()
    event = MailEvent("a@example.com", "help@example.org", "<root@example.com>")
    for scope in ("pair", "sender", "recipient", "thread"):
        key = keys.key(scope, event)
        assert key is not None
        assert KEY_SHAPE.fullmatch(key), key


def test_equivalent_spellings_share_a_key() -> None:
    keys = KeyDeriver()
    plain = keys.key("pair", MailEvent("bob@example.com", "help@example.org"))
    fancy = keys.key("pair", MailEvent(" Bob <BOB@Example.COM> ", "<help@EXAMPLE.org>"))
    assert plain == fancy
    assert keys.key("thread", MailEvent(thread="<x@y>")) == keys.key(
        "thread", MailEvent(thread="x@y")
    )


def test_idna_domains_and_subaddress_folding() -> None:
    keys = KeyDeriver(fold_subaddress=True)
    assert keys.key("sender", MailEvent("a+tag@bücher.example")) == keys.key(
        "sender", MailEvent("a@xn--bcher-kva.example")
    )
    assert KeyDeriver().key("sender", MailEvent("a+tag@x.org")) != KeyDeriver().key(
        "sender", MailEvent("a@x.org")
    )


def test_direction_scope_and_thread_case_matter() -> None:
    keys = KeyDeriver()
    forth = keys.key("pair", MailEvent("a@x.org", "b@y.org"))
    back = keys.key("pair", MailEvent("b@y.org", "a@x.org"))
    assert forth != back
    assert keys.key("sender", MailEvent("a@x.org")) != keys.key(
        "recipient", MailEvent(recipient="a@x.org")
    )
    assert keys.key("thread", MailEvent(thread="<AbC@h>")) != keys.key(
        "thread", MailEvent(thread="<abc@h>")
    )


def test_missing_parts_give_no_key() -> None:
    keys = KeyDeriver()
    assert keys.key("pair", MailEvent("a@x.org", None)) is None
    assert keys.key("sender", MailEvent(None, "b@y.org")) is None
    assert keys.key("thread", MailEvent("a@x.org", "b@y.org", "  <>  ")) is None
    assert keys.key("recipient", MailEvent(recipient="")) is None


def test_text_that_is_not_an_address_is_still_counted() -> None:
    keys = KeyDeriver()
    assert keys.address("Not An Address") == "not an address"
    assert keys.key("sender", MailEvent("Not An Address")) == keys.key(
        "sender", MailEvent("not an address")
    )


def test_secret_keys_differ_from_plain_hashes_and_hide_the_address() -> None:
    event = MailEvent("alice@example.com", "help@example.org")
    plain = KeyDeriver().key("pair", event)
    first = KeyDeriver(secret="s3cret").key("pair", event)
    second = KeyDeriver(secret=b"other").key("pair", event)
    assert len({plain, first, second}) == 3
    assert first == KeyDeriver(secret=b"s3cret").key("pair", event)
    for key in (plain, first, second):
        assert key is not None
        assert "alice" not in key
        assert "example" not in key


def test_bad_configuration() -> None:
    with pytest.raises(ConfigurationError):
        KeyDeriver(secret="")
    with pytest.raises(ConfigurationError):
        KeyDeriver(cache_size=-1)


def test_the_normalization_cache_is_bounded() -> None:
    keys = KeyDeriver(cache_size=4)
    for _ in range(3):
        results = [keys.address(f"User{i}@X.org") for i in range(10)]
        assert results == [f"user{i}@x.org" for i in range(10)]
    assert 0 < len(keys._addresses) <= 4
    assert KeyDeriver(cache_size=0).address("A@B.c") == "a@b.c"


def test_an_address_is_normalized_once() -> None:
    keys = KeyDeriver()
    assert keys.address("Once <Once@Example.org>") == "once@example.org"
    assert keys._addresses.get("Once <Once@Example.org>") == "once@example.org"
    keys.address("twice@example.org")
    # Already normalized: the caller's string is remembered, not a copy of it.
    assert keys._addresses.get("twice@example.org") == "twice@example.org"


@pytest.mark.parametrize("secret", [b"k", "s3cret", b"\xff" * 64, b"a much longer key " * 8])
def test_keyed_digests_are_hmac_sha256(secret: bytes | str) -> None:
    # The digest is computed from prepared pad states; it must be RFC 2104 exactly.
    key = secret.encode() if isinstance(secret, str) else secret
    keys = KeyDeriver(secret=secret)
    for material in ("a@x.org\nb@y.org", "", "\udcff lone surrogate", "ü" * 300):
        data = material.encode("utf-8", "surrogatepass")
        expected = hmac.digest(key, data, "sha256")[:16].hex()
        assert keys._digest(material) == expected
