"""Submitting and retrying jobs: RQ on Redis when TRACKER_REDIS_URL is set, else a thread here.

Unlike other services these commit: a worker in another process must see the row before it
gets the job.
"""

from __future__ import annotations

import importlib
import logging
import threading
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import gettext as _

from tracker.auth.models import User
from tracker.core.errors import DomainError
from tracker.core.models import utcnow
from tracker.extensions import db
from tracker.jobs.models import Job, JobStatus
from tracker.jobs.registry import HANDLERS

log = logging.getLogger(__name__)

# Modules whose import registers job handlers (@job_handler); web processes and workers both
# import them all before submitting or running a job.
HANDLER_MODULES: list[str] = [
    "tracker.jobs.handlers",
    "tracker.exchange.archive",
    "tracker.exchange.spreadsheet",
]

JOB_TIMEOUT_SECONDS = 3600
FAILURE_TTL_SECONDS = 7 * 24 * 3600  # how long RQ keeps a failed run's traceback in Redis
DEFAULT_QUEUE = "tracker"


def load_handlers() -> dict:
    """Import every module that registers handlers; return the registry."""
    for name in HANDLER_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a module it needs is missing: a real error
                raise
            log.warning("job handler module %s is not installed; its kinds are unknown", name)
    return HANDLERS


def jobs_dir(app: Flask | None = None) -> Path:
    """The folder of job outputs (TRACKER_JOBS_DIR; instance/jobs by default)."""
    app = app or current_app
    return Path(app.config.get("JOBS_DIR") or Path(app.instance_path) / "jobs")


def queue_name(app: Flask | None = None) -> str:
    return (app or current_app).config.get("JOBS_QUEUE") or DEFAULT_QUEUE


def redis_url(app: Flask | None = None) -> str | None:
    return (app or current_app).config.get("REDIS_URL") or None


def job_file(job: Job) -> Path:
    """The finished output of a done job (it may since have been pruned from disk)."""
    if job.status is not JobStatus.DONE or not job.result_path:
        raise LookupError(f"job {job.id} has no output")
    folder = jobs_dir().resolve()
    path = (folder / job.result_path).resolve()
    if path.parent != folder:  # result_path is ours, but never serve outside the folder
        raise LookupError(f"job {job.id} has an output outside the jobs folder")
    return path


def submit(kind: str, params: dict[str, Any] | None, user: User | None) -> Job:
    """Record a job of a registered kind, commit, and hand it to a worker (or a thread)."""
    if kind not in load_handlers():
        raise DomainError(_("There is no kind of background job called “%(kind)s”.", kind=kind))
    job = Job(
        kind=kind,
        params=dict(params or {}),
        status=JobStatus.QUEUED,
        created_by_id=user.id if user is not None else None,
    )
    db.session.add(job)
    db.session.commit()
    _enqueue(job)
    return job


def retry(job: Job, user: User | None) -> Job:
    """Run a failed (or stalled) job again with the same parameters, as its next attempt."""
    if not job.can_be_retried:
        raise DomainError(_("Only a job that failed or stopped can be retried."))
    previous = job.attempts
    result = db.session.execute(
        sa.update(Job)
        .where(Job.id == job.id, Job.attempts == previous, Job.status == job.status)
        .values(
            status=JobStatus.QUEUED,
            attempts=previous + 1,
            progress_done=0,
            progress_total=None,
            message="",
            result_path=None,
            summary=None,
            error=None,
            started_at=None,
            finished_at=None,
            heartbeat_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise DomainError(_("The job changed meanwhile; reload the page."))
    db.session.commit()
    db.session.refresh(job)
    log.info("job %s (%s) retried by %s: attempt %d", job.id, job.kind, user, job.attempts)
    _remove_partial_files(job)
    _enqueue(job)
    return job


def _remove_partial_files(job: Job) -> None:
    for part in jobs_dir().glob(f"{job.id}*.part"):
        part.unlink(missing_ok=True)


def _enqueue(job: Job) -> None:
    url = redis_url()
    if url:
        _enqueue_rq(job, url)
    else:
        app = current_app._get_current_object()
        thread = threading.Thread(
            target=_run_in_thread, args=(app, job.id), name=f"job-{job.id[:8]}", daemon=True
        )
        thread.start()


def _enqueue_rq(job: Job, url: str) -> None:
    import redis
    import rq

    try:
        connection = redis.Redis.from_url(url, socket_connect_timeout=5)
        queue = rq.Queue(queue_name(), connection=connection)
        queue.enqueue(
            "tracker.jobs.runner.run_job",
            job.id,
            job_id=f"tracker-{job.id}-{job.attempts}",
            description=f"{job.kind} {job.id} (attempt {job.attempts})",
            job_timeout=JOB_TIMEOUT_SECONDS,
            result_ttl=0,  # the jobs table keeps the outcome; Redis only briefly
            failure_ttl=FAILURE_TTL_SECONDS,
            meta={"attempt": job.attempts},
        )
    except redis.RedisError:
        log.exception("could not queue job %s on %s", job.id, url)
        job.status = JobStatus.FAILED
        job.error = _("The job queue (Redis) could not be reached; nothing was run. Retry later.")
        job.finished_at = utcnow()
        db.session.commit()


def _run_in_thread(app: Flask, job_id: str) -> None:
    from tracker.jobs.runner import run_job

    with app.app_context():  # its own app context, so its own database session
        run_job(job_id)


def fail_stale_jobs() -> int:
    """Mark running jobs whose process is gone as failed (so they can be retried); count them."""
    from tracker.jobs.runner import STOPPED_MESSAGE

    count = 0
    for job in db.session.scalars(sa.select(Job).where(Job.status == JobStatus.RUNNING)):
        if job.is_stale():
            job.status = JobStatus.FAILED
            job.error = str(STOPPED_MESSAGE)
            job.finished_at = utcnow()
            _remove_partial_files(job)
            count += 1
    db.session.commit()
    return count
