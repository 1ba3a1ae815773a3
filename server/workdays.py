"""Chinese working days: statutory holidays and adjusted working weekends (调休) counted.

Case deadlines (1 and 15 working days) and the shift recording deadline (10 working days)
are counted here. The chinese-calendar package knows the State Council's schedule for the
years it ships; past its data we fall back to plain Monday–Friday and log a warning once
per year, so a deadline is never refused for lack of data.
"""
import datetime as dt
import logging

import chinese_calendar

log = logging.getLogger(__name__)
_warned_years = set()


def is_workday(day):
    """True when ``day`` (a date) is a working day in mainland China."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning("chinese-calendar has no holiday data for %s: counting Monday–Friday as working days", day.year)
        return day.weekday() < 5


def add_workdays(start, count):
    """The date ``count`` working days after the date ``start`` (the start day itself not counted)."""
    day = start
    remaining = count
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_workday(day):
            remaining -= 1
    return day


def workdays_between(start, end):
    """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if is_workday(day):
            count += 1
    return count


def deadline(moment, count, zone):
    """End of the ``count``-th working day after ``moment`` in ``zone``, as an aware UTC datetime.

    "Within 1 working day" of a rating on Friday evening means by the end of Monday (or of
    the first working day after a holiday).
    """
    local_day = moment.astimezone(zone).date()
    due_day = add_workdays(local_day, count)
    end_of_day = dt.datetime.combine(due_day, dt.time(23, 59, 59), tzinfo=zone)
    return end_of_day.astimezone(dt.timezone.utc)
