"""Session statistics for the dashboard, the exports and the yearly summary.

Every figure is a SQL aggregate: a session costs a fixed number of queries, and the per-unit
table one GROUP BY query per family of figures, however many units and cases there are.

Definitions (the words of the bureaus' yearly reports):

- received: proposals of the session (for one unit: the cases that reached it, even if returned);
- assigned: proposals with at least one assignment not withdrawn;
- assignments: replying assignments (lead, split, sole) not withdrawn: the replies owed;
- replied: those whose first reply went out (replied, awaiting feedback, closed, or re-handled);
- on_time / late: replied, first reply sent on or before / after the deadline in force that day;
- overdue / due_soon: any assignment still awaiting its reply or opinion, past / near its deadline;
- categories: the category of each replying assignment's latest signed reply letter;
- feedback: each proposer's latest rating of each replying assignment.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from tracker.contacts.models import Rating
from tracker.core.settings import get_setting
from tracker.deadlines.services import DueState, due_soon_limit, due_state
from tracker.directory.models import CouncilSession, Unit
from tracker.extensions import db
from tracker.proposals.models import Assignment, AssignmentRole, CaseType, Proposal
from tracker.proposals.workflow import AssignmentStatus
from tracker.reports.aggregates import (
    categories_from,
    category_counts,
    feedback_counts,
    figure_columns,
    figures_from_row,
    is_live,
    is_replied,
    is_replying,
    n_of,
    ratings_from,
    scope,
)

S = AssignmentStatus


def ratio(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide by."""
    return part / whole if whole else None


def category_codes() -> list[str]:
    """The configured result categories' codes, in their order (A, B, C, D by default)."""
    return [str(c["code"]) for c in get_setting("result_categories")]


# ---------- the dataclasses ----------


@dataclass(kw_only=True)
class Figures:
    """The figures a session and a unit share."""

    received: int = 0
    key_count: int = 0
    assigned: int = 0
    withdrawn: int = 0
    by_role: dict[AssignmentRole, int] = field(default_factory=dict)  # live assignments per role
    assignments: int = 0
    replied: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    due_soon: int = 0
    categories: dict[str, int] = field(default_factory=dict)  # configured codes first, zeros kept
    uncategorised: int = 0  # latest signed letter carries no category
    feedback: dict[Rating, int] = field(default_factory=dict)  # every rating, zeros kept

    @property
    def pending(self) -> int:
        """Replies still owed."""
        return self.assignments - self.replied

    @property
    def reply_rate(self) -> float | None:
        return ratio(self.replied, self.assignments)

    @property
    def on_time_rate(self) -> float | None:
        return ratio(self.on_time, self.replied)

    @property
    def category_total(self) -> int:
        return sum(self.categories.values())

    def category_rate(self, code: str) -> float | None:
        return ratio(self.categories.get(code, 0), self.category_total)

    @property
    def feedback_total(self) -> int:
        return sum(self.feedback.values())

    def rating_rate(self, rating: Rating) -> float | None:
        return ratio(self.feedback.get(rating, 0), self.feedback_total)

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率 as the reports give it: 满意 and 基本满意 over all ratings."""
        happy = self.feedback.get(Rating.SATISFIED, 0) + self.feedback.get(
            Rating.BASICALLY_SATISFIED, 0
        )
        return ratio(happy, self.feedback_total)


@dataclass(frozen=True)
class KeyUnit:
    unit_id: int
    unit_name: str
    role: AssignmentRole
    status: AssignmentStatus
    due_on: date
    replied_on: date | None
    due_state: DueState | None


@dataclass(frozen=True)
class KeyProposal:
    proposal_id: int
    number: str
    title: str
    units: list[KeyUnit]


@dataclass(kw_only=True)
class SessionStats(Figures):
    session_id: int
    session_name: str  # 深圳市政协七届二次会议
    today: date
    unit_id: int | None = None
    received_by_type: dict[CaseType, int] = field(default_factory=dict)
    key_proposals: list[KeyProposal] = field(default_factory=list)


@dataclass(kw_only=True)
class UnitRow(Figures):
    unit_id: int
    unit_name: str


class MonthRow(NamedTuple):
    month: str  # yyyy-mm
    replied: int  # first replies sent that month
    due: int  # replies whose (first-round) deadline falls that month


@dataclass(frozen=True)
class UnitRate:
    unit_id: int
    unit_name: str
    replied: int
    on_time: int

    @property
    def rate(self) -> float | None:
        return ratio(self.on_time, self.replied)


# ---------- the session ----------


def session_stats(session_id: int, today: date, unit_id: int | None = None) -> SessionStats:
    """The session's figures (or one unit's share of them) as of `today`."""
    session = db.session.get(CouncilSession, session_id)
    if session is None:
        raise LookupError(f"no session {session_id}")
    soon = due_soon_limit(today)
    where = scope(session_id, unit_id)

    received = sa.select(
        Proposal.case_type,
        sa.func.count(Proposal.id).label("n"),
        n_of(Proposal.is_key.is_(True)).label("key"),
    ).where(Proposal.session_id == session_id)
    if unit_id is not None:
        received = received.where(
            Proposal.id.in_(sa.select(Assignment.proposal_id).where(Assignment.unit_id == unit_id))
        )
    by_type = {t: 0 for t in CaseType}
    key_count = 0
    for row in db.session.execute(received.group_by(Proposal.case_type)):
        by_type[row.case_type] = int(row.n)
        key_count += int(row.key or 0)

    figures_row = db.session.execute(
        sa.select(*figure_columns(today, soon))
        .select_from(Assignment)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(*where)
    ).one()
    figures = figures_from_row(figures_row)
    figures.update(received=sum(by_type.values()), key_count=key_count)

    replying = [*where, is_replying()]
    found = {row.category: row.n for row in db.session.execute(category_counts(replying, False))}
    categories, uncategorised = categories_from(found, category_codes())
    ratings = ratings_from(
        {row.rating: row.n for row in db.session.execute(feedback_counts(replying, False))}
    )

    return SessionStats(
        session_id=session_id,
        session_name=session.full_name,
        today=today,
        unit_id=unit_id,
        received_by_type=by_type,
        categories=categories,
        uncategorised=uncategorised,
        feedback=ratings,
        key_proposals=key_proposals(session_id, today, unit_id, soon=soon),
        **figures,
    )


def key_proposals(
    session_id: int, today: date, unit_id: int | None = None, *, soon: date | None = None
) -> list[KeyProposal]:
    """The session's key proposals (重点提案) with each unit's role and state."""
    soon = soon or due_soon_limit(today)
    stmt = (
        sa.select(Proposal)
        .where(Proposal.session_id == session_id, Proposal.is_key.is_(True))
        .order_by(Proposal.number, Proposal.id)
        .options(selectinload(Proposal.assignments))
    )
    if unit_id is not None:
        stmt = stmt.where(
            Proposal.id.in_(
                sa.select(Assignment.proposal_id).where(Assignment.unit_id == unit_id, is_live())
            )
        )
    return [
        KeyProposal(
            proposal_id=p.id,
            number=p.number,
            title=p.title,
            units=[
                KeyUnit(
                    unit_id=a.unit_id,
                    unit_name=a.unit.name,
                    role=a.role,
                    status=a.status,
                    due_on=a.due_on,
                    replied_on=a.replied_on,
                    due_state=due_state(a.due_on, a.status.awaits_reply, today, soon),
                )
                for a in p.assignments
                if a.status is not S.WITHDRAWN
            ],
        )
        for p in db.session.scalars(stmt)
    ]


# ---------- per unit ----------


def unit_stats(session_id: int, today: date) -> list[UnitRow]:
    """The same figures for every unit that has a case in the session, by unit name."""
    soon = due_soon_limit(today)
    where = scope(session_id)
    replying = [*where, is_replying()]
    codes = category_codes()

    rows = db.session.execute(
        sa.select(Assignment.unit_id, Unit.name, *figure_columns(today, soon))
        .select_from(Assignment)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .join(Unit, Unit.id == Assignment.unit_id)
        .where(*where)
        .group_by(Assignment.unit_id, Unit.name)
        .order_by(Unit.name, Assignment.unit_id)
    ).all()

    found_categories: dict[int, dict[str | None, int]] = defaultdict(dict)
    for row in db.session.execute(category_counts(replying, True)):
        found_categories[row.unit_id][row.category] = row.n
    found_ratings: dict[int, dict[Rating, int]] = defaultdict(dict)
    for row in db.session.execute(feedback_counts(replying, True)):
        found_ratings[row.unit_id][row.rating] = row.n

    result = []
    for row in rows:
        categories, uncategorised = categories_from(found_categories.get(row.unit_id, {}), codes)
        result.append(
            UnitRow(
                unit_id=row.unit_id,
                unit_name=row.name,
                categories=categories,
                uncategorised=uncategorised,
                feedback=ratings_from(found_ratings.get(row.unit_id, {})),
                **figures_from_row(row),
            )
        )
    return result


def on_time_rate_per_unit(session_id: int) -> list[UnitRate]:
    """Each unit's on-time rate of first replies, best first (units with no reply last)."""
    replied = is_replied()
    rows = db.session.execute(
        sa.select(
            Assignment.unit_id,
            Unit.name,
            n_of(replied).label("replied"),
            n_of(sa.and_(replied, Assignment.replied_on <= Assignment.replied_due_on)).label(
                "on_time"
            ),
        )
        .select_from(Assignment)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .join(Unit, Unit.id == Assignment.unit_id)
        .where(Proposal.session_id == session_id, is_replying())
        .group_by(Assignment.unit_id, Unit.name)
    ).all()
    rates = [UnitRate(r.unit_id, r.name, int(r.replied), int(r.on_time)) for r in rows]
    return sorted(rates, key=lambda r: (r.rate is None, -(r.rate or 0), r.unit_name))


# ---------- per month ----------


def _by_month(column, *where) -> dict[str, int]:
    year = sa.extract("year", column)
    month = sa.extract("month", column)
    stmt = (
        sa.select(year.label("y"), month.label("m"), sa.func.count().label("n"))
        .select_from(Assignment)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(column.is_not(None), *where)
        .group_by(year, month)
    )
    return {f"{int(r.y):04d}-{int(r.m):02d}": int(r.n) for r in db.session.execute(stmt)}


def _months_between(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:])
    months = []
    while f"{y:04d}-{m:02d}" <= last:
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def replies_per_month(session_id: int) -> list[MonthRow]:
    """First replies sent and replies due, month by month (months without either included)."""
    where = [Proposal.session_id == session_id, is_replying()]
    replied = _by_month(Assignment.replied_on, *where)
    due = _by_month(sa.func.coalesce(Assignment.replied_due_on, Assignment.due_on), *where)
    months = sorted(set(replied) | set(due))
    if not months:
        return []
    return [
        MonthRow(month, replied.get(month, 0), due.get(month, 0))
        for month in _months_between(months[0], months[-1])
    ]
