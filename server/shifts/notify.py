"""Telling a member their shift was reviewed: a WeChat subscribe message (shift_reviewed).

Only sent when the member accepted that message in the mini-program (a quota the alerts
outbox spends, one per message) and WECHAT_TEMPLATE_SHIFT_REVIEWED names the template. The
outbox sends it after the decision is committed and answered, so a WeChat failure can
never undo a review.
"""
from server import messages
from server.alerts import outbox
from server.notifications import WECHAT_TIME_FORMAT, SubscribeMessage, thing
from server.schemas import local_zone

# The keys of the "shift reviewed" template chosen in the mini-program console (订阅消息 → 我的模板).
SHIFT_REVIEWED_KEYS = {"post": "thing1", "started_at": "time2", "result": "phrase3", "credited": "thing4",
                       "note": "thing5"}
# The mini-program page a tapped message opens.
SHIFT_PAGE = "pages/shifts/detail?id={shift_id}"


def shift_reviewed_message(shift, review):
    """The message for ``review`` of ``shift``: which post and when, the result, the minutes credited, the reason."""
    texts = messages.SHIFT_REVIEWED_WECHAT
    if review.credited_minutes is None:
        credited = texts["not_credited"]
    else:
        minutes = review.credited_minutes
        credited = texts["credited"].format(minutes=minutes, hours=f"{round(minutes / 60, 2):g}")
    values = {
        "post": thing(shift.post.name),
        "started_at": shift.started_at.astimezone(local_zone()).strftime(WECHAT_TIME_FORMAT),
        "result": texts["results"][review.decision],
        "credited": thing(credited),
        "note": thing(review.reason or texts["note"]),
    }
    return SubscribeMessage("shift_reviewed", {SHIFT_REVIEWED_KEYS[name]: value for name, value in values.items()},
                            SHIFT_PAGE.format(shift_id=shift.id))


def notify_member_of_review(shift, review):
    """Queue the subscribe message for the shift's member, if they are bound to a WeChat identity."""
    if shift.member.wechat_user_id is not None:
        outbox.queue(shift.member.wechat_user_id, shift_reviewed_message(shift, review))
