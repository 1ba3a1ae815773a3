"""The rater's own ratings (GET /api/v1/me/ratings) with the unit's answer, and the one
follow-up (追评) a rater may add once their bad rating is answered."""
import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from conftest import assert_error, bearer, db_snapshot
from server.extensions import db
from server.models import AuditEntry, Case, Rating, WechatUser
from server.qr.services import issue_code

MINE = "/api/v1/me/ratings"


@pytest.fixture
def codes(world):
    a = world.a
    result = {"badge": issue_code("badge", a.member).token, "window": issue_code("window", a.window).token,
              "b_window": issue_code("window", world.b.window).token}
    db.session.commit()
    return result


def rate(client, token, score, headers=None, **extra):
    response = client.post("/api/v1/ratings", json={"token": token, "score": score, **extra}, headers=headers or {})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


def answer(client, world, case_id, text="已整改，感谢监督"):
    response = client.post(f"/api/v1/admin/cases/{case_id}/events", json={"action": "resolve", "note": text},
                           headers=world.a_headers)
    assert response.status_code == 200, response.json
    return response.json


def follow_up(client, rating_id, score=4, headers=None, **extra):
    return client.post(f"/api/v1/ratings/{rating_id}/follow-up", json={"score": score, **extra}, headers=headers or {})


def ratings_count():
    return db.session.scalar(select(func.count()).select_from(Rating))


# --- the list ---

def test_a_wechat_rater_sees_their_ratings_newest_first(client, world, codes):
    bad = rate(client, codes["window"], 2, world.citizen_headers, tags=["办事拖拉"], comment="等了一个小时")
    good = rate(client, codes["badge"], 5, world.citizen_headers, tags=["热情"])
    page = client.get(MINE, headers=world.citizen_headers).json
    assert (page["total"], page["page"], page["page_size"]) == (2, 1, 20)
    newest, oldest = page["items"]
    assert newest["id"] == good["id"] and oldest["id"] == bad["id"]
    assert newest["target"] == {"kind": "member", "id": world.a.member.id, "name": "甲站党员",
                                "unit": {"id": world.a.unit.id, "name": "甲站"}}
    assert newest["score"] == 5 and newest["score_label"] == "非常满意" and newest["tags"] == ["热情"]
    assert newest["case_status"] is None and newest["can_follow_up"] is False and newest["answer"] is None
    assert oldest["target"]["kind"] == "window" and oldest["target"]["name"] == "甲站窗口"
    assert oldest["comment"] == "等了一个小时" and oldest["score_label"] == "不满意"
    assert oldest["case_status"] == "open" and oldest["case_status_label"] == "待联系群众"
    assert oldest["answer"] is None and oldest["answered_at"] is None and oldest["can_follow_up"] is False
    assert oldest["follow_up"] is None and oldest["created_at"].endswith("+08:00")
    # Paging.
    second = client.get(MINE, headers=world.citizen_headers, query_string={"page": 2, "page_size": 1}).json
    assert [item["id"] for item in second["items"]] == [bad["id"]] and second["total"] == 2


def test_device_raters_see_only_their_own(app, world, codes):
    phone_1, phone_2 = app.test_client(), app.test_client()
    first = rate(phone_1, codes["window"], 1, comment="一号手机")
    second = rate(phone_2, codes["window"], 4)
    rate(phone_1, codes["b_window"], 3)
    mine_1 = phone_1.get(MINE).json
    assert [item["id"] for item in mine_1["items"]][1:] == [first["id"]] and mine_1["total"] == 2
    assert [item["id"] for item in phone_2.get(MINE).json["items"]] == [second["id"]]
    # No token and no cookie: nothing (and no cookie handed out for just looking).
    stranger = app.test_client().get(MINE)
    assert stranger.json == {"items": [], "total": 0, "page": 1, "page_size": 20}
    assert "Set-Cookie" not in stranger.headers
    # A forged cookie is nobody; a WeChat user does not see a device's ratings, nor the other way round.
    forged = app.test_client()
    forged.set_cookie("rs_device", "forged.value")
    assert forged.get(MINE).json["total"] == 0
    assert app.test_client().get(MINE, headers=world.citizen_headers).json["total"] == 0
    rate(phone_2, codes["badge"], 5, world.citizen_headers)
    assert phone_2.get(MINE).json["total"] == 1
    assert app.test_client().get(MINE, headers=world.citizen_headers).json["total"] == 1


def test_another_wechat_user_sees_nothing_of_anothers(app, client, world, codes):
    rate(client, codes["window"], 2, world.citizen_headers)
    other = WechatUser(openid="openid-other")
    db.session.add(other)
    db.session.commit()
    assert client.get(MINE, headers=bearer("wechat", other)).json["total"] == 0


@pytest.mark.parametrize("query,field", [({"page": "0"}, "page"), ({"page_size": "101"}, "page_size"),
                                         ({"page": "x"}, "page")])
def test_bad_paging_is_422(client, query, field):
    assert_error(client.get(MINE, query_string=query), 422, field)


# --- the answer and the follow-up (追评) ---

def test_the_answer_reaches_the_rater_who_may_follow_up_once(app, client, world, codes):
    bad = rate(client, codes["window"], 1, comment="没人理", contact="13800001111")
    case_id = bad["case"]["id"]
    client.post(f"/api/v1/admin/cases/{case_id}/events", json={"action": "contact", "note": "已致电"},
                headers=world.a_headers)
    mine = client.get(MINE).json["items"][0]
    assert mine["case_status"] == "contacted" and mine["answer"] is None and mine["can_follow_up"] is False
    assert_error(follow_up(client, bad["id"]), 409)

    answer(client, world, case_id, "已增派人员，高峰期不再无人值守。")
    mine = client.get(MINE).json["items"][0]
    assert mine["case_status"] == "resolved" and mine["case_status_label"] == "已答复"
    assert mine["answer"] == "已增派人员，高峰期不再无人值守。" and mine["answered_at"]
    assert mine["can_follow_up"] is True

    cases_before = db.session.scalar(select(func.count()).select_from(Case))
    response = follow_up(client, bad["id"], 2, comment="还是没人")
    assert response.status_code == 201, response.json
    body = response.json
    assert body["id"] == bad["id"] and body["can_follow_up"] is False
    assert body["follow_up"]["score"] == 2 and body["follow_up"]["score_label"] == "不满意"
    assert body["follow_up"]["comment"] == "还是没人"
    # A bad follow-up opens no new case.
    assert db.session.scalar(select(func.count()).select_from(Case)) == cases_before
    row = db.session.get(Rating, body["follow_up"]["id"])
    assert row.follow_up_of_id == bad["id"] and row.target_key == f"followup:{bad['id']}"
    assert row.window_id == world.a.window.id and row.unit_id == world.a.unit.id

    before = db_snapshot()
    error = assert_error(follow_up(client, bad["id"], 5), 409)
    assert error["code"] == "already_followed_up"
    assert db_snapshot() == before
    # The list still shows one entry per rating, the follow-up inside it.
    items = client.get(MINE).json["items"]
    assert len(items) == 1 and items[0]["follow_up"]["id"] == row.id
    # The unit sees it on the case, and in its history.
    case = client.get(f"/api/v1/admin/cases/{case_id}", headers=world.a_headers).json
    assert case["rating"]["follow_up"]["comment"] == "还是没人"
    assert case["history"][-1]["action"] == "case.follow_up" and case["history"][-1]["note"] == "还是没人"
    assert case["history"][-1]["actor"]["type"] == "citizen"


def test_a_reopened_case_hides_the_old_answer_until_answered_again(client, world, codes):
    bad = rate(client, codes["window"], 2, world.citizen_headers)
    answer(client, world, bad["case"]["id"], "第一次答复")
    client.post(f"/api/v1/admin/cases/{bad['case']['id']}/events", json={"action": "reopen", "note": "复查"},
                headers=world.a_headers)
    mine = client.get(MINE, headers=world.citizen_headers).json["items"][0]
    assert mine["case_status"] == "open" and mine["answer"] is None and mine["can_follow_up"] is False
    assert_error(follow_up(client, bad["id"], 3, world.citizen_headers), 409)


def test_a_follow_up_does_not_take_the_one_a_day_slot(client, world, codes):
    """The original was yesterday; today's follow-up leaves today's rating of the window free."""
    bad = rate(client, codes["window"], 1, world.citizen_headers)
    original = db.session.get(Rating, bad["id"])
    original.rated_on -= dt.timedelta(days=1)
    db.session.commit()
    answer(client, world, bad["case"]["id"])
    assert follow_up(client, bad["id"], 3, world.citizen_headers).status_code == 201
    again = rate(client, codes["window"], 4, world.citizen_headers)
    assert again["case"] is None
    assert assert_error(client.post("/api/v1/ratings", json={"token": codes["window"], "score": 5},
                                    headers=world.citizen_headers), 409)["code"] == "already_rated"


def test_who_may_follow_up(app, client, world, codes):
    bad = rate(client, codes["window"], 1, world.citizen_headers)
    answer(client, world, bad["case"]["id"])
    device = rate(app.test_client(), codes["badge"], 5)
    own_device = app.test_client()
    good = rate(own_device, codes["b_window"], 5)
    before = db_snapshot()
    missing = assert_error(follow_up(client, 99999, 3, world.citizen_headers), 404)
    # Another WeChat user, a device, and nobody: as if the rating did not exist.
    for headers, phone in ((world.member_headers, client), ({}, app.test_client()), ({}, client)):
        assert assert_error(follow_up(phone, bad["id"], 3, headers), 404) == missing
    # Staff: refused as staff.
    assert assert_error(follow_up(client, bad["id"], 3, world.a_headers), 403)["code"] == "staff_cannot_rate"
    # A good rating has no answer to follow.
    assert assert_error(follow_up(own_device, good["id"], 3), 409)["code"] == "follow_up_not_allowed"
    assert db_snapshot() == before
    assert device["case"] is None
    # The rater may; but not follow up the follow-up.
    body = follow_up(client, bad["id"], 3, world.citizen_headers).json
    assert_error(follow_up(client, body["follow_up"]["id"], 3, world.citizen_headers), 404)


def test_a_device_rater_follows_up_with_its_cookie(app, world, codes):
    phone = app.test_client()
    bad = rate(phone, codes["badge"], 2)
    answer(phone, world, bad["case"]["id"])
    response = follow_up(phone, bad["id"], 4, comment="处理得很及时")
    assert response.status_code == 201 and response.json["follow_up"]["score"] == 4
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "case.follow_up"))
    assert (entry.actor_type, entry.after["score"]) == ("citizen", 4)


@pytest.mark.parametrize("body,field", [({}, "score"), ({"score": 0}, "score"), ({"score": 6}, "score"),
                                        ({"score": "4"}, "score"), ({"score": 4, "comment": "字" * 501}, "comment"),
                                        ({"score": 4, "comment": "a\x00"}, "comment"),
                                        ({"score": 4, "tags": ["热情"]}, "tags")])
def test_bad_follow_up_bodies_are_422(client, world, codes, body, field):
    bad = rate(client, codes["window"], 1, world.citizen_headers)
    answer(client, world, bad["case"]["id"])
    before = db_snapshot()
    assert_error(client.post(f"/api/v1/ratings/{bad['id']}/follow-up", json=body, headers=world.citizen_headers),
                 422, field)
    assert db_snapshot() == before


class TestConcurrentFollowUps:
    """Ten parallel follow-ups by the rater against a real threaded server: the unique key lets one land."""

    @pytest.fixture
    def app(self, live_app):
        return live_app

    def test_ten_parallel_follow_ups_give_one_201(self, live_server, world, codes):
        headers = bearer("wechat", world.citizen)
        first = requests.post(f"{live_server}/api/v1/ratings", json={"token": codes["window"], "score": 1},
                              headers=headers, timeout=30).json()
        resolved = requests.post(f"{live_server}/api/v1/admin/cases/{first['case']['id']}/events",
                                 json={"action": "resolve", "note": "已整改"}, headers=world.a_headers, timeout=30)
        assert resolved.status_code == 200

        def submit(_):
            return requests.post(f"{live_server}/api/v1/ratings/{first['id']}/follow-up", json={"score": 3},
                                 headers=headers, timeout=30)

        with ThreadPoolExecutor(max_workers=10) as pool:
            statuses = sorted(r.status_code for r in pool.map(submit, range(10)))
        assert statuses == [201] + [409] * 9
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Rating)
                                 .where(Rating.follow_up_of_id == first["id"])) == 1
