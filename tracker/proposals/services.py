"""Every write to proposals and assignments: rules checked here, audited, flushed, not committed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from tracker.core.audit import diff, record, snapshot
from tracker.core.errors import DomainError
from tracker.core.models import utcnow
from tracker.core.settings import get_setting
from tracker.deadlines.services import add_period
from tracker.directory.models import CouncilSession, ProposerKind, Unit
from tracker.directory.services import find_or_create_proposer
from tracker.documents.text import clean_line, clean_text
from tracker.extensions import db
from tracker.proposals.models import (
    Assignment,
    AssignmentRole,
    CaseType,
    Extension,
    Proposal,
    ProposalKind,
    ProposalProposer,
    RequestStatus,
    ReturnRequest,
    Suggestion,
)
from tracker.proposals.workflow import Action, AssignmentStatus, transition_for

PROPOSAL_FIELDS = (
    "session_id",
    "case_type",
    "number",
    "title",
    "kind",
    "is_key",
    "full_text",
    "submitted_on",
)
NUMBER_RE = re.compile(r"^[0-9A-Za-z\-_/.()（）〔〕\u4e00-\u9fff]{1,40}$")
TITLE_MAX = 300


@dataclass
class ProposalData:
    """The plain values a proposal form or an import supplies."""

    session_id: int
    number: str
    title: str
    case_type: CaseType = CaseType.PROPOSAL
    kind: ProposalKind = ProposalKind.PLENARY
    is_key: bool = False
    full_text: str = ""
    submitted_on: date | None = None
    proposers: list[str] = field(default_factory=list)
    collective: bool = False
    suggestions: list[str] = field(default_factory=list)


def _clean_lines(values: list[str]) -> list[str]:
    cleaned = (clean_text(v) for v in values if v)
    return [v for v in cleaned if v]


def _validate_proposal(data: ProposalData, proposal: Proposal | None) -> ProposalData:
    number = clean_line(data.number)
    title = " ".join(clean_line(data.title).split())
    if not number:
        raise DomainError(_l("Enter the proposal number."), field="number")
    if any(ch.isspace() for ch in number):
        raise DomainError(_l("A proposal number cannot contain spaces."), field="number")
    if not NUMBER_RE.match(number):
        raise DomainError(
            _l("A proposal number has up to 40 letters, digits and - _ / ( ) marks."),
            field="number",
        )
    if not title:
        raise DomainError(_l("Enter the proposal's title (案由)."), field="title")
    if len(title) > TITLE_MAX:
        raise DomainError(
            _l("The title is longer than %(n)d characters.", n=TITLE_MAX), field="title"
        )
    if db.session.get(CouncilSession, data.session_id) is None:
        raise DomainError(_l("Choose a session."), field="session_id")
    clash = db.session.scalar(
        sa.select(Proposal.id).where(
            Proposal.session_id == data.session_id, Proposal.number == number
        )
    )
    if clash is not None and (proposal is None or clash != proposal.id):
        raise DomainError(
            _l("Number %(number)s already exists in this session.", number=number), field="number"
        )
    proposers = _clean_lines(data.proposers)
    if not proposers:
        raise DomainError(_l("Enter at least one proposer."), field="proposers")
    if data.collective and len(proposers) > 1:
        raise DomainError(
            _l("A collective proposal has one proposer: the body."), field="proposers"
        )
    if len(set(proposers)) != len(proposers):
        raise DomainError(_l("A proposer is listed twice."), field="proposers")
    if any(len(p) > 200 for p in proposers):
        raise DomainError(_l("A proposer's name is too long."), field="proposers")
    return ProposalData(
        session_id=data.session_id,
        number=number,
        title=title,
        case_type=data.case_type,
        kind=data.kind,
        is_key=data.is_key,
        full_text=clean_text(data.full_text),
        submitted_on=data.submitted_on,
        proposers=proposers,
        collective=data.collective,
        suggestions=_clean_lines(data.suggestions),
    )


def _proposal_snapshot(proposal: Proposal) -> dict[str, Any]:
    values = snapshot(proposal, PROPOSAL_FIELDS)
    values["proposers"] = [p.name for p in proposal.proposers]
    values["suggestions"] = [s.text for s in proposal.suggestions]
    return values


def save_proposal(
    actor: Any, proposal: Proposal | None, data: ProposalData, *, version: int | None = None
) -> Proposal:
    """Create (proposal=None) or update a proposal with its proposers and suggestions.

    `version` is the version the user edited; if someone saved in between, refuse.
    """
    if proposal is not None and version is not None and proposal.version_id != version:
        raise DomainError(
            _l("Someone else changed this proposal while you were editing. Reload and try again.")
        )
    data = _validate_proposal(data, proposal)
    created = proposal is None
    before = _proposal_snapshot(proposal) if proposal else {}
    if created:
        proposal = Proposal(created_by_id=getattr(actor, "id", None))
        db.session.add(proposal)
    for name in PROPOSAL_FIELDS:
        setattr(proposal, name, getattr(data, name))

    kind = ProposerKind.BODY if data.collective else ProposerKind.MEMBER
    wanted = [find_or_create_proposer(name, kind) for name in data.proposers]
    if [p.id for p in proposal.proposers] != [p.id for p in wanted]:
        proposal.proposer_links.clear()
        db.session.flush()  # the unique (proposal, position) must be free before re-adding
        proposal.proposer_links.extend(
            ProposalProposer(proposer=p, position=i) for i, p in enumerate(wanted)
        )
    if [s.text for s in proposal.suggestions] != data.suggestions:
        proposal.suggestions.clear()
        db.session.flush()
        proposal.suggestions.extend(
            Suggestion(text=text, position=i) for i, text in enumerate(data.suggestions)
        )
    db.session.flush()
    changes = diff(before, _proposal_snapshot(proposal))
    record(
        actor,
        "proposal.created" if created else "proposal.updated",
        proposal,
        proposal_id=proposal.id,
        changes=changes,
        summary=proposal.number,
    )
    return proposal


def compute_due_on(proposal: Proposal, role: AssignmentRole, assigned_on: date) -> date:
    """The reply (or co-handling opinion) deadline the rules give an assignment."""
    if role is AssignmentRole.CO:
        return add_period(assigned_on, get_setting("co_opinion_deadline"))
    if (
        proposal.is_key
        and proposal.session.key_due_on
        and proposal.session.key_due_on >= assigned_on
    ):
        return proposal.session.key_due_on
    return add_period(assigned_on, get_setting("reply_deadline"))


def _check_role_mix(proposal: Proposal, role: AssignmentRole) -> None:
    roles = [a.role for a in proposal.assignments if a.status != AssignmentStatus.WITHDRAWN]
    if AssignmentRole.SOLE in roles or (role is AssignmentRole.SOLE and roles):
        raise DomainError(_l("A sole handling unit cannot share the case."), field="role")
    if role is AssignmentRole.LEAD and AssignmentRole.LEAD in roles:
        raise DomainError(_l("The case already has a lead unit."), field="role")
    if role is AssignmentRole.CO and AssignmentRole.LEAD not in roles:
        raise DomainError(_l("Assign the lead unit before co-handling units."), field="role")
    if (role is AssignmentRole.SPLIT and AssignmentRole.LEAD in roles) or (
        role is AssignmentRole.LEAD and AssignmentRole.SPLIT in roles
    ):
        raise DomainError(_l("Split handling and a lead unit do not mix."), field="role")


def assign_unit(
    actor: Any,
    proposal: Proposal,
    unit: Unit,
    role: AssignmentRole,
    assigned_on: date,
    *,
    due_on: date | None = None,
    today: date | None = None,
) -> Assignment:
    """Assign the proposal to a unit in a role; the due date comes from the rules unless given."""
    today = today or date.today()
    if not unit.is_active:
        raise DomainError(_l("This unit is no longer active."), field="unit_id")
    if any(a.unit_id == unit.id for a in proposal.assignments):
        raise DomainError(_l("This unit is already assigned to the case."), field="unit_id")
    if assigned_on > today:
        raise DomainError(_l("The assignment date cannot be in the future."), field="assigned_on")
    if due_on is not None and due_on < assigned_on:
        raise DomainError(_l("The due date cannot be before the assignment date."), field="due_on")
    _check_role_mix(proposal, role)
    assignment = Assignment(
        proposal=proposal,
        unit=unit,
        unit_id=unit.id,
        role=role,
        status=AssignmentStatus.ASSIGNED,
        assigned_on=assigned_on,
        due_on=due_on or compute_due_on(proposal, role, assigned_on),
        return_due_on=add_period(assigned_on, get_setting("return_window")),
    )
    db.session.add(assignment)
    db.session.flush()
    record(
        actor,
        "assignment.created",
        assignment,
        proposal_id=proposal.id,
        summary=unit.name,
        changes={
            "unit": [None, unit.name],
            "role": [None, role.value],
            "assigned_on": [None, assigned_on.isoformat()],
            "due_on": [None, assignment.due_on.isoformat()],
        },
    )
    return assignment


def perform_action(
    actor: Any,
    assignment: Assignment,
    action: Action,
    *,
    comment: str = "",
    today: date | None = None,
) -> Assignment:
    """Move the assignment along the workflow, or raise DomainError and change nothing."""
    today = today or date.today()
    comment = (comment or "").strip()
    transition = transition_for(action, assignment.status, assignment.role.replies_to_proposer)
    if transition is None:
        raise DomainError(
            _l(
                "“%(action)s” is not possible while the case is “%(status)s”.",
                action=action.label,
                status=assignment.status.label,
            )
        )
    if transition.needs_comment and not comment:
        raise DomainError(_l("Please give a reason."), field="comment")
    old_status = assignment.status
    changes: dict[str, list] = {}

    if action is Action.RECEIVE:
        assignment.received_on = today
    elif action is Action.REQUEST_RETURN:
        if today > assignment.return_due_on:
            raise DomainError(
                _l(
                    "The time to ask for a return ended on %(day)s.",
                    day=format_date(assignment.return_due_on),
                )
            )
        db.session.add(
            ReturnRequest(
                assignment=assignment, reason=comment, requested_by_id=getattr(actor, "id", None)
            )
        )
    elif action in (Action.APPROVE_RETURN, Action.REJECT_RETURN):
        pending = [r for r in assignment.return_requests if r.status == RequestStatus.PENDING]
        for req in pending:
            req.status = (
                RequestStatus.APPROVED
                if action is Action.APPROVE_RETURN
                else RequestStatus.REJECTED
            )
            req.decided_by_id = getattr(actor, "id", None)
            req.decided_at = utcnow()
            req.decision_note = comment or None
        if action is Action.APPROVE_RETURN:
            assignment.closed_on = today
    elif action is Action.SEND:
        if assignment.replied_on is None:
            assignment.replied_on = today
            assignment.replied_due_on = assignment.due_on
    elif action is Action.CLOSE:
        assignment.closed_on = today
    elif action is Action.REHANDLE:
        new_due = add_period(today, get_setting("rehandling_deadline"))
        changes["due_on"] = [assignment.due_on.isoformat(), new_due.isoformat()]
        changes["round"] = [assignment.round, assignment.round + 1]
        assignment.round += 1
        assignment.due_on = new_due
        assignment.closed_on = None

    assignment.status = transition.target
    changes["status"] = [old_status.value, transition.target.value]
    db.session.flush()
    record(
        actor,
        f"assignment.{action.value}",
        assignment,
        proposal_id=assignment.proposal_id,
        summary=comment,
        changes=changes,
    )
    return assignment


def _extension_limit(assignment: Assignment) -> date:
    rule = get_setting("extension_limit")
    if rule["unit"] == "months":
        return assignment.assigned_on + relativedelta(months=rule["amount"])
    return add_period(assignment.assigned_on, rule)


def request_extension(
    actor: Any, assignment: Assignment, *, reason: str, requested_due_on: date
) -> Extension:
    """Ask for a later reply deadline (延期), with a reason."""
    reason = (reason or "").strip()
    if not assignment.status.awaits_reply:
        raise DomainError(_l("Only a case still waiting for its reply can be extended."))
    if not reason:
        raise DomainError(_l("Please give a reason."), field="reason")
    if any(e.status == RequestStatus.PENDING for e in assignment.extensions):
        raise DomainError(_l("An extension request is already waiting for a decision."))
    _check_new_due(assignment, requested_due_on, field_name="requested_due_on")
    extension = Extension(
        assignment=assignment,
        reason=reason,
        old_due_on=assignment.due_on,
        requested_due_on=requested_due_on,
        requested_by_id=getattr(actor, "id", None),
    )
    db.session.add(extension)
    db.session.flush()
    record(
        actor,
        "extension.requested",
        extension,
        proposal_id=assignment.proposal_id,
        summary=reason,
        changes={"requested_due_on": [None, requested_due_on.isoformat()]},
    )
    return extension


def _check_new_due(assignment: Assignment, new_due: date, field_name: str) -> None:
    if new_due <= assignment.due_on:
        raise DomainError(
            _l("The new date must be later than the current due date."), field=field_name
        )
    limit = _extension_limit(assignment)
    if new_due > limit:
        raise DomainError(
            _l("Extensions may not go beyond %(day)s.", day=format_date(limit)), field=field_name
        )


def decide_extension(
    actor: Any,
    extension: Extension,
    *,
    approve: bool,
    granted_due_on: date | None = None,
    approver: str = "",
    note: str = "",
) -> Extension:
    """Approve (with the granted date and the approving body) or reject an extension request."""
    if extension.status != RequestStatus.PENDING:
        raise DomainError(_l("This request has already been decided."))
    assignment = extension.assignment
    approver = (approver or "").strip()
    if approve:
        granted_due_on = granted_due_on or extension.requested_due_on
        if not approver:
            raise DomainError(_l("Name who approved the extension."), field="approver")
        if not assignment.status.awaits_reply:
            raise DomainError(_l("Only a case still waiting for its reply can be extended."))
        _check_new_due(assignment, granted_due_on, field_name="granted_due_on")
    extension.status = RequestStatus.APPROVED if approve else RequestStatus.REJECTED
    extension.decided_by_id = getattr(actor, "id", None)
    extension.decided_at = utcnow()
    extension.decision_note = (note or "").strip() or None
    changes: dict[str, list] = {"status": ["pending", extension.status.value]}
    if approve:
        extension.granted_due_on = granted_due_on
        extension.approver = approver
        changes["due_on"] = [assignment.due_on.isoformat(), granted_due_on.isoformat()]
        assignment.due_on = granted_due_on
    db.session.flush()
    record(
        actor,
        "extension.approved" if approve else "extension.rejected",
        extension,
        proposal_id=assignment.proposal_id,
        summary=note or approver,
        changes=changes,
    )
    return extension
