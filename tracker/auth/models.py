"""Users and their roles."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.core.models import LabelledEnum, TimestampMixin, enum_type
from tracker.extensions import db

if TYPE_CHECKING:
    from tracker.directory.models import Unit


class Role(LabelledEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    CLERK = "clerk"
    VIEWER = "viewer"

    @classmethod
    def _labels(cls) -> dict:
        return {
            cls.ADMIN: _l("Administrator"),
            cls.SUPERVISOR: _l("Supervisor"),
            cls.CLERK: _l("Clerk"),
            cls.VIEWER: _l("Viewer"),
        }

    @property
    def unit_scoped(self) -> bool:
        """Clerks and viewers see only their own unit's cases."""
        return self in (Role.CLERK, Role.VIEWER)


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(
            "role NOT IN ('clerk', 'viewer') OR unit_id IS NOT NULL", name="scoped_role_has_unit"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(100))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role, "user_role"))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    email: Mapped[str | None] = mapped_column(sa.String(200))
    phone: Mapped[str | None] = mapped_column(sa.String(50))
    locale: Mapped[str | None] = mapped_column(sa.String(16))
    is_active_flag: Mapped[bool] = mapped_column("is_active", default=True)
    last_login_at: Mapped[datetime | None]
    # Repeated wrong passwords lock the account for a while (see auth.services.LOCKOUT).
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None]

    unit: Mapped[Unit | None] = relationship(lazy="joined")

    def set_password(self, password: str) -> None:
        # Werkzeug's default is scrypt, a memory-hard modern scheme.
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return self.is_active_flag

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def sees_all_units(self) -> bool:
        return not self.role.unit_scoped

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"
