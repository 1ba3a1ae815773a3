"""Console QR codes, exports and the audit log: issue / revoke / reissue as the API does them, the
same image bytes, a unit's print file and the hours, platform and ratings files made as
background jobs (the same files the API sends), the unit wall and job ownership as 404 pages,
bad input beside its field with nothing saved, and a read-only, walled audit log."""
import csv
import io
import json
import pathlib
import re
import time
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from browser_support import browser, console_login, screenshot, site  # noqa: F401
from console_helpers import app, assert_error_beside, assert_error_page, sign_in  # noqa: F401
from conftest import db_snapshot
from hours_data import add_shift, local
from qr_decode import decode_png
from server import export_jobs
from server.extensions import db
from server.models import AuditEntry, QrCode
from server.qr.export import unit_sign_jobs
from server.qr.services import code_url, issue_code
from server.ratings.services import Rater, submit_rating

NONEXISTENT = 99999999
LOGINS = {"a": ("admin_a", "admin-a-pass"), "b": ("admin_b", "admin-b-pass"), "bureau": ("bureau", "bureau-pass-1")}


@pytest.fixture(autouse=True)
def job_folder(app, tmp_path):
    """Each test's background files in a folder of its own."""
    app.config["EXPORT_JOB_DIR"] = str(tmp_path / "exports")


def signed_in(app, who):
    client = app.test_client()
    client.token = sign_in(client, *LOGINS[who])
    return client


@pytest.fixture
def a_client(app, world):
    return signed_in(app, "a")


def post(client, url, data, token=True):
    return client.post(url, data={**data, **({"csrf_token": client.token} if token else {})})


def job_of(response):
    """The job a form started (it redirects to the job's page)."""
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    job_id = response.location.rsplit("/", 1)[1]
    assert response.location == f"/admin/exports/jobs/{job_id}"
    return job_id


def finished(client, job_id, timeout=30):
    """The job's state once it has finished (on SQLite in memory jobs run inline; on PostgreSQL in a thread)."""
    deadline = time.monotonic() + timeout
    while True:
        state = client.get(f"/admin/exports/jobs/{job_id}/state").get_json()
        if state["status"] != "running" or time.monotonic() > deadline:
            return state
        time.sleep(0.05)


def download(client, job_id):
    finished(client, job_id)
    page = client.get(f"/admin/exports/jobs/{job_id}")
    assert page.status_code == 200
    assert f'href="/admin/exports/jobs/{job_id}/download"' in page.get_data(as_text=True)
    state = client.get(f"/admin/exports/jobs/{job_id}/state").get_json()
    assert (state["status"], state["percent"]) == ("done", 100) and state["done"] == state["total"]
    response = client.get(f"/admin/exports/jobs/{job_id}/download")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    return response


def current_code(kind, target_id):
    db.session.expire_all()
    column = {"badge": QrCode.member_id, "window": QrCode.window_id, "post": QrCode.post_id}[kind]
    return db.session.scalar(select(QrCode).where(QrCode.kind == kind, column == target_id, QrCode.revoked_at.is_(None)))


# --- issue, revoke, reissue ---

def test_issue_revoke_and_reissue(a_client, client, world):
    window = world.a.window
    response = post(a_client, "/admin/codes/issue", {"target": f"window:{window.id}"})
    code = current_code("window", window.id)
    assert code is not None and response.location == f"/admin/codes/{code.id}"
    detail = a_client.get(response.location).get_data(as_text=True)
    assert code_url(code.token) in detail and "甲站窗口" in detail
    # Issuing again keeps the code in force.
    post(a_client, "/admin/codes/issue", {"target": f"window:{window.id}"})
    assert current_code("window", window.id).id == code.id

    confirm = a_client.get(f"/admin/codes/{code.id}/revoke")
    assert confirm.status_code == 200 and "无法再扫码" in confirm.get_data(as_text=True)
    assert current_code("window", window.id) is not None  # the confirmation page changed nothing
    response = post(a_client, f"/admin/codes/{code.id}/revoke", {"reason": "窗口撤并"})
    assert response.status_code == 302
    db.session.expire_all()
    revoked = db.session.get(QrCode, code.id)
    assert revoked.revoked_at is not None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "qr.revoke", AuditEntry.entity_id == code.id))
    assert entry.reason == "窗口撤并"
    assert client.get(f"/api/v1/scan/{code.token}").status_code == 410
    assert "已作废" in a_client.get(f"/admin/codes/{code.id}").get_data(as_text=True)

    badge = issue_code("badge", world.a.member)
    db.session.commit()
    response = post(a_client, f"/admin/codes/{badge.id}/reissue", {})
    new = current_code("badge", world.a.member.id)
    assert new.id != badge.id and new.token != badge.token
    assert response.location == f"/admin/codes/{new.id}"
    assert db.session.get(QrCode, badge.id).revoked_at is not None


def test_issue_from_a_detail_page_goes_back_there(a_client, world):
    detail = f"/admin/posts/{world.a.post.id}"
    assert "生成二维码" in a_client.get(detail).get_data(as_text=True)
    response = post(a_client, "/admin/codes/issue", {"target": f"post:{world.a.post.id}", "next": detail})
    assert response.location == detail
    code = current_code("post", world.a.post.id)
    assert f"/admin/codes/{code.id}/image.png" in a_client.get(detail).get_data(as_text=True)
    # Never off-site.
    response = post(a_client, "/admin/codes/issue", {"target": f"post:{world.a.post.id}", "next": "//evil.example/"})
    assert response.location == "/admin/dashboard"


@pytest.mark.parametrize("target,fragment", [
    ("", "取值应为"), ("castle:1", "取值应为"), ("window:abc", "整数"), ("window:{b_window}", "找不到"),
    (f"window:{NONEXISTENT}", "找不到"), ("badge:{b_member}", "找不到"),
])
def test_bad_issue_is_shown_beside_the_target_and_saves_nothing(a_client, world, target, fragment):
    before = db_snapshot()
    response = post(a_client, "/admin/codes/issue",
                    {"target": target.format(b_window=world.b.window.id, b_member=world.b.member.id)})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="target-error"' in body and fragment in body.split('id="target-error"')[1][:200]
    assert db_snapshot() == before


def test_images_are_the_api_images(a_client, client, world):
    code = issue_code("badge", world.a.member)
    db.session.commit()
    api = f"/api/v1/admin/qrcodes/{code.id}"
    for console, layout in ((f"/admin/codes/{code.id}/sign.png?layout=desk", "desk"),
                            (f"/admin/codes/{code.id}/sign.png?layout=badge", "badge")):
        mine = a_client.get(console)
        assert mine.status_code == 200 and mine.mimetype == "image/png"
        assert mine.data == client.get(f"{api}/sign.png?layout={layout}", headers=world.a_headers).data
    image = a_client.get(f"/admin/codes/{code.id}/image.png")
    assert image.data == client.get(f"{api}/image.png", headers=world.a_headers).data
    assert decode_png(image.data) == [code_url(code.token)]
    download = a_client.get(f"/admin/codes/{code.id}/sign.png?layout=desk&download=1")
    assert "attachment" in download.headers["Content-Disposition"]
    print_page = a_client.get(f"/admin/codes/{code.id}/print").get_data(as_text=True)
    assert f"/admin/codes/{code.id}/sign.png?layout=badge" in print_page
    # A window has no badge card; a revoked code has no image.
    window = issue_code("window", world.a.window)
    db.session.commit()
    assert_error_page(a_client.get(f"/admin/codes/{window.id}/sign.png?layout=badge"), 422)
    assert_error_page(a_client.get(f"/admin/codes/{code.id}/sign.png?layout=poster"), 422)
    post(a_client, f"/admin/codes/{window.id}/revoke", {})
    assert_error_page(a_client.get(f"/admin/codes/{window.id}/image.png"), 410)


def test_codes_list_filters(a_client, world):
    badge = issue_code("badge", world.a.member)
    window = issue_code("window", world.a.window)
    other = issue_code("window", world.b.window)
    db.session.commit()
    post(a_client, f"/admin/codes/{window.id}/revoke", {})

    def rows(**query):
        page = a_client.get("/admin/codes", query_string=query).get_data(as_text=True)
        return {int(code_id) for code_id in re.findall(r'<tr id="code-(\d+)"', page)}

    assert rows() == {badge.id}
    assert rows(state="all") == {badge.id, window.id}
    assert rows(state="revoked") == {window.id}
    assert rows(state="all", kind="window") == {window.id}
    assert other.id not in rows(state="all", unit_id=world.b.unit.id)
    bad = a_client.get("/admin/codes", query_string={"state": "lost"})
    assert bad.status_code == 422 and 'id="state-error"' in bad.get_data(as_text=True)


def test_another_units_code_is_a_404_page(a_client, world):
    code = issue_code("badge", world.b.member)
    db.session.commit()
    before = db_snapshot()
    for path in ("", "/image.png", "/sign.png", "/print", "/revoke", "/reissue"):
        other = a_client.get(f"/admin/codes/{code.id}{path}")
        missing = a_client.get(f"/admin/codes/{NONEXISTENT}{path}")
        assert assert_error_page(other, 404) == assert_error_page(missing, 404)
    for path in ("/revoke", "/reissue"):
        assert_error_page(post(a_client, f"/admin/codes/{code.id}{path}", {"reason": "x"}), 404)
    assert db_snapshot() == before


def test_code_forms_need_the_csrf_token(a_client, world):
    code = issue_code("badge", world.a.member)
    db.session.commit()
    before = db_snapshot()
    for url, form in ((f"/admin/codes/{code.id}/revoke", {}), (f"/admin/codes/{code.id}/reissue", {}),
                      ("/admin/codes/issue", {"target": f"window:{world.a.window.id}"}),
                      ("/admin/codes/export", {"format": "zip"})):
        assert_error_page(post(a_client, url, form, token=False), 400)
    assert db_snapshot() == before


def test_revoke_reason_too_long_is_beside_the_field(a_client, world):
    code = issue_code("badge", world.a.member)
    db.session.commit()
    before = db_snapshot()
    response = post(a_client, f"/admin/codes/{code.id}/revoke", {"reason": "长" * 501})
    assert_error_beside(response, 422, "reason", "500")
    assert db_snapshot() == before


# --- a unit's print file ---

def test_sign_sheet_zip_and_pdf(a_client, world):
    issue_code("badge", world.a.member)
    issue_code("window", world.a.window)
    issue_code("post", world.b.post)
    db.session.commit()
    assert "导出整单位打印文件" in a_client.get("/admin/codes").get_data(as_text=True)
    zipped = download(a_client, job_of(post(a_client, "/admin/codes/export", {"format": "zip"})))
    assert zipped.mimetype == "application/zip"
    assert f"signs-unit-{world.a.unit.id}.zip" in zipped.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(zipped.data)) as archive:
        assert sorted(archive.namelist()) == sorted(name for name, _, _ in unit_sign_jobs(world.a.unit.id))
        assert len(archive.namelist()) == 3  # badge card + desk sign, window desk sign
    pdf = download(a_client, job_of(post(a_client, "/admin/codes/export", {"format": "pdf"})))
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    jobs = a_client.get("/admin/exports").get_data(as_text=True)
    assert jobs.count("/download\">下载</a>") == 2


def test_sign_sheet_bad_input(client, world):
    a = signed_in(client.application, "a")
    issue_code("badge", world.a.member)
    db.session.commit()
    before = db_snapshot()
    # Another unit (forged): refused like the API's export.
    response = post(a, "/admin/codes/export", {"unit_id": str(world.b.unit.id), "format": "zip"})
    assert response.status_code == 422 and "单位不存在" in response.get_data(as_text=True)
    response = post(a, "/admin/codes/export", {"format": "tiff"})
    assert response.status_code == 422 and 'id="format-error"' in response.get_data(as_text=True)
    bureau = signed_in(client.application, "bureau")
    assert_error_beside(post(bureau, "/admin/codes/export", {"format": "zip"}), 422, "unit_id")
    assert_error_beside(post(bureau, "/admin/codes/export", {"unit_id": str(world.b.unit.id), "format": "zip"}),
                        422, "unit_id", "还没有在用的二维码")
    assert db_snapshot() == before
    assert export_jobs_of(client.application) == []


def export_jobs_of(app):
    folder = pathlib.Path(app.config["EXPORT_JOB_DIR"])
    return sorted(folder.glob("*.json")) if folder.exists() else []


# --- hours, platform and ratings files ---

@pytest.fixture
def hours(world):
    add_shift(world.a.member, world.a.post, local(2026, 9, 1, 9), 240, reviewer="李审核")
    add_shift(world.a.member, world.a.post, local(2026, 9, 2, 14), 300, credited=180)
    add_shift(world.a.member, world.a.post, local(2026, 9, 3, 9), 120, status="pending")
    add_shift(world.b.member, world.b.post, local(2026, 9, 5, 9), 120)
    db.session.commit()
    return world


def sheet_rows(data, sheet):
    values = list(load_workbook(io.BytesIO(data))[sheet].values)
    return [dict(zip(values[0], row)) for row in values[1:]]


def test_hours_workbook_is_the_api_workbook(client, hours):
    a = signed_in(client.application, "a")
    job = job_of(post(a, "/admin/exports", {"kind": "hours_xlsx", "from": "2026-09-01", "to": "2026-09-30"}))
    mine = download(a, job)
    assert "hours-unit-1-2026-09-01-2026-09-30.xlsx" in mine.headers["Content-Disposition"]
    api = client.get("/api/v1/admin/hours/export.xlsx", query_string={"from": "2026-09-01", "to": "2026-09-30"},
                     headers=hours.a_headers)
    for sheet in ("汇总", "明细"):
        assert sheet_rows(mine.data, sheet) == sheet_rows(api.data, sheet)
    summary = sheet_rows(mine.data, "汇总")
    assert [(r["姓名"], r["核定时长（小时）"]) for r in summary] == [("甲站党员", 7)]  # 240 + 180 minutes; B's left out


def test_platform_csv_and_bureau_scope(client, hours):
    bureau = signed_in(client.application, "bureau")
    mine = download(bureau, job_of(post(bureau, "/admin/exports", {"kind": "hours_csv", "unit_id": str(hours.b.unit.id)})))
    api = client.get("/api/v1/admin/hours/export.csv", query_string={"unit_id": hours.b.unit.id},
                     headers=hours.bureau_headers)
    assert mine.data == api.data and mine.mimetype == "text/csv"
    body = list(csv.reader(io.StringIO(mine.data.decode("utf-8-sig"))))
    assert body[1] == ["乙站党员", "", "", "2026-09-05", "2.00", "乙站志愿岗", "乙站"]
    every = download(bureau, job_of(post(bureau, "/admin/exports", {"kind": "hours_csv"})))
    assert len(list(csv.reader(io.StringIO(every.data.decode("utf-8-sig"))))) == 4


def test_ratings_workbook_is_the_api_workbook(client, world):
    for side, score in ((world.a, 5), (world.a, 1), (world.b, 2)):
        token = issue_code("window", side.window).token
        submit_rating(Rater(f"dev:{side.unit.id}-{score}"), token, score)
    db.session.commit()
    a = signed_in(client.application, "a")
    mine = download(a, job_of(post(a, "/admin/exports", {"kind": "ratings_xlsx", "score": "1"})))
    api = client.get("/api/v1/admin/ratings/export.xlsx", query_string={"score": 1}, headers=world.a_headers)
    assert sheet_rows(mine.data, "评价明细") == sheet_rows(api.data, "评价明细")
    rows = sheet_rows(mine.data, "评价明细")
    assert [(r["单位"], r["评价对象"], r["评分"], r["满意程度"], r["计入统计"]) for r in rows] == [
        ("甲站", "甲站窗口", 1, "非常不满意", "是")]
    assert rows[0]["工单状态"] == "待联系群众"


@pytest.mark.parametrize("who,form,field,fragment", [
    ("bureau", {"kind": "hours_xlsx", "from": "2026-10-01", "to": "2026-09-01"}, "to", "不能早于"),
    ("bureau", {"kind": "hours_csv", "from": "yesterday"}, "from", "日期"),
    ("bureau", {"kind": "ratings_xlsx", "score": "9"}, "score", "5"),
    ("bureau", {"kind": "ratings_xlsx", "from": "2026-10-01", "to": "2026-09-01"}, "to", "不能早于"),
    ("bureau", {"kind": "hours_xlsx", "unit_id": str(NONEXISTENT)}, "unit_id", "单位不存在"),
])
def test_bad_export_forms_are_422_beside_the_field(client, hours, who, form, field, fragment):
    admin = signed_in(client.application, who)
    response = post(admin, "/admin/exports", form)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    section = body.split(f'id="export-{form["kind"]}"')[1].split("</section>")[0]
    error = section.split(f'id="{field}-error" role="alert">')[1].split("</span>")[0]
    assert fragment in error
    assert export_jobs_of(client.application) == []


def test_unit_admin_naming_another_unit_is_refused(client, hours):
    a = signed_in(client.application, "a")
    for kind in ("hours_xlsx", "hours_csv", "ratings_xlsx"):
        response = post(a, "/admin/exports", {"kind": kind, "unit_id": str(hours.b.unit.id)})
        assert response.status_code == 422 and "单位不存在" in response.get_data(as_text=True)
    assert export_jobs_of(client.application) == []
    assert_error_page(post(a, "/admin/exports", {"kind": "everything"}), 422)


def test_a_job_is_only_its_admins(client, hours):
    a = signed_in(client.application, "a")
    job = job_of(post(a, "/admin/exports", {"kind": "hours_xlsx"}))
    for who in ("b", "bureau"):
        other = signed_in(client.application, who)
        for path in ("", "/state", "/download"):
            assert_error_page(other.get(f"/admin/exports/jobs/{job}{path}"), 404)
        assert f"/admin/exports/jobs/{job}" not in other.get("/admin/exports").get_data(as_text=True)
    assert_error_page(a.get("/admin/exports/jobs/not-a-job/state"), 404)
    assert_error_page(a.get("/admin/exports/jobs/" + "A" * 22), 404)
    finished(a, job)
    assert a.get(f"/admin/exports/jobs/{job}/download").status_code == 200


def test_export_forms_need_the_csrf_token(client, hours):
    a = signed_in(client.application, "a")
    assert_error_page(post(a, "/admin/exports", {"kind": "hours_xlsx"}, token=False), 400)
    assert export_jobs_of(client.application) == []


def test_a_failed_or_running_job_has_no_download(app, client, hours, monkeypatch):
    a = signed_in(app, "a")

    def broken(out, progress=None, **filters):
        raise RuntimeError("disk full")

    from server.console import exports

    monkeypatch.setitem(exports.EXPORTS, "hours_xlsx", exports.EXPORTS["hours_xlsx"].__class__(
        **{**exports.EXPORTS["hours_xlsx"].__dict__, "write": broken}))
    job = job_of(post(a, "/admin/exports", {"kind": "hours_xlsx"}))
    assert finished(a, job)["status"] == "failed"
    page = a.get(f"/admin/exports/jobs/{job}").get_data(as_text=True)
    assert "生成失败" in page and "生成文件时出错" in page and "/download" not in page
    assert_error_page(a.get(f"/admin/exports/jobs/{job}/download"), 404)


def test_progress_is_reported_while_writing(app, hours):
    from server.hours import export

    seen = []
    export.write_workbook(io.BytesIO(), progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (3, 3)
    seen.clear()
    from flask import g

    from server.auth.identity import Identity
    from server.ratings import export as ratings_export

    with app.test_request_context():
        g.identity = Identity(admin=hours.bureau)
        ratings_export.write_workbook(io.BytesIO(), progress=lambda done, total: seen.append((done, total)),
                                      unit_id=None, window_id=None, member_id=None, score=None, from_=None, to=None)
    assert seen[-1] == (0, 0)


def test_too_many_running_jobs_are_refused(app, client, hours, monkeypatch):
    a = signed_in(app, "a")
    job = job_of(post(a, "/admin/exports", {"kind": "hours_xlsx"}))
    finished(a, job)
    # Pretend the most an admin may run are still running.
    folder = pathlib.Path(app.config["EXPORT_JOB_DIR"])
    state = json.loads((folder / f"{job}.json").read_text())
    for n in range(export_jobs.MAX_RUNNING_PER_ADMIN):
        (folder / f"{'R' * 21}{n}.json").write_text(json.dumps(
            {**state, "id": f"{'R' * 21}{n}", "status": "running", "updated_at": time.time()}))
    response = post(a, "/admin/exports", {"kind": "hours_xlsx"})
    assert response.status_code == 429 and "正在生成" in response.get_data(as_text=True)


# --- the audit log ---

def test_audit_log_is_walled_filtered_and_read_only(app, client, world):
    a = signed_in(app, "a")
    post(a, f"/admin/members/{world.a.member.id}/edit", {"name": "甲站党员", "post_title": "站长"})
    b = signed_in(app, "b")
    post(b, f"/admin/windows/{world.b.window.id}/edit", {"name": "乙站新窗口"})
    page = a.get("/admin/audit").get_data(as_text=True)
    assert "修改党员/志愿者" in page and "岗位/职务：先锋岗 → 站长" in page and "admin_a" in page
    assert "乙站新窗口" not in page and "admin_b" not in page
    # Naming B's unit shows nothing of it.
    assert "乙站新窗口" not in a.get("/admin/audit", query_string={"unit_id": world.b.unit.id}).get_data(as_text=True)
    bureau = signed_in(app, "bureau")
    every = bureau.get("/admin/audit").get_data(as_text=True)
    assert "乙站新窗口" in every and "站长" in every
    only_b = bureau.get("/admin/audit", query_string={"unit_id": world.b.unit.id}).get_data(as_text=True)
    assert "乙站新窗口" in only_b and "→ 站长" not in only_b
    assert "→ 站长" not in bureau.get("/admin/audit", query_string={"actor": "admin_b"}).get_data(as_text=True)
    assert "→ 站长" in bureau.get("/admin/audit", query_string={"action": "member.update"}).get_data(as_text=True)
    assert "→ 站长" not in bureau.get("/admin/audit", query_string={"entity_type": "window"}).get_data(as_text=True)
    assert "→ 站长" not in bureau.get("/admin/audit", query_string={"to": "2000-01-01"}).get_data(as_text=True)
    bad = bureau.get("/admin/audit", query_string={"from": "2026-10-02", "to": "2026-10-01"})
    assert bad.status_code == 422 and "不能早于" in bad.get_data(as_text=True).split('id="to-error"')[1][:200]
    assert bureau.get("/admin/audit", query_string={"page": "0"}).status_code == 422
    # Read-only: GET only, and a POST is refused.
    methods = {m for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin/audit") for m in rule.methods}
    assert methods <= {"GET", "HEAD", "OPTIONS"}
    assert bureau.post("/admin/audit", data={"csrf_token": bureau.token}).status_code == 405


# --- in Chromium ---

def test_in_chromium_codes_and_exports(browser, site, hours, tmp_path, monkeypatch):  # noqa: F811
    from server.qr import export

    world = hours
    issue_code("badge", world.a.member)
    issue_code("post", world.a.post)
    db.session.commit()
    page = console_login(browser, site, "admin_a", "admin-a-pass")

    # Issue the window's code, then revoke it after confirming.
    page.goto("/admin/codes")
    page.select_option("#f-target", f"window:{world.a.window.id}")
    with page.expect_navigation():
        page.locator("form[action$='/codes/issue'] button").click()
    assert "已生成二维码" in page.locator(".flash").inner_text()
    assert page.locator("img.code-qr").evaluate("img => img.complete && img.naturalWidth > 0")
    with page.expect_navigation():
        page.click("a.button.danger")
    page.fill("#f-reason", "窗口撤并")
    with page.expect_navigation():
        page.click("#confirm")
    assert "二维码已作废" in page.locator(".flash").inner_text()
    assert page.locator("#code-state").inner_text() == "已作废"

    # Download the hours workbook.
    page.goto("/admin/exports")
    section = page.locator("#export-hours_xlsx")
    section.locator("input[name=from]").fill("2026-09-01")
    section.locator("input[name=to]").fill("2026-09-30")
    with page.expect_navigation():
        section.locator("button[type=submit]").click()
    page.wait_for_selector("#job-download")
    with page.expect_download() as info:
        page.click("#job-download")
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.name == "hours-unit-1-2026-09-01-2026-09-30.xlsx"
    summary = list(load_workbook(saved)["汇总"].values)
    assert summary[1][0] == "甲站党员" and summary[1][4] == 7  # 240 + 180 credited minutes

    # The unit's sign sheet: progress shows while the signs render (slowed down here so the
    # page polls a few times), then the download.
    render = export._render

    def slow_render(job):
        time.sleep(0.35)
        return render(job)

    monkeypatch.setattr(export, "_render", slow_render)
    page.goto("/admin/codes/export")
    page.check("input[name=format][value=pdf]")
    with page.expect_navigation():
        page.click("#start-export")
    assert page.locator("#job-status").inner_text() == "正在生成…"
    page.wait_for_function(
        "() => { const n = +document.getElementById('job-progress').getAttribute('aria-valuenow');"
        " return n > 0 && n < 100; }", timeout=10000)
    assert re.fullmatch(r"已完成 [12] / 3", page.locator("#job-count").inner_text())
    screenshot(page, "console-sign-sheet-progress.png")
    page.wait_for_selector("#job-download", timeout=15000)
    assert page.locator("#job-progress").get_attribute("aria-valuenow") == "100"
    with page.expect_download() as info:
        page.click("#job-download")
    assert info.value.suggested_filename == f"signs-unit-{world.a.unit.id}.pdf"
    pdf = tmp_path / "signs.pdf"
    info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")

    # Another unit's code, typed in: a 404 page.
    db.session.rollback()
    other = issue_code("badge", world.b.member)
    db.session.commit()
    for path in (f"/admin/codes/{other.id}", f"/admin/codes/{other.id}/revoke"):
        assert page.goto(path).status == 404
    page.context.close()
    db.session.rollback()
    assert current_code("window", world.a.window.id) is None
