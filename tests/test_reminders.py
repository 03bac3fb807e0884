"""Reminders (催办): what the daily run finds, that it never repeats itself, and email."""

from __future__ import annotations

import socket
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from tests.conftest import login, make_proposal, make_unit, make_user, set_status
from tracker.auth.models import Role
from tracker.core.errors import DomainError
from tracker.extensions import db
from tracker.proposals.models import AssignmentRole
from tracker.proposals.workflow import AssignmentStatus as S
from tracker.replies.models import LetterKind, LetterShape, Reply, ReplyItem, ReplyStatus
from tracker.supervision.models import Notification, Reminder, ReminderKind
from tracker.supervision.notify import message
from tracker.supervision.services import remind_by_hand, run_reminders

TODAY = date(2025, 6, 3)  # a Tuesday


def _case(due_on: date, role=AssignmentRole.SOLE, status=S.HANDLING):
    unit = make_unit()
    clerk = make_user(Role.CLERK, unit=unit)
    proposal = make_proposal(
        units=[(unit, role)]
        if role is not AssignmentRole.CO
        else [(make_unit(), AssignmentRole.LEAD), (unit, role)]
    )
    assignment = next(a for a in proposal.assignments if a.unit_id == unit.id)
    assignment.due_on = due_on
    set_status(assignment, status)
    return assignment, clerk


def _kinds(assignment=None) -> list[str]:
    stmt = sa.select(Reminder)
    if assignment is not None:
        stmt = stmt.where(Reminder.assignment_id == assignment.id)
    return sorted(r.kind.value for r in db.session.scalars(stmt))


# (due date, status, role) -> reminder kind or None
CASES = [
    (date(2025, 6, 2), S.HANDLING, AssignmentRole.SOLE, ReminderKind.OVERDUE),
    (date(2025, 6, 10), S.DRAFTED, AssignmentRole.LEAD, ReminderKind.DUE_SOON),
    (
        date(2025, 6, 17),
        S.IN_REVIEW,
        AssignmentRole.SPLIT,
        ReminderKind.DUE_SOON,
    ),  # 10 working days
    (date(2025, 6, 18), S.HANDLING, AssignmentRole.SOLE, None),
    (date(2025, 5, 1), S.REPLIED, AssignmentRole.SOLE, None),  # letter sent: nothing to chase
    (date(2025, 5, 1), S.CLOSED, AssignmentRole.SOLE, None),
    (date(2025, 5, 30), S.HANDLING, AssignmentRole.CO, ReminderKind.OPINION_LATE),
    (date(2025, 6, 5), S.HANDLING, AssignmentRole.CO, ReminderKind.DUE_SOON),
]


@pytest.mark.parametrize(("due", "status", "role", "kind"), CASES)
def test_what_the_run_reminds(ctx, due, status, role, kind):
    assignment, clerk = _case(due, role, status)
    run_reminders(TODAY)
    expected = [kind.value] if kind else []
    assert _kinds(assignment) == expected
    if kind:
        notes = db.session.scalars(
            sa.select(Notification).where(Notification.user_id == clerk.id)
        ).all()
        assert len(notes) == 1 and assignment.proposal.number in message(notes[0])


def test_running_twice_a_day_sends_nothing_twice(ctx):
    _case(date(2025, 6, 2))
    supervisor = make_user(Role.SUPERVISOR)
    first = run_reminders(TODAY)
    second = run_reminders(TODAY)
    assert first.reminders == 1 and second.reminders == 0 and second.skipped == 1
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 2  # clerk + supervisor
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(Notification.user_id == supervisor.id)
        )
        == 1
    )
    third = run_reminders(date(2025, 6, 4))
    assert third.reminders == 1, "a new day is a new reminder"


def test_late_opinion_tells_the_lead_unit_too(ctx):
    assignment, co_clerk = _case(date(2025, 5, 30), AssignmentRole.CO)
    lead = next(a for a in assignment.proposal.assignments if a.role is AssignmentRole.LEAD)
    lead_clerk = make_user(Role.CLERK, unit=lead.unit)
    run_reminders(TODAY)
    recipients = set(db.session.scalars(sa.select(Notification.user_id)))
    assert recipients == {co_clerk.id, lead_clerk.id}


def test_promises_due_and_overdue(ctx):
    assignment, clerk = _case(date(2025, 6, 10), status=S.CLOSED)
    reply = Reply(
        assignment=assignment,
        kind=LetterKind.REPLY,
        shape=LetterShape.TABLE,
        status=ReplyStatus.SIGNED,
        signed_at=datetime(2025, 3, 1, 9, 0),
        title="t",
        salutation="s",
        signing_unit="u",
    )
    reply.items = [
        ReplyItem(position=0, answer="a", promise="年内建成", promise_due_on=date(2025, 6, 1)),
        ReplyItem(position=1, answer="b", promise="明年推广", promise_due_on=date(2025, 6, 6)),
        ReplyItem(position=2, answer="c", promise="远期", promise_due_on=date(2026, 1, 1)),
        ReplyItem(
            position=3,
            answer="d",
            promise="已完成",
            promise_due_on=date(2025, 6, 1),
            fulfilled_on=date(2025, 5, 1),
        ),
    ]
    db.session.add(reply)
    db.session.flush()
    run_reminders(TODAY)
    assert _kinds() == ["promise_due", "promise_overdue"]


def test_manual_reminder(ctx):
    assignment, clerk = _case(date(2025, 9, 1))
    boss = make_user(Role.SUPERVISOR)
    with pytest.raises(DomainError):
        remind_by_hand(boss, assignment, "   ")
    remind_by_hand(boss, assignment, "请于本周内报送初稿", today=TODAY)
    remind_by_hand(boss, assignment, "再次提醒", today=TODAY)
    notes = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == clerk.id)
    ).all()
    assert len(notes) == 2 and "请于本周内报送初稿" in message(notes[0])


@pytest.fixture
def smtp_server():
    aiosmtpd = pytest.importorskip("aiosmtpd.controller", reason="aiosmtpd is a dev dependency")
    from aiosmtpd.handlers import Message

    received = []

    class Collect(Message):
        def handle_message(self, msg):
            received.append(msg)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = aiosmtpd.Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port, received
    controller.stop()


def test_email_goes_out_once_through_a_real_smtp_server(app, smtp_server, monkeypatch):
    port, received = smtp_server
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    with app.app_context():
        assignment, clerk = _case(date(2025, 6, 2))
        clerk.email = "clerk@example.gov.cn"
        no_mail = make_user(Role.CLERK, unit=assignment.unit)
        assert no_mail.email is None
        report = run_reminders(TODAY)
        db.session.commit()
        assert report.emails == 1
        again = run_reminders(TODAY)
        assert again.emails == 0
    assert len(received) == 1
    assert received[0]["To"] == "clerk@example.gov.cn"
    body = received[0].get_payload(decode=True).decode()
    assert assignment.proposal.number in body and "2025年6月2日" in body


def test_reminders_cli_and_todo_page(app, client):
    with app.app_context():
        assignment, clerk = _case(date(2025, 6, 2))
        db.session.commit()
        name, number = clerk.username, assignment.proposal.number
    result = app.test_cli_runner().invoke(args=["reminders", "run", "--date", "2025-06-03"])
    assert result.exit_code == 0 and "1 reminders" in result.output
    result = app.test_cli_runner().invoke(args=["reminders", "run", "--date", "2025-06-03"])
    assert "0 reminders" in result.output and "1 already sent today" in result.output
    login(client, name)
    page = client.get("/todo").get_data(as_text=True)
    assert number in page
    assert client.post("/notifications/read").status_code == 303
