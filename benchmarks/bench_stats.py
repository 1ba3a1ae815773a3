"""Benchmark: the figures (GET /admin/stats) and the hours workbook on 1 M ratings and 1 M shifts,
each beside a hand-written SQL GROUP BY of the same figures (whose answers must be equal).

Run: scripts/bench stats   (or .venv/bin/python -m benchmarks.bench_stats --db sqlite,postgres)

For each database (a SQLite file; PostgreSQL in a throwaway cluster started here) the data
comes from benchmarks.generate_data (same seed, same rows), then every request goes through
the API in-process (Flask's test client, as the bureau admin or a unit admin) REPEAT times:

- stats of the bureau and of one unit, the last 30 days and a full year (366 days);
- the rankings (this month) and page 50 of the bureau's ratings list;
- the xlsx export of approved hours: the bureau's last 30 days, one unit's full year.

Beside each: the same figures from plain SQL written by hand (one GROUP BY per figure family:
ratings by day, local hour and score; tags of the zeros; cases; minutes; for the workbook the
shifts and minutes per member), timed the same way. Printed: p50 ms of both, the ratio, and
the goal of issue 8 (stats ≤ 200 ms and ≤ 2 × the hand-written SQL). ``--explain`` adds the
query plans of the stats of the bureau over a year.
"""
import argparse
import datetime as dt
import io
import os
import platform
import shutil
import signal
import statistics
import sys
import time
from types import SimpleNamespace
from unittest import mock

from flask import g, request_started
from sqlalchemy import event, text

from benchmarks import generate_data
from benchmarks.common import databases_arg, new_workdir
from benchmarks.pg import throwaway_cluster
from server.config import database_url
from server.extensions import db

STATS_GOAL_MS = 200
STATS_GOAL_RATIO = 2.0
LOCAL_OFFSET_HOURS = 8  # Asia/Shanghai has no daylight saving: local = UTC + 8 h all year.


# --- The hand-written SQL ---

def hand_hour(dialect):
    if dialect == "postgresql":
        return f"CAST(EXTRACT(HOUR FROM created_at + INTERVAL '{LOCAL_OFFSET_HOURS} hours') AS INTEGER)"
    return f"CAST(strftime('%H', created_at, '+{LOCAL_OFFSET_HOURS} hours') AS INTEGER)"


def hand_stats(dialect, unit_id, first, last, now):
    """The figures of GET /admin/stats by plain SQL: {"ratings", "distribution", "by_day", "by_hour", cases…, hours…, zeros}."""
    start = dt.datetime.combine(first, dt.time()) - dt.timedelta(hours=LOCAL_OFFSET_HOURS)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time()) - dt.timedelta(hours=LOCAL_OFFSET_HOURS)
    now = now.astimezone(dt.timezone.utc).replace(tzinfo=None)
    unit = "AND unit_id = :unit" if unit_id else ""
    params = {"first": first, "last": last, "unit": unit_id, "start": start, "end": end, "now": now,
              "due_end": min(end, now)}
    if dialect == "sqlite":  # SQLAlchemy stores SQLite datetimes as text in this format
        params.update({k: params[k].strftime("%Y-%m-%d %H:%M:%S.%f") for k in ("start", "end", "now", "due_end")})
        params.update({k: params[k].isoformat() for k in ("first", "last")})
    counted = f"rated_on BETWEEN :first AND :last AND excluded_at IS NULL AND follow_up_of_id IS NULL {unit}"
    rows = db.session.execute(text(
        f"SELECT rated_on, {hand_hour(dialect)} AS hour, score, count(*) FROM rating WHERE {counted} "
        "GROUP BY rated_on, hour, score"), params).all()
    elements = ("json_array_elements_text(tags) AS t(value)" if dialect == "postgresql" else "json_each(tags) AS t")
    tag_rows = db.session.execute(text(
        f"SELECT coalesce(window_id, 0), t.value, count(*) FROM rating, {elements} WHERE {counted} "
        "AND t.value IN ('投诉', '推诿', '出错') GROUP BY 1, 2"), params).all()
    case_unit = "AND c.unit_id = :unit" if unit_id else ""
    cases = db.session.execute(text(
        "SELECT"
        " sum(CASE WHEN c.due_resolve_at >= :start AND c.due_resolve_at < :due_end THEN 1 ELSE 0 END),"
        " sum(CASE WHEN c.due_resolve_at >= :start AND c.due_resolve_at < :due_end AND c.status = 'resolved'"
        "          AND c.resolved_at <= c.due_resolve_at THEN 1 ELSE 0 END),"
        " sum(CASE WHEN c.status <> 'resolved' THEN 1 ELSE 0 END),"
        " sum(CASE WHEN (c.status = 'open' AND c.due_contact_at < :now)"
        "           OR (c.status <> 'resolved' AND c.due_resolve_at < :now) THEN 1 ELSE 0 END)"
        " FROM \"case\" c JOIN rating r ON r.id = c.rating_id"
        f" WHERE r.excluded_at IS NULL {case_unit}"
        "  AND ((c.due_resolve_at >= :start AND c.due_resolve_at < :due_end) OR c.status <> 'resolved')"), params).one()
    minutes = db.session.execute(text(
        "SELECT sum(CASE WHEN status = 'approved' THEN credited_minutes END),"
        " sum(CASE WHEN status = 'pending' THEN minutes END)"
        f" FROM shift WHERE started_at >= :start AND started_at < :end {unit}"), params).one()
    return figures_of(rows, tag_rows, cases, minutes)


def figures_of(rows, tag_rows, cases, minutes):
    distribution = {str(s): 0 for s in range(1, 6)}
    by_day, by_hour = {}, [0] * 24
    for day, hour, score, count in rows:
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(day)
        distribution[str(score)] += count
        by_day[day.isoformat()] = by_day.get(day.isoformat(), 0) + count
        by_hour[int(hour)] += count
    bad = distribution["1"] + distribution["2"]
    tagged = {tag for _, tag, _ in tag_rows}
    return {
        "ratings": sum(distribution.values()), "distribution": distribution, "by_day": by_day, "by_hour": by_hour,
        "cases_due": int(cases[0] or 0), "cases_on_time": int(cases[1] or 0), "cases_open": int(cases[2] or 0),
        "cases_overdue": int(cases[3] or 0),
        "hours_approved": round(int(minutes[0] or 0) / 60, 2), "hours_pending": round(int(minutes[1] or 0) / 60, 2),
        "zeros": {"zero_complaints": "投诉" not in tagged and not bad, "zero_shirking": "推诿" not in tagged,
                  "zero_errors": "出错" not in tagged},
    }


def api_figures(answer):
    """The same figures out of the API's answer."""
    return {
        "ratings": answer["ratings"], "distribution": answer["distribution"],
        "by_day": {d["date"]: d["ratings"] for d in answer["by_day"] if d["ratings"]},
        "by_hour": [h["ratings"] for h in answer["by_hour"]],
        **{k: answer[k] for k in ("cases_due", "cases_on_time", "cases_open", "cases_overdue",
                                  "hours_approved", "hours_pending")},
        "zeros": {k: answer["zeros"][k] for k in ("zero_complaints", "zero_shirking", "zero_errors")},
    }


def hand_export(dialect, unit_id, first, last):
    """{member name: (shifts, hours)} of the workbook's summary sheet by plain SQL (approved shifts, credited minutes)."""
    start = dt.datetime.combine(first, dt.time()) - dt.timedelta(hours=LOCAL_OFFSET_HOURS)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time()) - dt.timedelta(hours=LOCAL_OFFSET_HOURS)
    params = {"start": start, "end": end, "unit": unit_id}
    if dialect == "sqlite":
        params.update({k: params[k].strftime("%Y-%m-%d %H:%M:%S.%f") for k in ("start", "end")})
    unit = "AND s.unit_id = :unit" if unit_id else ""
    rows = db.session.execute(text(
        "SELECT m.name, count(*), sum(coalesce(s.credited_minutes, 0)) FROM shift s JOIN member m ON m.id = s.member_id"
        f" WHERE s.status = 'approved' AND s.started_at >= :start AND s.started_at < :end {unit}"
        " GROUP BY m.id, m.name"), params).all()
    return {name: (count, round(int(minutes) / 60, 2)) for name, count, minutes in rows}


def workbook_summary(data):
    """{member name: (shifts, hours)} read back from the workbook's summary sheet."""
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    return {row[0]: (row[3], round(float(row[4]), 2)) for row in rows}


# --- Timing ---

def p50(call, repeat):
    call()  # warm: plans, caches
    samples = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), result


def bench_database(label, url, options):
    from server.auth import tokens
    from server.stats import services

    app = generate_data.bench_app(url)
    # The requests run inside this long-lived app context: give each its own ``g`` (caller identity).
    request_started.connect(lambda sender, **extra: g.pop("identity", None), app, weak=False)
    results = []
    now = dt.datetime.now(dt.timezone.utc)
    # Every figure is taken as of one instant, so the API's and the hand-written deadlines agree.
    with app.app_context(), mock.patch.object(services, "utcnow", lambda: now):
        generate_data.create_schema()
        print(f"\n=== {label}: {options.ratings:,} ratings, {options.shifts:,} shifts ===", flush=True)
        b = generate_data.generate(options.ratings, options.shifts, seed=options.seed, now=now)
        dialect = db.engine.dialect.name
        client = app.test_client()

        def headers(admin_id):
            return {"Authorization": f"Bearer {tokens.issue('admin', SimpleNamespace(id=admin_id, token_version=1))[0]}"}

        bureau, unit_id = headers(b.bureau_admin), b.units[0]
        unit_admin = headers(b.unit_admins[unit_id])
        today = services.local_today()
        month, year = (today - dt.timedelta(days=29), today), (today - dt.timedelta(days=365), today)

        def get(path, who, query):
            response = client.get(path, headers=who, query_string=query)
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
            return response

        for name, who, unit, (first, last) in (("stats, bureau, 30 days", bureau, None, month),
                                               ("stats, bureau, 366 days", bureau, None, year),
                                               ("stats, one unit, 30 days", unit_admin, unit_id, month),
                                               ("stats, one unit, 366 days", unit_admin, unit_id, year)):
            query = {"from": first.isoformat(), "to": last.isoformat()}
            api_ms, response = p50(lambda: get("/api/v1/admin/stats", who, query), options.repeat)
            hand_ms, hand = p50(lambda: hand_stats(dialect, unit, first, last, now), options.repeat)
            same = api_figures(response.get_json()) == hand
            if not same:
                mismatch = {k: (v, hand[k]) for k, v in api_figures(response.get_json()).items() if hand[k] != v}
                print(f"  MISMATCH {name}: {str(mismatch)[:600]}")
            results.append((name, label, api_ms, hand_ms, same, True))
            print(f"  {name:34} API {api_ms:8.1f} ms   hand SQL {hand_ms:8.1f} ms   equal: {same}", flush=True)
        for name, path, query in (("rankings, this month", "/api/v1/admin/rankings", {}),
                                  ("ratings list, bureau, page 50", "/api/v1/admin/ratings", {"page": 50})):
            api_ms, _ = p50(lambda: get(path, bureau, query), options.repeat)
            results.append((name, label, api_ms, None, None, False))
            print(f"  {name:34} API {api_ms:8.1f} ms", flush=True)
        for name, who, unit, (first, last) in (("xlsx export, bureau, 30 days", bureau, None, month),
                                               ("xlsx export, one unit, 366 days", unit_admin, unit_id, year)):
            query = {"from": first.isoformat(), "to": last.isoformat(), **({"unit_id": unit} if unit else {})}
            api_ms, response = p50(lambda: get("/api/v1/admin/hours/export.xlsx", who, query),
                                   max(1, options.repeat // 2))
            hand_ms, hand = p50(lambda: hand_export(dialect, unit, first, last), options.repeat)
            summary = workbook_summary(response.data)
            same = summary == hand
            shifts = sum(count for count, _ in hand.values())
            results.append((f"{name} ({shifts:,} shifts)", label, api_ms, hand_ms, same, False))
            print(f"  {name:34} API {api_ms:8.1f} ms   hand SQL {hand_ms:8.1f} ms   equal: {same} "
                  f"({shifts:,} shifts, {len(response.data) / 1e6:.1f} MB)", flush=True)
        if options.explain:
            explain(app, year, services)
        db.session.remove()
        db.engine.dispose()
    return results


def explain(app, period, services):
    """The plan of every rating query GET /admin/stats runs for the bureau over ``period``."""
    captured = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    postgres = db.engine.dialect.name == "postgresql"
    with app.test_request_context(), mock.patch.object(services, "walled_unit_id", lambda: None):
        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            services.stats({"from_": period[0], "to": period[1], "unit_id": None})
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
        print("\n  Query plans, stats of the bureau, 366 days:")
        cursor = db.session.connection().connection.cursor()
        for statement, parameters in captured:
            print("    " + " ".join(statement.split())[:120] + " …")
            cursor.execute(("EXPLAIN (ANALYZE, COSTS OFF) " if postgres else "EXPLAIN QUERY PLAN ") + statement,
                           parameters)
            for row in cursor.fetchall():
                print("        " + str(row[-1]))


def print_table(results, options):
    print(f"\nRed Station figures benchmark — {dt.date.today()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {options.ratings:,} ratings, {options.shifts:,} shifts, "
          f"p50 of {options.repeat}\n")
    header = ("request", "DB", "API ms", "SQL ms", "ratio", "equal", "goal")
    widths = (46, 8, 8, 8, 6, 5, 16)
    print("| " + " | ".join(f"{h:{w}}" for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    met = True
    for name, database, api_ms, hand_ms, same, goal in results:
        verdict = ""
        if goal:
            ok = api_ms <= STATS_GOAL_MS and api_ms <= STATS_GOAL_RATIO * hand_ms and same
            met &= ok
            verdict = f"≤200, ≤2× {'ok' if ok else 'MISSED'}"
        cells = (name, database, f"{api_ms:.0f}", "" if hand_ms is None else f"{hand_ms:.0f}",
                 "" if hand_ms is None else f"{api_ms / hand_ms:.1f}×", "" if same is None else ("yes" if same else "NO"),
                 verdict)
        print("| " + " | ".join(f"{c:{w}}" for c, w in zip(cells, widths)) + " |")
    return met and all(same is not False for *_, same, _ in results)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both (comma-separated)")
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--shifts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--explain", action="store_true", help="print the query plans of the year's bureau stats")
    parser.add_argument("--workdir", help="where the SQLite file goes (default: a new /tmp/red-station-bench.*)")
    options = parser.parse_args()
    databases = databases_arg(options.db)
    workdir = new_workdir(options.workdir)
    results = []
    try:
        for database in databases:
            if database == "sqlite":
                results += bench_database(database, f"sqlite:///{workdir}/big.sqlite3", options)
            else:
                with throwaway_cluster() as raw_url:
                    results += bench_database(database, database_url(raw_url), options)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    met = print_table(results, options)
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    # A kill (TERM) unwinds like Ctrl-C, so the throwaway cluster and the servers are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    main()
