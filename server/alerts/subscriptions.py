"""Subscribe-message quotas and the admin ↔ WeChat link.

WeChat's one-time subscribe messages are pay-per-consent: every "accept" a user taps in
wx.requestSubscribeMessage allows one message of that template. We count the acceptances
(capped) and spend one, atomically, per message sent.
"""
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from server import audit, messages
from server.auth.services import wechat_user_of_session
from server.errors import ApiError, field_error
from server.extensions import db
from server.models import Admin, Subscription, WechatUser, utcnow
from server.wechat.client import wechat

# Template kinds and the setting naming each one's template id (empty: that message is off).
TEMPLATE_SETTINGS = {
    "bad_rating": "WECHAT_TEMPLATE_BAD_RATING",
    "case_answered": "WECHAT_TEMPLATE_CASE_ANSWERED",
    "shift_reviewed": "WECHAT_TEMPLATE_SHIFT_REVIEWED",
}
# Acceptances kept per template: enough for a busy week, not a lifetime of alerts.
QUOTA_CAP = 10


def template_id(kind):
    """The template id configured for ``kind``, or "" when that message is off."""
    return current_app.config.get(TEMPLATE_SETTINGS[kind]) or ""


def configured_templates():
    """{kind: template_id} of every message switched on."""
    return {kind: template_id(kind) for kind in TEMPLATE_SETTINGS if template_id(kind)}


def subscriptions_of(wechat_user):
    """Each configured template with the quota ``wechat_user`` has left (0 for no WeChat user)."""
    remaining = {}
    if wechat_user is not None:
        rows = db.session.scalars(select(Subscription).where(Subscription.wechat_user_id == wechat_user.id))
        remaining = {row.template_id: row.remaining for row in rows}
    return [{"kind": kind, "template_id": tid, "remaining": remaining.get(tid, 0)}
            for kind, tid in configured_templates().items()]


def _insert_ignoring_duplicate(**values):
    """INSERT a Subscription row unless (wechat_user_id, template_id) already has one."""
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        insert(Subscription).values(**values).on_conflict_do_nothing(index_elements=["wechat_user_id", "template_id"])
    )


def record_answer(wechat_user, template, accepted):
    """Record the user's answer to wx.requestSubscribeMessage for ``template``; returns their quota entry.

    "accept" adds one message (up to QUOTA_CAP); anything else changes nothing, since earlier
    acceptances still stand on WeChat's side.
    """
    kinds = {tid: kind for kind, tid in configured_templates().items()}
    if template not in kinds:
        raise field_error("template_id", messages.SUBSCRIPTION_TEMPLATE_UNKNOWN)
    if accepted:
        # Two statements, both race-free: concurrent taps neither duplicate the row nor lose a count.
        _insert_ignoring_duplicate(wechat_user_id=wechat_user.id, template_id=template, remaining=0,
                                   updated_at=utcnow())
        db.session.execute(
            update(Subscription)
            .where(Subscription.wechat_user_id == wechat_user.id, Subscription.template_id == template,
                   Subscription.remaining < QUOTA_CAP)
            .values(remaining=Subscription.remaining + 1, updated_at=utcnow())
        )
    remaining = db.session.scalar(select(Subscription.remaining).where(
        Subscription.wechat_user_id == wechat_user.id, Subscription.template_id == template))
    return {"kind": kinds[template], "template_id": template, "remaining": remaining or 0}


def spend(wechat_user_id, template):
    """Take one message from the user's quota for ``template``; their openid if there was one, else None.

    The UPDATE … WHERE remaining > 0 is the whole rule, so two alerts racing for the last
    message cannot both have it. Commits, so no transaction stays open while WeChat is called.
    """
    spent = db.session.execute(
        update(Subscription)
        .where(Subscription.wechat_user_id == wechat_user_id, Subscription.template_id == template,
               Subscription.remaining > 0)
        .values(remaining=Subscription.remaining - 1, updated_at=utcnow())
    ).rowcount
    openid = db.session.scalar(select(WechatUser.openid).where(WechatUser.id == wechat_user_id)) if spent else None
    db.session.commit()
    return openid


def wechat_user_of(identity, required=False):
    """The WeChat identity behind the caller: the WeChat user, or the admin's linked one.

    None for an admin without a link, or 409 ``wechat_not_linked`` when ``required``.
    """
    if identity.admin is None:
        return identity.user
    if identity.admin.wechat_user_id is None:
        if required:
            raise ApiError(409, "wechat_not_linked", messages.WECHAT_NOT_LINKED)
        return None
    return db.session.get(WechatUser, identity.admin.wechat_user_id)


def link_admin_wechat(admin, code):
    """Link the admin to the WeChat identity behind a wx.login code; 409 if another admin has it."""
    admin_id = admin.id
    # End the transaction the token check opened: no database lock is held while WeChat answers.
    db.session.commit()
    try:
        session = wechat().code_to_session(code)
    except ApiError as error:
        if error.status != 401:
            raise
        # A bad code is this request's field, not the admin's login: 401 would read as "logged out".
        raise field_error("code", error.message) from error
    admin = db.session.get(Admin, admin_id)
    user = wechat_user_of_session(session)
    db.session.flush()
    other = db.session.scalar(select(Admin.id).where(Admin.wechat_user_id == user.id, Admin.id != admin.id))
    if other is not None:
        raise ApiError(409, "wechat_linked_elsewhere", messages.WECHAT_LINKED_TO_OTHER_ADMIN)
    if admin.wechat_user_id != user.id:
        before = {"wechat_user_id": admin.wechat_user_id}
        admin.wechat_user_id = user.id
        audit.record("admin.wechat_link", "admin", admin.id, unit_id=admin.unit_id, before=before,
                     after={"wechat_user_id": user.id})
    return admin


def unlink_admin_wechat(admin):
    """Forget the admin's WeChat link: no more subscribe messages reach them."""
    if admin.wechat_user_id is not None:
        audit.record("admin.wechat_unlink", "admin", admin.id, unit_id=admin.unit_id,
                     before={"wechat_user_id": admin.wechat_user_id}, after={"wechat_user_id": None})
        admin.wechat_user_id = None
    return admin
