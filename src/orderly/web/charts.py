"""Tiny SVG charts drawn on the server: stacked columns, horizontal bars and a share meter.

Each function returns markup that scales to its container (viewBox, no fixed size), carries an
accessible name (role="img" and <title>) and a <title> on every mark for a hover tooltip.
Colours come from CSS classes (`.series-0` ...), so the stylesheet owns the palette.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from markupsafe import Markup, escape

SERIES_CLASSES = 6


def _svg(width: int, height: int, label: str, body: list[str]) -> Markup:
    # Every text that enters the markup here is escaped where it is written.
    return Markup(  # noqa: S704
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(label)}</title>{''.join(body)}</svg>"
    )


def _nice_max(value: int) -> int:
    """A round axis maximum at or above the value (1, 2, 5 x 10^n)."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def stacked_columns(
    days: Sequence[date], series: Mapping[str, Sequence[int]], *, label: str
) -> Markup:
    """One column per day, stacked by series (e.g. orders per day by channel)."""
    width, height = 960, 260
    left, right, top, bottom = 40, 24, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(values[i] for values in series.values()) for i in range(len(days))]
    top_value = _nice_max(max(totals, default=0))
    slot = plot_w / max(len(days), 1)
    bar_w = max(slot * 0.7, 1)
    body: list[str] = []
    for tick in (0, top_value // 2, top_value):
        y = top + plot_h - plot_h * tick / top_value
        body.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>'
        )
    for i, day in enumerate(days):
        x = left + i * slot + (slot - bar_w) / 2
        base: float = top + plot_h
        for n, (name, values) in enumerate(series.items()):
            value = values[i]
            if not value:
                continue
            h = plot_h * value / top_value
            base -= h
            body.append(
                f'<rect class="series-{n % SERIES_CLASSES}" x="{x:.1f}" y="{base:.1f}" '
                f'width="{bar_w:.1f}" height="{h:.1f}"><title>{day.isoformat()}: '
                f"{value} {escape(name)}</title></rect>"
            )
        if (len(days) - 1 - i) % 7 == 0:
            body.append(
                f'<text class="axis" x="{x + bar_w / 2:.1f}" y="{height - 8}" '
                f'text-anchor="middle">{day.strftime("%b %d")}</text>'
            )
    return _svg(width, height, label, body)


def legend(names: Sequence[str]) -> Markup:
    items = "".join(
        f'<li><span class="swatch series-{n % SERIES_CLASSES}"></span>{escape(name)}</li>'
        for n, name in enumerate(names)
    )
    return Markup(f'<ul class="legend">{items}</ul>')  # noqa: S704 (names are escaped)


def horizontal_bars(items: Sequence[tuple[str, int]], *, label: str) -> Markup:
    """One labelled bar per item (e.g. the backlog by status)."""
    row_h, label_w, width = 30, 130, 480
    height = max(row_h * len(items), row_h)
    top_value = _nice_max(max((v for _, v in items), default=0))
    body: list[str] = []
    for i, (name, value) in enumerate(items):
        y = i * row_h
        w = (width - label_w - 48) * value / top_value
        body.append(
            f'<text class="axis" x="{label_w - 8}" y="{y + 19}" text-anchor="end">'
            f"{escape(name)}</text>"
            f'<rect class="series-{i % SERIES_CLASSES}" x="{label_w}" y="{y + 6}" '
            f'width="{max(w, 1):.1f}" height="{row_h - 12}"><title>{escape(name)}: {value}'
            f"</title></rect>"
            f'<text class="value" x="{label_w + w + 6:.1f}" y="{y + 19}">{value}</text>'
        )
    return _svg(width, height, label, body)


def share_meter(share: float, *, label: str) -> Markup:
    """A bar filled to the share (0..1), with the percentage written on it."""
    width, height = 320, 36
    share = min(max(share, 0.0), 1.0)
    body = [
        f'<rect class="track" x="0" y="8" width="{width}" height="20" rx="4"/>',
        f'<rect class="fill" x="0" y="8" width="{width * share:.1f}" height="20" rx="4">'
        f"<title>{share:.0%}</title></rect>",
        f'<text class="value on-fill" x="8" y="23">{share:.0%}</text>',
    ]
    return _svg(width, height, label, body)
