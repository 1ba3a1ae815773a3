"""The console's sign-in: session cookie, CSRF, lock-out shared with the API, revocation, errors as pages."""
import pytest

from console_helpers import csrf_token, post_login, sign_in
from conftest import running_app
from server import config, create_app
from server.auth.services import create_admin, set_admin_password
from server.extensions import db


def test_pages_need_a_signed_in_admin(client, world):
    response = client.get("/admin/dashboard?unit_id=1")
    assert response.status_code == 302
    assert response.location == "/admin/login?next=/admin/dashboard?unit_id%3D1"
    page = client.get("/admin/login")
    assert page.status_code == 200 and "管理员登录" in page.get_data(as_text=True)
    assert page.headers["Content-Type"].startswith("text/html")


def test_sign_in_goes_back_to_the_page_asked_for(client, world):
    response = post_login(client, "admin_a", "admin-a-pass", next_path="/admin/dashboard")
    assert response.status_code == 302 and response.location == "/admin/dashboard"
    page = client.get("/admin/dashboard")
    assert page.status_code == 200
    assert "甲站" in page.get_data(as_text=True)  # the header names the admin's unit


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/api/v1/me", "/admin\\@evil"])
def test_sign_in_never_redirects_off_the_console(client, world, target):
    response = post_login(client, "bureau", "bureau-pass-1", next_path=target)
    assert response.status_code == 302 and response.location == "/admin/dashboard"


def test_a_wrong_password_is_refused_in_chinese_and_counts_towards_the_shared_lock_out(client, world):
    for _ in range(4):
        response = post_login(client, "admin_a", "wrong")
        assert response.status_code == 401
        assert "用户名或密码错误" in response.get_data(as_text=True)
    response = post_login(client, "admin_a", "wrong")  # the fifth failure locks the account
    assert response.status_code == 401
    locked = post_login(client, "admin_a", "admin-a-pass")
    assert locked.status_code == 401 and "账号已锁定" in locked.get_data(as_text=True)
    # The API's login is locked too: one rule, one counter.
    api = client.post("/api/v1/auth/admin", json={"username": "admin_a", "password": "admin-a-pass"})
    assert api.status_code == 429 and api.get_json()["error"]["code"] == "account_locked"


def test_forms_without_the_csrf_token_are_refused(client, world):
    response = client.post("/admin/login", data={"username": "admin_a", "password": "admin-a-pass"})
    assert response.status_code == 400
    assert "页面已过期或表单来源无效" in response.get_data(as_text=True)
    assert client.get("/admin/dashboard").status_code == 302  # not signed in
    # Signed in, a forged logout (no token) does nothing either.
    sign_in(client, "admin_a", "admin-a-pass")
    assert client.post("/admin/logout").status_code == 400
    assert client.get("/admin/dashboard").status_code == 200


def test_logout_ends_the_session(client, world):
    sign_in(client, "admin_a", "admin-a-pass")
    page = client.get("/admin/dashboard")
    response = client.post("/admin/logout", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302 and response.location == "/admin/login"
    assert client.get("/admin/dashboard").status_code == 302


def test_a_password_change_ends_every_console_session(client, world):
    sign_in(client, "admin_a", "admin-a-pass")
    assert client.get("/admin/dashboard").status_code == 200
    set_admin_password(world.a.admin, "a-new-password-1")
    db.session.commit()
    response = client.get("/admin/dashboard")
    assert response.status_code == 302 and response.location.startswith("/admin/login")
    assert "登录已过期" in client.get(response.location).get_data(as_text=True)


def test_a_session_expires_with_the_admin_token_lifetime(app, client, world):
    sign_in(client, "admin_a", "admin-a-pass")
    with client.session_transaction() as session:
        session["signed_in_at"] -= app.config["ADMIN_TOKEN_TTL_SECONDS"] + 1
    assert client.get("/admin/dashboard").status_code == 302


def test_the_session_cookie_is_http_only_same_site_and_secure_over_https(monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://rs.example.cn")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    with running_app(config.TestConfig) as app:
        assert app.config["SESSION_COOKIE_SECURE"] is True
        create_admin("bureau", "bureau-pass-1", "bureau_admin")
        db.session.commit()
        response = post_login(app.test_client(), "bureau", "bureau-pass-1")
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("rs_console=")
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://192.168.1.10:5000")
    assert create_app(config.TestConfig).config["SESSION_COOKIE_SECURE"] is False  # plain-http intranet
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    assert create_app(config.TestConfig).config["SESSION_COOKIE_SECURE"] is True


def test_console_errors_are_pages_and_api_errors_stay_json(client, world):
    sign_in(client, "admin_a", "admin-a-pass")
    response = client.get("/admin/no-such-page")
    assert response.status_code == 404 and response.headers["Content-Type"].startswith("text/html")
    assert "请求的内容不存在" in response.get_data(as_text=True)
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_found"


def test_sign_in_attempts_are_rate_limited(app, client, world):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    responses = [post_login(client, "nobody", "x") for _ in range(4)]
    assert [response.status_code for response in responses] == [401, 401, 401, 429]
    assert "操作过于频繁" in responses[-1].get_data(as_text=True)
    assert client.get("/admin/login").status_code == 200  # only sign-in attempts count
