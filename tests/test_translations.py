"""Every user-visible string has a Chinese translation, and Chinese is the default."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from tests.conftest import login, make_user
from tracker.auth.models import Role
from tracker.extensions import db

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "tracker/translations/zh_Hans_CN/LC_MESSAGES/messages.po"


def test_every_string_is_in_the_chinese_catalogue(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-o",
            str(pot),
            "tracker",
            "templates",
        ],
        cwd=ROOT,
        check=True,
    )
    with pot.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    translated = {
        m.id
        for m in catalog
        if m.id
        and m.string
        and not m.fuzzy
        and (all(m.string) if isinstance(m.string, tuple) else True)
    }
    missing = sorted(str(w) for w in wanted - translated)
    assert missing == [], f"{len(missing)} strings lack a Chinese translation: {missing[:20]}"


def test_chinese_by_default_english_on_request(app, client):
    with app.app_context():
        make_user(Role.SUPERVISOR, username="boss")
        db.session.commit()
    page = client.get("/login").get_data(as_text=True)
    assert "登录" in page and 'lang="zh-CN"' in page
    login(client, "boss")
    assert "提案" in client.get("/proposals").get_data(as_text=True)
    client.get("/lang/en")
    english = client.get("/proposals").get_data(as_text=True)
    assert "Cases" in english and 'lang="en"' in english
