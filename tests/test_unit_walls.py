"""The unit wall (PRODUCT.md "Units are walled", API.md 404 "also used for another unit's
object"), checked on EVERY admin endpoint.

The endpoints are read from the app's own OpenAPI document, so an endpoint added later is
covered without anyone remembering to: every one must refuse WeChat users (403) and
anonymous callers (401), and every one must have a row in WALL_TABLE saying how the wall
applies to it (the coverage test fails until it has).
"""
import datetime as dt
import re
import dataclasses
from dataclasses import dataclass
from typing import Callable

import pytest
from sqlalchemy import select

from conftest import assert_error, db_snapshot
from server import create_app
from server.extensions import db
from server.models import Admin, Member, Notification, Post, Unit, Window

PREFIX = "/api/v1/admin/"
METHODS = ("get", "post", "put", "patch", "delete")


def documented_operations():
    """(METHOD, path) of every operation the OpenAPI document lists under /api/v1/admin/."""
    spec = create_app("test").test_client().get("/api/v1/openapi.json").get_json()
    return sorted(
        (method.upper(), path)
        for path, item in spec["paths"].items() if path.startswith(PREFIX)
        for method in item if method in METHODS
    )


ADMIN_OPERATIONS = documented_operations()


@dataclass(frozen=True)
class Wall:
    """How the unit wall applies to one operation.

    kind:
      list         GET collection: a unit admin sees only their unit's items, even with ?unit_id=other
      create       POST collection: ``body(world, side)`` creates in unit ``side``; into another unit → 422 ``field``
      bureau_only  POST collection only the bureau may call: a unit admin gets 403
      item         a path naming one object by id (``target``): another unit's → 404, same as a nonexistent id
      unit_query   GET taking ?unit_id=: another unit's → 404 or 422, one's own answers
      batch        POST naming many objects (``target``) in its body: each of another unit's → 404 in its
                   own result, nothing written; one's own are done
      mine         a path naming one of the caller's own objects (``target``, e.g. a notification):
                   any other admin's → 404, the bureau's included
      own          no id: acts on the caller's own things only (their notifications, their WeChat link)
    """

    kind: str
    target: str = ""
    body: Callable | None = None
    field: str = "unit_id"
    ok: tuple = (200,)
    query: dict = dataclasses.field(default_factory=dict)


def named(name):
    return lambda world, side: {"name": name}


# Every operation under /api/v1/admin/ → how the unit wall applies to it. A new admin endpoint
# fails test_every_admin_endpoint_is_in_the_wall_table until it is added here.
WALL_TABLE = {
    ("GET", "/api/v1/admin/units"): Wall("list"),
    ("POST", "/api/v1/admin/units"): Wall("bureau_only", body=lambda w, side: {"name": "新单位"}, ok=(201,)),
    ("GET", "/api/v1/admin/units/{object_id}"): Wall("item", "unit"),
    ("PATCH", "/api/v1/admin/units/{object_id}"): Wall("item", "unit", body=lambda w, side: {"address": "新地址"}),
    ("GET", "/api/v1/admin/members"): Wall("list"),
    ("POST", "/api/v1/admin/members"): Wall(
        "create", body=lambda w, side: {"name": "新人", "unit_id": w[side].unit.id}, ok=(201,)),
    ("GET", "/api/v1/admin/members/{object_id}"): Wall("item", "member"),
    ("PATCH", "/api/v1/admin/members/{object_id}"): Wall("item", "member", body=named("改名")),
    ("POST", "/api/v1/admin/members/{member_id}/bind-code"): Wall("item", "member", ok=(201,)),
    ("GET", "/api/v1/admin/windows"): Wall("list"),
    ("POST", "/api/v1/admin/windows"): Wall(
        "create", body=lambda w, side: {"name": "新窗口", "unit_id": w[side].unit.id}, ok=(201,)),
    ("GET", "/api/v1/admin/windows/{object_id}"): Wall("item", "window"),
    ("PATCH", "/api/v1/admin/windows/{object_id}"): Wall("item", "window", body=named("改名")),
    ("GET", "/api/v1/admin/posts"): Wall("list"),
    ("POST", "/api/v1/admin/posts"): Wall(
        "create", body=lambda w, side: {"name": "新岗", "lat": 30, "lng": 120, "unit_id": w[side].unit.id}, ok=(201,)),
    ("GET", "/api/v1/admin/posts/{object_id}"): Wall("item", "post"),
    ("PATCH", "/api/v1/admin/posts/{object_id}"): Wall("item", "post", body=named("改名")),
    ("GET", "/api/v1/admin/posts/{post_id}/live"): Wall("item", "post"),
    ("GET", "/api/v1/admin/qrcodes"): Wall("list"),
    ("POST", "/api/v1/admin/qrcodes"): Wall(
        "create", body=lambda w, side: {"kind": "window", "target_id": w[side].window.id}, field="target_id",
        ok=(201,)),
    ("GET", "/api/v1/admin/qrcodes/{code_id}"): Wall("item", "code"),
    ("GET", "/api/v1/admin/qrcodes/{code_id}/image.png"): Wall("item", "code"),
    ("GET", "/api/v1/admin/qrcodes/{code_id}/sign.png"): Wall("item", "code", ok=(200, 503)),
    ("POST", "/api/v1/admin/qrcodes/{code_id}/revoke"): Wall("item", "code", body=lambda w, side: {}),
    ("POST", "/api/v1/admin/qrcodes/{code_id}/reissue"): Wall("item", "code", body=lambda w, side: {}, ok=(201,)),
    ("GET", "/api/v1/admin/qrcodes/export.zip"): Wall("unit_query", ok=(200, 503)),
    ("GET", "/api/v1/admin/qrcodes/export.pdf"): Wall("unit_query", ok=(200, 503)),
    ("GET", "/api/v1/admin/shifts"): Wall("list"),
    ("POST", "/api/v1/admin/shifts/{shift_id}/review"): Wall(
        "item", "shift", body=lambda w, side: {"decision": "approve"}),
    ("POST", "/api/v1/admin/shifts/review-bulk"): Wall(
        "batch", "shift", body=lambda w, side: {"ids": [w[side].shift.id], "decision": "approve"}),
    ("GET", "/api/v1/admin/cases"): Wall("list"),
    ("GET", "/api/v1/admin/cases/{case_id}"): Wall("item", "case"),
    ("POST", "/api/v1/admin/cases/{case_id}/events"): Wall(
        "item", "case", body=lambda w, side: {"action": "contact", "note": "已电话联系群众"}),
    # Bureau only: a unit admin meets the wall (404) on another unit's rating, 403 on their own.
    ("POST", "/api/v1/admin/ratings/{rating_id}/exclusion"): Wall(
        "item", "rating", body=lambda w, side: {"exclude": True, "reason": "恶意差评"}, ok=(200, 403)),
    ("GET", "/api/v1/admin/stats"): Wall("unit_query"),
    ("GET", "/api/v1/admin/rankings"): Wall("bureau_only", body=lambda w, side: None),
    ("GET", "/api/v1/admin/ratings"): Wall("list"),
    ("GET", "/api/v1/admin/ratings/export.xlsx"): Wall("unit_query"),
    ("POST", "/api/v1/admin/ratings/{rating_id}/comment"): Wall(
        "item", "rating", body=lambda w, side: {"action": "show"}),
    ("GET", "/api/v1/admin/notifications"): Wall("own"),
    ("POST", "/api/v1/admin/notifications/{notification_id}/read"): Wall("mine", "notification"),
    ("POST", "/api/v1/admin/notifications/read-all"): Wall("own"),
    ("POST", "/api/v1/admin/me/wechat"): Wall("own", body=lambda w, side: {"code": f"wall-{side}"}),
    ("DELETE", "/api/v1/admin/me/wechat"): Wall("own"),
    ("GET", "/api/v1/admin/hours-records"): Wall("list"),
    ("POST", "/api/v1/admin/hours-records/{record_id}/revoke"): Wall(
        "item", "hours_record", body=lambda w, side: {"reason": "时长有误，重新开具"}),
    ("GET", "/api/v1/admin/hours/export.xlsx"): Wall("unit_query"),
    ("GET", "/api/v1/admin/hours/export.csv"): Wall("unit_query"),
}
UNIT_OWNED = {"members": Member, "windows": Window, "posts": Post}
NONEXISTENT_ID = 99999999


def table_rows(*kinds):
    return [pytest.param(op, wall, id=f"{op[0]} {op[1]}") for op, wall in WALL_TABLE.items() if wall.kind in kinds]


@pytest.fixture
def w(world):
    """The world, with a QR code for each unit's member and post, a bad rating of the member
    (with its case), a shift waiting for review and an issued hours record, indexable as
    w["a"] / w["b"]."""
    from server.hours.records import issue_record
    from server.qr.services import issue_code
    from server.ratings.services import Rater, submit_rating

    for side in (world.a, world.b):
        side.code = issue_code("badge", side.member)
        issue_code("post", side.post)
        side.shift = pending_shift(side)
        side.hours_record, _ = issue_record(side.member)
        side.rating, side.case, _ = submit_rating(Rater(f"dev:wall-{side.unit.id}"), side.code.token, 1)
        side.rating.comment, side.rating.comment_status = "态度差", "hidden"  # held for the comment review
        # The bad rating alerted the unit's admin.
        side.notification = db.session.scalar(select(Notification).where(Notification.admin_id == side.admin.id))
    db.session.commit()

    class World(type(world)):
        def __getitem__(self, side):
            return getattr(self, side)

    return World(**vars(world))


def pending_shift(side):
    """A checked-out shift of the side's member, waiting for review."""
    from server.models import Shift, utcnow

    end = utcnow().replace(microsecond=0)
    shift = Shift(member_id=side.member.id, post_id=side.post.id, unit_id=side.unit.id, status="pending",
                  started_at=end - dt.timedelta(hours=1), ended_at=end, minutes=60)
    db.session.add(shift)
    db.session.flush()
    return shift


def object_id(w, side, target):
    return getattr(w[side], target).id


def url_for_id(path, object_id):
    return re.sub(r"\{[^}]+\}", str(object_id), path)


def call(client, method, url, headers, body=None, query=None):
    return client.open(url, method=method, headers=headers, json=body, query_string=query)


def unit_of(item):
    return item["unit_id"] if "unit_id" in item else item["id"]


# --- coverage ---

def test_admin_endpoints_are_enumerated():
    paths = {path for _, path in ADMIN_OPERATIONS}
    assert ADMIN_OPERATIONS
    for resource in ("units", "members", "windows", "posts"):
        assert f"{PREFIX}{resource}" in paths and f"{PREFIX}{resource}/{{object_id}}" in paths


def test_every_admin_endpoint_is_in_the_wall_table(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = {(m.upper(), p) for p, item in spec["paths"].items() if p.startswith(PREFIX)
                  for m in item if m in METHODS}
    missing = documented - set(WALL_TABLE)
    assert not missing, f"add these admin endpoints to WALL_TABLE in {__file__}: {sorted(missing)}"
    stale = set(WALL_TABLE) - documented
    assert not stale, f"WALL_TABLE names endpoints the app no longer has: {sorted(stale)}"
    with_ids = {op for op in documented if "{" in op[1]}
    assert with_ids and all(WALL_TABLE[op].kind in ("item", "mine") for op in with_ids)


# --- WeChat users and anonymous callers never reach an admin endpoint ---

@pytest.mark.parametrize("method,path", ADMIN_OPERATIONS)
@pytest.mark.parametrize("who,status", [("citizen_headers", 403), ("member_headers", 403), (None, 401), ("junk", 401)])
def test_admin_endpoints_refuse_non_admins(client, world, method, path, who, status):
    fixed = {"junk": {"Authorization": "Bearer not-a-token"}, None: {}}
    headers = fixed[who] if who in fixed else getattr(world, who)
    body = {} if method in ("POST", "PATCH", "PUT") else None
    before = db_snapshot()
    assert_error(call(client, method, url_for_id(path, world.a.member.id), headers, body), status)
    assert db_snapshot() == before


# --- objects of another unit: 404, the same answer as an id that does not exist ---

@pytest.mark.parametrize("op,wall", table_rows("item", "mine"))
def test_other_units_object_is_404(client, w, op, wall):
    method, path = op
    body = wall.body(w, "b") if wall.body else None
    before = db_snapshot()
    other = call(client, method, url_for_id(path, object_id(w, "a", wall.target)), w.b_headers, body)
    missing = call(client, method, url_for_id(path, NONEXISTENT_ID), w.b_headers, body)
    assert_error(other, 404)
    assert other.get_json() == missing.get_json()
    assert db_snapshot() == before
    # The same call on one's own object works: the 404 is the wall, not a bad request.
    own = call(client, method, url_for_id(path, object_id(w, "b", wall.target)), w.b_headers, body)
    assert own.status_code in wall.ok, own.get_data(as_text=True)[:300]


@pytest.mark.parametrize("op,wall", table_rows("item"))
@pytest.mark.parametrize("side", ["a", "b"])
def test_bureau_reaches_every_units_object(client, w, op, wall, side):
    method, path = op
    body = wall.body(w, side) if wall.body else None
    response = call(client, method, url_for_id(path, object_id(w, side, wall.target)), w.bureau_headers, body)
    assert response.status_code in wall.ok, response.get_data(as_text=True)[:300]
    assert_error(call(client, method, url_for_id(path, NONEXISTENT_ID), w.bureau_headers, body), 404)


@pytest.mark.parametrize("op,wall", table_rows("mine"))
@pytest.mark.parametrize("side", ["a", "b"])
def test_bureau_cannot_reach_another_admins_own_object(client, w, op, wall, side):
    method, path = op
    body = wall.body(w, side) if wall.body else None
    before = db_snapshot()
    assert_error(call(client, method, url_for_id(path, object_id(w, side, wall.target)), w.bureau_headers, body), 404)
    assert db_snapshot() == before


def rows_of_admin(admin_id):
    """The admin's account row and notifications: what another admin's call must leave alone."""
    db.session.expire_all()
    admin = db.session.get(Admin, admin_id)
    notes = db.session.scalars(select(Notification).where(Notification.admin_id == admin_id).order_by(Notification.id))
    return ((admin.wechat_user_id, admin.token_version), [(n.id, n.read_at) for n in notes])


@pytest.mark.parametrize("op,wall", table_rows("own"))
def test_own_endpoints_touch_only_the_callers_things(client, w, op, wall):
    method, path = op
    before = rows_of_admin(w.a.admin.id)
    for headers, side in ((w.b_headers, "b"), (w.bureau_headers, "a")):
        response = call(client, method, path, headers, wall.body(w, side) if wall.body else None)
        assert response.status_code in wall.ok, response.get_data(as_text=True)[:300]
        items = response.get_json().get("items") or []
        assert all(item.get("unit_id") != w.a.unit.id for item in items)
    assert rows_of_admin(w.a.admin.id) == before


# --- creating into another unit ---

@pytest.mark.parametrize("op,wall", table_rows("create"))
def test_create_into_other_unit_is_422(client, w, op, wall):
    method, path = op
    before = db_snapshot()
    assert_error(call(client, method, path, w.b_headers, wall.body(w, "a")), 422, wall.field)
    assert db_snapshot() == before
    own = call(client, method, path, w.b_headers, wall.body(w, "b"))
    assert own.status_code in wall.ok, own.get_data(as_text=True)[:300]


@pytest.mark.parametrize("op,wall", table_rows("create"))
def test_bureau_creates_in_any_unit(client, w, op, wall):
    method, path = op
    for side in ("a", "b"):
        response = call(client, method, path, w.bureau_headers, wall.body(w, side))
        assert response.status_code in wall.ok, response.get_data(as_text=True)[:300]
        assert unit_of(response.get_json()) == w[side].unit.id


@pytest.mark.parametrize("op,wall", table_rows("bureau_only"))
def test_unit_admin_cannot_call_bureau_only_endpoints(client, w, op, wall):
    method, path = op
    before = db_snapshot()
    assert_error(call(client, method, path, w.b_headers, wall.body(w, "b")), 403)
    assert db_snapshot() == before
    assert call(client, method, path, w.bureau_headers, wall.body(w, "b")).status_code in wall.ok


# --- moving one's object into another unit ---

@pytest.mark.parametrize("resource", UNIT_OWNED)
def test_moving_own_object_into_other_unit_is_422(client, w, resource):
    obj = getattr(w.b, resource[:-1])
    url = f"{PREFIX}{resource}/{obj.id}"
    before = db_snapshot()
    assert_error(client.patch(url, json={"unit_id": w.a.unit.id, "name": "搬走"}, headers=w.b_headers), 422, "unit_id")
    assert db_snapshot() == before
    assert db.session.get(UNIT_OWNED[resource], obj.id).unit_id == w.b.unit.id
    # Naming one's own unit is fine.
    assert client.patch(url, json={"unit_id": w.b.unit.id}, headers=w.b_headers).status_code == 200


# --- lists ---

@pytest.mark.parametrize("op,wall", table_rows("list"))
def test_lists_show_only_own_unit(client, w, op, wall):
    _, path = op
    own = client.get(path, headers=w.b_headers, query_string={"page_size": 100})
    assert own.status_code == 200
    items = own.get_json()["items"]
    assert items, "the fixture should give unit B something to list"
    assert {unit_of(item) for item in items} == {w.b.unit.id}
    assert own.get_json()["total"] == len(items)
    for unit_id in (w.a.unit.id, NONEXISTENT_ID):
        other = client.get(path, headers=w.b_headers, query_string={"unit_id": unit_id})
        assert other.status_code == 200, other.get_data(as_text=True)[:300]
        assert (other.get_json()["items"], other.get_json()["total"]) == ([], 0)


@pytest.mark.parametrize("op,wall", table_rows("list"))
def test_bureau_lists_every_unit(client, w, op, wall):
    _, path = op
    items = client.get(path, headers=w.bureau_headers, query_string={"page_size": 100}).get_json()["items"]
    assert {unit_of(item) for item in items} == {w.a.unit.id, w.b.unit.id}
    only_a = client.get(path, headers=w.bureau_headers, query_string={"unit_id": w.a.unit.id}).get_json()["items"]
    assert only_a and {unit_of(item) for item in only_a} == {w.a.unit.id}


# --- endpoints naming many objects in their body ---

@pytest.mark.parametrize("op,wall", table_rows("batch"))
def test_batch_of_other_units_objects_is_404_per_item(client, w, op, wall):
    method, path = op
    before = db_snapshot()
    other = call(client, method, path, w.b_headers, wall.body(w, "a"))
    assert other.status_code == 200, other.get_data(as_text=True)[:300]
    items = other.get_json()["items"]
    assert items and all(not item["ok"] and item["error"]["code"] == "not_found" for item in items)
    assert db_snapshot() == before
    own = call(client, method, path, w.b_headers, wall.body(w, "b"))
    assert own.status_code in wall.ok and all(item["ok"] for item in own.get_json()["items"])
    bureau = call(client, method, path, w.bureau_headers, wall.body(w, "a"))
    assert bureau.status_code in wall.ok and all(item["ok"] for item in bureau.get_json()["items"])


# --- endpoints taking ?unit_id= ---

@pytest.mark.parametrize("op,wall", table_rows("unit_query"))
def test_unit_query_of_other_unit_is_refused(client, w, op, wall):
    method, path = op
    before = db_snapshot()
    response = call(client, method, path, w.b_headers, query={**wall.query, "unit_id": w.a.unit.id})
    assert response.status_code in (404, 422)
    assert_error(response, response.status_code)
    assert db_snapshot() == before
    own = call(client, method, path, w.b_headers, query={**wall.query, "unit_id": w.b.unit.id})
    assert own.status_code in wall.ok, own.get_data(as_text=True)[:300]
    for side in ("a", "b"):
        response = call(client, method, path, w.bureau_headers, query={**wall.query, "unit_id": w[side].unit.id})
        assert response.status_code in wall.ok, response.get_data(as_text=True)[:300]


# --- the units themselves ---

def test_unit_admin_reads_and_changes_only_own_unit(client, w):
    before = db_snapshot()
    for body in ({"address": "偷改"}, {"name": "偷改"}, {"is_red_station": False}):
        assert_error(client.patch(f"{PREFIX}units/{w.a.unit.id}", json=body, headers=w.b_headers), 404)
    assert db_snapshot() == before
    assert db.session.get(Unit, w.a.unit.id).address == "甲站地址"
    assert client.get(f"{PREFIX}units/{w.b.unit.id}", headers=w.b_headers).get_json()["name"] == "乙站"
