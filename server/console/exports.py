"""Export pages (数据导出): the hours workbook, the national-platform CSV and the ratings workbook,
and the page that follows any file made in the background (these and a unit's sign sheet).

Each form is validated by the API's own schema for the same export, its scope is decided by the
API's own filter function (the unit wall: a unit admin's own unit; the bureau's any or all), and
the file is written by the same function the API's download uses, in a background job whose
progress the page shows (server/export_jobs.py).
"""
from dataclasses import dataclass
from typing import Callable

from flask import jsonify, redirect, render_template, request, send_file, url_for

from server import export_jobs, messages
from server.auth.walls import walled_unit_id
from server.console import bp
from server.console.forms import as_integer, form_values, load_form, local_time, service_errors, unit_options
from server.console.manage import field_errors
from server.console.session import page_login_required
from server.console.text import T
from server.errors import ApiError
from server.hours import export as hours_export
from server.hours.routes import XLSX
from server.hours.schemas import HoursExportArgsSchema
from server.ratings import export as ratings_export
from server.stats.schemas import RatingExportArgsSchema


@dataclass(frozen=True)
class Export:
    """One downloadable file: the API's query schema, scope, file name and writer for it."""

    schema: type
    filters: Callable  # validated args -> the writer's filters (raises ApiError on the wall)
    filename: Callable  # (args, filters) -> download name
    write: Callable  # (out, progress=None, **filters)
    mimetype: str
    fields: tuple = ("unit_id", "from", "to")


EXPORTS = {
    "hours_xlsx": Export(HoursExportArgsSchema, hours_export.filters_from_args,
                         lambda args, filters: hours_export.download_name(args, filters, "xlsx"),
                         hours_export.write_workbook, XLSX),
    "hours_csv": Export(HoursExportArgsSchema, hours_export.filters_from_args,
                        lambda args, filters: hours_export.download_name(args, filters, "csv"),
                        hours_export.write_platform_csv, "text/csv"),
    "ratings_xlsx": Export(RatingExportArgsSchema, ratings_export.filters_from_args,
                           lambda args, filters: ratings_export.download_name(filters, "xlsx"),
                           ratings_export.write_workbook, XLSX, ("unit_id", "from", "to", "score")),
}


def start(kind, args):
    """Decide the export's scope now (behind the caller's wall), then write it in the background."""
    export = EXPORTS[kind]
    filters = export.filters(args)

    def work(out, progress):
        export.write(out, progress=progress, **filters)

    return export_jobs.start(kind, export.filename(args, filters), export.mimetype, work, unit_id=filters["unit_id"])


@bp.route("/exports", methods=["GET", "POST"])
@page_login_required()
def exports():
    """The export forms; a valid one starts its file and goes to its progress page."""
    errors, failed, status = {}, None, 200
    if request.method == "POST":
        failed = request.form.get("kind")
        if failed not in EXPORTS:
            raise ApiError(422, "validation_error", messages.VALIDATION["one_of"].format(choices=", ".join(EXPORTS)))
        values = form_values(request.form, fields=EXPORTS[failed].fields)
        for name in ("unit_id", "score"):
            if name in values:
                values[name] = as_integer(values[name])
        args, problems = load_form(EXPORTS[failed].schema(), values)
        status = 422
        if problems is None:
            try:
                job = start(failed, args)
            except ApiError as error:
                problems, status = service_errors(error), error.status
            else:
                return redirect(url_for("console.exports_job", job_id=job.id))
        errors = field_errors(problems)
    return render_template("console/exports.html", kinds=EXPORTS, errors=errors, failed=failed, form=request.form,
                           unit_options=unit_options() if walled_unit_id() is None else [],
                           scores=[(value, f"{value} · {label}") for value, label in sorted(messages.SCORE_LABELS.items(), reverse=True)],
                           jobs=export_jobs.own_jobs(), local_time=local_time), status


@bp.route("/exports/jobs/<job_id>")
@page_login_required()
def exports_job(job_id):
    """A file being made: its progress (polled by a small script, or refreshed without one) and, when done, the download."""
    job = export_jobs.own_job(job_id)
    return render_template("console/export_job.html", job=job, kind_label=T["exports"]["kinds"].get(job.kind, job.kind))


@bp.route("/exports/jobs/<job_id>/state")
@page_login_required()
def exports_job_state(job_id):
    """The job's progress for the polling script."""
    return jsonify(export_jobs.own_job(job_id).view())


@bp.route("/exports/jobs/<job_id>/download")
@page_login_required()
def exports_download(job_id):
    """The finished file (only for the admin who made it)."""
    job = export_jobs.own_job(job_id)
    if job.status != "done":
        raise ApiError(404, "not_found", messages.EXPORT_NOT_FOUND)
    return send_file(export_jobs.result_path(job), mimetype=job.mimetype, as_attachment=True,
                     download_name=job.filename, max_age=0)
