"""Reviewing shifts: every decision is a new ShiftReview row plus an audit entry.

Hours are evidence: the measured check-in/out and minutes of a shift are never changed; a
decision (approve, reject, adjust — or the unit's automatic approval of a clean shift) sets
the shift's status and credited minutes, and the earlier decisions stay readable.

The rules (PRODUCT.md "Hours are evidence", "A forgotten check-out", "Daily cap"):
- approving credits the measured minutes; a forgotten check-out (``needs_review``, no
  minutes) is credited the post's default shift, never more than the time actually open;
- adjusting credits other minutes (> 0), never more than the time actually open (for a
  claim, the claimed span); rejecting and adjusting need a reason;
- deciding again on a decided shift is a correction: a new review with a reason, the
  original stays; an open shift cannot be reviewed;
- daily cap (i志愿): up to 8 approved hours a member-day count; 8–12 h need the reviewer's
  explicit override; over 12 h is refused. The day is the local day the shift started.
"""
import datetime as dt

from sqlalchemy import func, select

from server import audit, messages
from server.auth.walls import get_walled
from server.errors import ApiError, field_error
from server.extensions import db
from server.models import Shift, ShiftReview, Unit, shift_status, utcnow
from server.schemas import local_zone

CAP_MINUTES = 8 * 60
HARD_CAP_MINUTES = 12 * 60
DECISIONS = ("approve", "reject", "adjust")
AWAITING = ("pending", "needs_review")
DECIDED = ("approved", "rejected")
# The statuses each decision may be taken from; a decided status makes it a correction.
REVIEWABLE = {"approve": ("pending", "needs_review", "rejected"), "reject": ("pending", "needs_review", "approved"),
              "adjust": ("pending", "needs_review", "approved", "rejected")}


def local_day_start(day):
    """Local midnight starting the date ``day``, as an aware UTC datetime."""
    return dt.datetime.combine(day, dt.time(), tzinfo=local_zone()).astimezone(dt.timezone.utc)


def local_day_bounds(moment):
    """[start, end) of the bureau's local day containing ``moment``, as aware UTC datetimes."""
    day = moment.astimezone(local_zone()).date()
    return local_day_start(day), local_day_start(day + dt.timedelta(days=1))


def approved_minutes_on_day(member_id, moment, excluding_shift_id=None):
    """Credited minutes of the member's approved shifts that started on the local day of ``moment``."""
    start, end = local_day_bounds(moment)
    query = select(func.coalesce(func.sum(Shift.credited_minutes), 0)).where(
        Shift.member_id == member_id, Shift.status == shift_status("approved"),
        Shift.started_at >= start, Shift.started_at < end)
    if excluding_shift_id is not None:
        query = query.where(Shift.id != excluding_shift_id)
    return int(db.session.scalar(query))


def check_daily_cap(shift, minutes, override):
    """Refuse what would put the member's day over 12 h, or over 8 h without an override.

    Returns True when the override was needed (the day goes over 8 h).
    """
    total = approved_minutes_on_day(shift.member_id, shift.started_at, excluding_shift_id=shift.id) + minutes
    if total > HARD_CAP_MINUTES:
        raise ApiError(422, "daily_cap_exceeded", messages.SHIFT_DAILY_CAP_REFUSED, extra={"day_minutes": total})
    if total > CAP_MINUTES and not override:
        raise ApiError(409, "daily_cap_override_required", messages.SHIFT_DAILY_CAP_NEEDS_OVERRIDE,
                       extra={"day_minutes": total})
    return total > CAP_MINUTES


def open_minutes(shift):
    """The time actually open, in whole minutes: check-in to check-out (for a forgotten check-out,
    to when the post's limit ran out; for a claim, the claimed span)."""
    if shift.ended_at is None:
        # A closed shift without an end: no longer than measured, or than the post's limit.
        return shift.minutes if shift.minutes is not None else shift.post.max_open_minutes
    return max(0, int((shift.ended_at - shift.started_at).total_seconds() // 60))


def approvable_minutes(shift):
    """What approving credits: the measured minutes, or for a shift without any (forgotten
    check-out) the post's default shift length, never more than the time actually open."""
    if shift.minutes is not None:
        return shift.minutes
    return min(shift.post.default_shift_minutes, open_minutes(shift))


def record_decision(shift, decision, credited_minutes, reason="", reviewer=None, override=False):
    """Apply one decision to ``shift`` and keep it: a ShiftReview row and an AuditEntry."""
    status_before = shift.status
    status_after = "rejected" if decision == "reject" else "approved"
    review = ShiftReview(
        shift_id=shift.id, decision=decision, credited_minutes=credited_minutes if status_after == "approved" else None,
        status_before=status_before, status_after=status_after, reason=reason, daily_cap_override=override,
        reviewer_id=reviewer.id if reviewer is not None else None,
        reviewer_name=(reviewer.display_name or reviewer.username) if reviewer is not None
        else messages.SHIFT_AUTO_REVIEWER,
    )
    before = {"status": status_before, "credited_minutes": shift.credited_minutes}
    shift.status = status_after
    shift.credited_minutes = review.credited_minutes
    # The latest decision, on the shift itself for quick reading; ShiftReview keeps them all.
    shift.reviewed_by_id = review.reviewer_id
    shift.reviewed_at = utcnow()
    shift.review_reason = reason
    db.session.add(review)
    db.session.flush()
    actor = ("admin", reviewer.id, reviewer.username) if reviewer is not None else ("system", None, "auto_approve")
    audit.record(f"shift.{decision}", "shift", shift.id, unit_id=shift.unit_id, before=before,
                 after={"status": status_after, "credited_minutes": shift.credited_minutes,
                        "daily_cap_override": override}, reason=reason, actor=actor)
    return review


def lock_member_day(shift):
    """Serialise reviews of one member with their check-ins and check-outs, then re-read the shift.

    Two admins approving two shifts of one member's day at once could otherwise both pass the
    daily cap (so could an approval and a check-out's automatic approval); two approving the
    same shift could both decide it. It is the check-in's own lock on the member, so all of
    them queue on one row.
    """
    # Imported here: server.shifts.services imports this module (maybe_auto_approve).
    from server.shifts.services import lock_member

    lock_member(shift.member_id)
    db.session.refresh(shift)


def not_reviewable(shift, decision):
    """The 409 for ``decision`` on a shift whose status does not allow it."""
    if shift.status == "open":
        return ApiError(409, "shift_still_open", messages.SHIFT_STILL_OPEN)
    if decision == "approve" and shift.status == "approved":
        return ApiError(409, "already_approved", messages.SHIFT_ALREADY_APPROVED)
    if decision == "reject" and shift.status == "rejected":
        return ApiError(409, "already_rejected", messages.SHIFT_ALREADY_REJECTED)
    return ApiError(409, "shift_not_reviewable", messages.SHIFT_NOT_REVIEWABLE)


def review_shift(shift, decision, reviewer, minutes=None, reason="", override_daily_cap=False):
    """Decide on one shift under the rules above; returns the new ShiftReview (ApiError when refused)."""
    lock_member_day(shift)
    if shift.status not in REVIEWABLE[decision]:
        raise not_reviewable(shift, decision)
    if not reason:
        if decision != "approve":
            raise field_error("reason", messages.SHIFT_REASON_REQUIRED)
        if shift.status in DECIDED:
            raise field_error("reason", messages.SHIFT_CORRECTION_REASON_REQUIRED)
    credited = None
    if decision == "approve":
        credited = approvable_minutes(shift)
    elif decision == "adjust":
        if minutes is None:
            raise field_error("minutes", messages.SHIFT_ADJUST_MINUTES_REQUIRED)
        limit = open_minutes(shift)
        if minutes > limit:
            raise field_error("minutes", messages.SHIFT_ADJUST_TOO_MANY.format(minutes=limit),
                              code="adjust_above_actual")
        credited = minutes
    override = check_daily_cap(shift, credited, override_daily_cap) if credited is not None else False
    return record_decision(shift, decision, credited, reason, reviewer, override=override)


def is_clean(shift):
    """A shift the unit may approve automatically: scanned in and out in range, on time, online.

    Claims (补录), offline submissions and anything flagged for review (e.g. checked out
    outside the geofence) always wait for a person.
    """
    return (shift.status == "pending" and shift.source in ("scan", "live") and not shift.offline
            and not shift.review_flags and shift.minutes is not None and shift.ended_at is not None
            and shift.minutes <= shift.post.max_open_minutes)


def maybe_auto_approve(shift):
    """Approve a clean shift when its unit has switched auto-approval on and the day stays ≤ 8 h.

    Called after a check-out, in its transaction; returns the ShiftReview, or None when the
    shift waits for a reviewer.
    """
    unit = db.session.get(Unit, shift.unit_id)
    if not unit.auto_approve_shifts or not is_clean(shift):
        return None
    if approved_minutes_on_day(shift.member_id, shift.started_at, excluding_shift_id=shift.id) + shift.minutes > CAP_MINUTES:
        return None
    return record_decision(shift, "auto_approve", shift.minutes)


def review_many(ids, decision, reviewer, reason="", override_daily_cap=False):
    """Decide on each shift of ``ids`` on its own: one refused shift does not stop the others.

    Each decision runs in its own savepoint, so a refused one leaves nothing behind; another
    unit's id is refused exactly like a missing one (404). Returns [(id, (shift, ShiftReview) or ApiError)].
    """
    outcomes = []
    for shift_id in dict.fromkeys(ids):
        try:
            with db.session.begin_nested():
                shift = get_walled(Shift, shift_id)
                review = review_shift(shift, decision, reviewer, reason=reason, override_daily_cap=override_daily_cap)
            outcomes.append((shift_id, (shift, review)))
        except ApiError as error:
            outcomes.append((shift_id, error))
    return outcomes
