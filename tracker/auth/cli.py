"""flask users ...: manage accounts from the command line."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from tracker.auth.models import Role
from tracker.auth.services import save_user
from tracker.core.errors import DomainError
from tracker.directory.models import Unit
from tracker.extensions import db


@click.group("users", help="Manage user accounts.")
def users_cli() -> None:
    pass


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--unit", "unit_name", help="The unit's name or short name (clerks and viewers).")
@click.option("--password", required=True)
@click.option("--name", "display_name", default="", help="Display name (defaults to username).")
@with_appcontext
def create_user(username: str, role: str, unit_name: str | None, password: str, display_name: str):
    """Create a user account."""
    unit = None
    if unit_name:
        unit = db.session.scalar(
            sa.select(Unit).where(sa.or_(Unit.name == unit_name, Unit.short_name == unit_name))
        )
        if unit is None:
            raise click.ClickException(f"No unit named {unit_name!r}.")
    try:
        user = save_user(
            None,
            None,
            username=username,
            display_name=display_name or username,
            role=Role(role),
            unit=unit,
            password=password,
        )
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Created {user.username} ({user.role.value}).")
