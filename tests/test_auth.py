"""Login and identity (API.md): WeChat and admin logins, tokens, /me and member binding.

WeChat logins go over HTTP to a local server speaking WeChat's API (tests/wechat_fake.py),
so the app's real client, timeouts and error mapping are what is tested.
"""
import datetime as dt
import logging
import re
import time

import pytest
from sqlalchemy import select

from conftest import bearer
from server.auth import tokens
from server.auth.services import new_bind_code, set_admin_password
from server.extensions import db
from server.models import Admin, AuditEntry, BindCode, WechatUser, utcnow
from wechat_fake import Reply

WECHAT_LOGIN = "/api/v1/auth/wechat"
ADMIN_LOGIN = "/api/v1/auth/admin"
ME = "/api/v1/me"
BIND = "/api/v1/me/bind"
ADMIN_UNITS = "/api/v1/admin/units"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def app(wechat_app):
    """Every test here (and client, world, bind_code) runs with WeChat pointed at the fake."""
    return wechat_app


def assert_error(response, status, code=None):
    """The contract's error shape, the status, the slug, and a Chinese message."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert CJK.search(error["message"]), error["message"]
    if code is not None:
        assert error["code"] == code
    return error


def wechat_login(client, code):
    return client.post(WECHAT_LOGIN, json={"code": code})


def admin_login(client, username, password):
    return client.post(ADMIN_LOGIN, json={"username": username, "password": password})


# --- WeChat login ----------------------------------------------------------------------------


def test_wechat_login_creates_user_and_returns_token(client, wechat_server, caplog):
    caplog.set_level(logging.INFO)
    code = wechat_server.new_code(openid="o-alice", unionid="u-alice")
    session_key = wechat_server.session_of(code)["session_key"]

    response = wechat_login(client, code)

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"token", "expires_in", "user"}
    assert isinstance(body["token"], str) and body["token"]
    assert body["expires_in"] == 7 * 24 * 3600
    assert set(body["user"]) == {"id", "member"}
    assert body["user"]["member"] is None
    text = response.get_data(as_text=True)
    assert session_key not in text
    assert wechat_server.secret not in text
    assert "session_key" not in text and "openid" not in text
    assert session_key not in caplog.text and wechat_server.secret not in caplog.text

    # The server asked WeChat with our appid and secret, exactly once.
    (call,) = wechat_server.calls("/sns/jscode2session")
    assert call.method == "GET"
    assert call.query == {
        "appid": "wx-test-appid", "secret": "test-secret", "js_code": code, "grant_type": "authorization_code",
    }

    user = db.session.get(WechatUser, body["user"]["id"])
    assert user.openid == "o-alice"
    assert user.session_key == session_key  # kept on the server only
    assert user.unionid == "u-alice"
    assert user.last_login_at is not None

    me = client.get(ME, headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.get_json() == {"id": user.id, "member": None}


def test_same_openid_logs_in_as_same_user(client, wechat_server):
    first = wechat_login(client, wechat_server.new_code(openid="o-bob")).get_json()
    second = wechat_login(client, wechat_server.new_code(openid="o-bob")).get_json()
    other = wechat_login(client, wechat_server.new_code(openid="o-carol")).get_json()
    assert first["user"]["id"] == second["user"]["id"]
    assert other["user"]["id"] != first["user"]["id"]
    assert db.session.scalar(select(db.func.count()).select_from(WechatUser)) == 2


def test_wechat_login_of_bound_member_shows_member(client, wechat_server, world):
    response = wechat_login(client, wechat_server.new_code(openid="openid-member"))
    assert response.status_code == 200
    user = response.get_json()["user"]
    assert user["id"] == world.member_user.id
    assert user["member"]["id"] == world.a.member.id
    assert user["member"]["unit"] == {"id": world.a.unit.id, "name": "甲站"}


def test_code_works_only_once(client, wechat_server):
    code = wechat_server.new_code()
    assert wechat_login(client, code).status_code == 200
    assert_error(wechat_login(client, code), 401, "wechat_code_invalid")


@pytest.mark.parametrize(
    "errcode, status, slug",
    [
        (40029, 401, "wechat_code_invalid"),
        (40163, 401, "wechat_code_invalid"),
        (45011, 429, None),
        (40226, 403, None),
        (-1, 503, "wechat_busy"),
        (40013, 503, None),  # our appid is wrong: our fault, not the user's
        (99999, 503, None),  # an errcode WeChat may add one day
    ],
)
def test_wechat_errcodes(client, wechat_server, errcode, status, slug):
    code = wechat_server.add_code("CODE-WITH-ERROR", errcode=errcode)
    error = assert_error(wechat_login(client, code), status, slug)
    assert "errcode" not in error
    assert db.session.scalar(select(db.func.count()).select_from(WechatUser)) == 0


def test_unknown_code_is_invalid(client, wechat_server):
    assert_error(wechat_login(client, "never-issued"), 401, "wechat_code_invalid")
    assert len(wechat_server.calls("/sns/jscode2session")) == 1


def test_wechat_fail_next_then_recovers(client, wechat_server):
    wechat_server.fail_next(-1)
    code = wechat_server.new_code()
    assert_error(wechat_login(client, code), 503, "wechat_busy")
    assert wechat_login(client, code).status_code == 200


def test_wrong_secret_is_a_server_problem(app, client, wechat_server):
    app.extensions["wechat"].secret = "not-the-secret"
    error = assert_error(wechat_login(client, wechat_server.new_code()), 503)
    assert error["code"].startswith("wechat_")


def test_wechat_timeout_is_503_quickly(client, wechat_server):
    wechat_server.delay = 1.5  # longer than the TestConfig timeout of 1.0 s
    started = time.monotonic()
    response = wechat_login(client, wechat_server.new_code())
    elapsed = time.monotonic() - started
    assert_error(response, 503, "wechat_unavailable")
    assert elapsed < 3


def test_wechat_down_is_503(client, wechat_server, caplog):
    caplog.set_level(logging.INFO)
    code = wechat_server.new_code()
    wechat_server.stop()
    assert_error(wechat_login(client, code), 503, "wechat_unavailable")
    # The failed URL carries the secret in its query: it must not reach the logs.
    assert "unreachable" in caplog.text and "test-secret" not in caplog.text


@pytest.mark.parametrize(
    "reply",
    [
        Reply("<html>502 Bad Gateway</html>", content_type="text/html"),
        Reply('{"openid": "o-x", "session_', content_type="text/plain"),
        Reply("", content_type="text/plain"),
        Reply({"errcode": 0, "errmsg": "ok"}),  # no openid
        Reply([1, 2, 3]),  # JSON, but not an object
        Reply('"just a string"'),
        Reply("null"),
        Reply({"openid": None, "session_key": "k"}),
        Reply({"openid": 12345, "session_key": "k"}),
        Reply({"errcode": "40029", "errmsg": "invalid code"}),
        Reply({"errcode": 0, "errmsg": "ok"}, status=502),
    ],
    ids=["html", "truncated", "empty", "no-openid", "list", "string", "null", "null-openid", "number-openid",
         "string-errcode", "http-502"],
)
def test_malformed_wechat_replies_are_503(client, wechat_server, reply):
    wechat_server.reply_next(reply)
    assert_error(wechat_login(client, wechat_server.new_code()), 503)
    assert db.session.scalar(select(db.func.count()).select_from(WechatUser)) == 0


@pytest.mark.parametrize(
    "body",
    [{}, {"code": ""}, {"code": "   "}, {"code": "x" * 129}, {"code": 12345}, {"code": None}, {"code": ["a"]}],
    ids=["missing", "empty", "blank", "too-long", "number", "null", "list"],
)
def test_bad_wechat_login_bodies_are_422(client, wechat_server, body):
    error = assert_error(client.post(WECHAT_LOGIN, json=body), 422, "validation_error")
    assert "code" in error["fields"]
    assert wechat_server.requests == []


def test_non_json_wechat_login_is_400(client, wechat_server):
    response = client.post(WECHAT_LOGIN, data="code=abc", content_type="application/json")
    assert_error(response, 400, "invalid_json")
    response = client.post(WECHAT_LOGIN, data="code=abc", content_type="application/x-www-form-urlencoded")
    assert 400 <= response.status_code < 500
    assert_error(response, response.status_code)
    assert wechat_server.requests == []


def test_wechat_login_is_rate_limited(client, wechat_server):
    for _ in range(10):
        assert wechat_login(client, wechat_server.new_code()).status_code == 200
    assert_error(wechat_login(client, wechat_server.new_code()), 429, "rate_limited")


# --- admin login -----------------------------------------------------------------------------


def test_admin_login(client, world):
    response = admin_login(client, "admin_a", "admin-a-pass")
    assert response.status_code == 200
    body = response.get_json()
    assert body["expires_in"] == 12 * 3600
    assert body["admin"] == {"id": world.a.admin.id, "username": "admin_a", "role": "unit_admin",
                             "unit_id": world.a.unit.id}
    assert "password" not in response.get_data(as_text=True)
    units = client.get(ADMIN_UNITS, headers={"Authorization": f"Bearer {body['token']}"})
    assert units.status_code == 200
    assert [u["id"] for u in units.get_json()["items"]] == [world.a.unit.id]

    bureau = admin_login(client, "bureau", "bureau-pass-1").get_json()["admin"]
    assert bureau["role"] == "bureau_admin" and bureau["unit_id"] is None


def test_wrong_password_and_unknown_user_look_the_same(client, world):
    wrong = assert_error(admin_login(client, "admin_a", "nope"), 401, "bad_credentials")
    unknown = assert_error(admin_login(client, "nobody", "nope"), 401, "bad_credentials")
    assert wrong == unknown


@pytest.mark.parametrize(
    "body",
    [{}, {"username": "admin_a"}, {"password": "x"}, {"username": "", "password": "x"},
     {"username": "admin_a", "password": ""}, {"username": "a" * 65, "password": "x"},
     {"username": "admin_a", "password": "x" * 129}],
)
def test_bad_admin_login_bodies_are_422(client, world, body):
    assert_error(client.post(ADMIN_LOGIN, json=body), 422, "validation_error")


def test_lockout_after_repeated_failures(app, client, world):
    assert app.config["ADMIN_LOCKOUT_FAILURES"] == 5
    for _ in range(5):
        assert_error(admin_login(client, "admin_a", "wrong"), 401, "bad_credentials")
    error = assert_error(admin_login(client, "admin_a", "admin-a-pass"), 429, "account_locked")
    assert "15" in error["message"]
    locks = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "admin.locked")).all()
    assert [e.entity_id for e in locks] == [world.a.admin.id]
    # Other accounts are not affected.
    assert admin_login(client, "admin_b", "admin-b-pass").status_code == 200

    # The lock time passes.
    admin = db.session.get(Admin, world.a.admin.id)
    admin.locked_until = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    assert admin_login(client, "admin_a", "admin-a-pass").status_code == 200


def test_success_resets_failure_count(client, world):
    for _ in range(4):
        admin_login(client, "admin_a", "wrong")
    assert admin_login(client, "admin_a", "admin-a-pass").status_code == 200
    for _ in range(4):
        assert_error(admin_login(client, "admin_a", "wrong"), 401, "bad_credentials")
    assert admin_login(client, "admin_a", "admin-a-pass").status_code == 200


def test_admin_login_is_rate_limited(client, world):
    for _ in range(10):
        assert_error(admin_login(client, "nobody", "wrong"), 401, "bad_credentials")
    response = admin_login(client, "bureau", "bureau-pass-1")
    assert_error(response, 429, "rate_limited")
    assert "Retry-After" in response.headers


# --- tokens ----------------------------------------------------------------------------------


def _forged(payload, key="not-our-key"):
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(key, salt=tokens.SALT).dumps(payload)


def _bad_headers(world):
    good = world.citizen_headers["Authorization"].split(" ", 1)[1]
    payload, signature = good.rsplit(".", 1)
    far = int(time.time()) + 3600
    return {
        "none": {},
        "empty-bearer": {"Authorization": "Bearer "},
        "garbage": {"Authorization": "Bearer not-a-token"},
        "basic": {"Authorization": f"Basic {good}"},
        "bare-token": {"Authorization": good},
        "tampered-signature": {"Authorization": f"Bearer {payload}.{signature[::-1]}"},
        "tampered-payload": {"Authorization": f"Bearer {payload[:-2]}{'yy' if payload.endswith('xx') else 'xx'}.{signature}"},
        "forged": {"Authorization": "Bearer " + _forged({"k": "wechat", "id": world.citizen.id, "v": 1, "exp": far})},
        "forged-admin": {"Authorization": "Bearer " + _forged({"k": "admin", "id": world.bureau.id, "v": 1, "exp": far})},
        "no-exp": {"Authorization": "Bearer " + _forged({"k": "wechat", "id": world.citizen.id, "v": 1}, "test-secret-key")},
        "string-id": {"Authorization": "Bearer " + _forged({"k": "wechat", "id": "1", "v": 1, "exp": far}, "test-secret-key")},
        "no-such-user": {"Authorization": "Bearer " + _forged({"k": "wechat", "id": 9999, "v": 1, "exp": far}, "test-secret-key")},
        "list-payload": {"Authorization": "Bearer " + _forged([1, 2], "test-secret-key")},
    }


@pytest.mark.parametrize("path", [ME, ADMIN_UNITS])
def test_missing_or_bad_tokens_are_401(client, world, path):
    for name, headers in _bad_headers(world).items():
        response = client.get(path, headers=headers)
        assert response.status_code == 401, name
        assert_error(response, 401, "unauthorized")


def test_roles_are_checked(client, world):
    assert client.get(ME, headers=world.citizen_headers).status_code == 200
    assert client.get(ADMIN_UNITS, headers=world.bureau_headers).status_code == 200
    assert_error(client.get(ME, headers=world.bureau_headers), 403, "forbidden")
    assert_error(client.get(ME, headers=world.a_headers), 403, "forbidden")
    assert_error(client.get(ADMIN_UNITS, headers=world.citizen_headers), 403, "forbidden")
    assert_error(client.get(ADMIN_UNITS, headers=world.member_headers), 403, "forbidden")


def test_expired_wechat_token_is_401(app, client, wechat_server):
    app.config["WECHAT_TOKEN_TTL_SECONDS"] = -1
    token = wechat_login(client, wechat_server.new_code()).get_json()["token"]
    assert_error(client.get(ME, headers={"Authorization": f"Bearer {token}"}), 401, "unauthorized")


def test_expired_admin_token_is_401(app, client, world):
    app.config["ADMIN_TOKEN_TTL_SECONDS"] = -1
    token = admin_login(client, "bureau", "bureau-pass-1").get_json()["token"]
    assert_error(client.get(ADMIN_UNITS, headers={"Authorization": f"Bearer {token}"}), 401, "unauthorized")


def test_password_change_revokes_tokens(client, world):
    old = {"Authorization": "Bearer " + admin_login(client, "admin_a", "admin-a-pass").get_json()["token"]}
    assert client.get(ADMIN_UNITS, headers=old).status_code == 200

    set_admin_password(db.session.get(Admin, world.a.admin.id), "a-new-password")
    db.session.commit()

    assert_error(client.get(ADMIN_UNITS, headers=old), 401, "unauthorized")
    assert_error(client.get(ADMIN_UNITS, headers=world.a_headers), 401, "unauthorized")
    assert_error(admin_login(client, "admin_a", "admin-a-pass"), 401, "bad_credentials")
    new = admin_login(client, "admin_a", "a-new-password").get_json()["token"]
    assert client.get(ADMIN_UNITS, headers={"Authorization": f"Bearer {new}"}).status_code == 200
    # Other admins keep their tokens.
    assert client.get(ADMIN_UNITS, headers=world.b_headers).status_code == 200


# --- /me -------------------------------------------------------------------------------------


def test_me_of_bound_member(client, world):
    response = client.get(ME, headers=world.member_headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == world.member_user.id
    member = body["member"]
    assert member["id"] == world.a.member.id
    assert member["name"] == "甲站党员"
    assert member["unit"] == {"id": world.a.unit.id, "name": "甲站"}
    assert member["phone"] == "138****5678"
    assert "13812345678" not in response.get_data(as_text=True)
    assert member["post_title"] == "先锋岗"
    assert member["commitment"] == "热情服务，件件有回音"
    assert member["star_level"] == 0
    assert member["approved_minutes"] == 0
    assert member["pending_minutes"] == 0
    assert member["next_level_at_minutes"] == 100 * 60


def test_me_of_citizen(client, world):
    assert client.get(ME, headers=world.citizen_headers).get_json() == {"id": world.citizen.id, "member": None}


# --- binding ---------------------------------------------------------------------------------


def _bind(client, headers, code):
    return client.post(BIND, json={"bind_code": code}, headers=headers)


def _bind_audits():
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == "member.bind")).all()


def test_bind(client, world, bind_code):
    response = _bind(client, world.citizen_headers, bind_code)
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == world.citizen.id
    assert body["member"]["id"] == world.b.member.id
    assert body["member"]["unit"] == {"id": world.b.unit.id, "name": "乙站"}
    assert body["member"]["phone"] == "138****5678"

    me = client.get(ME, headers=world.citizen_headers).get_json()
    assert me["member"]["id"] == world.b.member.id

    code = db.session.scalar(select(BindCode).where(BindCode.code == bind_code))
    assert code.used_at is not None and code.used_by_id == world.citizen.id
    assert world.b.member.bound_at is not None
    (entry,) = _bind_audits()
    assert (entry.entity_type, entry.entity_id, entry.unit_id) == ("member", world.b.member.id, world.b.unit.id)
    assert entry.actor_type == "member" and entry.actor_id == world.b.member.id
    assert entry.after == {"wechat_user_id": world.citizen.id}


def test_bound_member_logs_in_as_member(client, wechat_server, world, bind_code):
    assert _bind(client, world.citizen_headers, bind_code).status_code == 200
    user = wechat_login(client, wechat_server.new_code(openid="openid-citizen")).get_json()["user"]
    assert user["id"] == world.citizen.id
    assert user["member"]["id"] == world.b.member.id


@pytest.mark.parametrize("variant", [str.lower, lambda c: f"  {c}\t", lambda c: f" {c.lower()} "])
def test_bind_code_is_forgiving_about_case_and_spaces(client, world, bind_code, variant):
    assert _bind(client, world.citizen_headers, variant(bind_code)).status_code == 200


def test_unknown_bind_code(client, world, bind_code):
    assert_error(_bind(client, world.citizen_headers, "ZZZZ2222"), 404, "bind_code_unknown")
    assert _bind_audits() == []


def test_bind_code_works_once(client, world, bind_code):
    assert _bind(client, world.citizen_headers, bind_code).status_code == 200
    other = WechatUser(openid="openid-other")
    db.session.add(other)
    db.session.commit()
    assert_error(_bind(client, bearer("wechat", other), bind_code), 409, "bind_code_used")
    assert len(_bind_audits()) == 1


def test_expired_bind_code(client, world, bind_code):
    code = db.session.scalar(select(BindCode).where(BindCode.code == bind_code))
    code.expires_at = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    assert_error(_bind(client, world.citizen_headers, bind_code), 410, "bind_code_expired")
    assert world.b.member.wechat_user_id is None


def test_code_for_already_bound_member(client, world):
    code = new_bind_code(world.a.member).code
    db.session.commit()
    assert_error(_bind(client, world.citizen_headers, code), 409, "member_already_bound")
    assert db.session.scalar(select(BindCode).where(BindCode.code == code)).used_at is None


def test_bound_user_cannot_bind_another_member(client, world, bind_code):
    assert_error(_bind(client, world.member_headers, bind_code), 409, "user_already_bound")
    assert world.b.member.wechat_user_id is None
    # The code is still good for someone else.
    assert _bind(client, world.citizen_headers, bind_code).status_code == 200


def test_new_bind_code_replaces_old(client, world, bind_code):
    response = client.post(f"/api/v1/admin/members/{world.b.member.id}/bind-code", headers=world.b_headers)
    assert response.status_code == 201
    new_code = response.get_json()["bind_code"]
    assert new_code != bind_code
    old = _bind(client, world.citizen_headers, bind_code)
    assert old.status_code in (404, 409, 410)
    assert_error(old, old.status_code)
    assert _bind(client, world.citizen_headers, new_code).status_code == 200


def test_other_units_admin_cannot_issue_bind_code(client, world):
    response = client.post(f"/api/v1/admin/members/{world.b.member.id}/bind-code", headers=world.a_headers)
    assert_error(response, 404, "not_found")


def test_bind_brute_force_is_limited(client, world, bind_code):
    for attempt in range(5):
        assert_error(_bind(client, world.citizen_headers, f"WRONG{attempt:03d}"), 404, "bind_code_unknown")
    response = _bind(client, world.citizen_headers, bind_code)
    assert_error(response, 429, "rate_limited")
    assert world.b.member.wechat_user_id is None
    assert _bind_audits() == []


def test_bind_limit_counts_only_failures_and_is_per_user(client, world, bind_code):
    for attempt in range(4):
        _bind(client, world.citizen_headers, f"WRONG{attempt:03d}")
    # Another user's failures do not count against this one.
    other = WechatUser(openid="openid-other")
    db.session.add(other)
    db.session.commit()
    for attempt in range(5):
        _bind(client, bearer("wechat", other), f"OTHER{attempt:03d}")
    assert _bind(client, world.citizen_headers, bind_code).status_code == 200
    assert_error(_bind(client, bearer("wechat", other), bind_code), 429, "rate_limited")


def test_admin_cannot_bind(client, world, bind_code):
    assert_error(_bind(client, world.bureau_headers, bind_code), 403, "forbidden")
    assert_error(_bind(client, {}, bind_code), 401, "unauthorized")
    assert db.session.scalar(select(BindCode).where(BindCode.code == bind_code)).used_at is None


@pytest.mark.parametrize("body", [{}, {"bind_code": ""}, {"bind_code": "A" * 33}, {"bind_code": 123}])
def test_bad_bind_bodies_are_422(client, world, body):
    assert_error(client.post(BIND, json=body, headers=world.citizen_headers), 422, "validation_error")


def test_non_json_bind_is_400(client, world):
    response = client.post(BIND, data="{bind_code", content_type="application/json", headers=world.citizen_headers)
    assert_error(response, 400, "invalid_json")


# --- the WeChat fake itself (what later issues build on) -------------------------------------


def test_fake_stable_token(wechat_server):
    import requests

    url = wechat_server.base_url + "/cgi-bin/stable_token"
    body = {"grant_type": "client_credential", "appid": "wx-test-appid", "secret": "test-secret"}
    first = requests.post(url, json=body, timeout=2).json()
    assert set(first) == {"access_token", "expires_in"} and first["expires_in"] == 7200
    assert requests.post(url, json=body, timeout=2).json()["access_token"] == first["access_token"]
    refreshed = requests.post(url, json={**body, "force_refresh": True}, timeout=2).json()
    assert refreshed["access_token"] != first["access_token"]
    assert wechat_server.valid_access_token(refreshed["access_token"])
    assert requests.post(url, json={**body, "appid": "wx-other"}, timeout=2).json()["errcode"] == 40013
    assert requests.post(url, json={**body, "secret": "nope"}, timeout=2).json()["errcode"] == 40125
    assert requests.post(url, json={**body, "grant_type": "x"}, timeout=2).json()["errcode"] == 40002
    assert wechat_server.calls("/cgi-bin/stable_token")[0].json == body

    wechat_server.expire_access_tokens()
    assert not wechat_server.valid_access_token(refreshed["access_token"])


def test_fake_stop_does_not_hang_on_a_slow_answer(wechat_server):
    import threading

    import requests

    wechat_server.delay = 30
    errors = []
    caller = threading.Thread(
        target=lambda: errors.append(_swallow(lambda: requests.get(wechat_server.base_url + "/sns/jscode2session", timeout=5)))
    )
    caller.start()
    while not wechat_server.requests:
        time.sleep(0.01)
    started = time.monotonic()
    wechat_server.stop()
    caller.join(timeout=5)
    assert time.monotonic() - started < 2
    assert not caller.is_alive()


def _swallow(call):
    try:
        return call()
    except Exception as exc:  # the fake closing on a waiting caller is fine either way
        return exc
