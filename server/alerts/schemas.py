"""Schemas of the admins' notifications, subscribe-message quotas and the admin's WeChat link."""
from marshmallow import fields

from server.schemas import BaseSchema, LocalDateTime, PageArgsSchema, Text, page_schema


class NotificationSchema(BaseSchema):
    """An alert for the calling admin (e.g. a bad rating arrived)."""

    id = fields.Integer()
    kind = fields.String(metadata={"description": "bad_rating …"})
    title = fields.String()
    body = fields.String()
    unit_id = fields.Integer(allow_none=True)
    case_id = fields.Integer(allow_none=True)
    shift_id = fields.Integer(allow_none=True)
    read = fields.Function(lambda note: note.read_at is not None)
    read_at = LocalDateTime(allow_none=True)
    created_at = LocalDateTime()


class NotificationListArgsSchema(PageArgsSchema):
    unread = fields.Boolean(load_default=False, metadata={"description": "true：只列未读"})


class NotificationInboxSchema(page_schema(NotificationSchema)):
    """The list envelope plus the caller's unread count (the console's badge)."""

    unread = fields.Integer(metadata={"description": "未读通知数"})


class ReadAllResultSchema(BaseSchema):
    updated = fields.Integer(metadata={"description": "本次标记为已读的条数"})
    unread = fields.Integer()


class SubscriptionSchema(BaseSchema):
    """One subscribe-message template and how many messages of it may still be sent to the caller."""

    kind = fields.String(metadata={"description": "bad_rating（差评提醒）, case_answered（工单答复）, shift_reviewed（时长审核）"})
    template_id = fields.String()
    remaining = fields.Integer(metadata={"description": "剩余可发送条数（每次同意订阅加 1）"})


class SubscriptionListSchema(BaseSchema):
    wechat_linked = fields.Boolean(metadata={"description": "管理员：是否已绑定微信（未绑定则收不到订阅消息）"})
    items = fields.List(fields.Nested(SubscriptionSchema))


class SubscriptionAnswerSchema(BaseSchema):
    """One template's answer from wx.requestSubscribeMessage."""

    template_id = Text(max_length=64, min_length=1, required=True)
    accepted = fields.Boolean(required=True, metadata={"description": "用户选择“允许”（accept）为 true"})


class WechatLinkSchema(BaseSchema):
    code = Text(max_length=128, min_length=1, required=True, metadata={"description": "wx.login 的 code"})


class WechatLinkResultSchema(BaseSchema):
    wechat_linked = fields.Boolean()
    subscriptions = fields.List(fields.Nested(SubscriptionSchema))
