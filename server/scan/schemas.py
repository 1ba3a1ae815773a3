"""Schemas of the scan answer (public profiles)."""
from marshmallow import fields

from server.admin.schemas import TimeLimitSchema
from server.auth.schemas import UnitRefSchema
from server.schemas import BaseSchema


class LocationSchema(BaseSchema):
    lat = fields.Float()
    lng = fields.Float()


class PublicTargetSchema(BaseSchema):
    """A badge, window or post as anyone who scans it sees it; which fields appear depends on kind."""

    id = fields.Integer()
    name = fields.String()
    unit = fields.Nested(UnitRefSchema)
    # badge
    photo_url = fields.String()
    post_title = fields.String()
    is_party_member = fields.Boolean()
    commitment = fields.String()
    badge_no = fields.String()
    on_duty = fields.Boolean()
    # window
    duties = fields.List(fields.String())
    commitments = fields.List(fields.String())
    time_limits = fields.List(fields.Nested(TimeLimitSchema))
    # post
    service = fields.String()
    location = fields.Nested(LocationSchema)
    radius_m = fields.Integer()


class ScanSchema(BaseSchema):
    kind = fields.String(metadata={"enum": ["badge", "window", "post"]})
    target = fields.Nested(PublicTargetSchema)
    actions = fields.List(fields.String())
    live = fields.Boolean(metadata={"description": "扫描的是岗位屏幕上的动态签到码"})
