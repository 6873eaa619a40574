"""The Reports page's SVG charts (compris.analytics.charts): labels escaped, empty data, one point, scales,
accessibility (role, title, table alternative) and French/English formats."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compris.analytics import charts

SVG = "{http://www.w3.org/2000/svg}"
EVIL = '<script>alert("x")</script> & Co'


def parse(chart: charts.Chart) -> ET.Element:
    """The SVG parses as XML (so nothing unescaped broke it) and carries its accessible name."""
    root = ET.fromstring(str(chart.svg))  # noqa: S314 (our own output, under test)
    assert root.get("role") == "img"
    assert root.get("viewBox") and root.get("width") is None  # scales to its container
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == chart.title
    assert root.get("aria-labelledby") == title.get("id")
    return root


def en(v: float) -> str:
    return charts.number(v, "en")


def test_formats_in_both_languages() -> None:
    assert charts.number(1234567, "en") == "1,234,567"
    assert charts.number(1234567, "fr") == "1\u202f234\u202f567"
    assert charts.number(2.5, "fr", 1) == "2,5"
    assert charts.percent(93.4, "en") == "93.4%"
    assert charts.percent(93.4, "fr") == "93,4\u202f%"
    assert charts.percent(None, "en") == charts.number(None, "fr") == charts.duration(None, "en") == "—"
    assert [charts.duration(s, "en") for s in (12, 720, 3600, 3900, 90000, 86400)] == [
        "12\u00a0s", "12\u00a0min", "1\u00a0h", "1\u00a0h\u00a005", "1\u00a0d\u00a01\u00a0h", "1\u00a0d"]
    assert charts.duration(90000, "fr") == "1\u00a0j\u00a01\u00a0h"
    assert charts.day_label(date(2026, 12, 6), "en") == "6 Dec"
    assert charts.day_label(date(2026, 12, 6), "fr") == "6 déc."
    assert charts.weekday_names("en")[0] == "Mon" and charts.weekday_names("fr")[6] == "dim."


@pytest.mark.parametrize(("value", "top"), [(0, 1), (-3, 1), (0.7, 1), (1, 1), (1.2, 2), (3, 5), (7, 10),
                                            (22, 25), (99, 100), (101, 200), (3600, 5000)])
def test_nice_axis_top(value: float, top: float) -> None:
    assert charts.nice_max(value) == pytest.approx(top)


@given(st.floats(min_value=1e-6, max_value=1e12))
def test_nice_axis_top_is_above_and_close(value: float) -> None:
    top = charts.nice_max(value)
    assert value <= top * (1 + 1e-9) and top <= value * 10


def test_labels_are_escaped_everywhere() -> None:
    made = [
        charts.trend(EVIL, [EVIL, "b"], [1, 2], [2, 1], fmt=en, lang="en"),
        charts.bars(EVIL, [(EVIL, 3), ("x", 1)], fmt=en),
        charts.histogram(EVIL, [(EVIL, 3), ("x", 1)], lang="en", highlight_until=1),
        charts.heatmap(EVIL, [[1] * 24] * 7, lang="en"),
        charts.gauge(EVIL, 50, 90, fmt=en).chart,
        charts.bars(EVIL, [], fmt=en, empty_message=EVIL),
    ]
    for chart in made:
        text = str(chart.svg)
        assert "<script>" not in text and "&lt;script&gt;" in text, text[:300]
        parse(chart)


def test_empty_data_says_so() -> None:
    for chart in (charts.trend("T", [], [], fmt=en, lang="en", empty_message="Nothing"),
                  charts.trend("T", ["a", "b"], [None, None], [None, None], fmt=en, lang="en",
                               empty_message="Nothing"),
                  charts.bars("T", [("a", None)], fmt=en, empty_message="Nothing"),
                  charts.histogram("T", [("a", 0), ("b", 0)], lang="en", empty_message="Nothing"),
                  charts.heatmap("T", [], lang="en", empty_message="Nothing")):
        assert chart.empty and chart.table.rows == ()
        root = parse(chart)
        assert [t.text for t in root.iter(f"{SVG}text")] == ["Nothing"]


def test_trend_one_point_and_gaps() -> None:
    one = charts.trend("Volume", ["6 Dec"], [5], fmt=en, lang="en")
    root = parse(one)
    circles = list(root.iter(f"{SVG}circle"))
    assert len(circles) == 1 and not list(root.iter(f"{SVG}polyline"))
    assert float(circles[0].get("cx", "0")) == pytest.approx(62 + (440 - 62 - 12) / 2)  # centred
    assert one.table.rows == (("6 Dec", "5"),)

    gap = charts.trend("Rate", ["a", "b", "c", "d", "e"], [1, 2, None, 4, 5], [1, 1, 1, 1, 1], fmt=en, lang="en")
    root = parse(gap)
    lines = list(root.iter(f"{SVG}polyline"))
    assert len(lines) == 3  # the previous period, and the current one in two runs around the gap
    assert [p.get("stroke-dasharray") for p in lines] == ["6 4", None, None]
    assert gap.table.rows[2] == ("c", "—", "1")
    assert [name for name, _, _ in gap.legend] == ["This period", "Previous period"]


def test_trend_scale() -> None:
    chart = charts.trend("V", ["a", "b", "c"], [0, 50, 100], fmt=en, lang="en")
    root = parse(chart)
    ys = [float(c.get("cy", "0")) for c in root.iter(f"{SVG}circle")]
    top, bottom = 14, 230 - 30
    assert ys == pytest.approx([bottom, (top + bottom) / 2, top])
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert labels[:6] == ["0", "20", "40", "60", "80", "100"]  # y axis up to a nice top
    small = charts.trend("V", ["a"], [1], fmt=en, lang="en", min_top=5)
    assert [t.text for t in parse(small).iter(f"{SVG}text")][:6] == ["0", "1", "2", "3", "4", "5"]


@pytest.mark.parametrize(("value", "top"), [(0, 50), (45, 50), (80, 300), (700, 1500), (3600, 4500),
                                            (5000, 9000), (40000, 54000), (86400 * 3, 86400 * 5)])
def test_time_axis_steps(value: float, top: float) -> None:
    assert charts.nice_duration_max(value) == top


@given(st.floats(min_value=1, max_value=3e7))
def test_time_axis_ticks_read_exactly(value: float) -> None:
    top = charts.nice_duration_max(value)
    ticks = [top * k / charts.TICKS for k in range(1, charts.TICKS + 1)]
    texts = [charts.duration(t, "en") for t in ticks]
    assert len(set(texts)) == len(texts), texts  # no two ticks read alike


def test_time_axis_labels_are_whole_durations() -> None:
    chart = charts.trend("T", ["a", "b"], [80, 3000], fmt=lambda v: charts.duration(v, "en"), lang="en",
                         durations=True)
    labels = [t.text for t in parse(chart).iter(f"{SVG}text")][:6]
    assert labels == ["0\u00a0s", "10\u00a0min", "20\u00a0min", "30\u00a0min", "40\u00a0min", "50\u00a0min"]


def test_trend_at_most_about_seven_x_labels() -> None:
    days = [f"d{i}" for i in range(90)]
    chart = charts.trend("V", days, list(range(90)), fmt=en, lang="en")
    x_labels = [t.text for t in parse(chart).iter(f"{SVG}text") if t.text and t.text.startswith("d")]
    assert 5 <= len(x_labels) <= 8
    assert len(chart.table.rows) == 90  # the table keeps every point


def test_bars_widths_follow_values() -> None:
    chart = charts.bars("By network", [("X", 30), ("Facebook", 15), ("Mail", 0)], fmt=en,
                        previous=[10, None, 5])
    root = parse(chart)
    blue = [r for r in root.iter(f"{SVG}rect") if r.get("fill") == charts.CURRENT]
    widths = [float(r.get("width", "0")) for r in blue]
    assert len(widths) == 2 and widths[0] == pytest.approx(2 * widths[1])  # zero draws no bar
    markers = [ln for ln in root.iter(f"{SVG}line") if ln.get("stroke") == charts.PREVIOUS]
    assert len(markers) == 2
    assert chart.table.rows == (("X", "30", "10"), ("Facebook", "15", "—"), ("Mail", "0", "5"))
    long = charts.bars("B", [("A very long channel account name indeed", 1)], fmt=en)
    assert ">A very long chan…</text>" in str(long.svg)
    assert long.table.rows[0][0] == "A very long channel account name indeed"  # the table keeps it whole


def test_histogram_marks_the_target() -> None:
    buckets = [("< 15 min", 10), ("< 1 h", 5), ("< 4 h", 2), ("≥ 4 h", 0)]
    chart = charts.histogram("Response times", buckets, lang="fr", highlight_until=2, within_label="in",
                             beyond_label="out")
    root = parse(chart)
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("fill") in (charts.CURRENT,)
            or (r.get("fill") or "").startswith("url(")]
    assert len(bars) == 3  # the empty bucket draws nothing
    assert [b.get("fill") == charts.CURRENT for b in bars] == [True, True, False]
    assert any(ln.get("stroke") == charts.TARGET for ln in root.iter(f"{SVG}line"))
    assert chart.table.rows == (("< 15 min", "10"), ("< 1 h", "5"), ("< 4 h", "2"), ("≥ 4 h", "0"))
    assert chart.legend[0][0] == "in"


def test_heatmap_shades_and_table() -> None:
    grid = [[0.0] * 24 for _ in range(7)]
    grid[0][9] = 100
    grid[4][18] = 1
    chart = charts.heatmap("Volume", grid, lang="fr")
    root = parse(chart)
    cells = list(root.iter(f"{SVG}rect"))
    assert len(cells) == 7 * 24
    fills = {r.find(f"{SVG}title").text: r.get("fill") for r in cells}  # type: ignore[union-attr]
    assert fills["lun. 09:00 · 100"] == charts.HEAT[-1]
    assert fills["ven. 18:00 · 1"] not in (charts.EMPTY, charts.HEAT[-1])
    assert fills["mar. 09:00 · 0"] == charts.EMPTY
    assert chart.table.headers[1] == "00" and len(chart.table.headers) == 25
    assert chart.table.rows[0][0] == "lun." and chart.table.rows[0][10] == "100"


def test_gauge_met_and_missed() -> None:
    pct = lambda v: charts.percent(v, "en")  # noqa: E731
    met = charts.gauge("Response rate", 93, 90, fmt=pct, scale_max=100)
    missed = charts.gauge("Median first response", 5400, 3600, fmt=lambda v: charts.duration(v, "en"),
                          higher_is_better=False)
    none = charts.gauge("CSAT", None, 80, fmt=pct, scale_max=100, no_data="No data")
    assert (met.met, missed.met, none.met) == (True, False, None)
    assert met.chart.table.rows == (("93%", "90%", "met"),)
    assert missed.chart.table.rows[0][2] == "missed" and none.chart.table.rows[0] == ("—", "80%", "No data")
    root = parse(met.chart)
    target = next(ln for ln in root.iter(f"{SVG}line") if ln.get("stroke") == charts.TEXT)
    assert float(target.get("x1", "0")) == pytest.approx(4 + 392 * 0.9)
    desc = root.find(f"{SVG}desc")
    assert desc is not None and "Objective 90%" in (desc.text or "")


def test_ids_are_unique() -> None:
    ids = {charts.bars("B", [("a", 1)], fmt=en).id for _ in range(5)}
    assert len(ids) == 5
    assert all(re.fullmatch(r"bars-\d+", i) for i in ids)
