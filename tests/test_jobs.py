"""Background jobs: in-process (no Redis), and RQ with the real Redis when it is reachable."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import gettext
from werkzeug.security import generate_password_hash

from config import TestingConfig
from tests.conftest import PASSWORD, _empty_tables, login, make_unit
from tracker import create_app
from tracker.auth.models import Role, User
from tracker.core.errors import DomainError
from tracker.core.models import utcnow
from tracker.extensions import db
from tracker.jobs import runner, services
from tracker.jobs.cli import jobs_cli, make_worker
from tracker.jobs.models import Job, JobStatus
from tracker.jobs.registry import job_handler
from tracker.jobs.views import bp

REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TEST_PID = os.getpid()
RQ_MAINTENANCE_LOCK = "rq:clean_groups"  # a worker's short-lived lock, deleted if we made it


# ---- handlers only these tests use ----

_flaky_calls: dict[str, int] = {}


@job_handler("test_flaky")
def _flaky(ctx):
    """Fails with an internal error on its first run, succeeds on the next."""
    _flaky_calls[ctx.job_id] = _flaky_calls.get(ctx.job_id, 0) + 1
    ctx.progress(1, 2, "half way")
    if _flaky_calls[ctx.job_id] == 1:
        raise RuntimeError("secret internal detail /etc/tracker")
    ctx.progress(2, 2, "all done")
    return "fine the second time"


@job_handler("test_after_output")
def _after_output(ctx):
    """Completes an output, then fails: the finished file must not survive."""
    with ctx.output(".txt") as path:
        path.write_text("looks complete")
    raise ValueError("broke after the output")


@job_handler("test_reading")
def _reading(ctx):
    """Reads the database at every step (on SQLite, progress must still get through)."""
    n = int(ctx.params.get("n", 10))
    for i in range(1, n + 1):
        db.session.scalar(sa.select(sa.func.count(User.id)))
        time.sleep(float(ctx.params.get("delay", 0.05)))
        ctx.progress(i, n, f"read {i}")
    return "read"


@job_handler("test_killed")
def _killed(ctx):
    """Writes half its output, then its process is killed (only ever in a forked work horse)."""
    if os.getpid() == TEST_PID:
        raise RuntimeError("test_killed must run in a forked RQ work horse")
    with ctx.output(".txt") as path:
        path.write_text("half of it")
        ctx.progress(1, 2, "half")
        os.kill(os.getpid(), signal.SIGKILL)


# ---- fixtures ----


@pytest.fixture(scope="module")
def _jobs_app(database_url, tmp_path_factory):
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        JOBS_DIR=str(tmp_path_factory.mktemp("jobs")),
        ARCHIVE_DIR=str(tmp_path_factory.mktemp("archive")),
        REDIS_URL=None,
    )
    if "jobs" not in app.blueprints:
        app.register_blueprint(bp)
    if "jobs" not in app.cli.commands:
        app.cli.add_command(jobs_cli)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


def _wait_for_threads() -> None:
    for thread in threading.enumerate():
        if thread.name.startswith("job-"):
            thread.join(timeout=10)


@pytest.fixture
def japp(_jobs_app, tmp_path):
    """The app with the jobs blueprint, an empty database and a jobs folder of this test's own."""
    _jobs_app.config.update(JOBS_DIR=str(tmp_path / "jobs"), REDIS_URL=None, JOBS_QUEUE=None)
    with _jobs_app.app_context():
        _empty_tables()
    yield _jobs_app
    _wait_for_threads()
    with _jobs_app.app_context():
        db.session.remove()


# A cheap hash of the tests' password: three scrypt hashes a test would double the module's time.
FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def _user(role: str, username: str) -> User:
    unit = make_unit() if Role(role).unit_scoped else None
    user = User(
        username=username,
        display_name=username,
        role=Role(role),
        unit=unit,
        password_hash=FAST_HASH,
    )
    db.session.add(user)
    db.session.flush()
    return user


@pytest.fixture
def users(japp):
    with japp.app_context():
        made = {
            "clerk": _user("clerk", "job_clerk"),
            "other": _user("clerk", "job_other"),
            "supervisor": _user("supervisor", "job_super"),
        }
        db.session.commit()
        return {name: user.id for name, user in made.items()}


def submit(app, kind: str, params: dict, user_id: int | None) -> str:
    with app.test_request_context():
        user = db.session.get(User, user_id) if user_id else None
        return services.submit(kind, params, user).id


def fetch(app, job_id: str) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        return job


def wait_for(app, job_id: str, timeout: float = 30) -> Job:
    deadline = time.monotonic() + timeout
    while True:
        job = fetch(app, job_id)
        if job.status.finished:
            _wait_for_threads()
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job still {job.status} after {timeout} s: {job.message}")
        time.sleep(0.05)


def text(app, message) -> str:
    """A (lazy) message as the runner stores it: in the default language."""
    with app.app_context():
        return str(message)


def files_of(app, job_id: str) -> list[str]:
    return sorted(p.name for p in Path(app.config["JOBS_DIR"]).glob(f"{job_id}*"))


# ---- in-process mode ----


def test_selftest_runs_in_process_and_its_output_downloads(japp, users):
    client = japp.test_client()
    login(client, "job_clerk")
    job_id = submit(japp, "selftest", {"n": 7}, users["clerk"])

    job = wait_for(japp, job_id)
    assert job.status is JobStatus.DONE, job.error
    assert (job.progress_done, job.progress_total) == (7, 7)
    assert job.attempts == 1 and job.started_at and job.finished_at
    assert job.result_path == f"{job_id}.txt"
    assert files_of(japp, job_id) == [f"{job_id}.txt"]

    response = client.get(f"/jobs/{job_id}/download")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert b"counted to 7" in response.data

    page = client.get(f"/jobs/{job_id}")
    assert page.status_code == 200
    assert b"<progress" in page.data and b"js/job.js" in page.data
    assert f"/jobs/{job_id}/download".encode() in page.data
    assert b"<script>" not in page.data  # the CSP forbids inline scripts

    data = client.get(f"/jobs/{job_id}.json").get_json()
    assert data["status"] == "done" and data["finished"] is True
    assert (data["done"], data["total"], data["percent"]) == (7, 7, 100)
    assert data["download_url"] == f"/jobs/{job_id}/download"


def test_progress_shows_while_the_job_runs(japp, users):
    """The handler reads the database at every step; its progress still reaches the page."""
    client = japp.test_client()
    login(client, "job_clerk")
    job_id = submit(japp, "test_reading", {"n": 20, "delay": 0.05}, users["clerk"])
    seen = set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        data = client.get(f"/jobs/{job_id}.json").get_json()
        if data["status"] == "running":
            seen.add(data["done"])
        if data["finished"]:
            break
        time.sleep(0.05)
    assert data["status"] == "done", data["error"]
    assert any(0 < done < 20 for done in seen), seen
    assert fetch(japp, job_id).progress_done == 20


def test_progress_writes_are_throttled(japp, users, monkeypatch):
    writes = []
    real = runner._update_running
    monkeypatch.setattr(runner, "_update_running", lambda *a: writes.append(a[2]) or real(*a))
    job_id = submit(japp, "selftest", {"n": 5000}, users["clerk"])
    job = wait_for(japp, job_id)
    assert job.status is JobStatus.DONE and job.progress_done == 5000
    assert len([w for w in writes if "progress_done" in w]) < 10


def test_a_failed_job_says_why_and_can_be_retried(japp, users):
    client = japp.test_client()
    login(client, "job_clerk")
    job_id = submit(japp, "test_flaky", {"x": 1}, users["clerk"])
    job = wait_for(japp, job_id)
    assert job.status is JobStatus.FAILED
    assert job.error == text(japp, runner.GENERIC_ERROR)
    assert "secret" not in job.error  # an unexpected error's detail goes to the log only
    assert job.progress_done == 1 and job.finished_at

    page = client.get(f"/jobs/{job_id}")
    assert b"/retry" in page.data
    assert client.get(f"/jobs/{job_id}/download").status_code == 404

    response = client.post(f"/jobs/{job_id}/retry")
    assert response.status_code == 302
    job = wait_for(japp, job_id)
    assert job.status is JobStatus.DONE and job.error is None
    assert job.attempts == 2 and job.params == {"x": 1}
    assert job.summary == "fine the second time"
    assert (job.progress_done, job.progress_total) == (2, 2)

    assert client.post(f"/jobs/{job_id}/retry").status_code == 302  # refused: it is done
    assert fetch(japp, job_id).attempts == 2


def test_a_domain_error_is_shown_as_it_is_and_its_output_vanishes(japp, users):
    job_id = submit(japp, "selftest", {"n": 3, "fail": True}, users["clerk"])
    job = wait_for(japp, job_id)
    assert job.status is JobStatus.FAILED
    with japp.app_context():
        assert job.error == gettext("The self-test failed, as it was asked to.")
    assert job.result_path is None
    assert all(name.endswith(".part") for name in files_of(japp, job_id))
    assert not (Path(japp.config["JOBS_DIR"]) / f"{job_id}.txt").exists()


def test_an_error_after_the_output_was_finished_removes_it(japp, users):
    job_id = submit(japp, "test_after_output", {}, users["clerk"])
    job = wait_for(japp, job_id)
    assert job.status is JobStatus.FAILED and job.result_path is None
    assert files_of(japp, job_id) == []


def test_a_stalled_job_can_be_retried(japp, users):
    """A job whose process died (no heartbeat for long) offers a retry, which runs it."""
    with japp.app_context():
        long_ago = utcnow() - timedelta(hours=1)
        job = Job(
            kind="selftest",
            params={"n": 2},
            status=JobStatus.RUNNING,
            created_by_id=users["clerk"],
            created_at=long_ago,
            started_at=long_ago,
            heartbeat_at=long_ago,
        )
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    Path(japp.config["JOBS_DIR"]).mkdir(parents=True, exist_ok=True)
    (Path(japp.config["JOBS_DIR"]) / f"{job_id}.txt.part").write_text("half")
    client = japp.test_client()
    login(client, "job_clerk")
    data = client.get(f"/jobs/{job_id}.json").get_json()
    assert data["stale"] is True and data["status"] == "running"
    assert b"/retry" in client.get(f"/jobs/{job_id}").data

    client.post(f"/jobs/{job_id}/retry")
    job = wait_for(japp, job_id)
    assert job.status is JobStatus.DONE and job.attempts == 2
    assert files_of(japp, job_id) == [f"{job_id}.txt"]


def test_a_superseded_attempt_keeps_nothing(japp, users):
    """Work finished by an attempt that was retried meanwhile is thrown away."""
    with japp.app_context():
        job = Job(kind="selftest", params={"n": 1}, status=JobStatus.QUEUED)
        db.session.add(job)
        db.session.commit()
        job_id = job.id

    real_claim = runner._claim

    def claim_then_supersede(job_id):
        claimed = real_claim(job_id)
        with db.engine.begin() as conn:
            conn.execute(sa.update(Job).where(Job.id == job_id).values(attempts=Job.attempts + 1))
        return claimed

    runner._claim = claim_then_supersede
    try:
        with japp.app_context():
            runner.run_job(job_id)
    finally:
        runner._claim = real_claim
    job = fetch(japp, job_id)
    assert job.status is JobStatus.RUNNING and job.result_path is None
    assert files_of(japp, job_id) == []


def test_jobs_are_hidden_from_other_users(japp, users):
    job_id = submit(japp, "selftest", {"n": 1}, users["clerk"])
    assert wait_for(japp, job_id).status is JobStatus.DONE

    other = japp.test_client()
    login(other, "job_other")
    for url in (f"/jobs/{job_id}", f"/jobs/{job_id}.json", f"/jobs/{job_id}/download"):
        assert other.get(url).status_code == 404, url
    assert other.post(f"/jobs/{job_id}/retry").status_code == 404
    missing = uuid.uuid4().hex
    assert other.get(f"/jobs/{missing}").status_code == 404
    assert other.get("/jobs/../etc").status_code == 404
    assert other.get("/jobs/ZZZ.json").status_code == 404

    supervisor = japp.test_client()
    login(supervisor, "job_super")
    assert supervisor.get(f"/jobs/{job_id}").status_code == 200
    assert supervisor.get(f"/jobs/{job_id}/download").status_code == 200

    anonymous = japp.test_client()
    assert anonymous.get(f"/jobs/{job_id}.json").status_code == 302  # to the login page


def test_only_registered_kinds_are_submitted(japp, users):
    with japp.test_request_context(), pytest.raises(DomainError):
        services.submit("no_such_kind", {}, None)
    with japp.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0


def test_cli_runs_a_job_with_a_progress_bar_and_lists_it(japp):
    cli = japp.test_cli_runner()
    result = cli.invoke(args=["jobs", "run", "selftest", "--param", "n=5"])
    assert result.exit_code == 0, result.output
    assert "Done: " in result.output and "Output: " in result.output

    result = cli.invoke(args=["jobs", "run", "selftest", "--param", "n=2", "--param", "fail=true"])
    assert result.exit_code == 1
    assert "failed" in result.output

    failed_id = result.output.split()[1]
    result = cli.invoke(args=["jobs", "retry", failed_id])
    assert result.exit_code == 1 and "attempt 2" in result.output  # same params: fails again

    result = cli.invoke(args=["jobs", "list"])
    assert result.exit_code == 0
    assert result.output.count("selftest") == 2 and "done" in result.output
    assert "failed" in result.output

    result = cli.invoke(args=["jobs", "run", "no_such_kind"])
    assert result.exit_code != 0 and "selftest" in result.output

    result = cli.invoke(args=["jobs", "run", "selftest", "--param", "n"])
    assert result.exit_code != 0


def test_the_worker_needs_redis(japp):
    result = japp.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code != 0
    assert "TRACKER_REDIS_URL is not set" in result.output


def test_an_unreachable_redis_fails_the_job_visibly(japp, users):
    japp.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    job_id = submit(japp, "selftest", {"n": 1}, users["clerk"])
    job = fetch(japp, job_id)
    assert job.status is JobStatus.FAILED
    with japp.app_context():
        assert job.error == gettext(
            "The job queue (Redis) could not be reached; nothing was run. Retry later."
        )
    assert job.can_be_retried


# ---- RQ mode, with the real Redis ----


@pytest.fixture
def rq_app(japp):
    """The app in RQ mode on a queue of this test's own; its Redis keys are deleted after."""
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({exc}); RQ mode not tested")
    token = uuid.uuid4().hex
    japp.config.update(REDIS_URL=REDIS_URL, JOBS_QUEUE=f"tracker-test-{token}")
    japp.extensions["test_redis"] = (connection, token, [])
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    had_lock = connection.exists(RQ_MAINTENANCE_LOCK)
    try:
        yield japp
    finally:
        for sig, handler in handlers.items():  # RQ's worker installs its own
            signal.signal(sig, handler)
        job_ids = japp.extensions.pop("test_redis")[2]
        for pattern in [f"*{token}*", *(f"*{job_id}*" for job_id in job_ids)]:
            for key in connection.scan_iter(match=pattern, count=1000):
                connection.delete(key)
        for registry in ("rq:queues", "rq:workers"):  # shared sets: only our members
            mine = [m for m in connection.smembers(registry) if token.encode() in m]
            if mine:
                connection.srem(registry, *mine)
        if not had_lock:
            connection.delete(RQ_MAINTENANCE_LOCK)
        connection.close()


def _rq_submit(app, kind, params, user_id):
    job_id = submit(app, kind, params, user_id)
    app.extensions["test_redis"][2].append(job_id)
    return job_id


def _work(app, simple: bool = True) -> None:
    connection, token, _ids = app.extensions["test_redis"]
    with app.app_context():
        db.engine.dispose()  # a forked work horse must not share pooled connections
        worker = make_worker(connection, simple=simple, name=f"tracker-test-{token}")
        worker.work(burst=True, logging_level="WARNING")


def test_rq_worker_runs_the_job(rq_app, users):
    job_id = _rq_submit(rq_app, "selftest", {"n": 6}, users["clerk"])
    time.sleep(0.2)
    assert fetch(rq_app, job_id).status is JobStatus.QUEUED  # no thread ran it here

    _work(rq_app)
    job = fetch(rq_app, job_id)
    assert job.status is JobStatus.DONE, job.error
    assert (job.progress_done, job.progress_total) == (6, 6)
    assert files_of(rq_app, job_id) == [f"{job_id}.txt"]
    client = rq_app.test_client()
    login(client, "job_clerk")
    assert b"counted to 6" in client.get(f"/jobs/{job_id}/download").data


def test_rq_failure_and_retry(rq_app, users):
    job_id = _rq_submit(rq_app, "test_flaky", {}, users["clerk"])
    _work(rq_app)
    job = fetch(rq_app, job_id)
    assert job.status is JobStatus.FAILED and job.error == text(rq_app, runner.GENERIC_ERROR)

    with rq_app.test_request_context():
        services.retry(db.session.get(Job, job_id), None)
    assert fetch(rq_app, job_id).status is JobStatus.QUEUED
    _work(rq_app)
    job = fetch(rq_app, job_id)
    assert job.status is JobStatus.DONE and job.attempts == 2


def test_rq_killed_work_horse_leaves_only_a_part_file(rq_app, users):
    """A work horse killed mid-write: the job fails (retryable) and no complete-looking file."""
    job_id = _rq_submit(rq_app, "test_killed", {}, users["clerk"])
    _work(rq_app, simple=False)  # the forking worker: the horse dies, the test process lives
    job = fetch(rq_app, job_id)
    assert job.status is JobStatus.FAILED
    assert job.error == text(rq_app, runner.STOPPED_MESSAGE)
    assert files_of(rq_app, job_id) == [f"{job_id}.txt.part"]
    assert job.can_be_retried


def test_stalled_jobs_are_failed_and_old_ones_pruned(japp):
    folder = Path(japp.config["JOBS_DIR"])
    folder.mkdir(parents=True)
    long_ago = utcnow() - timedelta(days=40)
    with japp.app_context():
        stalled = Job(kind="selftest", status=JobStatus.RUNNING, created_at=long_ago)
        stalled.heartbeat_at = utcnow() - timedelta(hours=1)
        old = Job(kind="selftest", status=JobStatus.DONE, result_path="x.txt")
        old.created_at = old.finished_at = long_ago
        db.session.add_all([stalled, old])
        db.session.commit()
        stalled_id, old_id = stalled.id, old.id
    (folder / f"{stalled_id}.zip.part").write_text("half")
    (folder / f"{old_id}.txt").write_text("old")

    result = japp.test_cli_runner().invoke(args=["jobs", "prune", "--days", "30"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 job(s)" in result.output
    job = fetch(japp, stalled_id)
    assert job.status is JobStatus.FAILED and job.error == text(japp, runner.STOPPED_MESSAGE)
    assert list(folder.iterdir()) == []
    with japp.app_context():
        assert db.session.get(Job, old_id) is None
