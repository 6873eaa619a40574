"""Figures of known value for the Reports page's rendering tests: what the page, the CSV exports and the API do
with the figures, apart from how the engine computes them (that is tested in tests/analytics/). ``install``
replaces the query functions of compris.analytics.queries for one test; ``seen`` records what each was asked."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from compris.analytics import queries
from compris.analytics.buckets import bucket_of

EVIL = "<img src=x onerror=alert(1)>"
FORMULA = '=HYPERLINK("http://evil.test")'


def _points(f: queries.Filters, values: list[float | None]) -> list[queries.Point]:
    tz = ZoneInfo("Europe/Paris")
    start = datetime(f.start.year, f.start.month, f.start.day, tzinfo=tz)
    return [queries.Point(start + timedelta(days=i), values[i % len(values)]) for i in range(f.days)]


def _dist(scale: float) -> queries.Distribution:
    """Four durations: 1, 10, 30 and 120 minutes (× ``scale``), as the engine turns them into a distribution."""
    durations = [60 * scale, 600 * scale, 1800 * scale, 7200 * scale]
    counts: dict[int, int] = {}
    for d in durations:
        counts[bucket_of(d)] = counts.get(bucket_of(d), 0) + 1
    return queries.distribution(counts, sum(durations))


class Stub:
    """The current period (the first one asked) has the figures below; the previous one half of them (a slower
    first response, a lower response rate); a filter on the network ``mail`` has none at all."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, queries.Filters]] = []
        self.current: queries.Filters | None = None
        self.case_ids: list[int] = []

    def factor(self, f: queries.Filters) -> float:
        if f.network == "mail":
            return 0
        return 1 if self.current is None or f.start >= self.current.start else 0.5

    def volume(self, _s: Any, _w: int, f: queries.Filters) -> queries.Volume:
        if self.current is None:
            self.current = f
        self.seen.append(("volume", f))
        k = self.factor(f)
        return queries.Volume(
            messages=int(120 * k), new_cases=int(40 * k),
            by_network=[queries.Slice("sandbox", "sandbox", int(100 * k)), queries.Slice("x", "x", int(20 * k))],
            by_account=[queries.Slice("1", EVIL, int(120 * k))],
            by_intent=[queries.Slice("complaint", "complaint", int(70 * k)),
                       queries.Slice("question", "question", int(50 * k))],
            by_language=[queries.Slice("fr", "fr", int(120 * k))],
            trend_messages=_points(f, [10 * k, 20 * k, None]), trend_cases=_points(f, [3 * k]))

    def response_rate(self, _s: Any, _w: int, f: queries.Filters, *, target_s: int = 3600) -> queries.ResponseRate:
        self.seen.append(("response_rate", f))
        k = self.factor(f)
        return queries.ResponseRate(needing=int(100 * k), responded=int(90 * k) if k == 1 else int(40 * k),
                                    within_target=int(75 * k), target_s=target_s,
                                    trend=_points(f, [90.0]) if k else [])

    def response_times(self, _s: Any, _w: int, f: queries.Filters) -> queries.ResponseTimes:
        self.seen.append(("response_times", f))
        k = self.factor(f)
        if k == 0:
            empty = queries.Distribution(0, None, None, None, [])
            return queries.ResponseTimes(f.clock, empty, empty, empty)
        d = _dist(1 / k)
        return queries.ResponseTimes(f.clock, d, d, _dist(10 / k), _points(f, [1200 / k]), _points(f, [12000 / k]))

    def sla(self, _s: Any, _w: int, f: queries.Filters) -> queries.Sla:
        k = self.factor(f)
        return queries.Sla([queries.SlaRow("first_response", 1, "Standard", int(45 * k), int(5 * k))], int(5 * k))

    def csat(self, _s: Any, _w: int, f: queries.Filters) -> queries.Csat:
        k = self.factor(f)
        return queries.Csat(sent=int(20 * k), answered=int(10 * k), satisfied=int(8 * k), score_sum=int(40 * k))

    def backlog(self, _s: Any, _w: int, f: queries.Filters) -> queries.Backlog:
        return queries.Backlog(open=7, new=2, unassigned=3, waiting_customer=1, waiting_partner=1, snoozed=0,
                               oldest_waiting_since=None, oldest_case_id=None)

    def agents(self, _s: Any, _w: int, f: queries.Filters) -> queries.Agents:
        row = queries.AgentRow(2, FORMULA, 12, 4, 6, 3600.0, 7200.0, 900.0)
        team = queries.AgentRow(1, EVIL, 12, 4, 6, 3600.0, 7200.0, 900.0)
        return queries.Agents([row], [team])

    def expected_wait(self, _s: Any, _w: int, f: queries.Filters) -> queries.ExpectedWait:
        return queries.ExpectedWait(10, 8, 600.0, 700.0, 120.0, 6)

    def guard(self, _s: Any, _w: int, f: queries.Filters) -> queries.Guard:
        return queries.Guard(5, 1, [queries.GuardRule("office_hours", 5, 1)])

    def escalations(self, _s: Any, _w: int, f: queries.Filters) -> queries.Escalations:
        return queries.Escalations(3, 2, 1, 1, _dist(2))

    def heatmap(self, _s: Any, _w: int, f: queries.Filters) -> queries.Heatmap:
        cells = [[0] * 24 for _ in range(7)]
        cells[0][9] = int(30 * self.factor(f))
        return queries.Heatmap(cells)

    def cases_behind(self, _s: Any, _w: int, f: queries.Filters, measure: Any, *, page: int = 1,
                     per_page: int = 50) -> queries.CasePage:
        self.seen.append(("cases_behind", f))
        ids = self.case_ids[(page - 1) * per_page: page * per_page]
        return queries.CasePage(ids, len(self.case_ids), page, per_page)


NAMES = ("volume", "response_rate", "response_times", "sla", "csat", "backlog", "agents", "expected_wait", "guard",
         "escalations", "heatmap", "cases_behind")


def install(monkeypatch: pytest.MonkeyPatch) -> Stub:
    stub = Stub()
    for name in NAMES:
        monkeypatch.setattr(queries, name, getattr(stub, name))
    return stub
