"""Login and binding rules, shared by the API, the console and the CLI."""
import datetime as dt
import secrets

from flask import current_app
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from server import audit, messages
from server.auth import tokens
from server.errors import ApiError
from server.extensions import db
from server.models import Admin, BindCode, WechatUser, utcnow
from server.wechat.client import wechat

# No 0/O, 1/I/L: a code read aloud or copied from paper stays unambiguous.
BIND_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
BIND_CODE_LENGTH = 8
# Checked against when the username is unknown, so timing does not reveal which usernames exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def wechat_user_of_session(session):
    """The WechatUser of a jscode2session answer, created on first sight, with its latest session key."""
    user = db.session.scalar(select(WechatUser).where(WechatUser.openid == session["openid"]))
    if user is None:
        user = WechatUser(openid=session["openid"])
        db.session.add(user)
    user.session_key = session["session_key"]
    user.unionid = session["unionid"] or user.unionid
    return user


def wechat_login(code):
    """Exchange a wx.login code for our token; creates the WechatUser on first login."""
    user = wechat_user_of_session(wechat().code_to_session(code))
    user.last_login_at = utcnow()
    db.session.commit()
    token, expires_in = tokens.issue("wechat", user)
    return {"token": token, "expires_in": expires_in, "user": user}


def admin_login(username, password):
    """Check an admin's password, with lock-out after repeated failures."""
    config = current_app.config
    admin = db.session.scalar(select(Admin).where(Admin.username == username))
    now = utcnow()
    if admin is not None and admin.locked_until and admin.locked_until > now:
        minutes = max(1, int((admin.locked_until - now).total_seconds() // 60) + 1)
        raise ApiError(429, "account_locked", messages.ADMIN_LOCKED.format(minutes=minutes))
    if admin is None or not check_password_hash(admin.password_hash, password):
        if admin is None:
            check_password_hash(_DUMMY_HASH, password)
        else:
            admin.failed_logins += 1
            if admin.failed_logins >= config["ADMIN_LOCKOUT_FAILURES"]:
                admin.locked_until = now + dt.timedelta(minutes=config["ADMIN_LOCKOUT_MINUTES"])
                admin.failed_logins = 0
                audit.record("admin.locked", "admin", admin.id, unit_id=admin.unit_id, actor=("system", None, "system"))
            db.session.commit()
        raise ApiError(401, "bad_credentials", messages.BAD_CREDENTIALS)
    admin.failed_logins = 0
    admin.locked_until = None
    db.session.commit()
    token, expires_in = tokens.issue("admin", admin)
    return {"token": token, "expires_in": expires_in, "admin": admin}


def hash_password(password):
    """Hash with the configured method (scrypt in production)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def create_admin(username, password, role, unit_id=None, display_name=""):
    """Add an admin account with a hashed password."""
    if role == "unit_admin" and unit_id is None:
        raise ApiError(422, "validation_error", messages.UNIT_ADMIN_NEEDS_UNIT)
    admin = Admin(
        username=username, password_hash=hash_password(password), role=role,
        unit_id=unit_id if role == "unit_admin" else None, display_name=display_name,
    )
    db.session.add(admin)
    db.session.flush()
    audit.record("admin.create", "admin", admin.id, unit_id=admin.unit_id, after={"username": username, "role": role},
                 actor=("system", None, "cli"))
    return admin


def set_admin_password(admin, password):
    """Change a password and revoke every token issued under the old one."""
    admin.password_hash = hash_password(password)
    admin.token_version += 1


def new_bind_code(member):
    """Issue a fresh one-time bind code for ``member``; earlier unused codes stop working."""
    now = utcnow()
    db.session.execute(
        update(BindCode)
        .where(BindCode.member_id == member.id, BindCode.used_at.is_(None), BindCode.expires_at > now)
        .values(expires_at=now)
    )
    code = BindCode(
        member_id=member.id,
        code="".join(secrets.choice(BIND_CODE_ALPHABET) for _ in range(BIND_CODE_LENGTH)),
        expires_at=now + dt.timedelta(hours=current_app.config["BIND_CODE_TTL_HOURS"]),
    )
    db.session.add(code)
    db.session.flush()
    audit.record("member.bind_code", "member", member.id, unit_id=member.unit_id)
    return code


def current_bind_code(member):
    """The member's newest bind code that can still be used (unused, unexpired), or None."""
    return db.session.scalar(
        select(BindCode)
        .where(BindCode.member_id == member.id, BindCode.used_at.is_(None), BindCode.expires_at > utcnow())
        .order_by(BindCode.id.desc()).limit(1)
    )


def bind_member(user, raw_code):
    """Link ``user``'s WeChat identity to the member a bind code was issued for."""
    code = db.session.scalar(select(BindCode).where(BindCode.code == raw_code.strip().upper()))
    if code is None:
        raise ApiError(404, "bind_code_unknown", messages.BIND_CODE_UNKNOWN)
    if code.used_at is not None:
        raise ApiError(409, "bind_code_used", messages.BIND_CODE_USED)
    if code.expires_at <= utcnow():
        raise ApiError(410, "bind_code_expired", messages.BIND_CODE_EXPIRED)
    member = code.member
    if member.wechat_user_id is not None:
        raise ApiError(409, "member_already_bound", messages.MEMBER_ALREADY_BOUND)
    if user.member is not None:
        raise ApiError(409, "user_already_bound", messages.USER_ALREADY_BOUND)
    now = utcnow()
    # Spend the code atomically: of two concurrent binds with it, exactly one wins.
    spent = db.session.execute(
        update(BindCode).where(BindCode.id == code.id, BindCode.used_at.is_(None)).values(used_at=now, used_by_id=user.id)
    )
    if spent.rowcount != 1:
        db.session.rollback()
        raise ApiError(409, "bind_code_used", messages.BIND_CODE_USED)
    member.wechat_user_id = user.id
    member.bound_at = now
    audit.record("member.bind", "member", member.id, unit_id=member.unit_id, after={"wechat_user_id": user.id},
                 actor=("member", member.id, member.name))
    db.session.commit()
    db.session.refresh(user)
    return user
