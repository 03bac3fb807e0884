"""flask search reindex: rebuild the search documents from the data.

Run it once after the migration that adds search to an existing database, and after any bulk
change made without the ORM (the flush keeps the index in step otherwise).
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from tracker.search.index import rebuild

search_cli = AppGroup("search", help="The search index over proposals, answers and notes.")


@search_cli.command("reindex")
@click.option(
    "--batch-size",
    default=2000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Proposals per transaction.",
)
def reindex_command(batch_size: int) -> None:
    """Rebuild every search document from the data, in batches."""
    written = rebuild(batch_size)
    click.echo(f"{written} search documents written.")
