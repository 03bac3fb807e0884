"""Search: every source found as a substring, kept in step by the flush, scoped, highlighted."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from tests.conftest import login, make_proposal, make_session, make_unit, make_user, set_status
from tracker.auth.models import Role
from tracker.contacts.models import ContactLog
from tracker.contacts.services import edit_contact, record_contact, withdraw_contact
from tracker.directory.models import Proposer
from tracker.extensions import db
from tracker.proposals.models import Assignment, AssignmentRole, Proposal
from tracker.proposals.services import ProposalData, save_proposal
from tracker.proposals.workflow import AssignmentStatus
from tracker.replies.letter import PART_FIELDS
from tracker.replies.models import Reply
from tracker.replies.services import LetterDraft, save_draft, start_reply
from tracker.search.cli import search_cli
from tracker.search.models import SearchDocument, SearchSource
from tracker.search.queries import matching_proposal_ids, snippets

NOW = datetime(2025, 5, 6, 15, 0)
SOLE = AssignmentRole.SOLE


def found(q: str) -> set[int]:
    return set(db.session.scalars(matching_proposal_ids(q)))


def assert_index_in_sync() -> None:
    """SQLite: the FTS index holds exactly the documents' text (a stale row could match later)."""
    if db.engine.dialect.name == "sqlite":
        db.session.execute(
            sa.text("INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 1)")
        )


def contact_values(summary: str) -> dict:
    return {
        "occurred_at": datetime(2025, 4, 2, 10, 30),
        "way": "phone",
        "stage": "during",
        "our_people": "李处长",
        "their_people": "王明委员",
        "summary": summary,
        "attitude": "understanding",
    }


def write_answers(clerk, reply, *answers: str):
    parts = {name: getattr(reply, name) for name in PART_FIELDS}
    items = [(item.suggestion, answer) for item, answer in zip(reply.items, answers, strict=False)]
    return save_draft(clerk, reply, LetterDraft(parts=parts, items=items))


def proposal_with(source: str, text: str, unit=None, **kw) -> Proposal:
    """A proposal with `text` in one source (an answer or a contact note: its unit's)."""
    unit = unit or make_unit()
    fields = {
        "title": {"title": text},
        "number": {"number": text},
        "suggestion": {"suggestions": [text]},
        "full_text": {"full_text": text},
        "proposer": {"proposers": [text]},
    }.get(source, {})
    proposal = make_proposal(units=[(unit, SOLE)], **fields, **kw)
    assignment = proposal.assignments[0]
    if source == "answer":
        set_status(assignment, AssignmentStatus.HANDLING)
        clerk = make_user(Role.CLERK, unit=unit)
        write_answers(clerk, start_reply(clerk, assignment), text)
    elif source == "contact":
        record_contact(None, assignment, contact_values(text), now=NOW)
    db.session.flush()
    return proposal


CARBON = "关于推进碳普惠城市建设的提案"
SHARE = "绿色出行分担率达到100%"
CASES = [
    # source, the text there, the search, found?
    ("title", CARBON, "碳普惠", True),
    ("suggestion", "建立市民碳普惠积分兑换制度", "碳普惠", True),
    ("full_text", "近年来，我市探索建立碳普惠机制，\n成效初显。", "碳普惠", True),
    ("proposer", "欧阳明华", "欧阳明", True),
    ("proposer", "欧阳明华", "明华", True),  # two characters: the LIKE fallback
    ("answer", "我局已上线碳普惠小程序，累计注册用户十万人。", "碳普惠", True),
    ("contact", "委员建议扩大碳普惠应用场景。", "碳普惠", True),
    ("number", "2025A088", "A08", True),
    ("suggestion", "发展普惠养老服务", "养老", True),
    ("suggestion", "发展普惠养老服务", "养", True),
    ("title", CARBON, "碳排放", False),
    ("title", CARBON, "碳普惠 城市", True),  # every term, anywhere
    ("title", CARBON, "碳普惠 乡村", False),
    ("suggestion", "推动ESG信息披露", "esg", True),
    ("suggestion", SHARE, "100%", True),
    ("suggestion", SHARE, "10%", False),  # % is a percent sign, not a wildcard
    ("suggestion", SHARE, "%", True),
    ("suggestion", "绿色出行分担率达到七成", "%", False),
    ("suggestion", "绿色出行分担率达到七成", "_", False),
    ("suggestion", "数据字段 car_sharing", "r_s", True),
    ("suggestion", "数据字段 carXsharing", "r_s", False),  # _ is an underscore
    ("suggestion", "数据字段 carXsharing", "r_", False),
    ("suggestion", r"共享目录 a\b", r"a\b", True),
    ("suggestion", r"共享目录 a\b", r"a\c", False),
    ("title", CARBON, '"碳普惠" OR 城市*', False),  # FTS5 syntax is plain text here
    ("title", CARBON, "NEAR(碳普惠", False),
]


@pytest.mark.parametrize(("source", "text", "q", "expected"), CASES)
def test_search_finds_substrings(ctx, source, text, q, expected):
    target = proposal_with(source, text)
    make_proposal(title="关于其他事项的提案", proposers=["钱明"])  # must never match
    assert found(q) == ({target.id} if expected else set())
    matched = snippets(q, [target.id]).get(target.id, [])
    if expected and " " not in q:
        (hit,) = [s for s in matched if s.source == SearchSource(source)]
        assert hit.match.lower() == q.lower()
        assert (hit.before + hit.match + hit.after).replace("…", "") in " ".join(text.split())


def test_documents_of_a_proposal(ctx):
    proposal = make_proposal(
        number="2025001",
        title="关于碳普惠的提案",
        full_text="正文",
        proposers=["王明", "李华"],
        suggestions=["建议一", "建议二"],
    )
    documents = db.session.execute(
        sa.select(SearchDocument.source, SearchDocument.text).where(
            SearchDocument.proposal_id == proposal.id
        )
    ).all()
    assert sorted(documents) == sorted(
        [
            (SearchSource.TITLE, "关于碳普惠的提案"),
            (SearchSource.NUMBER, "2025001"),
            (SearchSource.FULL_TEXT, "正文"),
            (SearchSource.PROPOSER, "王明"),
            (SearchSource.PROPOSER, "李华"),
            (SearchSource.SUGGESTION, "建议一"),
            (SearchSource.SUGGESTION, "建议二"),
        ]
    )


def _edit(proposal: Proposal, **changes) -> None:
    values = {
        "session_id": proposal.session_id,
        "number": proposal.number,
        "title": proposal.title,
        "full_text": proposal.full_text,
        "proposers": [p.name for p in proposal.proposers],
        "suggestions": [s.text for s in proposal.suggestions],
    }
    values.update(changes)
    save_proposal(None, proposal, ProposalData(**values))


def test_editing_a_title_updates_the_index(ctx):
    proposal = make_proposal(title="关于推进碳普惠城市建设的提案")
    _edit(proposal, title="关于完善社区养老服务体系的提案")
    assert found("碳普惠") == set() and found("碳普") == set()
    assert found("养老服务") == {proposal.id} and found("养老") == {proposal.id}
    assert_index_in_sync()


def test_editing_and_deleting_suggestions_updates_the_index(ctx):
    proposal = make_proposal(suggestions=["建立碳普惠积分制度", "完善公交接驳"])
    _edit(proposal, suggestions=["完善公交接驳"])  # the first one is deleted
    assert found("碳普惠") == set() and found("公交接驳") == {proposal.id}
    _edit(proposal, suggestions=["完善地铁接驳"])
    assert found("公交接驳") == set() and found("地铁接驳") == {proposal.id}
    _edit(proposal, full_text="全文提到碳普惠")
    assert found("碳普惠") == {proposal.id}
    _edit(proposal, full_text="")
    assert found("碳普惠") == set()
    assert_index_in_sync()


def test_proposers_follow_the_links_and_renames(ctx):
    proposal = make_proposal(proposers=["欧阳明华"])
    _edit(proposal, proposers=["司马光明"])
    assert found("欧阳明") == set() and found("司马光") == {proposal.id}
    proposer = db.session.scalar(sa.select(Proposer).where(Proposer.name == "司马光明"))
    proposer.name = "司马光亮"
    db.session.flush()
    assert found("光明") == set() and found("光亮") == {proposal.id}
    assert_index_in_sync()


def test_answers_follow_the_draft(ctx):
    proposal = proposal_with("answer", "我局已上线碳普惠小程序。")
    assert found("碳普惠") == {proposal.id}
    document = db.session.scalar(
        sa.select(SearchDocument).where(SearchDocument.source == SearchSource.ANSWER)
    )
    assert document.assignment_id == proposal.assignments[0].id
    write_answers(None, db.session.scalar(sa.select(Reply)), "我局已开通绿色出行积分。")
    assert found("碳普惠") == set() and found("绿色出行") == {proposal.id}
    assert_index_in_sync()


def test_withdrawn_and_edited_contact_notes(ctx):
    proposal = proposal_with("contact", "委员建议扩大碳普惠应用场景。")
    log = db.session.scalar(sa.select(ContactLog))
    document = db.session.scalar(
        sa.select(SearchDocument).where(SearchDocument.source == SearchSource.CONTACT)
    )
    assert (document.source_id, document.assignment_id) == (log.id, log.assignment_id)
    edit_contact(None, log, contact_values("委员建议推广碳普惠场景。"), now=NOW)
    assert found("推广碳普惠") == {proposal.id} and found("扩大碳普惠") == set()
    withdraw_contact(None, log, "记错了案件")
    assert found("碳普惠") == set()
    assert_index_in_sync()


def test_deleting_a_proposal_deletes_its_documents(ctx):
    proposal = proposal_with("contact", "委员建议扩大碳普惠应用场景。")
    proposal_id = proposal.id
    db.session.delete(proposal)
    db.session.flush()
    assert found("碳普惠") == set()
    assert not db.session.scalar(
        sa.select(sa.func.count()).where(SearchDocument.proposal_id == proposal_id)
    )
    assert_index_in_sync()


def test_reindex_rebuilds_the_same_documents(app):
    with app.app_context():
        unit = make_unit()
        sources = {source: text for source, text, _q, _found in CASES[:8]}
        ids = {proposal_with(source, text, unit=unit).id: text for source, text in sources.items()}
        withdrawn = proposal_with("contact", "已撤回的碳普惠记录", unit=unit)
        log = db.session.scalar(
            sa.select(ContactLog).join(Assignment).where(Assignment.proposal_id == withdrawn.id)
        )
        withdraw_contact(None, log, "重复记录")
        db.session.commit()
        columns = (
            SearchDocument.proposal_id,
            SearchDocument.source,
            SearchDocument.source_id,
            SearchDocument.assignment_id,
            SearchDocument.text,
        )
        before = set(db.session.execute(sa.select(*columns)).all())
        assert len(before) > len(ids) * 3
        # Lose some documents and gain a stale one, as after a bulk load.
        first, second = list(ids)[:2]
        db.session.execute(sa.delete(SearchDocument).where(SearchDocument.proposal_id == first))
        db.session.add(
            SearchDocument(
                proposal_id=second, source=SearchSource.SUGGESTION, source_id=10**6, text="陈旧文本"
            )
        )
        db.session.commit()

    result = app.test_cli_runner().invoke(search_cli, ["reindex", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert f"{len(before)} search documents" in result.output
    with app.app_context():
        assert set(db.session.execute(sa.select(*columns)).all()) == before
        assert found("陈旧文本") == set()
        assert found("碳普惠") == {pid for pid, text in ids.items() if "碳普惠" in text}
        assert_index_in_sync()


def test_the_index_serves_the_search(ctx):
    make_proposal(title=CARBON)
    query = matching_proposal_ids("碳普惠")
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "sqlite":
        plan = db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}")).all()
        assert any("VIRTUAL TABLE INDEX" in row[-1] for row in plan), plan
    else:
        db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(db.session.scalars(sa.text(f"EXPLAIN {compiled}")))
        assert "ix_search_documents_text_trgm" in plan, plan


# ---------- the list page ----------


@pytest.fixture
def cases(app):
    """Two units with a clerk each, a supervisor, and carbon cases in two sessions."""
    with app.app_context():
        own, other = make_unit("市生态环境局"), make_unit("市交通运输局")
        this_year = make_session(name="七届五次会议", is_current=True)
        last_year = make_session(name="七届四次会议", year=2024)
        make_user(Role.CLERK, unit=own, username="clerk")
        make_user(Role.SUPERVISOR, username="boss")
        mine = proposal_with(
            "suggestion",
            "建议<script>alert(1)</script>推广碳普惠积分，覆盖更多公共交通、垃圾分类与节能家电等场景。",
            unit=own,
            session=this_year,
            title="关于<b>碳普惠</b>试点的提案",
        )
        theirs = proposal_with(
            "contact", "委员建议扩大碳普惠应用场景。", unit=other, session=this_year
        )
        old = proposal_with("title", "关于碳普惠平台建设的提案", unit=other, session=last_year)
        db.session.commit()
        return {
            "mine": mine.id,
            "theirs": theirs.number,
            "old": old.number,
            "this_year": this_year.id,
            "mine_number": mine.number,
        }


def test_clerk_finds_only_own_units_cases(client, cases):
    login(client, "clerk")
    page = client.get("/proposals?q=碳普惠").get_data(as_text=True)
    assert cases["mine_number"] in page
    assert cases["theirs"] not in page and cases["old"] not in page
    assert "扩大" not in page  # nor another unit's contact note


def test_matches_are_highlighted_and_escaped(client, cases):
    login(client, "boss")
    page = client.get("/proposals?q=碳普惠").get_data(as_text=True)
    assert "关于&lt;b&gt;<mark>碳普惠</mark>&lt;/b&gt;试点的提案" in page
    assert "…)&lt;/script&gt;推广<mark>碳普惠</mark>积分，覆盖更多公共交通、垃圾分类与节…" in page
    assert "<script>alert" not in page and "<b>" not in page
    assert "委员建议扩大<mark>碳普惠</mark>应用场景" in page
    assert all(cases[k] in page for k in ("theirs", "old", "mine_number"))


def test_search_combines_with_the_filters(client, cases):
    login(client, "boss")
    page = client.get(f"/proposals?q=碳普惠&session={cases['this_year']}").get_data(as_text=True)
    assert cases["mine_number"] in page and cases["theirs"] in page
    assert cases["old"] not in page
    none = client.get("/proposals?q=碳普惠&type=suggestion").get_data(as_text=True)
    assert cases["mine_number"] not in none and "<mark>" not in none


def test_no_search_no_marks(client, cases):
    login(client, "boss")
    page = client.get("/proposals").get_data(as_text=True)
    assert "<mark>" not in page and "关于&lt;b&gt;碳普惠&lt;/b&gt;试点的提案" in page
