"""Reminders (催办): the daily run, manual reminders, and the email that goes with them."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from tracker.auth.models import User
from tracker.core.audit import record
from tracker.core.errors import DomainError
from tracker.core.models import utcnow
from tracker.deadlines.services import calendar, due_soon_limit
from tracker.extensions import db
from tracker.proposals.models import Assignment, AssignmentRole
from tracker.proposals.workflow import PENDING_REPLY
from tracker.replies.models import Reply, ReplyItem, ReplyStatus
from tracker.supervision.models import Notification, Reminder, ReminderKind
from tracker.supervision.notify import message, notify, supervisors, unit_clerks


@dataclass
class RunReport:
    reminders: int = 0
    notifications: int = 0
    emails: int = 0
    skipped: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def _link(assignment: Assignment) -> str:
    return f"/proposals/{assignment.proposal_id}#assignment-{assignment.id}"


def _remind(
    report: RunReport,
    assignment: Assignment,
    kind: ReminderKind,
    today: date,
    due_on: date,
    recipients: list[int],
    item: ReplyItem | None = None,
) -> None:
    key = f"auto:{kind.value}:{assignment.id}:{item.id if item else 0}:{today.isoformat()}"
    if db.session.scalar(sa.select(Reminder.id).where(Reminder.dedupe_key == key)) is not None:
        report.skipped += 1
        return
    reminder = Reminder(
        assignment_id=assignment.id,
        reply_item_id=item.id if item else None,
        kind=kind,
        on_date=today,
        due_on=due_on,
        dedupe_key=key,
    )
    db.session.add(reminder)
    db.session.flush()
    params = {
        "kind": kind.value,
        "number": assignment.proposal.number,
        "title": assignment.proposal.title,
        "due_on": due_on.isoformat(),
        "note": (item.promise if item else ""),
    }
    made = notify(recipients, "reminder", params, _link(assignment), reminder_id=reminder.id)
    report.reminders += 1
    report.notifications += len(made)
    report.by_kind[kind.value] = report.by_kind.get(kind.value, 0) + 1


def run_reminders(today: date | None = None) -> RunReport:
    """Record today's reminders on every due-soon or overdue case, opinion and promise.

    Running it again on the same day adds nothing: each reminder has a key per day.
    """
    today = today or date.today()
    soon = due_soon_limit(today)
    report = RunReport()
    sup = supervisors()
    open_cases = db.session.scalars(
        sa.select(Assignment)
        .where(Assignment.status.in_(PENDING_REPLY), Assignment.due_on <= soon)
        .options(joinedload(Assignment.proposal))
        .order_by(Assignment.id)
    ).unique()
    for assignment in open_cases:
        overdue = assignment.due_on < today
        clerks = unit_clerks(assignment.unit_id)
        if assignment.role is AssignmentRole.CO:
            if overdue:
                lead = [a for a in assignment.proposal.assignments if a.role is AssignmentRole.LEAD]
                lead_clerks = [u for a in lead for u in unit_clerks(a.unit_id)]
                _remind(
                    report,
                    assignment,
                    ReminderKind.OPINION_LATE,
                    today,
                    assignment.due_on,
                    clerks + lead_clerks,
                )
            else:
                _remind(report, assignment, ReminderKind.DUE_SOON, today, assignment.due_on, clerks)
            continue
        kind = ReminderKind.OVERDUE if overdue else ReminderKind.DUE_SOON
        _remind(
            report, assignment, kind, today, assignment.due_on, clerks + (sup if overdue else [])
        )

    promises = db.session.execute(
        sa.select(ReplyItem, Assignment)
        .join(Reply, ReplyItem.reply_id == Reply.id)
        .join(Assignment, Reply.assignment_id == Assignment.id)
        .where(
            Reply.status == ReplyStatus.SIGNED,
            ReplyItem.promise != "",
            ReplyItem.fulfilled_on.is_(None),
            ReplyItem.promise_due_on.is_not(None),
            ReplyItem.promise_due_on <= soon,
        )
        .order_by(ReplyItem.id)
    ).all()
    for item, assignment in promises:
        kind = (
            ReminderKind.PROMISE_OVERDUE
            if item.promise_due_on < today
            else ReminderKind.PROMISE_DUE
        )
        _remind(
            report,
            assignment,
            kind,
            today,
            item.promise_due_on,
            unit_clerks(assignment.unit_id),
            item,
        )
    report.emails = send_pending_emails()
    return report


def remind_by_hand(
    actor: Any, assignment: Assignment, note: str, today: date | None = None
) -> Reminder:
    """A supervisor's own reminder (催办), with a note, to the unit's clerks."""
    note = (note or "").strip()
    if not note:
        raise DomainError(_l("Write what the unit should do."), field="note")
    if len(note) > 2000:
        raise DomainError(
            _l("This text is too long (at most %(n)d characters).", n=2000), field="note"
        )
    if not assignment.status.is_open:
        raise DomainError(_l("The case is closed; there is nothing to remind."))
    today = today or date.today()
    reminder = Reminder(
        assignment_id=assignment.id,
        kind=ReminderKind.MANUAL,
        on_date=today,
        due_on=assignment.due_on,
        note=note,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(reminder)
    db.session.flush()
    params = {
        "kind": ReminderKind.MANUAL.value,
        "number": assignment.proposal.number,
        "title": assignment.proposal.title,
        "due_on": assignment.due_on.isoformat(),
        "note": note,
    }
    notify(unit_clerks(assignment.unit_id), "reminder", params, _link(assignment), reminder.id)
    record(actor, "reminder.sent", reminder, proposal_id=assignment.proposal_id, summary=note)
    return reminder


def send_pending_emails() -> int:
    """Email every not-yet-emailed notification to users with an address, if SMTP is set up."""
    config = current_app.config
    host = config.get("SMTP_HOST")
    if not host:
        return 0
    pending = db.session.execute(
        sa.select(Notification, User)
        .join(User, Notification.user_id == User.id)
        .where(Notification.emailed_at.is_(None), User.email.is_not(None))
        .order_by(Notification.id)
    ).all()
    if not pending:
        return 0
    sent = 0
    with smtplib.SMTP(host, int(config.get("SMTP_PORT") or 25), timeout=20) as smtp:
        if config.get("SMTP_STARTTLS"):
            smtp.starttls()
        if config.get("SMTP_USER"):
            smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
        for note, user in pending:
            with force_locale(user.locale or config["BABEL_DEFAULT_LOCALE"]):
                text = message(note)
            mail = EmailMessage()
            mail["From"] = config.get("SMTP_FROM") or "tracker@localhost"
            mail["To"] = user.email
            mail["Subject"] = text[:60]
            base = (config.get("PUBLIC_URL") or "").rstrip("/")
            mail.set_content(text + (f"\n\n{base}{note.link}" if base and note.link else ""))
            smtp.send_message(mail)
            note.emailed_at = utcnow()
            sent += 1
    db.session.flush()
    return sent


def working_days_left(due_on: date, today: date) -> int:
    return calendar().working_days_between(today, due_on)


def record_follow_up(actor: Any, item: ReplyItem, text: str, fulfilled_on: str | date) -> ReplyItem:
    """Record that a promise was kept: when, and the follow-up reply."""
    if not item.promise:
        raise DomainError(_l("This answer made no promise."))
    if item.reply.status is not ReplyStatus.SIGNED:
        raise DomainError(_l("Promises are followed up once the letter is signed off."))
    if item.fulfilled_on is not None:
        raise DomainError(_l("This promise is already followed up."))
    if isinstance(fulfilled_on, str):
        try:
            fulfilled_on = date.fromisoformat(fulfilled_on)
        except ValueError:
            raise DomainError(
                _l("Enter the date the promise was kept."), field="fulfilled_on"
            ) from None
    if fulfilled_on > date.today():
        raise DomainError(_l("The date cannot be in the future."), field="fulfilled_on")
    text = (text or "").strip()
    if not text:
        raise DomainError(_l("Describe what was done."), field="follow_up")
    item.fulfilled_on = fulfilled_on
    item.follow_up = text[:20_000]
    db.session.flush()
    record(
        actor,
        "promise.followed_up",
        item,
        proposal_id=item.reply.assignment.proposal_id,
        summary=text[:200],
        changes={"fulfilled_on": [None, fulfilled_on.isoformat()]},
    )
    return item
