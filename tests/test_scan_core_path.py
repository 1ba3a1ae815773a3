"""The API scan reads a printed code with one Core statement (server/scan/services.py
printed_code_profile), the H5 page and live codes through the ORM (public_profile): both must
show the same profile, and neither may keep anything between requests — a revoked code answers
410 and an edited profile shows on the very next scan."""
import pytest

from server.extensions import db
from server.models import Member, Shift, Window, utcnow
from server.qr.services import issue_code
from server.scan import services


def orm_profile(token):
    db.session.remove()
    return services.public_profile(services.resolve(token, profile=True))


def core_profile(token):
    db.session.remove()
    return services.printed_code_profile(token)


def scan(client, token, status=200):
    response = client.get(f"/api/v1/scan/{token}")
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    return response.get_json()


@pytest.mark.parametrize("kind", ["badge", "window", "post"])
def test_core_and_orm_profiles_are_the_same(world, codes, kind):
    assert core_profile(codes[kind]) == (kind, orm_profile(codes[kind]))


def test_many_commitments_keep_their_order_and_a_badge_its_first(world):
    window = db.session.get(Window, world.a.window.id)
    window.commitments = ["三", "一", "二", "四"]
    member = db.session.get(Member, world.a.member.id)
    member.commitment = ""
    db.session.flush()
    window_token, badge_token = issue_code("window", window).token, issue_code("badge", member).token
    db.session.commit()
    kind, profile = core_profile(window_token)
    assert profile["commitments"] == ["三", "一", "二", "四"] == orm_profile(window_token)["commitments"]
    kind, profile = core_profile(badge_token)
    assert profile["commitment"] == "" == orm_profile(badge_token)["commitment"]


def test_an_edit_a_duty_and_a_revocation_show_on_the_next_scan(client, world, codes):
    before = scan(client, codes["badge"])["target"]
    assert before["name"] == "甲站党员" and before["on_duty"] is False
    member = db.session.get(Member, world.a.member.id)
    member.name, member.commitment = "甲站党员（改）", "新承诺"
    db.session.add(Shift(member_id=member.id, post_id=world.a.post.id, unit_id=world.a.unit.id, status="open",
                         source="scan", started_at=utcnow()))
    window = db.session.get(Window, world.a.window.id)
    window.commitments = [*window.commitments, "加一条"]
    world.a.unit.name = "甲站（新名）"
    db.session.commit()
    after = scan(client, codes["badge"])["target"]
    assert (after["name"], after["commitment"], after["on_duty"]) == ("甲站党员（改）", "新承诺", True)
    assert after["unit"]["name"] == "甲站（新名）"
    assert scan(client, codes["window"])["target"]["commitments"][-1] == "加一条"

    response = client.post(f"/api/v1/admin/qrcodes/{codes_id(codes['badge'])}/revoke", json={}, headers=world.a_headers)
    assert response.status_code in (200, 204), response.get_data(as_text=True)[:300]
    assert scan(client, codes["badge"], 410)["error"]["code"] == "code_revoked"


def codes_id(token):
    from sqlalchemy import select

    from server.models import QrCode

    return db.session.scalar(select(QrCode.id).where(QrCode.token == token))


def test_unknown_and_overlong_tokens_are_404(client, world):
    assert scan(client, "no-such-token", 404)["error"]["code"] == "code_unknown"
    assert scan(client, "x" * 81, 404)["error"]["code"] == "code_unknown"
