"""China's working-day calendar: statutory holidays off, weekend make-up days (调休) on.

The `holidays` package supplies the official schedule for the years the State Council has
published; an administrator's CalendarDay rows override it. For later years the calendar
still works (weekends and the fixed statutory holidays off) and says the year is provisional.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

import holidays
from holidays.countries.china import ChinaStaticHolidays

MAX_SCAN_DAYS = 3660  # no real rule looks ten years ahead; stops a runaway loop


@functools.cache
def _library() -> holidays.HolidayBase:
    return holidays.China()


def library_years() -> range:
    """The years whose official schedule, make-up days included, the library knows."""
    years = sorted(ChinaStaticHolidays.special_public_holidays)
    return range(years[0], years[-1] + 1)


class WorkingCalendar:
    """Answers working-day questions with the administrator's corrections applied."""

    def __init__(self, overrides: dict[date, bool] | None = None) -> None:
        self.overrides = dict(overrides or {})

    def is_working_day(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return _library().is_working_day(day)

    def is_known_year(self, year: int) -> bool:
        """True when the official schedule of `year` is known (library or corrections)."""
        return year in library_years() or any(d.year == year for d in self.overrides)

    def holiday_name(self, day: date) -> str | None:
        return _library().get(day)

    def next_working_day(self, day: date) -> date:
        """Return `day` itself if it is a working day, else the first working day after it."""
        for _ in range(MAX_SCAN_DAYS):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError("no working day within ten years")

    def add_working_days(self, start: date, count: int) -> date:
        """Return the `count`-th working day after `start` (count 0 returns `start`)."""
        if count < 0:
            raise ValueError("count must not be negative")
        day = start
        remaining = count
        for _ in range(MAX_SCAN_DAYS):
            if remaining == 0:
                return day
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        raise ValueError("count is too large")

    def working_days_between(self, start: date, end: date) -> int:
        """Count working days after `start` up to and including `end` (negative if end<start)."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(
            1
            for offset in range(1, (end - start).days + 1)
            if self.is_working_day(start + timedelta(days=offset))
        )
