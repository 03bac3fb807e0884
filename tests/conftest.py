"""Test fixtures: a real database per worker (SQLite file, or PostgreSQL when
TRACKER_TEST_DATABASE_URL names one), emptied before every test, and factories."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa

from config import TestingConfig, normalize_database_url
from tracker import create_app
from tracker.extensions import db
from tracker.models import (
    Assignment,
    AssignmentRole,
    CouncilSession,
    Proposal,
    Role,
    Unit,
    User,
)

PASSWORD = "correct-horse-9"
PG_URL = os.environ.get("TRACKER_TEST_DATABASE_URL", "")


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """A database of this worker's own, dropped at the end."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'tracker.sqlite3'}"
        return
    name = f"tracker_test_{_worker()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(normalize_database_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(normalize_database_url(PG_URL)).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        for engine in list(_engines):
            engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


_engines: list[sa.Engine] = []


@pytest.fixture(scope="session")
def _app(database_url, tmp_path_factory):
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        ARCHIVE_DIR=str(tmp_path_factory.mktemp("archive")),
        DEMO_PDF_LIMIT=5,
    )
    with app.app_context():
        db.create_all()
        _engines.append(db.engine)
    return app


def _empty_tables() -> None:
    # DELETE beats TRUNCATE on tables this small (TRUNCATE costs ~0.2 s a test on PostgreSQL).
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app(_app):
    """The application with an empty database; no app context pushed (requests get their own)."""
    with _app.app_context():
        _empty_tables()
    yield _app
    with _app.app_context():
        db.session.remove()


@pytest.fixture
def ctx(app):
    """An app context for service-level tests."""
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


# ---- factories: they work in the current app context and flush, the caller commits ----

_counter = iter(range(1, 10**9))


def make_unit(name: str | None = None, short_name: str | None = None) -> Unit:
    n = next(_counter)
    unit = Unit(name=name or f"测试单位{n}", short_name=short_name)
    db.session.add(unit)
    db.session.flush()
    return unit


def make_session(name: str | None = None, year: int = 2025, **kw) -> CouncilSession:
    n = next(_counter)
    session = CouncilSession(
        council=kw.pop("council", "测试市政协"),
        term=kw.pop("term", 7),
        meeting=kw.pop("meeting", n),
        year=year,
        name=name or f"七届{n}次会议",
        **kw,
    )
    db.session.add(session)
    db.session.flush()
    return session


def make_user(
    role: Role | str = Role.CLERK, unit: Unit | None = None, username: str | None = None
) -> User:
    role = Role(role)
    n = next(_counter)
    if role.unit_scoped and unit is None:
        unit = make_unit()
    user = User(
        username=username or f"user{n}",
        display_name=f"用户{n}",
        role=role,
        unit=unit,
        unit_id=unit.id if unit else None,
    )
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.flush()
    return user


def make_proposal(
    session: CouncilSession | None = None,
    units: list[tuple[Unit, AssignmentRole]] | None = None,
    assigned_on: date = date(2025, 3, 10),
    **kw,
) -> Proposal:
    from tracker.proposals.services import ProposalData, assign_unit, save_proposal

    session = session or make_session()
    n = next(_counter)
    data = ProposalData(
        session_id=session.id,
        number=kw.pop("number", f"2025{n:04d}"),
        title=kw.pop("title", f"关于测试事项{n}的提案"),
        proposers=kw.pop("proposers", ["张测试"]),
        suggestions=kw.pop("suggestions", ["建议甲", "建议乙"]),
        **kw,
    )
    proposal = save_proposal(None, None, data)
    for unit, role in units or []:
        assign_unit(None, proposal, unit, role, assigned_on, today=max(assigned_on, date.today()))
    return proposal


def set_status(assignment: Assignment, status) -> None:
    """Put an assignment straight into a state (for tests that start mid-workflow)."""
    assignment.status = status
    db.session.flush()


def login(client, username: str, password: str = PASSWORD):
    return client.post("/login", data={"username": username, "password": password})
