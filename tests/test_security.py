"""The security review (docs/security.md), one test per finding: headers on every response,
token expiry and revocation, a rate limit on every login and bind endpoint, no secret or
personal data in the logs, and no full phone number in any output but a case's own admins'.
"""
import io
import logging
import re
import subprocess
import time
import zipfile

import pytest
from sqlalchemy import select

from conftest import assert_error, bearer, db_snapshot, running_app, wechat_config
from console_helpers import sign_in
from server.auth import tokens
from server.auth.services import set_admin_password
from server.config import TestConfig as BaseConfig
from server.demo import seed_demo
from server.extensions import db
from server.models import Case, HoursRecord, Member, Post, QrCode

ADMIN_LOGIN = "/api/v1/auth/admin"
CONTACT = "13955556666"
LIMIT = 5


def config_with(base=BaseConfig, **settings):
    class Config(base):
        def __init__(self):
            super().__init__()
            for name, value in settings.items():
                setattr(self, name, value)

    return Config


@pytest.fixture
def app(wechat_server):
    """Every test here: WeChat at the local fake (its calls get logged), low login and bind limits."""
    config = config_with(wechat_config(wechat_server), LOGIN_RATE_LIMIT=f"{LIMIT} per minute",
                         BIND_RATE_LIMIT=f"{LIMIT} per minute")
    with running_app(config) as app:
        yield app


# --- security headers -------------------------------------------------------------------------

COMMON_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}


def assert_hardened(response):
    for name, value in COMMON_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.headers)
    assert "geolocation=()" in response.headers["Permissions-Policy"]


def test_security_headers_on_json_html_errors_and_files(client, world, codes):
    responses = {
        "json": client.get("/api/v1/openapi.json"),
        "error": client.get("/api/v1/no-such-thing"),
        "unauthorized": client.get("/api/v1/me"),
        "html": client.get(f"/q/{codes['window']}"),
        "png": client.get(f"/api/v1/admin/qrcodes/{db.session.scalar(select(QrCode.id))}/image.png",
                          headers=world.bureau_headers),
        "health": client.get("/healthz"),
        "console": client.get("/admin/login"),
    }
    assert responses["png"].status_code == 200 and responses["png"].mimetype == "image/png"
    for kind, response in responses.items():
        assert_hardened(response)
    for kind in ("json", "error", "unauthorized", "health"):
        assert responses[kind].headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    for kind in ("html", "console"):
        policy = responses[kind].headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        # A member's photo (photo_url, entered by an admin) may live on another https host.
        assert "img-src 'self' data: https:;" in policy
    assert "Content-Security-Policy" not in responses["png"].headers


def test_inline_script_runs_only_with_this_responses_nonce(client, codes):
    pages = [client.get(f"/q/{codes['window']}") for _ in range(2)]
    nonces = []
    for page in pages:
        html = page.get_data(as_text=True)
        (nonce,) = re.findall(r'<script nonce="([^"]+)">', html)
        assert f"'nonce-{nonce}'" in page.headers["Content-Security-Policy"]
        assert "<script>" not in html  # every inline script carries the nonce
        nonces.append(nonce)
    assert nonces[0] != nonces[1] and len(nonces[0]) >= 16


def test_hsts_only_when_the_site_is_https():
    with running_app(config_with(PUBLIC_BASE_URL="https://rs.example.cn")) as app:
        assert app.test_client().get("/healthz").headers["Strict-Transport-Security"] == "max-age=31536000"
    with running_app(config_with(PUBLIC_BASE_URL="http://intranet.local")) as app:
        assert "Strict-Transport-Security" not in app.test_client().get("/healthz").headers


def test_authenticated_answers_are_not_cached(client, world):
    assert client.get("/api/v1/me", headers=world.citizen_headers).headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/admin/units", headers=world.bureau_headers).headers["Cache-Control"] == "no-store"


# --- tokens -----------------------------------------------------------------------------------


def admin_token(client, username, password):
    response = client.post(ADMIN_LOGIN, json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_password_change_revokes_earlier_tokens(client, world):
    old = admin_token(client, "admin_a", "admin-a-pass")
    assert client.get("/api/v1/admin/units", headers=old).status_code == 200

    set_admin_password(world.a.admin, "a-new-password-1")
    db.session.commit()

    assert_error(client.get("/api/v1/admin/units", headers=old), 401)
    assert client.post(ADMIN_LOGIN, json={"username": "admin_a", "password": "admin-a-pass"}).status_code == 401
    new = admin_token(client, "admin_a", "a-new-password-1")
    assert client.get("/api/v1/admin/units", headers=new).status_code == 200


def test_set_admin_password_command_revokes_tokens(app, client, world):
    old = admin_token(client, "bureau", "bureau-pass-1")
    result = app.test_cli_runner().invoke(args=["set-admin-password", "bureau", "--password", "changed-pass-99"])
    assert result.exit_code == 0, result.output
    assert "changed-pass-99" not in result.output
    assert_error(client.get("/api/v1/admin/units", headers=old), 401)
    admin_token(client, "bureau", "changed-pass-99")


@pytest.mark.parametrize("kind", ["admin", "wechat"])
def test_tokens_expire(app, client, world, monkeypatch, kind):
    account, ttl_name = (world.bureau, "ADMIN_TOKEN_TTL_SECONDS") if kind == "admin" else (
        world.citizen, "WECHAT_TOKEN_TTL_SECONDS")
    monkeypatch.setitem(app.config, ttl_name, 60)
    headers = bearer(kind, account)
    path = "/api/v1/admin/units" if kind == "admin" else "/api/v1/me"
    assert client.get(path, headers=headers).status_code == 200

    later = time.time() + 61
    monkeypatch.setattr(tokens.time, "time", lambda: later)
    assert_error(client.get(path, headers=headers), 401)


# --- rate limits on every login and bind endpoint ---------------------------------------------

LIMITED_ENDPOINTS = {
    ("POST", "/api/v1/auth/wechat"), ("POST", "/api/v1/auth/admin"), ("POST", "/api/v1/me/bind"),
    ("POST", "/api/v1/admin/me/wechat"), ("POST", "/admin/login"),
}
LOGIN_OR_BIND = re.compile(r"login|/auth/|/bind$|/me/wechat")


def test_every_login_and_bind_endpoint_is_in_the_rate_limit_table(app):
    found = {(method, rule.rule) for rule in app.url_map.iter_rules() if LOGIN_OR_BIND.search(rule.rule)
             for method in rule.methods - {"GET", "HEAD", "OPTIONS", "DELETE"}}
    assert found == LIMITED_ENDPOINTS


def console_login_form(client):
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    return {"csrf_token": token.group(1), "username": "nobody", "password": "wrong"}


@pytest.mark.parametrize("method,path", sorted(LIMITED_ENDPOINTS))
def test_login_and_bind_endpoints_refuse_after_the_limit(client, world, method, path):
    if path == "/admin/login":
        form = console_login_form(client)
        statuses = [client.post(path, data=form).status_code for _ in range(LIMIT)]
        assert statuses == [401] * LIMIT
        page = client.post(path, data=form)
        assert page.status_code == 429 and "频繁" in page.get_data(as_text=True)
        return
    send = {
        "/api/v1/auth/wechat": lambda i: client.post(path, json={"code": f"code-{i}"}),
        "/api/v1/auth/admin": lambda i: client.post(path, json={"username": "nobody", "password": "x"}),
        "/api/v1/me/bind": lambda i: client.post(path, json={"bind_code": "ZZZZZZZZ"}, headers=world.citizen_headers),
        "/api/v1/admin/me/wechat": lambda i: client.post(path, json={"code": f"code-{i}"}, headers=world.a_headers),
    }[path]
    statuses = [send(i).status_code for i in range(LIMIT)]
    assert all(400 <= status < 500 and status != 429 for status in statuses), statuses  # refused on their merits
    error = assert_error(send(LIMIT), 429)
    assert error["code"] == "rate_limited"


# --- logs -------------------------------------------------------------------------------------


def test_no_secret_or_personal_data_in_the_logs(app, client, wechat_server, world, bind_code, codes, caplog):
    caplog.set_level(logging.DEBUG)
    openid = "o-logged-citizen-0001"
    code = wechat_server.new_code(openid=openid)
    session_key = wechat_server.session_of(code)["session_key"]

    login = client.post("/api/v1/auth/wechat", json={"code": code})
    assert login.status_code == 200, login.get_json()
    user_token = login.get_json()["token"]
    citizen = {"Authorization": f"Bearer {user_token}"}
    rated = client.post("/api/v1/ratings", json={"token": codes["window"], "score": 1, "comment": "等了很久没人理",
                                                 "contact": CONTACT}, headers=citizen, buffered=True)
    assert rated.status_code == 201, rated.get_json()
    bound = client.post("/api/v1/me/bind", json={"bind_code": bind_code}, headers=citizen)
    assert bound.status_code == 200, bound.get_json()
    admin = client.post(ADMIN_LOGIN, json={"username": "admin_a", "password": "admin-a-pass"})
    assert admin.status_code == 200
    client.post(ADMIN_LOGIN, json={"username": "admin_a", "password": "wrong-password-7"})
    wechat_server.fail_next(40001, path="/wxa/msg_sec_check")  # a refused token, refreshed: logged
    app.extensions["wechat"].msg_sec_check(openid, "再查一次")
    access_tokens = {c.query["access_token"] for c in wechat_server.calls("/wxa/msg_sec_check")}

    # The calls above did log (the WeChat client and urllib3 at DEBUG): the check has teeth.
    text = caplog.text
    assert "/sns/jscode2session" in text and "stable_token" in text
    secrets = {"appsecret": wechat_server.secret, "login code": code, "session_key": session_key,
               "openid": openid, "user token": user_token, "admin token": admin.get_json()["token"],
               "password": "admin-a-pass", "wrong password": "wrong-password-7", "contact phone": CONTACT,
               "bind code": bind_code, **{f"access token {i}": t for i, t in enumerate(access_tokens)}}
    for name, value in secrets.items():
        assert value not in text, f"the {name} appears in the logs"
    for phone in db.session.scalars(select(Member.phone)):
        assert phone not in text


# --- phone numbers ----------------------------------------------------------------------------


def readable_text(response):
    """What a person could read in ``response``: JSON/HTML/CSV as text, ZIP/XLSX entries, PDF text."""
    body = response.get_data()
    kind = response.mimetype
    if kind == "application/pdf":
        return subprocess.run(["pdftotext", "-q", "-", "-"], input=body, capture_output=True, timeout=60,
                              check=True).stdout.decode()
    if body[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "ignore") for name in archive.namelist())
    if kind.startswith("image/"):
        return ""
    return body.decode("utf-8", "ignore")


def path_values(spec_path, world, cases):
    """Values for a templated OpenAPI path: the world's objects of the kind it names."""
    tokens_ = list(db.session.scalars(select(QrCode.token).where(QrCode.revoked_at.is_(None))).all())[:8]
    members = [world.a.member.id, world.b.member.id]
    # (A member's hours record PDF takes seconds to render: one member's is enough.)
    record_members = [world.a.member.id]
    by_kind = {"units": [world.a.unit.id, world.b.unit.id], "members": members,
               "windows": [world.a.window.id, world.b.window.id], "posts": [world.a.post.id, world.b.post.id]}
    if "{object_id}" in spec_path:
        kind = spec_path.split("/")[-2]
        return [spec_path.replace("{object_id}", str(v)) for v in by_kind[kind]]
    for name, values in (("{code_id}", list(db.session.scalars(select(QrCode.id)).all())[:4]),
                         ("{post_id}", by_kind["posts"]), ("{member_id}", record_members),
                         ("{case_id}", cases), ("{token}", tokens_)):
        if name in spec_path:
            return [spec_path.replace(name, str(v)) for v in values]
    assert "{" not in spec_path, f"no values for {spec_path}: add them here"
    return [spec_path]


def test_no_full_phone_number_in_any_output(client, world, codes):
    seed_demo()
    rated = client.post("/api/v1/ratings", json={"token": codes["window"], "score": 1, "contact": CONTACT},
                        headers=world.citizen_headers)
    assert rated.status_code == 201, rated.get_json()
    db.session.commit()
    member_phones = set(db.session.scalars(select(Member.phone)).all()) - {""}
    assert len(member_phones) >= 5
    cases = list(db.session.scalars(select(Case.id)).all())

    roles = {"anonymous": {}, "citizen": world.citizen_headers, "member": world.member_headers,
             "unit admin A": world.a_headers, "unit admin B": world.b_headers, "bureau": world.bureau_headers}
    # A bad rating's contact is for the admins who must call back (unit A's, and the bureau).
    may_see_contact = {"unit admin A", "bureau"}
    query = {"unit_id": world.a.unit.id}
    spec = client.get("/api/v1/openapi.json").get_json()
    read, masked_seen, read_files = 0, False, set()
    for spec_path, operations in spec["paths"].items():
        if "get" not in operations or spec_path.endswith("openapi.json"):
            continue
        for path in path_values(spec_path, world, cases):
            for role, headers in roles.items():
                if path.endswith(".pdf") and path in read_files:
                    continue  # the same document for every role allowed to fetch it
                response = client.get(path, headers=headers, query_string=query)
                if response.status_code != 200:
                    continue
                read_files.add(path)
                read += 1
                text = readable_text(response)
                for phone in member_phones:
                    assert phone not in text, (role, path)
                    masked_seen = masked_seen or f"{phone[:3]}****{phone[-4:]}" in text
                if role not in may_see_contact:
                    assert CONTACT not in text, (role, path)

    pages = [f"/q/{token}" for token in db.session.scalars(select(QrCode.token)).all()]
    pages += [f"/posts/{post_id}/display" for post_id in db.session.scalars(select(Post.id)).all()]
    record_tokens = list(db.session.scalars(select(HoursRecord.token)).all())
    assert record_tokens, "the walk issued an hours record (its PDF), whose public page is checked too"
    pages += [f"/verify/{token}" for token in record_tokens]
    for path in pages:
        response = client.get(path)
        if response.status_code != 200:
            continue
        read += 1
        text = readable_text(response)
        for phone in member_phones | {CONTACT}:
            assert phone not in text, path
    assert masked_seen, "no masked phone was shown at all: the walk saw no member"
    assert read > 60, read


# --- the console's forms (review of the console's CSRF protection) ------------------------------


def test_every_console_form_post_needs_the_csrf_token(app, client, world):
    """Signed in as the bureau, a post without the token to any console route is refused, changing nothing."""
    sign_in(client, "bureau", "bureau-pass-1")
    posts = sorted({rule.rule for rule in app.url_map.iter_rules()
                    if rule.rule.startswith("/admin/") and "POST" in rule.methods})
    assert len(posts) >= 5, posts
    before = db_snapshot()
    for rule in posts:
        path = re.sub(r"<(?:\w+:)?\w+>", "1", rule)
        forged = client.post(path, data={"username": "bureau", "password": "bureau-pass-1"})
        assert forged.status_code == 400, (rule, forged.status_code)
        assert "页面已过期或表单来源无效" in forged.get_data(as_text=True), rule
    assert db_snapshot() == before
    assert client.get("/admin/dashboard").status_code == 200  # still signed in: the forged logout did nothing
