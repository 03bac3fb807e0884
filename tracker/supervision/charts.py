"""Small server-drawn SVG charts: no JavaScript, no CDN, and they print.

Only presentation attributes are used (no style attributes), so the pages keep a strict
Content-Security-Policy. Every label is escaped.
"""

from __future__ import annotations

from markupsafe import Markup, escape

PALETTE = ("#a4161a", "#0b5cad", "#23723a", "#9a5b00", "#6b4fa0", "#5b6675")
FONT = 'font-family="Noto Sans CJK SC, Microsoft YaHei, sans-serif"'


def bar_chart(
    items: list[tuple[str, float]],
    *,
    title: str,
    value_format: str = "{:g}",
    max_value: float | None = None,
    label_width: int = 150,
    bar_width: int = 360,
    colors: tuple[str, ...] = PALETTE,
) -> Markup:
    """Horizontal bars, one row per item, the value written after the bar."""
    row, top = 26, 8
    height = top * 2 + row * max(len(items), 1)
    top_value = max_value if max_value is not None else max((v for _, v in items), default=0)
    scale = bar_width / top_value if top_value else 0
    width = label_width + bar_width + 80
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" {FONT} font-size="13">',
        f"<title>{escape(title)}</title>",
    ]
    for n, (label, value) in enumerate(items):
        y = top + n * row
        length = max(value * scale, 0)
        color = colors[n % len(colors)]
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end" fill="#1d2733">'
            f"{escape(_clip(label, 14))}</text>"
            f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="17" fill="{color}"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 17}" fill="#1d2733">'
            f"{escape(value_format.format(value))}</text>"
        )
    if not items:
        parts.append('<text x="10" y="24" fill="#5b6675">—</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def month_chart(rows: list[tuple[str, int, int]], *, title: str, legend: tuple[str, str]) -> Markup:
    """Pairs of columns per month: replies sent against replies falling due."""
    left, bottom, top, step = 36, 36, 16, 46
    height = 220
    width = left + step * max(len(rows), 1) + 20
    peak = max([max(a, b) for _, a, b in rows] + [1])
    plot = height - bottom - top
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height + 24}" width="{width}" height="{height + 24}" {FONT} font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#5b6675"/>',
    ]
    for n, (month, replied, due) in enumerate(rows):
        x = left + n * step + 6
        for k, (value, color) in enumerate(((replied, PALETTE[2]), (due, PALETTE[0]))):
            h = plot * value / peak
            parts.append(
                f'<rect x="{x + k * 16}" y="{height - bottom - h:.1f}" width="14" height="{h:.1f}" fill="{color}"/>'
                f'<text x="{x + k * 16 + 7}" y="{height - bottom - h - 3:.1f}" text-anchor="middle" '
                f'font-size="10" fill="#1d2733">{value}</text>'
            )
        parts.append(
            f'<text x="{x + 15}" y="{height - bottom + 16}" text-anchor="middle" fill="#1d2733">'
            f"{escape(month[2:] if len(month) == 7 else month)}</text>"
        )
    y = height + 12
    parts.append(
        f'<rect x="{left}" y="{y - 10}" width="12" height="12" fill="{PALETTE[2]}"/>'
        f'<text x="{left + 16}" y="{y}" fill="#1d2733">{escape(legend[0])}</text>'
        f'<rect x="{left + 120}" y="{y - 10}" width="12" height="12" fill="{PALETTE[0]}"/>'
        f'<text x="{left + 136}" y="{y}" fill="#1d2733">{escape(legend[1])}</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
