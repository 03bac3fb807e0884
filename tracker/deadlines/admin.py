"""Administrator writes for deadline rules and calendar corrections.

Each function validates, changes, audits and flushes; the view commits. A DomainError leaves
the session unchanged (everything is checked before the first write).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import g, has_app_context
from flask_babel import lazy_gettext as _l

from tracker.core.audit import diff, record, snapshot
from tracker.core.errors import DomainError
from tracker.core.settings import Setting, get_setting, set_setting
from tracker.deadlines.models import CalendarDay
from tracker.deadlines.services import validate_period
from tracker.extensions import db

PERIOD_KEYS = (
    "reply_deadline",
    "co_opinion_deadline",
    "return_window",
    "rehandling_deadline",
    "extension_limit",
)
RULE_KEYS = ("bureau_name", *PERIOD_KEYS, "due_soon_working_days")
BUREAU_NAME_MAX = 100
DUE_SOON_RANGE = (1, 60)
CALENDAR_YEARS = (2000, 2100)
NOTE_MAX = 200
CALENDAR_FIELDS = ("is_working", "note")


def _clean_rule(key: str, value: Any) -> Any:
    if key in PERIOD_KEYS:
        try:
            return validate_period(value if isinstance(value, dict) else {})
        except DomainError as exc:
            raise DomainError(exc.message, field=key) from None
    if key == "bureau_name":
        name = " ".join(str(value or "").split())
        if not name:
            raise DomainError(_l("Enter the bureau's name."), field=key)
        if len(name) > BUREAU_NAME_MAX:
            raise DomainError(
                _l("The name can have at most %(n)d characters.", n=BUREAU_NAME_MAX), field=key
            )
        return name
    if key == "due_soon_working_days":
        low, high = DUE_SOON_RANGE
        try:
            days = int(value)
        except (TypeError, ValueError):
            raise DomainError(_l("Enter a whole number of working days."), field=key) from None
        if not low <= days <= high:
            raise DomainError(
                _l("Enter a number from %(low)d to %(high)d.", low=low, high=high), field=key
            )
        return days
    raise KeyError(key)


def save_rules(actor: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Store the changed deadline settings; return {key: [old, new]} (empty if none changed)."""
    clean = {key: _clean_rule(key, value) for key, value in values.items()}
    changes: dict[str, list[Any]] = {}
    for key in RULE_KEYS:
        if key not in clean:
            continue
        old = get_setting(key)
        if old != clean[key]:
            set_setting(key, clean[key])
            changes[key] = [old, clean[key]]
    if changes:
        db.session.flush()
        first = db.session.get(Setting, next(iter(changes)))
        record(actor, "settings.updated", first, summary=", ".join(changes), changes=changes)
    return changes


def _forget_calendar() -> None:
    """Drop the per-request calendar so the next calendar() call sees the corrections."""
    if has_app_context():
        g.pop("tracker_calendar", None)


def save_calendar_day(actor: Any, day: date, is_working: bool, note: str = "") -> CalendarDay:
    """Declare `day` a working day or a day off, adding or replacing the correction."""
    if not isinstance(day, date):
        raise DomainError(_l("Enter a date."), field="day")
    low, high = CALENDAR_YEARS
    if not low <= day.year <= high:
        raise DomainError(
            _l("Enter a date between %(low)d and %(high)d.", low=low, high=high), field="day"
        )
    note = " ".join((note or "").split())
    if len(note) > NOTE_MAX:
        raise DomainError(
            _l("The note can have at most %(n)d characters.", n=NOTE_MAX), field="note"
        )
    row = db.session.get(CalendarDay, day)
    created = row is None
    before = {} if created else snapshot(row, CALENDAR_FIELDS)
    if created:
        row = CalendarDay(day=day)
        db.session.add(row)
    row.is_working, row.note = bool(is_working), note
    db.session.flush()
    changes = diff(before, snapshot(row, CALENDAR_FIELDS))
    if not changes:
        return row
    if created:
        changes["day"] = [None, day.isoformat()]
    record(
        actor,
        "calendar_day.created" if created else "calendar_day.updated",
        row,
        summary=day.isoformat(),
        changes=changes,
    )
    _forget_calendar()
    return row


def delete_calendar_day(actor: Any, day: date) -> None:
    """Remove the correction for `day`: the official calendar applies again."""
    row = db.session.get(CalendarDay, day)
    if row is None:
        raise DomainError(_l("There is no correction for this day."))
    changes = {"day": [day.isoformat(), None]}
    changes.update({k: [v, None] for k, v in snapshot(row, CALENDAR_FIELDS).items()})
    record(actor, "calendar_day.deleted", row, summary=day.isoformat(), changes=changes)
    db.session.delete(row)
    db.session.flush()
    _forget_calendar()
