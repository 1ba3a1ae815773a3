"""Admin API for codes: issue, list, images and signs, revoke/reissue, batch export, live codes."""
import io

from flask import current_app, send_file
from flask.views import MethodView

from server import messages
from server.admin.services import list_objects
from server.api import Blueprint
from server.auth.identity import current_identity
from server.auth.walls import get_walled, writable_unit
from server.errors import ApiError, field_error
from server.extensions import db
from server.models import Member, Post, QrCode, Window
from server.qr import live, schemas, services
from server.qr.fonts import FontMissingError
from server.qr.signs import bare_png, layouts
from server.schemas import page_schema, paginate

bp = Blueprint("qr", __name__, url_prefix="/api/v1/admin", description="二维码 QR codes")

TARGET_MODEL = {"badge": Member, "window": Window, "post": Post}


def code_view(code):
    """A code as the API shows it, with the links to its images."""
    base = f"{current_app.config['PUBLIC_BASE_URL']}/api/v1/admin/qrcodes/{code.id}"
    return {
        "id": code.id, "kind": code.kind, "target_id": code.target_id, "unit_id": code.unit_id,
        "token": code.token, "url": services.code_url(code.token),
        "image_url": f"{base}/image.png", "sign_url": f"{base}/sign.png",
        "revoked_at": code.revoked_at, "created_at": code.created_at,
    }


def current_code_or_410(code_id):
    code = get_walled(QrCode, code_id)
    if code.revoked_at is not None:
        raise ApiError(410, "code_revoked", messages.CODE_REVOKED)
    return code


def png_response(png, download_name):
    return send_file(io.BytesIO(png), mimetype="image/png", download_name=download_name, max_age=0)


def signs_or_503(render):
    """Run a sign renderer; a missing CJK font is the operator's problem, said clearly."""
    try:
        return render()
    except FontMissingError as exc:
        current_app.logger.error("%s", exc)
        raise ApiError(503, "font_missing", messages.FONT_MISSING)


def codes_query(unit_id=None, kind=None, state="current"):
    """SELECT of the codes the caller may see, by unit and kind; ``state``: current, revoked or all."""
    query = list_objects(QrCode, {"unit_id": unit_id})
    if kind:
        query = query.where(QrCode.kind == kind)
    if state == "current":
        query = query.where(QrCode.revoked_at.is_(None))
    elif state == "revoked":
        query = query.where(QrCode.revoked_at.is_not(None))
    return query


def issue_for(kind, target_id):
    """The code of the caller's ``kind`` target ``target_id``: (its current code, False) or (a new one, True).

    Another unit's target is "not found" on the field, like one that does not exist.
    """
    try:
        target = get_walled(TARGET_MODEL[kind], target_id)
    except ApiError:
        raise field_error("target_id", messages.QR_TARGET_NOT_FOUND)
    existing = services.current_code(kind, target)
    if existing is not None:
        return existing, False
    return services.issue_code(kind, target, current_identity().admin.id), True


def reissue_for(code_id, reason=""):
    """Revoke the caller's code ``code_id`` and issue its target a new one with a new token."""
    old = get_walled(QrCode, code_id)
    services.revoke_code(old, reason)
    return services.issue_code(old.kind, old.target, current_identity().admin.id)


def printable_sign(code_id, layout):
    """(code, PNG) of the caller's current code ``code_id`` as a sign of ``layout`` (desk or badge)."""
    code = current_code_or_410(code_id)
    if code.kind not in layouts()[layout]["kinds"]:
        raise field_error("layout", messages.QR_LAYOUT_NOT_FOR_KIND)
    return code, signs_or_503(lambda: services.sign_png(code, layout))


@bp.route("/qrcodes")
class QrCodes(MethodView):
    @bp.login_required("admin")
    @bp.arguments(schemas.QrCodeListArgsSchema, location="query")
    @bp.response(200, page_schema(schemas.QrCodeSchema))
    def get(self, args):
        """List codes the caller may see (current ones unless include_revoked)."""
        query = codes_query(args.get("unit_id"), args.get("kind"), "all" if args["include_revoked"] else "current")
        page = paginate(query, args)
        return {**page, "items": [code_view(c) for c in page["items"]]}

    @bp.login_required("admin")
    @bp.errors(422)
    @bp.arguments(schemas.QrCodeCreateSchema)
    @bp.response(201, schemas.QrCodeSchema)
    @bp.alt_response(200, schema=schemas.QrCodeSchema, description="该对象已有有效二维码：返回现有的")
    def post(self, data):
        """Issue the code of a member (badge), window or post; 200 with the current one if it has one."""
        code, issued = issue_for(data["kind"], data["target_id"])
        db.session.commit()
        return code_view(code), 201 if issued else 200


@bp.route("/qrcodes/<int:code_id>")
@bp.login_required("admin")
@bp.errors(404)
@bp.response(200, schemas.QrCodeSchema)
def get_code(code_id):
    """Read one code."""
    return code_view(get_walled(QrCode, code_id))


@bp.route("/qrcodes/<int:code_id>/image.png")
@bp.login_required("admin")
@bp.errors(404, 410)
@bp.response(200, content_type="image/png", description="二维码图片")
def code_image(code_id):
    """The bare code (PNG, error correction H)."""
    code = current_code_or_410(code_id)
    return png_response(bare_png(services.code_url(code.token)), f"qr-{code.id}.png")


@bp.route("/qrcodes/<int:code_id>/sign.png")
@bp.login_required("admin")
@bp.errors(404, 410, 422, 503)
@bp.arguments(schemas.SignArgsSchema, location="query")
@bp.response(200, content_type="image/png", description="可打印的桌牌或胸卡")
def code_sign(args, code_id):
    """The printable sign: A6 desk sign (layout=desk) or badge card (layout=badge, badges only)."""
    code, png = printable_sign(code_id, args["layout"])
    return png_response(png, f"sign-{code.id}-{args['layout']}.png")


@bp.route("/qrcodes/<int:code_id>/revoke", methods=["POST"])
@bp.login_required("admin")
@bp.errors(404)
@bp.arguments(schemas.RevokeSchema)
@bp.response(200, schemas.QrCodeSchema)
def revoke(data, code_id):
    """Revoke a code: its token answers 410 from now on."""
    code = services.revoke_code(get_walled(QrCode, code_id), data.get("reason", ""))
    db.session.commit()
    return code_view(code)


@bp.route("/qrcodes/<int:code_id>/reissue", methods=["POST"])
@bp.login_required("admin")
@bp.errors(404)
@bp.arguments(schemas.RevokeSchema)
@bp.response(201, schemas.QrCodeSchema)
def reissue(data, code_id):
    """Revoke a code and issue its target a new one with a new token."""
    code = reissue_for(code_id, data.get("reason", ""))
    db.session.commit()
    return code_view(code)


EXPORT_MIMETYPES = {"zip": "application/zip", "pdf": "application/pdf"}


def send_unit_export(unit_id, fmt):
    """Render every current sign of a unit and send it as a ZIP of PNGs or an A4 PDF sheet."""
    from server.qr import export  # fpdf2 loads only when someone exports

    unit = writable_unit(unit_id)
    buffer = io.BytesIO()
    rendered = signs_or_503(lambda: export.export_unit(
        unit.id, zip_out=buffer if fmt == "zip" else None, pdf_out=buffer if fmt == "pdf" else None))
    if not rendered:
        raise ApiError(404, "no_codes", messages.UNIT_HAS_NO_CODES)
    buffer.seek(0)
    return send_file(buffer, mimetype=EXPORT_MIMETYPES[fmt], as_attachment=True,
                     download_name=f"signs-unit-{unit.id}.{fmt}")


@bp.route("/qrcodes/export.zip")
@bp.login_required("admin")
@bp.errors(404, 422, 503)
@bp.arguments(schemas.ExportArgsSchema, location="query")
@bp.response(200, content_type="application/zip", description="单位全部在用桌牌/胸卡 PNG")
def export_zip(args):
    """Every current sign of a unit as PNGs in one ZIP."""
    return send_unit_export(args["unit_id"], "zip")


@bp.route("/qrcodes/export.pdf")
@bp.login_required("admin")
@bp.errors(404, 422, 503)
@bp.arguments(schemas.ExportArgsSchema, location="query")
@bp.response(200, content_type="application/pdf", description="A4 拼版打印文件")
def export_pdf(args):
    """Every current sign of a unit on A4 pages (several per page, with crop marks)."""
    return send_unit_export(args["unit_id"], "pdf")


@bp.route("/posts/<int:post_id>/live")
@bp.login_required("admin")
@bp.errors(404)
@bp.response(200, schemas.LiveCodeSchema)
def post_live_code(post_id):
    """The post's rotating check-in code (valid ≤ 60 s) and the URL of its display page."""
    import datetime as dt

    post = get_walled(Post, post_id)
    code, expires = live.live_code(post)
    base = current_app.config["PUBLIC_BASE_URL"]
    return {
        "code": code, "url": services.code_url(code),
        "expires_at": dt.datetime.fromtimestamp(expires, dt.timezone.utc),
        "display_url": f"{base}/posts/{post.id}/display?key={live.display_key(post)}",
    }
