"""Every write to letters: start, save a draft, submit, return, sign off (which archives it)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import lazy_gettext as _l

from tracker.core.audit import diff, record
from tracker.core.errors import DomainError, StaleEdit
from tracker.core.models import utcnow
from tracker.core.settings import get_setting
from tracker.directory.models import ProposerKind
from tracker.documents.text import clean_line, clean_text
from tracker.extensions import db
from tracker.proposals.models import Assignment, AssignmentRole, CaseType
from tracker.proposals.services import perform_action
from tracker.proposals.workflow import Action, AssignmentStatus
from tracker.replies.letter import PART_FIELDS, letter_content, letter_context, template_for
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
from tracker.supervision.notify import notify, supervisors, unit_clerks

DRAFTABLE = frozenset(
    {
        AssignmentStatus.HANDLING,
        AssignmentStatus.REHANDLING,
        AssignmentStatus.DRAFTED,
        AssignmentStatus.AMENDS,
    }
)
MAX_ITEMS = 60
LIMITS = {
    "attachment_marker": 50,
    "doc_number": 100,
    "title": 300,
    "salutation": 1000,
    "closing": 200,
    "signing_unit": 150,
    "contact_person": 100,
    "contact_phone": 50,
    "leader_signoff": 100,
    "handler": 100,
    "handler_phone": 50,
}
TEXT_LIMIT = 100_000


@dataclass
class ItemData:
    """One row of the letter as the form supplies it, with an optional promise."""

    suggestion: str = ""
    answer: str = ""
    promise: str = ""
    promise_due_on: date | None = None
    promise_owner: str = ""

    @classmethod
    def of(cls, value: ItemData | tuple) -> ItemData:
        return value if isinstance(value, ItemData) else cls(*value)

    def key(self) -> tuple:
        return (self.suggestion, self.answer, self.promise, self.promise_due_on, self.promise_owner)


@dataclass
class LetterDraft:
    """The plain values the drafting form supplies."""

    parts: dict[str, Any]
    items: list[ItemData | tuple] = field(default_factory=list)  # or (suggestion, answer)
    shape: LetterShape | None = None


def category_codes() -> list[str]:
    return [c["code"] for c in get_setting("result_categories")]


def current_reply(assignment: Assignment) -> Reply | None:
    """The letter of the assignment's current handling round, if one was started."""
    return db.session.scalar(
        sa.select(Reply).where(
            Reply.assignment_id == assignment.id, Reply.round == assignment.round
        )
    )


def _fill(template: str, **values: str) -> str:
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template  # an administrator's wording with a typo prints as written


def default_parts(assignment: Assignment, actor: Any) -> dict[str, Any]:
    """Every part of a new letter, pre-filled the way the bureau writes them."""
    proposal = assignment.proposal
    settings = get_setting("letter")
    co = assignment.role is AssignmentRole.CO
    case = proposal.case_type.short
    names = dict(
        unit=assignment.unit.title_name,
        council=proposal.session.council,
        session=proposal.session.name,
        number=proposal.number,
        case=case,
        title=proposal.title,
    )
    if co:
        lead = next((a for a in proposal.assignments if a.role is AssignmentRole.LEAD), None)
        salutation = f"{lead.unit.name}：" if lead else ""
    elif proposal.is_collective:
        salutation = f"{proposal.first_proposer.name}："
    else:
        word = "代表" if proposal.case_type is CaseType.SUGGESTION else "委员"
        salutation = (
            "、".join(
                f"{p.name}{word}" if p.kind is ProposerKind.MEMBER else p.name
                for p in proposal.proposers
            )
            + "："
        )
    return {
        "attachment_marker": "" if co else settings["attachment_marker"],
        "doc_number": "",
        "title": _fill(settings["co_title" if co else "title"], **names),
        "salutation": salutation,
        "opening": _fill(settings["co_opening" if co else "opening"], **names),
        "process_account": "",
        "disclosure": Disclosure.PUBLIC,
        "disclosure_reason": None,
        "closing": settings["co_closing" if co else "closing"],
        "signing_unit": assignment.unit.name,
        "letter_date": None,
        "category": None,
        "contact_person": getattr(actor, "display_name", "") or "",
        "contact_phone": getattr(actor, "phone", "") or "",
        "leader_signoff": "",
        "handler": "",
        "handler_phone": "",
    }


def start_reply(actor: Any, assignment: Assignment) -> Reply:
    """Create the letter for the assignment's current round, one row per suggestion."""
    if assignment.status not in DRAFTABLE:
        raise DomainError(_l("Start handling the case before drafting its letter."))
    if current_reply(assignment) is not None:
        raise DomainError(_l("This round's letter has already been started."))
    co = assignment.role is AssignmentRole.CO
    previous = None
    if assignment.round > 1:
        previous = db.session.scalar(
            sa.select(Reply)
            .where(Reply.assignment_id == assignment.id, Reply.round < assignment.round)
            .order_by(Reply.round.desc())
            .limit(1)
        )
    from tracker.contacts.services import account_from_contacts

    parts = default_parts(assignment, actor)
    parts["process_account"] = account_from_contacts(assignment)
    reply = Reply(
        assignment=assignment,
        round=assignment.round,
        previous=previous,
        kind=LetterKind.CO_OPINION if co else LetterKind.REPLY,
        shape=LetterShape.CO_OPINION if co else LetterShape(get_setting("letter")["default_shape"]),
        status=ReplyStatus.DRAFT,
        created_by_id=getattr(actor, "id", None),
        **parts,
    )
    reply.items = [
        ReplyItem(position=i, suggestion=s.text, answer="")
        for i, s in enumerate(assignment.proposal.suggestions)
    ] or [ReplyItem(position=0, suggestion="", answer="")]
    db.session.add(reply)
    db.session.flush()
    record(
        actor,
        "reply.started",
        reply,
        proposal_id=assignment.proposal_id,
        summary=reply.title,
        changes={"round": [None, reply.round]},
    )
    return reply


def _clean_parts(parts: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name in PART_FIELDS:
        value = parts.get(name)
        if name == "letter_date":
            clean[name] = value if isinstance(value, date) else None
            continue
        if name == "disclosure":
            try:
                clean[name] = Disclosure(value)
            except ValueError:
                raise DomainError(
                    _l("Choose whether the reply may be published."), field=name
                ) from None
            continue
        raw = value if isinstance(value, str) or value is None else str(value)
        # Single-line parts lose line breaks; every part loses control characters
        # (PostgreSQL refuses NUL; PDF/A's XMP must stay well-formed XML).
        text = clean_line(raw) if name in LIMITS else clean_text(raw)
        limit = LIMITS.get(name, TEXT_LIMIT)
        if len(text) > limit:
            raise DomainError(
                _l("This text is too long (at most %(n)d characters).", n=limit), field=name
            )
        clean[name] = text
    if clean["category"] and clean["category"] not in category_codes():
        raise DomainError(_l("Choose one of the result categories."), field="category")
    clean["category"] = clean["category"] or None
    clean["disclosure_reason"] = clean["disclosure_reason"] or None
    if not clean["title"]:
        raise DomainError(_l("The letter needs a title."), field="title")
    if not clean["signing_unit"]:
        raise DomainError(_l("The letter needs a signing unit."), field="signing_unit")
    return clean


def save_draft(
    actor: Any, reply: Reply, draft: LetterDraft, *, version: int | None = None
) -> Reply:
    """Save the clerk's edits; refuse a signed or submitted letter, or a stale form."""
    if not reply.status.editable:
        raise DomainError(
            _l("This letter is %(status)s and can no longer be edited.", status=reply.status.label)
        )
    if version is not None and version != reply.version_id:
        raise StaleEdit(
            _l(
                "Someone else saved this letter while you were editing. Both versions are "
                "shown below; nothing was overwritten."
            )
        )
    parts = _clean_parts(draft.parts)
    items = []
    for raw in draft.items:
        item = ItemData.of(raw)
        item = ItemData(
            clean_text(item.suggestion),
            clean_text(item.answer),
            clean_text(item.promise),
            item.promise_due_on,
            clean_line(item.promise_owner)[:100],
        )
        if item.suggestion or item.answer or item.promise:
            items.append(item)
    if not items:
        raise DomainError(_l("A letter needs at least one answer."), field="items")
    if len(items) > MAX_ITEMS:
        raise DomainError(_l("A letter can have at most %(n)d rows.", n=MAX_ITEMS), field="items")
    if any(max(len(i.suggestion), len(i.answer), len(i.promise)) > TEXT_LIMIT for i in items):
        raise DomainError(_l("An answer is too long."), field="items")
    if any(i.promise and not i.promise_due_on for i in items):
        raise DomainError(_l("A promise needs the date by which it will be kept."), field="items")
    before = letter_content(reply)
    for name, value in parts.items():
        setattr(reply, name, value)
    if draft.shape is not None and reply.kind is LetterKind.REPLY:
        if draft.shape is LetterShape.CO_OPINION:
            raise DomainError(
                _l("A reply to the proposer cannot use the co-handling shape."), field="shape"
            )
        reply.shape = draft.shape
    current = [
        (i.suggestion, i.answer, i.promise, i.promise_due_on, i.promise_owner) for i in reply.items
    ]
    if current != [i.key() for i in items]:
        reply.items.clear()
        db.session.flush()
        reply.items.extend(
            ReplyItem(
                position=n,
                suggestion=i.suggestion,
                answer=i.answer,
                promise=i.promise,
                promise_due_on=i.promise_due_on,
                promise_owner=i.promise_owner,
            )
            for n, i in enumerate(items)
        )
    if reply.status is ReplyStatus.RETURNED:
        reply.status = ReplyStatus.DRAFT
    assignment = reply.assignment
    if assignment.status in (
        AssignmentStatus.HANDLING,
        AssignmentStatus.REHANDLING,
        AssignmentStatus.AMENDS,
    ):
        perform_action(actor, assignment, Action.RECORD_DRAFT)
    db.session.flush()
    changes = _content_diff(before, letter_content(reply))
    if changes:
        record(actor, "reply.saved", reply, proposal_id=assignment.proposal_id, changes=changes)
    return reply


def _content_diff(before: dict, after: dict) -> dict[str, list]:
    changes = diff(before["parts"], after["parts"])
    if before["items"] != after["items"]:
        changes["items"] = [len(before["items"]), len(after["items"])]
    if before["shape"] != after["shape"]:
        changes["shape"] = [before["shape"], after["shape"]]
    return changes


def submission_problems(reply: Reply) -> list[str]:
    """What keeps the letter from going to review (empty when it may)."""
    from tracker.contacts.services import has_contacted

    problems = []
    if (
        reply.kind is LetterKind.REPLY
        and get_setting("contact_required")
        and not has_contacted(reply.assignment)
    ):
        problems.append(
            str(
                _l(
                    "Log a contact with the proposer first: the bureau's rules require "
                    "contacting the proposer before a reply goes to review."
                )
            )
        )
    if any(not item.answer.strip() for item in reply.items):
        problems.append(str(_l("Every row needs an answer.")))
    if reply.kind is LetterKind.REPLY and not reply.category:
        problems.append(str(_l("Choose the result category.")))
    if reply.disclosure is not Disclosure.PUBLIC and not reply.disclosure_reason:
        problems.append(str(_l("Give the reason the reply is not (fully) published.")))
    if not reply.contact_person or not reply.contact_phone:
        problems.append(str(_l("Give the contact person and phone.")))
    return problems


def submit_reply(actor: Any, reply: Reply) -> ReplyRevision:
    """Send the letter to review, keeping this version whole."""
    if not reply.status.editable:
        raise DomainError(
            _l("This letter is %(status)s and cannot be submitted.", status=reply.status.label)
        )
    problems = submission_problems(reply)
    if problems:
        raise DomainError(" ".join(problems))
    assignment = reply.assignment
    if assignment.status in (AssignmentStatus.HANDLING, AssignmentStatus.REHANDLING):
        perform_action(actor, assignment, Action.RECORD_DRAFT)
    perform_action(actor, assignment, Action.SUBMIT)
    revision = ReplyRevision(
        reply=reply,
        number=len(reply.revisions) + 1,
        content=letter_content(reply),
        submitted_by_id=getattr(actor, "id", None),
    )
    db.session.add(revision)
    reply.status = ReplyStatus.IN_REVIEW
    db.session.flush()
    record(
        actor,
        "reply.submitted",
        reply,
        proposal_id=assignment.proposal_id,
        changes={"revision": [None, revision.number]},
    )
    notify(
        supervisors(),
        "letter_submitted",
        {"unit": assignment.unit.name, "number": assignment.proposal.number},
        f"/letters/{reply.id}",
    )
    return revision


def _pending_revision(reply: Reply) -> ReplyRevision:
    if reply.status is not ReplyStatus.IN_REVIEW or not reply.revisions:
        raise DomainError(_l("This letter is not waiting for review."))
    return reply.revisions[-1]


def return_reply(actor: Any, reply: Reply, comment: str) -> ReplyRevision:
    """Send the letter back to the clerk with the reviewer's comments."""
    comment = (comment or "").strip()
    if not comment:
        raise DomainError(_l("Say what needs to change."), field="comment")
    revision = _pending_revision(reply)
    perform_action(actor, reply.assignment, Action.RETURN_FOR_AMENDS, comment=comment)
    revision.outcome = ReviewOutcome.RETURNED
    revision.review_comment = comment
    revision.reviewed_by_id = getattr(actor, "id", None)
    revision.reviewed_at = utcnow()
    reply.status = ReplyStatus.RETURNED
    db.session.flush()
    notify(
        unit_clerks(reply.assignment.unit_id),
        "letter_returned",
        {"number": reply.assignment.proposal.number, "comment": comment[:200]},
        f"/letters/{reply.id}",
    )
    return revision


def render_letter_html(reply: Reply, content: dict | None = None, *, screen: bool = False) -> str:
    content = content or letter_content(reply)
    return render_template(
        template_for(content["shape"]),
        letter=letter_context(content, signed=reply.is_signed),
        screen=screen,
    )


def render_letter_pdf(reply: Reply, *, archival: bool = False) -> bytes:
    """The letter as PDF; the archival variant is PDF/A-3u with its data attached as JSON."""
    from tracker.documents.render import PdfAttachment, render_pdf

    content = letter_content(reply)
    html = render_letter_html(reply, content)
    attachments = None
    if archival:
        data = json.dumps(content, ensure_ascii=False, indent=1).encode()
        attachments = [PdfAttachment("letter.json", data, "The letter's structured data")]
    return render_pdf(
        html,
        fonts_dir=Path(current_app.config["FONTS_DIR"]),
        archival=archival,
        identifier=f"tracker-reply-{reply.id}".encode(),
        attachments=attachments,
    )


def sign_reply(
    actor: Any, reply: Reply, *, category: str | None = None, today: date | None = None
) -> Reply:
    """Sign the letter off: freeze it and archive its PDF once, with its SHA-256."""
    from tracker.documents import storage

    revision = _pending_revision(reply)
    if category:
        if category not in category_codes():
            raise DomainError(_l("Choose one of the result categories."), field="category")
        if reply.kind is LetterKind.REPLY and category != reply.category:
            reply.category = category
    if reply.pdf_path:
        raise DomainError(_l("This letter already has its archival copy."))
    perform_action(actor, reply.assignment, Action.SIGN_OFF)
    reply.letter_date = reply.letter_date or today or date.today()
    reply.status = ReplyStatus.SIGNED
    reply.signed_by_id = getattr(actor, "id", None)
    reply.signed_at = utcnow()
    revision.outcome = ReviewOutcome.SIGNED
    revision.reviewed_by_id = reply.signed_by_id
    revision.reviewed_at = reply.signed_at
    revision.content = letter_content(reply)  # the category and date as signed
    pdf = render_letter_pdf(reply, archival=True)
    reply.pdf_path, reply.pdf_sha256, reply.pdf_size = storage.store(
        Path(current_app.config["ARCHIVE_DIR"]), pdf
    )
    db.session.flush()
    record(
        actor,
        "reply.signed",
        reply,
        proposal_id=reply.assignment.proposal_id,
        changes={"pdf_sha256": [None, reply.pdf_sha256], "category": [None, reply.category]},
    )
    _announce_signed(reply)
    return reply


def _announce_signed(reply: Reply) -> None:
    """Tell the unit; a co-handling opinion goes to the lead unit, a lead reply to co-handlers."""
    assignment = reply.assignment
    number = assignment.proposal.number
    link = f"/letters/{reply.id}"
    notify(unit_clerks(assignment.unit_id), "letter_signed", {"number": number}, link)
    others = [a for a in assignment.proposal.assignments if a.id != assignment.id]
    if reply.kind is LetterKind.CO_OPINION:
        leads = [a for a in others if a.role is AssignmentRole.LEAD]
        recipients = [u for a in leads for u in unit_clerks(a.unit_id)]
        notify(
            recipients, "opinion_arrived", {"unit": assignment.unit.name, "number": number}, link
        )
    elif assignment.role is AssignmentRole.LEAD:
        co_units = [a for a in others if a.role is AssignmentRole.CO]
        recipients = [u for a in co_units for u in unit_clerks(a.unit_id)]
        notify(recipients, "reply_copied", {"unit": assignment.unit.name, "number": number}, link)


def archived_pdf(reply: Reply) -> bytes:
    """The signed letter's archival PDF, checked against its stored SHA-256."""
    from tracker.documents import storage

    if not reply.is_signed:
        raise DomainError(_l("Only a signed letter has an archival copy."))
    if not reply.pdf_path:
        raise DomainError(_l("This signed letter has no stored archival copy."))
    return storage.load(Path(current_app.config["ARCHIVE_DIR"]), reply.pdf_path, reply.pdf_sha256)


def letter_pdf(reply: Reply) -> tuple[bytes, str]:
    """The PDF to hand out and its file name: a signed letter's archival copy (checked against
    its SHA-256; ArchiveError if it no longer matches), else a fresh render.

    A signed letter without a stored copy (imported, or demo data past its PDF cap) is printed.
    """
    number = reply.assignment.proposal.number
    if reply.is_signed:
        data = archived_pdf(reply) if reply.pdf_path else render_letter_pdf(reply)
        return data, f"{number}-{reply.signing_unit}-答复函.pdf"
    return render_letter_pdf(reply), f"{number}-draft.pdf"
