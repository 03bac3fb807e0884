"""Reads for search: which proposals match, and the matched passages for highlighting.

The search text is split on spaces into terms; a proposal matches when every term is found
somewhere in its documents (not necessarily the same one). A term is a plain substring: no
operators, and %, _ and \\ mean themselves.

SQLite answers terms of three characters or more from the FTS5 trigram index; shorter terms
(养老) cannot use trigrams and are scanned with LIKE. PostgreSQL uses ILIKE, which the
pg_trgm GIN index serves for terms of three characters or more.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import NamedTuple

import sqlalchemy as sa

from tracker.extensions import db
from tracker.proposals.models import Proposal
from tracker.search.models import SearchDocument, SearchSource
from tracker.search.schema import FTS_TABLE

MAX_TERMS = 8
TRIGRAM = 3  # the shortest term the trigram indexes can look up
CONTEXT_BEFORE = 12  # characters of context shown around a match
CONTEXT_AFTER = 18
ORDER = {source: n for n, source in enumerate(SearchSource)}

_fts = sa.table(FTS_TABLE, sa.column("rowid", sa.Integer), sa.column(FTS_TABLE))


class Snippet(NamedTuple):
    """A matched passage: the text around the match, to be shown with the match marked."""

    source: SearchSource
    before: str
    match: str
    after: str


def search_terms(q: str) -> list[str]:
    """The distinct terms of the search text, in order."""
    return list(dict.fromkeys((q or "").split()))[:MAX_TERMS]


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(term: str, dialect: str) -> sa.ColumnElement[bool]:
    """The document's text contains the term (case-insensitively where case exists)."""
    text = SearchDocument.text
    if dialect != "postgresql":
        return text.like(_like_pattern(term), escape="\\")
    cased = term.lower() != term.upper()
    if len(term) < TRIGRAM:
        # No trigram to look up: strpos, which the index cannot serve, keeps a reused (generic)
        # plan from walking the whole GIN index instead of scanning the table.
        return sa.func.strpos(sa.func.lower(text) if cased else text, term.lower()) > 0
    # ILIKE lower-cases every row it checks (three times LIKE's cost on CJK text); a term
    # without letter case (Chinese, digits) needs only LIKE. pg_trgm's index serves both.
    if cased:
        return text.ilike(_like_pattern(term), escape="\\")
    return text.like(_like_pattern(term), escape="\\")


def _fts_phrase(term: str) -> str:
    # One quoted FTS5 string: the trigram tokenizer matches it as a substring.
    return '"' + term.replace('"', '""') + '"'


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _term_proposal_ids(term: str, dialect: str) -> sa.Select:
    stmt = sa.select(SearchDocument.proposal_id)
    if dialect == "sqlite" and len(term) >= TRIGRAM:
        matching = sa.select(_fts.c.rowid).where(_fts.c[FTS_TABLE].match(_fts_phrase(term)))
        return stmt.where(SearchDocument.id.in_(matching))
    return stmt.where(_contains(term, dialect))


def matching_proposal_ids(q: str) -> sa.Select:
    """The ids of proposals whose documents contain every term of `q` (a subquery to IN)."""
    terms = search_terms(q)
    if not terms:
        return sa.select(Proposal.id)
    dialect = _dialect()
    indexed = [t for t in terms if len(t) >= TRIGRAM]
    selects = [_term_proposal_ids(term, dialect) for term in indexed]
    short = [t for t in terms if len(t) < TRIGRAM]
    if short:
        # Short terms cannot use the index: scan only the documents of proposals found so far.
        narrowed = _intersection(selects) if selects else None
        for term in short:
            stmt = _term_proposal_ids(term, dialect)
            if narrowed is not None:
                stmt = stmt.where(SearchDocument.proposal_id.in_(narrowed))
            selects.append(stmt)
    return _intersection(selects)


def _intersection(selects: list[sa.Select]) -> sa.Select:
    if len(selects) == 1:
        return selects[0]
    return sa.select(sa.intersect(*selects).subquery().c.proposal_id)


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _snippet(source: SearchSource, text: str, found: re.Match) -> Snippet:
    start, end = found.span()
    if source is SearchSource.TITLE:  # shown whole, in place of the plain title
        return Snippet(source, text[:start], found.group(), text[end:])
    before = text[max(0, start - CONTEXT_BEFORE) : start]
    after = text[end : end + CONTEXT_AFTER]
    return Snippet(
        source,
        ("…" if start > CONTEXT_BEFORE else "") + _squeeze(before).lstrip(),
        found.group(),
        _squeeze(after).rstrip() + ("…" if end + CONTEXT_AFTER < len(text) else ""),
    )


def snippets(q: str, proposal_ids: list[int]) -> dict[int, list[Snippet]]:
    """For each proposal, the first match in each source that matched, in source order."""
    terms = search_terms(q)
    if not terms or not proposal_ids:
        return {}
    dialect = _dialect()
    longest_first = sorted(terms, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(t) for t in longest_first), re.IGNORECASE)
    rows = db.session.execute(
        sa.select(SearchDocument.proposal_id, SearchDocument.source, SearchDocument.text)
        .where(
            SearchDocument.proposal_id.in_(proposal_ids),
            sa.or_(*(_contains(t, dialect) for t in terms)),
        )
        .order_by(SearchDocument.proposal_id, SearchDocument.id)
    )
    found: dict[int, dict[SearchSource, Snippet]] = defaultdict(dict)
    for proposal_id, source, text in rows:
        if source in found[proposal_id]:
            continue
        match = pattern.search(text)
        if match:
            found[proposal_id][source] = _snippet(source, text, match)
    return {
        proposal_id: sorted(by_source.values(), key=lambda s: ORDER[s.source])
        for proposal_id, by_source in found.items()
    }
