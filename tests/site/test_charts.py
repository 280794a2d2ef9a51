"""Inline SVG charts: well-formed, accessible, scaled to the data, labels escaped, no inline style."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from skillport_build.site.charts import (
    HEIGHT,
    PAD_BOTTOM,
    PAD_TOP,
    bar_chart,
    line_chart,
    nice_max,
    sparkline,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (200, 200), (201, 500)]
)
def test_the_axis_top_is_a_round_number_at_or_above_the_peak(value: int, top: int) -> None:
    assert nice_max(value) == top


def test_a_bar_chart_draws_one_bar_per_day_scaled_to_the_round_top() -> None:
    svg = parse(bar_chart(["2026-12-01", "2026-12-02", "2026-12-03"], [5, 0, 10], "Downloads", "downloads"))
    bars = svg.findall(f"{SVG}rect")
    assert len(bars) == 3
    heights = [float(b.get("height", "")) for b in bars]
    inner = HEIGHT - PAD_TOP - PAD_BOTTOM
    assert heights == [inner / 2, 0, inner]
    assert [b.findtext(f"{SVG}title") for b in bars] == [
        "2026-12-01: 5 downloads",
        "2026-12-02: 0 downloads",
        "2026-12-03: 10 downloads",
    ]
    assert "10" in [t.text for t in svg.findall(f"{SVG}text")]  # the y axis's top label


def test_a_chart_is_an_accessible_image_whose_description_says_the_figures() -> None:
    svg = parse(bar_chart(["a", "b"], [1, 3], "People per day", "people"))
    assert svg.get("role") == "img"
    title_id, desc_id = svg.get("aria-labelledby", "").split()
    assert svg.find(f"{SVG}title").get("id") == title_id  # type: ignore[union-attr]
    assert svg.findtext(f"{SVG}title") == "People per day"
    assert svg.find(f"{SVG}desc").get("id") == desc_id  # type: ignore[union-attr]
    assert svg.findtext(f"{SVG}desc") == "4 people from a to b; most on b (3); latest b: 3"


def test_two_charts_on_one_page_never_share_an_id() -> None:
    first, second = bar_chart(["a"], [1], "x", "y"), bar_chart(["a"], [1], "x", "y")
    ids = re.findall(r'id="([^"]+)"', first + second)
    assert len(ids) == len(set(ids)) == 4


def test_labels_and_names_are_escaped() -> None:
    markup = line_chart(["<d>"], {'v"1<script>': [2]}, "a & b", "x")
    assert "<script>" not in markup and "<d>" not in markup
    svg = parse(markup)  # still well-formed
    assert svg.findtext(f"{SVG}title") == "a & b"


def test_a_line_chart_has_a_line_and_a_legend_entry_per_series() -> None:
    svg = parse(line_chart(["d1", "d2", "d3"], {"1.1.0": [0, 2, 4], "1.0.0": [1, 1, 0]}, "By version", "dl"))
    lines = svg.findall(f"{SVG}polyline")
    assert [line.findtext(f"{SVG}title") for line in lines] == ["1.1.0: 6 dl", "1.0.0: 2 dl"]
    legend = [t.text for t in svg.findall(f"{SVG}text") if t.text and "(" in t.text]
    assert legend == ["1.1.0 (6)", "1.0.0 (2)"]
    assert lines[0].get("stroke") != lines[1].get("stroke")
    assert svg.findtext(f"{SVG}desc", "").endswith("; 1.1.0: 6; 1.0.0: 2")


def test_no_data_still_draws_an_empty_chart() -> None:
    svg = parse(line_chart(["d1", "d2"], {}, "Nothing", "dl"))
    assert svg.findall(f"{SVG}polyline") == []
    assert svg.findtext(f"{SVG}desc") == "0 dl from d1 to d2; most on d2 (0); latest d2: 0"
    assert parse(bar_chart([], [], "Empty", "dl")).findtext(f"{SVG}desc") == "no dl"


def test_series_of_the_wrong_length_are_refused() -> None:
    with pytest.raises(ValueError, match="2 labels for 1 values"):
        bar_chart(["a", "b"], [1], "x", "y")
    with pytest.raises(ValueError, match="series 'v' has 1 values for 2 labels"):
        line_chart(["a", "b"], {"v": [1]}, "x", "y")


def test_charts_use_presentation_attributes_never_inline_style() -> None:
    """The pages' CSP (style-src 'self') would drop a style attribute."""
    for markup in (
        bar_chart(["a"], [1], "x", "y"),
        line_chart(["a"], {"v": [1]}, "x", "y"),
        sparkline([1, 2], "s"),
    ):
        assert "style=" not in markup and "<script" not in markup


def test_a_sparkline_peaks_at_its_top() -> None:
    svg = parse(sparkline([0, 4, 2], "release-notes per day"))
    points = [tuple(map(float, p.split(","))) for p in svg.find(f"{SVG}polyline").get("points", "").split()]  # type: ignore[union-attr]
    assert [x for x, _ in points] == [0, 50, 100]
    assert min(y for _, y in points) == 1 and max(y for _, y in points) == 19
    assert svg.findtext(f"{SVG}title") == "release-notes per day"
