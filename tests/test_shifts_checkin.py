"""Check-in, check-out, offline actions, forgotten check-outs, claims (补录) and the member's own
shifts and hours (server/shifts/services.py has the rules these tests hold it to).

The geofence is tested at its edge with the real coordinates of the 沪杭高速嘉兴服务区 post
(server/demo.py), and the one-open-shift and one-shift-per-client_id rules with 20 parallel
requests against a real threaded server, on SQLite and on PostgreSQL.
"""
import datetime as dt
import json
import math
import uuid
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import func, select

from conftest import assert_error, bearer, db_snapshot
from server.demo import POSTS
from server.extensions import db
from server.models import AuditEntry, Post, QrCode, Shift, Unit, WechatUser, utcnow
from server.qr import live
from server.shifts import services as shift_services
from server.qr.services import issue_code, revoke_code
from server.shifts import geo, services
from server.shifts.review import record_decision
from test_bad_input import BAD_PATH_IDS, COMMON, KINDS, NON_FINITE, NOT_JSON, REQUIRED_STRING_BAD, Cases

CHECK_IN = "/api/v1/shifts/check-in"
CLAIMS = "/api/v1/shifts/claims"
SHANGHAI = ZoneInfo("Asia/Shanghai")
SERVICE_AREA = "沪杭高速嘉兴服务区"
# The fixture posts of tests/conftest.py stand here, with a 200-m fence.
HERE = (30.75, 120.75)


def check_out_url(shift_id):
    return f"/api/v1/shifts/{shift_id}/check-out"


def local_iso(moment):
    return moment.astimezone(SHANGHAI).isoformat()


def destination(lat, lng, bearing_deg, distance_m):
    """The point ``distance_m`` from (lat, lng) along ``bearing_deg`` on the sphere (the
    destination-point formula, the inverse of the haversine distance)."""
    delta = distance_m / geo.EARTH_RADIUS_M
    theta, phi1, lambda1 = math.radians(bearing_deg), math.radians(lat), math.radians(lng)
    phi2 = math.asin(math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta))
    lambda2 = lambda1 + math.atan2(math.sin(theta) * math.sin(delta) * math.cos(phi1),
                                   math.cos(delta) - math.sin(phi1) * math.sin(phi2))
    return math.degrees(phi2), math.degrees(lambda2)


def check_in(client, headers, token, where=HERE, accuracy=0, client_id=None, **extra):
    body = {"token": token, "client_id": client_id or uuid.uuid4().hex}
    if where is not None:
        body.update(lat=where[0], lng=where[1], accuracy_m=accuracy)
    return client.post(CHECK_IN, json={**body, **extra}, headers=headers)


def check_out(client, headers, shift_id, where=HERE, accuracy=10, **extra):
    body = {"lat": where[0], "lng": where[1], "accuracy_m": accuracy} if where is not None else {}
    return client.post(check_out_url(shift_id), json={**body, **extra}, headers=headers)


def shift_count():
    return db.session.scalar(select(func.count()).select_from(Shift))


def move_start(shift_id, **back):
    """Pretend a shift started earlier than it did (``back``: timedelta arguments)."""
    shift = db.session.get(Shift, shift_id)
    shift.started_at -= dt.timedelta(**back)
    db.session.commit()
    return shift


@pytest.fixture
def codes(world):
    """Printed codes of unit A's and unit B's posts, and unit A's badge and window."""
    a, b = world.a, world.b
    issued = {"a": issue_code("post", a.post), "b": issue_code("post", b.post),
              "badge": issue_code("badge", a.member), "window": issue_code("window", a.window)}
    db.session.commit()
    return SimpleNamespace(**{key: code.token for key, code in issued.items()})


@pytest.fixture
def service_area(world):
    """The 沪杭高速嘉兴服务区 volunteer desk exactly as the demo data places it, with its printed code."""
    spec = next(spec for unit_name, spec in POSTS if unit_name == SERVICE_AREA)
    unit = Unit(name=SERVICE_AREA, type="service_area", is_red_station=True)
    db.session.add(unit)
    db.session.flush()
    post = Post(unit_id=unit.id, **spec)
    db.session.add(post)
    db.session.flush()
    token = issue_code("post", post).token
    db.session.commit()
    return SimpleNamespace(unit=unit, post=post, token=token)


# --- the geofence, at its edge ---

def test_service_area_post_has_its_real_coordinates(service_area):
    post = service_area.post
    assert (post.lat, post.lng, post.radius_m) == (30.7768, 120.8452, 300)


def test_haversine_agrees_with_a_meridian_arc():
    # 0.001° of latitude is R·π/180000 m along a meridian, wherever it is.
    expected = geo.EARTH_RADIUS_M * math.pi / 180_000
    assert geo.distance_m(30.7768, 120.8452, 30.7778, 120.8452) == pytest.approx(expected, abs=1e-6)
    assert geo.distance_m(30.7768, 120.8452, 30.7768, 120.8452) == 0


@pytest.mark.parametrize("bearing", [0, 90, 180, 270, 37.5])
def test_inside_the_fence_by_one_metre_checks_in(client, world, service_area, bearing):
    post = service_area.post
    point = destination(post.lat, post.lng, bearing, post.radius_m - 1)
    response = check_in(client, world.member_headers, service_area.token, point, accuracy=0)
    assert response.status_code == 201, response.json
    shift = response.json
    assert shift["status"] == "open" and shift["source"] == "scan" and shift["offline"] is False
    assert shift["check_in_distance_m"] == 299
    assert shift["post"] == {"id": post.id, "name": "服务区志愿服务台"}
    assert shift["unit"] == {"id": service_area.unit.id, "name": SERVICE_AREA}


@pytest.mark.parametrize("bearing", [0, 90, 180, 270, 37.5])
def test_outside_the_fence_by_one_metre_is_out_of_range(client, world, service_area, bearing):
    post = service_area.post
    point = destination(post.lat, post.lng, bearing, post.radius_m + 1)
    before = db_snapshot()
    error = assert_error(check_in(client, world.member_headers, service_area.token, point, accuracy=0), 422)
    assert error["code"] == "out_of_range"
    assert error["distance_m"] == 301 and isinstance(error["distance_m"], int)
    assert error["radius_m"] == 300 and "301" in error["message"]
    assert db_snapshot() == before


@pytest.mark.parametrize("beyond, accuracy, inside", [
    (40, 50, True),     # 40 m out, ±50 m: may well be inside
    (40, 30, False),    # ±30 m does not reach back
    (49, 200, True),    # a vaguer fix counts for at most 50 m …
    (51, 200, False),   # … so it cannot stretch the fence further
    (51, 500, False),
    (0, 500, True),     # 500 m is the vaguest fix accepted
])
def test_accuracy_counts_for_at_most_fifty_metres(client, world, service_area, beyond, accuracy, inside):
    post = service_area.post
    point = destination(post.lat, post.lng, 45, post.radius_m + beyond)
    response = check_in(client, world.member_headers, service_area.token, point, accuracy=accuracy)
    if inside:
        assert response.status_code == 201, response.json
    else:
        error = assert_error(response, 422)
        assert error["code"] == "out_of_range" and error["distance_m"] == 300 + beyond


def test_a_fix_vaguer_than_500_m_is_refused(client, world, service_area):
    post = service_area.post
    error = assert_error(check_in(client, world.member_headers, service_area.token, (post.lat, post.lng),
                                  accuracy=500.5), 422, "accuracy_m")
    assert error["code"] == "location_inaccurate"
    assert shift_count() == 0


def test_printed_code_needs_a_location(client, world, codes):
    error = assert_error(check_in(client, world.member_headers, codes.a, where=None), 422, "lat", "lng", "accuracy_m")
    assert error["code"] == "location_required"
    error = assert_error(check_in(client, world.member_headers, codes.a, where=None, lat=30.75, lng=120.75),
                         422, "accuracy_m")
    assert error["code"] == "location_required"
    assert_error(check_in(client, world.member_headers, codes.a, where=None, lat=30.75, accuracy_m=5), 422, "lng")
    assert shift_count() == 0


# --- the live code ---

def test_live_code_checks_in_without_a_location(client, world):
    code, _ = live.live_code(world.a.post)
    response = check_in(client, world.member_headers, code, where=None)
    assert response.status_code == 201, response.json
    assert response.json["source"] == "live" and response.json["check_in_distance_m"] is None
    assert response.json["review_flags"] == []


def test_live_code_records_a_location_sent_and_flags_one_outside(client, world):
    code, _ = live.live_code(world.a.post)
    far = destination(*HERE, 0, 5_000)
    response = check_in(client, world.member_headers, code, where=far, accuracy=20)
    assert response.status_code == 201, response.json
    assert response.json["check_in_distance_m"] == 5000
    assert response.json["review_flags"] == ["out_of_range_in"]
    shift = db.session.get(Shift, response.json["id"])
    assert (shift.check_in_lat, shift.check_in_lng, shift.check_in_accuracy_m) == (far[0], far[1], 20)


def test_old_live_code_is_gone_and_a_forged_one_unknown(client, world):
    old, _ = live.live_code(world.a.post, now=utcnow().timestamp() - 90)
    assert assert_error(check_in(client, world.member_headers, old, where=None), 410)["code"] == "code_expired"
    current, _ = live.live_code(world.a.post)
    forged = current[:-3] + ("aaa" if not current.endswith("aaa") else "bbb")
    assert assert_error(check_in(client, world.member_headers, forged, where=None), 404)["code"] == "code_unknown"
    assert shift_count() == 0


def test_codes_that_are_not_a_posts(client, world, codes):
    for token in (codes.badge, codes.window):
        assert assert_error(check_in(client, world.member_headers, token), 422)["code"] == "not_a_post_code"
    assert assert_error(check_in(client, world.member_headers, "no-such-code"), 404)["code"] == "code_unknown"
    revoke_code(db.session.scalar(select(QrCode).where(QrCode.token == codes.a)))
    db.session.commit()
    assert assert_error(check_in(client, world.member_headers, codes.a), 410)["code"] == "code_revoked"
    assert shift_count() == 0


# --- who may ---

def test_only_bound_members_use_shifts(client, world, codes):
    requests_ = [
        lambda h: check_in(client, h, codes.a),
        lambda h: check_out(client, h, 1),
        lambda h: client.post(CLAIMS, json={"post_id": world.a.post.id, "started_at": local_iso(utcnow() - dt.timedelta(hours=3)),
                                            "ended_at": local_iso(utcnow() - dt.timedelta(hours=2)), "reason": "忘记签到"},
                              headers=h),
        lambda h: client.get("/api/v1/me/shifts", headers=h),
        lambda h: client.get("/api/v1/me/hours", headers=h),
    ]
    for send in requests_:
        assert assert_error(send(world.citizen_headers), 403)["code"] == "not_a_member"
        assert assert_error(send(world.a_headers), 403)["code"] == "forbidden"
        assert assert_error(send({}), 401)["code"] == "unauthorized"
    assert shift_count() == 0


# --- idempotent retries and one open shift ---

def test_same_client_id_returns_the_same_shift(client, world, codes):
    first = check_in(client, world.member_headers, codes.a, client_id="retry-1")
    assert first.status_code == 201
    again = check_in(client, world.member_headers, codes.a, client_id="retry-1")
    assert again.status_code == 200 and again.json == first.json
    # Even a retry that arrives after the check-out, or names another post, is the same check-in.
    assert check_out(client, world.member_headers, first.json["id"]).status_code == 200
    late = check_in(client, world.member_headers, codes.b, client_id="retry-1")
    assert late.status_code == 200 and late.json["id"] == first.json["id"] and late.json["status"] == "pending"
    assert shift_count() == 1


def test_a_retry_whose_live_code_expired_since_still_gets_its_shift(client, world, monkeypatch):
    """The answer to a check-in by a post's screen code was lost; by the retry the code has expired.
    The code is read before the member's lock, but what it says against the check-in counts only
    after the retry check: the retry gets its shift, a new check-in with that code is refused."""
    scanned_at = utcnow().timestamp()
    code, _ = live.live_code(world.a.post, now=scanned_at)
    first = check_in(client, world.member_headers, code, where=None, client_id="lost-answer")
    assert first.status_code == 201, first.json
    later = utcnow() + dt.timedelta(minutes=10)
    monkeypatch.setattr(shift_services, "utcnow", lambda: later)
    again = check_in(client, world.member_headers, code, where=None, client_id="lost-answer")
    assert again.status_code == 200 and again.json["id"] == first.json["id"], again.json
    other = check_in(client, world.member_headers, code, where=None, client_id="a-new-one")
    assert assert_error(other, 410)["code"] == "code_expired"
    assert shift_count() == 1


def test_a_second_check_in_names_the_open_shift(client, world, codes):
    first = check_in(client, world.member_headers, codes.a).json
    error = assert_error(check_in(client, world.member_headers, codes.b), 409)
    assert error["code"] == "shift_open"
    assert error["open_shift"]["id"] == first["id"]
    assert error["open_shift"]["post"] == {"id": world.a.post.id, "name": "甲站志愿岗"}
    assert error["open_shift"]["started_at"] == first["started_at"]
    assert "甲站志愿岗" in error["message"] and "签退" in error["message"]
    assert shift_count() == 1


def test_check_in_at_another_units_post_belongs_to_that_unit(client, world, codes):
    response = check_in(client, world.member_headers, codes.b)
    assert response.status_code == 201
    assert response.json["unit"] == {"id": world.b.unit.id, "name": "乙站"}
    assert db.session.get(Shift, response.json["id"]).unit_id == world.b.unit.id


def test_when_the_database_refuses_a_racing_insert(client, world, codes, monkeypatch):
    """The checks before the insert may lose a race; the unique keys then decide, and the answer
    is the same as if the request had come second."""
    first = check_in(client, world.member_headers, codes.a, client_id="c-1").json
    real_refuse = services.refuse_if_open
    skipped = []
    monkeypatch.setattr(services, "refuse_if_open",
                        lambda member_id: skipped.append(1) if not skipped else real_refuse(member_id))
    error = assert_error(check_in(client, world.member_headers, codes.b, client_id="c-2"), 409)
    assert error["code"] == "shift_open" and error["open_shift"]["id"] == first["id"]
    monkeypatch.undo()

    assert check_out(client, world.member_headers, first["id"]).status_code == 200
    # The retry's lookup misses its earlier shift (as if both were in flight): the unique key on
    # (member, client_id) refuses the insert, and the answer is the earlier shift.
    real_state = services.check_in_state
    missed = []

    def first_lookup_misses(member_id, client_id, now):
        earlier_id, seen_open, stale = real_state(member_id, client_id, now)
        if not missed:
            missed.append(earlier_id)
            return None, seen_open, stale
        return earlier_id, seen_open, stale

    monkeypatch.setattr(services, "check_in_state", first_lookup_misses)
    again = check_in(client, world.member_headers, codes.a, client_id="c-1")
    assert missed == [first["id"]]
    assert again.status_code == 200 and again.json["id"] == first["id"]
    assert shift_count() == 1


# --- check-out ---

def test_check_out_counts_whole_minutes(client, world, codes):
    shift_id = check_in(client, world.member_headers, codes.a).json["id"]
    move_start(shift_id, minutes=95, seconds=59)
    response = check_out(client, world.member_headers, shift_id)
    assert response.status_code == 200, response.json
    shift = response.json
    assert shift["minutes"] == 95 and shift["status"] == "pending" and shift["review_flags"] == []
    assert shift["check_out_distance_m"] == 0 and shift["credited_minutes"] is None
    assert shift["ended_at"] is not None
    hours = client.get("/api/v1/me/hours", headers=world.member_headers).json
    assert hours == {"approved_minutes": 0, "pending_minutes": 95, "star_level": 0, "next_level_at_minutes": 6000}


def test_check_out_outside_the_fence_is_recorded_and_flagged(client, world, codes):
    shift_id = check_in(client, world.member_headers, codes.a).json["id"]
    away = destination(*HERE, 90, 1_000)
    response = check_out(client, world.member_headers, shift_id, where=away, accuracy=15)
    assert response.status_code == 200
    assert response.json["status"] == "pending" and response.json["review_flags"] == ["out_of_range_out"]
    assert response.json["check_out_distance_m"] == 1000
    assert response.json["review_flag_labels"] == ["签退位置不在岗位范围内"]
    shift = db.session.get(Shift, shift_id)
    assert (shift.check_out_lat, shift.check_out_lng, shift.check_out_accuracy_m) == (away[0], away[1], 15)


def test_check_out_without_a_location_is_flagged(client, world, codes):
    shift_id = check_in(client, world.member_headers, codes.a).json["id"]
    response = client.post(check_out_url(shift_id), headers=world.member_headers)  # no body at all
    assert response.status_code == 200, response.json
    assert response.json["review_flags"] == ["no_location_out"] and response.json["status"] == "pending"


def test_check_out_after_the_posts_limit_needs_review_without_minutes(client, world, codes):
    shift_id = check_in(client, world.member_headers, codes.a).json["id"]
    move_start(shift_id, minutes=world.a.post.max_open_minutes + 5)
    response = check_out(client, world.member_headers, shift_id)
    assert response.status_code == 200
    assert response.json["status"] == "needs_review" and response.json["minutes"] is None
    assert response.json["review_flags"] == ["open_too_long"]


def test_auto_approval_takes_only_clean_check_outs(client, world, codes):
    world.a.unit.auto_approve_shifts = True
    db.session.commit()
    clean = check_in(client, world.member_headers, codes.a).json["id"]
    move_start(clean, minutes=60)
    response = check_out(client, world.member_headers, clean)
    assert response.json["status"] == "approved" and response.json["credited_minutes"] == 60
    flagged = check_in(client, world.member_headers, codes.a).json["id"]
    response = check_out(client, world.member_headers, flagged, where=destination(*HERE, 0, 800))
    assert response.json["status"] == "pending" and response.json["credited_minutes"] is None


def test_only_ones_own_open_shift_can_be_checked_out(client, world, codes):
    shift_id = check_in(client, world.member_headers, codes.a).json["id"]
    other_user = world.b.member
    user = WechatUser(openid="openid-member-b")
    db.session.add(user)
    db.session.flush()
    other_user.wechat_user_id = user.id
    db.session.commit()
    other = bearer("wechat", user)
    before = db_snapshot()
    assert assert_error(check_out(client, other, shift_id), 404)["code"] == "shift_not_found"
    for bad in (999_999, 2**31, 2**40):
        assert assert_error(check_out(client, world.member_headers, bad), 404)["code"] == "shift_not_found"
    assert db_snapshot() == before
    assert check_out(client, world.member_headers, shift_id).status_code == 200
    error = assert_error(check_out(client, world.member_headers, shift_id), 409)
    assert error["code"] == "shift_not_open" and error["shift"] == {"id": shift_id, "status": "pending"}


# --- offline ---

def test_offline_check_in_and_out_are_accepted_within_a_day_and_flagged(client, world, codes):
    world.a.unit.auto_approve_shifts = True
    db.session.commit()
    began = utcnow() - dt.timedelta(hours=3)
    response = check_in(client, world.member_headers, codes.a, occurred_at=local_iso(began))
    assert response.status_code == 201, response.json
    shift = response.json
    assert shift["offline"] is True and shift["review_flags"] == ["offline"]
    assert dt.datetime.fromisoformat(shift["started_at"]) == began
    ended = began + dt.timedelta(minutes=100, seconds=30)
    response = check_out(client, world.member_headers, shift["id"], occurred_at=local_iso(ended))
    assert response.status_code == 200
    assert response.json["minutes"] == 100 and response.json["status"] == "pending"  # never auto-approved
    assert response.json["review_flags"] == ["offline"]


def test_an_online_check_in_checked_out_offline_becomes_offline(client, world, codes):
    shift_id = check_in(client, world.member_headers, codes.a).json["id"]
    move_start(shift_id, hours=2)
    response = check_out(client, world.member_headers, shift_id, occurred_at=local_iso(utcnow() - dt.timedelta(hours=1)))
    assert response.json["offline"] is True and response.json["minutes"] == 60
    error = assert_error(check_out(client, world.member_headers, shift_id), 409)
    assert error["code"] == "shift_not_open"


def test_offline_check_out_cannot_precede_the_check_in(client, world, codes):
    shift_id = check_in(client, world.member_headers, codes.a).json["id"]
    move_start(shift_id, hours=1)
    error = assert_error(check_out(client, world.member_headers, shift_id,
                                   occurred_at=local_iso(utcnow() - dt.timedelta(hours=2))), 422, "occurred_at")
    assert error["code"] == "check_out_before_check_in"


def test_offline_too_late_or_in_the_future_is_refused(client, world, codes):
    too_late = check_in(client, world.member_headers, codes.a, occurred_at=local_iso(utcnow() - dt.timedelta(hours=24, minutes=1)))
    assert assert_error(too_late, 422, "occurred_at")["code"] == "too_late"
    future = check_in(client, world.member_headers, codes.a, occurred_at=local_iso(utcnow() + dt.timedelta(minutes=3)))
    assert assert_error(future, 422, "occurred_at")["code"] == "occurred_in_future"
    assert shift_count() == 0


def test_a_phone_clock_slightly_off_is_an_ordinary_check_in(client, world, codes):
    response = check_in(client, world.member_headers, codes.a, occurred_at=local_iso(utcnow() + dt.timedelta(seconds=60)))
    assert response.status_code == 201 and response.json["offline"] is False and response.json["review_flags"] == []
    started = dt.datetime.fromisoformat(response.json["started_at"])
    assert abs(started - utcnow()) < dt.timedelta(seconds=10)


def test_offline_live_code_is_judged_when_it_was_scanned(client, world):
    scanned = utcnow() - dt.timedelta(hours=3)
    code, _ = live.live_code(world.a.post, now=scanned.timestamp())
    assert assert_error(check_in(client, world.member_headers, code, where=None), 410)["code"] == "code_expired"
    response = check_in(client, world.member_headers, code, where=None, occurred_at=local_iso(scanned))
    assert response.status_code == 201, response.json
    assert response.json["source"] == "live" and response.json["offline"] is True


def test_offline_check_in_may_not_overlap_another_shift(client, world, codes):
    now = utcnow()
    claimed = client.post(CLAIMS, json={"post_id": world.a.post.id, "started_at": local_iso(now - dt.timedelta(hours=2)),
                                        "ended_at": local_iso(now - dt.timedelta(hours=1)), "reason": "忘记签到"},
                          headers=world.member_headers).json
    error = assert_error(check_in(client, world.member_headers, codes.a,
                                  occurred_at=local_iso(now - dt.timedelta(minutes=90))), 409)
    assert error["code"] == "shift_overlap" and error["overlapping_shift"]["id"] == claimed["id"]
    response = check_in(client, world.member_headers, codes.a, occurred_at=local_iso(now - dt.timedelta(minutes=50)))
    assert response.status_code == 201


# --- forgotten check-outs ---

def open_shift_directly(member, post, started_ago, **fields):
    shift = Shift(member_id=member.id, post_id=post.id, unit_id=post.unit_id, status="open", source="scan",
                  started_at=utcnow() - started_ago, **fields)
    db.session.add(shift)
    db.session.commit()
    return shift


def test_close_stale_shifts_command(app, world):
    limit = world.a.post.max_open_minutes
    stale = open_shift_directly(world.a.member, world.a.post, dt.timedelta(minutes=limit + 30),
                                offline=True, review_flags=["offline"])
    fresh = open_shift_directly(world.b.member, world.b.post, dt.timedelta(minutes=limit - 30))
    stale_id, fresh_id, started = stale.id, fresh.id, stale.started_at
    result = app.test_cli_runner().invoke(args=["close-stale-shifts"])
    assert result.exit_code == 0, result.output
    assert "Closed 1 shift" in result.output
    db.session.rollback()
    db.session.expire_all()
    stale, fresh = db.session.get(Shift, stale_id), db.session.get(Shift, fresh_id)
    assert stale.status == "needs_review" and stale.minutes is None
    assert stale.ended_at == started + dt.timedelta(minutes=limit)
    assert stale.review_flags == ["offline", "open_too_long"]
    assert fresh.status == "open"
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "shift.close_stale")).all()
    assert [(e.entity_id, e.unit_id, e.actor_type) for e in entries] == [(stale_id, world.a.unit.id, "system")]
    assert entries[0].before == {"status": "open"} and entries[0].after["status"] == "needs_review"
    again = app.test_cli_runner().invoke(args=["close-stale-shifts"])
    assert "Closed 0 shift" in again.output
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "shift.close_stale")) == 1


@pytest.mark.parametrize("read", ["/api/v1/me/shifts", "/api/v1/me/hours"])
def test_reading_ones_shifts_closes_a_forgotten_check_out(client, world, read):
    limit = world.a.post.max_open_minutes
    stale = open_shift_directly(world.a.member, world.a.post, dt.timedelta(minutes=limit + 1))
    stale_id = stale.id
    assert client.get(read, headers=world.member_headers).status_code == 200
    db.session.expire_all()
    stale = db.session.get(Shift, stale_id)
    assert stale.status == "needs_review" and stale.minutes is None and stale.review_flags == ["open_too_long"]
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "shift.close_stale", AuditEntry.entity_id == stale_id)) == 1
    item = client.get("/api/v1/me/shifts", headers=world.member_headers).json["items"][0]
    assert item["status"] == "needs_review" and item["review_flag_labels"] == ["超过岗位最长在岗时长未签退"]


def test_checking_in_closes_a_forgotten_check_out_first(client, world, codes):
    limit = world.a.post.max_open_minutes
    stale = open_shift_directly(world.a.member, world.a.post, dt.timedelta(minutes=limit + 1))
    stale_id = stale.id
    response = check_in(client, world.member_headers, codes.b)
    assert response.status_code == 201, response.json
    db.session.expire_all()
    assert db.session.get(Shift, stale_id).status == "needs_review"


# --- claims (补录) ---

def claim(client, world, started_ago, ended_ago, reason="忘记扫码签到，站长可作证", post_id=None, **extra):
    now = utcnow()
    body = {"post_id": post_id or world.a.post.id, "started_at": local_iso(now - started_ago),
            "ended_at": local_iso(now - ended_ago), "reason": reason, **extra}
    return client.post(CLAIMS, json=body, headers=world.member_headers)


def hours(n):
    return dt.timedelta(hours=n)


def test_a_claim_is_pending_and_never_auto_approved(client, world):
    world.a.unit.auto_approve_shifts = True
    db.session.commit()
    response = claim(client, world, hours(5), hours(2) + dt.timedelta(seconds=30))
    assert response.status_code == 201, response.json
    shift = response.json
    assert shift["status"] == "pending" and shift["source"] == "claim" and shift["review_flags"] == ["claim"]
    assert shift["minutes"] == 179 and shift["claim_reason"] == "忘记扫码签到，站长可作证"
    assert shift["offline"] is False and shift["credited_minutes"] is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "shift.claim"))
    assert entry.entity_id == shift["id"] and entry.actor_type == "member" and entry.reason == shift["claim_reason"]


def test_a_claim_at_another_units_post_is_reviewed_by_that_unit(client, world):
    response = claim(client, world, hours(3), hours(2), post_id=world.b.post.id)
    assert response.status_code == 201
    assert response.json["unit"]["id"] == world.b.unit.id


@pytest.mark.parametrize("started_ago, ended_ago, field, code", [
    (hours(2), hours(2), "ended_at", "claim_reversed"),
    (hours(2), hours(3), "ended_at", "claim_reversed"),
    (hours(13), hours(0.9), "ended_at", "claim_too_long"),
    (hours(1), -dt.timedelta(minutes=10), "ended_at", "claim_in_future"),
    (dt.timedelta(days=30, hours=1), dt.timedelta(days=30), "started_at", "claim_too_old"),
])
def test_claim_rules(client, world, started_ago, ended_ago, field, code):
    before = db_snapshot()
    assert assert_error(claim(client, world, started_ago, ended_ago), 422, field)["code"] == code
    assert db_snapshot() == before


def test_claim_limits_are_inclusive(client, world):
    assert claim(client, world, hours(12.5), hours(0.5)).status_code == 201
    assert claim(client, world, dt.timedelta(days=29, hours=23), dt.timedelta(days=29, hours=22)).status_code == 201


def test_claim_needs_a_reason_and_a_real_post(client, world):
    assert_error(claim(client, world, hours(3), hours(2), reason="   "), 422, "reason")
    assert_error(claim(client, world, hours(3), hours(2), reason="理" * 501), 422, "reason")
    body = {"post_id": world.a.post.id, "started_at": local_iso(utcnow() - hours(3)),
            "ended_at": local_iso(utcnow() - hours(2))}
    assert_error(client.post(CLAIMS, json=body, headers=world.member_headers), 422, "reason")
    assert_error(claim(client, world, hours(3), hours(2), post_id=999_999), 422, "post_id")
    assert claim(client, world, hours(3), hours(2), reason="理" * 500).status_code == 201


def test_a_claim_may_not_overlap_but_may_replace_a_rejected_shift(client, world, codes):
    first = claim(client, world, hours(5), hours(3)).json
    error = assert_error(claim(client, world, hours(4), hours(2)), 409)
    assert error["code"] == "shift_overlap" and error["overlapping_shift"]["id"] == first["id"]
    assert claim(client, world, hours(3), hours(2)).status_code == 201  # touching is not overlapping
    # An open shift overlaps everything after its start.
    open_id = check_in(client, world.member_headers, codes.a).json["id"]
    move_start(open_id, hours=1)
    assert assert_error(claim(client, world, hours(1.5), hours(0.5)), 409)["code"] == "shift_overlap"
    # A rejected shift no longer stands in the way.
    record_decision(db.session.get(Shift, first["id"]), "reject", None, reason="无人作证", reviewer=world.a.admin)
    db.session.commit()
    assert claim(client, world, hours(5), hours(4)).status_code == 201


# --- the member's own shifts and hours ---

def test_my_shifts_newest_first_paged_and_only_mine(client, world, codes):
    older = claim(client, world, hours(30), hours(29)).json
    newer = claim(client, world, hours(5), hours(4)).json
    newest = check_in(client, world.member_headers, codes.a).json
    open_shift_directly(world.b.member, world.b.post, dt.timedelta(hours=1))  # someone else's
    page = client.get("/api/v1/me/shifts", headers=world.member_headers).json
    assert page["total"] == 3 and page["page"] == 1 and page["page_size"] == 20
    assert [item["id"] for item in page["items"]] == [newest["id"], newer["id"], older["id"]]
    page = client.get("/api/v1/me/shifts?page=2&page_size=2", headers=world.member_headers).json
    assert [item["id"] for item in page["items"]] == [older["id"]]
    page = client.get("/api/v1/me/shifts?status=open", headers=world.member_headers).json
    assert [item["id"] for item in page["items"]] == [newest["id"]]
    assert_error(client.get("/api/v1/me/shifts?status=castle", headers=world.member_headers), 422, "status")
    assert_error(client.get("/api/v1/me/shifts?page_size=101", headers=world.member_headers), 422, "page_size")


def test_my_shifts_show_the_review_and_my_hours_count_approved_minutes(client, world):
    approved = claim(client, world, hours(5), hours(3)).json
    rejected = claim(client, world, hours(10), hours(9)).json
    record_decision(db.session.get(Shift, approved["id"]), "adjust", 100, reason="扣除午休", reviewer=world.a.admin)
    record_decision(db.session.get(Shift, rejected["id"]), "reject", None, reason="当天岗位未开放", reviewer=world.a.admin)
    db.session.commit()
    items = {item["id"]: item for item in client.get("/api/v1/me/shifts", headers=world.member_headers).json["items"]}
    assert items[approved["id"]]["status"] == "approved" and items[approved["id"]]["credited_minutes"] == 100
    assert items[approved["id"]]["minutes"] == 120 and items[approved["id"]]["review_reason"] == "扣除午休"
    assert items[rejected["id"]]["status"] == "rejected" and items[rejected["id"]]["review_reason"] == "当天岗位未开放"
    assert items[rejected["id"]]["status_label"] == "已驳回"
    totals = client.get("/api/v1/me/hours", headers=world.member_headers).json
    assert totals == {"approved_minutes": 100, "pending_minutes": 0, "star_level": 0, "next_level_at_minutes": 6000}


def test_hours_reach_a_star(client, world):
    for day in range(1, 14):  # 13 claims of 8 h, approved: 104 h ≥ 100 h
        shift = claim(client, world, dt.timedelta(days=day, hours=9), dt.timedelta(days=day, hours=1)).json
        record_decision(db.session.get(Shift, shift["id"]), "approve", shift["minutes"], reviewer=world.a.admin)
        db.session.commit()
    totals = client.get("/api/v1/me/hours", headers=world.member_headers).json
    assert totals == {"approved_minutes": 13 * 480, "pending_minutes": 0, "star_level": 1,
                      "next_level_at_minutes": 300 * 60}


# --- bad input: wrong types, huge numbers, NaN, missing fields, non-JSON; never a 500, nothing written ---

DATETIME_BAD = [("naive", "2026-11-22T09:30:00"), ("date_only", "2026-11-22"), ("words", "yesterday"),
                ("int", 1_700_000_000), ("empty", ""), ("year_one_east", "0001-01-01T00:00:00+08:00"),
                ("year_max_west", "9999-12-31T23:59:59-08:00"), ("bad_offset", "2026-11-22T09:30:00+25:00"),
                ("huge_year", "99999-01-01T00:00:00+08:00")]
FIELD_KINDS = {**KINDS, "datetime": DATETIME_BAD}


def shift_endpoints(world):
    """(method, path, a body that passes validation, field → kind, required fields) per endpoint."""
    now = utcnow()
    location = {"lat": 30.75, "lng": 120.75, "accuracy_m": 10}
    location_kinds = {"lat": "float", "lng": "float", "accuracy_m": "float", "occurred_at": "datetime"}
    return {
        "check_in": ("POST", CHECK_IN, {"token": "no-such-code", "client_id": "c-1", **location},
                     {"token": "str", "client_id": "str", **location_kinds}, ("token", "client_id")),
        "check_out": ("POST", check_out_url(999_999), dict(location), location_kinds, ()),
        "claims": ("POST", CLAIMS, {"post_id": world.a.post.id, "started_at": local_iso(now - hours(3)),
                                    "ended_at": local_iso(now - hours(2)), "reason": "忘记签到"},
                   {"post_id": "id", "started_at": "datetime", "ended_at": "datetime", "reason": "str"},
                   ("post_id", "started_at", "ended_at", "reason")),
    }


ENDPOINT_NAMES = ["check_in", "check_out", "claims"]


def send(client, world, method, path, body=None, raw=None, content_type="application/json"):
    headers = dict(world.member_headers)
    if content_type:
        headers["Content-Type"] = content_type
    data = raw if raw is not None else json.dumps(body, ensure_ascii=False)
    return client.open(path, method=method, headers=headers, data=data)


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
def test_base_bodies_pass_validation(client, world, name):
    method, path, base, _, _ = shift_endpoints(world)[name]
    expected = {"check_in": 404, "check_out": 404, "claims": 201}[name]
    assert send(client, world, method, path, base).status_code == expected


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
def test_bad_field_values_are_422(client, world, name):
    method, path, base, kinds, required = shift_endpoints(world)[name]
    cases = Cases()
    for field_name, kind in kinds.items():
        bad = FIELD_KINDS[kind] + [value for value in COMMON if not (kind == "datetime" and value[0] == "huge_int")]
        if kind == "str" and field_name in required:
            bad += REQUIRED_STRING_BAD
        if field_name == "accuracy_m":
            bad += [("negative", -1)]
        for label, value in bad:
            body = {**base, field_name: value}
            cases.check(f"{field_name}={label}", lambda: send(client, world, method, path, body), {422}, field_name)
        for token in NON_FINITE:
            raw = json.dumps({**base, field_name: "__TOKEN__"}).replace('"__TOKEN__"', token)
            cases.check(f"{field_name}={token}", lambda: send(client, world, method, path, raw=raw), {400, 422},
                        field_name)
    for field_name in required:
        body = {k: v for k, v in base.items() if k != field_name}
        cases.check(f"missing {field_name}", lambda: send(client, world, method, path, body), {422}, field_name)
    for field_name in ("bogus", "id", "status", "minutes", "member_id"):
        cases.check(f"unknown {field_name}", lambda: send(client, world, method, path, {**base, field_name: 5}),
                    {422}, field_name)
    cases.done()


@pytest.mark.parametrize("name", ENDPOINT_NAMES)
def test_bodies_that_are_not_an_object_or_not_json(client, world, name):
    method, path, base, _, _ = shift_endpoints(world)[name]
    cases = Cases()
    for label, body in [("list", [1, 2]), ("string", "abc"), ("number", 5), ("true", True), ("list_of_base", [base])]:
        cases.check(label, lambda: send(client, world, method, path, body), {400, 422})
    text = json.dumps(base, ensure_ascii=False)
    derived = {"json_sent_as_text": text, "json_without_content_type": text, "trailing_garbage": text + " junk",
               "two_documents": text + text, "utf16": text.encode("utf-16"),
               "nested_in_field": text[:-1] + ', "x": ' + "[" * 900 + "]" * 900 + "}"}
    for label, (raw, content_type) in NOT_JSON.items():
        raw = derived.get(label, raw)
        statuses = {400, 422} if label.startswith("nested_") else {400}
        cases.check(label, lambda: send(client, world, method, path, raw=raw, content_type=content_type), statuses)
    cases.done()


def test_impossible_shift_ids_are_404(client, world):
    cases = Cases()
    for bad_id in BAD_PATH_IDS:
        cases.check(bad_id, lambda: send(client, world, "POST", check_out_url(bad_id), {}), {404})
    cases.done()


def test_shift_endpoints_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    assert {"201", "200", "401", "403", "404", "409", "410", "422"} <= set(paths[CHECK_IN]["post"]["responses"])
    assert {"200", "404", "409", "422"} <= set(paths["/api/v1/shifts/{shift_id}/check-out"]["post"]["responses"])
    assert {"201", "409", "422"} <= set(paths[CLAIMS]["post"]["responses"])
    assert "get" in paths["/api/v1/me/shifts"] and "get" in paths["/api/v1/me/hours"]


# --- concurrency, against a real threaded server (SQLite file or PostgreSQL) ---

class TestConcurrency:
    """20 parallel check-ins of one member: exactly one open shift; one client_id: one shift.

    Each test runs twice: as built, and without the member-row lock (PostgreSQL), so that the
    requests really race and only the database's unique keys keep the rules.
    """

    @pytest.fixture
    def app(self, live_app):
        return live_app

    @pytest.fixture(autouse=True, params=["locked", "unique_keys_only"])
    def locking(self, request, monkeypatch):
        if request.param == "unique_keys_only":
            monkeypatch.setattr(services, "lock_member", lambda member_id: None)

    def fire(self, live_server, world, bodies):
        headers = bearer("wechat", world.member_user)

        def send_one(body):
            return requests.post(f"{live_server}{CHECK_IN}", json=body, headers=headers, timeout=60)

        with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
            return list(pool.map(send_one, bodies))

    def test_twenty_check_ins_at_two_posts_open_one_shift(self, live_server, world, codes):
        bodies = [{"token": codes.a if i % 2 else codes.b, "client_id": f"parallel-{i}", "lat": HERE[0],
                   "lng": HERE[1], "accuracy_m": 10} for i in range(20)]
        responses = self.fire(live_server, world, bodies)
        statuses = sorted(r.status_code for r in responses)
        assert statuses.count(201) == 1 and statuses.count(409) == 19, statuses
        winner = next(r.json() for r in responses if r.status_code == 201)
        for response in responses:
            if response.status_code == 409:
                error = response.json()["error"]
                assert error["code"] == "shift_open" and error["open_shift"]["id"] == winner["id"]
        db.session.rollback()  # end this test's own read transaction: see the server's writes
        shifts = db.session.scalars(select(Shift)).all()
        assert [(s.id, s.status) for s in shifts] == [(winner["id"], "open")]

    def test_twenty_retries_with_one_client_id_give_one_shift(self, live_server, world, codes):
        body = {"token": codes.a, "client_id": "the-same-one", "lat": HERE[0], "lng": HERE[1], "accuracy_m": 10}
        responses = self.fire(live_server, world, [body] * 20)
        statuses = sorted(r.status_code for r in responses)
        assert statuses.count(201) == 1 and statuses.count(200) == 19, statuses
        assert len({r.json()["id"] for r in responses}) == 1
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Shift)) == 1
