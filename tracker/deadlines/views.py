"""Administration of the deadline rules and the working-day calendar."""

from __future__ import annotations

from datetime import date

import holidays
import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import FormField

from tracker.core import permissions
from tracker.core.errors import DomainError
from tracker.core.settings import DEFAULTS, get_setting
from tracker.deadlines import admin, services
from tracker.deadlines.calendar import WorkingCalendar, library_years
from tracker.deadlines.forms import CalendarDayForm, RulesForm, format_period
from tracker.deadlines.models import CalendarDay
from tracker.extensions import db

bp = Blueprint("deadlines", __name__)


def _require_admin() -> None:
    if not permissions.can_administer(current_user):
        abort(403)


def _form_error(form, exc: DomainError) -> None:
    target = getattr(form, exc.field, None) if exc.field else None
    if isinstance(target, FormField):
        target = target.form.amount  # a period: the amount carries the message
    if target is not None:
        target.errors = list(target.errors) + [str(exc)]
    else:
        flash(str(exc), "error")


def _rollback() -> None:
    db.session.rollback()
    g.pop("tracker_settings", None)  # the per-request caches may hold unsaved values
    g.pop("tracker_calendar", None)


# ---------- deadline rules ----------


@bp.route("/admin/deadlines", methods=["GET", "POST"])
@login_required
def rules():
    _require_admin()
    if request.method == "GET":
        form = RulesForm(data={key: get_setting(key) for key in admin.RULE_KEYS})
    else:
        form = RulesForm()
    if form.validate_on_submit():
        values = {key: form[key].data for key in admin.RULE_KEYS}
        try:
            changes = admin.save_rules(current_user, values)
        except DomainError as exc:
            _rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            if changes:
                flash(
                    _(
                        "Deadline rules saved. They apply to assignments made from now on; "
                        "due dates already set stay as they are."
                    ),
                    "success",
                )
            else:
                flash(_("Nothing was changed."), "info")
            return redirect(url_for("deadlines.rules"))
    return render_template(
        "deadlines/rules.html",
        form=form,
        defaults=DEFAULTS,
        period_keys=admin.PERIOD_KEYS,
        format_period=format_period,
    )


# ---------- calendar corrections ----------


def _holiday_names() -> holidays.HolidayBase:
    """The official holiday names in the interface language (the library's own names)."""
    language = "zh_CN" if get_locale().language == "zh" else "en_US"
    return holidays.China(language=language)


def _year_overview(cal: WorkingCalendar, rows: list[CalendarDay]) -> list[dict]:
    this_year = date.today().year
    known = library_years()
    return [
        {
            "year": year,
            "built_in": year in known,
            "known": cal.is_known_year(year),
            "corrections": sum(1 for r in rows if r.day.year == year),
        }
        for year in (this_year, this_year + 1)
    ]


@bp.route("/admin/calendar", methods=["GET", "POST"])
@login_required
def calendar_days():
    _require_admin()
    form = CalendarDayForm()
    if form.validate_on_submit():
        try:
            row = admin.save_calendar_day(
                current_user, form.day.data, form.is_working.data == "1", form.note.data or ""
            )
        except DomainError as exc:
            _rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            kind = _("a working day") if row.is_working else _("a day off")
            flash(
                _("%(day)s is now %(kind)s.", day=format_date(row.day, "long"), kind=kind),
                "success",
            )
            official = WorkingCalendar()  # the library alone, without corrections
            if official.is_working_day(row.day) == row.is_working:
                flash(
                    _("The official calendar already counts this day the same way."),
                    "info",
                )
            return redirect(url_for("deadlines.calendar_days"))
    rows = list(db.session.scalars(sa.select(CalendarDay).order_by(CalendarDay.day)))
    return render_template(
        "deadlines/calendar.html",
        form=form,
        rows=rows,
        official=WorkingCalendar(),
        holiday_names=_holiday_names(),
        years=_year_overview(services.calendar(), rows),
    )


@bp.post("/admin/calendar/<string:day>/delete")
@login_required
def delete_calendar_day(day: str):
    _require_admin()
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        abort(404)
    try:
        admin.delete_calendar_day(current_user, parsed)
    except DomainError as exc:
        _rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(
            _(
                "The correction for %(day)s was removed; the official calendar applies again.",
                day=format_date(parsed, "long"),
            ),
            "success",
        )
    return redirect(url_for("deadlines.calendar_days"))
