"""Shifts and their reviews written straight through the ORM, for the hours record and export tests
(which must not depend on the check-in and review endpoints)."""
import datetime as dt
from zoneinfo import ZoneInfo

from server.extensions import db
from server.models import Shift, ShiftReview

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year, month, day, hour=9, minute=0):
    """An aware Asia/Shanghai time."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def add_shift(member, post, started, minutes, status="approved", credited=None, reviewer="李审核",
              source="scan", offline=False, reviewed_after_minutes=60):
    """A closed shift of ``member`` at ``post`` from ``started`` (aware) lasting ``minutes``.

    Approved shifts count ``credited`` (default: all the minutes); approved and rejected ones
    get a ShiftReview by ``reviewer``, as the review endpoint would write.
    """
    ended = started + dt.timedelta(minutes=minutes)
    shift = Shift(
        member_id=member.id, post_id=post.id, unit_id=post.unit_id, status=status, source=source,
        offline=offline, started_at=started.astimezone(dt.timezone.utc), ended_at=ended.astimezone(dt.timezone.utc),
        minutes=minutes, credited_minutes=(minutes if credited is None else credited) if status == "approved" else None,
    )
    db.session.add(shift)
    db.session.flush()
    if status in ("approved", "rejected"):
        decision = "reject" if status == "rejected" else ("adjust" if shift.credited_minutes != minutes else "approve")
        db.session.add(ShiftReview(
            shift_id=shift.id, decision=decision, credited_minutes=shift.credited_minutes, status_before="pending",
            status_after=status, reason="" if decision == "approve" else "核减", reviewer_name=reviewer,
            created_at=(ended + dt.timedelta(minutes=reviewed_after_minutes)).astimezone(dt.timezone.utc),
        ))
    return shift
