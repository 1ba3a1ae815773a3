"""Schemas of the figures (GET /admin/stats), the rankings and the admins' ratings list."""
import datetime as dt

from marshmallow import fields, validate
from webargs.fields import DelimitedList

from server.auth.schemas import UnitRefSchema
from server.messages import ZERO_TAGS
from server.schemas import BaseSchema, Id, LocalDateTime, OneOf, PageArgsSchema
from server.stats.services import COMPOSITE_WEIGHTS, INCLUDABLE

# Far enough either way for any real period; keeps date arithmetic clear of year 1 and 9999.
DATE_RANGE = validate.Range(min=dt.date(2000, 1, 1), max=dt.date(2099, 12, 31))


def Rate(description):
    return fields.Float(allow_none=True, metadata={"description": description + "; null when there is nothing to divide"})


class PeriodArgsSchema(BaseSchema):
    """A period of local days (Asia/Shanghai, TZ_NAME), both ends inclusive."""

    from_ = fields.Date(data_key="from", validate=DATE_RANGE, metadata={"description": "first day, e.g. 2026-11-01"})
    to = fields.Date(validate=DATE_RANGE, metadata={"description": "last day (inclusive); not before `from`"})


class StatsArgsSchema(PeriodArgsSchema):
    """Default period: the last 30 days up to today; at most 366 days."""

    unit_id = Id(strict=False, metadata={"description": "a unit admin's own unit by default; bureau: every unit"})
    window_id = Id(strict=False, metadata={"description": "narrow to one window"})
    member_id = Id(strict=False, metadata={"description": "narrow to one member (ratings of their badge, their hours)"})
    include = DelimitedList(OneOf(INCLUDABLE), metadata={
        "description": "extra figures, comma-separated: " + ", ".join(INCLUDABLE) + " (each costs a query of its own)"})


class RankingsArgsSchema(PeriodArgsSchema):
    """Default period: this month up to today; at most 366 days."""


class RatingFilterArgsSchema(PeriodArgsSchema):
    """Which ratings: by unit, window, member, score and local day."""

    unit_id = Id(strict=False)
    window_id = Id(strict=False)
    member_id = Id(strict=False)
    score = fields.Integer(validate=validate.Range(min=1, max=5))


class RatingListArgsSchema(PageArgsSchema, RatingFilterArgsSchema):
    pass


class RatingExportArgsSchema(RatingFilterArgsSchema):
    """The ratings of the workbook: a unit admin's own unit (another's is refused), the bureau's any or all."""


class WindowZerosSchema(BaseSchema):
    window_id = fields.Integer()
    name = fields.String()
    unit_id = fields.Integer()
    ratings = fields.Integer()
    zero_complaints = fields.Boolean(metadata={"description": f"no rating of 1–2 and none tagged {ZERO_TAGS['zero_complaints']}"})
    zero_shirking = fields.Boolean(metadata={"description": f"no rating tagged {ZERO_TAGS['zero_shirking']}"})
    zero_errors = fields.Boolean(metadata={"description": f"no rating tagged {ZERO_TAGS['zero_errors']}"})


class ZerosSchema(BaseSchema):
    """The zeros over the whole scope (windows and badges), and per window of the scope."""

    zero_complaints = fields.Boolean()
    zero_shirking = fields.Boolean()
    zero_errors = fields.Boolean()
    windows = fields.List(fields.Nested(WindowZerosSchema),
                          metadata={"description": "every window of the scope, rated or not; empty for a member"})


class DaySchema(BaseSchema):
    date = fields.Date()
    ratings = fields.Integer()
    satisfied = fields.Integer(metadata={"description": "ratings of 3–5"})
    good = fields.Integer(metadata={"description": "ratings of 4–5"})
    bad = fields.Integer(metadata={"description": "ratings of 1–2"})
    satisfaction_rate = Rate("satisfied / ratings")


class HourSchema(BaseSchema):
    hour = fields.Integer(metadata={"description": "local hour 0–23"})
    ratings = fields.Integer()


class RatingFiguresSchema(BaseSchema):
    """The rating figures of a scope: count, five-level distribution and the three rates."""

    ratings = fields.Integer()
    distribution = fields.Dict(keys=fields.String(), values=fields.Integer(),
                               metadata={"description": 'ratings per level, "1" (very dissatisfied) to "5" (very satisfied)'})
    satisfaction_rate = Rate("ratings of 3–5 / all ratings")
    good_rate = Rate("ratings of 4–5 / all ratings")
    bad_rate = Rate("ratings of 1–2 / all ratings")


class UnitFiguresSchema(RatingFiguresSchema):
    """One unit's ratings in the period (satisfaction by unit)."""

    unit = fields.Nested(UnitRefSchema)
    unit_id = fields.Integer()


class MonthHoursSchema(BaseSchema):
    month = fields.String(metadata={"description": "the local calendar month, e.g. 2026-11"})
    first = fields.Date(metadata={"description": "first day counted (the 1st)"})
    last = fields.Date(metadata={"description": "last day counted: the month's last, or `to` for the final month"})
    hours_approved = fields.Float(metadata={"description": "approved hours of shifts started in the month"})
    hours_pending = fields.Float(metadata={"description": "hours of shifts started in the month and waiting for review"})


class StatsSchema(RatingFiguresSchema):
    """Figures of a unit (or the bureau), window or member over a period.

    Excluded ratings and follow-up ratings never count; cases of excluded ratings neither.
    """

    unit_id = fields.Integer(allow_none=True, metadata={"description": "null: every unit"})
    window_id = fields.Integer(allow_none=True)
    member_id = fields.Integer(allow_none=True)
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    goal = fields.Float(metadata={"description": "the bureau's satisfaction goal (SATISFACTION_GOAL, 0.9)"})
    meets_goal = fields.Boolean(allow_none=True, metadata={"description": "satisfaction_rate >= goal; null without ratings"})
    cases_due = fields.Integer(metadata={"description": "cases whose answer deadline (due_resolve_at) fell in the period, up to now"})
    cases_on_time = fields.Integer(metadata={"description": "of cases_due, those resolved no later than their deadline"})
    case_close_rate = Rate("cases_on_time / cases_due")
    cases_open = fields.Integer(metadata={"description": "cases of the scope not resolved now, whatever the period"})
    cases_overdue = fields.Integer(
        metadata={"description": "of cases_open, those past their answer deadline, or past their contact deadline uncontacted"})
    zeros = fields.Nested(ZerosSchema)
    hours_approved = fields.Float(
        metadata={"description": "approved volunteer hours of shifts started in the period (window_id does not narrow hours)"})
    hours_pending = fields.Float(metadata={"description": "hours of shifts started in the period and waiting for review"})
    by_day = fields.List(fields.Nested(DaySchema), metadata={"description": "every day of the period, oldest first"})
    by_hour = fields.List(fields.Nested(HourSchema), metadata={"description": "the 24 local hours"})
    by_weekday_hour = fields.List(fields.List(fields.Integer()),
                                  metadata={"description": "7 rows (Monday first) of 24 local-hour rating counts"})
    by_unit = fields.List(fields.Nested(UnitFiguresSchema), metadata={
        "description": "only with include=by_unit — satisfaction by unit: every unit of the scope (bureau: every "
                       "unit; narrowed to a window or member: its unit), rated or not, by unit id"})
    hours_by_month = fields.List(fields.Nested(MonthHoursSchema), metadata={
        "description": "only with include=hours_by_month — hours per local calendar month: the 12 months up to `to`, "
                       "oldest first (the trend: `from` does not shorten it; window_id does not narrow hours)"})


COMPOSITE_FORMULA = (
    "composite_score = 100 × (" + " + ".join(f"{weight} × {name}" for name, weight in COMPOSITE_WEIGHTS.items())
    + "), where a unit with no case due counts case_close_rate as 1; rounded to two places; null without ratings. "
    "Units with fewer than min_ratings ratings (RANKING_MIN_RATINGS) rank after the others; ties go to more "
    "ratings, then the lower unit id. The leader holds the rotating red flag for the period."
)


class RankingSchema(BaseSchema):
    rank = fields.Integer()
    leader = fields.Boolean(metadata={"description": "rank 1 among qualified units: holds the rotating red flag for the period"})
    qualified = fields.Boolean(metadata={"description": "at least min_ratings ratings; the others rank after them"})
    composite_score = fields.Float(allow_none=True, metadata={"description": COMPOSITE_FORMULA})
    unit = fields.Nested(UnitRefSchema)
    unit_id = fields.Integer()
    is_red_station = fields.Boolean()
    ratings = fields.Integer()
    satisfaction_rate = Rate("ratings of 3–5 / all ratings")
    good_rate = Rate("ratings of 4–5 / all ratings")
    bad_rate = Rate("ratings of 1–2 / all ratings")
    cases_due = fields.Integer()
    cases_on_time = fields.Integer()
    case_close_rate = Rate("cases_on_time / cases_due")
    cases_open = fields.Integer()
    cases_overdue = fields.Integer()
    hours_approved = fields.Float()


class RankingsSchema(BaseSchema):
    """Every unit for the period, best first."""

    class Meta:
        description = "Every unit for the period, best first. " + COMPOSITE_FORMULA

    from_ = fields.Date(data_key="from")
    to = fields.Date()
    min_ratings = fields.Integer()
    weights = fields.Dict(keys=fields.String(), values=fields.Float())
    items = fields.List(fields.Nested(RankingSchema))


class RatingTargetSchema(BaseSchema):
    kind = fields.String(metadata={"description": "member (a badge) or window"})
    id = fields.Integer()
    name = fields.String()


class RatingCaseSchema(BaseSchema):
    id = fields.Integer()
    status = fields.String()


class AdminRatingSchema(BaseSchema):
    """A rating as the unit's admins see it: never who rated (no rater key, no WeChat id)."""

    id = fields.Integer()
    target = fields.Nested(RatingTargetSchema)
    unit = fields.Nested(UnitRefSchema)
    unit_id = fields.Integer()
    score = fields.Integer()
    score_label = fields.String()
    tags = fields.List(fields.String())
    comment = fields.String()
    comment_status = fields.String(metadata={"description": "shown, or hidden pending review"})
    created_at = LocalDateTime()
    rated_on = fields.Date(metadata={"description": "the local day of the rating"})
    case = fields.Nested(RatingCaseSchema, allow_none=True)
    excluded = fields.Boolean(metadata={"description": "excluded from the figures by a bureau admin"})
    excluded_reason = fields.String(allow_none=True)
    follow_up_of_id = fields.Integer(allow_none=True, metadata={"description": "set on a follow-up rating: the rating it follows"})
    contact = fields.String(allow_none=True, metadata={"description": "the rater's contact, for a bad rating only"})
