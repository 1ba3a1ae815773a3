"""The hours record (PDF and its public /verify page), its revocation, and the hours exports."""
import io

from flask import Blueprint as FlaskBlueprint
from flask import current_app, render_template, send_file

from server import messages
from server.api import Blueprint, writes_on_read
from server.auth.identity import current_identity
from server.errors import ApiError
from server.extensions import db
from server.hours import export, records, schemas
from server.hours.entries import hours_text, political_status
from server.qr.fonts import FontMissingError
from server.schemas import local_zone, page_schema, paginate

bp = Blueprint("hours", __name__, url_prefix="/api/v1", description="志愿服务时长记录与导出 Hours record and exports")
pages = FlaskBlueprint("hours_pages", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


file_response = bp.file_response


@bp.route("/members/<int:member_id>/record.pdf")
@writes_on_read
@bp.login_required()
@bp.errors(404, 503)
@file_response("application/pdf", "志愿服务时长记录（PDF，含核验二维码）")
def member_record(member_id):
    """The member's hours record (the member themself or an admin of their unit); each download issues a new one."""
    from server.hours.record_pdf import render_record  # fpdf2 loads only when someone prints

    member = records.member_for_record(member_id)
    record, entries = records.issue_record(member, current_identity().admin)
    try:
        pdf = render_record(member, record, entries, record.created_at.astimezone(local_zone()),
                            records.verify_url(record.token))
    except FontMissingError as exc:
        current_app.logger.error("%s", exc)
        raise ApiError(503, "font_missing", messages.HOURS_RECORD_FONT_MISSING)
    db.session.commit()
    response = send_file(io.BytesIO(pdf), mimetype="application/pdf", download_name=f"hours-record-{record.id}.pdf")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/admin/hours-records")
@bp.login_required("admin")
@bp.arguments(schemas.HoursRecordListArgsSchema, location="query")
@bp.response(200, page_schema(schemas.HoursRecordSchema))
def list_records(args):
    """Issued hours records the caller may see, newest first (filter member_id, unit_id)."""
    page = paginate(records.records_query(args), args)
    return {**page, "items": [records.record_view(r) for r in page["items"]]}


@bp.route("/admin/hours-records/<int:record_id>/revoke", methods=["POST"])
@bp.login_required("admin")
@bp.errors(404, 409)
@bp.arguments(schemas.RevokeRecordSchema)
@bp.response(200, schemas.HoursRecordSchema)
def revoke_record(data, record_id):
    """Revoke an issued record: its verification page says it is void from now on."""
    record = records.revoke_record(records.walled_record(record_id), data["reason"])
    db.session.commit()
    return records.record_view(record)


@bp.route("/admin/hours/export.xlsx")
@bp.login_required("admin")
@bp.arguments(schemas.HoursExportArgsSchema, location="query")
@file_response(XLSX, "核定时长工作簿：汇总（每人一行）与明细（每次服务一行）")
def export_xlsx(args):
    """Approved hours as an Excel workbook, by unit (unit admins: their own) and period of check-in dates."""
    filters = export.filters_from_args(args)
    return send_file(export.workbook_file(**filters), mimetype=XLSX, as_attachment=True,
                     download_name=export.download_name(args, filters, "xlsx"), max_age=0)


@bp.route("/admin/hours/export.csv")
@bp.login_required("admin")
@bp.arguments(schemas.HoursExportArgsSchema, location="query")
@file_response("text/csv", "全国志愿服务信息系统导入格式（UTF-8 带 BOM）；证件类型、证件号码本系统不存储，留空由单位补填")
def export_csv(args):
    """Approved hours, one row per shift, in the columns the national volunteer platform imports."""
    filters = export.filters_from_args(args)
    return send_file(export.platform_csv_file(**filters), mimetype="text/csv", as_attachment=True,
                     download_name=export.download_name(args, filters, "csv"), max_age=0)


@pages.route("/verify/<token>")
def verify_page(token):
    """The public page a record's QR opens: whose record, issued when, totals at issue, valid or void."""
    t = {**messages.H5, **messages.VERIFY_PAGE}
    found = records.verification(token)
    if found is None:
        response = current_app.make_response(
            (render_template("h5/message.html", t=t, title="not_found_title", body="not_found_body"), 404))
    else:
        record, member = found["record"], found["member"]
        zone = local_zone()
        response = current_app.make_response(render_template(
            "h5/verify.html", t=t, r=messages.HOURS_RECORD, record=record, member=member,
            political_status=political_status(member.is_party_member),
            issued_at=record.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            revoked_at=record.revoked_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if record.revoked_at else None,
            hours=hours_text(record.approved_minutes),
            hours_now=hours_text(found["approved_minutes_now"]),
            changed=found["approved_minutes_now"] != record.approved_minutes,
        ))
    # A revocation must show at once, and the page is nobody's search result.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
