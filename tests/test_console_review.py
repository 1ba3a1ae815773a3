"""The console's review queue (issue 6): shifts waiting first, approve / reject / adjust with a
reason, bulk approval with the outcome per shift, errors beside the field that save nothing,
CSRF, the unit wall (another unit's shift is a 404 page); and in real Chromium an admin's walk
through the queue, with the screenshot docs/console-review-queue.png.

Shifts are inserted through the ORM, as check-in and check-out would leave them; every decision
goes through the same services as POST /api/v1/admin/shifts/{id}/review.
"""
import datetime as dt
import html
import os
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from browser_support import browser, console_login, screenshot, site  # noqa: F401
from console_helpers import app, sign_in  # noqa: F401  (app: the live one for the browser test)
from conftest import db_snapshot
from server import messages
from server.extensions import db
from server.models import AuditEntry, Member, Post, ShiftReview
from test_shifts_review import SHANGHAI, reload
from test_shifts_review import add_shift as add_shift_at

QUEUE = "/admin/shifts"
BULK = "/admin/shifts/review-bulk"
DOCS = Path(__file__).resolve().parent.parent / "docs"


# --- helpers ---

def add_shift(side, days_ago=1, minutes=60, *, hour=9, **fields):
    """test_shifts_review's shift (ORM, as check-in and check-out leave it) that started ``days_ago``
    days ago at ``hour`` o'clock local time."""
    day = dt.datetime.now(SHANGHAI).date() - dt.timedelta(days=days_ago)
    return add_shift_at(side, dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI).isoformat(), minutes, **fields)


def text_of(response):
    return html.unescape(response.get_data(as_text=True))


def row_html(response, shift):
    """The queue row of ``shift``."""
    body = response.get_data(as_text=True)
    match = re.search(rf'<tr id="shift-{shift.id}".*?</tr>', body, re.S)
    assert match, f"shift {shift.id} is not on the page"
    return html.unescape(match.group(0))


def review(client, token, shift, **form):
    return client.post(f"{QUEUE}/{shift.id}/review", data={"csrf_token": token, **form})


# --- the queue ---

def test_the_queue_lists_waiting_shifts_first_with_everything_a_reviewer_checks(client, world):
    approved = add_shift(world.a, 1, status="approved", credited_minutes=60)
    recent = add_shift(world.a, 2, 95, check_in_lat=30.75, check_in_lng=120.75, check_in_accuracy_m=12,
                       check_in_distance_m=8, check_out_lat=30.76, check_out_lng=120.75, check_out_accuracy_m=20,
                       check_out_distance_m=1112, review_flags=["out_of_range_out"])
    old = add_shift(world.a, 40, 120, source="claim", claim_reason="手机没电，忘记扫码签到", review_flags=["claim"])
    offline = add_shift(world.a, 3, 30, offline=True, review_flags=["offline"])
    forgotten = add_shift(world.a, 4, 600, status="needs_review", review_flags=["open_too_long"])
    other_unit = add_shift(world.b, 2)
    sign_in(client, "admin_a", "admin-a-pass")

    page = client.get(QUEUE)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    order = [int(i) for i in re.findall(r'<tr id="shift-(\d+)"', body)]
    # Waiting first (overdue first, then the oldest), decided after; never another unit's.
    assert order == [old.id, forgotten.id, offline.id, recent.id, approved.id]
    assert other_unit.id not in order

    row = row_html(page, old)
    assert 'class="overdue' in row and "逾期" in row and "补录" in row and "“手机没电，忘记扫码签到”" in row
    row = row_html(page, recent)
    assert "甲站志愿岗" in row and "甲站党员" in row and "实测 95" in row
    assert "签到" in row and "范围内" in row and "签退" in row and "范围外" in row and "1112 米" in row
    assert "签退位置不在岗位范围内" in row and "待审核" in row and "扫码签到" in row
    assert "离线提交" in row_html(page, offline)
    row = row_html(page, forgotten)
    assert "未签退，待核实" in row and "未签退，无实测" in row and "超过岗位最长在岗时长未签退" in row
    assert "通过将核定 240" in row  # the post's default shift, not the 600 minutes it stayed open
    assert "已核定 60" in row_html(page, approved) and 'name="ids"' not in row_html(page, approved)
    kpis = text_of(page)
    assert re.search(r"待审核</div><div class=\"value\">3<", kpis)
    assert re.search(r"已逾期</div><div class=\"value\">1<", kpis)
    assert "单位</label>" not in kpis  # a unit admin has no unit filter


def test_filters_status_member_unit_and_period(client, world):
    extra = Member(unit_id=world.a.unit.id, name="李婷")
    db.session.add(extra)
    db.session.commit()
    mine = add_shift(world.a, 2)
    hers = add_shift(world.a, 3, member=extra)
    done = add_shift(world.a, 5, status="approved", credited_minutes=60)
    theirs = add_shift(world.b, 2)
    sign_in(client, "bureau", "bureau-pass-1")

    def ids(query):
        response = client.get(QUEUE, query_string=query)
        assert response.status_code == 200, query
        return {int(i) for i in re.findall(r'<tr id="shift-(\d+)"', response.get_data(as_text=True))}

    assert ids({}) == {mine.id, hers.id, done.id, theirs.id}
    assert ids({"status": "approved"}) == {done.id}
    assert ids({"member_id": extra.id}) == {hers.id}
    assert ids({"unit_id": world.b.unit.id}) == {theirs.id}
    day = dt.datetime.now(SHANGHAI).date() - dt.timedelta(days=3)
    assert ids({"from": day.isoformat(), "to": day.isoformat()}) == {hers.id}
    page = client.get(QUEUE)
    assert "乙站" in row_html(page, theirs)  # the bureau sees each shift's unit
    assert "全局（全部单位）" in text_of(page)


def test_a_bad_filter_is_shown_beside_its_field(client, world):
    add_shift(world.a, 2)
    sign_in(client, "admin_a", "admin-a-pass")
    response = client.get(QUEUE, query_string={"from": "2026-11-10", "to": "2026-11-01"})
    assert response.status_code == 422
    assert re.search(r'class="field-error" id="to-error"[^>]*>结束日期不能早于开始日期<', response.get_data(as_text=True))
    response = client.get(QUEUE, query_string={"status": "whatever"})
    assert response.status_code == 422 and 'id="status-error"' in response.get_data(as_text=True)


# --- one decision ---

def test_approve_one_shift(client, world):
    shift = add_shift(world.a, 2, 95)
    token = sign_in(client, "admin_a", "admin-a-pass")
    response = review(client, token, shift, decision="approve")
    assert response.status_code == 302 and response.location.startswith(QUEUE)
    stored = reload(shift)
    assert (stored.status, stored.credited_minutes, stored.reviewed_by_id) == ("approved", 95, world.a.admin.id)
    (entry,) = db.session.scalars(select(ShiftReview).where(ShiftReview.shift_id == shift.id)).all()
    assert entry.decision == "approve" and entry.reviewer_name == "admin_a"
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "shift.approve")).entity_id == shift.id
    page = client.get(response.location)
    assert "已通过该记录（#%d）" % shift.id in text_of(page)
    assert "已核定 95" in row_html(page, shift)


@pytest.mark.parametrize("form,field,message", [
    ({"decision": "reject"}, "reason", "驳回或调整时长必须填写原因"),
    ({"decision": "reject", "reason": "   "}, "reason", "驳回或调整时长必须填写原因"),
    ({"decision": "adjust", "minutes": "30"}, "reason", "驳回或调整时长必须填写原因"),
    ({"decision": "adjust", "reason": "少算半小时"}, "minutes", "调整时长必须填写核定分钟数"),
    ({"decision": "adjust", "reason": "x", "minutes": "abc"}, "minutes", "应为整数"),
    ({"decision": "adjust", "reason": "x", "minutes": "0"}, "minutes", "应在 1 到 1440 之间"),
    ({"decision": "adjust", "reason": "x", "minutes": "61"}, "minutes", "核定时长不能超过实际在岗时长（60 分钟）"),
    ({"decision": "approve", "minutes": "30"}, "minutes", "只有调整时长时才填写核定分钟数"),
])
def test_bad_input_is_shown_beside_the_field_of_that_row_and_saves_nothing(client, world, form, field, message):
    other = add_shift(world.a, 3)
    shift = add_shift(world.a, 2, 60)
    token = sign_in(client, "admin_a", "admin-a-pass")
    before = db_snapshot()
    response = review(client, token, shift, **form)
    assert response.status_code == 422
    assert db_snapshot() == before
    row = row_html(response, shift)
    assert re.search(rf'id="r{shift.id}-{field}-error" role="alert">[^<]*{re.escape(message)}', row), row
    assert "attention" in row and "<details class=\"more\" open>" in row
    if form.get("reason", "").strip():
        assert f'value="{form["reason"]}"' in row  # the user's input is kept
    assert f'id="r{other.id}-{field}-error"' not in response.get_data(as_text=True)
    assert f"记录 #{shift.id} 未保存" in text_of(response)


def test_reject_with_a_reason_and_adjust_with_minutes(client, world):
    first, second = add_shift(world.a, 2, 60), add_shift(world.a, 3, 90)
    token = sign_in(client, "admin_a", "admin-a-pass")
    assert review(client, token, first, decision="reject", reason="当天未在岗").status_code == 302
    assert review(client, token, second, decision="adjust", minutes="45", reason="中途离岗").status_code == 302
    first, second = reload(first), reload(second)
    assert (first.status, first.credited_minutes, first.review_reason) == ("rejected", None, "当天未在岗")
    assert (second.status, second.credited_minutes, second.minutes) == ("approved", 45, 90)
    # A correction of a decided shift needs a reason too, and keeps the first decision.
    before = db_snapshot()
    response = review(client, token, first, decision="approve")
    assert response.status_code == 422 and "更正已审核的记录必须填写原因" in row_html(response, first)
    assert db_snapshot() == before
    assert review(client, token, first, decision="approve", reason="核实在岗").status_code == 302
    page = client.get(f"{QUEUE}/{first.id}")
    assert page.status_code == 200
    history = text_of(page)
    assert history.index("当天未在岗") < history.index("核实在岗")
    assert "已驳回 → 已通过" in history


def test_the_daily_cap_asks_for_the_override_then_takes_it(client, world):
    add_shift(world.a, 2, 7 * 60, hour=8, status="approved", credited_minutes=7 * 60)
    late = add_shift(world.a, 2, 120, hour=16)
    token = sign_in(client, "admin_a", "admin-a-pass")
    before = db_snapshot()
    response = review(client, token, late, decision="approve")
    assert response.status_code == 409
    assert db_snapshot() == before
    row = row_html(response, late)
    assert "该志愿者当日核定时长将超过 8 小时" in row and "确认超 8 小时并通过" in row
    assert review(client, token, late, decision="approve", override_daily_cap="1").status_code == 302
    stored = reload(late)
    assert stored.status == "approved"
    assert db.session.scalar(select(ShiftReview.daily_cap_override).where(ShiftReview.shift_id == late.id)) is True


def test_the_shift_page_reviews_and_shows_its_errors_there(client, world):
    shift = add_shift(world.a, 2, 60, source="claim", claim_reason="忘记签到", review_flags=["claim"])
    token = sign_in(client, "admin_a", "admin-a-pass")
    page = client.get(f"{QUEUE}/{shift.id}")
    assert page.status_code == 200 and "忘记签到" in text_of(page) and "尚未审核" in text_of(page)
    before = db_snapshot()
    response = client.post(f"{QUEUE}/{shift.id}/review?back=detail", data={"csrf_token": token, "decision": "reject"})
    assert response.status_code == 422 and db_snapshot() == before
    assert f'id="r{shift.id}-reason-error"' in response.get_data(as_text=True)
    assert "审核记录" in text_of(response)  # still the shift's own page
    response = client.post(f"{QUEUE}/{shift.id}/review?back=detail",
                           data={"csrf_token": token, "decision": "reject", "reason": "补录时间与排班不符"})
    assert response.status_code == 302 and response.location == f"{QUEUE}/{shift.id}"
    assert "补录时间与排班不符" in text_of(client.get(response.location))


# --- bulk approval ---

def test_bulk_approval_reports_each_shift(client, world):
    a1, a2 = add_shift(world.a, 2, 60), add_shift(world.a, 3, 45)
    add_shift(world.a, 4, 7 * 60, hour=8, status="approved", credited_minutes=7 * 60)
    capped = add_shift(world.a, 4, 120, hour=16)
    decided = add_shift(world.a, 5, status="approved", credited_minutes=60)
    theirs = add_shift(world.b, 2)
    token = sign_in(client, "admin_a", "admin-a-pass")
    response = client.post(BULK, data={"csrf_token": token, "decision": "approve",
                                       "ids": [a1.id, a2.id, capped.id, decided.id, theirs.id]})
    assert response.status_code == 302
    assert [reload(s).status for s in (a1, a2, capped, decided, theirs)] == [
        "approved", "approved", "pending", "approved", "pending"]
    page = client.get(response.location)
    body = text_of(page)
    assert "批量审核完成：通过 2 条，未通过 3 条" in body
    panel = body[body.index("批量审核结果"):body.index('id="bulk-form"')]
    assert f"#{a1.id} 甲站党员 · 甲站志愿岗" in panel and f"#{a2.id} " in panel
    assert "该志愿者当日核定时长将超过 8 小时" in panel and f"#{capped.id} 甲站党员" in panel
    assert "该记录已审核通过" in panel
    assert "请求的内容不存在" in panel and f"#{theirs.id}" in panel
    assert "乙站" not in panel  # another unit's shift is not described
    # The result is shown once.
    assert "批量审核结果" not in text_of(client.get(QUEUE))
    # With the override the capped shift goes through.
    response = client.post(BULK, data={"csrf_token": token, "decision": "approve", "ids": [capped.id],
                                       "override_daily_cap": "1"})
    assert response.status_code == 302 and reload(capped).status == "approved"


@pytest.mark.parametrize("ids,message", [([], "请先勾选要通过的记录"), (["abc"], "应为整数"), (["0"], "应在 1 到 2147483647 之间")])
def test_bulk_approval_with_bad_input_saves_nothing(client, world, ids, message):
    shift = add_shift(world.a, 2)
    token = sign_in(client, "admin_a", "admin-a-pass")
    before = db_snapshot()
    response = client.post(BULK, data={"csrf_token": token, "decision": "approve", "ids": ids})
    assert response.status_code == 422
    assert db_snapshot() == before
    assert re.search(rf'id="bulk-error">[^<]*{message}', text_of(response))
    assert reload(shift).status == "pending"


# --- CSRF and the unit wall ---

def test_forms_without_the_csrf_token_save_nothing(client, world):
    shift = add_shift(world.a, 2)
    sign_in(client, "admin_a", "admin-a-pass")
    before = db_snapshot()
    for url, form in ((f"{QUEUE}/{shift.id}/review", {"decision": "approve"}),
                      (BULK, {"decision": "approve", "ids": [shift.id]})):
        response = client.post(url, data=form)
        assert response.status_code == 400
        assert "页面已过期或表单来源无效" in text_of(response)
    assert db_snapshot() == before


def test_another_units_shift_is_a_404_page_and_cannot_be_reviewed(client, world):
    theirs = add_shift(world.b, 2)
    token = sign_in(client, "admin_a", "admin-a-pass")
    page = client.get(f"{QUEUE}/{theirs.id}")
    assert page.status_code == 404 and "请求的内容不存在" in text_of(page) and "乙站" not in text_of(page)
    assert client.get(f"{QUEUE}/999999").status_code == 404
    before = db_snapshot()
    for form in ({"decision": "approve"}, {"decision": "reject", "reason": "x"}, {"decision": "reject"}):
        response = review(client, token, theirs, **form)
        assert response.status_code == 404 and "请求的内容不存在" in text_of(response)
    assert db_snapshot() == before
    assert client.get(QUEUE, query_string={"unit_id": world.b.unit.id}).status_code == 200
    assert f'id="shift-{theirs.id}"' not in client.get(QUEUE, query_string={"unit_id": world.b.unit.id}).get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    shift = add_shift(world.a, 2)
    assert client.get(QUEUE).status_code == 302
    assert client.get(f"{QUEUE}/{shift.id}").location.startswith("/admin/login")


# --- in Chromium ---

def realistic_queue(world):
    """A unit's week at the service area's volunteer desk: what the screenshot shows."""
    unit, post = world.a.unit, world.a.post
    unit.name, post.name = "沪杭高速嘉兴服务区", "服务区志愿服务台"
    post.lat, post.lng, post.radius_m, post.default_shift_minutes = 30.7768, 120.8452, 300, 240
    world.a.member.name = "张海峰"
    people = [world.a.member] + [Member(unit_id=unit.id, name=name) for name in ("李婷", "王建华", "陈晓燕", "刘强")]
    db.session.add_all(people[1:])
    second = Post(unit_id=unit.id, name="春运爱心服务站", lat=30.7772, lng=120.8460, radius_m=200)
    db.session.add(second)
    db.session.commit()
    near = {"check_in_lat": 30.7769, "check_in_lng": 120.8451, "check_in_accuracy_m": 15, "check_in_distance_m": 14,
            "check_out_lat": 30.7767, "check_out_lng": 120.8453, "check_out_accuracy_m": 18,
            "check_out_distance_m": 13}
    far_out = {**near, "check_out_lat": 30.7900, "check_out_distance_m": 1468, "review_flags": ["out_of_range_out"]}
    shifts = [
        add_shift(world.a, 25, 180, member=people[2], source="claim", claim_reason="手机没电，未能扫码签到，有值班表为证",
                  review_flags=["claim"]),
        add_shift(world.a, 6, 600, member=people[3], status="needs_review", review_flags=["open_too_long"], **near),
        add_shift(world.a, 3, 150, member=people[1], offline=True, review_flags=["offline"], hour=14, **near),
        add_shift(world.a, 2, 240, member=people[0], **far_out),
        add_shift(world.a, 1, 120, member=people[4], hour=10, **near),
        add_shift(world.a, 1, 180, member=people[1], hour=13, **near),
        add_shift(world.a, 1, 90, member=people[0], hour=15, source="live",
                  **{k: v for k, v in near.items() if k.startswith("check_out")}),
        add_shift(world.a, 8, 240, member=people[4], status="approved", credited_minutes=240, **near),
    ]
    shifts[-1].post_id = second.id
    db.session.commit()
    return shifts


def test_in_chromium_a_unit_admin_works_through_the_queue(browser, site, world):
    claim, forgotten, offline, out_of_range, fresh1, fresh2, fresh3, approved = realistic_queue(world)
    page = console_login(browser, site, "admin_a", "admin-a-pass")
    page.goto("/admin/shifts")
    assert page.locator("tbody tr").count() == 8
    assert page.locator(f"#shift-{claim.id}").get_attribute("class").startswith("overdue")
    target = DOCS if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1" else None
    shot = screenshot(page, "console-review-queue.png")
    if target is not None:
        target.joinpath("console-review-queue.png").write_bytes(shot.read_bytes())

    # Approve one shift with one click.
    with page.expect_navigation():
        page.click(f"#shift-{fresh1.id} .approve-form button")
    assert "已通过该记录" in page.locator(".flash").inner_text()
    assert "已核定 120" in page.locator(f"#shift-{fresh1.id}").inner_text()

    # Select two and approve them at once.
    page.check(f"#shift-{fresh2.id} input.pick")
    page.check(f"#shift-{fresh3.id} input.pick")
    assert page.locator("#selected-count").inner_text() == "已选 2 条"
    with page.expect_navigation():
        page.click("#bulk-approve")
    assert "通过 2 条，未通过 0 条" in page.locator(".flash").inner_text()
    assert page.locator(".bulk-result").is_visible()

    # Reject one: first without a reason (the error appears beside the field), then with one.
    row = page.locator(f"#shift-{out_of_range.id}")
    row.locator("summary").click()
    with page.expect_navigation():
        row.locator("button[value=reject]").click()
    row = page.locator(f"#shift-{out_of_range.id}")
    assert row.locator(f"#r{out_of_range.id}-reason-error").inner_text() == "驳回或调整时长必须填写原因"
    row.locator("input[name=reason]").fill("签退位置距岗位 1.4 公里，当天未在岗")
    with page.expect_navigation():
        row.locator("button[value=reject]").click()
    assert "已驳回该记录" in page.locator(".flash").inner_text()
    page.goto(f"/admin/shifts/{out_of_range.id}")
    assert "签退位置距岗位 1.4 公里，当天未在岗" in page.locator("table").inner_text()
    screenshot(page, "console-shift-detail.png")
    page.context.close()

    db.session.rollback()
    statuses = {s.id: reload(s).status for s in (fresh1, fresh2, fresh3, out_of_range, claim)}
    assert statuses == {fresh1.id: "approved", fresh2.id: "approved", fresh3.id: "approved",
                        out_of_range.id: "rejected", claim.id: "pending"}
    assert reload(out_of_range).review_reason == "签退位置距岗位 1.4 公里，当天未在岗"


def test_a_unit_admins_bad_unit_filter_is_shown_on_the_queue_and_the_cases(client, world):
    sign_in(client, "admin_a", "admin-a-pass")
    for path in ("/admin/shifts?unit_id=x", "/admin/cases?unit_id=x"):
        page = client.get(path)
        assert page.status_code == 422
        assert messages.VALIDATION["invalid_integer"] in page.get_data(as_text=True), path
