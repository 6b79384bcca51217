"""Hand-made inline SVG charts rendered on the server (no JavaScript, no ``style`` attributes: the CSP
forbids inline styles, so colours come from CSS classes and SVG presentation attributes). Text is escaped
and drawn at a size readable in a screenshot; fonts come from the page's CSS, so Chinese renders."""

from __future__ import annotations

from markupsafe import Markup, escape

from qa.scorecards.scoring import format_score

BAR_HEIGHT = 26
LABEL_WIDTH = 150
CHART_WIDTH = 640


def _text(x: float, y: float, content: str, cls: str, anchor: str = "start") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" class="{cls}" text-anchor="{anchor}">{escape(content)}</text>'


def bar_chart(
    items: list[tuple[str, float | None, str]],
    title: str,
    maximum: float = 100.0,
    *,
    target: float | None = 80.0,
    bad_below: float | None = 60.0,
    bad_above: float | None = None,
) -> Markup:
    """Horizontal bars: ``(label, value 0..maximum or None, note)``; a dashed line marks ``target``; bars
    below ``bad_below`` (scores) or above ``bad_above`` (failure rates) are drawn in the warning colour."""
    if not items:
        return Markup("")
    plot = CHART_WIDTH - LABEL_WIDTH - 70
    height = len(items) * BAR_HEIGHT + 30
    parts = [
        f'<svg class="loop-chart" viewBox="0 0 {CHART_WIDTH} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for i, (label, value, note) in enumerate(items):
        y = 10 + i * BAR_HEIGHT
        parts.append(_text(LABEL_WIDTH - 8, y + 17, label[:14], "loop-chart-label", "end"))
        width = 0.0 if value is None else max(0.0, min(1.0, value / maximum)) * plot
        bad = value is not None and (
            (bad_below is not None and value < bad_below) or (bad_above is not None and value > bad_above)
        )
        cls = "loop-bar" + (" loop-bar-low" if bad else "")
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{width:.1f}" height="{BAR_HEIGHT - 8}" class="{cls}" rx="2"/>'
        )
        shown = format_score(value) + (f" ({note})" if note else "")
        parts.append(_text(LABEL_WIDTH + width + 6, y + 17, shown, "loop-chart-value"))
    if target is not None:
        mark = LABEL_WIDTH + target / maximum * plot
        parts.append(
            f'<line x1="{mark:.1f}" y1="6" x2="{mark:.1f}" y2="{height - 18}" class="loop-chart-target" '
            f'stroke-dasharray="4 3"/>'
        )
        parts.append(_text(mark, height - 4, f"{target:g}", "loop-chart-axis", "middle"))
    parts.append("</svg>")
    # Safe: every text piece went through escape() and the rest is numbers and fixed markup.
    return Markup("".join(parts))  # noqa: S704  # nosec B704


def line_chart(points: list[tuple[str, float | None]], title: str, maximum: float = 100.0) -> Markup:
    """IQS over time: one point per period, the value written above it; the y axis runs 0..maximum."""
    present = [(k, v) for k, v in points if v is not None]
    if not present:
        return Markup("")
    height, left, right, top, bottom = 260, 60, 50, 24, 40
    plot_w, plot_h = CHART_WIDTH - left - right, height - top - bottom
    step = plot_w / max(1, len(present) - 1)
    coords = [
        (
            left + (i * step if len(present) > 1 else plot_w / 2),
            top + plot_h * (1 - max(0.0, min(v, maximum)) / maximum),
        )
        for i, (_k, v) in enumerate(present)
    ]
    parts = [
        f'<svg class="loop-chart" viewBox="0 0 {CHART_WIDTH} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for tick in (0, 50, 80, 100):
        y = top + plot_h * (1 - tick / maximum)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{CHART_WIDTH - right}" y2="{y:.1f}" class="loop-chart-grid"/>'
        )
        parts.append(_text(left - 6, y + 4, str(tick), "loop-chart-axis", "end"))
    parts.append(
        '<polyline class="loop-line" fill="none" points="'
        + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        + '"/>'
    )
    for (key, value), (x, y) in zip(present, coords, strict=True):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" class="loop-point"/>')
        parts.append(_text(x, y - 9, format_score(value), "loop-chart-value", "middle"))
        parts.append(_text(x, height - 14, key, "loop-chart-label", "middle"))
    parts.append("</svg>")
    # Safe: every text piece went through escape() and the rest is numbers and fixed markup.
    return Markup("".join(parts))  # noqa: S704  # nosec B704
