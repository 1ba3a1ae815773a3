"""Schemas of the QR-code admin API."""
from marshmallow import fields

from server.admin.schemas import ListArgsSchema
from server.models import QR_KINDS
from server.schemas import BaseSchema, Id, LocalDateTime, OneOf, Text


class QrCodeCreateSchema(BaseSchema):
    kind = OneOf(QR_KINDS, required=True)
    target_id = Id(required=True)


class QrCodeSchema(BaseSchema):
    id = fields.Integer()
    kind = fields.String()
    target_id = fields.Integer()
    unit_id = fields.Integer()
    token = fields.String()
    url = fields.String()
    image_url = fields.String()
    sign_url = fields.String()
    revoked_at = LocalDateTime(allow_none=True)
    created_at = LocalDateTime()


class QrCodeListArgsSchema(ListArgsSchema):
    kind = OneOf(QR_KINDS)
    include_revoked = fields.Boolean(load_default=False)


class RevokeSchema(BaseSchema):
    reason = Text(max_length=500)


class SignArgsSchema(BaseSchema):
    layout = OneOf(("desk", "badge"), load_default="desk", metadata={"description": "desk：A6 台签；badge：胸卡"})


class ExportArgsSchema(BaseSchema):
    unit_id = Id(strict=False, required=True)


class LiveCodeSchema(BaseSchema):
    code = fields.String()
    url = fields.String()
    expires_at = LocalDateTime()
    display_url = fields.String(metadata={"description": "岗位现场屏幕打开的页面（含密钥，勿公开）"})
