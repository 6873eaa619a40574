"""Reports (issue 15) for supervisors and admins: ``/reports`` (KPI tiles against the previous period, objectives
against their actual, charts, backlog, per-agent and per-team tables), ``/reports/cases`` (the cases behind a
figure), CSV exports of every table (``/reports/export/<table>.csv``, ``/reports/cases.csv``) and the objectives
(``/reports/objectives``). The filters live in the URL (a GET form: bookmarkable); bad filters answer 422 with the
message on the page and the form kept. Figures: :mod:`compris.analytics.reports`; charts:
:mod:`compris.analytics.charts` (server-side SVG)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Annotated, Any

from babel.dates import format_date
from babel.support import NullTranslations
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from compris.analytics import actions, charts, objectives, reports
from compris.analytics import queries as figures
from compris.kit.errors import ComprisError, Invalid, NotFound
from compris.models import ObjectiveMetric
from compris.triage.labels import INTENTS, LANGUAGES
from compris.web import i18n
from compris.web.deps import ManageDeskPage, PageContext, ReportsPage
from compris.web.pages.channel_admin import form_fields
from compris.web.pages.render import LABELS, domain_action, network_name, redirect, render

router = APIRouter(include_in_schema=False)

PRESET_LABELS = {"today": "Today", "yesterday": "Yesterday", "7d": "Last 7 days", "30d": "Last 30 days",
                 "90d": "Last 90 days", "this_month": "This month", "last_month": "Last month",
                 "365d": "Last 12 months", "custom": "Custom dates"}
MEASURE_LABELS = {
    "messages": "Cases with customer messages", "new_cases": "New cases",
    "unanswered": "Customer messages still without a response", "late": "Answered late or not at all",
    "first_response": "First responses, slowest first", "resolved": "Resolved cases, slowest first",
    "breached": "Cases with an SLA breach", "reopened": "Reopened cases",
    "dissatisfied": "Dissatisfied survey answers", "escalated": "Escalated cases",
    "escalation_overdue": "Overdue escalations", "backlog": "Active cases now", "unassigned": "Unassigned cases now",
}
METRIC_LABELS = {
    ObjectiveMetric.FIRST_RESPONSE_WITHIN: "First response within a time limit",
    ObjectiveMetric.RESPONSE_RATE: "Response rate",
    ObjectiveMetric.ANSWERED_WITHIN: "Messages answered within a time limit",
    ObjectiveMetric.SLA_ATTAINMENT: "SLA attainment",
    ObjectiveMetric.CSAT: "CSAT",
    ObjectiveMetric.FIRST_RESPONSE_MEDIAN: "First response, median",
    ObjectiveMetric.FIRST_RESPONSE_P90: "First response, 90th percentile",
    ObjectiveMetric.RESOLUTION_MEDIAN: "Resolution, median",
}
SLA_METRICS = {"first_response": "First response", "next_response": "Next response", "resolution": "Resolution"}
BREAKDOWN_LABELS = {"network": "By network", "account": "By channel account", "visibility": "Public or private",
                    "intent": "By intent", "sentiment": "By sentiment", "language": "By language",
                    "topic": "By topic", "hour": "By hour of day", "tag": "By tag"}
TABLE_NAMES = {"agents": "Agents", "teams": "Teams", "sla": "SLA", "trend": "Day by day", "heatmap": "Heatmap",
               "objectives": "Objectives", "guard": "Reply guard",
               **{f"by_{k}": v for k, v in BREAKDOWN_LABELS.items()}}
#: the response-time histogram's display buckets (upper bounds, seconds; the engine's buckets fall exactly on them)
EDGES = (300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 259200)


class Fmt:
    """Numbers, shares, durations and dates in the user's language."""

    def __init__(self, lang: str, t: NullTranslations) -> None:
        self.lang, self.t = lang, t

    def num(self, v: float | None, digits: int = 0) -> str:
        return charts.number(v, self.lang, digits)

    def pct(self, v: float | None) -> str:
        return charts.percent(v, self.lang)

    def dur(self, v: float | None) -> str:
        return charts.duration(v, self.lang)

    def day(self, value: date) -> str:
        """``6 Dec 2026`` / ``6 déc. 2026``."""
        return str(format_date(value, "medium", locale=self.lang))

    def of(self, kind: str) -> Callable[[float], str]:
        return {"percent": self.pct, "duration": self.dur}.get(kind, self.num)

    def delta(self, tile: reports.Tile) -> str:
        """The change against the previous period: ``+3.2 pts``, ``−12 min``, ``+8%``."""
        change = tile.change
        if change is None:
            return ""
        sign = "+" if change > 0 else ("−" if change < 0 else "±")
        size = abs(change)
        if tile.kind == "percent":
            return f"{sign}{charts.number(size, self.lang, 1)}\u00a0{self.t.gettext('pts')}"
        if tile.kind == "duration":
            return f"{sign}{charts.duration(size, self.lang)}"
        if tile.previous:
            return f"{sign}{charts.percent(size * 100 / tile.previous, self.lang, 0)}"
        return f"{sign}{charts.number(size, self.lang)}"


def _label(t: NullTranslations, dimension: str, key: str, label: str) -> str:
    """A breakdown's bar label in the user's language."""
    if key == "":
        return t.gettext("Unknown")
    if dimension == "network":
        return t.gettext(network_name(key))
    if dimension in ("intent", "sentiment") and key in LABELS[dimension]:
        return t.gettext(LABELS[dimension][key])
    if dimension == "visibility" and key in LABELS["visibility"]:
        return t.gettext(LABELS["visibility"][key])
    if dimension == "topic" and key in LABELS["topic"]:
        return t.gettext(LABELS["topic"][key])
    if dimension == "hour":
        return f"{int(key):02d}:00" if key.isdigit() else key
    return label or key


def _point_label(at: datetime, hourly: bool, lang: str) -> str:
    return at.strftime("%H:00") if hourly else charts.day_label(at.date(), lang)


def _histogram(dist: figures.Distribution, fmt: Fmt, target_s: int) -> tuple[list[tuple[str, int]], int]:
    """The engine's fine buckets summed into the display buckets of :data:`EDGES`; how many are within target."""
    counts = [0] * (len(EDGES) + 1)
    for b in dist.histogram:
        hi = b.hi_s if b.hi_s is not None else float("inf")
        index = next((i for i, edge in enumerate(EDGES) if hi <= edge), len(EDGES))
        counts[index] += b.count
    labels = [f"≤\u00a0{fmt.dur(e)}" for e in EDGES] + [f">\u00a0{fmt.dur(EDGES[-1])}"]
    within = next((i + 1 for i, e in enumerate(EDGES) if e >= target_s), len(EDGES))
    return list(zip(labels, counts, strict=True)), within


def build_charts(board: reports.Dashboard, fmt: Fmt) -> dict[str, charts.Chart]:
    t, lang = fmt.t, fmt.lang
    _ = t.gettext
    common = {"current_label": _("This period"), "previous_label": _("Previous period"),
              "empty_message": _("No data for this period")}
    trend_points = board.volume.trend_messages
    step = figures.trend_step(board.selection.filters)
    hourly = step == "hour"

    def line(title: str, now: Sequence[figures.Point], before: Sequence[figures.Point], f: Callable[[float], str],
             header: str, min_top: float = 0) -> charts.Chart:
        return charts.trend(title, [_point_label(p.at, hourly, lang) for p in now], [p.value for p in now],
                            [p.value for p in before], fmt=f, lang=lang, label_header=header, min_top=min_top,
                            durations=f == fmt.dur, **common)

    header = _("Hour") if hourly else _("Week") if step == "week" else _("Day")
    out = {
        "volume": line(_("Customer messages"), trend_points, board.volume_before.trend_messages, fmt.num, header,
                       5),
        "rate": line(_("Response rate"), board.rate.trend, board.rate_before.trend, fmt.pct, header, 100),
        "first_response": line(_("First response, median"), board.times.trend_first_response,
                               board.times_before.trend_first_response, fmt.dur, header),
    }
    buckets, within = _histogram(board.times.first_response, fmt, board.rate.target_s)
    out["distribution"] = charts.histogram(
        _("First response times"), buckets, lang=lang, highlight_until=within,
        empty_message=common["empty_message"], bucket_header=_("Time"), count_header=_("Cases"),
        within_label=_("Within %(target)s") % {"target": fmt.dur(board.rate.target_s)},
        beyond_label=_("Later"))
    for dim in ("network", "account", "intent"):
        now = getattr(board.volume, f"by_{dim}")
        before = {s.key: s.value for s in getattr(board.volume_before, f"by_{dim}")}
        out[f"by_{dim}"] = charts.bars(
            _(BREAKDOWN_LABELS[dim]), [(_label(t, dim, s.key, s.label), s.value) for s in now], fmt=fmt.num,
            previous=[before.get(s.key) for s in now], label_header=_(BREAKDOWN_LABELS[dim]), **common)
    out["heatmap"] = charts.heatmap(_("Customer messages by weekday and hour"), board.heatmap.cells, lang=lang,
                                    empty_message=common["empty_message"], day_header=_("Day"))
    return out


def objective_view(a: objectives.Assessment, fmt: Fmt) -> dict[str, Any]:
    """An objective's sentence, its gauge and whether it is met."""
    o, _ = a.objective, fmt.t.gettext
    share = objectives.higher_is_better(o.metric)
    f = fmt.pct if share else fmt.dur
    what = _(METRIC_LABELS.get(ObjectiveMetric(o.metric), o.metric)) if o.metric in METRIC_LABELS else o.metric
    if o.threshold_seconds and o.metric in (ObjectiveMetric.FIRST_RESPONSE_WITHIN, ObjectiveMetric.ANSWERED_WITHIN):
        what = f"{what} ({fmt.dur(o.threshold_seconds)})"
    scope = [_(LABELS["intent"][o.intent]) if o.intent in LABELS["intent"] else (o.intent or "")]
    scope.append(_(network_name(o.network)) if o.network else "")
    scope_text = ", ".join(s for s in scope if s)
    sentence = (_("%(what)s at least %(target)s") if share else _("%(what)s at most %(target)s")) % {
        "what": what, "target": f(o.target)}
    title = o.name or sentence
    gauge = charts.gauge(title, a.actual, o.target, fmt=f, higher_is_better=share, scale_max=100 if share else None,
                         actual_label=_("Actual"), target_label=_("Objective"), no_data=_("No data"),
                         met_text=_("Met"), missed_text=_("Missed"))
    return {"assessment": a, "title": title, "sentence": sentence, "scope": scope_text,
            "clock": _("business hours") if o.clock == "business" else _("calendar hours"), "gauge": gauge.chart,
            "met": a.met, "actual": f(a.actual), "target": f(o.target), "measured": a.measured}


def _context(ctx: PageContext) -> tuple[str, NullTranslations, Fmt]:
    lang = i18n.normalise(ctx.user.language)
    t = i18n.translations(lang)
    return lang, t, Fmt(lang, t)


def _params(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if k in reports.PARAMS}


def _form(ctx: PageContext, selection: reports.Selection | None, raw: dict[str, str]) -> dict[str, Any]:
    values = dict(selection.values) if selection else dict(raw)
    if selection is not None:
        values.setdefault("from", selection.filters.start.isoformat())
        values.setdefault("to", selection.filters.end.isoformat())
    return {"values": values, "choices": reports.choices(ctx.session, ctx.user.workspace_id),
            "presets": PRESET_LABELS, "intents": INTENTS, "languages": [x for x in LANGUAGES if x != "unknown"]}


def _refused(request: Request, ctx: PageContext, template: str, error: ComprisError, raw: dict[str, str],
             **more: Any) -> Response:
    """A bad filter: the page again with the message and the form as it was, status 422 (never a 500)."""
    lang, _t, fmt = _context(ctx)
    return render(request, ctx, template, status_code=error.status_code if error.status_code < 500 else 422,
                  error=i18n.error_text(lang, error), board=None, form=_form(ctx, None, raw), fmt=fmt,
                  selection=None, **more)


@router.get("/reports")
def reports_page(request: Request, ctx: ReportsPage) -> Response:
    raw = _params(request)
    try:
        selection = reports.parse(ctx.session, ctx.user.workspace_id, raw)
        board = reports.dashboard(ctx.session, ctx.user.workspace_id, selection)
    except ComprisError as exc:
        return _refused(request, ctx, "analytics.html", exc, raw)
    _lang, t, fmt = _context(ctx)
    f = selection.filters
    before = f.previous()
    tiles = [{"tile": tile, "label": t.gettext(tile.label) % {"target": tile.note} if tile.note
              else t.gettext(tile.label), "value": fmt.of(tile.kind)(tile.value) if tile.value is not None else "—",
              "previous": fmt.of(tile.kind)(tile.previous) if tile.previous is not None else "—",
              "delta": fmt.delta(tile)} for tile in board.tiles]
    return render(request, ctx, "analytics.html", board=board, selection=selection, tiles=tiles, fmt=fmt,
                  charts=build_charts(board, fmt), form=_form(ctx, selection, raw), before=before,
                  goals=[objective_view(a, fmt) for a in board.objectives], sla_metrics=SLA_METRICS,
                  table_names=TABLE_NAMES, error=None)


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page") or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= 100_000:
        raise Invalid("page is a number from 1")
    return int(raw)


@router.get("/reports/cases")
def cases_page(request: Request, ctx: ReportsPage) -> Response:
    raw = _params(request)
    measure = request.query_params.get("measure") or ""
    try:
        selection = reports.parse(ctx.session, ctx.user.workspace_id, raw)
        found = reports.drill(ctx.session, ctx.user.workspace_id, selection.filters, measure,
                              page=_page_number(request))
    except ComprisError as exc:
        return _refused(request, ctx, "analytics_cases.html", exc, raw, measure=measure, measure_labels=MEASURE_LABELS,
                        found=None)
    _lang, _t, fmt = _context(ctx)
    return render(request, ctx, "analytics_cases.html", selection=selection, found=found, measure=measure,
                  measure_labels=MEASURE_LABELS, fmt=fmt, form=_form(ctx, selection, raw), error=None)


def csv_response(table: reports.Table, filename: str) -> Response:
    # a byte-order mark, so that a spreadsheet opens the UTF-8 text (accents, emoji) as such
    return Response("\ufeff" + reports.to_csv(table), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


def _filename(name: str, selection: reports.Selection) -> str:
    f = selection.filters
    return f"compris-{name}-{f.start.isoformat()}-{f.end.isoformat()}.csv"


@router.get("/reports/export/{name}.csv")
def export_table(name: str, request: Request, ctx: ReportsPage) -> Response:
    if name not in reports.TABLES:
        raise NotFound("no such table")
    selection = reports.parse(ctx.session, ctx.user.workspace_id, _params(request))
    board = reports.dashboard(ctx.session, ctx.user.workspace_id, selection)
    return csv_response(reports.table(board, name), _filename(name, selection))


@router.get("/reports/cases.csv")
def export_cases(request: Request, ctx: ReportsPage) -> Response:
    """Every case behind a figure (all pages, up to 10,000)."""
    selection = reports.parse(ctx.session, ctx.user.workspace_id, _params(request))
    measure = request.query_params.get("measure") or ""
    found = reports.drill_all(ctx.session, ctx.user.workspace_id, selection.filters, measure)
    return csv_response(reports.drill_table(found), _filename(f"cases-{measure}", selection))


# --- objectives ----------------------------------------------------------------------------------------------------

def _objectives_page(request: Request, ctx: PageContext, *, error: str | None = None, status_code: int = 200,
                     kept: dict[str, str] | None = None, editing: int | None = None) -> Response:
    _lang, _t, fmt = _context(ctx)
    rows = objectives.list_objectives(ctx.session, ctx.user.workspace_id)
    return render(request, ctx, "analytics_objectives.html", status_code=status_code, rows=rows, error=error,
                  kept=kept or {}, editing=editing, metric_labels=METRIC_LABELS, intents=INTENTS, fmt=fmt,
                  shares=objectives.SHARES, networks=reports.choices(ctx.session, ctx.user.workspace_id).networks,
                  minutes=lambda v: "" if v is None else f"{v / 60:g}")


@router.get("/reports/objectives")
def objectives_page(request: Request, ctx: ManageDeskPage) -> Response:
    return _objectives_page(request, ctx)


def _values(raw: dict[str, str]) -> dict[str, Any]:
    """The form's fields as the action takes them: times are typed in minutes (a share's target in percent)."""
    values: dict[str, Any] = {k: raw.get(k, "") for k in ("name", "metric", "intent", "network", "clock",
                                                             "position")}
    values["target"] = raw.get("target", "")
    minutes = raw.get("threshold_minutes", "").strip().replace(",", ".")
    if minutes:
        try:
            values["threshold_seconds"] = float(minutes) * 60
        except ValueError as exc:
            raise Invalid("the time limit is a number of minutes") from exc
    if values["metric"] in objectives.TIMES and values["target"].strip():
        try:
            values["target"] = float(values["target"].strip().replace(",", ".")) * 60
        except ValueError as exc:
            raise Invalid("target must be a number") from exc
    return values


def _write(request: Request, ctx: PageContext, raw: dict[str, str], write: Callable[[dict[str, Any]], object],
           *, editing: int | None = None, missing_ok: bool = False) -> Response:
    try:
        with domain_action(ctx.session):
            write(_values(raw))
    except ComprisError as exc:
        if not (missing_ok and isinstance(exc, NotFound)):
            return _objectives_page(request, ctx, error=i18n.error_text(ctx.user.language, exc),
                                    status_code=exc.status_code, kept=raw, editing=editing)
    return redirect("/reports/objectives")


Form = Annotated[dict[str, str], Depends(form_fields)]


@router.post("/reports/objectives")
def create_objective(request: Request, ctx: ManageDeskPage, raw: Form) -> Response:
    return _write(request, ctx, raw, lambda values: actions.create_objective(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, values=values))


@router.post("/reports/objectives/{objective_id}")
def update_objective(objective_id: int, request: Request, ctx: ManageDeskPage, raw: Form) -> Response:
    return _write(request, ctx, raw, lambda values: actions.update_objective(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, objective_id=objective_id, values=values),
        editing=objective_id)


@router.post("/reports/objectives/{objective_id}/delete")
def delete_objective(objective_id: int, request: Request, ctx: ManageDeskPage) -> Response:
    return _write(request, ctx, {}, lambda _values: actions.delete_objective(
        ctx.session, ctx.runtime.publisher, actor=ctx.user, objective_id=objective_id), missing_ok=True)

