"""Contact logs (沟通记录) with proposers, and proposers' feedback (委员反馈)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import User
from tracker.core.models import LabelledEnum, TimestampMixin, enum_type
from tracker.directory.models import Proposer
from tracker.extensions import db
from tracker.proposals.models import Assignment


class ContactWay(LabelledEnum):
    PHONE = "phone"
    VISIT = "visit"
    MEETING = "meeting"
    FORUM = "forum"
    EMAIL = "email"
    MESSAGE = "message"
    OTHER = "other"

    @classmethod
    def _labels(cls) -> dict:
        return {
            cls.PHONE: _l("Phone call"),
            cls.VISIT: _l("Visit"),
            cls.MEETING: _l("Meeting"),
            cls.FORUM: _l("Forum or on-site inspection"),
            cls.EMAIL: _l("Email or letter"),
            cls.MESSAGE: _l("Text message or chat"),
            cls.OTHER: _l("Other"),
        }

    @property
    def phrase(self) -> str:
        """How the handling account words it: 电话沟通, 登门走访 …"""
        return {
            ContactWay.PHONE: "电话沟通",
            ContactWay.VISIT: "登门走访",
            ContactWay.MEETING: "座谈交流",
            ContactWay.FORUM: "实地调研、座谈",
            ContactWay.EMAIL: "函件沟通",
            ContactWay.MESSAGE: "短信、微信沟通",
            ContactWay.OTHER: "沟通",
        }[self]


class ContactStage(LabelledEnum):
    BEFORE = "before"
    DURING = "during"
    AFTER = "after"

    @classmethod
    def _labels(cls) -> dict:
        return {
            cls.BEFORE: _l("Before handling (办前)"),
            cls.DURING: _l("During handling (办中)"),
            cls.AFTER: _l("After handling (办后)"),
        }

    @property
    def phrase(self) -> str:
        return {"before": "办理前", "during": "办理中", "after": "答复后"}[self.value]


class Attitude(LabelledEnum):
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    UNDERSTANDING = "understanding"
    DISSATISFIED = "dissatisfied"
    NO_VIEW = "no_view"

    @classmethod
    def _labels(cls) -> dict:
        return {
            cls.SATISFIED: _l("Satisfied, approves"),
            cls.BASICALLY_SATISFIED: _l("Basically satisfied"),
            cls.UNDERSTANDING: _l("Understands"),
            cls.DISSATISFIED: _l("Dissatisfied"),
            cls.NO_VIEW: _l("Gave no view"),
        }

    @property
    def phrase(self) -> str:
        return {
            "satisfied": "委员对办理工作表示认可",
            "basically_satisfied": "委员对办理工作表示基本认可",
            "understanding": "委员表示理解",
            "dissatisfied": "委员对办理工作尚有不同意见",
            "no_view": "",
        }[self.value]


class ContactLog(TimestampMixin, db.Model):
    """One contact with the proposer(s) about a case, logged by the handling unit."""

    __tablename__ = "contact_logs"
    __table_args__ = (sa.Index("ix_contact_logs_assignment_time", "assignment_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignments.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime]
    way: Mapped[ContactWay] = mapped_column(enum_type(ContactWay, "contact_way"))
    stage: Mapped[ContactStage] = mapped_column(enum_type(ContactStage, "contact_stage"))
    our_people: Mapped[str] = mapped_column(sa.String(500))  # 我方参加人员
    their_people: Mapped[str] = mapped_column(sa.String(500))  # 委员方（提案人）
    summary: Mapped[str] = mapped_column(sa.Text)
    attitude: Mapped[Attitude] = mapped_column(enum_type(Attitude, "attitude"))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Entries are never deleted: withdrawing one keeps it, struck through, with the reason.
    withdrawn_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(sa.Text)
    version_id: Mapped[int] = mapped_column(default=1)

    assignment: Mapped[Assignment] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])

    __mapper_args__ = {"version_id_col": version_id}

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class Rating(LabelledEnum):
    SATISFIED = "satisfied"  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    DISSATISFIED = "dissatisfied"  # 不满意

    @classmethod
    def _labels(cls) -> dict:
        return {
            cls.SATISFIED: _l("Satisfied (满意)"),
            cls.BASICALLY_SATISFIED: _l("Basically satisfied (基本满意)"),
            cls.DISSATISFIED: _l("Dissatisfied (不满意)"),
        }


class FeedbackChannel(LabelledEnum):
    PAPER = "paper"
    ONLINE = "online"

    @classmethod
    def _labels(cls) -> dict:
        return {cls.PAPER: _l("Paper form, entered by staff"), cls.ONLINE: _l("Online")}


class Feedback(TimestampMixin, db.Model):
    """One proposer's rating of one handling round of an assignment."""

    __tablename__ = "feedback"
    __table_args__ = (sa.UniqueConstraint("assignment_id", "round", "proposer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    round: Mapped[int]
    proposer_id: Mapped[int] = mapped_column(sa.ForeignKey("proposers.id"))
    rating: Mapped[Rating] = mapped_column(enum_type(Rating, "rating"))
    received_on: Mapped[date]
    channel: Mapped[FeedbackChannel] = mapped_column(enum_type(FeedbackChannel, "feedback_channel"))
    comments: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    assignment: Mapped[Assignment] = relationship()
    proposer: Mapped[Proposer] = relationship(lazy="joined")
