"""Fixtures: a fresh database per test (SQLite in memory, or PostgreSQL from TEST_DATABASE_URL),
clients, and logins as citizen, member, unit admin and bureau admin."""
import os
import re
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from flask import g, request_started
from sqlalchemy import inspect, text

from server import create_app
from server.auth import tokens
from server.auth.services import create_admin, new_bind_code
from server.config import TestConfig
from server.extensions import db, limiter
from server.models import Member, Post, Unit, Window, WechatUser
from server.qr.services import issue_code
from server.stats.tallies import differences
from wechat_fake import FakeWechat

USING_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))
_schema_ready = False


def _reset_database():
    """SQLite: a new in-memory database. PostgreSQL: create the schema once, then truncate."""
    global _schema_ready
    if not USING_POSTGRES:
        db.create_all()
        return
    if not _schema_ready:
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
        _schema_ready = True
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with db.engine.begin() as conn:
        _end_leaked_transactions(conn)
        conn.execute(text("SET LOCAL lock_timeout = '20s'"))
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def _end_leaked_transactions(conn):
    """End sessions an earlier test left idle in a transaction, which would block TRUNCATE forever.

    Each is reported as a warning with its last statement, so the leak stays visible.
    """
    import warnings

    leaked = conn.execute(text(
        "SELECT pid, left(query, 200) FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
    )).all()
    for pid, query in leaked:
        warnings.warn(f"ending a database session left idle in a transaction by an earlier test: {query!r}")
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


@contextmanager
def running_app(config="test", reset_limits=True):
    """An app from ``config`` (class or name) inside its app context, on a fresh database (and
    fresh rate-limit counters: ``reset_limits=False`` for a limiter whose storage is down)."""
    app = create_app(config)
    # The test client's requests run inside this long-lived app context, so its ``g`` would
    # carry one request's state (e.g. the caller's identity) into the next. Production has a
    # fresh ``g`` per request; so do the tests.
    request_started.connect(_fresh_g, app, weak=False)
    try:
        with app.app_context():
            _reset_database()
            if reset_limits:
                limiter.reset()
            yield app
            db.session.remove()
            _assert_tallies_match()
            db.engine.dispose()
    finally:
        request_started.disconnect(_fresh_g, app)


def _assert_tallies_match():
    """After every test: the figures' daily tallies equal what the ratings and shifts give,
    whatever the test wrote through the API or the session (server/stats/tallies.py)."""
    with db.engine.connect() as connection:
        if not inspect(connection).has_table("rating"):
            return  # the test dropped its in-memory database on purpose
        found = differences(connection)
    assert not found, f"tallies differ from the rows (table, key, column, stored, computed): {found[:10]}"


def _fresh_g(sender, **extra):
    for name in list(g):
        g.pop(name)


@pytest.fixture
def app():
    with running_app("test") as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def bearer(kind, account):
    """Authorization header for an Admin ("admin") or WechatUser ("wechat")."""
    token, _ = tokens.issue(kind, account)
    return {"Authorization": f"Bearer {token}"}


def make_unit_with_objects(name):
    """A unit with one member, window and post, as an admin would set it up."""
    unit = Unit(name=name, type="enforcement_station", is_red_station=True, address=f"{name}地址")
    db.session.add(unit)
    db.session.flush()
    member = Member(unit_id=unit.id, name=f"{name}党员", post_title="先锋岗", phone="13812345678")
    member.commitment = "热情服务，件件有回音"
    window = Window(unit_id=unit.id, name=f"{name}窗口", duties=["受理"], time_limits=[{"item": "办证", "limit": "即办"}])
    window.commitments = ["一次办结"]
    post = Post(unit_id=unit.id, name=f"{name}志愿岗", lat=30.75, lng=120.75, radius_m=200, service="引导")
    db.session.add_all([member, window, post])
    db.session.flush()
    return SimpleNamespace(unit=unit, member=member, window=window, post=post)


@pytest.fixture
def world(app):
    """Two units A and B with their objects and admins, a bureau admin, a citizen and a bound member."""
    a = make_unit_with_objects("甲站")
    b = make_unit_with_objects("乙站")
    bureau = create_admin("bureau", "bureau-pass-1", "bureau_admin")
    a.admin = create_admin("admin_a", "admin-a-pass", "unit_admin", a.unit.id)
    b.admin = create_admin("admin_b", "admin-b-pass", "unit_admin", b.unit.id)
    citizen = WechatUser(openid="openid-citizen")
    member_user = WechatUser(openid="openid-member")
    db.session.add_all([citizen, member_user])
    db.session.flush()
    a.member.wechat_user_id = member_user.id
    db.session.commit()
    return SimpleNamespace(
        a=a, b=b, bureau=bureau, citizen=citizen, member_user=member_user,
        bureau_headers=bearer("admin", bureau),
        a_headers=bearer("admin", a.admin),
        b_headers=bearer("admin", b.admin),
        citizen_headers=bearer("wechat", citizen),
        member_headers=bearer("wechat", member_user),
    )


@pytest.fixture
def bind_code(world):
    """A fresh bind code for unit B's (unbound) member."""
    code = new_bind_code(world.b.member)
    db.session.commit()
    return code.code


@pytest.fixture
def codes(world):
    """Current QR tokens of unit A's member (badge), window and post."""
    a = world.a
    issued = {"badge": issue_code("badge", a.member), "window": issue_code("window", a.window),
              "post": issue_code("post", a.post)}
    db.session.commit()
    return {kind: code.token for kind, code in issued.items()}


@pytest.fixture
def wechat_server():
    """A local server speaking WeChat's API (tests/wechat_fake.py), stopped after the test."""
    with FakeWechat() as server:
        yield server


@pytest.fixture
def redis_url():
    """The throwaway Redis scripts/test starts (TEST_REDIS_URL); a test needing Redis skips without it."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("needs Redis: TEST_REDIS_URL is not set (scripts/test starts a redis-server)")
    return url


@pytest.fixture
def redis_prefix(redis_url):
    """A key prefix of this test's own in the test Redis (REDIS_KEY_PREFIX); its keys are deleted after."""
    import uuid

    import redis

    prefix = f"rs-test-{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=prefix.rstrip(":") + "*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def wechat_config(server):
    """A TestConfig class whose WeChat client talks to the fake ``server``."""

    class WechatTestConfig(TestConfig):
        def __init__(self):
            super().__init__()
            self.WECHAT_APPID = server.appid
            self.WECHAT_SECRET = server.secret
            self.WECHAT_API_BASE = server.base_url

    return WechatTestConfig


@pytest.fixture
def wechat_app(wechat_server):
    """An app whose WeChat logins go over HTTP to ``wechat_server``.

    A test module can make every fixture (client, world, bind_code) use it with
    ``@pytest.fixture`` ``def app(wechat_app): return wechat_app``.
    """
    with running_app(wechat_config(wechat_server)) as app:
        yield app


# --- Shared assertions: the contract's error shape, and "this request wrote nothing". ---

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def assert_error(response, status, *fields):
    """``response`` is the contract's error answer with ``status``, naming each of ``fields``."""
    text_body = response.get_data(as_text=True)
    assert response.status_code == status, (response.status_code, text_body[:500])
    assert response.is_json, text_body[:300]
    body = response.get_json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert re.fullmatch(r"[a-z][a-z0-9_]*", str(error.get("code"))), error
    assert isinstance(error.get("message"), str) and CHINESE.search(error["message"]), error
    assert "Traceback" not in text_body
    for name in fields:
        assert name in (error.get("fields") or {}), (name, error)
    return error


def db_snapshot():
    """Every row of every table, ordered: equal before and after means nothing was written."""
    db.session.expire_all()
    return {
        table.name: [tuple(row) for row in db.session.execute(table.select().order_by(*table.primary_key.columns))]
        for table in db.metadata.sorted_tables
    }


# --- A real HTTP server for tests that need concurrency or a browser. ---

def file_database_config(tmp_path):
    """A TestConfig on a database that several connections share: PostgreSQL when given, else a SQLite file."""

    class FileDatabaseConfig(TestConfig):
        def __init__(self):
            super().__init__()
            if not USING_POSTGRES:
                self.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'live.sqlite3'}"

    return FileDatabaseConfig


@contextmanager
def serving(app):
    """Serve ``app`` with a threaded WSGI server on 127.0.0.1; yields its base URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def live_app(tmp_path):
    """An app on a multi-connection database (see file_database_config), for ``live_server``."""
    with running_app(file_database_config(tmp_path)) as app:
        yield app


@pytest.fixture
def live_server(live_app):
    """The base URL of ``live_app`` served over real HTTP in a thread."""
    with serving(live_app) as base_url:
        yield base_url


# --- Figures measured by the fault and fuzz tests, printed at the end of the run. ---

FIGURES = []


@pytest.fixture
def figures(request):
    """``figures(line)`` records a measured figure; every line is printed in the run's summary."""
    return lambda line: FIGURES.append(f"{request.node.nodeid.split('::', 1)[-1]}: {line}")


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        db_name = "PostgreSQL" if USING_POSTGRES else "SQLite"
        terminalreporter.write_sep("-", f"fault and fuzz figures ({db_name})")
        for line in FIGURES:
            terminalreporter.write_line(line)
