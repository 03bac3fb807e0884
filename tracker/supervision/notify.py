"""Put a notification in users' lists; and how each kind reads."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from tracker.auth.models import Role, User
from tracker.extensions import db
from tracker.supervision.models import Notification

MESSAGES = {
    "reminder": _l("Reminder (%(what)s): No. %(number)s %(title)s, due %(due_on)s. %(note)s"),
    "letter_submitted": _l("%(unit)s submitted the letter on No. %(number)s for review."),
    "letter_returned": _l("The letter on No. %(number)s came back from review: %(comment)s"),
    "letter_signed": _l("The letter on No. %(number)s was signed off."),
    "opinion_arrived": _l("%(unit)s sent its co-handling opinion on No. %(number)s."),
    "reply_copied": _l("Copy for the co-handling unit: %(unit)s's signed reply on No. %(number)s."),
    "feedback_arrived": _l("Feedback on No. %(number)s from %(proposer)s: %(rating)s."),
    "rehandling": _l("No. %(number)s is reopened for re-handling; new due date %(due_on)s."),
}


def unit_clerks(unit_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(User.id).where(
                User.unit_id == unit_id, User.role == Role.CLERK, User.is_active_flag.is_(True)
            )
        )
    )


def supervisors() -> list[int]:
    return list(
        db.session.scalars(
            sa.select(User.id).where(User.role == Role.SUPERVISOR, User.is_active_flag.is_(True))
        )
    )


def notify(
    user_ids: Iterable[int],
    kind: str,
    params: dict[str, Any],
    link: str = "",
    reminder_id: int | None = None,
) -> list[Notification]:
    """Add one notification per user (each user once)."""
    if kind not in MESSAGES:
        raise KeyError(kind)
    made = []
    for user_id in dict.fromkeys(user_ids):
        note = Notification(
            user_id=user_id, kind=kind, params=params, link=link, reminder_id=reminder_id
        )
        db.session.add(note)
        made.append(note)
    db.session.flush()
    return made


def message(note: Notification) -> str:
    """The notification in the current language."""
    template = MESSAGES.get(note.kind)
    if template is None:
        return note.kind
    params = dict(note.params)
    if params.get("due_on"):
        from datetime import date

        try:
            day = date.fromisoformat(params["due_on"])
            params["due_on"] = f"{day.year}年{day.month}月{day.day}日"
        except ValueError:
            pass
    if note.kind == "feedback_arrived":
        from tracker.contacts.models import Rating

        with contextlib.suppress(ValueError):
            params["rating"] = Rating(params.get("rating")).label
    if note.kind == "reminder":
        from tracker.supervision.models import ReminderKind

        try:
            params["what"] = ReminderKind(params.get("kind")).label
        except ValueError:
            params["what"] = params.get("kind", "")
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)
