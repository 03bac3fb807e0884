"""Contact logs, the contact rule, feedback and re-handling, as tables of cases."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import login, make_proposal, make_unit, make_user, set_status
from tracker.auth.models import Role
from tracker.contacts.models import ContactLog, Feedback, Rating
from tracker.contacts.services import (
    account_from_contacts,
    edit_contact,
    record_contact,
    record_feedback,
    withdraw_contact,
)
from tracker.core.audit import AuditEvent
from tracker.core.errors import DomainError
from tracker.core.settings import set_setting
from tracker.extensions import db
from tracker.proposals.models import AssignmentRole
from tracker.proposals.workflow import AssignmentStatus as S

NOW = datetime(2025, 5, 6, 15, 0)


def _values(**kw):
    values = {
        "occurred_at": datetime(2025, 4, 2, 10, 30),
        "way": "visit",
        "stage": "during",
        "our_people": "李处长、张科员",
        "their_people": "王明委员",
        "summary": "当面听取意见，介绍了下一步工作安排。",
        "attitude": "understanding",
    }
    values.update(kw)
    return values


def _assignment(proposers=("王明",), role=AssignmentRole.SOLE):
    proposal = make_proposal(proposers=list(proposers), units=[(make_unit(), role)])
    return proposal.assignments[0]


BAD_CONTACTS = [
    ({"occurred_at": NOW + timedelta(hours=2)}, "occurred_at"),
    ({"occurred_at": None}, "occurred_at"),
    ({"occurred_at": datetime(2024, 1, 1, 9, 0)}, "occurred_at"),
    ({"way": "pigeon"}, "way"),
    ({"stage": "someday"}, "stage"),
    ({"attitude": "ecstatic"}, "attitude"),
    ({"summary": "  "}, "summary"),
    ({"their_people": ""}, "their_people"),
    ({"our_people": "x" * 501}, "our_people"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_CONTACTS)
def test_bad_contact_is_refused(ctx, changes, field):
    assignment = _assignment()
    with pytest.raises(DomainError) as exc:
        record_contact(None, assignment, _values(**changes), now=NOW)
    assert exc.value.field == field
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(ContactLog.id))) == 0


def test_edits_are_audited_and_entries_never_deleted(ctx):
    assignment = _assignment()
    log = record_contact(None, assignment, _values(), now=NOW)
    edit_contact(None, log, _values(summary="更正后的记录"), version=log.version_id, now=NOW)
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.object_type == "contact_logs")
        .order_by(AuditEvent.seq)
    ).all()
    assert [e.action for e in events] == ["contact.recorded", "contact.edited"]
    assert events[1].changes["summary"] == ["当面听取意见，介绍了下一步工作安排。", "更正后的记录"]
    with pytest.raises(DomainError):
        edit_contact(None, log, _values(summary="过时的表单"), version=log.version_id - 1, now=NOW)
    with pytest.raises(DomainError):
        withdraw_contact(None, log, "")
    withdraw_contact(None, log, "误录")
    assert db.session.get(ContactLog, log.id).withdrawn_reason == "误录"
    with pytest.raises(DomainError):
        edit_contact(None, log, _values(), now=NOW)


def test_account_is_prefilled_from_the_log(ctx):
    assignment = _assignment()
    record_contact(None, assignment, _values(), now=NOW)
    record_contact(
        None,
        assignment,
        _values(
            occurred_at=datetime(2025, 4, 20, 9, 0),
            way="phone",
            stage="after",
            attitude="satisfied",
        ),
        now=NOW,
    )
    withdrawn = record_contact(
        None, assignment, _values(occurred_at=datetime(2025, 4, 21, 9, 0)), now=NOW
    )
    withdraw_contact(None, withdrawn, "重复")
    assert account_from_contacts(assignment).split("\n") == [
        "2025年4月2日，我单位在办理中通过登门走访的方式，与王明委员就提案办理进行了沟通，委员表示理解。",
        "2025年4月20日，我单位在答复后通过电话沟通的方式，与王明委员就提案办理进行了沟通，委员对办理工作表示认可。",
    ]


# ---------------------------------------------------------------- feedback

# (ratings given in order, basic-satisfied reopens?, expected state, expected round)
FEEDBACK_TABLE = [
    (["satisfied"], False, S.CLOSED, 1),
    (["basically_satisfied"], False, S.CLOSED, 1),
    (["basically_satisfied"], True, S.REHANDLING, 2),
    (["dissatisfied"], False, S.REHANDLING, 2),
    (["satisfied", "satisfied"], False, S.CLOSED, 1),
    (["satisfied"], False, S.CLOSED, 1),
]


@pytest.mark.parametrize(("ratings", "basic_reopens", "state", "round_"), FEEDBACK_TABLE)
def test_feedback_outcomes(ctx, ratings, basic_reopens, state, round_):
    set_setting("rehandle_on_basically_satisfied", basic_reopens)
    assignment = _assignment(proposers=[f"委员{n}" for n in range(len(ratings))])
    set_status(assignment, S.REPLIED)
    for proposer, rating in zip(assignment.proposal.proposers, ratings, strict=True):
        record_feedback(
            None,
            assignment,
            proposer_id=proposer.id,
            rating=rating,
            received_on=date(2025, 7, 1),
            channel="paper",
            today=date(2025, 7, 2),
        )
    assert assignment.status is state
    assert assignment.round == round_
    if state is S.REHANDLING:
        assert assignment.due_on == date(2025, 10, 9)  # 2 Jul + 3 months = 2 Oct, in the holiday


def test_joint_proposal_waits_for_every_proposer(ctx):
    assignment = _assignment(proposers=("甲委员", "乙委员"))
    set_status(assignment, S.AWAITING_FEEDBACK)
    first, second = assignment.proposal.proposers
    record_feedback(
        None,
        assignment,
        proposer_id=first.id,
        rating="satisfied",
        received_on=date(2025, 7, 1),
        channel="online",
        today=date(2025, 7, 2),
    )
    assert assignment.status is S.AWAITING_FEEDBACK, "one of two proposers has answered"
    record_feedback(
        None,
        assignment,
        proposer_id=second.id,
        rating="dissatisfied",
        received_on=date(2025, 7, 1),
        channel="online",
        today=date(2025, 7, 2),
    )
    assert assignment.status is S.REHANDLING


BAD_FEEDBACK = [
    (dict(proposer_id=-1), "proposer_id"),
    (dict(rating="ok"), "rating"),
    (dict(channel="pigeon"), "channel"),
    (dict(received_on=date(2025, 7, 9)), "received_on"),
    (dict(received_on=None), "received_on"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_FEEDBACK)
def test_bad_feedback_is_refused(ctx, changes, field):
    assignment = _assignment()
    set_status(assignment, S.REPLIED)
    args = dict(
        proposer_id=assignment.proposal.proposers[0].id,
        rating="satisfied",
        received_on=date(2025, 7, 1),
        channel="paper",
    )
    args.update(changes)
    with pytest.raises(DomainError) as exc:
        record_feedback(None, assignment, today=date(2025, 7, 2), **args)
    assert exc.value.field == field
    assert assignment.status is S.REPLIED
    assert db.session.scalar(sa.select(sa.func.count(Feedback.id))) == 0


def test_feedback_from_someone_else_and_before_the_reply(ctx):
    assignment = _assignment()
    stranger = make_proposal(proposers=["路人甲"]).proposers[0]
    set_status(assignment, S.REPLIED)
    with pytest.raises(DomainError):
        record_feedback(
            None,
            assignment,
            proposer_id=stranger.id,
            rating="satisfied",
            received_on=date(2025, 7, 1),
            channel="paper",
            today=date(2025, 7, 2),
        )
    set_status(assignment, S.HANDLING)
    with pytest.raises(DomainError):
        record_feedback(
            None,
            assignment,
            proposer_id=assignment.proposal.proposers[0].id,
            rating="satisfied",
            received_on=date(2025, 7, 1),
            channel="paper",
        )
    co = _assignment(role=AssignmentRole.SOLE)
    co.role = AssignmentRole.CO
    set_status(co, S.REPLIED)
    with pytest.raises(DomainError):
        record_feedback(
            None,
            co,
            proposer_id=co.proposal.proposers[0].id,
            rating="satisfied",
            received_on=date(2025, 7, 1),
            channel="paper",
        )


def test_second_feedback_from_the_same_proposer_is_refused(ctx):
    assignment = _assignment(proposers=("甲委员", "乙委员"))
    set_status(assignment, S.AWAITING_FEEDBACK)
    first = assignment.proposal.proposers[0]
    record_feedback(
        None,
        assignment,
        proposer_id=first.id,
        rating="satisfied",
        received_on=date(2025, 7, 1),
        channel="paper",
        today=date(2025, 7, 2),
    )
    with pytest.raises(DomainError):
        record_feedback(
            None,
            assignment,
            proposer_id=first.id,
            rating="dissatisfied",
            received_on=date(2025, 7, 1),
            channel="paper",
            today=date(2025, 7, 2),
        )
    assert [f.rating for f in db.session.scalars(sa.select(Feedback))] == [Rating.SATISFIED]


# ---------------------------------------------------------------- pages


def test_contact_and_feedback_pages(app, client):
    with app.app_context():
        assignment = _assignment(proposers=("王明",))
        clerk = make_user(Role.CLERK, unit=assignment.unit)
        db.session.commit()
        asg, pid, name = assignment.id, assignment.proposal_id, clerk.username
    client.get("/lang/en")
    login(client, name)
    future = (datetime.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    bad = client.post(f"/assignments/{asg}/contacts/new", data=dict(_values(), occurred_at=future))
    assert bad.status_code == 422 and "A contact cannot be in the future." in bad.get_data(
        as_text=True
    )
    good = client.post(
        f"/assignments/{asg}/contacts/new", data=dict(_values(), occurred_at="2025-04-02T10:30")
    )
    assert good.status_code == 303
    page = client.get(f"/proposals/{pid}").get_data(as_text=True)
    assert "当面听取意见" in page
    with app.app_context():
        set_status(db.session.get(type(assignment), asg), S.REPLIED)
        db.session.commit()
        proposer_id = db.session.get(type(assignment), asg).proposal.proposers[0].id
    response = client.post(
        f"/assignments/{asg}/feedback/new",
        data={
            "proposer_id": proposer_id,
            "rating": "dissatisfied",
            "received_on": date.today().isoformat(),
            "channel": "paper",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(type(assignment), asg).status is S.REHANDLING
    pdf = client.get(f"/assignments/{asg}/feedback-form.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_feedback_tells_the_unit(ctx):
    from tracker.supervision.models import Notification
    from tracker.supervision.notify import message

    assignment = _assignment()
    clerk = make_user(Role.CLERK, unit=assignment.unit)
    set_status(assignment, S.REPLIED)
    record_feedback(
        None,
        assignment,
        proposer_id=assignment.proposal.proposers[0].id,
        rating="dissatisfied",
        received_on=date(2025, 7, 1),
        channel="online",
        today=date(2025, 7, 2),
    )
    notes = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == clerk.id).order_by(Notification.id)
    ).all()
    assert [n.kind for n in notes] == ["feedback_arrived", "rehandling"]
    assert "王明" in message(notes[0]) and assignment.proposal.number in message(notes[1])
