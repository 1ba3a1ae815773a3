"""HTTP benchmark: the scan, a rating and a check-in under 50 concurrent clients, beside bare Flask.

Run: scripts/bench http   (or .venv/bin/python -m benchmarks.run_http --db sqlite,postgres)

For each database (a SQLite file; PostgreSQL in a throwaway cluster started here) it makes
the schema with the migrations and fills it (benchmarks.generate_data: units, windows,
members bound to WeChat users, posts, codes, citizens, and a background of ratings and
shifts), then serves the real app (``wsgi:app``) and the bare app
(``benchmarks.bare_app:app``) and the ceiling app (``benchmarks.ceiling_app:app``: the same
paths doing only their database work with the driver, in bare Flask) with the repository's
gunicorn.conf.py and the same worker count, and runs wrk (Debian's) with benchmarks/wrk.lua against

    GET  /api/v1/scan/{token}     a different code each request
    POST /api/v1/ratings          a different citizen × target each request: a real insert
    POST /api/v1/shifts/check-in  a different member each request, at the post's location

each after a warm-up, taking turns (``--rounds``) with the bare endpoint GET /bare and the
ceiling app's same path, so that all three see the same load from whatever else runs on the
machine: the ratio to bare Flask is the figure, the ceiling's ratio is the most a Flask app
doing that database work reaches here. The app runs with the production configuration; the rating flood limits
stay on as written (per rater 30 a day: no citizen here rates more than that) except the two
per-address caps, which would stop a single load generator's address after 60 ratings; their
counters live in a throwaway redis-server, as production's workers share one (``--no-redis``:
in each worker's memory).

Printed: requests/s, p50 and p99 latency, the ratio to the bare endpoint of the same run and
its goal (issue 8: scan ≥ 60 %, rating and check-in ≥ 40 %), the ceiling's requests/s and
ratio, the CPU each request cost the app's gunicorn (workers, reaped ones included) and
PostgreSQL's server processes, answers other than 2xx, the rows the run inserted, and the RSS
of each gunicorn worker (goal ≤ 120 MB).
"""
import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import func, select

from benchmarks import generate_data
from benchmarks.common import databases_arg, new_workdir
from benchmarks.pg import free_port, libpq_url, throwaway_cluster
from server.config import database_url

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().parent / "wrk.lua"
SECRET = "bench-secret-key-not-for-production"
CEILING = ("scan", "rate", "checkin")  # the paths benchmarks/ceiling_app.py answers
GOALS = {"bare": None, "scan": 0.60, "rate": 0.40, "checkin": 0.40, "healthz": None}
RSS_GOAL_MB = 120
ENDPOINTS = {"bare": "GET /bare (bare Flask)", "scan": "GET /api/v1/scan/{token}",
             "rate": "POST /api/v1/ratings", "checkin": "POST /api/v1/shifts/check-in",
             "healthz": "GET /healthz (app's floor)"}


def prepare(url, datadir, members, citizens, background):
    """Schema and data in ``url``; the request data wrk reads (tokens, codes, posts) into ``datadir``."""
    from server.auth import tokens
    from server.extensions import db

    app = generate_data.bench_app(url, SECRET_KEY=SECRET)
    units = 20
    sizes = generate_data.Sizes(units=units, windows=5, members=-(-members // units), posts=3, citizens=citizens)
    with app.app_context():
        generate_data.create_schema()
        b = generate_data.generate(background, background, seed=7, sizes=sizes, log=lambda line: print(line))

        def token(account_id):
            return tokens.issue("wechat", SimpleNamespace(id=account_id, token_version=1))[0]

        rng = random.Random(7)
        scan_codes = [code[2] for code in b.codes]
        rng.shuffle(scan_codes)
        rate_codes = [code[2] for code in b.codes if code[1] in ("badge", "window")]
        rng.shuffle(rate_codes)
        post_codes = {code[6]: code[2] for code in b.codes if code[1] == "post"}
        write_lines(datadir / "scan_codes.txt", scan_codes)
        write_lines(datadir / "rate_codes.txt", rate_codes[:500])
        write_lines(datadir / "citizens.txt", [token(c) for c in b.citizens])
        write_lines(datadir / "members.txt", [token(wechat_user) for _, _, wechat_user in b.members])
        write_lines(datadir / "posts.txt", [f"{post_codes[p]} {lat} {lng}" for p, _, lat, lng in b.posts])
        db.session.remove()
        db.engine.dispose()
    return len(b.members)


def write_lines(path, items):
    path.write_text("\n".join(items) + "\n")


def row_counts(url):
    """(ratings, shifts) in the database now."""
    from server.extensions import db
    from server.models import Rating, Shift

    app = generate_data.bench_app(url, SECRET_KEY=SECRET)
    with app.app_context():
        counts = db.session.scalar(select(func.count()).select_from(Rating)), db.session.scalar(
            select(func.count()).select_from(Shift))
        db.session.remove()
        db.engine.dispose()
    return counts


@contextlib.contextmanager
def throwaway_redis(workdir):
    """A redis-server without persistence on a free loopback port (as production's workers share one); its URL."""
    port = free_port()
    process = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                                "--appendonly", "no", "--dir", str(workdir)],
                               stdout=open(workdir / "redis.log", "w"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).returncode != 0:
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(f"redis-server did not start: see {workdir / 'redis.log'}")
            time.sleep(0.2)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=20)


class Server:
    """gunicorn -c gunicorn.conf.py APP on a free loopback port, its log in ``workdir``."""

    def __init__(self, app_path, env, workdir, name, root=ROOT):
        self.port = free_port()
        self.name = name
        self.log = open(workdir / f"gunicorn-{name}.log", "w")
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), app_path],
            cwd=root, env={**env, "BIND": f"127.0.0.1:{self.port}", "PYTHONPATH": f"{root}:{ROOT}"},
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, path, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn ({self.name}) exited: see {self.log.name}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=5) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise SystemExit(f"gunicorn ({self.name}) did not answer {path} within {timeout} s: see {self.log.name}")

    def workers(self):
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        except OSError:
            return []
        return [int(pid) for pid in children]

    def worker_rss_mb(self):
        """{pid: (VmRSS, VmHWM)} in MB of every worker now."""
        sizes = {}
        for pid in self.workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            if "VmRSS" in fields and "VmHWM" in fields:  # not a worker that is just exiting
                sizes[pid] = tuple(int(fields[name].split()[0]) / 1024 for name in ("VmRSS", "VmHWM"))
        return sizes

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid):
    """CPU seconds (user + system) of process ``pid`` and its descendants, the reaped ones included."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    # utime, stime, cutime, cstime: fields 14–17 of proc(5), counted after the ")" here.
    return sum(int(f) for f in fields[11:15]) / TICK + sum(tree_cpu_seconds(int(child)) for child in children)


def postmaster_pid(url):
    """The PostgreSQL server's main pid (from its data directory's postmaster.pid), or None."""
    import psycopg

    with psycopg.connect(libpq_url(url)) as connection:
        data_directory = connection.execute("SHOW data_directory").fetchone()[0]
    try:
        return int((Path(data_directory) / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def run_wrk(url, mode, datadir, offset, seconds, connections, threads):
    """One wrk run; its WRKJSON figures (plus 'sample': the first non-2xx answer, if any)."""
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
               "-s", str(LUA), url, "--", mode, str(datadir), str(offset), str(threads)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    figures, sample = None, ""
    for line in done.stdout.splitlines():
        if line.startswith("WRKJSON "):
            figures = json.loads(line[len("WRKJSON "):])
        elif line.startswith("WRKSAMPLE "):
            sample = line[len("WRKSAMPLE "):]
    if done.returncode != 0 or figures is None:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    figures["sample"] = sample
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    return figures


def combine(slices):
    """One figure from the turns of a run: requests/s over all of them, the median p50, the worst p99."""
    seconds = sum(f["duration_us"] for f in slices) / 1e6
    requests = max(sum(f["requests"] for f in slices), 1)
    return {
        "cpu_ms": sum(f["cpu_s"] for f in slices) / requests * 1000,
        "db_cpu_ms": sum(f["db_cpu_s"] for f in slices) / requests * 1000,
        "requests": sum(f["requests"] for f in slices), "rps": sum(f["requests"] for f in slices) / seconds,
        "p50_us": statistics.median(f["p50_us"] for f in slices), "p99_us": max(f["p99_us"] for f in slices),
        "not_2xx": sum(f["not_2xx"] + f["timeouts"] + f["connect_errors"] + f["read_errors"] + f["write_errors"]
                       for f in slices),
        "sample": next((f["sample"] for f in slices if f["sample"]), ""),
    }


def bench_database(label, url, options, workdir):
    """Every endpoint on one database: a list of result rows."""
    with contextlib.ExitStack() as stack:
        return _bench_database(stack, label, url, options, workdir)


def _bench_database(stack, label, url, options, workdir):
    datadir = workdir / f"data-{label}"
    datadir.mkdir()
    print(f"\n=== {label}: preparing data ===", flush=True)
    started = time.perf_counter()
    members = prepare(url, datadir, options.members, options.citizens, options.background)
    print(f"  ready in {time.perf_counter() - started:.0f} s", flush=True)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "RATING_", "DATABASE_", "REDIS_"))},
        "RED_STATION_CONFIG": "production", "SECRET_KEY": SECRET, "DATABASE_URL": url,
        "WECHAT_APPID": "bench-appid", "WECHAT_SECRET": "bench-secret", "WECHAT_API_BASE": "http://127.0.0.1:9",
        "PUBLIC_BASE_URL": "http://127.0.0.1", "QR_OUTPUT_DIR": str(workdir / "qr"),
        "RATING_RATE_LIMIT_IP": "1000000 per hour", "RATING_ATTEMPT_LIMIT_IP": "1000000 per minute",
        "GUNICORN_LOGLEVEL": "warning",
    }
    if options.workers:
        env["WEB_CONCURRENCY"] = str(options.workers)
    env.update(setting.split("=", 1) for setting in options.env)
    if options.redis_url:
        env["REDIS_URL"] = options.redis_url
    elif not options.no_redis:
        env["REDIS_URL"] = stack.enter_context(throwaway_redis(workdir))
    servers = {"bare": Server("benchmarks.bare_app:app", env, workdir, f"{label}-bare"),
               "app": Server("wsgi:app", env, workdir, f"{label}-app", root=Path(options.app_root or ROOT).resolve())}
    if not options.no_ceiling:
        servers["ceiling"] = Server("benchmarks.ceiling_app:app", env, workdir, f"{label}-ceiling")
    bare, app = servers["bare"], servers["app"]
    database_pid = postmaster_pid(url) if label == "postgres" else None
    results = []
    try:
        for name, server in servers.items():
            server.wait_ready("/api/v1/openapi.json" if name == "app" else "/bare")
        worker_count = len(app.workers())
        print(f"  gunicorn: {worker_count} workers each ({', '.join(servers)})", flush=True)
        ratings_before, shifts_before = row_counts(url)
        offsets = {}

        def wrk(turn, mode, seconds):
            server = servers[turn]
            cpu = tree_cpu_seconds(server.process.pid), database_pid and tree_cpu_seconds(database_pid)
            figures = run_wrk(server.url, mode, datadir, offsets.get((turn, mode), 0), seconds, options.connections,
                              options.threads)
            figures["cpu_s"] = tree_cpu_seconds(server.process.pid) - cpu[0]
            figures["db_cpu_s"] = (tree_cpu_seconds(database_pid) - cpu[1]) if database_pid else 0.0
            offsets[turn, mode] = figures["next_offset"] + options.connections
            return figures

        slice_seconds = max(1, round(options.duration / options.rounds))
        for mode in options.endpoints.split(","):
            # Bare Flask, the app and the ceiling (it has no /healthz) take turns, so all see the
            # same load from the rest of the machine.
            turns = {"bare": "bare", "app": mode, **({"ceiling": mode} if "ceiling" in servers and mode in CEILING
                                                     else {})}
            for turn, path in turns.items():
                wrk(turn, path, options.warmup)
            slices = {turn: [] for turn in turns}
            rss = []
            for _ in range(options.rounds):
                for turn, path in turns.items():
                    slices[turn].append(wrk(turn, path, slice_seconds))
                rss.extend(app.worker_rss_mb().values())
            if mode == "checkin" and offsets["app", mode] > members:
                print(f"  WARNING: check-in used {offsets['app', mode]:,} member slots of {members:,}: "
                      "members checked in twice (409); raise --members", flush=True)
            figures = combine(slices["app"])
            base = combine(slices["bare"])
            figures.update(mode=mode, database=label, workers=len(app.workers()), bare=base,
                           ceiling=combine(slices["ceiling"]) if "ceiling" in slices else None,
                           rss_max=max((r[0] for r in rss), default=0), hwm_max=max((r[1] for r in rss), default=0),
                           bare_rss=max((r[0] for r in bare.worker_rss_mb().values()), default=0))
            results.append(figures)
            print(f"  {ENDPOINTS[mode]:30} {figures['rps']:7.0f} req/s  p50 {figures['p50_us'] / 1000:6.1f} ms  "
                  f"p99 {figures['p99_us'] / 1000:6.1f} ms  non-2xx {figures['not_2xx']}  | bare beside it "
                  f"{base['rps']:6.0f} req/s  p50 {base['p50_us'] / 1000:5.1f} ms  → {figures['rps'] / base['rps']:.0%}"
                  + (f"  | ceiling {figures['ceiling']['rps']:6.0f} req/s → {figures['ceiling']['rps'] / base['rps']:.0%}"
                     if figures["ceiling"] else "")
                  + f"  | CPU/request: app {figures['cpu_ms']:.2f} ms, bare {base['cpu_ms']:.2f} ms"
                  + (f", PostgreSQL {figures['db_cpu_ms']:.2f} ms" if database_pid else "")
                  + f"  RSS ≤ {figures['rss_max']:.0f} MB" + (f"  first non-2xx: {figures['sample'][:200]}"
                                                           if figures["sample"] else ""), flush=True)
        ratings_after, shifts_after = row_counts(url)
        inserted = {"rate": ratings_after - ratings_before, "checkin": shifts_after - shifts_before}
        for figures in results:
            figures["inserted"] = inserted.get(figures["mode"])
    finally:
        for server in servers.values():
            server.stop()
    return results


def print_table(results, options):
    print(f"\nRed Station HTTP benchmark — {dt.date.today()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, wrk -t{options.threads} -c{options.connections}, "
          f"{options.rounds} × {max(1, round(options.duration / options.rounds))} s per endpoint taking turns with "
          f"bare Flask (after {options.warmup} s warm-up), gunicorn.conf.py with {results[0]['workers']} workers, "
          f"rate-limit counters in {'memory' if options.no_redis and not options.redis_url else 'Redis'}\n")
    header = ("endpoint", "DB", "req/s", "p50 ms", "p99 ms", "bare req/s", "bare p50", "ratio", "goal", "",
              "ceiling ratio", "CPU ms app / DB", "non-2xx", "rows added", "RSS MB")
    widths = (28, 8, 6, 6, 6, 10, 8, 5, 5, 4, 13, 15, 7, 10, 6)
    print("| " + " | ".join(f"{h:{w}}" for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    met = True
    for r in results:
        ratio, goal = r["rps"] / r["bare"]["rps"], GOALS[r["mode"]]
        ok = (goal is None or ratio >= goal) and r["not_2xx"] == 0
        met &= ok
        cells = (ENDPOINTS[r["mode"]], r["database"], f"{r['rps']:.0f}", f"{r['p50_us'] / 1000:.1f}",
                 f"{r['p99_us'] / 1000:.1f}", f"{r['bare']['rps']:.0f}", f"{r['bare']['p50_us'] / 1000:.1f}",
                 f"{ratio:.0%}", "" if goal is None else f"{goal:.0%}", "" if goal is None else "ok" if ok else "LOW",
                 "" if r["ceiling"] is None else f"{r['ceiling']['rps'] / r['bare']['rps']:.0%}",
                 f"{r['cpu_ms']:.2f} / " + (f"{r['db_cpu_ms']:.2f}" if r["database"] == "postgres" else "in app"),
                 str(r["not_2xx"]),
                 "" if r.get("inserted") is None else f"{r['inserted']:,}", f"{r['rss_max']:.0f}")
        print("| " + " | ".join(f"{c:{w}}" for c, w in zip(cells, widths)) + " |")
    peak = max(r["hwm_max"] for r in results)
    print(f"\nApp workers' RSS: at most {max(r['rss_max'] for r in results):.0f} MB, peak (VmHWM) {peak:.0f} MB "
          f"(goal ≤ {RSS_GOAL_MB} MB) {'ok' if peak <= RSS_GOAL_MB else 'HIGH'}; bare Flask workers "
          f"{max(r['bare_rss'] for r in results):.0f} MB.")
    return met and peak <= RSS_GOAL_MB


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both (comma-separated)")
    parser.add_argument("--duration", type=int, default=12, help="measured seconds per endpoint (and as many of bare Flask)")
    parser.add_argument("--endpoints", default="scan,rate,checkin",
                        help="which, comma-separated: scan, rate, checkin; healthz shows the app's floor "
                             "(one SELECT 1 and a Redis PING through the whole app)")
    parser.add_argument("--rounds", type=int, default=3, help="turns the endpoint and bare Flask take in that time")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of the warm-up before each run")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, help="gunicorn workers (WEB_CONCURRENCY; default: gunicorn.conf.py's)")
    parser.add_argument("--members", type=int, default=40_000, help="members who may check in (one each)")
    parser.add_argument("--citizens", type=int, default=5_000, help="WeChat users who rate")
    parser.add_argument("--background", type=int, default=100_000, help="ratings and shifts already there")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for both servers, e.g. GUNICORN_MAX_REQUESTS=0 (repeatable)")
    parser.add_argument("--redis-url", help="REDIS_URL for the app (default: a throwaway redis-server, as "
                                            "production's workers share one for the rate-limit counters)")
    parser.add_argument("--no-redis", action="store_true", help="no Redis: each worker counts limits in memory")
    parser.add_argument("--workdir", help="where databases, logs and wrk data go (default: a new /tmp/red-station-bench.*)")
    parser.add_argument("--no-ceiling", action="store_true",
                        help="leave out the ceiling app (benchmarks/ceiling_app.py: the same paths doing only their "
                             "database work with the driver, in bare Flask)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--app-root", help="serve the app (wsgi:app) of another checkout, e.g. the last commit's, "
                                           "to compare; the schema and data still come from this one")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (scripts/bench installs it)")
    if not options.redis_url and not options.no_redis and shutil.which("redis-server") is None:
        raise SystemExit("redis-server is not installed: apt-get install redis-server (scripts/bench installs it), "
                         "or run with --no-redis")
    if not (ROOT / "gunicorn.conf.py").exists():
        raise SystemExit("gunicorn.conf.py is missing at the repository's root")
    databases = databases_arg(options.db)
    if set(options.endpoints.split(",")) - (set(ENDPOINTS) - {"bare"}):
        raise SystemExit("--endpoints takes scan, rate, checkin, healthz (comma-separated)")
    workdir = new_workdir(options.workdir)
    results = []
    try:
        for database in databases:
            if database == "sqlite":
                url = database_url(f"sqlite:///{workdir}/bench.sqlite3")
                results += bench_database(database, url, options, workdir)
            else:
                with throwaway_cluster() as raw_url:
                    results += bench_database(database, database_url(raw_url), options, workdir)
        met = print_table(results, options)
    finally:
        if options.keep:
            print(f"\nwork directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    # A kill (TERM) unwinds like Ctrl-C, so the throwaway cluster and the servers are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with contextlib.suppress(KeyboardInterrupt):
        main()
