"""API token pages: a user's own tokens (create, revoke) and the administrators' list of all."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker.api import services
from tracker.api.forms import TokenForm
from tracker.api.models import ApiToken
from tracker.api.queries import MAX_ID
from tracker.core import permissions
from tracker.core.errors import DomainError
from tracker.extensions import db

tokens_bp = Blueprint("tokens", __name__)


def _own_tokens() -> list[ApiToken]:
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == current_user.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
        )
    )


def _render_own(form: TokenForm, status: int = 200, secret: str | None = None, new=None):
    response = current_app.make_response(
        (
            render_template(
                "api/tokens.html",
                form=form,
                tokens=_own_tokens(),
                secret=secret,
                new_token=new,
                on_day=date.today(),
            ),
            status,
        )
    )
    # The page may show a secret: never keep a copy in any cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@tokens_bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def index():
    form = TokenForm()
    if not form.validate_on_submit():
        return _render_own(form, 422 if form.errors else 200)
    try:
        token, secret = services.create_token(
            current_user, current_user, form.name.data or "", expires_on=form.expires_on.data
        )
    except DomainError as exc:
        db.session.rollback()
        target = getattr(form, exc.field, None) if exc.field else None
        if target is not None:
            target.errors = list(target.errors) + [str(exc)]
        else:
            flash(str(exc), "error")
        return _render_own(form, 422)
    db.session.commit()
    # Shown in this response only (not flashed: the session cookie must not carry it).
    return _render_own(TokenForm(formdata=None), secret=secret, new=token)


@tokens_bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    token = db.session.get(ApiToken, token_id) if token_id <= MAX_ID else None
    if token is None or token.user_id != current_user.id:
        abort(404)
    _revoke(token)
    return redirect(url_for("tokens.index")), 303


def _revoke(token: ApiToken) -> None:
    try:
        services.revoke_token(current_user, token)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Token %(prefix)s… revoked.", prefix=token.prefix), "success")


@tokens_bp.get("/admin/tokens")
@login_required
def admin_index():
    if not permissions.can_administer(current_user):
        abort(403)
    page = db.paginate(
        sa.select(ApiToken).order_by(
            ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc()
        ),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    return render_template("api/admin_tokens.html", page=page, on_day=date.today())


@tokens_bp.post("/admin/tokens/<int:token_id>/revoke")
@login_required
def admin_revoke(token_id: int):
    if not permissions.can_administer(current_user):
        abort(403)
    token = db.session.get(ApiToken, token_id) if token_id <= MAX_ID else None
    if token is None:
        abort(404)
    _revoke(token)
    return redirect(url_for("tokens.admin_index")), 303
