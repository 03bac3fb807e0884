"""Archive bundles from the web: supervisors start a session's export as a background job."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker.core import permissions
from tracker.core.errors import DomainError
from tracker.directory.models import CouncilSession
from tracker.extensions import db
from tracker.proposals.models import Assignment, Proposal
from tracker.replies.models import Reply, ReplyStatus

bp = Blueprint("exchange", __name__)


def _require_supervisor() -> None:
    if not permissions.is_supervisor(current_user):
        abort(403)


@bp.get("/exchange/archives")
@login_required
def archives():
    """Every session with its number of cases and signed letters, and an export button."""
    _require_supervisor()
    cases = (
        sa.select(sa.func.count(Proposal.id))
        .where(Proposal.session_id == CouncilSession.id)
        .scalar_subquery()
    )
    letters = (
        sa.select(sa.func.count(Reply.id))
        .join(Assignment, Reply.assignment_id == Assignment.id)
        .join(Proposal, Assignment.proposal_id == Proposal.id)
        .where(Proposal.session_id == CouncilSession.id, Reply.status == ReplyStatus.SIGNED)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(CouncilSession, cases, letters).order_by(
            CouncilSession.year.desc(), CouncilSession.id.desc()
        )
    ).all()
    return render_template("exchange/archives.html", rows=rows)


@bp.post("/exchange/sessions/<int:session_id>/archive")
@login_required
def archive_session(session_id: int):
    """Start building the session's archive bundle; follow it on the job's page."""
    _require_supervisor()
    session = db.session.get(CouncilSession, session_id)
    if session is None:
        abort(404)
    try:
        from tracker.jobs.services import submit
    except ImportError:  # the job runner is not installed in this build
        abort(503)
    try:
        job = submit("archive_export", {"session_id": session.id}, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("exchange.archives")), 303
    flash(_("Building the archive bundle of %(name)s.", name=session.full_name), "info")
    return redirect(url_for("jobs.show", job_id=job.id)), 303
