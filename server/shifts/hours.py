"""A member's hours totals and star level, from approved (and pending) shifts."""
from flask import current_app
from sqlalchemy import case, func, select

from server.extensions import db
from server.models import Shift


def star_level(approved_minutes):
    """The ★ level (0–5) for a number of approved minutes, and the minutes needed for the next."""
    thresholds = current_app.config["STAR_THRESHOLDS_HOURS"]
    level = sum(1 for hours in thresholds if approved_minutes >= hours * 60)
    next_at = thresholds[level] * 60 if level < len(thresholds) else None
    return level, next_at


def counted_minutes():
    """Minutes a shift counts: what its latest review credited when approved, as measured while pending."""
    return case((Shift.status == "approved", Shift.credited_minutes), else_=Shift.minutes)


def member_totals(member):
    """{"approved_minutes", "pending_minutes", "star_level", "next_level_at_minutes"}."""
    rows = db.session.execute(
        select(Shift.status, func.coalesce(func.sum(counted_minutes()), 0))
        .where(Shift.member_id == member.id, Shift.status.in_(("approved", "pending")))
        .group_by(Shift.status)
    ).all()
    sums = dict(rows)
    approved = int(sums.get("approved", 0))
    level, next_at = star_level(approved)
    return {
        "approved_minutes": approved,
        "pending_minutes": int(sums.get("pending", 0)),
        "star_level": level,
        "next_level_at_minutes": next_at,
    }
