"""The admins' review queue (GET /api/v1/admin/shifts) and the recording deadline.

PRODUCT.md "Recording deadline": a shift waits for review at most SHIFT_REVIEW_WORKDAYS (10)
working days, counted in Chinese working days (holidays and 调休 weekends, server.workdays)
from the local day it started; a pending or needs_review shift past that is overdue. The
queue lists what waits for review first — overdue first, then the oldest — and everything
else (open and decided shifts) after, newest first.
"""
import datetime as dt

from flask import current_app
from sqlalchemy import and_, case, not_, select
from sqlalchemy.orm import selectinload

from server import messages
from server.auth.walls import walled_select
from server.errors import ApiError
from server.extensions import db
from server.models import Shift, ShiftReview
from server.schemas import local_zone, paginate
from server.shifts.geo import locate
from server.shifts.review import AWAITING, approvable_minutes, local_day_start, open_minutes
from server.stats.services import check_order
from server.workdays import add_workdays, deadline, workdays_between


def review_workdays():
    """Working days a shift may wait for review (SHIFT_REVIEW_WORKDAYS)."""
    return current_app.config["SHIFT_REVIEW_WORKDAYS"]


def local_date(moment):
    """The bureau's local date of an aware datetime."""
    return moment.astimezone(local_zone()).date()


def review_due_date(started_at):
    """The last local day a shift that started at ``started_at`` may wait for review."""
    return add_workdays(local_date(started_at), review_workdays())


def is_overdue(shift, now):
    """True when ``shift`` still waits for review after its recording deadline's day has ended."""
    return shift.status in AWAITING and local_date(now) > review_due_date(shift.started_at)


def overdue_cutoff(now):
    """The instant before which an awaiting shift's start makes it overdue at ``now``.

    The deadline only moves later with the start day, so the first start day that is still on
    time, found by walking back from today, splits overdue from not (and lets the database sort
    and filter on it).
    """
    today = local_date(now)
    first_on_time = today
    while add_workdays(first_on_time - dt.timedelta(days=1), review_workdays()) >= today:
        first_on_time -= dt.timedelta(days=1)
    return local_day_start(first_on_time)


def list_shifts(args, now):
    """SELECT of the shifts the caller may see, filtered, in review-queue order."""
    first, last = args.get("from_"), args.get("to")
    check_order(first, last)
    query = walled_select(Shift)
    for name in ("unit_id", "member_id", "post_id", "status"):
        if args.get(name) is not None:
            query = query.where(getattr(Shift, name) == args[name])
    if first is not None:
        query = query.where(Shift.started_at >= local_day_start(first))
    if last is not None:
        query = query.where(Shift.started_at < local_day_start(last + dt.timedelta(days=1)))
    awaiting = Shift.status.in_(AWAITING)
    overdue = and_(awaiting, Shift.started_at < overdue_cutoff(now))
    if args.get("overdue") is not None:
        query = query.where(overdue if args["overdue"] else not_(overdue))
    return query.options(selectinload(Shift.member), selectinload(Shift.post), selectinload(Shift.unit)).order_by(
        case((awaiting, 0), else_=1),
        case((overdue, 0), else_=1),
        case((awaiting, Shift.started_at)).asc(),
        Shift.started_at.desc(),
        Shift.id,
    )


def queue_page(args, now):
    """One page of the review queue, each shift as the reviewer sees it."""
    page = paginate(list_shifts(args, now), args)
    return {**page, "items": shift_views(page["items"], now)}


def reviews_of(shift_ids):
    """{shift id: [its ShiftReview rows, oldest first]}."""
    found = {shift_id: [] for shift_id in shift_ids}
    if shift_ids:
        rows = db.session.scalars(
            select(ShiftReview).where(ShiftReview.shift_id.in_(shift_ids)).order_by(ShiftReview.id))
        for review in rows:
            found[review.shift_id].append(review)
    return found


def review_view(review):
    """One decision in a shift's history."""
    return {
        "id": review.id, "decision": review.decision,
        "decision_label": messages.SHIFT_DECISION_LABELS.get(review.decision, review.decision),
        "minutes": review.credited_minutes, "status_before": review.status_before,
        "status_after": review.status_after, "reason": review.reason,
        "daily_cap_override": review.daily_cap_override,
        "reviewer": {"id": review.reviewer_id, "name": review.reviewer_name}, "at": review.created_at,
    }


def position_view(shift, side):
    """Where the member was at check-in or check-out, and whether that was inside the geofence
    (server.shifts.geo's rule); all null when no location was sent (e.g. a live-code check-in)."""
    lat, lng = getattr(shift, f"{side}_lat"), getattr(shift, f"{side}_lng")
    accuracy = getattr(shift, f"{side}_accuracy_m")
    return {
        "lat": lat, "lng": lng, "accuracy_m": accuracy, "distance_m": getattr(shift, f"{side}_distance_m"),
        "in_range": None if lat is None or lng is None else locate(shift.post, lat, lng, accuracy).inside,
    }


def shift_views(shifts, now):
    """The reviewer's view of ``shifts``: who, where, when, the measurements, deadline and history."""
    history = reviews_of([shift.id for shift in shifts])
    views = []
    for shift in shifts:
        post, member = shift.post, shift.member
        awaiting = shift.status in AWAITING
        views.append({
            "id": shift.id,
            "member_id": shift.member_id, "member": {"id": member.id, "name": member.name},
            "post_id": shift.post_id, "post": {"id": post.id, "name": post.name},
            "unit_id": shift.unit_id, "unit": {"id": shift.unit.id, "name": shift.unit.name},
            "status": shift.status, "status_label": messages.SHIFT_STATUS_LABELS[shift.status],
            "source": shift.source, "offline": shift.offline,
            "started_at": shift.started_at, "ended_at": shift.ended_at,
            "minutes": shift.minutes, "open_minutes": open_minutes(shift) if shift.status != "open" else None,
            "approve_minutes": approvable_minutes(shift) if shift.status != "open" else None,
            "credited_minutes": shift.credited_minutes,
            "review_flags": list(shift.review_flags or []),
            "check_in": position_view(shift, "check_in"),
            "check_out": position_view(shift, "check_out"),
            "claim_reason": shift.claim_reason,
            "overdue": is_overdue(shift, now),
            "review_due_at": deadline(shift.started_at, review_workdays(), local_zone()),
            "working_days_waiting": workdays_between(local_date(shift.started_at), local_date(now)) if awaiting else None,
            "reviews": [review_view(review) for review in history[shift.id]],
        })
    return views


def bulk_view(outcomes):
    """The answer to a bulk review: per id, decided (ok) or the error one review would have given."""
    items = []
    for shift_id, outcome in outcomes:
        if isinstance(outcome, ApiError):
            error = {"code": outcome.code, "message": outcome.message}
            if outcome.fields:
                error["fields_"] = outcome.fields
            items.append({"id": shift_id, "ok": False, "status": None, "credited_minutes": None, "error": error})
        else:
            shift, _ = outcome
            items.append({"id": shift_id, "ok": True, "status": shift.status,
                          "credited_minutes": shift.credited_minutes, "error": None})
    approved = sum(item["ok"] for item in items)
    return {"items": items, "approved": approved, "failed": len(items) - approved}
