"""Database connection behaviour: SQLite pragmas and write transactions that queue.

SQLite runs in WAL mode with a busy timeout and foreign keys on. A request that may write
(any method but GET/HEAD/OPTIONS, and every CLI command) opens its transaction with
BEGIN IMMEDIATE, so concurrent writers wait their turn instead of failing halfway.
"""

from __future__ import annotations

import os
import sqlite3

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BUSY_TIMEOUT_MS = int(os.environ.get("TRACKER_SQLITE_BUSY_TIMEOUT_MS", "10000"))


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_conn, _record) -> None:
    if not isinstance(dbapi_conn, sqlite3.Connection):
        return
    dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, below
    cursor = dbapi_conn.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    if conn.dialect.name != "sqlite":
        return
    reading = has_request_context() and request.method in READ_METHODS
    conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


@event.listens_for(Engine, "connect")
def _postgresql_no_jit(dbapi_conn, _record) -> None:
    # PostgreSQL's JIT compiles the list queries on every request (~400 ms measured in
    # bench/search_bench.py) and never pays back on pages that read 25 rows.
    if type(dbapi_conn).__module__.startswith("psycopg"):
        with dbapi_conn.cursor() as cursor:
            cursor.execute("SET jit = off")
        dbapi_conn.commit()
