"""Fixtures: a fresh database per test (SQLite in memory, or PostgreSQL from TEST_DATABASE_URL),
clients, and logins as citizen, member, unit admin and bureau admin."""
import os
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from server import create_app
from server.auth import tokens
from server.auth.services import create_admin, new_bind_code
from server.extensions import db, limiter
from server.models import Member, Post, Unit, Window, WechatUser

USING_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))
_schema_ready = False


def _reset_database():
    """SQLite: a new in-memory database. PostgreSQL: create the schema once, then truncate."""
    global _schema_ready
    if not USING_POSTGRES:
        db.create_all()
        return
    if not _schema_ready:
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
        _schema_ready = True
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def app():
    app = create_app("test")
    with app.app_context():
        _reset_database()
        limiter.reset()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def bearer(kind, account):
    """Authorization header for an Admin ("admin") or WechatUser ("wechat")."""
    token, _ = tokens.issue(kind, account)
    return {"Authorization": f"Bearer {token}"}


def make_unit_with_objects(name):
    """A unit with one member, window and post, as an admin would set it up."""
    unit = Unit(name=name, type="enforcement_station", is_red_station=True, address=f"{name}地址")
    db.session.add(unit)
    db.session.flush()
    member = Member(unit_id=unit.id, name=f"{name}党员", post_title="先锋岗", phone="13812345678")
    member.commitment = "热情服务，件件有回音"
    window = Window(unit_id=unit.id, name=f"{name}窗口", duties=["受理"], time_limits=[{"item": "办证", "limit": "即办"}])
    window.commitments = ["一次办结"]
    post = Post(unit_id=unit.id, name=f"{name}志愿岗", lat=30.75, lng=120.75, radius_m=200, service="引导")
    db.session.add_all([member, window, post])
    db.session.flush()
    return SimpleNamespace(unit=unit, member=member, window=window, post=post)


@pytest.fixture
def world(app):
    """Two units A and B with their objects and admins, a bureau admin, a citizen and a bound member."""
    a = make_unit_with_objects("甲站")
    b = make_unit_with_objects("乙站")
    bureau = create_admin("bureau", "bureau-pass-1", "bureau_admin")
    a.admin = create_admin("admin_a", "admin-a-pass", "unit_admin", a.unit.id)
    b.admin = create_admin("admin_b", "admin-b-pass", "unit_admin", b.unit.id)
    citizen = WechatUser(openid="openid-citizen")
    member_user = WechatUser(openid="openid-member")
    db.session.add_all([citizen, member_user])
    db.session.flush()
    a.member.wechat_user_id = member_user.id
    db.session.commit()
    return SimpleNamespace(
        a=a, b=b, bureau=bureau, citizen=citizen, member_user=member_user,
        bureau_headers=bearer("admin", bureau),
        a_headers=bearer("admin", a.admin),
        b_headers=bearer("admin", b.admin),
        citizen_headers=bearer("wechat", citizen),
        member_headers=bearer("wechat", member_user),
    )


@pytest.fixture
def bind_code(world):
    """A fresh bind code for unit B's (unbound) member."""
    code = new_bind_code(world.b.member)
    db.session.commit()
    return code.code
