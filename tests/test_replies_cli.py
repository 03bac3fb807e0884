"""flask replies pdf / docx: find the case's letter and write it, or say clearly why not."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from docx import Document

from tests.conftest import make_proposal, make_session, make_unit, make_user, set_status
from tracker.auth.models import Role
from tracker.contacts.services import record_contact
from tracker.extensions import db
from tracker.proposals.models import AssignmentRole
from tracker.proposals.workflow import AssignmentStatus
from tracker.replies.cli import replies_cli
from tracker.replies.letter import PART_FIELDS
from tracker.replies.models import Reply
from tracker.replies.services import (
    LetterDraft,
    archived_pdf,
    save_draft,
    sign_reply,
    start_reply,
    submit_reply,
)

NUMBER = "20250467"
CONTACT = {
    "occurred_at": datetime(2025, 4, 2, 10, 30),
    "way": "phone",
    "stage": "before",
    "our_people": "张科长",
    "their_people": "王明委员",
    "summary": "介绍办理思路，委员表示赞同。",
    "attitude": "satisfied",
}


@pytest.fixture
def archive(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "ARCHIVE_DIR", str(tmp_path / "archive"))
    return tmp_path / "archive"


def _case(app, *, sign: bool, co_letter: bool = False) -> int:
    """A proposal handled by 市生态环境局 (lead) and 市民政局 (co); returns the lead's letter id."""
    with app.app_context(), app.test_request_context():
        lead = make_unit("市生态环境局", short_name="生态环境局")
        co = make_unit("市民政局")
        session = make_session(name="七届五次会议", council="深圳市政协")
        proposal = make_proposal(
            session=session,
            number=NUMBER,
            title="关于推动低碳生活的提案",
            suggestions=["强化社会监督。", "建立激励机制。"],
            units=[(lead, AssignmentRole.LEAD), (co, AssignmentRole.CO)],
        )
        supervisor = make_user(Role.SUPERVISOR)
        ids = []
        for assignment in proposal.assignments:
            if assignment.unit_id == co.id and not co_letter:
                continue
            clerk = make_user(Role.CLERK, unit=assignment.unit)
            clerk.phone = "0755-12345678"
            set_status(assignment, AssignmentStatus.HANDLING)
            record_contact(clerk, assignment, CONTACT)
            reply = start_reply(clerk, assignment)
            parts = {name: getattr(reply, name) for name in PART_FIELDS}
            parts.update(category="A", process_account="已与委员电话沟通，委员表示认可。")
            items = [(i.suggestion, f"答复内容{n}。") for n, i in enumerate(reply.items)]
            save_draft(clerk, reply, LetterDraft(parts=parts, items=items))
            if sign and assignment.unit_id == lead.id:
                submit_reply(clerk, reply)
                sign_reply(supervisor, reply)
            ids.append(reply.id)
        db.session.commit()
        return ids[0]


def _invoke(app, *args):
    return app.test_cli_runner().invoke(replies_cli, list(args))


def test_pdf_of_a_signed_letter_is_its_archival_copy(app, archive, tmp_path):
    reply_id = _case(app, sign=True)
    out = tmp_path / "letter.pdf"
    result = _invoke(app, "pdf", "--session", "七届五次会议", "--number", NUMBER, "-o", str(out))
    assert result.exit_code == 0, result.output
    with app.app_context():
        expected = archived_pdf(db.session.get(Reply, reply_id))
    assert out.read_bytes() == expected
    assert "archival" in result.output


def test_session_full_name_and_unit_short_name_are_accepted(app, archive, tmp_path):
    _case(app, sign=True)
    out = tmp_path / "letter.pdf"
    result = _invoke(
        app,
        "pdf",
        "--session",
        "深圳市政协七届五次会议",
        "--number",
        NUMBER,
        "--unit",
        "生态环境局",
        "-o",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")


def test_a_tampered_archive_is_refused(app, archive, tmp_path):
    reply_id = _case(app, sign=True)
    with app.app_context():
        path = archive / db.session.get(Reply, reply_id).pdf_path
    path.write_bytes(path.read_bytes() + b"%")
    out = tmp_path / "letter.pdf"
    result = _invoke(app, "pdf", "--session", "七届五次会议", "--number", NUMBER, "-o", str(out))
    assert result.exit_code != 0
    assert "checksum" in result.output
    assert not out.exists()


def test_draft_letter_is_rendered(app, archive, tmp_path):
    _case(app, sign=False)
    out = tmp_path / "draft.pdf"
    result = _invoke(app, "pdf", "--session", "七届五次会议", "--number", NUMBER, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    assert "draft" in result.output
    assert not archive.exists()  # nothing archived for a draft


def test_docx_has_the_letters_words(app, archive, tmp_path):
    _case(app, sign=True)
    out = tmp_path / "letter.docx"
    result = _invoke(app, "docx", "--session", "七届五次会议", "--number", NUMBER, "-o", str(out))
    assert result.exit_code == 0, result.output
    document = Document(io.BytesIO(out.read_bytes()))
    texts = [p.text for p in document.paragraphs]
    assert "深圳市政协七届五次会议第20250467号提案的答复函" in "".join(texts)
    assert document.tables[0].rows[1].cells[1].text == "答复内容0。"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--session", "九届九次会议", "--number", NUMBER], "Unknown session"),
        (["--session", "七届五次会议", "--number", "99999999"], "no proposal number 99999999"),
        (
            ["--session", "七届五次会议", "--number", NUMBER, "--unit", "市财政局"],
            "is not assigned",
        ),
    ],
)
def test_unknown_session_number_or_unit(app, archive, tmp_path, args, message):
    _case(app, sign=False)
    out = tmp_path / "x.pdf"
    result = _invoke(app, "pdf", *args, "-o", str(out))
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_unit_without_a_letter(app, archive, tmp_path):
    _case(app, sign=False)
    result = _invoke(
        app,
        "pdf",
        *("--session", "七届五次会议", "--number", NUMBER, "--unit", "市民政局"),
        *("-o", str(tmp_path / "x.pdf")),
    )
    assert result.exit_code != 0
    assert "市民政局 has not started a letter" in result.output


def test_several_units_with_letters_need_unit(app, archive, tmp_path):
    _case(app, sign=False, co_letter=True)
    args = ["--session", "七届五次会议", "--number", NUMBER, "-o", str(tmp_path / "x.docx")]
    result = _invoke(app, "docx", *args)
    assert result.exit_code != 0
    assert "choose one with --unit" in result.output
    assert "市生态环境局 (lead)" in result.output and "市民政局 (co)" in result.output
    result = _invoke(app, "docx", *args, "--unit", "市民政局")
    assert result.exit_code == 0, result.output


def test_no_letter_at_all(app, archive, tmp_path):
    with app.app_context():
        unit = make_unit("市生态环境局")
        session = make_session(name="七届五次会议")
        make_proposal(session=session, number=NUMBER, units=[(unit, AssignmentRole.SOLE)])
        db.session.commit()
    result = _invoke(
        app, "pdf", "--session", "七届五次会议", "--number", NUMBER, "-o", str(tmp_path / "x")
    )
    assert result.exit_code != 0
    assert f"No letter has been started for proposal {NUMBER}" in result.output


def test_signed_letter_without_archival_copy_says_so(app, archive, tmp_path):
    reply_id = _case(app, sign=True)
    with app.app_context():
        reply = db.session.get(Reply, reply_id)
        reply.pdf_path = reply.pdf_sha256 = reply.pdf_size = None  # as demo letters past the limit
        db.session.commit()
    result = _invoke(
        app, "pdf", "--session", "七届五次会议", "--number", NUMBER, "-o", str(tmp_path / "x")
    )
    assert result.exit_code != 0
    assert "without an archival PDF" in result.output
