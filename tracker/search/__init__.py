"""Search over proposals and what is written about them: a document table kept in step by the
flush, queried with the database's own substring index (SQLite FTS5 trigram, PostgreSQL pg_trgm)."""
