"""The life of an assignment: its states, the actions, and every allowed transition.

This is the one place the workflow is written down. Services call `transition_for`; pages
call `available_actions` (via permissions) to show only what may be done now.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from tracker.core.models import LabelledEnum


class AssignmentStatus(LabelledEnum):
    ASSIGNED = "assigned"  # 已交办，待签收
    RECEIVED = "received"  # 已签收
    RETURN_REQUESTED = "return_requested"  # 申请退回/调整中
    WITHDRAWN = "withdrawn"  # 已退回（交办撤销）
    HANDLING = "handling"  # 办理中
    DRAFTED = "drafted"  # 已拟稿
    IN_REVIEW = "in_review"  # 审核中
    AMENDS = "amends"  # 退回修改
    SIGNED_OFF = "signed_off"  # 已签发
    REPLIED = "replied"  # 已答复
    AWAITING_FEEDBACK = "awaiting_feedback"  # 待反馈
    CLOSED = "closed"  # 已办结
    REHANDLING = "rehandling"  # 重新办理

    @classmethod
    def _labels(cls) -> dict:
        return {
            cls.ASSIGNED: _l("Assigned, not yet received"),
            cls.RECEIVED: _l("Received"),
            cls.RETURN_REQUESTED: _l("Return requested"),
            cls.WITHDRAWN: _l("Returned (withdrawn)"),
            cls.HANDLING: _l("Handling"),
            cls.DRAFTED: _l("Reply drafted"),
            cls.IN_REVIEW: _l("In review"),
            cls.AMENDS: _l("Returned for amends"),
            cls.SIGNED_OFF: _l("Signed off"),
            cls.REPLIED: _l("Replied"),
            cls.AWAITING_FEEDBACK: _l("Awaiting feedback"),
            cls.CLOSED: _l("Closed"),
            cls.REHANDLING: _l("Re-handling"),
        }

    @property
    def is_open(self) -> bool:
        """Still on somebody's desk (not closed, not withdrawn)."""
        return self not in (AssignmentStatus.CLOSED, AssignmentStatus.WITHDRAWN)

    @property
    def awaits_reply(self) -> bool:
        """The reply deadline still matters: the letter has not gone out yet."""
        return self in PENDING_REPLY


PENDING_REPLY = frozenset(
    {
        AssignmentStatus.ASSIGNED,
        AssignmentStatus.RECEIVED,
        AssignmentStatus.RETURN_REQUESTED,
        AssignmentStatus.HANDLING,
        AssignmentStatus.DRAFTED,
        AssignmentStatus.IN_REVIEW,
        AssignmentStatus.AMENDS,
        AssignmentStatus.SIGNED_OFF,
        AssignmentStatus.REHANDLING,
    }
)


class Actor(enum.Enum):
    """Who performs an action: the handling unit's staff, or a supervisor."""

    UNIT = "unit"
    SUPERVISOR = "supervisor"


class Action(LabelledEnum):
    RECEIVE = "receive"
    REQUEST_RETURN = "request_return"
    APPROVE_RETURN = "approve_return"
    REJECT_RETURN = "reject_return"
    START_HANDLING = "start_handling"
    RECORD_DRAFT = "record_draft"
    SUBMIT = "submit"
    RETURN_FOR_AMENDS = "return_for_amends"
    SIGN_OFF = "sign_off"
    SEND = "send"
    AWAIT_FEEDBACK = "await_feedback"
    CLOSE = "close"
    REHANDLE = "rehandle"

    @classmethod
    def _labels(cls) -> dict:
        return {
            cls.RECEIVE: _l("Receive (sign for) the case"),
            cls.REQUEST_RETURN: _l("Request return / reassignment"),
            cls.APPROVE_RETURN: _l("Approve the return"),
            cls.REJECT_RETURN: _l("Reject the return"),
            cls.START_HANDLING: _l("Start handling"),
            cls.RECORD_DRAFT: _l("Mark the reply drafted"),
            cls.SUBMIT: _l("Submit for review"),
            cls.RETURN_FOR_AMENDS: _l("Return for amends"),
            cls.SIGN_OFF: _l("Sign off"),
            cls.SEND: _l("Mark the reply sent"),
            cls.AWAIT_FEEDBACK: _l("Ask for the proposer's feedback"),
            cls.CLOSE: _l("Close the case"),
            cls.REHANDLE: _l("Reopen for re-handling"),
        }


S = AssignmentStatus


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[AssignmentStatus]
    target: AssignmentStatus
    actor: Actor
    needs_comment: bool = False
    # None: every role; otherwise only assignments whose role replies to the proposer (True)
    # or only co-handling ones (False).
    replying_roles: bool | None = None
    # Steps taken on the letter's page (they need a letter), not with the case page's buttons.
    via_letter: bool = False


def _t(action, sources, target, actor, **kw) -> Transition:
    return Transition(action, frozenset(sources), target, actor, **kw)


TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        _t(Action.RECEIVE, {S.ASSIGNED}, S.RECEIVED, Actor.UNIT),
        _t(
            Action.REQUEST_RETURN,
            {S.ASSIGNED, S.RECEIVED},
            S.RETURN_REQUESTED,
            Actor.UNIT,
            needs_comment=True,
        ),
        _t(Action.APPROVE_RETURN, {S.RETURN_REQUESTED}, S.WITHDRAWN, Actor.SUPERVISOR),
        _t(Action.REJECT_RETURN, {S.RETURN_REQUESTED}, S.RECEIVED, Actor.SUPERVISOR),
        _t(Action.START_HANDLING, {S.RECEIVED}, S.HANDLING, Actor.UNIT),
        _t(
            Action.RECORD_DRAFT,
            {S.HANDLING, S.REHANDLING, S.AMENDS},
            S.DRAFTED,
            Actor.UNIT,
            via_letter=True,
        ),
        _t(Action.SUBMIT, {S.DRAFTED, S.AMENDS}, S.IN_REVIEW, Actor.UNIT, via_letter=True),
        _t(
            Action.RETURN_FOR_AMENDS,
            {S.IN_REVIEW},
            S.AMENDS,
            Actor.SUPERVISOR,
            needs_comment=True,
            via_letter=True,
        ),
        _t(Action.SIGN_OFF, {S.IN_REVIEW}, S.SIGNED_OFF, Actor.SUPERVISOR, via_letter=True),
        _t(Action.SEND, {S.SIGNED_OFF}, S.REPLIED, Actor.UNIT),
        _t(
            Action.AWAIT_FEEDBACK,
            {S.REPLIED},
            S.AWAITING_FEEDBACK,
            Actor.UNIT,
            replying_roles=True,
        ),
        # A co-handling opinion is done once sent to the lead unit; a reply once feedback allows.
        _t(Action.CLOSE, {S.AWAITING_FEEDBACK, S.REPLIED}, S.CLOSED, Actor.SUPERVISOR),
        _t(
            Action.REHANDLE,
            {S.REPLIED, S.AWAITING_FEEDBACK, S.CLOSED},
            S.REHANDLING,
            Actor.SUPERVISOR,
            needs_comment=True,
            replying_roles=True,
        ),
    )
}


def transition_for(action: Action, status: AssignmentStatus, replying: bool) -> Transition | None:
    """Return the transition `action` makes from `status`, or None if it is not allowed."""
    transition = TRANSITIONS[action]
    if status not in transition.sources:
        return None
    if transition.replying_roles is not None and transition.replying_roles != replying:
        return None
    return transition


def actions_from(status: AssignmentStatus, replying: bool) -> list[Transition]:
    """Every transition allowed from `status`, in the order of the table."""
    return [t for a in Action if (t := transition_for(a, status, replying)) is not None]
