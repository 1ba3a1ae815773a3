"""The console's dashboard (数据看板): its numbers are GET /api/v1/admin/stats's, behind the same wall.

The figures are compared with the API's answer for the same scope and period on test_stats'
varied data set (ratings either side of local midnight, excluded and follow-up ratings, cases
on time, late and open, shifts in every state): the KPI elements carry ``data-figure`` names
and the raw value, the tables under the charts and the heat map cells' tooltips carry the
series. Bad periods answer 422 with the API's Chinese message next to the field. One browser
test opens the bureau's dashboard in real Chromium and saves the screenshot docs/ shows.
"""
import datetime as dt
import html
import json
import os
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from browser_support import app, browser, console_login, screenshot, site  # noqa: F401
from console_helpers import sign_in
from conftest import bearer
from server import messages
from server.console import charts
from server.console.text import T
from server.demo import seed_activity, seed_demo
from server.extensions import db
from server.models import Admin
from test_stats import TODAY, make_world
from test_stats import frozen_now  # noqa: F401  (autouse: the figures' "now" is fixed)

DASHBOARD, STATS, RANKINGS = "/admin/dashboard", "/api/v1/admin/stats", "/api/v1/admin/rankings"
ZONE = ZoneInfo("Asia/Shanghai")
UTC = dt.timezone.utc
D = T["dashboard"]
PASSWORDS = {"admin_a": "admin-a-pass", "admin_b": "admin-b-pass", "admin_c": "admin-c-pass", "bureau": "bureau-pass-1"}
INCLUDE = "by_unit,hours_by_month"  # the API's extra figures, which the dashboard draws
SCALARS = ("ratings", "satisfaction_rate", "good_rate", "bad_rate", "meets_goal", "cases_due", "cases_on_time",
           "case_close_rate", "cases_open", "cases_overdue", "hours_approved", "hours_pending")


@pytest.fixture
def data(world):
    return make_world(world)


def dashboard_page(client, username, expected_status=200, **query):
    client = client.application.test_client()  # a browser of its own: no other admin's session
    sign_in(client, username, PASSWORDS[username])
    response = client.get(DASHBOARD, query_string=query)
    body = response.get_data(as_text=True)
    assert response.status_code == expected_status, body[:800]
    assert "Traceback" not in body
    return body


def api(client, path, username, **query):
    admin = db.session.scalar(select(Admin).where(Admin.username == username))
    response = client.get(path, headers=bearer("admin", admin), query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()


# --- Reading the page ---

def figures_on(page):
    """{name: (value from data-value, text shown)} of every data-figure element."""
    found = {}
    for name, value, shown in re.findall(r'data-figure="([\w-]+)" data-value="([^"]*)">([^<]*)<', page):
        assert name not in found, f"{name} shown twice"
        found[name] = (json.loads(html.unescape(value)), html.unescape(shown).strip())
    return found


def table_rows(page, name):
    """The cell texts of each body row of the table marked data-table=``name``."""
    match = re.search(rf'<table[^>]*data-table="{name}".*?<tbody>(.*?)</tbody>', page, re.S)
    assert match, f"no {name} table"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", match.group(1), re.S)
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in rows]


def heatmap_on(page):
    """The 7 × 24 grid read back from the heat map cells' tooltips ("周三 14时：5 条评价")."""
    grid = [[None] * 24 for _ in range(7)]
    pattern = D["chart_heatmap_tip"].format(weekday="(周.)", hour=r"(\d+)", count=r"(\d+)")
    for weekday, hour, count in re.findall(rf'<g class="cell"><title>{pattern}</title>', page):
        grid[D["weekdays"].index(weekday)][int(hour)] = int(count)
    return grid


def assert_page_matches_api(page, answer):
    """Every figure on the dashboard is the API's, shown formatted as the page formats it."""
    shown = figures_on(page)
    for name in SCALARS:
        if name == "meets_goal" and answer[name] is None:
            assert name not in shown
            continue
        value, text = shown[name]
        assert value == answer[name], (name, value, answer[name])
        if name.endswith("rate"):
            assert text == charts.percent(answer[name]), (name, text)
        elif name != "meets_goal":
            assert text == charts.number(answer[name]), (name, text)
    for score in "12345":
        assert shown[f"distribution-{score}"][0] == answer["distribution"][score]
    assert sum(shown[f"distribution-{score}"][0] for score in "12345") == answer["ratings"]
    for zero in ("zero_complaints", "zero_shirking", "zero_errors"):
        assert shown[zero][0] == answer["zeros"][zero]
    assert [row[0] for row in table_rows(page, "by_day")] == [day["date"] for day in answer["by_day"]]
    assert [[int(row[1]), int(row[2]), int(row[4]), row[5]] for row in table_rows(page, "by_day")] == \
        [[day["ratings"], day["good"], day["bad"], charts.percent(day["satisfaction_rate"])] for day in answer["by_day"]]
    assert [(row[0], int(row[1]), row[2]) for row in table_rows(page, "by_unit")] == \
        [(unit["unit"]["name"], unit["ratings"], charts.percent(unit["satisfaction_rate"])) for unit in answer["by_unit"]]
    assert table_rows(page, "hours_by_month") == [
        [month["month"], charts.number(month["hours_approved"]), charts.number(month["hours_pending"])]
        for month in answer["hours_by_month"]]
    assert heatmap_on(page) == answer["by_weekday_hour"]
    if answer["zeros"]["windows"]:
        windows = re.findall(r'<tr data-window-id="(\d+)">(.*?)</tr>', page, re.S)
        assert [int(window_id) for window_id, _ in windows] == [w["window_id"] for w in answer["zeros"]["windows"]]
        for (_, row), window in zip(windows, answer["zeros"]["windows"]):
            held = dict(re.findall(r'data-zero="(\w+)" data-value="(true|false)"', row))
            assert {zero: held[zero] == "true" for zero in held} == \
                {zero: window[zero] for zero in ("zero_complaints", "zero_shirking", "zero_errors")}


# --- (1) the same numbers as the API ---

def dashboard_cases(d):
    a, b = d.a.unit.id, d.b.unit.id
    return [
        ("unit admin A, default period", "admin_a", {}),
        ("unit admin B, November", "admin_b", {"from": "2026-11-01", "to": "2026-11-30"}),
        ("unit admin A, own unit named", "admin_a", {"unit_id": a, "from": "2026-10-20"}),
        ("bureau, every unit, default period", "bureau", {}),
        ("bureau, every unit, from October", "bureau", {"from": "2026-10-01", "to": "2026-11-25"}),
        ("bureau, unit A", "bureau", {"unit_id": a, "from": "2026-10-15", "to": "2026-11-24"}),
        ("bureau, unit B, one day", "bureau", {"unit_id": b, "from": "2026-11-21", "to": "2026-11-21"}),
    ]


def test_dashboard_numbers_match_the_stats_api(client, data):
    for label, username, query in dashboard_cases(data):
        answer = api(client, STATS, username, **query, include=INCLUDE)
        page = dashboard_page(client, username, **query)
        assert answer["ratings"] > 0 or query.get("from") == "2026-11-21", label  # the comparison means something
        try:
            assert_page_matches_api(page, answer)
        except AssertionError as error:
            raise AssertionError(f"{label}: {error}") from error
        assert D["period"].format(first=answer["from"], last=answer["to"]) in page, label


def test_a_figure_that_differed_from_the_api_would_be_caught(client, data):
    """The comparison is not vacuous: the page read back with one figure changed no longer matches."""
    answer = api(client, STATS, "bureau", include=INCLUDE)
    page = dashboard_page(client, "bureau")
    assert_page_matches_api(page, answer)
    for name, changed in (("ratings", answer["ratings"] + 1), ("hours_pending", answer["hours_pending"] + 0.5)):
        with pytest.raises(AssertionError):
            assert_page_matches_api(page, {**answer, name: changed})
    grid = [row[:] for row in answer["by_weekday_hour"]]
    grid[2][14] += 1
    with pytest.raises(AssertionError):
        assert_page_matches_api(page, {**answer, "by_weekday_hour": grid})


# --- (2) the wall and the ranking ---

def test_a_unit_admin_cannot_open_another_units_dashboard(client, data):
    for other in (data.b.unit.id, data.c.unit.id, 999999):
        page = dashboard_page(client, "admin_a", expected_status=404, unit_id=other)
        assert messages.HTTP_ERRORS[404][1] in page
        assert "data-figure" not in page and data.b.unit.name not in page
    # Their own dashboard names no other unit anywhere (no unit picker, no ranking, by_unit only theirs).
    page = dashboard_page(client, "admin_a")
    assert data.b.unit.name not in page and data.c.unit.name not in page
    assert 'data-section="ranking"' not in page and D["ranking"] not in page and 'name="unit_id"' not in page


def test_the_bureau_sees_the_months_ranking_with_its_leader_marked(client, data):
    page = dashboard_page(client, "bureau", **{"from": "2026-10-27", "to": "2026-11-25"})
    ranking = api(client, RANKINGS, "bureau", **{"from": "2026-11-01", "to": "2026-11-25"})
    rows = re.findall(r'<tr data-unit-id="(\d+)" data-rank="(\d+)"( class="leader" data-leader)?', page)
    assert [(int(unit_id), int(rank), bool(leader)) for unit_id, rank, leader in rows] == \
        [(item["unit_id"], item["rank"], item["leader"]) for item in ranking["items"]]
    leaders = [item for item in ranking["items"] if item["leader"]]
    assert len(leaders) == 1 and page.count(D["leader"]) == 1  # the data set has a qualified leader
    assert D["ranking_period"].split("{")[0] in page and "2026-11-01" in page
    scores = [cells[2] for cells in table_rows(page, "ranking")]
    assert scores == ["%.2f" % item["composite_score"] if item["composite_score"] is not None else "—"
                      for item in ranking["items"]]
    # The bureau picks a unit: the same ranking, that unit's row marked as the one shown.
    page = dashboard_page(client, "bureau", unit_id=data.b.unit.id)
    assert re.search(rf'<tr data-unit-id="{data.b.unit.id}" data-rank="\d+"[^>]*aria-current="true"', page)


# --- (3) bad input ---

BAD_PERIODS = [
    ("to before from", {"from": "2026-11-20", "to": "2026-11-01"}, "to"),
    ("garbage from", {"from": "last tuesday"}, "from"),
    ("no such day", {"to": "2026-02-30"}, "to"),
    ("before 2000", {"from": "1999-12-31", "to": "2000-01-05"}, "from"),
    ("longer than 366 days", {"from": "2025-01-01", "to": "2026-11-25"}, "from"),
    ("unit id not a number", {"unit_id": "甲站"}, "unit_id"),
]


@pytest.mark.parametrize("label,query,field", BAD_PERIODS, ids=[case[0] for case in BAD_PERIODS])
def test_bad_period_shows_the_apis_chinese_error_next_to_the_field(client, world, label, query, field):
    admin = db.session.scalar(select(Admin).where(Admin.username == "bureau"))
    api_answer = client.get(STATS, headers=bearer("admin", admin), query_string=query)
    assert api_answer.status_code == 422
    expected = api_answer.get_json()["error"]["fields"][field]
    page = dashboard_page(client, "bureau", expected_status=422, **query)
    block = re.search(rf'<div class="field invalid">\s*<label for="f-{field}">.*?</div>', page, re.S)
    assert block, f"{field} is not marked invalid"
    error = re.search(rf'<span class="field-error" id="{field}-error" role="alert">(.*?)</span>', block.group(0))
    assert error and html.unescape(error.group(1)) == "；".join(expected)
    assert re.search(r"[\u4e00-\u9fff]", error.group(1))
    assert "data-figure" not in page and D["no_figures"] in page
    for name, value in query.items():  # what was typed stays in the form
        assert f'value="{html.escape(value)}"' in page or f'value="{value}" selected' in page or name == "unit_id"


def test_a_unit_admins_bad_unit_id_is_shown_above_the_form(client, world):
    page = dashboard_page(client, "admin_a", expected_status=422, unit_id="x")
    assert '<p class="form-error" role="alert">' in page and messages.VALIDATION["invalid_integer"] in page


# --- (4) in real Chromium, with the demo units and a month of activity ---

def test_bureau_dashboard_in_chromium(app, site, browser):  # noqa: F811
    seed_demo()
    seed_activity(TODAY)
    bureau = db.session.scalar(select(Admin).where(Admin.username == "bureau"))
    answer = app.test_client().get(STATS, headers=bearer("admin", bureau)).get_json()
    assert answer["ratings"] > 300 and answer["cases_open"] > 0
    page = console_login(browser, site, "bureau", "hongse2026")
    page.goto("/admin/dashboard")
    assert page.locator('[data-figure="ratings"]').inner_text() == charts.number(answer["ratings"])
    assert page.locator('[data-figure="satisfaction_rate"]').inner_text() == charts.percent(answer["satisfaction_rate"])
    assert page.locator("svg[role=img]").count() == 4
    assert page.locator("tr.leader [class='badge flag']").count() == 1
    # Every chart is drawn inside its card (nothing overflows the layout).
    for box in page.locator("section.chart").all():
        card, svg = box.bounding_box(), box.locator("svg").bounding_box()
        assert svg["width"] > 200 and svg["x"] + svg["width"] <= card["x"] + card["width"] + 1
    path = screenshot(page, "console-dashboard.png")
    # A unit's dashboard, as the bureau picks it from the list.
    page.select_option("#f-unit_id", label="沪杭高速嘉兴服务区")
    with page.expect_navigation():
        page.click("form.dash-filters button[type=submit]")
    assert "沪杭高速嘉兴服务区" in page.locator("[data-scope]").inner_text()
    unit_path = screenshot(page, "console-dashboard-unit.png")
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        docs = Path(__file__).resolve().parent.parent / "docs"
        for shot in (path, unit_path):
            (docs / shot.name).write_bytes(shot.read_bytes())
    page.context.close()
    db.session.rollback()
