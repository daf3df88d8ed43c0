"""Server-rendered inline SVG charts (no JavaScript, no CDN), for any page that shows a trend over time.

``line_chart(points)`` takes ``(date or datetime, value or None)`` pairs in time order and returns SVG markup
marked safe; every text in it is escaped. Gaps (None) break the line. The y axis runs from ``y_min`` to
``y_max`` (0–100 by default: scores and percentages). Optional ``threshold`` draws a dashed target line.
"""

from collections.abc import Sequence
from datetime import date, datetime

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 180
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 36, 12, 12, 26


def _label(moment) -> str:
    if isinstance(moment, datetime):
        return moment.strftime("%Y-%m-%d %H:%M")
    if isinstance(moment, date):
        return moment.isoformat()
    return str(moment)


def line_chart(
    points: Sequence[tuple],
    *,
    title: str = "",
    y_min: float = 0,
    y_max: float = 100,
    threshold: float | None = None,
    unit: str = "",
    width: int = WIDTH,
    height: int = HEIGHT,
) -> SafeString:
    plot_w, plot_h = width - PAD_LEFT - PAD_RIGHT, height - PAD_TOP - PAD_BOTTOM
    span = (y_max - y_min) or 1

    def y_of(value: float) -> float:
        clamped = min(max(value, y_min), y_max)
        return round(PAD_TOP + plot_h * (1 - (clamped - y_min) / span), 1)

    def x_of(index: int) -> float:
        return round(PAD_LEFT + (plot_w * index / (len(points) - 1) if len(points) > 1 else plot_w / 2), 1)

    parts = [
        f'<svg class="chart-svg" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in (y_min, (y_min + y_max) / 2, y_max):
        y = y_of(tick)
        parts.append(f'<line class="axis" x1="{PAD_LEFT}" x2="{width - PAD_RIGHT}" y1="{y}" y2="{y}"/>')
        parts.append(f'<text x="{PAD_LEFT - 4}" y="{y + 4}" text-anchor="end" font-size="10">{tick:g}</text>')
    if threshold is not None:
        y = y_of(threshold)
        parts.append(
            f'<line class="threshold" x1="{PAD_LEFT}" x2="{width - PAD_RIGHT}" y1="{y}" y2="{y}" '
            f'stroke="#c0392b" stroke-dasharray="4 3"/>'
        )
    if not points:
        parts.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" font-size="12">No data yet</text>')
        parts.append("</svg>")
        return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above
    segments, current = [], []
    for index, (_moment, value) in enumerate(points):
        if value is None:
            if current:
                segments.append(current)
            current = []
            continue
        current.append(f"{x_of(index)},{y_of(float(value))}")
    if current:
        segments.append(current)
    measured = [value for _moment, value in points if value is not None]
    if len(measured) == 1:
        # One measurement is a level, not a trend: draw it across and say so, rather than one lonely dot.
        y = y_of(float(measured[0]))
        parts.append(f'<line class="line" x1="{PAD_LEFT}" x2="{width - PAD_RIGHT}" y1="{y}" y2="{y}"/>')
        parts.append(
            f'<text x="{width / 2}" y="{max(y - 8, PAD_TOP + 10)}" text-anchor="middle" font-size="11">'
            f"{float(measured[0]):g}{escape(unit)}: one measurement so far; the trend shows from the next</text>"
        )
    for segment in segments:
        if len(segment) == 1:
            x, y = segment[0].split(",")
            parts.append(f'<circle class="dot" cx="{x}" cy="{y}" r="3.5"/>')
        else:
            parts.append(f'<polyline class="line" points="{" ".join(segment)}"/>')
    for index, (moment, value) in enumerate(points):
        if value is None:
            continue
        text = f"{_label(moment)}: {float(value):g}{unit}"
        parts.append(
            f'<circle cx="{x_of(index)}" cy="{y_of(float(value))}" r="5" fill="transparent">'
            f"<title>{escape(text)}</title></circle>"
        )
    first, last = _label(points[0][0]), _label(points[-1][0])
    parts.append(f'<text x="{PAD_LEFT}" y="{height - 6}" font-size="10">{escape(first)}</text>')
    parts.append(
        f'<text x="{width - PAD_RIGHT}" y="{height - 6}" text-anchor="end" font-size="10">{escape(last)}</text>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above


def daily_series(values_by_day: dict, days: Sequence[date]) -> list[tuple[date, float | None]]:
    """Align ``{day: value}`` on a fixed list of days, None where a day has no value (a gap in the line)."""
    return [(day, values_by_day.get(day)) for day in days]
