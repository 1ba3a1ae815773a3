"""Admin CRUD of units, members, windows and posts over HTTP: the happy paths and the rules
of API.md "QR codes and administration" (paging, filters, partial PATCH, unit defaults,
bureau-only fields, masked phones, audit entries, bind codes)."""
import datetime as dt
import json
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from conftest import assert_error, db_snapshot
from server.extensions import db
from server.models import AuditEntry, BindCode, Member, Post, Unit, Window

API = "/api/v1/admin"
MODELS = {"units": Unit, "members": Member, "windows": Window, "posts": Post}
BODIES = {
    "units": {"name": "丙站", "type": "service_area", "is_red_station": True, "address": "和平路 1 号",
              "auto_approve_shifts": True},
    "members": {"name": "王芳", "post_title": "引导员", "is_party_member": False, "commitment": "微笑服务",
                "phone": "13912340000", "photo_url": "https://img.example.cn/a.jpg", "badge_no": "NO-007"},
    "windows": {"name": "综合窗口", "duties": ["受理", "咨询"], "commitments": ["一次办结", "首问负责"],
                "time_limits": [{"item": "办证", "limit": "3 个工作日"}, {"item": "咨询", "limit": "即办"}]},
    "posts": {"name": "路口岗", "lat": 30.1, "lng": 120.2, "radius_m": 150, "service": "交通引导",
              "default_shift_minutes": 120, "max_open_minutes": 480},
}
# One field per resource a PATCH changes, with its new value.
PATCHES = {
    "units": {"address": "新华路 9 号"},
    "members": {"post_title": "组长"},
    "windows": {"name": "改名窗口"},
    "posts": {"radius_m": 300},
}
UNIT_OWNED = ("members", "windows", "posts")
# Every member's whole phone number; none may appear in any admin answer.
WHOLE_PHONES = ("13812345678", "13912340000")


@pytest.fixture(autouse=True)
def no_whole_phone_in_any_response(monkeypatch):
    """Every response in this module is checked: a whole phone number never leaves the server."""
    original = FlaskClient.open

    def open_and_check(self, *args, **kwargs):
        response = original(self, *args, **kwargs)
        # Bytes, not text: some answers are files (a workbook, a PDF); the phones are ASCII.
        data = response.get_data()
        for phone in WHOLE_PHONES:
            assert phone.encode() not in data, (phone, data[:300])
        return response

    monkeypatch.setattr(FlaskClient, "open", open_and_check)


def expected_echo(resource, body):
    """What the answer shows for ``body``: the same fields, the phone masked."""
    shown = dict(body)
    if "phone" in shown:
        shown["phone"] = shown["phone"][:3] + "****" + shown["phone"][-4:]
    return shown


def create(client, headers, resource, **extra):
    return client.post(f"{API}/{resource}", json={**BODIES[resource], **extra}, headers=headers)


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def obj_of(world_unit, resource):
    return world_unit.unit if resource == "units" else getattr(world_unit, resource[:-1])


# --- create ---

@pytest.mark.parametrize("resource", MODELS)
def test_create_echoes_fields(client, world, resource):
    extra = {} if resource == "units" else {"unit_id": world.b.unit.id}
    response = create(client, world.bureau_headers, resource, **extra)
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert isinstance(data["id"], int)
    for name, value in expected_echo(resource, {**BODIES[resource], **extra}).items():
        assert data[name] == value, name
    if resource != "units":
        assert data["unit"] == {"id": world.b.unit.id, "name": "乙站"}
    stored = db.session.get(MODELS[resource], data["id"])
    assert stored is not None and stored.name == BODIES[resource]["name"]
    if resource == "members":
        assert stored.phone == "13912340000"  # stored whole, shown masked


def test_member_create_returns_bind_code(client, world):
    response = create(client, world.a_headers, "members")
    assert response.status_code == 201
    data = response.get_json()
    assert re.fullmatch(r"[A-Z0-9]{8}", data["bind_code"])
    assert data["bind_code_expires_at"].endswith("+08:00")
    expires = dt.datetime.fromisoformat(data["bind_code_expires_at"])
    assert expires > dt.datetime.now(dt.timezone.utc)
    code = db.session.scalar(select(BindCode).where(BindCode.code == data["bind_code"]))
    assert code.member_id == data["id"] and code.used_at is None
    # The code is not part of the member afterwards.
    again = client.get(f"{API}/members/{data['id']}", headers=world.a_headers).get_json()
    assert "bind_code" not in again


def test_created_object_has_defaults_for_fields_not_sent(client, world):
    response = client.post(f"{API}/posts", json={"name": "最简岗", "lat": 30, "lng": 120},
                           headers=world.a_headers)
    assert response.status_code == 201
    data = response.get_json()
    assert (data["radius_m"], data["default_shift_minutes"], data["max_open_minutes"], data["service"]) == (
        200, 240, 720, "")


@pytest.mark.parametrize("resource", UNIT_OWNED)
def test_unit_admin_creates_in_own_unit_without_unit_id(client, world, resource):
    response = create(client, world.a_headers, resource)
    assert response.status_code == 201
    assert response.get_json()["unit_id"] == world.a.unit.id
    assert db.session.get(MODELS[resource], response.get_json()["id"]).unit_id == world.a.unit.id


@pytest.mark.parametrize("resource", UNIT_OWNED)
def test_unit_admin_may_name_own_unit(client, world, resource):
    response = create(client, world.a_headers, resource, unit_id=world.a.unit.id)
    assert response.status_code == 201
    assert response.get_json()["unit_id"] == world.a.unit.id


@pytest.mark.parametrize("resource", UNIT_OWNED)
def test_bureau_must_name_the_unit(client, world, resource):
    before = db_snapshot()
    assert_error(create(client, world.bureau_headers, resource), 422, "unit_id")
    assert db_snapshot() == before


@pytest.mark.parametrize("resource", UNIT_OWNED)
def test_create_in_unknown_unit_is_422(client, world, resource):
    before = db_snapshot()
    assert_error(create(client, world.bureau_headers, resource, unit_id=999999), 422, "unit_id")
    assert db_snapshot() == before


def test_unit_admin_cannot_create_units(client, world):
    before = db_snapshot()
    assert_error(create(client, world.a_headers, "units"), 403)
    assert db_snapshot() == before


def test_unit_name_taken_is_409(client, world):
    before = db_snapshot()
    error = assert_error(create(client, world.bureau_headers, "units", name="甲站"), 409, "name")
    assert error["code"] == "name_taken"
    assert db_snapshot() == before
    # The same on a rename, and the unit keeps its name.
    response = client.patch(f"{API}/units/{world.b.unit.id}", json={"name": "甲站"}, headers=world.bureau_headers)
    assert_error(response, 409, "name")
    assert db_snapshot() == before
    # Renaming a unit to its own name is no conflict.
    response = client.patch(f"{API}/units/{world.a.unit.id}", json={"name": "甲站"}, headers=world.bureau_headers)
    assert response.status_code == 200


# --- list, paging, filters ---

@pytest.mark.parametrize("resource", MODELS)
def test_list_envelope(client, world, resource):
    response = client.get(f"{API}/{resource}", headers=world.bureau_headers)
    assert response.status_code == 200
    data = response.get_json()
    assert set(data) == {"items", "total", "page", "page_size"}
    assert (data["page"], data["page_size"], data["total"]) == (1, 20, count(MODELS[resource]))
    assert [item["id"] for item in data["items"]] == [obj_of(world.a, resource).id, obj_of(world.b, resource).id]


@pytest.mark.parametrize("resource", MODELS)
def test_paging(client, world, resource):
    response = client.get(f"{API}/{resource}?page_size=1&page=2", headers=world.bureau_headers)
    assert response.status_code == 200
    data = response.get_json()
    assert (data["page"], data["page_size"], data["total"]) == (2, 1, 2)
    assert [item["id"] for item in data["items"]] == [obj_of(world.b, resource).id]
    beyond = client.get(f"{API}/{resource}?page_size=1&page=3", headers=world.bureau_headers).get_json()
    assert beyond["items"] == [] and beyond["total"] == 2
    full = client.get(f"{API}/{resource}?page_size=100", headers=world.bureau_headers)
    assert full.status_code == 200 and len(full.get_json()["items"]) == 2


@pytest.mark.parametrize("resource", MODELS)
@pytest.mark.parametrize("query,field", [("page_size=101", "page_size"), ("page_size=0", "page_size"),
                                         ("page=0", "page"), ("page=x", "page")])
def test_bad_paging_is_422(client, world, resource, query, field):
    assert_error(client.get(f"{API}/{resource}?{query}", headers=world.bureau_headers), 422, field)


@pytest.mark.parametrize("resource", MODELS)
def test_filter_by_unit_id(client, world, resource):
    for unit in (world.a, world.b):
        response = client.get(f"{API}/{resource}?unit_id={unit.unit.id}", headers=world.bureau_headers)
        data = response.get_json()
        assert [item["id"] for item in data["items"]] == [obj_of(unit, resource).id]
        assert data["total"] == 1
    nobody = client.get(f"{API}/{resource}?unit_id=999999", headers=world.bureau_headers).get_json()
    assert nobody["items"] == [] and nobody["total"] == 0


@pytest.mark.parametrize("resource", MODELS)
def test_filter_by_name_fragment(client, world, resource):
    response = client.get(f"{API}/{resource}", query_string={"q": "乙站"}, headers=world.bureau_headers)
    data = response.get_json()
    assert [item["id"] for item in data["items"]] == [obj_of(world.b, resource).id] and data["total"] == 1
    # LIKE wildcards are taken literally.
    for fragment in ("%", "_"):
        data = client.get(f"{API}/{resource}", query_string={"q": fragment}, headers=world.bureau_headers).get_json()
        assert data["items"] == [] and data["total"] == 0


# --- read and change ---

@pytest.mark.parametrize("resource", MODELS)
def test_get_one(client, world, resource):
    obj = obj_of(world.a, resource)
    response = client.get(f"{API}/{resource}/{obj.id}", headers=world.a_headers)
    assert response.status_code == 200
    data = response.get_json()
    assert data["id"] == obj.id and data["name"] == obj.name
    if resource != "units":
        assert data["unit_id"] == world.a.unit.id and data["unit"] == {"id": world.a.unit.id, "name": "甲站"}


@pytest.mark.parametrize("resource", MODELS)
def test_patch_changes_only_sent_fields(client, world, resource):
    obj = obj_of(world.a, resource)
    url = f"{API}/{resource}/{obj.id}"
    before = client.get(url, headers=world.bureau_headers).get_json()
    response = client.patch(url, json=PATCHES[resource], headers=world.bureau_headers)
    assert response.status_code == 200
    after = response.get_json()
    assert after == {**before, **PATCHES[resource]}
    assert client.get(url, headers=world.bureau_headers).get_json() == after
    # An empty PATCH changes nothing.
    assert client.patch(url, json={}, headers=world.bureau_headers).get_json() == after


@pytest.mark.parametrize("resource", UNIT_OWNED)
def test_bureau_moves_object_to_another_unit(client, world, resource):
    obj = obj_of(world.a, resource)
    response = client.patch(f"{API}/{resource}/{obj.id}", json={"unit_id": world.b.unit.id},
                            headers=world.bureau_headers)
    assert response.status_code == 200
    assert response.get_json()["unit"] == {"id": world.b.unit.id, "name": "乙站"}


def test_unit_admin_may_change_own_unit_address_and_settings(client, world):
    url = f"{API}/units/{world.a.unit.id}"
    response = client.patch(url, json={"address": "新华路 9 号", "auto_approve_shifts": True}, headers=world.a_headers)
    assert response.status_code == 200
    assert response.get_json()["address"] == "新华路 9 号"
    assert db.session.get(Unit, world.a.unit.id).address == "新华路 9 号"


@pytest.mark.parametrize("field,value", [("name", "甲站新名"), ("is_red_station", False), ("type", "other")])
def test_unit_admin_cannot_rename_or_redesignate_own_unit(client, world, field, value):
    before = db_snapshot()
    response = client.patch(f"{API}/units/{world.a.unit.id}", json={field: value, "address": "x"},
                            headers=world.a_headers)
    assert_error(response, 403)
    assert db_snapshot() == before
    # The bureau may.
    response = client.patch(f"{API}/units/{world.a.unit.id}", json={field: value}, headers=world.bureau_headers)
    assert response.status_code == 200 and response.get_json()[field] == value


def test_window_lists_round_trip_and_patch_replaces_them(client, world):
    body = BODIES["windows"]
    created = create(client, world.a_headers, "windows").get_json()
    url = f"{API}/windows/{created['id']}"
    read = client.get(url, headers=world.a_headers).get_json()
    for name in ("duties", "commitments", "time_limits"):
        assert created[name] == read[name] == body[name]
    change = {"duties": ["审批"], "commitments": [], "time_limits": [{"item": "备案", "limit": "1 日"}]}
    response = client.patch(url, json=change, headers=world.a_headers)
    assert response.status_code == 200
    read = client.get(url, headers=world.a_headers).get_json()
    for name, value in change.items():
        assert response.get_json()[name] == read[name] == value
    assert read["name"] == body["name"]
    window = db.session.get(Window, created["id"])
    assert window.commitments == [] and window.time_limits == change["time_limits"]


def test_member_commitment_round_trips(client, world):
    created = create(client, world.a_headers, "members").get_json()
    url = f"{API}/members/{created['id']}"
    assert client.patch(url, json={"commitment": "有求必应"}, headers=world.a_headers).get_json()["commitment"] == "有求必应"
    assert client.patch(url, json={"commitment": ""}, headers=world.a_headers).get_json()["commitment"] == ""
    assert client.get(url, headers=world.a_headers).get_json()["commitment"] == ""


# --- post rule: the default shift fits in the open limit ---

def test_post_default_shift_longer_than_limit_is_422(client, world):
    before = db_snapshot()
    response = create(client, world.a_headers, "posts", default_shift_minutes=600, max_open_minutes=300)
    assert_error(response, 422, "default_shift_minutes")
    assert db_snapshot() == before


@pytest.mark.parametrize("change", [{"max_open_minutes": 200}, {"default_shift_minutes": 700, "max_open_minutes": 600}])
def test_post_patch_breaking_the_rule_is_422(client, world, change):
    # The world's post: default 240, limit 720.
    before = db_snapshot()
    error = assert_error(client.patch(f"{API}/posts/{world.a.post.id}", json=change, headers=world.a_headers), 422)
    assert {"default_shift_minutes", "max_open_minutes"} & set(error["fields"])
    assert db_snapshot() == before


def test_post_patch_of_default_alone_checks_stored_limit(client, world):
    url = f"{API}/posts/{world.a.post.id}"
    assert client.patch(url, json={"max_open_minutes": 300}, headers=world.a_headers).status_code == 200
    before = db_snapshot()
    assert_error(client.patch(url, json={"default_shift_minutes": 400}, headers=world.a_headers), 422,
                 "default_shift_minutes")
    assert db_snapshot() == before
    assert client.patch(url, json={"default_shift_minutes": 300}, headers=world.a_headers).status_code == 200


# --- phones ---

def test_phone_is_masked_in_create_list_get_and_patch(client, world):
    h = world.a_headers
    created = create(client, h, "members", phone="13812345678")
    assert created.status_code == 201 and created.get_json()["phone"] == "138****5678"
    member_id = created.get_json()["id"]
    listed = client.get(f"{API}/members", headers=h).get_json()["items"]
    assert {item["phone"] for item in listed} == {"138****5678"}
    assert client.get(f"{API}/members/{member_id}", headers=h).get_json()["phone"] == "138****5678"
    patched = client.patch(f"{API}/members/{member_id}", json={"phone": "13912340000"}, headers=h).get_json()
    assert patched["phone"] == "139****0000"
    assert db.session.get(Member, member_id).phone == "13912340000"


def test_no_admin_answer_shows_a_whole_phone(client, world):
    """Read every admin GET endpoint the app documents (the autouse fixture checks each answer)."""
    spec = client.get("/api/v1/openapi.json").get_json()
    ids = {"units": world.a.unit.id, "members": world.a.member.id, "windows": world.a.window.id,
           "posts": world.a.post.id}
    read = 0
    for path, item in spec["paths"].items():
        if not path.startswith(f"{API}/") or "get" not in item:
            continue
        resource = path.split("/")[4]
        url = re.sub(r"\{[^}]+\}", str(ids.get(resource, 1)), path)
        for headers in (world.bureau_headers, world.a_headers):
            response = client.get(url, headers=headers)
            assert response.status_code < 500
            read += 1
    assert read >= 16


# --- audit trail ---

@pytest.mark.parametrize("resource", MODELS)
def test_every_create_and_update_is_audited(client, world, resource):
    extra = {} if resource == "units" else {"unit_id": world.a.unit.id}
    created = create(client, world.bureau_headers, resource, **extra).get_json()
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == f"{MODELS[resource].__tablename__}.create",
                                                          AuditEntry.entity_id == created["id"])).all()
    assert len(entries) == 1
    entry = entries[0]
    assert entry.before is None and entry.after["name"] == BODIES[resource]["name"]
    assert (entry.actor_type, entry.actor_id) == ("admin", world.bureau.id)
    assert entry.entity_type == MODELS[resource].__tablename__
    assert "13912340000" not in json.dumps(entry.after, ensure_ascii=False)

    response = client.patch(f"{API}/{resource}/{created['id']}", json=PATCHES[resource], headers=world.bureau_headers)
    assert response.status_code == 200
    updates = db.session.scalars(select(AuditEntry).where(AuditEntry.action == f"{MODELS[resource].__tablename__}.update",
                                                          AuditEntry.entity_id == created["id"])).all()
    assert len(updates) == 1
    (field, value), = PATCHES[resource].items()
    assert updates[0].before[field] == BODIES[resource][field]
    assert updates[0].after[field] == value
    assert {k: v for k, v in updates[0].after.items() if k != field} == {
        k: v for k, v in updates[0].before.items() if k != field}


def test_patch_of_existing_object_is_audited_with_its_unit(client, world):
    response = client.patch(f"{API}/posts/{world.a.post.id}", json={"name": "新岗名"}, headers=world.a_headers)
    assert response.status_code == 200
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "post.update"))
    assert entry.unit_id == world.a.unit.id and entry.entity_id == world.a.post.id
    assert (entry.before["name"], entry.after["name"]) == ("甲站志愿岗", "新岗名")
    assert (entry.actor_type, entry.actor_id) == ("admin", world.a.admin.id)


# --- bind codes ---

def test_new_bind_code_replaces_the_old_one(client, world):
    created = create(client, world.a_headers, "members").get_json()
    first = created["bind_code"]
    response = client.post(f"{API}/members/{created['id']}/bind-code", headers=world.a_headers)
    assert response.status_code == 201
    data = response.get_json()
    assert set(data) == {"bind_code", "bind_code_expires_at"}
    assert re.fullmatch(r"[A-Z0-9]{8}", data["bind_code"]) and data["bind_code"] != first
    assert data["bind_code_expires_at"].endswith("+08:00")
    # The first code stopped working; the new one binds.
    assert_error(client.post("/api/v1/me/bind", json={"bind_code": first}, headers=world.citizen_headers), 410)
    bound = client.post("/api/v1/me/bind", json={"bind_code": data["bind_code"]}, headers=world.citizen_headers)
    assert bound.status_code == 200, bound.get_json()
    assert bound.get_json()["member"]["id"] == created["id"]
    member = client.get(f"{API}/members/{created['id']}", headers=world.a_headers).get_json()
    assert member["bound"] is True


def test_bind_code_of_unknown_member_is_404(client, world):
    before = db_snapshot()
    assert_error(client.post(f"{API}/members/999999/bind-code", headers=world.bureau_headers), 404)
    assert db_snapshot() == before
