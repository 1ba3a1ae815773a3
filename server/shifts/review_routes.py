"""Admin API for reviewing shifts: the review queue, one decision, and approving many at once."""
from server.auth.identity import current_identity
from server.auth.walls import get_walled
from server.api import Blueprint
from server.errors import ApiError
from server.extensions import db
from server.models import Shift, utcnow
from server.shifts import review_schemas as schemas
from server.shifts.notify import notify_member_of_review
from server.shifts.review import review_many, review_shift
from server.shifts.review_queue import bulk_view, queue_page, shift_views

bp = Blueprint("shift_review", __name__, url_prefix="/api/v1/admin", description="志愿服务时长审核 Shift review")


@bp.route("/shifts")
@bp.login_required("admin")
@bp.errors(422)
@bp.arguments(schemas.ShiftListArgsSchema, location="query")
@bp.response(200, schemas.ShiftPageSchema)
def list_shifts(args):
    """List shifts for review: awaiting review first (overdue first, then oldest), then the rest, newest first."""
    return queue_page(args, utcnow())


@bp.route("/shifts/<int:shift_id>/review", methods=["POST"])
@bp.login_required("admin")
@bp.errors(404, 409, 422)
@bp.arguments(schemas.ShiftReviewSchema)
@bp.response(200, schemas.AdminShiftSchema)
def review(data, shift_id):
    """Approve, reject (with a reason) or adjust (minutes and a reason) one shift; corrections keep the original."""
    shift = get_walled(Shift, shift_id)
    decision = review_shift(shift, data["decision"], current_identity().admin, minutes=data.get("minutes"),
                            reason=data["reason"], override_daily_cap=data["override_daily_cap"])
    db.session.commit()
    notify_member_of_review(shift, decision)
    return shift_views([shift], utcnow())[0]


@bp.route("/shifts/review-bulk", methods=["POST"])
@bp.login_required("admin")
@bp.errors(422)
@bp.arguments(schemas.BulkReviewSchema)
@bp.response(200, schemas.BulkResultSchema)
def review_bulk(data):
    """Approve up to 200 shifts; each is approved or refused on its own, with the reason per id."""
    outcomes = review_many(data["ids"], data["decision"], current_identity().admin, reason=data["reason"],
                           override_daily_cap=data["override_daily_cap"])
    db.session.commit()
    for _, outcome in outcomes:
        if not isinstance(outcome, ApiError):
            notify_member_of_review(*outcome)
    return bulk_view(outcomes)
