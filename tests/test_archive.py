"""Archive bundles: every signed letter with its checksum, the cases, a manifest; verification."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import struct
import zipfile
from datetime import date, datetime
from types import SimpleNamespace

import jsonschema
import pytest

from tests.conftest import login, make_proposal, make_session, make_unit, make_user, set_status
from tests.exchange_support import fresh_app
from tracker.auth.models import Role
from tracker.contacts.services import record_contact
from tracker.exchange import archive
from tracker.exchange.cli import archive_cli
from tracker.exchange.format import load_schema
from tracker.exchange.validation import FORMATS
from tracker.extensions import db
from tracker.jobs.registry import HANDLERS, LocalContext
from tracker.proposals.models import AssignmentRole
from tracker.proposals.workflow import AssignmentStatus
from tracker.replies.letter import PART_FIELDS
from tracker.replies.models import Reply, ReplyStatus
from tracker.replies.services import LetterDraft, save_draft, sign_reply, start_reply, submit_reply

LEAD_PDF = "pdf/20250467-市生态环境局-1.pdf"
CO_PDF = "pdf/20250467-市民政局-1.pdf"
CONTACT = {
    "occurred_at": datetime(2025, 4, 2, 10, 30),
    "way": "phone",
    "stage": "before",
    "our_people": "张科长",
    "their_people": "王明委员",
    "summary": "介绍办理思路，委员表示赞同。",
    "attitude": "satisfied",
}


def _draft(assignment, clerk, **parts):
    set_status(assignment, AssignmentStatus.HANDLING)
    record_contact(clerk, assignment, CONTACT)
    reply = start_reply(clerk, assignment)
    values = {name: getattr(reply, name) for name in PART_FIELDS}
    values.update(category="A", process_account="已与委员电话沟通，委员表示认可。")
    values.update(contact_person="张科长", contact_phone="0755-12345678", **parts)
    items = [(i.suggestion, f"答复内容{n}。") for n, i in enumerate(reply.items)]
    return save_draft(clerk, reply, LetterDraft(parts=values, items=items))


class Stopped(BaseException):
    """Stands for the process being stopped (not an error a handler would catch)."""


def _sign_without_copy(reply: Reply, boss) -> None:
    """Signed the way the demo signs letters past its PDF limit: no stored archival copy."""
    reply.status = ReplyStatus.SIGNED
    reply.letter_date = date(2025, 9, 10)
    reply.signed_at = datetime(2025, 9, 10, 2, 0)
    reply.signed_by_id = boss.id


def _register_views(app) -> None:
    """Wire the exchange (and jobs) pages on this app if the application does not yet."""
    from tracker.exchange.views import bp

    if "exchange.archives" not in app.view_functions:
        app.register_blueprint(bp)
    if "jobs.show" not in app.view_functions:
        from tracker.jobs.views import bp as jobs_bp

        app.register_blueprint(jobs_bp)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A session with a signed reply (stored PDF), a signed co-handling opinion without a
    stored copy and a draft; and another session with a signed letter."""
    base = tmp_path_factory.mktemp("bundle")
    with fresh_app(base) as app:
        _register_views(app)
        with app.app_context(), app.test_request_context():
            lead, co = make_unit("市生态环境局"), make_unit("市民政局")
            session = make_session(name="七届五次会议", council="深圳市政协", year=2025)
            boss = make_user(Role.SUPERVISOR, username="boss")
            make_user(Role.CLERK, unit=lead, username="clerk_lead")
            proposal = make_proposal(
                session=session,
                number="20250467",
                title="关于推动低碳生活的提案",
                suggestions=["强化社会监督。", "建立激励机制。"],
                units=[(lead, AssignmentRole.LEAD), (co, AssignmentRole.CO)],
            )
            for assignment in proposal.assignments:
                clerk = make_user(Role.CLERK, unit=assignment.unit)
                if assignment.unit_id == lead.id:
                    reply = _draft(assignment, clerk)
                    submit_reply(clerk, reply)
                    sign_reply(boss, reply, today=date(2025, 9, 8))
                    lead_sha = reply.pdf_sha256
                else:
                    _sign_without_copy(_draft(assignment, clerk, category=None), boss)
            draft_case = make_proposal(
                session=session, number="20250468", units=[(lead, AssignmentRole.SOLE)]
            )
            _draft(draft_case.assignments[0], make_user(Role.CLERK, unit=lead))
            older = make_session(name="七届四次会议", council="深圳市政协", year=2024)
            old_case = make_proposal(
                session=older, number="20240001", units=[(co, AssignmentRole.SOLE)]
            )
            _sign_without_copy(
                _draft(old_case.assignments[0], make_user(Role.CLERK, unit=co)), boss
            )
            db.session.commit()
            ids = {"session": session.id, "older": older.id}
        yield SimpleNamespace(app=app, dir=base, lead_sha=lead_sha, **ids)


@pytest.fixture(scope="module")
def bundle(world):
    out = world.dir / "七届五次会议.zip"
    args = ["export", "--session", "七届五次会议", "-o", str(out)]
    result = world.app.test_cli_runner().invoke(archive_cli, args)
    assert result.exit_code == 0, result.output
    assert "2 signed letters (1 rendered at export), 2 cases" in result.output
    return out


def _verify(world, path):
    return world.app.test_cli_runner().invoke(archive_cli, ["verify", str(path)])


def test_bundle_holds_every_signed_letter_with_matching_checksums(world, bundle):
    with zipfile.ZipFile(bundle) as z:
        names = z.namelist()
        files = {name: z.read(name) for name in names}
    # by number, then unit in code-point order (市民政局 before 市生态环境局), then round
    assert names == [CO_PDF, LEAD_PDF, "cases.json", "manifest.csv", "manifest.json"]
    assert hashlib.sha256(files[LEAD_PDF]).hexdigest() == world.lead_sha, "the stored copy"
    assert files[CO_PDF].startswith(b"%PDF")
    manifest = json.loads(files["manifest.json"])
    assert manifest["format"] == "tracker.archive-bundle"
    assert manifest["session"]["full_name"] == "深圳市政协七届五次会议"
    assert manifest["counts"] == {"letters": 2, "rendered_at_export": 1, "cases": 2}
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == set(names) - {"manifest.json"}
    for path, entry in listed.items():
        assert entry["sha256"] == hashlib.sha256(files[path]).hexdigest()
        assert entry["size"] == len(files[path])
    lead, co = listed[LEAD_PDF], listed[CO_PDF]
    assert (lead["kind"], lead["number"], lead["unit"], lead["round"]) == (
        "reply",
        "20250467",
        "市生态环境局",
        1,
    )
    assert lead["category"] == "A" and lead["source"] == "archive" and lead["signed_at"]
    assert co["kind"] == "co_opinion" and co["source"] == "rendered"
    assert co["signed_at"] == "2025-09-10T02:00:00Z"
    assert any(CO_PDF in note and "rendered at export" in note for note in manifest["notes"])
    rows = list(csv.DictReader(io.StringIO(files["manifest.csv"].decode("utf-8-sig"))))
    assert [r["path"] for r in rows] == [p for p in listed if p != "manifest.csv"]
    assert list(rows[0]) == list(archive.COLUMNS)
    assert all(r["sha256"] == listed[r["path"]]["sha256"] for r in rows)
    cases = json.loads(files["cases.json"])
    validator = jsonschema.Draft202012Validator(load_schema(), format_checker=FORMATS)
    assert list(validator.iter_errors(cases)) == []
    assert [c["proposal"]["number"] for c in cases["cases"]] == ["20250467", "20250468"]


def test_verify_passes_on_an_intact_bundle(world, bundle):
    result = _verify(world, bundle)
    assert result.exit_code == 0, result.output
    assert "every file matches its manifest checksum" in result.output
    assert archive.verify_bundle(bundle) == []


def _rewrite(source, target, *, drop=(), change=None, add=None):
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            if info.filename in drop:
                continue
            data = old.read(info.filename)
            if change and info.filename == change:
                data = data[:100] + bytes([data[100] ^ 1]) + data[101:]
            new.writestr(info, data)
        if add:
            new.writestr(add, b"not in the manifest")


def _flip_stored_byte(source, target):
    """Change one byte of a stored (uncompressed) PDF inside the zip file itself."""
    shutil.copy(source, target)
    with zipfile.ZipFile(target) as z:
        start = z.getinfo(LEAD_PDF).header_offset
    raw = bytearray(target.read_bytes())
    name_length, extra_length = struct.unpack("<HH", raw[start + 26 : start + 30])
    raw[start + 30 + name_length + extra_length + 500] ^= 0xFF  # inside the data
    target.write_bytes(bytes(raw))


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (lambda s, t: _flip_stored_byte(s, t), f"{LEAD_PDF}: changed"),
        (lambda s, t: _rewrite(s, t, change=CO_PDF), f"{CO_PDF}: changed (sha256"),
        (lambda s, t: _rewrite(s, t, change="cases.json"), "cases.json: changed"),
        (lambda s, t: _rewrite(s, t, drop=[LEAD_PDF]), f"{LEAD_PDF}: missing"),
        (lambda s, t: _rewrite(s, t, add="pdf/extra.pdf"), "pdf/extra.pdf: extra"),
        (lambda s, t: _rewrite(s, t, drop=["manifest.json"]), "manifest.json: missing"),
    ],
    ids=["byte-flipped", "pdf-changed", "cases-changed", "deleted", "extra", "no-manifest"],
)
def test_verify_fails_naming_the_file(world, bundle, tmp_path, tamper, expected):
    damaged = tmp_path / "damaged.zip"
    tamper(bundle, damaged)
    result = _verify(world, damaged)
    assert result.exit_code == 1
    assert expected in result.output, result.output


def test_a_damaged_stored_copy_stops_the_export(world, tmp_path, monkeypatch):
    copy = tmp_path / "archive"
    shutil.copytree(world.dir / "archive", copy)
    monkeypatch.setitem(world.app.config, "ARCHIVE_DIR", str(copy))
    for pdf in copy.rglob("*.pdf"):
        pdf.write_bytes(pdf.read_bytes() + b"\n")
    out = tmp_path / "bundle.zip"
    args = ["export", "--session", "七届五次会议", "-o", str(out)]
    result = world.app.test_cli_runner().invoke(archive_cli, args)
    assert result.exit_code == 1
    assert LEAD_PDF in result.output and "does not match its checksum" in result.output
    assert list(tmp_path.glob("bundle.zip*")) == []


def test_a_failed_run_leaves_no_complete_looking_file(world, tmp_path, monkeypatch):
    real = archive._letter_pdf
    calls = []

    def dying(reply):
        calls.append(sorted(p.name for p in tmp_path.iterdir()))
        if len(calls) == 2:
            raise Stopped  # as when the process is stopped halfway
        return real(reply)

    monkeypatch.setattr(archive, "_letter_pdf", dying)
    ctx = LocalContext(params={"session_id": world.session}, output_dir=tmp_path, job_id="job")
    with world.app.app_context(), pytest.raises(Stopped):
        archive.export_archive(ctx)
    assert calls[-1] == ["job.zip.part"], "while it runs, only a .part file exists"
    assert list(tmp_path.iterdir()) == [] and ctx.outputs == []


def test_the_job_handler_reports_progress(world, tmp_path):
    assert HANDLERS["archive_export"] is archive.export_archive
    seen = []
    ctx = LocalContext(
        params={"session_id": world.older},
        output_dir=tmp_path,
        job_id="older",
        on_progress=lambda done, total, message: seen.append((done, total)),
    )
    with world.app.app_context():
        summary = archive.export_archive(ctx)
    assert ctx.outputs == [tmp_path / "older.zip"]
    assert "1 signed letters (1 rendered at export), 1 cases" in summary
    assert seen == [(1, 2), (2, 2)]
    assert archive.verify_bundle(ctx.outputs[0]) == []
    with zipfile.ZipFile(ctx.outputs[0]) as z:
        assert "pdf/20240001-市民政局-1.pdf" in z.namelist()


def test_unknown_session_and_bad_file_name(world, tmp_path):
    runner = world.app.test_cli_runner()
    result = runner.invoke(archive_cli, ["export", "--session", "九届九次", "-o", "x.zip"])
    assert result.exit_code != 0 and "Unknown session '九届九次'" in result.output
    result = runner.invoke(archive_cli, ["export", "--session", "七届五次会议", "-o", "x.tar"])
    assert result.exit_code != 0 and "must end in .zip" in result.output
    not_zip = tmp_path / "not.zip"
    not_zip.write_text("hello")
    result = _verify(world, not_zip)
    assert result.exit_code == 1 and "cannot be read as a zip file" in result.output


# ---------------------------------------------------------------- the web page


@pytest.fixture
def jobs_submitted(monkeypatch):
    submitted = []

    def fake_submit(kind, params, user):
        submitted.append((kind, params, user.username))
        return SimpleNamespace(id="0123abcd")

    import tracker.jobs.services

    monkeypatch.setattr(tracker.jobs.services, "submit", fake_submit)
    return submitted


def test_a_supervisor_starts_the_export_as_a_job(world, jobs_submitted):
    client = world.app.test_client()
    client.get("/lang/en")
    login(client, "boss")
    page = client.get("/exchange/archives")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "深圳市政协七届五次会议" in html and "Build the archive bundle" in html
    response = client.post(f"/exchange/sessions/{world.session}/archive")
    assert response.status_code == 303
    assert response.location.endswith("/jobs/0123abcd")
    assert jobs_submitted == [("archive_export", {"session_id": world.session}, "boss")]
    assert client.post("/exchange/sessions/999999/archive").status_code == 404


def test_clerks_may_not_export_archives(world, jobs_submitted):
    client = world.app.test_client()
    login(client, "clerk_lead")
    assert client.get("/exchange/archives").status_code == 403
    assert client.post(f"/exchange/sessions/{world.session}/archive").status_code == 403
    assert jobs_submitted == []
    anonymous = world.app.test_client()
    response = anonymous.post(f"/exchange/sessions/{world.session}/archive")
    assert response.status_code in (302, 303, 401)
