"""Reports: session and unit figures counted by hand, the Excel and CSV files, the summary,
and who may download what."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import openpyxl
import pytest
import sqlalchemy as sa

from config import TestingConfig
from tests.conftest import (
    login,
    make_proposal,
    make_session,
    make_unit,
    make_user,
    set_status,
)
from tracker import create_app
from tracker.auth.models import Role
from tracker.contacts.models import Feedback, FeedbackChannel, Rating
from tracker.core.audit import AuditEvent
from tracker.core.errors import DomainError
from tracker.deadlines.services import DueState, due_soon_limit
from tracker.extensions import db
from tracker.proposals.models import AssignmentRole, CaseType, ProposalKind
from tracker.proposals.queries import ProposalFilters, filtered_proposals
from tracker.proposals.workflow import AssignmentStatus as S
from tracker.replies.models import LetterKind, LetterShape, Reply, ReplyStatus
from tracker.reports.exports import (
    CASE_HEADERS,
    Percent,
    Sheet,
    case_list_rows,
    sheet_title,
    to_csv,
    to_xlsx,
)
from tracker.reports.models import SessionSummary
from tracker.reports.stats import (
    on_time_rate_per_unit,
    replies_per_month,
    session_stats,
    unit_stats,
)
from tracker.reports.summary import generate_summary, pct, save_summary, saved_summary
from tracker.reports.views import bp as reports_bp

TODAY = date(2025, 6, 16)  # a Monday; ten working days on is 30 June
LEAD, CO, SPLIT, SOLE = (
    AssignmentRole.LEAD,
    AssignmentRole.CO,
    AssignmentRole.SPLIT,
    AssignmentRole.SOLE,
)


def _set(assignment, status, *, due_on=None, replied_on=None, replied_due_on=None, round_=1):
    set_status(assignment, status)
    assignment.round = round_
    if due_on:
        assignment.due_on = due_on
    assignment.replied_on = replied_on
    assignment.replied_due_on = replied_due_on
    db.session.flush()


def _letter(assignment, round_, category, status=ReplyStatus.SIGNED, kind=LetterKind.REPLY):
    db.session.add(
        Reply(
            assignment_id=assignment.id,
            round=round_,
            kind=kind,
            shape=LetterShape.CO_OPINION if kind is LetterKind.CO_OPINION else LetterShape.TABLE,
            status=status,
            title="答复函",
            salutation="委员：",
            signing_unit=assignment.unit.name,
            category=category,
            signed_at=datetime(2025, 5, 1, 9, 0) if status is ReplyStatus.SIGNED else None,
        )
    )
    db.session.flush()


def _feedback(assignment, proposer, round_, rating):
    db.session.add(
        Feedback(
            assignment_id=assignment.id,
            round=round_,
            proposer_id=proposer.id,
            rating=rating,
            received_on=date(2025, 6, 1),
            channel=FeedbackChannel.PAPER,
        )
    )
    db.session.flush()


def build_session():
    """Six proposals, three units, every state the figures distinguish (see the test below)."""
    u1, u2, u3 = make_unit("甲单位"), make_unit("乙单位"), make_unit("丙单位")
    session = make_session("七届二次会议", council="深圳市政协", term=7, meeting=2, year=2025)
    p1 = make_proposal(session, [(u1, LEAD), (u2, CO)], number="20250001", is_key=True)
    p2 = make_proposal(session, [(u1, SOLE)], number="20250002", proposers=["王委员"])
    p3 = make_proposal(
        session, [(u2, SPLIT), (u3, SPLIT)], number="20250003", is_key=True, proposers=["李", "赵"]
    )
    p4 = make_proposal(session, [(u3, LEAD), (u1, CO)], number="20250004", title="=1+1 关于公式")
    p5 = make_proposal(session, [(u2, SOLE)], number="20250005")
    p6 = make_proposal(
        session,
        [],
        number="20250006",
        case_type=CaseType.SUGGESTION,
        kind=ProposalKind.REGULAR,
    )
    a1, a2 = p1.assignments
    (a3,) = p2.assignments
    a4, a5 = p3.assignments
    a6, a7 = p4.assignments
    (a8,) = p5.assignments

    # a1: lead, re-handled once and closed; first reply on time; feedback 不满意 then 满意.
    _set(
        a1,
        S.CLOSED,
        due_on=date(2025, 9, 1),
        replied_on=date(2025, 5, 20),
        replied_due_on=date(2025, 6, 10),
        round_=2,
    )
    _letter(a1, 1, "C")
    _letter(a1, 2, "A")
    zhang = p1.proposers[0]
    _feedback(a1, zhang, 1, Rating.DISSATISFIED)
    _feedback(a1, zhang, 2, Rating.SATISFIED)
    # a2: co-handling opinion sent late: counts nowhere among replies; its letter is no reply.
    _set(a2, S.REPLIED, replied_on=date(2025, 5, 10), replied_due_on=date(2025, 4, 10))
    _letter(a2, 1, "D", kind=LetterKind.CO_OPINION)
    # a3: sole, replied on time, 不满意, re-handling (round 2 due 20 June: due soon).
    _set(
        a3,
        S.REHANDLING,
        due_on=date(2025, 6, 20),
        replied_on=date(2025, 5, 1),
        replied_due_on=date(2025, 6, 1),
        round_=2,
    )
    _letter(a3, 1, "C")
    _letter(a3, 2, "B", status=ReplyStatus.DRAFT)
    _feedback(a3, p2.proposers[0], 1, Rating.DISSATISFIED)
    # a4: split, replied two days late, two proposers: 满意 and 基本满意.
    _set(
        a4,
        S.AWAITING_FEEDBACK,
        replied_on=date(2025, 6, 12),
        replied_due_on=date(2025, 6, 10),
    )
    _letter(a4, 1, "A")
    li, zhao = p3.proposers
    _feedback(a4, li, 1, Rating.SATISFIED)
    _feedback(a4, zhao, 1, Rating.BASICALLY_SATISFIED)
    # a5: split, still handling, past its date.
    _set(a5, S.HANDLING, due_on=date(2025, 6, 10))
    # a6: lead, letter in review, on track.
    _set(a6, S.IN_REVIEW, due_on=date(2025, 8, 1))
    _letter(a6, 1, "A", status=ReplyStatus.IN_REVIEW)
    # a7: co-handling, opinion overdue.
    _set(a7, S.HANDLING, due_on=date(2025, 6, 12))
    # a8: returned (withdrawn).
    _set(a8, S.WITHDRAWN, due_on=date(2025, 6, 1))

    # Another session's case must not leak into these figures.
    other = make_session("七届一次会议", council="深圳市政协", term=7, meeting=1, year=2024)
    (b1,) = make_proposal(other, [(u1, SOLE)], number="20240001").assignments
    _set(b1, S.CLOSED, replied_on=date(2024, 6, 1), replied_due_on=date(2024, 5, 1))
    _letter(b1, 1, "D")
    _feedback(b1, b1.proposal.proposers[0], 1, Rating.DISSATISFIED)
    db.session.commit()
    return {
        "session": session,
        "units": (u1, u2, u3),
        "proposals": (p1, p2, p3, p4, p5, p6),
    }


# ---------- the figures ----------


def test_session_figures_counted_by_hand(ctx):
    data = build_session()
    assert due_soon_limit(TODAY) == date(2025, 6, 30)
    st = session_stats(data["session"].id, TODAY)

    assert st.session_name == "深圳市政协七届二次会议"
    assert st.received == 6
    assert st.received_by_type == {CaseType.PROPOSAL: 5, CaseType.SUGGESTION: 1}
    assert st.key_count == 2
    assert st.assigned == 4  # P5 returned, P6 not assigned
    assert st.withdrawn == 1
    assert st.by_role == {LEAD: 2, CO: 2, SPLIT: 2, SOLE: 1}
    assert st.assignments == 5  # a1 a3 a4 a5 a6
    assert st.replied == 3  # a1 (closed), a3 (round 2), a4 (awaiting feedback)
    assert st.on_time == 2
    assert st.late == 1
    assert st.pending == 2
    assert st.overdue == 2  # a5 and the co-handling a7
    assert st.due_soon == 1  # a3's second round
    assert st.categories == {"A": 2, "B": 0, "C": 1, "D": 0}
    assert list(st.categories) == ["A", "B", "C", "D"]
    assert st.uncategorised == 0
    assert st.category_total == 3
    assert st.feedback == {
        Rating.SATISFIED: 2,
        Rating.BASICALLY_SATISFIED: 1,
        Rating.DISSATISFIED: 1,
    }
    assert st.reply_rate == pytest.approx(3 / 5)
    assert st.on_time_rate == pytest.approx(2 / 3)
    assert st.satisfaction_rate == pytest.approx(3 / 4)

    assert [
        (k.number, [(u.unit_name, u.role, u.status) for u in k.units]) for k in st.key_proposals
    ] == [
        ("20250001", [("甲单位", LEAD, S.CLOSED), ("乙单位", CO, S.REPLIED)]),
        ("20250003", [("乙单位", SPLIT, S.AWAITING_FEEDBACK), ("丙单位", SPLIT, S.HANDLING)]),
    ]
    p3_units = st.key_proposals[1].units
    assert [u.due_state for u in p3_units] == [None, DueState.OVERDUE]


def test_the_session_costs_a_fixed_number_of_queries(ctx):
    data = build_session()
    session_stats(data["session"].id, TODAY)  # warm the settings and calendar caches
    statements = []

    def count(*_args):
        statements.append(1)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        session_stats(data["session"].id, TODAY)
        first = len(statements)
        for _ in range(3):
            make_proposal(data["session"], [(make_unit(), SOLE)], is_key=True)
        db.session.commit()
        session_stats(data["session"].id, TODAY)  # the commit expired the session row
        statements.clear()
        session_stats(data["session"].id, TODAY)
        assert len(statements) == first
        statements.clear()
        unit_stats(data["session"].id, TODAY)
        assert len(statements) <= 3
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def test_unit_figures_counted_by_hand(ctx):
    data = build_session()
    rows = {row.unit_name: row for row in unit_stats(data["session"].id, TODAY)}
    assert set(rows) == {"甲单位", "乙单位", "丙单位"}
    u1, u2, u3 = rows["甲单位"], rows["乙单位"], rows["丙单位"]

    assert (u1.received, u1.key_count, u1.assigned, u1.withdrawn) == (3, 1, 3, 0)
    assert u1.by_role == {LEAD: 1, CO: 1, SPLIT: 0, SOLE: 1}
    assert (u1.assignments, u1.replied, u1.on_time, u1.late) == (2, 2, 2, 0)
    assert (u1.overdue, u1.due_soon) == (1, 1)
    assert u1.categories == {"A": 1, "B": 0, "C": 1, "D": 0}
    assert u1.feedback == {
        Rating.SATISFIED: 1,
        Rating.BASICALLY_SATISFIED: 0,
        Rating.DISSATISFIED: 1,
    }

    assert (u2.received, u2.key_count, u2.assigned, u2.withdrawn) == (3, 2, 2, 1)
    assert u2.by_role == {LEAD: 0, CO: 1, SPLIT: 1, SOLE: 0}
    assert (u2.assignments, u2.replied, u2.on_time, u2.late) == (1, 1, 0, 1)
    assert (u2.overdue, u2.due_soon) == (0, 0)
    assert u2.categories == {"A": 1, "B": 0, "C": 0, "D": 0}
    assert u2.feedback == {
        Rating.SATISFIED: 1,
        Rating.BASICALLY_SATISFIED: 1,
        Rating.DISSATISFIED: 0,
    }

    assert (u3.received, u3.key_count, u3.assigned, u3.withdrawn) == (2, 1, 2, 0)
    assert u3.by_role == {LEAD: 1, CO: 0, SPLIT: 1, SOLE: 0}
    assert (u3.assignments, u3.replied, u3.on_time, u3.late) == (2, 0, 0, 0)
    assert (u3.overdue, u3.due_soon) == (1, 0)
    assert u3.categories == {"A": 0, "B": 0, "C": 0, "D": 0}
    assert u3.feedback == {r: 0 for r in Rating}
    assert u3.on_time_rate is None and u3.satisfaction_rate is None

    # One unit's share through session_stats agrees with its row.
    one = session_stats(data["session"].id, TODAY, unit_id=data["units"][0].id)
    assert (one.received, one.assigned, one.assignments, one.replied) == (3, 3, 2, 2)
    assert (one.on_time, one.overdue, one.due_soon) == (2, 1, 1)
    assert one.categories == u1.categories and one.feedback == u1.feedback
    assert [k.number for k in one.key_proposals] == ["20250001"]


def test_replies_per_month_and_on_time_rates(ctx):
    data = build_session()
    sid = data["session"].id
    assert replies_per_month(sid) == [
        ("2025-05", 2, 0),
        ("2025-06", 1, 4),
        ("2025-07", 0, 0),
        ("2025-08", 0, 1),
    ]
    rates = on_time_rate_per_unit(sid)
    assert [(r.unit_name, r.replied, r.on_time, r.rate) for r in rates] == [
        ("甲单位", 2, 2, 1.0),
        ("乙单位", 1, 0, 0.0),
        ("丙单位", 0, 0, None),
    ]


def test_an_empty_session_has_zeros_not_errors(ctx):
    session = make_session()
    db.session.commit()
    st = session_stats(session.id, TODAY)
    assert (st.received, st.assignments, st.replied, st.category_total) == (0, 0, 0, 0)
    assert st.categories == {"A": 0, "B": 0, "C": 0, "D": 0}
    assert st.reply_rate is None and st.satisfaction_rate is None
    assert unit_stats(session.id, TODAY) == []
    assert replies_per_month(session.id) == []
    assert generate_summary(session.id, TODAY).endswith("期间，我局暂未承办提案。")


# ---------- the files ----------


def test_xlsx_sheets_headers_dates_percentages_and_text():
    sheets = [
        Sheet(
            "a/b:c*d?e[f]g\\h and a title far longer than Excel allows",
            ["日期", "比例", "是否", "文字", "数"],
            [
                (date(2025, 6, 1), Percent(0.748), True, "=HYPERLINK(1)", 3),
                (datetime(2025, 6, 1, 9, 30), None, False, "#N/A", 2.5),
            ],
        ),
        Sheet("总体情况", ["项目"], []),
        Sheet("总体情况", ["项目"], []),
    ]
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx(sheets)))
    assert wb.sheetnames == ["abcdefgh and a title far longer", "总体情况", "总体情况(2)"]
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == ["日期", "比例", "是否", "文字", "数"]
    assert ws["A1"].font.b
    assert ws.freeze_panes == "A2"
    assert isinstance(ws["A2"].value, datetime) and ws["A2"].value.date() == date(2025, 6, 1)
    assert ws["A2"].number_format == "yyyy-mm-dd"
    assert ws["A3"].number_format == "yyyy-mm-dd hh:mm"
    assert ws["B2"].value == pytest.approx(0.748) and ws["B2"].number_format == "0.0%"
    assert (ws["C2"].value, ws["C3"].value) == ("是", "否")
    assert ws["D2"].value == "=HYPERLINK(1)" and ws["D2"].data_type == "s"
    assert ws["D3"].data_type == "s"
    assert ws["E2"].value == 3
    assert ws.column_dimensions["D"].width >= len("=HYPERLINK(1)")
    assert sheet_title("'引号'") == "引号"


def test_csv_has_a_bom_iso_dates_and_quoted_formulas():
    data = to_csv(
        ["日期", "比例", "是否", "文字"],
        [(date(2025, 6, 1), Percent(0.748), True, "=cmd|' /C calc'!A0"), (None, None, None, "")],
    )
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [
        ["日期", "比例", "是否", "文字"],
        ["2025-06-01", "74.8%", "是", "'=cmd|' /C calc'!A0"],
        ["", "", "", ""],
    ]


def test_case_list_rows(ctx):
    data = build_session()
    boss = make_user(Role.SUPERVISOR)
    filters = ProposalFilters(session_id=data["session"].id, sort="number")
    rows = list(case_list_rows(filtered_proposals(boss, filters, TODAY), today=TODAY))
    assert len(rows) == 9  # eight assignments, and P6 with none
    assert all(len(r) == len(CASE_HEADERS) for r in rows)
    by_key = {(r[1], r[7]): dict(zip(CASE_HEADERS, r, strict=True)) for r in rows}
    a1 = by_key[("20250001", "甲单位")]
    assert a1["届次"] == "深圳市政协七届二次会议"
    assert (a1["重点"], a1["办理方式"], a1["状态"]) == (True, LEAD, S.CLOSED)
    assert (a1["首次答复日期"], a1["是否按时"], a1["评估类别"], a1["满意度"]) == (
        date(2025, 5, 20),
        True,
        "A",
        "满意",
    )
    a4 = by_key[("20250003", "乙单位")]
    assert (a4["是否按时"], a4["评估类别"], a4["满意度"]) == (False, "A", "满意1、基本满意1")
    assert by_key[("20250003", "丙单位")]["是否按时"] is False  # pending and past its date
    assert by_key[("20250004", "丙单位")]["是否按时"] is None
    assert by_key[("20250001", "乙单位")]["评估类别"] is None  # an opinion has no category
    p6 = by_key[("20250006", None)]
    assert (p6["类型"], p6["类别"], p6["承办单位"]) == (
        CaseType.SUGGESTION,
        ProposalKind.REGULAR,
        None,
    )


# ---------- the summary ----------


def test_summary_states_the_counts_and_percentages(ctx):
    data = build_session()
    text = generate_summary(data["session"].id, TODAY)
    assert text.startswith("深圳市政协七届二次会议期间，我局共承办提案5件、建议1件")
    for phrase in (
        "其中主办2件、分办2件、独办1件、会办2件",
        "重点提案2件",
        "经申请退回（调整）1件",
        "截至2025年6月16日",
        "应答复的5件中已答复3件，答复率60.0%",
        "按时答复2件，按时答复率66.7%",
        "尚在办理2件",
        "超过办理期限尚未答复的有2件",
        "A类2件，占66.7%；B类0件，占0.0%；C类1件，占33.3%；D类0件，占0.0%",
        "共收到委员反馈意见4份",
        "表示满意的2份、基本满意的1份、不满意的1份",
        "满意率（含基本满意）为75.0%",
    ):
        assert phrase in text, phrase


def test_summary_when_everything_was_replied_on_time(ctx):
    unit = make_unit()
    session = make_session("七届三次会议", council="深圳市政协")
    for n in range(3):
        (a,) = make_proposal(session, [(unit, SOLE)]).assignments
        _set(a, S.CLOSED, replied_on=date(2025, 5, 1), replied_due_on=date(2025, 6, 1))
        _letter(a, 1, "A" if n else "B")
    db.session.commit()
    text = generate_summary(session.id, TODAY)
    assert "应答复的3件已全部按时办结答复。" in text
    assert "A类2件，占66.7%；B类1件，占33.3%；C类0件，占0.0%；D类0件，占0.0%。" in text
    assert "目前尚未收到委员的反馈意见。" in text


def test_pct_rounds_half_up():
    assert [pct(461, 616), pct(119, 616), pct(32, 616), pct(4, 616)] == [
        "74.8",
        "19.3",
        "5.2",
        "0.6",
    ]
    assert pct(1, 8) == "12.5" and pct(1, 0) == "0.0"


def test_save_summary_is_audited_and_refuses_empty_text(ctx):
    session = make_session()
    boss = make_user(Role.SUPERVISOR)
    with pytest.raises(DomainError):
        save_summary(boss, session, "  \n ")
    saved = save_summary(boss, session, "  今年共承办提案10件。 ")
    save_summary(boss, session, "今年共承办提案10件。")  # unchanged: nothing recorded
    save_summary(boss, session, "今年共承办提案11件。")
    db.session.commit()
    assert saved_summary(session.id).text == "今年共承办提案11件。"
    assert saved.edited_by_id == boss.id
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "summary.saved").order_by(AuditEvent.seq)
    ).all()
    assert [e.changes["text"] for e in events] == [
        [None, "今年共承办提案10件。"],
        ["今年共承办提案10件。", "今年共承办提案11件。"],
    ]


# ---------- the pages (the blueprint registered on an app of these tests' own) ----------


@pytest.fixture(scope="module")
def _reports_app(_app, database_url):
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url)
    if "reports" not in app.blueprints:
        app.register_blueprint(reports_bp)
    with app.app_context():
        assert SessionSummary.__table__ is not None
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def rapp(_reports_app):
    with _reports_app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
    yield _reports_app
    with _reports_app.app_context():
        db.session.remove()


def _users_and_data(rapp):
    with rapp.app_context():
        data = build_session()
        u1 = data["units"][0]
        ids = {
            "session": data["session"].id,
            "u1": u1.id,
            "u2": data["units"][1].id,
        }
        make_user(Role.SUPERVISOR, username="boss")
        make_user(Role.CLERK, unit=u1, username="clerk1")
        make_user(Role.VIEWER, unit=u1, username="viewer1")
        db.session.commit()
    return ids


def _xlsx(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return openpyxl.load_workbook(io.BytesIO(response.data))


def test_supervisor_exports_the_filtered_case_list(rapp):
    ids = _users_and_data(rapp)
    client = rapp.test_client()
    login(client, "boss")
    response = client.get(f"/reports/cases.xlsx?session={ids['session']}&unit={ids['u2']}")
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"
    wb = _xlsx(response)
    assert wb.sheetnames == ["七届二次会议案件清单"]
    ws = wb.active
    assert [c.value for c in ws[1]] == CASE_HEADERS
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert sorted((r[1], r[7]) for r in rows) == [
        ("20250001", "乙单位"),
        ("20250003", "乙单位"),
        ("20250005", "乙单位"),
    ]
    row = next(r for r in ws.iter_rows(min_row=2) if r[1].value == "20250003")
    values = {h: c for h, c in zip(CASE_HEADERS, row, strict=True)}
    assert values["首次答复日期"].value == datetime(2025, 6, 12)
    assert values["首次答复日期"].number_format == "yyyy-mm-dd"
    assert values["办理方式"].value == "分办" and values["状态"].value == "待反馈"
    assert values["类型"].value == "政协提案" and values["类别"].value == "大会"
    assert values["重点"].value == "是" and values["满意度"].value == "满意1、基本满意1"

    response = client.get(f"/reports/cases.csv?session={ids['session']}&status=handling")
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == CASE_HEADERS
    assert sorted((r[1], r[7], r[9]) for r in rows[1:]) == [
        ("20250003", "丙单位", "办理中"),
        ("20250004", "甲单位", "办理中"),
    ]
    assert next(r for r in rows[1:] if r[1] == "20250004")[2] == "'=1+1 关于公式"


def test_a_clerks_export_holds_only_their_units_cases(rapp):
    ids = _users_and_data(rapp)
    client = rapp.test_client()
    login(client, "clerk1")
    # The unit argument is ignored for a clerk: the scope is their unit.
    response = client.get(f"/reports/cases.csv?session={ids['session']}&unit={ids['u2']}")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert sorted((r[1], r[7]) for r in rows[1:]) == [
        ("20250001", "甲单位"),
        ("20250002", "甲单位"),
        ("20250004", "甲单位"),
    ]
    assert client.get(f"/reports/sessions/{ids['session']}/dashboard.xlsx").status_code == 403
    assert client.get(f"/reports/sessions/{ids['session']}/summary").status_code == 403


def test_dashboard_exports(rapp):
    ids = _users_and_data(rapp)
    client = rapp.test_client()
    login(client, "boss")
    wb = _xlsx(client.get(f"/reports/sessions/{ids['session']}/dashboard.xlsx"))
    assert wb.sheetnames == [
        "总体情况",
        "各单位办理情况",
        "评估类别",
        "满意度",
        "按月答复",
        "重点提案",
    ]
    overview = {r[0].value: r[1] for r in wb["总体情况"].iter_rows(min_row=2)}
    assert overview["收到提案（件）"].value == 6
    assert overview["已答复"].value == 3
    assert overview["按时答复率"].value == pytest.approx(2 / 3)
    assert overview["按时答复率"].number_format == "0.0%"
    assert overview["统计日期"].number_format == "yyyy-mm-dd"
    units = wb["各单位办理情况"]
    headers = [c.value for c in units[1]]
    assert headers[:3] == ["承办单位", "收到", "重点"]
    assert {"A类", "D类", "满意", "基本满意", "不满意", "满意率"} <= set(headers)
    by_unit = {
        r[0].value: {h: c.value for h, c in zip(headers, r, strict=True)}
        for r in units.iter_rows(min_row=2)
    }
    assert by_unit["乙单位"]["退回"] == 1 and by_unit["甲单位"]["A类"] == 1
    categories = [[c.value for c in r] for r in wb["评估类别"].iter_rows(min_row=2)]
    assert [r[0] for r in categories] == ["A类", "B类", "C类", "D类", "合计"]
    assert categories[0][2:] == [2, pytest.approx(2 / 3)]
    assert [[c.value for c in r] for r in wb["按月答复"].iter_rows()][:3] == [
        ["月份", "答复件数", "到期件数"],
        ["2025-05", 2, 0],
        ["2025-06", 1, 4],
    ]

    response = client.get(f"/reports/sessions/{ids['session']}/dashboard.csv?table=feedback")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows == [
        ["评价", "份数", "占比"],
        ["满意", "2", "50.0%"],
        ["基本满意", "1", "25.0%"],
        ["不满意", "1", "25.0%"],
        ["合计", "4", "100.0%"],
    ]
    units_csv = client.get(f"/reports/sessions/{ids['session']}/dashboard.csv?table=units")
    assert units_csv.status_code == 200
    assert (
        client.get(f"/reports/sessions/{ids['session']}/dashboard.csv?table=x").status_code == 404
    )
    assert client.get("/reports/sessions/999999/dashboard.xlsx").status_code == 404


def test_a_viewer_gets_no_dashboard_export(rapp):
    ids = _users_and_data(rapp)
    client = rapp.test_client()
    login(client, "viewer1")
    assert client.get(f"/reports/sessions/{ids['session']}/dashboard.xlsx").status_code == 403
    assert (
        client.get(f"/reports/sessions/{ids['session']}/dashboard.csv?table=units").status_code
        == 403
    )
    assert (
        client.post(f"/reports/sessions/{ids['session']}/summary", data={"text": "x"}).status_code
        == 403
    )
    assert client.get("/reports/cases.csv").status_code == 200  # their own unit's list
    anonymous = rapp.test_client()
    assert anonymous.get("/reports/cases.xlsx").status_code in (302, 401)


def test_summary_page_generates_saves_and_regenerates(rapp):
    ids = _users_and_data(rapp)
    client = rapp.test_client()
    login(client, "boss")
    url = f"/reports/sessions/{ids['session']}/summary"
    page = client.get(url).get_data(as_text=True)
    assert "我局共承办提案5件、建议1件" in page and "<textarea" in page
    response = client.post(url, data={"text": "经修改的总结。"})
    assert response.status_code == 303
    assert "经修改的总结。" in client.get(url).get_data(as_text=True)
    regenerated = client.get(url + "?regenerate=1").get_data(as_text=True)
    assert "我局共承办提案5件" in regenerated and "经修改的总结。" not in regenerated
    assert client.post(url, data={"text": "   "}).status_code == 422
    with rapp.app_context():
        assert saved_summary(ids["session"]).text == "经修改的总结。"


def test_case_list_streams_in_batches_at_a_fixed_cost_per_batch(ctx, monkeypatch):
    data = build_session()
    boss = make_user(Role.SUPERVISOR)
    filters = ProposalFilters(session_id=data["session"].id, sort="number")
    stmt = filtered_proposals(boss, filters, TODAY)
    whole = list(case_list_rows(stmt, today=TODAY))
    statements = []

    def count(*_args):
        statements.append(1)

    monkeypatch.setattr("tracker.reports.exports.BATCH", 2)
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert list(case_list_rows(stmt, today=TODAY)) == whole
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    batches = 3  # six cases, two at a time
    # The case query, then per batch: assignments, proposers, categories, feedback.
    assert len(statements) <= 1 + 4 * batches, len(statements)
    assert len(statements) > 4, "one batch only: yield_per did not apply"
