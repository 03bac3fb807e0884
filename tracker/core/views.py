"""Start page, language switch, and the administration index."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required

from tracker.core import permissions

bp = Blueprint("core", __name__)


def safe_next(target: str | None, default: str) -> str:
    """Only follow a redirect target on this site (a path, no scheme or host)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


@bp.get("/")
@login_required
def index():
    return redirect(url_for("supervision.todo"))


@bp.get("/lang/<code>")
def set_language(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = code
    return redirect(safe_next(request.args.get("next"), url_for("core.index")))


@bp.get("/admin/")
@login_required
def admin():
    if not permissions.can_administer(current_user):
        abort(403)
    return render_template("core/admin.html")
