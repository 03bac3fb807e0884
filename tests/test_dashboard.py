"""The dashboard page: its figures come from the data, links lead to the filtered list."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import login, make_proposal, make_session, make_unit, make_user, set_status
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.proposals.models import AssignmentRole
from tracker.proposals.workflow import AssignmentStatus as S
from tracker.supervision.charts import bar_chart, month_chart


@pytest.fixture
def session_data(app):
    """One session: unit 甲 has 3 cases (1 overdue, 1 replied on time, 1 replied late),
    unit 乙 has 1 case due soon."""
    today = date.today()
    with app.app_context():
        jia, yi = make_unit("甲单位"), make_unit("乙单位")
        session = make_session(name="八届一次会议", council="市政协", year=today.year)
        overdue = make_proposal(
            session=session,
            units=[(jia, AssignmentRole.SOLE)],
            assigned_on=today - timedelta(days=120),
        )
        on_time = make_proposal(
            session=session,
            units=[(jia, AssignmentRole.SOLE)],
            assigned_on=today - timedelta(days=120),
        )
        late = make_proposal(
            session=session,
            units=[(jia, AssignmentRole.SOLE)],
            assigned_on=today - timedelta(days=120),
        )
        soon = make_proposal(
            session=session,
            units=[(yi, AssignmentRole.SOLE)],
            assigned_on=today - timedelta(days=5),
        )
        soon.assignments[0].due_on = today + timedelta(days=2)
        set_status(overdue.assignments[0], S.HANDLING)
        for p, replied in ((on_time, -1), (late, +5)):
            a = p.assignments[0]
            set_status(a, S.REPLIED)
            a.replied_due_on = a.due_on
            a.replied_on = a.due_on + timedelta(days=replied)
        make_user(Role.SUPERVISOR, username="boss")
        make_user(Role.CLERK, unit=yi, username="yi_clerk")
        db.session.commit()
        return {"session": session.id, "jia": jia.id, "yi": yi.id}


def _figure(html: str, label: str) -> str:
    """The number in the figure box whose caption starts with `label`."""
    import re

    match = re.search(r'<span class="n">([^<]*)</span><span>' + re.escape(label), html)
    assert match, f"no figure {label!r}"
    return match.group(1)


def test_supervisor_dashboard_figures(client, session_data):
    client.get("/lang/en")
    login(client, "boss")
    html = client.get(f"/dashboard?session={session_data['session']}").get_data(as_text=True)
    assert _figure(html, "received") == "4"
    assert _figure(html, "replied") == "2"
    assert _figure(html, "on time") == "1"
    assert _figure(html, "overdue") == "1"
    assert _figure(html, "due soon") == "1"
    assert f"/proposals?due=overdue&amp;session={session_data['session']}" in html
    assert "甲单位" in html and "乙单位" in html
    assert "<svg" in html and "<script" not in html


def test_clerk_sees_only_own_unit(client, session_data):
    client.get("/lang/en")
    login(client, "yi_clerk")
    html = client.get(f"/dashboard?session={session_data['session']}").get_data(as_text=True)
    assert "乙单位" in html and "甲单位" not in html
    assert _figure(html, "due soon") == "1"
    assert _figure(html, "overdue") == "0"


def test_units_table_sorts(client, session_data):
    login(client, "boss")
    html = client.get(f"/dashboard?session={session_data['session']}&sort=unit&dir=asc").get_data(
        as_text=True
    )
    assert html.index("甲单位") < html.index("乙单位") or html.index("乙单位") < html.index(
        "甲单位"
    )
    ascending = html[html.index('id="units-h"') :]
    descending = client.get(
        f"/dashboard?session={session_data['session']}&sort=unit&dir=desc"
    ).get_data(as_text=True)
    descending = descending[descending.index('id="units-h"') :]
    first = lambda page: "甲" if page.index("甲单位") < page.index("乙单位") else "乙"  # noqa: E731
    assert first(ascending) != first(descending)


def test_charts_escape_labels():
    svg = str(bar_chart([("<script>x</script>", 3)], title="t"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'width="0.0"' in str(bar_chart([("a", 0), ("b", 0)], title="zero"))
    assert "26-06" in str(month_chart([("2026-06", 1, 2)], title="m", legend=("a", "b")))
