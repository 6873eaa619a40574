"""Server-side SVG charts for the Reports page (no front-end build step, no script).

Pure functions: data in, a :class:`Chart` out — its SVG markup (every label escaped) and the same figures as a
small table (:class:`ChartTable`), which the page shows as the accessible alternative (``<details>`` under the
chart) and which a screen reader reaches through ``aria-describedby``. Each SVG has ``role="img"``, a ``<title>``
and a ``viewBox`` with no fixed width, so it scales to its container (readable at 390 px). Colours keep a contrast
ratio of at least 4.5:1 on white (text) or 3:1 (marks, WCAG 1.4.11); the previous period is dashed, so the two
lines differ by more than colour.

Numbers and dates are formatted by the callers' ``fmt`` functions (:func:`number`, :func:`percent`,
:func:`duration` for French and English with Babel) so a chart shows what the tiles and tables show.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import count

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from markupsafe import Markup, escape

Fmt = Callable[[float], str]

#: The current period's colour (7.0:1 on white), the previous period's (5.7:1, dashed), the objective's (dark red,
#: 7.3:1), the grid (marks that carry no data), the text.
CURRENT = "#1f4fc1"
PREVIOUS = "#5d6678"
TARGET = "#a4161a"
GRID = "#dde1e8"
TEXT = "#1d2330"
MUTED = "#5d6678"
#: The heatmap's sequential scale, light to dark (the lightest still 3:1 against the empty-cell colour is not
#: needed: every cell's value is in the table alternative).
HEAT = ("#f1f4fb", "#d3def7", "#a9bff0", "#7b9be6", "#4d74d8", "#2a53bf", "#173a94")
EMPTY = "#f5f6f8"

_ids = count(1)
#: horizontal grid lines above zero on a value axis (with nice_max's tops: round steps)
TICKS = 5


@dataclass(frozen=True)
class ChartTable:
    """The chart's figures as text: a caption, column headers and rows (already formatted)."""

    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Chart:
    """One chart: ``svg`` (safe markup), its ``title``, the ``table`` alternative, and ``empty`` when there was
    nothing to draw (the SVG then says so)."""

    id: str
    title: str
    svg: Markup
    table: ChartTable
    empty: bool = False
    legend: tuple[tuple[str, str, bool], ...] = field(default=())  # (label, colour, dashed)


# --- formats -------------------------------------------------------------------------------------------------------

@lru_cache(maxsize=4096, typed=True)  # a report formats the same few values over and over
def number(value: float | None, lang: str, digits: int = 0) -> str:
    """``1,234`` / ``1 234`` (French uses a narrow no-break space); ``—`` for no value."""
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return str(format_decimal(value, pattern, locale=lang))


@lru_cache(maxsize=4096, typed=True)
def percent(value: float | None, lang: str, digits: int = 1) -> str:
    """A share given in percent (``93.4``, as the figures give it): ``93.4%`` / ``93,4 %``; ``—`` for no value."""
    if value is None:
        return "—"
    text = format_decimal(value, "#,##0" + ("." + "#" * digits if digits else ""), locale=lang)
    return f"{text}\u202f%" if lang == "fr" else f"{text}%"


def duration(seconds: float | None, lang: str) -> str:
    """A duration, compactly and exactly enough for a report: ``45 s``, ``12 min``, ``1 h 05``, ``2 d 3 h``
    (``2 j 3 h`` in French); ``—`` for no value."""
    if seconds is None:
        return "—"
    total = max(0, round(seconds))
    if total < 60:
        return f"{total}\u00a0s"
    minutes = total // 60
    if minutes < 60:
        return f"{minutes}\u00a0min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}\u00a0h\u00a0{minutes:02d}" if minutes else f"{hours}\u00a0h"
    days, hours = divmod(hours, 24)
    day = "j" if lang == "fr" else "d"
    return f"{days}\u00a0{day}\u00a0{hours}\u00a0h" if hours else f"{days}\u00a0{day}"


@lru_cache(maxsize=4096, typed=True)
def day_label(day: date, lang: str) -> str:
    """``6 Dec`` / ``6 déc.``"""
    return str(format_date(day, "d MMM", locale=lang))


def weekday_names(lang: str) -> tuple[str, ...]:
    """Monday first, abbreviated: ``Mon``… / ``lun.``…"""
    days = Locale.parse(lang).days["format"]["abbreviated"]
    return tuple(str(days[i]) for i in range(7))


# --- helpers -------------------------------------------------------------------------------------------------------

def _id(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


def _num(value: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def nice_max(value: float) -> float:
    """The top of an axis: the smallest 1, 2, 2.5 or 5 × 10^n at or above ``value`` (1 for no data)."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        top = step * 10**exponent
        if top >= value * (1 - 1e-9):
            return float(top)
    return float(10.0 ** (exponent + 1))  # pragma: no cover - the loop always returns


#: round steps for a time axis (seconds), 10 s … 30 days, chosen so that every multiple reads exactly in
#: :func:`duration` (no 20 s step: 80 s would read "1 min")
_TIME_STEPS = (10, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 432000, 864000,
               2592000)


def nice_duration_max(seconds: float) -> float:
    """The top of a time axis: :data:`TICKS` round steps (1, 2, 5, 10, 15, 30 min, 1, 2, 3, 6, 12 h, days…) at or
    above ``seconds``, so every tick reads as a whole duration."""
    if seconds <= 0 or not math.isfinite(seconds):
        return float(TICKS * _TIME_STEPS[0])
    for step in _TIME_STEPS:
        if step * TICKS >= seconds:
            return float(step * TICKS)
    return nice_max(seconds)


def _svg(chart_id: str, title: str, width: int, height: int, body: str, desc: str = "") -> Markup:
    t = escape(title)
    described = f' aria-describedby="{chart_id}-desc"' if desc else ""
    return Markup(  # noqa: S704 (every text below went through escape())
        f'<svg class="chart-svg" id="{chart_id}" viewBox="0 0 {width} {height}" preserveAspectRatio="xMidYMid meet" '
        f'role="img" aria-labelledby="{chart_id}-title"{described} xmlns="http://www.w3.org/2000/svg" '
        f'font-family="system-ui, sans-serif">'
        f'<title id="{chart_id}-title">{t}</title>'
        + (f'<desc id="{chart_id}-desc">{escape(desc)}</desc>' if desc else "")
        + body + "</svg>"
    )


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: int = 12, fill: str = TEXT,
          weight: str = "") -> str:
    bold = f' font-weight="{weight}"' if weight else ""
    return (f'<text x="{_num(x)}" y="{_num(y)}" font-size="{size}" fill="{fill}" text-anchor="{anchor}"{bold}>'
            f"{escape(text)}</text>")


def _empty(chart_id: str, title: str, message: str, headers: tuple[str, ...], width: int = 440,
           height: int = 120) -> Chart:
    body = (f'<rect x="0" y="0" width="{width}" height="{height}" fill="{EMPTY}" rx="6"/>'
            + _text(width / 2, height / 2 + 5, message, anchor="middle", size=14, fill=MUTED))
    return Chart(chart_id, title, _svg(chart_id, title, width, height, body), ChartTable(title, headers, ()),
                 empty=True)


def _cell(values: Sequence[float | None], i: int, fmt: Fmt) -> str:
    value = values[i] if i < len(values) else None
    return "—" if value is None else fmt(value)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- trend lines ---------------------------------------------------------------------------------------------------

def trend(title: str, labels: Sequence[str], current: Sequence[float | None],
          previous: Sequence[float | None] | None = None, *, fmt: Fmt, lang: str,
          current_label: str = "This period", previous_label: str = "Previous period",
          empty_message: str = "No data for this period", label_header: str = "", min_top: float = 0,
          durations: bool = False) -> Chart:
    """A line per period over the same buckets (``labels``: days or hours, already formatted): the current period
    solid, the previous one dashed (its i-th point is the same offset into the previous period). ``None`` is a
    gap (no data in that bucket: no answer to measure, say), not a zero. The value axis goes at least up to
    ``min_top`` (5 for counts, so its ticks are whole numbers); with ``durations``, its ticks are round durations."""
    chart_id = _id("trend")
    n = len(labels)
    prev = list(previous) if previous is not None else []
    headers = (label_header, current_label) + ((previous_label,) if previous is not None else ())
    values = [v for v in list(current) + prev if v is not None]
    if n == 0 or not values:
        return _empty(chart_id, title, empty_message, headers)
    width, height = 440, 230
    left, right, top, bottom = 62, 12, 14, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = (nice_duration_max if durations else nice_max)(max(max(values), min_top))

    def x(i: int) -> float:
        return left + (plot_w / 2 if n == 1 else plot_w * i / (n - 1))

    def y(v: float) -> float:
        return top + plot_h * (1 - max(v, 0) / top_value)

    parts: list[str] = []
    for k in range(TICKS + 1):  # grid and y labels
        v = top_value * k / TICKS
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{_num(y(v))}" y2="{_num(y(v))}" '
                     f'stroke="{GRID}" stroke-width="1"/>')
        parts.append(_text(left - 6, y(v) + 4, fmt(v), anchor="end", size=14, fill=MUTED))
    step = max(1, math.ceil(n / 5))  # at most about 5 x labels, so they never overlap at phone width
    for i in range(0, n, step):
        parts.append(_text(x(i), height - 8, _shorten(labels[i], 10), anchor="middle", size=14, fill=MUTED))

    def series(points: Sequence[float | None], colour: str, dashed: bool) -> None:
        runs: list[list[tuple[float, float]]] = [[]]
        for i, v in enumerate(points[:n]):
            if v is None:
                if runs[-1]:
                    runs.append([])
                continue
            runs[-1].append((x(i), y(v)))
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        for run in runs:
            if len(run) > 1:
                d = " ".join(f"{_num(px)},{_num(py)}" for px, py in run)
                parts.append(f'<polyline points="{d}" fill="none" stroke="{colour}" stroke-width="2.5"{dash} '
                             f'stroke-linejoin="round" stroke-linecap="round"/>')
            for px, py in run if (len(run) == 1 or not dashed) else ():
                parts.append(f'<circle cx="{_num(px)}" cy="{_num(py)}" r="3" fill="{colour}"/>')

    if previous is not None:
        series(prev, PREVIOUS, True)
    series(list(current), CURRENT, False)
    rows = tuple(
        (labels[i], _cell(current, i, fmt)) + ((_cell(prev, i, fmt),) if previous is not None else ())
        for i in range(n)
    )
    legend = ((current_label, CURRENT, False),) + (((previous_label, PREVIOUS, True),) if previous is not None
                                                   else ())
    return Chart(chart_id, title, _svg(chart_id, title, width, height, "".join(parts)),
                 ChartTable(title, headers, rows), legend=legend)


# --- horizontal bars -----------------------------------------------------------------------------------------------

def bars(title: str, items: Sequence[tuple[str, float | None]], *, fmt: Fmt,
         previous: Sequence[float | None] | None = None, current_label: str = "This period",
         previous_label: str = "Previous period", empty_message: str = "No data for this period",
         label_header: str = "") -> Chart:
    """Horizontal bars (by network, channel account, intent...): one row per item, its label on the left and its
    value at the end of the bar, so long names stay readable on a phone. With ``previous``, a thin dashed marker
    shows the same item's previous value."""
    chart_id = _id("bars")
    headers = (label_header, current_label) + ((previous_label,) if previous is not None else ())
    values = [v for _, v in items if v is not None] + [v for v in (previous or ()) if v is not None]
    if not items or not values:
        return _empty(chart_id, title, empty_message, headers)
    row_h, gap = 26, 8
    width = 440
    label_w, value_w = 150, 70
    plot_w = width - label_w - value_w
    height = len(items) * (row_h + gap) + gap
    top_value = nice_max(max(values))
    parts: list[str] = []
    for i, (label, value) in enumerate(items):
        y0 = gap + i * (row_h + gap)
        parts.append(_text(0, y0 + row_h / 2 + 5, _shorten(label, 17), size=14))
        parts.append(f'<rect x="{label_w}" y="{y0}" width="{plot_w}" height="{row_h}" fill="{EMPTY}" rx="3"/>')
        if value is not None and value > 0:
            w = plot_w * min(value, top_value) / top_value
            parts.append(f'<rect x="{label_w}" y="{y0}" width="{_num(max(w, 1))}" height="{row_h}" '
                         f'fill="{CURRENT}" rx="3"/>')
        if previous is not None and i < len(previous) and previous[i] is not None:
            px = label_w + plot_w * min(max(previous[i] or 0, 0), top_value) / top_value
            parts.append(f'<line x1="{_num(px)}" x2="{_num(px)}" y1="{y0 - 3}" y2="{y0 + row_h + 3}" '
                         f'stroke="{PREVIOUS}" stroke-width="2.5" stroke-dasharray="3 2"/>')
        parts.append(_text(label_w + plot_w + 6, y0 + row_h / 2 + 5, fmt(value) if value is not None else "—",
                           size=14, weight="600"))
    rows = tuple(
        (label, fmt(value) if value is not None else "—")
        + ((_cell(previous, i, fmt),) if previous is not None else ())
        for i, (label, value) in enumerate(items)
    )
    legend = ((current_label, CURRENT, False),) + (((previous_label, PREVIOUS, True),) if previous is not None
                                                   else ())
    return Chart(chart_id, title, _svg(chart_id, title, width, height, "".join(parts)),
                 ChartTable(title, headers, rows), legend=legend)


# --- histogram -----------------------------------------------------------------------------------------------------

def histogram(title: str, buckets: Sequence[tuple[str, int]], *, lang: str,
              highlight_until: int | None = None, empty_message: str = "No data for this period",
              bucket_header: str = "", count_header: str = "", within_label: str = "",
              beyond_label: str = "") -> Chart:
    """The distribution of response times: one vertical bar per bucket (``(label, count)``, labels such as
    ``< 15 min``), the first ``highlight_until`` buckets (within the target) in the main colour and the others
    hatched darker, so the target shows without relying on colour alone."""
    chart_id = _id("hist")
    headers = (bucket_header, count_header)
    total = sum(c for _, c in buckets)
    if not buckets or total == 0:
        return _empty(chart_id, title, empty_message, headers)
    width, height = 440, 230
    left, right, top, bottom = 44, 8, 18, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = nice_max(max(max(c for _, c in buckets), TICKS))
    n = len(buckets)
    slot = plot_w / n
    bar_w = slot * 0.78
    parts: list[str] = [
        '<defs><pattern id="' + chart_id + '-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="' + PREVIOUS + '"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2"/></pattern></defs>'
    ]
    for k in range(TICKS + 1):
        v = top_value * k / TICKS
        yy = top + plot_h * (1 - v / top_value)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{_num(yy)}" y2="{_num(yy)}" stroke="{GRID}"/>')
        parts.append(_text(left - 6, yy + 4, number(v, lang), anchor="end", size=14, fill=MUTED))
    label_step = max(1, math.ceil(n / 5))
    for i, (label, c) in enumerate(buckets):
        h = plot_h * c / top_value
        bx = left + i * slot + (slot - bar_w) / 2
        within = highlight_until is None or i < highlight_until
        fill = CURRENT if within else f"url(#{chart_id}-hatch)"
        if c > 0:
            parts.append(f'<rect x="{_num(bx)}" y="{_num(top + plot_h - h)}" width="{_num(bar_w)}" '
                         f'height="{_num(max(h, 1))}" fill="{fill}"/>')
        if i % label_step == 0:
            parts.append(_text(bx + bar_w / 2, height - 12, _shorten(label, 9), anchor="middle", size=14,
                               fill=MUTED))
    if highlight_until is not None and 0 < highlight_until < n:
        tx = left + highlight_until * slot
        parts.append(f'<line x1="{_num(tx)}" x2="{_num(tx)}" y1="{top - 8}" y2="{top + plot_h}" stroke="{TARGET}" '
                     f'stroke-width="2" stroke-dasharray="4 3"/>')
    rows = tuple((label, number(c, lang)) for label, c in buckets)
    legend: tuple[tuple[str, str, bool], ...] = ()
    if highlight_until is not None and within_label:
        legend = ((within_label, CURRENT, False), (beyond_label, PREVIOUS, True))
    return Chart(chart_id, title, _svg(chart_id, title, width, height, "".join(parts)),
                 ChartTable(title, headers, rows), legend=legend)


# --- heatmap -------------------------------------------------------------------------------------------------------

def heatmap(title: str, grid: Sequence[Sequence[float]], *, lang: str, fmt: Fmt | None = None,
            empty_message: str = "No data for this period", day_header: str = "") -> Chart:
    """Volume by weekday (rows, Monday first) × hour of day (24 columns, the workspace's local time): darker is
    more. The table alternative has one row per weekday and one column per hour."""
    chart_id = _id("heat")
    fmt = fmt or (lambda v: number(v, lang))
    days = weekday_names(lang)
    headers = (day_header, *(f"{h:02d}" for h in range(24)))
    cells = [[float(grid[d][h]) if d < len(grid) and h < len(grid[d]) else 0.0 for h in range(24)]
             for d in range(7)]
    top_value = max((v for row in cells for v in row), default=0.0)
    if top_value <= 0:
        return _empty(chart_id, title, empty_message, headers)
    cell, gap = 16, 2
    left, top = 40, 18
    width = left + 24 * cell + 4
    height = top + 7 * cell + 8
    parts: list[str] = []
    for h in range(0, 24, 3):
        parts.append(_text(left + h * cell + cell / 2, top - 5, f"{h:02d}", anchor="middle", size=12, fill=MUTED))
    for d in range(7):
        yy = top + d * cell
        parts.append(_text(left - 5, yy + cell / 2 + 4, days[d], anchor="end", size=12, fill=MUTED))
        for h in range(24):
            v = cells[d][h]
            if v <= 0:
                colour = EMPTY
            else:  # a square-root scale: a few busy hours do not wash every other hour out
                level = math.sqrt(v / top_value)
                colour = HEAT[min(len(HEAT) - 1, max(1, math.ceil(level * (len(HEAT) - 1))))]
            parts.append(f'<rect x="{left + h * cell}" y="{yy}" width="{cell - gap}" height="{cell - gap}" '
                         f'fill="{colour}" rx="2"><title>{escape(days[d])} {h:02d}:00 · {escape(fmt(v))}</title>'
                         f"</rect>")
    rows = tuple((days[d], *(fmt(cells[d][h]) for h in range(24))) for d in range(7))
    return Chart(chart_id, title, _svg(chart_id, title, width, height, "".join(parts)),
                 ChartTable(title, headers, rows))


# --- objective gauge (bullet) --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Gauge:
    """An objective against the actual: ``met`` is None when there is no actual to compare."""

    chart: Chart
    met: bool | None


def gauge(title: str, actual: float | None, target: float, *, fmt: Fmt, higher_is_better: bool = True,
          scale_max: float | None = None, actual_label: str = "Actual", target_label: str = "Objective",
          no_data: str = "No data for this period", met_text: str = "met", missed_text: str = "missed") -> Gauge:
    """A bullet chart: a bar for the actual, a vertical mark for the objective, on a scale from 0 to
    ``scale_max`` (100 for shares in percent; else a nice value above both). Met (solid) or missed (hatched), also
    in words."""
    chart_id = _id("gauge")
    top_value = scale_max if scale_max is not None else nice_max(max(target, actual or 0) * 1.15)
    met = None if actual is None else (actual >= target if higher_is_better else actual <= target)
    width, height = 400, 66
    left, right = 4, 4
    plot_w = width - left - right
    bar_y, bar_h = 8, 22

    def x(v: float) -> float:
        return left + plot_w * min(max(v, 0), top_value) / top_value

    parts = [f'<rect x="{left}" y="{bar_y}" width="{plot_w}" height="{bar_h}" fill="{EMPTY}" rx="3"/>',
             f'<defs><pattern id="{chart_id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
             f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{TARGET}"/>'
             f'<line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2"/></pattern></defs>']
    if actual is not None:
        fill = CURRENT if met else f"url(#{chart_id}-hatch)"
        parts.append(f'<rect x="{left}" y="{bar_y + 4}" width="{_num(max(x(actual) - left, 1))}" '
                     f'height="{bar_h - 8}" fill="{fill}" rx="2"/>')
    tx = x(target)
    parts.append(f'<line x1="{_num(tx)}" x2="{_num(tx)}" y1="{bar_y - 4}" y2="{bar_y + bar_h + 4}" '
                 f'stroke="{TEXT}" stroke-width="3"/>')
    state = no_data if met is None else (met_text if met else missed_text)
    summary = f"{actual_label} {fmt(actual) if actual is not None else '—'} · {target_label} {fmt(target)}"
    parts.append(_text(left, height - 8, summary, size=15))
    parts.append(_text(width - right, height - 8, state, anchor="end", size=15,
                       fill=TEXT if met is None else ("#127a3e" if met else TARGET), weight="600"))
    table = ChartTable(title, (actual_label, target_label, ""),
                       ((fmt(actual) if actual is not None else "—", fmt(target), state),))
    return Gauge(Chart(chart_id, title, _svg(chart_id, title, width, height, "".join(parts),
                                             desc=f"{summary} · {state}"), table), met)
