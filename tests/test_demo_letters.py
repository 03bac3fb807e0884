"""The demo's letters: every case past drafting has its letter(s), in the state its case is in."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app
from werkzeug.security import generate_password_hash

from tracker.core.audit import verify_chain
from tracker.demo.letters import LETTER_STATUS, seed_letters
from tracker.demo.seed import seed_demo
from tracker.documents import storage
from tracker.extensions import db
from tracker.proposals.models import Assignment, AssignmentRole
from tracker.proposals.workflow import AssignmentStatus
from tracker.replies.letter import letter_content
from tracker.replies.models import (
    Disclosure,
    LetterKind,
    LetterShape,
    Reply,
    ReplyStatus,
    ReviewOutcome,
)
from tracker.replies.services import archived_pdf

S = AssignmentStatus


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch):
    monkeypatch.setattr(
        "tracker.auth.models.generate_password_hash",
        lambda password: generate_password_hash(password, method="pbkdf2:sha256:1000"),
    )


@pytest.fixture
def archive(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "ARCHIVE_DIR", str(tmp_path / "archive"))
    return tmp_path / "archive"


def _letters() -> list[Reply]:
    return db.session.scalars(sa.select(Reply).order_by(Reply.id)).unique().all()


def test_demo_letters_match_their_cases(app, archive, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "DEMO_PDF_LIMIT", 80)  # the default: all 40's letters
    summary = seed_demo(proposals=40)
    letters = _letters()
    assert f"{len(letters)} letters" in summary
    by_assignment: dict[int, dict[int, Reply]] = {}
    for reply in letters:
        by_assignment.setdefault(reply.assignment_id, {})[reply.round] = reply

    for a in db.session.scalars(sa.select(Assignment)).unique():
        rounds = by_assignment.get(a.id, {})
        if a.status not in LETTER_STATUS and a.round == 1:
            assert not rounds, (a.id, a.status)
            continue
        expected = list(range(1, a.round + 1))
        if a.status is S.REHANDLING:
            expected = expected[:-1]  # this round's letter is not started yet
        assert sorted(rounds) == expected, (a.id, a.status, a.round)
        for round_, reply in rounds.items():
            assert reply.kind is (
                LetterKind.CO_OPINION if a.role is AssignmentRole.CO else LetterKind.REPLY
            )
            assert (reply.shape is LetterShape.CO_OPINION) == (a.role is AssignmentRole.CO)
            if round_ < a.round:
                assert reply.status is ReplyStatus.SIGNED
            else:
                assert reply.status is LETTER_STATUS[a.status]
            if round_ > 1:
                assert reply.previous is rounds[round_ - 1]
            _check_letter(a, reply)

    signed = [r for r in letters if r.is_signed]
    assert {r.shape for r in signed} == set(LetterShape)
    replies = [r for r in letters if r.kind is LetterKind.REPLY and r.category]
    categories = Counter(r.category for r in replies)
    assert categories["A"] > len(replies) / 2
    assert any(r.disclosure is not Disclosure.PUBLIC for r in letters)
    assert sum(r.disclosure is Disclosure.PUBLIC for r in letters) > len(letters) * 0.8
    assert {r.status for r in letters} >= {ReplyStatus.SIGNED, ReplyStatus.IN_REVIEW}
    report = verify_chain()
    assert report.ok, report.reason


def _check_letter(assignment: Assignment, reply: Reply) -> None:
    assert reply.title and reply.salutation and reply.signing_unit
    assert all(item.answer.strip() for item in reply.items)
    assert reply.contact_person and reply.contact_phone
    if reply.disclosure is not Disclosure.PUBLIC:
        assert reply.disclosure_reason
    revisions = reply.revisions
    if reply.status is ReplyStatus.DRAFT:
        assert revisions == []
        return
    assert [r.number for r in revisions] == list(range(1, len(revisions) + 1))
    assert all(r.outcome is ReviewOutcome.RETURNED for r in revisions[:-1])
    assert all(r.review_comment for r in revisions if r.outcome is ReviewOutcome.RETURNED)
    last = revisions[-1]
    if reply.status is ReplyStatus.IN_REVIEW:
        assert last.outcome is ReviewOutcome.PENDING
    elif reply.status is ReplyStatus.RETURNED:
        assert last.outcome is ReviewOutcome.RETURNED
    else:
        assert last.outcome is ReviewOutcome.SIGNED
        assert last.content == letter_content(reply)
        assert reply.signed_by.username == "supervisor"
        assert reply.signed_at is not None
        assert assignment.assigned_on <= reply.letter_date <= date.today()
        if reply.kind is LetterKind.REPLY:
            assert reply.category
        # The archival copy, stored as sign_reply stores it, still matches its checksum.
        assert reply.pdf_path, "the 40-proposal demo stays under the PDF limit"
        root = Path(current_app.config["ARCHIVE_DIR"])
        data = storage.load(root, reply.pdf_path, reply.pdf_sha256)
        assert data.startswith(b"%PDF") and len(data) == reply.pdf_size
        assert archived_pdf(reply) == data


def test_pdf_limit_current_session_first_and_no_second_letters(app, archive, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "DEMO_PDF_LIMIT", 3)
    seed_demo(proposals=12, seed=5)
    signed = [r for r in _letters() if r.is_signed]
    with_pdf = [r for r in signed if r.pdf_path]
    assert len(with_pdf) == 3 < len(signed)
    years = [r.assignment.proposal.session.year for r in with_pdf]
    assert min(years) >= max(r.assignment.proposal.session.year for r in signed if not r.pdf_path)
    assert all(r.pdf_sha256 is None and r.signed_at for r in signed if not r.pdf_path)
    assert len(list(archive.rglob("*.pdf"))) == 3
    assert seed_letters() == 0  # every case that needs a letter has one
    assert verify_chain().ok
