"""Caseworkers' decisions on early-warning scores (issue 15): the score supports a decision and
never makes one; every use records whether the caseworker follows it (``folgen``) or not
(``abweichen``, a reason required), who decided, and the score shown. Append-only versions
(``risk_decision_versions``, migration 0005) like every steering entry; the latest version per
person and scoring month is the decision in force.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from amip.steering.models import Base, Dec, Versioned
from amip.steering.versions import LABELS, VersionedStore, _blank, _raise, moment

DECISIONS = ("folgen", "abweichen")


class RiskDecisionVersion(Versioned, Base):
    """One version of a caseworker's decision on a person's score for a scoring month."""
    __tablename__ = "risk_decision_versions"
    person_id: Mapped[str] = mapped_column(String(40))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, the scoring month
    target: Mapped[str] = mapped_column(String(20))
    score: Mapped[Decimal | None] = mapped_column(Dec(), nullable=True)
    decision: Mapped[str] = mapped_column(String(10))
    caseworker: Mapped[str] = mapped_column(String(100))


LABELS[RiskDecisionVersion] = "Die Entscheidung zur Frühwarnung"


@dataclass(frozen=True)
class RiskDecision:
    person_id: str
    month: str
    target: str
    score: Decimal | None
    decision: str
    caseworker: str
    reason: str | None
    version: int
    recorded_at: dt.datetime
    recorded_by: str


def decision_key(person_id: str, month: str, target: str) -> str:
    return f"{person_id}|{month}|{target}"


def _row(v: RiskDecisionVersion) -> RiskDecision:
    return RiskDecision(v.person_id, v.month, v.target, v.score, v.decision, v.caseworker,
                        v.reason, v.version, v.recorded_at, v.recorded_by)


class RiskDecisions(VersionedStore):
    """The decision part of :class:`amip.steering.Steering`."""

    def decide(self, person_id: str, month: str, decision: str, actor: str,
               reason: str | None = None, score=None, target: str = "lzb_12",
               caseworker: str | None = None,
               expected_version: int | None = None) -> RiskDecision:
        """Record a caseworker's decision (``folgen`` | ``abweichen``; ``abweichen`` needs a
        reason). ``expected_version``: the version this change is based on (None/0 = new)."""
        errors = []
        if decision not in DECISIONS:
            errors.append(f"Entscheidung {decision!r} unbekannt (erwartet folgen oder abweichen)")
        if decision == "abweichen" and not _blank(reason):
            errors.append("Wer von der Frühwarnung abweicht, muss einen Grund angeben (--reason)")
        if not person_id or not person_id.strip():
            errors.append("Person fehlt")
        _raise(errors)
        score = None if score is None else Decimal(str(score))

        def work(s):
            key = decision_key(person_id, month, target)
            current = self._latest(RiskDecisionVersion, s, key)
            self._check_version(RiskDecisionVersion, current, expected_version)
            return _row(self._append(RiskDecisionVersion, s, key, current, actor, reason,
                                     person_id=person_id, month=month, target=target,
                                     score=score, decision=decision,
                                     caseworker=(caseworker or actor).strip()))
        return self._write(work, LABELS[RiskDecisionVersion])

    def decisions(self, month: str | None = None, as_of=None) -> list[RiskDecision]:
        """The decisions in force (latest version per person, month and target)."""
        where = [] if month is None else [RiskDecisionVersion.month == month]
        with self._read() as s:
            rows = [_row(v) for v in self._current(RiskDecisionVersion, s, where, moment(as_of))]
        return sorted(rows, key=lambda r: (r.month, r.person_id, r.target))

    def decision_history(self, person_id: str) -> list[RiskDecision]:
        """Every version for one person, oldest first."""
        q = select(RiskDecisionVersion).where(RiskDecisionVersion.person_id == person_id)
        with self._read() as s:
            return [_row(v) for v in s.scalars(q.order_by(RiskDecisionVersion.recorded_at,
                                                          RiskDecisionVersion.id))]
