"""POST /api/v1/ratings (mini-program or H5) and GET /api/v1/me/ratings."""
from flask import current_app, g

from server.api import Blueprint
from server.extensions import limiter
from server.ratings import schemas, services

bp = Blueprint("ratings", __name__, url_prefix="/api/v1", description="评价 Ratings")


def _accepted(response):
    return response.status_code == 201


@bp.after_request
def set_device_cookie(response):
    """Hand a new H5 rater its signed device cookie (no account, no phone number)."""
    device_id = g.pop("new_device_id", None)
    if device_id and response.status_code < 500:
        config = current_app.config
        response.set_cookie(
            config["DEVICE_COOKIE"], services.signed_device_cookie(device_id), max_age=400 * 24 * 3600,
            httponly=True, samesite="Lax", secure=config["PUBLIC_BASE_URL"].startswith("https://"),
        )
    return response


@bp.route("/ratings", methods=["POST"])
@limiter.limit(lambda: current_app.config["RATING_ATTEMPT_LIMIT_IP"])
@limiter.limit(lambda: current_app.config["RATING_RATE_LIMIT_RATER"], key_func=services.rater_limit_key,
               deduct_when=_accepted)
@limiter.limit(lambda: current_app.config["RATING_RATE_LIMIT_IP"], deduct_when=_accepted)
@bp.errors(403, 404, 409, 410, 422, 429)
@bp.arguments(schemas.RatingCreateSchema)
@bp.response(201, schemas.RatingCreatedSchema)
def create_rating(data):
    """Rate the member or window behind a scanned code (WeChat token, or an H5 device cookie)."""
    rater = services.current_rater()
    g.new_device_id = rater.new_device_id
    rating, case = services.submit_rating(rater, **data)
    return {"id": rating.id, "score": rating.score, "comment_status": rating.comment_status, "case": case}
