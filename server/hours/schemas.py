"""Schemas of the hours-record and hours-export API."""
from marshmallow import ValidationError, fields, validates_schema

from server.messages import PERIOD_REVERSED
from server.schemas import BaseSchema, Id, LocalDateTime, PageArgsSchema, Text


class HoursRecordSchema(BaseSchema):
    id = fields.Integer()
    member_id = fields.Integer()
    member_name = fields.String()
    unit_id = fields.Integer()
    token = fields.String()
    verify_url = fields.String(metadata={"description": "记录二维码指向的公开核验页"})
    approved_minutes = fields.Integer(metadata={"description": "开具时核定分钟数"})
    shift_count = fields.Integer(metadata={"description": "开具时审核通过的服务次数"})
    star_level = fields.Integer(metadata={"description": "开具时星级（0–5）"})
    issued_by_id = fields.Integer(allow_none=True, metadata={"description": "开具的管理员；本人下载时为空"})
    valid = fields.Boolean()
    revoked_at = LocalDateTime(allow_none=True)
    created_at = LocalDateTime()


class HoursRecordListArgsSchema(PageArgsSchema):
    unit_id = Id(strict=False)
    member_id = Id(strict=False)


class RevokeRecordSchema(BaseSchema):
    reason = Text(max_length=500, min_length=1, required=True)


class HoursExportArgsSchema(BaseSchema):
    unit_id = Id(strict=False, metadata={"description": "局管理员可不填（全部单位）；单位管理员默认本单位"})
    date_from = fields.Date(data_key="from", metadata={"description": "签到日期起（含），如 2026-11-01"})
    date_to = fields.Date(data_key="to", metadata={"description": "签到日期止（含），如 2026-11-30"})

    @validates_schema
    def period_in_order(self, data, **kwargs):
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise ValidationError(PERIOD_REVERSED, field_name="to")
