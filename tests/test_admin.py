"""The administration screens: sessions, units, users, deadline rules and the calendar."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tests.conftest import login, make_proposal, make_session, make_unit, make_user
from tracker.auth.models import Role, User
from tracker.core.audit import AuditEvent, verify_chain
from tracker.core.errors import DomainError
from tracker.core.settings import DEFAULTS, Setting, get_setting
from tracker.deadlines import admin as deadline_admin
from tracker.deadlines import services as deadline_services
from tracker.deadlines.calendar import library_years
from tracker.deadlines.models import CalendarDay
from tracker.directory.models import CouncilSession, Unit
from tracker.extensions import db
from tracker.proposals.models import AssignmentRole

# A Saturday that the official calendar treats as an ordinary weekend day off.
SATURDAY = date(2025, 6, 7)


# ---------- helpers ----------


def _seed(app) -> dict[str, int]:
    """An administrator, one user of every other role, a unit and a session; their ids."""
    with app.app_context():
        unit = make_unit("市住房和建设局", short_name="住建局")
        session = make_session("七届一次会议", term=7, meeting=1, council="深圳市政协")
        admin = make_user(Role.ADMIN, username="admin")
        ids = {
            "admin": admin.id,
            "supervisor": make_user(Role.SUPERVISOR, username="supervisor").id,
            "clerk": make_user(Role.CLERK, unit=unit, username="clerk").id,
            "viewer": make_user(Role.VIEWER, unit=unit, username="viewer").id,
            "unit": unit.id,
            "session": session.id,
        }
        db.session.commit()
        return ids


def _sign_in(client, username: str) -> None:
    client.get("/lang/en")  # assertions read the English interface whatever the catalogue says
    response = login(client, username)
    assert response.status_code == 302, "sign-in failed"


def _audit(app) -> list[AuditEvent]:
    with app.app_context():
        events = list(db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)))
        db.session.expunge_all()
        return events


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _page(response) -> str:
    return response.get_data(as_text=True)


def _rules_form(**overrides) -> dict[str, str]:
    """The deadline-rules form filled with the defaults, then `overrides`."""
    data = {
        "bureau_name": DEFAULTS["bureau_name"],
        "due_soon_working_days": str(DEFAULTS["due_soon_working_days"]),
    }
    for key in deadline_admin.PERIOD_KEYS:
        data[f"{key}-amount"] = str(DEFAULTS[key]["amount"])
        data[f"{key}-unit"] = DEFAULTS[key]["unit"]
    data.update(overrides)
    return data


def _admin_requests(ids: dict[str, int]) -> list[tuple[str, str, dict]]:
    user = ids["clerk"]
    return [
        ("GET", "/admin/sessions", {}),
        ("GET", "/admin/sessions/new", {}),
        (
            "POST",
            "/admin/sessions/new",
            {"council": "X", "term": "7", "meeting": "9", "year": "2030"},
        ),
        ("GET", f"/admin/sessions/{ids['session']}/edit", {}),
        (
            "POST",
            f"/admin/sessions/{ids['session']}/edit",
            {"council": "X", "term": "7", "meeting": "1", "year": "2030"},
        ),
        ("GET", "/admin/units", {}),
        ("GET", "/admin/units/new", {}),
        ("POST", "/admin/units/new", {"name": "新单位", "is_active": "y"}),
        ("GET", f"/admin/units/{ids['unit']}/edit", {}),
        ("POST", f"/admin/units/{ids['unit']}/edit", {"name": "改名", "is_active": "y"}),
        ("GET", "/admin/users", {}),
        ("GET", "/admin/users/new", {}),
        (
            "POST",
            "/admin/users/new",
            {
                "username": "intruder",
                "role": "admin",
                "password": "long-enough-1",
                "is_active": "y",
            },
        ),
        ("GET", f"/admin/users/{user}/edit", {}),
        (
            "POST",
            f"/admin/users/{user}/edit",
            {"username": "clerk", "role": "admin", "is_active": "y"},
        ),
        ("GET", "/admin/deadlines", {}),
        ("POST", "/admin/deadlines", _rules_form(**{"reply_deadline-amount": "5"})),
        ("GET", "/admin/calendar", {}),
        ("POST", "/admin/calendar", {"day": SATURDAY.isoformat(), "is_working": "1"}),
        ("POST", f"/admin/calendar/{SATURDAY.isoformat()}/delete", {}),
        ("GET", "/admin/", {}),
    ]


# ---------- access ----------


@pytest.mark.parametrize("role", ["supervisor", "clerk", "viewer"])
def test_other_roles_are_refused_everywhere(app, client, role):
    ids = _seed(app)
    with app.app_context():
        deadline_admin.save_calendar_day(None, SATURDAY, True, "为删除测试准备")
        db.session.commit()
    events_before = len(_audit(app))
    _sign_in(client, role)
    for method, url, data in _admin_requests(ids):
        response = client.open(url, method=method, data=data)
        assert response.status_code == 403, (role, method, url, response.status_code)
    assert len(_audit(app)) == events_before
    assert _count(app, Setting) == 0
    assert _count(app, CouncilSession) == 1
    assert _count(app, Unit) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.username == "intruder")) is None
        assert db.session.get(User, ids["clerk"]).role == Role.CLERK
        assert db.session.get(Unit, ids["unit"]).name == "市住房和建设局"
        assert db.session.get(CalendarDay, SATURDAY) is not None


def test_anonymous_is_sent_to_sign_in(app, client):
    ids = _seed(app)
    for method, url, data in _admin_requests(ids):
        response = client.open(url, method=method, data=data)
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/login"), (method, url)
    assert _audit(app) == []
    assert _count(app, Setting) == 0


def test_administrator_sees_every_page(app, client):
    ids = _seed(app)
    _sign_in(client, "admin")
    for method, url, _data in _admin_requests(ids):
        if method == "GET":
            response = client.get(url)
            assert response.status_code == 200, url
            if url != "/admin/":
                assert "← " in _page(response), f"{url} lacks a back link"
    users = _page(client.get("/admin/users"))
    assert "clerk" in users and "Clerk" in users and "市住房和建设局" in users and "Never" in users


# ---------- sessions ----------


def test_create_session_derives_the_name(app, client):
    _seed(app)
    _sign_in(client, "admin")
    response = client.post(
        "/admin/sessions/new",
        data={
            "council": "深圳市政协",
            "term": "7",
            "meeting": "2",
            "year": "2026",
            "name": "",
            "key_due_on": "2026-09-30",
            "is_current": "y",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/sessions"
    with app.app_context():
        created = db.session.scalar(sa.select(CouncilSession).where(CouncilSession.meeting == 2))
        assert created.name == "七届二次会议"
        assert created.key_due_on == date(2026, 9, 30)
        assert created.is_current
        created_id = created.id
    assert "七届二次会议" in _page(client.get("/admin/sessions"))
    events = _audit(app)
    assert [e.action for e in events] == ["session.created"]
    assert events[0].object_id == created_id

    # Editing: the year changes, and the form shows the stored values first.
    assert "七届二次会议" in _page(client.get(f"/admin/sessions/{created_id}/edit"))
    response = client.post(
        f"/admin/sessions/{created_id}/edit",
        data={
            "council": "深圳市政协",
            "term": "7",
            "meeting": "2",
            "year": "2027",
            "name": "七届二次会议",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        edited = db.session.get(CouncilSession, created_id)
        assert edited.year == 2027 and not edited.is_current and edited.key_due_on is None
    assert [e.action for e in _audit(app)] == ["session.created", "session.updated"]


def test_duplicate_session_is_refused_on_the_page(app, client):
    _seed(app)  # holds 深圳市政协 七届一次会议
    _sign_in(client, "admin")
    response = client.post(
        "/admin/sessions/new",
        data={"council": "深圳市政协", "term": "7", "meeting": "1", "year": "2026"},
    )
    assert response.status_code == 200
    page = _page(response)
    assert "This session already exists." in page
    assert "nothing has been saved" in page
    assert _count(app, CouncilSession) == 1
    assert _audit(app) == []


def test_session_form_checks_numbers(app, client):
    _seed(app)
    _sign_in(client, "admin")
    response = client.post(
        "/admin/sessions/new",
        data={"council": "深圳市政协", "term": "0", "meeting": "x", "year": "1800"},
    )
    assert response.status_code == 200
    assert _page(response).count('class="error"') >= 3
    assert _count(app, CouncilSession) == 1


# ---------- units ----------


def test_create_and_edit_unit(app, client):
    _seed(app)
    _sign_in(client, "admin")
    response = client.post(
        "/admin/units/new", data={"name": "市交通运输局", "short_name": "交通局", "is_active": "y"}
    )
    assert response.status_code == 302
    with app.app_context():
        unit = db.session.scalar(sa.select(Unit).where(Unit.name == "市交通运输局"))
        assert unit.short_name == "交通局" and unit.is_active
        unit_id = unit.id
    assert "市交通运输局" in _page(client.get("/admin/units"))

    response = client.post(
        f"/admin/units/{unit_id}/edit", data={"name": "市交通运输局", "short_name": ""}
    )
    assert response.status_code == 302
    with app.app_context():
        unit = db.session.get(Unit, unit_id)
        assert unit.short_name is None and not unit.is_active
    actions = [e.action for e in _audit(app)]
    assert actions == ["unit.created", "unit.updated"]


def test_duplicate_unit_name_is_refused(app, client):
    ids = _seed(app)
    _sign_in(client, "admin")
    response = client.post("/admin/units/new", data={"name": "市住房和建设局", "is_active": "y"})
    assert response.status_code == 200
    assert "A unit with this name already exists." in _page(response)
    assert _count(app, Unit) == 1

    with app.app_context():
        other_id = make_unit("市水务局").id
        db.session.commit()
    response = client.post(
        f"/admin/units/{other_id}/edit", data={"name": " 市住房和建设局 ", "is_active": "y"}
    )
    assert response.status_code == 200
    assert "A unit with this name already exists." in _page(response)
    with app.app_context():
        assert db.session.get(Unit, other_id).name == "市水务局"
        assert db.session.get(Unit, ids["unit"]).name == "市住房和建设局"
    assert _audit(app) == []


# ---------- users ----------


def _user_form(**overrides) -> dict[str, str]:
    data = {
        "username": "wangwu",
        "display_name": "王五",
        "role": "clerk",
        "unit": "",
        "email": "",
        "phone": "",
        "password": "Spring-2026-ok",
        "is_active": "y",
    }
    data.update(overrides)
    return data


def test_create_clerk_needs_a_unit(app, client):
    _seed(app)
    _sign_in(client, "admin")
    response = client.post("/admin/users/new", data=_user_form())
    assert response.status_code == 200
    page = _page(response)
    assert "Clerks and viewers must belong to a unit." in page
    assert "Spring-2026-ok" not in page  # the password is not echoed back
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.username == "wangwu")) is None
    assert _audit(app) == []


def test_short_password_is_refused(app, client):
    ids = _seed(app)
    _sign_in(client, "admin")
    response = client.post(
        "/admin/users/new", data=_user_form(unit=str(ids["unit"]), password="abc12")
    )
    assert response.status_code == 200
    assert "The password needs at least 10 characters." in _page(response)
    response = client.post("/admin/users/new", data=_user_form(unit=str(ids["unit"]), password=""))
    assert "Enter a password." in _page(response)
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.username == "wangwu")) is None
    assert _audit(app) == []


def test_create_and_edit_user(app, client):
    ids = _seed(app)
    _sign_in(client, "admin")
    response = client.post("/admin/users/new", data=_user_form(unit=str(ids["unit"])))
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "wangwu"))
        assert user.role == Role.CLERK and user.unit_id == ids["unit"]
        assert user.check_password("Spring-2026-ok")
        user_id, old_hash = user.id, user.password_hash

    # The edit form shows the stored role and unit; an empty password keeps the old one.
    page = _page(client.get(f"/admin/users/{user_id}/edit"))
    assert f'<option selected value="{ids["unit"]}">' in page
    assert '<option selected value="clerk">' in page
    response = client.post(
        f"/admin/users/{user_id}/edit",
        data=_user_form(role="supervisor", unit="", password="", display_name="王五科长"),
    )
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.role == Role.SUPERVISOR and user.unit_id is None
        assert user.display_name == "王五科长" and user.password_hash == old_hash
    events = _audit(app)
    assert [e.action for e in events] == ["user.created", "user.updated"]
    assert events[1].changes["role"] == ["clerk", "supervisor"]
    assert "password" not in events[1].changes

    # The new password works for signing in.
    other = app.test_client()
    assert login(other, "wangwu", "Spring-2026-ok").status_code == 302


def test_duplicate_username_is_refused(app, client):
    ids = _seed(app)
    _sign_in(client, "admin")
    response = client.post(
        "/admin/users/new", data=_user_form(username="clerk", unit=str(ids["unit"]))
    )
    assert response.status_code == 200
    assert "This username is taken." in _page(response)
    assert _audit(app) == []


def test_administrator_cannot_demote_or_deactivate_themselves(app, client):
    ids = _seed(app)
    _sign_in(client, "admin")
    url = f"/admin/users/{ids['admin']}/edit"
    response = client.post(url, data=_user_form(username="admin", role="supervisor", password=""))
    assert response.status_code == 200
    assert "You cannot remove your own administrator role" in _page(response)
    response = client.post(
        url, data=_user_form(username="admin", role="admin", password="", is_active="")
    )
    assert response.status_code == 200
    assert "You cannot deactivate your own account" in _page(response)
    with app.app_context():
        me = db.session.get(User, ids["admin"])
        assert me.role == Role.ADMIN and me.is_active_flag
    assert _audit(app) == []
    # Still an administrator: the pages still open.
    assert client.get("/admin/users").status_code == 200

    # Another administrator may be demoted.
    with app.app_context():
        other = make_user(Role.ADMIN, username="admin2").id
        db.session.commit()
    response = client.post(
        f"/admin/users/{other}/edit",
        data=_user_form(username="admin2", role="supervisor", password="", is_active=""),
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, other).role == Role.SUPERVISOR


# ---------- deadline rules ----------


def test_deadline_rules_change_later_assignments(app, client):
    ids = _seed(app)
    _sign_in(client, "admin")
    page = _page(client.get("/admin/deadlines"))
    assert "Default: 3 months" in page
    response = client.post("/admin/deadlines", data=_rules_form(**{"reply_deadline-amount": "5"}))
    assert response.status_code == 302
    events = _audit(app)
    assert [e.action for e in events] == ["settings.updated"]
    assert events[0].object_type == "settings"
    assert events[0].changes == {
        "reply_deadline": [{"amount": 3, "unit": "months"}, {"amount": 5, "unit": "months"}]
    }
    with app.app_context():
        assert get_setting("reply_deadline") == {"amount": 5, "unit": "months"}
        assert get_setting("co_opinion_deadline") == DEFAULTS["co_opinion_deadline"]
        unit = db.session.get(Unit, ids["unit"])
        session = db.session.get(CouncilSession, ids["session"])
        proposal = make_proposal(
            session, units=[(unit, AssignmentRole.LEAD)], assigned_on=date(2025, 3, 10)
        )
        # 10 March + 5 months = Sunday 10 August, so the next working day.
        assert proposal.assignments[0].due_on == date(2025, 8, 11)
        db.session.rollback()
    assert "5" in _page(client.get("/admin/deadlines"))

    # Saving the same values again changes nothing and records nothing.
    client.post("/admin/deadlines", data=_rules_form(**{"reply_deadline-amount": "5"}))
    assert len(_audit(app)) == 1


def test_several_rules_make_one_audit_event(app, client):
    _seed(app)
    _sign_in(client, "admin")
    response = client.post(
        "/admin/deadlines",
        data=_rules_form(
            bureau_name="深圳市交通运输局",
            **{"return_window-amount": "15", "return_window-unit": "working_days"},
            due_soon_working_days="5",
        ),
    )
    assert response.status_code == 302
    events = _audit(app)
    assert len(events) == 1
    assert set(events[0].changes) == {"bureau_name", "return_window", "due_soon_working_days"}
    with app.app_context():
        assert get_setting("return_window") == {"amount": 15, "unit": "working_days"}
        assert get_setting("due_soon_working_days") == 5
        assert get_setting("bureau_name") == "深圳市交通运输局"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"reply_deadline-amount": "0"}, "The period is out of range."),
        ({"reply_deadline-amount": "abc"}, "A period needs a whole number."),
        ({"extension_limit-amount": "800", "extension_limit-unit": "days"}, "out of range"),
        ({"co_opinion_deadline-unit": "weeks"}, "Not a valid choice"),
        ({"due_soon_working_days": "61"}, "between 1 and 60"),
    ],
)
def test_bad_rules_are_refused(app, client, overrides, message):
    _seed(app)
    _sign_in(client, "admin")
    # A valid change next to the bad one: nothing at all may be saved.
    data = _rules_form(bureau_name="改了也不能存", **overrides)
    response = client.post("/admin/deadlines", data=data)
    assert response.status_code == 200
    page = _page(response)
    assert message in page
    assert "nothing has been saved" in page
    assert _count(app, Setting) == 0
    assert _audit(app) == []


def test_save_rules_service_refuses_bad_periods(ctx):
    with pytest.raises(DomainError) as caught:
        deadline_admin.save_rules(
            None, {"reply_deadline": {"amount": 4, "unit": "months"}, "return_window": {}}
        )
    assert caught.value.field == "return_window"
    with pytest.raises(DomainError):
        deadline_admin.save_rules(None, {"due_soon_working_days": 0})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Setting)) == 0


# ---------- calendar ----------


def test_calendar_correction_changes_the_calendar(ctx):
    admin = make_user(Role.ADMIN)
    assert not deadline_services.calendar().is_working_day(SATURDAY)  # cached for the context
    deadline_admin.save_calendar_day(admin, SATURDAY, True, "调休上班")
    assert deadline_services.calendar().is_working_day(SATURDAY)
    friday = date(2025, 6, 6)
    assert deadline_services.calendar().add_working_days(friday, 1) == SATURDAY
    deadline_admin.save_calendar_day(admin, SATURDAY, True, "调休上班")  # no change, no event
    deadline_admin.delete_calendar_day(admin, SATURDAY)
    assert not deadline_services.calendar().is_working_day(SATURDAY)
    actions = list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.seq)))
    assert actions == ["calendar_day.created", "calendar_day.deleted"]
    with pytest.raises(DomainError):
        deadline_admin.delete_calendar_day(admin, SATURDAY)


def test_calendar_page_add_replace_and_delete(app, client):
    _seed(app)
    _sign_in(client, "admin")
    response = client.post(
        "/admin/calendar",
        data={"day": SATURDAY.isoformat(), "is_working": "1", "note": "调休上班"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert deadline_services.calendar().is_working_day(SATURDAY)
        row = db.session.get(CalendarDay, SATURDAY)
        assert row.is_working and row.note == "调休上班"
    page = _page(client.get("/admin/calendar"))
    assert "2025年6月7日" in page and "调休上班" in page
    assert f"/admin/calendar/{SATURDAY.isoformat()}/delete" in page

    # The same day again replaces the correction.
    response = client.post(
        "/admin/calendar", data={"day": SATURDAY.isoformat(), "is_working": "0", "note": ""}
    )
    assert response.status_code == 302
    with app.app_context():
        assert not db.session.get(CalendarDay, SATURDAY).is_working
    assert _count(app, CalendarDay) == 1

    response = client.post(f"/admin/calendar/{SATURDAY.isoformat()}/delete")
    assert response.status_code == 302
    assert _count(app, CalendarDay) == 0
    events = _audit(app)
    assert [e.action for e in events] == [
        "calendar_day.created",
        "calendar_day.updated",
        "calendar_day.deleted",
    ]
    assert all(e.summary == SATURDAY.isoformat() for e in events)
    with app.app_context():
        assert verify_chain().ok

    # Deleting what is not there, or a malformed date, changes nothing.
    response = client.post(f"/admin/calendar/{SATURDAY.isoformat()}/delete", follow_redirects=True)
    assert "There is no correction for this day." in _page(response)
    assert client.post("/admin/calendar/not-a-date/delete").status_code == 404
    assert len(_audit(app)) == 3


def test_calendar_form_errors(app, client):
    _seed(app)
    _sign_in(client, "admin")
    response = client.post("/admin/calendar", data={"day": "", "is_working": "1"})
    assert response.status_code == 200
    assert "nothing has been saved" in _page(response)
    response = client.post("/admin/calendar", data={"day": "1990-01-01", "is_working": "1"})
    assert "Enter a date between 2000 and 2100." in _page(response)
    response = client.post(
        "/admin/calendar", data={"day": "2025-06-07", "is_working": "1", "note": "x" * 201}
    )
    assert response.status_code == 200
    assert _count(app, CalendarDay) == 0
    assert _audit(app) == []


def test_calendar_page_flags_unknown_years(app, client):
    _seed(app)
    _sign_in(client, "admin")
    this_year = date.today().year
    page = _page(client.get("/admin/calendar"))
    unknown = [y for y in (this_year, this_year + 1) if y not in library_years()]
    assert str(this_year) in page and str(this_year + 1) in page
    flag = "Provisional: weekends and fixed holidays only"
    assert (flag in page) == bool(unknown)
    assert "The official schedule is built in." in page or unknown == [this_year, this_year + 1]


def test_calendar_page_flags_a_year_beyond_the_library(app, client):
    """A year the library does not know is provisional until the administrator enters it."""
    _seed(app)
    _sign_in(client, "admin")
    future = date.today().year + 1
    if future in library_years():
        pytest.skip("the installed holidays package already knows next year")
    page = _page(client.get("/admin/calendar"))
    assert "Provisional: weekends and fixed holidays only" in page
    client.post("/admin/calendar", data={"day": f"{future}-02-14", "is_working": "1"})
    page = _page(client.get("/admin/calendar"))
    assert "Entered here" in page
