"""The admins' ratings workbook: one row per rating the caller may see, as the ratings list shows it.

The rows are the admins' view of GET /admin/ratings (server.stats.services.rating_items): the
target, the unit, the case and whether the rating counts; never who rated, nor their contact
(an exported file travels further than the console). Written like the hours workbook
(server.workbook): ratings read in batches, rows streamed, spooled to disk when large.
"""
from sqlalchemy import func, select

from server import messages
from server.extensions import db
from server.hours.export import DATETIME_FORMAT, spooled
from server.messages import RATINGS_EXPORT as T
from server.schemas import local_zone
from server.stats.services import check_order, list_ratings, rating_items, scope_from_args
from server.workbook import Workbook

WIDTHS = (8, 17, 24, 12, 20, 6, 11, 24, 40, 10, 9, 14, 9, 24, 12)
FORMATS = (None, DATETIME_FORMAT) + (None,) * 13
BATCH_SIZE = 500


def filters_from_args(args):
    """The ratings an export request (RatingExportArgsSchema) covers, behind the unit wall.

    A unit admin gets their own unit, and naming another unit, window or member is a 422 on
    that field (server.stats.services.scope_from_args); the bureau may leave the unit out.
    """
    check_order(args.get("from_"), args.get("to"))
    scope = scope_from_args(args)
    return {"unit_id": scope.unit_id, "window_id": scope.window_id, "member_id": scope.member_id,
            "score": args.get("score"), "from_": args.get("from_"), "to": args.get("to")}


def download_name(filters, extension):
    """ratings-unit-3-2026-11-01-2026-11-30.xlsx."""
    scope = f"unit-{filters['unit_id']}" if filters["unit_id"] else "all"
    return f"ratings-{scope}-{filters['from_'] or 'start'}-{filters['to'] or 'now'}.{extension}"


def count_ratings(**filters):
    """How many ratings ``filters`` select."""
    return db.session.scalar(select(func.count()).select_from(list_ratings(filters).order_by(None).subquery()))


def _row(item, zone):
    case = item["case"]
    return (
        item["id"], item["created_at"].astimezone(zone).replace(tzinfo=None), item["unit"]["name"],
        T["target_kinds"][item["target"]["kind"]], item["target"]["name"], item["score"],
        item["score_label"], "、".join(item["tags"]), item["comment"],
        T["comment_status"].get(item["comment_status"], item["comment_status"]) if item["comment"] else "",
        case["id"] if case else None, messages.CASE_STATUS_LABELS.get(case["status"], "") if case else "",
        T["counted"][not item["excluded"]], item["excluded_reason"] or "", item["follow_up_of_id"],
    )


def write_workbook(out, progress=None, **filters):
    """Write the workbook of the ratings ``filters`` select (newest first) to ``out``.

    ``progress(done, total)``, when given, hears how many ratings are written so far.
    """
    total = count_ratings(**filters) if progress else None
    with Workbook(out) as workbook:
        sheet = workbook.add_sheet(T["sheet"], T["columns"], WIDTHS, FORMATS)
        zone = local_zone()
        done = 0
        ratings = db.session.scalars(list_ratings(filters).execution_options(yield_per=BATCH_SIZE))
        for batch in ratings.partitions(BATCH_SIZE):
            for item in rating_items(batch):
                sheet.append(_row(item, zone))
            done += len(batch)
            if progress:
                progress(done, total)
        workbook.save()
    if progress:
        progress(done, total)


def workbook_file(**filters):
    """The workbook, ready to send."""
    return spooled(write_workbook, **filters)
