"""The JSON API (read-only): proposals, assignments, letters and their PDFs, for bearer tokens.

Every request needs `Authorization: Bearer <token>`; what a token's user may see is exactly
what the web shows them (the same queries and `can_*` checks), and an object they may not
see answers 404 like one that does not exist.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    make_response,
    request,
    url_for,
)
from flask_babel import gettext as _

from tracker.api import queries as api_queries
from tracker.api import serializers as out
from tracker.api import services
from tracker.api.openapi import MAX_PAGE, MAX_PER_PAGE, spec
from tracker.core import permissions
from tracker.deadlines.services import DueState, due_soon_limit, due_state
from tracker.documents.storage import ArchiveError
from tracker.extensions import csrf, db
from tracker.proposals import queries
from tracker.proposals.models import CaseType
from tracker.proposals.workflow import AssignmentStatus
from tracker.replies import services as reply_services
from tracker.replies.queries import letters_by_assignment

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Bearer tokens are not sent by browsers on their own, so they need no CSRF token.
csrf.exempt(bp)

Q_LIMIT = 100
KEY_VALUES = {"1": True, "true": True, "0": False, "false": False}


def _error(status: int, title: str, message: str, **headers: str) -> Response:
    response = make_response(jsonify(error=title, message=message), status)
    response.headers.update(headers)
    return response


@bp.before_request
def _authenticate():
    header = request.headers.get("Authorization")
    try:
        user = services.authenticate(header)
        if services.pop_touched():
            db.session.commit()  # the throttled last_used_at
    except sa.exc.OperationalError:
        # SQLite refuses to turn a read into a write while another writer commits; the
        # last-used hint can wait for the next request.
        db.session.rollback()
        services.pop_touched()
        user = services.authenticate(header, touch=False)
    if user is None:
        challenge = 'Bearer realm="tracker"'
        if header:
            challenge += ', error="invalid_token"'
        return _error(
            401,
            _("Not signed in"),
            _("Send a valid API token as 'Authorization: Bearer <token>'."),
            **{"WWW-Authenticate": challenge},
        )
    g.api_user = user
    return None


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Authorization")
    return response


def _due_of():
    today = date.today()
    soon = due_soon_limit(today)
    return lambda a: due_state(a.due_on, a.status.awaits_reply, today, soon)


def _bad(message: str):
    abort(_error(400, _("Bad request"), message))


def _int_arg(name: str, *, default: int | None = None, maximum: int) -> int | None:
    value = request.args.get(name)
    if value is None or value == "":
        return default
    # ASCII digits only ("²" is a digit to str.isdigit), and short enough for int().
    if not (value.isascii() and value.isdigit() and len(value) <= 12) or not (
        0 < int(value) <= maximum
    ):
        _bad(_("'%(name)s' must be a whole number from 1 to %(max)d.", name=name, max=maximum))
    return int(value)


def _enum_arg(name: str, enum_cls) -> Any:
    value = request.args.get(name)
    if not value:
        return None
    try:
        return enum_cls(value)
    except ValueError:
        _bad(_("'%(name)s' has an unknown value.", name=name))


def _filters(user) -> queries.ProposalFilters:
    """The list's query string read strictly: a value the web would ignore is a 400 here."""
    args = request.args
    key = args.get("key", "")
    if key and key not in KEY_VALUES:
        _bad(_("'%(name)s' has an unknown value.", name="key"))
    q = (args.get("q") or "").replace("\x00", "").strip()
    if len(q) > Q_LIMIT:
        _bad(_("The search text is too long."))
    sort = args.get("sort") or "due"
    if sort not in queries.SORTS:
        _bad(_("'%(name)s' has an unknown value.", name="sort"))
    unit_id = _int_arg("unit", maximum=api_queries.MAX_ID)
    return queries.ProposalFilters(
        session_id=_int_arg("session", maximum=api_queries.MAX_ID),
        # Like the web: a unit's own staff see their unit's cases, whatever they ask for.
        unit_id=unit_id if user.sees_all_units else None,
        status=_enum_arg("status", AssignmentStatus),
        case_type=_enum_arg("type", CaseType),
        is_key=KEY_VALUES.get(key),
        due=_enum_arg("due", DueState),
        q=q,
        sort=sort,
    )


def _page_link(filters: queries.ProposalFilters, page: int | None, per_page: int) -> str | None:
    if page is None:
        return None
    return url_for("api.proposals", **filters.as_args(), page=page, per_page=per_page)


@bp.get("/proposals")
def proposals():
    user = g.api_user
    filters = _filters(user)
    page_number = _int_arg("page", default=1, maximum=MAX_PAGE)
    per_page = _int_arg("per_page", default=current_app.config["PAGE_SIZE"], maximum=MAX_PER_PAGE)
    page = db.paginate(
        queries.filtered_proposals(user, filters, date.today()),
        page=page_number,
        per_page=per_page,
        error_out=False,
        count=True,
    )
    due_of = _due_of()
    return jsonify(
        items=[out.proposal_summary(p, due_of) for p in page.items],
        paging={
            "page": page.page,
            "per_page": per_page,
            "total": page.total,
            "pages": page.pages,
            "next": _page_link(filters, page.next_num, per_page),
            "prev": _page_link(filters, page.prev_num, per_page),
        },
    )


@bp.get("/proposals/<int:proposal_id>")
def proposal(proposal_id: int):
    found = queries.proposal_for_page(proposal_id) if proposal_id <= api_queries.MAX_ID else None
    if found is None or not permissions.can_view_proposal(g.api_user, found):
        abort(404)
    return jsonify(out.proposal_detail(found, _due_of(), letters_by_assignment(found)))


@bp.get("/assignments/<int:assignment_id>")
def assignment(assignment_id: int):
    found = api_queries.assignment_for_api(assignment_id)
    if found is None or not permissions.can_view_proposal(g.api_user, found.proposal):
        abort(404)
    data = out.assignment_full(found, _due_of(), api_queries.letters_of(found.id))
    data["proposal"] = out.proposal_brief(found.proposal)
    return jsonify(data)


def _load_reply(reply_id: int):
    reply = api_queries.reply_for_api(reply_id)
    if reply is None or not permissions.can_view_proposal(g.api_user, reply.assignment.proposal):
        abort(404)
    return reply


@bp.get("/replies/<int:reply_id>")
def reply(reply_id: int):
    return jsonify(out.reply_detail(_load_reply(reply_id)))


@bp.get("/replies/<int:reply_id>/pdf")
def reply_pdf(reply_id: int):
    """The signed letter's archival copy (checked against its SHA-256), else a fresh render."""
    found = _load_reply(reply_id)
    try:
        data, name = reply_services.letter_pdf(found)
    except ArchiveError:
        # Never hand out a file that is not what was signed; the log says which.
        current_app.logger.error("archived PDF of letter %s failed its check", found.id)
        abort(500)
    return Response(
        data,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"letter.pdf\"; filename*=UTF-8''{quote(name)}"
            )
        },
    )


@bp.get("/openapi.json")
def openapi():
    return jsonify(spec())
