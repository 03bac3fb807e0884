"""Proposal pages: list, register, edit, the case page, assignment and workflow actions."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker.core import permissions
from tracker.core.errors import DomainError
from tracker.deadlines.services import DueState, due_soon_limit, due_state
from tracker.directory.models import CouncilSession, Unit
from tracker.extensions import db
from tracker.proposals import queries, services
from tracker.proposals.forms import (
    EXTRA_SUGGESTION_ROWS,
    ActionForm,
    AssignForm,
    ExtensionDecisionForm,
    ExtensionRequestForm,
    FilterForm,
    ProposalForm,
)
from tracker.proposals.models import (
    Assignment,
    AssignmentRole,
    CaseType,
    Extension,
    Proposal,
    ProposalKind,
)
from tracker.proposals.workflow import TRANSITIONS, Action, AssignmentStatus
from tracker.replies.queries import letters_by_assignment
from tracker.search.queries import snippets

bp = Blueprint("proposals", __name__)


# ---------- helpers ----------


def _sessions() -> list[CouncilSession]:
    return list(db.session.scalars(sa.select(CouncilSession).order_by(CouncilSession.year.desc())))


def _units(active_only: bool = True) -> list[Unit]:
    stmt = sa.select(Unit).order_by(Unit.name)
    if active_only:
        stmt = stmt.where(Unit.is_active)
    return list(db.session.scalars(stmt))


def _load_proposal(proposal_id: int) -> Proposal:
    proposal = queries.proposal_for_page(proposal_id)
    # Not found and not visible look the same: nothing leaks about other units' cases.
    if proposal is None or not permissions.can_view_proposal(current_user, proposal):
        abort(404)
    return proposal


def _load_assignment(assignment_id: int) -> Assignment:
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or not permissions.can_view_proposal(current_user, assignment.proposal):
        abort(404)
    return assignment


def _form_error(form, exc: DomainError) -> None:
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None:
        target.errors = list(target.errors) + [str(exc)]
    else:
        flash(str(exc), "error")


def _parse_filters(form: FilterForm) -> queries.ProposalFilters:
    args = request.args

    def as_int(name: str) -> int | None:
        value = args.get(name, "")
        return int(value) if value.isdigit() else None

    def as_enum(enum_cls, name):
        try:
            return enum_cls(args.get(name)) if args.get(name) else None
        except ValueError:
            return None

    sort = args.get("sort", "due")
    return queries.ProposalFilters(
        session_id=as_int("session"),
        unit_id=as_int("unit") if current_user.sees_all_units else None,
        status=as_enum(AssignmentStatus, "status"),
        case_type=as_enum(CaseType, "type"),
        is_key={"1": True, "0": False}.get(args.get("key", "")),
        due=as_enum(DueState, "due"),
        q=(args.get("q") or "").strip()[:100],
        sort=sort if sort in queries.SORTS else "due",
    )


# ---------- list ----------


@bp.get("/proposals")
@login_required
def index():
    # The list remembers its filters for the session: coming back to /proposals shows the
    # same cases; "Clear" (?clear=1) forgets them.
    if request.args.get("clear"):
        session.pop("case_filters", None)
        return redirect(url_for("proposals.index"))
    remembered = session.get("case_filters")
    if not request.args and remembered:
        return redirect(url_for("proposals.index", **remembered))
    form = FilterForm(request.args)
    any_ = [("", _("All"))]
    form.session.choices = any_ + [(str(s.id), s.full_name) for s in _sessions()]
    form.unit.choices = any_ + [(str(u.id), u.name) for u in _units(active_only=False)]
    form.status.choices = any_ + AssignmentStatus.choices()
    form.type.choices = any_ + CaseType.choices()
    form.key.choices = any_ + [("1", _("Key proposals")), ("0", _("Not key"))]
    form.due.choices = any_ + [
        (DueState.OVERDUE.value, DueState.OVERDUE.label),
        (DueState.DUE_SOON.value, DueState.DUE_SOON.label),
    ]
    form.sort.choices = [
        ("due", _("Earliest deadline")),
        ("number", _("Number")),
        ("-number", _("Number, descending")),
        ("updated", _("Recently changed")),
    ]
    filters = _parse_filters(form)
    session["case_filters"] = filters.as_args()
    today = date.today()
    page = db.paginate(
        queries.filtered_proposals(current_user, filters, today),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    soon = due_soon_limit(today)
    return render_template(
        "proposals/index.html",
        form=form,
        page=page,
        args=filters.as_args(),
        due_of=lambda a: due_state(a.due_on, a.status.awaits_reply, today, soon),
        own_unit_id=None if current_user.sees_all_units else current_user.unit_id,
        matches=snippets(filters.q, [p.id for p in page.items]),
    )


# ---------- create / edit ----------


def _proposal_form_choices(form: ProposalForm) -> None:
    form.session_id.choices = [(s.id, s.full_name) for s in _sessions()]


def _data_from_form(form: ProposalForm) -> services.ProposalData:
    return services.ProposalData(
        session_id=form.session_id.data,
        number=form.number.data or "",
        title=form.title.data or "",
        case_type=CaseType(form.case_type.data),
        kind=ProposalKind(form.kind.data),
        is_key=form.is_key.data,
        full_text=form.full_text.data or "",
        submitted_on=form.submitted_on.data,
        proposers=(form.proposers.data or "").splitlines(),
        collective=form.collective.data,
        suggestions=[entry.data or "" for entry in form.suggestions.entries],
    )


def _pad_suggestions(form: ProposalForm) -> None:
    filled = [e.data for e in form.suggestions.entries if (e.data or "").strip()]
    while len(form.suggestions.entries) < len(filled) + EXTRA_SUGGESTION_ROWS:
        form.suggestions.append_entry()


@bp.route("/proposals/new", methods=["GET", "POST"])
@login_required
def create():
    if not permissions.can_create_proposal(current_user):
        abort(403)
    form = ProposalForm()
    _proposal_form_choices(form)
    if not form.session_id.choices:
        flash(_("Create a session first."), "error")
        return redirect(url_for("proposals.index"))
    if request.method == "GET":
        current = next((s for s in _sessions() if s.is_current), None)
        if current:
            form.session_id.data = current.id
    scoped = not current_user.sees_all_units
    if form.validate_on_submit() and "more_rows" not in request.form:
        try:
            proposal = services.save_proposal(current_user, None, _data_from_form(form))
            if scoped:
                services.assign_unit(
                    current_user,
                    proposal,
                    current_user.unit,
                    AssignmentRole(form.own_role.data or AssignmentRole.LEAD.value),
                    date.today(),
                )
        except DomainError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Proposal %(number)s registered.", number=proposal.number), "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
    _pad_suggestions(form)
    return render_template("proposals/edit.html", form=form, proposal=None, own_role=scoped)


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
def edit(proposal_id: int):
    proposal = _load_proposal(proposal_id)
    if not permissions.can_edit_proposal(current_user, proposal):
        abort(403)
    if request.method == "GET":
        form = ProposalForm(
            data={
                "version": proposal.version_id,
                "session_id": proposal.session_id,
                "case_type": proposal.case_type.value,
                "number": proposal.number,
                "title": proposal.title,
                "kind": proposal.kind.value,
                "is_key": proposal.is_key,
                "submitted_on": proposal.submitted_on,
                "full_text": proposal.full_text,
                "proposers": "\n".join(p.name for p in proposal.proposers),
                "collective": proposal.is_collective,
                "suggestions": [s.text for s in proposal.suggestions],
            }
        )
    else:
        form = ProposalForm()
    _proposal_form_choices(form)
    if form.validate_on_submit() and "more_rows" not in request.form:
        version = int(form.version.data) if (form.version.data or "").isdigit() else None
        try:
            services.save_proposal(current_user, proposal, _data_from_form(form), version=version)
        except DomainError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Changes saved."), "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
    _pad_suggestions(form)
    return render_template("proposals/edit.html", form=form, proposal=proposal, own_role=False)


# ---------- the case page ----------


def _render_show(proposal: Proposal, assign_form: AssignForm | None = None, status: int = 200):
    from tracker.contacts.queries import contacts_by_assignment, feedback_by_assignment
    from tracker.supervision.queries import reminders_by_assignment

    ids = [a.id for a in proposal.assignments]
    today = date.today()
    soon = due_soon_limit(today)
    if assign_form is None and permissions.can_assign(current_user, proposal):
        assign_form = AssignForm(assigned_on=today, formdata=None)
    if assign_form is not None:
        assigned = {a.unit_id for a in proposal.assignments}
        assign_form.unit_id.choices = [(u.id, u.name) for u in _units() if u.id not in assigned]
    return (
        render_template(
            "proposals/show.html",
            proposal=proposal,
            assign_form=assign_form,
            action_form=ActionForm(formdata=None),
            extension_form=ExtensionRequestForm(formdata=None),
            decision_form=ExtensionDecisionForm(formdata=None),
            due_of=lambda a: due_state(a.due_on, a.status.awaits_reply, today, soon),
            history=queries.history(proposal.id),
            letters=letters_by_assignment(proposal),
            contacts=contacts_by_assignment(ids),
            feedback=feedback_by_assignment(ids),
            reminders=reminders_by_assignment(ids),
            Action=Action,
        ),
        status,
    )


@bp.get("/proposals/<int:proposal_id>")
@login_required
def show(proposal_id: int):
    return _render_show(_load_proposal(proposal_id))


@bp.post("/proposals/<int:proposal_id>/assign")
@login_required
def assign(proposal_id: int):
    proposal = _load_proposal(proposal_id)
    if not permissions.can_assign(current_user, proposal):
        abort(403)
    form = AssignForm()
    form.unit_id.choices = [(u.id, u.name) for u in _units()]
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit_id.data)
        try:
            if unit is None:
                raise DomainError(_("Choose a unit."), field="unit_id")
            services.assign_unit(
                current_user,
                proposal,
                unit,
                AssignmentRole(form.role.data),
                form.assigned_on.data,
                due_on=form.due_on.data,
            )
        except DomainError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("%(unit)s assigned.", unit=unit.name), "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
    proposal = _load_proposal(proposal_id)
    return _render_show(proposal, assign_form=form, status=422)


@bp.post("/assignments/<int:assignment_id>/action")
@login_required
def act(assignment_id: int):
    assignment = _load_assignment(assignment_id)
    form = ActionForm()
    target = url_for("proposals.show", proposal_id=assignment.proposal_id)
    if not (
        permissions.works_for(current_user, assignment.unit_id)
        or permissions.is_supervisor(current_user)
    ):
        abort(403)
    try:
        action = Action(form.action.data)
    except ValueError:
        abort(400)
    if not form.validate():
        flash(_("The request was incomplete; nothing changed."), "error")
        return redirect(target), 303
    if TRANSITIONS[action].via_letter:
        flash(_("This step is taken on the letter's page."), "error")
        return redirect(target), 303
    if not permissions.can_act(current_user, assignment, action):
        flash(
            _(
                "“%(action)s” is not possible for you now (the case is “%(status)s”); "
                "nothing changed.",
                action=action.label,
                status=assignment.status.label,
            ),
            "error",
        )
        return redirect(target), 303
    if form.version.data is not None and form.version.data != assignment.version_id:
        flash(
            _(
                "Someone else changed this case in the meantime; nothing changed. Please check and try again."
            ),
            "error",
        )
        return redirect(target), 303
    try:
        services.perform_action(current_user, assignment, action, comment=form.comment.data or "")
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(target), 303
    db.session.commit()
    flash(_("Done: %(action)s.", action=action.label), "success")
    return redirect(target), 303


@bp.post("/assignments/<int:assignment_id>/extension")
@login_required
def request_extension(assignment_id: int):
    assignment = _load_assignment(assignment_id)
    if not permissions.can_request_extension(current_user, assignment):
        abort(403)
    form = ExtensionRequestForm()
    target = url_for("proposals.show", proposal_id=assignment.proposal_id)
    if not form.validate():
        for errors in form.errors.values():
            for e in errors:
                flash(str(e), "error")
        return redirect(target), 303
    try:
        services.request_extension(
            current_user,
            assignment,
            reason=form.reason.data,
            requested_due_on=form.requested_due_on.data,
        )
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(target), 303
    db.session.commit()
    flash(_("Extension requested."), "success")
    return redirect(target), 303


@bp.post("/extensions/<int:extension_id>/decide")
@login_required
def decide_extension(extension_id: int):
    extension = db.session.get(Extension, extension_id)
    if extension is None or not permissions.can_view_proposal(
        current_user, extension.assignment.proposal
    ):
        abort(404)
    if not permissions.can_decide_request(current_user):
        abort(403)
    form = ExtensionDecisionForm()
    target = url_for("proposals.show", proposal_id=extension.assignment.proposal_id)
    if not form.validate():
        flash(_("The request was incomplete; nothing changed."), "error")
        return redirect(target), 303
    try:
        services.decide_extension(
            current_user,
            extension,
            approve=form.decision.data == "approve",
            granted_due_on=form.granted_due_on.data,
            approver=form.approver.data or "",
            note=form.note.data or "",
        )
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(target), 303
    db.session.commit()
    flash(_("Decision recorded."), "success")
    return redirect(target), 303
