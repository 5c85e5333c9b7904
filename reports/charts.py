"""Server-side SVG charts: no script, no CDN, presentation attributes only (the CSP forbids
inline ``style``). Each function returns markup that is safe to embed: every text is escaped.
"""

from __future__ import annotations

from html import escape

from django.utils.safestring import SafeString, mark_safe

FONT = 'font-family="sans-serif" font-size="12" fill="#333"'
COLORS = {"attempts": "#417690", "verified": "#2e7d32", "rejected": "#c62828", "bar": "#417690"}


def _svg(width: int, height: int, title: str, body: list[str]) -> SafeString:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
        f'<rect width="{width}" height="{height}" fill="#fff"/>'
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308 -- every text is escaped


def _nice_max(value: int) -> int:
    """The axis top: a round number >= value that splits into 4 whole ticks."""
    if value <= 4:
        return 4
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 4, 8, 10):
        if value <= step * magnitude and (step * magnitude) % 4 == 0:
            return step * magnitude
    return -(-value // 4) * 4


def series_chart(series, *, title: str, hourly: bool) -> SafeString:
    """Grouped columns per day (or hour): attempts, verified, rejected, with a legend."""
    width, height, left, bottom, top = 760, 260, 48, 40, 30
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = _nice_max(max([max(a, v, r) for _, a, v, r in series] or [0]))
    n = max(1, len(series))
    slot = plot_w / n
    bar = max(1.0, min(14.0, slot / 3.6))
    body = []
    for i in range(5):  # grid and y labels
        value = peak * i / 4
        y = top + plot_h - plot_h * i / 4
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        body.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" {FONT}>{value:g}</text>'
        )
    label_every = max(1, round(n / 12))
    for i, (step, *values) in enumerate(series):
        x0 = left + i * slot + (slot - 3 * bar) / 2
        for j, (name, value) in enumerate(
            zip(("attempts", "verified", "rejected"), values, strict=True)
        ):
            h = plot_h * value / peak
            body.append(
                f'<rect x="{x0 + j * bar:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{COLORS[name]}"><title>{escape(str(step))} {name}: '
                f"{value}</title></rect>"
            )
        if i % label_every == 0:
            label = step.strftime("%H:%M") if hourly else step.strftime("%m-%d")
            body.append(
                f'<text x="{left + i * slot + slot / 2:.1f}" y="{height - bottom + 16}" '
                f'text-anchor="middle" {FONT}>{label}</text>'
            )
    for j, name in enumerate(("attempts", "verified", "rejected")):
        x = left + j * 110
        body.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{COLORS[name]}"/>')
        body.append(f'<text x="{x + 16}" y="18" {FONT}>{name}</text>')
    return _svg(width, height, title, body)


def bar_chart(rows, *, title: str, color: str = COLORS["bar"], mark_over: str | None = None):
    """Horizontal bars, one per (label, count) row; a row whose label is ``mark_over`` or
    after it is drawn in red (breaches of a target)."""
    rows = list(rows) or [("(none)", 0)]
    row_h, left, width = 24, 170, 760
    height = row_h * len(rows) + 16
    peak = _nice_max(max(n for _, n in rows))
    plot_w = width - left - 70
    body = []
    over = False
    for i, (label, n) in enumerate(rows):
        over = over or (mark_over is not None and label == mark_over)
        y = 8 + i * row_h
        w = plot_w * n / peak
        fill = COLORS["rejected"] if over else color
        body.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" {FONT}>'
            f"{escape(str(label))}</text>"
        )
        body.append(
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="{fill}"/>'
        )
        body.append(f'<text x="{left + w + 6:.1f}" y="{y + 15}" {FONT}>{n}</text>')
    return _svg(width, height, title, body)


def duration_text(seconds: float | None) -> str:
    """A duration as people say it: "850 ms", "1.6 s", "1 min 20 s", "2 h 5 min" (None: a dash)."""
    if seconds is None:
        return "\u2013"
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    if seconds < 10:
        return f"{seconds:.1f} s".replace(".0 s", " s")
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min {secs} s" if secs else f"{minutes} min"
