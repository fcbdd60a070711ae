"""The timeline picture: failed sign-ins per time bucket, stacked by category, over the healthy sign-ins.

An inline SVG (no script, nothing fetched) built from numbers only: every coordinate is computed here from counts,
and the only text in it (time labels, category names in the tooltips) goes through ``markupsafe.escape``. The
function takes the ``timeline`` section of findings.json (see ``activity.timeline``) so any report that has such a
section — report.html, a fleet view — can draw it the same way; :func:`category_colours` gives the legend the
same colours.

Healthy sign-ins usually outnumber failures by far, so they get their own scale (right axis), drawn as grey bars
behind; failures use the left axis. Both axes are labelled so the two scales are never confused.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from markupsafe import Markup, escape

from nps_trace_analyzer.catalog.schema import CATEGORIES

# One colour per catalog category (same order as the vocabulary); colour-blind-safe (Okabe-Ito) first.
_PALETTE = ("#d55e00", "#cc79a7", "#0072b2", "#e69f00", "#009e73", "#56b4e9", "#8c564b", "#7f7f7f", "#bcbd22")
HEALTHY_COLOUR = "#d0d4d9"
WIDTH, HEIGHT = 960, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 52, 12, 34


def category_colours() -> dict[str, str]:
    """Category -> fill colour, for the SVG and its HTML legend."""
    return {cat: _PALETTE[i % len(_PALETTE)] for i, cat in enumerate(CATEGORIES)}


def _colour(category: str, colours: dict[str, str]) -> str:
    return colours.get(category, _PALETTE[-1])


def _label(start: datetime, seconds: int, same_day: bool) -> str:
    if seconds >= 86400:
        return start.strftime("%Y-%m-%d")
    return start.strftime("%H:%M") if same_day else start.strftime("%m-%d %H:%M")


def _duration(seconds: int) -> str:
    if seconds % 86400 == 0:
        return f"{seconds // 86400} day(s)"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} hour(s)"
    return f"{seconds // 60} minute(s)"


def bucket_label(timeline: dict[str, Any]) -> str:
    """ "10 minute(s)": the width of one bar, for the caption."""
    return _duration(int(timeline.get("bucket_seconds", 60)))


def _parse(value: str) -> datetime:
    return datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)


def timeline_svg(timeline: dict[str, Any], title_id: str = "timeline-title") -> Markup:
    """The SVG for a ``timeline`` section; empty markup when there is nothing to draw.

    ``title_id`` names the SVG's title element (its accessible name): a page drawing several timelines (fleet.html,
    one per server) gives each its own, since an id must be unique in a page."""
    healthy: list[int] = [int(n) for n in timeline.get("healthy", [])]
    failed: dict[str, list[int]] = {str(c): [int(n) for n in v] for c, v in timeline.get("failed", {}).items()}
    count = len(healthy)
    if count == 0:
        return Markup("")
    seconds = int(timeline["bucket_seconds"])
    start = _parse(str(timeline["start"]))
    colours = category_colours()
    totals = [sum(series[i] for series in failed.values()) for i in range(count)]
    max_failed, max_healthy = max(totals, default=0) or 1, max(healthy) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / count
    bar = max(step * 0.8, 0.5)
    base = TOP + plot_h
    parts = [
        f'<svg class="timeline" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{escape(title_id)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(title_id)}">Failed sign-ins per time bucket by category, healthy sign-ins behind</title>',
        f'<line x1="{LEFT}" y1="{base}" x2="{LEFT + plot_w}" y2="{base}" class="axis"/>',
    ]
    ends = start + timedelta(seconds=seconds * count)
    same_day = start.date() == (ends - timedelta(seconds=1)).date()
    for i in range(count):
        x = LEFT + i * step + (step - bar) / 2
        when = start + timedelta(seconds=seconds * i)
        tip = [f"{when:%Y-%m-%d %H:%M} UTC: {healthy[i]} healthy, {totals[i]} failed"]
        tip += [f"{cat}: {series[i]}" for cat, series in failed.items() if series[i]]
        parts.append(f"<g><title>{escape('; '.join(tip))}</title>")
        if healthy[i]:
            h = plot_h * healthy[i] / max_healthy
            parts.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{HEALTHY_COLOUR}"/>'
            )
        y = float(base)
        for cat, series in failed.items():
            if series[i]:
                h = plot_h * series[i] / max_failed
                y -= h
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{_colour(cat, colours)}"/>'
                )
        parts.append("</g>")
    ticks = min(count, 8)
    for k in range(ticks + 1):
        i = round(k * count / ticks)
        x = LEFT + i * step
        label = _label(start + timedelta(seconds=seconds * i), seconds, same_day)
        parts.append(f'<line x1="{x:.1f}" y1="{base}" x2="{x:.1f}" y2="{base + 4}" class="axis"/>')
        parts.append(f'<text x="{x:.1f}" y="{base + 18}" text-anchor="middle">{escape(label)}</text>')
    parts += [
        f'<text x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end" class="failed-axis">{max_failed}</text>',
        f'<text x="{LEFT - 6}" y="{base}" text-anchor="end">0</text>',
        f'<text x="{LEFT + plot_w + 6}" y="{TOP + 10}" class="healthy-axis">{max_healthy}</text>',
        f'<text x="{LEFT + plot_w + 6}" y="{base}">0</text>',
        f'<text x="{LEFT - 6}" y="{HEIGHT - 2}" text-anchor="end" class="axis-name">failed</text>',
        f'<text x="{LEFT + plot_w + 6}" y="{HEIGHT - 2}" class="axis-name">healthy</text>',
        "</svg>",
    ]
    return Markup("".join(parts))  # noqa: S704 - numbers and escape()d labels only
