"""Admins reviewing a rating's comment: show one held by the content check, or hide one.

Only the comment's visibility can change here; the schema accepts nothing else, so staff
still cannot touch a rating's score or tags (PRODUCT.md "Ratings are free"). Kept apart
from the raters' routes: this is the admin side of one small rule.
"""
from marshmallow import fields

from server import audit, messages
from server.api import Blueprint
from server.auth.walls import get_walled
from server.errors import ApiError, field_error
from server.extensions import db
from server.models import Rating
from server.schemas import BaseSchema, OneOf, Text

bp = Blueprint("rating_comments", __name__, url_prefix="/api/v1/admin", description="评价留言审核 Comment review")

STATUS_OF_ACTION = {"show": "shown", "hide": "hidden"}


class CommentReviewSchema(BaseSchema):
    action = OneOf(tuple(STATUS_OF_ACTION), required=True, metadata={"description": "show：公开；hide：隐藏"})
    reason = Text(max_length=500, load_default="", metadata={"description": "隐藏时必填"})


class RatingCommentSchema(BaseSchema):
    id = fields.Integer()
    unit_id = fields.Integer()
    score = fields.Integer()
    comment = fields.String()
    comment_status = fields.String(metadata={"description": "shown：已公开；hidden：已隐藏（待审核或管理员隐藏）"})


def review_comment(rating, action, reason=""):
    """Show or hide ``rating``'s comment, with an audit entry; doing what is already done changes nothing."""
    if not rating.comment:
        raise ApiError(409, "no_comment", messages.NO_COMMENT)
    if action == "hide" and not reason:
        raise field_error("reason", messages.COMMENT_HIDE_REASON_REQUIRED)
    status = STATUS_OF_ACTION[action]
    if rating.comment_status != status:
        audit.record(f"rating.comment_{action}", "rating", rating.id, unit_id=rating.unit_id,
                     before={"comment_status": rating.comment_status}, after={"comment_status": status},
                     reason=reason)
        rating.comment_status = status
    return rating


@bp.route("/ratings/<int:rating_id>/comment", methods=["POST"])
@bp.login_required("admin")
@bp.errors(404, 409, 422)
@bp.arguments(CommentReviewSchema)
@bp.response(200, RatingCommentSchema)
def set_comment_visibility(data, rating_id):
    """Show a comment held for review, or hide one (with a reason); the score and tags never change."""
    rating = review_comment(get_walled(Rating, rating_id), **data)
    db.session.commit()
    return rating
