"""WeChat beyond login, over real HTTP to a local server speaking WeChat's protocol
(tests/wechat_fake.py): the access token (stable_token, its cache and refresh), the comment
check (msgSecCheck v2), subscribe messages to admins on a bad rating, their quotas, the
admin's WeChat link, the admins' notifications and the review of held comments.
"""
import logging
import threading

import pytest
from sqlalchemy import func, select

from conftest import assert_error, bearer, make_unit_with_objects, running_app, wechat_config
from server.alerts.subscriptions import QUOTA_CAP
from server.auth.services import create_admin
from server.extensions import db
from server.models import Admin, AuditEntry, Notification, Rating, Subscription, WechatUser
from server.qr.services import issue_code

BAD_TPL = "tpl-bad-rating-0001"
CASE_TPL = "tpl-case-answered-01"
BAD_KEYS = ("thing1", "phrase2", "time3", "time4", "thing5")
STABLE_TOKEN = "/cgi-bin/stable_token"
SEC_CHECK = "/wxa/msg_sec_check"
SEND = "/cgi-bin/message/subscribe/send"
RATINGS = "/api/v1/ratings"
NOTIFICATIONS = "/api/v1/admin/notifications"
SUBSCRIPTIONS = "/api/v1/me/subscriptions"
LINK = "/api/v1/admin/me/wechat"


@pytest.fixture
def app(wechat_server):
    """WeChat at the fake, with the bad-rating and case-answered templates switched on."""

    class Config(wechat_config(wechat_server)):
        def __init__(self):
            super().__init__()
            self.WECHAT_TEMPLATE_BAD_RATING = BAD_TPL
            self.WECHAT_TEMPLATE_CASE_ANSWERED = CASE_TPL

    wechat_server.add_template(BAD_TPL, BAD_KEYS)
    with running_app(Config) as app:
        yield app


@pytest.fixture
def wx(app):
    """The app's WeChat client (a WechatClient talking to the fake)."""
    return app.extensions["wechat"]


@pytest.fixture
def codes(world):
    """Current codes of each unit's window and member badge."""
    result = {side: {"window": issue_code("window", getattr(world, side).window).token,
                     "badge": issue_code("badge", getattr(world, side).member).token} for side in ("a", "b")}
    db.session.commit()
    return result


def wechat_login(client, wechat_server, openid):
    """Log in through /api/v1/auth/wechat (jscode2session at the fake); the bearer header."""
    response = client.post("/api/v1/auth/wechat", json={"code": wechat_server.new_code(openid=openid)})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


@pytest.fixture
def citizen(client, wechat_server):
    """A citizen who logged in through WeChat, so WeChat knows their openid."""
    return wechat_login(client, wechat_server, "o-citizen-0001")


def rate(client, token, score=5, headers=None, **extra):
    """POST a rating; buffered, so messages queued for after the response are sent before it returns."""
    return client.post(RATINGS, json={"token": token, "score": score, **extra}, headers=headers or {},
                       buffered=True)


def link_admin(client, wechat_server, headers, openid):
    """Link an admin to the WeChat identity ``openid`` through POST /api/v1/admin/me/wechat."""
    response = client.post(LINK, json={"code": wechat_server.new_code(openid=openid)}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def subscribe(client, headers, accepted=True, template_id=BAD_TPL):
    return client.post(SUBSCRIPTIONS, json={"template_id": template_id, "accepted": accepted}, headers=headers)


def rating_of(response):
    return db.session.get(Rating, response.get_json()["id"])


# --- the access token --------------------------------------------------------------------------


def test_access_token_is_fetched_once_and_reused(wx, wechat_server, citizen):
    assert wx.msg_sec_check("o-citizen-0001", "办事很快") == "pass"
    assert wx.msg_sec_check("o-citizen-0001", "态度很好") == "pass"

    (fetch,) = wechat_server.calls(STABLE_TOKEN)
    assert fetch.json == {"grant_type": "client_credential", "appid": wechat_server.appid,
                          "secret": wechat_server.secret, "force_refresh": False}
    first, second = wechat_server.calls(SEC_CHECK)
    assert first.query["access_token"] == second.query["access_token"]
    assert wechat_server.valid_access_token(first.query["access_token"])


@pytest.mark.parametrize("errcode", [40001, 40014])
def test_refused_token_is_refreshed_and_the_call_retried_once(wx, wechat_server, citizen, errcode):
    assert wx.msg_sec_check("o-citizen-0001", "第一条") == "pass"
    wechat_server.fail_next(errcode, path=SEC_CHECK)

    assert wx.msg_sec_check("o-citizen-0001", "第二条") == "pass"

    fetches = wechat_server.calls(STABLE_TOKEN)
    # The normal fetch handed back the very token WeChat refused, so a forced refresh followed.
    assert [f.json["force_refresh"] for f in fetches] == [False, False, True]
    checks = wechat_server.calls(SEC_CHECK)
    assert len(checks) == 3
    assert checks[1].query["access_token"] == checks[0].query["access_token"]
    assert checks[2].query["access_token"] != checks[1].query["access_token"]
    assert wechat_server.valid_access_token(checks[2].query["access_token"])
    # The new token is cached in turn.
    assert wx.msg_sec_check("o-citizen-0001", "第三条") == "pass"
    assert len(wechat_server.calls(STABLE_TOKEN)) == 3


def test_expired_token_42001_is_refreshed_without_forcing(wx, wechat_server, citizen):
    assert wx.msg_sec_check("o-citizen-0001", "第一条") == "pass"
    wechat_server.expire_access_tokens()

    assert wx.msg_sec_check("o-citizen-0001", "第二条") == "pass"

    fetches = wechat_server.calls(STABLE_TOKEN)
    assert [f.json["force_refresh"] for f in fetches] == [False, False]
    checks = wechat_server.calls(SEC_CHECK)
    assert len(checks) == 3
    assert checks[1].query["access_token"] == checks[0].query["access_token"]  # answered 42001
    assert checks[2].query["access_token"] != checks[1].query["access_token"]


def test_a_token_refused_twice_is_retried_only_once(wx, wechat_server, citizen):
    wechat_server.fail_next(40001, path=SEC_CHECK, times=5)
    assert wx.msg_sec_check("o-citizen-0001", "你好") is None  # no verdict: the caller falls back
    assert len(wechat_server.calls(SEC_CHECK)) == 2


def test_token_fetch_failure_gives_no_verdict(wx, wechat_server, citizen):
    wechat_server.fail_next(40125, path=STABLE_TOKEN)
    assert wx.msg_sec_check("o-citizen-0001", "你好") is None
    assert wechat_server.calls(SEC_CHECK) == []
    # Nothing was cached from the failure: the next call fetches again and works.
    assert wx.msg_sec_check("o-citizen-0001", "你好") == "pass"


def test_concurrent_calls_fetch_the_token_once(wx, wechat_server, citizen, monkeypatch):
    wechat_server.delay = 0.2  # every answer is slow, so the threads overlap
    # 8 threads queue behind one token fetch: allow well over the fake's delay, so a busy
    # machine cannot turn the test config's 1 s timeout into a lost answer.
    monkeypatch.setattr(wx, "timeout", 10)
    results, barrier = [], threading.Barrier(8)

    def check(i):
        barrier.wait()
        results.append(wx.msg_sec_check("o-citizen-0001", f"留言{i}"))

    threads = [threading.Thread(target=check, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert results == ["pass"] * 8
    assert len(wechat_server.calls(STABLE_TOKEN)) == 1
    assert len({c.query["access_token"] for c in wechat_server.calls(SEC_CHECK)}) == 1


# --- the comment check (msgSecCheck v2) on a rating --------------------------------------------


def test_comment_passing_the_check_is_shown(client, wechat_server, codes, citizen):
    response = rate(client, codes["a"]["window"], 5, headers=citizen, comment="办事很快，态度很好")

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["comment_status"] == "shown"
    (check,) = wechat_server.calls(SEC_CHECK)
    assert check.json == {"content": "办事很快，态度很好", "version": 2, "scene": 2, "openid": "o-citizen-0001"}
    # Chinese goes out as UTF-8, not as \u escapes.
    assert "办事很快".encode() in check.body
    assert rating_of(response).comment_status == "shown"


@pytest.mark.parametrize("suggest,label", [("review", 20002), ("risky", 20003)])
def test_comment_held_by_the_check_is_hidden_but_the_rating_counts(client, wechat_server, codes, citizen,
                                                                  suggest, label):
    wechat_server.verdicts["可疑"] = (suggest, label)
    response = rate(client, codes["a"]["window"], 4, headers=citizen, comment="这里有可疑的话")

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["comment_status"] == "hidden"
    rating = rating_of(response)
    assert (rating.score, rating.comment, rating.comment_status) == (4, "这里有可疑的话", "hidden")


def test_wechat_down_falls_back_to_the_local_word_list(client, wechat_server, codes, citizen):
    wechat_server.stop()
    clean = rate(client, codes["a"]["window"], 5, headers=citizen, comment="很好")
    rude = rate(client, codes["a"]["badge"], 2, headers=citizen, comment="你这个废物")

    assert (clean.status_code, clean.get_json()["comment_status"]) == (201, "shown")
    assert (rude.status_code, rude.get_json()["comment_status"]) == (201, "hidden")


@pytest.mark.parametrize("errcode", [-1, 61010, 40003])
def test_wechat_error_falls_back_to_the_local_word_list(client, wechat_server, codes, citizen, errcode):
    wechat_server.fail_next(errcode, path=SEC_CHECK, times=2)
    clean = rate(client, codes["a"]["window"], 5, headers=citizen, comment="很好")
    rude = rate(client, codes["a"]["badge"], 5, headers=citizen, comment="滚蛋")

    assert clean.get_json()["comment_status"] == "shown" and rude.get_json()["comment_status"] == "hidden"
    assert len(wechat_server.calls(SEC_CHECK)) == 2


def test_h5_rater_uses_only_the_local_word_list(client, wechat_server, codes):
    clean = rate(client, codes["a"]["window"], 5, comment="很好")
    rude = rate(client, codes["a"]["badge"], 5, comment="你这个废物")

    assert (clean.status_code, clean.get_json()["comment_status"]) == (201, "shown")
    assert (rude.status_code, rude.get_json()["comment_status"]) == (201, "hidden")
    assert wechat_server.requests == []  # no content check, not even a token fetch


def test_empty_comment_needs_no_check(client, wechat_server, codes, citizen):
    assert rate(client, codes["a"]["window"], 5, headers=citizen).status_code == 201
    assert wechat_server.calls(SEC_CHECK) == []


# --- bad rating: notifications and subscribe messages -------------------------------------------


@pytest.fixture
def admins(world, client, wechat_server):
    """Unit A's two admins: a1 linked to WeChat and subscribed once, a2 linked but not subscribed."""
    world.a.admin2 = create_admin("admin_a2", "admin-a2-pass", "unit_admin", world.a.unit.id)
    db.session.commit()
    a2_headers = bearer("admin", world.a.admin2)
    link_admin(client, wechat_server, world.a_headers, "o-admin-a1")
    link_admin(client, wechat_server, a2_headers, "o-admin-a2")
    assert subscribe(client, world.a_headers).get_json()["remaining"] == 1
    wechat_server.grant("o-admin-a1", BAD_TPL)
    return {"a1": world.a_headers, "a2": a2_headers, "b": world.b_headers}


def unread(client, headers):
    response = client.get(NOTIFICATIONS, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["unread"]


def remaining(openid, template_id=BAD_TPL):
    user = db.session.scalar(select(WechatUser).where(WechatUser.openid == openid))
    return db.session.scalar(select(Subscription.remaining).where(
        Subscription.wechat_user_id == user.id, Subscription.template_id == template_id)) or 0


def test_bad_rating_alerts_the_units_admins_only(client, wechat_server, world, codes, citizen, admins, caplog):
    caplog.set_level(logging.INFO)
    response = rate(client, codes["a"]["window"], 1, headers=citizen, comment="推来推去", contact="13900001111")

    assert response.status_code == 201, response.get_json()
    case_id = response.get_json()["case"]["id"]
    # A notification for each admin of unit A, none for unit B's admin or the bureau.
    assert unread(client, admins["a1"]) == 1 and unread(client, admins["a2"]) == 1
    assert unread(client, admins["b"]) == 0 and unread(client, world.bureau_headers) == 0
    notes = db.session.scalars(select(Notification)).all()
    assert sorted(n.admin_id for n in notes) == sorted([world.a.admin.id, world.a.admin2.id])
    assert {(n.kind, n.case_id, n.unit_id) for n in notes} == {("bad_rating", case_id, world.a.unit.id)}

    # One subscribe message: to a1, who has quota; a2 subscribed to nothing, so nothing was tried.
    (sent,) = wechat_server.calls(SEND)
    assert sent.json["touser"] == "o-admin-a1" and sent.json["template_id"] == BAD_TPL
    assert sent.json["page"] == f"pages/admin/case?id={case_id}"
    assert sent.json["miniprogram_state"] == "formal" and sent.json["lang"] == "zh_CN"
    assert wechat_server.sent == [sent.json]  # WeChat accepted it (keys and value formats)
    data = {key: item["value"] for key, item in sent.json["data"].items()}
    assert set(data) == set(BAD_KEYS)
    assert data["thing1"] == "窗口：甲站窗口" and data["phrase2"] == "非常不满意"
    assert data["thing5"] == "请及时联系群众并整改答复"
    # Nothing about the citizen: not their comment, contact or openid.
    text = str(sent.json)
    assert "推来推去" not in text and "13900001111" not in text and "o-citizen" not in text
    # The quota was spent, here and at WeChat.
    assert remaining("o-admin-a1") == 0 and wechat_server.quota("o-admin-a1", BAD_TPL) == 0
    # Neither openids nor the access token reach the logs.
    token = sent.query["access_token"]
    for secret in ("o-admin-a1", "o-citizen-0001", token, wechat_server.secret):
        assert secret not in caplog.text


def test_good_rating_alerts_nobody(client, wechat_server, codes, citizen, admins):
    assert rate(client, codes["a"]["window"], 4, headers=citizen).status_code == 201
    assert unread(client, admins["a1"]) == 0
    assert wechat_server.calls(SEND) == []


def test_no_quota_left_no_message(client, wechat_server, codes, citizen, admins):
    assert rate(client, codes["a"]["window"], 2, headers=citizen).status_code == 201
    assert len(wechat_server.calls(SEND)) == 1
    # a1's single acceptance is spent: the next bad rating sends nothing, the badge still counts.
    assert rate(client, codes["a"]["badge"], 1, headers=citizen).status_code == 201
    assert len(wechat_server.calls(SEND)) == 1
    assert unread(client, admins["a1"]) == 2


def test_user_refused_43101_does_not_break_the_rating(client, wechat_server, codes, citizen, admins, caplog):
    caplog.set_level(logging.INFO)
    wechat_server.grant("o-admin-a1", BAD_TPL, times=-1)  # WeChat holds no quota (we think one)

    response = rate(client, codes["a"]["window"], 1, headers=citizen)

    assert response.status_code == 201
    assert len(wechat_server.calls(SEND)) == 1 and wechat_server.sent == []
    assert "43101" in caplog.text
    assert db.session.get(Rating, response.get_json()["id"]).score == 1
    assert unread(client, admins["a1"]) == 1


@pytest.mark.parametrize("failure", ["down", "token", "template"])
def test_wechat_failures_never_lose_the_rating(client, wechat_server, codes, citizen, admins, failure):
    if failure == "down":
        wechat_server.stop()
    elif failure == "token":
        wechat_server.fail_next(40013, path=STABLE_TOKEN, times=3)
    else:
        wechat_server.fail_next(47003, path=SEND)

    response = rate(client, codes["a"]["window"], 1, headers=citizen)

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["case"] is not None
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 1
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 2


def test_refused_rating_sends_nothing(client, wechat_server, codes, citizen, admins):
    assert rate(client, codes["a"]["window"], 1, headers=citizen).status_code == 201
    again = rate(client, codes["a"]["window"], 1, headers=citizen)
    assert_error(again, 409)
    assert len(wechat_server.calls(SEND)) == 1
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 2


def test_templates_off_sends_nothing(wechat_server):
    """Without WECHAT_TEMPLATE_BAD_RATING the alert is the notification alone."""
    with running_app(wechat_config(wechat_server)) as app:
        client = app.test_client()
        side = make_unit_with_objects("丙站")
        admin = create_admin("admin_c", "admin-c-pass", "unit_admin", side.unit.id)
        token = issue_code("window", side.window).token
        db.session.commit()
        headers = bearer("admin", admin)
        link_admin(client, wechat_server, headers, "o-admin-c")
        assert client.get(SUBSCRIPTIONS, headers=headers).get_json() == {"wechat_linked": True, "items": []}
        assert rate(client, token, 1).status_code == 201
        assert unread(client, headers) == 1
        assert wechat_server.calls(SEND) == []


# --- subscriptions (wx.requestSubscribeMessage answers) ---------------------------------------


def test_subscriptions_count_acceptances_up_to_the_cap(client, citizen):
    listed = client.get(SUBSCRIPTIONS, headers=citizen).get_json()
    assert listed == {"wechat_linked": True, "items": [
        {"kind": "bad_rating", "template_id": BAD_TPL, "remaining": 0},
        {"kind": "case_answered", "template_id": CASE_TPL, "remaining": 0},
    ]}
    assert subscribe(client, citizen, template_id=CASE_TPL).get_json() == {
        "kind": "case_answered", "template_id": CASE_TPL, "remaining": 1}
    assert subscribe(client, citizen, accepted=False, template_id=CASE_TPL).get_json()["remaining"] == 1
    for _ in range(QUOTA_CAP + 3):
        response = subscribe(client, citizen, template_id=CASE_TPL)
    assert response.status_code == 200 and response.get_json()["remaining"] == QUOTA_CAP
    items = client.get(SUBSCRIPTIONS, headers=citizen).get_json()["items"]
    assert [i["remaining"] for i in items] == [0, QUOTA_CAP]
    assert db.session.scalar(select(func.count()).select_from(Subscription)) == 1


def test_rejecting_first_creates_nothing(client, citizen):
    assert subscribe(client, citizen, accepted=False).get_json()["remaining"] == 0
    assert db.session.scalar(select(func.count()).select_from(Subscription)) == 0


@pytest.mark.parametrize("body,field", [
    ({"template_id": "not-configured", "accepted": True}, "template_id"),
    ({"template_id": "", "accepted": True}, "template_id"),
    ({"template_id": BAD_TPL}, "accepted"),
    ({"template_id": BAD_TPL, "accepted": "maybe"}, "accepted"),
    ({"template_id": BAD_TPL, "accepted": True, "remaining": 99}, "remaining"),
])
def test_subscription_answer_is_validated(client, citizen, body, field):
    assert_error(client.post(SUBSCRIPTIONS, json=body, headers=citizen), 422, field)
    assert db.session.scalar(select(func.count()).select_from(Subscription)) == 0


def test_subscriptions_need_a_login_and_an_admin_needs_a_link(client, world):
    assert_error(client.get(SUBSCRIPTIONS), 401)
    assert_error(subscribe(client, {}), 401)
    assert client.get(SUBSCRIPTIONS, headers=world.a_headers).get_json()["wechat_linked"] is False
    assert assert_error(subscribe(client, world.a_headers), 409)["code"] == "wechat_not_linked"


# --- the admin's WeChat link --------------------------------------------------------------------


def test_admin_links_their_wechat(client, wechat_server, world):
    body = link_admin(client, wechat_server, world.a_headers, "o-admin-a1")

    assert body["wechat_linked"] is True and [s["kind"] for s in body["subscriptions"]] == ["bad_rating",
                                                                                             "case_answered"]
    admin = db.session.get(Admin, world.a.admin.id)
    assert db.session.get(WechatUser, admin.wechat_user_id).openid == "o-admin-a1"
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "admin.wechat_link")).all()
    assert entry.actor_id == admin.id and entry.entity_id == admin.id
    # Linking the same WeChat again changes nothing.
    link_admin(client, wechat_server, world.a_headers, "o-admin-a1")
    assert db.session.scalar(select(func.count()).select_from(WechatUser).where(
        WechatUser.openid == "o-admin-a1")) == 1


def test_a_wechat_linked_to_another_admin_is_409(client, wechat_server, world):
    link_admin(client, wechat_server, world.a_headers, "o-shared")
    response = client.post(LINK, json={"code": wechat_server.new_code(openid="o-shared")}, headers=world.b_headers)
    assert assert_error(response, 409)["code"] == "wechat_linked_elsewhere"
    assert db.session.get(Admin, world.b.admin.id).wechat_user_id is None


def test_a_bad_code_is_422_not_a_logout(client, wechat_server, world):
    response = client.post(LINK, json={"code": "never-issued"}, headers=world.a_headers)
    assert_error(response, 422, "code")
    wechat_server.stop()
    response = client.post(LINK, json={"code": "whatever"}, headers=world.a_headers)
    assert assert_error(response, 503)["code"] == "wechat_unavailable"


def test_admin_unlinks_their_wechat(client, wechat_server, world):
    link_admin(client, wechat_server, world.a_headers, "o-admin-a1")
    response = client.delete(LINK, headers=world.a_headers)
    assert response.status_code == 200 and response.get_json()["wechat_linked"] is False
    assert db.session.get(Admin, world.a.admin.id).wechat_user_id is None


def test_linked_admin_cannot_rate_their_unit_through_wechat(client, wechat_server, world, codes):
    link_admin(client, wechat_server, world.a_headers, "o-admin-a1")
    as_citizen = wechat_login(client, wechat_server, "o-admin-a1")
    error = assert_error(rate(client, codes["a"]["window"], 5, headers=as_citizen), 403)
    assert error["code"] == "staff_cannot_rate"
    # Another unit's window is the admin's to rate as any citizen.
    assert rate(client, codes["b"]["window"], 5, headers=as_citizen).status_code == 201


# --- the admins' notifications ------------------------------------------------------------------


def test_notifications_list_read_and_read_all(client, world, codes):
    for kind in ("window", "badge"):
        assert rate(client, codes["a"][kind], 1).status_code == 201
    listing = client.get(NOTIFICATIONS, headers=world.a_headers).get_json()
    assert (listing["total"], listing["unread"], listing["page"], listing["page_size"]) == (2, 2, 1, 20)
    newest, older = listing["items"]
    assert newest["id"] > older["id"] and newest["read"] is False and newest["read_at"] is None
    assert newest["kind"] == "bad_rating" and newest["title"] == "收到差评，请及时处理"

    read = client.post(f"{NOTIFICATIONS}/{older['id']}/read", headers=world.a_headers)
    assert read.status_code == 200 and read.get_json()["read"] is True and read.get_json()["read_at"]
    first_read_at = read.get_json()["read_at"]
    again = client.post(f"{NOTIFICATIONS}/{older['id']}/read", headers=world.a_headers)
    assert again.get_json()["read_at"] == first_read_at
    unread_only = client.get(NOTIFICATIONS, headers=world.a_headers, query_string={"unread": "true"}).get_json()
    assert [n["id"] for n in unread_only["items"]] == [newest["id"]]
    assert (unread_only["total"], unread_only["unread"]) == (1, 1)

    done = client.post(f"{NOTIFICATIONS}/read-all", headers=world.a_headers)
    assert done.status_code == 200 and done.get_json() == {"updated": 1, "unread": 0}
    assert client.get(NOTIFICATIONS, headers=world.a_headers).get_json()["unread"] == 0


def test_another_admins_notification_is_404(client, world, codes):
    assert rate(client, codes["a"]["window"], 1).status_code == 201
    (note,) = db.session.scalars(select(Notification)).all()
    for headers in (world.b_headers, world.bureau_headers):
        other = client.post(f"{NOTIFICATIONS}/{note.id}/read", headers=headers)
        missing = client.post(f"{NOTIFICATIONS}/99999999/read", headers=headers)
        assert_error(other, 404)
        assert other.get_json() == missing.get_json()
        # read-all of someone else touches only their own.
        assert client.post(f"{NOTIFICATIONS}/read-all", headers=headers).get_json()["updated"] == 0
    assert db.session.get(Notification, note.id).read_at is None
    assert client.get(NOTIFICATIONS, headers=world.b_headers).get_json()["items"] == []
    assert_error(client.post(f"{NOTIFICATIONS}/{2**40}/read", headers=world.a_headers), 404)


def test_notifications_are_for_admins_only(client, world):
    assert_error(client.get(NOTIFICATIONS, headers=world.citizen_headers), 403)
    assert_error(client.get(NOTIFICATIONS), 401)
    assert_error(client.get(NOTIFICATIONS, headers=world.a_headers, query_string={"page_size": 101}), 422)


# --- reviewing held comments --------------------------------------------------------------------


def comment_url(rating_id):
    return f"/api/v1/admin/ratings/{rating_id}/comment"


def test_admin_shows_a_held_comment_and_hides_one(client, codes, world):
    held = rating_of(rate(client, codes["a"]["window"], 3, comment="你这个废物"))
    assert held.comment_status == "hidden"

    shown = client.post(comment_url(held.id), json={"action": "show"}, headers=world.a_headers)
    assert shown.status_code == 200, shown.get_json()
    assert shown.get_json() == {"id": held.id, "unit_id": world.a.unit.id, "score": 3, "comment": "你这个废物",
                                "comment_status": "shown"}
    assert_error(client.post(comment_url(held.id), json={"action": "hide"}, headers=world.a_headers), 422, "reason")
    hidden = client.post(comment_url(held.id), json={"action": "hide", "reason": "含辱骂"}, headers=world.a_headers)
    assert hidden.get_json()["comment_status"] == "hidden"

    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "rating")
                                 .order_by(AuditEntry.id)).all()
    assert [(e.action, e.actor_id, e.reason) for e in entries] == [
        ("rating.comment_show", world.a.admin.id, ""), ("rating.comment_hide", world.a.admin.id, "含辱骂")]
    assert entries[0].before == {"comment_status": "hidden"} and entries[0].after == {"comment_status": "shown"}
    # Hiding again changes nothing and records nothing.
    client.post(comment_url(held.id), json={"action": "hide", "reason": "再次"}, headers=world.a_headers)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity_type == "rating")) == 2


def test_comment_review_is_walled_and_cannot_touch_the_score(client, codes, world):
    rating = rating_of(rate(client, codes["a"]["window"], 2, tags=["推诿"], comment="你这个废物"))
    other = client.post(comment_url(rating.id), json={"action": "show"}, headers=world.b_headers)
    assert_error(other, 404)
    assert other.get_json() == client.post(comment_url(99999999), json={"action": "show"},
                                           headers=world.b_headers).get_json()
    assert_error(client.post(comment_url(rating.id), json={"action": "show"}, headers=world.citizen_headers), 403)
    for body in ({"action": "show", "score": 5}, {"action": "show", "tags": []}, {"action": "delete"}, {}):
        assert_error(client.post(comment_url(rating.id), json=body, headers=world.a_headers), 422)
    db.session.expire_all()
    rating = db.session.get(Rating, rating.id)
    assert (rating.score, rating.tags, rating.comment_status) == (2, ["推诿"], "hidden")
    assert client.post(comment_url(rating.id), json={"action": "show"},
                       headers=world.bureau_headers).get_json()["comment_status"] == "shown"


def test_rating_without_comment_is_409(client, codes, world):
    rating = rating_of(rate(client, codes["a"]["window"], 5))
    error = assert_error(client.post(comment_url(rating.id), json={"action": "show"}, headers=world.a_headers), 409)
    assert error["code"] == "no_comment"


# --- the contract -------------------------------------------------------------------------------


def test_every_endpoint_is_documented(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    expected = {
        "/api/v1/admin/notifications": {"get"},
        "/api/v1/admin/notifications/{notification_id}/read": {"post"},
        "/api/v1/admin/notifications/read-all": {"post"},
        "/api/v1/admin/me/wechat": {"post", "delete"},
        "/api/v1/me/subscriptions": {"get", "post"},
        "/api/v1/admin/ratings/{rating_id}/comment": {"post"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
        for method in methods:
            assert paths[path][method]["summary"]
