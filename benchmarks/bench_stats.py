"""Benchmark: the figures (GET /admin/stats), rankings and the ratings list on many ratings.

Run: .venv/bin/python -m benchmarks.bench_stats [--ratings 100000] [--database-url URL]
Without --database-url the ratings go into a temporary SQLite file. Goal (issue #8): each
answer in ≤ 200 ms on 1 M ratings. Prints the query plans of the two heaviest queries.
"""
import argparse
import datetime as dt
import os
import random
import statistics
import tempfile
import time
from unittest import mock
from zoneinfo import ZoneInfo

from flask import g, request_started
from sqlalchemy import event, insert, select, text

from server import create_app
from server.auth import tokens
from server.auth.services import create_admin
from server.config import TestConfig
from server.extensions import db
from server.models import Case, Member, QrCode, Rating, Unit, Window
from server.stats import services

ZONE = ZoneInfo("Asia/Shanghai")
UNITS, WINDOWS_PER_UNIT, MEMBERS_PER_UNIT, DAYS = 40, 5, 20, 365
TAG_CHOICES = [[], [], [], ["热情"], ["高效", "专业"], ["推诿"], ["出错", "态度差"], ["投诉"]]


def fill(count, seed=1):
    """``count`` ratings over the last year across UNITS units, with a case for each bad one."""
    rng = random.Random(seed)
    units = [Unit(name=f"单位{n}", type="other") for n in range(UNITS)]
    db.session.add_all(units)
    db.session.flush()
    targets = []
    for unit in units:
        for n in range(WINDOWS_PER_UNIT):
            targets.append(Window(unit_id=unit.id, name=f"{unit.name}窗口{n}"))
        for n in range(MEMBERS_PER_UNIT):
            targets.append(Member(unit_id=unit.id, name=f"{unit.name}党员{n}"))
    db.session.add_all(targets)
    db.session.flush()
    codes = []
    for target in targets:
        kind = "window" if isinstance(target, Window) else "badge"
        codes.append(QrCode(kind=kind, token=f"t{kind}{target.id}", unit_id=target.unit_id,
                            window_id=target.id if kind == "window" else None,
                            member_id=target.id if kind == "badge" else None))
    db.session.add_all(codes)
    db.session.commit()
    start = dt.datetime.now(ZONE).replace(hour=0, minute=0, second=0, microsecond=0) - dt.timedelta(days=DAYS)
    batch, case_batch, next_id, now = [], [], 1, dt.datetime.now(dt.timezone.utc)
    # Ratings arrive in time order, so ids (and the table's pages) follow created_at, as in production.
    instants = sorted(start + dt.timedelta(seconds=rng.randrange(DAYS * 86400)) for _ in range(count))
    for n, at in enumerate(instants):
        code = codes[rng.randrange(len(codes))]
        score = rng.choices([1, 2, 3, 4, 5], [2, 2, 6, 30, 60])[0]
        batch.append({
            "id": next_id, "qr_code_id": code.id, "unit_id": code.unit_id, "member_id": code.member_id,
            "window_id": code.window_id, "target_key": f"{code.kind}:{code.window_id or code.member_id}",
            "rater_key": f"dev:{n}", "rated_on": at.date(), "score": score, "tags": rng.choice(TAG_CHOICES),
            "comment": "", "comment_status": "shown", "contact": "", "excluded_reason": "",
            "created_at": at.astimezone(dt.timezone.utc),
            "excluded_at": at.astimezone(dt.timezone.utc) if rng.random() < 0.01 else None,
        })
        if score <= 2:
            # Cases past their deadline were answered (one in ten late); recent ones are still open.
            created = at.astimezone(dt.timezone.utc)
            due = created + dt.timedelta(days=21)
            answered = due < now
            case_batch.append({
                "rating_id": next_id, "unit_id": code.unit_id, "status": "resolved" if answered else "open",
                "due_contact_at": created + dt.timedelta(days=1), "due_resolve_at": due,
                "resolved_at": due + dt.timedelta(days=rng.choice([-2] * 9 + [1])) if answered else None,
                "answer": "", "appeal_reason": "", "created_at": created,
            })
        next_id += 1
        if len(batch) == 20000:
            db.session.execute(insert(Rating), batch)
            db.session.execute(insert(Case), case_batch) if case_batch else None
            db.session.commit()
            batch, case_batch = [], []
    if batch:
        db.session.execute(insert(Rating), batch)
        db.session.execute(insert(Case), case_batch) if case_batch else None
    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("ANALYZE"))
    else:
        db.session.execute(text("ANALYZE rating"))
        db.session.execute(text("ANALYZE \"case\""))
    db.session.commit()
    return units


def timed(client, path, headers, query, repeat):
    client.get(path, headers=headers, query_string=query)
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path, headers=headers, query_string=query)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return samples


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ratings", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="an EMPTY database (its tables are created and dropped)")
    options = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="rs-bench-stats-")
    url = options.database_url or f"sqlite:///{os.path.join(workdir, 'bench.sqlite3')}"

    class BenchConfig(TestConfig):
        def __init__(self):
            super().__init__()
            self.SQLALCHEMY_DATABASE_URI = url

    app = create_app(BenchConfig)
    # The requests run inside this long-lived app context: give each its own ``g`` (caller identity).
    request_started.connect(lambda sender, **extra: g.pop("identity", None), app, weak=False)
    with app.app_context():
        db.create_all()
        try:
            started = time.perf_counter()
            units = fill(options.ratings)
            print(f"{options.ratings:,} ratings on {db.engine.dialect.name} in {time.perf_counter() - started:.0f} s")
            bureau = create_admin("bench-bureau", "bench-pass-1", "bureau_admin")
            unit_admin = create_admin("bench-unit", "bench-pass-1", "unit_admin", units[0].id)
            bureau_headers = {"Authorization": f"Bearer {tokens.issue('admin', bureau)[0]}"}
            unit_headers = {"Authorization": f"Bearer {tokens.issue('admin', unit_admin)[0]}"}
            client = app.test_client()
            window_id = db.session.scalar(select(Window.id).where(Window.unit_id == units[0].id))
            runs = [
                ("stats, one unit, 30 days", "/api/v1/admin/stats", unit_headers, {}),
                ("stats, one unit, 366 days", "/api/v1/admin/stats", unit_headers, year()),
                ("stats, one window, 30 days", "/api/v1/admin/stats", unit_headers, {"window_id": window_id}),
                ("stats, bureau, 30 days", "/api/v1/admin/stats", bureau_headers, {}),
                ("stats, bureau, 366 days", "/api/v1/admin/stats", bureau_headers, year()),
                ("rankings, this month", "/api/v1/admin/rankings", bureau_headers, {}),
                ("rankings, 366 days", "/api/v1/admin/rankings", bureau_headers, year()),
                ("ratings list, unit, page 1", "/api/v1/admin/ratings", unit_headers, {}),
                ("ratings list, bureau, page 50", "/api/v1/admin/ratings", bureau_headers, {"page": 50}),
            ]
            print(f"| {'request':30} | {'p50 ms':>8} | {'max ms':>8} |")
            print(f"|{'-' * 32}|{'-' * 10}|{'-' * 10}|")
            for name, path, headers, query in runs:
                samples = timed(client, path, headers, query, options.repeat)
                print(f"| {name:30} | {statistics.median(samples):8.1f} | {max(samples):8.1f} |")
            explain(app, units[0].id)
        finally:
            db.session.remove()
            db.drop_all()
            db.engine.dispose()


def year():
    today = dt.datetime.now(ZONE).date()
    return {"from": (today - dt.timedelta(days=365)).isoformat(), "to": today.isoformat()}


def explain(app, unit_id):
    """The plan of every rating query GET /admin/stats runs for one unit and for the bureau (last 30 days)."""
    captured = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    today = dt.datetime.now(ZONE).date()
    args = {"from_": today - dt.timedelta(days=29), "to": today}
    postgres = db.engine.dialect.name == "postgresql"
    with app.test_request_context(), mock.patch.object(services, "walled_unit_id", lambda: None):
        for label, unit in (("one unit", unit_id), ("bureau", None)):
            captured.clear()
            event.listen(db.engine, "before_cursor_execute", capture)
            try:
                services.stats({**args, "unit_id": unit})
            finally:
                event.remove(db.engine, "before_cursor_execute", capture)
            print(f"\nQuery plans, stats of {label}, 30 days:")
            cursor = db.session.connection().connection.cursor()
            for statement, parameters in captured:
                if "rating" not in statement and "case" not in statement:
                    continue
                print("  " + " ".join(statement.split())[:110] + " …")
                cursor.execute(("EXPLAIN (ANALYZE, COSTS OFF) " if postgres else "EXPLAIN QUERY PLAN ") + statement,
                               parameters)
                for row in cursor.fetchall():
                    print("      " + str(row[-1]))


if __name__ == "__main__":
    main()
