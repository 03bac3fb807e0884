"""The to-do page, notifications, reminders by hand, and promise follow-ups."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from tracker.core import permissions
from tracker.core.errors import DomainError
from tracker.core.models import utcnow
from tracker.deadlines.services import due_soon_limit, due_state
from tracker.extensions import db
from tracker.proposals.models import Assignment
from tracker.replies.models import ReplyItem
from tracker.supervision import queries, services
from tracker.supervision.models import Notification
from tracker.supervision.notify import message

bp = Blueprint("supervision", __name__)

LIST_TITLES = {
    "review": _l("Letters waiting for your review"),
    "return_requests": _l("Return requests to decide"),
    "extensions": _l("Extension requests to decide"),
    "overdue": _l("Overdue"),
    "due_soon": _l("Due soon"),
    "to_receive": _l("New cases to receive"),
    "amends": _l("Letters returned for amends"),
    "rehandling": _l("Cases reopened for re-handling"),
    "feedback": _l("Replies waiting for feedback"),
    "promises": _l("Promises due"),
}


@bp.get("/todo")
@login_required
def todo():
    today = date.today()
    soon = due_soon_limit(today)
    return render_template(
        "supervision/todo.html",
        lists=queries.todo(current_user, today),
        titles=LIST_TITLES,
        notes=queries.notifications(current_user, unread_only=True),
        message=message,
        due_of=lambda a: due_state(a.due_on, a.status.awaits_reply, today, soon),
    )


@bp.get("/notifications")
@login_required
def notifications():
    return render_template(
        "supervision/notifications.html",
        notes=queries.notifications(current_user, limit=200),
        message=message,
    )


@bp.post("/notifications/read")
@login_required
def mark_read():
    db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return redirect(
        request.referrer
        if (request.referrer or "").startswith(request.host_url)
        else url_for("supervision.todo")
    ), 303


@bp.post("/assignments/<int:assignment_id>/remind")
@login_required
def remind(assignment_id: int):
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or not permissions.can_view_proposal(current_user, assignment.proposal):
        abort(404)
    if not permissions.can_remind(current_user):
        abort(403)
    try:
        services.remind_by_hand(current_user, assignment, request.form.get("note", ""))
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Reminder sent to the unit."), "success")
    return redirect(
        url_for("proposals.show", proposal_id=assignment.proposal_id)
        + f"#assignment-{assignment.id}"
    ), 303


@bp.post("/promises/<int:item_id>/follow-up")
@login_required
def follow_up(item_id: int):
    item = db.session.get(ReplyItem, item_id)
    if item is None or not permissions.can_view_proposal(
        current_user, item.reply.assignment.proposal
    ):
        abort(404)
    assignment = item.reply.assignment
    if not permissions.can_follow_up(current_user, assignment):
        abort(403)
    text = (request.form.get("follow_up") or "").strip()
    try:
        services.record_follow_up(current_user, item, text, request.form.get("fulfilled_on", ""))
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Follow-up recorded."), "success")
    return redirect(url_for("replies.edit", reply_id=item.reply_id) + "#promises"), 303
