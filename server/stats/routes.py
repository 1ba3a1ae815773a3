"""GET /api/v1/admin/stats, /admin/rankings and /admin/ratings: the figures behind the unit wall."""
from flask import send_file

from server.api import Blueprint
from server.schemas import page_schema, paginate
from server.stats import schemas, services

bp = Blueprint("stats", __name__, url_prefix="/api/v1/admin",
               description="Figures: satisfaction, the zeros, cases and hours; rankings; ratings")


@bp.route("/stats")
@bp.login_required("admin")
@bp.errors(422)
@bp.arguments(schemas.StatsArgsSchema, location="query")
@bp.response(200, schemas.StatsSchema)
def stats(args):
    """Satisfaction, the zeros, cases and hours of a unit (bureau: of every unit) over a period."""
    return services.stats(args)


@bp.route("/rankings")
@bp.login_required("bureau_admin")
@bp.errors(422)
@bp.arguments(schemas.RankingsArgsSchema, location="query")
@bp.response(200, schemas.RankingsSchema)
def rankings(args):
    """Every unit ranked by composite score for a period; the first holds the rotating red flag."""
    return services.rankings(args)


@bp.route("/ratings")
@bp.login_required("admin")
@bp.errors(422)
@bp.arguments(schemas.RatingListArgsSchema, location="query")
@bp.response(200, page_schema(schemas.AdminRatingSchema))
def ratings(args):
    """Ratings the caller may see, newest first, with their target, unit and case (never the rater)."""
    page = paginate(services.list_ratings(args), args)
    return {**page, "items": services.rating_items(page["items"])}


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/ratings/export.xlsx")
@bp.login_required("admin")
@bp.arguments(schemas.RatingExportArgsSchema, location="query")
@bp.file_response(XLSX, "评价明细工作簿（每条评价一行，含工单状态；不含评价人及其联系方式）")
def export_ratings(args):
    """Ratings as an Excel workbook, filtered like the ratings list (unit admins: their own unit)."""
    from server.ratings import export

    filters = export.filters_from_args(args)
    return send_file(export.workbook_file(**filters), mimetype=XLSX, as_attachment=True,
                     download_name=export.download_name(filters, "xlsx"), max_age=0)
