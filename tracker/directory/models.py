"""Sessions (届次), handling units (承办单位) and proposers (members and bodies)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from tracker.core.models import LabelledEnum, TimestampMixin, enum_type
from tracker.extensions import db


class CouncilSession(TimestampMixin, db.Model):
    """One plenary session of a council, e.g. 市政协七届二次会议 (one a year)."""

    __tablename__ = "council_sessions"
    __table_args__ = (
        sa.UniqueConstraint("council", "term", "meeting"),
        sa.CheckConstraint("term > 0 AND meeting > 0", name="term_meeting_positive"),
        sa.CheckConstraint("year BETWEEN 1949 AND 2200", name="year_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    council: Mapped[str] = mapped_column(sa.String(100))
    term: Mapped[int]
    meeting: Mapped[int]
    year: Mapped[int] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    # Some places give key proposals one fixed reply date (e.g. 30 September).
    key_due_on: Mapped[date | None]
    is_current: Mapped[bool] = mapped_column(default=False)

    @property
    def full_name(self) -> str:
        return f"{self.council}{self.name}"

    def __str__(self) -> str:
        return self.full_name


class Unit(TimestampMixin, db.Model):
    """A handling unit (承办单位) that proposals are assigned to."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    short_name: Mapped[str | None] = mapped_column(sa.String(50))
    # The full name a letter's title uses (深圳市生态环境局); the signature uses `name`.
    letter_name: Mapped[str | None] = mapped_column(sa.String(150))
    is_active: Mapped[bool] = mapped_column(default=True)

    @property
    def title_name(self) -> str:
        return self.letter_name or self.name

    def __str__(self) -> str:
        return self.name


class ProposerKind(LabelledEnum):
    MEMBER = "member"
    BODY = "body"

    @classmethod
    def _labels(cls) -> dict:
        return {cls.MEMBER: _l("Member"), cls.BODY: _l("Body")}


class Proposer(TimestampMixin, db.Model):
    """A council member (委员) or a body (a party, an organisation, a committee)."""

    __tablename__ = "proposers"
    __table_args__ = (sa.UniqueConstraint("kind", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ProposerKind] = mapped_column(enum_type(ProposerKind, "proposer_kind"))
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    # Contact details are internal: never shown on the public portal.
    phone: Mapped[str | None] = mapped_column(sa.String(50))
    email: Mapped[str | None] = mapped_column(sa.String(200))
    address: Mapped[str | None] = mapped_column(sa.String(300))
    sector: Mapped[str | None] = mapped_column(sa.String(100))  # 界别

    @property
    def salutation(self) -> str:
        """How a letter addresses this proposer: 张三委员 / the body's name."""
        return f"{self.name}委员" if self.kind == ProposerKind.MEMBER else self.name

    def __str__(self) -> str:
        return self.name
