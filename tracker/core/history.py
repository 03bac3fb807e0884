"""How audit events read in a case's history: translated actions, fields and values."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from tracker.proposals.models import AssignmentRole, CaseType, ProposalKind
from tracker.proposals.workflow import Action, AssignmentStatus

ACTION_LABELS = {
    "proposal.created": _l("Proposal registered"),
    "proposal.updated": _l("Proposal edited"),
    "assignment.created": _l("Unit assigned"),
    "extension.requested": _l("Extension requested"),
    "extension.approved": _l("Extension approved"),
    "extension.rejected": _l("Extension rejected"),
    "case.imported": _l("Case imported"),
    "contact.recorded": _l("Contact logged"),
    "contact.edited": _l("Contact log corrected"),
    "contact.withdrawn": _l("Contact log entry withdrawn"),
    "feedback.recorded": _l("Feedback recorded"),
    "reply.started": _l("Letter started"),
    "reply.saved": _l("Letter draft saved"),
    "reply.submitted": _l("Letter submitted for review"),
    "reply.signed": _l("Letter signed off"),
    "reminder.sent": _l("Reminder sent"),
    "promise.followed_up": _l("Promise followed up"),
}

FIELD_LABELS = {
    "status": _l("Status"),
    "due_on": _l("Due on"),
    "round": _l("Round"),
    "unit": _l("Unit"),
    "role": _l("Role"),
    "assigned_on": _l("Assigned on"),
    "title": _l("Title"),
    "number": _l("Number"),
    "session_id": _l("Session"),
    "case_type": _l("Case type"),
    "kind": _l("Kind"),
    "is_key": _l("Key proposal"),
    "full_text": _l("Full text"),
    "submitted_on": _l("Submitted on"),
    "proposers": _l("Proposers"),
    "suggestions": _l("Suggestions"),
    "requested_due_on": _l("Requested due date"),
}

VALUE_ENUMS = {
    "status": AssignmentStatus,
    "role": AssignmentRole,
    "case_type": CaseType,
    "kind": ProposalKind,
}


def audit_label(action: str) -> str:
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    prefix, _, verb = action.partition(".")
    if prefix == "assignment":
        try:
            return Action(verb).label
        except ValueError:
            pass
    return action


def audit_field(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))


def audit_value(name: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    enum_cls = VALUE_ENUMS.get(name)
    if enum_cls is not None:
        try:
            return enum_cls(value).label
        except ValueError:
            return str(value)
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    text = str(value)
    return text if len(text) <= 80 else text[:80] + "…"
