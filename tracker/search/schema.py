"""The search index's database objects that the metadata cannot describe.

SQLite gets an FTS5 trigram table over search_documents (external content, kept in sync by
triggers); PostgreSQL gets pg_trgm and a GIN trigram index on search_documents.text. The
migration creates the same objects (its own frozen copy of this SQL). Autogenerate and the
migrations test skip them through `include_name`.

A batch migration that rebuilds search_documents on SQLite drops the triggers with the old
table: such a migration must create them again.
"""

from __future__ import annotations

import sqlalchemy as sa

FTS_TABLE = "search_fts"
TRGM_INDEX = "ix_search_documents_text_trgm"

SQLITE_CREATE = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
    "text, content='search_documents', content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER {FTS_TABLE}_ai AFTER INSERT ON search_documents BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.id, new.text); END",
    f"CREATE TRIGGER {FTS_TABLE}_ad AFTER DELETE ON search_documents BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) VALUES ('delete', old.id, old.text); END",
    f"CREATE TRIGGER {FTS_TABLE}_au AFTER UPDATE ON search_documents BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) VALUES ('delete', old.id, old.text); "
    f"INSERT INTO {FTS_TABLE}(rowid, text) VALUES (new.id, new.text); END",
)
SQLITE_DROP = (f"DROP TABLE IF EXISTS {FTS_TABLE}",)

POSTGRESQL_CREATE = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX {TRGM_INDEX} ON search_documents USING gin (text gin_trgm_ops)",
)


def install_ddl(table: sa.Table) -> None:
    """Create the index machinery along with the table when metadata.create_all() runs."""
    for statement in SQLITE_CREATE:
        sa.event.listen(table, "after_create", sa.DDL(statement).execute_if(dialect="sqlite"))
    for statement in SQLITE_DROP:
        sa.event.listen(table, "before_drop", sa.DDL(statement).execute_if(dialect="sqlite"))
    for statement in POSTGRESQL_CREATE:
        sa.event.listen(table, "after_create", sa.DDL(statement).execute_if(dialect="postgresql"))


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Leave the FTS table (and its shadow tables) and the trigram index out of comparisons."""
    if type_ == "table" and name is not None and name.startswith(FTS_TABLE):
        return False
    return not (type_ == "index" and name == TRGM_INDEX)
