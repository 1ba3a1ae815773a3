"""Building blocks shared by every resource's schemas: base schema, safe fields, paging.

Importing this module also installs the Chinese validation messages (server.messages) as
marshmallow's defaults, so every 422 the API sends is readable by the user.
"""
import datetime as dt
import re
from zoneinfo import ZoneInfo

from flask import current_app
from marshmallow import INCLUDE, Schema, ValidationError, fields, validate
from marshmallow.validate import Length

from server.messages import VALIDATION as ZH

MAX_ID = 2**31 - 1
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _install_chinese_messages():
    """Replace marshmallow's English default messages with the Chinese ones."""
    fields.Field.default_error_messages = {
        "required": ZH["required"],
        "null": ZH["null"],
        "validator_failed": ZH["validator_failed"],
    }
    per_class = {
        fields.Nested: {"type": ZH["type"]},
        fields.List: {"invalid": ZH["invalid_list"]},
        fields.Tuple: {"invalid": ZH["invalid_list"]},
        fields.String: {"invalid": ZH["invalid_string"], "invalid_utf8": ZH["invalid_utf8"]},
        fields.Number: {"invalid": ZH["invalid_number"], "too_large": ZH["too_large"]},
        fields.Integer: {"invalid": ZH["invalid_integer"]},
        fields.Float: {"special": ZH["special"]},
        fields.Decimal: {"special": ZH["special"]},
        fields.Boolean: {"invalid": ZH["invalid_boolean"]},
        fields.DateTime: {
            "invalid": ZH["invalid_datetime"],
            "invalid_awareness": ZH["invalid_awareness"],
            "format": ZH["invalid_datetime"],
        },
        fields.Date: {"invalid": ZH["invalid_date"], "format": ZH["invalid_date"]},
        fields.Mapping: {"invalid": ZH["invalid_mapping"]},
        fields.Url: {"invalid": ZH["invalid_url"]},
        fields.Email: {"invalid": ZH["invalid_email"]},
        fields.Enum: {"unknown": ZH["one_of"]},
    }
    for cls, msgs in per_class.items():
        cls.default_error_messages = msgs
    validate.Range.message_min = ZH["range_min"].replace("{", "{{").replace("}", "}}")
    validate.Range.message_max = ZH["range_max"].replace("{", "{{").replace("}", "}}")
    validate.Range.message_all = ZH["range_all"].replace("{", "{{").replace("}", "}}")
    validate.Length.message_min = ZH["length_min"]
    validate.Length.message_max = ZH["length_max"]
    validate.Length.message_all = ZH["length_all"]
    validate.Length.message_equal = ZH["length_equal"]
    validate.OneOf.default_message = ZH["one_of"]
    validate.Regexp.default_message = ZH["regexp"]
    validate.URL.default_message = ZH["invalid_url"]
    validate.Email.default_message = ZH["invalid_email"]


_install_chinese_messages()


class BaseSchema(Schema):
    """Every request and response schema: unknown fields are refused in Chinese."""

    error_messages = {"unknown": ZH["unknown"], "type": ZH["type"]}


class Text(fields.String):
    """A trimmed string without control characters, bounded in length.

    Every user-supplied string goes through this field, so a 10,000-character string or a
    NUL byte is a 422 rather than a database error.
    """

    def __init__(self, max_length=200, min_length=0, validate=None, **kwargs):
        validators = [Length(min=min_length or None, max=max_length)]
        if validate is not None:
            validators += validate if isinstance(validate, list) else [validate]
        super().__init__(validate=validators, **kwargs)
        self.min_length = min_length

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if CONTROL_CHARS.search(text):
            raise ValidationError(ZH["control_chars"])
        if self.min_length and not text:
            raise ValidationError(ZH["blank"])
        return text


def Id(strict=True, **kwargs):
    """A database id given in a request: a strict positive integer within int32.

    Query strings carry only text, so their schemas take ``Id(strict=False)`` ("?unit_id=3").
    """
    return fields.Integer(strict=strict, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def OneOf(choices, **kwargs):
    """A string that must be one of ``choices``, listed in the Chinese message."""
    return fields.String(validate=validate.OneOf(choices), **kwargs)


def local_zone():
    """The bureau's time zone (TZ_NAME, Asia/Shanghai by default)."""
    return ZoneInfo(current_app.config["TZ_NAME"])


class LocalDateTime(fields.DateTime):
    """Times out in ISO 8601 with the bureau's offset; in, any aware time, stored as UTC."""

    def __init__(self, **kwargs):
        super().__init__(format="iso", **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(local_zone()).isoformat()

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if value.tzinfo is None:
            raise self.make_error("invalid_awareness", awareness="aware", obj_type="datetime")
        try:
            return value.astimezone(dt.timezone.utc)
        except OverflowError:  # 0001-01-01T00:00+08:00 has no UTC time in Python's range
            raise self.make_error("invalid", input=value, obj_type="datetime")


class PageArgsSchema(BaseSchema):
    """Paging arguments of every list: ?page=1&page_size=20 (at most 100)."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_ID))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


_page_schemas = {}


def page_schema(item_schema):
    """The list envelope {"items", "total", "page", "page_size"} for ``item_schema``."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    if name not in _page_schemas:
        _page_schemas[name] = type(
            name,
            (BaseSchema,),
            {
                "items": fields.List(fields.Nested(item_schema)),
                "total": fields.Integer(),
                "page": fields.Integer(),
                "page_size": fields.Integer(),
            },
        )
    return _page_schemas[name]


def paginate(query, args):
    """Run ``query`` (a select) for one page; returns the list envelope as a dict."""
    from sqlalchemy import func, select

    from server.extensions import db

    page, size = args["page"], args["page_size"]
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = db.session.scalars(query.limit(size).offset((page - 1) * size)).all()
    return {"items": items, "total": total, "page": page, "page_size": size}


class ErrorBodySchema(BaseSchema):
    """The inside of every error answer; some errors add what they are about (API.md: the open
    shift of a 409 ``shift_open``, the ``distance_m`` of a 422 ``out_of_range``…)."""

    class Meta:
        unknown = INCLUDE

    code = fields.String(required=True, metadata={"description": "stable English slug"})
    message = fields.String(required=True, metadata={"description": "Chinese, fit to show the user"})
    # A field's problems: its messages, or for a list or a nested object, its items' problems
    # by index or name ({"tags": {"3": ["…"]}}).
    fields_ = fields.Dict(data_key="fields", keys=fields.String(), values=fields.Raw(metadata={"anyOf": [
        {"type": "array", "items": {"type": "string"}}, {"type": "object"}]}))


class ErrorSchema(BaseSchema):
    """Every error: {"error": {"code", "message", "fields"}}."""

    error = fields.Nested(ErrorBodySchema, required=True)
