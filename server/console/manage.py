"""Management pages (单位、党员/志愿者、窗口、志愿岗): lists, new and edit forms, detail pages.

The forms post the fields an API client sends as JSON and are validated by the API's own
schemas (server.admin.schemas); objects are made and changed by the API's services
(server.admin.services), so the unit wall, unit-name uniqueness, the cross-field rules and
the audit entries are the API's. A new member comes with a one-time bind code shown with its
QR; a post's typed location is checked for sense (inside China, and near the unit's other
posts unless the admin confirms it).
"""
import io
import re
from dataclasses import dataclass

from flask import flash, redirect, render_template, request, send_file, url_for
from sqlalchemy import func, select

from server.admin import schemas, services
from server.auth.services import current_bind_code, new_bind_code
from server.auth.walls import get_walled, walled_unit_id
from server.console import bp
from server.console.forms import as_integer, load_form, local_time, service_errors, unit_options
from server.console.session import page_login_required
from server.console.text import T
from server.errors import ApiError
from server.extensions import db
from server.models import UNIT_TYPES, Member, Post, QrCode, Unit, Window
from server.qr.services import TARGET_COLUMN, current_code
from server.qr.signs import bare_png
from server.schemas import paginate
from server.shifts.geo import distance_m

M = T["manage"]
TIME_LIMIT_SEPARATOR = re.compile(r"[：:]")
BIND_QR_PX = 360








@dataclass(frozen=True)
class Field:
    """One input of a form, named like the API's JSON field.

    kind: text, textarea, int, float, select (unit types), unit (the bureau's unit choice),
    checkbox, lines (a list of text, one item per line), time_limits (lines "事项：时限"), phone
    (never shown whole: blank keeps the stored number).
    """

    name: str
    kind: str = "text"
    required: bool = False
    bureau_only: bool = False  # a unit admin sees it but may not change it (the API answers 403)


@dataclass(frozen=True)
class Resource:
    """A managed object's pages: its model, the API's schemas and the form's fields."""

    path: str
    model: type
    schema: type
    patch_schema: type
    fields: tuple
    create_roles: tuple = ("admin",)
    code_kind: str | None = None

    @property
    def snapshot(self):
        return services.audit_snapshot(self.schema)

    def endpoint(self, page=""):
        return f"console.{self.path}{'_' + page if page else ''}"


UNIT_FIELD = Field("unit_id", "unit", required=True)
RESOURCES = {
    "units": Resource("units", Unit, schemas.UnitSchema, schemas.UnitPatchSchema, (
        Field("name", required=True, bureau_only=True), Field("type", "select", bureau_only=True),
        Field("is_red_station", "checkbox", bureau_only=True), Field("address"),
        Field("auto_approve_shifts", "checkbox"),
    ), create_roles=("bureau_admin",)),
    "members": Resource("members", Member, schemas.MemberSchema, schemas.MemberPatchSchema, (
        UNIT_FIELD, Field("name", required=True), Field("post_title"), Field("is_party_member", "checkbox"),
        Field("phone", "phone"), Field("badge_no"), Field("photo_url"), Field("commitment", "textarea"),
    ), code_kind="badge"),
    "windows": Resource("windows", Window, schemas.WindowSchema, schemas.WindowPatchSchema, (
        UNIT_FIELD, Field("name", required=True), Field("duties", "lines"), Field("commitments", "lines"),
        Field("time_limits", "time_limits"),
    ), code_kind="window"),
    "posts": Resource("posts", Post, schemas.PostSchema, schemas.PostPatchSchema, (
        UNIT_FIELD, Field("name", required=True), Field("service", "textarea"), Field("lat", "float", required=True),
        Field("lng", "float", required=True), Field("radius_m", "int"), Field("default_shift_minutes", "int"),
        Field("max_open_minutes", "int"),
    ), code_kind="post"),
}


# --- Reading a form into the API's JSON, and its errors back onto the fields ---

def visible_fields(resource):
    """The fields this admin's form shows: a unit admin has no unit choice (the API uses their own)."""
    bureau = walled_unit_id() is None
    return [f for f in resource.fields if bureau or f.kind != "unit"]


def editable(field):
    return not (field.bureau_only and walled_unit_id() is not None)


def time_limits(text):
    """Lines "事项：时限" as the API's [{"item", "limit"}]; a line without "：" has no limit (the schema says so)."""
    items = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = TIME_LIMIT_SEPARATOR.split(line, maxsplit=1)
        item = {"item": parts[0].strip()}
        if len(parts) == 2:
            item["limit"] = parts[1].strip()
        items.append(item)
    return items


def posted_values(resource, creating):
    """The posted form as the API's JSON: blank inputs left out when creating (the defaults apply);
    when editing, a cleared text field is sent empty so it is cleared, a blank number is left alone."""
    form = request.form
    values = {}
    for field in visible_fields(resource):
        if not editable(field):
            continue
        raw = form.get(field.name, "")
        if field.kind == "checkbox":
            values[field.name] = field.name in form
        elif field.kind == "lines":
            values[field.name] = [line.strip() for line in raw.splitlines() if line.strip()]
        elif field.kind == "time_limits":
            values[field.name] = time_limits(raw)
        elif raw.strip() == "":
            if not creating and field.kind in ("text", "textarea"):
                values[field.name] = ""
        elif field.kind in ("int", "unit"):
            values[field.name] = as_integer(raw.strip())
        else:
            values[field.name] = raw.strip()
    return values


def field_errors(errors):
    """Errors keyed by form field: an item's error ("duties.2", "time_limits.0.limit") goes to its
    list field, saying which line."""
    folded = {}
    for key, messages_ in errors.items():
        name, _, rest = key.partition(".")
        index, _, part = rest.partition(".")
        if index.isdigit():
            where = f"（{M['time_limit_parts'][part]}）" if part in M["time_limit_parts"] else ""
            messages_ = [M["line_error"].format(line=int(index) + 1, part=where, message=m) for m in messages_]
        folded.setdefault(name, []).extend(messages_)
    return folded


def display_values(resource, obj=None):
    """What the form's inputs show: the posted text after a refusal, else the object's values."""
    if request.method == "POST":
        values = {f.name: request.form.get(f.name, "") for f in resource.fields}
        values.update({f.name: f.name in request.form for f in resource.fields if f.kind == "checkbox"})
        if obj is not None:
            values.update({f.name: getattr(obj, f.name) for f in resource.fields if not editable(f)})
        return values
    if obj is None:
        return {"unit_id": request.args.get("unit_id", ""), "is_party_member": True}
    values = {}
    for field in resource.fields:
        value = getattr(obj, field.name)
        if field.kind == "lines":
            value = "\n".join(value or [])
        elif field.kind == "time_limits":
            value = "\n".join(f"{row['item']}：{row['limit']}" for row in value or [])
        elif field.kind == "phone":
            value = ""
        values[field.name] = value
    return values


def default_hint(resource, field):
    """"留空则为 200" for a number whose column has a default."""
    column = resource.model.__table__.columns.get(field.name)
    default = getattr(column.default, "arg", None) if column is not None else None
    return M["hints"]["blank_default"].format(value=default) if field.kind == "int" and isinstance(default, int) else None


def render_form(resource, obj, errors=None, status=200, far_warning=False):
    fields = visible_fields(resource)
    errors = field_errors(errors or {})
    shown = {f.name for f in fields}
    hints = {f.name: "；".join(filter(None, (M["hints"].get(f.name), default_hint(resource, f) if obj is None else None)))
             for f in fields}
    if obj is not None and isinstance(obj, Member) and obj.phone:
        hints["phone"] = M["hints"]["phone_keep"].format(masked=obj.masked_phone)
    for field in fields:
        if not editable(field):
            hints[field.name] = M["hints"]["bureau_only"]
    title = (M["edit_titles"][resource.path].format(name=obj.name) if obj is not None
             else M["new_titles"][resource.path])
    return render_template(
        "console/manage_form.html", resource=resource, obj=obj, title=title, fields=fields,
        editable={f.name: editable(f) for f in fields}, values=display_values(resource, obj), errors=errors,
        form_errors=[m for name, msgs in errors.items() if name not in shown for m in msgs], hints=hints,
        unit_options=unit_options() if walled_unit_id() is None else [],
        type_options=[(value, M["unit_types"][value]) for value in UNIT_TYPES], far_warning=far_warning,
    ), status


def save(resource, obj=None):
    """Validate the posted form with the API's schema and save it with the API's service, or show
    the form again with the errors beside their fields (422, or the service's status), nothing saved."""
    creating = obj is None
    schema = resource.schema() if creating else resource.patch_schema()
    data, errors = load_form(schema, posted_values(resource, creating))
    if errors is not None:
        return render_form(resource, obj, errors, 422)
    far_warning = None
    try:
        if creating:
            obj = services.create_object(resource.model, data, resource.snapshot)
        else:
            obj = services.update_object(resource.model, obj.id, data, resource.snapshot)
        if resource.model is Post and request.form.get("confirm_far") != "1":
            far_warning = services.post_far_from_unit(obj)
            if far_warning:
                raise ApiError(422, "post_far", far_warning, fields={"lat": [far_warning], "lng": [far_warning]})
        if creating and resource.model is Member:
            new_bind_code(obj)
        db.session.commit()
    except ApiError as error:
        db.session.rollback()
        return render_form(resource, None if creating else obj, service_errors(error), error.status,
                           far_warning=bool(far_warning))
    flash(M["created"][resource.path] if creating else T["common"]["saved"], "success")
    return redirect(url_for(resource.endpoint("detail"), object_id=obj.id))


# --- Lists and detail pages ---

def current_codes(resource, objects):
    """{object id: its current QrCode} for a page of members, windows or posts."""
    if not resource.code_kind or not objects:
        return {}
    column = getattr(QrCode, TARGET_COLUMN[resource.code_kind])
    codes = db.session.scalars(select(QrCode).where(
        QrCode.kind == resource.code_kind, column.in_([o.id for o in objects]), QrCode.revoked_at.is_(None)))
    return {code.target_id: code for code in codes}


def list_page(resource):
    args, errors = load_form(schemas.ListArgsSchema(), {k: v for k, v in request.args.items() if v.strip()})
    status = 200
    if errors is not None:
        page, status = {"items": [], "total": 0, "page": 1, "page_size": 20}, 422
    else:
        page = paginate(services.list_objects(resource.model, args), args)
    return render_template(
        "console/manage_list.html", resource=resource, page=page, codes=current_codes(resource, page["items"]),
        errors=field_errors(errors or {}), unit_options=unit_options() if walled_unit_id() is None else [],
        can_create=walled_unit_id() is None or resource.create_roles == ("admin",),
        unit_types=M["unit_types"],
    ), status


def unit_counts(unit):
    count = lambda model: db.session.scalar(select(func.count()).select_from(model).where(model.unit_id == unit.id))  # noqa: E731
    return {"members": count(Member), "windows": count(Window), "posts": count(Post)}


def other_posts(post):
    """The unit's other posts with their distance from ``post``, nearest first."""
    others = db.session.scalars(select(Post).where(Post.unit_id == post.unit_id, Post.id != post.id)).all()
    rows = [(other, distance_m(post.lat, post.lng, other.lat, other.lng)) for other in others]
    return sorted(rows, key=lambda row: row[1])


def detail_page(resource, object_id):
    obj = get_walled(resource.model, object_id)
    context = {"resource": resource, "obj": obj, "code": current_code(resource.code_kind, obj) if resource.code_kind else None,
               "unit_types": M["unit_types"], "local_time": local_time}
    if isinstance(obj, Unit):
        context["counts"] = unit_counts(obj)
    elif isinstance(obj, Member):
        context["bind"] = current_bind_code(obj) if obj.wechat_user_id is None else None
    elif isinstance(obj, Post):
        context["others"] = other_posts(obj)
    return render_template("console/manage_detail.html", **context)


def _register(resource):
    """The list, new, detail and edit pages of ``resource``, named console.<path>[_new|_detail|_edit]."""

    @page_login_required()
    def list_view():
        return list_page(resource)

    @page_login_required(*resource.create_roles)
    def new_view():
        return save(resource) if request.method == "POST" else render_form(resource, None)

    @page_login_required()
    def detail_view(object_id):
        return detail_page(resource, object_id)

    @page_login_required()
    def edit_view(object_id):
        obj = get_walled(resource.model, object_id)
        return save(resource, obj) if request.method == "POST" else render_form(resource, obj)

    path = resource.path
    bp.add_url_rule(f"/{path}", path, list_view)
    bp.add_url_rule(f"/{path}/new", f"{path}_new", new_view, methods=["GET", "POST"])
    bp.add_url_rule(f"/{path}/<int:object_id>", f"{path}_detail", detail_view)
    bp.add_url_rule(f"/{path}/<int:object_id>/edit", f"{path}_edit", edit_view, methods=["GET", "POST"])


for _resource in RESOURCES.values():
    _register(_resource)


# --- A member's bind code ---

@bp.route("/members/<int:object_id>/bind-code", methods=["POST"])
@page_login_required()
def members_bind_code(object_id):
    """A new one-time bind code (earlier unused ones stop working), as POST /admin/members/{id}/bind-code."""
    new_bind_code(get_walled(Member, object_id))
    db.session.commit()
    flash(M["bind_made"], "success")
    return redirect(url_for("console.members_detail", object_id=object_id))


@bp.route("/members/<int:object_id>/bind-code.png")
@page_login_required()
def members_bind_qr(object_id):
    """The QR of the member's current bind code: the plain code, which the mini-program's bind page scans."""
    member = get_walled(Member, object_id)
    code = current_bind_code(member) if member.wechat_user_id is None else None
    if code is None:
        raise ApiError(404, "not_found", M["bind_none"])
    response = send_file(io.BytesIO(bare_png(code.code, BIND_QR_PX)), mimetype="image/png", max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response
