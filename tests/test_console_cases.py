"""The console's cases (差评工单, issue 6): overdue first with the deadlines shown, contact /
resolve / reopen / appeal with notes, the bureau's exclusion (403 page for a unit admin), the
full history and the rating with its follow-up; bad input beside the field that saves nothing,
CSRF, and the unit wall (another unit's case is a 404 page). In real Chromium: a unit admin
answers a case, a bureau admin excludes a rating after the unit's appeal.

Cases are opened the real way: a citizen's bad rating through POST /api/v1/ratings.
"""
import datetime as dt
import html
import re

import pytest
from sqlalchemy import select

from browser_support import browser, console_login, screenshot, site  # noqa: F401
from console_helpers import app, sign_in  # noqa: F401  (app: the live one for the browser test)
from conftest import db_snapshot
from server.extensions import db
from server.models import AuditEntry, Case, Rating, utcnow
from test_cases import codes  # noqa: F401  (QR tokens of both units: codes["a"]["window"])

CASES = "/admin/cases"


def bad_rating(app, token, score=1, **extra):
    """A bad rating from a fresh H5 device; returns (case id, the device's client for a follow-up)."""
    device = app.test_client()
    response = device.post("/api/v1/ratings", json={"token": token, "score": score, **extra})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["case"]["id"], device


def text_of(response):
    return html.unescape(response.get_data(as_text=True))


def event(client, token, case_id, action, note="", **form):
    return client.post(f"{CASES}/{case_id}/events", data={"csrf_token": token, "action": action, "note": note, **form})


def exclusion(client, token, case_id, exclude, reason=""):
    return client.post(f"{CASES}/{case_id}/exclusion", data={"csrf_token": token, "exclude": exclude, "reason": reason})


def case_of(case_id):
    db.session.expire_all()
    return db.session.get(Case, case_id)


def set_deadlines(case_id, contact_days, resolve_days):
    """Move a case's deadlines ``*_days`` from now (negative: already missed)."""
    case = db.session.get(Case, case_id)
    now = utcnow()
    case.due_contact_at = now + dt.timedelta(days=contact_days)
    case.due_resolve_at = now + dt.timedelta(days=resolve_days)
    db.session.commit()


# --- the list ---

def test_the_list_shows_overdue_first_with_deadlines_and_reasons(app, client, world, codes):
    calm, _ = bad_rating(app, codes["a"]["badge"], 2, tags=["推诿"], comment="来回跑了三趟")
    late, _ = bad_rating(app, codes["a"]["window"], 1, comment="窗口没人")
    theirs, _ = bad_rating(app, codes["b"]["window"], 1)
    set_deadlines(late, -2, 5)
    sign_in(client, "admin_a", "admin-a-pass")
    page = client.get(CASES)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert [int(i) for i in re.findall(r'<tr id="case-(\d+)"', body)] == [late, calm]
    row = re.search(rf'<tr id="case-{late}".*?</tr>', body, re.S).group(0)
    assert 'class="overdue"' in row and "超过时限未联系群众" in row and "窗口没人" in row
    row = html.unescape(re.search(rf'<tr id="case-{calm}".*?</tr>', body, re.S).group(0))
    assert "工作人员 · <strong>甲站党员</strong>" in row and "不满意" in row and "推诿" in row and "待联系群众" in row
    case = db.session.get(Case, calm)
    shown = case.due_contact_at.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%m-%d %H:%M")
    assert shown in row
    assert re.search(r"已逾期</div><div class=\"value\">1<", body)
    assert client.get(CASES, query_string={"status": "overdue"}).get_data(as_text=True).count('<tr id="case-') == 1
    assert f'id="case-{calm}"' in client.get(CASES, query_string={"status": "open"}).get_data(as_text=True)
    assert theirs not in [int(i) for i in re.findall(r'<tr id="case-(\d+)"', body)]
    bad = client.get(CASES, query_string={"status": "lost"})
    assert bad.status_code == 422 and 'id="status-error"' in bad.get_data(as_text=True)


def test_the_bureau_sees_every_unit_and_filters_by_unit(app, client, world, codes):
    mine, _ = bad_rating(app, codes["a"]["window"], 1)
    theirs, _ = bad_rating(app, codes["b"]["window"], 2)
    sign_in(client, "bureau", "bureau-pass-1")
    body = client.get(CASES).get_data(as_text=True)
    assert f'id="case-{mine}"' in body and f'id="case-{theirs}"' in body and "全局（全部单位）" in body
    body = client.get(CASES, query_string={"unit_id": world.b.unit.id}).get_data(as_text=True)
    assert f'id="case-{theirs}"' in body and f'id="case-{mine}"' not in body


# --- one case ---

def test_a_case_page_shows_the_rating_deadlines_and_history(app, client, world, codes):
    case_id, _ = bad_rating(app, codes["a"]["badge"], 2, tags=["推诿", "态度差"], comment="来回跑了三趟",
                            contact="13800001111")
    sign_in(client, "admin_a", "admin-a-pass")
    page = client.get(f"{CASES}/{case_id}")
    assert page.status_code == 200
    body = text_of(page)
    for text in ("2 分", "不满意", "推诿", "态度差", "来回跑了三趟", "甲站党员", "联系群众时限", "整改答复时限",
                 "收到差评，生成工单", "暂无追评"):
        assert text in body, text
    # The unit's admins see the contact whole, as GET /api/v1/admin/cases/{id} gives it.
    assert re.search(r'id="rating-contact">13800001111<', body)
    api = client.get(f"/api/v1/admin/cases/{case_id}", headers=world.a_headers).get_json()
    assert api["rating"]["contact"] == "13800001111"
    # Contact left: the page offers contact (and appeal), not an answer before contacting.
    assert 'id="form-contact"' in body and 'id="form-resolve"' not in body and 'id="form-appeal"' in body
    assert 'name="no_contact"' not in body and 'id="form-exclusion"' not in body  # unit admin: no bureau form


def test_contact_then_resolve_with_notes_then_the_follow_up(app, client, world, codes):
    case_id, device = bad_rating(app, codes["a"]["window"], 1, comment="等了一个小时", contact="13800002222")
    token = sign_in(client, "admin_a", "admin-a-pass")
    response = event(client, token, case_id, "contact", "已电话联系，群众反映排队时间长")
    assert response.status_code == 302 and response.location == f"{CASES}/{case_id}"
    assert "已记录联系群众" in text_of(client.get(response.location))
    assert case_of(case_id).status == "contacted"
    response = event(client, token, case_id, "resolve", "已增设午间窗口，并向群众致歉")
    assert response.status_code == 302
    case = case_of(case_id)
    assert (case.status, case.answer) == ("resolved", "已增设午间窗口，并向群众致歉")
    rating_id = case.rating_id
    assert device.post(f"/api/v1/ratings/{rating_id}/follow-up",
                       json={"score": 4, "comment": "改进很快"}).status_code == 201
    body = text_of(client.get(f"{CASES}/{case_id}"))
    history = body[body.index('id="case-history"'):]
    assert history.index("联系群众") < history.index("已电话联系，群众反映排队时间长") < history.index("整改答复")
    assert "已增设午间窗口，并向群众致歉" in history and "admin_a" in history and "群众追评" in history
    assert re.search(r'id="follow-up">.*4 分.*满意', body, re.S) and "改进很快" in body
    assert "按时答复" in body and 'id="form-reopen"' in body
    # Reopen with a reason takes it back to work.
    assert event(client, token, case_id, "reopen", "群众追评仍有意见，继续整改").status_code == 302
    assert case_of(case_id).status == "contacted"


@pytest.mark.parametrize("action,message", [
    ("contact", "请填写处理说明"), ("resolve", "请填写答复群众的内容"), ("appeal", "请填写处理说明"),
])
def test_a_missing_note_is_shown_beside_the_field_and_saves_nothing(app, client, world, codes, action, message):
    case_id, _ = bad_rating(app, codes["a"]["window"], 1)  # no contact left: resolve is offered at once
    token = sign_in(client, "admin_a", "admin-a-pass")
    before = db_snapshot()
    response = event(client, token, case_id, action, "   ")
    assert response.status_code == 422
    assert db_snapshot() == before
    assert re.search(rf'id="{action}-note-error" role="alert">{message}<', text_of(response))
    assert 'aria-invalid="true"' in response.get_data(as_text=True)


def test_refused_transitions_and_bad_actions_save_nothing(app, client, world, codes):
    case_id, _ = bad_rating(app, codes["a"]["window"], 1, contact="13800003333")
    token = sign_in(client, "admin_a", "admin-a-pass")
    before = db_snapshot()
    response = event(client, token, case_id, "resolve", "已整改")
    assert response.status_code == 409 and "群众留有联系方式，请先联系群众再答复" in text_of(response)
    response = event(client, token, case_id, "reopen", "再看看")
    assert response.status_code == 409 and "只有已答复的工单可以重新打开" in text_of(response)
    response = event(client, token, case_id, "contact", "", no_contact="1")
    assert response.status_code == 409 and "群众留有联系方式，请联系群众后记录联系情况" in text_of(response)
    response = event(client, token, case_id, "delete", "x")
    assert response.status_code == 422 and "取值应为以下之一" in text_of(response)
    response = event(client, token, case_id, "contact", "x" * 501)
    assert response.status_code == 422 and "长度不能超过 500" in text_of(response)
    assert db_snapshot() == before


def test_no_contact_left_is_recorded_without_a_note(app, client, world, codes):
    case_id, _ = bad_rating(app, codes["a"]["window"], 1)
    token = sign_in(client, "admin_a", "admin-a-pass")
    assert 'name="no_contact"' in client.get(f"{CASES}/{case_id}").get_data(as_text=True)
    assert event(client, token, case_id, "contact", "", no_contact="1").status_code == 302
    assert case_of(case_id).status == "contacted"
    assert "群众未留联系方式" in text_of(client.get(f"{CASES}/{case_id}"))


# --- appeal (the unit) and exclusion (the bureau) ---

def test_the_unit_appeals_and_the_bureau_decides(app, client, world, codes):
    case_id, _ = bad_rating(app, codes["a"]["window"], 1, comment="乱写的")
    token = sign_in(client, "admin_a", "admin-a-pass")
    assert event(client, token, case_id, "appeal", "同一设备一分钟内连续差评，疑似恶意").status_code == 302
    assert "申诉待局管理员处理" in text_of(client.get(f"{CASES}/{case_id}"))
    # A unit admin cannot decide: the bureau-only action is a 403 page, and saves nothing.
    before = db_snapshot()
    response = exclusion(client, token, case_id, "true", "自己批准")
    assert response.status_code == 403 and "仅局管理员可以进行此操作" in text_of(response)
    assert db_snapshot() == before

    bureau = app.test_client()
    token = sign_in(bureau, "bureau", "bureau-pass-1")
    body = text_of(bureau.get(f"{CASES}/{case_id}"))
    assert 'id="form-exclusion"' in body and "计入统计（驳回申诉）" in body
    before = db_snapshot()
    response = exclusion(bureau, token, case_id, "true", "  ")
    assert response.status_code == 422 and db_snapshot() == before
    assert re.search(r'id="exclusion-reason-error" role="alert">[^<]+<', text_of(response))
    response = exclusion(bureau, token, case_id, "true", "核实为恶意差评")
    assert response.status_code == 302
    rating = db.session.get(Rating, case_of(case_id).rating_id)
    assert rating.excluded_at is not None and rating.excluded_reason == "核实为恶意差评"
    body = text_of(bureau.get(f"{CASES}/{case_id}"))
    assert "申诉成立，不计入统计" in body and "恢复计入统计" in body
    history = body[body.index('id="case-history"'):]
    assert history.index("单位申诉") < history.index("不计入统计") and "核实为恶意差评" in history
    # Excluding twice is refused by the service (409), nothing saved.
    before = db_snapshot()
    response = exclusion(bureau, token, case_id, "true", "再来一次")
    assert response.status_code == 409 and "该评价已不计入统计" in text_of(response)
    assert db_snapshot() == before


# --- CSRF and the unit wall ---

def test_forms_without_the_csrf_token_save_nothing(app, client, world, codes):
    case_id, _ = bad_rating(app, codes["a"]["window"], 1)
    sign_in(client, "bureau", "bureau-pass-1")
    before = db_snapshot()
    for url, form in ((f"{CASES}/{case_id}/events", {"action": "contact", "note": "已联系"}),
                      (f"{CASES}/{case_id}/exclusion", {"exclude": "true", "reason": "恶意"})):
        response = client.post(url, data=form)
        assert response.status_code == 400 and "页面已过期或表单来源无效" in text_of(response)
    assert db_snapshot() == before


def test_another_units_case_is_a_404_page_and_cannot_be_changed(app, client, world, codes):
    theirs, _ = bad_rating(app, codes["b"]["window"], 1, comment="乙站的差评")
    token = sign_in(client, "admin_a", "admin-a-pass")
    page = client.get(f"{CASES}/{theirs}")
    assert page.status_code == 404 and "请求的内容不存在" in text_of(page) and "乙站的差评" not in text_of(page)
    assert client.get(f"{CASES}/999999").status_code == 404
    before = db_snapshot()
    for action in ("contact", "resolve", "appeal"):
        assert event(client, token, theirs, action, "试图处理").status_code == 404
    # The wall comes before the bureau check, as in the API: another unit's case is not found.
    assert exclusion(client, token, theirs, "true", "恶意").status_code == 404
    assert db_snapshot() == before
    assert not db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("case.%"),
                                                           AuditEntry.actor_type == "admin")).all()


# --- in Chromium ---

def test_in_chromium_a_unit_admin_answers_a_case_and_the_bureau_excludes_one(app, browser, site, world, codes):
    answered, _ = bad_rating(app, codes["a"]["badge"], 2, tags=["态度差"], comment="说话很冲", contact="13800004444")
    appealed, _ = bad_rating(app, codes["a"]["window"], 1, comment="随便打的")
    page = console_login(browser, site, "admin_a", "admin-a-pass")
    page.goto("/admin/cases")
    screenshot(page, "console-cases.png")
    with page.expect_navigation():
        page.click(f"#case-{answered} a.button")
    page.fill("#contact-note", "已电话联系群众，当面致歉")
    with page.expect_navigation():
        page.click("#form-contact button[type=submit]")
    assert page.locator("#case-status").inner_text() == "已联系，整改中"
    # An empty answer is refused beside the field; then the answer goes through.
    with page.expect_navigation():
        page.click("#form-resolve button[type=submit]")
    assert page.locator("#resolve-note-error").inner_text() == "请填写答复群众的内容"
    page.fill("#resolve-note", "已对当事人批评教育，并加强窗口服务用语培训")
    with page.expect_navigation():
        page.click("#form-resolve button[type=submit]")
    assert page.locator("#case-status").inner_text() == "已答复"
    history = page.locator("#case-history").inner_text()
    assert "已电话联系群众，当面致歉" in history and "已对当事人批评教育" in history
    screenshot(page, "console-case-detail.png")
    # The unit appeals the other one.
    page.goto(f"/admin/cases/{appealed}")
    page.fill("#appeal-note", "同一时段连续差评，疑似恶意")
    with page.expect_navigation():
        page.click("#form-appeal button[type=submit]")
    page.context.close()

    page = console_login(browser, site, "bureau", "bureau-pass-1")
    page.goto(f"/admin/cases/{appealed}")
    page.fill("#exclusion-reason", "经核实为恶意差评，不计入统计")
    with page.expect_navigation():
        page.click("#form-exclusion button[value=true]")
    assert "该评价已不计入统计" in page.locator(".flash").inner_text()
    assert "经核实为恶意差评" in page.locator("#case-history").inner_text()
    page.context.close()

    db.session.rollback()
    assert case_of(answered).status == "resolved"
    assert db.session.get(Rating, case_of(appealed).rating_id).excluded_at is not None
