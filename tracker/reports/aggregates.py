"""The SQL the figures are made of: which assignments count, each one's latest signed letter
and each proposer's latest rating, as conditions, columns and subqueries that GROUP BY."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import sqlalchemy as sa

from tracker.contacts.models import Feedback, Rating
from tracker.extensions import db
from tracker.proposals.models import Assignment, AssignmentRole, Proposal
from tracker.proposals.workflow import PENDING_REPLY, AssignmentStatus
from tracker.replies.models import LetterKind, Reply, ReplyStatus

S = AssignmentStatus
REPLYING_ROLES = (AssignmentRole.LEAD, AssignmentRole.SPLIT, AssignmentRole.SOLE)
REPLIED_STATES = (S.REPLIED, S.AWAITING_FEEDBACK, S.CLOSED)
_PENDING = sorted(PENDING_REPLY, key=lambda s: s.value)  # a stable order keeps SQL cacheable


def n_of(condition) -> sa.ColumnElement:
    """How many rows meet the condition (0, never NULL)."""
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def is_live():
    """The assignment was not withdrawn (returned)."""
    return Assignment.status != S.WITHDRAWN


def is_replying():
    """A live assignment that owes the proposer a reply (lead, split, sole)."""
    return sa.and_(is_live(), Assignment.role.in_(REPLYING_ROLES))


def is_replied():
    """A replying assignment whose first reply went out."""
    return sa.and_(
        is_replying(), sa.or_(Assignment.status.in_(REPLIED_STATES), Assignment.round > 1)
    )


def scope(session_id: int, unit_id: int | None = None) -> list:
    """The session's assignments (one unit's, if given); the query joins Proposal."""
    conditions = [Proposal.session_id == session_id]
    if unit_id is not None:
        conditions.append(Assignment.unit_id == unit_id)
    return conditions


def figure_columns(today: date, soon: date) -> list:
    """The assignment figures as aggregate columns over Assignment joined with Proposal."""
    pending = Assignment.status.in_(_PENDING)
    replied = is_replied()
    return [
        sa.func.count(sa.distinct(Assignment.proposal_id)).label("received"),
        sa.func.count(
            sa.distinct(sa.case((Proposal.is_key.is_(True), Assignment.proposal_id)))
        ).label("key_count"),
        sa.func.count(sa.distinct(sa.case((is_live(), Assignment.proposal_id)))).label("assigned"),
        n_of(Assignment.status == S.WITHDRAWN).label("withdrawn"),
        n_of(is_replying()).label("assignments"),
        n_of(replied).label("replied"),
        n_of(sa.and_(replied, Assignment.replied_on <= Assignment.replied_due_on)).label("on_time"),
        n_of(sa.and_(replied, Assignment.replied_on > Assignment.replied_due_on)).label("late"),
        n_of(sa.and_(pending, Assignment.due_on < today)).label("overdue"),
        n_of(sa.and_(pending, Assignment.due_on.between(today, soon))).label("due_soon"),
        *(
            n_of(sa.and_(is_live(), Assignment.role == role)).label(f"role_{role.value}")
            for role in AssignmentRole
        ),
    ]


def figures_from_row(row) -> dict:
    m = row._mapping
    values = {
        name: int(m[name] or 0)
        for name in (
            "received",
            "key_count",
            "assigned",
            "withdrawn",
            "assignments",
            "replied",
            "on_time",
            "late",
            "overdue",
            "due_soon",
        )
    }
    values["by_role"] = {role: int(m[f"role_{role.value}"] or 0) for role in AssignmentRole}
    return values


def latest_letters(*where) -> sa.Subquery:
    """(assignment_id, round) of each assignment's latest signed reply letter."""
    return (
        sa.select(Reply.assignment_id, sa.func.max(Reply.round).label("round"))
        .join(Assignment, Assignment.id == Reply.assignment_id)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(Reply.kind == LetterKind.REPLY, Reply.status == ReplyStatus.SIGNED, *where)
        .group_by(Reply.assignment_id)
        .subquery("latest_letter")
    )


def latest_feedback(*where) -> sa.Subquery:
    """(assignment_id, proposer_id, round) of each proposer's latest rating of an assignment."""
    return (
        sa.select(
            Feedback.assignment_id, Feedback.proposer_id, sa.func.max(Feedback.round).label("round")
        )
        .join(Assignment, Assignment.id == Feedback.assignment_id)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(*where)
        .group_by(Feedback.assignment_id, Feedback.proposer_id)
        .subquery("latest_feedback")
    )


def category_counts(where: list, by_unit: bool) -> sa.Select:
    latest = latest_letters(*where)
    keys = [Assignment.unit_id] if by_unit else []
    return (
        sa.select(*keys, Reply.category, sa.func.count().label("n"))
        .select_from(latest)
        .join(
            Reply,
            sa.and_(Reply.assignment_id == latest.c.assignment_id, Reply.round == latest.c.round),
        )
        .join(Assignment, Assignment.id == Reply.assignment_id)
        .group_by(*keys, Reply.category)
    )


def feedback_counts(where: list, by_unit: bool) -> sa.Select:
    latest = latest_feedback(*where)
    keys = [Assignment.unit_id] if by_unit else []
    return (
        sa.select(*keys, Feedback.rating, sa.func.count().label("n"))
        .select_from(latest)
        .join(
            Feedback,
            sa.and_(
                Feedback.assignment_id == latest.c.assignment_id,
                Feedback.proposer_id == latest.c.proposer_id,
                Feedback.round == latest.c.round,
            ),
        )
        .join(Assignment, Assignment.id == Feedback.assignment_id)
        .group_by(*keys, Feedback.rating)
    )


def categories_from(found: dict[str | None, int], codes: list[str]) -> tuple[dict[str, int], int]:
    counts = {code: 0 for code in codes}
    uncategorised = 0
    for code, n in found.items():
        if code is None or code == "":
            uncategorised += n
        else:
            counts[code] = counts.get(code, 0) + n  # a code since removed from the settings
    return counts, uncategorised


def ratings_from(found: dict[Rating, int]) -> dict[Rating, int]:
    return {rating: found.get(rating, 0) for rating in Rating}


# ---------- for one batch of cases (the case list export) ----------


def categories_for(assignment_ids: list[int]) -> dict[int, str | None]:
    """The category of each assignment's latest signed reply letter."""
    if not assignment_ids:
        return {}
    latest = latest_letters(Assignment.id.in_(assignment_ids))
    rows = db.session.execute(
        sa.select(Reply.assignment_id, Reply.category)
        .select_from(latest)
        .join(
            Reply,
            sa.and_(Reply.assignment_id == latest.c.assignment_id, Reply.round == latest.c.round),
        )
    )
    return {row.assignment_id: row.category for row in rows}


def ratings_for(assignment_ids: list[int]) -> dict[int, list[Rating]]:
    """Each proposer's latest rating of each assignment."""
    if not assignment_ids:
        return {}
    latest = latest_feedback(Assignment.id.in_(assignment_ids))
    rows = db.session.execute(
        sa.select(Feedback.assignment_id, Feedback.rating)
        .select_from(latest)
        .join(
            Feedback,
            sa.and_(
                Feedback.assignment_id == latest.c.assignment_id,
                Feedback.proposer_id == latest.c.proposer_id,
                Feedback.round == latest.c.round,
            ),
        )
        .order_by(Feedback.assignment_id, Feedback.proposer_id)
    )
    found: dict[int, list[Rating]] = defaultdict(list)
    for row in rows:
        found[row.assignment_id].append(row.rating)
    return found
