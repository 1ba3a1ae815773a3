"""Bad-rating cases (差评工单): deadlines in Chinese working days, the unit wall, overdue first,
every transition of the workflow (and the refused ones), the history, the unit's appeal and the
bureau's exclusion; and that nobody can edit or delete a rating."""
import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from sqlalchemy import func, select

from conftest import assert_error, db_snapshot
from server import workdays
from server.cases.services import open_case
from server.extensions import db
from server.models import AuditEntry, Case, Rating, utcnow
from server.qr.services import issue_code

SHANGHAI = ZoneInfo("Asia/Shanghai")
CASES = "/api/v1/admin/cases"


@pytest.fixture
def codes(world):
    """Badge and window codes of both units: codes["a"]["window"] etc."""
    result = {}
    for name in ("a", "b"):
        side = getattr(world, name)
        result[name] = {"badge": issue_code("badge", side.member).token,
                        "window": issue_code("window", side.window).token}
    db.session.commit()
    return result


def rate(client, token, score, headers=None, **extra):
    response = client.post("/api/v1/ratings", json={"token": token, "score": score, **extra}, headers=headers or {})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


def bad_case(app, token, score=1, **extra):
    """A bad rating from a fresh H5 device; returns the case id."""
    return rate(app.test_client(), token, score, **extra)["case"]["id"]


def event(client, headers, case_id, action, note="", **extra):
    return client.post(f"{CASES}/{case_id}/events", json={"action": action, "note": note, **extra}, headers=headers)


def local(iso):
    return dt.datetime.fromisoformat(iso)


# --- opening a case ---

def test_a_bad_rating_opens_a_case_the_unit_sees_with_its_rating(client, world, codes):
    answer = rate(client, codes["a"]["badge"], 2, world.citizen_headers, tags=["推诿", "态度差"],
                  comment="来回跑了三趟", contact="13800001111")
    rating = db.session.get(Rating, answer["id"])
    case = db.session.get(Case, answer["case"]["id"])
    # The deadlines are server.workdays' ends of the 1st and 15th working day after the rating's local day.
    assert case.due_contact_at == workdays.deadline(rating.created_at, 1, SHANGHAI)
    assert case.due_resolve_at == workdays.deadline(rating.created_at, 15, SHANGHAI)
    assert local(answer["case"]["due_contact_at"]) == case.due_contact_at

    page = client.get(CASES, headers=world.a_headers).json
    assert page["total"] == 1 and page["page"] == 1 and page["page_size"] == 20
    item = page["items"][0]
    assert item["id"] == case.id and item["unit_id"] == world.a.unit.id and item["unit"]["name"] == "甲站"
    assert item["status"] == "open" and item["status_label"] == "待联系群众"
    assert item["overdue"] is False and item["overdue_reasons"] == []
    assert item["answer"] == "" and item["answered_on_time"] is None and item["appeal"] is None
    assert item["excluded"] is False
    assert local(item["due_contact_at"]) == case.due_contact_at and item["due_contact_at"].endswith("T23:59:59+08:00")
    assert item["rating"] == {
        "id": rating.id, "score": 2, "score_label": "不满意", "tags": ["推诿", "态度差"], "comment": "来回跑了三趟",
        "comment_status": "shown", "contact": "13800001111",
        "target": {"kind": "member", "id": world.a.member.id, "name": "甲站党员",
                   "unit": {"id": world.a.unit.id, "name": "甲站"}},
        "created_at": item["rating"]["created_at"], "excluded": False, "excluded_at": None, "excluded_reason": "",
        "follow_up": None,
    }
    assert local(item["rating"]["created_at"]) == rating.created_at


def test_a_held_comment_is_shown_to_admins_with_its_status(app, client, world, codes):
    case_id = bad_case(app, codes["a"]["window"], 1, comment="王八蛋")
    rating = client.get(f"{CASES}/{case_id}", headers=world.a_headers).json["rating"]
    assert rating["comment"] == "王八蛋" and rating["comment_status"] == "hidden"
    assert rating["target"]["kind"] == "window" and rating["target"]["name"] == "甲站窗口"


def test_good_ratings_open_no_case(app, client, world, codes):
    for score in (3, 4, 5):
        assert rate(app.test_client(), codes["a"]["window"], score)["case"] is None
    assert client.get(CASES, headers=world.bureau_headers).json["total"] == 0


def test_deadlines_across_national_day_and_an_adjusted_saturday(app, world, codes):
    """A bad rating on 30 September 2025 (eve of the 1–8 October holiday): contact by the end of
    9 October; the 15 working days count Saturday 11 October, worked in exchange (调休).

    The expectation is walked here with chinese_calendar itself, not with server.workdays.
    """
    created = dt.datetime(2025, 9, 30, 15, 0, tzinfo=SHANGHAI)
    code = issue_code("window", world.a.window)
    rating = Rating(qr_code_id=code.id, unit_id=world.a.unit.id, window_id=world.a.window.id,
                    target_key=f"window:{world.a.window.id}", rater_key="dev:national-day", rated_on=created.date(),
                    score=1, created_at=created.astimezone(dt.timezone.utc))
    db.session.add(rating)
    db.session.flush()
    case = open_case(rating)
    db.session.commit()

    counted, day = [], created.date()
    while len(counted) < 15:
        day += dt.timedelta(days=1)
        if chinese_calendar.is_workday(day):
            counted.append(day)
    assert counted[0] == dt.date(2025, 10, 9)
    assert dt.date(2025, 10, 11) in counted and dt.date(2025, 10, 11).weekday() == 5
    assert not any(dt.date(2025, 10, d) in counted for d in range(1, 9))
    end_of = lambda d: dt.datetime.combine(d, dt.time(23, 59, 59), tzinfo=SHANGHAI)  # noqa: E731
    db.session.refresh(case)
    assert case.due_contact_at == end_of(dt.date(2025, 10, 9))
    assert case.due_resolve_at == end_of(counted[14])
    # Had the Saturday not been worked, the 15th working day would come a day later.
    without_saturday = [d for d in counted if d.weekday() < 5]
    assert len(without_saturday) == 14 and counted[14] == dt.date(2025, 10, 28)


# --- the unit wall ---

def test_a_unit_admin_sees_only_their_own_cases(app, client, world, codes):
    a_case = bad_case(app, codes["a"]["badge"])
    b_case = bad_case(app, codes["b"]["window"])
    assert [c["id"] for c in client.get(CASES, headers=world.b_headers).json["items"]] == [b_case]
    assert client.get(CASES, headers=world.b_headers, query_string={"unit_id": world.a.unit.id}).json["total"] == 0
    before = db_snapshot()
    missing = client.get(f"{CASES}/99999", headers=world.b_headers).json
    assert assert_error(client.get(f"{CASES}/{a_case}", headers=world.b_headers), 404) == missing["error"]
    assert_error(event(client, world.b_headers, a_case, "contact", "已联系"), 404)
    assert_error(event(client, world.b_headers, a_case, "appeal", "恶意"), 404)
    assert db_snapshot() == before
    assert {c["id"] for c in client.get(CASES, headers=world.bureau_headers).json["items"]} == {a_case, b_case}
    only_b = client.get(CASES, headers=world.bureau_headers, query_string={"unit_id": str(world.b.unit.id)}).json
    assert [c["id"] for c in only_b["items"]] == [b_case]


# --- overdue first ---

def test_overdue_cases_come_first_then_the_nearest_deadline(app, client, world, codes):
    now = utcnow()
    days = lambda n: now + dt.timedelta(days=n)  # noqa: E731
    ids = {name: bad_case(app, codes["a"]["window"]) for name in
           ("calm", "late_contact", "late_answer", "answered_late", "soon", "very_late")}
    setup = {  # name: (status, due_contact_at, due_resolve_at)
        "calm": ("open", days(3), days(20)),
        "late_contact": ("open", days(-1), days(10)),
        "late_answer": ("contacted", days(-10), days(-2)),
        "answered_late": ("resolved", days(-10), days(-5)),
        "soon": ("contacted", days(-3), days(1)),
        "very_late": ("open", days(-30), days(-15)),
    }
    for name, (status, due_contact, due_resolve) in setup.items():
        case = db.session.get(Case, ids[name])
        case.status, case.due_contact_at, case.due_resolve_at = status, due_contact, due_resolve
        if status != "open":
            case.contacted_at = days(-20)
        if status == "resolved":
            case.resolved_at = days(-1)
    db.session.commit()

    items = client.get(CASES, headers=world.a_headers).json["items"]
    by_id = {item["id"]: item for item in items}
    order = {case_id: name for name, case_id in ids.items()}
    # Overdue (by the deadline they missed, oldest first), then open deadlines, then answered cases.
    assert [order[item["id"]] for item in items] == [
        "very_late", "late_answer", "late_contact", "soon", "calm", "answered_late"]
    reasons = {name: [r["code"] for r in by_id[ids[name]]["overdue_reasons"]] for name in ids}
    assert reasons == {"very_late": ["contact", "resolve"], "late_contact": ["contact"], "late_answer": ["resolve"],
                       "soon": [], "calm": [], "answered_late": []}
    assert {name for name in ids if by_id[ids[name]]["overdue"]} == {"very_late", "late_contact", "late_answer"}
    assert by_id[ids["late_contact"]]["overdue_reasons"][0]["message"] == "超过时限未联系群众"
    assert by_id[ids["answered_late"]]["answered_on_time"] is False

    overdue = client.get(CASES, headers=world.a_headers, query_string={"status": "overdue"}).json
    assert [order[item["id"]] for item in overdue["items"]] == ["very_late", "late_answer", "late_contact"]
    assert overdue["total"] == 3
    for status, names in (("open", ["very_late", "late_contact", "calm"]), ("contacted", ["late_answer", "soon"]),
                          ("resolved", ["answered_late"])):
        listed = client.get(CASES, headers=world.a_headers, query_string={"status": status}).json["items"]
        assert [order[item["id"]] for item in listed] == names
    second_page = client.get(CASES, headers=world.a_headers, query_string={"page": 2, "page_size": 4}).json
    assert [order[item["id"]] for item in second_page["items"]] == ["calm", "answered_late"]
    assert second_page["total"] == 6


@pytest.mark.parametrize("query,field", [({"status": "late"}, "status"), ({"unit_id": "abc"}, "unit_id"),
                                         ({"unit_id": "0"}, "unit_id"), ({"page_size": "500"}, "page_size")])
def test_bad_list_filters_are_422(client, world, query, field):
    assert_error(client.get(CASES, headers=world.a_headers, query_string=query), 422, field)


# --- the workflow ---

def test_contact_resolve_reopen_and_the_history(app, client, world, codes):
    case_id = bad_case(app, codes["a"]["badge"], 2, contact="13800001111")
    h = world.a_headers

    # Resolving before contacting a citizen who left a number is refused.
    error = assert_error(event(client, h, case_id, "resolve", "已整改"), 409)
    assert error["code"] == "contact_first" and "联系" in error["message"]
    error = assert_error(event(client, h, case_id, "contact", no_contact=True), 409)
    assert error["code"] == "contact_left"

    contacted = event(client, h, case_id, "contact", "已电话联系，群众反映排队时间长")
    assert contacted.status_code == 200, contacted.json
    assert contacted.json["status"] == "contacted" and contacted.json["contacted_at"]
    assert_error(event(client, h, case_id, "contact", "再次联系"), 409)
    assert_error(event(client, h, case_id, "reopen", "重开"), 409)

    resolved = event(client, h, case_id, "resolve", "已增设取号机，高峰期增开窗口。").json
    assert resolved["status"] == "resolved" and resolved["answer"] == "已增设取号机，高峰期增开窗口。"
    assert resolved["answered_on_time"] is True and resolved["overdue"] is False
    for action in ("resolve", "contact"):
        assert assert_error(event(client, h, case_id, action, "再来"), 409)["code"] == "invalid_transition"

    reopened = event(client, h, case_id, "reopen", "群众追评仍不满意，继续整改").json
    assert reopened["status"] == "contacted" and reopened["resolved_at"] is None
    assert reopened["answered_on_time"] is None
    final = event(client, world.bureau_headers, case_id, "resolve", "已调整窗口排班。").json
    assert final["status"] == "resolved" and final["answer"] == "已调整窗口排班。"

    history = client.get(f"{CASES}/{case_id}", headers=h).json["history"]
    assert [(e["action"], e["actor"]["name"], e["note"]) for e in history] == [
        ("case.open", "system", ""),
        ("case.contact", "admin_a", "已电话联系，群众反映排队时间长"),
        ("case.resolve", "admin_a", "已增设取号机，高峰期增开窗口。"),
        ("case.reopen", "admin_a", "群众追评仍不满意，继续整改"),
        ("case.resolve", "bureau", "已调整窗口排班。"),
    ]
    assert [(e["before"] or {}).get("status") for e in history[1:]] == ["open", "contacted", "resolved", "contacted"]
    assert [e["after"]["status"] for e in history[1:]] == ["contacted", "resolved", "contacted", "resolved"]
    assert history[1]["actor"] == {"type": "admin", "id": world.a.admin.id, "name": "admin_a"}
    assert history[1]["action_label"] == "联系群众"
    times = [local(e["at"]) for e in history]
    assert times == sorted(times)
    assert final["history"] == history
    # The audit trail holds the same steps.
    entries = db.session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "case",
                                                                 AuditEntry.entity_id == case_id)).all()
    assert entries == [e["action"] for e in history]


def test_no_contact_left_may_be_recorded_or_skipped(app, client, world, codes):
    recorded = bad_case(app, codes["a"]["window"])
    body = event(client, world.a_headers, recorded, "contact", no_contact=True).json
    assert body["status"] == "contacted"
    assert body["history"][-1]["note"] == "群众未留联系方式"
    assert body["history"][-1]["after"] == {"status": "contacted", "no_contact": True}

    # Without a contact to reach, the unit may answer straight away; reopening goes back to "open".
    skipped = bad_case(app, codes["a"]["window"])
    answered = event(client, world.a_headers, skipped, "resolve", "已整改").json
    assert answered["status"] == "resolved" and answered["contacted_at"] is None
    assert event(client, world.a_headers, skipped, "reopen", "复查").json["status"] == "open"


def test_answering_late_is_recorded_as_late(app, client, world, codes):
    case_id = bad_case(app, codes["a"]["window"])
    case = db.session.get(Case, case_id)
    case.due_contact_at = case.due_resolve_at = utcnow() - dt.timedelta(hours=1)
    db.session.commit()
    assert client.get(f"{CASES}/{case_id}", headers=world.a_headers).json["overdue"] is True
    body = event(client, world.a_headers, case_id, "resolve", "迟到的答复").json
    assert body["answered_on_time"] is False and body["overdue"] is False
    case = db.session.get(Case, case_id)
    assert case.resolved_at > case.due_resolve_at


@pytest.mark.parametrize("body,field", [
    ({"action": "contact"}, "note"),
    ({"action": "contact", "note": "   "}, "note"),
    ({"action": "resolve", "no_contact": True, "note": "x"}, "no_contact"),
    ({"action": "resolve"}, "note"),
    ({"action": "resolve", "note": "答" * 1001}, "note"),
    ({"action": "contact", "note": "记" * 501}, "note"),
    ({"action": "reopen"}, "note"),
    ({"action": "appeal", "note": ""}, "note"),
    ({"action": "close", "note": "x"}, "action"),
    ({"note": "x"}, "action"),
    ({"action": "contact", "note": "x", "extra": 1}, "extra"),
    ({"action": "contact", "note": "a\x00b"}, "note"),
    ({"action": "contact", "note": 5}, "note"),
    ({"action": "contact", "note": "x", "no_contact": "maybe"}, "no_contact"),
])
def test_bad_event_bodies_are_422_and_write_nothing(app, client, world, codes, body, field):
    case_id = bad_case(app, codes["a"]["window"])
    before = db_snapshot()
    assert_error(client.post(f"{CASES}/{case_id}/events", json=body, headers=world.a_headers), 422, field)
    assert db_snapshot() == before


def test_a_long_answer_is_kept_whole(app, client, world, codes):
    case_id = bad_case(app, codes["a"]["window"])
    answer = "整改" * 500
    body = event(client, world.a_headers, case_id, "resolve", answer).json
    assert body["answer"] == answer and body["history"][-1]["note"] == answer


def test_events_need_an_admin(app, client, world, codes):
    case_id = bad_case(app, codes["a"]["window"])
    assert_error(event(client, world.citizen_headers, case_id, "contact", "x"), 403)
    assert_error(event(client, {}, case_id, "contact", "x"), 401)


# --- appeal (申诉) and the bureau's exclusion ---

def exclusion(client, headers, rating_id, exclude, reason="经核实为恶意差评"):
    return client.post(f"/api/v1/admin/ratings/{rating_id}/exclusion", json={"exclude": exclude, "reason": reason},
                       headers=headers)


def test_appeal_then_the_bureau_excludes_the_rating(app, client, world, codes):
    case_id = bad_case(app, codes["a"]["window"], 1, comment="乱评")
    rating_id = db.session.get(Case, case_id).rating_id
    appealed = event(client, world.a_headers, case_id, "appeal", "监控显示该群众未办理业务").json
    assert appealed["status"] == "open"  # the workflow goes on while the bureau decides
    assert appealed["appeal"]["state"] == "pending" and appealed["appeal"]["reason"] == "监控显示该群众未办理业务"
    assert appealed["appeal"]["appealed_at"]
    assert assert_error(event(client, world.a_headers, case_id, "appeal", "再申诉"), 409)["code"] == "invalid_transition"

    # Only the bureau decides: the unit's own admin is refused, another unit's admin meets the wall.
    before = db_snapshot()
    assert_error(exclusion(client, world.a_headers, rating_id, True), 403)
    assert_error(exclusion(client, world.b_headers, rating_id, True), 404)
    assert db_snapshot() == before

    decided = exclusion(client, world.bureau_headers, rating_id, True)
    assert decided.status_code == 200, decided.json
    assert decided.json["excluded"] is True and decided.json["excluded_reason"] == "经核实为恶意差评"
    assert decided.json["case_id"] == case_id and decided.json["appeal"]["state"] == "upheld"
    rating = db.session.get(Rating, rating_id)
    assert rating.excluded_at is not None and rating.excluded_reason == "经核实为恶意差评"
    assert assert_error(exclusion(client, world.bureau_headers, rating_id, True), 409)["code"] == "already_excluded"
    assert assert_error(event(client, world.a_headers, case_id, "appeal", "x"), 409)

    case = client.get(f"{CASES}/{case_id}", headers=world.a_headers).json
    assert case["excluded"] is True and case["rating"]["excluded"] is True
    assert case["appeal"]["state"] == "upheld" and case["appeal"]["state_label"] == "申诉成立，不计入统计"
    assert [(e["action"], e["actor"]["name"], e["note"]) for e in case["history"][1:]] == [
        ("case.appeal", "admin_a", "监控显示该群众未办理业务"),
        ("rating.exclude", "bureau", "经核实为恶意差评"),
    ]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "rating.exclude"))
    assert (entry.entity_type, entry.entity_id, entry.unit_id) == ("rating", rating_id, world.a.unit.id)
    assert (entry.before, entry.after) == ({"excluded": False}, {"excluded": True})

    # The bureau may count it again, with a reason of its own.
    counted = exclusion(client, world.bureau_headers, rating_id, False, "复核后仍计入").json
    assert counted["excluded"] is False and counted["excluded_at"] is None and counted["appeal"]["state"] == "rejected"
    assert assert_error(exclusion(client, world.bureau_headers, rating_id, False, "x"), 409)["code"] == "not_excluded"


def test_the_bureau_may_reject_an_appeal_and_exclude_any_rating(app, client, world, codes):
    case_id = bad_case(app, codes["a"]["window"])
    rating_id = db.session.get(Case, case_id).rating_id
    assert_error(exclusion(client, world.bureau_headers, rating_id, False, "x"), 409)  # nothing to decide yet
    event(client, world.a_headers, case_id, "appeal", "疑似同行恶意")
    kept = exclusion(client, world.bureau_headers, rating_id, False, "证据不足，仍计入统计").json
    assert kept["excluded"] is False and kept["appeal"]["state"] == "rejected"
    assert client.get(f"{CASES}/{case_id}", headers=world.a_headers).json["appeal"]["state"] == "rejected"

    good = rate(app.test_client(), codes["b"]["window"], 5)
    body = exclusion(client, world.bureau_headers, good["id"], True, "工作人员亲属刷好评").json
    assert body["excluded"] is True and body["case_id"] is None and body["appeal"] is None
    assert body["unit_id"] == world.b.unit.id


@pytest.mark.parametrize("body,field", [({"exclude": True}, "reason"), ({"exclude": True, "reason": " "}, "reason"),
                                        ({"reason": "x"}, "exclude"), ({"exclude": "maybe", "reason": "x"}, "exclude"),
                                        ({"exclude": True, "reason": "x" * 501}, "reason")])
def test_bad_exclusion_bodies_are_422(app, client, world, codes, body, field):
    rating_id = rate(app.test_client(), codes["a"]["window"], 1)["id"]
    before = db_snapshot()
    assert_error(client.post(f"/api/v1/admin/ratings/{rating_id}/exclusion", json=body,
                             headers=world.bureau_headers), 422, field)
    assert db_snapshot() == before


def test_exclusion_of_a_missing_rating_is_404(client, world):
    assert_error(exclusion(client, world.bureau_headers, 424242, True), 404)


# --- ratings are free: staff cannot edit or delete them ---

def test_no_endpoint_edits_or_deletes_ratings(app, client, world, codes):
    rating_id = rate(client, codes["a"]["window"], 1)["id"]
    for rule in app.url_map.iter_rules():
        if "rating" in rule.rule:
            assert not rule.methods & {"PATCH", "PUT", "DELETE"}, rule.rule
    before = db_snapshot()
    for headers in (world.bureau_headers, world.a_headers):
        for method in ("PATCH", "PUT", "DELETE"):
            assert_error(client.open("/api/v1/ratings", method=method, json={"score": 5}, headers=headers), 405)
            assert_error(client.open(f"/api/v1/admin/ratings/{rating_id}/exclusion", method=method,
                                     json={"score": 5}, headers=headers), 405)
            for path in (f"/api/v1/admin/ratings/{rating_id}", f"/api/v1/ratings/{rating_id}"):
                response = client.open(path, method=method, json={"score": 5}, headers=headers)
                assert response.status_code in (404, 405)
                assert_error(response, response.status_code)
    assert db_snapshot() == before
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 1
