"""API tokens: a user's named bearer secrets, stored only as SHA-256 hashes."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import User
from tracker.core.models import LabelledEnum, utcnow
from tracker.extensions import db


class TokenState(LabelledEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"

    @classmethod
    def _labels(cls) -> dict:
        return {
            cls.ACTIVE: _l("Active"),
            cls.EXPIRED: _l("Expired"),
            cls.REVOKED: _l("Revoked"),
        }


class ApiToken(db.Model):
    """A bearer token for the JSON API; the secret itself is shown once and never stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)  # sha256 hex of the secret
    prefix: Mapped[str] = mapped_column(sa.String(8))  # the secret's first characters, for lists
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    expires_on: Mapped[date | None]  # the last day the token works

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    def state(self, today: date) -> TokenState:
        if self.revoked_at is not None:
            return TokenState.REVOKED
        if self.expires_on is not None and today > self.expires_on:
            return TokenState.EXPIRED
        return TokenState.ACTIVE

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix}… of user {self.user_id}>"
