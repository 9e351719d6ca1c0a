"""Server-side SVG charts for the staff pages: no JavaScript, no CDN, print cleanly.

Every label goes through markupsafe.escape (labels can hold residents' words); the result is Markup so the
templates insert it as is.  Each chart has role="img", a <title> and an aria-label for screen readers, and
the pages show the same figures as a table next to it.
"""
from __future__ import annotations

from markupsafe import Markup, escape

PALETTE = ["#1f6feb", "#2da44e", "#d4a72c", "#cf222e", "#8250df", "#1b7c83", "#bc4c00", "#6e7781", "#bf3989",
           "#0a3069"]


def _svg(width: int, height: int, title: str, body: str) -> Markup:
    t = escape(title)
    return Markup(f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
                  f'width="100%" role="img" aria-label="{t}"><title>{t}</title>{body}</svg>')


def _fmt(n: float) -> str:
    return f"{int(n):,}" if float(n).is_integer() else f"{n:,.1f}"


def bars_by_day(points: list[tuple[str, int]], title: str, width: int = 720, height: int = 220) -> Markup:
    """Column chart of counts per day: [(YYYY-MM-DD, n)], gaps already filled by the caller."""
    if not points:
        return _svg(width, 60, title, '<text x="10" y="35" class="empty">この期間の質問はありません</text>')
    left, bottom, top = 44, 28, 12
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max(n for _, n in points) or 1
    step = plot_w / len(points)
    bar = max(1.0, step * 0.8)
    parts = [f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 8}" y2="{top + plot_h}" class="axis"/>',
             f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" class="tick">{_fmt(peak)}</text>',
             f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" class="tick">0</text>']
    label_every = max(1, len(points) // 8)
    for i, (day, n) in enumerate(points):
        h = plot_h * n / peak
        x = left + i * step + (step - bar) / 2
        parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                     f'fill="{PALETTE[0]}"><title>{escape(day)}: {n:,}</title></rect>')
        if i % label_every == 0:
            parts.append(f'<text x="{left + i * step + step / 2:.1f}" y="{height - 8}" text-anchor="middle" '
                         f'class="tick">{escape(day[5:])}</text>')
    return _svg(width, height, title, "".join(parts))


def hbars(items: list[tuple[str, float]], title: str, width: int = 520, unit: str = "",
          max_value: float | None = None) -> Markup:
    """Horizontal bars, one per (label, value), in the given order."""
    if not items:
        return _svg(width, 40, title, '<text x="10" y="25" class="empty">データがありません</text>')
    row, label_w, value_w = 26, 190, 70
    height = row * len(items) + 6
    peak = max_value or max(v for _, v in items) or 1
    plot_w = width - label_w - value_w
    parts = []
    for i, (label, value) in enumerate(items):
        y = 4 + i * row
        w = plot_w * value / peak
        text = str(label)
        short = text if len(text) <= 14 else text[:13] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" class="label">'
                     f'<title>{escape(text)}</title>{escape(short)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" '
                     f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(text)}: {_fmt(value)}{escape(unit)}</title></rect>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 16}" class="value">{_fmt(value)}{escape(unit)}</text>')
    return _svg(width, height, title, "".join(parts))


def rate_bar(helpful: int, not_helpful: int, title: str, width: int = 520) -> Markup:
    """One stacked bar: 役に立った vs 役に立たなかった, with the rate written large."""
    rated = helpful + not_helpful
    if not rated:
        return _svg(width, 40, title, '<text x="10" y="25" class="empty">まだ評価がありません</text>')
    rate = helpful / rated
    w = (width - 20) * rate
    body = (f'<text x="10" y="30" class="big">{rate * 100:.1f}%</text>'
            f'<rect x="10" y="44" width="{w:.1f}" height="22" fill="{PALETTE[1]}">'
            f'<title>役に立った {helpful:,}</title></rect>'
            f'<rect x="{10 + w:.1f}" y="44" width="{width - 20 - w:.1f}" height="22" fill="{PALETTE[3]}">'
            f'<title>役に立たなかった {not_helpful:,}</title></rect>'
            f'<text x="10" y="84" class="tick">役に立った {helpful:,} / 役に立たなかった {not_helpful:,}（評価 {rated:,} 件）</text>')
    return _svg(width, 92, title, body)
