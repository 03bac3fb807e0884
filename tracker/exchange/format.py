"""The case exchange format: whole cases as versioned JSON (docs/exchange-format.md).

A document is `{"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "cases": [...]}` (or
`"case": {...}` for one case). It names units and proposers by name (+ kind) and users by
username, never by database id; dates are ISO 8601, moments UTC with a "Z"; enums are their
stored values. It carries nothing volatile (no ids, no creation times, no PDF checksums), so
exporting, importing into an empty database and exporting again gives the same bytes.

`schemas/case-exchange-v1.schema.json` is the published schema; the importer validates
against it before anything else.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from tracker.auth.models import User
from tracker.contacts.models import ContactLog, Feedback
from tracker.directory.models import CouncilSession, Proposer, Unit
from tracker.extensions import db
from tracker.proposals.models import Assignment, Extension, Proposal, ReturnRequest
from tracker.replies.letter import letter_content
from tracker.replies.models import Reply, ReplyItem, ReplyRevision

FORMAT_NAME = "tracker.case-exchange"
FORMAT_VERSION = 1
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "case-exchange-v1.schema.json"
CHUNK = 200  # proposals exported per round of queries


@cache
def load_schema() -> dict[str, Any]:
    """The published JSON Schema of this format version."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


# ---- values ----


def iso_date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def iso_moment(value: datetime | None) -> str | None:
    """A stored (naive, UTC) moment as RFC 3339 with a Z: 2025-09-08T02:30:00Z."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat() + "Z"


def parse_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value is not None else None


def parse_moment(value: str | None) -> datetime | None:
    """An RFC 3339 moment (any offset) as the naive UTC datetime the database stores."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _enum(value: Any) -> Any:
    return value.value if value is not None and hasattr(value, "value") else value


# ---- export ----


def binary(column: Any) -> Any:
    """Order by code point on every database (PostgreSQL's default collation is the locale's)."""
    return column.collate("C") if db.session.get_bind().dialect.name == "postgresql" else column


def case_query(session_id: int | None = None, number: str | None = None) -> sa.Select:
    """The proposals to export, in a stable order that ids and locales do not influence."""
    stmt = (
        sa.select(Proposal)
        .join(CouncilSession, Proposal.session_id == CouncilSession.id)
        .options(
            selectinload(Proposal.proposer_links),
            selectinload(Proposal.suggestions),
            selectinload(Proposal.assignments).selectinload(Assignment.return_requests),
            selectinload(Proposal.assignments).selectinload(Assignment.extensions),
        )
        .order_by(
            CouncilSession.year,
            binary(CouncilSession.council),
            CouncilSession.term,
            CouncilSession.meeting,
            binary(Proposal.number),
        )
    )
    if session_id is not None:
        stmt = stmt.where(Proposal.session_id == session_id)
    if number is not None:
        stmt = stmt.where(Proposal.number == number)
    return stmt


class _Related:
    """Replies, contact logs and feedback of a batch of proposals, loaded in a few queries."""

    def __init__(self, proposals: list[Proposal], usernames: dict[int, str]) -> None:
        self.usernames = usernames
        ids = [a.id for p in proposals for a in p.assignments]
        self.replies: dict[int, list[Reply]] = defaultdict(list)
        self.contacts: dict[int, list[ContactLog]] = defaultdict(list)
        self.feedback: dict[int, list[Feedback]] = defaultdict(list)
        if not ids:
            return
        replies = db.session.scalars(
            sa.select(Reply)
            .where(Reply.assignment_id.in_(ids))
            .options(selectinload(Reply.items), selectinload(Reply.revisions))
            .order_by(Reply.assignment_id, Reply.round, Reply.id)
        )
        for reply in replies:
            self.replies[reply.assignment_id].append(reply)
        contacts = db.session.scalars(
            sa.select(ContactLog)
            .where(ContactLog.assignment_id.in_(ids))
            .order_by(ContactLog.assignment_id, ContactLog.occurred_at, ContactLog.id)
        )
        for log in contacts:
            self.contacts[log.assignment_id].append(log)
        feedback = db.session.scalars(
            sa.select(Feedback)
            .where(Feedback.assignment_id.in_(ids))
            .order_by(Feedback.assignment_id, Feedback.round, Feedback.id)
        )
        for row in feedback:
            self.feedback[row.assignment_id].append(row)

    def user(self, user_id: int | None) -> str | None:
        return self.usernames.get(user_id) if user_id is not None else None


def _usernames() -> dict[int, str]:
    return dict(db.session.execute(sa.select(User.id, User.username)).tuples().all())


def export_case(proposal: Proposal) -> dict[str, Any]:
    """One case as a JSON-ready dict (the items of a document's "cases")."""
    return next(export_cases([proposal]))


def export_cases(proposals: Iterable[Proposal]) -> Iterator[dict[str, Any]]:
    """Every case of `proposals` (any iterable, e.g. a query's scalars), in order."""
    usernames = _usernames()
    batch: list[Proposal] = []
    for proposal in proposals:
        batch.append(proposal)
        if len(batch) == CHUNK:
            yield from _export_batch(batch, usernames)
            batch = []
    if batch:
        yield from _export_batch(batch, usernames)


def _export_batch(proposals: list[Proposal], usernames: dict[int, str]) -> Iterator[dict]:
    related = _Related(proposals, usernames)
    for proposal in proposals:
        yield _case(proposal, related)


def _case(proposal: Proposal, related: _Related) -> dict[str, Any]:
    session = proposal.session
    return {
        "session": {
            "council": session.council,
            "term": session.term,
            "meeting": session.meeting,
            "year": session.year,
            "name": session.name,
            "key_due_on": iso_date(session.key_due_on),
        },
        "proposal": {
            "case_type": proposal.case_type.value,
            "number": proposal.number,
            "title": proposal.title,
            "kind": proposal.kind.value,
            "is_key": bool(proposal.is_key),
            "full_text": proposal.full_text,
            "submitted_on": iso_date(proposal.submitted_on),
            "created_by": related.user(proposal.created_by_id),
        },
        "proposers": [_proposer(link.proposer) for link in proposal.proposer_links],
        "suggestions": [s.text for s in proposal.suggestions],
        "assignments": [_assignment(a, related) for a in proposal.assignments],
    }


def _proposer(proposer: Proposer) -> dict[str, Any]:
    return {
        "kind": proposer.kind.value,
        "name": proposer.name,
        "sector": proposer.sector,
        "phone": proposer.phone,
        "email": proposer.email,
        "address": proposer.address,
    }


def _unit(unit: Unit) -> dict[str, Any]:
    return {"name": unit.name, "short_name": unit.short_name, "letter_name": unit.letter_name}


def _assignment(assignment: Assignment, related: _Related) -> dict[str, Any]:
    replies = related.replies[assignment.id]
    rounds = {r.id: r.round for r in replies}
    return {
        "unit": _unit(assignment.unit),
        "role": assignment.role.value,
        "status": assignment.status.value,
        "round": assignment.round,
        "assigned_on": iso_date(assignment.assigned_on),
        "due_on": iso_date(assignment.due_on),
        "return_due_on": iso_date(assignment.return_due_on),
        "received_on": iso_date(assignment.received_on),
        "closed_on": iso_date(assignment.closed_on),
        "replied_on": iso_date(assignment.replied_on),
        "replied_due_on": iso_date(assignment.replied_due_on),
        "return_requests": [_return_request(r, related) for r in assignment.return_requests],
        "extensions": [_extension(e, related) for e in assignment.extensions],
        "contact_logs": [_contact(c, related) for c in related.contacts[assignment.id]],
        "feedback": [_feedback(f, related) for f in related.feedback[assignment.id]],
        "replies": [_reply(r, rounds, related) for r in replies],
    }


def _decision(row: ReturnRequest | Extension, related: _Related) -> dict[str, Any]:
    return {
        "status": row.status.value,
        "requested_by": related.user(row.requested_by_id),
        "requested_at": iso_moment(row.requested_at),
        "decided_by": related.user(row.decided_by_id),
        "decided_at": iso_moment(row.decided_at),
        "decision_note": row.decision_note,
    }


def _return_request(row: ReturnRequest, related: _Related) -> dict[str, Any]:
    return {
        "reason": row.reason,
        "suggested_unit": row.suggested_unit,
        **_decision(row, related),
    }


def _extension(row: Extension, related: _Related) -> dict[str, Any]:
    return {
        "reason": row.reason,
        "old_due_on": iso_date(row.old_due_on),
        "requested_due_on": iso_date(row.requested_due_on),
        "granted_due_on": iso_date(row.granted_due_on),
        "approver": row.approver,
        **_decision(row, related),
    }


def _contact(log: ContactLog, related: _Related) -> dict[str, Any]:
    return {
        "occurred_at": iso_moment(log.occurred_at),
        "way": log.way.value,
        "stage": log.stage.value,
        "our_people": log.our_people,
        "their_people": log.their_people,
        "summary": log.summary,
        "attitude": log.attitude.value,
        "recorded_by": related.user(log.recorded_by_id),
        "withdrawn_at": iso_moment(log.withdrawn_at),
        "withdrawn_reason": log.withdrawn_reason,
    }


def _feedback(row: Feedback, related: _Related) -> dict[str, Any]:
    return {
        "proposer": {"kind": row.proposer.kind.value, "name": row.proposer.name},
        "round": row.round,
        "rating": row.rating.value,
        "received_on": iso_date(row.received_on),
        "channel": row.channel.value,
        "comments": row.comments,
        "recorded_by": related.user(row.recorded_by_id),
    }


def _reply(reply: Reply, rounds: dict[int, int], related: _Related) -> dict[str, Any]:
    content = letter_content(reply)  # the one serialisation of a letter's parts
    return {
        "round": reply.round,
        "previous_round": rounds.get(reply.previous_id) if reply.previous_id else None,
        "kind": reply.kind.value,
        "shape": reply.shape.value,
        "status": reply.status.value,
        "parts": content["parts"],
        "items": [
            _item(text, item) for text, item in zip(content["items"], reply.items, strict=True)
        ],
        "revisions": [_revision(r, related) for r in reply.revisions],
        "created_by": related.user(reply.created_by_id),
        "signed_by": related.user(reply.signed_by_id),
        "signed_at": iso_moment(reply.signed_at),
    }


def _item(text: dict[str, str], item: ReplyItem) -> dict[str, Any]:
    return {
        **text,
        "promise": item.promise,
        "promise_due_on": iso_date(item.promise_due_on),
        "promise_owner": item.promise_owner,
        "fulfilled_on": iso_date(item.fulfilled_on),
        "follow_up": item.follow_up,
    }


def _revision(revision: ReplyRevision, related: _Related) -> dict[str, Any]:
    return {
        "number": revision.number,
        "content": revision.content,
        "submitted_by": related.user(revision.submitted_by_id),
        "submitted_at": iso_moment(revision.submitted_at),
        "outcome": _enum(revision.outcome),
        "review_comment": revision.review_comment,
        "reviewed_by": related.user(revision.reviewed_by_id),
        "reviewed_at": iso_moment(revision.reviewed_at),
    }


# ---- documents ----


def header() -> dict[str, Any]:
    return {"format": FORMAT_NAME, "format_version": FORMAT_VERSION}


def document(cases: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """A whole document listing `cases`."""
    return {**header(), "cases": list(cases)}


def write_document(out: IO[str], cases: Iterable[dict[str, Any]]) -> int:
    """Write a document case by case (flat memory); return how many cases were written.

    The text is exactly `json.dumps(document(cases), ensure_ascii=False, indent=2)` + newline.
    """
    head = json.dumps(header(), ensure_ascii=False, indent=2)
    out.write(head[:-2] + ',\n  "cases": [')
    count = 0
    for case in cases:
        body = json.dumps(case, ensure_ascii=False, indent=2).replace("\n", "\n    ")
        out.write(("," if count else "") + "\n    " + body)
        count += 1
    out.write("\n  ]\n}\n" if count else "]\n}\n")
    return count


def dumps_document(cases: Iterable[dict[str, Any]]) -> str:
    return json.dumps(document(cases), ensure_ascii=False, indent=2) + "\n"
