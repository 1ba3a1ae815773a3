"""Schemas of cases (差评工单): the list filters, a case with its rating and history, events, exclusion."""
from marshmallow import ValidationError, fields, validates_schema

from server.auth.schemas import UnitRefSchema
from server.messages import CASE_ANSWER_REQUIRED, CASE_NO_CONTACT_ONLY_FOR_CONTACT, CASE_NOTE_REQUIRED
from server.messages import VALIDATION as ZH
from server.models import CASE_STATUSES
from server.ratings.schemas import FollowUpSchema, TargetSchema
from server.schemas import BaseSchema, Id, LocalDateTime, OneOf, PageArgsSchema, Text

CASE_ACTIONS = ("contact", "resolve", "reopen", "appeal")
NOTE_MAX = 500
ANSWER_MAX = 1000


class CaseListArgsSchema(PageArgsSchema):
    status = OneOf((*CASE_STATUSES, "overdue"), metadata={
        "description": "open 待联系；contacted 已联系；resolved 已答复；overdue 已逾期（未按时联系或答复）"})
    unit_id = Id(strict=False)


class CaseRatingSchema(BaseSchema):
    """A rating as its unit's admins see it: a held comment too (comment_status hidden), and the contact."""

    id = fields.Integer()
    score = fields.Integer()
    score_label = fields.String()
    tags = fields.List(fields.String())
    comment = fields.String()
    comment_status = fields.String(metadata={"description": "shown：已公开；hidden：待审核"})
    contact = fields.String(metadata={"description": "群众留下的联系方式（可为空）"})
    target = fields.Nested(TargetSchema)
    created_at = LocalDateTime()
    excluded = fields.Boolean(metadata={"description": "true：经局管理员决定不计入统计"})
    excluded_at = LocalDateTime(allow_none=True)
    excluded_reason = fields.String()
    follow_up = fields.Nested(FollowUpSchema, allow_none=True)


class OverdueReasonSchema(BaseSchema):
    code = fields.String(metadata={"description": "contact：未按时联系群众；resolve：未按时答复"})
    message = fields.String()


class AppealSchema(BaseSchema):
    state = fields.String(metadata={"description": "pending 待局管理员处理；upheld 不计入统计；rejected 仍计入统计"})
    state_label = fields.String()
    reason = fields.String()
    appealed_at = LocalDateTime()


class ActorSchema(BaseSchema):
    type = fields.String(metadata={"description": "admin、citizen、member 或 system"})
    id = fields.Integer(allow_none=True)
    name = fields.String()


class HistoryEntrySchema(BaseSchema):
    """One step of a case, from the audit trail."""

    at = LocalDateTime()
    action = fields.String()
    action_label = fields.String()
    actor = fields.Nested(ActorSchema)
    note = fields.String()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)


class CaseSchema(BaseSchema):
    """A case: its rating, deadlines, whether it is overdue and why, the answer and any appeal."""

    id = fields.Integer()
    unit_id = fields.Integer()
    unit = fields.Nested(UnitRefSchema)
    status = fields.String(metadata={"description": "open 待联系；contacted 已联系；resolved 已答复"})
    status_label = fields.String()
    rating = fields.Nested(CaseRatingSchema)
    due_contact_at = LocalDateTime()
    due_resolve_at = LocalDateTime()
    contacted_at = LocalDateTime(allow_none=True)
    resolved_at = LocalDateTime(allow_none=True)
    overdue = fields.Boolean()
    overdue_reasons = fields.List(fields.Nested(OverdueReasonSchema))
    answer = fields.String(metadata={"description": "答复群众的内容（群众可见）"})
    answered_on_time = fields.Boolean(allow_none=True, metadata={"description": "已答复时：是否在答复时限内"})
    appeal = fields.Nested(AppealSchema, allow_none=True)
    excluded = fields.Boolean()
    created_at = LocalDateTime()


class CaseDetailSchema(CaseSchema):
    """A case with its full history, oldest first."""

    history = fields.List(fields.Nested(HistoryEntrySchema))


class CaseEventSchema(BaseSchema):
    """One step of the workflow. contact: note (or no_contact); resolve: the answer; reopen, appeal: the reason."""

    action = OneOf(CASE_ACTIONS, required=True, metadata={
        "description": "contact 联系群众；resolve 整改答复；reopen 重新打开；appeal 申诉（恶意差评）"})
    note = Text(max_length=ANSWER_MAX, load_default="", metadata={
        "description": "处理说明；resolve 时为答复群众的内容（≤1000 字），其余 ≤500 字"})
    no_contact = fields.Boolean(load_default=False, metadata={"description": "仅 contact：群众未留联系方式"})

    @validates_schema
    def check_note(self, data, **kwargs):
        """The note each action needs, within its length."""
        action, note = data.get("action"), data.get("note", "")
        if data.get("no_contact") and action != "contact":
            raise ValidationError(CASE_NO_CONTACT_ONLY_FOR_CONTACT, "no_contact")
        if not note and not (action == "contact" and data.get("no_contact")):
            raise ValidationError(CASE_ANSWER_REQUIRED if action == "resolve" else CASE_NOTE_REQUIRED, "note")
        if action != "resolve" and len(note) > NOTE_MAX:
            raise ValidationError(ZH["length_max"].format(max=NOTE_MAX), "note")


class ExclusionSchema(BaseSchema):
    exclude = fields.Boolean(required=True, metadata={"description": "true 不计入统计；false 计入统计（驳回申诉）"})
    reason = Text(max_length=NOTE_MAX, min_length=1, required=True)


class RatingExclusionResultSchema(CaseRatingSchema):
    """The rating after the bureau's decision, with its case's appeal."""

    unit_id = fields.Integer()
    case_id = fields.Integer(allow_none=True)
    appeal = fields.Nested(AppealSchema, allow_none=True)
