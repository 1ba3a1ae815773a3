"""The audit log page (操作日志): every entry the caller may read, filtered and paged; read-only.

A unit admin reads only their unit's entries (server.audit.visible_entries goes through the
unit wall); the bureau reads all and may narrow to one unit. There is no form that writes:
this module registers GET views only.
"""
from flask import current_app, render_template, request, url_for
from sqlalchemy import select
from werkzeug.routing import BuildError

from server import messages
from server.audit import visible_entries, visible_values
from server.auth.walls import walled_unit_id
from server.console import bp
from server.console.forms import load_form, local_time, service_errors, unit_options
from server.console.manage import field_errors
from server.console.session import page_login_required
from server.console.text import T
from server.errors import ApiError
from server.extensions import db
from server.hours.entries import period_bounds
from server.models import AuditEntry, Unit
from server.schemas import Id, PageArgsSchema, Text, paginate
from server.stats.schemas import PeriodArgsSchema
from server.stats.services import check_order

A = T["audit"]
# Where an entry's object is shown in the console: endpoint and its id argument.
OBJECT_PAGES = {
    "unit": ("console.units_detail", "object_id"), "member": ("console.members_detail", "object_id"),
    "window": ("console.windows_detail", "object_id"), "post": ("console.posts_detail", "object_id"),
    "qr_code": ("console.codes_detail", "code_id"), "shift": ("console.shift_detail", "shift_id"),
    "case": ("console.case_detail", "case_id"),
}
VALUE_CHARS = 120


class AuditArgsSchema(PageArgsSchema, PeriodArgsSchema):
    """The log's filters: part of the actor's name, action, object type, unit (bureau), local days."""

    actor = Text(max_length=64)
    action = Text(max_length=32)
    entity_type = Text(max_length=32)
    unit_id = Id(strict=False)


def action_labels():
    """Every action's Chinese name: the console's, and the case workflow's from server.messages."""
    return {**A["actions"], **messages.CASE_ACTION_LABELS}


def shown(value):
    """A before/after value as short text."""
    if value is None or value == "" or value == []:
        return A["empty"]
    if isinstance(value, bool):
        return T["common"]["yes"] if value else T["common"]["no"]
    if isinstance(value, list):
        value = "；".join(
            "：".join(str(v) for v in item.values()) if isinstance(item, dict) else str(item) for item in value)
    text = str(value)
    return text if len(text) <= VALUE_CHARS else text[:VALUE_CHARS] + "…"


def changes(entry):
    """The entry's changes as lines "字段：旧 → 新" (a creation lists what was set)."""
    labels = {**A["fields"], **T["manage"]["fields"]}
    before, after = entry.before or {}, entry.after or {}
    lines = []
    for key in list(dict.fromkeys([*before, *after])):
        label = labels.get(key, key)
        if key in before and key in after:
            if before[key] != after[key]:
                lines.append(A["change"].format(field=label, before=shown(before[key]), after=shown(after[key])))
        elif key in after:
            lines.append(A["created"].format(field=label, after=shown(after[key])))
        else:
            lines.append(A["change"].format(field=label, before=shown(before[key]), after=A["empty"]))
    return lines


def object_link(entry):
    """The console page of the entry's object, when there is one."""
    page = OBJECT_PAGES.get(entry.entity_type)
    if page is None or entry.entity_id is None or page[0] not in current_app.view_functions:
        return None
    try:
        return url_for(page[0], **{page[1]: entry.entity_id})
    except BuildError:
        return None


@bp.route("/audit")
@page_login_required()
def audit_log():
    """The entries the caller may read, newest first."""
    values = {k: v for k, v in request.args.items() if v.strip()}
    args, errors = load_form(AuditArgsSchema(), values)
    if errors is None:
        try:
            check_order(args.get("from_"), args.get("to"))
        except ApiError as error:
            errors = service_errors(error)
    status = 200
    if errors is not None:
        page, status = {"items": [], "total": 0, "page": 1, "page_size": 20}, 422
    else:
        start, end = period_bounds(args.get("from_"), args.get("to"))
        query = visible_entries(actor=args.get("actor"), action=args.get("action"),
                                entity_type=args.get("entity_type"), unit_id=args.get("unit_id"), start=start, end=end)
        page = paginate(query, args)
    units = dict(db.session.execute(
        select(Unit.id, Unit.name).where(Unit.id.in_({e.unit_id for e in page["items"] if e.unit_id}))).all())
    labels = action_labels()
    return render_template(
        "console/audit.html", page=page, errors=field_errors(errors or {}), units=units,
        rows=[{"entry": e, "changes": changes(e), "link": object_link(e)} for e in page["items"]],
        actions=[(a, labels.get(a, a)) for a in visible_values(AuditEntry.action)],
        entity_types=[(e, A["entity_types"].get(e, e)) for e in visible_values(AuditEntry.entity_type)],
        action_labels=labels, unit_options=unit_options() if walled_unit_id() is None else [],
        local_time=local_time,
    ), status
