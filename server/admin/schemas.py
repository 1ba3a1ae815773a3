"""Schemas of the managed objects: per resource a Schema, its partial PATCH form, list args."""
from marshmallow import ValidationError, fields, validate, validates_schema

from server.auth.schemas import UnitRefSchema
from server.messages import VALIDATION as ZH
from server.models import UNIT_TYPES, mask_phone
from server.schemas import BaseSchema, Id, LocalDateTime, OneOf, PageArgsSchema, Text

PHOTO_URL = validate.Regexp(r"^(https?://|/)\S*$|^$", error=ZH["invalid_url"])
# ASCII digits only, and \Z: "$" would let "13812345678\n" through.
PHONE = validate.Regexp(r"^(1[0-9]{10}|0[0-9]{2,3}-?[0-9]{7,8})?\Z", error=ZH["phone"])


# The document's pattern covers both directions of the one schema: a whole number in, masked out.
PHONE_DOCUMENTED = r"^(1[0-9]{10}|0[0-9]{2,3}-?[0-9]{7,8}|[0-9]{3}\*{3,}[0-9]{4})?$"


class MaskedPhone(fields.String):
    """A phone number taken whole and given back masked (138****1234)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return mask_phone(value or "")


class PatchMixin:
    """Loads partially: PATCH sends only the fields it changes.

    Partial by field name, not ``partial=True``: True would reach into nested objects too and
    let a PATCH store a time limit without its "limit".
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", tuple(self._declared_fields))
        super().__init__(*args, **kwargs)


class ListArgsSchema(PageArgsSchema):
    """Filters every admin collection takes."""

    unit_id = Id(strict=False)
    q = Text(max_length=50, metadata={"description": "名称包含"})


class UnitSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    name = Text(max_length=100, min_length=1, required=True)
    type = OneOf(UNIT_TYPES)
    is_red_station = fields.Boolean()
    address = Text(max_length=200)
    auto_approve_shifts = fields.Boolean(metadata={"description": "范围内且未超限的签到记录自动审核通过"})


class UnitPatchSchema(PatchMixin, UnitSchema):
    pass


class MemberSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    unit_id = Id()
    unit = fields.Nested(UnitRefSchema, dump_only=True)
    name = Text(max_length=50, min_length=1, required=True)
    post_title = Text(max_length=100)
    is_party_member = fields.Boolean()
    commitment = Text(max_length=200)
    phone = MaskedPhone(validate=PHONE, metadata={"description": "提交完整号码；返回时脱敏，如 138****1234",
                                                  "pattern": PHONE_DOCUMENTED})
    photo_url = Text(max_length=500, validate=PHOTO_URL)
    badge_no = Text(max_length=32)
    bound = fields.Function(lambda m: m.wechat_user_id is not None, dump_only=True)


class MemberPatchSchema(PatchMixin, MemberSchema):
    pass


class BindCodeSchema(BaseSchema):
    bind_code = fields.String()
    bind_code_expires_at = LocalDateTime()


class MemberCreatedSchema(MemberSchema):
    """A new member comes with its one-time bind code."""

    bind_code = fields.String(dump_only=True)
    bind_code_expires_at = LocalDateTime(dump_only=True)


class TimeLimitSchema(BaseSchema):
    item = Text(max_length=100, min_length=1, required=True)
    limit = Text(max_length=50, min_length=1, required=True)


class WindowSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    unit_id = Id()
    unit = fields.Nested(UnitRefSchema, dump_only=True)
    name = Text(max_length=100, min_length=1, required=True)
    duties = fields.List(Text(max_length=200, min_length=1), validate=validate.Length(max=30))
    commitments = fields.List(Text(max_length=200, min_length=1), validate=validate.Length(max=20))
    time_limits = fields.List(fields.Nested(TimeLimitSchema), validate=validate.Length(max=50))


class WindowPatchSchema(PatchMixin, WindowSchema):
    pass


class PostSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    unit_id = Id()
    unit = fields.Nested(UnitRefSchema, dump_only=True)
    name = Text(max_length=100, min_length=1, required=True)
    service = Text(max_length=500, metadata={"description": "志愿者在此岗位提供的服务"})
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    lng = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    radius_m = fields.Integer(strict=True, validate=validate.Range(min=10, max=5000))
    default_shift_minutes = fields.Integer(strict=True, validate=validate.Range(min=10, max=720))
    max_open_minutes = fields.Integer(strict=True, validate=validate.Range(min=30, max=1440))

    @validates_schema
    def shift_fits_limit(self, data, **kwargs):
        """A default shift longer than the post's open limit could never be credited."""
        default, limit = data.get("default_shift_minutes"), data.get("max_open_minutes")
        if default is not None and limit is not None and default > limit:
            raise ValidationError(ZH["range_max"].format(max=limit), "default_shift_minutes")


class PostPatchSchema(PatchMixin, PostSchema):
    pass
