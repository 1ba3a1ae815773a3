"""The figures (GET /api/v1/admin/stats), the rankings and the admins' ratings list.

A varied data set — three units, several windows and members, ratings over five weeks at every
hour including either side of local midnight, excluded and follow-up ratings, cases answered
on time, late and not at all, shifts in every state — is inserted directly, and every figure
the API gives is computed again here in plain Python from the raw rows and compared. The
suite runs on SQLite and on PostgreSQL.
"""
import datetime as dt
import json
import random
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from conftest import assert_error, bearer, make_unit_with_objects
from server import messages
from server.auth.services import create_admin
from server.extensions import db
from server.models import Case, Member, Rating, Shift, Unit, Window
from server.qr.services import issue_code
from server.stats import services

UTC = dt.timezone.utc
ZONE = ZoneInfo("Asia/Shanghai")
DAY = dt.timedelta(days=1)
# Every figure is computed as of this instant (Wednesday 2026-11-25, 12:00 in Shanghai).
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=ZONE).astimezone(UTC)
TODAY = dt.date(2026, 11, 25)
STATS, RANKINGS, RATINGS = "/api/v1/admin/stats", "/api/v1/admin/rankings", "/api/v1/admin/ratings"
MIN_RATINGS = 6
INCLUDE_ALL = ("by_unit", "hours_by_month")
TAGS = messages.POSITIVE_TAGS + messages.NEGATIVE_TAGS
COMPLAINT, SHIRKING, ERROR = (messages.ZERO_TAGS[z] for z in ("zero_complaints", "zero_shirking", "zero_errors"))


def local(year, month, day, hour=0, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=ZONE)


@pytest.fixture(autouse=True)
def frozen_now(app, monkeypatch):
    """The figures' "now" and "today" are fixed, so deadlines and default periods are too."""
    monkeypatch.setattr(services, "utcnow", lambda: NOW)
    app.config["RANKING_MIN_RATINGS"] = MIN_RATINGS


# --- The data set ---

class Rows:
    """Adds ratings, cases and shifts the way the app would store them."""

    def __init__(self):
        self.serial = 0

    def rating(self, target, at, score, tags=(), excluded=False, follow_up_of=None, contact="", comment="",
               wechat_user=None):
        """A rating of ``target`` (a Member or a Window) at local time ``at``."""
        self.serial += 1
        kind = "member" if isinstance(target, Member) else "window"
        code = target.code
        rating = Rating(
            qr_code_id=code.id, unit_id=target.unit_id,
            member_id=target.id if kind == "member" else None, window_id=target.id if kind == "window" else None,
            target_key=f"{kind}:{target.id}",
            rater_key=f"wx:{wechat_user.id}" if wechat_user else f"dev:rater-secret-{self.serial}",
            wechat_user_id=wechat_user.id if wechat_user else None,
            rated_on=at.astimezone(ZONE).date(), score=score, tags=list(tags), comment=comment, contact=contact,
            created_at=at.astimezone(UTC), follow_up_of_id=follow_up_of.id if follow_up_of else None,
            excluded_at=at.astimezone(UTC) + DAY if excluded else None, excluded_reason="恶意差评" if excluded else "",
        )
        db.session.add(rating)
        db.session.flush()
        return rating

    def case(self, rating, resolve_days, outcome):
        """The case of a bad rating: answered ``on_time``, ``late``, or still ``open``/``contacted``."""
        created = rating.created_at
        case = Case(rating_id=rating.id, unit_id=rating.unit_id, due_contact_at=created + DAY,
                    due_resolve_at=created + resolve_days * DAY, status="open")
        if outcome in ("on_time", "late", "contacted"):
            case.status, case.contacted_at = "contacted", created + dt.timedelta(hours=3)
        if outcome in ("on_time", "late"):
            case.status = "resolved"
            case.resolved_at = case.due_resolve_at + (dt.timedelta(hours=-2) if outcome == "on_time" else dt.timedelta(hours=5))
        db.session.add(case)
        return case


def make_world(world):
    """Units A, B, C; A with two windows and two members; ratings, cases, shifts."""
    a, b = world.a, world.b
    c = make_unit_with_objects("丙站")
    a.window2 = Window(unit_id=a.unit.id, name="甲站二号窗口")
    a.member2 = Member(unit_id=a.unit.id, name="甲站志愿者")
    db.session.add_all([a.window2, a.member2])
    db.session.flush()
    for side in (a, b, c):
        for target in (side.member, side.window, getattr(side, "member2", None), getattr(side, "window2", None)):
            if target is not None:
                target.code = issue_code("badge" if isinstance(target, Member) else "window", target)
    c.admin = create_admin("admin_c", "admin-c-pass", "unit_admin", c.unit.id)

    rows, rng = Rows(), random.Random(20261122)
    weights = {a.unit.id: [1, 1, 2, 5, 9], b.unit.id: [3, 2, 3, 3, 3]}
    first_day = dt.date(2026, 10, 18)
    for side, count in ((a, 90), (b, 60)):
        targets = [side.member, side.window] + [t for t in (getattr(side, "member2", None), getattr(side, "window2", None)) if t]
        # A's second window is never rated: its zeros hold, with no ratings.
        targets = [t for t in targets if t is not getattr(side, "window2", None)]
        for _ in range(count):
            day = first_day + rng.randrange(0, 45) * DAY          # some before, some after the periods asked
            at = dt.datetime.combine(day, dt.time(), ZONE) + dt.timedelta(minutes=rng.randrange(0, 24 * 60))
            score = rng.choices([1, 2, 3, 4, 5], weights[side.unit.id])[0]
            tags = rng.sample(TAGS, rng.choice([0, 0, 1, 2]))
            bad = score <= 2
            rating = rows.rating(rng.choice(targets), at, score, tags, excluded=rng.random() < 0.06,
                                 contact="13800001111" if bad and rng.random() < 0.5 else "", comment="评价内容")
            if bad:
                rows.case(rating, rng.choice([2, 6, 15, 21]), rng.choice(["on_time", "on_time", "late", "contacted", "open"]))
                if rng.random() < 0.4:
                    # A follow-up (追评) never counts, whatever it says.
                    rows.rating(rating_target(rating, side), at + 3 * DAY, rng.choice([1, 5]), [COMPLAINT],
                                follow_up_of=rating)
    # Either side of local midnight: 23:30 on the 20th is 15:30 UTC that day, 00:30 on the 21st is
    # 16:30 UTC on the 20th — a different local day, hour and weekday.
    c.late = rows.rating(c.member, local(2026, 11, 20, 23, 30), 5, ["热情"])
    c.early = rows.rating(c.member, local(2026, 11, 21, 0, 30), 2, [SHIRKING], contact="13900002222")
    c.wechat_rating = rows.rating(c.window, local(2026, 11, 21, 8, 15), 4, [ERROR], wechat_user=world.citizen)
    rows.case(c.early, 15, "open")
    # A good rating carrying a contact (the API refuses one; an old row might): never shown.
    c.good_with_contact = rows.rating(c.window, local(2026, 11, 22, 9, 0), 5, contact="13700003333")
    # An excluded complaint does not break 零投诉.
    rows.rating(c.window, local(2026, 11, 22, 10, 0), 1, [COMPLAINT], excluded=True)
    # Tags stored as JSON null (a row written outside the API): read as no tags, never a 500.
    rows.rating(c.window, local(2026, 11, 23, 11, 0), 4).tags = None

    for side in (a, b, c):
        for n in range(12):
            started = local(2026, 10, 20, 8) + dt.timedelta(days=3 * n, hours=n % 5)
            # At most one open shift per member (the schema's rule).
            status = "open" if n == 11 else ["approved", "approved", "pending", "rejected", "needs_review"][n % 5]
            minutes = None if status in ("needs_review", "open") else 60 + 17 * n
            credited = minutes - 10 * (n % 3) if status == "approved" else None
            db.session.add(Shift(member_id=side.member.id, post_id=side.post.id, unit_id=side.unit.id, status=status,
                                 started_at=started.astimezone(UTC), minutes=minutes, credited_minutes=credited))
    db.session.commit()
    return SimpleNamespace(a=a, b=b, c=c, world=world)


def rating_target(rating, side):
    for target in (side.member, side.window, getattr(side, "member2", None)):
        if target is not None and (rating.member_id == target.id if isinstance(target, Member) else rating.window_id == target.id):
            return target
    raise AssertionError


@pytest.fixture
def data(world):
    return make_world(world)


# --- The figures, computed independently from the raw rows ---

def rate(part, total):
    return round(part / total, 4) if total else None


def bounds(first, last):
    return (dt.datetime.combine(first, dt.time(), ZONE).astimezone(UTC),
            dt.datetime.combine(last + DAY, dt.time(), ZONE).astimezone(UTC))


def in_scope(obj, unit_id, window_id=None, member_id=None):
    return ((unit_id is None or obj.unit_id == unit_id)
            and (window_id is None or obj.window_id == window_id)
            and (member_id is None or obj.member_id == member_id))


def counted(first, last, unit_id=None, window_id=None, member_id=None):
    return [r for r in db.session.scalars(select(Rating)).all()
            if first <= r.rated_on <= last and r.excluded_at is None and r.follow_up_of_id is None
            and in_scope(r, unit_id, window_id, member_id)]


def rating_figures(ratings):
    n = len(ratings)
    scores = [r.score for r in ratings]
    return {
        "ratings": n, "distribution": {str(s): scores.count(s) for s in range(1, 6)},
        "satisfaction_rate": rate(sum(s >= 3 for s in scores), n), "good_rate": rate(sum(s >= 4 for s in scores), n),
        "bad_rate": rate(sum(s <= 2 for s in scores), n),
    }


def zeros_of(ratings):
    return {
        "zero_complaints": not any(r.score <= 2 or COMPLAINT in (r.tags or []) for r in ratings),
        "zero_shirking": not any(SHIRKING in (r.tags or []) for r in ratings),
        "zero_errors": not any(ERROR in (r.tags or []) for r in ratings),
    }


def case_figures(first, last, unit_id=None, window_id=None, member_id=None):
    start, end = bounds(first, last)
    due = on_time = open_ = overdue = 0
    for case in db.session.scalars(select(Case)).all():
        rating = db.session.get(Rating, case.rating_id)
        if rating.excluded_at is not None or not in_scope(rating, unit_id, window_id, member_id):
            continue
        if start <= case.due_resolve_at < min(end, NOW):
            due += 1
            on_time += case.status == "resolved" and case.resolved_at <= case.due_resolve_at
        if case.status != "resolved":
            open_ += 1
            overdue += (case.status == "open" and case.due_contact_at < NOW) or case.due_resolve_at < NOW
    return {"cases_due": due, "cases_on_time": on_time, "case_close_rate": rate(on_time, due),
            "cases_open": open_, "cases_overdue": overdue}


def hours_of(first, last, unit_id=None, member_id=None):
    start, end = bounds(first, last)
    shifts = [s for s in db.session.scalars(select(Shift)).all()
              if start <= s.started_at < end and (unit_id is None or s.unit_id == unit_id)
              and (member_id is None or s.member_id == member_id)]
    approved = sum(s.credited_minutes for s in shifts if s.status == "approved")
    pending = sum(s.minutes for s in shifts if s.status == "pending")
    return {"hours_approved": round(approved / 60, 2), "hours_pending": round(pending / 60, 2)}


def months_up_to(last, count=12):
    """(first, last) days of the ``count`` local months up to ``last``'s month, the final one ending on ``last``."""
    months, year, month = [], last.year, last.month
    for _ in range(count):
        start = dt.date(year, month, 1)
        following = dt.date(year + (month == 12), month % 12 + 1, 1)
        months.append((start, min(following - DAY, last)))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def expected_by_unit(ratings, unit_id, window_id, member_id):
    units = db.session.scalars(select(Unit).order_by(Unit.id)).all()
    narrowed = db.session.get(Window, window_id) if window_id else db.session.get(Member, member_id) if member_id else None
    return [{"unit": {"id": u.id, "name": u.name}, "unit_id": u.id,
             **rating_figures([r for r in ratings if r.unit_id == u.id])}
            for u in units if (unit_id is None or u.id == unit_id) and (narrowed is None or u.id == narrowed.unit_id)]


def expected_stats(first, last, unit_id=None, window_id=None, member_id=None, include=()):
    ratings = counted(first, last, unit_id, window_id, member_id)
    figures = rating_figures(ratings)
    windows = [] if member_id is not None else [
        w for w in db.session.scalars(select(Window).order_by(Window.unit_id, Window.id)).all()
        if (unit_id is None or w.unit_id == unit_id) and (window_id is None or w.id == window_id)
    ]
    days = [first + n * DAY for n in range((last - first).days + 1)]
    grid = [[0] * 24 for _ in range(7)]
    for r in ratings:
        at = r.created_at.astimezone(ZONE)
        grid[at.weekday()][at.hour] += 1
    by_day = []
    for day in days:
        scores = [r.score for r in ratings if r.rated_on == day]
        by_day.append({"date": day.isoformat(), "ratings": len(scores), "satisfied": sum(s >= 3 for s in scores),
                       "good": sum(s >= 4 for s in scores), "bad": sum(s <= 2 for s in scores),
                       "satisfaction_rate": rate(sum(s >= 3 for s in scores), len(scores))})
    satisfied = sum(r.score >= 3 for r in ratings)
    return {
        "unit_id": unit_id, "window_id": window_id, "member_id": member_id,
        "from": first.isoformat(), "to": last.isoformat(),
        **figures, "goal": 0.9, "meets_goal": satisfied / len(ratings) >= 0.9 if ratings else None,
        **case_figures(first, last, unit_id, window_id, member_id),
        "zeros": {**zeros_of(ratings), "windows": [
            {"window_id": w.id, "name": w.name, "unit_id": w.unit_id,
             "ratings": sum(r.window_id == w.id for r in ratings),
             **zeros_of([r for r in ratings if r.window_id == w.id])} for w in windows]},
        **hours_of(first, last, unit_id, member_id),
        "by_day": by_day,
        "by_hour": [{"hour": h, "ratings": sum(grid[d][h] for d in range(7))} for h in range(24)],
        "by_weekday_hour": grid,
        **({"by_unit": expected_by_unit(ratings, unit_id, window_id, member_id)} if "by_unit" in include else {}),
        **({"hours_by_month": [{"month": f"{start:%Y-%m}", "first": start.isoformat(), "last": end.isoformat(),
                                **hours_of(start, end, unit_id, member_id)} for start, end in months_up_to(last)]}
           if "hours_by_month" in include else {}),
    }


def get(client, path, headers, **query):
    response = client.get(path, headers=headers, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()


# --- GET /admin/stats ---

def scopes(d):
    a, b, c = d.a, d.b, d.c
    yield "bureau", d.world.bureau_headers, {}, {}
    yield "bureau, unit A", d.world.bureau_headers, {"unit_id": a.unit.id}, {"unit_id": a.unit.id}
    yield "unit admin B, own unit by default", d.world.b_headers, {}, {"unit_id": b.unit.id}
    yield "unit admin A, a window", d.world.a_headers, {"window_id": a.window.id}, {"unit_id": a.unit.id, "window_id": a.window.id}
    yield "unit admin A, a member", d.world.a_headers, {"member_id": a.member.id}, {"unit_id": a.unit.id, "member_id": a.member.id}
    yield "bureau, a window of B", d.world.bureau_headers, {"unit_id": b.unit.id, "window_id": b.window.id}, \
        {"unit_id": b.unit.id, "window_id": b.window.id}
    yield "bureau, a member of C", d.world.bureau_headers, {"member_id": c.member.id}, {"member_id": c.member.id}


PERIODS = [
    ("default: the last 30 days", {}, (TODAY - 29 * DAY, TODAY)),
    ("a month", {"from": "2026-11-01", "to": "2026-11-30"}, (dt.date(2026, 11, 1), dt.date(2026, 11, 30))),
    ("one day", {"from": "2026-11-21", "to": "2026-11-21"}, (dt.date(2026, 11, 21), dt.date(2026, 11, 21))),
    ("from only: up to today", {"from": "2026-10-20"}, (dt.date(2026, 10, 20), TODAY)),
    ("to only: 30 days", {"to": "2026-11-10"}, (dt.date(2026, 10, 12), dt.date(2026, 11, 10))),
    ("366 days", {"from": "2025-11-26", "to": "2026-11-26"}, (dt.date(2025, 11, 26), dt.date(2026, 11, 26))),
]


@pytest.mark.parametrize("label,period,expected_period", PERIODS, ids=[p[0] for p in PERIODS])
def test_stats_match_figures_computed_from_the_raw_rows(client, data, label, period, expected_period):
    for index, (name, headers, query, scope) in enumerate(scopes(data)):
        # Every other scope asks for the extra figures too; the others must not get them.
        include = INCLUDE_ALL if index % 2 == 0 else ()
        extra = {"include": ",".join(include)} if include else {}
        answer = get(client, STATS, headers, **query, **period, **extra)
        expected = expected_stats(*expected_period, **{"unit_id": None, **scope}, include=include)
        for key in expected:
            assert answer[key] == expected[key], (name, key)
        assert set(answer) == set(expected), name


def test_the_data_set_is_varied(data):
    """Guard the fixture: the comparisons above mean something only if every case occurs in the data."""
    ratings = db.session.scalars(select(Rating)).all()
    assert {r.score for r in ratings} == {1, 2, 3, 4, 5}
    assert any(r.excluded_at for r in ratings) and any(r.follow_up_of_id for r in ratings)
    assert len({r.created_at.astimezone(ZONE).hour for r in ratings}) == 24
    month = expected_stats(dt.date(2026, 10, 1), TODAY, include=INCLUDE_ALL)
    assert month["cases_due"] > month["cases_on_time"] > 0 and month["cases_overdue"] > 0
    assert month["hours_approved"] > 0 and month["hours_pending"] > 0
    assert [m["month"] for m in month["hours_by_month"] if m["hours_approved"]] == ["2026-10", "2026-11"]
    assert [u["ratings"] > 0 for u in month["by_unit"]] == [True, True, True]
    a_zeros = expected_stats(dt.date(2026, 10, 1), TODAY, data.a.unit.id)["zeros"]["windows"]
    assert [w["ratings"] > 0 for w in a_zeros] == [True, False]


def test_local_midnight_days_hours_and_weekdays(client, data):
    """23:30 and 00:30 local are 15:30 and 16:30 UTC on the same UTC day, but different local days."""
    c = data.c
    friday = get(client, STATS, data.world.bureau_headers, member_id=c.member.id, **{"from": "2026-11-20", "to": "2026-11-20"})
    saturday = get(client, STATS, data.world.bureau_headers, member_id=c.member.id, **{"from": "2026-11-21", "to": "2026-11-21"})
    assert (friday["ratings"], friday["distribution"]["5"]) == (1, 1)
    assert (saturday["ratings"], saturday["distribution"]["2"]) == (1, 1)
    assert [h["hour"] for h in friday["by_hour"] if h["ratings"]] == [23]
    assert [h["hour"] for h in saturday["by_hour"] if h["ratings"]] == [0]
    assert friday["by_weekday_hour"][4][23] == 1 and sum(map(sum, friday["by_weekday_hour"])) == 1
    assert saturday["by_weekday_hour"][5][0] == 1 and sum(map(sum, saturday["by_weekday_hour"])) == 1
    both = get(client, STATS, bearer("admin", c.admin), **{"from": "2026-11-20", "to": "2026-11-21"})
    assert both["by_day"] == [
        {"date": "2026-11-20", "ratings": 1, "satisfied": 1, "good": 1, "bad": 0, "satisfaction_rate": 1.0},
        {"date": "2026-11-21", "ratings": 2, "satisfied": 1, "good": 1, "bad": 1, "satisfaction_rate": 0.5},
    ]
    assert both["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert (both["satisfaction_rate"], both["good_rate"], both["bad_rate"], both["meets_goal"]) == (0.6667, 0.6667, 0.3333, False)
    assert both["zeros"]["zero_complaints"] is False and both["zeros"]["zero_shirking"] is False
    assert both["zeros"]["zero_errors"] is False
    # The window's ratings: only the 出错 one (the excluded complaint on the 22nd is outside the period anyway).
    assert both["zeros"]["windows"] == [{"window_id": c.window.id, "name": c.window.name, "unit_id": c.unit.id,
                                         "ratings": 1, "zero_complaints": True, "zero_shirking": True, "zero_errors": False}]


def test_excluded_complaint_does_not_break_zero_complaints(client, data):
    c = data.c
    day = get(client, STATS, data.world.bureau_headers, window_id=c.window.id, **{"from": "2026-11-22", "to": "2026-11-22"})
    assert day["ratings"] == 1 and day["distribution"]["5"] == 1
    assert day["zeros"]["zero_complaints"] is True
    assert day["zeros"]["windows"][0]["zero_complaints"] is True


def test_empty_period_has_null_rates_and_holds_every_zero(client, data):
    answer = get(client, STATS, data.world.bureau_headers, **{"from": "2026-06-01", "to": "2026-06-30"})
    assert answer["ratings"] == 0 and answer["distribution"] == {str(s): 0 for s in range(1, 6)}
    for key in ("satisfaction_rate", "good_rate", "bad_rate", "case_close_rate", "meets_goal"):
        assert answer[key] is None, key
    assert (answer["cases_due"], answer["cases_on_time"]) == (0, 0)
    assert answer["cases_open"] > 0      # the backlog is now, whatever the period
    assert all(day["ratings"] == 0 and day["satisfaction_rate"] is None for day in answer["by_day"])
    assert len(answer["by_day"]) == 30 and answer["by_weekday_hour"] == [[0] * 24] * 7
    assert answer["zeros"]["zero_complaints"] and answer["zeros"]["zero_shirking"] and answer["zeros"]["zero_errors"]
    assert all(w["ratings"] == 0 and w["zero_complaints"] for w in answer["zeros"]["windows"])
    assert (answer["hours_approved"], answer["hours_pending"]) == (0, 0)


def test_a_case_not_yet_due_is_not_counted_as_due(client, data):
    """A deadline later in the current period has not fallen yet: no penalty before it passes."""
    answer = get(client, STATS, data.world.bureau_headers, unit_id=data.c.unit.id, **{"from": "2026-12-01", "to": "2026-12-31"})
    assert answer["cases_due"] == 0 and answer["case_close_rate"] is None
    assert answer["cases_open"] == 1 and answer["cases_overdue"] == 1     # past its contact deadline


# --- walls and bad arguments ---

def test_unit_admin_is_confined_to_their_unit(client, data):
    a, b = data.a, data.b
    headers = data.world.b_headers
    for query, field in (({"unit_id": a.unit.id}, "unit_id"), ({"window_id": a.window.id}, "window_id"),
                         ({"member_id": a.member.id}, "member_id"), ({"unit_id": 99999999}, "unit_id"),
                         ({"window_id": 99999999}, "window_id")):
        other = client.get(STATS, headers=headers, query_string=query)
        assert_error(other, 422, field)
    # Another unit's id answers exactly like one that does not exist.
    assert (client.get(STATS, headers=headers, query_string={"unit_id": a.unit.id}).get_json()
            == client.get(STATS, headers=headers, query_string={"unit_id": 99999999}).get_json())
    own = get(client, STATS, headers, unit_id=b.unit.id)
    assert own == get(client, STATS, headers)
    assert {w["unit_id"] for w in own["zeros"]["windows"]} == {b.unit.id}
    # A window of another unit than the one named.
    assert_error(client.get(STATS, headers=data.world.bureau_headers,
                            query_string={"unit_id": b.unit.id, "window_id": a.window.id}), 422, "window_id")


BAD_QUERIES = [
    ({"from": "2026-11-10", "to": "2026-11-09"}, "to"),
    ({"from": "2025-11-25", "to": "2026-11-26"}, "from"),          # 367 days
    ({"from": "2026-11-26"}, "to"),                                # after today, to defaults to today
    ({"from": "2026-13-01"}, "from"),
    ({"from": "yesterday"}, "from"),
    ({"to": ""}, "to"),
    ({"from": "1999-12-31"}, "from"),
    ({"to": "9999-12-31"}, "to"),
    ({"unit_id": "abc"}, "unit_id"),
    ({"unit_id": "0"}, "unit_id"),
    ({"unit_id": str(2**31)}, "unit_id"),
    ({"window_id": "-1"}, "window_id"),
    ({"member_id": "1.5"}, "member_id"),
]


@pytest.mark.parametrize("query,field", BAD_QUERIES, ids=[json.dumps(q, ensure_ascii=False) for q, _ in BAD_QUERIES])
def test_stats_bad_arguments_are_422(client, data, query, field):
    error = assert_error(client.get(STATS, headers=data.world.bureau_headers, query_string=query), 422, field)
    assert error["code"] == "validation_error"


@pytest.mark.parametrize("include", ["everything", "by_unit,", "by_unit,by_day"])
def test_stats_include_names_only_the_extra_figures(client, data, include):
    assert_error(client.get(STATS, headers=data.world.bureau_headers, query_string={"include": include}), 422, "include")


def test_stats_include_one_extra_figure(client, data):
    answer = get(client, STATS, data.world.a_headers, include="hours_by_month")
    assert "hours_by_month" in answer and "by_unit" not in answer
    assert answer["hours_by_month"] == expected_stats(TODAY - 29 * DAY, TODAY, data.a.unit.id, include=INCLUDE_ALL)["hours_by_month"]


@pytest.mark.parametrize("query,field", [({"from": "2026-11-10", "to": "2026-11-01"}, "to"), ({"score": "6"}, "score"),
                                         ({"score": "0"}, "score"), ({"page_size": "101"}, "page_size"),
                                         ({"from": "x"}, "from"), ({"member_id": "x"}, "member_id")])
def test_ratings_list_bad_arguments_are_422(client, data, query, field):
    assert_error(client.get(RATINGS, headers=data.world.a_headers, query_string=query), 422, field)


@pytest.mark.parametrize("query,field", [({"from": "2026-11-10", "to": "2026-11-01"}, "to"),
                                         ({"from": "2024-01-01", "to": "2026-11-01"}, "from"), ({"to": "1.1"}, "to")])
def test_rankings_bad_arguments_are_422(client, data, query, field):
    assert_error(client.get(RANKINGS, headers=data.world.bureau_headers, query_string=query), 422, field)


def test_rankings_are_for_bureau_admins_only(client, data):
    assert_error(client.get(RANKINGS, headers=data.world.a_headers), 403)
    assert_error(client.get(RANKINGS, headers=data.world.citizen_headers), 403)
    assert_error(client.get(RANKINGS), 401)


# --- GET /admin/rankings ---

def expected_rankings(first, last):
    items = []
    for unit in db.session.scalars(select(Unit)).all():
        figures = rating_figures(counted(first, last, unit.id))
        del figures["distribution"]
        figures.update(case_figures(first, last, unit.id))
        ratings = counted(first, last, unit.id)
        if ratings:
            sat = sum(r.score >= 3 for r in ratings) / len(ratings)
            good = sum(r.score >= 4 for r in ratings) / len(ratings)
            due = figures["cases_due"]
            close = figures["cases_on_time"] / due if due else 1.0
            composite = round(100 * (0.5 * sat + 0.2 * good + 0.3 * close), 2)
        else:
            composite = None
        items.append({"unit": {"id": unit.id, "name": unit.name}, "unit_id": unit.id,
                      "is_red_station": unit.is_red_station, **figures,
                      "hours_approved": hours_of(first, last, unit.id)["hours_approved"],
                      "composite_score": composite, "qualified": len(ratings) >= MIN_RATINGS})
    qualified = sorted((i for i in items if i["qualified"]), key=lambda i: (-i["composite_score"], -i["ratings"], i["unit_id"]))
    others = sorted((i for i in items if not i["qualified"]),
                    key=lambda i: (i["composite_score"] is None, -(i["composite_score"] or 0), -i["ratings"], i["unit_id"]))
    ranked = qualified + others
    for n, item in enumerate(ranked, start=1):
        item.update(rank=n, leader=n == 1 and item["qualified"])
    return ranked


@pytest.mark.parametrize("query,period", [
    ({}, (dt.date(2026, 11, 1), TODAY)),
    ({"from": "2026-10-01", "to": "2026-10-31"}, (dt.date(2026, 10, 1), dt.date(2026, 10, 31))),
    ({"from": "2026-10-15", "to": "2026-11-30"}, (dt.date(2026, 10, 15), dt.date(2026, 11, 30))),
    ({"from": "2026-06-01", "to": "2026-06-30"}, (dt.date(2026, 6, 1), dt.date(2026, 6, 30))),
])
def test_rankings_match_figures_computed_from_the_raw_rows(client, data, query, period):
    answer = get(client, RANKINGS, data.world.bureau_headers, **query)
    assert (answer["from"], answer["to"], answer["min_ratings"]) == (period[0].isoformat(), period[1].isoformat(), MIN_RATINGS)
    expected = expected_rankings(*period)
    assert [i["unit_id"] for i in answer["items"]] == [i["unit_id"] for i in expected]
    for got, want in zip(answer["items"], expected):
        got_score, want_score = got.pop("composite_score"), want.pop("composite_score")
        assert got_score == (None if want_score is None else pytest.approx(want_score, abs=0.005))
        assert got == want


def test_ranking_leader_and_units_below_the_minimum(client, data):
    answer = get(client, RANKINGS, data.world.bureau_headers, **{"from": "2026-10-15", "to": "2026-11-30"})
    items = answer["items"]
    by_unit = {i["unit_id"]: i for i in items}
    # A (mostly 5s) beats B (a spread of scores); C has too few ratings to lead, even at a high score.
    assert [i["unit_id"] for i in items] == [data.a.unit.id, data.b.unit.id, data.c.unit.id]
    assert [i["leader"] for i in items] == [True, False, False]
    assert by_unit[data.c.unit.id]["qualified"] is False and by_unit[data.c.unit.id]["ratings"] < MIN_RATINGS
    # With nobody qualified there is no leader.
    empty = get(client, RANKINGS, data.world.bureau_headers, **{"from": "2026-06-01", "to": "2026-06-30"})
    assert not any(i["leader"] for i in empty["items"]) and all(i["composite_score"] is None for i in empty["items"])


# --- GET /admin/ratings ---

def list_all(client, headers, **query):
    items, page = [], 1
    while True:
        answer = get(client, RATINGS, headers, page=page, page_size=37, **query)
        items += answer["items"]
        if page * 37 >= answer["total"]:
            assert len(items) == answer["total"]
            return items
        page += 1


def newest_first(ratings):
    return [r.id for r in sorted(ratings, key=lambda r: (r.created_at, r.id), reverse=True)]


def test_ratings_list_filters_and_order(client, data):
    a, b = data.a, data.b
    everything = db.session.scalars(select(Rating)).all()
    cases = {case.rating_id: case for case in db.session.scalars(select(Case))}
    bureau = data.world.bureau_headers
    checks = [
        (bureau, {}, lambda r: True),
        (bureau, {"unit_id": b.unit.id}, lambda r: r.unit_id == b.unit.id),
        (data.world.a_headers, {}, lambda r: r.unit_id == a.unit.id),
        (data.world.a_headers, {"window_id": a.window.id}, lambda r: r.window_id == a.window.id),
        (data.world.a_headers, {"member_id": a.member2.id}, lambda r: r.member_id == a.member2.id),
        (data.world.a_headers, {"score": "1"}, lambda r: r.unit_id == a.unit.id and r.score == 1),
        (bureau, {"from": "2026-11-21", "to": "2026-11-21"}, lambda r: r.rated_on == dt.date(2026, 11, 21)),
        (bureau, {"from": "2026-11-20", "score": "5"}, lambda r: r.rated_on >= dt.date(2026, 11, 20) and r.score == 5),
        (bureau, {"to": "2026-10-20"}, lambda r: r.rated_on <= dt.date(2026, 10, 20)),
    ]
    for headers, query, keep in checks:
        items = list_all(client, headers, **query)
        wanted = [r for r in everything if keep(r)]
        assert wanted, query
        assert [i["id"] for i in items] == newest_first(wanted), query
    # Every field of one page, against the rows.
    rows = {r.id: r for r in everything}
    units = {u.id: u.name for u in db.session.scalars(select(Unit))}
    names = {("member", m.id): m.name for m in db.session.scalars(select(Member))}
    names.update({("window", w.id): w.name for w in db.session.scalars(select(Window))})
    for item in list_all(client, bureau):
        r = rows[item["id"]]
        kind = "member" if r.member_id else "window"
        case = cases.get(r.id)
        assert item == {
            "id": r.id, "target": {"kind": kind, "id": r.member_id or r.window_id, "name": names[(kind, r.member_id or r.window_id)]},
            "unit": {"id": r.unit_id, "name": units[r.unit_id]}, "unit_id": r.unit_id,
            "score": r.score, "score_label": messages.SCORE_LABELS[r.score], "tags": r.tags or [],
            "comment": r.comment, "comment_status": r.comment_status,
            "created_at": r.created_at.astimezone(ZONE).isoformat(), "rated_on": r.rated_on.isoformat(),
            "case": {"id": case.id, "status": case.status} if case else None,
            "excluded": r.excluded_at is not None, "excluded_reason": r.excluded_reason,
            "follow_up_of_id": r.follow_up_of_id,
            "contact": r.contact or None if r.score <= 2 else None,
        }
        assert item["created_at"].endswith("+08:00")


def test_ratings_list_shows_no_rater_identity(client, data):
    c = data.c
    text = client.get(RATINGS, headers=data.world.bureau_headers, query_string={"page_size": 100}).get_data(as_text=True)
    for secret in ("rater-secret", "rater_key", "wechat_user", "openid", data.world.citizen.openid, f"wx:{data.world.citizen.id}",
                   "qr_code"):
        assert secret not in text
    items = {i["id"]: i for i in list_all(client, data.world.bureau_headers, unit_id=c.unit.id)}
    assert items[c.early.id]["contact"] == "13900002222"
    assert items[c.good_with_contact.id]["contact"] is None
    assert items[c.late.id]["contact"] is None


def test_unit_admin_lists_only_their_units_ratings(client, data):
    a, b = data.a, data.b
    own = list_all(client, data.world.b_headers)
    assert own and {i["unit_id"] for i in own} == {b.unit.id}
    for query in ({"unit_id": a.unit.id}, {"window_id": a.window.id}, {"member_id": a.member.id}):
        answer = get(client, RATINGS, data.world.b_headers, **query)
        assert (answer["items"], answer["total"]) == ([], 0)


def test_every_endpoint_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in (STATS, RANKINGS, RATINGS):
        operation = spec["paths"][path]["get"]
        assert operation["summary"] and {"200", "401", "403", "422"} <= set(operation["responses"])
    assert "composite_score" in json.dumps(spec["components"]["schemas"]["Rankings"])


# --- the local hour on a zone with daylight saving (SQLite has no zone database) ---

def test_local_hours_follow_daylight_saving(app, client, world):
    """Europe/Berlin leaves summer time at 03:00 on 2026-10-25: 00:30 UTC is 02:30 before, 01:30 UTC is 02:30 after."""
    app.config["TZ_NAME"] = "Europe/Berlin"
    berlin = ZoneInfo("Europe/Berlin")
    world.a.member.code = issue_code("badge", world.a.member)
    rows = Rows()
    instants = [dt.datetime(2026, 10, 24, 22, 30, tzinfo=UTC), dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
                dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC), dt.datetime(2026, 10, 25, 2, 30, tzinfo=UTC),
                dt.datetime(2026, 10, 31, 23, 30, tzinfo=UTC), dt.datetime(2026, 10, 20, 12, 0, tzinfo=UTC)]
    for at in instants:
        rating = rows.rating(world.a.member, at, 5)
        rating.rated_on = at.astimezone(berlin).date()
    db.session.commit()
    answer = get(client, STATS, world.bureau_headers, **{"from": "2026-10-20", "to": "2026-11-01"})
    expected = [0] * 24
    grid = [[0] * 24 for _ in range(7)]
    for at in instants:
        local_at = at.astimezone(berlin)
        expected[local_at.hour] += 1
        grid[local_at.weekday()][local_at.hour] += 1
    assert [h["ratings"] for h in answer["by_hour"]] == expected
    assert answer["by_weekday_hour"] == grid
    assert expected[2] == 2  # 02:30 twice: once in summer time, once after the clocks went back


def test_offset_segments_find_the_change_to_the_second():
    berlin = ZoneInfo("Europe/Berlin")
    start, end = dt.datetime(2026, 10, 1, tzinfo=UTC), dt.datetime(2026, 11, 1, tzinfo=UTC)
    assert services._utc_offsets(berlin, start, end) == [(dt.datetime(2026, 10, 25, 1, 0, tzinfo=UTC), 120), (None, 60)]
    assert services._utc_offsets(ZONE, start, end) == [(None, 480)]
