"""Schemas of rating submission and the rater's own ratings."""
import re

from marshmallow import fields, pre_load, validate

from server.auth.schemas import UnitRefSchema
from server.messages import CONTACT_INVALID
from server.schemas import BaseSchema, LocalDateTime, Text

CONTACT = validate.Regexp(r"^[0-9+\-() ]{5,20}$|^$", error=CONTACT_INVALID)


def Score():
    """A rating's score: one of the five national levels."""
    return fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=5),
                          metadata={"description": "5 非常满意 4 满意 3 基本满意 2 不满意 1 非常不满意"})


class RatingCreateSchema(BaseSchema):
    token = Text(max_length=80, min_length=1, required=True, metadata={"description": "扫描到的二维码 token"})
    score = Score()
    tags = fields.List(Text(max_length=10, min_length=1), load_default=list, validate=validate.Length(max=10))
    comment = Text(max_length=500, load_default="")
    contact = Text(max_length=20, load_default="", validate=CONTACT,
                   metadata={"description": "仅差评可选填，用于回访"})
    client_id = Text(max_length=64, min_length=1, load_default=None,
                     metadata={"description": "可选：客户端为每次评价生成的唯一标识；同一评价人重发同一标识返回同一条评价（200）"})


class RatingFormSchema(RatingCreateSchema):
    """The same fields posted by the H5 form (form-encoded): tags as repeated fields, numbers as text."""

    @pre_load
    def from_form(self, form, **kwargs):
        """Read this schema's fields from the form's MultiDict; others (csrf, buttons) are not ours."""
        data = {}
        for name, field in self.fields.items():
            if name in form:
                data[name] = form.getlist(name) if isinstance(field, fields.List) else form.get(name)
        if isinstance(data.get("score"), str) and re.fullmatch(r"[0-9]{1,3}", data["score"]):
            data["score"] = int(data["score"])
        return data


class CaseRefSchema(BaseSchema):
    id = fields.Integer()
    due_contact_at = LocalDateTime()
    due_resolve_at = LocalDateTime()


class RatingCreatedSchema(BaseSchema):
    id = fields.Integer()
    score = fields.Integer()
    comment_status = fields.String(metadata={"description": "shown：已公开；hidden：待审核后显示"})
    case = fields.Nested(CaseRefSchema, allow_none=True)


class TargetSchema(BaseSchema):
    """What was rated: a member (from their badge) or a window, and its unit."""

    kind = fields.String(metadata={"description": "member 或 window"})
    id = fields.Integer()
    name = fields.String()
    unit = fields.Nested(UnitRefSchema)


class FollowUpSchema(BaseSchema):
    """The rater's follow-up rating (追评) after the unit's answer."""

    id = fields.Integer()
    score = fields.Integer()
    score_label = fields.String()
    comment = fields.String()
    comment_status = fields.String()
    created_at = LocalDateTime()


class MyRatingSchema(BaseSchema):
    """A rating as its rater sees it, with the unit's answer once the case is resolved."""

    id = fields.Integer()
    target = fields.Nested(TargetSchema)
    score = fields.Integer()
    score_label = fields.String()
    tags = fields.List(fields.String())
    comment = fields.String()
    comment_status = fields.String(metadata={"description": "shown：已公开；hidden：待审核后显示"})
    created_at = LocalDateTime()
    case_status = fields.String(allow_none=True, metadata={"description": "差评工单状态：open、contacted、resolved；好评为 null"})
    case_status_label = fields.String(allow_none=True)
    answer = fields.String(allow_none=True, metadata={"description": "单位的答复（答复后才有）"})
    answered_at = LocalDateTime(allow_none=True)
    can_follow_up = fields.Boolean(metadata={"description": "单位答复后可追评一次"})
    follow_up = fields.Nested(FollowUpSchema, allow_none=True)


class FollowUpCreateSchema(BaseSchema):
    score = Score()
    comment = Text(max_length=500, load_default="")
