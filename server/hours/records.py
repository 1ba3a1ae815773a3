"""Issued hours records: who may have one, issuing (totals frozen at issue), revoking, verifying.

A record is issued each time a member's PDF is produced. Its token (128 random bits) is all
the printed QR holds; the public page /verify/{token} answers from the stored totals, so a
printed copy can be checked against what the system said when it was issued.
"""
import secrets

from flask import current_app
from sqlalchemy import select

from server import audit, messages
from server.auth.identity import current_identity
from server.auth.walls import get_walled, walled_unit_id
from server.errors import ApiError
from server.extensions import db
from server.hours.entries import approved_entries
from server.models import HoursRecord, Member, utcnow
from server.schemas import MAX_ID
from server.shifts.hours import member_totals, star_level

NOT_FOUND = (404, "not_found", messages.HTTP_ERRORS[404][1])


def verify_url(token):
    """What a record's QR holds: the public verification page."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/verify/{token}"


def member_for_record(member_id):
    """The Member whose record the caller may fetch: themself, or (for an admin) one behind the wall.

    A citizen has no record (403); a member asking for anyone else's gets 404, exactly like an
    id that does not exist.
    """
    identity = current_identity()
    if identity.admin is not None:
        return get_walled(Member, member_id)
    if identity.member is None:
        raise ApiError(403, "forbidden", messages.HTTP_ERRORS[403][1])
    if identity.member.id != member_id:
        raise ApiError(*NOT_FOUND)
    return identity.member


def issue_record(member, issued_by=None):
    """Add a HoursRecord of ``member``'s approved hours now; returns (record, entries)."""
    entries = list(approved_entries(member_id=member.id))
    approved = sum(entry.credited_minutes for entry in entries)
    record = HoursRecord(
        member_id=member.id, token=secrets.token_urlsafe(16), approved_minutes=approved,
        shift_count=len(entries), star_level=star_level(approved)[0],
        issued_by_id=issued_by.id if issued_by is not None else None,
    )
    db.session.add(record)
    db.session.flush()
    audit.record("hours_record.issue", "hours_record", record.id, unit_id=member.unit_id, after=record_snapshot(record))
    return record, entries


def record_snapshot(record):
    """What the audit trail keeps of a record."""
    return {
        "member_id": record.member_id, "approved_minutes": record.approved_minutes,
        "shift_count": record.shift_count, "star_level": record.star_level,
        "revoked_at": record.revoked_at.isoformat() if record.revoked_at else None,
    }


def walled_record(record_id):
    """A record whose member the calling admin may see, or 404."""
    record = db.session.get(HoursRecord, record_id) if 0 < record_id <= MAX_ID else None
    if record is None:
        raise ApiError(*NOT_FOUND)
    get_walled(Member, record.member_id)
    return record


def revoke_record(record, reason):
    """Mark ``record`` revoked (its verification page says so from now on); 409 when it already is."""
    if record.revoked_at is not None:
        raise ApiError(409, "already_revoked", messages.HOURS_RECORD_ALREADY_REVOKED)
    before = record_snapshot(record)
    record.revoked_at = utcnow()
    audit.record("hours_record.revoke", "hours_record", record.id, unit_id=record.member.unit_id,
                 before=before, after=record_snapshot(record), reason=reason)
    return record


def records_query(args):
    """SELECT of the records the calling admin may see, newest first, by member and unit."""
    query = select(HoursRecord).join(Member, Member.id == HoursRecord.member_id)
    walled = walled_unit_id()
    if walled is not None:
        query = query.where(Member.unit_id == walled)
    if args.get("unit_id"):
        query = query.where(Member.unit_id == args["unit_id"])
    if args.get("member_id"):
        query = query.where(HoursRecord.member_id == args["member_id"])
    return query.order_by(HoursRecord.id.desc())


def record_view(record):
    """A record as the admin API shows it."""
    return {
        "id": record.id, "member_id": record.member_id, "member_name": record.member.name,
        "unit_id": record.member.unit_id, "token": record.token, "verify_url": verify_url(record.token),
        "approved_minutes": record.approved_minutes, "shift_count": record.shift_count,
        "star_level": record.star_level, "issued_by_id": record.issued_by_id,
        "valid": record.revoked_at is None, "revoked_at": record.revoked_at, "created_at": record.created_at,
    }


def verification(token):
    """What /verify/{token} shows: the record, its member, and their approved minutes now; None if unknown."""
    if not token or len(token) > 64:
        return None
    record = db.session.scalar(select(HoursRecord).where(HoursRecord.token == token))
    if record is None:
        return None
    return {"record": record, "member": record.member,
            "approved_minutes_now": member_totals(record.member)["approved_minutes"]}
