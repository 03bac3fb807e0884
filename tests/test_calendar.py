"""Working days on China's calendar, with fixed dates across the big holidays."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.deadlines.calendar import WorkingCalendar, library_years
from tracker.deadlines.services import DueState, add_period, due_state

cal = WorkingCalendar()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 1, 26), True),  # Sunday, make-up working day before the Spring Festival
        (date(2025, 1, 28), False),  # 除夕 2025 is a day off
        (date(2025, 2, 4), False),  # last day of the Spring Festival holiday
        (date(2025, 2, 5), True),
        (date(2025, 2, 8), True),  # Saturday, make-up working day
        (date(2025, 9, 28), True),  # Sunday, make-up day before National Day
        (date(2025, 10, 1), False),
        (date(2025, 10, 8), False),
        (date(2025, 10, 9), True),
        (date(2025, 10, 11), True),  # Saturday, make-up day
        (date(2025, 10, 12), False),  # an ordinary Sunday
        (date(2024, 2, 4), True),  # Sunday make-up day in 2024
        (date(2024, 2, 12), False),
        (date(2025, 3, 12), True),  # an ordinary Wednesday
    ],
)
def test_working_days(day, working):
    assert cal.is_working_day(day) is working


def test_adding_working_days_across_the_spring_festival():
    # Friday 24 Jan 2025 + 3 working days: Sun 26 (make-up), Mon 27, then 5 Feb after the break.
    assert cal.add_working_days(date(2025, 1, 24), 3) == date(2025, 2, 5)


def test_adding_working_days_across_national_day():
    # Friday 26 Sep 2025 + 2: Sunday 28 Sep (make-up), Monday 29 Sep.
    assert cal.add_working_days(date(2025, 9, 26), 2) == date(2025, 9, 29)
    # Tuesday 30 Sep + 1 working day: the holiday runs to 8 Oct.
    assert cal.add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)


def test_counting_working_days():
    assert cal.working_days_between(date(2025, 9, 30), date(2025, 10, 9)) == 1
    assert cal.working_days_between(date(2025, 10, 9), date(2025, 9, 30)) == -1


def test_a_year_the_library_does_not_know_still_works():
    future = max(library_years()) + 3
    assert not cal.is_known_year(future)
    assert cal.is_known_year(2025)
    # Weekends are off, a plain weekday is on; adding days still terminates.
    monday = date(future, 3, 2)  # March has no statutory holiday
    while monday.weekday() != 0:
        monday = date(future, 3, monday.day + 1)
    assert cal.is_working_day(monday)
    assert not cal.is_working_day(date.fromordinal(monday.toordinal() - 1))
    assert cal.add_working_days(monday, 5) == date.fromordinal(monday.toordinal() + 7)


def test_administrator_corrections_override_the_library():
    corrected = WorkingCalendar({date(2025, 3, 12): False, date(2025, 3, 15): True})
    assert not corrected.is_working_day(date(2025, 3, 12))
    assert corrected.is_working_day(date(2025, 3, 15))  # a Saturday made working
    assert corrected.is_known_year(2025)


@pytest.mark.parametrize(
    ("start", "rule", "expected"),
    [
        (date(2025, 3, 10), {"amount": 3, "unit": "months"}, date(2025, 6, 10)),
        # 30 Nov + 3 months is 28 Feb 2026, a Saturday, which is a make-up working day in 2026.
        (date(2025, 11, 30), {"amount": 3, "unit": "months"}, date(2026, 2, 28)),
        # lands on 1 Oct: moves to the first working day after the National Day holiday
        (date(2025, 7, 1), {"amount": 3, "unit": "months"}, date(2025, 10, 9)),
        (date(2025, 3, 10), {"amount": 10, "unit": "days"}, date(2025, 3, 20)),
        (date(2025, 9, 26), {"amount": 5, "unit": "working_days"}, date(2025, 10, 10)),
    ],
)
def test_add_period(start, rule, expected):
    assert add_period(start, rule, cal) == expected


@pytest.mark.parametrize(
    ("due", "awaiting", "today", "expected"),
    [
        (date(2025, 6, 10), True, date(2025, 6, 11), DueState.OVERDUE),
        (date(2025, 6, 10), True, date(2025, 6, 10), DueState.DUE_SOON),
        (date(2025, 6, 20), True, date(2025, 6, 10), DueState.DUE_SOON),
        (date(2025, 7, 20), True, date(2025, 6, 10), DueState.ON_TRACK),
        (date(2025, 6, 10), False, date(2025, 6, 11), None),
    ],
)
def test_due_state(due, awaiting, today, expected):
    soon = cal.add_working_days(today, 10)
    assert due_state(due, awaiting, today, soon) is expected
