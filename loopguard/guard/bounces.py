"""Which bounces may teach the guard that an address fails: only ones nobody can forge
cheaply.

A delivery report is an ordinary message: anybody can write one naming any address, and a
learned address is not answered for weeks (Zammad blocks a 5.1.1 recipient 60 days). So a
bounce teaches only when it is one by its structure (a DSN, or a mail system's failure
report, with no auto-reply evidence: ``Bounce.structural``), comes from a null sender or a
mail system, and names an address we answered recently (what RFC 3464 reports are for);
and when it returns our loop token, the token must have been issued for that address,
recently, so that replaying one token cannot name another.
"""

from __future__ import annotations

from collections.abc import Sequence

from loopguard.classifier.rules.roles import Role, RoleIndex
from loopguard.guard.context import CheckContext
from loopguard.guard.outbound import LoopToken
from loopguard.guard.policy import Policy
from loopguard.rate.limits import Clock, RateResult

__all__ = ["BounceTeacher"]


class BounceTeacher:
    """Decides what a bounce may teach, under the policy's ``learn_bounces``.

    Args:
        policy: The guard's policy.
        roles: The roles of the classifier's evidence (who is a mail system).
        token: Our loop token, if the guard has a secret.
        clock: Wall-clock seconds (the age of a returned token).
    """

    def __init__(
        self, policy: Policy, roles: RoleIndex, token: LoopToken | None, clock: Clock
    ) -> None:
        self.policy = policy
        self.roles = roles
        self.token = token
        self.clock = clock

    def may_teach(self, ctx: CheckContext) -> bool:
        """Whether the bounce itself may teach: a bounce by structure, and (unless the
        policy learns from any) sent by a null sender or a mail system."""
        bounce = ctx.verdict.bounce
        learning = self.policy.learn_bounces
        if bounce is None or not bounce.structural or learning == "never":
            return False
        return learning == "any" or self.roles.any(ctx.verdict.reasons, Role.MAIL_SYSTEM)

    def sighting(self, ctx: CheckContext) -> str | None:
        """Our valid loop token in the bounce (its returned headers or text), if any.

        Only ``"stamped"``, which needs the token, decodes base64 and quoted-printable
        parts for it (a MIME parse, about a millisecond); a token hidden that way from
        ``"verified"`` only leaves the bounce to the record of whom we answered.
        """
        if self.token is None:
            return None
        decode = self.policy.learn_bounces == "stamped"
        found = ctx.token_in_headers or self.token.find_in_body(ctx.view, decode=decode)
        return found.token if found is not None else None

    def bound(self, token: str, failed: Sequence[str]) -> list[str]:
        """The failed addresses ``token`` was issued for, recently: a bounce returning our
        own mail names the address that mail went to, and no other."""
        assert self.token is not None  # a token was found, so there is one
        now, age = self.clock(), self.policy.answer_memory
        return [a for a in failed if self.token.binds(token, a, now=now, max_age=age)]

    @staticmethod
    def answered(failed: Sequence[str], records: Sequence[RateResult]) -> list[str]:
        """The failed addresses we answered recently (a record makes the peek *not*
        allowed: its one slot is taken)."""
        return [a for a, record in zip(failed, records, strict=True) if not record.allowed]
