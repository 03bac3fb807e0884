"""A clerk's and a supervisor's journey in a real browser (Debian's chromium via Playwright).

Screenshots of the main screens go to test-results/e2e/. The browser is never downloaded:
the project installs Debian's chromium (scripts/system-packages.sh test).
"""

from __future__ import annotations

import shutil
import socket
import threading
from datetime import date
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import PASSWORD, make_proposal, make_session, make_unit, make_user
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.proposals.models import AssignmentRole

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent.parent / "test-results" / "e2e"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
if not Path(CHROMIUM).exists():
    pytest.skip(
        "Debian's chromium is not installed (make test installs it)", allow_module_level=True
    )


@pytest.fixture
def live_server(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "ARCHIVE_DIR", str(tmp_path / "archive"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture
def browser():
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


def _sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/todo")


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_reply_from_assignment_to_signed_pdf(app, live_server, browser):
    with app.app_context():
        unit = make_unit("市生态环境局")
        unit.letter_name = "深圳市生态环境局"
        session = make_session(name="八届一次会议", council="市政协", is_current=True)
        proposal = make_proposal(
            session=session,
            title="关于推进社区碳普惠的提案",
            proposers=["王明"],
            suggestions=["建立社区碳账户。"],
            units=[(unit, AssignmentRole.SOLE)],
            assigned_on=date.today(),
        )
        make_user(Role.CLERK, unit=unit, username="clerk")
        make_user(Role.SUPERVISOR, username="boss")
        db.session.commit()
        case_url = f"{live_server}/proposals/{proposal.id}"

    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server + "/lang/en")

    _sign_in(page, live_server, "clerk")
    page.goto(case_url)
    _shot(page, "01-case-assigned")
    page.click("button:has-text('Receive (sign for) the case')")
    page.click("button:has-text('Start handling')")
    page.click("a:has-text('Log a contact')")
    page.select_option("#way", "phone")
    page.fill("#summary", "电话沟通办理思路，委员表示赞同。")
    page.click("button:has-text('Save')")
    assert "电话沟通办理思路" in page.content()

    page.click("button:has-text('Write the reply')")
    page.fill("#items-0-answer", "一、已建立社区碳账户。\n（一）首批覆盖十个社区。")
    page.select_option("#category", "A")
    page.fill("#contact_phone", "0755-12345678")
    page.wait_for_timeout(1200)  # the live preview follows the typing
    assert page.frame_locator("iframe.preview").locator("text=已建立社区碳账户").count() >= 1
    _shot(page, "02-drafting")
    page.click("button:has-text('Save and submit for review')")
    assert "submitted for review" in page.content()
    letter_url = page.url

    page.click("button:has-text('Sign out')")
    _sign_in(page, live_server, "boss")
    page.goto(letter_url)
    page.click("button:has-text('Sign off and archive')")
    assert "Signed off" in page.content()
    _shot(page, "03-signed")
    response = page.request.get(letter_url + "/pdf")
    assert response.ok and response.body().startswith(b"%PDF")
    assert errors == [], f"script errors in the page: {errors}"
    context.close()


def test_bad_input_shows_the_message_on_the_form(app, live_server, browser):
    with app.app_context():
        make_session(name="八届一次会议", council="市政协", is_current=True)
        make_user(Role.SUPERVISOR, username="boss")
        db.session.commit()
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(live_server + "/lang/en")
    _sign_in(page, live_server, "boss")
    page.goto(live_server + "/proposals/new")
    page.fill("#number", "2025 0467")
    page.fill("#title", "关于某事的提案")
    page.fill("#proposers", "孙委员")
    page.click("button:has-text('Save')")
    assert page.locator(".error", has_text="cannot contain spaces").count() == 1
    assert page.input_value("#title") == "关于某事的提案", "what the user typed is kept"
    _shot(page, "04-bad-input")
