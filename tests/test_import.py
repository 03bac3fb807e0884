"""Importing the committee's assignment list (.xlsx / .csv): preview, confirm, all or nothing."""

from __future__ import annotations

import csv
import io
import time
import tracemalloc
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from config import TestingConfig
from tests.conftest import login, make_session, make_unit, make_user
from tracker import create_app
from tracker.auth.models import Role
from tracker.core.audit import AuditEvent
from tracker.core.errors import DomainError
from tracker.directory.models import ProposerKind, Unit
from tracker.exchange import import_views
from tracker.exchange import spreadsheet as sheet
from tracker.exchange.columns import COLUMNS, parse_date
from tracker.exchange.import_cli import import_cli
from tracker.exchange.import_views import import_bp
from tracker.extensions import db
from tracker.jobs.registry import HANDLERS, LocalContext
from tracker.proposals.models import (
    Assignment,
    AssignmentRole,
    CaseType,
    Proposal,
    ProposalKind,
)

LEAD, CO, SPLIT, SOLE = (
    AssignmentRole.LEAD,
    AssignmentRole.CO,
    AssignmentRole.SPLIT,
    AssignmentRole.SOLE,
)
SESSION = "七届二次会议"

HEADERS = [
    "序号", "提案号", "案由", "提案人", "提案类型", "类别", "主办单位", "会办单位",
    "分办单位", "独办单位", "交办日期", "是否重点", "届次", "建议",
]  # fmt: skip
ROWS = [
    [1, 20250001, "关于加快社区嵌入式养老服务设施建设的提案", "张明", "个人", "大会",
     "市民政局", "市卫生健康委、市财政局", None, None, datetime(2025, 3, 10), "是", SESSION,
     "建议一：统筹规划\n建议二：加大投入"],
    [2, 20250002, "关于推进中小学课后服务提质的提案", "李华、王芳，赵强", "联名", "平时",
     None, None, "市教育局、市财政局", None, "2025/3/12", "否", SESSION, None],
    [3, 20250003, "关于优化公交线网的提案", "民盟深圳市委", "集体", None,
     None, None, None, "市交通运输局", "2025年3月15日", None, SESSION, None],
    [4, "DH0271", "关于完善城中村消防设施的提案", "九三学社深圳市委员会", None, "大会",
     "市应急管理局", None, None, None, "2025-03-10", "否", SESSION, None],
]  # fmt: skip


# ---------- the app, with this module's blueprint ----------


@pytest.fixture(scope="module")
def _import_app(_app, database_url, tmp_path_factory):
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        BABEL_DEFAULT_LOCALE="en",
        JOBS_DIR=str(tmp_path_factory.mktemp("jobs")),
    )
    if "imports" not in app.blueprints:
        app.register_blueprint(import_bp)
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def iapp(_import_app, monkeypatch, tmp_path):
    """The app with an empty database; confirmation runs the import in the request."""
    with _import_app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
    monkeypatch.setattr(import_views, "background_submit", lambda: None)
    monkeypatch.setitem(_import_app.config, "IMPORT_UPLOAD_DIR", str(tmp_path / "uploads"))
    yield _import_app
    with _import_app.app_context():
        db.session.remove()


@pytest.fixture
def ictx(iapp):
    with iapp.app_context():
        yield
        db.session.rollback()


def _directory() -> dict[str, int]:
    """The session, the units the lists name, and a supervisor; committed."""
    session = make_session(SESSION, council="深圳市政协", term=7, meeting=2)
    ids = {"session": session.id}
    for name, short in (
        ("市民政局", None),
        ("深圳市卫生健康委员会", "市卫生健康委"),
        ("市财政局", None),
        ("市教育局", None),
        ("市交通运输局", None),
        ("市应急管理局", None),
    ):
        ids[name] = make_unit(name, short).id
    make_user(Role.SUPERVISOR, username="boss")
    db.session.commit()
    return ids


def write_xlsx(path: Path, rows: list[list], headers: list[str] = HEADERS) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["深圳市政协七届二次会议提案交办清单"])  # a title line above the header
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws.append(headers)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def write_csv(path: Path, rows: list[list], headers: list[str], encoding="utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def run_import(path: Path, session_id: int | None = None, user_id: int | None = None) -> str:
    ctx = LocalContext(
        params={"path": str(path), "session_id": session_id, "user_id": user_id},
        output_dir=path.parent,
    )
    summary = sheet.import_rows(ctx)
    db.session.commit()
    return summary


def cases() -> dict[str, Proposal]:
    return {p.number: p for p in db.session.scalars(sa.select(Proposal))}


def roles(proposal: Proposal) -> dict[str, AssignmentRole]:
    return {a.unit.name: a.role for a in proposal.assignments}


def counts() -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Proposal, Assignment, AuditEvent)
    )


def upload(client, path: Path, session_id: int | None = None, name: str | None = None):
    data = {"file": (path.open("rb"), name or path.name)}
    if session_id:
        data["session_id"] = str(session_id)
    return client.post("/imports/new", data=data, content_type="multipart/form-data")


# ---------- reading cells ----------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2025-03-10", date(2025, 3, 10)),
        ("2025/3/10", date(2025, 3, 10)),
        ("2025年3月10日", date(2025, 3, 10)),
        ("2025.3.10", date(2025, 3, 10)),
        ("2025-03-10 00:00:00", date(2025, 3, 10)),
        ("20250310", date(2025, 3, 10)),
        (datetime(2025, 3, 10, 0, 0), date(2025, 3, 10)),
        (45726, date(2025, 3, 10)),  # an Excel serial number
        ("", None),
        (None, None),
    ],
)
def test_dates_in_the_forms_lists_use(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["3月10日", "2025-02-30", "下周一", "10/03/2025"])
def test_other_dates_are_refused(value):
    with pytest.raises(ValueError):
        parse_date(value)


# ---------- importing ----------


def test_the_handler_is_registered_for_the_job_runner():
    assert HANDLERS["assignments_import"] is sheet.import_rows


def test_xlsx_list_imports_units_roles_dates_flags_and_proposers(iapp, tmp_path):
    with iapp.app_context():
        ids = _directory()
    path = write_xlsx(tmp_path / "交办清单.xlsx", ROWS)
    client = iapp.test_client()
    login(client, "boss")
    response = upload(client, path)
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Import 4 rows" in html
    with iapp.app_context():
        assert counts() == (0, 0, 0)  # the preview saves nothing
    token = response.headers["Location"].split("/")[2]
    done = client.post(f"/imports/{token}/confirm")
    assert done.status_code == 303
    assert done.headers["Location"].startswith("/proposals")
    assert not list(Path(iapp.config["IMPORT_UPLOAD_DIR"]).iterdir())  # the upload is gone

    with iapp.app_context():
        found = cases()
        assert sorted(found) == ["20250001", "20250002", "20250003", "DH0271"]
        first = found["20250001"]
        assert first.title == "关于加快社区嵌入式养老服务设施建设的提案"
        assert first.session_id == ids["session"]
        assert first.is_key and first.kind is ProposalKind.PLENARY
        assert first.case_type is CaseType.PROPOSAL
        assert [p.name for p in first.proposers] == ["张明"] and not first.is_collective
        assert [s.text for s in first.suggestions] == ["建议一：统筹规划", "建议二：加大投入"]
        assert roles(first) == {"市民政局": LEAD, "深圳市卫生健康委员会": CO, "市财政局": CO}
        by_unit = {a.unit.name: a for a in first.assignments}
        assert by_unit["市民政局"].assigned_on == date(2025, 3, 10)
        assert by_unit["市民政局"].due_on == date(2025, 6, 10)  # three months
        assert by_unit["市财政局"].due_on == date(2025, 4, 10)  # a co-handler's month

        joint = found["20250002"]
        assert [p.name for p in joint.proposers] == ["李华", "王芳", "赵强"]
        assert not joint.is_collective and joint.kind is ProposalKind.REGULAR
        assert not joint.is_key
        assert roles(joint) == {"市教育局": SPLIT, "市财政局": SPLIT}
        assert {a.assigned_on for a in joint.assignments} == {date(2025, 3, 12)}

        body = found["20250003"]
        assert body.is_collective and body.first_proposer.kind is ProposerKind.BODY
        assert body.proposer_names == "民盟深圳市委"
        assert roles(body) == {"市交通运输局": SOLE}
        assert body.assignments[0].assigned_on == date(2025, 3, 15)

        inferred = found["DH0271"]  # no 提案类型: a committee's name makes it collective
        assert inferred.is_collective and inferred.proposer_names == "九三学社深圳市委员会"
        events = db.session.scalars(sa.select(AuditEvent.action)).all()
        assert events.count("proposal.created") == 4
        assert events.count("assignment.created") == 7
        boss = db.session.scalar(sa.select(AuditEvent.actor_name).limit(1))
        assert boss.startswith("用户")  # the supervisor who confirmed


CSV_HEADERS = [
    "编号", "标题", "第一提案人", "联名提案人", "类别", "主办单位", "协办单位",
    "承办单位", "交办日期", "重点提案", "案件类型",
]  # fmt: skip
CSV_ROWS = [
    ["20250101", "关于加强食品安全监管的提案", "陈静", "刘洋 孙丽", "大会", "市民政局",
     "市卫生健康委", "", "2025-03-10", "是", "提案"],
    ["20250102", "关于建设口袋公园的建议", "周杰", "", "平时", "", "",
     "市财政局", "2025/3/11", "", "建议"],
]  # fmt: skip


def test_csv_with_other_column_names_into_a_chosen_session(ictx, tmp_path):
    ids = _directory()
    path = write_csv(tmp_path / "list.csv", CSV_ROWS, CSV_HEADERS)
    result = sheet.preview(path, ids["session"])
    assert result.ok and (result.total, result.new, result.update) == (2, 2, 0)
    summary = run_import(path, ids["session"])
    assert "2 new" in summary
    found = cases()
    joint = found["20250101"]
    assert [p.name for p in joint.proposers] == ["陈静", "刘洋", "孙丽"]
    assert joint.is_key and roles(joint) == {"市民政局": LEAD, "深圳市卫生健康委员会": CO}
    suggestion = found["20250102"]
    assert suggestion.case_type is CaseType.SUGGESTION and suggestion.kind is ProposalKind.REGULAR
    assert roles(suggestion) == {"市财政局": SOLE} and not suggestion.is_key


def test_tab_separated_gb18030_csv_from_older_excel(ictx, tmp_path):
    ids = _directory()
    path = tmp_path / "gbk.csv"
    with path.open("w", encoding="gb18030", newline="") as f:
        writer = csv.writer(f, delimiter="\t")
        writer.writerow(CSV_HEADERS)
        writer.writerows(CSV_ROWS)
    with pytest.raises(UnicodeDecodeError):
        path.read_text(encoding="utf-8")
    assert sheet.preview(path, ids["session"]).ok
    run_import(path, ids["session"])
    assert cases()["20250101"].title == "关于加强食品安全监管的提案"
    assert cases()["20250101"].proposer_names == "陈静、刘洋、孙丽"


def test_excel_unicode_text_export(ictx, tmp_path):
    ids = _directory()
    path = tmp_path / "unicode.txt"
    text = "\r\n".join("\t".join(r) for r in [CSV_HEADERS, *CSV_ROWS])
    path.write_bytes(text.encode("utf-16"))  # Excel's "Unicode text": UTF-16 with a BOM, tabs
    result = sheet.preview(path, ids["session"], kind="csv")
    assert result.ok and result.total == 2


PROBLEM_ROWS = [
    # line 3: fine
    [1, "20250001", "关于甲的提案", "张明", None, None, "市民政局", None, None, None,
     "2025-03-10", "否", SESSION, None],
    # line 4: an unknown unit
    [2, "20250002", "关于乙的提案", "张明", None, None, "市不存在局", None, None, None,
     "2025-03-10", None, SESSION, None],
    # line 5: the number of line 3 again
    [3, "20250001", "关于丙的提案", "张明", None, None, "市民政局", None, None, None,
     "2025-03-10", None, SESSION, None],
    # line 6: a date that is not one
    [4, "20250004", "关于丁的提案", "张明", None, None, "市民政局", None, None, None,
     "下周一", None, SESSION, None],
    # line 7: no title
    [5, "20250005", "", "张明", None, None, "市民政局", None, None, None,
     "2025-03-10", None, SESSION, None],
    # line 8: a number with a space
    [6, "2025 0006", "关于己的提案", "张明", None, None, "市民政局", None, None, None,
     "2025-03-10", None, SESSION, None],
    # line 9: two lead units
    [7, "20250007", "关于庚的提案", "张明", None, None, "市民政局、市财政局", None, None,
     None, "2025-03-10", None, SESSION, None],
    # line 10: split mixed with a lead
    [8, "20250008", "关于辛的提案", "张明", None, None, "市民政局", None, "市财政局", None,
     "2025-03-10", None, SESSION, None],
    # line 11: co-handling without a lead
    [9, "20250009", "关于壬的提案", "张明", None, None, None, "市财政局", None, None,
     "2025-03-10", None, SESSION, None],
    # line 12: no number, an unknown session, a bad key flag
    [10, None, "关于癸的提案", "张明", None, None, "市民政局", None, None, None,
     "2025-03-10", "也许", "九届一次会议", None],
    # line 13: units but no date; a collective proposal with two names
    [11, "20250011", "关于子的提案", "民盟市委、民建市委", "集体", None, "市民政局", None,
     None, None, None, None, SESSION, None],
]  # fmt: skip


def test_preview_lists_each_problem_on_its_row_and_saves_nothing(ictx, tmp_path):
    _directory()
    path = write_xlsx(tmp_path / "problems.xlsx", PROBLEM_ROWS)
    result = sheet.preview(path, None)
    assert (result.total, result.problem_rows, result.new) == (11, 10, 1)
    assert not result.ok and not result.file_problems
    problems = {row.line: [str(p) for p in row.problems] for row in result.rows}
    assert [row.line for row in result.rows[:10]] == list(range(4, 14))  # problem rows first
    assert problems[3] == []
    assert problems[4] == ["主办单位: Unknown unit “市不存在局”."]
    assert problems[5] == ["提案号: Number 20250001 is also on row 3."]
    assert problems[6] == ["交办日期: “下周一” is not a date; write it as 2025-03-10."]
    assert problems[7] == ["案由: Enter the proposal's title (案由)."]
    assert problems[8] == ["提案号: A proposal number cannot contain spaces."]
    assert problems[9] == ["主办单位: The case already has a lead unit."]
    assert problems[10] == ["分办单位: Split handling and a lead unit do not mix."]
    assert problems[11] == ["会办单位: Assign the lead unit before co-handling units."]
    assert problems[12] == [
        "届次: Unknown session “九届一次会议”.",
        "提案号: Enter the proposal number.",
        "是否重点: “也许” is not one of the accepted values.",
    ]
    assert problems[13] == [
        "提案人: A collective proposal has one proposer: the body.",
        "交办日期: Enter the assignment date.",
    ]
    assert counts() == (0, 0, 0)

    with pytest.raises(DomainError, match=r"Row 4: 主办单位: Unknown unit"):
        run_import(path)
    assert counts() == (0, 0, 0)


def test_an_inactive_unit_a_future_date_and_the_wrong_session_are_problems(ictx, tmp_path):
    ids = _directory()
    other = make_session("七届三次会议", council="深圳市政协", term=7, meeting=3, year=2026)
    db.session.get(Unit, ids["市财政局"]).is_active = False
    db.session.commit()
    rows = [
        ["20250001", "关于甲的提案", "张明", "民政局", "2025-03-10", other.name],
        ["20250002", "关于乙的提案", "张明", "市财政局", "2099-01-01", ""],
    ]
    path = write_csv(
        tmp_path / "x.csv", rows, ["提案号", "案由", "提案人", "主办单位", "交办日期", "届次"]
    )
    result = sheet.preview(path, ids["session"])
    problems = {row.line: [str(p) for p in row.problems] for row in result.rows}
    assert problems[2] == [
        f"届次: The row says “{other.name}”, but {SESSION} was chosen for the whole file.",
        "主办单位: Unknown unit “民政局”.",
    ]
    assert problems[3] == [
        "主办单位: The unit “市财政局” is no longer active.",
        "交办日期: The assignment date cannot be in the future.",
    ]


def test_file_level_problems(ictx, tmp_path):
    ids = _directory()
    no_title = write_csv(tmp_path / "a.csv", [["1", "张明"]], ["提案号", "提案人"])
    assert sheet.preview(no_title, ids["session"]).file_problems[0].startswith("No header row")
    no_session = write_csv(tmp_path / "b.csv", [["1", "甲", "张明"]], ["提案号", "案由", "提案人"])
    (message,) = sheet.preview(no_session, None).file_problems
    assert "届次" in message
    twice = write_csv(tmp_path / "c.csv", [], ["提案号", "编号", "案由", "提案人"])
    assert "keep one of them" in sheet.preview(twice, ids["session"]).file_problems[0]
    empty = write_csv(tmp_path / "d.csv", [], ["提案号", "案由", "提案人"])
    assert sheet.preview(empty, ids["session"]).file_problems == [
        "The file has no rows under its header."
    ]


def test_importing_the_same_list_again_updates_and_never_duplicates(ictx, tmp_path):
    _directory()
    run_import(write_xlsx(tmp_path / "first.xlsx", ROWS))
    before = counts()
    changed = [list(r) for r in ROWS]
    changed[0][2] = "关于加快社区养老服务设施建设的提案（修改）"
    changed[0][7] = "市卫生健康委、市财政局、市教育局"  # one more co-handler
    changed[1][11] = "是"
    path = write_xlsx(tmp_path / "second.xlsx", changed)
    result = sheet.preview(path, None)
    assert result.ok and (result.new, result.update) == (0, 4)
    summary = run_import(path)
    assert "0 new cases, 2 updated" in summary
    found = cases()
    assert len(found) == 4
    assert found["20250001"].title.endswith("（修改）")
    assert roles(found["20250001"])["市教育局"] is CO
    assert found["20250002"].is_key
    proposals, assignments, events = counts()
    assert (proposals, assignments) == (before[0], before[1] + 1)
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.seq > before[2])
    ).all()
    assert sorted(actions) == ["assignment.created", "proposal.updated", "proposal.updated"]

    # a third time, unchanged: nothing happens at all
    assert "0 new cases, 0 updated" in run_import(path)
    assert counts() == (proposals, assignments, events)

    # a unit's role cannot be changed by a list
    moved = [list(r) for r in changed]
    moved[0][6], moved[0][7] = "市财政局", "市民政局"
    result = sheet.preview(write_xlsx(tmp_path / "third.xlsx", moved), None)
    assert [str(p) for p in result.rows[0].problems][0].startswith(
        "主办单位: 市财政局 is already on this case as Co-handling"
    )


def test_all_or_nothing_when_the_last_rows_unit_is_deactivated_before_confirming(iapp, tmp_path):
    with iapp.app_context():
        ids = _directory()
        before = counts()
    path = write_xlsx(tmp_path / "list.xlsx", ROWS)
    client = iapp.test_client()
    login(client, "boss")
    location = upload(client, path).headers["Location"]
    assert "Import 4 rows" in client.get(location).get_data(as_text=True)
    with iapp.app_context():  # the last row's unit is retired meanwhile
        db.session.get(Unit, ids["市应急管理局"]).is_active = False
        db.session.commit()
    token = location.split("/")[2]
    response = client.post(f"/imports/{token}/confirm", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Nothing was imported" in html and "Row 6" in html and "市应急管理局" in html
    with iapp.app_context():
        assert counts() == before  # rows 3-5 were rolled back too


def test_confirming_is_refused_while_the_preview_shows_problems(iapp, tmp_path):
    with iapp.app_context():
        _directory()
    client = iapp.test_client()
    login(client, "boss")
    location = upload(client, write_xlsx(tmp_path / "p.xlsx", PROBLEM_ROWS)).headers["Location"]
    token = location.split("/")[2]
    html = client.get(location).get_data(as_text=True)
    assert "Unknown unit “市不存在局”" in html and "Import 11 rows" not in html
    assert 'action="/imports/' not in html  # no confirm button
    response = client.post(f"/imports/{token}/confirm", follow_redirects=True)
    assert "The preview found problems" in response.get_data(as_text=True)
    # without a preview at all, too
    fresh = upload(client, write_xlsx(tmp_path / "q.xlsx", ROWS)).headers["Location"]
    response = client.post(f"/imports/{fresh.split('/')[2]}/confirm")
    assert response.status_code == 303 and response.headers["Location"] == fresh
    with iapp.app_context():
        assert counts() == (0, 0, 0)


def test_a_png_renamed_xlsx_gets_a_clear_message(iapp, tmp_path):
    with iapp.app_context():
        _directory()
    client = iapp.test_client()
    login(client, "boss")
    fake = tmp_path / "清单.xlsx"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    response = upload(client, fake)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This file is not an Excel workbook (.xlsx): it is a PNG image." in html
    fake_csv = tmp_path / "清单.csv"
    fake_csv.write_bytes(fake.read_bytes())
    assert "it is a PNG image" in upload(client, fake_csv).get_data(as_text=True)
    pdf = tmp_path / "list.pdf"
    pdf.write_bytes(b"%PDF-1.7")
    assert "Upload an Excel workbook (.xlsx) or a CSV file" in upload(client, pdf).get_data(
        as_text=True
    )
    workbook = tmp_path / "list.csv"
    workbook.write_bytes(write_xlsx(tmp_path / "real.xlsx", ROWS).read_bytes())
    assert "This file is an Excel workbook: give it a name ending in .xlsx" in upload(
        client, workbook
    ).get_data(as_text=True)
    assert not list(Path(iapp.config["IMPORT_UPLOAD_DIR"]).iterdir())


def test_an_upload_over_the_size_limit_is_refused(iapp, tmp_path, monkeypatch):
    with iapp.app_context():
        _directory()
    monkeypatch.setitem(iapp.config, "MAX_CONTENT_LENGTH", 4096)
    client = iapp.test_client()
    login(client, "boss")
    big = write_csv(
        tmp_path / "big.csv",
        [[f"{n}", "案由" * 20, "张明"] for n in range(200)],
        ["提案号", "案由", "提案人"],
    )
    assert upload(client, big).status_code == 413
    folder = Path(iapp.config["IMPORT_UPLOAD_DIR"])
    assert not folder.exists() or not list(folder.iterdir())


def test_the_template_downloads_and_its_example_row_previews_cleanly(iapp, tmp_path):
    with iapp.app_context():
        _directory()
    client = iapp.test_client()
    login(client, "boss")
    response = client.get("/imports/template.xlsx")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(response.data))
    assert wb.sheetnames == ["交办清单", "说明"]
    assert [c.value for c in wb["交办清单"][1]] == [c.header for c in COLUMNS]
    notes = [[c.value for c in row] for row in wb["说明"].iter_rows(min_row=2, max_row=16)]
    assert [n[0] for n in notes] == [c.header for c in COLUMNS] and all(n[3] for n in notes)
    path = tmp_path / "template.xlsx"
    path.write_bytes(response.data)
    with iapp.app_context():
        result = sheet.preview(path, None)
        assert result.ok and result.new == 1, [str(p) for r in result.rows for p in r.problems]


def test_only_supervisors_and_administrators_import(iapp):
    with iapp.app_context():
        ids = _directory()
        make_user(Role.CLERK, unit=db.session.get(Unit, ids["市民政局"]), username="clerk")
        make_user(Role.ADMIN, username="root")
        db.session.commit()
    anonymous = iapp.test_client()
    assert anonymous.get("/imports/new").status_code == 302
    clerk = iapp.test_client()
    login(clerk, "clerk")
    for url in ("/imports/new", "/imports/template.xlsx", "/imports/" + "a" * 32 + "/preview"):
        assert clerk.get(url).status_code == 403
    assert clerk.post("/imports/" + "a" * 32 + "/confirm").status_code == 403
    root = iapp.test_client()
    login(root, "root")
    assert root.get("/imports/new").status_code == 200
    assert root.get("/imports/../../etc/preview").status_code == 404
    assert root.get("/imports/" + "a" * 32 + "/preview").status_code == 404


def test_another_supervisor_cannot_see_an_upload(iapp, tmp_path):
    with iapp.app_context():
        _directory()
        make_user(Role.SUPERVISOR, username="other")
        db.session.commit()
    boss = iapp.test_client()
    login(boss, "boss")
    location = upload(boss, write_xlsx(tmp_path / "l.xlsx", ROWS)).headers["Location"]
    other = iapp.test_client()
    login(other, "other")
    assert other.get(location).status_code == 404


def test_large_previews_page_with_problem_rows_first(ictx, tmp_path, monkeypatch):
    ids = _directory()
    rows = [
        [
            f"2025{n:04d}",
            f"关于第{n}件事的提案",
            "张明",
            "市民政局" if n % 7 else "市无此局",
            "2025-03-10",
        ]
        for n in range(1, 61)
    ]
    headers = ["提案号", "案由", "提案人", "主办单位", "交办日期"]
    path = write_csv(tmp_path / "many.csv", rows, headers)
    monkeypatch.setattr(sheet, "RETAIN", 20)  # force the two-pass path for later pages
    pages = [sheet.preview(path, ids["session"], page=n, per_page=10) for n in (1, 2, 6)]
    first, second, last = pages
    assert (first.total, first.problem_rows, first.pages) == (60, 8, 6)
    assert [r.line for r in first.rows[:8]] == [8, 15, 22, 29, 36, 43, 50, 57]
    assert all(r.problems for r in first.rows[:8]) and not first.rows[8].problems
    assert [r.line for r in second.rows] == [4, 5, 6, 7, 9, 10, 11, 12, 13, 14]
    assert [r.line for r in last.rows] == [51, 52, 53, 54, 55, 56, 58, 59, 60, 61]


def test_the_cli_reports_problems_and_imports_with_a_progress_bar(iapp, tmp_path):
    with iapp.app_context():
        _directory()
    runner = iapp.test_cli_runner()
    bad = write_xlsx(tmp_path / "bad.xlsx", PROBLEM_ROWS)
    result = runner.invoke(import_cli, ["assignments", str(bad), "--dry-run"])
    assert result.exit_code == 1
    assert "row 4: 主办单位: Unknown unit “市不存在局”." in result.output
    assert "11 rows: 1 new, 0 to update, 10 with problems." in result.output

    good = write_csv(tmp_path / "good.csv", CSV_ROWS, CSV_HEADERS)
    result = runner.invoke(
        import_cli, ["assignments", str(good), "--session", SESSION, "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    with iapp.app_context():
        assert counts() == (0, 0, 0)
    result = runner.invoke(
        import_cli, ["assignments", str(good), "--session", SESSION, "--user", "boss"]
    )
    assert result.exit_code == 0, result.output
    assert "2 rows imported: 2 new cases, 0 updated." in result.output
    with iapp.app_context():
        assert sorted(cases()) == ["20250101", "20250102"]
    result = runner.invoke(import_cli, ["assignments", str(good), "--session", "八届一次会议"])
    assert result.exit_code == 1 and "No session is called 八届一次会议" in result.output


def test_confirming_hands_the_import_to_the_job_runner_when_there_is_one(
    iapp, tmp_path, monkeypatch
):
    jobs = pytest.importorskip("tracker.jobs.services")
    if "jobs" not in db.metadata.tables:
        pytest.skip("the job runner's table is not part of the schema yet")
    from tracker.jobs.models import Job, JobStatus

    monkeypatch.setattr(import_views, "background_submit", lambda: jobs.submit)
    with iapp.app_context():
        _directory()
    client = iapp.test_client()
    login(client, "boss")
    location = upload(client, write_xlsx(tmp_path / "l.xlsx", ROWS)).headers["Location"]
    client.get(location)
    response = client.post(f"/imports/{location.split('/')[2]}/confirm")
    assert response.status_code == 303
    with iapp.app_context():
        deadline = time.monotonic() + 30
        while True:
            job = db.session.scalar(sa.select(Job))
            if job.status in (JobStatus.DONE, JobStatus.FAILED) or time.monotonic() > deadline:
                break
            db.session.rollback()
            time.sleep(0.1)
        assert job.status is JobStatus.DONE, job.error
        assert job.progress_done == job.progress_total == 4
        assert "4 new cases" in job.summary
        assert len(cases()) == 4


# ---------- bounded memory ----------

BIG = 100_000


# About 16 s on a quiet machine (tracemalloc slows the preview about threefold); not "slow".
def test_preview_of_100000_rows_streams_in_bounded_memory(ictx, tmp_path):
    ids = _directory()
    path = tmp_path / "big.csv"
    units = ["市民政局", "市财政局", "市教育局", "市交通运输局"]
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["提案号", "案由", "提案人", "主办单位", "会办单位", "交办日期", "是否重点"]
        )
        for n in range(1, BIG + 1):
            writer.writerow(
                [
                    f"2025{n:06d}",
                    f"关于推进第{n}项民生实事的提案",
                    f"委员{n % 997}、委员{n % 991 + 1000}",
                    units[n % 4],
                    "市卫生健康委",
                    "2025-03-10",
                    "是" if n % 10 == 0 else "否",
                ]
            )
    started = time.perf_counter()
    tracemalloc.start()
    try:
        result = sheet.preview(path, ids["session"])
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    seconds = time.perf_counter() - started
    print(f"preview of {BIG} rows: {seconds:.1f} s, tracemalloc peak {peak / 2**20:.1f} MB")
    assert result.ok and result.total == result.new == BIG
    assert len(result.rows) == sheet.PREVIEW_PAGE
    assert peak < 150 * 2**20
