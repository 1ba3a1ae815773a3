"""Fault tests against the real server: gunicorn (the repository's gunicorn.conf.py, 2 sync
workers) on the suite's database — a SQLite file, or PostgreSQL in the PostgreSQL pass.

- **Retry storm**: each rating and check-in sent 10× at once with the same ids lands once.
- **kill -9**: a check-in/check-out burst survives a killed worker and a killed server; every
  write the client saw acknowledged is in the database afterwards, none twice.
- **PostgreSQL restart**: on a PostgreSQL cluster of the test's own (stopped and started at
  will), the app answers 503 ``database_unavailable`` in the error shape during the outage and
  recovers by itself — the same worker processes, no restart.

Everything runs on 127.0.0.1; every wait has a deadline. The figures are printed in the run's
summary (conftest.py's ``figures``).
"""
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from conftest import CHINESE, USING_POSTGRES, bearer
from server import config as server_config  # not `import TestConfig`: pytest would collect it
from server.extensions import db
from server.models import Member, Post, Rating, Shift, Unit, WechatUser

REPO = Path(__file__).resolve().parent.parent
SECRET_KEY = "test-secret-key"  # TestConfig's: tokens issued here are valid on the server
DB_NAME = "PostgreSQL" if USING_POSTGRES else "SQLite"
LOCATION = {"lat": 30.75, "lng": 120.75, "accuracy_m": 10}  # inside conftest's posts' fence


@pytest.fixture
def app(live_app):
    """world, codes… on the database a separate server process can share (file or PostgreSQL)."""
    return live_app


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid):
    """Pids of a process's children (gunicorn's master → its workers)."""
    try:
        return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    except FileNotFoundError:
        return set()


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Gunicorn:
    """``gunicorn -c gunicorn.conf.py wsgi:app`` in a process of its own, on 127.0.0.1:port."""

    def __init__(self, database_url, log_path, workers=2, port=None):
        self.database_url = database_url
        self.log_path = log_path
        self.workers = workers
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def environment(self):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("GUNICORN_", "WECHAT_", "REDIS_", "RATING_", "FLASK_"))}
        env.update({
            "RED_STATION_CONFIG": "development", "DATABASE_URL": self.database_url, "SECRET_KEY": SECRET_KEY,
            "WEB_CONCURRENCY": str(self.workers), "BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_ACCESSLOG": "", "GUNICORN_LOGLEVEL": "warning", "GUNICORN_MAX_REQUESTS": "0",
            "GUNICORN_TIMEOUT": "30", "GUNICORN_GRACEFUL_TIMEOUT": "2",
            "PUBLIC_BASE_URL": self.base_url, "DATABASE_CONNECT_TIMEOUT": "3",
            # Never WeChat: nothing listens on port 9.
            "WECHAT_API_BASE": "http://127.0.0.1:9", "WECHAT_TIMEOUT_SECONDS": "1",
            "QR_OUTPUT_DIR": str(self.log_path.parent / "qr"),
            # The storms are one client address: the flood limits are not what is tested here.
            "RATING_RATE_LIMIT_RATER": "100000 per day", "RATING_RATE_LIMIT_IP": "100000 per hour",
            "RATING_ATTEMPT_LIMIT_IP": "100000 per minute",
        })
        env.pop("PORT", None)
        return env

    def start(self, timeout=30):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=REPO, env=self.environment(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"gunicorn exited ({self.process.returncode}):\n{self.log_tail()}"
            if len(self.worker_pids()) == self.workers and self.answers():
                return self
            time.sleep(0.1)
        raise AssertionError(f"gunicorn did not start within {timeout} s:\n{self.log_tail()}")

    def answers(self):
        try:
            return requests.get(f"{self.base_url}/api/v1/openapi.json", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def worker_pids(self):
        return {pid for pid in children(self.process.pid) if alive(pid)}

    def kill_worker(self):
        """kill -9 one worker; returns (old pid, new pid) once the master has replaced it."""
        old = min(self.worker_pids())
        os.kill(old, signal.SIGKILL)
        wait_for(lambda: len(self.worker_pids() - {old}) == self.workers, 20, "gunicorn to replace a killed worker")
        return old, max(self.worker_pids() - {old})

    def kill_all(self):
        """kill -9 the master and every worker at once (a crashed host, an OOM kill)."""
        pids = [self.process.pid, *self.worker_pids()]
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        wait_for(lambda: not any(alive(pid) for pid in pids), 10, "the killed server's processes to end")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        workers = self.worker_pids()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            for pid in [self.process.pid, *workers]:
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def log_tail(self, lines=40):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


@contextmanager
def gunicorn(database_url, tmp_path, workers=2):
    server = Gunicorn(database_url, tmp_path / "gunicorn.log", workers)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def server(app, world, codes, tmp_path):
    """gunicorn on the test's database, with world and codes already in it."""
    with gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path) as running:
        yield running
    db.session.rollback()


def add_people(unit, citizens=0, members=0, prefix="f"):
    """``citizens`` WeChat users and ``members`` bound members of ``unit``, with their auth headers."""
    users = [WechatUser(openid=f"{prefix}-citizen-{i}") for i in range(citizens)]
    member_users = [WechatUser(openid=f"{prefix}-member-{i}") for i in range(members)]
    db.session.add_all(users + member_users)
    db.session.flush()
    people = [Member(unit_id=unit.id, name=f"志愿者{i}", post_title="志愿者", wechat_user_id=user.id)
              for i, user in enumerate(member_users)]
    db.session.add_all(people)
    db.session.commit()
    return ([bearer("wechat", u) for u in users], [(m.id, bearer("wechat", u)) for m, u in zip(people, member_users)])


def fresh_read():
    """End this process's read transaction, so the server's commits are visible."""
    db.session.rollback()
    db.session.expire_all()


# --- a. Retry storm ---

@pytest.mark.timeout(90)
def test_retry_storm_each_write_lands_once(server, world, codes, figures):
    """20 ratings with client_id, 20 without, and 20 check-ins, each sent 10× at once: 60 rows."""
    n, copies = 20, 10
    citizens, members = add_people(world.a.unit, citizens=2 * n, members=n, prefix="storm")
    url = server.base_url
    jobs = []
    for i in range(n):
        rating = {"token": codes["window"], "score": 5, "tags": ["热情"], "client_id": f"storm-rating-{i}"}
        jobs += [("rating", i, citizens[i], rating)] * copies
        # Without a client_id the one-a-day key holds it: one 201, the copies 409 already_rated.
        jobs += [("rating-no-id", i, citizens[n + i], {"token": codes["badge"], "score": 4})] * copies
        check_in = {"token": codes["post"], **LOCATION, "client_id": f"storm-check-in-{i}"}
        jobs += [("check-in", i, members[i][1], check_in)] * copies
    random.Random(8).shuffle(jobs)

    def send(job):
        kind, i, headers, body = job
        path = "/api/v1/shifts/check-in" if kind == "check-in" else "/api/v1/ratings"
        response = requests.post(url + path, json=body, headers=headers, timeout=30)
        payload = response.json()
        return kind, i, response.status_code, payload.get("id"), (payload.get("error") or {}).get("code")

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(send, jobs))
    elapsed = time.monotonic() - started

    by_item = {}
    for kind, i, status, answer_id, code in answers:
        by_item.setdefault((kind, i), []).append((status, answer_id, code))
    for (kind, i), replies in by_item.items():
        statuses = sorted(status for status, _, _ in replies)
        if kind == "rating-no-id":
            assert statuses == [201] + [409] * (copies - 1), (kind, i, replies)
            assert {code for status, _, code in replies if status == 409} == {"already_rated"}
        else:
            assert statuses == [200] * (copies - 1) + [201], (kind, i, replies)
            assert len({answer_id for _, answer_id, _ in replies}) == 1, (kind, i, replies)

    fresh_read()
    ratings = db.session.execute(select(Rating.id, Rating.client_id, Rating.target_key)).all()
    with_id = [r for r in ratings if r.client_id is not None]
    assert len(with_id) == len({r.client_id for r in with_id}) == n
    assert {r.id for r in with_id} == {by_item[("rating", i)][0][1] for i in range(n)}
    assert sum(r.client_id is None and r.target_key.startswith("member:") for r in ratings) == n
    shifts = db.session.execute(select(Shift.id, Shift.client_id)).all()
    assert len(shifts) == len({s.client_id for s in shifts}) == n
    assert {s.id for s in shifts} == {by_item[("check-in", i)][0][1] for i in range(n)}
    assert "Traceback" not in server.log_tail(10**6), server.log_tail()

    count = lambda kind, status: sum(1 for a in answers if a[0] == kind and a[2] == status)  # noqa: E731
    figures(f"gunicorn ×2 workers on {DB_NAME}: {len(jobs)} requests (16 client threads) in {elapsed:.1f} s")
    figures(f"ratings with client_id: {n * copies} requests, {n} distinct → {count('rating', 201)}×201 + "
            f"{count('rating', 200)}×200 same id; {len(with_id)} rows, 0 duplicates")
    figures(f"ratings without client_id: {n * copies} requests, {n} distinct → {count('rating-no-id', 201)}×201 + "
            f"{count('rating-no-id', 409)}×409 already_rated; {n} rows, 0 duplicates")
    figures(f"check-ins: {n * copies} requests, {n} distinct client_ids → {count('check-in', 201)}×201 + "
            f"{count('check-in', 200)}×200 same shift; {len(shifts)} rows, 0 duplicates")


# --- b. kill -9 of a worker, then of the whole server, mid-burst ---

class Burst:
    """Client threads doing check-in/check-out cycles, each request retried until acknowledged.

    A retry repeats the same request: a check-in with its client_id (the server answers 200
    with the shift when the lost attempt had landed), a check-out of the same shift (409
    ``shift_not_open`` then means the lost attempt closed it).
    """

    def __init__(self, base_url, members, post_token, cycles, deadline):
        self.base_url = base_url
        self.members = members
        self.post_token = post_token
        self.cycles = cycles
        self.deadline = deadline
        self.lock = threading.Lock()
        self.acked = 0
        self.check_ins = {}  # client_id -> (member id, shift id) the client saw acknowledged
        self.check_outs = {}  # shift id -> "200" or "shift_not_open" (a lost attempt had landed)
        self.sent = 0
        self.connection_errors = 0
        self.answers_dropped = 0
        self.retries_found_earlier = 0
        self.unexpected = []

    @property
    def total(self):
        return 2 * len(self.members) * self.cycles

    def send(self, path, body, headers, acknowledged):
        attempt = 0
        with self.lock:
            self.sent += 1
            # Every 4th request's answer is lost on the way back (the client stops waiting at once),
            # as on a phone losing its network: its retry must find what the server did.
            drop_answer = self.sent % 4 == 0
        while True:
            attempt += 1
            timeout = (5, 0.001) if drop_answer and attempt == 1 else 15
            try:
                response = requests.post(self.base_url + path, json=body, headers=headers, timeout=timeout)
            except requests.RequestException:
                with self.lock:
                    if timeout == 15:
                        self.connection_errors += 1
                    else:
                        self.answers_dropped += 1
            else:
                verdict = acknowledged(response, attempt)
                if verdict:
                    with self.lock:
                        self.acked += 1
                    return response
                if response.status_code != 503:
                    with self.lock:
                        self.unexpected.append((path, response.status_code, response.text[:300]))
                    return None
            if time.monotonic() > self.deadline:
                raise AssertionError(f"{path} not acknowledged before the deadline")
            time.sleep(0.05)

    def run_member(self, member_id, headers):
        for cycle in range(self.cycles):
            client_id = f"burst-{member_id}-{cycle}"

            def check_in_acked(response, attempt):
                if response.status_code == 200 and attempt > 1:
                    with self.lock:
                        self.retries_found_earlier += 1
                return response.status_code == 201 or (response.status_code == 200 and attempt > 1)

            body = {"token": self.post_token, **LOCATION, "client_id": client_id}
            response = self.send("/api/v1/shifts/check-in", body, headers, check_in_acked)
            if response is None:
                return
            shift_id = response.json()["id"]
            with self.lock:
                self.check_ins[client_id] = (member_id, shift_id)

            def check_out_acked(response, attempt):
                if response.status_code == 200:
                    self.check_outs[shift_id] = "200"
                    return True
                error = response.json().get("error", {}) if response.status_code == 409 else {}
                if attempt > 1 and error.get("code") == "shift_not_open":
                    with self.lock:
                        self.retries_found_earlier += 1
                    self.check_outs[shift_id] = "shift_not_open"
                    return True
                return False

            if self.send(f"/api/v1/shifts/{shift_id}/check-out", LOCATION, headers, check_out_acked) is None:
                return

    def run(self, threads):
        with ThreadPoolExecutor(max_workers=threads) as pool:
            futures = [pool.submit(self.run_member, member_id, headers) for member_id, headers in self.members]
            for future in futures:
                future.result()


@pytest.mark.timeout(90)
def test_kill_9_mid_burst_loses_no_acknowledged_check_in(server, world, codes, figures):
    """kill -9 of a worker at 1/6, 2/6 and 3/6 of the burst, of master and workers at 4/6: nothing acknowledged is lost."""
    _, members = add_people(world.a.unit, members=24, prefix="burst")
    burst = Burst(server.base_url, members, codes["post"], cycles=3, deadline=time.monotonic() + 60)
    events = {"workers": []}

    def chaos():
        for sixth in (1, 2, 3):
            wait_for(lambda: burst.acked >= sixth * burst.total // 6, 40, f"{sixth}/6 of the burst")
            started = time.monotonic()
            old, new = server.kill_worker()
            events["workers"].append((burst.acked, old, new, time.monotonic() - started))
        wait_for(lambda: burst.acked >= 4 * burst.total // 6, 40, "4/6 of the burst")
        events["server_kill_at"] = burst.acked
        started = time.monotonic()
        server.kill_all()
        server.start()
        events["server_restart_s"] = time.monotonic() - started

    started = time.monotonic()
    chaos_thread = threading.Thread(target=_run, args=(chaos, events))
    chaos_thread.start()
    try:
        burst.run(threads=6)
    finally:
        chaos_thread.join(timeout=60)
    elapsed = time.monotonic() - started
    assert events.get("error") is None, events["error"]
    assert "server_restart_s" in events, events
    assert burst.unexpected == [], burst.unexpected[:5]
    assert len(burst.check_ins) == len(members) * 3 and len(burst.check_outs) == len(burst.check_ins)

    fresh_read()
    rows = {row.client_id: row for row in db.session.execute(
        select(Shift.id, Shift.client_id, Shift.member_id, Shift.status, Shift.ended_at)
        .where(Shift.client_id.like("burst-%")))}
    for client_id, (member_id, shift_id) in burst.check_ins.items():
        row = rows.get(client_id)
        assert row is not None, f"acknowledged check-in {client_id} (shift {shift_id}) is not in the database"
        assert (row.id, row.member_id) == (shift_id, member_id)
        assert row.status != "open" and row.ended_at is not None, f"acknowledged check-out of shift {shift_id} lost"
    per_member = db.session.execute(select(Shift.member_id, func.count()).group_by(Shift.member_id)).all()
    assert sorted(count for _, count in per_member) == [3] * len(members), "a duplicated or missing shift"
    assert "Traceback" not in server.log_tail(10**6), server.log_tail()

    kills = "; ".join(f"after {at} writes {old}→{new} ({seconds:.2f} s)" for at, old, new, seconds in events["workers"])
    figures(f"gunicorn ×2 workers on {DB_NAME}: {len(members)} members × 3 check-in/check-out cycles "
            f"= {burst.total} acknowledged writes from 6 client threads in {elapsed:.1f} s")
    figures(f"kill -9 of a worker, replaced by the master: {kills}")
    figures(f"kill -9 of master + workers after {events['server_kill_at']} writes: restarted and answering "
            f"in {events['server_restart_s']:.2f} s")
    figures(f"{burst.connection_errors} requests lost to the kills and {burst.answers_dropped} answers dropped by "
            f"the client, all retried; {burst.retries_found_earlier} retries found their lost write already "
            f"committed (200 same shift / 409 shift_not_open)")
    figures(f"database afterwards: {len(rows)} shifts = {len(burst.check_ins)} acknowledged check-ins, all closed; "
            f"0 lost, 0 duplicates")


def _run(function, events):
    try:
        function()
    except BaseException as error:  # reported by the test, not lost in the thread
        events["error"] = repr(error)


# --- c. PostgreSQL stopped and started under the running app ---

class OwnPostgres:
    """A small PostgreSQL cluster of this test's own (scripts/test's recipe), to stop and start at will."""

    def __init__(self):
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
        if not bins:
            if os.environ.get("CI"):
                pytest.fail("PostgreSQL's server binaries are missing (scripts/test installs postgresql)")
            pytest.skip("needs PostgreSQL's server binaries (/usr/lib/postgresql/*/bin)")
        self.bin = bins[-1].parent
        self.dir = Path(tempfile.mkdtemp(prefix="red-station-faults-pg."))
        self.data = self.dir / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/red_station_faults"
        if os.getuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")

    def run(self, *args, timeout=60):
        command = [str(self.bin / args[0]), *args[1:]]
        if os.getuid() == 0:  # initdb refuses root: the cluster belongs to the postgres OS user
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, cwd=self.dir, check=True, timeout=timeout,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def initdb(self):
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale")
        self.start()
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "red_station_faults")

    def start(self):
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "server.log"), "-w", "-t", "30",
                 "-o", options, "start")

    def stop(self, mode="fast"):
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def remove(self):
        if (self.data / "postmaster.pid").exists():
            try:
                self.stop("immediate")
            except subprocess.SubprocessError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def own_postgres():
    cluster = OwnPostgres()
    try:
        cluster.initdb()
        yield cluster
    finally:
        cluster.remove()


def postgres_config(url):
    class OwnPostgresConfig(server_config.TestConfig):
        def __init__(self):
            super().__init__()
            self.SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://" + url.split("://", 1)[1]

    return OwnPostgresConfig


def assert_unavailable(response):
    """503 in the contract's error shape, code database_unavailable, a Chinese message."""
    assert response.status_code == 503, (response.status_code, response.text[:300])
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == "database_unavailable", body
    assert CHINESE.search(body["error"]["message"]), body


@pytest.mark.timeout(90)
@pytest.mark.skipif(USING_POSTGRES, reason="runs once, in the SQLite pass: it brings its own PostgreSQL cluster")
def test_postgres_restart_answers_503_then_recovers_without_restart(own_postgres, tmp_path, figures):
    """Stop PostgreSQL under a loaded server: 503s in the error shape, then the same workers recover."""
    config = postgres_config(own_postgres.url)
    # running_app's reset is for the suite's database; this cluster is new, so its schema is made here.
    from server import create_app

    app = create_app(config)
    with app.app_context():
        db.create_all()
        unit = Unit(name="丙站", type="enforcement_station", is_red_station=True, address="丙站地址")
        db.session.add(unit)
        db.session.flush()
        db.session.add(Post(unit_id=unit.id, name="丙站志愿岗", lat=30.75, lng=120.75, radius_m=200, service="引导"))
        db.session.flush()
        from server.qr.services import issue_code

        post_token = issue_code("post", db.session.scalar(select(Post))).token
        citizens, members = add_people(unit, citizens=40, members=40, prefix="pg")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()

    with gunicorn(own_postgres.url, tmp_path) as server:
        url = server.base_url
        workers_before = server.worker_pids()
        counter = iter(range(10**6))

        def one_request(timeout=12):
            """A read or a write, picked in turn; returns (status, seconds, response)."""
            i = next(counter)
            kind = i % 3
            started = time.monotonic()
            if kind == 0:
                response = requests.get(f"{url}/api/v1/me", headers=citizens[i % 40], timeout=timeout)
            elif kind == 1:
                response = requests.post(f"{url}/api/v1/ratings", headers=citizens[i % 40], timeout=timeout,
                                         json={"token": "no-such-code", "score": 5, "client_id": f"pg-{i}"})
            else:
                member_id, headers = members[i % 40]
                response = requests.get(f"{url}/api/v1/me/shifts", headers=headers, timeout=timeout)
            return response.status_code, time.monotonic() - started, response

        # Before: every kind of request works (an unknown code is a 404 from the database's answer).
        assert [one_request()[0] for _ in range(6)] == [200, 404, 200] * 2

        # Load from 3 threads through the stop and the start; every answer is 2xx/404 or a proper 503.
        stop_load = threading.Event()
        seen = []

        def load():
            while not stop_load.is_set():
                try:
                    seen.append(one_request())
                except requests.RequestException as error:
                    seen.append((repr(error), 0, None))

        threads = [threading.Thread(target=load) for _ in range(3)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(0.5)
            own_postgres.stop("fast")
            stopped_at = time.monotonic()
            time.sleep(0.5)
            during = [one_request() for _ in range(12)]
            member_id, headers = members[0]
            outage_check_in = {"token": post_token, **LOCATION, "client_id": "pg-outage"}
            refused = requests.post(f"{url}/api/v1/shifts/check-in", json=outage_check_in, headers=headers, timeout=12)
            own_postgres.start()
            restarted_at = time.monotonic()
            recovered_at = None
            while time.monotonic() - restarted_at < 20:
                status, _, response = one_request()
                if status in (200, 404):
                    recovered_at = time.monotonic()
                    break
                assert_unavailable(response)
                time.sleep(0.1)
            time.sleep(0.5)
        finally:
            stop_load.set()
            for thread in threads:
                thread.join(timeout=20)

        for status, seconds, response in during + [(None, 0, refused)]:
            assert_unavailable(response)
        # …and the OpenAPI document says so for each operation probed.
        paths = requests.get(f"{url}/api/v1/openapi.json", timeout=10).json()["paths"]
        for method, path in (("get", "/api/v1/me"), ("post", "/api/v1/ratings"), ("get", "/api/v1/me/shifts"),
                             ("post", "/api/v1/shifts/check-in")):
            assert "503" in paths[path][method]["responses"], (method, path)
        assert recovered_at is not None, "no request succeeded within 20 s of PostgreSQL's restart"
        bad = [(status, response.text[:200] if response is not None else "") for status, _, response in seen
               if status not in (200, 404) and not (status == 503 and response.json()["error"]["code"]
                                                     == "database_unavailable")]
        if bad:
            pytest.fail(f"not 503 during the outage: {bad[:5]}\nserver log:\n{server.log_tail(300)}", pytrace=False)
        # After: every kind works again, on the very same worker processes.
        after = [one_request() for _ in range(30)]
        assert sorted({status for status, _, _ in after}) == [200, 404], [(s, r.text[:200]) for s, _, r in after]
        assert server.worker_pids() == workers_before, "the workers were replaced"
        # Writes land again: the check-in refused with a 503 during the outage, retried, is new (201)
        # — the 503 wrote nothing — and once (a second retry finds it: 200).
        first = requests.post(f"{url}/api/v1/shifts/check-in", json=outage_check_in, headers=headers, timeout=10)
        again = requests.post(f"{url}/api/v1/shifts/check-in", json=outage_check_in, headers=headers, timeout=10)
        assert (first.status_code, again.status_code) == (201, 200) and first.json()["id"] == again.json()["id"]
        assert "Traceback" not in server.log_tail(10**6), server.log_tail()

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Shift)) == 1
        db.session.remove()
        db.engine.dispose()

    during_503 = [s for s in seen if s[0] == 503]
    figures(f"PostgreSQL stopped under load (3 threads + probes, gunicorn ×2 workers): {len(during)} probes during "
            f"the outage all 503 database_unavailable (slowest {max(s for _, s, _ in during):.2f} s); "
            f"{len(seen)} load requests: {len(during_503)}×503, 0×500, 0 hung")
    figures(f"PostgreSQL back after {restarted_at - stopped_at:.1f} s down: first success "
            f"{recovered_at - restarted_at:.2f} s after its restart, then {len(after)}/{len(after)} requests fine "
            f"on the same worker pids {sorted(workers_before)}")
