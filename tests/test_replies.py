"""Letters: defaults, drafting, the review workflow as a table, freezing, versions, pages."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from tests.conftest import login, make_proposal, make_session, make_unit, make_user, set_status
from tracker.auth.models import Role
from tracker.contacts.services import record_contact
from tracker.core.errors import DomainError
from tracker.extensions import db
from tracker.proposals.models import AssignmentRole
from tracker.proposals.workflow import AssignmentStatus
from tracker.replies.letter import PART_FIELDS
from tracker.replies.models import LetterKind, LetterShape, Reply, ReplyStatus
from tracker.replies.services import (
    LetterDraft,
    return_reply,
    save_draft,
    sign_reply,
    start_reply,
    submit_reply,
)
from tracker.replies.views import apply_row_operation, compare_contents

S = AssignmentStatus


@pytest.fixture
def archive(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "ARCHIVE_DIR", str(tmp_path / "archive"))
    return tmp_path / "archive"


def _case(
    role=AssignmentRole.SOLE, proposers=("王明", "李华"), collective=False, contacted=True, **kw
):
    unit = make_unit("市生态环境局")
    unit.letter_name = "深圳市生态环境局"
    session = make_session(name="七届五次会议", council="市政协")
    extra = []
    if role is AssignmentRole.CO:
        extra = [(make_unit("市民政局"), AssignmentRole.LEAD)]
    proposal = make_proposal(
        session=session,
        number="20250467",
        title="关于推动低碳生活的提案",
        proposers=list(proposers),
        collective=collective,
        suggestions=["强化社会监督。", "建立激励机制。"],
        units=extra + [(unit, role)],
        **kw,
    )
    assignment = next(a for a in proposal.assignments if a.unit_id == unit.id)
    set_status(assignment, S.HANDLING)
    clerk = make_user(Role.CLERK, unit=unit)
    clerk.phone = "0755-12345678"
    if contacted:
        log_contact(clerk, assignment)
    return assignment, clerk


def log_contact(clerk, assignment, when=datetime(2025, 4, 2, 10, 30)):
    return record_contact(
        clerk,
        assignment,
        {
            "occurred_at": when,
            "way": "phone",
            "stage": "before",
            "our_people": "张科长",
            "their_people": "王明委员",
            "summary": "介绍办理思路，委员表示赞同。",
            "attitude": "satisfied",
        },
    )


def _complete(reply, clerk, **parts):
    values = {name: getattr(reply, name) for name in PART_FIELDS}
    values.update(category="A", process_account="已与委员电话沟通，委员表示认可。")
    values.update(parts)
    items = [(i.suggestion, f"答复内容{n}。") for n, i in enumerate(reply.items)]
    return save_draft(clerk, reply, LetterDraft(parts=values, items=items))


def test_defaults_for_a_joint_proposal(ctx):
    assignment, clerk = _case()
    reply = start_reply(clerk, assignment)
    assert reply.kind is LetterKind.REPLY and reply.shape is LetterShape.TABLE
    assert reply.process_account.startswith(
        "2025年4月2日，我单位在办理前通过电话沟通的方式，与王明委员"
    )
    assert reply.title == "深圳市生态环境局关于市政协七届五次会议第20250467号提案的答复函"
    assert reply.salutation == "王明委员、李华委员："
    assert reply.opening == "《关于推动低碳生活的提案》收悉，现就提案办理有关情况答复如下："
    assert reply.attachment_marker == "附件1" and reply.closing == "专此答复。"
    assert reply.signing_unit == "市生态环境局"
    assert reply.contact_phone == "0755-12345678"
    assert [i.suggestion for i in reply.items] == ["强化社会监督。", "建立激励机制。"]


def test_defaults_for_a_collective_proposal_and_a_co_opinion(ctx):
    assignment, clerk = _case(proposers=("民革深圳市委会",), collective=True)
    assert start_reply(clerk, assignment).salutation == "民革深圳市委会："
    db.session.rollback()
    assignment, clerk = _case(role=AssignmentRole.CO)
    opinion = start_reply(clerk, assignment)
    assert opinion.kind is LetterKind.CO_OPINION and opinion.shape is LetterShape.CO_OPINION
    assert opinion.salutation == "市民政局："
    assert opinion.title.endswith("第20250467号提案协办件的答复")
    assert opinion.attachment_marker == ""


@pytest.mark.parametrize(
    "status", [S.ASSIGNED, S.RECEIVED, S.RETURN_REQUESTED, S.IN_REVIEW, S.SIGNED_OFF, S.CLOSED]
)
def test_no_letter_before_handling_starts(ctx, status):
    assignment, clerk = _case()
    set_status(assignment, status)
    with pytest.raises(DomainError):
        start_reply(clerk, assignment)


def test_saving_moves_the_case_to_drafted(ctx):
    assignment, clerk = _case()
    reply = start_reply(clerk, assignment)
    _complete(reply, clerk)
    assert assignment.status is S.DRAFTED
    assert [i.answer for i in reply.items] == ["答复内容0。", "答复内容1。"]


@pytest.mark.parametrize(
    ("parts", "field"),
    [
        ({"title": "  "}, "title"),
        ({"category": "Z"}, "category"),
        ({"disclosure": "maybe"}, "disclosure"),
        ({"signing_unit": ""}, "signing_unit"),
        ({"contact_phone": "1" * 51}, "contact_phone"),
    ],
)
def test_bad_drafts_are_refused_and_change_nothing(ctx, parts, field):
    assignment, clerk = _case()
    reply = start_reply(clerk, assignment)
    title = reply.title
    with pytest.raises(DomainError) as exc:
        _complete(reply, clerk, **parts)
    assert exc.value.field == field
    assert reply.title == title and assignment.status is S.HANDLING


def test_submission_needs_answers_category_reason_and_contact(ctx):
    assignment, clerk = _case(contacted=False)
    reply = start_reply(clerk, assignment)
    with pytest.raises(DomainError) as exc:
        submit_reply(clerk, reply)
    assert "answer" in str(exc.value).lower() or "答复" in str(exc.value)
    _complete(reply, clerk, disclosure="not_public", category=None)
    with pytest.raises(DomainError):
        submit_reply(clerk, reply)
    assert reply.status is ReplyStatus.DRAFT and assignment.status is S.DRAFTED
    _complete(
        reply, clerk, disclosure="not_public", disclosure_reason="涉及未公开规划", category="B"
    )
    with pytest.raises(DomainError) as exc:
        submit_reply(clerk, reply)
    assert "contact" in str(exc.value).lower() or "沟通" in str(exc.value)
    log_contact(clerk, assignment)
    submit_reply(clerk, reply)
    assert reply.status is ReplyStatus.IN_REVIEW and assignment.status is S.IN_REVIEW


# The review loop as a table: (letter status, action) -> resulting status, or refused.
LOOP = [
    (ReplyStatus.DRAFT, "submit", ReplyStatus.IN_REVIEW),
    (ReplyStatus.DRAFT, "return", None),
    (ReplyStatus.DRAFT, "sign", None),
    (ReplyStatus.DRAFT, "save", ReplyStatus.DRAFT),
    (ReplyStatus.IN_REVIEW, "submit", None),
    (ReplyStatus.IN_REVIEW, "save", None),
    (ReplyStatus.IN_REVIEW, "return", ReplyStatus.RETURNED),
    (ReplyStatus.IN_REVIEW, "sign", ReplyStatus.SIGNED),
    (ReplyStatus.RETURNED, "save", ReplyStatus.DRAFT),
    (ReplyStatus.RETURNED, "submit", ReplyStatus.IN_REVIEW),
    (ReplyStatus.RETURNED, "sign", None),
    (ReplyStatus.SIGNED, "save", None),
    (ReplyStatus.SIGNED, "submit", None),
    (ReplyStatus.SIGNED, "return", None),
    (ReplyStatus.SIGNED, "sign", None),
]


def _reach(status, reply, clerk, boss):
    _complete(reply, clerk)
    if status is ReplyStatus.DRAFT:
        return
    submit_reply(clerk, reply)
    if status is ReplyStatus.RETURNED:
        return_reply(boss, reply, "请补充数据")
    elif status is ReplyStatus.SIGNED:
        sign_reply(boss, reply, today=date(2025, 9, 8))


@pytest.mark.parametrize(
    ("status", "action", "expected"), LOOP, ids=[f"{s.value}-{a}" for s, a, _ in LOOP]
)
def test_review_loop(ctx, archive, status, action, expected):
    assignment, clerk = _case()
    boss = make_user(Role.SUPERVISOR)
    reply = start_reply(clerk, assignment)
    _reach(status, reply, clerk, boss)
    do = {
        "submit": lambda: submit_reply(clerk, reply),
        "return": lambda: return_reply(boss, reply, "再改改"),
        "sign": lambda: sign_reply(boss, reply),
        "save": lambda: _complete(reply, clerk, closing="此复。"),
    }[action]
    revisions = len(reply.revisions)
    if expected is None:
        with pytest.raises(DomainError):
            do()
        assert reply.status is status
        assert len(reply.revisions) == revisions
    else:
        do()
        assert reply.status is expected


def test_sign_off_freezes_and_archives(ctx, archive):
    assignment, clerk = _case()
    boss = make_user(Role.SUPERVISOR)
    reply = start_reply(clerk, assignment)
    _complete(reply, clerk)
    submit_reply(clerk, reply)
    sign_reply(boss, reply, category="B", today=date(2025, 9, 8))
    assert assignment.status is S.SIGNED_OFF
    assert reply.signed_by_id == boss.id and reply.signed_at is not None
    assert reply.category == "B", "the supervisor may correct the category at sign-off"
    assert reply.letter_date == date(2025, 9, 8)
    stored = archive / reply.pdf_path
    assert stored.read_bytes().startswith(b"%PDF")
    import hashlib

    assert hashlib.sha256(stored.read_bytes()).hexdigest() == reply.pdf_sha256
    assert reply.revisions[-1].content["parts"]["category"] == "B"
    with pytest.raises(DomainError):
        _complete(reply, clerk, title="改过的标题")


def test_every_submitted_version_is_kept(ctx, archive):
    assignment, clerk = _case()
    boss = make_user(Role.SUPERVISOR)
    reply = start_reply(clerk, assignment)
    _complete(reply, clerk)
    submit_reply(clerk, reply)
    return_reply(boss, reply, "第二条答复不具体")
    _complete(reply, clerk, closing="特此函复。")
    submit_reply(clerk, reply)
    assert [r.number for r in reply.revisions] == [1, 2]
    assert reply.revisions[0].review_comment == "第二条答复不具体"
    rows = compare_contents(reply.revisions[0].content, reply.revisions[1].content)
    assert [r["label"] for r in rows] == ["closing"]


def test_second_reply_after_rehandling_links_to_the_first(ctx, archive):
    from tracker.proposals.services import perform_action
    from tracker.proposals.workflow import Action

    assignment, clerk = _case()
    boss = make_user(Role.SUPERVISOR)
    first = start_reply(clerk, assignment)
    _complete(first, clerk)
    submit_reply(clerk, first)
    sign_reply(boss, first)
    set_status(assignment, S.AWAITING_FEEDBACK)
    perform_action(boss, assignment, Action.REHANDLE, comment="委员不满意")
    second = start_reply(clerk, assignment)
    assert second.round == 2 and second.previous_id == first.id
    assert first.pdf_path and first.is_signed, "the first letter stays as it was"


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        ("add", [("a", "1"), ("b", "2"), ("c", "3"), ("", "")]),
        ("remove-1", [("a", "1"), ("c", "3")]),
        ("merge-0", [("a\nb", "1\n2"), ("c", "3")]),
        ("merge-2", [("a", "1"), ("b", "2"), ("c", "3")]),
        ("up-1", [("b", "2"), ("a", "1"), ("c", "3")]),
        ("up-0", [("a", "1"), ("b", "2"), ("c", "3")]),
        ("down-1", [("a", "1"), ("c", "3"), ("b", "2")]),
        ("down-9", [("a", "1"), ("b", "2"), ("c", "3")]),
        ("bogus", [("a", "1"), ("b", "2"), ("c", "3")]),
    ],
)
def test_row_operations(op, expected):
    assert apply_row_operation([("a", "1"), ("b", "2"), ("c", "3")], op) == expected


# ---------------------------------------------------------------- pages


def _form(reply: Reply, **overrides) -> dict:
    data = {name: getattr(reply, name) or "" for name in PART_FIELDS}
    data["disclosure"] = reply.disclosure.value
    data["letter_date"] = ""
    data["shape"] = reply.shape.value
    data["version"] = reply.version_id
    for n, item in enumerate(reply.items):
        data[f"items-{n}-suggestion"] = item.suggestion
        data[f"items-{n}-answer"] = item.answer
    data.update(overrides)
    return data


def test_draft_review_and_sign_through_the_pages(app, client, archive):
    with app.app_context():
        assignment, clerk = _case()
        make_user(Role.SUPERVISOR, username="boss")
        db.session.commit()
        asg_id, clerk_name = assignment.id, clerk.username
    client.get("/lang/en")
    login(client, clerk_name)
    response = client.post(f"/assignments/{asg_id}/letter")
    assert response.status_code == 303
    letter_url = response.location
    with app.app_context():
        reply = db.session.scalar(sa.select(Reply))
        data = _form(
            reply,
            **{
                "items-0-answer": "一、已建立监督机制。\n（一）具体做法。",
                "items-1-answer": "已纳入计划。",
            },
        )
        data.update(category="A", process_account="已电话沟通。")
    response = client.post(letter_url, data=data)
    assert response.status_code == 303
    page = client.get(letter_url).get_data(as_text=True)
    assert "Draft saved" in page
    preview = client.get(letter_url + "/preview").get_data(as_text=True)
    assert "已建立监督机制" in preview and "<script" not in preview.split("</head>")[1]
    client.post(letter_url + "/submit")
    client.post("/logout")
    login(client, "boss")
    client.post(letter_url + "/review", data={"decision": "return", "comment": "请补充时间节点"})
    client.post("/logout")
    login(client, clerk_name)
    assert "请补充时间节点" in client.get(letter_url).get_data(as_text=True)
    with app.app_context():
        reply = db.session.scalar(sa.select(Reply))
        data = _form(reply, closing="特此函复。")
    assert client.post(letter_url, data=dict(data, submit_after="1")).status_code == 303
    client.post("/logout")
    login(client, "boss")
    client.post(letter_url + "/review", data={"decision": "sign"})
    pdf = client.get(letter_url + "/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    versions = client.get(letter_url + "/versions?a=1&b=2").get_data(as_text=True)
    assert (
        "<del>专</del>此<del>答</del>复" in versions
        and "<ins>特</ins>此<ins>函</ins>复" in versions
    )
    assert "Closing" in versions
    with app.app_context():
        reply = db.session.scalar(sa.select(Reply))
        assert reply.status is ReplyStatus.SIGNED and len(reply.revisions) == 2
        assert reply.assignment.status is S.SIGNED_OFF


def test_stale_form_is_refused_and_keeps_both(app, client, archive):
    with app.app_context():
        assignment, clerk = _case()
        reply = start_reply(clerk, assignment)
        db.session.commit()
        url, old = f"/letters/{reply.id}", _form(reply)
        _complete(reply, clerk, closing="别人先保存的结尾。")
        db.session.commit()
        name = clerk.username
    client.get("/lang/en")
    login(client, name)
    response = client.post(url, data=dict(old, closing="我的结尾。"))
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "Someone else saved this letter" in body and "nothing was overwritten" in body
    # both versions side by side: the saved closing and mine
    conflict = body[body.index('id="conflict-h"') : body.index('class="grid-draft"')]
    assert "别人先保存的结尾" in conflict.replace("<del>", "").replace("</del>", "")
    assert "我的结尾" in conflict.replace("<ins>", "").replace("</ins>", "")
    with app.app_context():
        assert db.session.scalar(sa.select(Reply)).closing == "别人先保存的结尾。"


def test_markup_typed_by_a_clerk_is_never_markup(app, client, archive):
    with app.app_context():
        assignment, clerk = _case()
        reply = start_reply(clerk, assignment)
        _complete(reply, clerk, title='<script>alert("x")</script>', opening="<b>粗体</b>")
        db.session.commit()
        url, name = f"/letters/{reply.id}", clerk.username
    login(client, name)
    for page in (client.get(url), client.get(url + "/preview")):
        html = page.get_data(as_text=True)
        assert "<script>alert" not in html and "&lt;script&gt;" in html
        assert "<b>粗体</b>" not in html


def test_other_units_letter_is_not_reachable(app, client, archive):
    with app.app_context():
        assignment, clerk = _case()
        reply = start_reply(clerk, assignment)
        other = make_user(Role.CLERK)
        db.session.commit()
        url, name = f"/letters/{reply.id}", other.username
    login(client, name)
    for suffix in ("", "/preview", "/pdf", "/versions"):
        assert client.get(url + suffix).status_code == 404
    assert client.post(url, data={}).status_code == 404


def test_administrator_sets_the_wording_and_categories(app, client, archive):
    with app.app_context():
        make_user(Role.ADMIN, username="root")
        db.session.commit()
    client.get("/lang/en")
    login(client, "root")
    form = client.get("/admin/letters")
    assert "提案所提问题已经解决或基本解决" in form.get_data(as_text=True)
    data = {
        "default_shape": "prose",
        "attachment_marker": "附件",
        "title": "{unit}关于{session}第{number}号{case}的答复",
        "co_title": "{unit}关于第{number}号{case}的协办意见",
        "opening": "您提出的《{title}》收悉。",
        "co_opening": "《{title}》收悉。",
        "closing": "特此函复。",
        "co_closing": "此复。",
        "process_heading": "一、办理过程",
        "category_heading": "二、评估类别",
        "table_header_left": "建议",
        "table_header_right": "答复",
        "disclosure_public": "同意公开。",
        "disclosure_not_public": "不予公开。",
        "disclosure_partial": "部分公开。",
        "categories": "甲：已解决\n乙：正在解决\n丙：留作参考",
    }
    bad = client.post("/admin/letters", data=dict(data, title="{unit}关于{nummer}号"))
    assert bad.status_code == 422 and "Unknown placeholder {nummer}" in bad.get_data(as_text=True)
    bad = client.post("/admin/letters", data=dict(data, categories="甲 已解决"))
    assert bad.status_code == 422
    assert client.post("/admin/letters", data=data).status_code == 303
    with app.app_context():
        assignment, clerk = _case()
        reply = start_reply(clerk, assignment)
        assert reply.title == "深圳市生态环境局关于七届五次会议第20250467号提案的答复"
        assert reply.shape is LetterShape.PROSE and reply.closing == "特此函复。"
        with pytest.raises(DomainError):
            _complete(reply, clerk, category="A")
        _complete(reply, clerk, category="乙")
        db.session.commit()


def test_versions_page_labels_changed_rows(app, client, archive):
    with app.app_context():
        assignment, clerk = _case()
        boss = make_user(Role.SUPERVISOR)
        reply = start_reply(clerk, assignment)
        _complete(reply, clerk)
        submit_reply(clerk, reply)
        return_reply(boss, reply, "改第二条")
        values = {name: getattr(reply, name) for name in PART_FIELDS}
        save_draft(
            clerk,
            reply,
            LetterDraft(
                parts=values,
                items=[("强化社会监督。", "改过的答复。"), ("建立激励机制。", "答复内容1。")],
            ),
        )
        submit_reply(clerk, reply)
        db.session.commit()
        url, name = f"/letters/{reply.id}/versions?a=1&b=2", clerk.username
    client.get("/lang/en")
    login(client, name)
    page = client.get(url)
    assert page.status_code == 200 and "Answer 1" in page.get_data(as_text=True)
