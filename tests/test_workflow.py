"""The assignment workflow as a table: every state x every action."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import make_proposal, make_unit, make_user, set_status
from tracker.auth.models import Role
from tracker.core import permissions
from tracker.core.audit import AuditEvent
from tracker.core.errors import DomainError
from tracker.extensions import db
from tracker.proposals.models import AssignmentRole, RequestStatus
from tracker.proposals.services import perform_action
from tracker.proposals.workflow import TRANSITIONS, Action, AssignmentStatus, transition_for

S, A = AssignmentStatus, Action

# (action, from state) -> target, for an assignment that replies to the proposer.
ALLOWED = {
    (A.RECEIVE, S.ASSIGNED): S.RECEIVED,
    (A.REQUEST_RETURN, S.ASSIGNED): S.RETURN_REQUESTED,
    (A.REQUEST_RETURN, S.RECEIVED): S.RETURN_REQUESTED,
    (A.APPROVE_RETURN, S.RETURN_REQUESTED): S.WITHDRAWN,
    (A.REJECT_RETURN, S.RETURN_REQUESTED): S.RECEIVED,
    (A.START_HANDLING, S.RECEIVED): S.HANDLING,
    (A.RECORD_DRAFT, S.HANDLING): S.DRAFTED,
    (A.RECORD_DRAFT, S.REHANDLING): S.DRAFTED,
    (A.RECORD_DRAFT, S.AMENDS): S.DRAFTED,
    (A.SUBMIT, S.DRAFTED): S.IN_REVIEW,
    (A.SUBMIT, S.AMENDS): S.IN_REVIEW,
    (A.RETURN_FOR_AMENDS, S.IN_REVIEW): S.AMENDS,
    (A.SIGN_OFF, S.IN_REVIEW): S.SIGNED_OFF,
    (A.SEND, S.SIGNED_OFF): S.REPLIED,
    (A.AWAIT_FEEDBACK, S.REPLIED): S.AWAITING_FEEDBACK,
    (A.CLOSE, S.AWAITING_FEEDBACK): S.CLOSED,
    (A.CLOSE, S.REPLIED): S.CLOSED,
    (A.REHANDLE, S.REPLIED): S.REHANDLING,
    (A.REHANDLE, S.AWAITING_FEEDBACK): S.REHANDLING,
    (A.REHANDLE, S.CLOSED): S.REHANDLING,
}

# Co-handling opinions go to the lead unit: no feedback, no re-handling.
CO_REFUSED = {
    (A.AWAIT_FEEDBACK, S.REPLIED),
    (A.REHANDLE, S.REPLIED),
    (A.REHANDLE, S.AWAITING_FEEDBACK),
    (A.REHANDLE, S.CLOSED),
}

CASES = [(action, status) for status in S for action in A]


@pytest.mark.parametrize(
    ("action", "status"), CASES, ids=[f"{s.value}-{a.value}" for a, s in CASES]
)
def test_every_state_and_action(ctx, action, status):
    unit = make_unit()
    proposal = make_proposal(units=[(unit, AssignmentRole.SOLE)])
    assignment = proposal.assignments[0]
    set_status(assignment, status)
    events_before = db.session.query(AuditEvent).count()
    expected = ALLOWED.get((action, status))
    today = assignment.assigned_on  # inside the return window
    if expected is None:
        with pytest.raises(DomainError):
            perform_action(None, assignment, action, comment="理由", today=today)
        assert assignment.status is status, "a refused transition changes nothing"
        assert db.session.query(AuditEvent).count() == events_before
    else:
        perform_action(None, assignment, action, comment="理由", today=today)
        assert assignment.status is expected
        assert db.session.query(AuditEvent).count() == events_before + 1


def test_table_matches_the_workflow_definition():
    derived = {(t.action, s): t.target for t in TRANSITIONS.values() for s in t.sources}
    assert derived == ALLOWED


@pytest.mark.parametrize(("action", "status"), sorted(ALLOWED, key=str))
def test_co_handling_roles(action, status):
    allowed = transition_for(action, status, replying=False) is not None
    assert allowed == ((action, status) not in CO_REFUSED)


def test_comment_required_where_the_table_says(ctx):
    proposal = make_proposal(units=[(make_unit(), AssignmentRole.SOLE)])
    assignment = proposal.assignments[0]
    set_status(assignment, S.IN_REVIEW)
    with pytest.raises(DomainError) as exc:
        perform_action(None, assignment, A.RETURN_FOR_AMENDS, comment="  ")
    assert exc.value.field == "comment"
    assert assignment.status is S.IN_REVIEW


def test_return_request_window(ctx):
    proposal = make_proposal(
        units=[(make_unit(), AssignmentRole.SOLE)], assigned_on=date(2025, 3, 10)
    )
    assignment = proposal.assignments[0]
    assert assignment.return_due_on == date(2025, 3, 20)  # 10 days, a Thursday
    with pytest.raises(DomainError):
        perform_action(
            None, assignment, A.REQUEST_RETURN, comment="不属于本单位职责", today=date(2025, 3, 21)
        )
    assert assignment.status is S.ASSIGNED
    assert assignment.return_requests == []
    perform_action(
        None, assignment, A.REQUEST_RETURN, comment="不属于本单位职责", today=date(2025, 3, 20)
    )
    assert assignment.return_requests[0].status is RequestStatus.PENDING
    perform_action(None, assignment, A.APPROVE_RETURN, comment="同意", today=date(2025, 3, 22))
    assert assignment.status is S.WITHDRAWN
    assert assignment.return_requests[0].status is RequestStatus.APPROVED


def test_rehandling_gives_a_new_deadline_and_round(ctx):
    proposal = make_proposal(units=[(make_unit(), AssignmentRole.SOLE)])
    assignment = proposal.assignments[0]
    set_status(assignment, S.AWAITING_FEEDBACK)
    perform_action(None, assignment, A.REHANDLE, comment="委员不满意", today=date(2025, 7, 1))
    assert assignment.round == 2
    assert assignment.due_on == date(2025, 10, 9)  # 1 Oct + 3 months falls in National Day week


# Who may act: the unit's clerks for unit steps, supervisors for review and decisions.
ROLE_CASES = [
    (Role.CLERK, True, A.SUBMIT, S.DRAFTED, True),
    (Role.CLERK, False, A.SUBMIT, S.DRAFTED, False),
    (Role.CLERK, True, A.SIGN_OFF, S.IN_REVIEW, False),
    (Role.SUPERVISOR, False, A.SIGN_OFF, S.IN_REVIEW, True),
    (Role.SUPERVISOR, False, A.SUBMIT, S.DRAFTED, False),
    (Role.VIEWER, True, A.RECEIVE, S.ASSIGNED, False),
    (Role.ADMIN, False, A.RECEIVE, S.ASSIGNED, True),
    (Role.ADMIN, False, A.SIGN_OFF, S.IN_REVIEW, True),
    (Role.CLERK, True, A.APPROVE_RETURN, S.RETURN_REQUESTED, False),
    (Role.SUPERVISOR, False, A.APPROVE_RETURN, S.RETURN_REQUESTED, True),
]


@pytest.mark.parametrize(("role", "own_unit", "action", "status", "allowed"), ROLE_CASES)
def test_who_may_act(ctx, role, own_unit, action, status, allowed):
    unit = make_unit()
    proposal = make_proposal(units=[(unit, AssignmentRole.SOLE)])
    assignment = proposal.assignments[0]
    set_status(assignment, status)
    user = make_user(role, unit=unit if own_unit else None)
    assert permissions.can_act(user, assignment, action) is allowed
