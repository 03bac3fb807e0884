"""Helpers for the exchange and archive tests: an application on a second, empty database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from config import TestingConfig, normalize_database_url
from tests.conftest import PG_URL, _worker
from tracker import create_app
from tracker.extensions import db


@contextmanager
def fresh_app(folder: Path, **config) -> Iterator[Flask]:
    """An application on a new, empty database: a SQLite file in `folder`, or (when
    TRACKER_TEST_DATABASE_URL is set) a temporary PostgreSQL database, dropped afterwards.
    Its archive is `folder`/archive."""
    name = admin = None
    if PG_URL:
        name = f"tracker_exchange_{_worker()}_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(normalize_database_url(PG_URL), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.engine.make_url(normalize_database_url(PG_URL)).set(database=name)
        url = url.render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{folder / 'tracker.sqlite3'}"
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=url,
        ARCHIVE_DIR=str(folder / "archive"),
        **{"DEMO_PDF_LIMIT": 3, **config},
    )
    with app.app_context():
        db.create_all()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
