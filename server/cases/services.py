"""Opening and advancing cases. Deadlines count Chinese working days (server.workdays)."""
from flask import current_app

from server import audit, messages
from server.extensions import db
from server.models import Case
from server.notifications import notify_unit_admins
from server.schemas import local_zone
from server.workdays import deadline


def open_case(rating):
    """Open the case of a bad rating: contact within 1 working day, answer within 15 (configurable)."""
    config = current_app.config
    case = Case(
        rating_id=rating.id, unit_id=rating.unit_id, status="open",
        due_contact_at=deadline(rating.created_at, config["CASE_CONTACT_WORKDAYS"], local_zone()),
        due_resolve_at=deadline(rating.created_at, config["CASE_RESOLVE_WORKDAYS"], local_zone()),
    )
    db.session.add(case)
    db.session.flush()
    audit.record("case.open", "case", case.id, unit_id=case.unit_id, after={"rating_id": rating.id, "score": rating.score},
                 actor=("system", None, "system"))
    alert_bad_rating(case, rating)
    return case


def alert_bad_rating(case, rating):
    """Tell the unit's admins at once: an unread notification each."""
    zone = local_zone()
    target = rating.target_key.split(":")[0]
    body = messages.BAD_RATING_BODY.format(
        target="窗口" if target == "window" else "工作人员",
        score_label=messages.SCORE_LABELS[rating.score],
        due_contact=case.due_contact_at.astimezone(zone).strftime("%m月%d日%H:%M"),
        due_resolve=case.due_resolve_at.astimezone(zone).strftime("%m月%d日%H:%M"),
    )
    return notify_unit_admins(case.unit_id, "bad_rating", messages.BAD_RATING_TITLE, body, case_id=case.id)
