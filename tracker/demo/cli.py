"""flask demo seed: load the demo data set."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from tracker.core.errors import DomainError
from tracker.extensions import db


@click.group("demo", help="Demo data to try the tracker with.")
def demo_cli() -> None:
    pass


@demo_cli.command("seed")
@click.option(
    "--proposals",
    default=60,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="How many proposals to create.",
)
@click.option(
    "--seed",
    "seed_value",
    default=2025,
    show_default=True,
    type=int,
    help="Random seed: the same seed gives the same data (on the same day).",
)
@click.option("--force", is_flag=True, help="Add the demo data even if proposals already exist.")
@with_appcontext
def seed_command(proposals: int, seed_value: int, force: bool) -> None:
    """Create demo sessions, units, users (password in tracker.demo.seed) and proposals."""
    from tracker.demo.seed import DEMO_PASSWORD, seed_demo
    from tracker.proposals.models import Proposal

    if not force and db.session.scalar(sa.select(Proposal.id).limit(1)) is not None:
        raise click.ClickException(
            "The database already has proposals; the demo data is meant for an empty database. "
            "Run again with --force to add it anyway."
        )
    with click.progressbar(length=proposals, label="Creating proposals") as bar:
        shown = 0

        def progress(done: int, _total: int) -> None:
            nonlocal shown
            bar.update(done - shown)
            shown = done

        try:
            summary = seed_demo(proposals=proposals, seed=seed_value, progress=progress)
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(f"Could not create the demo data: {exc}") from None
    db.session.commit()
    click.echo(f"Loaded demo data: {summary}.")
    click.echo(
        f"Demo users (supervisor, clerk_fgw, viewer_jyj, ...) use the password {DEMO_PASSWORD}."
    )
