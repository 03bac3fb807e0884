"""Sign-in: lockout after repeated failures, the same answer for unknown users, idle timeout."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import PASSWORD, login, make_user
from tracker.auth.models import Role, User
from tracker.auth.services import LOCKOUT, MAX_FAILURES, authenticate
from tracker.core.models import utcnow
from tracker.extensions import db


def test_lockout_after_repeated_failures(ctx):
    user = make_user(Role.CLERK, username="zhang")
    now = utcnow()
    for _ in range(MAX_FAILURES):
        assert authenticate("zhang", "wrong-password-1", now) == (None, "wrong")
    assert authenticate("zhang", PASSWORD, now) == (None, "locked"), "even the right password"
    later = now + LOCKOUT + timedelta(seconds=1)
    found, why = authenticate("zhang", PASSWORD, later)
    assert found is user and why == ""
    assert user.failed_logins == 0 and user.locked_until is None


def test_unknown_user_gets_the_same_answer(ctx):
    make_user(Role.CLERK, username="li")
    assert authenticate("nobody-here", "x") == (None, "wrong")
    assert authenticate("li", "x") == (None, "wrong")


def test_lockout_through_the_page(app, client):
    with app.app_context():
        make_user(Role.CLERK, username="wang")
        db.session.commit()
    client.get("/lang/en")
    for _ in range(MAX_FAILURES):
        assert "Wrong username or password" in login(client, "wang", "nope-nope-1").get_data(
            as_text=True
        )
    page = login(client, "wang").get_data(as_text=True)
    assert "locked" in page
    with app.app_context():
        assert db.session.query(User).filter_by(username="wang").one().locked_until is not None


def test_idle_session_is_signed_out(app, client, monkeypatch):
    with app.app_context():
        make_user(Role.CLERK, username="zhao")
        db.session.commit()
    login(client, "zhao")
    assert client.get("/todo").status_code == 200
    with client.session_transaction() as s:
        s["seen_at"] = s["seen_at"] - app.config["IDLE_TIMEOUT_MINUTES"] * 60 - 5
    response = client.get("/todo")
    assert response.status_code == 302 and "/login" in response.location
    assert client.get("/todo").status_code == 302


def test_safe_redirect_after_sign_in(app, client):
    with app.app_context():
        make_user(Role.CLERK, username="qian")
        db.session.commit()
    for target, expected in (
        ("/proposals", "/proposals"),
        ("https://evil.example/", "/"),
        ("//evil.example", "/"),
    ):
        response = client.post(
            f"/login?next={target}", data={"username": "qian", "password": PASSWORD}
        )
        assert response.location == expected
        client.post("/logout")
