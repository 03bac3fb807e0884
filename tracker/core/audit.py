"""The append-only audit log: who changed what, when, from which value to which.

Each entry carries the hash of the one before it, so any edit or deletion of a past entry
breaks the chain (`verify_chain`). A unique sequence number keeps the chain from forking.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from tracker.core.models import utcnow
from tracker.extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    actor_name: Mapped[str] = mapped_column(sa.String(100))
    action: Mapped[str] = mapped_column(sa.String(64))
    object_type: Mapped[str] = mapped_column(sa.String(64))
    object_id: Mapped[int | None]
    proposal_id: Mapped[int | None] = mapped_column(index=True)  # for a case's history
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))

    user = relationship("User", lazy="joined")

    def payload(self) -> dict[str, Any]:
        """The fields the hash covers, in a stable form."""
        return {
            "seq": self.seq,
            "occurred_at": self.occurred_at.isoformat(timespec="microseconds"),
            "user_id": self.user_id,
            "actor_name": self.actor_name,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "proposal_id": self.proposal_id,
            "summary": self.summary,
            "changes": self.changes,
        }

    def compute_hash(self) -> str:
        body = json.dumps(self.payload(), ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256((self.prev_hash + body).encode()).hexdigest()


@event.listens_for(Session, "before_flush")
def _refuse_audit_rewrites(session: Session, _ctx, _instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent):
            raise RuntimeError("The audit log is append-only.")


def jsonable(value: Any) -> Any:
    """Turn a model value into something JSON keeps as it was."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """Read the given attributes of a model as JSON-friendly values."""
    return {name: jsonable(getattr(obj, name)) for name in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Return {field: [old, new]} for every field that changed."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def _lock_chain(session: Session) -> None:
    # On PostgreSQL, appenders queue here so the chain never forks; SQLite writers are
    # already serialised by BEGIN IMMEDIATE (see tracker.db_setup).
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(7301)"))


def record(
    actor: Any,
    action: str,
    obj: Any,
    *,
    summary: str = "",
    changes: dict[str, Any] | None = None,
    proposal_id: int | None = None,
) -> AuditEvent:
    """Append one event for `obj` (flushed so its id is known) and return it."""
    session = db.session
    if getattr(obj, "id", None) is None:
        session.flush()
    _lock_chain(session)
    last = session.execute(
        sa.select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    entry = AuditEvent(
        seq=(last.seq + 1) if last else 1,
        occurred_at=utcnow(),
        user_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "display_name", None) or "system",
        action=action,
        object_type=type(obj).__tablename__,
        object_id=getattr(obj, "id", None),
        proposal_id=proposal_id,
        summary=summary[:500],
        changes=changes or {},
        prev_hash=last.hash if last else "",
    )
    entry.hash = entry.compute_hash()
    session.add(entry)
    session.flush()
    return entry


@dataclass
class ChainReport:
    checked: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(session: Session | None = None) -> ChainReport:
    """Walk the log in order and report the first entry whose hash does not hold."""
    session = session or db.session
    prev_hash, expected_seq, count = "", 1, 0
    rows = session.execute(sa.select(AuditEvent).order_by(AuditEvent.seq)).scalars()
    for entry in rows:
        count += 1
        if entry.seq != expected_seq:
            return ChainReport(count, entry.seq, f"sequence gap before {entry.seq}")
        if entry.prev_hash != prev_hash or entry.compute_hash() != entry.hash:
            return ChainReport(count, entry.seq, f"entry {entry.seq} was altered")
        prev_hash, expected_seq = entry.hash, expected_seq + 1
    return ChainReport(count)
