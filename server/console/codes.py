"""QR code pages (二维码): list and filter, issue, revoke and reissue (each confirmed on its own
page), the code and its printable sign, and a unit's print file (ZIP of PNGs or A4 PDF sheet)
made in the background with its progress shown.

Everything is the admin API's (server/qr): the same functions list, issue, revoke, reissue and
render, behind the same unit wall; the images are the same bytes the API sends.
"""
from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import exists, select

from server import export_jobs, messages
from server.admin.schemas import ListArgsSchema
from server.auth.walls import get_walled, walled_select, walled_unit_id, writable_unit
from server.console import bp
from server.console.forms import as_integer, load_form, local_time, service_errors, unit_options
from server.console.manage import field_errors
from server.console.session import page_login_required, safe_next
from server.console.text import T
from server.errors import ApiError, field_error
from server.extensions import db
from server.models import QR_KINDS, QrCode, Unit
from server.qr import routes as qr_api
from server.qr import schemas, services
from server.qr.signs import bare_png, layouts
from server.schemas import OneOf, paginate

C = T["codes"]
STATES = ("current", "revoked", "all")
TARGET_LIMIT = 500


class CodeFilterArgsSchema(ListArgsSchema):
    """The list's filters: the API's (unit, kind) and which codes (current, revoked or all)."""

    kind = OneOf(QR_KINDS)
    state = OneOf(STATES, load_default="current")


class SheetExportSchema(schemas.ExportArgsSchema):
    """A unit's print file: the API's export arguments and which file."""

    format = OneOf(tuple(qr_api.EXPORT_MIMETYPES), required=True)


def target_choices():
    """(value "kind:id", label) of the caller's members, windows and posts without a current code, by kind."""
    choices = []
    for kind, model in qr_api.TARGET_MODEL.items():
        column = getattr(QrCode, services.TARGET_COLUMN[kind])
        has_code = exists().where(column == model.id, QrCode.kind == kind, QrCode.revoked_at.is_(None))
        rows = db.session.execute(
            walled_select(model).with_only_columns(model.id, model.name, Unit.name)
            .join(Unit, Unit.id == model.unit_id).where(~has_code).order_by(Unit.name, model.name).limit(TARGET_LIMIT)
        ).all()
        choices.append((C["kinds"][kind], [(f"{kind}:{id_}", f"{name}（{unit}）") for id_, name, unit in rows]))
    return choices


def list_page(issue_errors=None, status=200):
    values = {k: v for k, v in request.args.items() if v.strip()}
    args, errors = load_form(CodeFilterArgsSchema(), values)
    if errors is not None:
        page, status = {"items": [], "total": 0, "page": 1, "page_size": 20}, 422
    else:
        query = qr_api.codes_query(args.get("unit_id"), args.get("kind"), args["state"])
        page = paginate(query.order_by(None).order_by(QrCode.id.desc()), args)
    units = dict(db.session.execute(select(Unit.id, Unit.name).where(
        Unit.id.in_({code.unit_id for code in page["items"]}))).all())
    return render_template(
        "console/codes.html", page=page, units=units, errors=field_errors(errors or {}),
        issue_errors=field_errors(issue_errors or {}), targets=target_choices(),
        states=[(state, C["states"][state]) for state in STATES], kinds=[(kind, C["kinds"][kind]) for kind in QR_KINDS],
        unit_options=unit_options() if walled_unit_id() is None else [], local_time=local_time,
    ), status


@bp.route("/codes")
@page_login_required()
def codes():
    """Every code the caller may see, newest first, with the issue form."""
    return list_page()


@bp.route("/codes/issue", methods=["POST"])
@page_login_required()
def codes_issue():
    """Issue the code of a member (badge), window or post, as POST /admin/qrcodes."""
    kind, _, target_id = request.form.get("target", "").partition(":")
    data, errors = load_form(schemas.QrCodeCreateSchema(), {"kind": kind, "target_id": as_integer(target_id)})
    if errors is None:
        try:
            code, issued = qr_api.issue_for(data["kind"], data["target_id"])
            db.session.commit()
        except ApiError as error:
            db.session.rollback()
            errors = service_errors(error)
    if errors is not None:
        # The form has one choice for both: kind and target_id are one select.
        return list_page({"target": [m for msgs in errors.values() for m in msgs]}, 422)
    flash(C["issued"] if issued else C["existing"], "success" if issued else "info")
    back = request.form.get("next")
    return redirect(safe_next(back) if back else url_for("console.codes_detail", code_id=code.id))


@bp.route("/codes/<int:code_id>")
@page_login_required()
def codes_detail(code_id):
    code = get_walled(QrCode, code_id)
    sign_layouts = [name for name in ("desk", "badge") if code.kind in layouts()[name]["kinds"]]
    return render_template("console/code_detail.html", code=code, unit=db.session.get(Unit, code.unit_id),
                           url=services.code_url(code.token), sign_layouts=sign_layouts, local_time=local_time)


@bp.route("/codes/<int:code_id>/image.png")
@page_login_required()
def codes_image(code_id):
    """The bare code, as GET /admin/qrcodes/{id}/image.png."""
    code = qr_api.current_code_or_410(code_id)
    return qr_api.png_response(bare_png(services.code_url(code.token)), f"qr-{code.id}.png")


@bp.route("/codes/<int:code_id>/sign.png")
@page_login_required()
def codes_sign(code_id):
    """The printable sign, as GET /admin/qrcodes/{id}/sign.png (?layout=desk|badge, ?download=1)."""
    args, errors = load_form(schemas.SignArgsSchema(), {k: v for k, v in request.args.items() if k == "layout"})
    if errors is not None:
        raise ApiError(422, "validation_error", "；".join(m for msgs in errors.values() for m in msgs))
    code, png = qr_api.printable_sign(code_id, args["layout"])
    response = qr_api.png_response(png, f"sign-{code.id}-{args['layout']}.png")
    if request.args.get("download") == "1":
        response.headers["Content-Disposition"] = f"attachment; filename=sign-{code.id}-{args['layout']}.png"
    return response


@bp.route("/codes/<int:code_id>/print")
@page_login_required()
def codes_print(code_id):
    """A page with the code's signs at print size."""
    code = qr_api.current_code_or_410(code_id)
    sign_layouts = [name for name in ("desk", "badge") if code.kind in layouts()[name]["kinds"]]
    return render_template("console/code_print.html", code=code, sign_layouts=sign_layouts,
                           sizes={name: layouts()[name] for name in sign_layouts})


def _confirm_page(code, action, errors=None, status=200):
    return render_template("console/code_confirm.html", code=code, action=action, errors=field_errors(errors or {}),
                           reason=request.form.get("reason", "")), status


def _change(code_id, action):
    """The revoke or reissue confirmation (GET) and the change itself (POST), as the API does it."""
    code = get_walled(QrCode, code_id)
    if request.method == "GET":
        return _confirm_page(code, action)
    reason = request.form.get("reason", "").strip()
    data, errors = load_form(schemas.RevokeSchema(), {"reason": reason} if reason else {})
    if errors is not None:
        return _confirm_page(code, action, errors, 422)
    if action == "revoke":
        was_revoked = code.revoked_at is not None
        services.revoke_code(code, data.get("reason", ""))
        target = code
        flash(C["already_revoked"] if was_revoked else C["revoked"], "info" if was_revoked else "success")
    else:
        target = qr_api.reissue_for(code.id, data.get("reason", ""))
        flash(C["reissued"], "success")
    db.session.commit()
    return redirect(url_for("console.codes_detail", code_id=target.id))


@bp.route("/codes/<int:code_id>/revoke", methods=["GET", "POST"])
@page_login_required()
def codes_revoke(code_id):
    """Revoke a code (its token answers 410 from then on), after confirmation."""
    return _change(code_id, "revoke")


@bp.route("/codes/<int:code_id>/reissue", methods=["GET", "POST"])
@page_login_required()
def codes_reissue(code_id):
    """Revoke a code and issue its target a new one, after confirmation."""
    return _change(code_id, "reissue")


# --- A unit's print file, made in the background ---

def sheet_work(unit_id, fmt):
    """The job that writes a unit's print file: server.qr.export, as GET /admin/qrcodes/export.{fmt}."""
    def work(out, progress):
        from server.qr import export  # fpdf2 loads only when someone exports

        rendered = qr_api.signs_or_503(lambda: export.export_unit(
            unit_id, zip_out=out if fmt == "zip" else None, pdf_out=out if fmt == "pdf" else None, progress=progress))
        if not rendered:
            raise ApiError(404, "no_codes", messages.UNIT_HAS_NO_CODES)

    return work


def has_current_codes(unit_id):
    return db.session.scalar(select(exists().where(QrCode.unit_id == unit_id, QrCode.revoked_at.is_(None))))


@bp.route("/codes/export", methods=["GET", "POST"])
@page_login_required()
def codes_export():
    """Start a unit's print file (ZIP or PDF) and follow its progress on the job's page."""
    errors, status = None, 200
    if request.method == "POST":
        values = {"unit_id": as_integer(request.form.get("unit_id", "").strip()) or walled_unit_id(),
                  "format": request.form.get("format", "")}
        values = {k: v for k, v in values.items() if v not in (None, "")}
        data, errors = load_form(SheetExportSchema(), values)
        if errors is None:
            try:
                unit = writable_unit(data["unit_id"])
                if not has_current_codes(unit.id):
                    raise field_error("unit_id", messages.UNIT_HAS_NO_CODES)
                fmt = data["format"]
                job = export_jobs.start(f"signs_{fmt}", f"signs-unit-{unit.id}.{fmt}", qr_api.EXPORT_MIMETYPES[fmt],
                                sheet_work(unit.id, fmt), unit_id=unit.id)
            except ApiError as error:
                errors, status = service_errors(error), error.status
            else:
                return redirect(url_for("console.exports_job", job_id=job.id))
        else:
            status = 422
    return render_template("console/codes_export.html", errors=field_errors(errors or {}),
                           unit_options=unit_options() if walled_unit_id() is None else [],
                           form=request.form), status
