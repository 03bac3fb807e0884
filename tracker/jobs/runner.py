"""Running one job: claim its row, run its handler, record progress and how it ended.

The handler's database work and the row's "done" commit together; on any error both roll back
and the row says why. Progress goes to the row in short transactions of its own, so the page
can show it while the handler's transaction is still open. Outputs are written as
`<job id><suffix>.part` and renamed into place only when complete: a killed worker leaves a
`.part` file, never one that looks finished.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import event

from tracker.core.errors import DomainError
from tracker.core.models import utcnow
from tracker.extensions import db
from tracker.jobs.models import Job, JobStatus
from tracker.jobs.services import JOB_TIMEOUT_SECONDS, jobs_dir, load_handlers

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.5  # seconds: at most about two progress writes a second
HEARTBEAT_INTERVAL = 15.0  # seconds between signs of life while a handler is busy
SQLITE_PROGRESS_WAIT_MS = 50  # a progress write waits this long for SQLite's write lock, then skips

GENERIC_ERROR = _l(
    "The job stopped on an unexpected error, which has been logged for the administrator. "
    "If the cause was temporary, retrying may help."
)
TIMEOUT_ERROR = _l("The job took longer than the %(minutes)d minutes allowed and was stopped.")
STOPPED_MESSAGE = _l(
    "The process running this job stopped before it finished (it was killed, ran out of memory, "
    "or the machine restarted). Nothing was kept; you can retry it."
)
UNKNOWN_KIND = _l("This kind of background job is not known here: %(kind)s.")

_SUFFIX = re.compile(r"[A-Za-z0-9._-]{0,40}")
_WROTE = "tracker_job_wrote"  # Session.info flag: the handler's transaction has written
_jobs = Job.__table__
_worker_app: Flask | None = None


def run_job(job_id: str) -> None:
    """Run one job: the RQ entry point, and what the in-process thread calls."""
    app = current_app._get_current_object() if has_app_context() else _app_for_worker()
    with app.app_context():  # a fresh context: a database session of the job's own
        _run(app, job_id)


def _app_for_worker() -> Flask:
    global _worker_app
    if _worker_app is None:  # an RQ worker started without `flask jobs worker`
        from tracker import create_app

        _worker_app = create_app()
    return _worker_app


class RunContext:
    """The JobContext a handler gets from the runner (see tracker.jobs.registry)."""

    def __init__(self, job_id: str, attempt: int, params: dict, user_id: int | None, folder: Path):
        self.job_id = job_id
        self.attempt = attempt
        self.params: dict[str, Any] = params
        self.user_id = user_id
        self.folder = folder
        self.outputs: list[Path] = []
        self.done = 0
        self.total: int | None = None
        self.message = ""
        self._written: tuple | None = None
        self._last_write = 0.0

    def progress(self, done: int, total: int | None = None, message: str = "") -> None:
        """Record how far the handler got; a total of None keeps the last one given."""
        self.done = max(0, int(done))
        if total is not None:
            self.total = max(0, int(total))
        self.message = str(message)[:500]
        state = (self.done, self.total, self.message)
        now = time.monotonic()
        finished = self.total is not None and self.done >= self.total
        if state == self._written or (now - self._last_write < PROGRESS_INTERVAL and not finished):
            return
        self._last_write = now
        if not _sqlite_lock_free():
            return  # the handler's own transaction holds SQLite's write lock: later
        values = dict(
            progress_done=self.done,
            progress_total=self.total,
            message=self.message,
            heartbeat_at=utcnow(),
        )
        if _update_running(self.job_id, self.attempt, values):
            self._written = state

    @contextmanager
    def output(self, suffix: str) -> Iterator[Path]:
        """A `.part` file to write; renamed to `<job id><suffix>` only if the block succeeds."""
        if not _SUFFIX.fullmatch(suffix):
            raise ValueError(f"an output suffix is letters, digits, '.', '_' or '-': {suffix!r}")
        self.folder.mkdir(parents=True, exist_ok=True)
        final = self.folder / f"{self.job_id}{suffix}"
        part = final.with_name(final.name + ".part")
        part.unlink(missing_ok=True)
        try:
            yield part
            _fsync(part)
            os.replace(part, final)
            _fsync(self.folder)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        self.outputs.append(final)


def _run(app: Flask, job_id: str) -> None:
    handlers = load_handlers()
    claimed = _claim(job_id)
    if claimed is None:
        log.info("job %s is not waiting to run (taken by another worker, or gone); skipped", job_id)
        return
    kind, params, user_id, attempt = claimed
    ctx = RunContext(job_id, attempt, dict(params or {}), user_id, jobs_dir(app))
    session = db.session()
    _track_writes(session)
    heartbeat = _Heartbeat(app, job_id, attempt)
    heartbeat.start()
    log.info("job %s (%s) started, attempt %d", job_id, kind, attempt)
    try:
        handler = handlers.get(kind)
        if handler is None:
            raise DomainError(str(UNKNOWN_KIND % {"kind": kind}))
        summary = handler(ctx)
        heartbeat.stop()
        now = utcnow()
        result = session.execute(
            _running(job_id, attempt).values(
                status=JobStatus.DONE,
                progress_done=ctx.done,
                progress_total=ctx.total,
                message=ctx.message,
                summary=str(summary) if summary else None,
                result_path=ctx.outputs[-1].name if ctx.outputs else None,
                error=None,
                finished_at=now,
                heartbeat_at=now,
            )
        )
        if result.rowcount != 1:
            # Retried or given up on while this process looked dead: keep nothing of this run.
            session.rollback()
            _remove(ctx.outputs)
            log.warning("job %s attempt %d was superseded; its work was discarded", job_id, attempt)
            return
        session.commit()
        log.info("job %s (%s) done", job_id, kind)
    except BaseException as exc:
        heartbeat.stop()
        session.rollback()
        _remove(ctx.outputs)
        error = _describe(exc, job_id, kind)
        now = utcnow()
        session.execute(
            _running(job_id, attempt).values(
                status=JobStatus.FAILED,
                progress_done=ctx.done,
                progress_total=ctx.total,
                message=ctx.message,
                summary=None,
                result_path=None,
                error=error,
                finished_at=now,
                heartbeat_at=now,
            )
        )
        session.commit()
        if not isinstance(exc, Exception):  # SystemExit, KeyboardInterrupt: let them stop us
            raise
    finally:
        _untrack_writes(session)


def _describe(exc: BaseException, job_id: str, kind: str) -> str:
    """The error as the user reads it; unexpected ones are logged with their traceback."""
    if isinstance(exc, DomainError):
        log.info("job %s (%s) failed: %s", job_id, kind, exc)
        return str(exc)
    if type(exc).__name__ == "JobTimeoutException":  # rq.timeouts, raised in the worker
        log.warning("job %s (%s) timed out", job_id, kind)
        return str(TIMEOUT_ERROR % {"minutes": JOB_TIMEOUT_SECONDS // 60})
    if not isinstance(exc, Exception):
        log.warning("job %s (%s) interrupted: %r", job_id, kind, exc)
        return str(STOPPED_MESSAGE)
    log.error("job %s (%s) failed", job_id, kind, exc_info=exc)
    return str(GENERIC_ERROR)


def _running(job_id: str, attempt: int) -> sa.Update:
    """An UPDATE of this attempt's row while it runs (a retried attempt no longer matches)."""
    return sa.update(_jobs).where(
        _jobs.c.id == job_id, _jobs.c.attempts == attempt, _jobs.c.status == JobStatus.RUNNING
    )


def _claim(job_id: str) -> tuple[str, dict, int | None, int] | None:
    """Move a queued job to running (one worker wins); its kind, params, user and attempt."""
    now = utcnow()
    with db.engine.connect() as conn:
        result = conn.execute(
            sa.update(_jobs)
            .where(_jobs.c.id == job_id, _jobs.c.status == JobStatus.QUEUED)
            .values(
                status=JobStatus.RUNNING,
                started_at=now,
                heartbeat_at=now,
                finished_at=None,
                progress_done=0,
                message="",
                error=None,
            )
        )
        if result.rowcount != 1:
            conn.rollback()
            return None
        row = conn.execute(
            sa.select(_jobs.c.kind, _jobs.c.params, _jobs.c.created_by_id, _jobs.c.attempts).where(
                _jobs.c.id == job_id
            )
        ).one()
        conn.commit()
    return row.kind, row.params, row.created_by_id, row.attempts


def _update_running(job_id: str, attempt: int, values: dict) -> bool:
    """Write progress or a heartbeat in a short transaction of its own; False if it had to skip."""
    try:
        with db.engine.connect() as conn, _short_lock_wait(conn):
            conn.execute(_running(job_id, attempt).values(**values))
            conn.commit()
        return True
    except sa.exc.OperationalError as exc:  # SQLite busy with the handler's writes; next time
        log.debug("job %s: progress not written now (%s)", job_id, exc)
        return False


@contextmanager
def _short_lock_wait(conn: sa.Connection) -> Iterator[None]:
    """On SQLite, wait only briefly for the write lock: progress is not worth stalling for."""
    if conn.dialect.name != "sqlite":
        yield
        return
    from tracker.db_setup import BUSY_TIMEOUT_MS

    raw = conn.connection.driver_connection
    raw.execute(f"PRAGMA busy_timeout = {SQLITE_PROGRESS_WAIT_MS}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def _sqlite_lock_free() -> bool:
    """On SQLite, end the handler's transaction if it has only read; False if it has written.

    Outside requests every SQLite transaction takes the write lock (BEGIN IMMEDIATE), so a
    reading handler would otherwise block progress writes and the web pages' saves for as long
    as it runs. Committing a transaction that wrote nothing changes nothing, and the handler's
    objects stay loaded. A handler that has written keeps the lock until it ends, and its
    progress shows when it does.
    """
    session = db.session()
    if db.engine.dialect.name != "sqlite" or not session.in_transaction():
        return True
    if session.new or session.dirty or session.deleted or session.info.get(_WROTE):
        return False
    keep = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep
    return True


def _on_flush(session, _context) -> None:
    session.info[_WROTE] = True


def _on_execute(state) -> None:
    if not state.is_select:
        state.session.info[_WROTE] = True


def _on_transaction_end(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)


_LISTENERS = (
    ("after_flush", _on_flush),
    ("do_orm_execute", _on_execute),
    ("after_transaction_end", _on_transaction_end),
)


def _track_writes(session) -> None:
    for name, fn in _LISTENERS:
        event.listen(session, name, fn)


def _untrack_writes(session) -> None:
    for name, fn in _LISTENERS:
        if event.contains(session, name, fn):
            event.remove(session, name, fn)
    session.info.pop(_WROTE, None)


class _Heartbeat(threading.Thread):
    """Stamps heartbeat_at while a handler works, so a live job is never taken for a dead one."""

    def __init__(self, app: Flask, job_id: str, attempt: int):
        super().__init__(name=f"job-{job_id[:8]}-heartbeat", daemon=True)
        self.app, self.job_id, self.attempt = app, job_id, attempt
        self._stop_event = threading.Event()

    def run(self) -> None:
        with self.app.app_context():
            while not self._stop_event.wait(HEARTBEAT_INTERVAL):
                _update_running(self.job_id, self.attempt, {"heartbeat_at": utcnow()})

    def stop(self) -> None:
        self._stop_event.set()
        if self.is_alive() and self is not threading.current_thread():
            self.join(timeout=5)


def _fsync(path: Path) -> None:
    """Flush a file (or a folder's entry for a renamed file) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def horse_killed(rq_job, retpid, ret_val, rusage) -> None:
    """RQ's hook when a work horse dies mid-job: mark the row failed so that it can be retried.

    Runs in the worker's parent process, which keeps no pooled connections (its children
    would inherit them), so it uses a throwaway engine.
    """
    job_id = rq_job.args[0] if rq_job.args else None
    if not job_id:
        return
    attempt = (rq_job.meta or {}).get("attempt")
    condition = [_jobs.c.id == job_id, _jobs.c.status.in_((JobStatus.RUNNING, JobStatus.QUEUED))]
    if attempt is not None:
        condition.append(_jobs.c.attempts == attempt)
    engine = sa.create_engine(
        current_app.config["SQLALCHEMY_DATABASE_URI"], poolclass=sa.pool.NullPool
    )
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.update(_jobs)
                .where(*condition)
                .values(status=JobStatus.FAILED, error=str(STOPPED_MESSAGE), finished_at=utcnow())
            )
    except sa.exc.SQLAlchemyError:
        log.exception("could not mark job %s failed after its worker died", job_id)
    finally:
        engine.dispose()
    log.warning("job %s: its worker process died (wait status %s)", job_id, ret_val)
