"""Logins, the caller's own identity, and binding a WeChat user to a member."""
from flask import current_app

from server.api import Blueprint
from server.auth import schemas, services
from server.auth.identity import current_identity
from server.extensions import limiter
from server.shifts.hours import member_totals

bp = Blueprint("auth", __name__, url_prefix="/api/v1", description="登录与身份 Login and identity")


def login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def bind_limit():
    return current_app.config["BIND_RATE_LIMIT"]


def caller_key():
    """Rate-limit key: the WeChat user when logged in, else the client address."""
    from flask_limiter.util import get_remote_address

    identity = current_identity()
    return f"user:{identity.user.id}" if identity and identity.user else get_remote_address()


def user_view(user):
    """The user with their member (and hours totals) when bound."""
    member = user.member
    if member is None:
        return {"id": user.id, "member": None}
    # The response schema dumps the member itself (a pre-dumped dict would lose "phone").
    for key, value in member_totals(member).items():
        setattr(member, key, value)
    return {"id": user.id, "member": member}


@bp.route("/auth/wechat", methods=["POST"])
@limiter.limit(login_limit)
@bp.errors(401, 403, 422, 429, 503)
@bp.arguments(schemas.WechatLoginSchema)
@bp.response(200, schemas.WechatLoginResultSchema)
def wechat_login(args):
    """Log in with a wx.login code (server calls WeChat jscode2session)."""
    result = services.wechat_login(args["code"])
    return {**result, "user": user_view(result["user"])}


@bp.route("/auth/admin", methods=["POST"])
@limiter.limit(login_limit)
@bp.errors(401, 422, 429)
@bp.arguments(schemas.AdminLoginSchema)
@bp.response(200, schemas.AdminLoginResultSchema)
def admin_login(args):
    """Log in as a bureau or unit admin."""
    return services.admin_login(args["username"], args["password"])


@bp.route("/me", methods=["GET"])
@bp.login_required("wechat")
@bp.response(200, schemas.UserSchema)
def me():
    """The WeChat user, with their member, star level and hours when bound."""
    return user_view(current_identity().user)


@bp.route("/me/bind", methods=["POST"])
@limiter.limit(bind_limit, key_func=caller_key, deduct_when=lambda response: response.status_code >= 400)
@bp.login_required("wechat")
@bp.errors(404, 409, 410, 422, 429)
@bp.arguments(schemas.BindSchema)
@bp.response(200, schemas.UserSchema)
def bind(args):
    """Link the caller's WeChat identity to a member with a one-time bind code."""
    return user_view(services.bind_member(current_identity().user, args["bind_code"]))
