"""Reads for the public portal: published replies only, and only their publishable parts.

`published()` is the one definition of what the public may read. Every query here starts
from it, and none selects a proposer's contact details, a contact log, a review comment or
any other internal column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, selectinload

from tracker.directory.models import CouncilSession, Unit
from tracker.documents.text import clean_line
from tracker.extensions import db
from tracker.proposals.models import Assignment, Proposal
from tracker.proposals.workflow import AssignmentStatus
from tracker.replies.letter import letter_content
from tracker.replies.models import Disclosure, LetterKind, Reply, ReplyItem, ReplyStatus

# The assignment states in which its current round's letter has gone out.
SENT = (AssignmentStatus.REPLIED, AssignmentStatus.AWAITING_FEEDBACK, AssignmentStatus.CLOSED)
PUBLISHABLE = (Disclosure.PUBLIC, Disclosure.PARTIAL)
PER_PAGE = 20
QUERY_MAX = 100  # characters of a search term
MAX_ID = 2**31 - 1  # an id past a 32-bit integer cannot exist; look up 0 instead
# Parts of a letter never printed by the portal: who to call, who signed off, who drafted it.
HIDDEN_PARTS = ("contact_person", "contact_phone", "leader_signoff", "handler", "handler_phone")
PARTIAL_NOTE = "本答复部分公开，办理过程不予公开。"


def published() -> sa.ColumnElement[bool]:
    """Signed, sent replies to proposers whose disclosure allows it (needs Assignment joined)."""
    return sa.and_(
        Reply.kind == LetterKind.REPLY,
        Reply.status == ReplyStatus.SIGNED,
        Reply.disclosure.in_(PUBLISHABLE),
        sa.or_(Assignment.status.in_(SENT), Assignment.round > Reply.round),
    )


def _published_rows() -> sa.Select:
    return (
        sa.select(Reply.id)
        .join(Assignment, Reply.assignment_id == Assignment.id)
        .join(Proposal, Assignment.proposal_id == Proposal.id)
        .where(published())
    )


def published_reply(reply_id: int) -> Reply | None:
    """The reply if it is published, else None: one query whichever way it turns out."""
    if not 0 < reply_id <= MAX_ID:
        reply_id = 0
    return db.session.scalar(
        sa.select(Reply)
        .join(Assignment, Reply.assignment_id == Assignment.id)
        .where(Reply.id == reply_id, published())
        .options(
            contains_eager(Reply.assignment).joinedload(Assignment.proposal),
            selectinload(Reply.items),
        )
    )


def public_content(reply: Reply) -> dict[str, Any]:
    """The letter's content as the public may read it (same shape as `letter_content`)."""
    content = letter_content(reply)
    parts = dict(content["parts"])
    for name in HIDDEN_PARTS:
        parts[name] = ""
    parts["disclosure_reason"] = None
    if reply.disclosure is Disclosure.PARTIAL:
        # The account of the handling may name people and internal steps: left out.
        parts["process_account"] = PARTIAL_NOTE
    return {**content, "parts": parts}


@dataclass
class Count:
    """One row of a browse list: what to filter by, what to show, how many replies."""

    key: Any
    label: str
    count: int
    detail: str = ""


def sessions_with_counts() -> list[Count]:
    """Sessions that have published replies, newest first."""
    stmt = (
        _published_rows()
        .with_only_columns(
            CouncilSession.id,
            CouncilSession.council,
            CouncilSession.name,
            sa.func.count(Reply.id),
        )
        .join(CouncilSession, Proposal.session_id == CouncilSession.id)
        .group_by(
            CouncilSession.id, CouncilSession.council, CouncilSession.name, CouncilSession.year
        )
        .order_by(CouncilSession.year.desc(), CouncilSession.id.desc())
    )
    return [Count(sid, f"{council}{name}", n) for sid, council, name, n in db.session.execute(stmt)]


def units_with_counts() -> list[Count]:
    """Handling units that have published replies, by name."""
    stmt = (
        _published_rows()
        .with_only_columns(Unit.id, Unit.name, sa.func.count(Reply.id))
        .join(Unit, Assignment.unit_id == Unit.id)
        .group_by(Unit.id, Unit.name)
        .order_by(Unit.name)
    )
    return [Count(uid, name, n) for uid, name, n in db.session.execute(stmt)]


def categories_with_counts(categories: list[dict]) -> list[Count]:
    """The configured result categories that published replies carry, in their order."""
    stmt = (
        _published_rows()
        .with_only_columns(Reply.category, sa.func.count(Reply.id))
        .where(Reply.category.is_not(None))
        .group_by(Reply.category)
    )
    counts = dict(db.session.execute(stmt).all())
    return [
        Count(c["code"], c["code"], counts[c["code"]], c["definition"])
        for c in categories
        if counts.get(c["code"])
    ]


def _id(value: int | None) -> int | None:
    return value if value is not None and 0 < value <= MAX_ID else None


@dataclass
class PublicFilters:
    session_id: int | None = None
    unit_id: int | None = None
    category: str | None = None
    q: str = ""

    @classmethod
    def from_args(cls, args: Any, categories: list[str]) -> PublicFilters:
        """Read the query string; anything malformed is ignored, never an error."""
        category = args.get("category") or None
        return cls(
            session_id=_id(args.get("session", type=int)),
            unit_id=_id(args.get("unit", type=int)),
            category=category if category in categories else None,
            # Control characters out (PostgreSQL refuses NUL), runs of spaces as one.
            q=" ".join(clean_line(args.get("q")).split())[:QUERY_MAX],
        )

    def as_args(self) -> dict[str, Any]:
        """The filters as query-string arguments (for links that keep them)."""
        args = {
            "session": self.session_id,
            "unit": self.unit_id,
            "category": self.category,
            "q": self.q or None,
        }
        return {k: v for k, v in args.items() if v is not None}


@dataclass
class Row:
    id: int
    number: str
    title: str
    session: str
    unit: str
    category: str | None
    letter_date: date | None


@dataclass
class Page:
    """One page of results, with what the shared pager macro reads."""

    items: list[Row]
    page: int
    per_page: int
    total: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` literally anywhere (escape character: backslash)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_replies(filters: PublicFilters, page: int = 1, per_page: int | None = None) -> Page:
    """Published replies matching the filters: by title, number or a word of an answer."""
    per_page = per_page or PER_PAGE
    stmt = (
        _published_rows()
        .join(CouncilSession, Proposal.session_id == CouncilSession.id)
        .join(Unit, Assignment.unit_id == Unit.id)
    )
    if filters.session_id:
        stmt = stmt.where(Proposal.session_id == filters.session_id)
    if filters.unit_id:
        stmt = stmt.where(Assignment.unit_id == filters.unit_id)
    if filters.category:
        stmt = stmt.where(Reply.category == filters.category)
    if filters.q:
        pattern = like_pattern(filters.q)
        stmt = stmt.where(
            sa.or_(
                Proposal.title.like(pattern, escape="\\"),
                Proposal.number.like(pattern, escape="\\"),
                Reply.title.like(pattern, escape="\\"),
                sa.exists().where(
                    ReplyItem.reply_id == Reply.id, ReplyItem.answer.like(pattern, escape="\\")
                ),
            )
        )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = db.session.execute(
        stmt.with_only_columns(
            Reply.id,
            Proposal.number,
            Proposal.title,
            CouncilSession.name,
            Unit.name,
            Reply.category,
            Reply.letter_date,
        )
        .order_by(CouncilSession.year.desc(), Proposal.number, Reply.round, Reply.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return Page([Row(*row) for row in rows], page, per_page, total)


def letter_facts(reply: Reply) -> dict[str, Any]:
    """What the portal prints beside a letter: number, session, unit (all public)."""
    proposal = reply.assignment.proposal
    return {
        "number": proposal.number,
        "title": proposal.title,
        "session": proposal.session.full_name,
        "unit": reply.assignment.unit.name,
    }
