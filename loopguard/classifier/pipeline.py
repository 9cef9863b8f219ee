"""classify(): a header-first verdict for every incoming message, with reasons."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from loopguard.classifier.bounce.report import BounceReport, analyse_bounce, scan_delivery_status
from loopguard.classifier.bounce.text import mentions_failure
from loopguard.classifier.rules import DEFAULT_RULES, Rule, RuleSettings, check_unique_names
from loopguard.classifier.rules.body import BODY_RULES, CHALLENGE_RESPONSE, BodyRule, BodySnapshot
from loopguard.classifier.text.authortext import author_text
from loopguard.classifier.text.outofoffice import DEFAULT_TEXT_THRESHOLD, assess_text
from loopguard.classifier.text.patterns import PatternSet, default_patterns
from loopguard.classifier.verdict import PRECEDENCE, Bounce, Category, Reason, Verdict
from loopguard.errors import ConfigurationError
from loopguard.mail.address import normalize_address
from loopguard.mail.parts import own_parts
from loopguard.mail.view import MessageView

__all__ = ["DECIDING_CONFIDENCE", "MARK_CONFIDENCE", "Classifier", "classify"]

log = logging.getLogger(__name__)

#: Evidence below this confidence is reported but never decides a category alone.
DECIDING_CONFIDENCE = 0.5
#: Evidence at or above this is a *mark* (a header a machine put there on purpose). When
#: marks exist, only marks compete, by :data:`loopguard.classifier.verdict.PRECEDENCE`;
#: weaker evidence competes only when there is no mark. So a newsletter's List-Unsubscribe
#: (a mark) beats its no-reply sender (a hint), and a bounce's DSN beats the Auto-Submitted
#: it carries.
MARK_CONFIDENCE = 0.9
_HUMAN_CONFIDENCE = 0.9

# Carrier gateways send reports from no-reply addresses, list managers their rejections
# from admin addresses: for these only the report's own
# text is read, with the strict phrase list (flufl.bounce is too slow for every no-reply).
_WEAK_BOUNCE_HINTS = frozenset({"noreply-sender", "list-admin-sender"})
# Rules whose hit makes the body worth reading for failed recipients.
_BOUNCE_HINTS = frozenset(
    {
        "multipart-report-dsn",
        "report-part-delivery-status",
        "mailer-daemon-sender",
        "null-return-path",
    }
)


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
        patterns: language data (:func:`loopguard.classifier.text.patterns.load_patterns`)
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
                "patterns must come from loopguard.classifier.text.patterns.load_patterns()"
            )
        check_unique_names(tuple(self.rules))
        object.__setattr__(self, "settings", RuleSettings(self.hop_limit, self.patterns))
        no_autoreply = frozenset(r.name for r in self.rules if r.no_autoreply)
        object.__setattr__(self, "no_autoreply_rules", no_autoreply)

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
        if not _has_mark(reasons):
            # Headers are inconclusive (no mark): read the size-capped body once.
            if self.body_rules:
                reasons.extend(self._run_body_rules(view))
            if self.text_heuristics and not _has_mark(reasons):
                machine_sent = any(r.rule in _MACHINE_SENT for r in reasons)
                reasons.extend(
                    self._read_text(view, machine_sent=machine_sent, reply_to_ours=reply_to_ours)
                )
        bounce: Bounce | None = None
        if _needs_bounce_stage(reasons):
            thorough = any(r.rule in _BOUNCE_HINTS or r.rule == "feedback-report" for r in reasons)
            report = self._read_bounce(view, thorough=thorough)
            bounce = report.bounce
            reasons = _apply_bounce_report(reasons, report, view)
            if bounce is not None and not bounce.permanent:
                reasons = self._challenge_instead_of_delay(view, reasons)
        reasons = _reports_are_not_replies(reasons)
        category, confidence = decide(reasons)
        no_autoreply = any(r.rule in self.no_autoreply_rules for r in reasons)
        if category is not Category.BOUNCE:
            bounce = None
        return Verdict(
            category=category,
            confidence=confidence,
            reasons=_strongest_first(reasons, category),
            no_autoreply=no_autoreply,
            bounce=bounce,
            sender=view.sender,
        )

    def _run_rules(self, view: MessageView) -> Iterable[Reason]:
        settings = self.settings
        present = view.headers.fields.keys()
        for item in self.rules:
            if item.headers and item.headers.isdisjoint(present):
                continue  # none of the headers it reads is there
            yield from _shielded(item.name, functools.partial(item, view, settings))

    def _challenge_instead_of_delay(self, view: MessageView, reasons: list[Reason]) -> list[Reason]:
        """Boxbe and TMDA word their challenges as delay reports ("Action: delayed"): a
        message held until its sender proves to be a person is a challenge-response
        auto-reply, not a delivery failure."""
        try:
            challenge = CHALLENGE_RESPONSE(BodySnapshot(view.parsed, view.subject, self.patterns))
        except Exception:  # the parse failed already in the bounce stage, nothing to add
            return reasons
        if challenge is None:
            return reasons
        demoted = [
            Reason(r.rule, None, r.detail, r.confidence) if r.category is Category.BOUNCE else r
            for r in reasons
        ]
        return [*demoted, Reason(challenge.rule, challenge.category, challenge.detail, 0.95)]

    def _run_body_rules(self, view: MessageView) -> Iterable[Reason]:
        try:
            body = BodySnapshot(view.parsed, view.subject, self.patterns)
            defects = len(body.message.defects)
        except Exception as exc:  # the stdlib parser on hostile bytes
            log.debug("body parse failed", exc_info=True)
            yield Reason("malformed-mime", None, f"MIME parse: {type(exc).__name__}", 0.0)
            return
        if defects:
            yield Reason("malformed-mime", None, f"{defects} MIME defect(s) at top level", 0.0)
        for item in self.body_rules:
            yield from _shielded(item.name, functools.partial(item, body))

    def _read_text(
        self, view: MessageView, *, machine_sent: bool, reply_to_ours: bool
    ) -> Iterable[Reason]:
        """Out-of-office evidence from the subject and the author's own words.

        ``machine_sent``: the headers say a machine sent the message without saying which
        kind (null return path, Precedence: bulk/junk). A short text with reply signals
        ("I will reply as soon as possible") from such a sender is an autoresponder.
        """
        try:
            body = author_text(view.parsed, max_chars=_AUTHOR_CHARS, patterns=self.patterns)
            assessment = assess_text(view.subject, body, self.patterns, reply_to_ours=reply_to_ours)
        except Exception as exc:  # the text step must never break the host's pipeline
            log.exception("text heuristics failed")
            yield Reason("rule-error", None, f"text heuristics: {type(exc).__name__}", 0.0)
            return
        # The signals are shown for explanation only: one combined score decides.
        for signal in assessment.reasons:
            if not signal.rule.startswith("subject-"):
                yield Reason(signal.rule, None, signal.detail, signal.confidence)
        score = assessment.confidence
        short = any(signal.rule == "body-short" for signal in assessment.reasons)
        if machine_sent and short and 0.0 < score < self.text_threshold:
            score = 1.0 - (1.0 - score) * (1.0 - _MACHINE_SENT_WEIGHT)
            yield Reason("machine-sent-reply-text", None, "reply text from a machine sender", 0.5)
        if score >= self.text_threshold:
            detail = f"text score {score:.2f} ≥ {self.text_threshold:.2f}"
            yield Reason("ooo-text", Category.AUTO_REPLY, detail, round(min(score, 0.9), 3))

    @staticmethod
    def _damage(view: MessageView) -> Iterable[Reason]:
        for note in view.headers.damage:
            yield Reason("malformed-headers", None, note, 0.0)

    @staticmethod
    def _read_bounce(view: MessageView, *, thorough: bool) -> BounceReport:
        if not thorough and view.has_raw and not mentions_failure(view.body_bytes(8192)):
            return BounceReport(None, False, False)  # a weak candidate that states nothing
        ctype, params = view.content_type
        if (
            view.has_raw
            and ctype == "multipart/report"
            and params.get("report-type") == ("delivery-status")
        ):
            fast = scan_delivery_status(view.body_bytes())
            if fast is not None:
                return fast
        try:
            parsed = view.parsed
        except Exception as exc:  # the stdlib parser on hostile bytes
            log.debug("body parse failed", exc_info=True)
            return BounceReport(None, False, False, damage=f"MIME parse: {type(exc).__name__}")
        # The report's own From and To (the original sender) are never failed recipients.
        exclude = {view.from_address, normalize_address(view.get("to"))}
        return analyse_bounce(parsed, exclude=frozenset(a for a in exclude if a), thorough=thorough)


# Author text read for out-of-office evidence: phrases are looked for in its first 4,000
# characters, and anything longer than that already counts as a person's long letter.
_AUTHOR_CHARS = 6000

# Header evidence that a machine sent the message without saying which kind; with short
# reply text it completes an autoresponder's picture (weight of that combination).
_MACHINE_SENT = frozenset({"null-return-path", "precedence-bulk"})
_MACHINE_SENT_WEIGHT = 0.5

_GENERIC_AUTOMATION = frozenset({"noreply-sender", "system-account-sender", "list-admin-sender"})

# Evidence that the message is a machine report (delivery, feedback, disposition).
_REPORT_EVIDENCE = frozenset(
    {
        "multipart-report-dsn",
        "report-part-delivery-status",
        "delivery-report-success",
        "failed-recipients",
        "bounce-text",
        "feedback-report",
        "report-part-feedback",
        "complaint-report",
        "mdn-report",
        "report-part-disposition",
    }
)


def _reports_are_not_replies(reasons: list[Reason]) -> list[Reason]:
    """Postfix and many report generators stamp ``Auto-Submitted: auto-replied`` on their
    reports (RFC 3834 allows it); on a report it does not mean an auto-reply."""
    if not any(r.rule in _REPORT_EVIDENCE for r in reasons):
        return reasons
    return [
        Reason(
            r.rule,
            Category.AUTO_GENERATED,
            _short(f"{r.detail} (on a machine report)"),
            r.confidence,
        )
        if r.rule == "auto-submitted" and r.category is Category.AUTO_REPLY
        else r
        for r in reasons
    ]


def _strongest_first(reasons: list[Reason], category: Category) -> tuple[Reason, ...]:
    """The evidence for the chosen category first, strongest first; then the rest in
    evaluation order (sorting is stable)."""
    return tuple(sorted(reasons, key=lambda r: -r.confidence if r.category is category else 1.0))


def _has_mark(reasons: list[Reason]) -> bool:
    return any(r.category is not None and r.confidence >= MARK_CONFIDENCE for r in reasons)


def _shielded(name: str, check: Callable[[], Reason | None]) -> Iterator[Reason]:
    """Run one rule; a bug in it becomes a ``rule-error`` reason, never an exception."""
    try:
        reason = check()
    except Exception as exc:  # a rule bug must never break the host's pipeline
        log.exception("rule %s failed", name)
        yield Reason("rule-error", None, f"{name}: {type(exc).__name__}", 0.0)
        return
    if reason is not None:
        yield reason


def _needs_bounce_stage(reasons: list[Reason]) -> bool:
    if any(r.rule in _OTHER_REPORTS and r.confidence >= MARK_CONFIDENCE for r in reasons):
        return False  # a typed feedback report or a receipt is not a bounce, whoever sent it
    rules = {r.rule for r in reasons}
    return bool(rules & (_BOUNCE_HINTS | _WEAK_BOUNCE_HINTS)) or "feedback-report" in rules


_OTHER_REPORTS = frozenset({"feedback-report", "complaint-report", "mdn-report"})
# Reason details reach logs and terminals: at most this many characters.
_MAX_DETAIL = 200


def _short(detail: str) -> str:
    return detail if len(detail) <= _MAX_DETAIL else detail[: _MAX_DETAIL - 4] + " ..."


def _apply_bounce_report(
    reasons: list[Reason], report: BounceReport, view: MessageView
) -> list[Reason]:
    """Turn what the body said into reasons: confirm, refine or demote the bounce evidence."""
    rules = {r.rule for r in reasons}
    out = list(reasons)
    if report.damage:
        out.append(Reason("malformed-mime", None, report.damage, 0.0))
    if report.success_only:
        # A DSN that reports only deliveries is a notification, not a failure.
        out = [r for r in out if r.rule != "multipart-report-dsn"]
        out.append(
            Reason(
                "delivery-report-success",
                Category.AUTO_GENERATED,
                "delivery-status: every recipient delivered, relayed or expanded",
                0.95,
            )
        )
        return out
    if report.bounce is not None:
        failed = sorted(report.bounce.recipients)
        shown = ", ".join(failed[:5]) + (" ..." if len(failed) > 5 else "")
        source = "delivery-status" if report.has_status_part else "bounce text"
        detail = _short(f"{source}: {shown}")  # addresses can be long
        out.append(Reason("failed-recipients", Category.BOUNCE, detail, 0.95))
    elif report.failure:
        out.append(Reason("bounce-text", Category.BOUNCE, report.failure, 0.9))
    elif "bounce-subject" in rules and rules & _MAIL_SYSTEM:
        out.append(
            Reason(
                "bounce-text",
                Category.BOUNCE,
                f"report subject from a mail system: {view.subject[:80]}",
                0.9,
            )
        )
    elif rules & _MAIL_SYSTEM and _returned_original(view):
        # Whatever language its text is in, a mail system that sends a message back
        # (attached, or its headers) reports that it was not delivered.
        detail = "a mail system sent back a message (message/rfc822 or its headers)"
        out.append(Reason("returned-original", Category.BOUNCE, detail, 0.9))
    return out


_MAIL_SYSTEM = frozenset({"mailer-daemon-sender", "null-return-path"})
_RETURNED = frozenset({"message/rfc822", "text/rfc822-headers", "message/global"})


def _returned_original(view: MessageView) -> bool:
    try:
        return any(part.get_content_type() in _RETURNED for part in own_parts(view.parsed))
    except Exception:  # the parse failed: nothing more to learn from the body
        return False


def decide(reasons: Iterable[Reason]) -> tuple[Category, float]:
    """Pick the category from the evidence, with its confidence (see MARK_CONFIDENCE).

    Generic evidence of automation (a no-reply or system-account sender) says that a
    machine sent the message, not which kind: it names ``auto_generated`` only when no
    other evidence names a category (a no-reply carrier report is a bounce, a no-reply
    mail with an unsubscribe footer bulk), or when the sender is a no-reply address
    and the only other evidence is list headers (a notification service: GitHub,
    carriers, shops).
    """
    deciding = [
        r for r in reasons if r.category is not None and r.confidence >= DECIDING_CONFIDENCE
    ]
    specific = [r for r in deciding if r.rule not in _GENERIC_AUTOMATION]
    noreply = any(r.rule == "noreply-sender" for r in deciding)
    if noreply and _only_list_headers(specific):
        # List headers on mail from a no-reply address: a notification
        # service (GitHub, carriers, shops), not a discussion list or a newsletter.
        return Category.AUTO_GENERATED, _combined([r.confidence for r in deciding])
    by_category: dict[Category, list[float]] = {}
    for reason in specific or deciding:
        if reason.category is not None:
            by_category.setdefault(reason.category, []).append(reason.confidence)
    marked = {c for c, values in by_category.items() if max(values) >= MARK_CONFIDENCE}
    candidates = marked or set(by_category)
    for category in PRECEDENCE:
        if category in candidates:
            return category, _combined(by_category[category])
    return Category.HUMAN, _HUMAN_CONFIDENCE


_LIST_HEADER_RULES = frozenset(
    {"list-headers", "feedback-id", "x-beenthere", "mailing-list", "precedence-bulk"}
)


def _only_list_headers(specific: list[Reason]) -> bool:
    return bool(specific) and all(r.rule in _LIST_HEADER_RULES for r in specific)


def _combined(confidences: list[float]) -> float:
    # Independent pieces of evidence for the same category reinforce each other.
    doubt = 1.0
    for value in confidences:
        doubt *= 1.0 - value
    return round(min(0.999, 1.0 - doubt), 3)


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
