"""Models as the API's JSON: the shapes tracker/api/openapi.py describes, field for field.

Proposers appear by name and kind only: their contact details are internal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any

from flask import url_for

from tracker.deadlines.services import DueState
from tracker.proposals.models import Assignment, Proposal
from tracker.replies.models import Reply

DueOf = Callable[[Assignment], DueState | None]


def iso_date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def iso_datetime(value: datetime | None) -> str | None:
    """Stored naive UTC; sent as RFC 3339 with its offset."""
    return value.replace(tzinfo=UTC).isoformat() if value else None


def letter_brief(reply: Reply) -> dict[str, Any]:
    return {
        "id": reply.id,
        "round": reply.round,
        "kind": reply.kind.value,
        "status": reply.status.value,
        "links": {
            "self": url_for("api.reply", reply_id=reply.id),
            "pdf": url_for("api.reply_pdf", reply_id=reply.id),
        },
    }


def assignment_brief(assignment: Assignment, due_of: DueOf) -> dict[str, Any]:
    due = due_of(assignment)
    return {
        "id": assignment.id,
        "unit": {"id": assignment.unit.id, "name": assignment.unit.name},
        "role": assignment.role.value,
        "status": assignment.status.value,
        "due_on": iso_date(assignment.due_on),
        "due_state": due.value if due else None,
        "links": {"self": url_for("api.assignment", assignment_id=assignment.id)},
    }


def assignment_full(
    assignment: Assignment, due_of: DueOf, letters: Iterable[Reply]
) -> dict[str, Any]:
    data = assignment_brief(assignment, due_of)
    data.update(
        assigned_on=iso_date(assignment.assigned_on),
        return_due_on=iso_date(assignment.return_due_on),
        received_on=iso_date(assignment.received_on),
        replied_on=iso_date(assignment.replied_on),
        closed_on=iso_date(assignment.closed_on),
        round=assignment.round,
        letters=[letter_brief(r) for r in letters],
    )
    return data


def proposal_brief(proposal: Proposal) -> dict[str, Any]:
    return {
        "id": proposal.id,
        "number": proposal.number,
        "title": proposal.title,
        "links": {"self": url_for("api.proposal", proposal_id=proposal.id)},
    }


def proposal_summary(proposal: Proposal, due_of: DueOf) -> dict[str, Any]:
    session = proposal.session
    data = proposal_brief(proposal)
    data.update(
        session={"id": session.id, "name": session.full_name, "year": session.year},
        case_type=proposal.case_type.value,
        kind=proposal.kind.value,
        is_key=proposal.is_key,
        submitted_on=iso_date(proposal.submitted_on),
        proposers=[{"name": p.name, "kind": p.kind.value} for p in proposal.proposers],
        assignments=[assignment_brief(a, due_of) for a in proposal.assignments],
        updated_at=iso_datetime(proposal.updated_at),
    )
    return data


def proposal_detail(
    proposal: Proposal, due_of: DueOf, letters: dict[int, list[Reply]]
) -> dict[str, Any]:
    data = proposal_summary(proposal, due_of)
    data.update(
        full_text=proposal.full_text,
        suggestions=[{"number": s.position + 1, "text": s.text} for s in proposal.suggestions],
        assignments=[
            assignment_full(a, due_of, letters.get(a.id, [])) for a in proposal.assignments
        ],
        created_at=iso_datetime(proposal.created_at),
    )
    return data


def reply_detail(reply: Reply) -> dict[str, Any]:
    assignment = reply.assignment
    return {
        "id": reply.id,
        "assignment_id": assignment.id,
        "proposal_id": assignment.proposal_id,
        "round": reply.round,
        "kind": reply.kind.value,
        "shape": reply.shape.value,
        "status": reply.status.value,
        "title": reply.title,
        "doc_number": reply.doc_number,
        "category": reply.category,
        "letter_date": iso_date(reply.letter_date),
        "signed_at": iso_datetime(reply.signed_at),
        "pdf_sha256": reply.pdf_sha256,
        "pdf_size": reply.pdf_size,
        "updated_at": iso_datetime(reply.updated_at),
        "links": {
            "self": url_for("api.reply", reply_id=reply.id),
            "pdf": url_for("api.reply_pdf", reply_id=reply.id),
            "assignment": url_for("api.assignment", assignment_id=assignment.id),
            "proposal": url_for("api.proposal", proposal_id=assignment.proposal_id),
        },
    }
