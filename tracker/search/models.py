"""Search documents: one row per searchable text (a title, a suggestion, an answer …)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from tracker.core.models import LabelledEnum, enum_type
from tracker.extensions import db
from tracker.search.schema import install_ddl


class SearchSource(LabelledEnum):
    """Where a document's text comes from; the order is the order matches are listed in."""

    TITLE = "title"  # proposals.title, source_id = proposal id
    NUMBER = "number"  # proposals.number, source_id = proposal id
    PROPOSER = "proposer"  # the proposer's name, source_id = proposal_proposers.id
    SUGGESTION = "suggestion"  # suggestions.text
    FULL_TEXT = "full_text"  # proposals.full_text, source_id = proposal id
    ANSWER = "answer"  # reply_items.answer, with the assignment
    CONTACT = "contact"  # contact_logs.summary (not withdrawn), with the assignment

    @classmethod
    def _labels(cls) -> dict:
        return {
            cls.TITLE: _l("Title"),
            cls.NUMBER: _l("Number"),
            cls.PROPOSER: _l("Proposer"),
            cls.SUGGESTION: _l("Suggestion"),
            cls.FULL_TEXT: _l("Full text"),
            cls.ANSWER: _l("Reply answer"),
            cls.CONTACT: _l("Contact note"),
        }


class SearchDocument(db.Model):
    """A copy of one searchable text, tied to its proposal (and unit's assignment, if any)."""

    __tablename__ = "search_documents"
    __table_args__ = (sa.UniqueConstraint("source", "source_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[SearchSource] = mapped_column(enum_type(SearchSource, "search_source"))
    source_id: Mapped[int]
    # Answers and contact notes belong to one unit's assignment: kept so rules can narrow later.
    assignment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(sa.Text)


install_ddl(SearchDocument.__table__)
