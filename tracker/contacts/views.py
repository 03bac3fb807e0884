"""Contact log and feedback pages, and the printable feedback form."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker.contacts import services
from tracker.contacts.forms import ContactForm, FeedbackForm, WithdrawForm
from tracker.contacts.models import ContactLog
from tracker.core import permissions
from tracker.core.errors import DomainError
from tracker.extensions import db
from tracker.proposals.models import Assignment

bp = Blueprint("contacts", __name__)


def _assignment(assignment_id: int) -> Assignment:
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or not permissions.can_view_proposal(current_user, assignment.proposal):
        abort(404)
    return assignment


def _case_url(assignment: Assignment) -> str:
    return (
        url_for("proposals.show", proposal_id=assignment.proposal_id)
        + f"#assignment-{assignment.id}"
    )


def _field_error(form, exc: DomainError) -> None:
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None:
        target.errors = list(target.errors) + [str(exc)]
    else:
        flash(str(exc), "error")


@bp.route("/assignments/<int:assignment_id>/contacts/new", methods=["GET", "POST"])
@login_required
def create(assignment_id: int):
    assignment = _assignment(assignment_id)
    if not permissions.can_log_contact(current_user, assignment):
        abort(403)
    form = ContactForm()
    if request.method == "GET":
        form.occurred_at.data = datetime.now().replace(second=0, microsecond=0)
        form.our_people.data = current_user.display_name
        form.their_people.data = "、".join(p.salutation for p in assignment.proposal.proposers)
    return _save_or_show(
        form,
        assignment,
        None,
        lambda: services.record_contact(current_user, assignment, form.values()),
        _("Contact logged."),
    )


@bp.route("/contacts/<int:log_id>/edit", methods=["GET", "POST"])
@login_required
def edit(log_id: int):
    log = db.session.get(ContactLog, log_id)
    if log is None:
        abort(404)
    assignment = _assignment(log.assignment_id)
    if not permissions.can_log_contact(current_user, assignment):
        abort(403)
    form = ContactForm(obj=log if request.method == "GET" else None)
    if request.method == "GET":
        form.way.data, form.stage.data, form.attitude.data = (
            log.way.value,
            log.stage.value,
            log.attitude.value,
        )
        form.version.data = log.version_id
    raw_version = str(form.version.data or "")
    version = int(raw_version) if raw_version.isdigit() else None
    return _save_or_show(
        form,
        assignment,
        log,
        lambda: services.edit_contact(current_user, log, form.values(), version=version),
        _("Changes saved."),
    )


def _save_or_show(form: ContactForm, assignment: Assignment, log, save, done: str):
    """Validate, call the service, commit and go back to the case; else show the errors."""
    if form.validate_on_submit():
        try:
            save()
        except DomainError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(done, "success")
            return redirect(_case_url(assignment)), 303
    status = 422 if form.errors else 200
    return render_template("contacts/edit.html", form=form, assignment=assignment, log=log), status


@bp.post("/contacts/<int:log_id>/withdraw")
@login_required
def withdraw(log_id: int):
    log = db.session.get(ContactLog, log_id)
    if log is None:
        abort(404)
    assignment = _assignment(log.assignment_id)
    if not permissions.can_log_contact(current_user, assignment):
        abort(403)
    form = WithdrawForm()
    try:
        if not form.validate():
            raise DomainError(_("Please give a reason."))
        services.withdraw_contact(current_user, log, form.reason.data)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("The entry is withdrawn; it stays on record."), "success")
    return redirect(_case_url(assignment)), 303


@bp.route("/assignments/<int:assignment_id>/feedback/new", methods=["GET", "POST"])
@login_required
def feedback(assignment_id: int):
    assignment = _assignment(assignment_id)
    if not permissions.can_record_feedback(current_user, assignment):
        abort(403)
    form = FeedbackForm()
    form.proposer_id.choices = [(p.id, p.name) for p in assignment.proposal.proposers]
    if request.method == "GET":
        form.received_on.data = date.today()
    if form.validate_on_submit():
        try:
            services.record_feedback(
                current_user,
                assignment,
                proposer_id=form.proposer_id.data,
                rating=form.rating.data,
                received_on=form.received_on.data,
                channel=form.channel.data,
                comments=form.comments.data or "",
            )
        except DomainError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(_("Feedback recorded."), "success")
            return redirect(_case_url(assignment)), 303
    status = 422 if form.errors else 200
    return render_template("contacts/feedback.html", form=form, assignment=assignment), status


@bp.get("/assignments/<int:assignment_id>/feedback-form.pdf")
@login_required
def feedback_form(assignment_id: int):
    """The paper feedback form (征询意见表), one page for each proposer."""
    from tracker.documents.render import render_pdf

    assignment = _assignment(assignment_id)
    if not assignment.role.replies_to_proposer:
        abort(404)
    html = render_template(
        "letters/feedback_form.html", assignment=assignment, proposal=assignment.proposal
    )
    data = render_pdf(html, fonts_dir=Path(current_app.config["FONTS_DIR"]))
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": 'inline; filename="feedback-form.pdf"'},
    )
