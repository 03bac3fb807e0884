"""Administration of sessions (届次) and handling units (承办单位)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker.core import permissions
from tracker.core.errors import DomainError
from tracker.directory import services
from tracker.directory.forms import SessionForm, UnitForm
from tracker.directory.models import CouncilSession, Unit
from tracker.extensions import db

bp = Blueprint("directory", __name__)


def _require_admin() -> None:
    if not permissions.can_administer(current_user):
        abort(403)


def _form_error(form, exc: DomainError) -> None:
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None:
        target.errors = list(target.errors) + [str(exc)]
    else:
        flash(str(exc), "error")


# ---------- sessions ----------


@bp.get("/admin/sessions")
@login_required
def sessions():
    _require_admin()
    rows = db.session.scalars(
        sa.select(CouncilSession).order_by(
            CouncilSession.year.desc(),
            CouncilSession.council,
            CouncilSession.term.desc(),
            CouncilSession.meeting.desc(),
        )
    ).all()
    return render_template("directory/sessions.html", sessions=rows)


def _save_session(form: SessionForm, session: CouncilSession | None):
    if form.validate_on_submit():
        try:
            saved = services.save_session(
                current_user,
                session,
                council=form.council.data or "",
                term=form.term.data,
                meeting=form.meeting.data,
                year=form.year.data,
                name=form.name.data or None,
                key_due_on=form.key_due_on.data,
                is_current=form.is_current.data,
            )
        except DomainError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Session %(name)s saved.", name=saved.full_name), "success")
            return redirect(url_for("directory.sessions"))
    return render_template("directory/session_edit.html", form=form, council_session=session)


@bp.route("/admin/sessions/new", methods=["GET", "POST"])
@login_required
def create_session():
    _require_admin()
    form = SessionForm()
    if request.method == "GET":
        latest = db.session.scalar(
            sa.select(CouncilSession).order_by(CouncilSession.year.desc()).limit(1)
        )
        if latest is not None:
            # The usual next session: same council and term, the following meeting and year.
            form.council.data = latest.council
            form.term.data = latest.term
            form.meeting.data = latest.meeting + 1
            form.year.data = latest.year + 1
    return _save_session(form, None)


@bp.route("/admin/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@login_required
def edit_session(session_id: int):
    _require_admin()
    session = db.session.get(CouncilSession, session_id)
    if session is None:
        abort(404)
    form = SessionForm(obj=session) if request.method == "GET" else SessionForm()
    return _save_session(form, session)


# ---------- units ----------


@bp.get("/admin/units")
@login_required
def units():
    _require_admin()
    rows = db.session.scalars(sa.select(Unit).order_by(Unit.is_active.desc(), Unit.name)).all()
    return render_template("directory/units.html", units=rows)


def _save_unit(form: UnitForm, unit: Unit | None):
    if form.validate_on_submit():
        try:
            saved = services.save_unit(
                current_user,
                unit,
                name=form.name.data or "",
                short_name=form.short_name.data,
                is_active=form.is_active.data,
            )
        except DomainError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("Unit %(name)s saved.", name=saved.name), "success")
            return redirect(url_for("directory.units"))
    return render_template("directory/unit_edit.html", form=form, unit=unit)


@bp.route("/admin/units/new", methods=["GET", "POST"])
@login_required
def create_unit():
    _require_admin()
    return _save_unit(UnitForm(), None)


@bp.route("/admin/units/<int:unit_id>/edit", methods=["GET", "POST"])
@login_required
def edit_unit(unit_id: int):
    _require_admin()
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        abort(404)
    form = UnitForm(obj=unit) if request.method == "GET" else UnitForm()
    return _save_unit(form, unit)
