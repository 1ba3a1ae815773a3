"""Benchmark: what one scan, rating and check-in costs inside the app, without HTTP or load.

Run: .venv/bin/python -m benchmarks.bench_requests [--db sqlite,postgres] [--requests 1500] [--profile rate]

The same data and configuration as benchmarks/run_http.py (the production configuration, rate
limits in a throwaway redis-server, PostgreSQL in a throwaway cluster), but each request is
handed to the WSGI app one after the other, as gunicorn hands it (an environ, no socket; not
Flask's test client, whose own request building costs more than a bare Flask request), so what
is printed is the app's own cost per request: milliseconds of wall clock and of this process's
CPU, SQL statements (BEGIN aside) and Redis round trips, with bare Flask's endpoint
(benchmarks/bare_app.py) first as the yardstick and, after the app's, the same requests to the
ceiling app (benchmarks/ceiling_app.py: only their database work, with the driver). CPU time
moves less than wall time on a shared machine; run it twice.
``--profile MODE`` prints a cProfile (CPU time) of that endpoint's requests, busiest first.
"""
import argparse
import cProfile
import collections
import contextlib
import io
import json
import os
import pstats
import sys
import time

from benchmarks import run_http
from benchmarks.common import databases_arg, new_workdir
from benchmarks.pg import throwaway_cluster
from server.config import database_url

WARM_UP = 200


class WsgiClient:
    """Requests handed to a WSGI app as gunicorn hands them: an environ and start_response."""

    def __init__(self, app):
        self.app = app

    def open(self, method, path, body=None, headers=None):
        data = b"" if body is None else json.dumps(body).encode()
        environ = {
            "REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": "", "RAW_URI": path,
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "40000", "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_USER_AGENT": "bench", "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(data), "wsgi.errors": sys.stderr, "wsgi.multithread": False,
            "wsgi.multiprocess": True, "wsgi.run_once": False,
        }
        if data:
            environ.update(CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(data)))
        for name, value in (headers or {}).items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        status = []
        answer = self.app(environ, lambda line, response_headers, exc_info=None: status.append(line))
        try:
            content = b"".join(answer)
        finally:
            if hasattr(answer, "close"):
                answer.close()
        return int(status[0].split()[0]), content

    def get(self, path, headers=None):
        return self.open("GET", path, headers=headers)

    def post(self, path, json=None, headers=None):
        return self.open("POST", path, json, headers)


def requests_of(client, datadir):
    """{mode: request(i)} over the data run_http.prepare wrote: a different valid request each i."""
    def lines(name):
        return (datadir / name).read_text().split("\n")[:-1]

    citizens, targets, members, scans = (lines(name) for name in
                                         ("citizens.txt", "rate_codes.txt", "members.txt", "scan_codes.txt"))
    posts = [line.split() for line in lines("posts.txt")]

    def rate(i):
        body = {"token": targets[(i // len(citizens)) % len(targets)], "score": 2 if i % 25 == 0 else 4 + i % 2,
                "tags": ["热情", "高效"] if i % 3 == 0 else []}
        return client.post("/api/v1/ratings", json=body,
                           headers={"Authorization": "Bearer " + citizens[i % len(citizens)]})

    def checkin(i):
        token, lat, lng = posts[i % len(posts)]
        body = {"token": token, "client_id": f"bench-{i}", "lat": float(lat), "lng": float(lng), "accuracy_m": 15}
        return client.post("/api/v1/shifts/check-in", json=body,
                           headers={"Authorization": "Bearer " + members[i % len(members)]})

    return {"scan": lambda i: client.get("/api/v1/scan/" + scans[i % len(scans)]), "rate": rate, "checkin": checkin}


def production_app(url, redis_url, workdir, datadir, requests):
    """The app as run_http serves it (production configuration, ``redis_url`` for the limits) on
    ``url``, after run_http.prepare wrote data for ``requests`` requests of each kind to ``datadir``."""
    datadir.mkdir()
    run_http.prepare(url, datadir, requests, 5000, 2000)
    os.environ.update({
        "RED_STATION_CONFIG": "production", "SECRET_KEY": run_http.SECRET, "DATABASE_URL": url, "REDIS_URL": redis_url,
        "WECHAT_APPID": "bench-appid", "WECHAT_SECRET": "bench-secret", "WECHAT_API_BASE": "http://127.0.0.1:9",
        "PUBLIC_BASE_URL": "http://127.0.0.1", "QR_OUTPUT_DIR": str(workdir / "qr"),
        # One client address: the per-address caps would stop it (as in run_http).
        "RATING_RATE_LIMIT_IP": "1000000 per hour", "RATING_ATTEMPT_LIMIT_IP": "1000000 per minute",
    })
    from server import create_app

    return create_app()


def measure(label, url, redis_url, workdir, options):
    import redis.connection
    from sqlalchemy import event

    from server.extensions import db

    datadir = workdir / f"data-{label}"
    app = production_app(url, redis_url, workdir, datadir, options.requests + WARM_UP + 100)
    statements, round_trips = collections.Counter(), collections.Counter()
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda conn, cursor, statement, *rest: statements.update([statement.split()[0]]))
    send = redis.connection.AbstractConnection.send_packed_command

    def counted_send(self, command, check_health=True):
        round_trips["redis"] += 1
        return send(self, command, check_health)

    redis.connection.AbstractConnection.send_packed_command = counted_send
    rows = []
    count = options.requests
    try:
        for mode, request in requests_of(WsgiClient(app), datadir).items():
            warm_up(mode, request)
            statements.clear()
            round_trips.clear()
            profile = cProfile.Profile(time.process_time) if options.profile == mode else None
            wall, cpu = timed(mode, request, count, profile)
            rows.append((mode, label, wall, cpu, sum(n for name, n in statements.items() if name != "BEGIN") / count,
                         round_trips["redis"] / count))
            if profile:
                pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        ceiling = ceiling_app()
        try:
            for mode, request in requests_of(WsgiClient(ceiling.app), datadir).items():
                warm_up(mode, request)
                rows.append((f"{mode} ceiling", label, *timed(mode, request, count), None, None))
        finally:
            ceiling.close()
    finally:
        redis.connection.AbstractConnection.send_packed_command = send
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return rows


def warm_up(mode, request):
    """The first WARM_UP requests, not measured (caches, pools, the compiled statements)."""
    for i in range(WARM_UP):
        status, content = request(i)
        assert status < 300, (mode, status, content[:300])


def timed(mode, request, count, profile=None):
    """(wall ms, CPU ms) per request of ``count`` requests after the warm-up's, one at a time."""
    started, cpu = time.perf_counter(), time.process_time()
    with profile or contextlib.nullcontext():
        for i in range(WARM_UP, WARM_UP + count):
            status, content = request(i)
            assert status < 300, (mode, status, content[:300])
    return (time.perf_counter() - started) / count * 1000, (time.process_time() - cpu) / count * 1000


def ceiling_app():
    """benchmarks/ceiling_app.py on this database (DATABASE_URL): imported, or imported again."""
    import importlib

    from benchmarks import ceiling_app as module

    return importlib.reload(module)


def bare_row(requests):
    """The yardstick: benchmarks/bare_app.py's endpoint through the same WsgiClient, one at a time."""
    from benchmarks.bare_app import app

    client = WsgiClient(app)

    def request(i):
        return client.get("/bare")

    warm_up("bare", request)
    return ("bare", "-", *timed("bare", request, requests), 0.0, 0.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both (comma-separated)")
    parser.add_argument("--requests", type=int, default=1500, help="measured requests per endpoint")
    parser.add_argument("--profile", choices=("scan", "rate", "checkin"), help="print a CPU profile of this one")
    parser.add_argument("--workdir", help="where the SQLite file and the data go (default: a new /tmp folder)")
    options = parser.parse_args()
    workdir = new_workdir(options.workdir)
    rows = [bare_row(options.requests)]
    with run_http.throwaway_redis(workdir) as redis_url:
        for database in databases_arg(options.db):
            if database == "sqlite":
                rows += measure(database, database_url(f"sqlite:///{workdir}/requests.sqlite3"), redis_url, workdir,
                                options)
            else:
                with throwaway_cluster() as raw_url:
                    rows += measure(database, database_url(raw_url), redis_url, workdir, options)
    print(f"\n{options.requests} requests each, one at a time, handed to the WSGI app as gunicorn hands them\n")
    print("| endpoint        | DB       | ms/request | CPU ms/request | SQL statements | Redis round trips |")
    print("|-----------------|----------|------------|----------------|----------------|-------------------|")
    for mode, label, wall, cpu, sql, redis_trips in rows:
        counts = [" " * 14 + "-", " " * 17 + "-"] if sql is None else [f"{sql:14.2f}", f"{redis_trips:17.2f}"]
        print(f"| {mode:15} | {label:8} | {wall:10.2f} | {cpu:14.2f} | {counts[0]} | {counts[1]} |")


if __name__ == "__main__":
    main()
