"""What a user should act on today, and their notifications."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from tracker.deadlines.services import due_soon_limit
from tracker.extensions import db
from tracker.proposals.models import Assignment, Extension, Proposal, RequestStatus
from tracker.proposals.workflow import PENDING_REPLY, AssignmentStatus
from tracker.replies.models import Reply, ReplyItem, ReplyStatus
from tracker.supervision.models import Notification

LIMIT = 50


@dataclass
class TodoList:
    key: str
    items: list[Any] = field(default_factory=list)
    total: int = 0


def _assignments(where, order=Assignment.due_on) -> TodoList:
    base = sa.select(Assignment).where(*where)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))
    rows = db.session.scalars(
        base.options(joinedload(Assignment.proposal).joinedload(Proposal.session))
        .order_by(order, Assignment.id)
        .limit(LIMIT)
    ).all()
    return TodoList("", list(rows), total or 0)


def todo(user: Any, today: date) -> list[TodoList]:
    """The to-do lists for this user, in the order they should be worked."""
    soon = due_soon_limit(today)
    lists: list[TodoList] = []

    def add(key: str, found: TodoList) -> None:
        found.key = key
        if found.total:
            lists.append(found)

    scope = [] if user.sees_all_units else [Assignment.unit_id == user.unit_id]
    if user.sees_all_units:
        add("review", _assignments([Assignment.status == AssignmentStatus.IN_REVIEW]))
        add(
            "return_requests",
            _assignments([Assignment.status == AssignmentStatus.RETURN_REQUESTED]),
        )
        ext_total = db.session.scalar(
            sa.select(sa.func.count(Extension.id)).where(Extension.status == RequestStatus.PENDING)
        )
        if ext_total:
            ext_rows = (
                db.session.scalars(
                    sa.select(Assignment)
                    .join(Extension, Extension.assignment_id == Assignment.id)
                    .where(Extension.status == RequestStatus.PENDING)
                    .options(joinedload(Assignment.proposal))
                    .order_by(Assignment.due_on)
                    .limit(LIMIT)
                )
                .unique()
                .all()
            )
            lists.append(TodoList("extensions", list(ext_rows), ext_total))
    add(
        "overdue",
        _assignments(scope + [Assignment.status.in_(PENDING_REPLY), Assignment.due_on < today]),
    )
    add(
        "due_soon",
        _assignments(
            scope + [Assignment.status.in_(PENDING_REPLY), Assignment.due_on.between(today, soon)]
        ),
    )
    if not user.sees_all_units:
        add("to_receive", _assignments(scope + [Assignment.status == AssignmentStatus.ASSIGNED]))
        add("amends", _assignments(scope + [Assignment.status == AssignmentStatus.AMENDS]))
        add("rehandling", _assignments(scope + [Assignment.status == AssignmentStatus.REHANDLING]))
        add(
            "feedback",
            _assignments(
                scope
                + [
                    Assignment.status.in_(
                        (AssignmentStatus.REPLIED, AssignmentStatus.AWAITING_FEEDBACK)
                    )
                ]
            ),
        )
        promises = db.session.execute(
            sa.select(ReplyItem, Assignment)
            .join(Reply, ReplyItem.reply_id == Reply.id)
            .join(Assignment, Reply.assignment_id == Assignment.id)
            .where(
                *scope,
                Reply.status == ReplyStatus.SIGNED,
                ReplyItem.promise != "",
                ReplyItem.fulfilled_on.is_(None),
                ReplyItem.promise_due_on <= soon,
            )
            .options(joinedload(Assignment.proposal))
            .order_by(ReplyItem.promise_due_on)
            .limit(LIMIT)
        ).all()
        if promises:
            lists.append(TodoList("promises", [tuple(row) for row in promises], len(promises)))
    return lists


def notifications(user: Any, limit: int = 20, unread_only: bool = False) -> list[Notification]:
    stmt = sa.select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return list(db.session.scalars(stmt.order_by(Notification.id.desc()).limit(limit)))


def unread_count(user: Any) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def reminders_by_assignment(assignment_ids: list[int]) -> dict[int, list[Any]]:
    from collections import defaultdict

    from tracker.supervision.models import Reminder

    grouped: dict[int, list[Any]] = defaultdict(list)
    if assignment_ids:
        rows = db.session.scalars(
            sa.select(Reminder)
            .where(Reminder.assignment_id.in_(assignment_ids))
            .order_by(Reminder.id.desc())
        )
        for row in rows:
            grouped[row.assignment_id].append(row)
    return grouped
