"""flask replies pdf / docx: write a case's letter to a file from the command line.

    flask replies pdf  --session 七届五次会议 --number 20250467 [--unit 市生态环境局] -o letter.pdf
    flask replies docx --session 七届五次会议 --number 20250467 [--unit 市生态环境局] -o letter.docx

A signed letter's PDF is its archival copy, checked against its stored SHA-256; an unsigned
letter is rendered from its current draft. `-o -` writes to standard output.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

import click
import sqlalchemy as sa
from flask import current_app, has_request_context
from flask.cli import with_appcontext

from tracker.core.errors import DomainError
from tracker.directory.models import CouncilSession
from tracker.documents.storage import ArchiveError
from tracker.extensions import db
from tracker.proposals.models import Assignment, Proposal
from tracker.replies.models import Reply


@click.group("replies", help="Reply letters: write a case's letter as PDF or DOCX.")
def replies_cli() -> None:
    pass


def _letter_options(func: Callable) -> Callable:
    @click.option(
        "--session",
        "session_name",
        required=True,
        help="The session: its name (七届五次会议) or full name (深圳市政协七届五次会议).",
    )
    @click.option("--number", required=True, help="The proposal number within the session.")
    @click.option(
        "--unit",
        "unit_name",
        default=None,
        help="The handling unit (name or short name); needed when several units have letters.",
    )
    @click.option(
        "-o",
        "--output",
        required=True,
        type=click.Path(dir_okay=False, writable=True, allow_dash=True),
        help="The file to write ('-' for standard output).",
    )
    @with_appcontext
    @wraps(func)
    def wrapper(**kwargs):
        if has_request_context():
            return func(**kwargs)
        with current_app.test_request_context():  # the templates' url_for needs a request
            return func(**kwargs)

    return wrapper


@replies_cli.command("pdf")
@_letter_options
def pdf_command(session_name: str, number: str, unit_name: str | None, output: str) -> None:
    """Write the letter as PDF: a signed letter's archival copy, or the current draft."""
    from tracker.replies.services import archived_pdf, render_letter_pdf

    reply = find_letter(session_name, number, unit_name)
    if reply.is_signed:
        if not reply.pdf_path:
            raise click.ClickException(
                f"{_describe(reply)} was signed without an archival PDF being stored (demo "
                "letters beyond the demo's PDF limit are); no archival copy can be written. "
                "Use 'flask replies docx' for its text."
            )
        try:
            data = archived_pdf(reply)
        except (ArchiveError, DomainError) as exc:
            raise click.ClickException(f"{_describe(reply)}: {exc}") from None
        kind = "archival copy of the signed letter"
    else:
        data = render_letter_pdf(reply)
        kind = f"unsigned {reply.status.value} letter, rendered from its current draft"
    _write(output, data, f"{_describe(reply)} ({kind})")


@replies_cli.command("docx")
@_letter_options
def docx_command(session_name: str, number: str, unit_name: str | None, output: str) -> None:
    """Write the letter as DOCX (Word / WPS), with the same words as its PDF."""
    from tracker.documents.docx import letter_docx
    from tracker.replies.letter import letter_content

    reply = find_letter(session_name, number, unit_name)
    data = letter_docx(letter_content(reply))
    _write(output, data, f"{_describe(reply)} ({reply.status.value})")


def find_letter(session_name: str, number: str, unit_name: str | None) -> Reply:
    """The latest letter of the case's unit, or a ClickException saying what is missing."""
    session = _find_session(session_name.strip())
    number = number.strip()
    proposal = db.session.scalar(
        sa.select(Proposal).where(Proposal.session_id == session.id, Proposal.number == number)
    )
    if proposal is None:
        raise click.ClickException(f"There is no proposal number {number} in {session.full_name}.")
    assignments = list(proposal.assignments)
    if not assignments:
        raise click.ClickException(f"Proposal {number} has not been assigned to any unit.")
    latest = {a.id: _latest_letter(a) for a in assignments}
    if unit_name:
        assignment = _find_assignment(assignments, unit_name.strip(), number)
    else:
        with_letters = [a for a in assignments if latest[a.id] is not None]
        if not with_letters:
            raise click.ClickException(f"No letter has been started for proposal {number}.")
        if len(with_letters) > 1:
            names = "\n".join(f"  {a.unit.name} ({a.role.value})" for a in with_letters)
            raise click.ClickException(
                f"Several units have letters for proposal {number}; choose one with --unit:\n"
                + names
            )
        assignment = with_letters[0]
    reply = latest[assignment.id]
    if reply is None:
        raise click.ClickException(
            f"{assignment.unit.name} has not started a letter for proposal {number}."
        )
    return reply


def _find_session(name: str) -> CouncilSession:
    sessions = db.session.scalars(sa.select(CouncilSession).order_by(CouncilSession.year)).all()
    for session in sessions:
        if name in (session.name, session.full_name):
            return session
    known = ", ".join(s.name for s in sessions[-10:]) or "none"
    raise click.ClickException(f"Unknown session '{name}'. Sessions: {known}.")


def _find_assignment(assignments: list[Assignment], name: str, number: str) -> Assignment:
    for assignment in assignments:
        unit = assignment.unit
        if name in (unit.name, unit.short_name, unit.letter_name):
            return assignment
    names = ", ".join(a.unit.name for a in assignments)
    raise click.ClickException(
        f"Unit '{name}' is not assigned proposal {number}; its units are: {names}."
    )


def _latest_letter(assignment: Assignment) -> Reply | None:
    return db.session.scalar(
        sa.select(Reply)
        .where(Reply.assignment_id == assignment.id)
        .order_by(Reply.round.desc())
        .limit(1)
    )


def _describe(reply: Reply) -> str:
    proposal = reply.assignment.proposal
    return f"{proposal.number} {reply.assignment.unit.name} round {reply.round}"


def _write(output: str, data: bytes, what: str) -> None:
    with click.open_file(output, "wb", atomic=output != "-") as f:
        f.write(data)
    if output != "-":
        click.echo(f"Wrote {output} ({len(data):,} bytes): {what}.", err=True)
