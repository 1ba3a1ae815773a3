"""POST /api/v1/ratings (mini-program or H5), GET /api/v1/me/ratings and the follow-up (追评)."""
from flask import current_app, g

from server.api import Blueprint, locks_at_first_write
from server.extensions import limiter
from server.ratings import schemas, services
from server.ratings.limits import rating_limits
from server.schemas import PageArgsSchema, page_schema

bp = Blueprint("ratings", __name__, url_prefix="/api/v1", description="评价 Ratings")


bp.after_request(services.set_device_cookie)


@bp.route("/ratings", methods=["POST"])
@locks_at_first_write  # one a day per target and the client_id are unique keys
@rating_limits
@bp.errors(403, 404, 409, 410, 422, 429)
@bp.arguments(schemas.RatingCreateSchema)
@bp.response(201, schemas.RatingCreatedSchema)
@bp.alt_response(200, schema=schemas.RatingCreatedSchema, description="同一评价人重发同一 client_id：返回此前的评价")
def create_rating(data):
    """Rate the member or window behind a scanned code (WeChat token, or an H5 device cookie)."""
    rater = services.current_rater()
    g.new_device_id = rater.new_device_id
    rating, case, created = services.submit_rating(rater, **data)
    body = {"id": rating.id, "score": rating.score, "comment_status": rating.comment_status, "case": case}
    return body, 201 if created else 200


@bp.route("/me/ratings")
@bp.errors(422)
@bp.arguments(PageArgsSchema, location="query")
@bp.response(200, page_schema(schemas.MyRatingSchema))
def my_ratings(args):
    """The rater's own ratings, newest first, with the unit's answers (WeChat token, else the H5 device cookie)."""
    return services.my_ratings(args)


@bp.route("/ratings/<int:rating_id>/follow-up", methods=["POST"])
@limiter.limit(lambda: current_app.config["RATING_ATTEMPT_LIMIT_IP"])
@bp.errors(403, 404, 409, 422, 429)
@bp.arguments(schemas.FollowUpCreateSchema)
@bp.response(201, schemas.MyRatingSchema)
def follow_up(data, rating_id):
    """Add the one follow-up (追评) to one's own bad rating once the unit has answered it."""
    original = services.submit_follow_up(rating_id, **data)
    return services.rater_views([original])[0]
