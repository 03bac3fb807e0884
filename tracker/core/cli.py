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
