"""The figures of PRODUCT.md "Satisfaction figures", computed by the database.

The figures of the bureau, a unit or a window come from the daily tallies (rating_tally,
shift_tally: server/stats/tallies.py keeps them with every write), a few rows per unit and day
whatever the ratings and shifts number; a member's from their own ratings and shifts, a few
hundred a year, by index. Either way every figure is a GROUP BY in the database: no rating row
travels into Python.

What counts:
- a rating counts unless a bureau admin excluded it (``excluded_at``) or it is a follow-up
  rating (追评, ``follow_up_of_id``): the original rating already counted;
- a case counts unless its rating was excluded;
- days are the bureau's local days (``Rating.rated_on``), hours local hours of ``created_at``
  (stored in UTC), both in TZ_NAME.
"""
import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import and_, case, func, or_, select

from server import messages
from server.auth.walls import walled_select, walled_unit_id
from server.cases.services import admin_rating_view, overdue
from server.errors import field_error
from server.extensions import db
from server.models import (CASE_STATUSES, TALLY_HOURS, TALLY_TAGS, Case, Member, Rating, Shift, Unit, UTCDateTime,
                           Window, rating_tally, shift_tally, utcnow)
from server.ratings.targets import describe_targets
from server.schemas import local_zone
from server.stats.tallies import UNIT_TOTAL
from server.shifts.hours import counted_minutes

SCORES = (1, 2, 3, 4, 5)
BAD_SCORES = (1, 2)
SATISFIED_SCORES = (3, 4, 5)
GOOD_SCORES = (4, 5)
DEFAULT_DAYS = 30
MAX_DAYS = 366
ONE_DAY = dt.timedelta(days=1)
RATE_DIGITS = 4
# The composite score of the rankings (比学赶超): 100 × the weighted sum of these rates.
COMPOSITE_WEIGHTS = {"satisfaction_rate": 0.5, "good_rate": 0.2, "case_close_rate": 0.3}
ONE, ZERO = sa.literal_column("1"), sa.literal_column("0")
UNRESOLVED_CASE = tuple(status for status in CASE_STATUSES if status != "resolved")


# --- The period and the scope asked about ---

@dataclass(frozen=True)
class Period:
    """Local days ``first`` to ``last``, both inclusive, in the bureau's time zone."""

    first: dt.date
    last: dt.date

    @property
    def days(self):
        return [self.first + n * ONE_DAY for n in range((self.last - self.first).days + 1)]

    def bounds(self):
        """The period as UTC instants [start, end): local midnight of ``first`` to after ``last``."""
        zone = local_zone()
        start = dt.datetime.combine(self.first, dt.time(), zone)
        end = dt.datetime.combine(self.last + ONE_DAY, dt.time(), zone)
        return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)


def local_today():
    """Today in the bureau's time zone."""
    return utcnow().astimezone(local_zone()).date()


def check_order(first, last):
    """422 on "to" when the period ends before it starts."""
    if first is not None and last is not None and last < first:
        raise field_error("to", messages.PERIOD_REVERSED)


def period_from_args(args, default="last_30_days"):
    """The period of ``from``/``to``; missing ends default to today and the last 30 days (or this month)."""
    first, last = args.get("from_"), args.get("to")
    if last is None:
        last = local_today()
    if first is None:
        first = last.replace(day=1) if default == "this_month" else last - (DEFAULT_DAYS - 1) * ONE_DAY
    check_order(first, last)
    if (last - first).days + 1 > MAX_DAYS:
        raise field_error("from", messages.PERIOD_TOO_LONG.format(days=MAX_DAYS))
    return Period(first, last)


@dataclass(frozen=True)
class Scope:
    """Whose figures: a unit (None: every unit, bureau admins only), narrowed to a window or a member."""

    unit_id: int | None = None
    window_id: int | None = None
    member_id: int | None = None


def _visible(model, object_id, field, missing_message, unit_id=None):
    """The object the caller may see, in ``unit_id`` when given; else 422 naming ``field``.

    The same answer as writable_unit gives for another unit's id, so ids reveal nothing.
    """
    obj = db.session.get(model, object_id)
    walled = walled_unit_id()
    if obj is None or (walled is not None and obj.unit_id != walled):
        raise field_error(field, missing_message)
    if unit_id is not None and obj.unit_id != unit_id:
        raise field_error(field, messages.NOT_IN_UNIT)
    return obj


def scope_from_args(args):
    """The Scope of ``unit_id``/``window_id``/``member_id`` behind the unit wall; a unit admin gets their unit."""
    unit_id = args.get("unit_id")
    if unit_id is not None:
        _visible(Unit, unit_id, "unit_id", messages.UNIT_NOT_FOUND)
    else:
        unit_id = walled_unit_id()
    if args.get("window_id") is not None:
        _visible(Window, args["window_id"], "window_id", messages.WINDOW_NOT_FOUND, unit_id)
    if args.get("member_id") is not None:
        _visible(Member, args["member_id"], "member_id", messages.MEMBER_NOT_FOUND, unit_id)
    return Scope(unit_id, args.get("window_id"), args.get("member_id"))


# --- SQL building blocks ---

def _dialect():
    """The database's dialect name: sqlite or postgresql."""
    return db.session.get_bind().dialect.name


def _count_where(condition):
    """SQL: how many rows of the group meet ``condition`` (0, not NULL, for none)."""
    return func.coalesce(func.sum(case((condition, ONE), else_=ZERO)), 0)


def rating_sums():
    """Aggregate columns: ratings, and s1–s5 (ratings at each of the five levels)."""
    return [func.count().label("ratings"), *(_count_where(Rating.score == score).label(f"s{score}") for score in SCORES)]


def from_tallies(scope):
    """Whether the figures of ``scope`` come from the daily tallies: all but a member's, whose
    few ratings and shifts are read by index (the tallies do not go down to members)."""
    return scope.member_id is None


def _tally_sum(column):
    return func.coalesce(func.sum(column), 0)


def tallied_ratings(scope, period, by_window=False):
    """WHERE clauses of the rating_tally rows of ``scope`` (not a member's) in ``period``: the
    units' total rows (a window's own rows when the scope is a window), or with ``by_window``
    the rows of each window and of the badges."""
    clauses = [rating_tally.c.rated_on.between(period.first, period.last)]
    if scope.unit_id is not None:
        clauses.append(rating_tally.c.unit_id == scope.unit_id)
    if scope.window_id is not None:
        clauses.append(rating_tally.c.window_id == scope.window_id)
    elif by_window:
        clauses.append(rating_tally.c.window_id != UNIT_TOTAL)
    else:
        clauses.append(rating_tally.c.window_id == UNIT_TOTAL)
    return clauses


def rating_sums_by(scope, period, key):
    """{key value: row of rating_sums()} for the counted ratings of ``scope`` in ``period``,
    grouped by ``key`` ("unit_id" or "window_id"; a window_id of None for ratings of badges)."""
    if from_tallies(scope):
        column = rating_tally.c[key]
        query = select(column.label("key"), *(_tally_sum(rating_tally.c[name]).label(name) for name in SUM_KEYS)
                       ).where(*tallied_ratings(scope, period, by_window=key == "window_id"))
    else:
        column = getattr(Rating, key)
        query = select(column.label("key"), *rating_sums()).where(*counted_ratings(scope, period))
    return {row["key"] or None: row for row in db.session.execute(query.group_by(column)).mappings()}


def zero_tag_counts(scope, period):
    """{(window_id, tag): ratings} for the tags that break a zero; window_id is None for badges."""
    if from_tallies(scope):
        query = (select(rating_tally.c.window_id, *(_tally_sum(rating_tally.c[column]) for column in TALLY_TAGS.values()))
                 .where(*tallied_ratings(scope, period, by_window=True)).group_by(rating_tally.c.window_id))
        return {(row[0] or None, tag): count for row in db.session.execute(query)
                for tag, count in zip(messages.ZERO_TAGS.values(), row[1:]) if count}
    return _zero_tag_counts_of_ratings(counted_ratings(scope, period))


def _zero_tag_counts_of_ratings(where):
    """zero_tag_counts from the ratings themselves (a member's).

    The tags are a JSON list, read element by element with each database's JSON functions
    (SQLite json_each, PostgreSQL json_array_elements_text) rather than a LIKE on the stored
    text, whose escaping ("\\u63a8" or "推") depends on the serializer that wrote it. One join
    for all three tags. A rating without tags (stored as the text "[]") is passed over before
    its JSON is parsed: over a year of ratings the parsing is most of the query's time.
    """
    where = [*where, sa.cast(Rating.tags, sa.Text) != "[]"]
    if _dialect() == "postgresql":
        elements = func.json_array_elements_text(Rating.tags).table_valued("value")
        # A JSON scalar (e.g. null) has no elements to extract: PostgreSQL would raise.
        where = [*where, func.json_typeof(Rating.tags) == "array"]
    else:
        elements = func.json_each(Rating.tags).table_valued("value")
    # Grouped by an expression of window_id, not the column: SQLite would otherwise walk the
    # whole window_id index for its order instead of the period's range of days.
    window = func.coalesce(Rating.window_id, 0)
    query = (select(window, elements.c.value, func.count())
             .select_from(Rating).join(elements, sa.true())
             .where(*where, elements.c.value.in_(tuple(messages.ZERO_TAGS.values())))
             .group_by(window, elements.c.value))
    return {(window_id or None, tag): count for window_id, tag, count in db.session.execute(query)}


def zeros_of(bad, tagged):
    """The three zeros from the count of ratings of 1–2 and ``tagged(tag)``, the ratings carrying a tag."""
    return {zero: not tagged(tag) and not (zero == "zero_complaints" and bad) for zero, tag in messages.ZERO_TAGS.items()}


def counted_ratings(scope, period):
    """WHERE clauses of the ratings that count for ``scope`` in ``period``."""
    clauses = [Rating.rated_on.between(period.first, period.last),
               Rating.excluded_at.is_(None), Rating.follow_up_of_id.is_(None)]
    for column, value in ((Rating.unit_id, scope.unit_id), (Rating.window_id, scope.window_id),
                          (Rating.member_id, scope.member_id)):
        if value is not None:
            clauses.append(column == value)
    return clauses


def _utc_offsets(zone, start, end):
    """[(until, minutes), …]: the zone's UTC offset over [start, end) and the instants it changes.

    One entry for a zone without daylight saving (Asia/Shanghai); found by sampling every six
    hours and bisecting to the second where the offset moves.
    """
    def offset(at):
        return int(at.astimezone(zone).utcoffset().total_seconds()) // 60

    step = dt.timedelta(hours=6)
    segments, at, current = [], start, offset(start)
    while at < end:
        ahead = min(at + step, end)
        if offset(ahead) == current:
            at = ahead
            continue
        low, high = 0, int((ahead - at).total_seconds())
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if offset(at + dt.timedelta(seconds=middle)) == current else (low, middle)
        at += dt.timedelta(seconds=high)
        segments.append((at, current))
        current = offset(at)
    segments.append((None, current))
    return segments


def local_hour(column, period):
    """SQL: the hour (0–23) in the bureau's zone of a UTC timestamp column, over ``period``.

    Plain arithmetic on the stored UTC hour and minute with the zone's offset (its changes
    over the period found by _utc_offsets), the same on SQLite, which has no zone database,
    and PostgreSQL, whose per-row zone conversion (AT TIME ZONE) would cost as much as the
    rest of the aggregate.
    """
    if _dialect() == "postgresql":
        utc_hour = sa.cast(sa.extract("hour", column), sa.Integer)
        utc_minute = sa.cast(sa.extract("minute", column), sa.Integer)
    else:
        # SQLAlchemy stores SQLite datetimes as text: "2026-11-20 15:30:00.000000".
        utc_hour = sa.cast(func.substr(column, 12, 2), sa.Integer)
        utc_minute = sa.cast(func.substr(column, 15, 2), sa.Integer)

    def shifted(minutes):
        if minutes % 60 == 0:
            return (utc_hour + (minutes // 60 + 24)) % 24
        return (utc_hour * 60 + utc_minute + (minutes + 1440)) % 1440 // 60

    start, end = period.bounds()
    segments = _utc_offsets(local_zone(), start, end)
    if len(segments) == 1:
        return shifted(segments[0][1])
    whens = [(column < sa.literal(until, UTCDateTime), shifted(minutes)) for until, minutes in segments[:-1]]
    return case(*whens, else_=shifted(segments[-1][1]))


def rate(part, total):
    """part / total rounded to four places; None (not 0) when there is nothing to divide."""
    return round(part / total, RATE_DIGITS) if total else None


def rating_figures(sums):
    """The five-level distribution and the three rates from one row of rating_sums()."""
    total = sums["ratings"]
    distribution = {str(score): int(sums[f"s{score}"]) for score in SCORES}

    def share(scores):
        return rate(sum(distribution[str(score)] for score in scores), total)

    return {
        "ratings": total, "distribution": distribution,
        "satisfaction_rate": share(SATISFIED_SCORES), "good_rate": share(GOOD_SCORES), "bad_rate": share(BAD_SCORES),
    }


def meets_goal(distribution, total):
    """Whether the (unrounded) satisfaction rate reaches the bureau's goal; None without ratings."""
    if not total:
        return None
    satisfied = sum(distribution[str(score)] for score in SATISFIED_SCORES)
    return satisfied / total >= current_app.config["SATISFACTION_GOAL"]


# --- Cases and hours ---

def case_rows(scope, start, end, by_unit=False):
    """Sums of the cases of ``scope`` (per unit when ``by_unit``): cases_due, cases_on_time, cases_open, cases_overdue.

    Due: the answer deadline fell in [start, end) — and has passed: a deadline still ahead
    would lower the close rate of the current period for cases that may well be answered in
    time. Open and overdue are the backlog now, whatever the period (overdue by server.cases'
    rule: past the contact deadline uncontacted, or past the answer deadline). Only cases due
    in the period or unresolved are read.
    """
    now = utcnow()
    due = and_(Case.due_resolve_at >= start, Case.due_resolve_at < min(end, now))
    unresolved = Case.status.in_(UNRESOLVED_CASE)
    on_time = and_(due, Case.status == "resolved", Case.resolved_at <= Case.due_resolve_at)
    columns = [_count_where(due).label("cases_due"), _count_where(on_time).label("cases_on_time"),
               _count_where(unresolved).label("cases_open"), _count_where(overdue(Case, now)).label("cases_overdue")]
    # Subqueries, not a join: a join to every rating tempts the planner into reading the whole table.
    clauses = [or_(due, unresolved), Case.rating_id.not_in(select(Rating.id).where(Rating.excluded_at.is_not(None)))]
    if scope.unit_id is not None:
        clauses.append(Case.unit_id == scope.unit_id)
    for column, value in ((Rating.window_id, scope.window_id), (Rating.member_id, scope.member_id)):
        if value is not None:
            clauses.append(Case.rating_id.in_(select(Rating.id).where(column == value)))
    query = select(*([Case.unit_id] if by_unit else []), *columns).where(*clauses)
    if by_unit:
        query = query.group_by(Case.unit_id)
    return db.session.execute(query).mappings().all()


def case_figures(sums):
    """The case figures, with the close rate, from one row of case_rows()."""
    due, on_time = int(sums["cases_due"]), int(sums["cases_on_time"])
    return {"cases_due": due, "cases_on_time": on_time, "case_close_rate": rate(on_time, due),
            "cases_open": int(sums["cases_open"]), "cases_overdue": int(sums["cases_overdue"])}


def minutes_rows(scope, period, by_unit=False, months=()):
    """Approved and pending minutes of the shifts of ``scope`` started in ``period`` (local days):
    per unit when ``by_unit``; per month when ``months`` (their first days, oldest first) is
    given, as "month", the index of the shift's month in ``months``.

    From the daily tallies; a member's from their shifts. A window does not narrow them:
    shifts are at volunteer posts, not at windows.
    """
    if from_tallies(scope):
        columns = [_tally_sum(shift_tally.c[status]).label(status) for status in ("approved", "pending")]
        clauses = [shift_tally.c.started_on.between(period.first, period.last)]
        unit, started, month_edge = shift_tally.c.unit_id, shift_tally.c.started_on, lambda first: first
    else:
        minutes = counted_minutes()
        columns = [func.coalesce(func.sum(case((Shift.status == status, minutes))), 0).label(status)
                   for status in ("approved", "pending")]
        start, end = period.bounds()
        clauses = [Shift.status.in_(("approved", "pending")), Shift.started_at >= start, Shift.started_at < end]
        if scope.member_id is not None:
            clauses.append(Shift.member_id == scope.member_id)
        unit, started = Shift.unit_id, Shift.started_at
        month_edge = lambda first: Period(first, first).bounds()[0]  # noqa: E731
    if scope.unit_id is not None:
        clauses.append(unit == scope.unit_id)
    keys = [unit] if by_unit else []
    if months:
        keys.append(case(*((started < month_edge(first), index) for index, first in enumerate(months[1:])),
                         else_=len(months) - 1).label("month"))
    query = select(*keys, *columns).where(*clauses)
    if keys:
        query = query.group_by(*keys)
    return db.session.execute(query).mappings().all()


def hours(minutes):
    """Minutes as hours, to two places."""
    return round(int(minutes) / 60, 2)


# --- GET /admin/stats ---

def stats(args):
    """Every figure of one unit (or the bureau) over a period; see StatsSchema for each."""
    period = period_from_args(args)
    scope = scope_from_args(args)
    start, end = period.bounds()

    totals, days, grid = ratings_by_day_and_hour(scope, period)
    figures = rating_figures(totals)
    tags = zero_tag_counts(scope, period)

    cases = case_rows(scope, start, end)[0]
    minutes = minutes_rows(scope, period)[0]

    return {
        "unit_id": scope.unit_id, "window_id": scope.window_id, "member_id": scope.member_id,
        "from_": period.first, "to": period.last,
        **figures,
        "goal": current_app.config["SATISFACTION_GOAL"],
        "meets_goal": meets_goal(figures["distribution"], figures["ratings"]),
        **case_figures(cases),
        "zeros": {**zeros_of(totals["s1"] + totals["s2"], lambda tag: any(t == tag for _, t in tags)),
                  "windows": window_zeros(scope, period, tags)},
        "hours_approved": hours(minutes["approved"]), "hours_pending": hours(minutes["pending"]),
        "by_day": [_day_entry(day, days.get(day)) for day in period.days],
        "by_hour": [{"hour": h, "ratings": sum(grid[d][h] for d in range(7))} for h in range(24)],
        "by_weekday_hour": grid,
        **included_figures(args, scope, period),
    }


SUM_KEYS = ("ratings", *(f"s{score}" for score in SCORES))


def ratings_by_day_and_hour(scope, period):
    """The counted ratings by local day and hour: (totals, {day: sums}, 7 × 24 grid).

    The sums are those of rating_sums(); the grid counts ratings by weekday (Monday first) and
    local hour. One row a day from the tallies (the hours are columns); from a member's ratings,
    at most 24 a day.
    """
    if from_tallies(scope):
        rows = db.session.execute(
            select(rating_tally.c.rated_on.label("day"),
                   *(_tally_sum(rating_tally.c[name]).label(name) for name in (*SUM_KEYS, *TALLY_HOURS)))
            .where(*tallied_ratings(scope, period)).group_by(rating_tally.c.rated_on)).mappings()
        by_hour = lambda row: enumerate(row[name] for name in TALLY_HOURS)  # noqa: E731
    else:
        hour = local_hour(Rating.created_at, period).label("hour")
        rows = db.session.execute(
            select(Rating.rated_on.label("day"), hour, *rating_sums())
            .where(*counted_ratings(scope, period)).group_by(Rating.rated_on, hour)).mappings()
        by_hour = lambda row: [(row["hour"], row["ratings"])]  # noqa: E731
    totals, days = dict.fromkeys(SUM_KEYS, 0), {}
    grid = [[0] * 24 for _ in range(7)]
    for row in rows:
        day = days.setdefault(row["day"], dict.fromkeys(SUM_KEYS, 0))
        for key in SUM_KEYS:
            totals[key] += row[key]
            day[key] += row[key]
        for hour, count in by_hour(row):
            grid[row["day"].weekday()][hour] += count
    return totals, days, grid


def _day_entry(day, sums):
    """One day of by_day from its rating sums (None: no ratings that day)."""
    sums = sums or dict.fromkeys(SUM_KEYS, 0)

    def count(scores):
        return sum(sums[f"s{score}"] for score in scores)

    return {
        "date": day, "ratings": sums["ratings"],
        "satisfied": count(SATISFIED_SCORES), "good": count(GOOD_SCORES), "bad": count(BAD_SCORES),
        "satisfaction_rate": rate(count(SATISFIED_SCORES), sums["ratings"]),
    }


def window_zeros(scope, period, tags):
    """Per window of the scope, rated or not: its ratings and whether each zero held (none for a member)."""
    if scope.member_id is not None:
        return []
    sums = rating_sums_by(scope, period, "window_id")
    query = select(Window.id, Window.name, Window.unit_id)
    if scope.unit_id is not None:
        query = query.where(Window.unit_id == scope.unit_id)
    if scope.window_id is not None:
        query = query.where(Window.id == scope.window_id)
    windows = []
    for row in db.session.execute(query.order_by(Window.unit_id, Window.id)):
        found = sums.get(row.id)
        bad = sum(found[f"s{score}"] for score in BAD_SCORES) if found else 0
        windows.append({"window_id": row.id, "name": row.name, "unit_id": row.unit_id,
                        "ratings": found["ratings"] if found else 0,
                        **zeros_of(bad, lambda tag, window_id=row.id: tags.get((window_id, tag)))})
    return windows


# Figures GET /admin/stats gives only when asked (``include``): each costs a query of its own,
# hours_by_month one over a whole year of shifts, which the mini-program never needs.
INCLUDABLE = ("by_unit", "hours_by_month")


def included_figures(args, scope, period):
    """The figures of INCLUDABLE named in ``args["include"]``."""
    include = set(args.get("include") or ())
    figures = {}
    if "by_unit" in include:
        figures["by_unit"] = ratings_by_unit(scope, period)
    if "hours_by_month" in include:
        figures["hours_by_month"] = hours_by_month(scope, period)
    return figures


def ratings_by_unit(scope, period):
    """Satisfaction by unit: each unit of the scope, rated or not, with its ratings, distribution and rates.

    Every unit for the bureau; the scope's unit, or the unit of the window or member narrowed to.
    """
    sums = rating_sums_by(scope, period, "unit_id")
    units = select(Unit.id, Unit.name).order_by(Unit.id)
    if scope.unit_id is not None:
        units = units.where(Unit.id == scope.unit_id)
    for model, object_id in ((Window, scope.window_id), (Member, scope.member_id)):
        if object_id is not None:
            units = units.where(Unit.id == select(model.unit_id).where(model.id == object_id).scalar_subquery())
    no_ratings = dict.fromkeys(SUM_KEYS, 0)
    return [{"unit": {"id": unit_id, "name": name}, "unit_id": unit_id,
             **rating_figures(sums.get(unit_id, no_ratings))} for unit_id, name in db.session.execute(units)]


HOURS_MONTHS = 12


def month_firsts(last_day, count=HOURS_MONTHS):
    """The first days of the ``count`` calendar months up to the month of ``last_day``, oldest first."""
    year, month = last_day.year, last_day.month
    firsts = []
    for _ in range(count):
        firsts.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return firsts[::-1]


def hours_by_month(scope, period):
    """Approved and pending hours per local calendar month: the 12 months up to the period's last
    day (the last month ends with it, whatever ``from``), one query grouped by month."""
    firsts = month_firsts(period.last)
    lasts = [following - ONE_DAY for following in firsts[1:]] + [period.last]
    rows = {row["month"]: row for row in minutes_rows(scope, Period(firsts[0], period.last), months=firsts)}
    nothing = {"approved": 0, "pending": 0}
    return [{"month": f"{first:%Y-%m}", "first": first, "last": last,
             "hours_approved": hours(rows.get(index, nothing)["approved"]),
             "hours_pending": hours(rows.get(index, nothing)["pending"])}
            for index, (first, last) in enumerate(zip(firsts, lasts))]


# --- GET /admin/rankings ---

def composite_score(figures):
    """100 × the COMPOSITE_WEIGHTS sum of the rates; a unit with no case due counts as closing all."""
    if figures["satisfaction_rate"] is None:
        return None
    rates = {name: figures[name] for name in COMPOSITE_WEIGHTS}
    if rates["case_close_rate"] is None:
        rates["case_close_rate"] = 1.0
    return round(100 * sum(weight * rates[name] for name, weight in COMPOSITE_WEIGHTS.items()), 2)


def rankings(args):
    """Every unit's figures for the period, ranked by composite score (比学赶超); rank 1 holds the 流动红旗."""
    period = period_from_args(args, default="this_month")
    start, end = period.bounds()
    everyone = Scope()
    ratings_by_unit = rating_sums_by(everyone, period, "unit_id")
    cases_by_unit = {row["unit_id"]: row for row in case_rows(everyone, start, end, by_unit=True)}
    minutes_by_unit = {row["unit_id"]: row["approved"] for row in minutes_rows(everyone, period, by_unit=True)}
    no_ratings = dict.fromkeys(SUM_KEYS, 0)
    no_cases = dict.fromkeys(("cases_due", "cases_on_time", "cases_open", "cases_overdue"), 0)
    minimum = current_app.config["RANKING_MIN_RATINGS"]

    items = []
    for unit in db.session.scalars(select(Unit)):
        figures = {**rating_figures(ratings_by_unit.get(unit.id, no_ratings)),
                   **case_figures(cases_by_unit.get(unit.id, no_cases))}
        figures.pop("distribution")
        items.append({
            "unit": {"id": unit.id, "name": unit.name}, "unit_id": unit.id, "is_red_station": unit.is_red_station,
            **figures,
            "hours_approved": hours(minutes_by_unit.get(unit.id, 0)),
            "composite_score": composite_score(figures),
            "qualified": figures["ratings"] >= minimum,
        })
    items.sort(key=lambda item: (not item["qualified"], item["composite_score"] is None,
                                 -(item["composite_score"] or 0), -item["ratings"], item["unit_id"]))
    for position, item in enumerate(items, start=1):
        item["rank"] = position
        item["leader"] = position == 1 and item["qualified"]
    return {"from_": period.first, "to": period.last, "min_ratings": minimum,
            "weights": COMPOSITE_WEIGHTS, "items": items}


# --- GET /admin/ratings ---

def list_ratings(args):
    """SELECT of the ratings the caller may see, filtered, newest first."""
    check_order(args.get("from_"), args.get("to"))
    query = walled_select(Rating)
    for name in ("unit_id", "window_id", "member_id", "score"):
        if args.get(name) is not None:
            query = query.where(getattr(Rating, name) == args[name])
    if args.get("from_") is not None:
        query = query.where(Rating.rated_on >= args["from_"])
    if args.get("to") is not None:
        query = query.where(Rating.rated_on <= args["to"])
    return query.order_by(Rating.created_at.desc(), Rating.id.desc())


def rating_items(ratings):
    """The admins' view (server.cases) of a page of ratings, with unit and case; never who rated."""
    targets = describe_targets(ratings)
    ids = [rating.id for rating in ratings]
    cases = dict(db.session.execute(select(Case.rating_id, Case).where(Case.rating_id.in_(ids))).tuples().all()) if ids else {}
    items = []
    for rating in ratings:
        found = cases.get(rating.id)
        items.append({
            **admin_rating_view(rating, targets[rating.id]),
            "unit": targets[rating.id]["unit"], "unit_id": rating.unit_id, "rated_on": rating.rated_on,
            "case": {"id": found.id, "status": found.status} if found else None,
            "follow_up_of_id": rating.follow_up_of_id,
            # A contact is left only for a bad rating's follow-up call; never shown with any other.
            "contact": (rating.contact or None) if rating.score in BAD_SCORES else None,
        })
    return items
