"""The JSON API: tokens (create, revoke, refuse), scoping like the web, filters, letters' PDFs,
the OpenAPI description, and schemathesis finding no server error and no answer off-schema."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from config import TestingConfig
from tests.conftest import (
    _empty_tables,
    _engines,
    login,
    make_proposal,
    make_session,
    make_unit,
    make_user,
    set_status,
)
from tracker import create_app
from tracker.api.models import ApiToken
from tracker.api.openapi import spec
from tracker.api.services import authenticate, create_token, hash_secret, revoke_token
from tracker.api.token_views import tokens_bp
from tracker.api.views import bp as api_bp
from tracker.auth.models import Role
from tracker.contacts.services import record_contact
from tracker.core.audit import AuditEvent
from tracker.core.errors import DomainError
from tracker.directory.models import Proposer
from tracker.extensions import db
from tracker.proposals.models import Assignment, AssignmentRole, CaseType
from tracker.proposals.workflow import AssignmentStatus
from tracker.replies.letter import PART_FIELDS
from tracker.replies.models import Reply
from tracker.replies.services import LetterDraft, save_draft, sign_reply, start_reply, submit_reply

S = AssignmentStatus
SECRET = re.compile(r"trk_[A-Za-z0-9_-]{40}")


@pytest.fixture(scope="module")
def _api_app(database_url, tmp_path_factory):
    """The application with the API's blueprints registered (until create_app does it)."""
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        ARCHIVE_DIR=str(tmp_path_factory.mktemp("api-archive")),
    )
    for bp in (api_bp, tokens_bp):
        if bp.name not in app.blueprints:
            app.register_blueprint(bp)
    with app.app_context():
        db.create_all()
        _engines.append(db.engine)
    return app


@pytest.fixture
def app(_api_app):
    """Overrides conftest's `app` (and so `client` and `ctx`) with the API-enabled one."""
    with _api_app.app_context():
        _empty_tables()
    yield _api_app
    with _api_app.app_context():
        db.session.remove()


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@dataclass
class World:
    unit_a: int
    unit_b: int
    session_1: int
    session_2: int
    own: int  # unit A's (sole), key, session 1, overdue
    other: int  # unit B's only, session 2, on track
    shared: int  # lead B, co-handled by A, an NPC suggestion, due soon
    own_assignment: int
    other_assignment: int
    tokens: dict[str, str]  # persona -> secret
    users: dict[str, str]  # persona -> username


@pytest.fixture
def world(app) -> World:
    today = date.today()
    with app.app_context():
        unit_a, unit_b = make_unit("甲局"), make_unit("乙局")
        s1, s2 = make_session(year=2025), make_session(year=2026)
        own = make_proposal(
            session=s1,
            title="关于城市绿道建设的提案",
            units=[(unit_a, AssignmentRole.SOLE)],
            proposers=["王委员", "李委员"],
            is_key=True,
        )
        other = make_proposal(session=s2, units=[(unit_b, AssignmentRole.SOLE)])
        shared = make_proposal(
            session=s1,
            case_type=CaseType.SUGGESTION,
            units=[(unit_b, AssignmentRole.LEAD), (unit_a, AssignmentRole.CO)],
        )
        proposer = db.session.scalar(sa.select(Proposer).where(Proposer.name == "王委员"))
        proposer.phone, proposer.email = "13800000000", "wang@example.org"
        dues = {own: today - timedelta(days=5), other: today + timedelta(days=400)}
        for proposal, due in dues.items():
            for a in proposal.assignments:
                a.assigned_on, a.due_on = today - timedelta(days=60), due
        for a in shared.assignments:
            a.assigned_on, a.due_on = today - timedelta(days=60), today + timedelta(days=1)
        set_status(own.assignments[0], S.HANDLING)
        users, tokens = {}, {}
        for persona, role, unit in (
            ("clerk_a", Role.CLERK, unit_a),
            ("viewer_a", Role.VIEWER, unit_a),
            ("clerk_b", Role.CLERK, unit_b),
            ("supervisor", Role.SUPERVISOR, None),
            ("admin", Role.ADMIN, None),
        ):
            user = make_user(role, unit=unit, username=persona)
            users[persona] = user.username
            tokens[persona] = create_token(user, user, f"{persona} script")[1]
        db.session.commit()
        return World(
            unit_a=unit_a.id,
            unit_b=unit_b.id,
            session_1=s1.id,
            session_2=s2.id,
            own=own.id,
            other=other.id,
            shared=shared.id,
            own_assignment=own.assignments[0].id,
            other_assignment=other.assignments[0].id,
            tokens=tokens,
            users=users,
        )


def _sign(assignment: Assignment, clerk, supervisor) -> Reply:
    record_contact(
        clerk,
        assignment,
        {
            "occurred_at": datetime.combine(date.today() - timedelta(days=30), time(10, 30)),
            "way": "phone",
            "stage": "before",
            "our_people": "张科长",
            "their_people": "王委员",
            "summary": "介绍办理思路，委员表示赞同。",
            "attitude": "satisfied",
        },
    )
    reply = start_reply(clerk, assignment)
    parts = {name: getattr(reply, name) for name in PART_FIELDS}
    parts.update(
        category="A",
        process_account="已与委员电话沟通。",
        contact_person="张三",
        contact_phone="0755-12345678",
    )
    items = [(i.suggestion, f"答复{n}。") for n, i in enumerate(reply.items)]
    save_draft(clerk, reply, LetterDraft(parts=parts, items=items))
    submit_reply(clerk, reply)
    return sign_reply(supervisor, reply, today=date(2025, 9, 8))


@pytest.fixture
def letters(app, world) -> dict[str, int]:
    """A signed letter (with its archival PDF) on unit A's case, a draft on unit B's."""
    with app.app_context():
        clerk_a = _user("clerk_a")
        signed = _sign(
            db.session.get(Assignment, world.own_assignment), clerk_a, _user("supervisor")
        )
        other = db.session.get(Assignment, world.other_assignment)
        set_status(other, S.HANDLING)
        draft = start_reply(_user("clerk_b"), other)
        db.session.commit()
        return {"signed": signed.id, "draft": draft.id}


def _user(username: str):
    from tracker.auth.models import User

    return db.session.scalar(sa.select(User).where(User.username == username))


def _get(client, world, persona: str, path: str, **kw):
    return client.get(f"/api/v1{path}", headers=bearer(world.tokens[persona]), **kw)


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.get_json()
    return {item["id"] for item in response.get_json()["items"]}


# ---- tokens: refused without, with garbage, revoked, expired, of an inactive user ----


def test_requests_without_a_valid_token_get_401(app, client, world):
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer garbage"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        bearer("trk_" + "A" * 40),  # the right shape, but nobody's
        {"Authorization": world.tokens["supervisor"]},  # no scheme
    ):
        response = client.get("/api/v1/proposals", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert set(response.get_json()) == {"error", "message"}
    assert client.get("/api/v1/proposals/1").status_code == 401
    assert client.get("/api/v1/openapi.json").status_code == 401
    ok = client.get("/api/v1/proposals", headers=bearer(world.tokens["supervisor"]))
    assert ok.status_code == 200
    # The scheme is case-insensitive (RFC 7235).
    lower = {"Authorization": f"bearer {world.tokens['supervisor']}"}
    assert client.get("/api/v1/proposals", headers=lower).status_code == 200


def test_revoked_expired_and_deactivated_are_refused(app, client, world):
    supervisor = world.tokens["supervisor"]
    with app.app_context():
        token = db.session.scalar(
            sa.select(ApiToken).where(ApiToken.token_hash == hash_secret(supervisor))
        )
        revoke_token(token.user, token)
        db.session.commit()
    response = client.get("/api/v1/proposals", headers=bearer(supervisor))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]

    clerk = world.tokens["clerk_a"]
    assert client.get("/api/v1/proposals", headers=bearer(clerk)).status_code == 200
    with app.app_context():
        token = db.session.scalar(
            sa.select(ApiToken).where(ApiToken.token_hash == hash_secret(clerk))
        )
        token.expires_on = date.today()
        db.session.commit()
    assert client.get("/api/v1/proposals", headers=bearer(clerk)).status_code == 200, (
        "a token works through its last day"
    )
    with app.app_context():
        token = db.session.scalar(
            sa.select(ApiToken).where(ApiToken.token_hash == hash_secret(clerk))
        )
        token.expires_on = date.today() - timedelta(days=1)
        db.session.commit()
    assert client.get("/api/v1/proposals", headers=bearer(clerk)).status_code == 401

    viewer = world.tokens["viewer_a"]
    with app.app_context():
        _user("viewer_a").is_active_flag = False
        db.session.commit()
    assert client.get("/api/v1/proposals", headers=bearer(viewer)).status_code == 401


def test_tokens_are_stored_hashed_and_revocation_is_audited(ctx):
    user = make_user(Role.CLERK)
    token, secret = create_token(user, user, "  weekly   export ")
    assert SECRET.fullmatch(secret)
    assert token.name == "weekly export"
    assert token.token_hash == hash_secret(secret) and secret not in token.token_hash
    assert token.prefix == secret[:8]
    with pytest.raises(DomainError):
        create_token(user, user, "   ")
    with pytest.raises(DomainError):
        create_token(user, user, "x", expires_on=date.today() - timedelta(days=1))
    revoke_token(user, token)
    with pytest.raises(DomainError):
        revoke_token(user, token)
    actions = list(
        db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.object_type == "api_tokens")
        )
    )
    assert actions == ["api_token.created", "api_token.revoked"]
    assert authenticate(f"Bearer {secret}") is None


def test_last_used_is_written_at_most_once_a_minute(ctx):
    user = make_user(Role.SUPERVISOR)
    token, secret = create_token(user, user, "script")
    db.session.commit()
    start = datetime(2030, 1, 1, 9, 0, 0)
    assert authenticate(f"Bearer {secret}", now=start).id == user.id
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at == start
    authenticate(f"Bearer {secret}", now=start + timedelta(seconds=30))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at == start
    authenticate(f"Bearer {secret}", now=start + timedelta(seconds=61))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at == start + timedelta(seconds=61)


def test_authentication_costs_one_query_and_a_throttled_update(app, client, world):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        headers = bearer(world.tokens["supervisor"])
        assert client.get("/api/v1/openapi.json", headers=headers).status_code == 200
        first = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "UPDATE"))]
        statements.clear()
        assert client.get("/api/v1/openapi.json", headers=headers).status_code == 200
        second = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "UPDATE"))]
        statements.clear()
        assert client.get("/api/v1/proposals", headers=headers).status_code == 200
        listing = [s for s in statements if "api_tokens" in s or "FROM users" in s]
        statements.clear()
        assert (
            client.get("/api/v1/openapi.json", headers=bearer("trk_" + "x" * 40)).status_code == 401
        )
        unknown = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "UPDATE"))]
        statements.clear()
        assert client.get("/api/v1/openapi.json", headers=bearer("nonsense")).status_code == 401
        garbage = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "UPDATE"))]
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert [s.split()[0].upper() for s in first] == ["SELECT", "UPDATE"], first
    assert [s.split()[0].upper() for s in second] == ["SELECT"], second
    assert len(unknown) == 1 and garbage == []
    assert len(listing) == 1 and listing[0].lstrip().startswith("SELECT"), listing


def test_a_busy_database_only_skips_the_last_used_hint(app, client, world, monkeypatch):
    from tracker.api import services

    real = services.authenticate

    def busy(header, *, now=None, touch=True):
        if touch:
            raise sa.exc.OperationalError("UPDATE api_tokens", {}, Exception("database is locked"))
        return real(header, now=now, touch=touch)

    monkeypatch.setattr(services, "authenticate", busy)
    assert _get(client, world, "supervisor", "/proposals").status_code == 200
    assert client.get("/api/v1/proposals", headers=bearer("trk_" + "x" * 40)).status_code == 401


# ---- scope: exactly what the web shows ----


def test_a_clerk_sees_only_their_units_cases(app, client, world, letters):
    for persona in ("clerk_a", "viewer_a"):
        assert _ids(_get(client, world, persona, "/proposals")) == {world.own, world.shared}
        # Like the web, a unit's staff cannot widen the list with the unit filter.
        assert _ids(_get(client, world, persona, f"/proposals?unit={world.unit_b}")) == {
            world.own,
            world.shared,
        }
        assert _get(client, world, persona, f"/proposals/{world.own}").status_code == 200
        assert _get(client, world, persona, f"/proposals/{world.shared}").status_code == 200
        missing = _get(client, world, persona, "/proposals/999999")
        hidden = _get(client, world, persona, f"/proposals/{world.other}")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.get_json() == missing.get_json()
        assert hidden.headers["Content-Type"] == missing.headers["Content-Type"]
        for path in (
            f"/assignments/{world.other_assignment}",
            f"/replies/{letters['draft']}",
            f"/replies/{letters['draft']}/pdf",
        ):
            response = _get(client, world, persona, path)
            assert response.status_code == 404, path
            assert response.get_json() == missing.get_json()
        assert (
            _get(client, world, persona, f"/assignments/{world.own_assignment}").status_code == 200
        )
        assert _get(client, world, persona, f"/replies/{letters['signed']}").status_code == 200
    assert _ids(_get(client, world, "clerk_b", "/proposals")) == {world.other, world.shared}
    assert _get(client, world, "clerk_b", f"/replies/{letters['signed']}").status_code == 404


def test_supervisors_and_administrators_see_everything(app, client, world, letters):
    for persona in ("supervisor", "admin"):
        assert _ids(_get(client, world, persona, "/proposals")) == {
            world.own,
            world.other,
            world.shared,
        }
        for path in (
            f"/proposals/{world.other}",
            f"/assignments/{world.other_assignment}",
            f"/replies/{letters['draft']}",
        ):
            assert _get(client, world, persona, path).status_code == 200, path
        for path in (
            "/proposals/99999999999999999999",
            "/assignments/2147483648",
            "/replies/99999999999999999999/pdf",
            "/proposals/abc",
        ):
            response = _get(client, world, persona, path)
            assert response.status_code == 404 and response.is_json, path


def test_filters_sorting_and_paging(app, client, world):
    def ids(query: str) -> set[int]:
        return _ids(_get(client, world, "supervisor", f"/proposals?{query}"))

    assert ids(f"session={world.session_1}") == {world.own, world.shared}
    assert ids(f"session={world.session_2}") == {world.other}
    assert ids(f"unit={world.unit_a}") == {world.own, world.shared}
    assert ids(f"unit={world.unit_b}") == {world.other, world.shared}
    assert ids("status=handling") == {world.own}
    assert ids("status=closed") == set()
    assert ids("type=suggestion") == {world.shared}
    assert ids("type=proposal") == {world.own, world.other}
    assert ids("key=1") == {world.own} == ids("key=true")
    assert ids("key=0") == {world.other, world.shared}
    assert ids("due=overdue") == {world.own}
    assert ids("due=due_soon") == {world.shared}
    assert ids("due=on_track") == {world.other}
    assert ids("q=绿道") == {world.own}
    assert ids(f"q=绿道&session={world.session_2}") == set()
    assert ids(f"status=handling&unit={world.unit_a}&key=1&due=overdue") == {world.own}

    by_due = _get(client, world, "supervisor", "/proposals").get_json()["items"]
    assert [p["id"] for p in by_due] == [world.own, world.shared, world.other]

    first = _get(client, world, "supervisor", "/proposals?per_page=2&sort=number").get_json()
    assert first["paging"] == {
        "page": 1,
        "per_page": 2,
        "total": 3,
        "pages": 2,
        "next": "/api/v1/proposals?sort=number&page=2&per_page=2",
        "prev": None,
    }
    second = client.get(first["paging"]["next"], headers=bearer(world.tokens["supervisor"]))
    assert len(second.get_json()["items"]) == 1
    assert second.get_json()["paging"]["prev"] == "/api/v1/proposals?sort=number&page=1&per_page=2"
    numbers = [p["number"] for p in first["items"] + second.get_json()["items"]]
    assert numbers == sorted(numbers)
    beyond = _get(client, world, "supervisor", "/proposals?page=50").get_json()
    assert beyond["items"] == [] and beyond["paging"]["next"] is None

    for bad in (
        "per_page=101",
        "per_page=0",
        "page=0",
        "page=x",
        "session=-1",
        "unit=99999999999999999999",
        "session=²",
        "page=" + "9" * 5000,
        "status=bogus",
        "type=x",
        "key=maybe",
        "due=late",
        "sort=title",
        "q=" + "长" * 101,
    ):
        response = _get(client, world, "supervisor", f"/proposals?{bad}")
        assert response.status_code == 400, bad
        assert set(response.get_json()) == {"error", "message"}


def test_proposal_detail_shows_no_contact_details(app, client, world, letters):
    response = _get(client, world, "clerk_a", f"/proposals/{world.own}")
    data = response.get_json()
    assert data["proposers"] == [
        {"name": "王委员", "kind": "member"},
        {"name": "李委员", "kind": "member"},
    ]
    assert "13800000000" not in response.get_data(as_text=True)
    assert "wang@example.org" not in response.get_data(as_text=True)
    assert [s["number"] for s in data["suggestions"]] == [1, 2]
    (assignment,) = data["assignments"]
    assert assignment["status"] == "signed_off" and assignment["due_state"] == "overdue"
    assert assignment["unit"] == {"id": world.unit_a, "name": "甲局"}
    assert assignment["letters"] == [
        {
            "id": letters["signed"],
            "round": 1,
            "kind": "reply",
            "status": "signed",
            "links": {
                "self": f"/api/v1/replies/{letters['signed']}",
                "pdf": f"/api/v1/replies/{letters['signed']}/pdf",
            },
        }
    ]
    one = _get(client, world, "clerk_a", f"/assignments/{world.own_assignment}").get_json()
    assert one["proposal"]["id"] == world.own and one["letters"] == assignment["letters"]
    reply = _get(client, world, "clerk_a", f"/replies/{letters['signed']}").get_json()
    assert reply["status"] == "signed" and reply["category"] == "A"
    assert reply["signed_at"].endswith("+00:00")
    assert re.fullmatch(r"[0-9a-f]{64}", reply["pdf_sha256"])
    assert reply["links"]["proposal"] == f"/api/v1/proposals/{world.own}"


# ---- letters as PDF ----


def test_pdf_of_a_signed_letter_is_its_checked_archival_copy(app, client, world, letters):
    import hashlib

    response = _get(client, world, "viewer_a", f"/replies/{letters['signed']}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    with app.app_context():
        reply = db.session.get(Reply, letters["signed"])
        assert hashlib.sha256(response.data).hexdigest() == reply.pdf_sha256
        stored = app.config["ARCHIVE_DIR"] + "/" + reply.pdf_path
    # A copy that no longer matches its checksum is never handed out.
    with open(stored, "ab") as f:
        f.write(b"tampered")
    broken = _get(client, world, "viewer_a", f"/replies/{letters['signed']}/pdf")
    assert broken.status_code == 500 and broken.is_json
    # Signed without a stored copy (imported letters): printed afresh.
    with app.app_context():
        db.session.get(Reply, letters["signed"]).pdf_path = None
        db.session.commit()
    printed = _get(client, world, "viewer_a", f"/replies/{letters['signed']}/pdf")
    assert printed.status_code == 200 and printed.data.startswith(b"%PDF")


def test_pdf_of_a_draft_is_rendered(app, client, world, letters):
    response = _get(client, world, "clerk_b", f"/replies/{letters['draft']}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert "draft.pdf" in response.headers["Content-Disposition"]


# ---- no writes, no CSRF, and no cookie sessions ----


def test_posts_are_405_not_csrf_failures(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    for path in ("/api/v1/proposals", f"/api/v1/proposals/{world.own}", "/api/v1/openapi.json"):
        response = client.post(path, headers=bearer(world.tokens["supervisor"]), json={})
        assert response.status_code == 405, path
        assert response.is_json
    # The web keeps its CSRF check: the same form post without a token is refused.
    assert client.post("/account/tokens", data={"name": "x"}).status_code == 400


def test_a_signed_in_browser_session_is_not_an_api_credential(app, client, world):
    assert login(client, "supervisor").status_code == 302
    assert client.get("/api/v1/proposals").status_code == 401


# ---- the token pages ----


def test_token_pages_create_show_once_and_revoke(app, client, world):
    login(client, "clerk_a")
    page = client.get("/account/tokens")
    assert page.status_code == 200 and "clerk_a script" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"

    created = client.post("/account/tokens", data={"name": "报表脚本"})
    assert created.status_code == 200
    html = created.get_data(as_text=True)
    (secret,) = SECRET.findall(html)
    assert client.get("/api/v1/proposals", headers=bearer(secret)).status_code == 200
    again = client.get("/account/tokens").get_data(as_text=True)
    assert secret not in again and secret[:8] in again and "报表脚本" in again

    with app.app_context():
        mine = db.session.scalar(sa.select(ApiToken).where(ApiToken.name == "报表脚本"))
        theirs = db.session.scalar(sa.select(ApiToken).where(ApiToken.name == "clerk_b script"))
        mine_id, theirs_id = mine.id, theirs.id
    assert client.post(f"/account/tokens/{theirs_id}/revoke").status_code == 404
    assert client.get("/admin/tokens").status_code == 403
    assert client.post(f"/admin/tokens/{theirs_id}/revoke").status_code == 403
    revoked = client.post(f"/account/tokens/{mine_id}/revoke")
    assert revoked.status_code == 303
    assert client.get("/api/v1/proposals", headers=bearer(secret)).status_code == 401
    assert client.post("/account/tokens", data={"name": ""}).status_code == 422


def test_administrators_revoke_anyones_token(app, client, world):
    login(client, "admin")
    listing = client.get("/admin/tokens")
    assert listing.status_code == 200
    assert "clerk_b script" in listing.get_data(as_text=True)
    with app.app_context():
        theirs = db.session.scalar(sa.select(ApiToken).where(ApiToken.name == "clerk_b script"))
        theirs_id = theirs.id
    assert client.post(f"/admin/tokens/{theirs_id}/revoke").status_code == 303
    assert _get(client, world, "clerk_b", "/proposals").status_code == 401
    with app.app_context():
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "api_token.revoked")
        )
        assert event.object_id == theirs_id and event.user.username == "admin"
    assert client.post("/admin/tokens/99999999/revoke").status_code == 404


# ---- the OpenAPI description, and schemathesis against it ----


def test_openapi_document_is_valid_and_served(app, client, world):
    from openapi_spec_validator import validate

    served = _get(client, world, "viewer_a", "/openapi.json")
    assert served.status_code == 200
    document = served.get_json()
    assert document == spec()
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    with app.app_context():
        paths = {
            rule.rule.removeprefix("/api/v1")
            for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("api.")
        }
    documented = {re.sub(r"\{(\w+)\}", r"<int:\1>", path) for path in document["paths"]}
    assert documented == paths, "every API route is described, and nothing else"


def test_schemathesis_finds_no_server_error(app, world, letters):
    pytest.importorskip("schemathesis")
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    headers = bearer(world.tokens["supervisor"])
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, headers=headers)
    checks = [not_a_server_error, response_schema_conformance]
    known = {
        "proposal_id": world.shared,
        "assignment_id": world.own_assignment,
        "reply_id": letters["signed"],
    }
    ran = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        strategies = [
            operation.as_strategy(generation_mode=mode, headers=headers)
            for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
        ]
        fixed = {
            name: known[name]
            for name in (p.name for p in operation.path_parameters)
            if name in known
        }
        if fixed:  # random ids rarely exist: try the real objects too
            strategies.append(operation.as_strategy(headers=headers, path_parameters=fixed))

        for strategy in strategies:

            @settings(
                max_examples=15,
                deadline=timedelta(seconds=10),
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def check(case):
                case.call_and_validate(headers=headers, checks=checks)

            check()
            ran += 1
    assert ran >= 6 * 2
