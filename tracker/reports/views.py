"""Downloads (the case list, the dashboard's tables) and the session summary page."""

from __future__ import annotations

import io
import re
from datetime import date

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from tracker.core import permissions
from tracker.core.errors import DomainError
from tracker.deadlines.services import DueState
from tracker.directory.models import CouncilSession
from tracker.extensions import db
from tracker.proposals.models import CaseType
from tracker.proposals.queries import SORTS, ProposalFilters, filtered_proposals
from tracker.proposals.workflow import AssignmentStatus
from tracker.reports.exports import (
    CASE_HEADERS,
    Sheet,
    assignment_filter,
    case_list_rows,
    to_csv,
    to_xlsx,
)
from tracker.reports.forms import SummaryForm
from tracker.reports.summary import generate_summary, save_summary, saved_summary
from tracker.reports.tables import TABLES, dashboard_sheets

bp = Blueprint("reports", __name__)

MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def case_filters(args: MultiDict, user) -> ProposalFilters:
    """The case list's filters from its query-string arguments (the list page's names)."""

    def as_int(name: str) -> int | None:
        value = args.get(name, "")
        return int(value) if value.isdigit() else None

    def as_enum(enum_cls, name: str):
        try:
            return enum_cls(args.get(name)) if args.get(name) else None
        except ValueError:
            return None

    sort = args.get("sort", "due")
    return ProposalFilters(
        session_id=as_int("session"),
        unit_id=as_int("unit") if user.sees_all_units else None,
        status=as_enum(AssignmentStatus, "status"),
        case_type=as_enum(CaseType, "type"),
        is_key={"1": True, "0": False}.get(args.get("key", "")),
        due=as_enum(DueState, "due"),
        q=(args.get("q") or "").strip()[:100],
        sort=sort if sort in SORTS else "due",
    )


def _filename(text: str) -> str:
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "", text).strip() or "export"


def _download(data: bytes, fmt: str, name: str):
    response = send_file(
        io.BytesIO(data),
        mimetype=MIMETYPES[fmt],
        as_attachment=True,
        download_name=f"{_filename(name)}.{fmt}",
    )
    response.headers["Cache-Control"] = "private, no-store"  # proposers' names and more
    return response


def _session_for_reports(session_id: int) -> CouncilSession:
    session = db.session.get(CouncilSession, session_id)
    if session is None:
        abort(404)
    if not permissions.is_supervisor(current_user):
        abort(403)
    return session


@bp.get("/reports/cases.<any(xlsx, csv):fmt>")
@login_required
def cases(fmt: str):
    today = date.today()
    filters = case_filters(request.args, current_user)
    rows = case_list_rows(
        filtered_proposals(current_user, filters, today),
        keep=assignment_filter(current_user, filters, today),
        today=today,
    )
    session = db.session.get(CouncilSession, filters.session_id) if filters.session_id else None
    title = f"{session.name}案件清单" if session else "案件清单"
    name = f"{title}-{today.isoformat()}"
    if fmt == "xlsx":
        return _download(to_xlsx([Sheet(title, CASE_HEADERS, rows)]), fmt, name)
    return _download(to_csv(CASE_HEADERS, rows), fmt, name)


@bp.get("/reports/sessions/<int:session_id>/dashboard.<any(xlsx, csv):fmt>")
@login_required
def dashboard(session_id: int, fmt: str):
    session = _session_for_reports(session_id)
    today = date.today()
    if fmt == "xlsx":
        data = to_xlsx(dashboard_sheets(session.id, today))
        return _download(data, fmt, f"{session.name}提案办理情况统计-{today.isoformat()}")
    build = TABLES.get(request.args.get("table", "overview"))
    if build is None:
        abort(404)
    sheet = build(session.id, today)
    data = to_csv(sheet.headers, sheet.rows)
    return _download(data, fmt, f"{session.name}{sheet.title}-{today.isoformat()}")


@bp.route("/reports/sessions/<int:session_id>/summary", methods=["GET", "POST"])
@login_required
def summary(session_id: int):
    session = _session_for_reports(session_id)
    saved = saved_summary(session.id)
    regenerated = request.method == "GET" and request.args.get("regenerate") == "1"
    form = SummaryForm()
    status = 200
    if form.validate_on_submit():
        try:
            save_summary(current_user, session, form.text.data)
        except DomainError as exc:
            db.session.rollback()
            form.text.errors = list(form.text.errors) + [str(exc)]
        else:
            db.session.commit()
            flash(_("Summary saved."), "success")
            return redirect(url_for("reports.summary", session_id=session.id)), 303
    if request.method == "POST":
        status = 422
    elif regenerated or saved is None:
        form.text.data = generate_summary(session.id, date.today())
    else:
        form.text.data = saved.text
    return (
        render_template(
            "reports/summary.html",
            session=session,
            form=form,
            saved=saved,
            regenerated=regenerated,
        ),
        status,
    )
