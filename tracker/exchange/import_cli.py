"""flask import assignments FILE: check a committee's assignment list, then import it.

    flask import assignments 交办清单.xlsx [--session 七届二次会议] [--dry-run] [--user NAME]

Every row is checked first; the problems are printed with their row numbers and the command
exits with status 1, importing nothing. Without problems (and without --dry-run) the list is
imported in one transaction, with a progress bar.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from tracker.auth.models import User
from tracker.core.errors import DomainError
from tracker.directory.models import CouncilSession
from tracker.exchange.rows import check_rows
from tracker.exchange.spreadsheet import import_rows
from tracker.exchange.tabular import FileProblem, check_file, kind_of
from tracker.extensions import db
from tracker.jobs.registry import LocalContext


@click.group("import", help="Import lists from files: the committee's assignment list.")
def import_cli() -> None:
    pass


def _session(name: str | None) -> CouncilSession | None:
    if not name:
        return None
    session = db.session.scalar(
        sa.select(CouncilSession).where(
            sa.or_(
                CouncilSession.name == name,
                (CouncilSession.council + CouncilSession.name) == name,
            )
        )
    )
    if session is None:
        raise click.ClickException(f"No session is called {name}.")
    return session


def _user(username: str | None) -> User | None:
    if not username:
        return None
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"No user is called {username}.")
    return user


@import_cli.command("assignments")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--session",
    "session_name",
    default=None,
    help="Import every row into this session (七届二次会议); otherwise each row's 届次.",
)
@click.option("--dry-run", is_flag=True, help="Check every row and report; import nothing.")
@click.option("--user", "username", default=None, help="Record the changes as this user's.")
@with_appcontext
def assignments_command(
    file: Path, session_name: str | None, dry_run: bool, username: str | None
) -> None:
    """Check the assignment list FILE (.xlsx or .csv) and import it, all rows or none."""
    session = _session(session_name)
    user = _user(username)
    session_id = session.id if session else None
    kind = kind_of(file)
    total = new = update = bad = 0
    try:
        check_file(file, kind)
        for batch in check_rows(file, session_id, kind=kind):
            for row in batch:
                total += 1
                if row.problems:
                    bad += 1
                    for problem in row.problems:
                        click.echo(f"row {row.line}: {problem}")
                elif row.updates:
                    update += 1
                else:
                    new += 1
    except FileProblem as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        db.session.rollback()
    click.echo(f"{total} rows: {new} new, {update} to update, {bad} with problems.")
    if bad or not total:
        click.echo("Nothing was imported.", err=True)
        raise SystemExit(1)
    if dry_run:
        return

    with click.progressbar(length=total, label="Importing") as bar:

        def advance(done: int, _total: int | None, _message: str) -> None:
            bar.update(done - bar.pos)

        context = LocalContext(
            params={"path": str(file), "session_id": session_id, "total": total},
            output_dir=Path(tempfile.gettempdir()),
            user_id=user.id if user else None,
            on_progress=advance,
        )
        try:
            summary = import_rows(context)
        except DomainError as exc:
            raise click.ClickException(f"Nothing was imported: {exc}") from None
        db.session.commit()
    click.echo(summary)
