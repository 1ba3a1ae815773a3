"""Console management pages (units, members, windows, posts): the API's schemas and services behind
forms — bad input shown beside its field with nothing saved, CSRF, the unit wall as 404 pages,
bureau-only pages as 403 — a member's bind code and its QR, one-item-per-line lists, and the
post location check (in China; near the unit's other posts unless confirmed)."""
import re

import pytest
from sqlalchemy import select

from browser_support import browser, console_login, site  # noqa: F401
from console_helpers import app, assert_error_beside, assert_error_page, csrf_token, error_beside, sign_in  # noqa: F401
from conftest import assert_error, db_snapshot
from qr_decode import decode_png
from server.extensions import db
from server.models import AuditEntry, BindCode, Member, Post, Unit, Window

NONEXISTENT = 99999999


@pytest.fixture
def a_client(client, world):
    """The test client signed in as unit A's admin, with the CSRF token of its session."""
    client.token = sign_in(client, "admin_a", "admin-a-pass")
    return client


@pytest.fixture
def bureau_client(client, world):
    client.token = sign_in(client, "bureau", "bureau-pass-1")
    return client


def post(client, url, data, token=True):
    return client.post(url, data={**data, **({"csrf_token": client.token} if token else {})})


def members_named(name):
    db.session.expire_all()
    return db.session.scalars(select(Member).where(Member.name == name)).all()


# --- lists: a unit admin sees their unit's objects only ---

@pytest.mark.parametrize("path,own,other", [
    ("/admin/units", "甲站", "乙站"), ("/admin/members", "甲站党员", "乙站党员"),
    ("/admin/windows", "甲站窗口", "乙站窗口"), ("/admin/posts", "甲站志愿岗", "乙站志愿岗"),
])
def test_lists_show_only_the_unit_admins_unit(a_client, path, own, other):
    page = a_client.get(path)
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f">{own}</a>" in body and f">{other}</a>" not in body
    # Naming the other unit in the query shows nothing of it either.
    assert f">{other}</a>" not in a_client.get(path, query_string={"unit_id": 2}).get_data(as_text=True)


def test_bureau_lists_every_unit_and_filters_by_unit(bureau_client, world):
    body = bureau_client.get("/admin/members").get_data(as_text=True)
    assert ">甲站党员</a>" in body and ">乙站党员</a>" in body
    only_b = bureau_client.get("/admin/members", query_string={"unit_id": world.b.unit.id}).get_data(as_text=True)
    assert ">乙站党员</a>" in only_b and ">甲站党员</a>" not in only_b


def test_phone_is_masked_in_lists_and_pages(a_client, world):
    for url in ("/admin/members", f"/admin/members/{world.a.member.id}", f"/admin/members/{world.a.member.id}/edit"):
        body = a_client.get(url).get_data(as_text=True)
        assert "13812345678" not in body
        assert "138****5678" in body


def test_bad_list_filters_are_422_beside_the_filter(a_client):
    response = a_client.get("/admin/members", query_string={"q": "x" * 60})
    assert response.status_code == 422
    assert "长度不能超过 50" in response.get_data(as_text=True)


# --- a new member, its bind code and the QR of it ---

def test_new_member_gets_a_bind_code_shown_with_its_qr(a_client, world):
    response = post(a_client, "/admin/members/new", {
        "name": "王芳", "post_title": "引导员", "is_party_member": "1", "phone": "13900001111",
        "commitment": "有问必答", "badge_no": "A-07"})
    assert response.status_code == 302
    member = members_named("王芳")[0]
    assert (member.unit_id, member.phone, member.commitment, member.is_party_member) == \
        (world.a.unit.id, "13900001111", "有问必答", True)
    assert response.location == f"/admin/members/{member.id}"
    code = db.session.scalar(select(BindCode).where(BindCode.member_id == member.id))
    page = a_client.get(response.location).get_data(as_text=True)
    assert f'<strong id="bind-code">{code.code}</strong>' in page
    assert "13900001111" not in page
    qr = a_client.get(f"/admin/members/{member.id}/bind-code.png")
    assert qr.status_code == 200 and qr.mimetype == "image/png"
    assert qr.headers["Cache-Control"] == "no-store"
    # The QR holds the plain bind code: what the mini-program's bind page reads.
    assert decode_png(qr.data) == [code.code]
    # The same audit entry the API writes.
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "member.create",
                                                      AuditEntry.entity_id == member.id)) is not None


def test_a_new_bind_code_replaces_the_old_one(a_client, world):
    member = world.a.member
    member.wechat_user_id = None  # unbound for this test
    db.session.commit()
    post(a_client, f"/admin/members/{member.id}/bind-code", {})
    first = db.session.scalar(select(BindCode).where(BindCode.member_id == member.id))
    response = post(a_client, f"/admin/members/{member.id}/bind-code", {})
    assert response.status_code == 302
    db.session.expire_all()
    codes = db.session.scalars(select(BindCode).where(BindCode.member_id == member.id).order_by(BindCode.id)).all()
    assert len(codes) == 2 and codes[0].code == first.code
    page = a_client.get(f"/admin/members/{member.id}").get_data(as_text=True)
    assert codes[1].code in page and codes[0].code not in page
    assert decode_png(a_client.get(f"/admin/members/{member.id}/bind-code.png").data) == [codes[1].code]


def test_a_bound_member_shows_no_bind_code(a_client, world):
    # world.a.member is bound to the member WeChat user.
    page = a_client.get(f"/admin/members/{world.a.member.id}").get_data(as_text=True)
    assert 'id="bind-code"' not in page and "已绑定" in page
    assert_error_page(a_client.get(f"/admin/members/{world.a.member.id}/bind-code.png"), 404)


# --- bad input: the error beside its field, the input kept, nothing saved ---

BAD_FORMS = [
    # (who, url, form, field, status, fragment of the message)
    ("a", "/admin/members/new", {"name": "  ", "phone": "13900001111"}, "name", 422, ""),
    ("a", "/admin/members/new", {"name": "王芳", "phone": "12345"}, "phone", 422, "11 位"),
    ("a", "/admin/members/new", {"name": "王芳", "photo_url": "javascript:alert(1)"}, "photo_url", 422, "网址"),
    ("a", "/admin/members/new", {"name": "王芳", "commitment": "字" * 201}, "commitment", 422, "200"),
    ("a", "/admin/windows/new", {"name": "综合窗口", "duties": "受理\n" + "长" * 201}, "duties", 422, "第 2 行"),
    ("a", "/admin/windows/new", {"name": "综合窗口", "time_limits": "驾驶证换证：即办\n办证"}, "time_limits", 422,
     "第 2 行（时限）"),
    ("a", "/admin/windows/new", {"name": "综合窗口", "commitments": "\n".join(f"承诺{i}" for i in range(21))},
     "commitments", 422, "20"),
    ("a", "/admin/posts/new", {"name": "路口岗", "lat": "abc", "lng": "120.7"}, "lat", 422, "数字"),
    ("a", "/admin/posts/new", {"name": "路口岗", "lat": "30.7"}, "lng", 422, ""),
    ("a", "/admin/posts/new", {"name": "路口岗", "lat": "30.7", "lng": "120.7", "radius_m": "5"}, "radius_m", 422,
     "10"),
    ("a", "/admin/posts/new", {"name": "路口岗", "lat": "30.7", "lng": "120.7", "radius_m": "2百"}, "radius_m", 422,
     "整数"),
    ("a", "/admin/posts/new", {"name": "路口岗", "lat": "30.7", "lng": "120.7", "default_shift_minutes": "600",
                               "max_open_minutes": "300"}, "default_shift_minutes", 422, "300"),
    ("a", "/admin/posts/new", {"name": "路口岗", "lat": "30.7", "lng": "30.7"}, "lng", 422, "境内"),
    ("bureau", "/admin/units/new", {"name": ""}, "name", 422, ""),
    ("bureau", "/admin/units/new", {"name": "乙站"}, "name", 409, "已被使用"),
    ("bureau", "/admin/units/new", {"name": "丙站", "type": "castle"}, "type", 422, "取值应为"),
    ("bureau", "/admin/members/new", {"name": "王芳"}, "unit_id", 422, ""),
    ("bureau", "/admin/members/new", {"name": "王芳", "unit_id": str(NONEXISTENT)}, "unit_id", 422, "单位不存在"),
    ("a", "/admin/members/{a.member}/edit", {"name": ""}, "name", 422, ""),
    ("a", "/admin/posts/{a.post}/edit", {"name": "甲站志愿岗", "lat": "91", "lng": "120.75"}, "lat", 422, "90"),
    ("a", "/admin/windows/{a.window}/edit", {"name": "甲站窗口", "time_limits": "：即办"}, "time_limits", 422,
     "第 1 行（事项）"),
]


@pytest.mark.parametrize("who,url,form,field,status,fragment", BAD_FORMS,
                         ids=[f"{u.split('/')[2]}-{f}-{i}" for i, (_, u, _, f, _, _) in enumerate(BAD_FORMS)])
def test_bad_input_is_shown_beside_its_field_and_saves_nothing(client, world, who, url, form, field, status, fragment):
    client.token = sign_in(client, *{"a": ("admin_a", "admin-a-pass"), "bureau": ("bureau", "bureau-pass-1")}[who])
    url = url.format(a=type("ids", (), {k: getattr(world.a, k).id for k in ("member", "post", "window")}))
    before = db_snapshot()
    response = post(client, url, form)
    assert_error_beside(response, status, field, fragment)
    assert db_snapshot() == before
    # The admin's input is still in the form.
    body = response.get_data(as_text=True)
    for name, value in form.items():
        if value.strip() and "\n" not in value and len(value) < 100 and name not in ("type", "unit_id"):
            assert f'value="{value}"' in body or f">{value}</textarea>" in body, name


def test_unit_admin_cannot_rename_their_unit_and_nothing_is_saved(a_client, world):
    before = db_snapshot()
    response = post(a_client, f"/admin/units/{world.a.unit.id}/edit", {"address": "新地址", "name": "偷改"})
    # The form does not offer the name to a unit admin; the posted one is simply not sent to the API.
    assert response.status_code == 302
    db.session.expire_all()
    unit = db.session.get(Unit, world.a.unit.id)
    assert (unit.name, unit.address) == ("甲站", "新地址")
    assert db_snapshot() != before


def test_unit_admin_edits_their_units_settings(a_client, world):
    page = a_client.get(f"/admin/units/{world.a.unit.id}/edit").get_data(as_text=True)
    assert re.search(r'id="f-name"[^>]*disabled', page) and re.search(r'id="f-is_red_station"[^>]*disabled', page)
    response = post(a_client, f"/admin/units/{world.a.unit.id}/edit", {"address": "", "auto_approve_shifts": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    unit = db.session.get(Unit, world.a.unit.id)
    assert (unit.address, unit.auto_approve_shifts, unit.is_red_station) == ("", True, True)


def test_bureau_unchecks_a_box(bureau_client, world):
    response = post(bureau_client, f"/admin/units/{world.b.unit.id}/edit",
                    {"name": "乙站", "type": "service_area", "address": "乙站地址"})
    assert response.status_code == 302
    db.session.expire_all()
    unit = db.session.get(Unit, world.b.unit.id)
    assert (unit.is_red_station, unit.type) == (False, "service_area")


# --- windows: lists edited one item per line ---

def test_window_lists_are_one_item_per_line(a_client, world):
    response = post(a_client, "/admin/windows/new", {
        "name": "综合窗口", "duties": "受理\n\n  咨询  \n", "commitments": "一次办结\n首问负责",
        "time_limits": "驾驶证换证：即办\n道路运输证: 3个工作日"})
    assert response.status_code == 302
    window = db.session.scalar(select(Window).where(Window.name == "综合窗口"))
    assert window.duties == ["受理", "咨询"]
    assert window.commitments == ["一次办结", "首问负责"]
    assert window.time_limits == [{"item": "驾驶证换证", "limit": "即办"}, {"item": "道路运输证", "limit": "3个工作日"}]
    form = a_client.get(f"/admin/windows/{window.id}/edit").get_data(as_text=True)
    assert ">受理\n咨询</textarea>" in form and "驾驶证换证：即办\n道路运输证：3个工作日</textarea>" in form
    post(a_client, f"/admin/windows/{window.id}/edit", {"name": "综合窗口", "duties": "", "commitments": "一次办结"})
    db.session.expire_all()
    window = db.session.get(Window, window.id)
    assert (window.duties, window.commitments, window.time_limits) == ([], ["一次办结"], [])


def test_member_edit_keeps_the_phone_unless_given(a_client, world):
    url = f"/admin/members/{world.a.member.id}/edit"
    post(a_client, url, {"name": "甲站党员", "post_title": "站长", "phone": "", "is_party_member": "1"})
    db.session.expire_all()
    member = db.session.get(Member, world.a.member.id)
    assert (member.phone, member.post_title) == ("13812345678", "站长")
    post(a_client, url, {"name": "甲站党员", "phone": "13700002222"})
    db.session.expire_all()
    member = db.session.get(Member, world.a.member.id)
    assert (member.phone, member.is_party_member) == ("13700002222", False)


# --- posts: the location is checked for sense ---

def test_a_post_far_from_the_units_other_posts_needs_confirming(a_client, world):
    form = {"name": "远处岗", "lat": "31.75", "lng": "120.75", "radius_m": "300"}  # ~111 km north of 甲站志愿岗
    before = db_snapshot()
    response = post(a_client, "/admin/posts/new", form)
    message = assert_error_beside(response, 422, "lat", "甲站志愿岗", "公里", "50")
    assert error_beside(response, "lng") == message
    assert 'name="confirm_far"' in response.get_data(as_text=True)
    assert db_snapshot() == before
    response = post(a_client, "/admin/posts/new", {**form, "confirm_far": "1"})
    assert response.status_code == 302
    far = db.session.scalar(select(Post).where(Post.name == "远处岗"))
    assert (far.lat, far.lng, far.radius_m, far.unit_id) == (31.75, 120.75, 300, world.a.unit.id)
    # Near the unit's posts: no question asked.
    assert post(a_client, "/admin/posts/new", {"name": "近处岗", "lat": "30.76", "lng": "120.74"}).status_code == 302


def test_the_api_refuses_a_post_outside_china_too(client, world):
    before = db_snapshot()
    response = client.post("/api/v1/admin/posts", json={"name": "路口岗", "lat": 120.7, "lng": 30.7},
                           headers=world.a_headers)
    assert_error(response, 422, "lat")
    response = client.post("/api/v1/admin/posts", json={"name": "路口岗", "lat": 30.7, "lng": 30.7},
                           headers=world.a_headers)
    error = assert_error(response, 422, "lat", "lng")
    assert "境内" in error["fields"]["lng"][0]
    assert client.patch(f"/api/v1/admin/posts/{world.a.post.id}", json={"lng": -120.75},
                        headers=world.a_headers).status_code == 422
    assert db_snapshot() == before


# --- CSRF ---

@pytest.mark.parametrize("url,form", [
    ("/admin/members/new", {"name": "王芳"}),
    ("/admin/members/{member}/edit", {"name": "改名"}),
    ("/admin/members/{member}/bind-code", {}),
    ("/admin/posts/new", {"name": "路口岗", "lat": "30.7", "lng": "120.7"}),
])
def test_forms_without_the_csrf_token_are_400_and_save_nothing(a_client, world, url, form):
    before = db_snapshot()
    response = post(a_client, url.format(member=world.a.member.id), form, token=False)
    assert_error_page(response, 400)
    response = a_client.post(url.format(member=world.a.member.id), data={**form, "csrf_token": "forged"})
    assert_error_page(response, 400)
    assert db_snapshot() == before


# --- the unit wall: another unit's object is a 404 page, like one that does not exist ---

WALLED_GETS = ["/admin/members/{id}", "/admin/members/{id}/edit", "/admin/members/{id}/bind-code.png",
               "/admin/windows/{id}", "/admin/windows/{id}/edit", "/admin/posts/{id}", "/admin/posts/{id}/edit",
               "/admin/units/{id}", "/admin/units/{id}/edit"]


@pytest.mark.parametrize("path", WALLED_GETS)
def test_another_units_pages_are_404(a_client, world, path):
    target = {"members": world.b.member, "windows": world.b.window, "posts": world.b.post,
              "units": world.b.unit}[path.split("/")[2]]
    world.b.member.wechat_user_id = None
    db.session.commit()
    other = a_client.get(path.format(id=target.id))
    missing = a_client.get(path.format(id=NONEXISTENT))
    assert assert_error_page(other, 404) == assert_error_page(missing, 404)
    # The bureau reaches it (the 404 is the wall, not a broken page).
    bureau = a_client.application.test_client()
    sign_in(bureau, "bureau", "bureau-pass-1")
    if not path.endswith(".png"):
        assert bureau.get(path.format(id=target.id)).status_code == 200


@pytest.mark.parametrize("path,form", [
    ("/admin/members/{id}/edit", {"name": "偷改"}), ("/admin/members/{id}/bind-code", {}),
    ("/admin/windows/{id}/edit", {"name": "偷改"}), ("/admin/posts/{id}/edit", {"name": "偷改", "lat": "30", "lng": "120"}),
    ("/admin/units/{id}/edit", {"address": "偷改"}),
])
def test_changing_another_units_object_is_404_and_saves_nothing(a_client, world, path, form):
    target = {"members": world.b.member, "windows": world.b.window, "posts": world.b.post,
              "units": world.b.unit}[path.split("/")[2]]
    before = db_snapshot()
    assert_error_page(post(a_client, path.format(id=target.id), form), 404)
    assert db_snapshot() == before


def test_creating_into_another_unit_is_refused(a_client, world):
    before = db_snapshot()
    response = post(a_client, "/admin/members/new", {"name": "王芳", "unit_id": str(world.b.unit.id)})
    # A unit admin's form has no unit choice: a forged one is ignored and the member stays in their unit.
    assert response.status_code == 302
    assert members_named("王芳")[0].unit_id == world.a.unit.id
    assert db_snapshot() != before


# --- bureau-only pages ---

def test_creating_units_is_403_for_unit_admins(a_client, world):
    before = db_snapshot()
    assert_error_page(a_client.get("/admin/units/new"), 403)
    assert_error_page(post(a_client, "/admin/units/new", {"name": "丙站"}), 403)
    assert db_snapshot() == before
    assert "新建单位" not in a_client.get("/admin/units").get_data(as_text=True)


def test_bureau_creates_a_unit(bureau_client):
    response = post(bureau_client, "/admin/units/new", {"name": "丙站", "type": "service_area", "is_red_station": "1",
                                                         "address": "某路 1 号"})
    assert response.status_code == 302
    unit = db.session.scalar(select(Unit).where(Unit.name == "丙站"))
    assert (unit.type, unit.is_red_station, unit.address, unit.auto_approve_shifts) == \
        ("service_area", True, "某路 1 号", False)
    page = bureau_client.get(response.location).get_data(as_text=True)
    assert "丙站" in page and "服务区" in page


def test_pages_need_signing_in(client, world):
    for path in ("/admin/units", "/admin/members/new", f"/admin/posts/{world.a.post.id}"):
        response = client.get(path)
        assert response.status_code == 302 and response.location.startswith("/admin/login")
    token = csrf_token(client.get("/admin/login"))
    before = db_snapshot()
    response = client.post("/admin/members/new", data={"name": "王芳", "csrf_token": token})
    assert response.status_code == 302 and response.location.startswith("/admin/login")
    assert db_snapshot() == before


# --- in Chromium ---

def test_in_chromium_a_unit_admin_adds_a_member_and_meets_the_wall(browser, site, world):  # noqa: F811
    page = console_login(browser, site, "admin_a", "admin-a-pass")
    page.goto("/admin/members")
    page.click("text=新增党员/志愿者")
    page.fill("#f-name", "王芳")
    page.fill("#f-phone", "1390000")  # too short: the error appears beside the field, the input stays
    with page.expect_navigation():
        page.click("#save")
    assert page.locator("#phone-error").inner_text() == "手机号应为 11 位数字"
    assert page.input_value("#f-name") == "王芳"
    page.fill("#f-phone", "13900001111")
    page.fill("#f-post_title", "引导员")
    with page.expect_navigation():
        page.click("#save")
    assert "已新增" in page.locator(".flash").inner_text()
    code = page.locator("#bind-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{8}", code)
    qr = page.locator("img.bind-qr")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    png = page.request.get(qr.get_attribute("src"))
    assert png.ok and decode_png(png.body()) == [code]
    assert "138****5678" in page.request.get("/admin/members").text()

    # Another unit's pages, typed in: 404 pages.
    db.session.rollback()
    for path in (f"/admin/members/{world.b.member.id}", f"/admin/windows/{world.b.window.id}/edit",
                 f"/admin/posts/{world.b.post.id}", f"/admin/units/{world.b.unit.id}"):
        response = page.goto(path)
        assert response.status == 404, path
        assert "请求的内容不存在" in page.locator("main").inner_text()
    response = page.goto("/admin/units/new")
    assert response.status == 403 and "仅局管理员" in page.locator("main").inner_text()
    page.context.close()
    db.session.rollback()
    member = members_named("王芳")[0]
    assert (member.unit_id, member.phone, member.post_title) == (world.a.unit.id, "13900001111", "引导员")
