"""classify(): a header-first verdict for every incoming message, with reasons."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from loopguard.classifier.bounce.step import BOUNCE_FINDINGS, bounce_step, needs_bounce_step
from loopguard.classifier.decide import conclude, is_settled, reads_no_absence, reports_failure
from loopguard.classifier.rules import DEFAULT_RULES, Rule, RuleSettings, check_unique_names
from loopguard.classifier.rules.base import RulePlan
from loopguard.classifier.rules.body import BODY_RULES, BodyRule, BodySnapshot
from loopguard.classifier.rules.content import TEXT_FINDINGS
from loopguard.classifier.rules.roles import Role, RoleIndex
from loopguard.classifier.text.languages import default_patterns
from loopguard.classifier.text.outofoffice import DEFAULT_TEXT_THRESHOLD
from loopguard.classifier.text.patterns import PatternSet
from loopguard.classifier.textstep import TextStep
from loopguard.classifier.verdict import Bounce, Category, Reason, Verdict
from loopguard.errors import ConfigurationError
from loopguard.mail.view import MessageView

__all__ = ["Classifier", "classify"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Classifier:
    """A configured classifier; :func:`classify` uses one with the defaults.

    Args:
        rules: header rules, in order (defaults to
            :data:`loopguard.classifier.rules.DEFAULT_RULES`).
        hop_limit: more ``Received`` headers than this is evidence of a loop.
        body_rules: rules read from the size-capped body when the headers are
            inconclusive (``()`` turns them off).
        text_heuristics: read the author's own text for out-of-office evidence when the
            headers are inconclusive (see :mod:`loopguard.classifier.text.outofoffice`).
        text_threshold: text evidence at or above this confidence makes an auto_reply.
        patterns: language data (:func:`loopguard.classifier.text.languages.load_patterns`)
            for subject prefixes, body phrases and quote markers.

    Raises:
        ConfigurationError: a bad setting (checked at construction).
    """

    rules: tuple[Rule, ...] = DEFAULT_RULES
    hop_limit: int = 30
    body_rules: tuple[BodyRule, ...] = BODY_RULES
    text_heuristics: bool = True
    text_threshold: float = DEFAULT_TEXT_THRESHOLD
    patterns: PatternSet = field(default_factory=default_patterns)
    settings: RuleSettings = field(init=False, repr=False, compare=False)
    """The tunables handed to every rule (derived from the fields above)."""
    no_autoreply_rules: frozenset[str] = field(init=False, repr=False, compare=False)
    """Names of the rules whose hit means "the sender asks for no automatic answer"."""
    roles: RoleIndex = field(init=False, repr=False, compare=False)
    """The roles of every rule and finding this classifier can report."""
    plan: RulePlan = field(init=False, repr=False, compare=False)
    """Which header rules a message needs, by the headers it has."""

    def __post_init__(self) -> None:
        hop_limit: object = self.hop_limit  # checked at run time: configs come from files too
        if not isinstance(hop_limit, int) or isinstance(hop_limit, bool) or hop_limit < 1:
            raise ConfigurationError(f"hop_limit must be a positive int, not {self.hop_limit!r}")
        threshold: object = self.text_threshold
        if not isinstance(threshold, int | float) or not 0.0 < threshold <= 1.0:
            raise ConfigurationError(
                f"text_threshold must be a number in (0, 1], not {self.text_threshold!r}"
            )
        if not isinstance(self.patterns, PatternSet):
            raise ConfigurationError(
                "patterns must come from loopguard.classifier.text.languages.load_patterns()"
            )
        check_unique_names(tuple(self.rules))
        object.__setattr__(self, "settings", RuleSettings(self.hop_limit, self.patterns))
        no_autoreply = frozenset(r.name for r in self.rules if r.no_autoreply)
        object.__setattr__(self, "no_autoreply_rules", no_autoreply)
        roles = RoleIndex((*self.rules, *self.body_rules, *BOUNCE_FINDINGS, *TEXT_FINDINGS))
        object.__setattr__(self, "roles", roles)
        object.__setattr__(self, "plan", RulePlan(tuple(self.rules)))

    def classify(
        self,
        message: object,
        *,
        envelope_sender: str | None = None,
        recipient: str | None = None,
        reply_to_ours: bool = False,
    ) -> Verdict:
        """Classify one message; see :func:`loopguard.classify`."""
        if envelope_sender is not None and not isinstance(envelope_sender, str):
            raise TypeError(f"envelope_sender must be a str, not {type(envelope_sender).__name__}")
        if recipient is not None and not isinstance(recipient, str):
            raise TypeError(f"recipient must be a str, not {type(recipient).__name__}")
        view = MessageView.from_input(message, envelope_sender=envelope_sender)
        return self.classify_view(view, reply_to_ours=reply_to_ours)

    def classify_view(self, view: MessageView, *, reply_to_ours: bool = False) -> Verdict:
        """Classify an already built :class:`~loopguard.mail.view.MessageView`.

        ``reply_to_ours``: the message answers one we sent (see :func:`loopguard.classify`).
        """
        reasons = [*self._damage(view), *self._run_rules(view)]
        deferred = False
        if not is_settled(reasons, self.roles):
            # The headers leave the kind open: read the size-capped body once.
            if self.body_rules:
                listed = self.roles.any(reasons, Role.LIST_HEADER)
                reasons.extend(self._run_body_rules(view, listed=listed))
            if self.text_heuristics and not is_settled(reasons, self.roles):
                # A mail system's own account (MAILER-DAEMON, postmaster) sends reports:
                # its text is read only once the bounce step found no failure in it.
                deferred = reads_no_absence(reasons, self.roles)
                if not deferred:
                    reasons.extend(self._read_text(view, reasons, reply_to_ours))
        bounce: Bounce | None = None
        if needs_bounce_step(view, reasons, self.roles):
            reasons, bounce = bounce_step(view, reasons, self.roles, self.patterns)
        if deferred and not reports_failure(reasons, self.roles):
            # No failure, no report: a vacation reply sent from a mail-system address.
            reasons.extend(self._read_text(view, reasons, reply_to_ours))
        return conclude(
            reasons,
            self.roles,
            no_autoreply=any(r.rule in self.no_autoreply_rules for r in reasons),
            bounce=bounce,
            sender=view.sender,
        )

    def _read_text(self, view: MessageView, reasons: list[Reason], ours: bool) -> Iterator[Reason]:
        """The text step, told what the headers said about who sent the message."""
        machine_sent = self.roles.any(reasons, Role.MACHINE_SENT)
        automatic = any(
            bool(played & _AUTOMATIC) and Role.WEAK not in played
            for played in map(self.roles.of, reasons)
        )
        # Conversational phrases are looked for when they may outweigh weak evidence of a
        # machine (a no-reply sender) or a notice in the text ("please do not reply to this
        # email" in a person's reply); other person signs are cheap.
        weak = self.roles.any(reasons, Role.WEAK) or any(
            reason.category in _MACHINE_KINDS and Role.CONTENT in self.roles.of(reason)
            for reason in reasons
        )
        listed = self.roles.any(reasons, Role.LIST_HEADER)
        step = TextStep(self.patterns, self.text_threshold)
        return step.read(
            view,
            machine_sent=machine_sent,
            automatic=automatic,
            weak=weak,
            reply_to_ours=ours,
            listed=listed,
        )

    def _run_rules(self, view: MessageView) -> list[Reason]:
        # Every message runs through here: a plain loop, no generator or partial per rule.
        settings = self.settings
        found: list[Reason] = []
        for item in self.plan.due(view.headers.fields.keys()):
            try:
                reason = item.check(item, view, settings)
            except Exception as exc:  # a rule bug must never break the host's pipeline
                found.append(_rule_error(item.name, exc))
                continue
            if reason is not None:
                found.append(reason)
        return found

    def _run_body_rules(self, view: MessageView, *, listed: bool) -> Iterable[Reason]:
        try:
            body = BodySnapshot(view, self.patterns, listed=listed)
            defects = len(view.parsed.defects)
        except Exception as exc:  # the stdlib parser on hostile bytes
            log.debug("body parse failed", exc_info=True)
            yield Reason("malformed-mime", None, f"MIME parse: {type(exc).__name__}", 0.0)
            return
        if defects:
            yield Reason("malformed-mime", None, f"{defects} MIME defect(s) at top level", 0.0)
        for item in self.body_rules:
            yield from _shielded(item.name, functools.partial(item, body))

    @staticmethod
    def _damage(view: MessageView) -> Iterable[Reason]:
        for note in view.headers.damage:
            yield Reason("malformed-headers", None, note, 0.0)


# Headers that say a machine sent the message (weak ones, a no-reply sender or Precedence:
# bulk, do not: people's mail carries them too).
_AUTOMATIC = frozenset({Role.GENERIC_AUTOMATION, Role.MACHINE_SENT})
# Kinds a body rule may name from words a person could write too.
_MACHINE_KINDS = frozenset({Category.AUTO_GENERATED, Category.BULK})


def _shielded(name: str, check: Callable[[], Reason | None]) -> Iterator[Reason]:
    """Run one rule; a bug in it becomes a ``rule-error`` reason, never an exception."""
    try:
        reason = check()
    except Exception as exc:  # a rule bug must never break the host's pipeline
        yield _rule_error(name, exc)
        return
    if reason is not None:
        yield reason


def _rule_error(name: str, exc: Exception) -> Reason:
    log.exception("rule %s failed", name)
    return Reason("rule-error", None, f"{name}: {type(exc).__name__}", 0.0)


@functools.cache
def _default_classifier() -> Classifier:
    # Built on first use: compiling the language data costs ~0.2 s, not worth paying at
    # import time (the command line's --help, hosts that only use the tracker).
    return Classifier()


def classify(
    message: object,
    *,
    envelope_sender: str | None = None,
    recipient: str | None = None,
    reply_to_ours: bool = False,
) -> Verdict:
    """Classify an incoming message: who wrote it, a person or which kind of machine, and why.

    Args:
        message: ``bytes``, ``str``, an :class:`email.message.Message` of any policy,
            a ``mailparser.MailParser``, or an :class:`os.PathLike` to a ``.eml`` file.
        envelope_sender: the SMTP ``MAIL FROM`` when the host knows it (``""`` or
            ``"<>"`` for a null path); it takes precedence over From for ``sender``.
        recipient: our address that received the message (kept for the guard's
            checks; the verdict does not depend on it yet).
        reply_to_ours: the message answers one we sent (its In-Reply-To or References
            names our Message-ID). Out-of-office text is then weighed a little more
            (``reply-to-ours``): an autoresponder answering our automatic mail is how
            loops start. :class:`~loopguard.guard.Guard` sets it from its loop token.

    Returns:
        A frozen :class:`~loopguard.classifier.verdict.Verdict`. Never raises on malformed mail:
        damage shows up as ``malformed-*`` reasons.

    Raises:
        TypeError: ``message`` is not one of the accepted types.
        OSError: a path that cannot be read.
    """
    return _default_classifier().classify(
        message, envelope_sender=envelope_sender, recipient=recipient, reply_to_ours=reply_to_ours
    )
