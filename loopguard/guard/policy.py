"""What the Guard allows: per-trigger categories, allow/deny lists, do-not-mail patterns.

A :class:`Policy` is a frozen value validated when it is built. It can come from keyword
arguments, a dict (:meth:`Policy.from_dict`) or, together with the rate limits, from a
TOML or INI file (:func:`load_config`); every error names the field that is wrong. The
files and the fields are read by :mod:`loopguard.guard.config`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from loopguard.classifier.verdict import Category
from loopguard.errors import ConfigurationError
from loopguard.guard.config import (
    address_list,
    bool_value,
    category_set,
    check_bool,
    compile_globs,
    domain_set,
    duration,
    glob_patterns,
    int_value,
    is_count,
    limits_from,
    list_id,
    list_ids,
    listed,
    one_of,
    read_file,
    reject_unknown,
    repeat_limits,
    separators,
    separators_field,
    string_list,
)
from loopguard.guard.identity import FREE_MAIL_DOMAINS
from loopguard.rate.limits import DEFAULT_LIMITS, Limit

__all__ = [
    "DEFAULT_DO_NOT_MAIL",
    "DEFAULT_REPEAT_LIMITS",
    "BounceLearning",
    "GuardConfig",
    "Policy",
    "StoreErrorPolicy",
    "TriggerPolicy",
    "check_store_error_policy",
    "limits_from",
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

#: Identical author text allowed per correspondent, and per organization of a sender
#: that looks automated, in a window before it counts as a loop (freescout#688: "same
#: content within an hour"). Never across a shared free-mail domain, nor per recipient:
#: an app's pre-filled "report a problem" text comes from many people.
DEFAULT_REPEAT_LIMITS: Final[tuple[Limit, ...]] = (
    Limit(3, "1h", "sender"),
    Limit(10, "1h", "domain"),
)

#: Which bounces the guard learns failed recipients from (see docs/guard.md).
BounceLearning = Literal["verified", "stamped", "any", "never"]
BOUNCE_LEARNING: Final[tuple[BounceLearning, ...]] = ("verified", "stamped", "any", "never")


_DEFAULT_BOUNCE_MEMORY: Final = 60 * 86400.0  # Zammad blocks a 5.1.1 recipient 60 days
# A bounce comes back within a mail queue's lifetime: 5 days in Postfix and Exim.
_DEFAULT_ANSWER_MEMORY: Final = 7 * 86400.0


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
        learn_bounces: Which bounces teach the guard failed recipients (only bounces by
            structure ever do): ``"verified"`` (the default), from a null sender or a
            mail system, naming an address we answered within ``answer_memory``, and
            when our loop token is in it, one issued for that address within that time;
            ``"stamped"``, the same and the token required (needs a secret, and every
            automatic answer sent through ``stamp``); ``"any"``; ``"never"``.
        answer_memory: Seconds an answered address is remembered (keyed) for checking
            bounces, and the age up to which a returned loop token counts.
        repeat_limits: How often identical author text may arrive, per correspondent
            (``key="sender"``), per organization of an automated-looking sender
            (``key="domain"``) and per recipient (``key="recipient"``); ``()`` turns
            repeated-content detection off.
        repeat_min_chars: Shorter normalized texts ("Thanks!") are never compared.
        subaddress_separators: Characters that start a sub-address, folded for counting
            (``"+"``: ``cases+4711@`` counts as ``cases@``); ``""`` folds none.
        free_mail_domains: Shared free-mail domains, never counted as one organization
            (the bundled list by default).
        own_list_ids: List-Ids of our own list aliases (a Google Group in front of the
            desk): their list headers do not make a customer's mail bulk.
        shared_mailboxes: A customer's shared mailboxes (``orders@``, Exchange's "send on
            behalf"): counted per person who wrote (``Sender``), not as one correspondent.

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
    learn_bounces: BounceLearning = "verified"
    answer_memory: float = _DEFAULT_ANSWER_MEMORY
    repeat_limits: tuple[Limit, ...] = DEFAULT_REPEAT_LIMITS
    repeat_min_chars: int = 20
    subaddress_separators: str = "+"
    free_mail_domains: frozenset[str] = FREE_MAIL_DOMAINS
    own_list_ids: frozenset[str] = frozenset()
    shared_mailboxes: frozenset[str] = frozenset()
    _do_not_mail: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("allow_addresses", "deny_addresses", "shared_mailboxes"):
            values = _addresses(getattr(self, name), name)
            object.__setattr__(self, name, values)
        for name in ("allow_domains", "deny_domains"):
            object.__setattr__(self, name, domain_set(getattr(self, name), name))
        check_bool(self.honor_no_autoreply, "honor_no_autoreply")
        check_bool(self.final_notice, "final_notice")
        object.__setattr__(self, "bounce_memory", duration(self.bounce_memory, "bounce_memory"))
        object.__setattr__(self, "learn_bounces", _bounce_learning(self.learn_bounces))
        object.__setattr__(self, "answer_memory", duration(self.answer_memory, "answer_memory"))
        free_mail = domain_set(self.free_mail_domains, "free_mail_domains")
        object.__setattr__(self, "free_mail_domains", free_mail)
        object.__setattr__(self, "own_list_ids", list_ids(self.own_list_ids))
        object.__setattr__(self, "subaddress_separators", separators(self.subaddress_separators))
        object.__setattr__(self, "repeat_limits", repeat_limits(self.repeat_limits))
        if not is_count(self.repeat_min_chars, minimum=0):
            raise ConfigurationError(
                f"repeat_min_chars: expected an integer >= 0, got {self.repeat_min_chars!r}"
            )
        object.__setattr__(self, "triggers", _triggers(self.triggers))
        if not isinstance(self.default, TriggerPolicy):
            raise ConfigurationError("default: expected a TriggerPolicy")
        patterns = glob_patterns(self.do_not_mail)
        object.__setattr__(self, "do_not_mail", patterns)
        object.__setattr__(self, "_do_not_mail", compile_globs(patterns))

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
        known = {"categories", "answers_sender", "triggers", "do_not_mail", "extra_do_not_mail"}
        reject_unknown(data, known | _POLICY_FIELDS.keys(), where)
        kwargs: dict[str, Any] = {
            name: read(data[name], f"{where}.{name}")
            for name, read in _POLICY_FIELDS.items()
            if name in data
        }
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
        patterns = list(DEFAULT_DO_NOT_MAIL)
        if "do_not_mail" in data:
            patterns = string_list(data["do_not_mail"], f"{where}.do_not_mail")
        if "extra_do_not_mail" in data:
            patterns += string_list(data["extra_do_not_mail"], f"{where}.extra_do_not_mail")
        kwargs["do_not_mail"] = tuple(patterns)
        try:
            return cls(**kwargs)
        except ConfigurationError as exc:
            raise ConfigurationError(f"{where}.{exc}") from None

    def is_own_list(self, header: str | None) -> bool:
        """Whether a List-Id header value names one of our own list aliases."""
        return bool(header) and list_id(header or "") in self.own_list_ids

    def for_trigger(self, trigger: str | None) -> TriggerPolicy:
        """The trigger policy that applies to ``trigger``."""
        if trigger is None:
            return self.default
        return self.triggers.get(trigger, self.default)

    def allow_listed(self, address: str | None) -> str | None:
        """What allow-lists a normalized address (``"address"`` or ``"domain d"``), or None."""
        return listed(address, self.allow_addresses, self.allow_domains)

    def deny_listed(self, address: str | None) -> str | None:
        """What deny-lists a normalized address (``"address"`` or ``"domain d"``), or None."""
        return listed(address, self.deny_addresses, self.deny_domains)

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
    return _config_from(source if isinstance(source, Mapping) else read_file(source))


def _config_from(data: Mapping[str, Any]) -> GuardConfig:
    reject_unknown(data, {"limits", "policy", "own_addresses", "on_store_error", "identity"}, "")
    kwargs: dict[str, Any] = {}
    if "limits" in data:
        limits = limits_from(data["limits"], "limits")
        if not limits:
            raise ConfigurationError("limits: at least one limit is needed")
        kwargs["limits"] = tuple(limits)
    if "policy" in data:
        kwargs["policy"] = Policy.from_dict(data["policy"])
    if "own_addresses" in data:
        addresses = string_list(data["own_addresses"], "own_addresses")
        kwargs["own_addresses"] = tuple(dict.fromkeys(address_list(addresses, "own_addresses")))
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
    return one_of(value, STORE_ERROR_POLICIES, "on_store_error")


def _bounce_learning(value: object, where: str = "learn_bounces") -> BounceLearning:
    return one_of(value, BOUNCE_LEARNING, where)


def _trigger_from(data: object, where: str, *, required: bool = False) -> TriggerPolicy | None:
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"{where}: expected a table")
    if required:
        reject_unknown(data, {"categories", "answers_sender"}, where)
    if "categories" not in data and "answers_sender" not in data:
        if required:
            raise ConfigurationError(f"{where}.categories: missing")
        return None
    categories = TriggerPolicy().categories
    if "categories" in data:
        categories = category_set(data["categories"], f"{where}.categories")
    answers = True
    if "answers_sender" in data:
        answers = bool_value(data["answers_sender"], f"{where}.answers_sender")
    return TriggerPolicy(categories, answers)


def _triggers(value: object) -> dict[str, TriggerPolicy]:
    if not isinstance(value, Mapping):
        raise ConfigurationError("triggers: expected a mapping of trigger name to TriggerPolicy")
    for name, policy in value.items():
        if not isinstance(name, str) or not isinstance(policy, TriggerPolicy):
            raise ConfigurationError(f"triggers.{name}: expected a TriggerPolicy")
    return dict(value)


def _addresses(values: Iterable[str], where: str) -> frozenset[str]:
    return frozenset(address_list(values, where))


def _string_set(value: object, where: str) -> frozenset[str]:
    return frozenset(string_list(value, where))


def _limit_tuple(value: object, where: str) -> tuple[Limit, ...]:
    return tuple(limits_from(value, where))


#: The policy fields that a table gives as they are, each with its reader.
_POLICY_FIELDS: Final[Mapping[str, Callable[[Any, str], object]]] = {
    "allow_addresses": _string_set,
    "allow_domains": _string_set,
    "deny_addresses": _string_set,
    "deny_domains": _string_set,
    "honor_no_autoreply": bool_value,
    "final_notice": bool_value,
    "bounce_memory": duration,
    "learn_bounces": _bounce_learning,
    "answer_memory": duration,
    "repeat_limits": _limit_tuple,
    "repeat_min_chars": int_value,
    "subaddress_separators": separators_field,
    "free_mail_domains": _string_set,
    "own_list_ids": _string_set,
    "shared_mailboxes": _string_set,
}
