"""Every write to API tokens (create, revoke) and the bearer check each API request makes."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from tracker.api.models import ApiToken, TokenState
from tracker.auth.models import User
from tracker.core.audit import record
from tracker.core.errors import DomainError
from tracker.core.models import utcnow
from tracker.extensions import db

SECRET_PREFIX = "trk_"
SECRET_RE = re.compile(r"trk_[A-Za-z0-9_-]{40}")
PREFIX_LENGTH = 8
NAME_LIMIT = 100
MAX_ACTIVE_TOKENS = 20
# last_used_at is a hint for the token list, not a log: one write a minute per token at most.
TOUCH_EVERY = timedelta(minutes=1)
TOUCHED = "tracker.api.token_touched"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    """Return "trk_" and 40 URL-safe characters (240 random bits)."""
    return SECRET_PREFIX + secrets.token_urlsafe(30)


def create_token(
    actor: Any,
    user: User,
    name: str,
    *,
    expires_on: date | None = None,
    today: date | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for `user`; return it with its secret, which is never available again."""
    today = today or date.today()
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_l("Give the token a name."), field="name")
    if len(name) > NAME_LIMIT:
        raise DomainError(_l("The name is too long."), field="name")
    if expires_on is not None and expires_on < today:
        raise DomainError(_l("The expiry date is in the past."), field="expires_on")
    if not user.is_active:
        raise DomainError(_l("An inactive user cannot have API tokens."))
    if active_token_count(user, today) >= MAX_ACTIVE_TOKENS:
        raise DomainError(
            _l("You have %(n)d active tokens; revoke one first.", n=MAX_ACTIVE_TOKENS)
        )
    secret = new_secret()
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_secret(secret),
        prefix=secret[:PREFIX_LENGTH],
        created_at=utcnow(),
        expires_on=expires_on,
    )
    db.session.add(token)
    db.session.flush()
    record(
        actor,
        "api_token.created",
        token,
        summary=f"{token.prefix}… {name}",
        changes={
            "user_id": [None, user.id],
            "name": [None, name],
            "expires_on": [None, expires_on.isoformat() if expires_on else None],
        },
    )
    return token, secret


def revoke_token(actor: Any, token: ApiToken, *, now: datetime | None = None) -> ApiToken:
    """Revoke the token for good; requests that carry it are refused from now on."""
    if token.revoked_at is not None:
        raise DomainError(_l("This token has already been revoked."))
    token.revoked_at = now or utcnow()
    db.session.flush()
    record(
        actor,
        "api_token.revoked",
        token,
        summary=f"{token.prefix}… {token.name}",
        changes={"revoked_at": [None, token.revoked_at.isoformat()]},
    )
    return token


def active_token_count(user: User, today: date) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(ApiToken.id)).where(
            ApiToken.user_id == user.id,
            ApiToken.revoked_at.is_(None),
            sa.or_(ApiToken.expires_on.is_(None), ApiToken.expires_on >= today),
        )
    )


def secret_from_header(header: str | None) -> str | None:
    """The secret of an `Authorization: Bearer <secret>` header, if it has the right shape."""
    scheme, _, value = (header or "").strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not SECRET_RE.fullmatch(value):
        return None
    return value


def authenticate(
    header: str | None, *, now: datetime | None = None, touch: bool = True
) -> User | None:
    """The active user a valid, unrevoked, unexpired token belongs to, else None.

    One query finds the token with its user; a stale last_used_at costs one UPDATE more.
    """
    secret = secret_from_header(header)
    if secret is None:
        return None
    digest = hash_secret(secret)
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    today = now.date() if now else date.today()
    now = now or utcnow()
    if token.state(today) is not TokenState.ACTIVE or not token.user.is_active:
        return None
    if touch and (token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY):
        # A bare UPDATE: no ORM flush, and the loaded token is not needed again.
        db.session.execute(
            sa.update(ApiToken)
            .where(ApiToken.id == token.id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        db.session.info[TOUCHED] = True  # the caller commits (and only then)
    return token.user


def pop_touched() -> bool:
    """Whether `authenticate` wrote last_used_at since the last call (so a commit is due)."""
    return db.session.info.pop(TOUCHED, False)
