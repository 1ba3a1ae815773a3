"""Opening and advancing cases (差评工单): deadlines in Chinese working days (server.workdays),
contact → resolve (→ reopen), the unit's appeal (申诉) and the bureau's exclusion of a rating.

Every step is an AuditEntry; a case's history is read back from them, so nothing here keeps
a second log. "Answered on time" stays derivable from columns: resolved_at <= due_resolve_at.
"""
from flask import current_app
from sqlalchemy import case as sql_case
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from server import audit, messages
from server.auth.walls import walled_select
from server.errors import ApiError
from server.extensions import db
from server.models import AuditEntry, Case, Rating, utcnow
from server.notifications import bad_rating_message, notify_unit_admins
from server.ratings.targets import describe_targets
from server.schemas import local_zone, paginate
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
    """Tell the unit's admins at once: an unread notification each, and a WeChat message to the subscribed."""
    zone = local_zone()
    target = rating.target_key.split(":")[0]
    body = messages.BAD_RATING_BODY.format(
        target=messages.BAD_RATING_TARGET[target],
        score_label=messages.SCORE_LABELS[rating.score],
        due_contact=case.due_contact_at.astimezone(zone).strftime(messages.DEADLINE_FORMAT),
        due_resolve=case.due_resolve_at.astimezone(zone).strftime(messages.DEADLINE_FORMAT),
    )
    return notify_unit_admins(case.unit_id, "bad_rating", messages.BAD_RATING_TITLE, body, case_id=case.id,
                              wechat=bad_rating_message(case, rating))


# --- Overdue: one rule for a loaded case (→ bool) and for the Case class (→ SQL condition) ---

def contact_overdue(case, now):
    """Not contacted (nor resolved) past the contact deadline."""
    return (case.status == "open") & (case.due_contact_at < now)


def resolve_overdue(case, now):
    """Not answered past the answer deadline (a reopened case keeps its original deadline)."""
    return (case.status != "resolved") & (case.due_resolve_at < now)


def overdue(case, now):
    """Either deadline missed."""
    return contact_overdue(case, now) | resolve_overdue(case, now)


def overdue_reasons(case, now):
    """The deadlines ``case`` has missed, as {"code", "message"}."""
    missed = [code for code, rule in (("contact", contact_overdue), ("resolve", resolve_overdue)) if rule(case, now)]
    return [{"code": code, "message": messages.CASE_OVERDUE_REASONS[code]} for code in missed]


def answered_on_time(case):
    """True/False once answered, None before (the case close rate's numerator)."""
    if case.status != "resolved" or case.resolved_at is None:
        return None
    return case.resolved_at <= case.due_resolve_at


# --- Reading cases ---

def list_cases(args):
    """One page of the caller's cases: overdue first, then the nearest open deadline, answered ones last."""
    now = utcnow()
    query = walled_select(Case).options(selectinload(Case.rating))
    if args.get("unit_id"):
        query = query.where(Case.unit_id == args["unit_id"])
    status = args.get("status")
    if status == "overdue":
        query = query.where(overdue(Case, now))
    elif status:
        query = query.where(Case.status == status)
    next_due = sql_case((Case.status == "open", Case.due_contact_at), (Case.status == "contacted", Case.due_resolve_at))
    query = query.order_by(
        sql_case((overdue(Case, now), 0), else_=1),
        sql_case((Case.status == "resolved", 1), else_=0),
        next_due, Case.resolved_at.desc(), Case.id,
    )
    page = paginate(query, args)
    return {**page, "items": case_views(page["items"], now)}


def case_views(cases, now=None, with_history=False):
    """The cases as admins see them, with their ratings, targets, follow-ups and appeal states."""
    now = now or utcnow()
    ratings = [case.rating for case in cases]
    targets = describe_targets(ratings)
    follow_ups = follow_ups_of(r.id for r in ratings)
    appeals = appeal_states(cases)
    views = []
    for case in cases:
        rating = case.rating
        view = {
            "id": case.id, "unit_id": case.unit_id, "unit": targets[rating.id]["unit"],
            "status": case.status, "status_label": messages.CASE_STATUS_LABELS[case.status],
            "rating": admin_rating_view(rating, targets[rating.id], follow_ups.get(rating.id)),
            "due_contact_at": case.due_contact_at, "due_resolve_at": case.due_resolve_at,
            "contacted_at": case.contacted_at, "resolved_at": case.resolved_at,
            "overdue": bool(overdue(case, now)), "overdue_reasons": overdue_reasons(case, now),
            "answer": case.answer, "answered_on_time": answered_on_time(case),
            "appeal": appeal_view(case, appeals.get(case.id)),
            "excluded": rating.excluded_at is not None,
            "created_at": case.created_at,
        }
        if with_history:
            view["history"] = history(case)
        views.append(view)
    return views


def case_detail(case):
    """One case with its full history, oldest entry first."""
    return case_views([case], with_history=True)[0]


def admin_rating_view(rating, target, follow_up=None):
    """A rating as its unit's admins see it: hidden comments too, with their status, and the contact."""
    return {
        "id": rating.id, "score": rating.score, "score_label": messages.SCORE_LABELS[rating.score],
        "tags": rating.tags or [], "comment": rating.comment, "comment_status": rating.comment_status,
        "contact": rating.contact, "target": target, "created_at": rating.created_at,
        "excluded": rating.excluded_at is not None, "excluded_at": rating.excluded_at,
        "excluded_reason": rating.excluded_reason,
        "follow_up": follow_up_view(follow_up) if follow_up is not None else None,
    }


def follow_up_view(rating):
    """The rater's follow-up (追评)."""
    return {"id": rating.id, "score": rating.score, "score_label": messages.SCORE_LABELS[rating.score],
            "comment": rating.comment, "comment_status": rating.comment_status, "created_at": rating.created_at}


def follow_ups_of(rating_ids):
    """{original rating id: its follow-up Rating} for ``rating_ids``."""
    ids = list(rating_ids)
    if not ids:
        return {}
    rows = db.session.scalars(select(Rating).where(Rating.follow_up_of_id.in_(ids)))
    return {row.follow_up_of_id: row for row in rows}


def history(case):
    """The case's audit entries and those of its rating's exclusion decisions, oldest first."""
    entries = db.session.scalars(
        select(AuditEntry).where(or_(
            (AuditEntry.entity_type == "case") & (AuditEntry.entity_id == case.id),
            (AuditEntry.entity_type == "rating") & (AuditEntry.entity_id == case.rating_id),
        )).order_by(AuditEntry.at, AuditEntry.id)
    )
    return [{
        "at": entry.at, "action": entry.action,
        "action_label": messages.CASE_ACTION_LABELS.get(entry.action, entry.action),
        "actor": {"type": entry.actor_type, "id": entry.actor_id, "name": entry.actor_name},
        "note": (entry.after or {}).get("answer") or entry.reason,
        "before": entry.before, "after": entry.after,
    } for entry in entries]


# --- Appeals (申诉): the unit asks, the bureau decides by excluding the rating or keeping it ---

def appeal_states(cases):
    """{case id: "pending"|"upheld"|"rejected"} for the appealed ``cases``.

    Upheld: the rating is excluded. Rejected: a bureau admin kept it in the figures (a
    "rating.include" entry) after the appeal. Otherwise it waits for the bureau.
    """
    appealed = [c for c in cases if c.appealed_at is not None]
    if not appealed:
        return {}
    kept = {}
    rows = db.session.execute(select(AuditEntry.entity_id, AuditEntry.at).where(
        AuditEntry.entity_type == "rating", AuditEntry.action == "rating.include",
        AuditEntry.entity_id.in_([c.rating_id for c in appealed])))
    for rating_id, at in rows:
        kept[rating_id] = max(at, kept.get(rating_id, at))
    states = {}
    for case in appealed:
        if case.rating.excluded_at is not None:
            states[case.id] = "upheld"
        elif case.rating_id in kept and kept[case.rating_id] >= case.appealed_at:
            states[case.id] = "rejected"
        else:
            states[case.id] = "pending"
    return states


def appeal_view(case, state):
    """The appeal of ``case`` as shown to admins, or None when the unit has not appealed."""
    if case.appealed_at is None:
        return None
    return {"state": state, "state_label": messages.APPEAL_STATE_LABELS[state], "reason": case.appeal_reason,
            "appealed_at": case.appealed_at}


# --- Advancing a case: every action checks the current state (409) and leaves an AuditEntry ---

def conflict(message, code="invalid_transition"):
    """409: the case's current state does not allow the action."""
    return ApiError(409, code, message)


def contact(case, note, no_contact=False):
    """Record that the citizen was contacted (or that they left no contact to reach them by)."""
    if case.status == "contacted":
        raise conflict(messages.CASE_ALREADY_CONTACTED)
    if case.status == "resolved":
        raise conflict(messages.CASE_ALREADY_RESOLVED)
    if no_contact:
        if case.rating.contact:
            raise conflict(messages.CASE_CONTACT_LEFT, "contact_left")
        note = f"{messages.NO_CONTACT_NOTE}；{note}" if note else messages.NO_CONTACT_NOTE
    case.contacted_at = utcnow()
    return _move(case, "case.contact", "contacted", note, extra={"no_contact": bool(no_contact)})


def resolve(case, answer):
    """Answer the citizen: the answer is shown to the rater, who may then add a follow-up."""
    if case.status == "resolved":
        raise conflict(messages.CASE_ALREADY_RESOLVED)
    if case.status == "open" and case.rating.contact:
        raise conflict(messages.CASE_CONTACT_FIRST, "contact_first")
    case.answer = answer
    case.resolved_at = utcnow()
    # The answer may be longer than an audit reason: the entry keeps it whole in "after".
    return _move(case, "case.resolve", "resolved", "", extra={"answer": answer})


def reopen(case, reason):
    """Take an answered case back to work: to "contacted" when the citizen was reached, else "open"."""
    if case.status != "resolved":
        raise conflict(messages.CASE_NOT_RESOLVED)
    case.resolved_at = None
    return _move(case, "case.reopen", "contacted" if case.contacted_at is not None else "open", reason)


def appeal(case, reason):
    """The unit holds the rating malicious (申诉); only a bureau admin can then exclude it."""
    if case.rating.excluded_at is not None:
        raise conflict(messages.RATING_ALREADY_EXCLUDED)
    if case.appealed_at is not None:
        raise conflict(messages.CASE_ALREADY_APPEALED)
    case.appealed_at, case.appeal_reason = utcnow(), reason
    audit.record("case.appeal", "case", case.id, unit_id=case.unit_id, before={"appealed": False},
                 after={"appealed": True}, reason=reason)
    return case


def apply_event(case, action, note="", no_contact=False):
    """Apply ``action`` (contact, resolve, reopen, appeal) to ``case``; the request schema has checked the note."""
    if action == "contact":
        return contact(case, note, no_contact)
    return {"resolve": resolve, "reopen": reopen, "appeal": appeal}[action](case, note)


def _move(case, action, status, reason, extra=None):
    """Change the case's status, with its audit entry (before/after status, the note as reason)."""
    before = {"status": case.status}
    case.status = status
    audit.record(action, "case", case.id, unit_id=case.unit_id, before=before,
                 after={"status": status, **(extra or {})}, reason=reason)
    db.session.flush()
    return case


def set_exclusion(rating, exclude, reason):
    """A bureau admin's decision: leave ``rating`` out of the figures, or count it again."""
    case = db.session.scalar(select(Case).where(Case.rating_id == rating.id))
    was_excluded = rating.excluded_at is not None
    if exclude:
        if was_excluded:
            raise conflict(messages.RATING_ALREADY_EXCLUDED, "already_excluded")
        rating.excluded_at, rating.excluded_reason = utcnow(), reason
    else:
        pending = case is not None and appeal_states([case]).get(case.id) == "pending"
        if not was_excluded and not pending:
            raise conflict(messages.RATING_NOT_EXCLUDED, "not_excluded")
        rating.excluded_at, rating.excluded_reason = None, ""
    audit.record("rating.exclude" if exclude else "rating.include", "rating", rating.id, unit_id=rating.unit_id,
                 before={"excluded": was_excluded}, after={"excluded": exclude}, reason=reason)
    db.session.flush()
    return rating, case


def excluded_rating_view(rating, case):
    """The rating after an exclusion decision, with its case's appeal."""
    view = admin_rating_view(rating, describe_targets([rating])[rating.id], follow_ups_of([rating.id]).get(rating.id))
    appeal_state = appeal_states([case]).get(case.id) if case is not None else None
    return {**view, "unit_id": rating.unit_id, "case_id": case.id if case is not None else None,
            "appeal": appeal_view(case, appeal_state) if case is not None else None}
