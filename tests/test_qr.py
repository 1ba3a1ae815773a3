"""QR codes and printable signs: issuing, revoking, the unit wall, and that every generated
code (bare, desk sign, badge card, batch ZIP, A4 PDF sheet, CLI export) decodes with zbarimg
to exactly the URL the API reported.

Signs are written under a per-test QR_OUTPUT_DIR in tmp_path, never into the repository.
"""
import io
import re
import zipfile
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image
from sqlalchemy import select

from conftest import CHINESE, assert_error
from qr_decode import decode_pdf, decode_png, decode_pngs, require_tools
from server.extensions import db
from server.models import AuditEntry, Member, QrCode
from server.qr import fonts, services, signs
from server.qr.fonts import FontMissingError, font, font_file
from server.qr.signs import fit_text, layouts, wrap

API = "/api/v1/admin/qrcodes"
BASE = "https://rs.example.cn"
OPAQUE_TOKEN = re.compile(r"[A-Za-z0-9_-]{22,}")
# 60 Chinese characters (punctuation aside): the longest one-sentence commitment a badge must carry.
COMMITMENT_60 = ("坚持人民至上，热情周到服务每一位群众；做到来有迎声问有答声走有送声，"
                 "件件有回音事事有着落，不推诿不拖延不刁难，争当交通运输行业先锋")
CLOSING_PUNCTUATION = set("，。、；：！？）")


@pytest.fixture(autouse=True)
def qr_output(app, tmp_path):
    """Rendered signs go to a temporary QR_OUTPUT_DIR."""
    out = tmp_path / "qr"
    app.config["QR_OUTPUT_DIR"] = str(out)
    return out


@pytest.fixture
def tools():
    require_tools()


def issue(client, headers, kind, target_id, status=201):
    response = client.post(API, json={"kind": kind, "target_id": target_id}, headers=headers)
    assert response.status_code == status, (response.status_code, response.get_json())
    return response.get_json()


def local(url):
    """The path (and query) of an absolute URL the API reported, for the test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def get_png(client, url, headers, **query):
    response = client.get(local(url), query_string=query, headers=headers)
    assert response.status_code == 200, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.mimetype == "image/png"
    return response.data


def issue_unit_codes(client, world):
    """Unit A's badge, window and post codes (by its own admin)."""
    return {kind: issue(client, world.a_headers, kind, getattr(world.a, target).id)
            for kind, target in (("badge", "member"), ("window", "window"), ("post", "post"))}


def add_member(unit, name, commitment="热情服务，件件有回音", **fields):
    member = Member(unit_id=unit.id, name=name, post_title="党员先锋岗", phone="13812345678", **fields)
    member.commitment = commitment
    db.session.add(member)
    db.session.commit()
    return member


def decode_zip(data):
    """{file name: codes decoded from that PNG} of a ZIP (bytes or path)."""
    with zipfile.ZipFile(data if isinstance(data, Path) else io.BytesIO(data)) as archive:
        names = archive.namelist()
        pngs = [archive.read(name) for name in names]
    return dict(zip(names, decode_pngs(pngs)))


def expected_sheet(current):
    """Counter of URLs on a unit's signs: a badge has a card and a desk sign, others one desk sign."""
    return Counter({c["url"]: 2 if c["kind"] == "badge" else 1 for c in current})


# --- Issuing ---------------------------------------------------------------------------


def test_issue_answers_201_then_200_with_the_same_code(client, world):
    tokens = set()
    for kind, target in (("badge", world.a.member), ("window", world.a.window), ("post", world.a.post)):
        body = issue(client, world.a_headers, kind, target.id, status=201)
        assert {"id", "token", "url", "image_url", "sign_url"} <= set(body)
        assert body["kind"] == kind and body["target_id"] == target.id and body["unit_id"] == world.a.unit.id
        assert body["url"] == f"{BASE}/q/{body['token']}"
        assert body["image_url"] == f"{BASE}{API}/{body['id']}/image.png"
        assert body["sign_url"] == f"{BASE}{API}/{body['id']}/sign.png"
        assert body["revoked_at"] is None
        again = issue(client, world.a_headers, kind, target.id, status=200)
        assert (again["id"], again["token"]) == (body["id"], body["token"])
        # The bureau asking for the same target gets the same code too.
        assert issue(client, world.bureau_headers, kind, target.id, status=200)["token"] == body["token"]
        tokens.add(body["token"])
    assert len(tokens) == 3
    read = client.get(f"{API}/{body['id']}", headers=world.a_headers)
    assert read.status_code == 200 and read.get_json()["token"] == body["token"]


def test_token_is_opaque(client, world, tools):
    member = add_member(world.a.unit, "保密测试员", id=987654, badge_no="RS-0042")
    member.phone = "13987654321"
    db.session.commit()
    body = issue(client, world.a_headers, "badge", member.id)
    token = body["token"]
    assert OPAQUE_TOKEN.fullmatch(token), token
    assert body["url"] == f"{BASE}/q/{token}"
    for secret in ("987654", "保密测试员", "13987654321", "4321", "RS-0042", "0042", "甲站"):
        assert secret not in body["url"], secret
    # The printed code holds the URL and nothing else.
    assert decode_png(get_png(client, body["image_url"], world.a_headers)) == [body["url"]]


def test_issue_and_revoke_are_audited(client, world):
    body = issue(client, world.a_headers, "window", world.a.window.id)
    issue(client, world.a_headers, "window", world.a.window.id, status=200)  # no second entry
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "qr_code")).all()
    assert [(e.action, e.entity_id, e.unit_id) for e in entries] == [("qr.issue", body["id"], world.a.unit.id)]
    assert (entries[0].actor_type, entries[0].actor_id) == ("admin", world.a.admin.id)
    assert entries[0].after == {"kind": "window", "target_id": world.a.window.id}

    response = client.post(f"{API}/{body['id']}/revoke", json={"reason": "窗口撤并"}, headers=world.a_headers)
    assert response.status_code == 200 and response.get_json()["revoked_at"]
    client.post(f"{API}/{body['id']}/revoke", json={}, headers=world.a_headers)  # already revoked: no entry
    revokes = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "qr.revoke")).all()
    assert [(e.entity_id, e.reason, e.actor_id) for e in revokes] == [(body["id"], "窗口撤并", world.a.admin.id)]


def test_issue_validation(client, world):
    assert_error(client.post(API, json={"kind": "member", "target_id": world.a.member.id}, headers=world.a_headers),
                 422, "kind")
    assert_error(client.post(API, json={"kind": "badge"}, headers=world.a_headers), 422, "target_id")
    assert_error(client.post(API, json={"kind": "badge", "target_id": 99999}, headers=world.a_headers), 422, "target_id")
    # A window id is not a member id: the target must exist as the kind's object.
    assert_error(client.post(API, json={"kind": "badge", "target_id": 0}, headers=world.a_headers), 422, "target_id")
    # Unit admin B cannot issue a code for unit A's member, window or post.
    for kind, target in (("badge", world.a.member), ("window", world.a.window), ("post", world.a.post)):
        assert_error(client.post(API, json={"kind": kind, "target_id": target.id}, headers=world.b_headers),
                     422, "target_id")
    assert db.session.scalar(select(QrCode.id)) is None
    assert client.post(API, json={"kind": "badge", "target_id": world.a.member.id}).status_code == 401
    assert client.post(API, json={"kind": "badge", "target_id": world.a.member.id},
                       headers=world.citizen_headers).status_code == 403


# --- Revoking and reissuing --------------------------------------------------------------


def test_revoke_then_reissue(client, world):
    body = issue(client, world.a_headers, "badge", world.a.member.id)
    old = body["token"]
    assert client.get(f"/api/v1/scan/{old}").status_code == 200
    revoked = client.post(f"{API}/{body['id']}/revoke", json={"reason": "胸卡遗失"}, headers=world.a_headers)
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"]

    assert assert_error(client.get(f"/api/v1/scan/{old}"), 410)["code"] == "code_revoked"
    page = client.get(f"/q/{old}")
    assert page.status_code == 410 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert 'lang="zh-CN"' in html and "停用" in html and CHINESE.search(html)
    for suffix, query in (("image.png", {}), ("sign.png", {}), ("sign.png", {"layout": "badge"})):
        response = client.get(f"{API}/{body['id']}/{suffix}", query_string=query, headers=world.a_headers)
        assert assert_error(response, 410)["code"] == "code_revoked"
    # Revoked codes leave the list (unless asked for) and the target has no current code.
    listed = client.get(API, headers=world.a_headers).get_json()["items"]
    assert old not in [c["token"] for c in listed]
    with_revoked = client.get(API, query_string={"include_revoked": "true"}, headers=world.a_headers).get_json()
    assert old in [c["token"] for c in with_revoked["items"]]

    new = client.post(f"{API}/{body['id']}/reissue", json={}, headers=world.a_headers)
    assert new.status_code == 201
    new = new.get_json()
    assert new["token"] != old and new["id"] != body["id"] and OPAQUE_TOKEN.fullmatch(new["token"])
    assert new["url"] == f"{BASE}/q/{new['token']}"
    scan = client.get(f"/api/v1/scan/{new['token']}")
    assert scan.status_code == 200 and scan.get_json()["kind"] == "badge"
    assert scan.get_json()["target"]["name"] == world.a.member.name
    assert client.get(f"/api/v1/scan/{old}").status_code == 410
    # Issuing again now answers the reissued code.
    assert issue(client, world.a_headers, "badge", world.a.member.id, status=200)["token"] == new["token"]


def test_reissue_of_a_current_code_revokes_it(client, world):
    body = issue(client, world.a_headers, "post", world.a.post.id)
    new = client.post(f"{API}/{body['id']}/reissue", json={"reason": "重新印制"}, headers=world.a_headers)
    assert new.status_code == 201 and new.get_json()["token"] != body["token"]
    assert client.get(f"/api/v1/scan/{body['token']}").status_code == 410
    assert client.get(f"/api/v1/scan/{new.get_json()['token']}").status_code == 200
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity_type == "qr_code").order_by(AuditEntry.id)).all()
    assert actions == ["qr.issue", "qr.revoke", "qr.issue"]


def test_sign_layout_must_fit_the_kind(client, world):
    codes = issue_unit_codes(client, world)
    for kind in ("window", "post"):
        response = client.get(local(codes[kind]["sign_url"]), query_string={"layout": "badge"}, headers=world.a_headers)
        assert_error(response, 422, "layout")
    response = client.get(local(codes["badge"]["sign_url"]), query_string={"layout": "poster"}, headers=world.a_headers)
    assert_error(response, 422, "layout")


# --- The unit wall -----------------------------------------------------------------------


def test_unit_admin_b_cannot_touch_unit_a_codes(client, world):
    codes = issue_unit_codes(client, world)
    own = issue(client, world.b_headers, "badge", world.b.member.id)
    for code in codes.values():
        for path in (f"{API}/{code['id']}", local(code["image_url"]), local(code["sign_url"])):
            assert_error(client.get(path, headers=world.b_headers), 404)
        for action in ("revoke", "reissue"):
            assert_error(client.post(f"{API}/{code['id']}/{action}", json={}, headers=world.b_headers), 404)
        assert client.get(f"/api/v1/scan/{code['token']}").status_code == 200  # untouched
    listed = client.get(API, headers=world.b_headers).get_json()
    assert [c["id"] for c in listed["items"]] == [own["id"]] and listed["total"] == 1
    filtered = client.get(API, query_string={"unit_id": world.a.unit.id}, headers=world.b_headers)
    assert filtered.status_code in (200, 404, 422)
    if filtered.status_code == 200:
        assert filtered.get_json()["items"] == []
    for name in ("export.zip", "export.pdf"):
        assert_error(client.get(f"{API}/{name}", query_string={"unit_id": world.a.unit.id}, headers=world.b_headers),
                     422, "unit_id")
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "qr.revoke")) is None


# --- Every code decodes to its URL --------------------------------------------------------


def test_bare_codes_and_signs_decode_to_the_reported_url(client, world, tools, monkeypatch):
    fitted = []  # (text, lines) of every text box drawn
    real_fit_text = signs.fit_text

    def recording_fit_text(text, *args, **kwargs):
        face, lines, line_height = real_fit_text(text, *args, **kwargs)
        fitted.append((text, lines))
        return face, lines, line_height

    monkeypatch.setattr(signs, "fit_text", recording_fit_text)
    world.a.member.commitment = COMMITMENT_60
    world.a.member.post_title = "驾驶证业务窗口党员先锋岗（首席服务官）"
    world.a.window.name = "机动车驾驶证业务综合受理窗口"
    world.a.window.duties = ["受理机动车驾驶证申领、换证、补证、满分学习考试预约及相关咨询业务"] * 4
    world.a.window.commitments = ["材料齐全当场办结，材料不全一次告知，绝不让群众跑第二趟；" * 2,
                                  "预约、延时、上门服务随叫随到，特殊群体优先办理、全程帮办代办！"] * 3
    world.a.window.time_limits = [{"item": f"第{i}类业务（含补证、换证）", "limit": f"{i}个工作日内办结"} for i in range(1, 9)]
    world.a.post.service = "为过往司乘人员免费提供姜茶、热水、出行路况咨询、应急药品和手机充电服务。" * 3
    db.session.commit()
    assert len(CHINESE.findall(COMMITMENT_60)) == 60

    codes = issue_unit_codes(client, world)
    images, expected = [], []
    for kind, code in codes.items():
        layouts_for_kind = ("desk", "badge") if kind == "badge" else ("desk",)
        images.append(get_png(client, code["image_url"], world.a_headers))
        expected.append(code["url"])
        for layout in layouts_for_kind:
            png = get_png(client, code["sign_url"], world.a_headers, layout=layout)
            spec = layouts()[layout]
            size = Image.open(io.BytesIO(png)).size
            px_per_mm = spec["dpi"] / 25.4
            assert size == (round(spec["width_mm"] * px_per_mm), round(spec["height_mm"] * px_per_mm)), (layout, size)
            images.append(png)
            expected.append(code["url"])
    # The default layout is the desk sign.
    assert get_png(client, codes["window"]["sign_url"], world.a_headers) == images[expected.index(codes["window"]["url"]) + 1]
    assert decode_pngs(images) == [[url] for url in expected]
    # The badge card and the member's desk sign carry the whole 60-character commitment, uncut.
    content = services.sign_content(db.session.get(QrCode, codes["badge"]["id"]))
    assert content.body == COMMITMENT_60
    commitment_boxes = [lines for text, lines in fitted if COMMITMENT_60 in text]
    assert len(commitment_boxes) == 2
    for lines in commitment_boxes:
        assert COMMITMENT_60 in "".join(lines) and not any("…" in line for line in lines), lines
        assert not any(line[:1] in CLOSING_PUNCTUATION for line in lines), lines


def test_export_zip_and_pdf_hold_exactly_the_current_codes(client, world, tools):
    extra = add_member(world.a.unit, "临时志愿者", commitment=COMMITMENT_60, is_party_member=False)
    revoked = issue(client, world.a_headers, "badge", extra.id)
    client.post(f"{API}/{revoked['id']}/revoke", json={}, headers=world.a_headers)
    other_unit = issue(client, world.b_headers, "window", world.b.window.id)
    world.a.window.name = "../进出口/船舶:窗口"  # admins type what they like; the ZIP must stay flat
    db.session.commit()
    current = list(issue_unit_codes(client, world).values())
    expected = expected_sheet(current)

    response = client.get(f"{API}/export.zip", query_string={"unit_id": world.a.unit.id}, headers=world.a_headers)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    decoded = decode_zip(response.data)
    assert len(decoded) == sum(expected.values())
    assert all(name.endswith(".png") for name in decoded)
    assert not [name for name in decoded if "/" in name or "\\" in name or ".." in name or ":" in name], list(decoded)
    assert sorted(f"{c['kind']}-{c['id']}" for c in current for _ in range(expected[c["url"]])) == sorted(
        "-".join(name.split("-")[:2]) for name in decoded)
    assert all(len(codes) == 1 for codes in decoded.values()), decoded
    assert Counter(codes[0] for codes in decoded.values()) == expected
    assert set(expected) == {c["url"] for c in current}
    assert revoked["url"] not in str(decoded) and other_unit["url"] not in str(decoded)

    response = client.get(f"{API}/export.pdf", query_string={"unit_id": world.a.unit.id}, headers=world.bureau_headers)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    pages = decode_pdf(response.data, png=True)  # pdftoppm -r 300 -png, as a print shop would see it
    assert all(pages), pages  # no blank page
    assert Counter(url for page in pages for url in page) == expected


def test_export_of_a_unit_without_codes(client, world):
    response = client.get(f"{API}/export.zip", query_string={"unit_id": world.b.unit.id}, headers=world.b_headers)
    assert assert_error(response, 404)["code"] == "no_codes"
    assert_error(client.get(f"{API}/export.pdf", query_string={"unit_id": 99999}, headers=world.bureau_headers),
                 422, "unit_id")
    assert_error(client.get(f"{API}/export.zip", headers=world.bureau_headers), 422, "unit_id")


def test_cli_export_writes_zip_and_pdf(app, client, world, runner, tmp_path, tools):
    # Enough signs (≥ 8) that --workers 2 renders in worker processes.
    for name in ("张明", "李华", "王芳"):
        issue(client, world.a_headers, "badge", add_member(world.a.unit, name, commitment=COMMITMENT_60).id)
    current = client.get(API, query_string={"unit_id": world.a.unit.id}, headers=world.a_headers).get_json()["items"]
    current += issue_unit_codes(client, world).values()
    dropped = current.pop(0)
    client.post(f"{API}/{dropped['id']}/revoke", json={}, headers=world.a_headers)
    expected = expected_sheet(current)
    assert sum(expected.values()) >= 8

    out = tmp_path / "x.zip"
    result = runner.invoke(args=["qr", "export", "--unit", str(world.a.unit.id), "--out", str(out), "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert out.is_file() and (tmp_path / "x.pdf").is_file(), result.output
    decoded = decode_zip(out)
    assert all(len(codes) == 1 for codes in decoded.values()), decoded
    assert Counter(codes[0] for codes in decoded.values()) == expected
    pages = decode_pdf((tmp_path / "x.pdf").read_bytes())
    assert all(pages) and Counter(url for page in pages for url in page) == expected

    # --pdf names the sheet; the signs come from the cache the first run filled.
    sheet = tmp_path / "sheet" / "a4.pdf"
    sheet.parent.mkdir()
    result = runner.invoke(args=["qr", "export", "--unit", str(world.a.unit.id), "--out", str(tmp_path / "y.zip"),
                                 "--pdf", str(sheet), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert sheet.read_bytes().startswith(b"%PDF")
    with zipfile.ZipFile(out) as first, zipfile.ZipFile(tmp_path / "y.zip") as second:
        assert sorted(first.namelist()) == sorted(second.namelist())
        assert all(first.read(n) == second.read(n) for n in first.namelist())


def test_cli_export_refuses_a_unit_without_codes(app, world, runner, tmp_path):
    out = tmp_path / "empty.zip"
    result = runner.invoke(args=["qr", "export", "--unit", str(world.b.unit.id), "--out", str(out)])
    assert result.exit_code != 0
    assert "no current codes" in result.output and world.b.unit.name in result.output
    assert not out.exists()
    result = runner.invoke(args=["qr", "export", "--unit", "99999", "--out", str(out)])
    assert result.exit_code != 0 and "No unit with id 99999" in result.output


# --- Caching -----------------------------------------------------------------------------


def test_sign_is_rendered_once_and_again_when_its_text_changes(client, world, qr_output, monkeypatch, tools):
    renders = []
    real_render = signs.render_sign

    def counting_render(content, layout):
        renders.append((content.body, layout))
        return real_render(content, layout)

    monkeypatch.setattr(signs, "render_sign", counting_render)
    code = issue(client, world.a_headers, "badge", world.a.member.id)
    first = get_png(client, code["sign_url"], world.a_headers, layout="badge")
    files = list(qr_output.rglob("*.png"))
    assert len(files) == 1 and files[0].read_bytes() == first
    mtime = files[0].stat().st_mtime_ns
    second = get_png(client, code["sign_url"], world.a_headers, layout="badge")
    assert second == first and len(renders) == 1
    assert list(qr_output.rglob("*.png")) == files and files[0].stat().st_mtime_ns == mtime

    # A change that is not on the sign (the phone) does not redraw it.
    response = client.patch(f"/api/v1/admin/members/{world.a.member.id}", json={"phone": "13900001111"},
                             headers=world.a_headers)
    assert response.status_code == 200, response.get_json()
    assert get_png(client, code["sign_url"], world.a_headers, layout="badge") == first and len(renders) == 1

    response = client.patch(f"/api/v1/admin/members/{world.a.member.id}", json={"commitment": "马上就办，办就办好"},
                            headers=world.a_headers)
    assert response.status_code == 200, response.get_json()
    changed = get_png(client, code["sign_url"], world.a_headers, layout="badge")
    assert changed != first
    assert renders == [("热情服务，件件有回音", "badge"), ("马上就办，办就办好", "badge")]
    assert len(list(qr_output.rglob("*.png"))) == 2
    assert decode_png(changed) == [code["url"]]


# --- Fonts -------------------------------------------------------------------------------


@pytest.fixture
def fresh_fonts():
    """Font discovery runs again in the test, and again after it (with the real environment)."""
    font_file.cache_clear()
    font.cache_clear()
    yield
    font_file.cache_clear()
    font.cache_clear()


def test_missing_font_is_a_clear_503(client, world, monkeypatch, tmp_path, fresh_fonts):
    monkeypatch.setenv("RS_CJK_FONT", str(tmp_path / "missing.ttc"))
    monkeypatch.setenv("RS_CJK_FONT_BOLD", str(tmp_path / "missing-bold.ttc"))
    code = issue(client, world.a_headers, "badge", world.a.member.id)
    for layout in ("desk", "badge"):
        response = client.get(local(code["sign_url"]), query_string={"layout": layout}, headers=world.a_headers)
        error = assert_error(response, 503)
        assert error["code"] == "font_missing" and "字体" in error["message"]
    response = client.get(f"{API}/export.zip", query_string={"unit_id": world.a.unit.id}, headers=world.a_headers)
    assert assert_error(response, 503)["code"] == "font_missing"
    # The bare code needs no font.
    assert client.get(local(code["image_url"]), headers=world.a_headers).status_code == 200
    with pytest.raises(FontMissingError, match="fonts-noto-cjk"):
        font_file("regular")
    with pytest.raises(FontMissingError, match="RS_CJK_FONT_BOLD"):
        font_file("bold")


def test_no_font_anywhere_names_the_debian_package(monkeypatch, tmp_path, fresh_fonts):
    monkeypatch.delenv("RS_CJK_FONT", raising=False)
    config = tmp_path / "fonts.json"
    config.write_text('{"regular": [{"path": "/nonexistent/font.ttc"}], "bold": []}', encoding="utf-8")
    monkeypatch.setattr(fonts, "FONTS_CONFIG", config)
    with pytest.raises(FontMissingError, match="fonts-noto-cjk"):
        font_file("regular")


def test_font_override_is_used(client, world, monkeypatch, fresh_fonts, tools):
    path, _index = font_file("regular")
    font_file.cache_clear()
    font.cache_clear()
    monkeypatch.setenv("RS_CJK_FONT", path)
    assert font_file("regular") == (path, 0)
    code = issue(client, world.a_headers, "window", world.a.window.id)
    assert decode_png(get_png(client, code["sign_url"], world.a_headers)) == [code["url"]]


# --- Text layout -------------------------------------------------------------------------

LONG_TEXTS = [
    COMMITMENT_60,
    "我们承诺：材料齐全的申请当场办结（即办件），其他事项3个工作日内办结；咨询电话0573-12345678！欢迎监督？"
    "若有推诿、拖延，请拨打12328交通运输服务监督电话。",
    "Open 24h：service area（服务区）provides free WiFi、hot water，and EV charging！" * 2,
    "办理时限：\n· 驾驶证换证：即办\n· 补领行驶证：1个工作日。" + "，".join(["零推诿", "零距离", "零积压", "零差错", "零投诉"]) * 3,
    "一二三四五六七八九十，" * 12,
    "VeryLongIdentifierWithoutAnySpacesABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789，然后是中文。",
]


@pytest.mark.parametrize("text", LONG_TEXTS)
def test_wrap_keeps_punctuation_off_line_starts_and_fits_the_width(text):
    face = font("regular", 32)
    for width in range(190, 900, 23):
        lines = wrap(text, face, width)
        assert len(lines) > (1 if width < 400 else 0)
        for line in lines:
            assert face.getlength(line) <= width, (width, line)
            assert line[:1] not in CLOSING_PUNCTUATION, (width, lines)
        # Nothing is lost: only spaces at line breaks go.
        assert re.sub(r"\s", "", "".join(lines)) == re.sub(r"\s", "", text)
    # Explicit line breaks are kept.
    if "\n" in text:
        assert len(wrap(text, face, 10_000)) == text.count("\n") + 1


def test_fit_text_shrinks_the_font_for_longer_text():
    sizes = []
    for text in ("热情服务", COMMITMENT_60, COMMITMENT_60 * 3):
        face, lines, line_height = fit_text(text, "regular", 600, 300, 60, 20)
        assert len(lines) * line_height <= 300
        assert all(face.getlength(line) <= 600 for line in lines)
        sizes.append(face.size)
    assert sizes[0] == 60 and sizes[0] > sizes[1] > sizes[2] >= 20
    # Past the smallest size the text is cut with an ellipsis, still inside the box.
    face, lines, line_height = fit_text(COMMITMENT_60 * 8, "regular", 600, 300, 60, 20)
    assert face.size == 20 and lines[-1].endswith("…")
    assert len(lines) * line_height <= 300 and all(face.getlength(line) <= 600 for line in lines)
