"""Database backups: SQLite's online backup API, or pg_dump / pg_restore for PostgreSQL.

Archival PDFs live in ARCHIVE_DIR and are backed up with the file system (they never change
once written); this module covers the database.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa

from tracker.extensions import db


class BackupError(RuntimeError):
    """The backup or restore could not be made; the message says why."""


def _pg_env(url: sa.engine.URL) -> tuple[list[str], dict[str, str]]:
    args = [
        "-h",
        url.host or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "postgres",
    ]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return args, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: postgresql-client).")
    return path


def create_backup(target: Path) -> Path:
    """Write a consistent copy of the live database to `target` while the app runs."""
    url = db.engine.url
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(target.name + ".part")
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(url.database)
        try:
            dest = sqlite3.connect(temp)
            with dest:
                source.backup(dest)
            dest.close()
        finally:
            source.close()
    elif url.get_backend_name() == "postgresql":
        args, env = _pg_env(url)
        done = subprocess.run(
            [_tool("pg_dump"), *args, "-Fc", "-f", str(temp), url.database],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            temp.unlink(missing_ok=True)
            raise BackupError(done.stderr.strip() or "pg_dump failed")
    else:
        raise BackupError(f"no backup method for {url.get_backend_name()}")
    temp.replace(target)
    return target


def restore_backup(source: Path) -> None:
    """Replace the live database's contents with the backup's (stop the app first)."""
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    url = db.engine.url
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        backup = sqlite3.connect(source)
        try:
            live = sqlite3.connect(url.database)
            with live:
                backup.backup(live)
            live.close()
        finally:
            backup.close()
    elif url.get_backend_name() == "postgresql":
        args, env = _pg_env(url)
        done = subprocess.run(
            [
                _tool("pg_restore"),
                *args,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "-d",
                url.database,
                str(source),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise BackupError(done.stderr.strip() or "pg_restore failed")
    else:
        raise BackupError(f"no restore method for {url.get_backend_name()}")
