"""Charts drawn on the server as inline SVG: no script, no CDN (a bonded-zone intranet reaches none), and
readable by a screen reader through the chart's title and a table of the same figures beside it.

Why SVG from Python rather than a vendored chart library: the pages need two kinds of chart (counts by
period, a score over time), a few dozen points each; forty lines of SVG cost nothing to send, work with
JavaScript off, print, and every label goes through the same escaping as the rest of the page.
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 640, 220, 44, 36, 12
ACCENT = "#0b6e4f"


def _frame(title: str, body: list[str], kind: str) -> Markup:
    # Every label and title in `body` went through html.escape above; numbers are formatted floats.
    return Markup(  # noqa: S704
        f'<svg class="chart" data-chart="{escape(kind)}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        + "".join(body)
        + "</svg>"
    )


def _axis(top: float) -> list[str]:
    plot_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    out = [
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{PAD_LEFT}" y2="{HEIGHT - PAD_BOTTOM}" stroke="#5b6b7c"/>',
        f'<line x1="{PAD_LEFT}" y1="{HEIGHT - PAD_BOTTOM}" x2="{WIDTH - 4}" y2="{HEIGHT - PAD_BOTTOM}" '
        'stroke="#5b6b7c"/>',
    ]
    for frac in (0.0, 0.5, 1.0):
        y = HEIGHT - PAD_BOTTOM - frac * plot_h
        out.append(
            f'<text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#1d2733">'
            f"{top * frac:g}</text>"
        )
    return out


def bars(points: list[tuple[str, float]], title: str) -> Markup:
    """A bar per (label, value), labels under every few bars so they never overlap."""
    if not points:
        return _frame(title, [], "bars")
    top = max(v for _, v in points) or 1
    plot_w, plot_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    step = plot_w / len(points)
    every = max(1, len(points) // 8)
    body = _axis(top)
    for i, (label, value) in enumerate(points):
        h = value / top * plot_h
        x = PAD_LEFT + 4 + i * step
        body.append(
            f'<rect x="{x:.1f}" y="{HEIGHT - PAD_BOTTOM - h:.1f}" width="{max(step - 4, 1):.1f}" '
            f'height="{h:.1f}" fill="{ACCENT}"><title>{escape(label)}: {value:g}</title></rect>'
        )
        if i % every == 0:
            body.append(
                f'<text x="{x + step / 2:.1f}" y="{HEIGHT - PAD_BOTTOM + 16}" font-size="11" '
                f'text-anchor="middle" fill="#1d2733">{escape(label)}</text>'
            )
    return _frame(title, body, "bars")


def line(points: list[tuple[str, float]], title: str, top: float = 1000) -> Markup:
    """A line through (label, value) in order, on a fixed scale (a score out of 1000)."""
    plot_w, plot_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    body = _axis(top)
    if points:
        step = plot_w / max(len(points) - 1, 1)
        xy = [
            (PAD_LEFT + 4 + i * step, HEIGHT - PAD_BOTTOM - min(v, top) / top * plot_h)
            for i, (_, v) in enumerate(points)
        ]
        body.append(
            f'<polyline fill="none" stroke="{ACCENT}" stroke-width="2" points="'
            + " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
            + '"/>'
        )
        every = max(1, len(points) // 6)
        for i, ((label, value), (x, y)) in enumerate(zip(points, xy, strict=True)):
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{ACCENT}">'
                f"<title>{escape(label)}: {value:g}</title></circle>"
            )
            if i % every == 0:
                body.append(
                    f'<text x="{x:.1f}" y="{HEIGHT - PAD_BOTTOM + 16}" font-size="11" text-anchor="middle" '
                    f'fill="#1d2733">{escape(label)}</text>'
                )
    return _frame(title, body, "line")
