"""Charts as SVG, drawn on the server with pygal: no JavaScript, readable on a phone.

Each chart is returned as a `data:` URI for an <img> (the page's content security policy
allows images from data: and keeps inline styles out of the page itself); the page shows
the same numbers in a table beside it."""

from __future__ import annotations

import base64
from collections.abc import Sequence

import pygal
from pygal.style import Style

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1b1b1b",
    foreground_strong="#1b1b1b",
    foreground_subtle="#5a6270",
    colors=("#1d4e89", "#e7a100", "#2e7d32", "#a12622", "#6a4c93", "#00838f"),
    font_family="system-ui, sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=14,
    value_font_size=12,
    title_font_size=16,
)
WIDTH, HEIGHT = 640, 380
Series = Sequence[tuple[str, Sequence[float | None]]]


def _config(kind: type[pygal.graph.graph.Graph], **options: object) -> pygal.graph.graph.Graph:
    return kind(
        style=STYLE,
        js=[],
        width=WIDTH,
        height=HEIGHT,
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        disable_xml_declaration=True,
        print_values=False,
        truncate_label=-1,
        **options,
    )


def as_data_uri(chart: pygal.graph.graph.Graph) -> str:
    svg: str = chart.render(is_unicode=True)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def line(labels: Sequence[str], series: Series, *, percent: bool = False) -> str:
    chart = _config(
        pygal.Line,
        x_label_rotation=45 if len(labels) > 8 else 0,
        show_minor_x_labels=len(labels) <= 16,
        x_labels_major_every=max(1, len(labels) // 8),
        value_formatter=(lambda v: f"{v:.0f}%") if percent else (lambda v: f"{v:,.0f}"),
        show_dots=len(labels) <= 30,
    )
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    return as_data_uri(chart)


def bars(labels: Sequence[str], series: Series, *, stacked: bool = False) -> str:
    kind = pygal.HorizontalStackedBar if stacked else pygal.HorizontalBar
    height = max(HEIGHT, 90 + 26 * len(labels) * (1 if stacked else max(1, len(series))))
    chart = _config(kind, value_formatter=lambda v: f"{v:,.0f}")
    chart.config.height = height
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    return as_data_uri(chart)


def sparkline(values: Sequence[int]) -> str:
    """A small trend line, without axes."""
    chart = pygal.Line(style=STYLE, js=[], disable_xml_declaration=True, width=160, height=40)
    chart.add("", list(values))
    svg: str = chart.render_sparkline(is_unicode=True)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
