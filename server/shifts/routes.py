"""The member's side of volunteer shifts: check in, check out, claim (补录), own shifts and hours.

The rules live in server/shifts/services.py; the admins' review is elsewhere.
"""
from server import messages
from server.api import Blueprint, locks_at_first_write, writes_on_read
from server.auth.identity import current_identity
from server.errors import ApiError
from server.schemas import page_schema
from server.shifts import schemas, services

bp = Blueprint("shifts", __name__, url_prefix="/api/v1", description="志愿服务签到 Volunteer shifts")


def current_member():
    """The calling WeChat user's member; a citizen (not bound) gets 403 ``not_a_member``."""
    member = current_identity().member
    if member is None:
        raise ApiError(403, "not_a_member", messages.SHIFT_NOT_A_MEMBER)
    return member


@bp.route("/shifts/check-in", methods=["POST"])
@locks_at_first_write  # the member's state is read after lock_member (server/shifts/services.py)
@bp.login_required("wechat")
@bp.errors(404, 409, 410, 422)
@bp.arguments(schemas.CheckInSchema)
@bp.response(201, schemas.ShiftSchema)
@bp.alt_response(200, schema=schemas.ShiftSchema, description="同一 client_id 重发：返回此前创建的签到记录")
def check_in(data):
    """Check in at a post: its printed code within the fence, or its live code."""
    shift, created = services.check_in(current_member(), **data)
    return shift, 201 if created else 200


@bp.route("/shifts/<int:shift_id>/check-out", methods=["POST"])
@bp.login_required("wechat")
@bp.errors(404, 409, 422)
@bp.arguments(schemas.CheckOutSchema)
@bp.response(200, schemas.ShiftSchema)
def check_out(data, shift_id):
    """Check out of one's own open shift; minutes are counted by the server."""
    return services.check_out(current_member(), shift_id, **data)


@bp.route("/shifts/claims", methods=["POST"])
@bp.login_required("wechat")
@bp.errors(409, 422)
@bp.arguments(schemas.ClaimSchema)
@bp.response(201, schemas.ShiftSchema)
def create_claim(data):
    """Claim a past shift one forgot to check in to (补录), with a reason; always reviewed."""
    return services.claim(current_member(), **data)


@bp.route("/me/shifts")
@writes_on_read  # closes shifts left open past their post's limit
@bp.login_required("wechat")
@bp.arguments(schemas.MyShiftsArgsSchema, location="query")
@bp.response(200, page_schema(schemas.ShiftSchema))
def my_shifts(args):
    """The member's own shifts, newest first."""
    return services.member_shifts(current_member(), args)


@bp.route("/me/hours")
@writes_on_read
@bp.login_required("wechat")
@bp.response(200, schemas.HoursSchema)
def my_hours():
    """The member's approved and pending minutes, star level and the next level."""
    return services.member_hours(current_member())
