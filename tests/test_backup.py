"""Backups: restore into the database and compare with what was there."""

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import make_proposal, make_unit
from tracker.core.audit import AuditEvent, verify_chain
from tracker.extensions import db
from tracker.proposals.models import AssignmentRole, Proposal


def _state() -> dict:
    return {
        "proposals": sorted(db.session.scalars(sa.select(Proposal.title))),
        "audit": [
            (e.seq, e.hash)
            for e in db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq))
        ],
    }


def test_backup_then_restore_gives_back_the_same_data(app, tmp_path):
    runner = app.test_cli_runner()
    with app.app_context():
        for n in range(3):
            make_proposal(
                title=f"关于备份测试{n}的提案", units=[(make_unit(), AssignmentRole.SOLE)]
            )
        db.session.commit()
        before = _state()
    target = tmp_path / "tracker.backup"
    result = runner.invoke(args=["backup", "create", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.is_file() and not (tmp_path / "tracker.backup.part").exists()
    with app.app_context():
        make_proposal(title="备份之后新增的提案")
        db.session.execute(sa.delete(Proposal).where(Proposal.title == "关于备份测试0的提案"))
        db.session.commit()
        assert _state() != before
    result = runner.invoke(args=["backup", "restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert "audit chain intact" in result.output
    with app.app_context():
        assert _state() == before
        assert verify_chain().ok


def test_restore_of_a_missing_file_is_refused(app, tmp_path):
    result = app.test_cli_runner().invoke(
        args=["backup", "restore", str(tmp_path / "nope"), "--yes"]
    )
    assert result.exit_code != 0
