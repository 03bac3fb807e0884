"""Reply letters (答复函) and co-handling opinions, their items and submitted revisions."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import User
from tracker.core.models import LabelledEnum, TimestampMixin, enum_type, utcnow
from tracker.extensions import db
from tracker.proposals.models import Assignment


class LetterKind(LabelledEnum):
    REPLY = "reply"  # 答复函, to the proposer
    CO_OPINION = "co_opinion"  # 会办意见, to the lead unit

    @classmethod
    def _labels(cls) -> dict:
        return {cls.REPLY: _l("Reply letter"), cls.CO_OPINION: _l("Co-handling opinion")}


class LetterShape(LabelledEnum):
    TABLE = "table"  # the Shenzhen layout: 意见建议 | 办理答复
    PROSE = "prose"  # numbered points, category and disclosure in the header
    CO_OPINION = "co_opinion"

    @classmethod
    def _labels(cls) -> dict:
        return {
            cls.TABLE: _l("Table (suggestion beside answer)"),
            cls.PROSE: _l("Prose with numbered points"),
            cls.CO_OPINION: _l("Co-handling opinion"),
        }


class Disclosure(LabelledEnum):
    PUBLIC = "public"
    NOT_PUBLIC = "not_public"
    PARTIAL = "partial"

    @classmethod
    def _labels(cls) -> dict:
        return {
            cls.PUBLIC: _l("May be published"),
            cls.NOT_PUBLIC: _l("Not to be published"),
            cls.PARTIAL: _l("Published in part or as a summary"),
        }


class ReplyStatus(LabelledEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    RETURNED = "returned"
    SIGNED = "signed"

    @classmethod
    def _labels(cls) -> dict:
        return {
            cls.DRAFT: _l("Draft"),
            cls.IN_REVIEW: _l("In review"),
            cls.RETURNED: _l("Returned for amends"),
            cls.SIGNED: _l("Signed off"),
        }

    @property
    def editable(self) -> bool:
        return self in (ReplyStatus.DRAFT, ReplyStatus.RETURNED)


class Reply(TimestampMixin, db.Model):
    """One letter of one assignment in one handling round; frozen once signed off."""

    __tablename__ = "replies"
    __table_args__ = (
        sa.UniqueConstraint("assignment_id", "round"),
        sa.CheckConstraint(
            "status != 'signed' OR signed_at IS NOT NULL",
            name="signed_has_time",
        ),
        sa.CheckConstraint(
            "disclosure = 'public' OR disclosure_reason IS NOT NULL OR status IN ('draft', 'returned')",
            name="undisclosed_has_reason",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    round: Mapped[int] = mapped_column(default=1)
    previous_id: Mapped[int | None] = mapped_column(sa.ForeignKey("replies.id"))
    kind: Mapped[LetterKind] = mapped_column(enum_type(LetterKind, "letter_kind"))
    shape: Mapped[LetterShape] = mapped_column(enum_type(LetterShape, "letter_shape"))
    status: Mapped[ReplyStatus] = mapped_column(
        enum_type(ReplyStatus, "reply_status"), default=ReplyStatus.DRAFT
    )

    attachment_marker: Mapped[str] = mapped_column(sa.String(50), default="")
    doc_number: Mapped[str] = mapped_column(sa.String(100), default="")  # 文号
    title: Mapped[str] = mapped_column(sa.String(300))
    salutation: Mapped[str] = mapped_column(sa.String(1000))
    opening: Mapped[str] = mapped_column(sa.Text, default="")
    process_account: Mapped[str] = mapped_column(sa.Text, default="")
    disclosure: Mapped[Disclosure] = mapped_column(
        enum_type(Disclosure, "disclosure"), default=Disclosure.PUBLIC
    )
    disclosure_reason: Mapped[str | None] = mapped_column(sa.Text)
    closing: Mapped[str] = mapped_column(sa.String(200), default="")
    signing_unit: Mapped[str] = mapped_column(sa.String(150))
    letter_date: Mapped[date | None]
    category: Mapped[str | None] = mapped_column(sa.String(8))
    contact_person: Mapped[str] = mapped_column(sa.String(100), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(50), default="")
    leader_signoff: Mapped[str] = mapped_column(sa.String(100), default="")  # 领导签批
    handler: Mapped[str] = mapped_column(sa.String(100), default="")  # 承办人
    handler_phone: Mapped[str] = mapped_column(sa.String(50), default="")

    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    signed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    signed_at: Mapped[datetime | None]
    pdf_path: Mapped[str | None] = mapped_column(sa.String(300))
    pdf_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    pdf_size: Mapped[int | None]
    version_id: Mapped[int] = mapped_column(default=1)

    assignment: Mapped[Assignment] = relationship()
    previous: Mapped[Reply | None] = relationship(remote_side="Reply.id")
    items: Mapped[list[ReplyItem]] = relationship(
        back_populates="reply", order_by="ReplyItem.position", cascade="all, delete-orphan"
    )
    revisions: Mapped[list[ReplyRevision]] = relationship(
        back_populates="reply", order_by="ReplyRevision.number", cascade="all, delete-orphan"
    )
    signed_by: Mapped[User | None] = relationship(foreign_keys=[signed_by_id])

    __mapper_args__ = {"version_id_col": version_id}

    @property
    def is_signed(self) -> bool:
        return self.status is ReplyStatus.SIGNED


class ReplyItem(db.Model):
    """One row of the letter: a suggestion (as the letter quotes it) and the answer to it."""

    __tablename__ = "reply_items"
    __table_args__ = (
        sa.UniqueConstraint("reply_id", "position"),
        sa.CheckConstraint("position >= 0", name="position_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reply_id: Mapped[int] = mapped_column(sa.ForeignKey("replies.id", ondelete="CASCADE"))
    position: Mapped[int]
    suggestion: Mapped[str] = mapped_column(sa.Text, default="")
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    # A promise the answer makes (B and C results usually do): what, by when, who.
    promise: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    promise_due_on: Mapped[date | None]
    promise_owner: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    fulfilled_on: Mapped[date | None]
    follow_up: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    reply: Mapped[Reply] = relationship(back_populates="items")

    @property
    def has_open_promise(self) -> bool:
        return bool(self.promise) and self.fulfilled_on is None


class ReviewOutcome(LabelledEnum):
    PENDING = "pending"
    RETURNED = "returned"
    SIGNED = "signed"

    @classmethod
    def _labels(cls) -> dict:
        return {
            cls.PENDING: _l("Waiting for review"),
            cls.RETURNED: _l("Returned for amends"),
            cls.SIGNED: _l("Signed off"),
        }


class ReplyRevision(db.Model):
    """A submitted version of a letter, kept whole, with the reviewer's outcome."""

    __tablename__ = "reply_revisions"
    __table_args__ = (sa.UniqueConstraint("reply_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reply_id: Mapped[int] = mapped_column(sa.ForeignKey("replies.id", ondelete="CASCADE"))
    number: Mapped[int]
    content: Mapped[dict] = mapped_column(sa.JSON)
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[ReviewOutcome] = mapped_column(
        enum_type(ReviewOutcome, "review_outcome"), default=ReviewOutcome.PENDING
    )
    review_comment: Mapped[str | None] = mapped_column(sa.Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]

    reply: Mapped[Reply] = relationship(back_populates="revisions")
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
