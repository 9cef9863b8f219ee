"""Reading configuration: files into plain data, and each field checked with its name.

A TOML file is read as it is; an INI file is turned into the same shape (a
``[loopguard]`` section for the top level, ``[policy]``, ``[trigger:NAME]``, lists
comma-separated). Every reader takes the field's dotted name (``where``) and puts it at
the front of its :class:`~loopguard.errors.ConfigurationError`, so a bad file says which
field is wrong.
"""

from __future__ import annotations

import configparser
import fnmatch
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final, TypeVar

from loopguard.classifier.verdict import Category
from loopguard.errors import ConfigurationError
from loopguard.mail.address import domain_of, normalize_address
from loopguard.rate.limits import Limit, parse_duration

__all__ = [
    "REPEAT_KEYS",
    "address_list",
    "bool_value",
    "category_set",
    "check_bool",
    "compile_globs",
    "domain_set",
    "duration",
    "glob_patterns",
    "int_value",
    "is_count",
    "limit",
    "limits_from",
    "list_id",
    "list_ids",
    "listed",
    "one_of",
    "read_file",
    "reject_unknown",
    "repeat_limits",
    "separators",
    "separators_field",
    "split_list",
    "string_list",
]

_Choice = TypeVar("_Choice", bound=str)
_CATEGORY_NAMES: Final = ", ".join(c.value for c in Category)


def read_file(source: str | os.PathLike[str]) -> Mapping[str, Any]:
    """The data of a ``.toml`` file, or of a ``.ini`` / ``.cfg`` file in the same shape.

    Raises:
        ConfigurationError: An unreadable or malformed file.
    """
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read config {path}: {exc}") from exc
    if path.suffix.lower() == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"{path}: {exc}") from exc
    return _ini_to_dict(text, path)


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
                data[key] = split_list(value) if key in ("limits", "own_addresses") else value
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
        "do_not_mail", "extra_do_not_mail", "repeat_limits", "free_mail_domains",
        "own_list_ids", "shared_mailboxes",
    }
)  # fmt: skip


def _ini_policy(fields: Mapping[str, str]) -> dict[str, Any]:
    return {key: split_list(value) if key in _INI_LISTS else value for key, value in fields.items()}


def split_list(value: str) -> list[str]:
    return [item.strip() for item in re.split(r"[,\n]", value) if item.strip()]


def reject_unknown(data: Mapping[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(str(key) for key in data if key not in known)
    if unknown:
        prefix = f"{where}." if where else ""
        raise ConfigurationError(
            f"{prefix}{unknown[0]}: unknown field (expected one of {', '.join(sorted(known))})"
        )


def category_set(value: object, where: str) -> frozenset[Category]:
    names = string_list(value, where)
    result = set()
    for index, name in enumerate(names):
        try:
            result.add(Category(name.strip().lower()))
        except ValueError:
            raise ConfigurationError(
                f"{where}[{index}]: unknown category {name!r} (expected {_CATEGORY_NAMES})"
            ) from None
    return frozenset(result)


def limit(item: object, where: str) -> Limit:
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
            reject_unknown(item, {"count", "per", "key"}, "")
            return Limit(item.get("count"), item.get("per"), item.get("key", "pair"))  # type: ignore[arg-type]
    except ConfigurationError as exc:
        raise ConfigurationError(f"{where}: {exc}") from None
    raise ConfigurationError(f"{where}: expected 'count/per [key]' or a table, got {item!r}")


def limits_from(value: object, where: str) -> list[Limit]:
    """Limits from a list of ``"count/per [key]"`` strings or ``{count, per, key}`` tables."""
    if isinstance(value, str | Mapping) or not isinstance(value, Iterable):
        raise ConfigurationError(f"{where}: expected a list of limits")
    return [limit(item, f"{where}[{index}]") for index, item in enumerate(value)]


def string_list(value: object, where: str) -> list[str]:
    if isinstance(value, str):
        return split_list(value)
    if not isinstance(value, Iterable) or isinstance(value, Mapping):
        raise ConfigurationError(f"{where}: expected a list of strings")
    items = list(value)
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise ConfigurationError(f"{where}[{index}]: expected a string, got {item!r}")
    return items


def address_list(values: Iterable[str], where: str) -> list[str]:
    result = []
    for index, value in enumerate(string_list(values, where)):
        address = normalize_address(value)
        if address is None:
            raise ConfigurationError(f"{where}[{index}]: not an address: {value!r}")
        result.append(address)
    return result


def domain_set(values: Iterable[str], where: str) -> frozenset[str]:
    result = set()
    for index, value in enumerate(string_list(values, where)):
        domain = value.strip().lstrip("@").rstrip(".").casefold()
        if not domain or any(char.isspace() or char == "@" for char in domain):
            raise ConfigurationError(f"{where}[{index}]: not a domain: {value!r}")
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise ConfigurationError(f"{where}[{index}]: not a domain: {value!r}") from None
        result.add(domain)
    return frozenset(result)


def duration(value: object, where: str) -> float:
    try:
        return parse_duration(value)  # type: ignore[arg-type]
    except ConfigurationError as exc:
        raise ConfigurationError(f"{where}: {exc}") from None


def check_bool(value: object, where: str) -> None:
    if not isinstance(value, bool):
        raise ConfigurationError(f"{where}: expected true or false, got {value!r}")


def bool_value(value: object, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "1"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "no", "off", "0"):
        return False
    raise ConfigurationError(f"{where}: expected true or false, got {value!r}")


def int_value(value: object, where: str) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if is_count(value, minimum=0):
        return value  # type: ignore[return-value]
    raise ConfigurationError(f"{where}: expected an integer >= 0, got {value!r}")


def is_count(value: object, *, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def one_of(value: object, choices: tuple[_Choice, ...], where: str) -> _Choice:
    """``value`` as the one of ``choices`` it equals, or an error naming ``where``."""
    for known in choices:
        if value == known:
            return known
    raise ConfigurationError(f"{where}: expected one of {', '.join(choices)}, got {value!r}")


#: What identical text may be counted by (see ``Policy.repeat_limits``).
REPEAT_KEYS: Final = ("sender", "domain", "recipient")


def repeat_limits(value: object) -> tuple[Limit, ...]:
    if not isinstance(value, tuple | list):
        raise ConfigurationError("repeat_limits: expected a sequence of Limit")
    for index, limit in enumerate(value):
        if not isinstance(limit, Limit) or limit.key not in REPEAT_KEYS:
            raise ConfigurationError(
                f"repeat_limits[{index}]: expected a Limit keyed 'sender' (a correspondent), "
                f"'domain' (an organization) or 'recipient', got {limit!r}"
            )
    return tuple(value)


def list_id(value: str) -> str:
    """A List-Id's identifier: what its angle brackets hold (RFC 2919), case-folded."""
    inside = value.rpartition("<")[2].partition(">")[0] if "<" in value else value
    return inside.strip().casefold()


def list_ids(values: object) -> frozenset[str]:
    ids = [list_id(value) for value in string_list(values, "own_list_ids")]
    for index, found in enumerate(ids):
        if not found or any(char.isspace() for char in found):
            raise ConfigurationError(f"own_list_ids[{index}]: not a List-Id: {found!r}")
    return frozenset(ids)


def separators(value: object) -> str:
    if not isinstance(value, str) or any(char.isalnum() or char in "@. " for char in value):
        raise ConfigurationError(
            f"subaddress_separators: expected separator characters such as '+' or '+-', "
            f"got {value!r}"
        )
    return value


def separators_field(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigurationError(f"{where}: expected a string of separator characters")
    return value


def glob_patterns(values: object) -> tuple[str, ...]:
    patterns = string_list(values, "do_not_mail")
    for index, pattern in enumerate(patterns):
        if not pattern.strip():
            raise ConfigurationError(f"do_not_mail[{index}]: empty pattern")
    return tuple(pattern.strip().casefold() for pattern in patterns)


def compile_globs(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    # fnmatch.translate emits atomic groups for '*', so the joined pattern stays linear.
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(pattern)})" for pattern in patterns))


def listed(address: str | None, addresses: frozenset[str], domains: frozenset[str]) -> str | None:
    """What lists a normalized address: ``"address"``, ``"domain d"`` (or a parent), or None."""
    if not address or not (addresses or domains):  # most lists are empty: no domain walk
        return None
    if address in addresses:
        return "address"
    domain = domain_of(address)
    while domain:
        if domain in domains:
            return f"domain {domain}"
        domain = domain.partition(".")[2]
    return None
