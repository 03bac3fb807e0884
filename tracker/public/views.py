"""Public portal pages: published replies by session, unit and category, each as page and PDF.

No sign-in and GET only. A reply that is not published answers exactly as one that does not
exist: the same query, the same 404 page.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, render_template, request

from tracker.core.settings import get_setting
from tracker.public import queries
from tracker.replies.letter import letter_context, template_for
from tracker.replies.models import Disclosure, Reply

bp = Blueprint("public", __name__, url_prefix="/public")

CACHE_CONTROL = "public, max-age=300"


@bp.after_request
def _cacheable(response: Response) -> Response:
    # Only successes: a letter published a minute from now must not stay a cached 404.
    if response.status_code == 200:
        response.headers["Cache-Control"] = CACHE_CONTROL
    return response


@bp.errorhandler(404)
def _not_found(_e):
    return render_template("public/not_found.html"), 404


def _categories() -> list[dict]:
    return get_setting("result_categories")


def _load(reply_id: int) -> Reply:
    reply = queries.published_reply(reply_id)
    if reply is None:
        abort(404)
    return reply


def _letter(reply: Reply) -> dict:
    return letter_context(queries.public_content(reply), signed=True)


@bp.get("/")
def index():
    return render_template(
        "public/index.html",
        sessions=queries.sessions_with_counts(),
        units=queries.units_with_counts(),
        categories=queries.categories_with_counts(_categories()),
    )


@bp.get("/replies")
def replies():
    categories = _categories()
    filters = queries.PublicFilters.from_args(request.args, [c["code"] for c in categories])
    page = queries.search_replies(filters, page=request.args.get("page", 1, type=int))
    return render_template(
        "public/replies.html",
        page=page,
        filters=filters,
        args=filters.as_args(),
        sessions=queries.sessions_with_counts(),
        units=queries.units_with_counts(),
        categories=queries.categories_with_counts(categories),
    )


@bp.get("/replies/<int:reply_id>")
def show(reply_id: int):
    reply = _load(reply_id)
    letter = _letter(reply)
    return render_template(
        "public/letter.html",
        letter_template=template_for(letter["shape"]),
        letter=letter,
        screen=True,
        reply_id=reply.id,
        facts=queries.letter_facts(reply),
        partial=reply.disclosure is Disclosure.PARTIAL,
    )


@bp.get("/replies/<int:reply_id>.pdf")
def pdf(reply_id: int):
    """The public variant printed on request (the archival copy carries the contact line)."""
    from tracker.documents.render import render_pdf

    reply = _load(reply_id)
    letter = _letter(reply)
    html = render_template(template_for(letter["shape"]), letter=letter, screen=False)
    data = render_pdf(html, fonts_dir=Path(current_app.config["FONTS_DIR"]))
    name = f"{reply.assignment.proposal.number}-{reply.signing_unit}-答复函.pdf"
    return Response(
        data,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="reply-{reply.id}.pdf"; '
            f"filename*=UTF-8''{quote(name)}"
        },
    )
