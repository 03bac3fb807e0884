"""The one source of truth for who may do what: views, templates, exports and the API call these.

Administrators may do everything. Supervisors see every unit and review, sign off and decide
requests. Clerks act for their own unit only; viewers read their own unit's cases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracker.auth.models import Role
from tracker.proposals.workflow import Action, Actor, Transition, actions_from, transition_for

if TYPE_CHECKING:
    from tracker.auth.models import User
    from tracker.proposals.models import Assignment, Proposal


def _signed_in(user: User | None) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def is_admin(user: User | None) -> bool:
    return _signed_in(user) and user.role == Role.ADMIN


def is_supervisor(user: User | None) -> bool:
    return _signed_in(user) and user.role in (Role.ADMIN, Role.SUPERVISOR)


def works_for(user: User | None, unit_id: int) -> bool:
    """The user is a clerk of `unit_id` (administrators count as every unit's clerk)."""
    if is_admin(user):
        return True
    return _signed_in(user) and user.role == Role.CLERK and user.unit_id == unit_id


def can_administer(user: User | None) -> bool:
    return is_admin(user)


def can_view_proposal(user: User | None, proposal: Proposal) -> bool:
    if not _signed_in(user):
        return False
    if user.sees_all_units:
        return True
    return any(a.unit_id == user.unit_id for a in proposal.assignments)


def can_create_proposal(user: User | None) -> bool:
    return _signed_in(user) and user.role in (Role.ADMIN, Role.SUPERVISOR, Role.CLERK)


def can_edit_proposal(user: User | None, proposal: Proposal) -> bool:
    """Supervisors edit any proposal; a clerk edits one their unit replies to."""
    if is_supervisor(user):
        return True
    return any(
        a.role.replies_to_proposer and works_for(user, a.unit_id) for a in proposal.assignments
    )


def can_assign(user: User | None, proposal: Proposal) -> bool:
    """Assigning units is the supervisors' job (the council hands cases out, not the units)."""
    return is_supervisor(user)


def _may_act_as(user: User | None, assignment: Assignment, transition: Transition) -> bool:
    if transition.actor is Actor.SUPERVISOR:
        return is_supervisor(user)
    return works_for(user, assignment.unit_id)


def can_act(user: User | None, assignment: Assignment, action: Action) -> bool:
    """The action is allowed from the assignment's state and this user may perform it."""
    transition = transition_for(action, assignment.status, assignment.role.replies_to_proposer)
    return transition is not None and _may_act_as(user, assignment, transition)


def available_actions(user: User | None, assignment: Assignment) -> list[Transition]:
    """The transitions this user may make with the case page's buttons now."""
    return [
        t
        for t in actions_from(assignment.status, assignment.role.replies_to_proposer)
        if not t.via_letter and _may_act_as(user, assignment, t)
    ]


def can_draft_letter(user: User | None, assignment: Assignment) -> bool:
    """The unit's clerk writes the letter while the case is being handled."""
    from tracker.replies.services import DRAFTABLE

    return assignment.status in DRAFTABLE and works_for(user, assignment.unit_id)


def can_review_letter(user: User | None) -> bool:
    return is_supervisor(user)


def can_request_extension(user: User | None, assignment: Assignment) -> bool:
    return assignment.status.awaits_reply and (
        works_for(user, assignment.unit_id) or is_supervisor(user)
    )


def can_decide_request(user: User | None) -> bool:
    """Approve or reject extensions and return requests."""
    return is_supervisor(user)


def can_view_history(user: User | None, proposal: Proposal) -> bool:
    return can_view_proposal(user, proposal)


def can_log_contact(user: User | None, assignment: Assignment) -> bool:
    """The unit's clerks keep its contact log (while the case is theirs)."""
    from tracker.proposals.workflow import AssignmentStatus

    return assignment.status is not AssignmentStatus.WITHDRAWN and works_for(
        user, assignment.unit_id
    )


def can_record_feedback(user: User | None, assignment: Assignment) -> bool:
    return assignment.role.replies_to_proposer and (
        works_for(user, assignment.unit_id) or is_supervisor(user)
    )


def can_remind(user: User | None) -> bool:
    """Issue a reminder (催办) by hand."""
    return is_supervisor(user)


def can_follow_up(user: User | None, assignment: Assignment) -> bool:
    """Record that a promise made in a signed letter was kept."""
    return works_for(user, assignment.unit_id)
