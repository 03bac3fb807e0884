"""Reads for proposal lists and pages, scoped to what the user may see, with eager loading."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from tracker.core.audit import AuditEvent
from tracker.deadlines.services import DueState, due_soon_limit
from tracker.extensions import db
from tracker.proposals.models import Assignment, CaseType, Proposal, ProposalProposer
from tracker.proposals.workflow import PENDING_REPLY, AssignmentStatus
from tracker.search.queries import matching_proposal_ids

SORTS = {
    "number": (Proposal.number.asc(),),
    "-number": (Proposal.number.desc(),),
    "updated": (Proposal.updated_at.desc(),),
    "due": None,  # built below: earliest pending deadline first
}


@dataclass
class ProposalFilters:
    session_id: int | None = None
    unit_id: int | None = None
    status: AssignmentStatus | None = None
    case_type: CaseType | None = None
    is_key: bool | None = None
    due: DueState | None = None
    q: str = ""
    sort: str = "due"

    def as_args(self) -> dict[str, Any]:
        """The filters as query-string arguments (for links that keep them)."""
        args = {
            "session": self.session_id,
            "unit": self.unit_id,
            "status": self.status.value if self.status else None,
            "type": self.case_type.value if self.case_type else None,
            "key": {True: "1", False: "0"}.get(self.is_key),
            "due": self.due.value if self.due else None,
            "q": self.q or None,
            "sort": self.sort if self.sort != "due" else None,
        }
        return {k: v for k, v in args.items() if v is not None}


def visible_proposals(user: Any) -> sa.Select:
    """Proposals the user may see: all for supervisors, their unit's for clerks and viewers."""
    stmt = sa.select(Proposal)
    if not user.sees_all_units:
        stmt = stmt.where(
            sa.exists().where(
                Assignment.proposal_id == Proposal.id, Assignment.unit_id == user.unit_id
            )
        )
    return stmt


def filtered_proposals(user: Any, filters: ProposalFilters, today: date) -> sa.Select:
    """The list query: scope, filters and sort, with what the list shows loaded eagerly."""
    stmt = visible_proposals(user)
    if filters.session_id:
        stmt = stmt.where(Proposal.session_id == filters.session_id)
    if filters.case_type:
        stmt = stmt.where(Proposal.case_type == filters.case_type)
    if filters.is_key is not None:
        stmt = stmt.where(Proposal.is_key == filters.is_key)
    if filters.q:
        stmt = stmt.where(Proposal.id.in_(matching_proposal_ids(filters.q)))
    conditions = []
    unit_id = filters.unit_id or (None if user.sees_all_units else user.unit_id)
    if unit_id:
        conditions.append(Assignment.unit_id == unit_id)
    if filters.status:
        conditions.append(Assignment.status == filters.status)
    if filters.due:
        conditions.append(Assignment.status.in_(PENDING_REPLY))
        if filters.due is DueState.OVERDUE:
            conditions.append(Assignment.due_on < today)
        elif filters.due is DueState.DUE_SOON:
            conditions.append(Assignment.due_on.between(today, due_soon_limit(today)))
        else:
            conditions.append(Assignment.due_on > due_soon_limit(today))
    if conditions:
        stmt = stmt.where(sa.exists().where(Assignment.proposal_id == Proposal.id, *conditions))

    if filters.sort == "due":
        earliest = (
            sa.select(sa.func.min(Assignment.due_on))
            .where(Assignment.proposal_id == Proposal.id, Assignment.status.in_(PENDING_REPLY))
            .scalar_subquery()
        )
        # Cases with nothing pending go last on every database.
        stmt = stmt.order_by(sa.case((earliest.is_(None), 1), else_=0), earliest, Proposal.id)
    else:
        stmt = stmt.order_by(*SORTS.get(filters.sort, SORTS["number"]), Proposal.id)
    return stmt.options(
        selectinload(Proposal.assignments),
        selectinload(Proposal.proposer_links).joinedload(ProposalProposer.proposer),
    )


def proposal_for_page(proposal_id: int) -> Proposal | None:
    """One proposal with everything its page shows."""
    return db.session.scalar(
        sa.select(Proposal)
        .where(Proposal.id == proposal_id)
        .options(
            selectinload(Proposal.suggestions),
            selectinload(Proposal.proposer_links).joinedload(ProposalProposer.proposer),
            selectinload(Proposal.assignments).selectinload(Assignment.return_requests),
            selectinload(Proposal.assignments).selectinload(Assignment.extensions),
        )
    )


def history(proposal_id: int) -> list[AuditEvent]:
    """The case's audit events, newest first."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.proposal_id == proposal_id)
            .order_by(AuditEvent.seq.desc())
        )
    )
