"""Cases (差评工单) as console pages: the overdue-first list, one case with its rating, deadlines
and full history, and its workflow — contact, resolve, reopen, the unit's appeal, and the
bureau's exclusion of the rating from the figures.

Every rule is the API's (server/cases/routes.py): the same services (server.cases.services),
the same schemas (CaseListArgsSchema, CaseEventSchema, ExclusionSchema), the same unit wall
(another unit's case is a 404 page) and the same bureau check for the exclusion (403 page).
"""
from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from server import messages
from server.admin.services import require_bureau
from server.auth.walls import get_walled, walled_select, walled_unit_id
from server.cases import services
from server.cases.schemas import CaseEventSchema, CaseListArgsSchema, ExclusionSchema
from server.console import bp
from server.console.forms import form_values, load_form, local_time, service_errors
from server.console.review import count
from server.console.session import page_login_required
from server.console.text import T
from server.errors import ApiError
from server.extensions import db
from server.models import Case, Unit, utcnow

CASE_FILTERS = ("status", "unit_id", "page", "page_size")
EVENT_FIELDS = ("action", "note", "no_contact")
EXCLUSION_FIELDS = ("exclude", "reason")
EMPTY_PAGE = {"items": [], "total": 0, "page": 1, "page_size": 20}


def case_counts():
    """Cases waiting in the caller's scope: to contact, being rectified, overdue (the services' rule)."""
    now = utcnow()
    return {
        "open": count(walled_select(Case).where(Case.status == "open")),
        "contacted": count(walled_select(Case).where(Case.status == "contacted")),
        "overdue": count(walled_select(Case).where(services.overdue(Case, now))),
    }


def labels():
    """Labels the API already has (server/messages.py) and the time format, for the case templates."""
    return {"when": local_time, "status_labels": messages.CASE_STATUS_LABELS,
            "show_unit": walled_unit_id() is None, "is_bureau": walled_unit_id() is None}


@bp.route("/cases")
@page_login_required()
def cases():
    """The caller's cases: overdue first, then by the nearest deadline, answered ones last."""
    values = form_values(request.args, [name for name in CASE_FILTERS if name in request.args])
    args, errors = load_form(CaseListArgsSchema(), values)
    page = services.list_cases(args) if args is not None else EMPTY_PAGE
    units = db.session.execute(select(Unit.id, Unit.name).order_by(Unit.id)).all() if walled_unit_id() is None else []
    statuses = [*messages.CASE_STATUS_LABELS.items(), ("overdue", T["cases"]["status_overdue"])]
    return render_template("console/cases.html", page=page, filters=values, filter_errors=errors or {},
                           counts=case_counts(), units=units, statuses=statuses, **labels()), \
        200 if errors is None else 422


@bp.route("/cases/<int:case_id>")
@page_login_required()
def case_detail(case_id):
    """One case: the rating, its deadlines, the answer, the appeal, every step of its history."""
    return render_case(get_walled(Case, case_id))


def case_forms(view):
    """The workflow forms to offer for the case's state (the services still check each action)."""
    rating, status = view["rating"], view["status"]
    offered = []
    if status == "open":
        offered.append("contact")
    if status == "contacted" or (status == "open" and not rating["contact"]):
        offered.append("resolve")
    if status == "resolved":
        offered.append("reopen")
    if view["appeal"] is None and not view["excluded"]:
        offered.append("appeal")
    return offered


def render_case(case, status=200, form=None, errors=None, values=None):
    """The case page; after a refused post, ``form`` names the form whose ``errors`` and input are shown."""
    view = services.case_detail(case)
    return render_template("console/case_detail.html", case=view, forms=case_forms(view), failed_form=form,
                           errors=errors or {}, input=values or {}, **labels()), status


@bp.route("/cases/<int:case_id>/events", methods=["POST"])
@page_login_required()
def case_event(case_id):
    """Contact the citizen, resolve (answer), reopen, or appeal, as POST /api/v1/admin/cases/{id}/events."""
    case = get_walled(Case, case_id)
    values = form_values(request.form, EVENT_FIELDS)
    data, errors = load_form(CaseEventSchema(), values)
    status = 422
    if errors is None:
        try:
            services.apply_event(case, **data)
        except ApiError as error:
            db.session.rollback()
            errors, status = service_errors(error), error.status
        else:
            db.session.commit()
            flash(T["cases"]["done"][data["action"]], "success")
            return redirect(url_for("console.case_detail", case_id=case_id))
    form = values.get("action") if values.get("action") in T["cases"]["action_titles"] else None
    return render_case(db.session.get(Case, case_id), status, form, errors, values)


@bp.route("/cases/<int:case_id>/exclusion", methods=["POST"])
@page_login_required()
def case_exclusion(case_id):
    """Bureau admins only: leave the case's rating out of the figures (or count it again), with a reason,
    as POST /api/v1/admin/ratings/{id}/exclusion."""
    case = get_walled(Case, case_id)
    require_bureau()
    values = form_values(request.form, EXCLUSION_FIELDS)
    data, errors = load_form(ExclusionSchema(), values)
    status = 422
    if errors is None:
        try:
            services.set_exclusion(case.rating, data["exclude"], data["reason"])
        except ApiError as error:
            db.session.rollback()
            errors, status = service_errors(error), error.status
        else:
            db.session.commit()
            flash(T["cases"]["done"]["exclude" if data["exclude"] else "include"], "success")
            return redirect(url_for("console.case_detail", case_id=case_id))
    return render_case(db.session.get(Case, case_id), status, "exclusion", errors, values)
