"""Approved shifts as service entries: the national volunteer-record fields of each one.

One query serves the PDF record, the workbook and the platform CSV. Only ``approved`` shifts
are entries, and their credited minutes (set by the latest review) are what count.
"""
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from server import messages
from server.extensions import db
from server.models import Member, Post, Shift, ShiftReview, Unit, shift_status
from server.schemas import local_zone

# Rows fetched from the database at a time while an export streams.
BATCH_SIZE = 500


@dataclass(frozen=True)
class ServiceEntry:
    """One approved shift: who, where, what, when, how long and who approved it."""

    shift_id: int
    member_id: int
    member_name: str
    is_party_member: bool
    member_unit_name: str
    post_name: str
    service: str
    unit_name: str
    unit_address: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    minutes: int | None
    credited_minutes: int
    source: str
    offline: bool
    reviewer_name: str
    reviewed_at: dt.datetime | None

    @property
    def place(self):
        """服务地点: where the post's unit is, and the post."""
        return f"{self.unit_address} {self.post_name}" if self.unit_address else self.post_name

    @property
    def content(self):
        """服务内容: what the volunteers do at the post."""
        return self.service or messages.HOURS_RECORD["default_service"]

    @property
    def source_label(self):
        label = messages.SHIFT_SOURCE_LABELS.get(self.source, self.source)
        return label + messages.SHIFT_OFFLINE_LABEL if self.offline else label

    def local(self, moment):
        """``moment`` in the bureau's time zone (None stays None)."""
        return moment.astimezone(local_zone()) if moment is not None else None


def hours_value(minutes):
    """Minutes as hours, rounded to 0.01 h, for number cells."""
    return round((minutes or 0) / 60, 2)


def hours_text(minutes):
    """Minutes as hours for reading: 4, 3.5, 2.25."""
    return f"{hours_value(minutes):.2f}".rstrip("0").rstrip(".")


def political_status(is_party_member):
    """政治面貌 as the record shows it."""
    return messages.H5["party_member"] if is_party_member else messages.H5["volunteer"]


def period_bounds(date_from, date_to):
    """UTC [start, end) of the local dates ``date_from``..``date_to`` (either may be None)."""
    zone = local_zone()
    start = dt.datetime.combine(date_from, dt.time.min, zone).astimezone(dt.timezone.utc) if date_from else None
    end = (dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, zone).astimezone(dt.timezone.utc)
           if date_to else None)
    return start, end


def _latest_review(column):
    """The latest review's ``column`` for the shift of the outer query."""
    return (select(column).where(ShiftReview.shift_id == Shift.id)
            .order_by(ShiftReview.id.desc()).limit(1).scalar_subquery())


def approved_entries_query(member_id=None, unit_id=None, start=None, end=None):
    """SELECT of the approved shifts' entry columns, by member, organising unit and start time."""
    organiser = aliased(Unit)
    member_unit = aliased(Unit)
    query = (
        select(
            Shift.id, Shift.member_id, Member.name, Member.is_party_member, member_unit.name,
            Post.name, Post.service, organiser.name, organiser.address,
            Shift.started_at, Shift.ended_at, Shift.minutes, func.coalesce(Shift.credited_minutes, 0),
            Shift.source, Shift.offline,
            _latest_review(ShiftReview.reviewer_name), _latest_review(ShiftReview.created_at), Shift.reviewed_at,
        )
        .join(Member, Member.id == Shift.member_id)
        .join(member_unit, member_unit.id == Member.unit_id)
        .join(Post, Post.id == Shift.post_id)
        .join(organiser, organiser.id == Shift.unit_id)
        .where(Shift.status == shift_status("approved"))
    )
    if member_id is not None:
        # One member's record reads in time order; an export groups by unit, then member.
        query = query.where(Shift.member_id == member_id).order_by(Shift.started_at, Shift.id)
    else:
        query = query.order_by(Shift.unit_id, Shift.member_id, Shift.started_at, Shift.id)
    if unit_id is not None:
        query = query.where(Shift.unit_id == unit_id)
    if start is not None:
        query = query.where(Shift.started_at >= start)
    if end is not None:
        query = query.where(Shift.started_at < end)
    return query


def approved_entries(**filters):
    """Yield a ServiceEntry per approved shift matching ``filters`` (see approved_entries_query), in batches."""
    query = approved_entries_query(**filters).execution_options(yield_per=BATCH_SIZE)
    for row in db.session.execute(query):
        *fields, reviewer_name, review_at, shift_reviewed_at = row
        # A shift approved before reviews were kept has no ShiftReview: its own review time stands.
        yield ServiceEntry(*fields, reviewer_name=reviewer_name or "", reviewed_at=review_at or shift_reviewed_at)
