"""The dashboard's charts as inline SVG, drawn on the server: no script library, no CDN.

Each chart is an ``<svg role="img">`` with a ``<title>`` and ``<desc>`` for screen readers,
and every bar, point and cell carries its own ``<title>`` with its numbers (the browser
shows it as a tooltip). The figures come as the stats service returns them (StatsSchema);
every word comes from the console's text module, passed in as ``t`` (T["dashboard"]).
"""
import math
from itertools import count

from markupsafe import Markup, escape

GOOD, NEUTRAL, BAD = "#2e8b57", "#e6a817", "#c8102e"
LINE, GOAL, GRID, AXIS, MUTED = "#1c5fb8", "#9b0c23", "#e6e6e6", "#888", "#555"
APPROVED, PENDING = "#c8102e", "#f3b0ba"
EMPTY_CELL = "#f2f2f2"
ROUNDED = ' rx="2"'
_ids = count(1)


# --- Formatting shared with the page ---

def percent(rate, digits=1):
    """0.9234 → "92.3%"; None (nothing to divide) → "—"."""
    return "—" if rate is None else f"{rate * 100:.{digits}f}%"


def number(value):
    """Hours and counts: 12.0 → "12", 12.5 → "12.5", 1234 → "1,234"."""
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{int(value):,}"


def day_label(t, day):
    return t["day"].format(month=day.month, day=day.day)


def month_label(t, first, with_year=False):
    if with_year:
        return t["year_month"].format(year=first.year, month=first.month)
    return t["month"].format(month=first.month)


# --- SVG building blocks ---

def _f(value):
    """A coordinate, short."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(x, y, content, size=12, anchor="middle", fill=MUTED, weight=None, extra=""):
    bold = f' font-weight="{weight}"' if weight else ""
    return (f'<text x="{_f(x)}" y="{_f(y)}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{bold}{extra}>'
            f"{escape(content)}</text>")


def _rect(x, y, width, height, fill, extra=""):
    return f'<rect x="{_f(x)}" y="{_f(y)}" width="{_f(width)}" height="{_f(height)}" fill="{fill}"{extra}/>'


def _svg(width, height, title, desc, body, css_class=""):
    """The chart's outer element: sized by its viewBox, labelled by its title and description."""
    ident = f"chart-{next(_ids)}"
    return Markup(
        f'<svg class="{css_class}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(desc)}</desc>'
        f"{''.join(body)}</svg>"
    )


def nice_ticks(maximum, target=5):
    """Whole tick values from 0 covering ``maximum`` (at least 1), about ``target`` steps of 1, 2 or 5 × 10ⁿ."""
    maximum = max(maximum, 1)
    raw = maximum / target
    magnitude = 10 ** math.floor(math.log10(raw))
    step = max(1, next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw))
    return [int(step * n) for n in range(math.ceil(maximum / step) + 1)]


def _legend(x, y, items, size=12):
    """Swatches and labels in a row from (x, y); items: (label, colour, kind) with kind rect|line|dash."""
    parts = []
    for label, colour, kind in items:
        if kind == "rect":
            parts.append(_rect(x, y - 9, 12, 10, colour))
        else:
            dash = ' stroke-dasharray="5 3"' if kind == "dash" else ""
            parts.append(f'<line x1="{_f(x)}" y1="{_f(y - 4)}" x2="{_f(x + 14)}" y2="{_f(y - 4)}" stroke="{colour}" '
                         f'stroke-width="2"{dash}/>')
        parts.append(_text(x + 18, y, label, size=size, anchor="start", fill="#333"))
        x += 18 + len(label) * size * 0.95 + 16
    return "".join(parts)


def _legend_width(items, size=12):
    return sum(18 + len(label) * size * 0.95 + 16 for label, _, _ in items) - 16


# --- Ratings by day: stacked good / neutral / bad columns, the daily satisfaction rate and the goal ---

def ratings_by_day_chart(by_day, goal, t):
    """Columns of each day's ratings (good, neutral, bad stacked) and its satisfaction rate on a right axis."""
    width, height = 960, 310
    left, right, top, bottom = 56, 60, 34, 58
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(by_day), 1)
    ticks = nice_ticks(max((day["ratings"] for day in by_day), default=0))
    y_max = ticks[-1]
    slot = plot_w / n
    bar = max(min(slot * 0.7, 36), 1)

    def y_count(value):
        return top + plot_h - value / y_max * plot_h

    def y_rate(rate):
        return top + plot_h - rate * plot_h

    body = []
    for value in ticks:
        y = y_count(value)
        body.append(f'<line x1="{left}" y1="{_f(y)}" x2="{left + plot_w}" y2="{_f(y)}" stroke="{GRID}"/>')
        body.append(_text(left - 8, y + 4, number(value), size=11, anchor="end"))
    for rate in (0, 0.25, 0.5, 0.75, 1):
        if abs(rate - goal) >= 0.06:
            body.append(_text(left + plot_w + 8, y_rate(rate) + 4, percent(rate, 0), size=11, anchor="start",
                              fill=LINE))
    goal_y = y_rate(goal)
    body.append(f'<line x1="{left}" y1="{_f(goal_y)}" x2="{left + plot_w}" y2="{_f(goal_y)}" stroke="{GOAL}" '
                f'stroke-width="1.5" stroke-dasharray="6 4"/>')
    body.append(_text(left + plot_w + 8, goal_y + 4, percent(goal, 0), size=11, anchor="start", fill=GOAL,
                      weight="bold"))

    label_every = max(1, math.ceil(n / 12))
    points = []
    for index, day in enumerate(by_day):
        x = left + slot * index + (slot - bar) / 2
        neutral = day["satisfied"] - day["good"]
        tip = t["chart_by_day_tip"].format(date=day_label(t, day["date"]), ratings=day["ratings"], good=day["good"],
                                          neutral=neutral, bad=day["bad"], rate=percent(day["satisfaction_rate"]))
        stack, base = [], y_count(0)
        for value, colour in ((day["bad"], BAD), (neutral, NEUTRAL), (day["good"], GOOD)):
            if value:
                h = value / y_max * plot_h
                stack.append(_rect(x, base - h, bar, h, colour))
                base -= h
        # A transparent full-height target, so the tooltip shows wherever the pointer is over the day.
        body.append(f'<g class="day"><title>{escape(tip)}</title>'
                    f'{_rect(left + slot * index, top, slot, plot_h, "transparent")}'
                    f'{"".join(stack)}</g>')
        if index % label_every == 0:
            body.append(_text(left + slot * index + slot / 2, top + plot_h + 17, day_label(t, day["date"]), size=11))
        if day["satisfaction_rate"] is not None:
            points.append((left + slot * index + slot / 2, y_rate(day["satisfaction_rate"]), tip))
        else:
            points.append(None)
    # The rate line breaks across days without ratings.
    segments, current = [], []
    for point in points + [None]:
        if point is None:
            if len(current) > 1:
                segments.append(current)
            current = []
        else:
            current.append(point)
    for segment in segments:
        path = " ".join(f"{'M' if i == 0 else 'L'}{_f(x)},{_f(y)}" for i, (x, y, _) in enumerate(segment))
        body.append(f'<path d="{path}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    if n <= 62:
        for point in points:
            if point is not None:
                x, y, tip = point
                body.append(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="3" fill="#fff" stroke="{LINE}" stroke-width="1.5">'
                            f"<title>{escape(tip)}</title></circle>")
    body.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{AXIS}"/>')
    body.append(_text(left + plot_w / 2, height - 8, t["chart_by_day_x"], size=12))
    body.append(_text(16, top + plot_h / 2, t["chart_by_day_y"], size=12,
                      extra=f' transform="rotate(-90 16 {_f(top + plot_h / 2)})"'))
    body.append(_text(width - 12, top + plot_h / 2, t["chart_by_day_y2"], size=12, fill=LINE,
                      extra=f' transform="rotate(90 {width - 12} {_f(top + plot_h / 2)})"'))
    legend = [(t["legend_good"], GOOD, "rect"), (t["legend_neutral"], NEUTRAL, "rect"), (t["legend_bad"], BAD, "rect"),
              (t["legend_rate"], LINE, "line"), (t["goal_line"].format(goal=percent(goal, 0)), GOAL, "dash")]
    body.append(_legend(width - right - _legend_width(legend), 16, legend))
    total = sum(day["ratings"] for day in by_day)
    desc = t["chart_by_day_desc"].format(days=len(by_day), ratings=total)
    return _svg(width, height, t["chart_by_day"], desc, body)


# --- Satisfaction by unit: horizontal bars against the goal line ---

def satisfaction_by_unit_chart(units, goal, t):
    """One bar per unit (best first, units without ratings last), the goal as a dashed line."""
    rows = sorted(units, key=lambda u: (u["satisfaction_rate"] is None, -(u["satisfaction_rate"] or 0), u["unit_id"]))
    width, row_h = 620, 32
    left, right, top, bottom = 212, 100, 30, 44
    plot_w = width - left - right
    height = top + row_h * max(len(rows), 1) + bottom

    def x_at(rate):
        return left + rate * plot_w

    body = []
    for rate in (0, 0.2, 0.4, 0.6, 0.8, 1):
        x = x_at(rate)
        body.append(f'<line x1="{_f(x)}" y1="{top - 4}" x2="{_f(x)}" y2="{height - bottom}" stroke="{GRID}"/>')
        body.append(_text(x, height - bottom + 16, percent(rate, 0), size=11))
    for index, unit in enumerate(rows):
        y = top + index * row_h
        name = unit["unit"]["name"]
        short = name if len(name) <= 15 else name[:14] + "…"
        rate = unit["satisfaction_rate"]
        tip = (t["chart_by_unit_tip"].format(unit=name, rate=percent(rate), ratings=unit["ratings"])
               if rate is not None else f"{name}：{t['no_ratings']}")
        parts = [f"<title>{escape(tip)}</title>",
                 _text(left - 8, y + row_h / 2 + 4, short, size=13, anchor="end", fill="#222")]
        if rate is None:
            parts.append(_text(left + 6, y + row_h / 2 + 4, t["no_ratings"], size=11, anchor="start", fill="#999"))
        else:
            colour = GOOD if rate >= goal else BAD
            parts.append(_rect(left, y + 6, max(rate * plot_w, 1), row_h - 12, colour, ROUNDED))
            value = f"{percent(rate)}（{unit['ratings']}{t['unit_ratings']}）"
            parts.append(_text(x_at(rate) + 6, y + row_h / 2 + 4, value, size=12, anchor="start", fill="#222"))
        body.append(f'<g class="unit-bar">{"".join(parts)}</g>')
    goal_x = x_at(goal)
    body.append(f'<line x1="{_f(goal_x)}" y1="{top - 8}" x2="{_f(goal_x)}" y2="{height - bottom}" stroke="{GOAL}" '
                f'stroke-width="1.5" stroke-dasharray="6 4"/>')
    body.append(_text(goal_x, top - 12, t["goal_line"].format(goal=percent(goal, 0)), size=11, fill=GOAL))
    body.append(f'<line x1="{left}" y1="{top - 4}" x2="{left}" y2="{height - bottom}" stroke="{AXIS}"/>')
    body.append(_text(left + plot_w / 2, height - 6, t["chart_by_unit_x"], size=12))
    desc = t["chart_by_unit_desc"].format(units=len(rows), goal=percent(goal, 0),
                                           meeting=sum(1 for u in rows if u["satisfaction_rate"] is not None
                                                       and u["satisfaction_rate"] >= goal))
    return _svg(width, height, t["chart_by_unit"], desc, body)


# --- Weekday × hour heat map ---

def _shade(share):
    """White-pink to the brand red as ``share`` goes from just above 0 to 1."""
    low, high = (253, 226, 228), (155, 12, 35)
    mix = [round(a + (b - a) * share) for a, b in zip(low, high)]
    return "#%02x%02x%02x" % tuple(mix)


def heatmap_chart(grid, t):
    """7 rows (Monday first) × 24 local hours; each cell's shade and number is its ratings."""
    cell_w, cell_h = 36, 28
    left, top, right, bottom = 48, 12, 12, 70
    width = left + 24 * cell_w + right
    height = top + 7 * cell_h + bottom
    peak = max((max(row) for row in grid), default=0)
    body = []
    for day, row in enumerate(grid):
        y = top + day * cell_h
        body.append(_text(left - 8, y + cell_h / 2 + 4, t["weekdays"][day], size=12, anchor="end", fill="#222"))
        for hour, value in enumerate(row):
            x = left + hour * cell_w
            share = value / peak if peak else 0
            fill = _shade(share) if value else EMPTY_CELL
            tip = t["chart_heatmap_tip"].format(weekday=t["weekdays"][day], hour=hour, count=value)
            label = ""
            if value:
                label = _text(x + cell_w / 2, y + cell_h / 2 + 4, str(value), size=10,
                              fill="#fff" if share > 0.55 else "#5a1a22")
            body.append(f'<g class="cell"><title>{escape(tip)}</title>'
                        f'{_rect(x + 1, y + 1, cell_w - 2, cell_h - 2, fill, ROUNDED)}{label}</g>')
    for hour in range(24):
        body.append(_text(left + hour * cell_w + cell_w / 2, top + 7 * cell_h + 15, str(hour), size=11))
    body.append(_text(left + 12 * cell_w, top + 7 * cell_h + 34, t["chart_heatmap_x"], size=12))
    # The scale: five swatches from few to many, with the busiest cell's count.
    scale_y = height - 18
    x = left
    body.append(_text(x, scale_y + 10, t["chart_heatmap_scale"], size=11, anchor="start"))
    x += 70
    for share in (0, 0.25, 0.5, 0.75, 1):
        fill = EMPTY_CELL if share == 0 else _shade(share)
        body.append(_rect(x, scale_y, 22, 12, fill))
        x += 24
    body.append(_text(x + 6, scale_y + 10, t["chart_heatmap_peak"].format(count=peak) if peak else t["no_ratings"],
                      size=11, anchor="start"))
    busiest = [(value, day, hour) for day, row in enumerate(grid) for hour, value in enumerate(row)]
    value, day, hour = max(busiest, default=(0, 0, 0))
    desc = (t["chart_heatmap_desc"].format(weekday=t["weekdays"][day], hour=hour, count=value) if value
            else t["no_ratings"])
    return _svg(width, height, t["chart_heatmap"], desc, body)


# --- Hours by month: approved and pending stacked ---

def hours_by_month_chart(months, t):
    """One column per month: approved hours, with the hours still waiting for review on top."""
    width, height = 620, 300
    left, right, top, bottom = 56, 16, 34, 62
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(months), 1)
    ticks = nice_ticks(max((m["hours_approved"] + m["hours_pending"] for m in months), default=0))
    y_max = ticks[-1]
    slot = plot_w / n
    bar = min(slot * 0.62, 40)

    def y_at(value):
        return top + plot_h - value / y_max * plot_h

    body = []
    for value in ticks:
        y = y_at(value)
        body.append(f'<line x1="{left}" y1="{_f(y)}" x2="{left + plot_w}" y2="{_f(y)}" stroke="{GRID}"/>')
        body.append(_text(left - 8, y + 4, number(value), size=11, anchor="end"))
    for index, month in enumerate(months):
        first = month["first"]
        x = left + slot * index + (slot - bar) / 2
        label = month_label(t, first, with_year=True)
        tip = t["chart_hours_tip"].format(month=label, approved=number(month["hours_approved"]),
                                          pending=number(month["hours_pending"]))
        parts = [f"<title>{escape(tip)}</title>"]
        base = y_at(0)
        for value, colour in ((month["hours_approved"], APPROVED), (month["hours_pending"], PENDING)):
            if value:
                h = value / y_max * plot_h
                parts.append(_rect(x, base - h, bar, h, colour))
                base -= h
        if month["hours_approved"]:
            parts.append(_text(x + bar / 2, base - 4, number(round(month["hours_approved"])), size=10, fill="#333"))
        body.append(f'<g class="month">{"".join(parts)}</g>')
        centre = left + slot * index + slot / 2
        body.append(_text(centre, top + plot_h + 16, month_label(t, first), size=11))
        if index == 0 or first.month == 1:
            body.append(_text(centre, top + plot_h + 30, str(first.year), size=10, fill="#888"))
    body.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{AXIS}"/>')
    body.append(_text(left + plot_w / 2, height - 8, t["chart_hours_x"], size=12))
    body.append(_text(16, top + plot_h / 2, t["chart_hours_y"], size=12,
                      extra=f' transform="rotate(-90 16 {_f(top + plot_h / 2)})"'))
    legend = [(t["legend_approved"], APPROVED, "rect"), (t["legend_pending"], PENDING, "rect")]
    body.append(_legend(width - right - _legend_width(legend), 16, legend))
    desc = t["chart_hours_desc"].format(months=len(months),
                                        approved=number(round(sum(m["hours_approved"] for m in months), 2)),
                                        pending=number(round(sum(m["hours_pending"] for m in months), 2)))
    return _svg(width, height, t["chart_hours"], desc, body)
