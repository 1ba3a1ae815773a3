"""Who is calling: read from the bearer token once per request, checked by role."""
import functools
from dataclasses import dataclass

from flask import g, request
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from server import messages
from server.auth import tokens
from server.errors import ApiError
from server.extensions import db
from server.models import Admin, WechatUser

# Role names a view may require; "admin" means either admin role, "wechat" any WeChat user.
ROLE_GROUPS = {
    "admin": {"bureau_admin", "unit_admin"},
    "wechat": {"citizen", "member"},
}


@dataclass
class Identity:
    """The caller: an Admin, or a WechatUser who may be bound to a Member."""

    admin: Admin | None = None
    user: WechatUser | None = None

    @property
    def role(self):
        """bureau_admin, unit_admin, member (a bound WeChat user) or citizen."""
        if self.admin is not None:
            return self.admin.role
        return "member" if self.user.member is not None else "citizen"

    @property
    def member(self):
        return self.user.member if self.user is not None else None

    @property
    def actor(self):
        """(actor_type, actor_id, actor_name) for audit entries."""
        if self.admin is not None:
            return "admin", self.admin.id, self.admin.username
        if self.member is not None:
            return "member", self.member.id, self.member.name
        return "citizen", self.user.id, ""


def _load_identity():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    payload = tokens.read(token.strip())
    if payload is None or not isinstance(payload.get("id"), int):
        return None
    is_admin = payload.get("k") == "admin"
    account = db.session.execute(_account_statement(is_admin), {"id": payload["id"]}).unique().scalar_one_or_none()
    # Revocation: raising the account's token_version (a password change) stops every older token here.
    if account is None or account.token_version != payload.get("v"):
        return None
    return Identity(admin=account) if is_admin else Identity(user=account)


@functools.cache
def _account_statement(is_admin):
    """The caller's row by primary key, built once (only the id is a parameter): a statement built
    per request, options and all, cost as much again as running it. A WeChat user's member (their
    role) and linked admin come in the same query: requests ask for them."""
    if is_admin:
        return select(Admin).where(Admin.id == bindparam("id"))
    return (select(WechatUser).where(WechatUser.id == bindparam("id"))
            .options(joinedload(WechatUser.member), joinedload(WechatUser.admin)))


def current_identity():
    """The caller's Identity, or None when there is no valid token."""
    if "identity" not in g:
        g.identity = _load_identity()
    return g.identity


def require_identity(roles):
    """Raise 401 without a valid token, 403 when the caller's role is not among ``roles``."""
    identity = current_identity()
    if identity is None:
        raise ApiError(401, "unauthorized", messages.TOKEN_INVALID)
    if not roles:
        return identity
    allowed = set()
    for role in roles:
        allowed |= ROLE_GROUPS.get(role, {role})
    if identity.role not in allowed:
        if allowed <= ROLE_GROUPS["admin"]:
            message = messages.BUREAU_ONLY if allowed == {"bureau_admin"} else messages.ADMIN_ONLY
        else:
            message = messages.WECHAT_USER_ONLY
        raise ApiError(403, "forbidden", message)
    return identity
