"""flask jobs worker | run | retry | list | prune: the RQ workers, and jobs from the command line."""

from __future__ import annotations

import json
import time
from contextlib import ExitStack
from datetime import timedelta
from typing import Any

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from tracker.auth.models import User
from tracker.core.errors import DomainError
from tracker.core.models import utcnow
from tracker.extensions import db
from tracker.jobs.models import Job, JobStatus
from tracker.jobs.services import (
    fail_stale_jobs,
    jobs_dir,
    load_handlers,
    queue_name,
    redis_url,
    retry,
    submit,
)

POLL_SECONDS = 0.25


@click.group("jobs", help="Background jobs: the RQ workers that run them, and jobs by hand.")
def jobs_cli() -> None:
    pass


def make_worker(connection, simple: bool = False, **options):
    """An RQ worker on the tracker's queue that marks a job failed if its process dies."""
    import rq
    from rq.worker import SimpleWorker, Worker

    from tracker.jobs.runner import horse_killed

    queue = rq.Queue(queue_name(), connection=connection)
    worker_class = SimpleWorker if simple else Worker
    return worker_class(
        [queue], connection=connection, work_horse_killed_handler=horse_killed, **options
    )


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Quit once the queue is empty.")
@with_appcontext
def worker(burst: bool) -> None:
    """Run jobs from Redis (TRACKER_REDIS_URL); start one per CPU core."""
    url = redis_url()
    if not url:
        raise click.ClickException(
            "TRACKER_REDIS_URL is not set, so jobs run inside the web process and no worker is "
            "needed. To run them in workers, set it (e.g. redis://127.0.0.1:6379/0) for the web "
            "processes and the workers alike."
        )
    import redis

    connection = redis.Redis.from_url(url)
    where = _redis_address(connection)
    try:
        connection.ping()
    except redis.RedisError as exc:
        raise click.ClickException(f"Redis at {where} is not reachable: {exc}") from exc
    kinds = ", ".join(sorted(load_handlers())) or "none"
    stale = fail_stale_jobs()
    if stale:
        click.echo(f"{stale} job(s) whose process had stopped marked failed (they can be retried).")
    # Work horses are forked from this process: leave them no pooled connections to share.
    db.session.remove()
    db.engine.dispose()
    rq_worker = make_worker(connection)
    click.echo(
        f"Worker {rq_worker.name}: queue {queue_name()!r} on Redis at {where}; kinds: {kinds}"
    )
    rq_worker.work(burst=burst)


def _redis_address(connection) -> str:
    kwargs = connection.connection_pool.connection_kwargs
    if "path" in kwargs:
        return f"unix:{kwargs['path']}"
    return f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}/{kwargs.get('db', 0)}"


def _parse_param(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise click.BadParameter(f"expected KEY=VALUE, not {text!r}", param_hint="--param")
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value
    return key.strip(), parsed


@jobs_cli.command("run")
@click.argument("kind")
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help='A parameter (repeatable); JSON values (10, true, "text") are decoded, others kept as text.',
)
@click.option("--user", "username", help="Run it as this user, who can then follow it in the web.")
@click.option("--no-wait", is_flag=True, help="Submit and return without following the job.")
@with_appcontext
def run(kind: str, params: tuple[str, ...], username: str | None, no_wait: bool) -> None:
    """Submit a job of KIND and show its progress until it ends (e.g. `selftest --param n=10`)."""
    values = dict(_parse_param(p) for p in params)
    user = None
    if username:
        user = db.session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            raise click.ClickException(f"No user called {username!r}.")
    kinds = load_handlers()
    if kind not in kinds:
        raise click.ClickException(
            f"No kind of job called {kind!r}; known kinds: {', '.join(sorted(kinds)) or 'none'}."
        )
    try:
        job = submit(kind, values, user)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    where = f"RQ queue {queue_name()!r}" if redis_url() else "this process"
    click.echo(f"Job {job.id} ({kind}) submitted to {where}.")
    if not no_wait:
        _follow_to_the_end(job.id)


@jobs_cli.command("retry")
@click.argument("job_id")
@click.option("--no-wait", is_flag=True, help="Resubmit and return without following the job.")
@with_appcontext
def retry_command(job_id: str, no_wait: bool) -> None:
    """Run a failed (or stalled) job again with the same parameters."""
    job = db.session.get(Job, job_id)
    if job is None:
        raise click.ClickException(f"No job {job_id!r}.")
    load_handlers()
    try:
        retry(job, None)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Job {job.id} ({job.kind}) resubmitted: attempt {job.attempts}.")
    if not no_wait:
        _follow_to_the_end(job.id)


def _follow_to_the_end(job_id: str) -> None:
    try:
        outcome = _follow(job_id)
    except KeyboardInterrupt:
        if redis_url():
            click.echo(f"\nStopped following; the job goes on in the worker (job {job_id}).")
        else:
            click.echo("\nStopped: the job ran in this process and stops with it.")
        raise SystemExit(130) from None
    if outcome["status"] is JobStatus.DONE:
        click.echo(f"Done: {outcome['summary'] or ''}".rstrip())
        if outcome["result_path"]:
            click.echo(f"Output: {jobs_dir() / outcome['result_path']}")
        return
    raise click.ClickException(f"Job {job_id} failed: {outcome['error']}")


def _snapshot(job_id: str) -> dict[str, Any]:
    """The row as it is now (ending the read at once: SQLite writers must not wait on us)."""
    job = db.session.get(Job, job_id, populate_existing=True)
    fields = ("kind", "status", "progress_done", "progress_total", "message")
    state = {name: getattr(job, name) for name in (*fields, "summary", "error", "result_path")}
    db.session.rollback()
    return state


def _follow(job_id: str) -> dict[str, Any]:
    """Poll the job's row, drawing a progress bar once its total is known, until it ends."""
    shown = 0
    hint_at = time.monotonic() + 5
    with ExitStack() as stack:
        bar = None
        while True:
            state = _snapshot(job_id)
            if bar is None and state["progress_total"]:
                bar = stack.enter_context(
                    click.progressbar(
                        length=state["progress_total"],
                        label=state["kind"],
                        show_pos=True,
                        item_show_func=lambda message: message or "",
                    )
                )
            if bar is not None:
                step = min(state["progress_done"], bar.length) - shown
                if step > 0:
                    bar.update(step, state["message"])
                    shown += step
            if state["status"].finished:
                return state
            if state["status"] is JobStatus.QUEUED and hint_at and time.monotonic() > hint_at:
                if redis_url():
                    click.echo("Still waiting for a worker: is `flask jobs worker` running?")
                hint_at = 0
            time.sleep(POLL_SECONDS)


@jobs_cli.command("list")
@click.option("--limit", default=20, show_default=True, help="How many of the latest jobs.")
@click.option("--status", type=click.Choice([s.value for s in JobStatus]), help="Only these.")
@with_appcontext
def list_jobs(limit: int, status: str | None) -> None:
    """The latest jobs: id, kind, status, progress, when, who, and the outcome."""
    query = sa.select(Job).order_by(Job.created_at.desc()).limit(limit)
    if status:
        query = query.where(Job.status == JobStatus(status))
    jobs = list(db.session.scalars(query))
    if not jobs:
        click.echo("No jobs.")
        return
    for job in jobs:
        total = job.progress_total if job.progress_total is not None else "?"
        who = job.created_by.username if job.created_by else "-"
        outcome = job.error or job.summary or job.message or ""
        stale = " (stalled)" if job.is_stale() else ""
        click.echo(
            f"{job.id}  {job.kind:<16} {job.status.value:<8}{stale} {job.progress_done}/{total}  "
            f"{job.created_at:%Y-%m-%d %H:%M} UTC  {who}  {outcome[:80]}"
        )


@jobs_cli.command("prune")
@click.option("--days", default=30, show_default=True, help="Keep jobs that ended more recently.")
@with_appcontext
def prune(days: int) -> None:
    """Delete jobs that ended DAYS ago with their files, and partial files of dead jobs."""
    fail_stale_jobs()
    cutoff = utcnow() - timedelta(days=days)
    old = list(
        db.session.scalars(
            sa.select(Job).where(
                Job.status.in_((JobStatus.DONE, JobStatus.FAILED)), Job.finished_at < cutoff
            )
        )
    )
    folder = jobs_dir()
    for job in old:
        for path in folder.glob(f"{job.id}*"):
            path.unlink(missing_ok=True)
        db.session.delete(job)
    db.session.commit()
    live = set(
        db.session.scalars(
            sa.select(Job.id).where(Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)))
        )
    )
    parts = 0
    for part in folder.glob("*.part"):
        if part.name[:32] not in live:
            part.unlink(missing_ok=True)
            parts += 1
    click.echo(
        f"Deleted {len(old)} job(s) that ended before {cutoff:%Y-%m-%d} and {parts} partial file(s)."
    )
