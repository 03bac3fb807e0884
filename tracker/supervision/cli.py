"""flask reminders run: the daily reminder job (cron or a systemd timer)."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext

from tracker.extensions import db
from tracker.supervision.services import run_reminders


@click.group("reminders", help="Reminders (催办) on due and overdue cases and promises.")
def reminders_cli() -> None:
    pass


@reminders_cli.command("run")
@click.option(
    "--date", "on_date", type=click.DateTime(formats=["%Y-%m-%d"]), help="Run as of this day."
)
@with_appcontext
def run(on_date) -> None:
    """Record today's reminders, notify the users, send email where SMTP is set up."""
    today = on_date.date() if on_date else date.today()
    report = run_reminders(today)
    db.session.commit()
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(report.by_kind.items())) or "none"
    click.echo(
        f"{today.isoformat()}: {report.reminders} reminders ({kinds}), "
        f"{report.notifications} notifications, {report.emails} emails, "
        f"{report.skipped} already sent today."
    )
