"""Chinese working days: holidays, adjusted working weekends (调休), and the fallback past the data."""
import datetime as dt
import logging
from zoneinfo import ZoneInfo

from server import workdays

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = dt.date.fromisoformat


def test_national_day_2025_and_its_adjusted_working_days():
    assert workdays.is_workday(D("2025-09-28"))  # Sunday worked in exchange
    assert not any(workdays.is_workday(D(f"2025-10-0{day}")) for day in range(1, 9))
    assert workdays.is_workday(D("2025-10-11"))  # Saturday worked in exchange
    assert not workdays.is_workday(D("2025-10-12"))


def test_one_working_day_after_the_eve_of_national_day_is_the_ninth():
    assert workdays.add_workdays(D("2025-09-30"), 1) == D("2025-10-09")


def test_the_adjusted_saturday_counts():
    # Thu 9th, Fri 10th, Sat 11th (worked) → the 3rd working day after 30 September is the 11th.
    assert workdays.add_workdays(D("2025-09-30"), 3) == D("2025-10-11")
    assert workdays.add_workdays(D("2025-09-30"), 4) == D("2025-10-13")


def test_deadline_is_the_end_of_the_local_day():
    # 22:30 on 30 September in Shanghai is 14:30 UTC; "within 1 working day" ends on 9 October.
    created = dt.datetime(2025, 9, 30, 14, 30, tzinfo=dt.timezone.utc)
    due = workdays.deadline(created, 1, SHANGHAI)
    assert due == dt.datetime(2025, 10, 9, 23, 59, 59, tzinfo=SHANGHAI)
    assert due.tzinfo == dt.timezone.utc


def test_a_rating_late_in_the_local_evening_counts_from_the_local_date():
    # 00:30 on 1 October in Shanghai is still 30 September in UTC: the local date decides.
    created = dt.datetime(2025, 9, 30, 16, 30, tzinfo=dt.timezone.utc)
    assert workdays.deadline(created, 1, SHANGHAI).astimezone(SHANGHAI).date() == D("2025-10-09")


def test_fifteen_working_days_across_the_holiday():
    expected, day, left = None, D("2025-09-30"), 15
    while left:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and not D("2025-10-01") <= day <= D("2025-10-08") or day == D("2025-10-11"):
            left -= 1
    expected = day
    assert workdays.add_workdays(D("2025-09-30"), 15) == expected == D("2025-10-28")


def test_past_the_calendars_data_weekdays_count_and_a_warning_is_logged(caplog):
    workdays._warned_years.discard(2031)
    with caplog.at_level(logging.WARNING, logger="server.workdays"):
        assert workdays.add_workdays(D("2031-01-03"), 1) == D("2031-01-06")  # Friday → Monday
        workdays.add_workdays(D("2031-02-03"), 2)
    warnings = [r for r in caplog.records if "2031" in r.getMessage()]
    assert len(warnings) == 1


def test_workdays_between():
    assert workdays.workdays_between(D("2025-09-30"), D("2025-10-09")) == 1
    assert workdays.workdays_between(D("2025-10-09"), D("2025-09-30")) == 0
