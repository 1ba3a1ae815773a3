"""State every worker shares through Redis (REDIS_URL): Flask-Limiter's counters and WeChat's
access token. Real redis-server (scripts/test starts one: TEST_REDIS_URL), real separate
processes (tests/redis_worker.py, built like a gunicorn worker from the environment) and the
local WeChat fake (tests/wechat_fake.py) counting its stable_token calls.
"""
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis
from limits.storage import MemoryStorage
from werkzeug.exceptions import TooManyRequests

from conftest import bearer, make_unit_with_objects, running_app, wechat_config
from server.config import TestConfig as BaseConfig
from server.extensions import db
from server.models import WechatUser, Window
from server.qr.services import issue_code
from server.ratings import limits as rating_limits
from server.wechat.access_token import MemoryTokenCache, RedisTokenCache
from server.wechat.client import WechatClient

REPO = Path(__file__).resolve().parent.parent
WORKER = REPO / "tests" / "redis_worker.py"
STABLE_TOKEN = "/cgi-bin/stable_token"
SEC_CHECK = "/wxa/msg_sec_check"
ADMIN_LOGIN = "/api/v1/auth/admin"
CLOSED_PORT_REDIS = "redis://127.0.0.1:9/0"  # the discard port: nothing listens there


def redis_config(base, url, prefix, **settings):
    """``base`` (a config class) with its shared state in Redis at ``url`` under ``prefix``."""

    class RedisConfig(base):
        def __init__(self):
            super().__init__()
            self.use_redis(url, prefix)
            for name, value in settings.items():
                setattr(self, name, value)

    return RedisConfig


def worker_env(tmp_path, index, **settings):
    """The environment of one worker process: development config, its own SQLite file, ``settings``."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("TEST_", "REDIS_", "WECHAT_", "RATELIMIT", "FLASK_", "RED_STATION"))}
    env.update(RED_STATION_CONFIG="development", PYTHONPATH=str(REPO),
               DATABASE_URL=f"sqlite:///{tmp_path / f'worker{index}.sqlite3'}")
    env.update({name: str(value) for name, value in settings.items()})
    return env


def run_workers(tmp_path, count, args, timeout=60, **settings):
    """Start ``count`` worker processes, release them together once all are ready; their stdout lines."""
    processes = [
        subprocess.Popen([sys.executable, str(WORKER), *args], cwd=REPO, env=worker_env(tmp_path, i, **settings),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(count)
    ]
    try:
        for process in processes:
            ready = process.stdout.readline().strip()
            assert ready == "ready", process.communicate(timeout=timeout)[1][-3000:]
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        results = []
        for process in processes:
            out, err = process.communicate(timeout=timeout)
            assert process.returncode == 0, err[-3000:]
            results.append(out.split())
        return results
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


# --- rate limits ------------------------------------------------------------------------------


def test_login_limit_counts_across_processes(tmp_path, redis_url, redis_prefix):
    """Three failed logins in this process, then a fourth in another process: refused, one counter."""
    settings = {"LOGIN_RATE_LIMIT": "3 per minute"}
    with running_app(redis_config(BaseConfig, redis_url, redis_prefix, **settings)) as app:
        client = app.test_client()
        statuses = [client.post(ADMIN_LOGIN, json={"username": "nobody", "password": "x"}).status_code
                    for _ in range(3)]
        assert statuses == [401, 401, 401]
    assert redis.Redis.from_url(redis_url).keys(redis_prefix + "limits*"), "the counters live in Redis"

    (other,) = run_workers(tmp_path, 1, ["login", "2"], REDIS_URL=redis_url, REDIS_KEY_PREFIX=redis_prefix, **settings)
    assert other == ["429", "429"]


def test_limits_still_apply_in_memory_while_redis_is_down(redis_url, redis_prefix):
    config = redis_config(BaseConfig, CLOSED_PORT_REDIS, redis_prefix, LOGIN_RATE_LIMIT="2 per minute")
    with running_app(config, reset_limits=False) as app:
        client = app.test_client()
        statuses = [client.post(ADMIN_LOGIN, json={"username": "nobody", "password": "x"}).status_code
                    for _ in range(3)]
    assert statuses == [401, 401, 429]


class TestRatingLimits:
    """The rating budget (server/ratings/limits.py) in Redis: one round trip per accepted rating
    (two for one the view refuses), on the counters every worker reads."""

    @pytest.fixture
    def app(self, redis_url, redis_prefix):
        settings = {"RATING_RATE_LIMIT_RATER": "3 per day", "RATING_RATE_LIMIT_IP": "1000 per hour"}
        with running_app(redis_config(BaseConfig, redis_url, redis_prefix, **settings)) as app:
            yield app

    @staticmethod
    def targets(world):
        windows = [Window(unit_id=world.b.unit.id, name=f"窗口{i}") for i in range(4)]
        db.session.add_all(windows)
        db.session.flush()
        tokens = [issue_code("window", window).token for window in windows]
        db.session.commit()
        return tokens

    def test_one_round_trip_per_rating_on_counters_in_redis(self, app, world, redis_url, redis_prefix):
        tokens = self.targets(world)
        sent = []
        send = redis.connection.AbstractConnection.send_packed_command

        def counted(connection, command, check_health=True):
            sent.append(command)
            return send(connection, command, check_health)

        client = app.test_client()
        redis.connection.AbstractConnection.send_packed_command = counted
        try:
            for i, token in enumerate(tokens[:3]):
                sent.clear()
                answer = client.post("/api/v1/ratings", json={"token": token, "score": 5},
                                     headers=world.citizen_headers)
                assert answer.status_code == 201, answer.get_json()
                # The first of a fresh Redis server may also load the script (NOSCRIPT, SCRIPT LOAD).
                assert len(sent) == 1 or i == 0, sent
        finally:
            redis.connection.AbstractConnection.send_packed_command = send
        store = redis.Redis.from_url(redis_url)
        counters = {key.decode().split("/")[1]: key for key in store.keys(redis_prefix + "limits*")}
        values = {scope: int(store.get(key)) for scope, key in counters.items()}
        assert values == {"rating-attempts": 3, "rating-accepted-rater": 3, "rating-accepted-ip": 3}, values
        refused = client.post("/api/v1/ratings", json={"token": tokens[3], "score": 5}, headers=world.citizen_headers)
        assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "rate_limited"
        assert 23 * 3600 < int(refused.headers["Retry-After"]) <= 24 * 3600
        # The refused attempt gave back what it reserved: the accepted counters still say 3.
        assert int(store.get(counters["rating-accepted-ip"])) == 3
        assert int(store.get(counters["rating-accepted-rater"])) == 3
        # The allowance is the Redis counter's (what every worker reads): gone from Redis, it is whole again.
        store.delete(counters["rating-accepted-rater"])
        again = client.post("/api/v1/ratings", json={"token": tokens[3], "score": 5}, headers=world.citizen_headers)
        assert again.status_code == 201, again.get_json()

    def test_a_rating_the_view_refuses_gives_its_reservation_back(self, app, world, redis_url, redis_prefix):
        """A 409 (already rated today) or a 422 counts as an attempt, not against the allowances."""
        tokens = self.targets(world)
        client = app.test_client()
        assert client.post("/api/v1/ratings", json={"token": tokens[0], "score": 5},
                           headers=world.citizen_headers).status_code == 201
        again = client.post("/api/v1/ratings", json={"token": tokens[0], "score": 5}, headers=world.citizen_headers)
        assert again.status_code == 409, again.get_json()
        invalid = client.post("/api/v1/ratings", json={"token": tokens[1], "score": 9}, headers=world.citizen_headers)
        assert invalid.status_code == 422, invalid.get_json()
        store = redis.Redis.from_url(redis_url)
        counters = {key.decode().split("/")[1]: key for key in store.keys(redis_prefix + "limits*")}
        values = {scope: int(store.get(key)) for scope, key in counters.items()}
        assert values == {"rating-attempts": 3, "rating-accepted-rater": 1, "rating-accepted-ip": 1}, values
        # So the allowance of 3 still has room for two more.
        statuses = [client.post("/api/v1/ratings", json={"token": token, "score": 5},
                                headers=world.citizen_headers).status_code for token in tokens[1:]]
        assert statuses == [201, 201, 429]

    def test_a_rating_in_flight_holds_its_place_in_the_allowance(self, app, world, redis_url, redis_prefix):
        """Reserved before the view: with room for one, a second request of the same rater that
        arrives while the first is still running is refused (counting after the view let both in)."""
        tokens = self.targets(world)
        client = app.test_client()
        for token in tokens[:2]:
            assert client.post("/api/v1/ratings", json={"token": token, "score": 5},
                               headers=world.citizen_headers).status_code == 201
        with app.test_request_context("/api/v1/ratings", method="POST", headers=world.citizen_headers):
            first = rating_limits.RatingBudget(app.config)
            first.reserve()  # the third rating, still in its view
            with pytest.raises(TooManyRequests):
                rating_limits.RatingBudget(app.config).reserve()
            first.release()  # it failed after all: the place is free again
            rating_limits.RatingBudget(app.config).reserve()



def test_rating_limits_count_in_memory_while_redis_is_down(redis_prefix, monkeypatch):
    monkeypatch.setattr(rating_limits._Fallback, "storage", None)
    monkeypatch.setattr(rating_limits._Fallback, "redis_down_until", 0.0)
    config = redis_config(BaseConfig, CLOSED_PORT_REDIS, redis_prefix, RATING_RATE_LIMIT_RATER="2 per day")
    with running_app(config, reset_limits=False) as app:
        units = [make_unit_with_objects(name) for name in ("甲站", "乙站")]
        citizen = WechatUser(openid="openid-citizen")
        db.session.add(citizen)
        db.session.flush()
        tokens = [issue_code("window", units[0].window).token, issue_code("badge", units[0].member).token,
                  issue_code("window", units[1].window).token]
        db.session.commit()
        client, headers = app.test_client(), bearer("wechat", citizen)
        statuses = [client.post("/api/v1/ratings", json={"token": token, "score": 5}, headers=headers).status_code
                    for token in tokens]
    assert statuses == [201, 201, 429]
    assert rating_limits._Fallback.redis_down_until > time.monotonic()


def test_rating_limits_memory_is_made_once_when_threads_meet_redis_down_together(monkeypatch):
    """gthread workers: threads that find Redis down at the same moment share one memory storage
    (two would each keep their own counts, and one thread's would be lost)."""
    made = []

    class SlowMemoryStorage(MemoryStorage):
        def __init__(self):
            made.append(self)
            time.sleep(0.05)  # a thread switch inside the making, as it happens under load
            super().__init__()

    monkeypatch.setattr(rating_limits, "MemoryStorage", SlowMemoryStorage)
    monkeypatch.setattr(rating_limits._Fallback, "storage", None)
    storages = in_threads(8, lambda i: rating_limits._Fallback.memory())
    assert len(made) == 1 and all(storage is made[0] for storage in storages)


# --- the WeChat access token ------------------------------------------------------------------


def redis_client_for(url, wechat_server, prefix, timeout=10.0):
    """A WechatClient like one worker's: its own Redis connection, the shared token key."""
    cache = RedisTokenCache(redis.Redis.from_url(url), prefix=prefix, lock_seconds=2 * timeout + 5,
                            wait_seconds=2 * timeout + 7)
    return WechatClient(wechat_server.appid, wechat_server.secret, wechat_server.base_url, timeout,
                        token_cache=cache)


def in_threads(count, work):
    """Run ``work(i)`` in ``count`` threads released together; their results in order."""
    results, barrier = [None] * count, threading.Barrier(count)

    def run(i):
        barrier.wait(timeout=10)
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_app_uses_the_redis_token_cache_when_redis_is_configured(wechat_server, redis_url, redis_prefix):
    with running_app(redis_config(wechat_config(wechat_server), redis_url, redis_prefix)) as app:
        provider = app.extensions["wechat"].access_tokens
        assert isinstance(provider.cache, RedisTokenCache)
        token = provider.token()
    stored = redis.Redis.from_url(redis_url).get(f"{redis_prefix}wechat:access_token:{wechat_server.appid}")
    assert stored.decode() == token
    assert len(wechat_server.calls(STABLE_TOKEN)) == 1


def test_one_fetch_for_many_worker_threads(wechat_server, redis_url, redis_prefix):
    wechat_server.delay = 0.3  # the fetch is slow, so every thread arrives while it runs
    clients = [redis_client_for(redis_url, wechat_server, redis_prefix) for _ in range(8)]

    tokens = in_threads(8, lambda i: clients[i].access_tokens.token())

    assert len(set(tokens)) == 1 and tokens[0]
    assert len(wechat_server.calls(STABLE_TOKEN)) == 1
    assert wechat_server.valid_access_token(tokens[0])


def test_one_fetch_for_separate_worker_processes(tmp_path, wechat_server, redis_url, redis_prefix):
    wechat_server.delay = 0.5
    results = run_workers(tmp_path, 3, ["token"], REDIS_URL=redis_url, REDIS_KEY_PREFIX=redis_prefix,
                          WECHAT_APPID=wechat_server.appid, WECHAT_SECRET=wechat_server.secret,
                          WECHAT_API_BASE=wechat_server.base_url, WECHAT_TIMEOUT_SECONDS=10)

    tokens = {lines[0] for lines in results}
    assert len(tokens) == 1
    assert len(wechat_server.calls(STABLE_TOKEN)) == 1
    assert wechat_server.valid_access_token(tokens.pop())


def test_without_redis_each_worker_fetches_its_own(wechat_server):
    """The control: caches in each process's memory are not shared, so two workers fetch twice."""
    for _ in range(2):
        with running_app(wechat_config(wechat_server)) as app:
            assert isinstance(app.extensions["wechat"].access_tokens.cache, MemoryTokenCache)
            assert app.extensions["wechat"].access_tokens.token()
    assert len(wechat_server.calls(STABLE_TOKEN)) == 2


def test_expired_token_is_refreshed_once_for_all_workers(wechat_server, redis_url, redis_prefix):
    wechat_server.new_code(openid="o-citizen")
    clients = [redis_client_for(redis_url, wechat_server, redis_prefix) for _ in range(6)]
    assert clients[0].msg_sec_check("o-citizen", "第一条") == "pass"
    wechat_server.expire_access_tokens()  # every worker's next call answers 42001
    wechat_server.delay = 0.2

    verdicts = in_threads(6, lambda i: clients[i].msg_sec_check("o-citizen", f"留言{i}"))

    assert verdicts == ["pass"] * 6
    fetches = wechat_server.calls(STABLE_TOKEN)
    assert [f.json["force_refresh"] for f in fetches] == [False, False]
    retried = {c.query["access_token"] for c in wechat_server.calls(SEC_CHECK)[1:] if
               wechat_server.valid_access_token(c.query["access_token"])}
    assert len(retried) == 1


def test_refused_token_is_force_refreshed_once_and_shared(wechat_server, redis_url, redis_prefix):
    wechat_server.new_code(openid="o-citizen")
    first, second = (redis_client_for(redis_url, wechat_server, redis_prefix) for _ in range(2))
    assert first.msg_sec_check("o-citizen", "第一条") == "pass"
    wechat_server.fail_next(40001, path=SEC_CHECK)  # WeChat says the current token is not the latest

    assert first.msg_sec_check("o-citizen", "第二条") == "pass"
    assert second.msg_sec_check("o-citizen", "第三条") == "pass"  # the other worker reads the new one

    assert [f.json["force_refresh"] for f in wechat_server.calls(STABLE_TOKEN)] == [False, False, True]
    checks = wechat_server.calls(SEC_CHECK)
    assert checks[3].query["access_token"] == checks[2].query["access_token"] != checks[0].query["access_token"]


def test_a_lock_left_by_a_dead_worker_expires(wechat_server, redis_url, redis_prefix):
    client = redis_client_for(redis_url, wechat_server, redis_prefix)
    client.access_tokens.cache.lock_seconds = 1
    # A worker killed while fetching leaves its lock behind; it lives only as long as lock_seconds.
    redis.Redis.from_url(redis_url).set(f"{redis_prefix}wechat:access_token:{wechat_server.appid}:lock",
                                        "dead-worker", px=800)
    started = time.monotonic()
    token = client.access_tokens.token()
    waited = time.monotonic() - started

    assert token and 0.5 < waited < 5
    assert len(wechat_server.calls(STABLE_TOKEN)) == 1


def test_redis_down_means_no_verdict_not_an_error(wechat_server, redis_prefix):
    wechat_server.new_code(openid="o-citizen")
    client = redis_client_for(CLOSED_PORT_REDIS, wechat_server, redis_prefix)
    assert client.msg_sec_check("o-citizen", "你好") is None
    assert wechat_server.calls(STABLE_TOKEN) == []
