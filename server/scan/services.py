"""Resolving a scanned token into its public profile. Nothing private leaves here: no phone."""
import functools
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload

from server import messages
from server.errors import ApiError
from server.extensions import db, one_read_connection
from server.models import Commitment, Member, Post, QrCode, Shift, Unit, Window, shift_status
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


# The code's target in the same query as the code (one round trip, not two): every caller uses it;
# a post's unit too (a check-in's answer shows it). By kind, for a caller that takes only some kinds.
KIND_LOADS = {"badge": joinedload(QrCode.member), "window": joinedload(QrCode.window),
              "post": joinedload(QrCode.post).joinedload(Post.unit)}
TARGET_LOADS = tuple(KIND_LOADS.values())
# What a public profile shows besides: the target's unit and commitments (one query for the whole scan).
PROFILE_LOADS = (
    joinedload(QrCode.member).joinedload(Member.unit), joinedload(QrCode.member).joinedload(Member.commitment_rows),
    joinedload(QrCode.window).joinedload(Window.unit), joinedload(QrCode.window).joinedload(Window.commitment_rows),
    joinedload(QrCode.post).joinedload(Post.unit),
)


def resolve(token, now=None, profile=False, kinds=None):
    """The Scan for a printed token or a post's live code; 404 unknown, 410 revoked or expired.

    ``now`` (epoch seconds) judges a live code at another moment: an offline check-in's.
    ``profile`` loads what public_profile shows in the same query. ``kinds`` (a tuple): the kinds
    the caller takes (a rating: badge, window; a check-in: post), whose targets come with the
    code; another kind's target is loaded when read (the caller refuses it anyway).
    """
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise ApiError(404, "code_unknown", messages.CODE_UNKNOWN)
    if live.is_live_code(token):
        return Scan("post", live.read_live_code(token, now=now))
    code = db.session.execute(code_statement(profile, kinds), {"token": token}).unique().scalar_one_or_none()
    if code is None:
        raise ApiError(404, "code_unknown", messages.CODE_UNKNOWN)
    if code.revoked_at is not None:
        raise ApiError(410, "code_revoked", messages.CODE_REVOKED)
    return Scan(code.kind, code.target, code)


@functools.cache
def code_statement(profile=False, kinds=None):
    """The code by its token with PROFILE_LOADS, or the targets of ``kinds`` (None: all), built once
    per choice: only the token is a parameter, and building the statement with its loader options
    cost as much as running it."""
    loads = PROFILE_LOADS if profile else TARGET_LOADS if kinds is None else [KIND_LOADS[kind] for kind in kinds]
    return select(QrCode).where(QrCode.token == bindparam("token")).options(*loads)


def on_duty(member):
    """A member is on duty while they have an open shift."""
    query = select(Shift.id).where(Shift.member_id == member.id, Shift.status == shift_status("open"))
    return db.session.scalar(query) is not None


def public_profile(scan):
    """The public profile of API.md's scan answer for a badge, window or post."""
    target = scan.target
    unit = db.session.get(Unit, target.unit_id)
    if scan.kind == "badge":
        commitments, duty = [target.commitment], on_duty(target)
    else:
        commitments, duty = (target.commitments if scan.kind == "window" else []), False
    return profile_of(scan.kind, target, unit.name, commitments, duty)


def profile_of(kind, target, unit_name, commitments, duty):
    """The profile's fields: ``target`` is the Member, Window or Post, or a row with its columns."""
    unit_ref = {"id": target.unit_id, "name": unit_name}
    if kind == "badge":
        return {
            "id": target.id, "name": target.name, "photo_url": target.photo_url, "post_title": target.post_title,
            "unit": unit_ref, "is_party_member": target.is_party_member,
            "commitment": commitments[0] if commitments else "", "badge_no": target.badge_no, "on_duty": duty,
        }
    if kind == "window":
        return {
            "id": target.id, "name": target.name, "unit": unit_ref, "duties": target.duties or [],
            "commitments": commitments, "time_limits": target.time_limits or [],
        }
    return {
        "id": target.id, "name": target.name, "unit": unit_ref, "service": target.service,
        "location": {"lat": target.lat, "lng": target.lng}, "radius_m": target.radius_m,
    }


ACTIONS = {"badge": ["rate"], "window": ["rate"], "post": ["check_in"]}

# The columns of each kind's profile (as profile_of reads them), labelled "<kind>_<column>".
PROFILE_COLUMNS = {
    "badge": ("id", "unit_id", "name", "photo_url", "post_title", "is_party_member", "badge_no"),
    "window": ("id", "unit_id", "name", "duties", "time_limits"),
    "post": ("id", "unit_id", "name", "service", "lat", "lng", "radius_m"),
}
_scan_statement = None


def scan_statement():
    """One Core statement for a printed code's scan: the code, its target's profile columns, the
    target's unit, its commitments (one row each, in order) and, for a badge, whether the member
    is on duty. Core rows, not ORM objects: loading five related objects per scan cost most of it.
    Built once: only the token is a parameter."""
    global _scan_statement
    if _scan_statement is None:
        code, unit, shift = QrCode.__table__, Unit.__table__, Shift.__table__
        tables = {"badge": Member.__table__, "window": Window.__table__, "post": Post.__table__}
        links = {"badge": code.c.member_id, "window": code.c.window_id, "post": code.c.post_id}
        member_commitment, window_commitment = Commitment.__table__.alias("mc"), Commitment.__table__.alias("wc")
        duty = (select(shift.c.id).where(shift.c.member_id == code.c.member_id, shift.c.status == shift_status("open"))
                .exists().label("on_duty"))
        columns = [tables[kind].c[name].label(f"{kind}_{name}") for kind, names in PROFILE_COLUMNS.items()
                   for name in names]
        joined = code
        for kind, table in tables.items():
            joined = joined.outerjoin(table, table.c.id == links[kind])
        unit_id = func.coalesce(*(tables[kind].c.unit_id for kind in tables))
        joined = (joined.outerjoin(unit, unit.c.id == unit_id)
                  .outerjoin(member_commitment, member_commitment.c.member_id == code.c.member_id)
                  .outerjoin(window_commitment, window_commitment.c.window_id == code.c.window_id))
        _scan_statement = (
            select(code.c.kind, code.c.revoked_at, unit.c.name.label("unit_name"), *columns, duty,
                   func.coalesce(member_commitment.c.text, window_commitment.c.text).label("commitment"))
            .select_from(joined).where(code.c.token == bindparam("token"))
            .order_by(member_commitment.c.position, member_commitment.c.id,
                      window_commitment.c.position, window_commitment.c.id))
    return _scan_statement


class PrefixedRow:
    """A row's "<kind>_<name>" columns read as attributes ``name`` (what profile_of reads)."""

    __slots__ = ("row", "prefix")

    def __init__(self, row, kind):
        self.row, self.prefix = row, kind + "_"

    def __getattr__(self, name):
        return getattr(self.row, self.prefix + name)


def printed_code_profile(token):
    """(kind, profile) of a printed code in one statement; 404 unknown, 410 revoked.

    The one statement runs outside a transaction (no BEGIN, no ROLLBACK; one statement sees one
    consistent snapshot anyway) and outside the session, on both databases.
    """
    with one_read_connection() as connection:
        rows = connection.execute(scan_statement(), {"token": token}).all()
    if not rows:
        raise ApiError(404, "code_unknown", messages.CODE_UNKNOWN)
    first = rows[0]
    if first.revoked_at is not None:
        raise ApiError(410, "code_revoked", messages.CODE_REVOKED)
    kind = first.kind
    commitments = [row.commitment for row in rows if row.commitment is not None]
    return kind, profile_of(kind, PrefixedRow(first, kind), first.unit_name, commitments, bool(first.on_duty))


def scan_view(token):
    """API.md's scan answer: {"kind", "target", "actions", "live"}."""
    if token and len(token) <= MAX_TOKEN_LENGTH and not live.is_live_code(token):
        kind, profile = printed_code_profile(token)
        return {"kind": kind, "target": profile, "actions": ACTIONS[kind], "live": False}
    scan = resolve(token, profile=True)
    return {"kind": scan.kind, "target": public_profile(scan), "actions": ACTIONS[scan.kind], "live": scan.is_live}
