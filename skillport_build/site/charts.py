"""Charts as inline SVG, rendered on the server: no script, no inline style (the pages' CSP allows
neither), only presentation attributes. Each chart is an accessible image: `role="img"`, a title
and a description saying the figures, so a screen reader hears what a sighted reader sees.

A chart is drawn in a fixed viewBox and scales to its container's width (CSS `.chart`), so it
fits a phone as well as a wide screen."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 420, 160
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 34, 6, 12, 26
# Distinguishable for common colour blindness (Okabe-Ito), dark enough on white for 3:1 contrast.
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
_TEXT = 'font-size="12" fill="#333"'
_ids = itertools.count(1)


def _number(value: float) -> str:
    """A coordinate with at most one decimal, so the markup stays short and stable."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def nice_max(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above `value` (at least 1): the top of the
    y axis, so its one label is a round number."""
    top = 1
    while True:
        for step in (1, 2, 5):
            if step * top >= value:
                return step * top
        top *= 10


def _frame(label: str, summary: str, body: list[str], height: int = HEIGHT) -> Markup:
    """The SVG element around a chart's shapes, with its accessible name and description."""
    n = next(_ids)
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="chart{n}-t chart{n}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart{n}-t">{escape(label)}</title><desc id="chart{n}-d">{escape(summary)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _axes(labels: Sequence[str], top: int) -> list[str]:
    """The baseline, the y axis's top label and the x labels (first, middle, last)."""
    bottom, right = HEIGHT - PAD_BOTTOM, WIDTH - PAD_RIGHT
    parts = [
        f'<line x1="{PAD_LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#555" stroke-width="1"/>',
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{right}" y2="{PAD_TOP}" stroke="#ddd" stroke-width="1"/>',
        f'<text x="{PAD_LEFT - 4}" y="{PAD_TOP + 4}" text-anchor="end" {_TEXT}>{top}</text>',
        f'<text x="{PAD_LEFT - 4}" y="{bottom}" text-anchor="end" {_TEXT}>0</text>',
    ]
    if labels:
        picks = sorted({0, len(labels) // 2, len(labels) - 1})
        for i in picks:
            x = PAD_LEFT + (i + 0.5) * (right - PAD_LEFT) / len(labels)
            anchor = "start" if i == 0 and len(picks) > 1 else "end" if i == len(labels) - 1 else "middle"
            parts.append(
                f'<text x="{_number(x)}" y="{HEIGHT - 8}" text-anchor="{anchor}" {_TEXT}>'
                f"{escape(labels[i])}</text>"
            )
    return parts


def _summary(labels: Sequence[str], values: Sequence[int], unit: str) -> str:
    total = sum(values)
    if not labels:
        return f"no {unit}"
    peak = max(range(len(values)), key=lambda i: (values[i], i))
    return (
        f"{total} {unit} from {labels[0]} to {labels[-1]}; most on {labels[peak]} ({values[peak]}); "
        f"latest {labels[-1]}: {values[-1]}"
    )


def bar_chart(labels: Sequence[str], values: Sequence[int], label: str, unit: str) -> Markup:
    """One bar per label (a day, say), with a tooltip per bar naming its label and value."""
    if len(labels) != len(values):
        raise ValueError(f"{len(labels)} labels for {len(values)} values")
    top = nice_max(max(values, default=0))
    inner_w, inner_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    step = inner_w / max(len(values), 1)
    body = _axes(labels, top)
    for i, (name, value) in enumerate(zip(labels, values, strict=True)):
        h = inner_h * value / top
        body.append(
            f'<rect x="{_number(PAD_LEFT + i * step + step * 0.1)}" y="{_number(PAD_TOP + inner_h - h)}" '
            f'width="{_number(step * 0.8)}" height="{_number(h)}" fill="{PALETTE[0]}">'
            f"<title>{escape(name)}: {value} {escape(unit)}</title></rect>"
        )
    return _frame(label, _summary(labels, values, unit), body)


def line_chart(labels: Sequence[str], series: Mapping[str, Sequence[int]], label: str, unit: str) -> Markup:
    """One line per series (a version, say) over the labels, with a legend under the chart."""
    for name, values in series.items():
        if len(values) != len(labels):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(labels)} labels")
    top = nice_max(max((max(v, default=0) for v in series.values()), default=0))
    inner_w, inner_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    step = inner_w / max(len(labels), 1)
    body = _axes(labels, top)
    legend_rows = (len(series) + 1) // 2
    for n, (name, values) in enumerate(series.items()):
        colour = PALETTE[n % len(PALETTE)]
        points = " ".join(
            f"{_number(PAD_LEFT + (i + 0.5) * step)},{_number(PAD_TOP + inner_h - inner_h * v / top)}"
            for i, v in enumerate(values)
        )
        body.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2">'
            f"<title>{escape(name)}: {sum(values)} {escape(unit)}</title></polyline>"
        )
        x, y = PAD_LEFT + (n % 2) * inner_w / 2, HEIGHT + 14 + (n // 2) * 18
        body.append(f'<rect x="{_number(x)}" y="{y - 9}" width="10" height="10" fill="{colour}"/>')
        body.append(f'<text x="{_number(x + 14)}" y="{y}" {_TEXT}>{escape(name)} ({sum(values)})</text>')
    totals = [sum(col) for col in zip(*series.values(), strict=True)] if series else [0] * len(labels)
    summary = _summary(labels, totals, unit) + "".join(
        f"; {name}: {sum(values)}" for name, values in series.items()
    )
    return _frame(label, summary, body, HEIGHT + 6 + legend_rows * 18)


def sparkline(values: Sequence[int], label: str) -> Markup:
    """A word-sized line of a few values (a skill's downloads per day in a table cell)."""
    width, height = 100, 20
    top = max(max(values, default=0), 1)
    step = width / max(len(values) - 1, 1)
    points = " ".join(
        f"{_number(i * step)},{_number(height - 1 - (height - 2) * v / top)}" for i, v in enumerate(values)
    )
    n = next(_ids)
    return Markup(
        f'<svg class="spark" viewBox="0 0 {width} {height}" role="img" aria-labelledby="spark{n}" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="spark{n}">{escape(label)}</title>'
        f'<polyline points="{points}" fill="none" stroke="{PALETTE[0]}" stroke-width="1.5"/></svg>'
    )
