"""Deadline rules and due states, built on the working-day calendar."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask import g, has_app_context
from flask_babel import lazy_gettext as _l

from tracker.core.errors import DomainError
from tracker.core.models import LabelledEnum
from tracker.core.settings import get_setting
from tracker.deadlines.calendar import WorkingCalendar
from tracker.deadlines.models import CalendarDay
from tracker.extensions import db

PERIOD_UNITS = ("months", "days", "working_days")


class DueState(LabelledEnum):
    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"

    @classmethod
    def _labels(cls) -> dict:
        return {
            cls.ON_TRACK: _l("On track"),
            cls.DUE_SOON: _l("Due soon"),
            cls.OVERDUE: _l("Overdue"),
        }


def calendar() -> WorkingCalendar:
    """Return the calendar with the administrator's corrections (cached per request)."""
    if has_app_context() and "tracker_calendar" in g:
        return g.tracker_calendar
    rows = db.session.execute(sa.select(CalendarDay.day, CalendarDay.is_working)).all()
    cal = WorkingCalendar({row.day: row.is_working for row in rows})
    if has_app_context():
        g.tracker_calendar = cal
    return cal


def validate_period(rule: dict) -> dict:
    """Return a clean {"amount": n, "unit": u} or raise DomainError."""
    try:
        amount = int(rule["amount"])
    except (KeyError, TypeError, ValueError):
        raise DomainError(_l("A period needs a whole number.")) from None
    unit = rule.get("unit")
    if unit not in PERIOD_UNITS:
        raise DomainError(_l("Unknown period unit."))
    if not 0 < amount <= (24 if unit == "months" else 730):
        raise DomainError(_l("The period is out of range."))
    return {"amount": amount, "unit": unit}


def add_period(start: date, rule: dict, cal: WorkingCalendar | None = None) -> date:
    """Add a rule's period to `start`; a date that falls on a day off moves to the next working day."""
    cal = cal or calendar()
    amount, unit = rule["amount"], rule["unit"]
    if unit == "working_days":
        return cal.add_working_days(start, amount)
    if unit == "months":
        end = start + relativedelta(months=amount)
    else:
        end = start + relativedelta(days=amount)
    return cal.next_working_day(end)


def due_soon_limit(today: date, cal: WorkingCalendar | None = None) -> date:
    """The last due date that counts as due soon when seen on `today`."""
    cal = cal or calendar()
    return cal.add_working_days(today, int(get_setting("due_soon_working_days")))


def due_state(due_on: date, awaiting: bool, today: date, soon_limit: date) -> DueState | None:
    """Classify a deadline; None when nothing is awaited any more."""
    if not awaiting:
        return None
    if today > due_on:
        return DueState.OVERDUE
    if due_on <= soon_limit:
        return DueState.DUE_SOON
    return DueState.ON_TRACK
