"""Reviewing shifts: every decision is a new ShiftReview row plus an audit entry.

Hours are evidence: the measured check-in/out and minutes of a shift are never changed; a
decision (approve, reject, adjust — or the unit's automatic approval of a clean shift) sets
the shift's status and credited minutes, and the earlier decisions stay readable.

Daily cap (i志愿): up to 8 approved hours a member-day count; 8–12 h need the reviewer's
explicit override; over 12 h is refused.
"""
import datetime as dt

from sqlalchemy import func, select

from server import audit, messages
from server.errors import ApiError
from server.extensions import db
from server.models import Shift, ShiftReview, Unit
from server.schemas import local_zone

CAP_MINUTES = 8 * 60
HARD_CAP_MINUTES = 12 * 60
REVIEWABLE = {"approve": ("pending", "needs_review"), "reject": ("pending", "needs_review", "approved"),
              "adjust": ("pending", "needs_review", "approved", "rejected")}


def local_day_bounds(moment):
    """[start, end) of the bureau's local day containing ``moment``, as aware UTC datetimes."""
    zone = local_zone()
    day = moment.astimezone(zone).date()
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    return start.astimezone(dt.timezone.utc), (start + dt.timedelta(days=1)).astimezone(dt.timezone.utc)


def approved_minutes_on_day(member_id, moment, excluding_shift_id=None):
    """Credited minutes of the member's approved shifts that started on the local day of ``moment``."""
    start, end = local_day_bounds(moment)
    query = select(func.coalesce(func.sum(Shift.credited_minutes), 0)).where(
        Shift.member_id == member_id, Shift.status == "approved", Shift.started_at >= start, Shift.started_at < end)
    if excluding_shift_id is not None:
        query = query.where(Shift.id != excluding_shift_id)
    return int(db.session.scalar(query))


def check_daily_cap(shift, minutes, override):
    """Refuse what would put the member's day over 12 h, or over 8 h without an override."""
    total = approved_minutes_on_day(shift.member_id, shift.started_at, excluding_shift_id=shift.id) + minutes
    if total > HARD_CAP_MINUTES:
        raise ApiError(422, "daily_cap_exceeded", messages.SHIFT_DAILY_CAP_REFUSED, extra={"day_minutes": total})
    if total > CAP_MINUTES and not override:
        raise ApiError(409, "daily_cap_override_required", messages.SHIFT_DAILY_CAP_NEEDS_OVERRIDE,
                       extra={"day_minutes": total})
    return total > CAP_MINUTES


def record_decision(shift, decision, credited_minutes, reason="", reviewer=None, override=False):
    """Apply one decision to ``shift`` and keep it: a ShiftReview row and an AuditEntry."""
    status_before = shift.status
    status_after = "rejected" if decision == "reject" else "approved"
    review = ShiftReview(
        shift_id=shift.id, decision=decision, credited_minutes=credited_minutes if status_after == "approved" else None,
        status_before=status_before, status_after=status_after, reason=reason, daily_cap_override=override,
        reviewer_id=reviewer.id if reviewer is not None else None,
        reviewer_name=(reviewer.display_name or reviewer.username) if reviewer is not None else "系统自动审核",
    )
    before = {"status": status_before, "credited_minutes": shift.credited_minutes}
    shift.status = status_after
    shift.credited_minutes = review.credited_minutes
    db.session.add(review)
    db.session.flush()
    actor = ("admin", reviewer.id, reviewer.username) if reviewer is not None else ("system", None, "auto_approve")
    audit.record(f"shift.{decision}", "shift", shift.id, unit_id=shift.unit_id, before=before,
                 after={"status": status_after, "credited_minutes": shift.credited_minutes,
                        "daily_cap_override": override}, reason=reason, actor=actor)
    return review


def is_clean(shift):
    """A shift the unit may approve automatically: scanned in and out in range, on time, online."""
    return (shift.status == "pending" and shift.source in ("scan", "live") and not shift.offline
            and not shift.review_flags and shift.minutes is not None
            and shift.minutes <= shift.post.max_open_minutes)


def maybe_auto_approve(shift):
    """Approve a clean shift when its unit has switched auto-approval on and the day stays ≤ 8 h."""
    unit = db.session.get(Unit, shift.unit_id)
    if not unit.auto_approve_shifts or not is_clean(shift):
        return None
    if approved_minutes_on_day(shift.member_id, shift.started_at, excluding_shift_id=shift.id) + shift.minutes > CAP_MINUTES:
        return None
    return record_decision(shift, "auto_approve", shift.minutes)
