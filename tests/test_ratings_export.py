"""GET /api/v1/admin/ratings/export.xlsx: one row per rating the caller may see, filtered like the
ratings list, with target, level, tags, case and whether it counts — never who rated or their
contact; the unit wall as for the hours exports."""
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from conftest import assert_error
from server.extensions import db
from server.messages import RATINGS_EXPORT
from server.models import utcnow
from server.qr.services import issue_code
from server.ratings.services import Rater, submit_rating

URL = "/api/v1/admin/ratings/export.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def rated(world):
    """Unit A: its window rated 5 (tags) and 1 (comment, contact: a case), its member rated 4; unit B: its window 2."""
    a_window = issue_code("window", world.a.window).token
    a_badge = issue_code("badge", world.a.member).token
    b_window = issue_code("window", world.b.window).token
    world.good, *_ = submit_rating(Rater("dev:r1"), a_window, 5, tags=["热情", "高效"])
    world.bad, world.case, *_ = submit_rating(Rater("dev:r2"), a_window, 1, comment="等了很久", contact="13900009999")
    submit_rating(Rater("dev:r3"), a_badge, 4)
    submit_rating(Rater("dev:r4"), b_window, 2)
    world.bad.excluded_at, world.bad.excluded_reason = utcnow(), "恶意差评"
    db.session.commit()
    return world


def rows(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == XLSX and "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data))[RATINGS_EXPORT["sheet"]]
    values = list(sheet.values)
    assert list(values[0]) == RATINGS_EXPORT["columns"]
    assert sheet.freeze_panes == "A2"
    return [dict(zip(values[0], row)) for row in values[1:]]


def test_rows_of_the_unit_admins_unit(client, rated):
    found = rows(client.get(URL, headers=rated.a_headers))
    assert len(found) == 3 and {row["单位"] for row in found} == {"甲站"}
    bad = next(row for row in found if row["评分"] == 1)
    assert (bad["评价对象类型"], bad["评价对象"], bad["满意程度"], bad["留言"]) == ("窗口", "甲站窗口", "非常不满意", "等了很久")
    assert (bad["工单编号"], bad["工单状态"], bad["计入统计"], bad["不计入原因"]) == (rated.case.id, "待联系群众", "否", "恶意差评")
    good = next(row for row in found if row["评分"] == 5)
    assert (good["标签"], good["计入统计"], good["工单编号"]) == ("热情、高效", "是", None)
    assert isinstance(good["评价时间"], dt.datetime)
    member = next(row for row in found if row["评分"] == 4)
    assert (member["评价对象类型"], member["评价对象"]) == ("工作人员", "甲站党员")
    # Never the rater's contact, not even for a bad rating.
    assert not any("13900009999" in str(value) for row in found for value in row.values())


def test_filters_and_the_bureau(client, rated):
    every = rows(client.get(URL, headers=rated.bureau_headers))
    assert len(every) == 4
    assert [row["评分"] for row in rows(client.get(URL, query_string={"score": 2}, headers=rated.bureau_headers))] == [2]
    only_b = rows(client.get(URL, query_string={"unit_id": rated.b.unit.id}, headers=rated.bureau_headers))
    assert [row["单位"] for row in only_b] == ["乙站"]
    window = rows(client.get(URL, query_string={"window_id": rated.a.window.id}, headers=rated.a_headers))
    assert sorted(row["评分"] for row in window) == [1, 5]
    assert rows(client.get(URL, query_string={"to": "2000-01-01"}, headers=rated.a_headers)) == []


@pytest.mark.parametrize("query,field", [
    ({"unit_id": "{b_unit}"}, "unit_id"), ({"window_id": "{b_window}"}, "window_id"), ({"score": 6}, "score"),
    ({"from": "2026-10-02", "to": "2026-10-01"}, "to"), ({"from": "someday"}, "from"),
])
def test_bad_or_walled_queries_are_422(client, rated, query, field):
    query = {k: str(v).format(b_unit=rated.b.unit.id, b_window=rated.b.window.id) for k, v in query.items()}
    assert_error(client.get(URL, query_string=query, headers=rated.a_headers), 422, field)


def test_non_admins_are_refused(client, rated):
    assert_error(client.get(URL, headers=rated.citizen_headers), 403)
    assert_error(client.get(URL), 401)
