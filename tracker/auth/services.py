"""Writes for users."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from tracker.auth.models import Role, User
from tracker.core.audit import diff, record, snapshot
from tracker.core.errors import DomainError
from tracker.directory.models import Unit
from tracker.extensions import db

USER_FIELDS = ("username", "display_name", "role", "unit_id", "is_active_flag", "email", "phone")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
MIN_PASSWORD_LENGTH = 10


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
