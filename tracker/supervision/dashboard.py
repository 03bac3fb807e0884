"""The dashboard: where every session stands, per unit, in figures and charts."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker.contacts.models import Rating
from tracker.directory.models import CouncilSession
from tracker.extensions import db
from tracker.reports import stats
from tracker.supervision import charts
from tracker.supervision.queries import todo

bp = Blueprint("dashboard", __name__)

UNIT_SORTS = {
    "unit": lambda r: r.unit_name,
    "assignments": lambda r: r.assignments,
    "replied": lambda r: r.replied,
    "on_time": lambda r: r.on_time,
    "overdue": lambda r: r.overdue,
    "due_soon": lambda r: r.due_soon,
    "rate": lambda r: r.on_time_rate if r.on_time_rate is not None else -1,
}


def _session(session_id: int | None) -> CouncilSession | None:
    if session_id:
        found = db.session.get(CouncilSession, session_id)
        if found is not None:
            return found
    return db.session.scalar(
        sa.select(CouncilSession).order_by(
            CouncilSession.is_current.desc(), CouncilSession.year.desc()
        )
    )


@bp.get("/dashboard")
@login_required
def index():
    today = date.today()
    session = _session(request.args.get("session", type=int))
    sessions = db.session.scalars(
        sa.select(CouncilSession).order_by(CouncilSession.year.desc())
    ).all()
    if session is None:
        return render_template("supervision/dashboard.html", session=None, sessions=sessions)
    own_unit = None if current_user.sees_all_units else current_user.unit_id
    figures = stats.session_stats(session.id, today, unit_id=own_unit)
    units = stats.unit_stats(session.id, today)
    if own_unit is not None:
        units = [row for row in units if row.unit_id == own_unit]
    sort = request.args.get("sort", "overdue")
    descending = request.args.get("dir", "desc") != "asc"
    units.sort(key=UNIT_SORTS.get(sort, UNIT_SORTS["overdue"]), reverse=descending)
    rates = [r for r in stats.on_time_rate_per_unit(session.id) if r.replied]
    if own_unit is not None:
        rates = [r for r in rates if r.unit_id == own_unit]
    rates.sort(key=lambda r: (r.rate or 0, r.unit_name))
    months = stats.replies_per_month(session.id)
    chart_categories = charts.bar_chart(
        [(f"{code}类", n) for code, n in figures.categories.items()],
        title=_("Result categories"),
    )
    chart_feedback = charts.bar_chart(
        [(rating.label, figures.feedback.get(rating, 0)) for rating in Rating],
        title=_("Feedback"),
        colors=("#23723a", "#0b5cad", "#a4161a"),
    )
    chart_months = charts.month_chart(
        [(m.month, m.replied, m.due) for m in months],
        title=_("Replies per month against deadlines"),
        legend=(_("replied"), _("falling due")),
    )
    chart_rates = charts.bar_chart(
        [(r.unit_name, round((r.rate or 0) * 100, 1)) for r in rates[:25]],
        title=_("On-time rate per unit"),
        value_format="{:g}%",
        max_value=100,
    )
    return render_template(
        "supervision/dashboard.html",
        session=session,
        sessions=sessions,
        figures=figures,
        units=units,
        sort=sort,
        descending=descending,
        charts={
            "categories": chart_categories,
            "feedback": chart_feedback,
            "months": chart_months,
            "rates": chart_rates,
        },
        action_lists=todo(current_user, today),
        Rating=Rating,
        own_unit=own_unit,
    )
