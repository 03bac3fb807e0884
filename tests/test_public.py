"""The public portal: only published replies, only their publishable parts, no sign-in.

The portal is read-only, so one world of letters in every state is built once for the module
(through the services, the way the bureau makes them) and every test reads it.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from config import TestingConfig
from tests.conftest import (
    _empty_tables,
    make_proposal,
    make_session,
    make_unit,
    make_user,
    set_status,
)
from tracker import create_app
from tracker.auth.models import Role
from tracker.contacts.services import record_contact
from tracker.directory.models import Proposer
from tracker.extensions import db
from tracker.proposals.models import AssignmentRole
from tracker.proposals.services import perform_action
from tracker.proposals.workflow import Action, AssignmentStatus
from tracker.public.views import bp as public_bp
from tracker.replies.letter import PART_FIELDS
from tracker.replies.models import Reply
from tracker.replies.services import (
    ItemData,
    LetterDraft,
    return_reply,
    save_draft,
    sign_reply,
    start_reply,
    submit_reply,
)

S = AssignmentStatus

# Words that only internal records carry: none may ever reach a portal page or PDF.
CONTACT_PERSON, CONTACT_PHONE = "赵联系人", "0755-88886666"
TRAILER = ("孙签批领导", "钱承办员", "0755-77775555")
CONTACT_LOG = "联系记录内部摘要"
REVIEW_COMMENT = "审核内部意见请补充数据"
PROMISE = "内部承诺年底完成"
DISCLOSURE_REASON = "涉及内部会商不宜全文公开"
PARTIAL_PROCESS = "部分公开件的办理过程内部细节"
FULL_TEXT = "提案全文内部存档"
SECRETS = (
    CONTACT_PERSON,
    CONTACT_PHONE,
    *TRAILER,
    CONTACT_LOG,
    REVIEW_COMMENT,
    PROMISE,
    DISCLOSURE_REASON,
    PARTIAL_PROCESS,
    FULL_TEXT,
)
SEARCH_WORD = "海绵城市"


@pytest.fixture(scope="module")
def portal(database_url, tmp_path_factory):
    """An app of this module's own, with the portal registered whether web.py does it or not."""
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        ARCHIVE_DIR=str(tmp_path_factory.mktemp("public-archive")),
    )
    if "public" not in app.blueprints:
        app.register_blueprint(public_bp)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(portal):
    return portal.test_client()


@dataclass
class World:
    published: dict[str, int] = field(default_factory=dict)  # name -> reply id
    hidden: dict[str, int] = field(default_factory=dict)
    sessions: dict[str, int] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)  # name -> proposal number
    proposer_details: list[str] = field(default_factory=list)
    archive_dir: str = ""
    archive_pdf: str = ""


def _contact(clerk, assignment):
    record_contact(
        clerk,
        assignment,
        {
            "occurred_at": datetime(2025, 4, 2, 10, 30),
            "way": "phone",
            "stage": "before",
            "our_people": "张科长",
            "their_people": "王明委员",
            "summary": CONTACT_LOG,
            "attitude": "satisfied",
        },
    )


class Builder:
    """Makes cases and takes their letters as far along the workflow as asked."""

    def __init__(self):
        self.boss = make_user(Role.SUPERVISOR)
        self.n = 0

    def case(self, session, unit, *, role=AssignmentRole.SOLE, lead=None, **kw):
        self.n += 1
        units = [(lead, AssignmentRole.LEAD)] if lead is not None else []
        proposal = make_proposal(
            session=session,
            number=kw.pop("number", f"2025{self.n:04d}"),
            title=kw.pop("title", f"关于公开测试事项{self.n}的提案"),
            proposers=kw.pop("proposers", [f"委员{self.n}"]),
            suggestions=["强化社会监督。", "建立激励机制。"],
            full_text=FULL_TEXT,
            units=units + [(unit, role)],
        )
        assignment = next(a for a in proposal.assignments if a.unit_id == unit.id)
        set_status(assignment, S.HANDLING)
        clerk = make_user(Role.CLERK, unit=unit)
        _contact(clerk, assignment)
        return assignment, clerk

    def letter(
        self,
        assignment,
        clerk,
        stage,
        *,
        disclosure="public",
        category="A",
        answer="已落实。",
        process="已与委员电话沟通，委员表示认可。",
    ):
        reply = start_reply(clerk, assignment)
        values = {name: getattr(reply, name) for name in PART_FIELDS}
        values.update(
            category=category,
            disclosure=disclosure,
            disclosure_reason=None if disclosure == "public" else DISCLOSURE_REASON,
            process_account=process,
            contact_person=CONTACT_PERSON,
            contact_phone=CONTACT_PHONE,
            leader_signoff=TRAILER[0],
            handler=TRAILER[1],
            handler_phone=TRAILER[2],
        )
        items = [
            ItemData(i.suggestion, f"{answer}第{n + 1}条。", PROMISE, date(2025, 12, 31), "某人")
            for n, i in enumerate(reply.items)
        ]
        save_draft(clerk, reply, LetterDraft(parts=values, items=items))
        if stage == "draft":
            return reply
        submit_reply(clerk, reply)
        if stage == "in_review":
            return reply
        return_reply(self.boss, reply, REVIEW_COMMENT)
        if stage == "returned":
            return reply
        submit_reply(clerk, reply)
        sign_reply(self.boss, reply, today=date(2025, 9, 8))
        if stage == "signed":
            return reply
        perform_action(clerk, assignment, Action.SEND)
        if stage == "closed":
            perform_action(clerk, assignment, Action.AWAIT_FEEDBACK)
            perform_action(self.boss, assignment, Action.CLOSE)
        return reply


@pytest.fixture(scope="module")
def world(portal) -> World:
    w = World(archive_dir=portal.config["ARCHIVE_DIR"])
    with portal.app_context():
        _empty_tables()
        fifth = make_session(name="七届五次会议", council="市政协", year=2025)
        fourth = make_session(name="七届四次会议", council="市政协", year=2024)
        env = make_unit("市生态环境局")
        housing = make_unit("市住房建设局")
        b = Builder()
        pub = w.published
        hid = w.hidden

        a, c = b.case(fifth, env, title="关于推进海绵城市建设的提案")
        first = b.letter(a, c, "sent", answer=f"{SEARCH_WORD}建设完成率达到95%")
        pub["public"] = first.id
        w.numbers["public"] = a.proposal.number
        w.archive_pdf = first.pdf_path
        a, c = b.case(fourth, housing)
        pub["closed"] = b.letter(a, c, "closed", category="B", answer="推进老旧小区改造").id
        w.numbers["closed"] = a.proposal.number
        a, c = b.case(fifth, housing)
        pub["partial"] = b.letter(a, c, "sent", disclosure="partial", process=PARTIAL_PROCESS).id
        w.numbers["partial"] = a.proposal.number

        # Sent and then reopened: the first round's letter went out, the second is a draft.
        a, c = b.case(fifth, env)
        pub["first_round"] = b.letter(a, c, "sent", answer="第一轮答复").id
        w.numbers["first_round"] = a.proposal.number
        perform_action(b.boss, a, Action.REHANDLE, comment="委员不满意")
        hid["second_round_draft"] = b.letter(a, c, "draft", answer=SEARCH_WORD).id

        for stage in ("draft", "in_review", "returned", "signed"):
            a, c = b.case(fifth, env, title=f"关于{SEARCH_WORD}的{stage}提案")
            hid[stage] = b.letter(a, c, stage, answer=SEARCH_WORD).id
            w.numbers[stage] = a.proposal.number
        a, c = b.case(fifth, env, title=f"关于{SEARCH_WORD}的不公开提案")
        hid["not_public"] = b.letter(a, c, "sent", disclosure="not_public", answer=SEARCH_WORD).id
        w.numbers["not_public"] = a.proposal.number
        # Marked replied by hand (a paper letter) while the letter here is still a draft.
        a, c = b.case(fifth, env, title=f"关于{SEARCH_WORD}的纸质答复提案")
        hid["draft_of_replied_case"] = b.letter(a, c, "draft", answer=SEARCH_WORD).id
        w.numbers["draft_of_replied_case"] = a.proposal.number
        set_status(a, S.REPLIED)
        a, c = b.case(fifth, env, role=AssignmentRole.CO, lead=housing)
        hid["co_opinion"] = b.letter(a, c, "sent", answer=SEARCH_WORD).id
        w.numbers["co_opinion"] = a.proposal.number

        for p in db.session.scalars(sa.select(Proposer)):
            p.phone = f"1380013{p.id:04d}"
            p.email = f"proposer{p.id}@example.org"
            p.address = f"幸福路{p.id}号内部地址"
            w.proposer_details += [p.phone, p.email, p.address]
        db.session.commit()
        w.sessions = {"fifth": fifth.id, "fourth": fourth.id}
        w.units = {"env": env.id, "housing": housing.id}
        statuses = {
            r.id: (r.status.value, r.kind.value, r.assignment.status.value, r.assignment.round)
            for r in db.session.scalars(sa.select(Reply))
        }
    assert statuses[w.hidden["signed"]][2] == "signed_off"
    assert statuses[w.hidden["co_opinion"]][1] == "co_opinion"
    assert statuses[w.published["closed"]][2] == "closed"
    assert statuses[w.published["first_round"]][2:] == ("drafted", 2), "not sent: a later round"
    return w


def _text(pdf: bytes) -> str:
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    return "".join(out.split())


def _listed(client, **args) -> set[int]:
    response = client.get("/public/replies", query_string=args)
    assert response.status_code == 200
    return {int(i) for i in re.findall(r'href="/public/replies/(\d+)"', response.text)}


def _portal_pages(client, world) -> dict[str, str]:
    urls = ["/public/", "/public/replies", f"/public/replies?q={SEARCH_WORD}"]
    urls += [f"/public/replies?session={s}" for s in world.sessions.values()]
    urls += [f"/public/replies?unit={u}" for u in world.units.values()]
    urls += ["/public/replies?category=A", "/public/replies/999999"]
    urls += [f"/public/replies/{i}" for i in world.published.values()]
    pages = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        pages[url] = response.text
    return pages


# ---------------------------------------------------------------- published


def test_a_published_reply_is_listed_and_readable(client, world):
    rid = world.published["public"]
    assert rid in _listed(client)
    page = client.get(f"/public/replies/{rid}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "public, max-age=300"
    html = page.text
    assert "关于推进海绵城市建设的提案" in html and "建设完成率达到95%" in html
    assert "letters/letter.css" in html, "the letter layout"
    assert "联系人" not in html and "承办人" not in html and "领导签批" not in html
    pdf = client.get(f"/public/replies/{rid}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert pdf.headers["Cache-Control"] == "public, max-age=300"
    text = _text(pdf.data)
    assert "关于推进海绵城市建设的提案" in text
    for secret in SECRETS:
        assert secret not in text, secret
    assert "联系人" not in text and "承办人" not in text


def test_the_archival_copy_does_have_the_contact_line(world):
    """What the public PDF must leave out is really in the letter (so the test above can fail)."""
    text = _text((Path(world.archive_dir) / world.archive_pdf).read_bytes())
    assert CONTACT_PERSON in text and CONTACT_PHONE in text and TRAILER[1] in text


def test_closed_and_earlier_round_letters_are_published(client, world):
    listed = _listed(client)
    for name in ("closed", "first_round", "partial"):
        rid = world.published[name]
        assert rid in listed, name
        assert client.get(f"/public/replies/{rid}").status_code == 200, name


def test_a_partial_reply_leaves_out_the_process_account(client, world):
    rid = world.published["partial"]
    html = client.get(f"/public/replies/{rid}").text
    assert "本答复部分公开" in html
    assert PARTIAL_PROCESS not in html and DISCLOSURE_REASON not in html
    text = _text(client.get(f"/public/replies/{rid}.pdf").data)
    assert "本答复部分公开" in text and PARTIAL_PROCESS not in text
    full = client.get(f"/public/replies/{world.published['public']}").text
    assert "已与委员电话沟通" in full and "本答复部分公开" not in full


# ---------------------------------------------------------------- never published


@pytest.mark.parametrize(
    "name",
    [
        "draft",
        "in_review",
        "returned",
        "signed",
        "not_public",
        "co_opinion",
        "second_round_draft",
        "draft_of_replied_case",
    ],
)
def test_an_unpublished_letter_cannot_be_reached(client, world, name):
    rid = world.hidden[name]
    missing = client.get("/public/replies/999999")
    for url in (f"/public/replies/{rid}", f"/public/replies/{rid}.pdf"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.data == missing.data, "the same answer as an id that does not exist"
        assert (
            "Cache-Control" not in response.headers
            or "public" not in (response.headers["Cache-Control"])
        )
    assert rid not in _listed(client)
    assert rid not in _listed(client, q=SEARCH_WORD)
    assert rid not in _listed(client, session=world.sessions["fifth"])
    number = world.numbers.get(name)
    if number:
        assert rid not in _listed(client, q=number)


def test_guessing_ids_finds_only_published_replies(client, world, portal):
    with portal.app_context():
        top = db.session.scalar(sa.select(sa.func.max(Reply.id)))
    published = set(world.published.values())
    reachable = set()
    for rid in range(0, top + 6):
        page = client.get(f"/public/replies/{rid}")
        pdf_status = client.get(f"/public/replies/{rid}.pdf").status_code
        assert page.status_code in (200, 404) and pdf_status in (200, 404)
        if page.status_code == 200:
            reachable.add(rid)
        assert (page.status_code == 200) == (pdf_status == 200), rid
    assert reachable == published
    for url in (
        f"/public/replies/{2**31}",
        f"/public/replies/{10**30}.pdf",
        "/public/replies/-1",
        "/public/replies/1%00",
        "/public/replies/abc",
    ):
        assert client.get(url).status_code == 404, url


def test_nothing_internal_appears_on_any_portal_page(client, world):
    assert world.proposer_details
    for url, html in _portal_pages(client, world).items():
        for secret in (*SECRETS, *world.proposer_details):
            assert secret not in html, (url, secret)
        for link in re.findall(r'(?:href|src|action)="([^"]*)"', html):
            assert link.startswith(("/public/", "/static/", "/lang/", "#")), (url, link)
            assert not link.startswith("/static/") or ".." not in link, (url, link)
        for path in ("/letters/", "/proposals", "/login", "/admin", "/assignments/"):
            assert f'"{path}' not in html, (url, path)
        assert "csrf" not in html.lower(), url
    for name in ("public", "closed"):
        text = _text(client.get(f"/public/replies/{world.published[name]}.pdf").data)
        for secret in world.proposer_details:
            assert secret not in text


def test_the_portal_is_read_only_and_internal_pages_still_need_sign_in(client, world, portal):
    for url in ("/public/", "/public/replies", f"/public/replies/{world.published['public']}"):
        assert client.post(url).status_code == 405, url
    rules = [r for r in portal.url_map.iter_rules() if r.endpoint.startswith("public.")]
    assert {r.endpoint for r in rules} == {
        "public.index",
        "public.replies",
        "public.show",
        "public.pdf",
    }
    assert all(r.methods <= {"GET", "HEAD", "OPTIONS"} for r in rules)
    rid = world.published["public"]
    for url in ("/proposals", f"/letters/{rid}", f"/letters/{rid}/pdf", f"/letters/{rid}/preview"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location, url


# ---------------------------------------------------------------- browsing and search


def test_search_finds_a_word_of_an_answer_and_escapes_wildcards(client, world):
    assert _listed(client, q=SEARCH_WORD) == {world.published["public"]}
    assert _listed(client, q="老旧小区") == {world.published["closed"]}
    assert _listed(client, q=world.numbers["partial"]) == {world.published["partial"]}
    assert _listed(client, q="95%") == {world.published["public"]}
    assert _listed(client, q="%") == {world.published["public"]}, "% is a character, not 'any'"
    assert _listed(client, q="_") == set()
    assert _listed(client, q="\\") == set()
    assert _listed(client, q="x" * 500) == set()
    assert _listed(client, q=f"{SEARCH_WORD}\x00") == {world.published["public"]}
    assert _listed(client, q="\x00\x01") == set(world.published.values())


def test_filters_by_session_unit_and_category(client, world):
    pub = world.published
    assert _listed(client, session=world.sessions["fourth"]) == {pub["closed"]}
    assert _listed(client, session=world.sessions["fifth"]) == {
        pub["public"],
        pub["partial"],
        pub["first_round"],
    }
    assert _listed(client, unit=world.units["housing"]) == {pub["closed"], pub["partial"]}
    assert _listed(client, unit=world.units["env"]) == {pub["public"], pub["first_round"]}
    assert _listed(client, category="B") == {pub["closed"]}
    assert _listed(client, category="B", unit=world.units["env"]) == set()
    assert _listed(client, category="Z", session="x", unit="", page="-3") == set(pub.values())
    huge = str(10**30)
    assert _listed(client, session=huge, unit=huge, page=huge) == set(pub.values())


def test_the_index_counts_published_replies_only(client, world):
    html = client.get("/public/").text
    assert "市政协七届五次会议" in html and "市政协七届四次会议" in html
    fifth = re.search(r"市政协七届五次会议</a></td><td>(\d+)</td>", html)
    assert fifth and int(fifth.group(1)) == 3
    housing = re.search(r"市住房建设局</a></td><td>(\d+)</td>", html)
    assert housing and int(housing.group(1)) == 2


def test_the_list_is_paginated(client, world, monkeypatch):
    import tracker.public.queries as queries

    monkeypatch.setattr(queries, "PER_PAGE", 2)
    first, second = _listed(client), _listed(client, page=2)
    assert len(first) == 2 and len(second) == 2
    assert first | second == set(world.published.values())
    assert _listed(client, page=99) == second, "past the end shows the last page"


def test_chinese_by_default_english_on_request(client, world):
    html = client.get("/public/").text
    assert 'lang="zh-CN"' in html and "跳到正文" in html and "市政协七届五次会议" in html
    assert client.get("/public/replies").headers["Cache-Control"] == "public, max-age=300"
    client.get("/lang/en?next=/public/")
    html = client.get("/public/").text
    assert 'lang="en"' in html and "Skip to content" in html and "Published replies" in html
