"""Writes for sessions, units and proposers: validate, change, audit, flush."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from tracker.core.audit import diff, record, snapshot
from tracker.core.errors import DomainError
from tracker.directory.models import CouncilSession, Proposer, ProposerKind, Unit
from tracker.extensions import db

SESSION_FIELDS = ("council", "term", "meeting", "year", "name", "key_due_on", "is_current")
UNIT_FIELDS = ("name", "short_name", "is_active")

CHINESE_NUMERALS = "〇一二三四五六七八九十"


def chinese_ordinal(n: int) -> str:
    """1 -> 一, 12 -> 十二, 21 -> 二十一 (enough for terms and meetings)."""
    if n <= 10:
        return CHINESE_NUMERALS[n]
    tens, ones = divmod(n, 10)
    head = ("" if tens == 1 else CHINESE_NUMERALS[tens]) + "十"
    return head + (CHINESE_NUMERALS[ones] if ones else "")


def session_name(term: int, meeting: int) -> str:
    """七届二次会议 from term 7, meeting 2."""
    return f"{chinese_ordinal(term)}届{chinese_ordinal(meeting)}次会议"


def save_session(
    actor: Any,
    session: CouncilSession | None,
    *,
    council: str,
    term: int,
    meeting: int,
    year: int,
    name: str | None = None,
    key_due_on: date | None = None,
    is_current: bool = False,
) -> CouncilSession:
    """Create (session=None) or update a session."""
    council = council.strip()
    if not council:
        raise DomainError(_l("Enter the council's name."), field="council")
    if not (1 <= term <= 99 and 1 <= meeting <= 99):
        raise DomainError(_l("Term and meeting must be between 1 and 99."), field="term")
    if not 1949 <= year <= 2200:
        raise DomainError(_l("The year must be between 1949 and 2200."), field="year")
    name = (name or "").strip() or session_name(term, meeting)
    clash = db.session.scalar(
        sa.select(CouncilSession).where(
            sa.or_(
                CouncilSession.name == name,
                sa.and_(
                    CouncilSession.council == council,
                    CouncilSession.term == term,
                    CouncilSession.meeting == meeting,
                ),
            )
        )
    )
    if clash is not None and clash is not session:
        raise DomainError(_l("This session already exists."), field="name")
    before = snapshot(session, SESSION_FIELDS) if session else {}
    created = session is None
    if created:
        session = CouncilSession()
        db.session.add(session)
    session.council, session.term, session.meeting = council, term, meeting
    session.year, session.name, session.key_due_on = year, name, key_due_on
    if is_current:
        db.session.execute(sa.update(CouncilSession).values(is_current=False))
    session.is_current = is_current
    db.session.flush()
    changes = diff(before, snapshot(session, SESSION_FIELDS))
    record(actor, "session.created" if created else "session.updated", session, changes=changes)
    return session


def save_unit(
    actor: Any, unit: Unit | None, *, name: str, short_name: str | None, is_active: bool = True
) -> Unit:
    """Create (unit=None) or update a handling unit."""
    name = name.strip()
    if not name:
        raise DomainError(_l("Enter the unit's name."), field="name")
    clash = db.session.scalar(sa.select(Unit).where(Unit.name == name))
    if clash is not None and clash is not unit:
        raise DomainError(_l("A unit with this name already exists."), field="name")
    before = snapshot(unit, UNIT_FIELDS) if unit else {}
    created = unit is None
    if created:
        unit = Unit()
        db.session.add(unit)
    unit.name, unit.short_name, unit.is_active = name, (short_name or "").strip() or None, is_active
    db.session.flush()
    record(
        actor,
        "unit.created" if created else "unit.updated",
        unit,
        changes=diff(before, snapshot(unit, UNIT_FIELDS)),
    )
    return unit


def find_or_create_proposer(name: str, kind: ProposerKind) -> Proposer:
    """Return the proposer of that kind and name, creating it the first time it is seen."""
    name = " ".join(name.split())
    proposer = db.session.scalar(
        sa.select(Proposer).where(Proposer.kind == kind, Proposer.name == name)
    )
    if proposer is None:
        proposer = Proposer(kind=kind, name=name)
        db.session.add(proposer)
        db.session.flush()
    return proposer
