"""Rebuilding a checked case from its exchange form: the directory entries it names, its rows.

`Directory` finds sessions, units, proposers and users by their natural keys (creating what
is missing: sessions, units and proposers as described, unknown usernames as deactivated
accounts without a password); `write_case` writes one case's rows, exactly as the file says.
Only tracker.exchange.importer calls these, after the whole file passed its checks.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from tracker.auth.models import Role, User
from tracker.contacts.models import (
    Attitude,
    ContactLog,
    ContactStage,
    ContactWay,
    Feedback,
    FeedbackChannel,
    Rating,
)
from tracker.core.audit import record
from tracker.directory.models import CouncilSession, Proposer, ProposerKind, Unit
from tracker.exchange.format import parse_date, parse_moment
from tracker.exchange.validation import session_key
from tracker.extensions import db
from tracker.proposals.models import (
    Assignment,
    AssignmentRole,
    CaseType,
    Extension,
    Proposal,
    ProposalKind,
    ProposalProposer,
    RequestStatus,
    ReturnRequest,
    Suggestion,
)
from tracker.proposals.workflow import AssignmentStatus
from tracker.replies.letter import PART_FIELDS
from tracker.replies.models import (
    Disclosure,
    LetterKind,
    LetterShape,
    Reply,
    ReplyItem,
    ReplyRevision,
    ReplyStatus,
    ReviewOutcome,
)

UNUSABLE_PASSWORD = "!"  # matches no password: werkzeug refuses a hash without a method


class Directory:
    """Finds (or creates) what cases refer to by name, each once per import."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self.created: dict[str, list[str]] = defaultdict(list)
        self.sessions: dict[tuple, CouncilSession] = {}
        self.units: dict[str, Unit] = {}
        self.proposers: dict[tuple[str, str], Proposer] = {}
        self.users: dict[str, int] = {}

    def prepare(self, cases: list[tuple[str, dict]]) -> None:
        """Resolve every reference of every case, creating what is missing."""
        user_units: dict[str, set[str]] = defaultdict(set)
        reviewers: set[str] = set()
        for _prefix, case in cases:
            self.session(case["session"])
            for proposer in case["proposers"]:
                self.proposer(proposer)
            for assignment in case["assignments"]:
                unit = self.unit(assignment["unit"]).name
                for feedback in assignment["feedback"]:
                    self.proposer(feedback["proposer"])
                for who, unit_side in _user_refs(case, assignment):
                    if unit_side:
                        user_units[who].add(unit)
                    else:
                        reviewers.add(who)
            if case["proposal"]["created_by"]:
                user_units.setdefault(case["proposal"]["created_by"], set())
        names = sorted(set(user_units) | reviewers)
        known = dict(
            db.session.execute(sa.select(User.username, User.id).where(User.username.in_(names)))
            .tuples()
            .all()
        )
        for name in names:
            if name not in known:
                units = user_units.get(name, set())
                unit = self.units[next(iter(units))] if len(units) == 1 else None
                known[name] = self._placeholder(name, None if name in reviewers else unit)
        self.users = known

    def _placeholder(self, username: str, unit: Unit | None) -> int:
        # Deactivated, no password: an administrator decides whether it may ever sign in.
        user = User(
            username=username,
            display_name=username,
            role=Role.VIEWER if unit is not None else Role.SUPERVISOR,
            unit=unit,
            unit_id=unit.id if unit is not None else None,
            password_hash=UNUSABLE_PASSWORD,
            is_active_flag=False,
        )
        db.session.add(user)
        db.session.flush()
        record(
            self.actor,
            "user.created",
            user,
            summary=f"{username} (deactivated, created by a case import)",
            changes={"username": [None, username], "role": [None, user.role.value]},
        )
        self.created["users"].append(username)
        return user.id

    def session(self, data: dict[str, Any]) -> CouncilSession:
        key = session_key(data)
        if key not in self.sessions:
            council, term, meeting = key
            session = db.session.scalar(
                sa.select(CouncilSession).where(
                    CouncilSession.council == council,
                    CouncilSession.term == term,
                    CouncilSession.meeting == meeting,
                )
            )
            if session is None:
                session = CouncilSession(
                    council=council,
                    term=term,
                    meeting=meeting,
                    year=data["year"],
                    name=data["name"],
                    key_due_on=parse_date(data["key_due_on"]),
                    is_current=False,
                )
                db.session.add(session)
                db.session.flush()
                record(
                    self.actor,
                    "session.created",
                    session,
                    summary=f"{session.full_name} (case import)",
                    changes={"name": [None, session.name], "year": [None, session.year]},
                )
                self.created["sessions"].append(session.name)
            self.sessions[key] = session
        return self.sessions[key]

    def unit(self, data: dict[str, Any]) -> Unit:
        name = data["name"]
        if name not in self.units:
            unit = db.session.scalar(sa.select(Unit).where(Unit.name == name))
            if unit is None:
                unit = Unit(
                    name=name, short_name=data["short_name"], letter_name=data["letter_name"]
                )
                db.session.add(unit)
                db.session.flush()
                record(
                    self.actor,
                    "unit.created",
                    unit,
                    summary=f"{name} (case import)",
                    changes={"name": [None, name]},
                )
                self.created["units"].append(name)
            self.units[name] = unit
        return self.units[name]

    def proposer(self, data: dict[str, Any]) -> Proposer:
        key = (data["kind"], data["name"])
        if key not in self.proposers:
            kind = ProposerKind(data["kind"])
            proposer = db.session.scalar(
                sa.select(Proposer).where(Proposer.kind == kind, Proposer.name == data["name"])
            )
            if proposer is None:
                proposer = Proposer(
                    kind=kind,
                    name=data["name"],
                    sector=data.get("sector"),
                    phone=data.get("phone"),
                    email=data.get("email"),
                    address=data.get("address"),
                )
                db.session.add(proposer)
                db.session.flush()
                self.created["proposers"].append(data["name"])
            self.proposers[key] = proposer
        return self.proposers[key]

    def user_id(self, username: str | None) -> int | None:
        return self.users[username] if username else None


def _user_refs(case: dict, assignment: dict) -> list[tuple[str, bool]]:
    """(username, acted for the unit?) for every user an assignment's records name."""
    refs: list[tuple[str | None, bool]] = []
    for row in assignment["return_requests"] + assignment["extensions"]:
        refs += [(row["requested_by"], True), (row["decided_by"], False)]
    refs += [(c["recorded_by"], True) for c in assignment["contact_logs"]]
    refs += [(f["recorded_by"], True) for f in assignment["feedback"]]
    for reply in assignment["replies"]:
        refs += [(reply["created_by"], True), (reply["signed_by"], False)]
        for revision in reply["revisions"]:
            refs += [(revision["submitted_by"], True), (revision["reviewed_by"], False)]
    return [(name, unit_side) for name, unit_side in refs if name]


# ---- writing one case ----


def write_case(
    case: dict, directory: Directory, signed: list[tuple[int, Reply]], index: int
) -> tuple[Proposal, bool]:
    session = directory.session(case["session"])
    data = case["proposal"]
    proposal = db.session.scalar(
        sa.select(Proposal).where(
            Proposal.session_id == session.id, Proposal.number == data["number"]
        )
    )
    replaced = proposal is not None
    if proposal is None:
        proposal = Proposal(session=session, session_id=session.id, number=data["number"])
        db.session.add(proposal)
    else:  # --update: the case's rows are replaced, the proposal (and its history) kept
        proposal.proposer_links.clear()
        proposal.suggestions.clear()
        proposal.assignments.clear()
        db.session.flush()
    proposal.case_type = CaseType(data["case_type"])
    proposal.title = data["title"]
    proposal.kind = ProposalKind(data["kind"])
    proposal.is_key = data["is_key"]
    proposal.full_text = data["full_text"]
    proposal.submitted_on = parse_date(data["submitted_on"])
    proposal.created_by_id = directory.user_id(data["created_by"])
    proposal.proposer_links.extend(
        ProposalProposer(proposer=directory.proposer(p), position=n)
        for n, p in enumerate(case["proposers"])
    )
    proposal.suggestions.extend(
        Suggestion(position=n, text=text) for n, text in enumerate(case["suggestions"])
    )
    for item in case["assignments"]:
        _write_assignment(proposal, item, directory, signed, index)
    return proposal, replaced


def _decision(row: dict, directory: Directory) -> dict[str, Any]:
    return {
        "status": RequestStatus(row["status"]),
        "requested_by_id": directory.user_id(row["requested_by"]),
        "requested_at": parse_moment(row["requested_at"]),
        "decided_by_id": directory.user_id(row["decided_by"]),
        "decided_at": parse_moment(row["decided_at"]),
        "decision_note": row["decision_note"],
    }


def _write_assignment(
    proposal: Proposal,
    data: dict,
    directory: Directory,
    signed: list[tuple[int, Reply]],
    index: int,
) -> None:
    unit = directory.unit(data["unit"])
    assignment = Assignment(
        unit=unit,
        unit_id=unit.id,
        role=AssignmentRole(data["role"]),
        status=AssignmentStatus(data["status"]),
        round=data["round"],
        **{
            name: parse_date(data[name])
            for name in (
                "assigned_on",
                "due_on",
                "return_due_on",
                "received_on",
                "closed_on",
                "replied_on",
                "replied_due_on",
            )
        },
    )
    proposal.assignments.append(assignment)
    assignment.return_requests.extend(
        ReturnRequest(
            reason=r["reason"], suggested_unit=r["suggested_unit"], **_decision(r, directory)
        )
        for r in data["return_requests"]
    )
    assignment.extensions.extend(
        Extension(
            reason=e["reason"],
            old_due_on=parse_date(e["old_due_on"]),
            requested_due_on=parse_date(e["requested_due_on"]),
            granted_due_on=parse_date(e["granted_due_on"]),
            approver=e["approver"],
            **_decision(e, directory),
        )
        for e in data["extensions"]
    )
    for c in data["contact_logs"]:
        db.session.add(
            ContactLog(
                assignment=assignment,
                occurred_at=parse_moment(c["occurred_at"]),
                way=ContactWay(c["way"]),
                stage=ContactStage(c["stage"]),
                our_people=c["our_people"],
                their_people=c["their_people"],
                summary=c["summary"],
                attitude=Attitude(c["attitude"]),
                recorded_by_id=directory.user_id(c["recorded_by"]),
                withdrawn_at=parse_moment(c["withdrawn_at"]),
                withdrawn_reason=c["withdrawn_reason"],
            )
        )
    for f in data["feedback"]:
        db.session.add(
            Feedback(
                assignment=assignment,
                proposer=directory.proposer(f["proposer"]),
                round=f["round"],
                rating=Rating(f["rating"]),
                received_on=parse_date(f["received_on"]),
                channel=FeedbackChannel(f["channel"]),
                comments=f["comments"],
                recorded_by_id=directory.user_id(f["recorded_by"]),
            )
        )
    by_round: dict[int, Reply] = {}
    for r in data["replies"]:
        reply = _reply(assignment, r, by_round.get(r["previous_round"]), directory)
        by_round[reply.round] = reply
        if reply.status is ReplyStatus.SIGNED:
            signed.append((index, reply))


def _reply(assignment: Assignment, data: dict, previous: Reply | None, directory) -> Reply:
    parts = dict(data["parts"])
    values = {name: parts[name] for name in PART_FIELDS}
    values["disclosure"] = Disclosure(parts["disclosure"])
    values["letter_date"] = parse_date(parts["letter_date"])
    reply = Reply(
        assignment=assignment,
        round=data["round"],
        previous=previous,
        kind=LetterKind(data["kind"]),
        shape=LetterShape(data["shape"]),
        status=ReplyStatus(data["status"]),
        created_by_id=directory.user_id(data["created_by"]),
        signed_by_id=directory.user_id(data["signed_by"]),
        signed_at=parse_moment(data["signed_at"]),
        **values,
    )
    reply.items = [
        ReplyItem(
            position=n,
            suggestion=i["suggestion"],
            answer=i["answer"],
            promise=i["promise"],
            promise_due_on=parse_date(i["promise_due_on"]),
            promise_owner=i["promise_owner"],
            fulfilled_on=parse_date(i["fulfilled_on"]),
            follow_up=i["follow_up"],
        )
        for n, i in enumerate(data["items"])
    ]
    reply.revisions = [
        ReplyRevision(
            number=v["number"],
            content=v["content"],
            submitted_by_id=directory.user_id(v["submitted_by"]),
            submitted_at=parse_moment(v["submitted_at"]),
            outcome=ReviewOutcome(v["outcome"]),
            review_comment=v["review_comment"],
            reviewed_by_id=directory.user_id(v["reviewed_by"]),
            reviewed_at=parse_moment(v["reviewed_at"]),
        )
        for v in data["revisions"]
    ]
    db.session.add(reply)
    return reply
