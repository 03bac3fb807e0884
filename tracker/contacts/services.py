"""Writes for contact logs and feedback, and the rules that hang on them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from tracker.contacts.models import (
    Attitude,
    ContactLog,
    ContactStage,
    ContactWay,
    Feedback,
    FeedbackChannel,
    Rating,
)
from tracker.core.audit import diff, record, snapshot
from tracker.core.errors import DomainError
from tracker.core.models import utcnow
from tracker.core.settings import get_setting
from tracker.directory.models import Proposer
from tracker.documents.text import clean_line, clean_text
from tracker.extensions import db
from tracker.proposals.models import Assignment
from tracker.proposals.services import perform_action
from tracker.proposals.workflow import Action, AssignmentStatus

CONTACT_FIELDS = (
    "occurred_at",
    "way",
    "stage",
    "our_people",
    "their_people",
    "summary",
    "attitude",
)
CLOCK_SKEW = timedelta(minutes=5)


def _enum(enum_cls, value, field: str, message):
    try:
        return enum_cls(value)
    except ValueError:
        raise DomainError(message, field=field) from None


def _clean_contact(assignment: Assignment, values: dict[str, Any], now: datetime) -> dict[str, Any]:
    occurred_at = values.get("occurred_at")
    if not isinstance(occurred_at, datetime):
        raise DomainError(_l("Enter the date and time of the contact."), field="occurred_at")
    if occurred_at > now + CLOCK_SKEW:
        raise DomainError(_l("A contact cannot be in the future."), field="occurred_at")
    if occurred_at.date() < assignment.assigned_on - timedelta(days=31):
        raise DomainError(
            _l("The contact is long before the case was assigned; check the date."),
            field="occurred_at",
        )
    clean = {
        "occurred_at": occurred_at.replace(second=0, microsecond=0),
        "way": _enum(ContactWay, values.get("way"), "way", _l("Choose how the contact was made.")),
        "stage": _enum(ContactStage, values.get("stage"), "stage", _l("Choose the stage.")),
        "attitude": _enum(
            Attitude,
            values.get("attitude"),
            "attitude",
            _l("Choose the proposer's attitude from the list."),
        ),
    }
    for name, limit, message in (
        ("our_people", 500, _l("Say who took part for the unit.")),
        ("their_people", 500, _l("Say who took part for the proposer.")),
        ("summary", 20_000, _l("Say what was discussed.")),
    ):
        text = (clean_text if name == "summary" else clean_line)(values.get(name))
        if not text:
            raise DomainError(message, field=name)
        if len(text) > limit:
            raise DomainError(
                _l("This text is too long (at most %(n)d characters).", n=limit), field=name
            )
        clean[name] = text
    return clean


def record_contact(
    actor: Any, assignment: Assignment, values: dict[str, Any], *, now: datetime | None = None
) -> ContactLog:
    """Log a contact with the proposer on this unit's case."""
    clean = _clean_contact(assignment, values, now or datetime.now())
    log = ContactLog(assignment=assignment, recorded_by_id=getattr(actor, "id", None), **clean)
    db.session.add(log)
    db.session.flush()
    record(
        actor,
        "contact.recorded",
        log,
        proposal_id=assignment.proposal_id,
        summary=log.summary[:200],
        changes=diff({}, snapshot(log, CONTACT_FIELDS)),
    )
    return log


def edit_contact(
    actor: Any,
    log: ContactLog,
    values: dict[str, Any],
    *,
    version: int | None = None,
    now: datetime | None = None,
) -> ContactLog:
    """Correct a logged contact; the old values stay in the audit log."""
    if log.is_withdrawn:
        raise DomainError(_l("A withdrawn entry cannot be edited."))
    if version is not None and version != log.version_id:
        raise DomainError(
            _l("Someone else changed this entry while you were editing. Reload and try again.")
        )
    clean = _clean_contact(log.assignment, values, now or datetime.now())
    before = snapshot(log, CONTACT_FIELDS)
    for name, value in clean.items():
        setattr(log, name, value)
    db.session.flush()
    changes = diff(before, snapshot(log, CONTACT_FIELDS))
    if changes:
        record(
            actor, "contact.edited", log, proposal_id=log.assignment.proposal_id, changes=changes
        )
    return log


def withdraw_contact(actor: Any, log: ContactLog, reason: str) -> ContactLog:
    """Mark an entry as made in error: it stays on record, struck through, with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Please give a reason."), field="reason")
    if log.is_withdrawn:
        raise DomainError(_l("This entry is already withdrawn."))
    log.withdrawn_at = utcnow()
    log.withdrawn_reason = reason
    db.session.flush()
    record(actor, "contact.withdrawn", log, proposal_id=log.assignment.proposal_id, summary=reason)
    return log


def contacts_of(assignment: Assignment, *, include_withdrawn: bool = True) -> list[ContactLog]:
    stmt = sa.select(ContactLog).where(ContactLog.assignment_id == assignment.id)
    if not include_withdrawn:
        stmt = stmt.where(ContactLog.withdrawn_at.is_(None))
    return list(db.session.scalars(stmt.order_by(ContactLog.occurred_at)))


def has_contacted(assignment: Assignment) -> bool:
    return (
        db.session.scalar(
            sa.select(ContactLog.id)
            .where(ContactLog.assignment_id == assignment.id, ContactLog.withdrawn_at.is_(None))
            .limit(1)
        )
        is not None
    )


def account_from_contacts(assignment: Assignment, unit_word: str = "我单位") -> str:
    """The handling account a letter starts from: one sentence per logged contact."""
    sentences = []
    for log in contacts_of(assignment, include_withdrawn=False):
        when = f"{log.occurred_at.year}年{log.occurred_at.month}月{log.occurred_at.day}日"
        sentence = f"{when}，{unit_word}在{log.stage.phrase}通过{log.way.phrase}的方式，与{log.their_people}就提案办理进行了沟通"
        attitude = log.attitude.phrase
        sentences.append(sentence + (f"，{attitude}。" if attitude else "。"))
    return "\n".join(sentences)


# ------------------------------------------------------------------ feedback

FEEDBACK_STATES = (
    AssignmentStatus.REPLIED,
    AssignmentStatus.AWAITING_FEEDBACK,
    AssignmentStatus.CLOSED,
)


def triggers_rehandling(rating: Rating) -> bool:
    if rating is Rating.DISSATISFIED:
        return True
    return rating is Rating.BASICALLY_SATISFIED and bool(
        get_setting("rehandle_on_basically_satisfied")
    )


def record_feedback(
    actor: Any,
    assignment: Assignment,
    *,
    proposer_id: int | None,
    rating: str | Rating,
    received_on: date | None,
    channel: str | FeedbackChannel,
    comments: str = "",
    today: date | None = None,
) -> Feedback:
    """Record one proposer's rating; an unhappy one reopens the case, the last happy one closes it."""
    today = today or date.today()
    if not assignment.role.replies_to_proposer:
        raise DomainError(_l("Feedback is given on replies, not on co-handling opinions."))
    if assignment.status in FEEDBACK_STATES:
        round_ = assignment.round
    elif assignment.round > 1:
        round_ = assignment.round - 1  # late feedback on the reply before: kept, moves nothing
    else:
        raise DomainError(
            _l(
                "Feedback can be recorded once the reply has been sent (the case is “%(status)s”).",
                status=assignment.status.label,
            )
        )
    proposers = {p.id: p for p in assignment.proposal.proposers}
    if proposer_id not in proposers:
        raise DomainError(
            _l("Only a proposer of this case can give feedback on it."), field="proposer_id"
        )
    rating = _enum(Rating, rating, "rating", _l("Choose 满意, 基本满意 or 不满意."))
    channel = _enum(FeedbackChannel, channel, "channel", _l("Choose how the feedback came in."))
    if received_on is None:
        raise DomainError(_l("Enter the date the feedback came in."), field="received_on")
    if received_on > today:
        raise DomainError(_l("The feedback date cannot be in the future."), field="received_on")
    exists = db.session.scalar(
        sa.select(Feedback.id).where(
            Feedback.assignment_id == assignment.id,
            Feedback.round == round_,
            Feedback.proposer_id == proposer_id,
        )
    )
    if exists is not None:
        raise DomainError(
            _l("This proposer's feedback on this reply is already recorded."), field="proposer_id"
        )
    feedback = Feedback(
        assignment=assignment,
        round=round_,
        proposer_id=proposer_id,
        rating=rating,
        received_on=received_on,
        channel=channel,
        comments=clean_text(comments)[:20_000],
        recorded_by_id=getattr(actor, "id", None),
    )
    db.session.add(feedback)
    db.session.flush()
    proposer: Proposer = proposers[proposer_id]
    record(
        actor,
        "feedback.recorded",
        feedback,
        proposal_id=assignment.proposal_id,
        summary=f"{proposer.name}：{rating.label}",
        changes={"rating": [None, rating.value]},
    )
    from tracker.supervision.notify import notify, unit_clerks

    link = f"/proposals/{assignment.proposal_id}#assignment-{assignment.id}"
    notify(
        unit_clerks(assignment.unit_id),
        "feedback_arrived",
        {"number": assignment.proposal.number, "proposer": proposer.name, "rating": rating.value},
        link,
    )
    if round_ != assignment.round:
        return feedback
    if assignment.status is AssignmentStatus.REPLIED:
        perform_action(actor, assignment, Action.AWAIT_FEEDBACK, today=today)
    if triggers_rehandling(rating):
        perform_action(
            actor,
            assignment,
            Action.REHANDLE,
            comment=f"{proposer.name}：{rating.label}",
            today=today,
        )
        notify(
            unit_clerks(assignment.unit_id),
            "rehandling",
            {"number": assignment.proposal.number, "due_on": assignment.due_on.isoformat()},
            link,
        )
    else:
        given = db.session.scalars(
            sa.select(Feedback).where(
                Feedback.assignment_id == assignment.id, Feedback.round == assignment.round
            )
        ).all()
        complete = {f.proposer_id for f in given} >= set(proposers)
        happy = not any(triggers_rehandling(f.rating) for f in given)
        if complete and happy and assignment.status is AssignmentStatus.AWAITING_FEEDBACK:
            perform_action(actor, assignment, Action.CLOSE, today=today)
    return feedback
