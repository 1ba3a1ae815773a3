"""Admin API for cases (差评工单): the overdue-first list, one case with its history, its
workflow events, and the bureau's exclusion of a rating from the figures."""
from server.admin.services import require_bureau
from server.api import Blueprint
from server.auth.walls import get_walled
from server.cases import schemas, services
from server.extensions import db
from server.models import Case, Rating
from server.schemas import page_schema

bp = Blueprint("cases", __name__, url_prefix="/api/v1/admin", description="差评工单 Cases")


@bp.route("/cases")
@bp.login_required("admin")
@bp.arguments(schemas.CaseListArgsSchema, location="query")
@bp.response(200, page_schema(schemas.CaseSchema))
def list_cases(args):
    """List the caller's cases: overdue first, then by the nearest deadline."""
    return services.list_cases(args)


@bp.route("/cases/<int:case_id>")
@bp.login_required("admin")
@bp.errors(404)
@bp.response(200, schemas.CaseDetailSchema)
def get_case(case_id):
    """Read one case with its full history."""
    return services.case_detail(get_walled(Case, case_id))


@bp.route("/cases/<int:case_id>/events", methods=["POST"])
@bp.login_required("admin")
@bp.errors(404, 409, 422)
@bp.arguments(schemas.CaseEventSchema)
@bp.response(200, schemas.CaseDetailSchema)
def add_case_event(data, case_id):
    """Contact the citizen, resolve (answer), reopen, or appeal a malicious rating."""
    case = services.apply_event(get_walled(Case, case_id), **data)
    db.session.commit()
    return services.case_detail(case)


@bp.route("/ratings/<int:rating_id>/exclusion", methods=["POST"])
@bp.login_required("admin")
@bp.errors(404, 409, 422)
@bp.arguments(schemas.ExclusionSchema)
@bp.response(200, schemas.RatingExclusionResultSchema)
def set_rating_exclusion(data, rating_id):
    """Bureau admins only: leave a rating out of the figures (or count it again), with a reason."""
    rating = get_walled(Rating, rating_id)
    require_bureau()
    rating, case = services.set_exclusion(rating, data["exclude"], data["reason"])
    db.session.commit()
    return services.excluded_rating_view(rating, case)
