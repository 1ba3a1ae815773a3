"""Resolving a scanned token into its public profile. Nothing private leaves here: no phone."""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from server import messages
from server.errors import ApiError
from server.extensions import db
from server.models import Member, Post, QrCode, Shift, Unit, Window
from server.qr import live

MAX_TOKEN_LENGTH = 80


@dataclass
class Scan:
    """A resolved token: the kind, the target object, and the code (None for a live code)."""

    kind: str
    target: object
    code: QrCode | None = None

    @property
    def is_live(self):
        return self.code is None


# The code's target in the same query as the code (one round trip, not two): every caller uses it.
TARGET_LOADS = (joinedload(QrCode.member), joinedload(QrCode.window), joinedload(QrCode.post))
# What a public profile shows besides: the target's unit and commitments (one query for the whole scan).
PROFILE_LOADS = (
    joinedload(QrCode.member).joinedload(Member.unit), joinedload(QrCode.member).joinedload(Member.commitment_rows),
    joinedload(QrCode.window).joinedload(Window.unit), joinedload(QrCode.window).joinedload(Window.commitment_rows),
    joinedload(QrCode.post).joinedload(Post.unit),
)


def resolve(token, now=None, profile=False):
    """The Scan for a printed token or a post's live code; 404 unknown, 410 revoked or expired.

    ``now`` (epoch seconds) judges a live code at another moment: an offline check-in's.
    ``profile`` loads what public_profile shows in the same query.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise ApiError(404, "code_unknown", messages.CODE_UNKNOWN)
    if live.is_live_code(token):
        return Scan("post", live.read_live_code(token, now=now))
    query = select(QrCode).where(QrCode.token == token).options(*(PROFILE_LOADS if profile else TARGET_LOADS))
    code = db.session.execute(query).unique().scalar_one_or_none()
    if code is None:
        raise ApiError(404, "code_unknown", messages.CODE_UNKNOWN)
    if code.revoked_at is not None:
        raise ApiError(410, "code_revoked", messages.CODE_REVOKED)
    return Scan(code.kind, code.target, code)


def on_duty(member):
    """A member is on duty while they have an open shift."""
    return db.session.scalar(select(Shift.id).where(Shift.member_id == member.id, Shift.status == "open")) is not None


def public_profile(scan):
    """The public profile of API.md's scan answer for a badge, window or post."""
    target = scan.target
    unit = db.session.get(Unit, target.unit_id)
    unit_ref = {"id": unit.id, "name": unit.name}
    if scan.kind == "badge":
        return {
            "id": target.id, "name": target.name, "photo_url": target.photo_url, "post_title": target.post_title,
            "unit": unit_ref, "is_party_member": target.is_party_member, "commitment": target.commitment,
            "badge_no": target.badge_no, "on_duty": on_duty(target),
        }
    if scan.kind == "window":
        return {
            "id": target.id, "name": target.name, "unit": unit_ref, "duties": target.duties or [],
            "commitments": target.commitments, "time_limits": target.time_limits or [],
        }
    return {
        "id": target.id, "name": target.name, "unit": unit_ref, "service": target.service,
        "location": {"lat": target.lat, "lng": target.lng}, "radius_m": target.radius_m,
    }


ACTIONS = {"badge": ["rate"], "window": ["rate"], "post": ["check_in"]}


def scan_view(token):
    """API.md's scan answer: {"kind", "target", "actions", "live"}."""
    scan = resolve(token, profile=True)
    return {"kind": scan.kind, "target": public_profile(scan), "actions": ACTIONS[scan.kind], "live": scan.is_live}
