"""An administrator's corrections to the official calendar."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tracker.core.models import TimestampMixin
from tracker.extensions import db


class CalendarDay(TimestampMixin, db.Model):
    """A day the administrator declares a working day or a day off, overriding the library."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    is_working: Mapped[bool]
    note: Mapped[str] = mapped_column(sa.String(200), default="")
