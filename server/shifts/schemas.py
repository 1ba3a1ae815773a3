"""Schemas of check-in, check-out, claims and the member's own shifts and hours."""
from marshmallow import ValidationError, fields, validate, validates_schema

from server.auth.schemas import UnitRefSchema
from server.messages import SHIFT_FLAG_LABELS, SHIFT_LAT_LNG_TOGETHER, SHIFT_STATUS_LABELS
from server.models import SHIFT_STATUSES
from server.schemas import BaseSchema, Id, LocalDateTime, OneOf, PageArgsSchema, Text

MAX_ACCURACY_FIELD_M = 100_000


class LocationSchema(BaseSchema):
    """The phone's location (wx.getLocation, WGS-84 — ``type: 'wgs84'``), all or nothing."""

    lat = fields.Float(validate=validate.Range(min=-90, max=90), metadata={"description": "纬度（WGS-84）"})
    lng = fields.Float(validate=validate.Range(min=-180, max=180), metadata={"description": "经度（WGS-84）"})
    accuracy_m = fields.Float(validate=validate.Range(min=0, max=MAX_ACCURACY_FIELD_M),
                              metadata={"description": "定位精度（米）；超过 500 米不能用于扫码签到"})
    occurred_at = LocalDateTime(metadata={"description": "离线时排队的操作：实际发生时间（24 小时内）"})

    @validates_schema
    def lat_lng_together(self, data, **kwargs):
        """A latitude without a longitude (or the reverse) is no location."""
        if ("lat" in data) != ("lng" in data):
            raise ValidationError(SHIFT_LAT_LNG_TOGETHER, "lng" if "lat" in data else "lat")


class CheckInSchema(LocationSchema):
    token = Text(max_length=80, min_length=1, required=True,
                 metadata={"description": "岗位二维码的 token，或岗位屏幕上的动态签到码"})
    client_id = Text(max_length=64, min_length=1, required=True,
                     metadata={"description": "小程序为每次签到生成的唯一标识；重发同一标识返回同一条签到记录"})


class CheckOutSchema(LocationSchema):
    """Check-out: the location is recorded and judged, but never refuses the check-out."""


class ClaimSchema(BaseSchema):
    post_id = Id(required=True)
    started_at = LocalDateTime(required=True)
    ended_at = LocalDateTime(required=True)
    reason = Text(max_length=500, min_length=1, required=True, metadata={"description": "补录原因"})


class MyShiftsArgsSchema(PageArgsSchema):
    status = OneOf(SHIFT_STATUSES)


class PostRefSchema(BaseSchema):
    id = fields.Integer()
    name = fields.String()


class Label(fields.String):
    """The Chinese label of a code value (e.g. a status), read from the attribute it labels."""

    def __init__(self, labels, **kwargs):
        super().__init__(dump_only=True, **kwargs)
        self.labels = labels

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else self.labels.get(value, value)


class LabelList(fields.List):
    """The Chinese labels of a list of code values (e.g. review flags)."""

    def __init__(self, labels, **kwargs):
        super().__init__(fields.String(), dump_only=True, **kwargs)
        self.labels = labels

    def _serialize(self, value, attr, obj, **kwargs):
        return [self.labels.get(item, item) for item in value or []]


class Metres(fields.Integer):
    """A distance in whole metres (stored with decimals)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else int(round(value))


class ShiftSchema(BaseSchema):
    """A shift as its member sees it."""

    id = fields.Integer()
    client_id = fields.String(allow_none=True)
    post = fields.Nested(PostRefSchema)
    unit = fields.Nested(UnitRefSchema, metadata={"description": "审核该记录的单位（岗位所属单位）"})
    status = fields.String(metadata={"description": "open、pending、needs_review、approved、rejected"})
    status_label = Label(SHIFT_STATUS_LABELS, attribute="status")
    source = fields.String(metadata={"description": "scan 扫码签到，live 动态码签到，claim 补录"})
    offline = fields.Boolean()
    started_at = LocalDateTime()
    ended_at = LocalDateTime(allow_none=True)
    minutes = fields.Integer(allow_none=True, metadata={"description": "实际在岗分钟数（签到至签退，向下取整）"})
    credited_minutes = fields.Integer(allow_none=True, metadata={"description": "审核核定的分钟数"})
    review_flags = fields.List(fields.String(), metadata={
        "description": "需人工审核的原因：offline、out_of_range_in、out_of_range_out、no_location_out、"
                       "open_too_long、claim"})
    review_flag_labels = LabelList(SHIFT_FLAG_LABELS, attribute="review_flags")
    check_in_distance_m = Metres(allow_none=True)
    check_out_distance_m = Metres(allow_none=True)
    claim_reason = fields.String()
    review_reason = fields.String(metadata={"description": "最近一次审核的原因"})


class HoursSchema(BaseSchema):
    approved_minutes = fields.Integer()
    pending_minutes = fields.Integer()
    star_level = fields.Integer(metadata={"description": "0–5"})
    next_level_at_minutes = fields.Integer(allow_none=True, metadata={"description": "下一星级所需核定分钟数；已满五星为 null"})
