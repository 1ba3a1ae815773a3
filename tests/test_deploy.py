"""Deployment: /healthz, gunicorn.conf.py (its settings, and a real gunicorn serving the app),
the proxy trust rate limits depend on (TRUSTED_PROXIES), and scripts/backup + scripts/restore
round trips on SQLite and, when the suite runs on it, PostgreSQL.
"""
import os
import runpy
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, inspect, text

from conftest import USING_POSTGRES, assert_error, running_app
from server import create_app
from server.config import TestConfig as BaseConfig
from server.config import database_url
from server.demo import seed_demo
from server.extensions import db
from server.models import Unit

REPO = Path(__file__).resolve().parent.parent
GUNICORN_CONF = REPO / "gunicorn.conf.py"
ADMIN_LOGIN = "/api/v1/auth/admin"
CLOSED_PORT_REDIS = "redis://127.0.0.1:9/0"
CLOSED_PORT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:9/red_station"


def config_with(base=BaseConfig, redis_url=None, **settings):
    """``base`` with its shared state in Redis at ``redis_url`` (None: memory) and ``settings``."""

    class Config(base):
        def __init__(self):
            super().__init__()
            if redis_url:
                self.use_redis(redis_url, f"rs-test-{uuid.uuid4().hex[:12]}:")
            for name, value in settings.items():
                setattr(self, name, value)

    return Config


def healthz(config):
    """GET /healthz on an app built from ``config`` (no test database: the check must find its own)."""
    app = create_app(config)
    with app.app_context():
        started = time.monotonic()
        response = app.test_client().get("/healthz")
        elapsed = time.monotonic() - started
        db.engine.dispose()
    return response, elapsed


# --- /healthz ---------------------------------------------------------------------------------


def test_healthz_ok_without_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "not_configured"}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_ok_with_database_and_redis(redis_url):
    response, _ = healthz(config_with(redis_url=redis_url))
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_database_down():
    response, elapsed = healthz(config_with(SQLALCHEMY_DATABASE_URI=CLOSED_PORT_DATABASE))
    assert_error(response, 503, "database")
    assert "数据库" in response.get_json()["error"]["message"]
    assert elapsed < 5


def test_healthz_redis_down():
    response, elapsed = healthz(config_with(redis_url=CLOSED_PORT_REDIS))
    assert_error(response, 503, "redis")
    body = response.get_json()["error"]
    assert "Redis" in body["message"] and "数据库" not in body["message"]
    assert set(body["fields"]) == {"redis"}
    assert elapsed < 5


def test_healthz_names_everything_that_is_down():
    response, _ = healthz(config_with(redis_url=CLOSED_PORT_REDIS, SQLALCHEMY_DATABASE_URI=CLOSED_PORT_DATABASE))
    assert_error(response, 503, "database", "redis")
    message = response.get_json()["error"]["message"]
    assert "数据库" in message and "Redis" in message


def test_healthz_is_not_rate_limited_and_not_in_the_api_document(client):
    assert {client.get("/healthz").status_code for _ in range(40)} == {200}
    assert "/healthz" not in client.get("/api/v1/openapi.json").get_json()["paths"]


# --- gunicorn.conf.py -------------------------------------------------------------------------


def load_gunicorn_conf(monkeypatch, **env):
    """gunicorn.conf.py's settings under ``env`` (the variables it reads are cleared first)."""
    for name in ("BIND", "PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_TIMEOUT",
                 "GUNICORN_MAX_REQUESTS", "GUNICORN_MAX_REQUESTS_JITTER", "GUNICORN_PRELOAD",
                 "GUNICORN_ACCESSLOG", "GUNICORN_CONTROL_SOCKET"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(GUNICORN_CONF))


def test_gunicorn_defaults(monkeypatch):
    conf = load_gunicorn_conf(monkeypatch)
    assert conf["bind"] == ["127.0.0.1:8000"]
    assert conf["workers"] == conf["default_workers"]()
    assert [conf["default_workers"](cores) for cores in (1, 2, 4, 32)] == [3, 5, 9, 12]
    assert conf["threads"] == 1 and conf["preload_app"] is True
    # Replacing workers is rare (a fork with preload), not every few seconds under load.
    assert conf["max_requests"] >= 10000 and conf["max_requests_jitter"] > 0
    assert conf["timeout"] > conf["graceful_timeout"] > 0
    assert conf["control_socket_disable"] is True
    # No query string, Referer, or request header (Authorization, Cookie) in the access log.
    log_format = conf["access_log_format"]
    assert "%(U)s" in log_format
    for atom in ("%(r)s", "%(q)s", "%(f)s", "i)s", "%(u)s"):
        assert atom not in log_format


def test_gunicorn_settings_from_the_environment(monkeypatch):
    conf = load_gunicorn_conf(monkeypatch, PORT="9001", WEB_CONCURRENCY="3", GUNICORN_THREADS="4",
                              GUNICORN_PRELOAD="0", GUNICORN_MAX_REQUESTS="0")
    assert conf["bind"] == ["127.0.0.1:9001"]
    assert (conf["workers"], conf["threads"], conf["preload_app"]) == (3, 4, False)
    assert (conf["max_requests"], conf["max_requests_jitter"]) == (0, 0)
    conf = load_gunicorn_conf(monkeypatch, BIND="0.0.0.0:8000, unix:/run/red-station.sock", PORT="9001")
    assert conf["bind"] == ["0.0.0.0:8000", "unix:/run/red-station.sock"]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_serves_the_app_with_the_config(tmp_path):
    """A real gunicorn (2 workers, preloaded app) from gunicorn.conf.py answers /healthz; its log stays clean."""
    port = free_port()
    database = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'gunicorn.sqlite3'}"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("FLASK_", "RED_STATION", "REDIS_", "WECHAT_", "GUNICORN_", "BIND", "PORT"))}
    env.update(RED_STATION_CONFIG="development", DATABASE_URL=database, PORT=str(port), WEB_CONCURRENCY="2",
               GUNICORN_PRELOAD="1", GUNICORN_TIMEOUT="20")
    if os.environ.get("TEST_REDIS_URL"):
        env["REDIS_URL"] = os.environ["TEST_REDIS_URL"]
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "wsgi:app"],
                                  cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 40
        while True:
            assert server.poll() is None, log_path.read_text()[-3000:]
            try:
                first = requests.get(f"{base}/healthz", timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, log_path.read_text()[-3000:]
                time.sleep(0.2)
        assert first.status_code == 200, first.text
        expected_redis = "ok" if "REDIS_URL" in env else "not_configured"
        assert first.json() == {"status": "ok", "database": "ok", "redis": expected_redis}
        # Several connections, so both workers answer; a token in the query and a header.
        for _ in range(6):
            answer = requests.get(f"{base}/healthz?access_token=QUERY-SECRET-1",
                                  headers={"Authorization": "Bearer HEADER-SECRET-2"}, timeout=5)
            assert answer.status_code == 200
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
    log_text = log_path.read_text()
    assert log_text.count('"GET /healthz HTTP/1.1" 200') == 7, log_text[-3000:]
    assert "QUERY-SECRET-1" not in log_text and "HEADER-SECRET-2" not in log_text
    assert "Traceback" not in log_text and "Exception in worker" not in log_text, log_text[-3000:]
    assert server.returncode == 0, log_text[-3000:]


# --- proxies and the client address the rate limits key on -----------------------------------


def login_statuses(client, *forwarded_for):
    return [client.post(ADMIN_LOGIN, json={"username": "nobody", "password": "x"},
                        headers={"X-Forwarded-For": address}).status_code for address in forwarded_for]


def test_behind_one_trusted_proxy_limits_key_on_the_real_client():
    with running_app(config_with(TRUSTED_PROXIES=1, LOGIN_RATE_LIMIT="2 per minute")) as app:
        client = app.test_client()
        assert login_statuses(client, "203.0.113.7", "203.0.113.7", "203.0.113.7") == [401, 401, 429]
        # Another citizen behind the same proxy is not refused for the first one's attempts.
        assert login_statuses(client, "198.51.100.20") == [401]
        # A client cannot pick its address: the proxy appends the real one after whatever it sent.
        assert login_statuses(client, "198.51.100.99, 203.0.113.7") == [429]


def test_without_trusted_proxies_forwarded_headers_are_ignored():
    with running_app(config_with(LOGIN_RATE_LIMIT="2 per minute")) as app:
        client = app.test_client()
        assert login_statuses(client, "203.0.113.1", "203.0.113.2", "203.0.113.3") == [401, 401, 429]


# --- backups ----------------------------------------------------------------------------------


def table_contents(url):
    """Every table's rows (as sorted reprs), by table name, read with a plain engine."""
    engine = create_engine(database_url(url))
    try:
        with engine.connect() as connection:
            names = inspect(connection).get_table_names()
            return {name: sorted(repr(tuple(row)) for row in connection.execute(text(f'SELECT * FROM "{name}"')))
                    for name in names}
    finally:
        engine.dispose()


def run_script(name, *args, database):
    env = dict(os.environ, DATABASE_URL=database)
    return subprocess.run([str(REPO / "scripts" / name), *args], env=env, capture_output=True, text=True,
                          timeout=120)


def seed():
    """The demo data (units, people, windows, posts, codes, admins: Chinese text throughout)."""
    seed_demo()
    db.session.commit()


def check_round_trip(source_url, target_url, tmp_path):
    backup_file = tmp_path / "backup.file"
    made = run_script("backup", str(backup_file), database=source_url)
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == str(backup_file) and backup_file.stat().st_size > 0

    restored = run_script("restore", str(backup_file), database=target_url)
    assert restored.returncode == 0, restored.stderr

    before, after = table_contents(source_url), table_contents(target_url)
    assert set(before) >= {"unit", "member", "admin", "qr_code"}, sorted(before)
    assert before["unit"] and before["member"] and before["admin"] and before["qr_code"]
    assert after == before

    # A second restore into the now-filled database is refused unless --clean.
    again = run_script("restore", str(backup_file), database=target_url)
    assert again.returncode == 1 and "error:" in again.stderr
    return backup_file


def test_sqlite_backup_and_restore(tmp_path):
    source = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    target = f"sqlite:///{tmp_path / 'restored' / 'red_station.sqlite3'}"
    app = create_app(config_with(SQLALCHEMY_DATABASE_URI=source))
    with app.app_context():
        db.create_all()
        seed()
        db.session.remove()
        db.engine.dispose()

    backup_file = check_round_trip(source, target, tmp_path)

    # The restored file is a working database for the app.
    app = create_app(config_with(SQLALCHEMY_DATABASE_URI=target))
    with app.app_context():
        db.session.add(Unit(name="恢复后新增", type="other", is_red_station=False, address="—"))
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count(Unit.id))) == len(table_contents(source)["unit"]) + 1
        db.session.remove()
        db.engine.dispose()
    # --clean puts the backup's content back over it.
    cleaned = run_script("restore", str(backup_file), "--clean", database=target)
    assert cleaned.returncode == 0, cleaned.stderr
    assert table_contents(target) == table_contents(source)


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    bogus = tmp_path / "bogus.sqlite3"
    bogus.write_text("not a database")
    result = run_script("restore", str(bogus), database=f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    assert result.returncode == 1 and "error:" in result.stderr


@pytest.mark.skipif(not USING_POSTGRES, reason="PostgreSQL round trip: the suite runs on SQLite")
def test_postgresql_backup_and_restore(tmp_path):
    source = os.environ["TEST_DATABASE_URL"]
    with running_app("test") as app:
        seed()
    restore_db = f"red_station_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database_url(source), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{restore_db}"'))
    target = source.rsplit("/", 1)[0] + "/" + restore_db
    try:
        check_round_trip(source, target, tmp_path)
        # Sequences came along: the restored database hands out fresh ids.
        app = create_app(config_with(SQLALCHEMY_DATABASE_URI=database_url(target)))
        with app.app_context():
            db.session.add(Unit(name="恢复后新增", type="other", is_red_station=False, address="—"))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{restore_db}" WITH (FORCE)'))
        admin.dispose()
