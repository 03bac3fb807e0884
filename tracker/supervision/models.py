"""Reminders (催办) and the in-app notifications they and other events produce."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import User
from tracker.core.models import LabelledEnum, enum_type, utcnow
from tracker.extensions import db


class ReminderKind(LabelledEnum):
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    OPINION_LATE = "opinion_late"  # a co-handling opinion past its deadline
    PROMISE_DUE = "promise_due"
    PROMISE_OVERDUE = "promise_overdue"
    MANUAL = "manual"

    @classmethod
    def _labels(cls) -> dict:
        return {
            cls.DUE_SOON: _l("Reply due soon"),
            cls.OVERDUE: _l("Reply overdue"),
            cls.OPINION_LATE: _l("Co-handling opinion late"),
            cls.PROMISE_DUE: _l("Promise due soon"),
            cls.PROMISE_OVERDUE: _l("Promise overdue"),
            cls.MANUAL: _l("Reminder from a supervisor"),
        }


class Reminder(db.Model):
    """A reminder (催办) on one case or promise; automatic ones at most once a day each."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    reply_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reply_items.id"))
    kind: Mapped[ReminderKind] = mapped_column(enum_type(ReminderKind, "reminder_kind"))
    on_date: Mapped[date]
    due_on: Mapped[date | None]
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # "auto:<kind>:<assignment>:<item>:<date>" for automatic reminders; NULL for manual ones.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(120), unique=True)

    created_by: Mapped[User | None] = relationship()


class Notification(db.Model):
    """An entry in a user's notification list (and, where SMTP is set up, an email)."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    link: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]
    reminder_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("reminders.id", ondelete="SET NULL")
    )

    user: Mapped[User] = relationship()
