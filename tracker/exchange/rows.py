"""The assignment list's rows, read and checked in batches against the directory and the cases.

Each batch is parsed, looked up against the cases already registered (one query per batch and
session), and handed over; before the next batch is read, the previous batch's objects leave
the session, so a list of any length is checked (or imported) in flat memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache, partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from tracker.core.audit import AuditEvent
from tracker.core.errors import DomainError
from tracker.directory.models import CouncilSession, Proposer, Unit
from tracker.exchange import columns as C
from tracker.exchange.tabular import FileProblem, kind_of, open_rows
from tracker.extensions import db
from tracker.proposals.models import (
    Assignment,
    AssignmentRole,
    CaseType,
    Proposal,
    ProposalKind,
    ProposalProposer,
    Suggestion,
)
from tracker.proposals.services import NUMBER_RE, TITLE_MAX, ProposalData, _check_role_mix
from tracker.proposals.workflow import AssignmentStatus

BATCH = 500
SPACE = re.compile(r"\s")
ROLE_ORDER = (AssignmentRole.LEAD, AssignmentRole.SOLE, AssignmentRole.SPLIT, AssignmentRole.CO)
# What a batch leaves in the session: these go once it is flushed (units and sessions stay).
RELEASED = (Proposal, ProposalProposer, Suggestion, Assignment, Proposer, AuditEvent)


@dataclass(slots=True)
class Problem:
    column: str
    message: Any  # a lazy string, shown in the reader's language

    def __str__(self) -> str:
        return f"{self.column}: {self.message}" if self.column else str(self.message)


@dataclass(slots=True)
class CheckedRow:
    """One row as read and checked; `problems` empty means it can be imported."""

    line: int
    number: str = ""
    title: str = ""
    proposers: list[str] = field(default_factory=list)
    collective: bool = False
    kind: ProposalKind | None = None
    case_type: CaseType | None = None
    is_key: bool | None = None
    full_text: str = ""
    suggestions: list[str] = field(default_factory=list)
    session: CouncilSession | None = None
    assigned_on: date | None = None
    units: list[tuple[AssignmentRole, Unit]] = field(default_factory=list)
    unit_text: list[tuple[AssignmentRole, str]] = field(default_factory=list)
    to_add: list[tuple[AssignmentRole, Unit]] = field(default_factory=list)
    existing: Proposal | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def updates(self) -> bool:
        return self.existing is not None

    def data(self) -> ProposalData:
        """The proposal as the row gives it; blank optional cells keep what a case already has."""
        old = self.existing
        return ProposalData(
            session_id=self.session.id,
            number=self.number,
            title=self.title,
            case_type=self.case_type or (old.case_type if old else CaseType.PROPOSAL),
            kind=self.kind or (old.kind if old else ProposalKind.PLENARY),
            is_key=self.is_key if self.is_key is not None else bool(old and old.is_key),
            full_text=self.full_text or (old.full_text if old else ""),
            submitted_on=old.submitted_on if old else None,
            proposers=self.proposers,
            collective=self.collective,
            suggestions=self.suggestions or ([s.text for s in old.suggestions] if old else []),
        )


@cache
def _role_problem(roles: tuple[AssignmentRole, ...], role: AssignmentRole) -> Any:
    """The assignment service's rule on mixing roles, asked of a case holding `roles`."""
    case = SimpleNamespace(assignments=[SimpleNamespace(role=r, status=None) for r in roles])
    try:
        _check_role_mix(case, role)
    except DomainError as exc:
        return exc.message
    return None


class RowChecker:
    """Checks rows against the directory and the cases already registered."""

    def __init__(self, layout: C.Layout, session_id: int | None, today: date) -> None:
        self.layout = layout
        self.today = today
        self.chosen = db.session.get(CouncilSession, session_id) if session_id else None
        if session_id and self.chosen is None:
            raise FileProblem(_l("The chosen session does not exist."))
        self.sessions: dict[str, CouncilSession] = {}
        for s in db.session.scalars(sa.select(CouncilSession)):
            for name in (s.name, s.full_name, s.name.removesuffix("会议")):
                self.sessions[C.normal_header(name)] = s
        self.units: dict[str, Unit] = {}
        self.short: dict[str, list[Unit]] = {}
        for unit in db.session.scalars(sa.select(Unit)):
            self.units[unit.name] = unit
            if unit.short_name:
                self.short.setdefault(unit.short_name, []).append(unit)
        self.seen: dict[tuple[int | None, str], int] = {}

    def parse(self, line: int, cells: tuple[Any, ...]) -> CheckedRow:
        """Read one row and check everything that does not need the registered cases."""
        values = self.layout.values(cells)
        row = CheckedRow(line=line)
        problem = partial(self._problem, row)
        self._session(row, values.get("session"), problem)
        self._number(row, values.get("number"), problem)
        row.title = " ".join(C.cell_text(values.get("title")).split())
        if not row.title:
            problem("title", _l("Enter the proposal's title (案由)."))
        elif len(row.title) > TITLE_MAX:
            problem("title", _l("The title is longer than %(n)d characters.", n=TITLE_MAX))
        self._proposers(row, values, problem)
        for key, parse, attr in (
            ("kind", C.parse_kind, "kind"),
            ("case_type", C.parse_case_type, "case_type"),
            ("is_key", C.parse_flag, "is_key"),
        ):
            try:
                setattr(row, attr, parse(values.get(key)))
            except ValueError as exc:
                problem(key, _l("“%(value)s” is not one of the accepted values.", value=str(exc)))
        row.full_text = C.cell_lines(values.get("full_text"))
        row.suggestions = [s for s in C.cell_lines(values.get("suggestions")).split("\n") if s]
        self._units(row, values, problem)
        try:
            row.assigned_on = C.parse_date(values.get("assigned_on"))
        except ValueError as exc:
            problem(
                "assigned_on",
                _l("“%(value)s” is not a date; write it as 2025-03-10.", value=str(exc)),
            )
        else:
            if row.assigned_on and row.assigned_on > self.today:
                problem("assigned_on", _l("The assignment date cannot be in the future."))
        return row

    def _problem(self, row: CheckedRow, key: str, message: Any) -> None:
        row.problems.append(Problem(self.layout.label(key), message))

    def _session(self, row: CheckedRow, value: Any, problem) -> None:
        text = C.cell_text(value)
        named = self.sessions.get(C.normal_header(text)) if text else None
        if self.chosen is not None:
            row.session = self.chosen
            if text and named is not self.chosen:
                problem(
                    "session",
                    _l(
                        "The row says “%(value)s”, but %(chosen)s was chosen for the whole file.",
                        value=text,
                        chosen=self.chosen.name,
                    ),
                )
        elif not text:
            problem("session", _l("Enter the session (届次)."))
        elif named is None:
            problem("session", _l("Unknown session “%(value)s”.", value=text))
        else:
            row.session = named

    def _number(self, row: CheckedRow, value: Any, problem) -> None:
        row.number = C.cell_text(value)
        if not row.number:
            problem("number", _l("Enter the proposal number."))
        elif SPACE.search(row.number):
            problem("number", _l("A proposal number cannot contain spaces."))
        elif not NUMBER_RE.match(row.number):
            problem(
                "number",
                _l("A proposal number has up to 40 letters, digits and - _ / ( ) marks."),
            )
        else:
            key = (row.session.id if row.session else None, row.number)
            first = self.seen.setdefault(key, row.line)
            if first != row.line:
                problem(
                    "number",
                    _l("Number %(number)s is also on row %(row)d.", number=row.number, row=first),
                )

    def _proposers(self, row: CheckedRow, values: dict[str, Any], problem) -> None:
        try:
            declared = C.parse_proposer_type(values.get("proposer_type"))
        except ValueError as exc:
            problem(
                "proposer_type",
                _l("“%(value)s” is not 个人, 联名 or 集体.", value=str(exc)),
            )
            declared = None
        row.proposers, row.collective = C.split_proposers(
            C.cell_text(values.get("proposers")), declared
        )
        if not row.proposers:
            problem("proposers", _l("Enter at least one proposer."))
        elif row.collective and len(row.proposers) > 1:
            problem("proposers", _l("A collective proposal has one proposer: the body."))
        elif declared == C.INDIVIDUAL and len(row.proposers) > 1:
            problem("proposers", _l("An individual proposal has one proposer."))
        elif len(set(row.proposers)) != len(row.proposers):
            problem("proposers", _l("A proposer is listed twice."))
        elif any(len(p) > 200 for p in row.proposers):
            problem("proposers", _l("A proposer's name is too long."))

    def _unit(self, name: str) -> tuple[Unit | None, Any]:
        unit = self.units.get(name)
        if unit is None:
            same = self.short.get(name, [])
            if len(same) > 1:
                return None, _l(
                    "“%(name)s” is the short name of several units; write the full name.",
                    name=name,
                )
            unit = same[0] if same else None
        if unit is None:
            return None, _l("Unknown unit “%(name)s”.", name=name)
        if not unit.is_active:
            return None, _l("The unit “%(name)s” is no longer active.", name=name)
        return unit, None

    def _units(self, row: CheckedRow, values: dict[str, Any], problem) -> None:
        listed: set[int] = set()
        for role in ROLE_ORDER:
            key = C.ROLE_COLUMNS[role]
            text = C.cell_text(values.get(key))
            for name in C.split_list(text) if text else ():
                row.unit_text.append((role, name))
                unit, message = self._unit(name)
                if message:
                    problem(key, message)
                elif unit.id in listed:
                    problem(key, _l("The unit “%(name)s” is listed twice.", name=name))
                else:
                    listed.add(unit.id)
                    row.units.append((role, unit))

    def attach(self, rows: list[CheckedRow]) -> None:
        """Find the cases the rows update, and check the units against the units they have."""
        wanted: dict[int, list[str]] = {}
        for row in rows:
            if row.session is not None and row.number:
                wanted.setdefault(row.session.id, []).append(row.number)
        found: dict[tuple[int, str], Proposal] = {}
        for session_id, numbers in wanted.items():
            # Most rows of a first import are new: ask for ids first, load cases only if any.
            ids = db.session.scalars(
                sa.select(Proposal.id).where(
                    Proposal.session_id == session_id, Proposal.number.in_(numbers)
                )
            ).all()
            if not ids:
                continue
            stmt = (
                sa.select(Proposal)
                .where(Proposal.id.in_(ids))
                .options(
                    selectinload(Proposal.assignments),
                    selectinload(Proposal.proposer_links),
                    selectinload(Proposal.suggestions),
                )
            )
            for proposal in db.session.scalars(stmt):
                found[(session_id, proposal.number)] = proposal
        for row in rows:
            if row.session is not None:
                row.existing = found.get((row.session.id, row.number))
            self._check_roles(row)

    def _check_roles(self, row: CheckedRow) -> None:
        current = row.existing.assignments if row.existing else []
        have = {a.unit_id: a for a in current}
        roles = [a.role for a in current if a.status != AssignmentStatus.WITHDRAWN]
        for role, unit in row.units:
            key = C.ROLE_COLUMNS[role]
            if unit.id in have:
                if have[unit.id].role != role:
                    row.problems.append(
                        Problem(
                            self.layout.label(key),
                            _l(
                                "%(unit)s is already on this case as %(role)s; change it on "
                                "the case page.",
                                unit=unit.name,
                                role=have[unit.id].role.label,
                            ),
                        )
                    )
                continue
            message = _role_problem(tuple(roles), role)
            if message:
                row.problems.append(Problem(self.layout.label(key), message))
                continue
            roles.append(role)
            row.to_add.append((role, unit))
        dated = any(p.column == self.layout.label("assigned_on") for p in row.problems)
        if row.to_add and row.assigned_on is None and not dated:
            row.problems.append(
                Problem(self.layout.label("assigned_on"), _l("Enter the assignment date."))
            )


def _release() -> None:
    """Let a flushed batch's objects go, so the session does not grow with the file."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, RELEASED) and obj in db.session:  # expunging cascades
            db.session.expunge(obj)


def check_rows(
    path: Path, session_id: int | None, *, kind: str | None = None, today: date | None = None
) -> Iterator[list[CheckedRow]]:
    """Yield the file's rows, checked, in batches; raise FileProblem if the file is unusable.

    Between batches the previous batch's objects leave the session: a caller that writes
    flushes before asking for the next batch.
    """
    with open_rows(path, kind or kind_of(path)) as rows:
        layout = C.find_layout(rows, need_session=session_id is None)
        checker = RowChecker(layout, session_id, today or date.today())
        batch: list[CheckedRow] = []
        for line, cells in rows:
            if C.is_blank(cells):
                continue
            batch.append(checker.parse(line, cells))
            if len(batch) >= BATCH:
                checker.attach(batch)
                yield batch
                batch = []
                _release()
        if batch:
            checker.attach(batch)
            yield batch
            _release()
