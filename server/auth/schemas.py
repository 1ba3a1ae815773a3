"""Request and response schemas of logins, /me and binding."""
from marshmallow import fields, validate

from server.schemas import BaseSchema, Text


class UnitRefSchema(BaseSchema):
    """A unit as referenced from other objects: {"id", "name"}."""

    id = fields.Integer()
    name = fields.String()


class WechatLoginSchema(BaseSchema):
    code = Text(max_length=128, min_length=1, required=True, metadata={"description": "wx.login 的 code"})


class AdminLoginSchema(BaseSchema):
    username = Text(max_length=64, min_length=1, required=True)
    password = fields.String(required=True, validate=validate.Length(min=1, max=128))


class MeMemberSchema(BaseSchema):
    """The bound member as the member sees themself."""

    id = fields.Integer()
    name = fields.String()
    unit = fields.Nested(UnitRefSchema)
    post_title = fields.String()
    is_party_member = fields.Boolean()
    commitment = fields.String()
    photo_url = fields.String()
    badge_no = fields.String()
    phone = fields.String(attribute="masked_phone")
    approved_minutes = fields.Integer()
    pending_minutes = fields.Integer()
    star_level = fields.Integer()
    next_level_at_minutes = fields.Integer(allow_none=True)


class UserSchema(BaseSchema):
    id = fields.Integer()
    member = fields.Nested(MeMemberSchema, allow_none=True)


class WechatLoginResultSchema(BaseSchema):
    token = fields.String()
    expires_in = fields.Integer()
    user = fields.Nested(UserSchema)


class AdminSchema(BaseSchema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String()
    unit_id = fields.Integer(allow_none=True)


class AdminLoginResultSchema(BaseSchema):
    token = fields.String()
    expires_in = fields.Integer()
    admin = fields.Nested(AdminSchema)


class BindSchema(BaseSchema):
    bind_code = Text(max_length=32, min_length=1, required=True)
