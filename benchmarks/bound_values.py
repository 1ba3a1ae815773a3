"""Benchmark: which statements of the scan, rating and check-in SQLite prepares anew every time.

Run: .venv/bin/python -m benchmarks.bound_values [--runs 3000]

SQLite plans a statement once and keeps the plan, unless a bound value could change it: a value
that a WHERE compares with the column of a partial index's condition (``shift.status = ?``
against uq_shift_one_open_per_member's ``status = 'open'``) makes SQLite prepare the statement
again on every execution (see ``shift_status`` in server/models.py). Nothing reports that but
the time it takes. This sends the benchmark's requests (benchmarks/bench_requests.py) to the
app on a SQLite file, keeps each distinct statement with a WHERE and the parameters it was sent
with, then runs each on the same file with the driver, bound and with its values written into
the SQL, inside a savepoint that is rolled back, and prints both times. A statement that costs
far more bound than written out is being prepared every time.
"""
import argparse
import sqlite3
import time

from benchmarks import run_http
from benchmarks.bench_requests import WsgiClient, production_app, requests_of
from benchmarks.common import new_workdir
from server.config import database_url

REQUESTS = 300  # of each kind, to collect the statements
PREPARED_ANEW = 2.0  # bound at least this many times slower (plus a few µs): prepared every time


def collect(app, datadir):
    """{(mode, statement): parameters} of the statements with a WHERE that the requests sent."""
    from sqlalchemy import event

    from server.extensions import db

    seen, mode_now = {}, [None]

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "WHERE" in statement.split() and not executemany:
            seen.setdefault((mode_now[0], statement), parameters)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", keep)
    for mode, request in requests_of(WsgiClient(app), datadir).items():
        mode_now[0] = mode
        for i in range(REQUESTS):
            status, content = request(i)
            assert status < 300, (mode, status, content[:300])
    with app.app_context():
        event.remove(db.engine, "before_cursor_execute", keep)
        db.session.remove()
        db.engine.dispose()
    return seen


def sql_literal(value):
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, bytes):
        return f"X'{value.hex()}'"
    return "'" + str(value).replace("'", "''") + "'"


def written_in(statement, parameters):
    """``statement`` (qmark style) with ``parameters`` written in, or None when they do not fit."""
    parts = statement.split("?")
    if len(parts) != len(parameters) + 1:
        return None
    return "".join(part + (sql_literal(parameters[i]) if i < len(parameters) else "") for i, part in enumerate(parts))


def timed(connection, statement, parameters, runs):
    """µs per execution of ``statement`` in a savepoint rolled back each time."""
    started = time.perf_counter()
    for _ in range(runs):
        connection.execute("SAVEPOINT timed")
        connection.execute(statement, parameters).fetchall()
        connection.execute("ROLLBACK TO timed")
        connection.execute("RELEASE timed")
    return (time.perf_counter() - started) / runs * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3000, help="executions of each statement each way")
    parser.add_argument("--workdir", help="where the SQLite file and the data go (default: a new /tmp folder)")
    options = parser.parse_args()
    workdir = new_workdir(options.workdir)
    path = workdir / "bound.sqlite3"
    with run_http.throwaway_redis(workdir) as redis_url:
        app = production_app(database_url(f"sqlite:///{path}"), redis_url, workdir, workdir / "data", REQUESTS + 100)
        statements = collect(app, workdir / "data")
    connection = sqlite3.connect(path, isolation_level=None)
    floor = timed(connection, "SELECT 1", (), options.runs)
    print(f"\nSQLite {sqlite3.sqlite_version}, {options.runs} executions each way, less an empty savepoint's "
          f"{floor:.1f} µs\n")
    print("| request | statement                                                          | bound µs | written in µs | prepared anew |")
    print("|---------|--------------------------------------------------------------------|----------|---------------|---------------|")
    for (mode, statement), parameters in statements.items():
        inline = written_in(statement, parameters)
        if inline is None:
            continue
        bound = timed(connection, statement, parameters, options.runs) - floor
        written = timed(connection, inline, (), options.runs) - floor
        anew = "yes" if bound > PREPARED_ANEW * written + 3 else ""
        text = " ".join(statement.split())[:66]
        print(f"| {mode:7} | {text:66} | {bound:8.1f} | {written:13.1f} | {anew:13} |")
    connection.close()


if __name__ == "__main__":
    main()
