"""Reads for letters: a case's letters, a letter with what its page shows."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from tracker.extensions import db
from tracker.proposals.models import Assignment, AssignmentRole, Proposal
from tracker.replies.models import LetterKind, Reply


def letters_by_assignment(proposal: Proposal) -> dict[int, list[Reply]]:
    """Every letter of the case, grouped by assignment, oldest round first."""
    ids = [a.id for a in proposal.assignments]
    grouped: dict[int, list[Reply]] = defaultdict(list)
    if not ids:
        return grouped
    rows = db.session.scalars(
        sa.select(Reply)
        .where(Reply.assignment_id.in_(ids))
        .order_by(Reply.assignment_id, Reply.round)
    )
    for reply in rows:
        grouped[reply.assignment_id].append(reply)
    return grouped


def letter_for_page(reply_id: int) -> Reply | None:
    return db.session.scalar(
        sa.select(Reply)
        .where(Reply.id == reply_id)
        .options(
            selectinload(Reply.items),
            selectinload(Reply.revisions),
            selectinload(Reply.assignment)
            .selectinload(Assignment.proposal)
            .selectinload(Proposal.suggestions),
        )
    )


def co_opinions(proposal: Proposal) -> list[Reply]:
    """The co-handling units' opinions on the case (what the lead unit reads beside its draft)."""
    return list(
        db.session.scalars(
            sa.select(Reply)
            .join(Assignment, Reply.assignment_id == Assignment.id)
            .where(
                Assignment.proposal_id == proposal.id,
                Assignment.role == AssignmentRole.CO,
                Reply.kind == LetterKind.CO_OPINION,
            )
            .options(selectinload(Reply.items))
            .order_by(Assignment.id, Reply.round)
        )
    )
