"""Schemas of the review queue and the review decisions (GET /admin/shifts, POST …/review, …/review-bulk)."""
from marshmallow import ValidationError, fields, validate, validates_schema

from server import messages
from server.auth.schemas import UnitRefSchema
from server.models import SHIFT_STATUSES
from server.schemas import BaseSchema, ErrorBodySchema, Id, LocalDateTime, OneOf, PageArgsSchema, Text, page_schema
from server.shifts.review import DECISIONS
from server.stats.schemas import PeriodArgsSchema

REASON_MAX = 500
MAX_MINUTES = 24 * 60
BULK_MAX = 200


class ShiftListArgsSchema(PageArgsSchema, PeriodArgsSchema):
    """Filters of the review queue; ``from``/``to`` are local days the shifts started on."""

    status = OneOf(SHIFT_STATUSES, metadata={
        "description": "open 进行中；pending 待审核；needs_review 未签退待核实；approved 已通过；rejected 已驳回"})
    overdue = fields.Boolean(metadata={"description": "true：只列超过 10 个工作日未审核的记录；false：排除它们"})
    unit_id = Id(strict=False)
    member_id = Id(strict=False)
    post_id = Id(strict=False)


class RefSchema(BaseSchema):
    """A member or post as referenced from a shift: {"id", "name"}."""

    id = fields.Integer()
    name = fields.String()


class PositionSchema(BaseSchema):
    """A check-in or check-out location and whether it was inside the post's geofence."""

    lat = fields.Float(allow_none=True)
    lng = fields.Float(allow_none=True)
    accuracy_m = fields.Float(allow_none=True)
    distance_m = fields.Float(allow_none=True, metadata={"description": "distance from the post, metres"})
    in_range = fields.Boolean(allow_none=True, metadata={"description": "null when no location was sent"})


class ReviewerSchema(BaseSchema):
    id = fields.Integer(allow_none=True, metadata={"description": "null for the unit's automatic approval"})
    name = fields.String()


class ShiftReviewEntrySchema(BaseSchema):
    """One decision in a shift's history; corrections add entries, none is ever changed."""

    id = fields.Integer()
    decision = fields.String(metadata={"description": "approve, reject, adjust or auto_approve"})
    decision_label = fields.String()
    minutes = fields.Integer(allow_none=True, metadata={"description": "minutes credited by this decision"})
    status_before = fields.String()
    status_after = fields.String()
    reason = fields.String()
    daily_cap_override = fields.Boolean(metadata={"description": "the member's day went over 8 h by this decision"})
    reviewer = fields.Nested(ReviewerSchema)
    at = LocalDateTime()


class AdminShiftSchema(BaseSchema):
    """A shift as its reviewer sees it: the measurements, the recording deadline and every decision."""

    id = fields.Integer()
    member_id = fields.Integer()
    member = fields.Nested(RefSchema)
    post_id = fields.Integer()
    post = fields.Nested(RefSchema)
    unit_id = fields.Integer()
    unit = fields.Nested(UnitRefSchema)
    status = fields.String()
    status_label = fields.String()
    source = fields.String(metadata={"description": "scan 扫码；live 动态码；claim 补录"})
    offline = fields.Boolean()
    started_at = LocalDateTime()
    ended_at = LocalDateTime(allow_none=True)
    minutes = fields.Integer(allow_none=True, metadata={"description": "measured; null for a forgotten check-out"})
    open_minutes = fields.Integer(allow_none=True, metadata={
        "description": "the time actually open (for a claim, the claimed span): the most an adjustment may credit"})
    approve_minutes = fields.Integer(allow_none=True, metadata={"description": "what approving would credit"})
    credited_minutes = fields.Integer(allow_none=True, metadata={"description": "what counts as hours, from the latest decision"})
    review_flags = fields.List(fields.String())
    check_in = fields.Nested(PositionSchema)
    check_out = fields.Nested(PositionSchema)
    claim_reason = fields.String()
    overdue = fields.Boolean(metadata={"description": "still waiting for review past the recording deadline"})
    review_due_at = LocalDateTime(metadata={"description": "end of the 10th working day after the shift's day"})
    working_days_waiting = fields.Integer(allow_none=True, metadata={"description": "null once decided"})
    reviews = fields.List(fields.Nested(ShiftReviewEntrySchema))


class ShiftReviewSchema(BaseSchema):
    """One decision: approve, reject (reason), adjust (minutes and reason)."""

    decision = OneOf(DECISIONS, required=True)
    minutes = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_MINUTES), metadata={
        "description": "adjust only: the minutes to credit, never above the time actually open"})
    reason = Text(max_length=REASON_MAX, load_default="", metadata={
        "description": "required for reject and adjust, and for any correction of a decided shift"})
    override_daily_cap = fields.Boolean(load_default=False, metadata={
        "description": "confirm crediting more than 8 h to the member's day (never more than 12 h)"})

    @validates_schema
    def reason_and_minutes(self, data, **kwargs):
        """reject and adjust need a reason; adjust needs minutes, and only adjust takes them."""
        decision, errors = data.get("decision"), {}
        if decision in ("reject", "adjust") and not data.get("reason"):
            errors["reason"] = [messages.SHIFT_REASON_REQUIRED]
        if decision == "adjust" and data.get("minutes") is None:
            errors["minutes"] = [messages.SHIFT_ADJUST_MINUTES_REQUIRED]
        if decision in ("approve", "reject") and data.get("minutes") is not None:
            errors["minutes"] = [messages.SHIFT_MINUTES_ONLY_FOR_ADJUST]
        if errors:
            raise ValidationError(errors)


class BulkReviewSchema(BaseSchema):
    """Approve many shifts at once; each is decided on its own."""

    ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=BULK_MAX))
    decision = OneOf(("approve",), required=True)
    reason = Text(max_length=REASON_MAX, load_default="")
    override_daily_cap = fields.Boolean(load_default=False)


class BulkItemSchema(BaseSchema):
    """The outcome for one id: decided (ok) or refused with the error one review would have given."""

    id = fields.Integer()
    ok = fields.Boolean()
    status = fields.String(allow_none=True)
    credited_minutes = fields.Integer(allow_none=True)
    error = fields.Nested(ErrorBodySchema, allow_none=True)


class BulkResultSchema(BaseSchema):
    items = fields.List(fields.Nested(BulkItemSchema))
    approved = fields.Integer()
    failed = fields.Integer()


ShiftPageSchema = page_schema(AdminShiftSchema)
