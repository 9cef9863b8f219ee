"""The options that build a Guard (``--store``, ``--limit``, ``--config``, ``--own``,
``--trigger``), shared by the commands that decide messages, and the guard they build."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

from loopguard.errors import ConfigurationError
from loopguard.guard.core import Guard
from loopguard.guard.policy import GuardConfig, limits_from, load_config
from loopguard.rate.tracker import Limit
from loopguard.stores import store_from_url

__all__ = ["add_guard_options", "build_guard", "limit_arg"]


def limit_arg(value: str) -> Limit:
    """``--limit 5/10m`` as a :class:`Limit`; a bad one is a usage error."""
    try:
        (limit,) = limits_from([value], "limit")
    except ConfigurationError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("limit[0]: ")) from None
    return limit


def build_guard(args: argparse.Namespace, clock: Callable[[], float]) -> Guard:
    """The guard a command runs: config file, then flags; store failures raise.

    Raises:
        ConfigurationError: A bad config file, store URL or setting.
    """
    config = load_config(args.config) if args.config else GuardConfig()
    store = store_from_url(args.store)
    return Guard(
        args.limits or config.limits,
        store=store,
        own_addresses=[*config.own_addresses, *args.own],
        # The secret keys the store and recognises our loop tokens; never on the command line.
        secret=os.environ.get("LOOPGUARD_SECRET") or None,
        policy=config.policy,
        on_store_error="raise",  # the command line turns a store failure into exit code 3
        identity=config.identity,
        clock=clock,
    )


def add_guard_options(parser: argparse.ArgumentParser, *, store_required: bool) -> None:
    """Add the options :func:`build_guard` reads."""
    parser.add_argument(
        "--store",
        required=store_required,
        default=None if store_required else "memory://",
        metavar="URL",
        help="rate store: memory://, sqlite:///path.db, redis://host:6379/0"
        + ("" if store_required else " (default: memory://)"),
    )
    parser.add_argument(
        "--limit",
        dest="limits",
        action="append",
        type=limit_arg,
        default=[],
        metavar="N/PER",
        help="a rate limit such as 5/10m or '20/1h sender' (repeatable; "
        "default: the config file's, else loopguard's default ladder)",
    )
    parser.add_argument("--config", metavar="FILE", help="guard settings from a .toml or .ini file")
    parser.add_argument(
        "--own",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="one of our own addresses (repeatable)",
    )
    parser.add_argument("--trigger", metavar="NAME", help="the trigger name (selects its policy)")
