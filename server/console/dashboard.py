"""The dashboard (数据看板): the admin's figures over a period, drawn from the API's own services.

Every number on the page is what ``GET /api/v1/admin/stats`` answers for the same scope and
period (server.stats.services.stats, same arguments, same schema), and the bureau's ranking
is ``GET /api/v1/admin/rankings`` for the month the period ends in: nothing is counted twice.
"""
import datetime as dt

from flask import render_template, request, url_for

from server import messages
from server.auth.walls import get_walled, walled_select, walled_unit_id
from server.console import bp, charts
from server.console.forms import form_values, load_form, service_errors
from server.console.session import page_login_required
from server.console.text import T
from server.errors import ApiError
from server.extensions import db
from server.models import Unit
from server.stats import services
from server.stats.schemas import StatsArgsSchema

FIELDS = ("unit_id", "from", "to")
# Shortcut periods: (label key, days back from today or None for this month).
PRESETS = (("last_7", 7), ("last_30", 30), ("this_month", None), ("last_365", 365))


@bp.route("/dashboard")
@page_login_required()
def dashboard():
    """Ratings, satisfaction, cases, the zeros and hours of the admin's scope over a period, with charts."""
    values = form_values(request.args, FIELDS)
    args, errors = load_form(StatsArgsSchema(), values)
    figures = ranking = None
    if args is not None:
        if args.get("unit_id") is not None:
            get_walled(Unit, args["unit_id"])  # another unit's dashboard: the wall's 404 page
        try:
            figures = services.stats({**args, "include": services.INCLUDABLE})
            if walled_unit_id() is None:
                ranking = services.rankings({"from_": figures["to"].replace(day=1), "to": figures["to"]})
        except ApiError as error:
            if error.status != 422:
                raise
            errors, figures, ranking = service_errors(error), None, None
    context = {
        "figures": figures, "ranking": ranking, "values": values, "errors": errors or {},
        "units": db.session.scalars(walled_select(Unit).order_by(Unit.id)).all(),
        "bureau": walled_unit_id() is None,
        "presets": preset_links(args.get("unit_id") if args else None),
        "score_labels": messages.SCORE_LABELS,
        "percent": charts.percent, "number": charts.number,
        "d": T["dashboard"],
    }
    if figures is not None:
        context.update(scope_name=scope_name(figures), charts=draw_charts(figures),
                       formula=ranking_formula() if ranking else None)
    return render_template("console/dashboard.html", **context), 200 if errors is None else 422


def scope_name(figures):
    """The unit shown, or the whole bureau."""
    if figures["unit_id"] is None:
        return T["dashboard"]["scope_bureau"]
    return db.session.get(Unit, figures["unit_id"]).name


def draw_charts(figures):
    """The four charts of the figures, as inline SVG."""
    d, goal = T["dashboard"], figures["goal"]
    return {
        "by_day": charts.ratings_by_day_chart(figures["by_day"], goal, d),
        "by_unit": charts.satisfaction_by_unit_chart(figures["by_unit"], goal, d),
        "heatmap": charts.heatmap_chart(figures["by_weekday_hour"], d),
        "hours": charts.hours_by_month_chart(figures["hours_by_month"], d),
    }


def ranking_formula():
    """The composite score's weights in words, e.g. 满意率×50% + 好评率×20% + 按时答复率×30%."""
    names = T["dashboard"]["weight_names"]
    return " + ".join(f"{names[name]}×{weight:.0%}" for name, weight in services.COMPOSITE_WEIGHTS.items())


def preset_links(unit_id):
    """(label, URL) of the shortcut periods, ending today, for the same unit."""
    today = services.local_today()
    links = []
    for key, days in PRESETS:
        first = today.replace(day=1) if days is None else today - dt.timedelta(days=days - 1)
        query = {"from": first.isoformat(), "to": today.isoformat()}
        if unit_id:
            query["unit_id"] = unit_id
        links.append((T["dashboard"][key], url_for("console.dashboard", **query)))
    return links
