"""Reviewing volunteer shifts (PRODUCT.md "Hours are evidence", "A forgotten check-out", "Daily
cap", "Recording deadline", "Units are walled"): the review queue, approve / reject / adjust,
corrections that keep the original, the 8 h / 12 h daily cap on the local day, overdue after
10 working days, bulk approval, the unit's automatic approval, and the member's subscribe
message (over HTTP to tests/wechat_fake.py).

Shifts are inserted through the ORM, as check-in and check-out would leave them.
"""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from conftest import assert_error, running_app, wechat_config
from server.extensions import db
from server.models import AuditEntry, Member, Shift, ShiftReview, Subscription
from server.shifts import review_queue
from server.shifts.hours import member_totals
from server.shifts.review import maybe_auto_approve

SHANGHAI = ZoneInfo("Asia/Shanghai")
SHIFTS = "/api/v1/admin/shifts"
BULK = "/api/v1/admin/shifts/review-bulk"
T = dt.datetime.fromisoformat


def review_url(shift):
    return f"{SHIFTS}/{shift.id}/review"


def add_shift(side, start, minutes=60, *, status="pending", member=None, **fields):
    """A shift of ``side``'s member (or ``member``) at its post, starting at ``start`` (ISO text).

    Closed shifts end ``minutes`` later; a needs_review shift (forgotten check-out) has no
    measured minutes, and ``minutes`` is then how long it was open until the post's limit.
    """
    started = T(start)
    values = {"member_id": (member or side.member).id, "post_id": side.post.id, "unit_id": side.unit.id,
              "status": status, "started_at": started}
    if status != "open":
        values["ended_at"] = started + dt.timedelta(minutes=minutes)
        values["minutes"] = None if status == "needs_review" else minutes
    values.update(fields)
    shift = Shift(**values)
    db.session.add(shift)
    db.session.commit()
    return shift


def decide(client, shift, headers, decision="approve", **body):
    return client.post(review_url(shift), json={"decision": decision, **body}, headers=headers)


def reload(shift):
    db.session.expire_all()
    return db.session.get(Shift, shift.id)


def audit_entries(shift):
    return db.session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "shift",
                                                       AuditEntry.entity_id == shift.id).order_by(AuditEntry.id)).all()


def at_local(text):
    """A fixed "now" for the review queue, as the route reads it."""
    return T(text).astimezone(dt.timezone.utc)


@pytest.fixture
def clock(monkeypatch):
    """Set the time the review queue takes as now: ``clock("2026-10-16T12:00:00+08:00")``."""

    def set_now(text):
        monkeypatch.setattr("server.shifts.review_routes.utcnow", lambda: at_local(text))

    return set_now


# --- approve, reject, adjust ---

def test_approve_credits_the_measured_minutes_and_keeps_the_decision(client, world):
    shift = add_shift(world.a, "2026-11-20T09:00:00+08:00", 95)
    response = decide(client, shift, world.a_headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["status"], body["minutes"], body["credited_minutes"]) == ("approved", 95, 95)
    (review,) = body["reviews"]
    assert review["decision"] == "approve" and review["minutes"] == 95
    assert review["reviewer"] == {"id": world.a.admin.id, "name": "admin_a"}
    assert review["at"].endswith("+08:00")
    assert body["member"] == {"id": world.a.member.id, "name": world.a.member.name}
    assert body["unit"] == {"id": world.a.unit.id, "name": "甲站"}
    assert body["post"]["id"] == world.a.post.id
    stored = reload(shift)
    assert (stored.minutes, stored.credited_minutes, stored.reviewed_by_id) == (95, 95, world.a.admin.id)


def test_reject_needs_a_reason_and_counts_nothing(client, world):
    shift = add_shift(world.a, "2026-11-20T09:00:00+08:00", 60)
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        assert_error(decide(client, shift, world.a_headers, "reject", **body), 422, "reason")
    assert reload(shift).status == "pending" and not audit_entries(shift)
    response = decide(client, shift, world.a_headers, "reject", reason="当天未在岗")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["credited_minutes"], body["minutes"]) == ("rejected", None, 60)
    assert body["reviews"][0]["reason"] == "当天未在岗"
    assert member_totals(world.a.member)["approved_minutes"] == 0


@pytest.mark.parametrize("body,field", [
    ({"minutes": 30}, "reason"),
    ({"reason": "少算半小时"}, "minutes"),
    ({"minutes": 0, "reason": "x"}, "minutes"),
    ({"minutes": -5, "reason": "x"}, "minutes"),
    ({"minutes": "30", "reason": "x"}, "minutes"),
    ({"minutes": 30.5, "reason": "x"}, "minutes"),
])
def test_adjust_needs_positive_minutes_and_a_reason(client, world, body, field):
    shift = add_shift(world.a, "2026-11-20T09:00:00+08:00", 60)
    assert_error(decide(client, shift, world.a_headers, "adjust", **body), 422, field)
    assert reload(shift).status == "pending"


def test_minutes_are_only_for_adjust(client, world):
    shift = add_shift(world.a, "2026-11-20T09:00:00+08:00", 60)
    assert_error(decide(client, shift, world.a_headers, "approve", minutes=30), 422, "minutes")
    assert_error(decide(client, shift, world.a_headers, "reject", minutes=30, reason="x"), 422, "minutes")


def test_adjust_never_above_the_time_actually_open(client, world):
    shift = add_shift(world.a, "2026-11-20T09:00:00+08:00", 90)
    error = assert_error(decide(client, shift, world.a_headers, "adjust", minutes=91, reason="多算"), 422, "minutes")
    assert error["code"] == "adjust_above_actual" and "90" in error["fields"]["minutes"][0]
    assert reload(shift).status == "pending" and not audit_entries(shift)
    response = decide(client, shift, world.a_headers, "adjust", minutes=90, reason="按实际")
    assert response.status_code == 200 and response.get_json()["credited_minutes"] == 90


def test_a_claim_is_adjusted_within_its_claimed_span(client, world):
    claim = add_shift(world.a, "2026-11-19T14:00:00+08:00", 120, source="claim", claim_reason="手机没电，忘记签到")
    assert_error(decide(client, claim, world.a_headers, "adjust", minutes=121, reason="多"), 422, "minutes")
    response = decide(client, claim, world.a_headers, "adjust", minutes=100, reason="扣除午休")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["source"], body["claim_reason"], body["credited_minutes"]) == ("claim", "手机没电，忘记签到", 100)


def test_forgotten_check_out_is_credited_the_default_never_more_than_open(client, world):
    post = world.a.post
    post.default_shift_minutes, post.max_open_minutes = 240, 720
    db.session.commit()
    # Open 12 h until the post's limit ran out: approving credits the default 4 h.
    long_open = add_shift(world.a, "2026-11-18T08:00:00+08:00", 720, status="needs_review",
                          review_flags=["open_too_long"])
    listed = client.get(SHIFTS, headers=world.a_headers, query_string={"status": "needs_review"}).get_json()
    assert listed["items"][0]["minutes"] is None
    assert (listed["items"][0]["open_minutes"], listed["items"][0]["approve_minutes"]) == (720, 240)
    response = decide(client, long_open, world.a_headers)
    assert response.status_code == 200
    assert (response.get_json()["credited_minutes"], response.get_json()["minutes"]) == (240, None)
    # The post's limit was shorter than its default when this one ran out: never more than open.
    short_open = add_shift(world.a, "2026-11-19T08:00:00+08:00", 150, status="needs_review")
    assert decide(client, short_open, world.a_headers).get_json()["credited_minutes"] == 150
    # An adjustment may credit up to the whole time it was open, not beyond.
    third = add_shift(world.a, "2026-11-21T08:00:00+08:00", 720, status="needs_review")
    assert_error(decide(client, third, world.a_headers, "adjust", minutes=721, reason="估算"), 422, "minutes")
    assert decide(client, third, world.a_headers, "adjust", minutes=300, reason="班长证明 8-13 点在岗",
                  override_daily_cap=False).get_json()["credited_minutes"] == 300
    # Checked out late (after the limit): still the default, though it was open longer.
    late = add_shift(world.a, "2026-11-22T08:00:00+08:00", 800, status="needs_review")
    assert decide(client, late, world.a_headers).get_json()["credited_minutes"] == 240
    # Closed without an end recorded: the post's limit bounds it.
    post.max_open_minutes = 200
    db.session.commit()
    endless = add_shift(world.a, "2026-11-23T08:00:00+08:00", 0, status="needs_review", ended_at=None)
    assert decide(client, endless, world.a_headers).get_json()["credited_minutes"] == 200


def test_an_open_shift_cannot_be_reviewed(client, world):
    shift = add_shift(world.a, "2026-11-20T09:00:00+08:00", status="open")
    for decision, body in (("approve", {}), ("reject", {"reason": "x"}), ("adjust", {"minutes": 10, "reason": "x"})):
        assert assert_error(decide(client, shift, world.a_headers, decision, **body), 409)["code"] == "shift_still_open"
    assert reload(shift).status == "open" and not audit_entries(shift)


def test_unknown_shift_and_bad_decisions(client, world):
    shift = add_shift(world.a, "2026-11-20T09:00:00+08:00")
    assert_error(client.post(f"{SHIFTS}/99999999/review", json={"decision": "approve"}, headers=world.a_headers), 404)
    assert_error(decide(client, shift, world.a_headers, "delete"), 422, "decision")
    assert_error(client.post(review_url(shift), json={}, headers=world.a_headers), 422, "decision")
    assert_error(decide(client, shift, world.a_headers, override_daily_cap="yes please"), 422, "override_daily_cap")
    assert_error(decide(client, shift, world.a_headers, "reject", reason="x" * 501), 422, "reason")
    assert_error(decide(client, shift, world.a_headers, extra=1), 422, "extra")
    response = client.post(review_url(shift), data="approve", headers={**world.a_headers, "Content-Type": "application/json"})
    assert_error(response, 400)
    assert reload(shift).status == "pending"


# --- daily cap on the local day ---

def test_daily_cap_counts_the_local_day_across_utc_days(client, world):
    # 01:00 and 23:00 in Shanghai on 20 November are 19 and 20 November in UTC: one local day.
    early = add_shift(world.a, "2026-11-20T01:00:00+08:00", 300)
    late = add_shift(world.a, "2026-11-20T23:00:00+08:00", 240)
    assert early.started_at.astimezone(dt.timezone.utc).day != late.started_at.astimezone(dt.timezone.utc).day
    assert decide(client, early, world.a_headers).status_code == 200
    # 300 + 240 = 540 min > 8 h: needs the reviewer's explicit override.
    error = assert_error(decide(client, late, world.a_headers), 409)
    assert error["code"] == "daily_cap_override_required" and error["day_minutes"] == 540
    assert reload(late).status == "pending"
    response = decide(client, late, world.a_headers, override_daily_cap=True)
    assert response.status_code == 200
    assert response.get_json()["reviews"][-1]["daily_cap_override"] is True
    assert audit_entries(late)[-1].after["daily_cap_override"] is True
    # Another 200 min that day would make 740 > 12 h: refused even with the override.
    noon = add_shift(world.a, "2026-11-20T12:00:00+08:00", 200)
    error = assert_error(decide(client, noon, world.a_headers, override_daily_cap=True), 422)
    assert error["code"] == "daily_cap_exceeded"
    # ... but an adjustment that keeps the day at 12 h is allowed.
    assert decide(client, noon, world.a_headers, "adjust", minutes=180, reason="按 12 小时封顶",
                  override_daily_cap=True).status_code == 200
    # 00:30 on the 21st is the next local day (though the same UTC day as the 23:00 shift).
    next_day = add_shift(world.a, "2026-11-21T00:30:00+08:00", 400)
    assert decide(client, next_day, world.a_headers).status_code == 200


def test_the_cap_is_per_member(client, world):
    other = Member(unit_id=world.a.unit.id, name="另一位志愿者")
    db.session.add(other)
    db.session.commit()
    add_shift(world.a, "2026-11-20T08:00:00+08:00", 420, status="approved", credited_minutes=420)
    theirs = add_shift(world.a, "2026-11-20T09:00:00+08:00", 420, member=other)
    assert decide(client, theirs, world.a_headers).status_code == 200


def test_a_single_shift_over_eight_hours_needs_the_override(client, world):
    shift = add_shift(world.a, "2026-11-20T08:00:00+08:00", 9 * 60)
    assert assert_error(decide(client, shift, world.a_headers), 409)["code"] == "daily_cap_override_required"
    assert decide(client, shift, world.a_headers, override_daily_cap=True).get_json()["credited_minutes"] == 540


# --- corrections keep the original; every decision is audited ---

def test_a_correction_keeps_the_original_review_readable(client, world):
    shift = add_shift(world.a, "2026-11-20T09:00:00+08:00", 180)
    assert decide(client, shift, world.a_headers).status_code == 200
    # Approving again is refused; a correction is an adjustment (or rejection) with a reason.
    assert assert_error(decide(client, shift, world.a_headers), 409)["code"] == "already_approved"
    assert_error(decide(client, shift, world.a_headers, "adjust", minutes=120), 422, "reason")
    response = decide(client, shift, world.bureau_headers, "adjust", minutes=120, reason="核实后 11 点离岗")
    assert response.status_code == 200
    first, second = response.get_json()["reviews"]
    assert (first["decision"], first["minutes"], first["reviewer"]["name"]) == ("approve", 180, "admin_a")
    assert (second["decision"], second["minutes"], second["reason"]) == ("adjust", 120, "核实后 11 点离岗")
    assert (second["status_before"], second["status_after"]) == ("approved", "approved")
    assert second["reviewer"]["name"] == "bureau"
    # The measured minutes never change; the stored reviews are both still there.
    stored = reload(shift)
    assert (stored.minutes, stored.credited_minutes) == (180, 120)
    rows = db.session.scalars(select(ShiftReview).where(ShiftReview.shift_id == shift.id).order_by(ShiftReview.id)).all()
    assert [(r.decision, r.credited_minutes) for r in rows] == [("approve", 180), ("adjust", 120)]
    # The audit trail holds who, when, before, after and why, for both.
    approve, adjust = audit_entries(shift)
    assert (approve.action, approve.actor_name, approve.before, approve.after["credited_minutes"]) == (
        "shift.approve", "admin_a", {"status": "pending", "credited_minutes": None}, 180)
    assert (adjust.action, adjust.actor_name, adjust.reason) == ("shift.adjust", "bureau", "核实后 11 点离岗")
    assert adjust.before == {"status": "approved", "credited_minutes": 180} and adjust.after["credited_minutes"] == 120
    assert approve.at <= adjust.at and approve.unit_id == world.a.unit.id


def test_a_rejected_shift_stays_readable_and_can_be_approved_again_with_a_reason(client, world):
    shift = add_shift(world.a, "2026-11-20T09:00:00+08:00", 60)
    decide(client, shift, world.a_headers, "reject", reason="无人证明")
    assert assert_error(decide(client, shift, world.a_headers, "reject", reason="再驳"), 409)["code"] == "already_rejected"
    assert_error(decide(client, shift, world.a_headers), 422, "reason")
    response = decide(client, shift, world.a_headers, reason="补充了岗位照片")
    assert response.status_code == 200
    reviews = response.get_json()["reviews"]
    assert [(r["decision"], r["status_after"], r["reason"]) for r in reviews] == [
        ("reject", "rejected", "无人证明"), ("approve", "approved", "补充了岗位照片")]
    assert response.get_json()["credited_minutes"] == 60


def test_every_review_writes_an_audit_entry(client, world):
    shifts = [add_shift(world.a, f"2026-11-{day}T09:00:00+08:00", 60) for day in (16, 17, 18)]
    decide(client, shifts[0], world.a_headers)
    decide(client, shifts[1], world.a_headers, "reject", reason="重复签到")
    decide(client, shifts[2], world.a_headers, "adjust", minutes=45, reason="提前离岗")
    decide(client, shifts[0], world.a_headers, "reject", reason="更正：当天未在岗")
    client.post(BULK, json={"ids": [shifts[1].id], "decision": "approve", "reason": "复核通过"}, headers=world.a_headers)
    reviews = db.session.scalar(select(func.count()).select_from(ShiftReview))
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "shift")).all()
    assert reviews == len(entries) == 5
    assert all(e.actor_type == "admin" and e.actor_id == world.a.admin.id and e.before and e.after for e in entries)
    assert sorted(e.action for e in entries) == sorted(
        ["shift.approve", "shift.reject", "shift.adjust", "shift.reject", "shift.approve"])


def test_member_totals_follow_the_credited_minutes(client, world):
    member = world.a.member
    first = add_shift(world.a, "2026-11-16T09:00:00+08:00", 200)
    second = add_shift(world.a, "2026-11-17T09:00:00+08:00", 100)
    add_shift(world.a, "2026-11-18T09:00:00+08:00", 30, status="needs_review")
    assert member_totals(member)["approved_minutes"] == 0 and member_totals(member)["pending_minutes"] == 300
    decide(client, first, world.a_headers)
    assert member_totals(member)["approved_minutes"] == 200 and member_totals(member)["pending_minutes"] == 100
    decide(client, first, world.a_headers, "adjust", minutes=150, reason="扣除休息")
    decide(client, second, world.a_headers)
    assert member_totals(member)["approved_minutes"] == 250
    decide(client, second, world.a_headers, "reject", reason="更正")
    assert member_totals(member)["approved_minutes"] == 150
    # The member sees the same through /api/v1/me.
    assert client.get("/api/v1/me", headers=world.member_headers).get_json()["member"]["approved_minutes"] == 150


# --- the recording deadline: overdue after 10 working days ---

def test_overdue_after_ten_working_days_counting_the_national_day_holiday(client, world, clock):
    # Started Tue 29 Sept 2026. 10 working days later, with 1–7 October off and Sat 10 October
    # worked (调休), is Mon 19 October; plain weekdays would have said Tue 13 October.
    shift = add_shift(world.a, "2026-09-29T10:00:00+08:00", 60)

    def row(now):
        clock(now)
        (item,) = client.get(SHIFTS, headers=world.a_headers).get_json()["items"]
        return item["overdue"], item["working_days_waiting"]

    assert row("2026-10-09T12:00:00+08:00") == (False, 3)
    assert row("2026-10-16T12:00:00+08:00") == (False, 9)
    assert row("2026-10-19T23:59:00+08:00") == (False, 10)
    assert row("2026-10-20T00:01:00+08:00") == (True, 11)
    item = client.get(SHIFTS, headers=world.a_headers).get_json()["items"][0]
    assert item["review_due_at"] == "2026-10-19T23:59:59+08:00"
    overdue_only = client.get(SHIFTS, headers=world.a_headers, query_string={"overdue": "true"}).get_json()
    assert [i["id"] for i in overdue_only["items"]] == [shift.id]
    assert client.get(SHIFTS, headers=world.a_headers, query_string={"overdue": "false"}).get_json()["total"] == 0
    # Decided shifts are never overdue.
    decide(client, shift, world.a_headers)
    item = client.get(SHIFTS, headers=world.a_headers).get_json()["items"][0]
    assert (item["overdue"], item["working_days_waiting"]) == (False, None)


def test_the_databases_overdue_cutoff_agrees_with_the_rule(app):
    # Every start day from mid-September to November against every "now" around the holiday.
    first = dt.date(2026, 9, 10)
    for now_offset in range(0, 60, 1):
        now = dt.datetime.combine(dt.date(2026, 9, 25) + dt.timedelta(days=now_offset), dt.time(12), SHANGHAI)
        cutoff = review_queue.overdue_cutoff(now)
        for start_offset in range(0, 60):
            started = dt.datetime.combine(first + dt.timedelta(days=start_offset), dt.time(23, 30), SHANGHAI)
            if started > now:
                break
            shift = Shift(status="pending", started_at=started)
            assert review_queue.is_overdue(shift, now) == (started < cutoff), (now, started)


# --- the queue ---

def test_queue_lists_overdue_then_oldest_waiting_then_decided_newest_first(client, world, clock):
    clock("2026-11-20T12:00:00+08:00")
    approved_old = add_shift(world.a, "2026-10-01T09:00:00+08:00", 60, status="approved", credited_minutes=60)
    rejected_new = add_shift(world.a, "2026-11-19T09:00:00+08:00", 60, status="rejected")
    waiting_new = add_shift(world.a, "2026-11-18T09:00:00+08:00", 60)
    waiting_older = add_shift(world.a, "2026-11-12T09:00:00+08:00", 60, status="needs_review")
    overdue_newer = add_shift(world.a, "2026-11-02T09:00:00+08:00", 60)
    overdue_oldest = add_shift(world.a, "2026-10-20T09:00:00+08:00", 60, status="needs_review")
    open_now = add_shift(world.a, "2026-11-20T08:00:00+08:00", status="open")
    body = client.get(SHIFTS, headers=world.a_headers).get_json()
    assert [item["id"] for item in body["items"]] == [
        overdue_oldest.id, overdue_newer.id, waiting_older.id, waiting_new.id,
        open_now.id, rejected_new.id, approved_old.id]
    assert [item["overdue"] for item in body["items"]] == [True, True] + [False] * 5
    assert body["total"] == 7 and body["page"] == 1 and body["page_size"] == 20
    paged = client.get(SHIFTS, headers=world.a_headers, query_string={"page": 2, "page_size": 3}).get_json()
    assert [item["id"] for item in paged["items"]] == [waiting_new.id, open_now.id, rejected_new.id]


def test_queue_filters(client, world, clock):
    clock("2026-11-20T12:00:00+08:00")
    other_post = type(world.a.post)(unit_id=world.a.unit.id, name="第二岗", lat=30.7, lng=120.7)
    db.session.add(other_post)
    db.session.commit()
    a1 = add_shift(world.a, "2026-11-19T23:30:00+08:00", 60)
    a2 = add_shift(world.a, "2026-11-20T00:30:00+08:00", 60, post_id=other_post.id)
    a3 = add_shift(world.a, "2026-11-10T09:00:00+08:00", 60, status="approved", credited_minutes=60)
    b1 = add_shift(world.b, "2026-11-19T09:00:00+08:00", 60)

    def ids(headers=world.bureau_headers, **query):
        response = client.get(SHIFTS, headers=headers, query_string=query)
        assert response.status_code == 200, response.get_json()
        return {item["id"] for item in response.get_json()["items"]}

    assert ids() == {a1.id, a2.id, a3.id, b1.id}
    assert ids(unit_id=world.b.unit.id) == {b1.id}
    assert ids(status="pending") == {a1.id, a2.id, b1.id}
    assert ids(status="approved") == {a3.id}
    assert ids(member_id=world.a.member.id) == {a1.id, a2.id, a3.id}
    assert ids(post_id=other_post.id) == {a2.id}
    # from/to are local days: 23:30 on the 19th is the 19th, 00:30 on the 20th the 20th.
    assert ids(**{"from": "2026-11-20"}) == {a2.id}
    assert ids(to="2026-11-19") == {a1.id, a3.id, b1.id}
    assert ids(**{"from": "2026-11-19", "to": "2026-11-19"}) == {a1.id, b1.id}
    assert_error(client.get(SHIFTS, headers=world.a_headers, query_string={"from": "2026-11-20", "to": "2026-11-19"}),
                 422, "to")
    for query, field in (({"status": "done"}, "status"), ({"overdue": "maybe"}, "overdue"),
                         ({"page_size": 101}, "page_size"), ({"member_id": "x"}, "member_id"),
                         ({"from": "20/11/2026"}, "from"), ({"post_id": 0}, "post_id")):
        assert_error(client.get(SHIFTS, headers=world.a_headers, query_string=query), 422, field)


def test_queue_rows_carry_what_the_reviewer_needs(client, world):
    world.a.post.lat, world.a.post.lng, world.a.post.radius_m = 30.75, 120.75, 200
    db.session.commit()
    shift = add_shift(world.a, "2026-11-20T09:00:00+08:00", 60, offline=True, review_flags=["out_of_range_out"],
                      check_in_lat=30.75, check_in_lng=120.7505, check_in_accuracy_m=10, check_in_distance_m=47.8,
                      check_out_lat=30.76, check_out_lng=120.75, check_out_accuracy_m=15, check_out_distance_m=1112.0)
    (item,) = client.get(SHIFTS, headers=world.a_headers).get_json()["items"]
    assert item["id"] == shift.id and item["offline"] is True and item["source"] == "scan"
    assert item["review_flags"] == ["out_of_range_out"]
    assert item["check_in"] == {"lat": 30.75, "lng": 120.7505, "accuracy_m": 10.0, "distance_m": 47.8, "in_range": True}
    assert item["check_out"]["in_range"] is False and item["check_out"]["distance_m"] == 1112.0
    assert item["started_at"] == "2026-11-20T09:00:00+08:00" and item["ended_at"] == "2026-11-20T10:00:00+08:00"
    assert item["status_label"] and item["reviews"] == []
    live = add_shift(world.a, "2026-11-21T09:00:00+08:00", 60, source="live")
    row = next(i for i in client.get(SHIFTS, headers=world.a_headers).get_json()["items"] if i["id"] == live.id)
    assert row["check_in"] == {"lat": None, "lng": None, "accuracy_m": None, "distance_m": None, "in_range": None}


# --- the unit wall ---

def test_a_unit_admin_cannot_see_or_review_another_units_shift(client, world):
    theirs = add_shift(world.a, "2026-11-20T09:00:00+08:00", 60)
    mine = add_shift(world.b, "2026-11-20T09:00:00+08:00", 60)
    assert_error(decide(client, theirs, world.b_headers), 404)
    assert_error(decide(client, theirs, world.b_headers, "reject", reason="x"), 404)
    assert reload(theirs).status == "pending" and not audit_entries(theirs)
    listed = client.get(SHIFTS, headers=world.b_headers).get_json()
    assert [item["id"] for item in listed["items"]] == [mine.id]
    assert client.get(SHIFTS, headers=world.b_headers, query_string={"unit_id": world.a.unit.id}).get_json()["total"] == 0
    assert client.get(SHIFTS, headers=world.b_headers, query_string={"member_id": world.a.member.id}).get_json()["total"] == 0
    assert decide(client, theirs, world.bureau_headers).status_code == 200


def test_members_and_citizens_cannot_review(client, world):
    shift = add_shift(world.a, "2026-11-20T09:00:00+08:00", 60)
    assert_error(decide(client, shift, world.member_headers), 403)
    assert_error(client.get(SHIFTS, headers=world.member_headers), 403)
    assert_error(client.post(BULK, json={"ids": [shift.id], "decision": "approve"}), 401)


# --- bulk approval ---

def test_bulk_approve_decides_each_shift_on_its_own(client, world):
    ok_one = add_shift(world.a, "2026-11-16T09:00:00+08:00", 60)
    forgotten = add_shift(world.a, "2026-11-17T09:00:00+08:00", 720, status="needs_review")
    theirs = add_shift(world.b, "2026-11-16T09:00:00+08:00", 60)
    still_open = add_shift(world.a, "2026-11-20T09:00:00+08:00", status="open")
    done = add_shift(world.a, "2026-11-15T09:00:00+08:00", 60, status="approved", credited_minutes=60)
    too_long = add_shift(world.a, "2026-11-18T08:00:00+08:00", 9 * 60)
    ids = [ok_one.id, theirs.id, 99999999, still_open.id, forgotten.id, done.id, too_long.id, ok_one.id]
    response = client.post(BULK, json={"ids": ids, "decision": "approve"}, headers=world.a_headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    results = {item["id"]: item for item in body["items"]}
    assert [item["id"] for item in body["items"]] == list(dict.fromkeys(ids))
    assert (body["approved"], body["failed"]) == (2, 5)
    assert results[ok_one.id] == {"id": ok_one.id, "ok": True, "status": "approved", "credited_minutes": 60,
                                  "error": None}
    assert results[forgotten.id]["ok"] and results[forgotten.id]["credited_minutes"] == world.a.post.default_shift_minutes
    expected = {theirs.id: "not_found", 99999999: "not_found", still_open.id: "shift_still_open",
                done.id: "already_approved", too_long.id: "daily_cap_override_required"}
    for shift_id, code in expected.items():
        assert not results[shift_id]["ok"] and results[shift_id]["error"]["code"] == code
        assert results[shift_id]["error"]["message"]
    # Only the two good ones changed, each with its review and audit entry.
    assert reload(theirs).status == "pending" and reload(too_long).status == "pending"
    assert reload(still_open).status == "open" and reload(done).credited_minutes == 60
    assert [len(audit_entries(s)) for s in (ok_one, forgotten, theirs, still_open, done, too_long)] == [1, 1, 0, 0, 0, 0]
    # With the override, the long one goes through too.
    again = client.post(BULK, json={"ids": [too_long.id], "decision": "approve", "override_daily_cap": True},
                        headers=world.a_headers).get_json()
    assert again["items"][0]["ok"] and reload(too_long).credited_minutes == 540


def test_bulk_counts_the_batch_itself_against_the_daily_cap(client, world):
    morning = add_shift(world.a, "2026-11-20T07:00:00+08:00", 300)
    evening = add_shift(world.a, "2026-11-20T18:00:00+08:00", 240)
    body = client.post(BULK, json={"ids": [morning.id, evening.id], "decision": "approve"},
                       headers=world.a_headers).get_json()
    assert [(item["ok"], (item["error"] or {}).get("code")) for item in body["items"]] == [
        (True, None), (False, "daily_cap_override_required")]


@pytest.mark.parametrize("body,field", [
    ({"decision": "approve"}, "ids"),
    ({"ids": [], "decision": "approve"}, "ids"),
    ({"ids": list(range(1, 202)), "decision": "approve"}, "ids"),
    ({"ids": ["1"], "decision": "approve"}, "ids"),
    ({"ids": [0], "decision": "approve"}, "ids"),
    ({"ids": [1], "decision": "reject"}, "decision"),
    ({"ids": [1]}, "decision"),
    ({"ids": 1, "decision": "approve"}, "ids"),
])
def test_bulk_refuses_bad_requests(client, world, body, field):
    assert_error(client.post(BULK, json=body, headers=world.a_headers), 422, field)


def test_bulk_takes_two_hundred(client, world):
    ids = [add_shift(world.a, f"2026-11-20T08:{n:02d}:00+08:00", 1).id for n in range(3)]
    body = client.post(BULK, json={"ids": ids + list(range(10**6, 10**6 + 197)), "decision": "approve"},
                       headers=world.a_headers).get_json()
    assert (body["approved"], body["failed"]) == (3, 197)


# --- the unit's automatic approval ---

def clean_shift(side, start="2026-11-20T09:00:00+08:00", minutes=120, **fields):
    return add_shift(side, start, minutes, source="scan", check_in_distance_m=12.0, check_out_distance_m=20.0, **fields)


def test_auto_approval_is_off_by_default(world):
    shift = clean_shift(world.a)
    assert maybe_auto_approve(shift) is None and shift.status == "pending"


def test_auto_approval_approves_a_clean_shift_once_the_unit_switches_it_on(client, world):
    response = client.patch(f"/api/v1/admin/units/{world.a.unit.id}", json={"auto_approve_shifts": True},
                            headers=world.a_headers)
    assert response.status_code == 200 and response.get_json()["auto_approve_shifts"] is True
    shift = clean_shift(world.a)
    review = maybe_auto_approve(shift)
    db.session.commit()
    assert review is not None and (review.decision, review.reviewer_name, review.reviewer_id) == (
        "auto_approve", "系统自动审核", None)
    stored = reload(shift)
    assert (stored.status, stored.credited_minutes) == ("approved", 120)
    (entry,) = audit_entries(shift)
    assert (entry.actor_type, entry.action, entry.after["credited_minutes"]) == ("system", "shift.auto_approve", 120)
    (item,) = client.get(SHIFTS, headers=world.a_headers).get_json()["items"]
    assert item["reviews"][0]["reviewer"] == {"id": None, "name": "系统自动审核"}
    assert item["reviews"][0]["decision_label"]
    assert member_totals(world.a.member)["approved_minutes"] == 120
    # An automatic approval can still be corrected by a person.
    assert decide(client, shift, world.a_headers, "adjust", minutes=100, reason="提前离岗").status_code == 200


@pytest.mark.parametrize("fields", [
    {"offline": True},
    {"source": "claim", "claim_reason": "忘记签到"},
    {"review_flags": ["out_of_range_out"]},
    {"review_flags": ["offline"]},
    {"status": "needs_review"},
])
def test_auto_approval_never_takes_offline_claimed_or_flagged_shifts(world, fields):
    world.a.unit.auto_approve_shifts = True
    db.session.commit()
    shift = add_shift(world.a, "2026-11-20T09:00:00+08:00", 120, **{"source": "scan", **fields})
    assert maybe_auto_approve(shift) is None
    assert reload(shift).status == fields.get("status", "pending")
    assert not audit_entries(shift)


def test_auto_approval_leaves_a_day_over_eight_hours_to_a_person(world):
    world.a.unit.auto_approve_shifts = True
    db.session.commit()
    add_shift(world.a, "2026-11-20T01:00:00+08:00", 400, status="approved", credited_minutes=400)
    within = clean_shift(world.a, "2026-11-20T12:00:00+08:00", 80)
    assert maybe_auto_approve(within) is not None
    db.session.commit()
    beyond = clean_shift(world.a, "2026-11-20T23:00:00+08:00", 30)
    assert maybe_auto_approve(beyond) is None and beyond.status == "pending"
    too_long = clean_shift(world.a, "2026-11-22T08:00:00+08:00", world.a.post.max_open_minutes + 1)
    assert maybe_auto_approve(too_long) is None


# --- concurrent reviewers (a real server, PostgreSQL when TEST_DATABASE_URL is set) ---

class TestConcurrentReviews:
    @pytest.fixture
    def app(self, live_app):
        return live_app

    @staticmethod
    def post_all(calls):
        """POST every (url, body, headers) at once from its own thread; the status codes."""
        import requests
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(len(calls)) as pool:
            statuses = list(pool.map(
                lambda call: requests.post(call[0], json=call[1], headers=call[2], timeout=30).status_code, calls))
        db.session.rollback()  # read what the server committed, not this session's earlier snapshot
        return statuses

    def test_twenty_parallel_approvals_of_one_shift_decide_it_once(self, live_server, world):
        shift = add_shift(world.a, "2026-11-20T09:00:00+08:00", 60)
        url = f"{live_server}{review_url(shift)}"
        statuses = self.post_all([(url, {"decision": "approve"}, world.a_headers)] * 20)
        assert sorted(statuses) == [200] + [409] * 19
        assert len(audit_entries(shift)) == 1
        assert db.session.scalar(select(func.count()).where(ShiftReview.shift_id == shift.id)) == 1

    def test_parallel_approvals_cannot_both_pass_the_daily_cap(self, live_server, world):
        shifts = [add_shift(world.a, f"2026-11-20T{hour:02d}:00:00+08:00", 300) for hour in (1, 7, 13, 19)]
        statuses = self.post_all([(f"{live_server}{review_url(s)}", {"decision": "approve"}, world.a_headers)
                                  for s in shifts])
        # 300 min fits the 8 h day once; every other would need the override.
        assert sorted(statuses) == [200, 409, 409, 409]
        assert member_totals(world.a.member)["approved_minutes"] == 300


# --- the member's subscribe message (over HTTP to the WeChat fake) ---

SHIFT_TPL = "tpl-shift-reviewed-01"
SHIFT_KEYS = ("thing1", "time2", "phrase3", "thing4", "thing5")
SEND = "/cgi-bin/message/subscribe/send"


class TestSubscribeMessage:
    @pytest.fixture
    def app(self, wechat_server):
        """WeChat at the fake, with the "shift reviewed" template switched on."""

        class Config(wechat_config(wechat_server)):
            def __init__(self):
                super().__init__()
                self.WECHAT_TEMPLATE_SHIFT_REVIEWED = SHIFT_TPL

        wechat_server.add_template(SHIFT_TPL, SHIFT_KEYS)
        with running_app(Config) as app:
            yield app

    @pytest.fixture
    def subscribed(self, client, world, wechat_server):
        """The member accepted the message twice in the mini-program (wx.requestSubscribeMessage)."""
        wechat_server.add_code("member-login", openid=world.member_user.openid)  # WeChat knows the openid
        for _ in range(2):
            response = client.post("/api/v1/me/subscriptions", json={"template_id": SHIFT_TPL, "accepted": True},
                                   headers=world.member_headers)
            assert response.status_code == 200, response.get_json()
        wechat_server.grant(world.member_user.openid, SHIFT_TPL, times=2)

    @staticmethod
    def quota(world):
        return db.session.scalar(select(Subscription.remaining).where(
            Subscription.wechat_user_id == world.member_user.id, Subscription.template_id == SHIFT_TPL))

    def test_approval_adjustment_and_rejection_reach_the_member(self, client, world, wechat_server, subscribed):
        world.a.post.name = "沪杭高速嘉兴服务区志愿服务岗（姜茶、路况咨询）"
        shift = add_shift(world.a, "2026-11-20T09:30:00+08:00", 270)
        response = client.post(review_url(shift), json={"decision": "approve"}, headers=world.a_headers, buffered=True)
        assert response.status_code == 200
        (sent,) = wechat_server.sent
        assert sent["touser"] == world.member_user.openid and sent["template_id"] == SHIFT_TPL
        assert sent["page"] == f"pages/shifts/detail?id={shift.id}"
        values = {key: item["value"] for key, item in sent["data"].items()}
        assert values["time2"] == "2026年11月20日 09:30"
        assert values["phrase3"] == "已通过" and values["thing4"] == "核定270分钟（4.5小时）"
        assert len(values["thing1"]) <= 20 and values["thing1"].startswith("沪杭高速")
        assert self.quota(world) == 1
        client.post(review_url(shift), json={"decision": "reject", "reason": "当天岗位未开放，签到有误"},
                    headers=world.a_headers, buffered=True)
        values = {key: item["value"] for key, item in wechat_server.sent[-1]["data"].items()}
        assert (values["phrase3"], values["thing4"], values["thing5"]) == ("未通过", "不计入服务时长", "当天岗位未开放，签到有误")
        assert self.quota(world) == 0
        # No quota left: the next decision stands, and no message goes out.
        response = client.post(review_url(shift), json={"decision": "adjust", "minutes": 200, "reason": "复核"},
                               headers=world.a_headers, buffered=True)
        assert response.status_code == 200 and len(wechat_server.sent) == 2

    def test_a_wechat_failure_does_not_undo_the_decision(self, client, world, wechat_server, subscribed):
        shift = add_shift(world.a, "2026-11-20T09:30:00+08:00", 60)
        wechat_server.fail_next(-1, path=SEND)
        response = client.post(review_url(shift), json={"decision": "approve"}, headers=world.a_headers, buffered=True)
        assert response.status_code == 200
        assert wechat_server.calls(SEND) and not wechat_server.sent
        assert reload(shift).status == "approved" and len(audit_entries(shift)) == 1

    def test_unreachable_wechat_does_not_undo_the_decision(self, client, world, wechat_server, subscribed):
        shift = add_shift(world.a, "2026-11-20T09:30:00+08:00", 60)
        wechat_server.stop()
        response = client.post(review_url(shift), json={"decision": "approve"}, headers=world.a_headers, buffered=True)
        assert response.status_code == 200 and reload(shift).status == "approved"

    def test_bulk_approval_messages_each_member_once(self, client, world, wechat_server, subscribed):
        shifts = [add_shift(world.a, f"2026-11-{day}T09:00:00+08:00", 60) for day in (18, 19)]
        response = client.post(BULK, json={"ids": [s.id for s in shifts], "decision": "approve"},
                               headers=world.a_headers, buffered=True)
        assert response.get_json()["approved"] == 2
        assert len(wechat_server.sent) == 2 and self.quota(world) == 0

    def test_a_refused_review_sends_nothing(self, client, world, wechat_server, subscribed):
        shift = add_shift(world.a, "2026-11-20T09:30:00+08:00", 60, status="open")
        response = client.post(review_url(shift), json={"decision": "approve"}, headers=world.a_headers, buffered=True)
        assert response.status_code == 409
        assert not wechat_server.calls(SEND) and self.quota(world) == 2

    def test_no_message_without_a_subscription(self, client, world, wechat_server):
        shift = add_shift(world.a, "2026-11-20T09:30:00+08:00", 60)
        assert client.post(review_url(shift), json={"decision": "approve"}, headers=world.a_headers,
                           buffered=True).status_code == 200
        assert not wechat_server.calls(SEND)


# --- the contract ---

def test_review_endpoints_are_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    listing = paths["/api/v1/admin/shifts"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {
        "status", "overdue", "unit_id", "member_id", "post_id", "from", "to", "page", "page_size"}
    review = paths["/api/v1/admin/shifts/{shift_id}/review"]["post"]
    assert {"200", "401", "403", "404", "409", "422"} <= set(review["responses"])
    assert "requestBody" in review
    bulk = paths["/api/v1/admin/shifts/review-bulk"]["post"]
    assert {"200", "401", "403", "422"} <= set(bulk["responses"])
    schemas = spec["components"]["schemas"]
    assert {"decision", "minutes", "reason", "override_daily_cap"} <= set(schemas["ShiftReview"]["properties"])
    assert {"overdue", "working_days_waiting", "reviews", "credited_minutes", "review_flags", "check_in"} <= set(
        schemas["AdminShift"]["properties"])
