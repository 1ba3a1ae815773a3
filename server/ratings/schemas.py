"""Schemas of rating submission and the rater's own ratings."""
from marshmallow import fields, validate

from server.messages import CONTACT_INVALID
from server.schemas import BaseSchema, LocalDateTime, Text

CONTACT = validate.Regexp(r"^[0-9+\-() ]{5,20}$|^$", error=CONTACT_INVALID)


class RatingCreateSchema(BaseSchema):
    token = Text(max_length=80, min_length=1, required=True, metadata={"description": "扫描到的二维码 token"})
    score = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=5),
                           metadata={"description": "5 非常满意 4 满意 3 基本满意 2 不满意 1 非常不满意"})
    tags = fields.List(Text(max_length=10, min_length=1), load_default=list, validate=validate.Length(max=10))
    comment = Text(max_length=500, load_default="")
    contact = Text(max_length=20, load_default="", validate=CONTACT,
                   metadata={"description": "仅差评可选填，用于回访"})


class CaseRefSchema(BaseSchema):
    id = fields.Integer()
    due_contact_at = LocalDateTime()
    due_resolve_at = LocalDateTime()


class RatingCreatedSchema(BaseSchema):
    id = fields.Integer()
    score = fields.Integer()
    comment_status = fields.String(metadata={"description": "shown：已公开；hidden：待审核后显示"})
    case = fields.Nested(CaseRefSchema, allow_none=True)


class MyRatingSchema(BaseSchema):
    """A rating as its rater sees it, with the unit's answer when the case is resolved."""

    id = fields.Integer()
    target = fields.Dict()
    score = fields.Integer()
    score_label = fields.String()
    tags = fields.List(fields.String())
    comment = fields.String()
    created_at = LocalDateTime()
    case_status = fields.String(allow_none=True)
    answer = fields.String(allow_none=True)
    answered_at = LocalDateTime(allow_none=True)
    can_follow_up = fields.Boolean()
