"""Submitting ratings: who the rater is, the one-a-day rule, comment check, bad-rating case;
the rater's own ratings and their one follow-up (追评)."""
import secrets
from dataclasses import dataclass

from flask import current_app, g, request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server import audit, messages
from server.auth.identity import current_identity
from server.cases.services import follow_up_view, follow_ups_of, open_case
from server.errors import ApiError, field_error
from server.extensions import commit_keeping_loaded, db
from server.models import Case, Rating, WechatUser, utcnow
from server.ratings.moderation import comment_status
from server.ratings.targets import describe_targets
from server.scan.services import resolve
from server.schemas import MAX_ID, local_zone, paginate

DEVICE_SALT = "rs-device-v1"
BAD_SCORES = (1, 2)
RATABLE = ("badge", "window")


@dataclass
class Rater:
    """Who rates: a WeChat user, or an H5 device identified by a signed cookie."""

    key: str
    wechat_user: WechatUser | None = None
    new_device_id: str | None = None


def _device_serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=DEVICE_SALT)


def device_id_from_cookie():
    """The device id in the signed cookie, or None when absent or forged."""
    raw = request.cookies.get(current_app.config["DEVICE_COOKIE"])
    if not raw:
        return None
    try:
        value = _device_serializer().loads(raw)
    except BadSignature:
        return None
    return value if isinstance(value, str) and len(value) <= 40 else None


def signed_device_cookie(device_id):
    return _device_serializer().dumps(device_id)


def set_device_cookie(response):
    """after_request of the API and the H5 pages: hand a new device (g.new_device_id) its cookie.

    HttpOnly, SameSite=Lax (never sent with another site's form post: the H5 form's
    anti-forgery check relies on it), Secure when the public address is https.
    """
    device_id = g.pop("new_device_id", None)
    if device_id and response.status_code < 500:
        config = current_app.config
        response.set_cookie(
            config["DEVICE_COOKIE"], signed_device_cookie(device_id), max_age=400 * 24 * 3600,
            httponly=True, samesite="Lax", secure=config["PUBLIC_BASE_URL"].startswith("https://"),
        )
    return response


def current_rater():
    """The rater of this request; staff (admins) are refused, and H5 devices get a cookie."""
    identity = current_identity()
    if identity is not None:
        if identity.admin is not None:
            raise ApiError(403, "staff_cannot_rate", messages.STAFF_CANNOT_RATE)
        return Rater(f"wx:{identity.user.id}", identity.user)
    return device_rater()


def device_rater():
    """The H5 device of this request, from its signed cookie, or a new device to hand one to."""
    device_id = device_id_from_cookie()
    if device_id is None:
        device_id = secrets.token_urlsafe(16)
        return Rater(f"dev:{device_id}", new_device_id=device_id)
    return Rater(f"dev:{device_id}")


def known_rater_key():
    """The rater key this request already carries (WeChat user, else device cookie), or None."""
    identity = current_identity()
    if identity is not None and identity.user is not None:
        return f"wx:{identity.user.id}"
    device_id = device_id_from_cookie()
    return f"dev:{device_id}" if device_id else None


def rater_limit_key():
    """The rating budget's rater key (server/ratings/limits.py): the WeChat user or device, else
    the client address."""
    return known_rater_key() or f"ip:{request.remote_addr}"


def check_fields(score, tags, contact):
    """Rules that span fields: known tags, a contact only for a bad rating."""
    allowed = set(messages.POSITIVE_TAGS) | set(messages.NEGATIVE_TAGS)
    if any(tag not in allowed for tag in tags):
        raise field_error("tags", messages.TAG_UNKNOWN)
    if contact and score not in BAD_SCORES:
        raise field_error("contact", messages.CONTACT_ONLY_FOR_BAD)


def admin_of_wechat_user(user, unit_id):
    """True when ``user`` is the linked WeChat of an admin over ``unit_id`` (staff cannot rate)."""
    admin = user.admin
    return admin is not None and (admin.role == "bureau_admin" or admin.unit_id == unit_id)


def rating_of_client(rater, client_id):
    """(rating, case) that ``rater`` submitted earlier with ``client_id``, or None."""
    if not client_id:
        return None
    rating = db.session.scalar(select(Rating).where(Rating.rater_key == rater.key, Rating.client_id == client_id))
    if rating is None:
        return None
    return rating, db.session.scalar(select(Case).where(Case.rating_id == rating.id))


def submit_rating(rater, token, score, tags=(), comment="", contact="", client_id=None):
    """Record a rating of the badge or window behind ``token``; opens a case when it is bad.

    Returns (rating, case, created). The one-a-day rule is the database's unique key, so
    concurrent duplicates cannot both land. A ``client_id`` makes a retry (the answer was
    lost) safe: the same rater sending it again gets the rating it created back (created
    False), whatever else the retry says — checked first, and again when a unique key
    refuses a racing insert. Without one, a retry is a 409 ``already_rated``.
    """
    earlier = rating_of_client(rater, client_id)
    if earlier is not None:
        return (*earlier, False)
    scan = resolve(token, kinds=RATABLE)
    if scan.kind not in RATABLE:
        raise ApiError(422, "not_ratable", messages.NOT_RATABLE)
    check_fields(score, tags, contact)
    target = scan.target
    member = rater.wechat_user.member if rater.wechat_user is not None else None
    if member is not None and member.unit_id == target.unit_id:
        raise ApiError(403, "staff_cannot_rate", messages.STAFF_CANNOT_RATE)
    if rater.wechat_user is not None and admin_of_wechat_user(rater.wechat_user, target.unit_id):
        raise ApiError(403, "staff_cannot_rate", messages.STAFF_CANNOT_RATE)
    openid = rater.wechat_user.openid if rater.wechat_user is not None else None
    if comment and openid:
        # WeChat checks the comment over HTTP: end the read transaction first, so no database
        # lock (SQLite's write lock) or open transaction is held while WeChat answers.
        db.session.commit()
    status = comment_status(comment, openid)
    now = utcnow()
    rating = Rating(
        qr_code_id=scan.code.id, unit_id=target.unit_id,
        member_id=target.id if scan.kind == "badge" else None,
        window_id=target.id if scan.kind == "window" else None,
        target_key=f"{'member' if scan.kind == 'badge' else 'window'}:{target.id}",
        rater_key=rater.key, wechat_user_id=rater.wechat_user.id if rater.wechat_user is not None else None,
        rated_on=now.astimezone(local_zone()).date(), score=score, tags=list(dict.fromkeys(tags)),
        comment=comment, comment_status=status, contact=contact or "", client_id=client_id or None, created_at=now,
    )
    db.session.add(rating)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        earlier = rating_of_client(rater, client_id)
        if earlier is not None:
            return (*earlier, False)
        raise ApiError(409, "already_rated", messages.ALREADY_RATED[scan.kind])
    case = open_case(rating) if score in BAD_SCORES else None
    commit_keeping_loaded()
    return rating, case, True


# --- The rater's own ratings (GET /api/v1/me/ratings) and their one follow-up (追评) ---

def my_ratings(args):
    """One page of this request's rater's own ratings, newest first; empty when the rater is unknown."""
    key = known_rater_key()
    if key is None:
        return {"items": [], "total": 0, "page": args["page"], "page_size": args["page_size"]}
    query = (select(Rating).where(Rating.rater_key == key, Rating.follow_up_of_id.is_(None))
             .order_by(Rating.created_at.desc(), Rating.id.desc()))
    page = paginate(query, args)
    return {**page, "items": rater_views(page["items"])}


def rater_views(ratings):
    """Ratings as their rater sees them: the target, the case's progress, the answer once given."""
    ids = [r.id for r in ratings]
    cases = {c.rating_id: c for c in db.session.scalars(select(Case).where(Case.rating_id.in_(ids)))} if ids else {}
    targets = describe_targets(ratings)
    follow_ups = follow_ups_of(ids)
    views = []
    for rating in ratings:
        case, follow_up = cases.get(rating.id), follow_ups.get(rating.id)
        answered = case is not None and case.status == "resolved"
        views.append({
            "id": rating.id, "target": targets[rating.id], "score": rating.score,
            "score_label": messages.SCORE_LABELS[rating.score], "tags": rating.tags or [], "comment": rating.comment,
            "comment_status": rating.comment_status, "created_at": rating.created_at,
            "case_status": case.status if case is not None else None,
            "case_status_label": messages.CASE_STATUS_LABELS[case.status] if case is not None else None,
            "answer": case.answer if answered else None, "answered_at": case.resolved_at if answered else None,
            "can_follow_up": answered and follow_up is None,
            "follow_up": follow_up_view(follow_up) if follow_up is not None else None,
        })
    return views


def submit_follow_up(rating_id, score, comment=""):
    """Add the rater's one follow-up to their answered bad rating; returns the original rating.

    Only the original rater finds the rating (anyone else: 404). The follow-up is a Rating
    row of its own whose target_key is "followup:<original id>", so it never takes the
    rater's one-a-day slot for the member or window; the unique follow_up_of_id makes a
    second follow-up, even a concurrent one, a 409. It opens no case.
    """
    identity = current_identity()
    if identity is not None and identity.admin is not None:
        raise ApiError(403, "staff_cannot_rate", messages.STAFF_CANNOT_RATE)
    key = known_rater_key()
    original = db.session.get(Rating, rating_id) if 0 < rating_id <= MAX_ID else None
    if original is None or key is None or original.rater_key != key or original.follow_up_of_id is not None:
        raise ApiError(404, "not_found", messages.HTTP_ERRORS[404][1])
    case = db.session.scalar(select(Case).where(Case.rating_id == original.id))
    if case is None:
        raise ApiError(409, "follow_up_not_allowed", messages.FOLLOW_UP_NO_CASE)
    if case.status != "resolved":
        raise ApiError(409, "not_answered", messages.FOLLOW_UP_NOT_ANSWERED)
    if follow_ups_of([original.id]):
        raise ApiError(409, "already_followed_up", messages.ALREADY_FOLLOWED_UP)
    now = utcnow()
    user = identity.user if identity is not None else None
    follow_up = Rating(
        qr_code_id=original.qr_code_id, unit_id=original.unit_id, member_id=original.member_id,
        window_id=original.window_id, target_key=f"followup:{original.id}", rater_key=key,
        wechat_user_id=original.wechat_user_id, rated_on=now.astimezone(local_zone()).date(), score=score, tags=[],
        comment=comment, comment_status=comment_status(comment, user.openid if user is not None else None),
        follow_up_of_id=original.id, created_at=now,
    )
    db.session.add(follow_up)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ApiError(409, "already_followed_up", messages.ALREADY_FOLLOWED_UP)
    audit.record("case.follow_up", "case", case.id, unit_id=case.unit_id,
                 after={"rating_id": follow_up.id, "score": score}, reason=comment,
                 actor=identity.actor if identity is not None else ("citizen", None, ""))
    db.session.commit()
    return original
