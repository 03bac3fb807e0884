"""The demo data set: complete, consistent, audited, and loadable from the command line."""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from tracker.core.audit import verify_chain
from tracker.demo import seed as demo_seed
from tracker.demo.seed import DEMO_PASSWORD, seed_demo
from tracker.extensions import db
from tracker.models import (
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    CaseType,
    CouncilSession,
    Extension,
    Proposal,
    RequestStatus,
    Role,
    Unit,
    User,
)


def _all(model):
    return db.session.scalars(sa.select(model)).unique().all()


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch):
    """Hash the demo users' passwords cheaply: scrypt would take most of this module's time."""
    monkeypatch.setattr(
        "tracker.auth.models.generate_password_hash",
        lambda password: generate_password_hash(password, method="pbkdf2:sha256:1000"),
    )


def test_seed_demo_builds_a_complete_data_set(ctx):
    calls: list[tuple[int, int]] = []
    summary = seed_demo(proposals=40, progress=lambda done, total: calls.append((done, total)))
    assert "40 proposals" in summary
    assert calls[-1] == (40, 40) and len(calls) == 40
    _check_directory()
    _check_proposals()
    _check_workflow()
    _check_users()
    report = verify_chain()
    assert report.ok, report.reason
    assert report.checked > 40 * 3


def _check_directory() -> None:
    sessions = _all(CouncilSession)
    assert len(sessions) == 3
    assert [s.is_current for s in sorted(sessions, key=lambda s: s.year)] == [False, False, True]
    assert len(_all(Unit)) >= 30


def _check_proposals() -> None:
    proposals = _all(Proposal)
    assert len(proposals) == 40
    assert {p.session_id for p in proposals} == {s.id for s in _all(CouncilSession)}
    by_session = Counter((p.session_id, p.number) for p in proposals)
    assert max(by_session.values()) == 1
    for p in proposals:
        assert p.number.startswith(str(p.session.year)) and len(p.number) == 8
        assert p.title.startswith("关于") and p.title.endswith(("的提案", "的建议"))
        assert 3 <= len(p.suggestions) <= 4
        assert 1 <= len(p.proposers) <= 4
        assert p.full_text
        assert p.assignments
        assert p.submitted_on <= min(a.assigned_on for a in p.assignments)
        if p.is_collective:
            assert len(p.proposers) == 1
    assert {p.case_type for p in proposals} == set(CaseType)
    assert any(p.is_key for p in proposals)
    assert any(p.is_collective for p in proposals)
    assert sum(p.is_key for p in proposals) < len(proposals) / 2


def _check_workflow() -> None:
    assignments = _all(Assignment)
    assert {a.status for a in assignments} == set(AssignmentStatus)
    assert {a.role for a in assignments} == set(AssignmentRole)
    for a in assignments:
        assert a.due_on >= a.assigned_on
        if a.status in (AssignmentStatus.CLOSED, AssignmentStatus.WITHDRAWN):
            assert a.closed_on is not None
    assert any(a.round == 2 for a in assignments)
    extensions = _all(Extension)
    assert len(extensions) >= 2
    assert any(e.status is RequestStatus.APPROVED for e in extensions)
    older = [a for a in assignments if not a.proposal.session.is_current]
    closed = [a for a in older if a.status is AssignmentStatus.CLOSED]
    assert len(closed) > len(older) / 2


def _check_users() -> None:
    users = {u.username: u for u in _all(User)}
    assert {"supervisor", "clerk_fgw", "clerk_jyj", "viewer_jyj"} <= set(users)
    assert "admin" not in users
    assert users["supervisor"].role is Role.SUPERVISOR
    assert users["viewer_jyj"].role is Role.VIEWER
    per_unit = Counter(a.unit_id for a in _all(Assignment))
    for user in users.values():
        assert user.check_password(DEMO_PASSWORD), user.username
        if user.role is Role.CLERK:
            assert per_unit[user.unit_id] >= 2, user.username


def test_seed_is_deterministic_and_leaves_committing_to_the_caller(ctx):
    def snapshot():
        rows = db.session.scalars(sa.select(Proposal).order_by(Proposal.id)).unique()
        return [
            (p.number, p.title, p.proposer_names, [s.text for s in p.suggestions])
            + tuple((a.unit.name, a.role, a.status, a.assigned_on) for a in p.assignments)
            for p in rows
        ]

    seed_demo(proposals=6, seed=11)
    first = snapshot()
    db.session.rollback()  # nothing was committed: the database is empty again
    assert db.session.scalar(sa.select(sa.func.count(Unit.id))) == 0
    seed_demo(proposals=6, seed=11)
    assert snapshot() == first
    db.session.rollback()
    seed_demo(proposals=6, seed=12)
    assert snapshot() != first


def test_big_runs_commit_in_batches(ctx, monkeypatch):
    monkeypatch.setattr(demo_seed, "BATCH_SIZE", 7)
    seed_demo(proposals=18, seed=7)
    db.session.commit()
    db.session.expunge_all()
    assert db.session.scalar(sa.select(sa.func.count(Proposal.id))) == 18
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) >= 18
    assert verify_chain().ok


def test_seed_rolls_back_on_error(ctx, monkeypatch):
    real_save = demo_seed.save_proposal
    saved: list[int] = []

    def failing_save(*args, **kwargs):
        if len(saved) == 5:
            raise RuntimeError("boom")
        saved.append(1)
        return real_save(*args, **kwargs)

    monkeypatch.setattr(demo_seed, "save_proposal", failing_save)
    with pytest.raises(RuntimeError, match="boom"):
        seed_demo(proposals=20)
    assert db.session.scalar(sa.select(sa.func.count(Proposal.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Unit.id))) == 0


def test_cli_seed_refuses_a_second_run_without_force(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "seed", "--proposals", "30"])
    assert result.exit_code == 0, result.output
    assert "30 proposals" in result.output

    again = runner.invoke(args=["demo", "seed", "--proposals", "30"])
    assert again.exit_code != 0
    assert "already has proposals" in again.output
    assert "--force" in again.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Proposal.id))) == 30
        assert verify_chain().ok
