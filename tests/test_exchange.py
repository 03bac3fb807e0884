"""The case exchange format: lossless round trip, schema, refusals with field paths, printing."""

from __future__ import annotations

import copy
import hashlib
import io
import json
from contextlib import contextmanager
from datetime import date

import jsonschema
import pytest
import sqlalchemy as sa

from tests.exchange_support import fresh_app
from tracker.auth.models import User
from tracker.contacts.models import ContactLog
from tracker.contacts.services import withdraw_contact
from tracker.core.audit import AuditEvent, verify_chain
from tracker.directory.models import CouncilSession, Proposer, Unit
from tracker.exchange.cli import cases_cli
from tracker.exchange.format import (
    FORMAT_VERSION,
    case_query,
    document,
    export_cases,
    load_schema,
    write_document,
)
from tracker.exchange.validation import FORMATS
from tracker.extensions import db
from tracker.models import (
    Assignment,
    AssignmentRole,
    Attitude,
    CaseType,
    ContactStage,
    ContactWay,
    Disclosure,
    FeedbackChannel,
    LetterKind,
    LetterShape,
    Proposal,
    ProposalKind,
    ProposerKind,
    Rating,
    Reply,
    ReplyStatus,
    RequestStatus,
    ReviewOutcome,
)
from tracker.proposals.workflow import AssignmentStatus
from tracker.replies.cli import replies_cli


def _export(app, tmp_path, name: str, *args: str) -> bytes:
    out = tmp_path / name
    result = app.test_cli_runner().invoke(cases_cli, ["export", *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def _canonical(data: bytes) -> bytes:
    return json.dumps(json.loads(data), ensure_ascii=False, sort_keys=True).encode()


def _enrich() -> None:
    """Add what the demo never makes: a kept promise, a withdrawn contact, contact details."""
    reply = db.session.scalar(
        sa.select(Reply)
        .where(Reply.status == ReplyStatus.SIGNED, Reply.kind == LetterKind.REPLY)
        .order_by(Reply.id)
        .limit(1)
    )
    item = reply.items[0]
    item.promise, item.promise_due_on, item.promise_owner = (
        "年底前完成试点。",
        date(2025, 12, 31),
        "规划处",
    )
    item.fulfilled_on, item.follow_up = date(2025, 11, 20), "试点已于11月完成。"
    reply.items[-1].promise, reply.items[-1].promise_due_on = "明年推广。", date(2026, 6, 30)
    log = db.session.scalar(sa.select(ContactLog).order_by(ContactLog.id).limit(1))
    withdraw_contact(None, log, "记录重复，撤回。")
    proposer = db.session.scalar(sa.select(Proposer).order_by(Proposer.id).limit(1))
    proposer.phone, proposer.email, proposer.address = (
        "13800000000",
        "w@example.cn",
        "福田区某路1号",
    )
    proposer.sector = "经济界"
    db.session.flush()


# ---------------------------------------------------------------- the round trip


def test_round_trip_through_an_empty_database(tmp_path, monkeypatch):
    """Demo data exported, imported into an empty database, exported again; then the checks.

    One test rather than one per check: the round trip costs a PDF per signed letter, and
    parallel workers would each build a module-scoped fixture again.
    """
    monkeypatch.setattr("tracker.exchange.format.CHUNK", 7)  # exports go in several batches
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with _round_trip(tmp_path) as trip:
        for check in CHECKS:
            check(trip)


@contextmanager
def _round_trip(base):
    from tracker.demo.seed import seed_demo

    with fresh_app(base / "a", DEMO_PDF_LIMIT=0) as source, fresh_app(base / "b") as target:
        with source.app_context():
            seed_demo(proposals=20)
            _enrich()
            db.session.commit()
        first = _export(source, base, "first.json")
        result = target.test_cli_runner().invoke(cases_cli, ["import", str(base / "first.json")])
        assert result.exit_code == 0, result.output
        second = _export(target, base, "second.json")
        yield {"source": source, "target": target, "first": first, "second": second, "dir": base}


def check_round_trip_is_lossless(trip):
    first, second = trip["first"], trip["second"]
    assert json.loads(first) == json.loads(second)
    assert _canonical(first) == _canonical(second)
    assert first == second, "the files themselves are byte for byte the same"
    doc = json.loads(first)
    assert doc["format_version"] == FORMAT_VERSION and len(doc["cases"]) == 20
    text = first.decode()
    assert "pdf_sha256" not in text and '"id"' not in text, "no volatile values, no database ids"


def check_every_letter_shape_and_part_survives(trip):
    cases = json.loads(trip["second"])["cases"]
    replies = [r for c in cases for a in c["assignments"] for r in a["replies"]]
    signed_shapes = {(r["kind"], r["shape"]) for r in replies if r["status"] == "signed"}
    assert signed_shapes == {("reply", "table"), ("reply", "prose"), ("co_opinion", "co_opinion")}
    assert {r["status"] for r in replies} >= {"draft", "signed", "in_review", "returned"}
    assert any(r["parts"]["doc_number"] and r["parts"]["leader_signoff"] for r in replies)
    assert any(r["parts"]["disclosure"] != "public" for r in replies)
    assert any(r["previous_round"] == 1 for r in replies) or all(r["round"] == 1 for r in replies)
    returned = [v for r in replies for v in r["revisions"] if v["outcome"] == "returned"]
    assert returned and all(v["review_comment"] for v in returned)
    items = [i for r in replies for i in r["items"]]
    kept = [i for i in items if i["fulfilled_on"]]
    assert kept == [
        {
            **kept[0],
            "promise": "年底前完成试点。",
            "promise_due_on": "2025-12-31",
            "promise_owner": "规划处",
            "fulfilled_on": "2025-11-20",
            "follow_up": "试点已于11月完成。",
        }
    ]
    assert any(i["promise"] == "明年推广。" and i["fulfilled_on"] is None for i in items)
    logs = [log for c in cases for a in c["assignments"] for log in a["contact_logs"]]
    withdrawn = [log for log in logs if log["withdrawn_at"]]
    assert len(withdrawn) == 1 and withdrawn[0]["withdrawn_reason"] == "记录重复，撤回。"
    proposers = [p for c in cases for p in c["proposers"]]
    assert any(p["phone"] == "13800000000" and p["sector"] == "经济界" for p in proposers)
    assignments = [a for c in cases for a in c["assignments"]]
    assert any(a["return_requests"] for a in assignments)
    assert any(a["extensions"] for a in assignments)
    assert any(a["feedback"] for a in assignments)


def check_signed_letters_keep_content_date_and_time_and_get_an_archival_pdf(trip):
    def signed(app):
        with app.app_context():
            rows = db.session.scalars(
                sa.select(Reply).where(Reply.status == ReplyStatus.SIGNED)
            ).all()
            return {
                (r.assignment.proposal.number, r.assignment.unit.name, r.round): (
                    r.title,
                    r.letter_date,
                    r.signed_at,
                    [(i.suggestion, i.answer) for i in r.items],
                    r.pdf_path,
                    r.pdf_sha256,
                )
                for r in rows
            }

    before, after = signed(trip["source"]), signed(trip["target"])
    assert before.keys() == after.keys() and len(after) >= 5
    for key, (title, day, at, items, _path, _sha) in before.items():
        assert after[key][:4] == (title, day, at, items)
    archive = trip["dir"] / "b" / "archive"
    for *_, path, sha in after.values():
        assert path and hashlib.sha256((archive / path).read_bytes()).hexdigest() == sha


def check_import_audits_each_case_and_keeps_the_chain(trip):
    with trip["target"].app_context():
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "case.imported")
        ).all()
        assert len(events) == 20
        assert {e.proposal_id for e in events} == set(db.session.scalars(sa.select(Proposal.id)))
        assert verify_chain().ok


def check_unknown_usernames_become_deactivated_accounts(trip):
    with trip["target"].app_context():
        users = db.session.scalars(sa.select(User)).all()
        assert users and not any(u.is_active for u in users)
        assert not any(u.check_password("demo-pass-2025") for u in users)
        by_name = {u.username: u for u in users}
        assert by_name["supervisor"].unit_id is None
        clerk = by_name["clerk_fgw"]
        assert clerk.role.value == "viewer" and clerk.unit.name == "市发展和改革委员会"


def check_importing_twice_refuses_the_duplicates(trip):
    target = trip["target"]
    with target.app_context():
        count = db.session.scalar(sa.select(sa.func.count(Proposal.id)))
    result = target.test_cli_runner().invoke(cases_cli, ["import", str(trip["dir"] / "first.json")])
    assert result.exit_code == 1
    assert "nothing was imported" in result.output
    assert "cases[0].proposal.number: case 2024" in result.output
    assert "already in the database (import with --update" in result.output
    with target.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Proposal.id))) == count


def check_a_signed_imported_letter_prints_with_flask_replies_pdf(trip):
    target = trip["target"]
    with target.app_context():
        reply = db.session.scalar(
            sa.select(Reply)
            .where(Reply.status == ReplyStatus.SIGNED)
            .order_by(Reply.id.desc())
            .limit(1)
        )
        session = reply.assignment.proposal.session.name
        number = reply.assignment.proposal.number
        unit = reply.assignment.unit.name
        sha = reply.pdf_sha256
    out = trip["dir"] / "printed.pdf"
    args = ["pdf", "--session", session, "--number", number, "--unit", unit, "-o", str(out)]
    result = target.test_cli_runner().invoke(replies_cli, args)
    assert result.exit_code == 0, result.output
    assert "archival copy of the signed letter" in result.output
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and hashlib.sha256(data).hexdigest() == sha


def check_the_schema_is_valid_and_exports_validate(trip):
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=FORMATS)
    for data in (trip["first"], trip["second"]):
        assert list(validator.iter_errors(json.loads(data))) == []


def check_one_session_and_one_case_export(trip):
    source, base = trip["source"], trip["dir"]
    all_cases = json.loads(trip["first"])["cases"]
    case = all_cases[-1]
    name, number = case["session"]["name"], case["proposal"]["number"]
    session_doc = json.loads(_export(source, base, "s.json", "--session", name))
    assert [c for c in all_cases if c["session"]["name"] == name] == session_doc["cases"]
    one = json.loads(_export(source, base, "n.json", "--session", name, "--number", number))
    assert one["cases"] == [case]
    bad = source.test_cli_runner().invoke(
        cases_cli, ["export", "--session", name, "--number", "nope", "-o", str(base / "x")]
    )
    assert bad.exit_code == 1 and "no proposal number nope" in bad.output


CHECKS = [
    check_round_trip_is_lossless,
    check_every_letter_shape_and_part_survives,
    check_signed_letters_keep_content_date_and_time_and_get_an_archival_pdf,
    check_import_audits_each_case_and_keeps_the_chain,
    check_unknown_usernames_become_deactivated_accounts,
    check_importing_twice_refuses_the_duplicates,
    check_a_signed_imported_letter_prints_with_flask_replies_pdf,
    check_the_schema_is_valid_and_exports_validate,
    check_one_session_and_one_case_export,
]


def test_streamed_document_is_exactly_json_dumps():
    cases = [small_case("1"), small_case("2", title="关于“引号”\n与换行的提案"), small_case("3")]
    for chosen in (cases, []):
        out = io.StringIO()
        assert write_document(out, chosen) == len(chosen)
        assert out.getvalue() == json.dumps(document(chosen), ensure_ascii=False, indent=2) + "\n"


def test_schema_enums_are_the_models_enums():
    defs = load_schema()["$defs"]

    def values(where: str, name: str) -> set:
        return set(defs[where]["properties"][name]["enum"])

    assert values("proposal", "case_type") == {e.value for e in CaseType}
    assert values("proposal", "kind") == {e.value for e in ProposalKind}
    assert values("proposer", "kind") == {e.value for e in ProposerKind}
    assert values("assignment", "role") == {e.value for e in AssignmentRole}
    assert values("assignment", "status") == {e.value for e in AssignmentStatus}
    assert values("extension", "status") == {e.value for e in RequestStatus}
    assert values("contactLog", "way") == {e.value for e in ContactWay}
    assert values("contactLog", "stage") == {e.value for e in ContactStage}
    assert values("contactLog", "attitude") == {e.value for e in Attitude}
    assert values("feedback", "rating") == {e.value for e in Rating}
    assert values("feedback", "channel") == {e.value for e in FeedbackChannel}
    assert values("reply", "kind") == {e.value for e in LetterKind}
    assert values("reply", "shape") == {e.value for e in LetterShape}
    assert values("reply", "status") == {e.value for e in ReplyStatus}
    assert values("revision", "outcome") == {e.value for e in ReviewOutcome}
    assert values("letterParts", "disclosure") == {e.value for e in Disclosure}
    from tracker.replies.letter import PART_FIELDS

    assert set(defs["letterParts"]["required"]) == set(PART_FIELDS)


def test_every_field_of_the_schema_is_described():
    schema = load_schema()
    missing = [name for name, node in schema["$defs"].items() if "description" not in node]

    def walk(node, where):
        if isinstance(node, dict):
            for name, prop in node.get("properties", {}).items():
                if "description" not in prop:
                    missing.append(f"{where}.{name}")
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for value in node:
                walk(value, where)

    walk(schema, "")
    assert missing == []


def test_schema_lengths_are_the_columns_lengths():
    from tracker.contacts.models import ContactLog
    from tracker.proposals.models import Extension, ReturnRequest
    from tracker.replies.models import ReplyItem

    models = {
        "session": CouncilSession,
        "proposal": Proposal,
        "proposer": Proposer,
        "unit": Unit,
        "returnRequest": ReturnRequest,
        "extension": Extension,
        "contactLog": ContactLog,
        "letterParts": Reply,
        "letterItem": ReplyItem,
    }
    defs = load_schema()["$defs"]
    for name, model in models.items():
        columns = model.__table__.columns
        for field, prop in defs[name]["properties"].items():
            if field not in columns or "string" not in prop.get("type", []) or "enum" in prop:
                continue
            length = getattr(columns[field].type, "length", None)
            assert prop.get("maxLength") == length, f"{name}.{field}"


# ---------------------------------------------------------------- refusals, on the test database


def small_case(number: str = "20259001", **proposal) -> dict:
    """A hand-written case with a draft letter: valid, and cheap to import (no PDF)."""
    return {
        "session": {
            "council": "测试市政协",
            "term": 7,
            "meeting": 5,
            "year": 2025,
            "name": "七届五次会议",
            "key_due_on": None,
        },
        "proposal": {
            "case_type": "proposal",
            "number": number,
            "title": "关于推动低碳生活的提案",
            "kind": "plenary",
            "is_key": False,
            "full_text": "",
            "submitted_on": "2025-01-10",
            "created_by": None,
            **proposal,
        },
        "proposers": [
            {
                "kind": "member",
                "name": "王明",
                "sector": None,
                "phone": None,
                "email": None,
                "address": None,
            }
        ],
        "suggestions": ["强化社会监督。"],
        "assignments": [
            {
                "unit": {"name": "市生态环境局", "short_name": None, "letter_name": None},
                "role": "sole",
                "status": "drafted",
                "round": 1,
                "assigned_on": "2025-03-10",
                "due_on": "2025-06-10",
                "return_due_on": "2025-03-20",
                "received_on": "2025-03-11",
                "closed_on": None,
                "replied_on": None,
                "replied_due_on": None,
                "return_requests": [],
                "extensions": [],
                "contact_logs": [],
                "feedback": [],
                "replies": [
                    {
                        "round": 1,
                        "previous_round": None,
                        "kind": "reply",
                        "shape": "table",
                        "status": "draft",
                        "parts": {
                            "attachment_marker": "附件1",
                            "doc_number": "",
                            "title": "关于第20259001号提案的答复函",
                            "salutation": "王明委员：",
                            "opening": "",
                            "process_account": "",
                            "disclosure": "public",
                            "disclosure_reason": None,
                            "closing": "专此答复。",
                            "signing_unit": "市生态环境局",
                            "letter_date": None,
                            "category": None,
                            "contact_person": "",
                            "contact_phone": "",
                            "leader_signoff": "",
                            "handler": "",
                            "handler_phone": "",
                        },
                        "items": [
                            {
                                "suggestion": "强化社会监督。",
                                "answer": "",
                                "promise": "",
                                "promise_due_on": None,
                                "promise_owner": "",
                                "fulfilled_on": None,
                                "follow_up": "",
                            }
                        ],
                        "revisions": [],
                        "created_by": "clerk_one",
                        "signed_by": None,
                        "signed_at": None,
                    }
                ],
            }
        ],
    }


def _import(app, tmp_path, doc, *args: str):
    path = tmp_path / "in.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc, ensure_ascii=False))
    return app.test_cli_runner().invoke(cases_cli, ["import", str(path), *args])


def _counts(app) -> tuple[int, ...]:
    with app.app_context():
        return tuple(
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Proposal, CouncilSession, Unit, Proposer, User, Reply, AuditEvent)
        )


def _set(doc: dict, path: tuple, value) -> None:
    target = doc
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value


_DELETE = object()
A0 = ("cases", 1, "assignments", 0)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            A0 + ("due_on",),
            "2025-13-01",
            "cases[1].assignments[0].due_on: '2025-13-01' is not a valid date",
        ),
        (
            A0 + ("role",),
            "boss",
            "cases[1].assignments[0].role: 'boss' is not one of lead, co, split, sole",
        ),
        (
            ("cases", 1, "proposal", "title"),
            _DELETE,
            "cases[1].proposal.title: is required but missing",
        ),
        (
            ("cases", 1, "proposal", "is_key"),
            "yes",
            "cases[1].proposal.is_key: 'yes' is not true or false",
        ),
        (("cases", 1, "session", "term"), "七", "cases[1].session.term: '七' is not an integer"),
        (
            A0 + ("replies", 0, "signed_at"),
            "2025-09-08 10:00",
            "cases[1].assignments[0].replies[0].signed_at: '2025-09-08 10:00' is not a valid date-time",
        ),
        (
            A0 + ("replies", 0, "created_by"),
            "u" * 65,
            "cases[1].assignments[0].replies[0].created_by: is too long (65 characters; at most 64)",
        ),
        (
            ("cases", 1, "proposal", "colour"),
            "red",
            "cases[1].proposal.colour: is not a field of this format",
        ),
        (("cases", 1, "proposal", "number"), "", "cases[1].proposal.number: must not be empty"),
        (
            ("cases", 1, "proposal", "number"),
            "9" * 41,
            "cases[1].proposal.number: is too long (41 characters; at most 40)",
        ),
        (
            A0 + ("due_on",),
            "2025-03-01",
            "cases[1].assignments[0].due_on: is before assigned_on (2025-03-10)",
        ),
        (
            ("cases", 1, "proposal", "number"),
            "20259001",
            "cases[1].proposal.number: case 20259001 of 七届五次会议 is already in this file at cases[0]",
        ),
        (
            A0 + ("replies", 0, "shape"),
            "co_opinion",
            "cases[1].assignments[0].replies[0].shape: 'co_opinion' does not fit a letter of kind 'reply'",
        ),
        (
            ("cases", 1, "suggestions", 0),
            "坏\x00字",
            "cases[1].suggestions[0]: contains the character U+0000, which cannot be stored",
        ),
        (
            ("format_version",),
            2,
            "format_version: this file is version 2; this tracker reads version 1",
        ),
    ],
    ids=[
        "bad-date",
        "unknown-role",
        "missing-title",
        "wrong-type-bool",
        "wrong-type-int",
        "bad-moment",
        "long-username",
        "unknown-field",
        "empty-number",
        "too-long",
        "due-before-assigned",
        "duplicate-in-file",
        "shape-kind",
        "nul-character",
        "other-version",
    ],
)
def test_invalid_files_are_refused_whole_with_the_field(app, tmp_path, path, value, message):
    doc = document([small_case("20259001"), small_case("20259002")])
    _set(doc, path, value)
    before = _counts(app)
    result = _import(app, tmp_path, doc)
    assert result.exit_code == 1, result.output
    assert "nothing was imported" in result.output
    assert message in result.output
    assert _counts(app) == before


def test_every_problem_is_listed_at_once(app, tmp_path):
    doc = document([small_case("1"), small_case("2"), small_case("3")])
    doc["cases"][0]["assignments"][0]["due_on"] = "2025-02-30"
    doc["cases"][2]["proposal"]["kind"] = "annual"
    del doc["cases"][2]["suggestions"]
    result = _import(app, tmp_path, doc)
    lines = [line.strip() for line in result.output.splitlines() if line.startswith("  ")]
    assert lines == [
        "cases[0].assignments[0].due_on: '2025-02-30' is not a valid date (YYYY-MM-DD)",
        "cases[2].proposal.kind: 'annual' is not one of plenary, regular",
        "cases[2].suggestions: is required but missing",
    ]


def test_not_json_and_not_this_format(app, tmp_path):
    result = _import(app, tmp_path, '{"format": "tracker.case-exchange",')
    assert result.exit_code == 1 and "not valid JSON at line 1" in result.output
    result = _import(app, tmp_path, {"format": "something-else", "format_version": 1, "cases": []})
    assert result.exit_code == 1 and "is not a case exchange file" in result.output
    result = _import(app, tmp_path, {"format": "tracker.case-exchange", "format_version": 1})
    assert result.exit_code == 1 and "needs either 'case'" in result.output


def test_one_case_document_imports_and_update_replaces_it(app, tmp_path):
    doc = {"format": "tracker.case-exchange", "format_version": 1, "case": small_case()}
    result = _import(app, tmp_path, doc)
    assert result.exit_code == 0, result.output
    assert "Imported 1 cases (0 replaced)" in result.output
    with app.app_context():
        proposal = db.session.scalar(sa.select(Proposal))
        first_id = proposal.id
        user = db.session.scalar(sa.select(User).where(User.username == "clerk_one"))
        assert not user.is_active and user.role.value == "viewer"
    changed = copy.deepcopy(doc)
    changed["case"]["proposal"]["title"] = "关于推动绿色生活的提案"
    changed["case"]["suggestions"].append("建立激励机制。")
    refused = _import(app, tmp_path, changed)
    assert refused.exit_code == 1 and "already in the database" in refused.output
    result = _import(app, tmp_path, changed, "--update")
    assert result.exit_code == 0, result.output
    assert "(1 replaced)" in result.output
    with app.app_context():
        proposal = db.session.scalar(sa.select(Proposal))
        assert proposal.id == first_id, "the case keeps its identity (and its history)"
        assert proposal.title == "关于推动绿色生活的提案"
        assert [s.text for s in proposal.suggestions] == ["强化社会监督。", "建立激励机制。"]
        assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count(Reply.id))) == 1
        exported = list(export_cases(db.session.scalars(case_query())))
        assert exported == [changed["case"]]


def test_session_clashing_with_the_database_is_refused(app, tmp_path):
    with app.app_context():
        db.session.add(
            CouncilSession(council="测试市政协", term=7, meeting=5, year=2025, name="第五次会议")
        )
        db.session.commit()
    result = _import(app, tmp_path, document([small_case()]))
    assert result.exit_code == 1
    assert "cases[0].session.name: the database calls this session '第五次会议'" in result.output


def test_the_documented_example_imports_and_exports_back_unchanged(app, tmp_path):
    from pathlib import Path

    text = (Path(__file__).parents[1] / "docs" / "exchange-format.md").read_text("utf-8")
    example = json.loads(text.split("```json\n", 1)[1].split("\n```", 1)[0])
    validator = jsonschema.Draft202012Validator(load_schema(), format_checker=FORMATS)
    assert list(validator.iter_errors(example)) == []
    result = _import(app, tmp_path, example)
    assert result.exit_code == 0, result.output
    assert "1 archival PDFs rendered" in result.output
    assert json.loads(_export(app, tmp_path, "back.json")) == example
