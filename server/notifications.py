"""Alerting admins: an unread notification in the console/API for each admin of the unit and,
for those who linked their WeChat and subscribed, a WeChat subscribe message.

The subscribe message is only queued here; server.alerts.outbox sends it once the request
has committed and answered (see there why), so WeChat never holds up or undoes the work.
"""
from dataclasses import dataclass, field

from sqlalchemy import func, select, update

from server import messages
from server.alerts import outbox
from server.errors import ApiError
from server.extensions import db
from server.models import Admin, Member, Notification, Window, utcnow
from server.schemas import MAX_ID, local_zone

# The keys of the bad-rating template chosen in the mini-program console (订阅消息 → 我的模板):
# thing ≤ 20 characters, phrase ≤ 5 Chinese characters, time "2026年11月22日 09:30".
BAD_RATING_KEYS = {"target": "thing1", "score": "phrase2", "rated_at": "time3", "due_contact": "time4",
                   "note": "thing5"}
# The admin-lite page a tapped alert opens.
CASE_PAGE = "pages/admin/case?id={case_id}"
THING_MAX = 20
WECHAT_TIME_FORMAT = "%Y年%m月%d日 %H:%M"


@dataclass
class SubscribeMessage:
    """A WeChat subscribe message: the template by kind (WECHAT_TEMPLATE_<KIND>), its data, the page it opens."""

    kind: str
    data: dict = field(default_factory=dict)
    page: str = ""


def unit_admins(unit_id):
    """The unit admins of ``unit_id``."""
    return db.session.scalars(select(Admin).where(Admin.role == "unit_admin", Admin.unit_id == unit_id)).all()


def notify_unit_admins(unit_id, kind, title, body="", case_id=None, shift_id=None, wechat=None):
    """Add an unread Notification for every admin of the unit; returns them.

    With ``wechat`` (a SubscribeMessage), each admin with a linked WeChat identity is also
    sent that message after the request, when they have quota left for its template.
    """
    admins = unit_admins(unit_id)
    notes = [
        Notification(admin_id=admin.id, unit_id=unit_id, kind=kind, title=title, body=body, case_id=case_id,
                     shift_id=shift_id)
        for admin in admins
    ]
    db.session.add_all(notes)
    if wechat is not None:
        for admin in admins:
            if admin.wechat_user_id is not None:
                outbox.queue(admin.wechat_user_id, wechat)
    return notes


def thing(text):
    """A template "thing" value: WeChat refuses more than 20 characters (47003)."""
    return text if len(text) <= THING_MAX else text[:THING_MAX - 1] + "…"


def bad_rating_message(case, rating):
    """The bad-rating alert for admins: what was rated, how, when, and the contact deadline.

    Nothing about the citizen goes in it (no comment, no contact): it shows on a lock screen.
    """
    zone = local_zone()
    if rating.window_id is not None:
        target = messages.BAD_RATING_WECHAT["window"].format(name=db.session.get(Window, rating.window_id).name)
    else:
        target = messages.BAD_RATING_WECHAT["member"].format(name=db.session.get(Member, rating.member_id).name)
    values = {
        "target": thing(target),
        "score": messages.SCORE_LABELS[rating.score],
        "rated_at": rating.created_at.astimezone(zone).strftime(WECHAT_TIME_FORMAT),
        "due_contact": case.due_contact_at.astimezone(zone).strftime(WECHAT_TIME_FORMAT),
        "note": thing(messages.BAD_RATING_WECHAT["note"]),
    }
    return SubscribeMessage(
        "bad_rating", {BAD_RATING_KEYS[name]: value for name, value in values.items()},
        CASE_PAGE.format(case_id=case.id),
    )


# --- The admin's own notifications (the unread badge) -----------------------------------------

def notifications_of(admin, unread_only=False):
    """SELECT of the admin's notifications, newest first."""
    query = select(Notification).where(Notification.admin_id == admin.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return query.order_by(Notification.created_at.desc(), Notification.id.desc())


def unread_count(admin):
    """How many of the admin's notifications are unread."""
    return db.session.scalar(
        select(func.count()).where(Notification.admin_id == admin.id, Notification.read_at.is_(None))
    )


def own_notification(admin, notification_id):
    """One of the admin's own notifications; another admin's answers 404 like a missing one."""
    note = db.session.get(Notification, notification_id) if 0 < notification_id <= MAX_ID else None
    if note is None or note.admin_id != admin.id:
        raise ApiError(404, "not_found", messages.HTTP_ERRORS[404][1])
    return note


def mark_read(admin, notification_id):
    """Mark one of the admin's notifications read (reading it twice keeps the first time)."""
    note = own_notification(admin, notification_id)
    if note.read_at is None:
        note.read_at = utcnow()
    return note


def mark_all_read(admin):
    """Mark every unread notification of the admin read; returns how many."""
    return db.session.execute(
        update(Notification).where(Notification.admin_id == admin.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    ).rowcount
