"""A background job: what to run, how far it got, and how it ended."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import User
from tracker.core.models import LabelledEnum, enum_type, utcnow
from tracker.extensions import db

# A running job writes a heartbeat every few seconds; after this long without one its process
# is taken to be gone (killed, out of memory, the machine restarted) and the job may be retried.
STALE_AFTER = timedelta(minutes=10)

# Names of job kinds for the page; a kind without one shows as its identifier.
KIND_LABELS: dict[str, Any] = {
    "selftest": _l("Self-test"),
    "archive_export": _l("Archive bundle"),
    "assignments_import": _l("Assignment list import"),
}


class JobStatus(LabelledEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @classmethod
    def _labels(cls) -> dict:
        return {
            cls.QUEUED: _l("Waiting to start"),
            cls.RUNNING: _l("Running"),
            cls.DONE: _l("Done"),
            cls.FAILED: _l("Failed"),
        }

    @property
    def finished(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED)


def _new_id() -> str:
    return uuid.uuid4().hex


class Job(db.Model):
    """Long work run outside the request: in an RQ worker, or a thread of the web process."""

    __tablename__ = "jobs"
    __table_args__ = (
        sa.CheckConstraint("progress_done >= 0", name="progress_not_negative"),
        sa.CheckConstraint("attempts >= 1", name="attempted"),
        sa.Index("ix_jobs_status_created_at", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=_new_id)
    kind: Mapped[str] = mapped_column(sa.String(64))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    status: Mapped[JobStatus] = mapped_column(
        enum_type(JobStatus, "job_status"), default=JobStatus.QUEUED
    )
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int | None]
    message: Mapped[str] = mapped_column(sa.String(500), default="")
    # The finished output, relative to the jobs folder (JOBS_DIR).
    result_path: Mapped[str | None] = mapped_column(sa.String(255))
    summary: Mapped[str | None] = mapped_column(sa.Text)
    error: Mapped[str | None] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]

    created_by: Mapped[User | None] = relationship()

    @property
    def label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return 100 if self.status is JobStatus.DONE else None
        return max(0, min(100, round(100 * self.progress_done / self.progress_total)))

    def last_sign_of_life(self) -> datetime:
        return self.heartbeat_at or self.started_at or self.created_at

    def is_stale(self, now: datetime | None = None) -> bool:
        """Queued or running, but no sign of life for STALE_AFTER: its process is gone."""
        if self.status.finished:
            return False
        return (now or utcnow()) - self.last_sign_of_life() > STALE_AFTER

    @property
    def can_be_retried(self) -> bool:
        return self.status is JobStatus.FAILED or self.is_stale()

    def visible_to(self, user: User | None) -> bool:
        """Its creator, administrators and supervisors see a job; nobody else learns it exists."""
        from tracker.core.permissions import is_supervisor

        if is_supervisor(user):
            return True
        signed_in = getattr(user, "is_authenticated", False) and user.is_active
        return bool(signed_in and self.created_by_id is not None and self.created_by_id == user.id)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status}>"
