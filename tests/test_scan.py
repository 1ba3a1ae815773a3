"""The scan: public profiles (API and H5 pages), privacy of the badge, revoked and unknown
tokens, and the rotating live check-in codes of posts."""
import base64
import datetime as dt
import json
import re
import time
from urllib.parse import urlsplit

import pytest

from conftest import CHINESE, assert_error
from qr_decode import decode_png, require_tools
from server.errors import ApiError
from server.extensions import db
from server.models import Shift, utcnow
from server.qr import live

ADMIN = "/api/v1/admin"
BASE = "https://rs.example.cn"
PHONE = "13812345678"  # every fixture member's phone
PHONE_FORMS = (PHONE, "138****5678", "138****", "12345678", "1381234")
LIVE_URL = re.compile(rf"{re.escape(BASE)}/q/(L\.\d+\.\d+\.[0-9a-f]+)")


@pytest.fixture(autouse=True)
def qr_output(app, tmp_path):
    app.config["QR_OUTPUT_DIR"] = str(tmp_path / "qr")


def issue(client, world, kind, target):
    response = client.post(f"{ADMIN}/qrcodes", json={"kind": kind, "target_id": target.id}, headers=world.a_headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def scan(client, token, status=200):
    response = client.get(f"/api/v1/scan/{token}")
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    return response.get_json()


def page(client, token, status=200):
    """The H5 page of ``token``: Chinese HTML for elderly readers."""
    response = client.get(f"/q/{token}")
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.mimetype == "text/html" and response.mimetype_params.get("charset", "").lower() == "utf-8"
    html = response.get_data(as_text=True)
    assert re.search(r'<html[^>]*\blang="zh-CN"', html)
    assert 'name="viewport"' in html
    root_sizes = [int(px) for px in re.findall(r"html\s*\{[^}]*font-size:\s*(\d+)px", html)]
    assert root_sizes and min(root_sizes) >= 18, root_sizes
    assert CHINESE.search(html)
    return html


def without_scripts(html):
    """What a browser shows with JavaScript off: the page minus its <script> elements."""
    return re.sub(r"<script\b.*?</script>", "", html, flags=re.S | re.I)


def keys(value):
    """Every key anywhere in a JSON value."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


def open_shift(member, post):
    db.session.add(Shift(member_id=member.id, post_id=post.id, unit_id=post.unit_id, status="open",
                         source="scan", started_at=utcnow()))
    db.session.commit()


# --- Profiles ----------------------------------------------------------------------------


def test_badge_profile(client, world):
    member = world.a.member
    member.photo_url = "https://rs.example.cn/photos/a1.jpg"
    member.badge_no = "JX-007"
    db.session.commit()
    code = issue(client, world, "badge", member)
    body = scan(client, code["token"])
    assert body["kind"] == "badge" and body["live"] is False
    assert "rate" in body["actions"]
    target = body["target"]
    assert {"name", "photo_url", "post_title", "unit", "is_party_member", "commitment", "on_duty"} <= set(target)
    assert target["name"] == "甲站党员" and target["post_title"] == "先锋岗"
    assert target["photo_url"] == "https://rs.example.cn/photos/a1.jpg"
    assert target["unit"] == {"id": world.a.unit.id, "name": "甲站"}
    assert target["is_party_member"] is True and target["commitment"] == "热情服务，件件有回音"
    assert target["on_duty"] is False
    html = without_scripts(page(client, code["token"]))
    assert "甲站党员" in html and "热情服务，件件有回音" in html and "甲站" in html and "不在岗" in html

    open_shift(member, world.a.post)
    assert scan(client, code["token"])["target"]["on_duty"] is True
    assert "在岗服务中" in page(client, code["token"])
    # Another member's open shift does not put this one on duty.
    b_code = client.post(f"{ADMIN}/qrcodes", json={"kind": "badge", "target_id": world.b.member.id},
                         headers=world.b_headers).get_json()
    assert scan(client, b_code["token"])["target"]["on_duty"] is False


def test_badge_never_shows_the_phone(client, world):
    code = issue(client, world, "badge", world.a.member)
    open_shift(world.a.member, world.a.post)
    response = client.get(f"/api/v1/scan/{code['token']}")
    text = response.get_data(as_text=True)
    html = page(client, code["token"])
    for shown in (text, json.dumps(response.get_json(), ensure_ascii=False), html):
        for form in PHONE_FORMS:
            assert form not in shown, form
    assert not {k for k in keys(response.get_json()) if "phone" in k.lower()}
    assert "phone" not in html.lower() and "tel:" not in html.lower()
    # A volunteer (not a party member) shows as one, still without a phone.
    world.a.member.is_party_member = False
    db.session.commit()
    assert scan(client, code["token"])["target"]["is_party_member"] is False
    html = page(client, code["token"])
    assert "志愿者" in html and PHONE not in html


def test_window_profile(client, world):
    window = world.a.window
    window.duties = ["受理驾驶证业务", "解答咨询"]
    window.commitments = ["一次办结", "超时默认"]
    window.time_limits = [{"item": "办证", "limit": "即办"}, {"item": "补证", "limit": "1个工作日"}]
    db.session.commit()
    code = issue(client, world, "window", window)
    body = scan(client, code["token"])
    assert body["kind"] == "window" and "rate" in body["actions"] and body["live"] is False
    target = body["target"]
    assert target["name"] == "甲站窗口" and target["unit"] == {"id": world.a.unit.id, "name": "甲站"}
    assert target["duties"] == ["受理驾驶证业务", "解答咨询"]
    assert target["commitments"] == ["一次办结", "超时默认"]
    assert target["time_limits"] == [{"item": "办证", "limit": "即办"}, {"item": "补证", "limit": "1个工作日"}]
    html = without_scripts(page(client, code["token"]))
    for text in ("甲站窗口", "受理驾驶证业务", "一次办结", "超时默认", "补证", "1个工作日"):
        assert text in html, text


def test_post_profile(client, world):
    code = issue(client, world, "post", world.a.post)
    body = scan(client, code["token"])
    assert body["kind"] == "post" and body["actions"] == ["check_in"] and body["live"] is False
    target = body["target"]
    assert target["name"] == "甲站志愿岗" and target["unit"] == {"id": world.a.unit.id, "name": "甲站"}
    assert target["service"] == "引导"
    assert target["location"] == {"lat": 30.75, "lng": 120.75}
    assert target["radius_m"] == 200
    html = without_scripts(page(client, code["token"]))
    assert "甲站志愿岗" in html and "引导" in html and "签到" in html and "200" in html


def test_scan_needs_no_login_and_writes_nothing(client, world):
    from conftest import db_snapshot

    code = issue(client, world, "window", world.a.window)
    before = db_snapshot()
    scan(client, code["token"])
    page(client, code["token"])
    assert db_snapshot() == before
    # A logged-in citizen sees the same answer.
    assert client.get(f"/api/v1/scan/{code['token']}", headers=world.citizen_headers).get_json() == scan(client, code["token"])


# --- Unknown and revoked tokens -----------------------------------------------------------


@pytest.mark.parametrize("token", ["nope", "A" * 22, "x" * 81, "A" * 5000, "L.", "L.1", "L.x.y.z", "L.1.2.3.4"])
def test_unknown_tokens_answer_404(client, world, token):
    issue(client, world, "badge", world.a.member)
    error = assert_error(client.get(f"/api/v1/scan/{token}"), 404)
    assert error["code"] in ("code_unknown", "not_found")
    html = page(client, token, status=404)
    assert "二维码无效" in html


def test_revoked_token_answers_410(client, world):
    code = issue(client, world, "window", world.a.window)
    client.post(f"{ADMIN}/qrcodes/{code['id']}/revoke", json={}, headers=world.a_headers)
    assert assert_error(client.get(f"/api/v1/scan/{code['token']}"), 410)["code"] == "code_revoked"
    html = page(client, code["token"], status=410)
    assert "二维码已停用" in html and "甲站窗口" not in html


# --- Live codes ----------------------------------------------------------------------------


def get_live(client, headers, post_id):
    response = client.get(f"{ADMIN}/posts/{post_id}/live", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_live_code_endpoint_and_scan(client, world):
    before = time.time()
    body = get_live(client, world.a_headers, world.a.post.id)
    after = time.time()
    assert {"code", "url", "expires_at", "display_url"} <= set(body)
    assert body["code"].startswith(f"L.{world.a.post.id}.")
    assert body["url"] == f"{BASE}/q/{body['code']}"
    expires_at = dt.datetime.fromisoformat(body["expires_at"])
    assert expires_at.utcoffset() == dt.timedelta(hours=8)
    assert before < expires_at.timestamp() <= after + 60
    assert expires_at.timestamp() - after <= 60
    assert urlsplit(body["display_url"]).path == f"/posts/{world.a.post.id}/display"

    result = scan(client, body["code"])
    assert result["kind"] == "post" and result["live"] is True and result["actions"] == ["check_in"]
    assert result["target"]["name"] == "甲站志愿岗" and result["target"]["id"] == world.a.post.id
    assert "甲站志愿岗" in page(client, body["code"])
    # The bureau may open it too; unit admin B may not.
    assert get_live(client, world.bureau_headers, world.a.post.id)["code"].startswith("L.")
    assert_error(client.get(f"{ADMIN}/posts/{world.a.post.id}/live", headers=world.b_headers), 404)
    assert_error(client.get(f"{ADMIN}/posts/99999/live", headers=world.a_headers), 404)
    assert client.get(f"{ADMIN}/posts/{world.a.post.id}/live").status_code == 401
    assert client.get(f"{ADMIN}/posts/{world.a.post.id}/live", headers=world.member_headers).status_code == 403


def test_live_code_is_accepted_for_its_period_and_the_next_only(app, world):
    post = world.a.post
    now = 1_800_000_007.0  # 7 s into a 30-second period
    code, expires = live.live_code(post, now=now)
    period_start = now - now % live.STEP_SECONDS
    assert expires == period_start + 2 * live.STEP_SECONDS and expires - now <= 60
    for later in (0, 1, 22, 23, 30, 52, expires - now - 0.001):
        assert live.read_live_code(code, now=now + later).id == post.id, later
    for later in (61, expires - now, 3600):
        with pytest.raises(ApiError) as raised:
            live.read_live_code(code, now=now + later)
        assert (raised.value.status, raised.value.code) == (410, "code_expired"), later
    # A code from another period or post carries another signature.
    assert live.live_code(post, now=now + 30)[0] != code
    assert live.live_code(world.b.post, now=now)[0] != code


def test_tampered_or_expired_live_codes(client, world, app):
    post = world.a.post
    code, _ = live.live_code(post)
    prefix, post_id, step, signature = code.split(".")
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    forged = [
        f"L.{post_id}.{step}.{flipped}",                      # signature changed
        f"L.{world.b.post.id}.{step}.{signature}",            # another post
        f"L.{post_id}.{int(step) + 1}.{signature}",           # another period
        f"L.{post_id}.{step}.{signature[:-2]}",               # cut short
        f"L.{post_id}.{step}.{signature}0",                   # made longer
    ]
    if signature.upper() != signature:  # (all-digit signatures have no case to change)
        forged.append(f"L.{post_id}.{step}.{signature.upper()}")
    for token in forged:
        with pytest.raises(ApiError) as raised:
            live.read_live_code(token)
        assert raised.value.status == 404, token
        assert_error(client.get(f"/api/v1/scan/{token}"), 404)
        assert "二维码无效" in page(client, token, status=404)
    old, _ = live.live_code(post, now=time.time() - 120)
    assert assert_error(client.get(f"/api/v1/scan/{old}"), 410)["code"] == "code_expired"
    assert "过期" in page(client, old, status=410)


def test_display_page_shows_the_live_code(client, world):
    require_tools()
    body = get_live(client, world.a_headers, world.a.post.id)
    parts = urlsplit(body["display_url"])
    response = client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert 'lang="zh-CN"' in html and "甲站志愿岗" in html
    refresh = re.search(r'<meta http-equiv="refresh" content="(\d+)"', html)
    assert refresh and 1 <= int(refresh.group(1)) <= 30
    image = re.search(r'<img[^>]+src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert image
    decoded = decode_png(base64.b64decode(image.group(1)))
    assert len(decoded) == 1 and LIVE_URL.fullmatch(decoded[0]), decoded
    token = LIVE_URL.fullmatch(decoded[0]).group(1)
    result = scan(client, token)
    assert result["kind"] == "post" and result["live"] is True and result["target"]["id"] == world.a.post.id
    # The key is the post's own: wrong, missing or another post's key → 404.
    key = dict(p.split("=", 1) for p in parts.query.split("&"))["key"]
    b_key = live.display_key(world.b.post)
    for path in (f"{parts.path}?key={key[:-1]}x", parts.path, f"{parts.path}?key=",
                 f"{parts.path}?key={b_key}", f"/posts/{world.b.post.id}/display?key={key}",
                 f"/posts/99999/display?key={key}"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "base64" not in response.get_data(as_text=True)


def test_the_link_rules_verification_file_is_served_under_q(app, client, codes):
    """WeChat checks the 「扫普通链接二维码打开小程序」 rule by fetching its file from /q/."""
    assert client.get("/q/Ab12Cd34Ef.txt").status_code == 404  # not configured: an unknown code
    app.config.update(WECHAT_LINK_VERIFY_FILE="Ab12Cd34Ef.txt", WECHAT_LINK_VERIFY_CONTENT="f0e1d2c3b4a5")
    response = client.get("/q/Ab12Cd34Ef.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "f0e1d2c3b4a5"
    assert client.get(f"/q/{codes['badge']}").status_code == 200  # codes still open their pages
