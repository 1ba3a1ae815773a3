"""The hours record (PRODUCT.md "Star volunteers and the hours record", "Hours are evidence"):
the PDF lists approved shifts with the national fields and credited minutes, its QR decodes
to /verify/{token}, the verify page shows the totals at issue and whether the record still
stands, and only the member themself or an admin of their unit can fetch it."""
import subprocess
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from conftest import assert_error, db_snapshot
from hours_data import add_shift, local
from qr_decode import decode_pdf, require_tools
from server.extensions import db
from server.models import AuditEntry, HoursRecord, Member
from server.hours.records import issue_record
from server.qr.fonts import FontMissingError

BASE = "https://rs.example.cn"


def record_url(member):
    return f"/api/v1/members/{member.id}/record.pdf"


def pdf_text(pdf, page=None):
    """The PDF's text (pdftotext), whitespace removed so wrapped lines compare as one."""
    require_tools()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "record.pdf"
        source.write_bytes(pdf)
        pages = ["-f", str(page), "-l", str(page)] if page else []
        result = subprocess.run(["pdftotext", *pages, str(source), "-"], capture_output=True, check=True, timeout=60)
    return "".join(result.stdout.decode("utf-8").split())


def page_count(pdf):
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "record.pdf"
        source.write_bytes(pdf)
        info = subprocess.run(["pdfinfo", str(source)], capture_output=True, check=True, timeout=60).stdout.decode()
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def issued(member, issued_by=None):
    """A record issued as the PDF download issues it, without drawing the PDF (the slow part)."""
    record, _entries = issue_record(member, issued_by)
    db.session.commit()
    return record


def records_of(member):
    db.session.expire_all()
    return db.session.scalars(select(HoursRecord).where(HoursRecord.member_id == member.id).order_by(HoursRecord.id)).all()


@pytest.fixture
def hours(world):
    """Unit A's bound member with two approved shifts (one adjusted down), a pending and a rejected one;
    unit B's member with one approved shift."""
    a, b = world.a, world.b
    add_shift(a.member, a.post, local(2026, 9, 1, 9), 240, reviewer="李审核")
    add_shift(a.member, a.post, local(2026, 9, 2, 14), 300, credited=180, reviewer="王站长")
    add_shift(a.member, a.post, local(2026, 9, 3, 9), 120, status="pending")
    add_shift(a.member, a.post, local(2026, 9, 4, 9), 200, status="rejected")
    add_shift(b.member, b.post, local(2026, 9, 5, 9), 120)
    db.session.commit()
    return world


def test_member_downloads_own_record(client, hours):
    member = hours.a.member
    response = client.get(record_url(member), headers=hours.member_headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    [record] = records_of(member)
    # Credited minutes count: 240 + 180 (adjusted from 300); pending and rejected do not.
    assert (record.approved_minutes, record.shift_count, record.star_level) == (420, 2, 0)
    assert record.issued_by_id is None and record.revoked_at is None
    assert len(record.token) >= 22  # 128 random bits, URL-safe
    assert response.headers["Cache-Control"] == "no-store"
    # The QR holds exactly the verification URL, and zbarimg reads it off the rendered page.
    assert decode_pdf(response.data) == [[f"{BASE}/verify/{record.token}"]]

    text = pdf_text(response.data)
    for expected in ("志愿服务时长记录", member.name, "甲站", "共产党员", "甲站志愿岗", "甲站地址", "引导",
                     "2026-09-01", "09:00–13:00", "240分钟", "4小时", "2026-09-02", "14:00–19:00", "180分钟",
                     "3小时", "李审核", "王站长", "7小时（420分钟）", "2次", "未达星级",
                     "本记录由红色驿站系统生成，仅供核验，不替代全国志愿服务信息系统出具的证明。",
                     f"{BASE}/verify/{record.token}", "第1页/共1页"):
        assert expected in text, expected
    # The pending (09-03) and rejected (09-04) shifts are not on the record; measured 300 is not either.
    for absent in ("2026-09-03", "2026-09-04", "300分钟"):
        assert absent not in text, absent


def test_verify_page_shows_whose_record_and_totals(client, hours):
    record = issued(hours.a.member)
    page = client.get(f"/verify/{record.token}")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    for expected in ("有效记录", hours.a.member.name, "甲站", "共产党员", "7 小时（420 分钟）", "2 次", "未达星级",
                     f"{record.id:06d}", "不替代全国志愿服务信息系统出具的证明"):
        assert expected in html, expected
    assert "已作废" not in html
    assert hours.a.member.phone not in html


def test_revoked_record_page_says_it_is_void(client, hours):
    record = issued(hours.a.member)
    response = client.post(f"/api/v1/admin/hours-records/{record.id}/revoke", json={"reason": "时长有误，重新开具"},
                           headers=hours.a_headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["valid"] is False and body["revoked_at"] and body["verify_url"] == f"{BASE}/verify/{record.token}"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "hours_record.revoke"))
    assert (entry.entity_id, entry.reason, entry.actor_name) == (record.id, "时长有误，重新开具", "admin_a")
    assert entry.before["revoked_at"] is None and entry.after["revoked_at"]

    html = client.get(f"/verify/{record.token}").get_data(as_text=True)
    assert "该记录已作废" in html and "有效记录" not in html
    assert hours.a.member.name in html  # still says whose record it was

    again = client.post(f"/api/v1/admin/hours-records/{record.id}/revoke", json={"reason": "再次"},
                        headers=hours.a_headers)
    assert assert_error(again, 409)["code"] == "already_revoked"
    assert_error(client.post(f"/api/v1/admin/hours-records/{record.id}/revoke", json={"reason": " "},
                             headers=hours.a_headers), 422, "reason")


def test_verify_page_notes_hours_approved_since_issue(client, hours):
    record = issued(hours.a.member)
    add_shift(hours.a.member, hours.a.post, local(2026, 9, 10, 9), 60)
    db.session.commit()
    html = client.get(f"/verify/{record.token}").get_data(as_text=True)
    assert "7 小时（420 分钟）" in html  # totals at issue stay as issued
    assert "目前累计核定时长为 8 小时" in html


@pytest.mark.parametrize("token", ["no-such-token", "x" * 65, "%E4%B8%AD"])
def test_unknown_token_is_a_404_page(client, hours, token):
    page = client.get(f"/verify/{token}")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "记录不存在" in page.get_data(as_text=True)


def test_member_cannot_fetch_another_members_record(client, hours):
    same_unit = Member(unit_id=hours.a.unit.id, name="同站志愿者")
    db.session.add(same_unit)
    db.session.commit()
    before = db_snapshot()
    missing = client.get("/api/v1/members/99999999/record.pdf", headers=hours.member_headers)
    assert_error(missing, 404)
    for other in (hours.b.member, same_unit):
        response = client.get(record_url(other), headers=hours.member_headers)
        assert_error(response, 404)
        assert response.get_json() == missing.get_json()
    assert_error(client.get(record_url(hours.a.member), headers=hours.citizen_headers), 403)
    assert_error(client.get(record_url(hours.a.member)), 401)
    assert db_snapshot() == before


def test_admins_fetch_records_behind_the_unit_wall(client, hours):
    before = db_snapshot()
    other = client.get(record_url(hours.a.member), headers=hours.b_headers)
    assert_error(other, 404)
    assert other.get_json() == client.get("/api/v1/members/99999999/record.pdf", headers=hours.b_headers).get_json()
    assert db_snapshot() == before

    assert client.get(record_url(hours.a.member), headers=hours.a_headers).status_code == 200
    assert client.get(record_url(hours.a.member), headers=hours.bureau_headers).status_code == 200
    records = records_of(hours.a.member)
    assert [r.issued_by_id for r in records] == [hours.a.admin.id, hours.bureau.id]
    assert len({r.token for r in records}) == 2
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "hours_record.issue")) == 2


def test_long_record_repeats_headers_and_qr_on_every_page(client, hours):
    member = hours.a.member
    for day in range(80):
        add_shift(member, hours.a.post, local(2026, 1, 1, 8) + day * (local(2026, 1, 2) - local(2026, 1, 1)), 240)
    db.session.commit()
    response = client.get(record_url(member), headers=hours.member_headers)
    [record] = records_of(member)
    # 82 approved shifts: 80 × 240 + 420 = 19,620 minutes = 327 h → ★2 (300 h).
    assert (record.approved_minutes, record.shift_count, record.star_level) == (19620, 82, 2)
    pages = page_count(response.data)
    assert pages >= 3
    url = f"{BASE}/verify/{record.token}"
    assert decode_pdf(response.data) == [[url]] * pages
    for page in range(1, pages + 1):
        text = pdf_text(response.data, page)
        assert "服务地点" in text and "审核人" in text, page  # the table header repeats
        assert f"第{page}页/共{pages}页" in text
        assert "不替代全国志愿服务信息系统出具的证明" in text
    full = pdf_text(response.data)
    assert "★★☆☆☆二星志愿者" in full and "327小时（19620分钟）" in full and "82次" in full
    assert "2026-03-21" in full  # the 80th day, on a later page


def test_record_without_approved_shifts(client, hours):
    newcomer = Member(unit_id=hours.a.unit.id, name="新志愿者", is_party_member=False)
    db.session.add(newcomer)
    db.session.commit()
    response = client.get(record_url(newcomer), headers=hours.a_headers)
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "暂无审核通过的志愿服务记录" in text and "志愿者" in text
    [record] = records_of(newcomer)
    assert (record.approved_minutes, record.shift_count, record.star_level) == (0, 0, 0)


def test_admin_lists_a_members_records(client, hours):
    issued(hours.a.member)
    issued(hours.a.member, hours.a.admin)
    issued(hours.b.member)
    listed = client.get("/api/v1/admin/hours-records", query_string={"member_id": hours.a.member.id},
                        headers=hours.a_headers)
    assert listed.status_code == 200
    body = listed.get_json()
    assert body["total"] == 2
    newest, oldest = body["items"]
    assert newest["id"] > oldest["id"]
    assert (newest["member_name"], newest["unit_id"], newest["approved_minutes"], newest["valid"]) == (
        hours.a.member.name, hours.a.unit.id, 420, True)
    assert (newest["issued_by_id"], oldest["issued_by_id"]) == (hours.a.admin.id, None)
    own_unit = client.get("/api/v1/admin/hours-records", headers=hours.a_headers).get_json()
    assert own_unit["total"] == 2
    everyone = client.get("/api/v1/admin/hours-records", headers=hours.bureau_headers).get_json()
    assert everyone["total"] == 3
    assert newest["verify_url"] == f"{BASE}/verify/{newest['token']}"
    walled = client.get("/api/v1/admin/hours-records", query_string={"member_id": hours.a.member.id},
                        headers=hours.b_headers).get_json()
    assert (walled["items"], walled["total"]) == ([], 0)


def test_missing_font_is_503_and_issues_nothing(client, hours, monkeypatch):
    from server.hours import record_pdf

    def no_font(weight):
        raise FontMissingError("no CJK font in this test")

    monkeypatch.setattr(record_pdf, "font_file", no_font)
    before = db_snapshot()
    assert assert_error(client.get(record_url(hours.a.member), headers=hours.member_headers), 503)["code"] == "font_missing"
    assert db_snapshot() == before


def test_record_is_documented_as_a_pdf(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/members/{member_id}/record.pdf"]["get"]
    assert "application/pdf" in operation["responses"]["200"]["content"]
    assert {"401", "403", "404"} <= set(operation["responses"])
