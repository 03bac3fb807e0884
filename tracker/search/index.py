"""Keep search_documents in step with the texts it copies, inside the flush that changes them.

Mapper events (after insert, update, delete) rather than a before/after_flush scan: they also
fire for rows the unit of work deletes as orphans (a suggestion dropped from its proposal's
list), and they hand over the flush's own connection, so the documents change in the same
transaction. Each document is rebuilt by the same INSERT … SELECT that `rebuild` runs, so the
flush and a full reindex cannot disagree.

Bulk statements (session.execute(update(...)), core inserts) bypass these events: after one,
run `flask search reindex`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from tracker.contacts.models import ContactLog
from tracker.directory.models import Proposer
from tracker.extensions import db
from tracker.proposals.models import Assignment, Proposal, ProposalProposer, Suggestion
from tracker.replies.models import Reply, ReplyItem
from tracker.search.models import SearchDocument, SearchSource
from tracker.search.schema import FTS_TABLE

S = SearchSource
DOCUMENTS = SearchDocument.__table__
COLUMNS = ["proposal_id", "source", "source_id", "assignment_id", "text"]
NO_ASSIGNMENT = sa.cast(sa.null(), sa.Integer)


@dataclass(frozen=True)
class Source:
    """How one source's documents are selected from the data."""

    rows: sa.Select  # proposal_id, source, source_id, assignment_id, text
    proposal_id: Any  # the column to select a range of proposals by
    source_id: Any  # the column to select single documents by


def _rows(proposal_id, source: SearchSource, source_id, assignment_id, text) -> sa.Select:
    return sa.select(
        proposal_id, sa.literal(source.value, sa.String(32)), source_id, assignment_id, text
    ).where(text != "")


@cache
def sources() -> dict[SearchSource, Source]:
    """Every source's document query (built on first use, not at import)."""
    p, sg, link, item, log = Proposal, Suggestion, ProposalProposer, ReplyItem, ContactLog
    return {
        S.TITLE: Source(_rows(p.id, S.TITLE, p.id, NO_ASSIGNMENT, p.title), p.id, p.id),
        S.NUMBER: Source(_rows(p.id, S.NUMBER, p.id, NO_ASSIGNMENT, p.number), p.id, p.id),
        S.FULL_TEXT: Source(_rows(p.id, S.FULL_TEXT, p.id, NO_ASSIGNMENT, p.full_text), p.id, p.id),
        S.SUGGESTION: Source(
            _rows(sg.proposal_id, S.SUGGESTION, sg.id, NO_ASSIGNMENT, sg.text),
            sg.proposal_id,
            sg.id,
        ),
        S.PROPOSER: Source(
            _rows(link.proposal_id, S.PROPOSER, link.id, NO_ASSIGNMENT, Proposer.name)
            .select_from(link)
            .join(Proposer, link.proposer_id == Proposer.id),
            link.proposal_id,
            link.id,
        ),
        S.ANSWER: Source(
            _rows(Assignment.proposal_id, S.ANSWER, item.id, Assignment.id, item.answer)
            .select_from(item)
            .join(Reply, item.reply_id == Reply.id)
            .join(Assignment, Reply.assignment_id == Assignment.id),
            Assignment.proposal_id,
            item.id,
        ),
        S.CONTACT: Source(
            _rows(Assignment.proposal_id, S.CONTACT, log.id, Assignment.id, log.summary)
            .select_from(log)
            .join(Assignment, log.assignment_id == Assignment.id)
            .where(log.withdrawn_at.is_(None)),
            Assignment.proposal_id,
            log.id,
        ),
    }


def _forget(conn: sa.Connection, source: SearchSource, source_ids: Any) -> None:
    conn.execute(
        sa.delete(DOCUMENTS).where(
            DOCUMENTS.c.source == source, DOCUMENTS.c.source_id.in_(source_ids)
        )
    )


def _refresh(conn: sa.Connection, source: SearchSource, source_ids: Any) -> None:
    """Replace the documents of these source rows with what the data says now."""
    _forget(conn, source, source_ids)
    spec = sources()[source]
    conn.execute(
        sa.insert(DOCUMENTS).from_select(COLUMNS, spec.rows.where(spec.source_id.in_(source_ids)))
    )


# ---------- the flush listeners ----------

# model -> {attribute: the sources a change to it affects}
WATCHED: dict[type, dict[str, tuple[SearchSource, ...]]] = {
    Proposal: {"title": (S.TITLE,), "number": (S.NUMBER,), "full_text": (S.FULL_TEXT,)},
    Suggestion: {"text": (S.SUGGESTION,), "proposal_id": (S.SUGGESTION,)},
    ProposalProposer: {"proposer_id": (S.PROPOSER,), "proposal_id": (S.PROPOSER,)},
    ReplyItem: {"answer": (S.ANSWER,), "reply_id": (S.ANSWER,)},
    ContactLog: {
        "summary": (S.CONTACT,),
        "withdrawn_at": (S.CONTACT,),
        "assignment_id": (S.CONTACT,),
    },
}


def _all_sources(model: type) -> set[SearchSource]:
    return {s for group in WATCHED[model].values() for s in group}


def _changed_sources(model: type, target: Any) -> set[SearchSource]:
    attrs = sa.inspect(target).attrs
    return {
        source
        for name, group in WATCHED[model].items()
        if attrs[name].history.has_changes()
        for source in group
    }


def _listen(model: type) -> None:
    def after_insert(_mapper, conn, target) -> None:
        for source in _all_sources(model):
            _refresh(conn, source, [target.id])

    def after_update(_mapper, conn, target) -> None:
        for source in _changed_sources(model, target):
            _refresh(conn, source, [target.id])

    def after_delete(_mapper, conn, target) -> None:
        for source in _all_sources(model):
            _forget(conn, source, [target.id])

    event.listen(model, "after_insert", after_insert, propagate=True)
    event.listen(model, "after_update", after_update, propagate=True)
    event.listen(model, "after_delete", after_delete, propagate=True)


for _model in WATCHED:
    _listen(_model)


@event.listens_for(Proposal, "after_delete", propagate=True)
def _proposal_deleted(_mapper, conn, target) -> None:
    # The foreign key cascades too; this covers a database that does not enforce it.
    conn.execute(sa.delete(DOCUMENTS).where(DOCUMENTS.c.proposal_id == target.id))


@event.listens_for(Proposer, "after_update", propagate=True)
def _proposer_renamed(_mapper, conn, target) -> None:
    if sa.inspect(target).attrs.name.history.has_changes():
        links = sa.select(ProposalProposer.id).where(ProposalProposer.proposer_id == target.id)
        _refresh(conn, S.PROPOSER, links)


# ---------- rebuilding ----------


def _proposal_id_batches(batch_size: int) -> Iterable[tuple[int, int]]:
    last = 0
    while True:
        ids = db.session.scalars(
            sa.select(Proposal.id).where(Proposal.id > last).order_by(Proposal.id).limit(batch_size)
        ).all()
        if not ids:
            return
        yield ids[0], ids[-1]
        last = ids[-1]


def rebuild(batch_size: int = 2000) -> int:
    """Rebuild every document from the data, a range of proposals per transaction.

    The database copies the rows (INSERT … SELECT), so memory stays flat however large the
    data; each range is swapped in one commit, so searching keeps working meanwhile.
    Returns the number of documents written.
    """
    written = 0
    for low, high in _proposal_id_batches(batch_size):
        conn = db.session.connection()
        conn.execute(sa.delete(DOCUMENTS).where(DOCUMENTS.c.proposal_id.between(low, high)))
        for spec in sources().values():
            result = conn.execute(
                sa.insert(DOCUMENTS).from_select(
                    COLUMNS, spec.rows.where(spec.proposal_id.between(low, high))
                ),
                execution_options={"preserve_rowcount": True},
            )
            written += max(result.rowcount, 0)
        db.session.commit()
    conn = db.session.connection()
    if conn.dialect.name == "sqlite":
        # Rebuild the FTS index from its content table too, in case it ever drifted.
        conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
    db.session.commit()
    return written
