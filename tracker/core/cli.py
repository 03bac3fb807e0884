"""flask setup, flask audit verify."""

from __future__ import annotations

import os
import secrets

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from tracker.core.audit import verify_chain
from tracker.extensions import db


@click.command("setup")
@click.option("--demo/--no-demo", default=False, help="Load the demo data into an empty database.")
@with_appcontext
def setup_command(demo: bool) -> None:
    """Create the first administrator (and the demo data) if the database has none."""
    from tracker.auth.models import Role, User
    from tracker.auth.services import save_user
    from tracker.proposals.models import Proposal

    has_admin = db.session.scalar(sa.select(User.id).where(User.role == Role.ADMIN).limit(1))
    if has_admin is None:
        password = os.environ.get("TRACKER_ADMIN_PASSWORD") or secrets.token_urlsafe(12) + "9a"
        save_user(
            None,
            None,
            username="admin",
            display_name="系统管理员",
            role=Role.ADMIN,
            unit=None,
            password=password,
        )
        db.session.commit()
        if os.environ.get("TRACKER_ADMIN_PASSWORD"):
            click.echo(
                "Created administrator 'admin' with the password from TRACKER_ADMIN_PASSWORD."
            )
        else:
            click.echo("=" * 60)
            click.echo("Created administrator 'admin'. Its password is shown this once:")
            click.echo(f"    {password}")
            click.echo("=" * 60)
    if demo and db.session.scalar(sa.select(Proposal.id).limit(1)) is None:
        from tracker.demo.seed import seed_demo

        summary = seed_demo()
        db.session.commit()
        click.echo(f"Loaded demo data: {summary}")


@click.group("audit", help="Check the audit log.")
def audit_cli() -> None:
    pass


@audit_cli.command("verify")
@with_appcontext
def verify() -> None:
    """Check that no audit entry was changed or removed."""
    report = verify_chain()
    if not report.ok:
        raise click.ClickException(
            f"Audit chain broken at entry {report.broken_at}: {report.reason}"
        )
    click.echo(f"Audit chain intact: {report.checked} entries.")


@click.group("backup", help="Back up and restore the database.")
def backup_cli() -> None:
    pass


@backup_cli.command("create")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False))
@with_appcontext
def backup_create(output: str) -> None:
    """Write a consistent copy of the database (the app may keep running)."""
    from pathlib import Path

    from tracker.core.backup import BackupError, create_backup

    try:
        path = create_backup(Path(output))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backup written to {path} ({path.stat().st_size} bytes).")


@backup_cli.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def backup_restore(source: str, yes: bool) -> None:
    """Replace the database's contents with a backup's (stop the app first)."""
    from pathlib import Path

    from tracker.core.backup import BackupError, restore_backup

    if not yes:
        click.confirm("This replaces everything in the database. Continue?", abort=True)
    try:
        restore_backup(Path(source))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    report = verify_chain()
    click.echo(f"Restored from {source}; audit chain {'intact' if report.ok else 'BROKEN'}.")
