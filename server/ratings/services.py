"""Submitting ratings: who the rater is, the one-a-day rule, comment check, bad-rating case."""
import secrets
from dataclasses import dataclass

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import IntegrityError

from server import messages
from server.auth.identity import current_identity
from server.cases.services import open_case
from server.errors import ApiError, field_error
from server.extensions import db
from server.models import Rating, WechatUser, utcnow
from server.ratings.moderation import comment_status
from server.scan.services import resolve
from server.schemas import local_zone

DEVICE_SALT = "rs-device-v1"
BAD_SCORES = (1, 2)


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


def current_rater():
    """The rater of this request; staff (admins) are refused, and H5 devices get a cookie."""
    identity = current_identity()
    if identity is not None:
        if identity.admin is not None:
            raise ApiError(403, "staff_cannot_rate", messages.STAFF_CANNOT_RATE)
        return Rater(f"wx:{identity.user.id}", identity.user)
    device_id = device_id_from_cookie()
    if device_id is None:
        device_id = secrets.token_urlsafe(16)
        return Rater(f"dev:{device_id}", new_device_id=device_id)
    return Rater(f"dev:{device_id}")


def rater_limit_key():
    """Flask-Limiter key: the rater (WeChat user or device), else the client address."""
    identity = current_identity()
    if identity is not None and identity.user is not None:
        return f"wx:{identity.user.id}"
    device_id = device_id_from_cookie()
    return f"dev:{device_id}" if device_id else f"ip:{request.remote_addr}"


def check_fields(score, tags, contact):
    """Rules that span fields: known tags, a contact only for a bad rating."""
    allowed = set(messages.POSITIVE_TAGS) | set(messages.NEGATIVE_TAGS)
    if any(tag not in allowed for tag in tags):
        raise field_error("tags", messages.TAG_UNKNOWN)
    if contact and score not in BAD_SCORES:
        raise field_error("contact", messages.CONTACT_ONLY_FOR_BAD)


def submit_rating(rater, token, score, tags=(), comment="", contact=""):
    """Record a rating of the badge or window behind ``token``; opens a case when it is bad.

    The one-a-day rule is the database's unique key, so concurrent duplicates cannot both land.
    """
    scan = resolve(token)
    if scan.kind not in ("badge", "window"):
        raise ApiError(422, "not_ratable", messages.NOT_RATABLE)
    check_fields(score, tags, contact)
    target = scan.target
    member = rater.wechat_user.member if rater.wechat_user is not None else None
    if member is not None and member.unit_id == target.unit_id:
        raise ApiError(403, "staff_cannot_rate", messages.STAFF_CANNOT_RATE)
    now = utcnow()
    openid = rater.wechat_user.openid if rater.wechat_user is not None else None
    rating = Rating(
        qr_code_id=scan.code.id, unit_id=target.unit_id,
        member_id=target.id if scan.kind == "badge" else None,
        window_id=target.id if scan.kind == "window" else None,
        target_key=f"{'member' if scan.kind == 'badge' else 'window'}:{target.id}",
        rater_key=rater.key, wechat_user_id=rater.wechat_user.id if rater.wechat_user is not None else None,
        rated_on=now.astimezone(local_zone()).date(), score=score, tags=list(dict.fromkeys(tags)),
        comment=comment, comment_status=comment_status(comment, openid), contact=contact or "", created_at=now,
    )
    db.session.add(rating)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ApiError(409, "already_rated", messages.ALREADY_RATED[scan.kind])
    case = open_case(rating) if score in BAD_SCORES else None
    db.session.commit()
    return rating, case
