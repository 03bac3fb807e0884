"""Wiring of the web layer: extensions, locale, blueprints, error pages, template helpers."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, jsonify, render_template, request, session
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from tracker.core import permissions
from tracker.extensions import babel, csrf, db, login_manager, migrate


def select_locale() -> str:
    """The user's chosen language, else the configured default (Simplified Chinese)."""
    from flask import current_app, has_request_context

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and background work use the default
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def register_extensions(app: Flask) -> None:
    from tracker import models  # noqa: F401  (every model registered before migrate)
    from tracker.auth.models import User
    from tracker.search import index  # noqa: F401  (keeps search documents in step)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        if not user_id.isdigit():
            return None
        return db.session.get(User, int(user_id))


def register_web(app: Flask) -> None:
    from tracker.api.token_views import tokens_bp
    from tracker.api.views import bp as api_bp
    from tracker.auth.views import bp as auth_bp
    from tracker.contacts.views import bp as contacts_bp
    from tracker.core.views import bp as core_bp
    from tracker.deadlines.views import bp as deadlines_bp
    from tracker.directory.views import bp as directory_bp
    from tracker.exchange.import_views import import_bp
    from tracker.exchange.views import bp as exchange_bp
    from tracker.jobs.views import bp as jobs_bp
    from tracker.proposals.views import bp as proposals_bp
    from tracker.public.views import bp as public_bp
    from tracker.replies.views import bp as replies_bp
    from tracker.reports.views import bp as reports_bp
    from tracker.supervision.dashboard import bp as dashboard_bp
    from tracker.supervision.views import bp as supervision_bp

    for bp in (
        core_bp,
        auth_bp,
        proposals_bp,
        replies_bp,
        contacts_bp,
        supervision_bp,
        dashboard_bp,
        reports_bp,
        public_bp,
        jobs_bp,
        exchange_bp,
        import_bp,
        api_bp,
        tokens_bp,
        directory_bp,
        deadlines_bp,
    ):
        app.register_blueprint(bp)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    from tracker.core.history import audit_field, audit_label, audit_value

    app.jinja_env.globals.update(
        can=permissions,
        get_locale=get_locale,
        today=date.today,
        audit_label=audit_label,
        audit_field=audit_field,
        audit_value=audit_value,
    )

    @app.context_processor
    def _unread():
        from tracker.supervision.queries import unread_count

        if getattr(current_user, "is_authenticated", False):
            return {"unread_notifications": unread_count(current_user)}
        return {"unread_notifications": 0}

    app.jinja_env.filters["date"] = _format_date
    app.jinja_env.filters["datetime"] = _format_datetime
    app.jinja_env.filters["cn_date"] = cn_date
    _register_errors(app)

    @app.before_request
    def _idle_timeout():
        """Sign out a session left idle too long (a shared office PC, a clerk gone home)."""
        import time

        from flask import flash, redirect, url_for
        from flask_login import logout_user

        # the path first: /healthz and static files must not load the user
        if request.path.startswith(("/static/", "/healthz", "/api/", "/public/")):
            return None
        if not getattr(current_user, "is_authenticated", False):
            return None
        now = int(time.time())
        seen = session.get("seen_at")
        limit = app.config["IDLE_TIMEOUT_MINUTES"] * 60
        if seen is not None and now - int(seen) > limit:
            logout_user()
            session.pop("seen_at", None)
            flash(_("You were signed out after a period without activity."), "info")
            return redirect(
                url_for("auth.login", next=request.full_path if request.method == "GET" else None)
            )
        if seen is None or now - int(seen) > 60:  # rewrite the cookie at most once a minute
            session["seen_at"] = now
        return None

    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; object-src 'none'; "
            "frame-ancestors 'self'; base-uri 'self'; form-action 'self'",
        )
        return response


def cn_date(value: date | None) -> str:
    """2022年9月8日: the form a letter prints, no leading zeros."""
    if value is None:
        return ""
    return f"{value.year}年{value.month}月{value.day}日"


def _format_date(value: date | None, fmt: str = "medium") -> str:
    return format_date(value, fmt) if value else ""


def _format_datetime(value: datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    from datetime import UTC

    return format_datetime(value.replace(tzinfo=UTC), fmt)


def _register_errors(app: Flask) -> None:
    def page(code: int, title: str, message: str):
        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
            return jsonify(error=title, message=message), code
        return render_template("errors.html", code=code, title=title, message=message), code

    @app.errorhandler(400)
    def bad_request(_e):
        return page(400, _("Bad request"), _("The request could not be understood."))

    @app.errorhandler(CSRFError)
    def csrf_error(_e):
        return page(
            400,
            _("The form has expired"),
            _("Please go back, reload the page and submit the form again."),
        )

    @app.errorhandler(403)
    def forbidden(_e):
        return page(403, _("Not allowed"), _("You do not have permission to do this."))

    @app.errorhandler(404)
    def not_found(_e):
        return page(404, _("Not found"), _("The page or record does not exist."))

    @app.errorhandler(405)
    def not_allowed(_e):
        return page(405, _("Method not allowed"), _("This address does not accept that request."))

    @app.errorhandler(413)
    def too_large(_e):
        return page(413, _("Too large"), _("The upload is larger than allowed."))

    @app.errorhandler(500)
    def server_error(_e):
        db.session.rollback()
        return page(
            500,
            _("Something went wrong"),
            _("The error has been logged. Nothing was saved; please try again."),
        )
