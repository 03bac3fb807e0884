"""flask cases export/import (the case exchange format) and flask archive export/verify.

    flask cases export [--session 七届五次会议] [--number 20250467] -o cases.json
    flask cases import cases.json [--update]
    flask archive export --session 七届五次会议 -o 2025-archive.zip
    flask archive verify 2025-archive.zip

An import is all or nothing: a file with any problem is refused whole, every problem listed
with the field it is at, and nothing is saved. `flask archive verify` exits non-zero on any
missing, changed or extra file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from tracker.core.errors import DomainError
from tracker.directory.models import CouncilSession
from tracker.extensions import db


class _Bars:
    """Click progress bars on standard error, one per phase, made when the total is known."""

    LABELS = {"cases": "Importing cases", "pdfs": "Archiving signed letters' PDFs"}

    def __init__(self, label: str | None = None) -> None:
        self.label, self.phase, self.bar, self.shown = label, None, None, 0

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        if phase != self.phase:
            self.close()
            self.phase, self.shown = phase, 0
            self.bar = click.progressbar(
                length=total or 0,
                label=self.label or self.LABELS.get(phase, phase),
                file=sys.stderr,
            )
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None

    def __enter__(self) -> _Bars:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def find_session(name: str) -> CouncilSession:
    """The session named `name` (七届五次会议) or `full_name` (深圳市政协七届五次会议)."""
    name = name.strip()
    sessions = db.session.scalars(sa.select(CouncilSession).order_by(CouncilSession.year)).all()
    for session in sessions:
        if name in (session.name, session.full_name):
            return session
    known = ", ".join(s.name for s in sessions[-10:]) or "none"
    raise click.ClickException(f"Unknown session '{name}'. Sessions: {known}.")


# ---- cases ----


@click.group("cases", help="Whole cases as JSON in the case exchange format (export, import).")
def cases_cli() -> None:
    pass


@cases_cli.command("export")
@click.option("--session", "session_name", help="Only this session (name or full name).")
@click.option("--number", help="Only the case with this proposal number.")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True, allow_dash=True),
    help="The file to write ('-' for standard output).",
)
@with_appcontext
def export_command(session_name: str | None, number: str | None, output: str) -> None:
    """Write cases (all, a session's, or one) as a case exchange document."""
    from tracker.exchange.format import CHUNK, case_query, export_cases, write_document
    from tracker.proposals.models import Proposal

    session = find_session(session_name) if session_name else None
    number = number.strip() if number else None
    stmt = case_query(session_id=session.id if session else None, number=number)
    count_stmt = sa.select(sa.func.count()).select_from(
        stmt.with_only_columns(Proposal.id).order_by(None).subquery()
    )
    total = db.session.scalar(count_stmt)
    if number and not total:
        where = session.full_name if session else "any session"
        raise click.ClickException(f"There is no proposal number {number} in {where}.")
    with (
        click.open_file(output, "w", encoding="utf-8", atomic=output != "-") as out,
        click.progressbar(
            db.session.scalars(stmt.execution_options(yield_per=CHUNK)),
            length=total,
            label="Exporting cases",
            file=sys.stderr,
        ) as proposals,
    ):
        written = write_document(out, export_cases(proposals))
    if output != "-":
        click.echo(f"Wrote {written} cases to {output}.", err=True)


@cases_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option(
    "--update",
    is_flag=True,
    help="Replace cases already in the database (same session and number) instead of refusing.",
)
@with_appcontext
def import_command(file: str, update: bool) -> None:
    """Import a case exchange document (one case or a list): all of it, or nothing."""
    from tracker.exchange.importer import ImportRefused, import_document, read_document

    with click.open_file(file, "rb") as f:
        raw = f.read()
    try:
        doc = read_document(raw)
        with _Bars() as bars:
            result = import_document(
                doc, update=update, source=Path(file).name if file != "-" else "", progress=bars
            )
    except ImportRefused as exc:
        db.session.rollback()
        click.echo(f"Refused {file}: nothing was imported. Problems:", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    click.echo(result.summary())
    users = result.created.get("users")
    if users:
        click.echo(
            "Usernames this database did not know were created as deactivated accounts without "
            f"a password: {', '.join(users)}. An administrator decides whether they may sign in."
        )


# ---- archive bundles ----


@click.group("archive", help="Archive bundles: signed letters' PDFs, cases and a manifest.")
def archive_cli() -> None:
    pass


@archive_cli.command("export")
@click.option("--session", "session_name", required=True, help="The session (name or full name).")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="The zip file to write (FILE.zip).",
)
@with_appcontext
def archive_export_command(session_name: str, output: str) -> None:
    """Write a session's archive bundle: PDFs, cases.json, manifest.csv and manifest.json."""
    from tracker.exchange.archive import export_archive, manifest_digest
    from tracker.jobs.registry import LocalContext

    target = Path(output)
    if target.suffix != ".zip":
        raise click.ClickException("The bundle's file name must end in .zip.")
    session = find_session(session_name)
    with _Bars(label="Adding signed letters") as bars:
        ctx = LocalContext(
            params={"session_id": session.id},
            output_dir=target.parent.resolve(),
            job_id=target.stem,
            on_progress=lambda done, total, _message: bars("letters", done, total),
        )
        try:
            summary = export_archive(ctx)
        except DomainError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            db.session.rollback()  # the export only reads; leave nothing pending
    click.echo(f"Wrote {ctx.outputs[0]}: {summary}")
    click.echo(f"manifest.json sha256 {manifest_digest(ctx.outputs[0])} (keep it to compare).")


@archive_cli.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def archive_verify_command(file: str) -> None:
    """Check every file of a bundle against its manifest; exit 1 on any problem."""
    from tracker.exchange.archive import manifest_digest, verify_bundle

    problems = verify_bundle(file)
    if problems:
        click.echo(f"{file}: {len(problems)} problem(s):", err=True)
        for problem in problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    click.echo(f"{file}: every file matches its manifest checksum.")
    click.echo(f"manifest.json sha256 {manifest_digest(file)}")
