"""Flask-Limiter's hooks run only on limited routes (server/limiter_hooks.py), and every limit
still holds: decorated ones on their routes, and default limits everywhere once there are any."""
from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from server.extensions import db
from server.limiter_hooks import only_where_limited


def small_app(**limiter_options):
    app = Flask(__name__)
    limiter = Limiter(key_func=get_remote_address, storage_uri="memory://", **limiter_options)
    limiter.init_app(app)

    @app.get("/free")
    def free():
        return {"ok": True}

    @app.get("/limited")
    @limiter.limit("2 per minute")
    def limited():
        return {"ok": True}

    @app.get("/exempt")
    @limiter.exempt
    def exempt():
        return {"ok": True}

    app.config["RATELIMIT_HEADERS_ENABLED"] = True
    return app, limiter


def statuses(client, path, times=3):
    return [client.get(path).status_code for _ in range(times)]


def test_decorated_limits_hold_and_free_routes_skip_the_hooks():
    app, limiter = small_app(default_limits=[])
    assert only_where_limited(app, limiter) is True
    client = app.test_client()
    assert statuses(client, "/limited") == [200, 200, 429]
    free = client.get("/free")
    assert free.status_code == 200 and not any(h.startswith("X-RateLimit") for h in free.headers.keys())
    assert statuses(client, "/free", 10) == [200] * 10
    assert statuses(client, "/exempt", 5) == [200] * 5
    assert client.get("/nowhere").status_code == 404


def test_default_limits_make_every_route_limited():
    app, limiter = small_app(default_limits=["2 per minute"])
    assert only_where_limited(app, limiter) is True
    client = app.test_client()
    assert statuses(client, "/free") == [200, 200, 429]
    assert statuses(client, "/limited") == [200, 200, 429]


def test_the_app_wraps_its_limiter_hooks(app):
    from server.extensions import limiter

    names = [f.__name__ for f in app.before_request_funcs[None]]
    assert "check_if_limited" in names and limiter._check_request_limit not in app.before_request_funcs[None]


def test_a_rating_429_says_when_to_retry_and_no_answer_carries_rate_limit_headers(app, client, world):
    """RATELIMIT_HEADERS_ENABLED is off (X-RateLimit-* are not in the contract); Retry-After is
    still set on a 429, in seconds, from the window of the limit that refused."""
    from server.models import Window
    from server.qr.services import issue_code

    app.config["RATING_RATE_LIMIT_RATER"] = "1 per day"
    windows = [Window(unit_id=world.b.unit.id, name=f"窗口{i}") for i in range(2)]
    db.session.add_all(windows)
    db.session.flush()
    tokens = [issue_code("window", window).token for window in windows]
    db.session.commit()

    def rate(token):
        return client.post("/api/v1/ratings", json={"token": token, "score": 5}, headers=world.citizen_headers)

    accepted, refused = rate(tokens[0]), rate(tokens[1])
    assert accepted.status_code == 201 and refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 24 * 3600
    for response in (accepted, refused):
        assert not any(name.startswith("X-RateLimit") for name in response.headers.keys())
