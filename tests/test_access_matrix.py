"""Every route x every role, for GET and POST, generated from the URL map.

A new route fails `test_every_route_has_a_decision` until it is given a rule below.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.conftest import login, make_proposal, make_session, make_unit, make_user
from tracker.api.services import create_token
from tracker.auth.models import Role
from tracker.contacts.services import record_contact
from tracker.deadlines.models import CalendarDay
from tracker.extensions import db
from tracker.jobs.models import Job
from tracker.proposals.models import AssignmentRole
from tracker.proposals.services import request_extension
from tracker.proposals.workflow import AssignmentStatus
from tracker.replies.services import start_reply

# Who may reach each endpoint:
#   public     anyone, signed in or not
#   signed_in  any signed-in user
#   own        a signed-in user who may see the case (own unit, or a supervisor/administrator)
#   unit       the case's own clerk, a supervisor or an administrator
#   clerk      the case's own clerk or an administrator (writing letters)
# A pair gives the rule for GET, then for POST.
#   creator    clerks, supervisors, administrators
#   supervisor supervisors and administrators
#   admin      administrators only
#   nobody     refused to everyone (what the world holds must not be reachable there)
RULES = {
    "static": "public",
    "healthz": "public",
    "auth.login": "public",
    "core.set_language": "public",
    "core.index": "signed_in",
    "auth.logout": "signed_in",
    "proposals.index": "signed_in",
    "proposals.show": "own",
    "proposals.create": "creator",
    "proposals.edit": "unit",
    "proposals.assign": "supervisor",
    "proposals.act": "unit",
    "proposals.request_extension": "unit",
    "proposals.decide_extension": "supervisor",
    "core.admin": "admin",
    "auth.users": "admin",
    "auth.create_user": "admin",
    "auth.edit_user": "admin",
    "directory.sessions": "admin",
    "directory.create_session": "admin",
    "directory.edit_session": "admin",
    "directory.units": "admin",
    "directory.create_unit": "admin",
    "directory.edit_unit": "admin",
    "deadlines.rules": "admin",
    "deadlines.calendar_days": "admin",
    "deadlines.delete_calendar_day": "admin",
    "replies.start": "clerk",
    "replies.edit": ("own", "clerk"),
    "replies.submit": "clerk",
    "replies.review": "supervisor",
    "replies.preview": "own",
    "replies.preview_unsaved": "clerk",
    "replies.pdf": "own",
    "replies.docx": "own",
    "replies.versions": "own",
    "replies.settings": "admin",
    "contacts.create": "clerk",
    "contacts.edit": "clerk",
    "contacts.withdraw": "clerk",
    "contacts.feedback": "unit",
    "contacts.feedback_form": "own",
    "supervision.todo": "signed_in",
    "supervision.notifications": "signed_in",
    "supervision.mark_read": "signed_in",
    "supervision.remind": "supervisor",
    "supervision.follow_up": "clerk",
    "dashboard.index": "signed_in",
    "reports.cases": "signed_in",
    "reports.dashboard": "supervisor",
    "reports.summary": "supervisor",
    "public.index": "public",
    "public.replies": "public",
    # the world's only letter is an unpublished draft: nobody reaches it on the portal
    "public.show": "nobody",
    "public.pdf": "nobody",
    # the API takes tokens only: a browser session gets 401 everywhere (tests/test_api.py
    # checks the token scoping itself)
    "api.proposals": "nobody",
    "api.proposal": "nobody",
    "api.assignment": "nobody",
    "api.reply": "nobody",
    "api.reply_pdf": "nobody",
    "api.openapi": "nobody",
    "tokens.index": "signed_in",
    "tokens.revoke": "nobody",  # the world's token belongs to another user
    "tokens.admin_index": "admin",
    "tokens.admin_revoke": "admin",
    # the world's job was started by another administrator: its creator, administrators and
    # supervisors see it
    "jobs.show": "supervisor",
    "jobs.status": "supervisor",
    "jobs.download": "nobody",  # not finished: nothing to download for anyone
    "jobs.retry": "supervisor",
    "exchange.archives": "supervisor",
    "exchange.archive_session": "supervisor",
    "imports.template": "supervisor",
    "imports.new": "supervisor",
    # the world's upload token names no upload: nobody reaches a preview or confirms it
    "imports.show_preview": "nobody",
    "imports.confirm": "nobody",
}

# Personas: (role, belongs to the case's unit)
PERSONAS = {
    "anonymous": None,
    "viewer_own": (Role.VIEWER, True),
    "clerk_own": (Role.CLERK, True),
    "clerk_other": (Role.CLERK, False),
    "viewer_other": (Role.VIEWER, False),
    "supervisor": (Role.SUPERVISOR, False),
    "admin": (Role.ADMIN, False),
}


def allowed(rule: str, persona: str) -> bool:
    if rule == "public":
        return True
    if persona == "anonymous":
        return False
    role, own = PERSONAS[persona]
    sup = role in (Role.SUPERVISOR, Role.ADMIN)
    return {
        "signed_in": True,
        "own": own or sup,
        "unit": (own and role is Role.CLERK) or sup,
        "clerk": (own and role is Role.CLERK) or role is Role.ADMIN,
        "creator": role is not Role.VIEWER,
        "supervisor": sup,
        "admin": role is Role.ADMIN,
        "nobody": False,
    }[rule]


def test_every_route_has_a_decision(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(RULES) == set(), "add the new routes to RULES"
    assert set(RULES) - endpoints == set(), "RULES names routes that no longer exist"


@pytest.fixture
def world(app):
    with app.app_context():
        unit, other_unit = make_unit(), make_unit()
        session = make_session()
        proposal = make_proposal(
            session=session, units=[(unit, AssignmentRole.SOLE)], assigned_on=date(2025, 3, 10)
        )
        assignment = proposal.assignments[0]
        assignment.status = AssignmentStatus.HANDLING
        reply = start_reply(None, assignment)
        reply.items[0].promise = "年底前完成"
        log = record_contact(
            None,
            assignment,
            {
                "occurred_at": datetime(2025, 4, 1, 9, 0),
                "way": "phone",
                "stage": "before",
                "our_people": "甲",
                "their_people": "乙",
                "summary": "沟通",
                "attitude": "satisfied",
            },
        )
        extension = request_extension(
            None, assignment, reason="理由", requested_due_on=date(2025, 7, 1)
        )
        db.session.add(CalendarDay(day=date(2025, 5, 6), is_working=False, note="测试"))
        users = {}
        for name, spec in PERSONAS.items():
            if spec is None:
                continue
            role, own = spec
            unit_for = (unit if own else other_unit) if role.unit_scoped else None
            users[name] = make_user(role, unit=unit_for, username=name).username
        admin_user = make_user(Role.ADMIN, username="target_user")
        token, _secret = create_token(admin_user, admin_user, "matrix")
        job = Job(kind="selftest", params={"n": 1}, created_by_id=admin_user.id)
        db.session.add(job)
        db.session.commit()
        return {
            "proposal_id": proposal.id,
            "assignment_id": assignment.id,
            "extension_id": extension.id,
            "reply_id": reply.id,
            "log_id": log.id,
            "item_id": reply.items[0].id,
            "session_id": session.id,
            "unit_id": unit.id,
            "user_id": admin_user.id,
            "token_id": token.id,
            "job_id": job.id,
            "day": "2025-05-06",
            "code": "en",
            "fmt": "xlsx",
            "token": "0123456789abcdef0123456789abcdef",
            "filename": "tracker.css",
        }


def _urls(app, world):
    for rule in app.url_map.iter_rules():
        values = {arg: world[arg] for arg in rule.arguments}
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **values)
        for method in ("GET", "POST"):
            if method in rule.methods:
                yield rule.endpoint, method, url


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_access_matrix(app, world, persona):
    failures = []
    client = app.test_client()
    signed_in = False
    for endpoint, method, url in _urls(app, world):
        if persona != "anonymous" and not signed_in:
            assert login(client, persona).status_code == 302
            signed_in = True
        if endpoint == "auth.logout":
            signed_in = False
        response = client.open(url, method=method, data={})
        rule = RULES[endpoint]
        if isinstance(rule, tuple):
            rule = rule[0] if method == "GET" else rule[1]
        ok = allowed(rule, persona)
        status = response.status_code
        bounced_to_login = status == 302 and "/login" in (response.location or "")
        if ok and (status in (401, 403, 404) or (bounced_to_login and endpoint != "auth.logout")):
            failures.append(f"{persona} {method} {url}: expected access, got {status}")
        if not ok:
            denied = status in (401, 403, 404) or bounced_to_login
            if not denied:
                failures.append(f"{persona} {method} {url}: expected refusal, got {status}")
        if status >= 500:
            failures.append(f"{persona} {method} {url}: server error")
    assert failures == []
