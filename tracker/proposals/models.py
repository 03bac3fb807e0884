"""Proposals, their suggestions and proposers, and their assignments to units."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import User
from tracker.core.models import LabelledEnum, TimestampMixin, enum_type, utcnow
from tracker.directory.models import CouncilSession, Proposer, ProposerKind, Unit
from tracker.extensions import db
from tracker.proposals.workflow import AssignmentStatus


class CaseType(LabelledEnum):
    PROPOSAL = "proposal"  # 政协提案
    SUGGESTION = "suggestion"  # 人大代表建议

    @classmethod
    def _labels(cls) -> dict:
        return {cls.PROPOSAL: _l("CPPCC proposal"), cls.SUGGESTION: _l("NPC suggestion")}

    @property
    def short(self) -> str:
        """The word a letter uses: 提案 or 建议."""
        return "提案" if self is CaseType.PROPOSAL else "建议"


class ProposalKind(LabelledEnum):
    PLENARY = "plenary"  # 大会提案
    REGULAR = "regular"  # 平时提案

    @classmethod
    def _labels(cls) -> dict:
        return {cls.PLENARY: _l("Plenary"), cls.REGULAR: _l("Between sessions")}


class AssignmentRole(LabelledEnum):
    LEAD = "lead"  # 主办
    CO = "co"  # 会办 / 协办
    SPLIT = "split"  # 分办
    SOLE = "sole"  # 独办 / 承办

    @classmethod
    def _labels(cls) -> dict:
        return {
            cls.LEAD: _l("Lead"),
            cls.CO: _l("Co-handling"),
            cls.SPLIT: _l("Split"),
            cls.SOLE: _l("Sole"),
        }

    @property
    def replies_to_proposer(self) -> bool:
        """Lead, split and sole units write a reply; co-handlers write an opinion."""
        return self is not AssignmentRole.CO


class Proposal(TimestampMixin, db.Model):
    """A proposal (提案) or an NPC suggestion (建议) as received from the council."""

    __tablename__ = "proposals"
    __table_args__ = (sa.UniqueConstraint("session_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("council_sessions.id"), index=True)
    case_type: Mapped[CaseType] = mapped_column(
        enum_type(CaseType, "case_type"), default=CaseType.PROPOSAL
    )
    number: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(300))
    kind: Mapped[ProposalKind] = mapped_column(
        enum_type(ProposalKind, "proposal_kind"), default=ProposalKind.PLENARY
    )
    is_key: Mapped[bool] = mapped_column(default=False, index=True)
    full_text: Mapped[str] = mapped_column(sa.Text, default="")
    submitted_on: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version_id: Mapped[int] = mapped_column(default=1)

    session: Mapped[CouncilSession] = relationship(lazy="joined", innerjoin=True)
    proposer_links: Mapped[list[ProposalProposer]] = relationship(
        back_populates="proposal",
        order_by="ProposalProposer.position",
        cascade="all, delete-orphan",
    )
    suggestions: Mapped[list[Suggestion]] = relationship(
        back_populates="proposal", order_by="Suggestion.position", cascade="all, delete-orphan"
    )
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="proposal", order_by="Assignment.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version_id}

    @property
    def proposers(self) -> list[Proposer]:
        return [link.proposer for link in self.proposer_links]

    @property
    def first_proposer(self) -> Proposer | None:
        return self.proposer_links[0].proposer if self.proposer_links else None

    @property
    def is_collective(self) -> bool:
        first = self.first_proposer
        return first is not None and first.kind == ProposerKind.BODY

    @property
    def proposer_names(self) -> str:
        return "、".join(p.name for p in self.proposers)

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class ProposalProposer(db.Model):
    """A proposer's place on a proposal: position 0 is the first proposer."""

    __tablename__ = "proposal_proposers"
    __table_args__ = (
        sa.UniqueConstraint("proposal_id", "position"),
        sa.UniqueConstraint("proposal_id", "proposer_id"),
        sa.CheckConstraint("position >= 0", name="position_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"))
    proposer_id: Mapped[int] = mapped_column(sa.ForeignKey("proposers.id"), index=True)
    position: Mapped[int]

    proposal: Mapped[Proposal] = relationship(back_populates="proposer_links")
    proposer: Mapped[Proposer] = relationship(lazy="joined", innerjoin=True)


class Suggestion(db.Model):
    """One of a proposal's ordered suggestions (建议一, 建议二 …)."""

    __tablename__ = "suggestions"
    __table_args__ = (
        sa.UniqueConstraint("proposal_id", "position"),
        sa.CheckConstraint("position >= 0", name="position_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"))
    position: Mapped[int]
    text: Mapped[str] = mapped_column(sa.Text)

    proposal: Mapped[Proposal] = relationship(back_populates="suggestions")


class Assignment(TimestampMixin, db.Model):
    """A proposal handed to one unit in one role, with its deadlines and state."""

    __tablename__ = "assignments"
    __table_args__ = (
        sa.UniqueConstraint("proposal_id", "unit_id"),
        sa.CheckConstraint("due_on >= assigned_on", name="due_after_assigned"),
        sa.Index("ix_assignments_unit_status", "unit_id", "status"),
        sa.Index("ix_assignments_status_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    role: Mapped[AssignmentRole] = mapped_column(enum_type(AssignmentRole, "assignment_role"))
    status: Mapped[AssignmentStatus] = mapped_column(
        enum_type(AssignmentStatus, "assignment_status"), default=AssignmentStatus.ASSIGNED
    )
    assigned_on: Mapped[date]
    due_on: Mapped[date]
    return_due_on: Mapped[date]  # last day to ask for return / reassignment
    received_on: Mapped[date | None]
    closed_on: Mapped[date | None]
    # The first reply's sending date and the deadline in force that day (on-time statistics).
    replied_on: Mapped[date | None]
    replied_due_on: Mapped[date | None]
    round: Mapped[int] = mapped_column(default=1)  # 2 once re-handling starts
    version_id: Mapped[int] = mapped_column(default=1)

    proposal: Mapped[Proposal] = relationship(back_populates="assignments")
    unit: Mapped[Unit] = relationship(lazy="joined", innerjoin=True)
    return_requests: Mapped[list[ReturnRequest]] = relationship(
        back_populates="assignment", order_by="ReturnRequest.id", cascade="all, delete-orphan"
    )
    extensions: Mapped[list[Extension]] = relationship(
        back_populates="assignment", order_by="Extension.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version_id}

    @property
    def is_open(self) -> bool:
        return self.status.is_open


class RequestStatus(LabelledEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"

    @classmethod
    def _labels(cls) -> dict:
        return {
            cls.PENDING: _l("Pending"),
            cls.APPROVED: _l("Approved"),
            cls.REJECTED: _l("Rejected"),
        }


class ReturnRequest(db.Model):
    """A unit's request to return or reassign a case (申请退回/调整), with its reason."""

    __tablename__ = "return_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(sa.Text)
    suggested_unit: Mapped[str | None] = mapped_column(sa.String(100))
    status: Mapped[RequestStatus] = mapped_column(
        enum_type(RequestStatus, "return_request_status"), default=RequestStatus.PENDING
    )
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(sa.Text)

    assignment: Mapped[Assignment] = relationship(back_populates="return_requests")
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class Extension(db.Model):
    """An extension of a reply deadline (延期): reason, approver, new due date."""

    __tablename__ = "extensions"
    __table_args__ = (sa.CheckConstraint("requested_due_on > old_due_on", name="later_than_old"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(sa.Text)
    old_due_on: Mapped[date]
    requested_due_on: Mapped[date]
    granted_due_on: Mapped[date | None]
    approver: Mapped[str | None] = mapped_column(sa.String(200))  # the approving body
    status: Mapped[RequestStatus] = mapped_column(
        enum_type(RequestStatus, "extension_status"), default=RequestStatus.PENDING
    )
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(sa.Text)

    assignment: Mapped[Assignment] = relationship(back_populates="extensions")
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
