"""Sign in and out; user administration."""

from __future__ import annotations

import time

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from tracker.auth import services
from tracker.auth.forms import LoginForm, UserForm
from tracker.auth.models import Role, User
from tracker.auth.services import authenticate
from tracker.core import permissions
from tracker.core.errors import DomainError
from tracker.core.views import safe_next
from tracker.directory.models import Unit
from tracker.extensions import db

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user, why = authenticate(form.username.data, form.password.data)
        if user is None:
            db.session.commit()  # keep the failure count
            if why == "locked":
                flash(
                    _(
                        "Too many wrong passwords: this account is locked for a while. Try again later."
                    ),
                    "error",
                )
            else:
                flash(_("Wrong username or password."), "error")
            return render_template("auth/login.html", form=form), 200
        lang = session.get("lang")
        session.clear()  # a fresh session on sign-in: no fixation
        if lang:
            session["lang"] = lang
        login_user(user)
        session["seen_at"] = int(time.time())
        db.session.commit()
        return redirect(safe_next(request.args.get("next"), url_for("core.index")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


# ---------- user administration ----------


def _require_admin() -> None:
    if not permissions.can_administer(current_user):
        abort(403)


def _form_error(form, exc: DomainError) -> None:
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None:
        target.errors = list(target.errors) + [str(exc)]
    else:
        flash(str(exc), "error")


def _unit_choices(form: UserForm, user: User | None) -> None:
    """Active units, plus the user's present unit should it have been deactivated."""
    units = db.session.scalars(
        sa.select(Unit)
        .where(sa.or_(Unit.is_active, Unit.id == (user.unit_id if user else None)))
        .order_by(Unit.name)
    )
    form.unit.choices = [("", "—")] + [(str(u.id), u.name) for u in units]


def _refuse_self_lockout(form: UserForm, user: User | None) -> bool:
    """An administrator may not take away their own administration rights."""
    if user is None or user.id != current_user.id:
        return False
    refused = False
    if form.role.data != Role.ADMIN.value:
        form.role.errors = list(form.role.errors) + [
            _("You cannot remove your own administrator role; ask another administrator to do it.")
        ]
        refused = True
    if not form.is_active.data:
        form.is_active.errors = list(form.is_active.errors) + [
            _("You cannot deactivate your own account; ask another administrator to do it.")
        ]
        refused = True
    return refused


def _save_user(form: UserForm, user: User | None):
    _unit_choices(form, user)
    if form.validate_on_submit() and not _refuse_self_lockout(form, user):
        unit = db.session.get(Unit, int(form.unit.data)) if form.unit.data else None
        try:
            saved = services.save_user(
                current_user,
                user,
                username=form.username.data or "",
                display_name=form.display_name.data or "",
                role=Role(form.role.data),
                unit=unit,
                password=form.password.data or None,
                is_active=form.is_active.data,
                email=form.email.data,
                phone=form.phone.data,
            )
        except DomainError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("User %(name)s saved.", name=saved.username), "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_edit.html", form=form, user=user)


@bp.get("/admin/users")
@login_required
def users():
    _require_admin()
    rows = db.session.scalars(
        sa.select(User).order_by(User.is_active_flag.desc(), User.username)
    ).all()
    return render_template("auth/users.html", users=rows)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@login_required
def create_user():
    _require_admin()
    form = UserForm()
    form.password.flags.required = True
    return _save_user(form, None)


@bp.route("/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
@login_required
def edit_user(user_id: int):
    _require_admin()
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if request.method == "GET":
        form = UserForm(
            data={
                "username": user.username,
                "display_name": user.display_name,
                "role": user.role.value,
                "unit": str(user.unit_id) if user.unit_id else "",
                "email": user.email,
                "phone": user.phone,
                "is_active": user.is_active_flag,
            }
        )
    else:
        form = UserForm()
    form.password.description = _("Leave empty to keep the current password.")
    return _save_user(form, user)
