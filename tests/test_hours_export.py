"""The hours exports: the workbook reopens with openpyxl with the right totals per member and
one detail row per approved shift (credited minutes; pending and rejected left out), the
platform CSV has its BOM, header and hours, and both keep to the unit wall and the period."""
import csv
import datetime as dt
import io
import time

import pytest
from openpyxl import load_workbook

from conftest import assert_error
from hours_data import add_shift, local
from server.extensions import db
from server.messages import HOURS_EXPORT
from server.models import Member, Post

XLSX_URL = "/api/v1/admin/hours/export.xlsx"
CSV_URL = "/api/v1/admin/hours/export.csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def hours(world):
    """Unit A: its party member (3 approved incl. one adjusted and one offline claim at 23:30 on
    30 Sep, a pending, a rejected) and a volunteer (approved 08:00 on 1 Oct: 30 Sep in UTC);
    unit B: its member with one approved shift."""
    a, b = world.a, world.b
    volunteer = Member(unit_id=a.unit.id, name="王志愿", is_party_member=False)
    db.session.add(volunteer)
    db.session.flush()
    add_shift(a.member, a.post, local(2026, 9, 1, 9), 240, reviewer="李审核")
    add_shift(a.member, a.post, local(2026, 9, 2, 14), 300, credited=180, reviewer="王站长")
    add_shift(a.member, a.post, local(2026, 9, 3, 9), 120, status="pending")
    add_shift(a.member, a.post, local(2026, 9, 4, 9), 200, status="rejected")
    add_shift(a.member, a.post, local(2026, 9, 30, 23, 30), 60, source="claim", offline=True)
    add_shift(volunteer, a.post, local(2026, 10, 1, 8), 90, reviewer="系统自动审核")
    add_shift(b.member, b.post, local(2026, 9, 5, 9), 120)
    db.session.commit()
    world.volunteer = volunteer
    return world


def workbook(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == XLSX
    return load_workbook(io.BytesIO(response.data))


def rows(sheet):
    """The sheet's rows as dicts keyed by its header."""
    values = list(sheet.values)
    return [dict(zip(values[0], row)) for row in values[1:]]


def csv_rows(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_workbook_totals_per_member_and_one_row_per_approved_shift(client, hours):
    book = workbook(client.get(XLSX_URL, headers=hours.bureau_headers))
    assert book.sheetnames == ["汇总", "明细"]
    summary, detail = book["汇总"], book["明细"]
    assert [c.value for c in summary[1]] == HOURS_EXPORT["summary_columns"]
    assert [c.value for c in detail[1]] == HOURS_EXPORT["detail_columns"]
    for sheet in (summary, detail):
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.b for cell in sheet[1])
        assert sheet.column_dimensions["A"].width >= 10

    by_name = {row["姓名"]: row for row in rows(summary)}
    assert set(by_name) == {"甲站党员", "王志愿", "乙站党员"}
    # 240 + 180 (adjusted from 300) + 60; the pending 120 and rejected 200 do not count.
    assert (by_name["甲站党员"]["服务次数"], by_name["甲站党员"]["核定时长（小时）"]) == (3, 8)
    assert (by_name["王志愿"]["服务次数"], by_name["王志愿"]["核定时长（小时）"]) == (1, 1.5)
    assert (by_name["乙站党员"]["服务次数"], by_name["乙站党员"]["核定时长（小时）"]) == (1, 2)
    assert (by_name["甲站党员"]["政治面貌"], by_name["王志愿"]["政治面貌"]) == ("共产党员", "志愿者")
    assert (by_name["甲站党员"]["单位"], by_name["乙站党员"]["单位"]) == ("甲站", "乙站")
    assert by_name["甲站党员"]["星级"] == 0 and isinstance(by_name["甲站党员"]["核定时长（小时）"], (int, float))

    details = rows(detail)
    assert len(details) == 5
    mine = [row for row in details if row["姓名"] == "甲站党员"]
    assert [(row["实际分钟"], row["核定分钟"]) for row in mine] == [(240, 240), (300, 180), (60, 60)]
    first = mine[0]
    assert first["服务日期"] == dt.datetime(2026, 9, 1)  # a date cell (openpyxl reads dates as datetimes)
    assert (first["签到时间"], first["签退时间"]) == (dt.datetime(2026, 9, 1, 9), dt.datetime(2026, 9, 1, 13))
    assert first["审核时间"] == dt.datetime(2026, 9, 1, 14)
    assert (first["岗位"], first["单位"], first["服务内容"], first["审核人"], first["来源"]) == (
        "甲站志愿岗", "甲站", "引导", "李审核", "扫码签到")
    assert mine[2]["服务日期"] == dt.datetime(2026, 9, 30) and mine[2]["来源"] == "补录（离线提交）"
    date_cell = detail.cell(row=2, column=4)
    assert date_cell.is_date and date_cell.number_format == "yyyy-mm-dd"
    assert detail.cell(row=2, column=5).number_format == "yyyy-mm-dd hh:mm"


def test_period_is_local_check_in_dates(client, hours):
    query = {"from": "2026-09-01", "to": "2026-09-30"}
    book = workbook(client.get(XLSX_URL, query_string=query, headers=hours.bureau_headers))
    details = rows(book["明细"])
    # 23:30 on 30 Sep (local) is in; 08:00 on 1 Oct (local; still 30 Sep in UTC) is out.
    assert sorted(row["姓名"] for row in details) == ["乙站党员", "甲站党员", "甲站党员", "甲站党员"]
    assert {row["姓名"] for row in rows(book["汇总"])} == {"甲站党员", "乙站党员"}
    october = workbook(client.get(XLSX_URL, query_string={"from": "2026-10-01"}, headers=hours.bureau_headers))
    assert [row["姓名"] for row in rows(october["明细"])] == ["王志愿"]
    # The star level is the member's, whatever the period.
    assert rows(october["汇总"])[0]["累计核定时长（小时）"] == 1.5


def test_unit_admin_exports_own_unit_only(client, hours):
    own = workbook(client.get(XLSX_URL, headers=hours.a_headers))
    assert {row["单位"] for row in rows(own["明细"])} == {"甲站"}
    assert len(rows(own["明细"])) == 4
    named = workbook(client.get(XLSX_URL, query_string={"unit_id": hours.a.unit.id}, headers=hours.a_headers))
    assert len(rows(named["明细"])) == 4
    only_b = workbook(client.get(XLSX_URL, query_string={"unit_id": hours.b.unit.id}, headers=hours.bureau_headers))
    assert [row["姓名"] for row in rows(only_b["明细"])] == ["乙站党员"]
    for url in (XLSX_URL, CSV_URL):
        for unit_id in (hours.a.unit.id, 99999999):
            assert_error(client.get(url, query_string={"unit_id": unit_id}, headers=hours.b_headers), 422, "unit_id")


@pytest.mark.parametrize("url", [XLSX_URL, CSV_URL])
@pytest.mark.parametrize("query,field", [
    ({"from": "2026-10-01", "to": "2026-09-01"}, "to"), ({"from": "yesterday"}, "from"), ({"to": "2026-13-01"}, "to"),
    ({"unit_id": "abc"}, "unit_id"), ({"unit_id": "0"}, "unit_id"), ({"unit_id": "9" * 40}, "unit_id"),
])
def test_bad_export_query_is_422(client, hours, url, query, field):
    assert_error(client.get(url, query_string=query, headers=hours.bureau_headers), 422, field)


def test_exports_refuse_non_admins(client, hours):
    for url in (XLSX_URL, CSV_URL):
        assert_error(client.get(url, headers=hours.member_headers), 403)
        assert_error(client.get(url), 401)


def test_platform_csv(client, hours):
    response = client.get(CSV_URL, headers=hours.bureau_headers)
    assert "attachment" in response.headers["Content-Disposition"]
    header, *body = csv_rows(response)
    assert header == ["姓名", "证件类型", "证件号码", "服务日期", "服务时长（小时）", "活动名称", "组织单位"]
    assert len(body) == 5
    mine = [row for row in body if row[0] == "甲站党员"]
    assert mine == [
        ["甲站党员", "", "", "2026-09-01", "4.00", "甲站志愿岗", "甲站"],
        ["甲站党员", "", "", "2026-09-02", "3.00", "甲站志愿岗", "甲站"],
        ["甲站党员", "", "", "2026-09-30", "1.00", "甲站志愿岗", "甲站"],
    ]
    assert ["王志愿", "", "", "2026-10-01", "1.50", "甲站志愿岗", "甲站"] in body
    own = csv_rows(client.get(CSV_URL, query_string={"from": "2026-09-02", "to": "2026-09-30"},
                              headers=hours.a_headers))
    assert [(row[0], row[3]) for row in own[1:]] == [("甲站党员", "2026-09-02"), ("甲站党员", "2026-09-30")]


def test_text_that_looks_like_a_formula_stays_text(client, hours):
    post = Post(unit_id=hours.b.unit.id, name="=HYPERLINK(\"http://x\")", lat=30, lng=120, service="+引导")
    db.session.add(post)
    db.session.flush()
    add_shift(hours.b.member, post, local(2026, 9, 6, 9), 60)
    db.session.commit()
    book = workbook(client.get(XLSX_URL, query_string={"unit_id": hours.b.unit.id}, headers=hours.bureau_headers))
    cell = book["明细"].cell(row=3, column=3)
    assert cell.value == "=HYPERLINK(\"http://x\")" and cell.data_type == "s"
    body = csv_rows(client.get(CSV_URL, query_string={"unit_id": hours.b.unit.id}, headers=hours.bureau_headers))
    assert body[2][5] == "'=HYPERLINK(\"http://x\")"


def test_empty_export_has_headers_only(client, hours):
    query = {"from": "2020-01-01", "to": "2020-01-31"}
    book = workbook(client.get(XLSX_URL, query_string=query, headers=hours.bureau_headers))
    assert rows(book["汇总"]) == [] and rows(book["明细"]) == []
    assert len(csv_rows(client.get(CSV_URL, query_string=query, headers=hours.bureau_headers))) == 1


def test_thousand_shift_export(client, hours):
    """1,000 approved shifts of 20 members: both exports complete, correct, in reasonable time."""
    members = [Member(unit_id=hours.a.unit.id, name=f"志愿者{i:02d}", is_party_member=i % 2 == 0) for i in range(20)]
    db.session.add_all(members)
    db.session.flush()
    for i in range(1000):
        add_shift(members[i % 20], hours.a.post, local(2026, 11, 1, 8) + dt.timedelta(hours=i), 120, credited=90)
    db.session.commit()
    query = {"unit_id": hours.a.unit.id, "from": "2026-11-01"}
    started = time.perf_counter()
    book = workbook(client.get(XLSX_URL, query_string=query, headers=hours.a_headers))
    xlsx_seconds = time.perf_counter() - started
    summary = {row["姓名"]: row for row in rows(book["汇总"])}
    assert len(rows(book["明细"])) == 1000 and len(summary) == 20
    assert all(row["服务次数"] == 50 and row["核定时长（小时）"] == 75 for row in summary.values())
    started = time.perf_counter()
    body = csv_rows(client.get(CSV_URL, query_string=query, headers=hours.a_headers))
    csv_seconds = time.perf_counter() - started
    assert len(body) == 1001 and {row[4] for row in body[1:]} == {"1.50"}
    # Generous bounds (shared CI machines): a pathological slowdown fails, noise does not.
    assert xlsx_seconds < 20 and csv_seconds < 10, (xlsx_seconds, csv_seconds)


def test_exports_are_documented_with_their_content_types(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for url, content_type in ((XLSX_URL, XLSX), (CSV_URL, "text/csv")):
        operation = spec["paths"][url]["get"]
        assert content_type in operation["responses"]["200"]["content"]
        assert {"401", "403", "422"} <= set(operation["responses"])
