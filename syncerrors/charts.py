"""Small server-rendered SVG charts (no script, no CDN): errors opened and resolved per hour."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

BAR = 6  # px per hour: two 3 px bars, opened (red) then resolved (green)
HEIGHT = 40


def hourly_chart(opened: list[int], resolved: list[int], now: datetime) -> SafeString:
    hours = len(opened)
    top = max([*opened, *resolved, 1])
    start = now - timedelta(hours=hours - 1)

    def bars(series, offset, colour, what):
        for hour, count in enumerate(series):
            if not count:
                continue
            height = max(1, round(count / top * HEIGHT))
            when = (start + timedelta(hours=hour)).strftime("%d %b %H:00")
            yield (hour * BAR + offset, HEIGHT - height, height, colour, f"{when}: {count} {what}")

    rects = format_html_join(
        "",
        '<rect x="{}" y="{}" width="3" height="{}" fill="{}"><title>{}</title></rect>',
        [*bars(opened, 0, "#ba2121", "opened"), *bars(resolved, 3, "#417690", "resolved")],
    )
    label = f"Sync errors over the last {hours} hours: {sum(opened)} opened, {sum(resolved)} resolved"
    return format_html(
        '<svg class="error-chart" role="img" aria-label="{}" width="{}" height="{}" viewBox="0 0 {} {}">'
        '<title>{}</title><line x1="0" y1="{}" x2="{}" y2="{}" stroke="#ccc"/>{}</svg>',
        label,
        hours * BAR,
        HEIGHT + 1,
        hours * BAR,
        HEIGHT + 1,
        label,
        HEIGHT,
        hours * BAR,
        HEIGHT,
        rects,
    )
