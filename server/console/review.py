"""The review queue for volunteer shifts (时长审核) as console pages.

Everything here is the API's: the queue's order and filters (server.shifts.review_queue), each
decision and its rules — reasons, daily cap, corrections (server.shifts.review) — the request
schemas (server.shifts.review_schemas) and the member's notification. The pages only read the
form fields into those schemas and show the answers (errors next to the field, per row).
"""
from flask import flash, redirect, render_template, request, session, url_for
from sqlalchemy import func, select

from server import messages
from server.auth.walls import get_walled, walled_select, walled_unit_id
from server.console import bp
from server.console.forms import as_integers, form_values, load_form, local_time, service_errors
from server.console.session import current_admin, page_login_required
from server.console.text import T
from server.errors import ApiError
from server.extensions import db
from server.models import Member, Post, Shift, Unit, utcnow
from server.shifts.notify import notify_member_of_review
from server.shifts.review import REVIEWABLE, review_many, review_shift
from server.shifts.review_queue import bulk_view, list_shifts, queue_page, review_workdays, shift_views
from server.shifts.review_schemas import BulkReviewSchema, ShiftListArgsSchema, ShiftReviewSchema

# The query arguments of the queue (ShiftListArgsSchema's fields, "from" as the form names it).
QUEUE_FILTERS = ("status", "overdue", "unit_id", "member_id", "post_id", "from", "to", "page", "page_size")
REVIEW_FIELDS = ("decision", "minutes", "reason", "override_daily_cap")
BULK_FIELDS = ("ids", "decision", "reason", "override_daily_cap")
# The bulk result waits in the session for the page the browser is redirected to.
BULK_RESULT_KEY = "review_bulk_result"
EMPTY_PAGE = {"items": [], "total": 0, "page": 1, "page_size": 20}






def queue_query():
    """The queue's filters from this request's query string, to carry through a review and back."""
    return {name: request.args[name] for name in QUEUE_FILTERS if request.args.get(name)}


def count(query):
    """How many rows a SELECT finds."""
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


def queue_counts(now):
    """What waits in the caller's scope: pending, needs_review and overdue shifts."""
    return {
        "pending": count(list_shifts({"status": "pending"}, now)),
        "needs_review": count(list_shifts({"status": "needs_review"}, now)),
        "overdue": count(list_shifts({"overdue": True}, now)),
    }


def filter_options():
    """The choices of the filter form, inside the caller's unit wall."""
    members_with_shifts = walled_select(Shift).with_only_columns(Shift.member_id).distinct()
    members = db.session.execute(
        select(Member.id, Member.name).where(Member.id.in_(members_with_shifts)).order_by(Member.name, Member.id)
        .limit(500)).all()
    posts = db.session.execute(
        walled_select(Post).with_only_columns(Post.id, Post.name).order_by(Post.name, Post.id).limit(500)).all()
    units = []
    if walled_unit_id() is None:
        units = db.session.execute(select(Unit.id, Unit.name).order_by(Unit.id)).all()
    return {
        "statuses": list(messages.SHIFT_STATUS_LABELS.items()),
        "members": [(m.id, m.name) for m in members],
        "posts": [(p.id, p.name) for p in posts],
        "units": [(u.id, u.name) for u in units],
    }


def bulk_result_view(stored):
    """The last bulk approval's outcome, with each shift described (only shifts the caller may see)."""
    ids = list(stored.get("approved", []))
    for _, refused in stored.get("refused", []):
        ids += refused
    shifts = {shift.id: shift for shift in db.session.scalars(walled_select(Shift).where(Shift.id.in_(ids)))} if ids else {}

    def describe(shift_id):
        shift = shifts.get(shift_id)
        if shift is None:
            return {"id": shift_id, "text": f"#{shift_id}"}
        return {"id": shift_id, "text": f"#{shift_id} {shift.member.name} · {shift.post.name} · "
                                        f"{local_time(shift.started_at, '%m-%d %H:%M')}"}

    return {
        "approved": [describe(i) for i in stored.get("approved", [])],
        "refused": [{"message": message, "shifts": [describe(i) for i in refused]}
                    for message, refused in stored.get("refused", [])],
    }


def render_queue(status=200, row_errors=None, bulk_errors=None, selected=(), form_error=None):
    """The queue for this request's filters; ``row_errors`` {shift id: {"errors", "input", "code"}}."""
    now = utcnow()
    values = form_values(request.args, [name for name in QUEUE_FILTERS if name in request.args])
    args, filter_errors = load_form(ShiftListArgsSchema(), values)
    page = None
    if args is not None:
        try:
            page = queue_page(args, now)
        except ApiError as error:
            filter_errors = service_errors(error)
    if page is None:
        page, status = EMPTY_PAGE, (422 if status == 200 else status)
    stored = session.pop(BULK_RESULT_KEY, None) if request.method == "GET" else None
    return render_template(
        "console/review_queue.html", page=page, filters=values, filter_errors=filter_errors or {},
        options=filter_options(), counts=queue_counts(now), query=queue_query(), row_errors=row_errors or {},
        bulk_errors=bulk_errors or {}, selected=set(selected), form_error=form_error,
        bulk_result=bulk_result_view(stored) if stored else None, **template_helpers(),
    ), status


def template_helpers():
    """Labels from server/messages.py and the formatting the review templates share."""
    return {
        "when": local_time, "reviewable": REVIEWABLE, "review_days": review_workdays(),
        "flag_labels": messages.SHIFT_FLAG_LABELS, "source_labels": messages.SHIFT_SOURCE_LABELS,
        "status_labels": messages.SHIFT_STATUS_LABELS,
        "show_unit": walled_unit_id() is None,
    }


@bp.route("/shifts")
@page_login_required()
def review_queue():
    """Shifts waiting for review first (overdue first), with filters, paging and bulk approval."""
    return render_queue()


@bp.route("/shifts/<int:shift_id>")
@page_login_required()
def shift_detail(shift_id):
    """One shift: where and when, the location checks, and every decision taken on it."""
    return render_detail(get_walled(Shift, shift_id))


def render_detail(shift, status=200, errors=None, values=None, code=None):
    view = shift_views([shift], utcnow())[0]
    row_errors = {shift.id: {"errors": errors, "input": values or {}, "code": code}} if errors else {}
    return render_template("console/shift_detail.html", shift=view, row_errors=row_errors,
                           **template_helpers()), status


@bp.route("/shifts/<int:shift_id>/review", methods=["POST"])
@page_login_required()
def review_shift_action(shift_id):
    """Approve, reject (reason) or adjust (minutes, reason) one shift, as POST /api/v1/admin/shifts/{id}/review."""
    shift = get_walled(Shift, shift_id)
    values = form_values(request.form, REVIEW_FIELDS)
    data, errors = load_form(ShiftReviewSchema(), as_integers(dict(values), ("minutes",)))
    status, code = 422, None
    if errors is None:
        try:
            decision = review_shift(shift, data["decision"], current_admin(), minutes=data.get("minutes"),
                                    reason=data["reason"], override_daily_cap=data["override_daily_cap"])
        except ApiError as error:
            db.session.rollback()
            errors, status, code = service_errors(error), error.status, error.code
        else:
            db.session.commit()
            notify_member_of_review(shift, decision)
            flash(f"{T['review']['decided'][data['decision']]}（#{shift.id}）", "success")
            if request.args.get("back") == "detail":
                return redirect(url_for("console.shift_detail", shift_id=shift.id))
            return redirect(url_for("console.review_queue", **queue_query()) + f"#shift-{shift.id}")
    if request.args.get("back") == "detail":
        return render_detail(db.session.get(Shift, shift_id), status, errors, values, code)
    return render_queue(status, row_errors={shift_id: {"errors": errors, "input": values, "code": code}},
                        form_error=T["review"]["row_error"].format(id=shift_id) + "；".join(
                            message for messages_ in errors.values() for message in messages_))


@bp.route("/shifts/review-bulk", methods=["POST"])
@page_login_required()
def review_bulk():
    """Approve every selected shift on its own, as POST /api/v1/admin/shifts/review-bulk; the outcome per shift."""
    values = as_integers(form_values(request.form, BULK_FIELDS, lists=("ids",)), ("ids",))
    data, errors = load_form(BulkReviewSchema(), values)
    if errors is not None:
        if not values.get("ids"):
            errors["ids"] = [T["review"]["bulk_none"]]
        selected = [i for i in values.get("ids", []) if isinstance(i, int)]
        return render_queue(422, bulk_errors=errors, selected=selected)
    outcomes = review_many(data["ids"], data["decision"], current_admin(), reason=data["reason"],
                           override_daily_cap=data["override_daily_cap"])
    db.session.commit()
    for _, outcome in outcomes:
        if not isinstance(outcome, ApiError):
            notify_member_of_review(*outcome)
    result = bulk_view(outcomes)
    refused = {}
    for item in result["items"]:
        if not item["ok"]:
            refused.setdefault(item["error"]["message"], []).append(item["id"])
    # Ids and one message per reason: small enough for the session cookie even for 200 shifts.
    session[BULK_RESULT_KEY] = {"approved": [item["id"] for item in result["items"] if item["ok"]],
                                "refused": [[message, ids] for message, ids in refused.items()]}
    flash(T["review"]["bulk_done"].format(approved=result["approved"], failed=result["failed"]),
          "success" if not result["failed"] else "warning")
    return redirect(url_for("console.review_queue", **queue_query()))
