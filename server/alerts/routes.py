"""The admins' notifications, the caller's subscribe-message quotas, and the admin's WeChat link."""
from flask import current_app

from server import notifications
from server.alerts import schemas, subscriptions
from server.api import Blueprint
from server.auth.identity import current_identity
from server.extensions import db, limiter
from server.schemas import paginate

bp = Blueprint("alerts", __name__, url_prefix="/api/v1", description="提醒 Notifications and subscribe messages")


def _admin():
    return current_identity().admin


def _subscriptions_view():
    identity = current_identity()
    user = subscriptions.wechat_user_of(identity)
    return {"wechat_linked": user is not None, "items": subscriptions.subscriptions_of(user)}


@bp.route("/admin/notifications")
@bp.login_required("admin")
@bp.arguments(schemas.NotificationListArgsSchema, location="query")
@bp.response(200, schemas.NotificationInboxSchema)
def list_notifications(args):
    """The caller's own notifications, newest first, with the unread count."""
    admin = _admin()
    page = paginate(notifications.notifications_of(admin, args["unread"]), args)
    return {**page, "unread": notifications.unread_count(admin)}


@bp.route("/admin/notifications/<int:notification_id>/read", methods=["POST"])
@bp.login_required("admin")
@bp.errors(404)
@bp.response(200, schemas.NotificationSchema)
def read_notification(notification_id):
    """Mark one of the caller's notifications read."""
    note = notifications.mark_read(_admin(), notification_id)
    db.session.commit()
    return note


@bp.route("/admin/notifications/read-all", methods=["POST"])
@bp.login_required("admin")
@bp.response(200, schemas.ReadAllResultSchema)
def read_all_notifications():
    """Mark all of the caller's notifications read."""
    updated = notifications.mark_all_read(_admin())
    db.session.commit()
    return {"updated": updated, "unread": 0}


@bp.route("/admin/me/wechat", methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
@bp.login_required("admin")
@bp.errors(409, 422, 429, 503)
@bp.arguments(schemas.WechatLinkSchema)
@bp.response(200, schemas.WechatLinkResultSchema)
def link_wechat(data):
    """Link the calling admin to their WeChat (a wx.login code from admin-lite), to receive alerts."""
    subscriptions.link_admin_wechat(_admin(), data["code"])
    db.session.commit()
    return {"wechat_linked": True, "subscriptions": _subscriptions_view()["items"]}


@bp.route("/admin/me/wechat", methods=["DELETE"])
@bp.login_required("admin")
@bp.response(200, schemas.WechatLinkResultSchema)
def unlink_wechat():
    """Unlink the calling admin's WeChat: no more subscribe messages."""
    subscriptions.unlink_admin_wechat(_admin())
    db.session.commit()
    return {"wechat_linked": False, "subscriptions": _subscriptions_view()["items"]}


@bp.route("/me/subscriptions")
@bp.login_required()
@bp.response(200, schemas.SubscriptionListSchema)
def list_subscriptions():
    """The subscribe messages switched on, and how many of each may still be sent to the caller."""
    return _subscriptions_view()


@bp.route("/me/subscriptions", methods=["POST"])
@bp.login_required()
@bp.errors(409, 422)
@bp.arguments(schemas.SubscriptionAnswerSchema)
@bp.response(200, schemas.SubscriptionSchema)
def answer_subscription(data):
    """Record the answer to wx.requestSubscribeMessage for one template (accept adds one message)."""
    user = subscriptions.wechat_user_of(current_identity(), required=True)
    result = subscriptions.record_answer(user, data["template_id"], data["accepted"])
    db.session.commit()
    return result
