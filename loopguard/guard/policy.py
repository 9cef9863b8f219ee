"""What the Guard allows: per-trigger categories, allow/deny lists, do-not-mail patterns.

A :class:`Policy` is a frozen value validated when it is built. It can come from keyword
arguments, a dict (:meth:`Policy.from_dict`) or, together with the rate limits, from a
TOML or INI file (:func:`load_config`); every error names the field that is wrong.
"""

from __future__ import annotations

import configparser
import fnmatch
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

from loopguard.classifier.verdict import Category
from loopguard.errors import ConfigurationError
from loopguard.mail.address import domain_of, normalize_address
from loopguard.rate.limits import DEFAULT_LIMITS, Limit, parse_duration

__all__ = [
    "DEFAULT_DO_NOT_MAIL",
    "DEFAULT_REPEAT_LIMITS",
    "BounceLearning",
    "GuardConfig",
    "Policy",
    "StoreErrorPolicy",
    "TriggerPolicy",
    "load_config",
]

#: What the guard does when its store fails (see docs/guard.md for the default).
StoreErrorPolicy = Literal["allow", "suppress", "raise"]
STORE_ERROR_POLICIES: Final[tuple[StoreErrorPolicy, ...]] = ("allow", "suppress", "raise")

#: Addresses an automatic answer must never go to (glob patterns, matched case-folded
#: against the whole normalized address; a bare local part is matched as ``local@``).
#: Zammad's ``send_no_auto_response_reg_exp`` plus RFC 3834 section 2's owner-/-request.
DEFAULT_DO_NOT_MAIL: Final[tuple[str, ...]] = (
    "mailer-daemon@*",
    "postmaster@*",
    "abuse@*",
    "root@*",
    "noreply*@*",
    "no-reply*@*",
    "no_reply*@*",
    "donotreply*@*",
    "do-not-reply*@*",
    "do_not_reply*@*",
    "owner-*@*",
    "*-request@*",
    "*-owner@*",
    "*-bounces@*",
    "*-bounces+*@*",
)

#: Identical author text allowed per sender domain and per recipient in a window before
#: it counts as a loop (freescout#688: "same content within an hour").
DEFAULT_REPEAT_LIMITS: Final[tuple[Limit, ...]] = (
    Limit(3, "1h", "sender"),
    Limit(10, "1h", "recipient"),
)

#: Which bounces the guard learns failed recipients from (see docs/guard.md).
BounceLearning = Literal["any", "stamped", "never"]
BOUNCE_LEARNING: Final[tuple[BounceLearning, ...]] = ("any", "stamped", "never")

_Choice = TypeVar("_Choice", bound=str)

_DEFAULT_BOUNCE_MEMORY: Final = 60 * 86400.0  # Zammad blocks a 5.1.1 recipient 60 days
_CATEGORY_NAMES: Final = ", ".join(c.value for c in Category)


@dataclass(frozen=True, slots=True)
class TriggerPolicy:
    """What one kind of trigger may fire on.

    Attributes:
        categories: Verdict categories the trigger may fire for (a help desk may create
            tickets from ``bulk`` mail but never auto-acknowledge it).
        answers_sender: Whether the trigger mails the sender. When it does not (creating
            a ticket, posting to a chat), "don't auto-reply" requests, do-not-mail patterns
            and remembered bounces do not apply; loop, content and rate checks still do.
    """

    categories: frozenset[Category] = frozenset({Category.HUMAN})
    answers_sender: bool = True


@dataclass(frozen=True, slots=True)
class Policy:
    """The guard's rules beyond the rate limits.

    Attributes:
        default: The trigger policy for triggers not named in ``triggers``.
        triggers: Per-trigger overrides, by the ``trigger=`` name the host passes.
        allow_addresses: Senders whose mail passes the classification, do-not-mail,
            bounce and repeated-content checks (never the own-loop checks or rate limits).
        allow_domains: The same for whole domains (and their subdomains).
        deny_addresses: Senders that never get an automatic answer.
        deny_domains: The same for whole domains (and their subdomains).
        do_not_mail: Glob patterns of addresses never to answer (replaces the default).
        honor_no_autoreply: Respect the sender's "no automatic answer" requests
            (``Precedence: bulk``, ``List-*``, ``X-Auto-Response-Suppress``).
        final_notice: Allow one last answer when a rate limit is first reached, marked
            ``Action.FINAL_NOTICE`` (Mailman's "no more today" notice).
        bounce_memory: Seconds a permanently failed address stays blocked.
        learn_bounces: Which bounces teach the guard failed recipients: ``"any"``;
            ``"stamped"``, only those returning mail that carries our loop token (a
            forged DSN then blocks nobody; needs a secret, and every automatic answer
            sent through ``stamp``); ``"never"``.
        repeat_limits: How often identical author text may arrive, per sender domain
            (``key="sender"``) and per recipient (``key="recipient"``); ``()`` turns
            repeated-content detection off.
        repeat_min_chars: Shorter normalized texts ("Thanks!") are never compared.

    Raises:
        ConfigurationError: A bad value, naming the field.
    """

    default: TriggerPolicy = field(default_factory=TriggerPolicy)
    triggers: Mapping[str, TriggerPolicy] = field(default_factory=dict)
    allow_addresses: frozenset[str] = frozenset()
    allow_domains: frozenset[str] = frozenset()
    deny_addresses: frozenset[str] = frozenset()
    deny_domains: frozenset[str] = frozenset()
    do_not_mail: tuple[str, ...] = DEFAULT_DO_NOT_MAIL
    honor_no_autoreply: bool = True
    final_notice: bool = False
    bounce_memory: float = _DEFAULT_BOUNCE_MEMORY
    learn_bounces: BounceLearning = "any"
    repeat_limits: tuple[Limit, ...] = DEFAULT_REPEAT_LIMITS
    repeat_min_chars: int = 20
    _do_not_mail: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("allow_addresses", "deny_addresses"):
            values = _addresses(getattr(self, name), name)
            object.__setattr__(self, name, values)
        for name in ("allow_domains", "deny_domains"):
            object.__setattr__(self, name, _domains(getattr(self, name), name))
        _check_bool(self.honor_no_autoreply, "honor_no_autoreply")
        _check_bool(self.final_notice, "final_notice")
        object.__setattr__(self, "bounce_memory", _duration(self.bounce_memory, "bounce_memory"))
        object.__setattr__(self, "learn_bounces", _bounce_learning(self.learn_bounces))
        object.__setattr__(self, "repeat_limits", _repeat_limits(self.repeat_limits))
        if not _is_count(self.repeat_min_chars, minimum=0):
            raise ConfigurationError(
                f"repeat_min_chars: expected an integer >= 0, got {self.repeat_min_chars!r}"
            )
        object.__setattr__(self, "triggers", _triggers(self.triggers))
        if not isinstance(self.default, TriggerPolicy):
            raise ConfigurationError("default: expected a TriggerPolicy")
        patterns = _patterns(self.do_not_mail)
        object.__setattr__(self, "do_not_mail", patterns)
        object.__setattr__(self, "_do_not_mail", _compile_globs(patterns))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "policy") -> Policy:
        """Build a policy from plain data (parsed TOML/JSON), naming bad fields.

        Keys are the attribute names, plus ``categories`` and ``answers_sender`` for the
        default trigger policy, ``extra_do_not_mail`` (added to the default patterns),
        and ``triggers`` as a table of ``{categories, answers_sender}`` per trigger name.
        Durations and limits may be strings (``"60d"``, ``"3/1h sender"``).

        Raises:
            ConfigurationError: An unknown key or a bad value, naming the field.
        """
        if not isinstance(data, Mapping):
            raise ConfigurationError(f"{where}: expected a table, got {type(data).__name__}")
        known = {
            "categories", "answers_sender", "triggers", "allow_addresses", "allow_domains",
            "deny_addresses", "deny_domains", "do_not_mail", "extra_do_not_mail",
            "honor_no_autoreply", "final_notice", "bounce_memory", "learn_bounces",
            "repeat_limits", "repeat_min_chars",
        }  # fmt: skip
        _reject_unknown(data, known, where)
        kwargs: dict[str, Any] = {}
        default = _trigger_from(data, where)
        if default is not None:
            kwargs["default"] = default
        triggers = data.get("triggers", {})
        if not isinstance(triggers, Mapping):
            raise ConfigurationError(f"{where}.triggers: expected a table of trigger names")
        kwargs["triggers"] = {
            name: _trigger_from(body, f"{where}.triggers.{name}", required=True)
            for name, body in triggers.items()
        }
        for name in ("allow_addresses", "allow_domains", "deny_addresses", "deny_domains"):
            if name in data:
                kwargs[name] = frozenset(_string_list(data[name], f"{where}.{name}"))
        patterns = list(DEFAULT_DO_NOT_MAIL)
        if "do_not_mail" in data:
            patterns = _string_list(data["do_not_mail"], f"{where}.do_not_mail")
        if "extra_do_not_mail" in data:
            patterns += _string_list(data["extra_do_not_mail"], f"{where}.extra_do_not_mail")
        kwargs["do_not_mail"] = tuple(patterns)
        for name in ("honor_no_autoreply", "final_notice"):
            if name in data:
                kwargs[name] = _bool_value(data[name], f"{where}.{name}")
        if "bounce_memory" in data:
            kwargs["bounce_memory"] = _duration(data["bounce_memory"], f"{where}.bounce_memory")
        if "learn_bounces" in data:
            kwargs["learn_bounces"] = _bounce_learning(
                data["learn_bounces"], f"{where}.learn_bounces"
            )
        if "repeat_limits" in data:
            kwargs["repeat_limits"] = tuple(
                limits_from(data["repeat_limits"], f"{where}.repeat_limits")
            )
        if "repeat_min_chars" in data:
            kwargs["repeat_min_chars"] = _int_value(
                data["repeat_min_chars"], f"{where}.repeat_min_chars"
            )
        try:
            return cls(**kwargs)
        except ConfigurationError as exc:
            raise ConfigurationError(f"{where}.{exc}") from None

    def for_trigger(self, trigger: str | None) -> TriggerPolicy:
        """The trigger policy that applies to ``trigger``."""
        if trigger is None:
            return self.default
        return self.triggers.get(trigger, self.default)

    def allow_listed(self, address: str | None) -> str | None:
        """What allow-lists a normalized address (``"address"`` or ``"domain d"``), or None."""
        return _listed(address, self.allow_addresses, self.allow_domains)

    def deny_listed(self, address: str | None) -> str | None:
        """What deny-lists a normalized address (``"address"`` or ``"domain d"``), or None."""
        return _listed(address, self.deny_addresses, self.deny_domains)

    def do_not_mail_match(self, address: str | None) -> bool:
        """Whether a normalized address matches a do-not-mail pattern."""
        if not address or self._do_not_mail is None:
            return False
        subject = address if "@" in address else f"{address}@"
        return self._do_not_mail.match(subject) is not None


@dataclass(frozen=True, slots=True)
class GuardConfig:
    """Everything a :class:`~loopguard.guard.Guard` reads from a config file.

    The secret is deliberately not part of it: pass it from the environment.
    """

    limits: tuple[Limit, ...] = DEFAULT_LIMITS
    policy: Policy = field(default_factory=Policy)
    own_addresses: tuple[str, ...] = ()
    on_store_error: StoreErrorPolicy = "allow"
    identity: str | None = None


def load_config(source: Mapping[str, Any] | str | os.PathLike[str]) -> GuardConfig:
    """Read guard settings from a dict, or a ``.toml`` / ``.ini`` / ``.cfg`` file.

    TOML (and dicts) use top-level ``own_addresses``, ``on_store_error``, ``identity``,
    ``limits`` (a list of ``"5/10m pair"`` strings or ``{count, per, key}`` tables) and a
    ``[policy]`` table (see :meth:`Policy.from_dict`). INI files use a ``[loopguard]``
    section for the top level, ``[policy]``, and ``[trigger:NAME]`` sections; lists are
    comma-separated.

    Raises:
        ConfigurationError: An unreadable file or a bad field, naming the field.
    """
    if isinstance(source, Mapping):
        return _config_from(source)
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read config {path}: {exc}") from exc
    if path.suffix.lower() == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"{path}: {exc}") from exc
        return _config_from(data)
    return _config_from(_ini_to_dict(text, path))


def limits_from(value: object, where: str) -> list[Limit]:
    """Limits from a list of ``"count/per [key]"`` strings or ``{count, per, key}`` tables."""
    if isinstance(value, str | Mapping) or not isinstance(value, Iterable):
        raise ConfigurationError(f"{where}: expected a list of limits")
    return [_limit(item, f"{where}[{index}]") for index, item in enumerate(value)]


# --- validation helpers ----------------------------------------------------------------


def _config_from(data: Mapping[str, Any]) -> GuardConfig:
    _reject_unknown(data, {"limits", "policy", "own_addresses", "on_store_error", "identity"}, "")
    kwargs: dict[str, Any] = {}
    if "limits" in data:
        limits = limits_from(data["limits"], "limits")
        if not limits:
            raise ConfigurationError("limits: at least one limit is needed")
        kwargs["limits"] = tuple(limits)
    if "policy" in data:
        kwargs["policy"] = Policy.from_dict(data["policy"])
    if "own_addresses" in data:
        addresses = _string_list(data["own_addresses"], "own_addresses")
        kwargs["own_addresses"] = tuple(dict.fromkeys(_address_list(addresses, "own_addresses")))
    if "on_store_error" in data:
        kwargs["on_store_error"] = check_store_error_policy(data["on_store_error"])
    if "identity" in data:
        identity = data["identity"]
        if not isinstance(identity, str) or not identity.strip():
            raise ConfigurationError("identity: expected a non-empty string")
        kwargs["identity"] = identity
    return GuardConfig(**kwargs)


def check_store_error_policy(value: object) -> StoreErrorPolicy:
    """``value`` if it is one of ``"allow"``, ``"suppress"``, ``"raise"``."""
    return _one_of(value, STORE_ERROR_POLICIES, "on_store_error")


def _bounce_learning(value: object, where: str = "learn_bounces") -> BounceLearning:
    return _one_of(value, BOUNCE_LEARNING, where)


def _one_of(value: object, choices: tuple[_Choice, ...], where: str) -> _Choice:
    """``value`` as the one of ``choices`` it equals, or an error naming ``where``."""
    for known in choices:
        if value == known:
            return known
    raise ConfigurationError(f"{where}: expected one of {', '.join(choices)}, got {value!r}")


def _ini_to_dict(text: str, path: Path) -> dict[str, Any]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        raise ConfigurationError(f"{path}: {exc}") from exc
    data: dict[str, Any] = {}
    for section in parser.sections():
        fields = dict(parser[section])
        if section == "loopguard":
            for key, value in fields.items():
                data[key] = _split(value) if key in ("limits", "own_addresses") else value
        elif section == "policy":
            data["policy"] = {**data.get("policy", {}), **_ini_policy(fields)}
        elif section.startswith("trigger:"):
            policy = data.setdefault("policy", {})
            policy.setdefault("triggers", {})[section.removeprefix("trigger:")] = _ini_policy(
                fields
            )
        else:
            raise ConfigurationError(
                f"{path}: unknown section [{section}] (expected [loopguard], [policy] or "
                "[trigger:NAME])"
            )
    return data


_INI_LISTS: Final = frozenset(
    {
        "categories", "allow_addresses", "allow_domains", "deny_addresses", "deny_domains",
        "do_not_mail", "extra_do_not_mail", "repeat_limits",
    }
)  # fmt: skip


def _ini_policy(fields: Mapping[str, str]) -> dict[str, Any]:
    return {key: _split(value) if key in _INI_LISTS else value for key, value in fields.items()}


def _split(value: str) -> list[str]:
    return [item.strip() for item in re.split(r"[,\n]", value) if item.strip()]


def _reject_unknown(data: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(str(key) for key in data if key not in known)
    if unknown:
        prefix = f"{where}." if where else ""
        raise ConfigurationError(
            f"{prefix}{unknown[0]}: unknown field (expected one of {', '.join(sorted(known))})"
        )


def _trigger_from(data: object, where: str, *, required: bool = False) -> TriggerPolicy | None:
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"{where}: expected a table")
    if required:
        _reject_unknown(data, {"categories", "answers_sender"}, where)
    if "categories" not in data and "answers_sender" not in data:
        if required:
            raise ConfigurationError(f"{where}.categories: missing")
        return None
    categories = TriggerPolicy().categories
    if "categories" in data:
        categories = _categories(data["categories"], f"{where}.categories")
    answers = True
    if "answers_sender" in data:
        answers = _bool_value(data["answers_sender"], f"{where}.answers_sender")
    return TriggerPolicy(categories, answers)


def _categories(value: object, where: str) -> frozenset[Category]:
    names = _string_list(value, where)
    result = set()
    for index, name in enumerate(names):
        try:
            result.add(Category(name.strip().lower()))
        except ValueError:
            raise ConfigurationError(
                f"{where}[{index}]: unknown category {name!r} (expected {_CATEGORY_NAMES})"
            ) from None
    return frozenset(result)


def _triggers(value: object) -> dict[str, TriggerPolicy]:
    if not isinstance(value, Mapping):
        raise ConfigurationError("triggers: expected a mapping of trigger name to TriggerPolicy")
    for name, policy in value.items():
        if not isinstance(name, str) or not isinstance(policy, TriggerPolicy):
            raise ConfigurationError(f"triggers.{name}: expected a TriggerPolicy")
    return dict(value)


def _limit(item: object, where: str) -> Limit:
    try:
        if isinstance(item, Limit):
            return item
        if isinstance(item, str):
            rate, _, key = item.strip().partition(" ")
            count, sep, per = rate.partition("/")
            if not sep or not count.strip().isdigit():
                raise ConfigurationError(f"expected 'count/per [key]', got {item!r}")
            return Limit(int(count), per.strip(), key.strip() or "pair")  # type: ignore[arg-type]
        if isinstance(item, Mapping):
            _reject_unknown(item, {"count", "per", "key"}, "")
            return Limit(item.get("count"), item.get("per"), item.get("key", "pair"))  # type: ignore[arg-type]
    except ConfigurationError as exc:
        raise ConfigurationError(f"{where}: {exc}") from None
    raise ConfigurationError(f"{where}: expected 'count/per [key]' or a table, got {item!r}")


def _repeat_limits(value: object) -> tuple[Limit, ...]:
    if not isinstance(value, tuple | list):
        raise ConfigurationError("repeat_limits: expected a sequence of Limit")
    for index, limit in enumerate(value):
        if not isinstance(limit, Limit) or limit.key not in ("sender", "recipient"):
            raise ConfigurationError(
                f"repeat_limits[{index}]: expected a Limit keyed 'sender' (the sender's "
                f"domain) or 'recipient', got {limit!r}"
            )
    return tuple(value)


def _string_list(value: object, where: str) -> list[str]:
    if isinstance(value, str):
        return _split(value)
    if not isinstance(value, Iterable) or isinstance(value, Mapping):
        raise ConfigurationError(f"{where}: expected a list of strings")
    items = list(value)
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise ConfigurationError(f"{where}[{index}]: expected a string, got {item!r}")
    return items


def _addresses(values: Iterable[str], where: str) -> frozenset[str]:
    return frozenset(_address_list(values, where))


def _address_list(values: Iterable[str], where: str) -> list[str]:
    result = []
    for index, value in enumerate(_string_list(values, where)):
        address = normalize_address(value)
        if address is None:
            raise ConfigurationError(f"{where}[{index}]: not an address: {value!r}")
        result.append(address)
    return result


def _domains(values: Iterable[str], where: str) -> frozenset[str]:
    result = set()
    for index, value in enumerate(_string_list(values, where)):
        domain = value.strip().lstrip("@").rstrip(".").casefold()
        if not domain or any(char.isspace() or char == "@" for char in domain):
            raise ConfigurationError(f"{where}[{index}]: not a domain: {value!r}")
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise ConfigurationError(f"{where}[{index}]: not a domain: {value!r}") from None
        result.add(domain)
    return frozenset(result)


def _patterns(values: object) -> tuple[str, ...]:
    patterns = _string_list(values, "do_not_mail")
    for index, pattern in enumerate(patterns):
        if not pattern.strip():
            raise ConfigurationError(f"do_not_mail[{index}]: empty pattern")
    return tuple(pattern.strip().casefold() for pattern in patterns)


def _compile_globs(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    # fnmatch.translate emits atomic groups for '*', so the joined pattern stays linear.
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(pattern)})" for pattern in patterns))


def _listed(address: str | None, addresses: frozenset[str], domains: frozenset[str]) -> str | None:
    if not address:
        return None
    if address in addresses:
        return "address"
    domain = domain_of(address)
    while domain:
        if domain in domains:
            return f"domain {domain}"
        domain = domain.partition(".")[2]
    return None


def _duration(value: object, where: str) -> float:
    try:
        return parse_duration(value)  # type: ignore[arg-type]
    except ConfigurationError as exc:
        raise ConfigurationError(f"{where}: {exc}") from None


def _check_bool(value: object, where: str) -> None:
    if not isinstance(value, bool):
        raise ConfigurationError(f"{where}: expected true or false, got {value!r}")


def _bool_value(value: object, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "1"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "no", "off", "0"):
        return False
    raise ConfigurationError(f"{where}: expected true or false, got {value!r}")


def _int_value(value: object, where: str) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if _is_count(value, minimum=0):
        return value  # type: ignore[return-value]
    raise ConfigurationError(f"{where}: expected an integer >= 0, got {value!r}")


def _is_count(value: object, *, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum
