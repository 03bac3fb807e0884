"""Reads for the API: one object with what its answer shows and what its permission check needs."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from tracker.extensions import db
from tracker.proposals.models import Assignment, Proposal
from tracker.replies.models import Reply

# Ids are 32-bit integers on PostgreSQL; a larger one cannot exist (and SQLite would overflow).
MAX_ID = 2**31 - 1


def assignment_for_api(assignment_id: int) -> Assignment | None:
    if not 0 < assignment_id <= MAX_ID:
        return None
    return db.session.scalar(
        sa.select(Assignment)
        .where(Assignment.id == assignment_id)
        .options(joinedload(Assignment.proposal).selectinload(Proposal.assignments))
    )


def reply_for_api(reply_id: int) -> Reply | None:
    if not 0 < reply_id <= MAX_ID:
        return None
    return db.session.scalar(
        sa.select(Reply)
        .where(Reply.id == reply_id)
        .options(
            joinedload(Reply.assignment)
            .joinedload(Assignment.proposal)
            .selectinload(Proposal.assignments)
        )
    )


def letters_of(assignment_id: int) -> list[Reply]:
    """The assignment's letters, oldest round first."""
    return list(
        db.session.scalars(
            sa.select(Reply).where(Reply.assignment_id == assignment_id).order_by(Reply.round)
        )
    )
