"""Writes for users."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.auth.models import Role, User
from tracker.core.audit import diff, record, snapshot
from tracker.core.errors import DomainError
from tracker.core.models import utcnow
from tracker.directory.models import Unit
from tracker.extensions import db

USER_FIELDS = ("username", "display_name", "role", "unit_id", "is_active_flag", "email", "phone")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
MIN_PASSWORD_LENGTH = 10
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def check_password_policy(password: str) -> None:
    """At least 10 characters, not all of one kind."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            _l("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
            field="password",
        )
    if password.isdigit() or password.isalpha():
        raise DomainError(
            _l("The password must mix letters with digits or symbols."), field="password"
        )


def save_user(
    actor: Any,
    user: User | None,
    *,
    username: str,
    display_name: str,
    role: Role,
    unit: Unit | None,
    password: str | None = None,
    is_active: bool = True,
    email: str | None = None,
    phone: str | None = None,
) -> User:
    """Create (user=None, password required) or update a user."""
    username = username.strip()
    if not USERNAME_RE.match(username):
        raise DomainError(
            _l("A username has 2-64 letters, digits, dots, dashes or underscores."),
            field="username",
        )
    clash = db.session.scalar(sa.select(User).where(User.username == username))
    if clash is not None and clash is not user:
        raise DomainError(_l("This username is taken."), field="username")
    if role.unit_scoped and unit is None:
        raise DomainError(_l("Clerks and viewers must belong to a unit."), field="unit")
    if user is None and not password:
        raise DomainError(_l("Enter a password."), field="password")
    if password:
        check_password_policy(password)
    before = snapshot(user, USER_FIELDS) if user else {}
    created = user is None
    if created:
        user = User()
        db.session.add(user)
    user.username = username
    user.display_name = display_name.strip() or username
    user.role = role
    user.unit = unit
    user.unit_id = unit.id if unit else None
    user.is_active_flag = is_active
    user.email = (email or "").strip() or None
    user.phone = (phone or "").strip() or None
    if password:
        user.set_password(password)
    db.session.flush()
    changes = diff(before, snapshot(user, USER_FIELDS))
    if password and not created:
        changes["password"] = ["***", "***"]
    record(actor, "user.created" if created else "user.updated", user, changes=changes)
    return user


MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)


def authenticate(
    username: str, password: str, now: datetime | None = None
) -> tuple[User | None, str]:
    """Check a sign-in; return (user, "") or (None, why). Locks after repeated failures.

    The same message answers a wrong username and a wrong password, so sign-in reveals
    nothing about which accounts exist.
    """
    now = now or utcnow()
    user = db.session.scalar(sa.select(User).where(User.username == (username or "").strip()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")  # same work as for a real account
        return None, "wrong"
    if user.locked_until is not None and user.locked_until > now:
        return None, "locked"
    if not user.check_password(password or "") or not user.is_active:
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
            record(None, "user.locked", user, summary=user.username)
        return None, "wrong"
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user, ""
