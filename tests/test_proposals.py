"""Registering proposals and assigning units: the rules, then the pages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, login, make_proposal, make_session, make_unit, make_user
from tracker.auth.models import Role
from tracker.core.audit import AuditEvent, verify_chain
from tracker.core.errors import DomainError
from tracker.directory.models import ProposerKind
from tracker.extensions import db
from tracker.proposals.models import Assignment, AssignmentRole, Proposal
from tracker.proposals.services import ProposalData, assign_unit, save_proposal
from tracker.proposals.workflow import AssignmentStatus


def _data(session_id: int, **kw) -> ProposalData:
    values = dict(
        session_id=session_id,
        number="20250467",
        title="关于推进社区养老服务的提案",
        proposers=["王委员", "李委员"],
        suggestions=["建议一", "建议二"],
    )
    values.update(kw)
    return ProposalData(**values)


BAD_INPUT = [
    ({"title": "   "}, "title"),
    ({"number": ""}, "number"),
    ({"number": "2025 0467"}, "number"),
    ({"number": "2025<b>"}, "number"),
    ({"proposers": []}, "proposers"),
    ({"proposers": ["民革市委会", "市工商联"], "collective": True}, "proposers"),
    ({"proposers": ["王委员", "王委员"]}, "proposers"),
    ({"title": "长" * 301}, "title"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_INPUT)
def test_bad_proposal_input_is_refused(ctx, changes, field):
    session = make_session()
    with pytest.raises(DomainError) as exc:
        save_proposal(None, None, _data(session.id, **changes))
    assert exc.value.field == field
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Proposal.id))) == 0


def test_duplicate_number_in_a_session_is_refused_but_allowed_in_another(ctx):
    first, second = make_session(), make_session()
    save_proposal(None, None, _data(first.id))
    with pytest.raises(DomainError) as exc:
        save_proposal(None, None, _data(first.id, title="另一个提案"))
    assert exc.value.field == "number"
    assert save_proposal(None, None, _data(second.id)).number == "20250467"


def test_proposers_in_order_and_collective(ctx):
    session = make_session()
    joint = save_proposal(None, None, _data(session.id, proposers=["甲委员", "乙委员", "丙委员"]))
    assert [p.name for p in joint.proposers] == ["甲委员", "乙委员", "丙委员"]
    assert joint.first_proposer.name == "甲委员"
    body = save_proposal(
        None,
        None,
        _data(session.id, number="20250468", proposers=["民盟深圳市委会"], collective=True),
    )
    assert body.is_collective and body.first_proposer.kind is ProposerKind.BODY
    # editing reorders and reuses the same proposer records
    save_proposal(
        None, joint, _data(session.id, proposers=["丙委员", "甲委员"], suggestions=["只一条"])
    )
    assert [p.name for p in joint.proposers] == ["丙委员", "甲委员"]
    assert [s.text for s in joint.suggestions] == ["只一条"]


def test_stale_edit_is_refused(ctx):
    session = make_session()
    proposal = save_proposal(None, None, _data(session.id))
    db.session.commit()
    stale = proposal.version_id
    save_proposal(None, proposal, _data(session.id, title="新的案由"))
    db.session.commit()
    with pytest.raises(DomainError):
        save_proposal(None, proposal, _data(session.id, title="过时的修改"), version=stale)
    db.session.rollback()
    assert db.session.get(Proposal, proposal.id).title == "新的案由"


def test_assignment_deadlines_from_the_rules(ctx):
    lead, co = make_unit(), make_unit()
    proposal = make_proposal(units=[(lead, AssignmentRole.LEAD), (co, AssignmentRole.CO)])
    by_role = {a.role: a for a in proposal.assignments}
    assert by_role[AssignmentRole.LEAD].due_on == date(2025, 6, 10)  # 3 months
    assert by_role[AssignmentRole.CO].due_on == date(2025, 4, 10)  # 1 month
    assert by_role[AssignmentRole.LEAD].status is AssignmentStatus.ASSIGNED


def test_key_proposal_fixed_date(ctx):
    session = make_session(key_due_on=date(2025, 9, 30))
    proposal = make_proposal(
        session=session, is_key=True, units=[(make_unit(), AssignmentRole.SOLE)]
    )
    assert proposal.assignments[0].due_on == date(2025, 9, 30)


ASSIGN_ERRORS = [
    ("due before assigned", dict(due_on=date(2025, 3, 1)), "due_on"),
    ("future assignment", dict(assigned_on=date.today() + timedelta(days=3)), "assigned_on"),
]


@pytest.mark.parametrize(("name", "kw", "field"), ASSIGN_ERRORS, ids=[c[0] for c in ASSIGN_ERRORS])
def test_bad_assignment_is_refused(ctx, name, kw, field):
    proposal = make_proposal()
    args = dict(assigned_on=date(2025, 3, 10))
    args.update(kw)
    with pytest.raises(DomainError) as exc:
        assign_unit(
            None, proposal, make_unit(), AssignmentRole.SOLE, args.pop("assigned_on"), **args
        )
    assert exc.value.field == field
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 0


@pytest.mark.parametrize(
    ("existing", "new"),
    [
        ([AssignmentRole.SOLE], AssignmentRole.LEAD),
        ([AssignmentRole.LEAD], AssignmentRole.SOLE),
        ([AssignmentRole.LEAD], AssignmentRole.LEAD),
        ([], AssignmentRole.CO),
        ([AssignmentRole.SPLIT], AssignmentRole.LEAD),
        ([AssignmentRole.LEAD], AssignmentRole.SPLIT),
    ],
)
def test_role_mix_rules(ctx, existing, new):
    proposal = make_proposal(units=[(make_unit(), role) for role in existing])
    with pytest.raises(DomainError):
        assign_unit(None, proposal, make_unit(), new, date(2025, 3, 10))
    assert len([a for a in proposal.assignments if a.id]) == len(existing)


def test_same_unit_twice_is_refused(ctx):
    unit = make_unit()
    proposal = make_proposal(units=[(unit, AssignmentRole.SPLIT)])
    with pytest.raises(DomainError):
        assign_unit(None, proposal, unit, AssignmentRole.SPLIT, date(2025, 3, 10))


def test_every_change_is_audited_and_chained(ctx):
    proposal = make_proposal(units=[(make_unit(), AssignmentRole.SOLE)])
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.proposal_id == proposal.id).order_by(AuditEvent.seq)
    ).all()
    assert [e.action for e in events] == ["proposal.created", "assignment.created"]
    assert events[0].changes["title"][1] == proposal.title
    db.session.commit()
    assert verify_chain().ok
    db.session.execute(sa.update(AuditEvent).where(AuditEvent.seq == 1).values(summary="tampered"))
    report = verify_chain()
    assert not report.ok and report.broken_at == 1


# ---------------------------------------------------------------- pages


@pytest.fixture
def world(app):
    """Two units with a clerk each, a supervisor, and one case on each unit."""
    with app.app_context():
        own, other = make_unit("市教育局"), make_unit("市民政局")
        session = make_session(name="七届五次会议", is_current=True)
        make_user(Role.CLERK, unit=own, username="clerk")
        make_user(Role.CLERK, unit=other, username="other")
        make_user(Role.VIEWER, unit=own, username="viewer")
        make_user(Role.SUPERVISOR, username="boss")
        mine = make_proposal(
            session=session, title="关于学位供给的提案", units=[(own, AssignmentRole.SOLE)]
        )
        theirs = make_proposal(
            session=session, title="关于养老服务的提案", units=[(other, AssignmentRole.SOLE)]
        )
        db.session.commit()
        return {
            "own": own.id,
            "other": other.id,
            "session": session.id,
            "mine": mine.id,
            "theirs": theirs.id,
            "mine_asg": mine.assignments[0].id,
            "theirs_asg": theirs.assignments[0].id,
        }


def test_sign_in_required(client):
    response = client.get("/proposals")
    assert response.status_code == 302 and "/login" in response.location


def test_wrong_password(client, world):
    response = login(client, "clerk", "not-the-password")
    assert (
        "用户名或密码错误".encode() in response.data
        or b"Wrong username or password" in response.data
    )
    assert client.get("/proposals").status_code == 302


def test_clerk_sees_only_own_units_cases(client, world):
    login(client, "clerk")
    page = client.get("/proposals").get_data(as_text=True)
    assert "关于学位供给的提案" in page and "关于养老服务的提案" not in page
    assert client.get(f"/proposals/{world['theirs']}").status_code == 404
    assert client.get(f"/proposals/{world['mine']}").status_code == 200


def test_supervisor_sees_all_and_filters(client, world):
    login(client, "boss")
    page = client.get("/proposals").get_data(as_text=True)
    assert "关于学位供给的提案" in page and "关于养老服务的提案" in page
    filtered = client.get(f"/proposals?unit={world['other']}").get_data(as_text=True)
    assert "关于养老服务的提案" in filtered and "关于学位供给的提案" not in filtered
    overdue = client.get("/proposals?due=overdue").get_data(as_text=True)
    assert "关于养老服务的提案" in overdue  # assigned March 2025, due June 2025
    searched = client.get("/proposals?q=学位").get_data(as_text=True)
    assert "关于<mark>学位</mark>供给的提案" in searched and "关于养老服务的提案" not in searched


def test_clerk_registers_a_proposal_for_own_unit(client, app, world):
    login(client, "clerk")
    response = client.post(
        "/proposals/new",
        data={
            "session_id": world["session"],
            "case_type": "proposal",
            "number": "20250099",
            "title": "关于校园周边交通安全的提案",
            "kind": "plenary",
            "proposers": "赵委员\n钱委员",
            "suggestions-0": "增设护学岗",
            "suggestions-1": "",
            "own_role": "lead",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        proposal = db.session.scalar(sa.select(Proposal).where(Proposal.number == "20250099"))
        assert [p.name for p in proposal.proposers] == ["赵委员", "钱委员"]
        assert [s.text for s in proposal.suggestions] == ["增设护学岗"]
        assert [(a.unit_id, a.role) for a in proposal.assignments] == [
            (world["own"], AssignmentRole.LEAD)
        ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, None),
        ({"number": "2025 0467"}, "A proposal number cannot contain spaces."),
        ({"number": "20250001"}, None),  # duplicate of an existing case
    ],
)
def test_bad_form_input_shows_message_and_saves_nothing(client, app, world, changes, message):
    with app.app_context():
        existing = db.session.get(Proposal, world["mine"]).number
        before = db.session.scalar(sa.select(sa.func.count(Proposal.id)))
    client.get("/lang/en")
    login(client, "boss")
    data = {
        "session_id": world["session"],
        "case_type": "proposal",
        "number": "20259999",
        "title": "关于某事的提案",
        "kind": "plenary",
        "proposers": "孙委员",
    }
    data.update(changes)
    if data["number"] == "20250001":
        data["number"] = existing
    response = client.post("/proposals/new", data=data)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "nothing has been saved" in body
    if message:
        assert message in body
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Proposal.id))) == before


def test_assign_with_due_before_assignment_shows_error(client, app, world):
    client.get("/lang/en")
    login(client, "boss")
    with app.app_context():
        unit = make_unit("市财政局")
        db.session.commit()
        unit_id = unit.id
    response = client.post(
        f"/proposals/{world['mine']}/assign",
        data={
            "unit_id": unit_id,
            "role": "split",
            "assigned_on": "2025-03-10",
            "due_on": "2025-03-01",
        },
    )
    assert response.status_code == 422
    assert "The due date cannot be before the assignment date." in response.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count(Assignment.id)).where(Assignment.unit_id == unit_id)
            )
            == 0
        )


def test_workflow_through_the_pages(client, app, world):
    client.get("/lang/en")
    login(client, "clerk")
    asg = world["mine_asg"]
    for action in ("receive", "start_handling"):
        response = client.post(f"/assignments/{asg}/action", data={"action": action})
        assert response.status_code == 303
    # drafting and submitting happen on the letter's page, not with the case page's buttons
    response = client.post(
        f"/assignments/{asg}/action", data={"action": "record_draft"}, follow_redirects=True
    )
    assert "taken on the letter" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Assignment, asg).status is AssignmentStatus.HANDLING
    page = client.get(f"/proposals/{world['mine']}").get_data(as_text=True)
    assert "Write the reply" in page


def test_refused_transition_gives_a_message(client, app, world):
    client.get("/lang/en")
    login(client, "clerk")
    response = client.post(
        f"/assignments/{world['mine_asg']}/action", data={"action": "send"}, follow_redirects=True
    )
    assert "is not possible for you now" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Assignment, world["mine_asg"]).status is AssignmentStatus.ASSIGNED


def test_other_units_assignment_is_not_reachable(client, world):
    login(client, "clerk")
    assert (
        client.post(
            f"/assignments/{world['theirs_asg']}/action", data={"action": "receive"}
        ).status_code
        == 404
    )


def test_viewer_cannot_act(client, world):
    login(client, "viewer")
    assert client.get(f"/proposals/{world['mine']}").status_code == 200
    assert (
        client.post(
            f"/assignments/{world['mine_asg']}/action", data={"action": "receive"}
        ).status_code
        == 403
    )


def test_extension_request_and_approval(client, app, world):
    login(client, "clerk")
    client.post(
        f"/assignments/{world['mine_asg']}/extension",
        data={"requested_due_on": "2025-08-01", "reason": "需多部门协调"},
    )
    with app.app_context():
        extension = db.session.get(Assignment, world["mine_asg"]).extensions[0]
        ext_id = extension.id
    client.post("/logout")
    login(client, "boss")
    client.post(
        f"/extensions/{ext_id}/decide",
        data={
            "decision": "approve",
            "granted_due_on": "2025-07-31",
            "approver": "市政协提案委员会",
        },
    )
    with app.app_context():
        assignment = db.session.get(Assignment, world["mine_asg"])
        assert assignment.due_on == date(2025, 7, 31)
        assert assignment.extensions[0].approver == "市政协提案委员会"


def test_extension_beyond_six_months_is_refused(ctx):
    proposal = make_proposal(units=[(make_unit(), AssignmentRole.SOLE)])
    from tracker.proposals.services import request_extension

    with pytest.raises(DomainError) as exc:
        request_extension(
            None, proposal.assignments[0], reason="理由", requested_due_on=date(2025, 12, 1)
        )
    assert exc.value.field == "requested_due_on"


def test_password_is_hashed_with_scrypt(ctx):
    user = make_user(Role.CLERK)
    assert user.password_hash.startswith("scrypt:")
    assert user.check_password(PASSWORD)


def test_the_list_remembers_its_filters(client, world):
    login(client, "boss")
    client.get(f"/proposals?unit={world['other']}&due=overdue")
    back = client.get("/proposals")
    assert back.status_code == 302 and f"unit={world['other']}" in back.location
    assert "due=overdue" in back.location
    cleared = client.get("/proposals?clear=1")
    assert cleared.status_code == 302
    page = client.get("/proposals")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "关于学位供给的提案" in body and "关于养老服务的提案" in body
