"""The admins' hours exports: an Excel workbook (汇总 per member, 明细 per shift) and the flat
CSV the national volunteer platform imports.

Both stream: entries come from the database in batches and are written row by row
(server.workbook, on XlsxWriter, for the workbook) into a temporary file that stays in memory while small
and moves to disk when large; the response then sends that file.
"""
import csv
import io
import tempfile

from sqlalchemy import func, select

from server import messages
from server.auth.walls import walled_unit_id
from server.errors import field_error
from server.extensions import db
from server.hours.entries import approved_entries, approved_entries_query, hours_value, period_bounds, political_status
from server.messages import HOURS_EXPORT as T
from server.models import Shift, Unit, shift_status
from server.schemas import local_zone
from server.shifts.hours import star_level
from server.workbook import Workbook

# Column widths in Excel's units (one Latin character; a Chinese character takes about two).
SUMMARY_WIDTHS = (12, 24, 11, 10, 17, 10, 20)
DETAIL_WIDTHS = (12, 24, 22, 12, 17, 17, 10, 10, 30, 12, 17, 16)
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
HOURS_FORMAT = "0.00"
SUMMARY_FORMATS = (None, None, None, None, HOURS_FORMAT, None, HOURS_FORMAT)
DETAIL_FORMATS = (None, None, None, DATE_FORMAT, DATETIME_FORMAT, DATETIME_FORMAT, None, None, None, None,
                  DATETIME_FORMAT, None)
SPOOL_BYTES = 8 * 1024 * 1024
# A cell Excel would read as a formula (CSV injection): shown as text instead.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_unit_id(unit_id):
    """The unit an export covers: a unit admin's own (naming another is 422), any or all (None) for the bureau."""
    walled = walled_unit_id()
    if unit_id is None:
        return walled
    unit = db.session.get(Unit, unit_id)
    if unit is None or (walled is not None and unit.id != walled):
        raise field_error("unit_id", messages.UNIT_NOT_FOUND)
    return unit.id


def filters_from_args(args):
    """The entries an export request (HoursExportArgsSchema) covers, behind the unit wall."""
    unit_id = export_unit_id(args.get("unit_id"))
    start, end = period_bounds(args.get("date_from"), args.get("date_to"))
    return {"unit_id": unit_id, "start": start, "end": end}


def download_name(args, filters, extension):
    """hours-unit-3-2026-11-01-2026-11-30.xlsx: scope and period in the file's name."""
    scope = f"unit-{filters['unit_id']}" if filters["unit_id"] else "all"
    period = f"{args.get('date_from') or 'start'}-{args.get('date_to') or 'now'}"
    return f"hours-{scope}-{period}.{extension}"


def count_entries(**filters):
    """How many entries ``filters`` select: the total an export's progress counts towards."""
    query = approved_entries_query(**filters).order_by(None).subquery()
    return db.session.scalar(select(func.count()).select_from(query))


def _counted(entries, progress, total, every=200):
    """``entries`` passed through, calling ``progress(done, total)`` every ``every`` entries and at the end."""
    done = 0
    for done, entry in enumerate(entries, start=1):
        if progress and done % every == 0:
            progress(done, total)
        yield entry
    if progress:
        progress(done, total)


def _naive_local(moment, zone):
    """Excel has no time zones: local wall-clock time in ``zone`` (local_zone(), looked up once per export)."""
    return moment.astimezone(zone).replace(tzinfo=None) if moment is not None else None


def lifetime_approved_minutes(member_ids):
    """{member_id: all approved minutes}, for the star level (which a period's hours do not decide)."""
    if not member_ids:
        return {}
    totals = {}
    ids = sorted(member_ids)
    for start in range(0, len(ids), 500):
        rows = db.session.execute(
            select(Shift.member_id, func.coalesce(func.sum(Shift.credited_minutes), 0))
            .where(Shift.status == shift_status("approved"), Shift.member_id.in_(ids[start:start + 500]))
            .group_by(Shift.member_id)
        )
        totals.update((member_id, int(minutes)) for member_id, minutes in rows)
    return totals


def write_workbook(out, progress=None, **filters):
    """Write the workbook of approved hours matching ``filters`` (see approved_entries) to ``out``.

    ``progress(done, total)``, when given, hears how many entries are written so far.
    """
    entries = approved_entries(**filters)
    if progress:
        entries = _counted(entries, progress, count_entries(**filters))
    with Workbook(out) as workbook:
        summary = workbook.add_sheet(T["summary_sheet"], T["summary_columns"], SUMMARY_WIDTHS, SUMMARY_FORMATS)
        detail = workbook.add_sheet(T["detail_sheet"], T["detail_columns"], DETAIL_WIDTHS, DETAIL_FORMATS)
        zone = local_zone()
        members = {}
        for entry in entries:
            started = _naive_local(entry.started_at, zone)
            detail.append((
                entry.member_name, entry.unit_name, entry.post_name, started.date(), started,
                _naive_local(entry.ended_at, zone), entry.minutes, entry.credited_minutes, entry.content,
                entry.reviewer_name, _naive_local(entry.reviewed_at, zone), entry.source_label,
            ))
            totals = members.get(entry.member_id)
            if totals is None:
                totals = members[entry.member_id] = {"entry": entry, "count": 0, "minutes": 0}
            totals["count"] += 1
            totals["minutes"] += entry.credited_minutes
        lifetime = lifetime_approved_minutes(members)
        for member_id, totals in members.items():
            entry = totals["entry"]
            all_minutes = lifetime.get(member_id, 0)
            summary.append((
                entry.member_name, entry.member_unit_name, political_status(entry.is_party_member), totals["count"],
                hours_value(totals["minutes"]), star_level(all_minutes)[0], hours_value(all_minutes),
            ))
        workbook.save()


def _csv_safe(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_platform_csv(out, progress=None, **filters):
    """Write the platform CSV (UTF-8 with BOM, so Excel reads it) of ``filters``' entries to binary ``out``.

    We do not store identity documents: 证件类型 and 证件号码 are left empty for the unit to
    fill in before uploading. ``progress(done, total)`` as for write_workbook.
    """
    entries = approved_entries(**filters)
    if progress:
        entries = _counted(entries, progress, count_entries(**filters))
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(T["platform_columns"])
    for entry in entries:
        writer.writerow([_csv_safe(value) for value in (
            entry.member_name, "", "", f"{entry.local(entry.started_at):%Y-%m-%d}",
            f"{hours_value(entry.credited_minutes):.2f}", entry.post_name, entry.unit_name,
        )])
    text.detach()  # leave ``out`` open for sending


def spooled(write, **filters):
    """What ``write(out, **filters)`` writes, in a temporary file (on disk past a few MB), rewound for sending."""
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    write(out, **filters)
    out.seek(0)
    return out


def workbook_file(**filters):
    """The workbook, ready to send."""
    return spooled(write_workbook, **filters)


def platform_csv_file(**filters):
    """The platform CSV, ready to send."""
    return spooled(write_platform_csv, **filters)
