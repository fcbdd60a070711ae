"""``fleet.html``: causes over time per server, the servers that differ, users who fail everywhere, and links to
every bundle's own report.

Same rules as report.html: one self-contained file, Jinja2 with autoescaping, inline CSS and inline SVG, no script,
nothing fetched (a Content-Security-Policy forbids it). It is built from the Parquet dataset and the stored states,
so what it shows is exactly what a notebook reading the dataset sees.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from nps_trace_analyzer.catalog.schema import CATEGORIES
from nps_trace_analyzer.core.model import Incident, iso_z
from nps_trace_analyzer.report.result import generation_time
from nps_trace_analyzer.version import __version__

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("nps_trace_analyzer.fleet", "templates"),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
# One colour per category (order of the catalog's vocabulary); colour-blind-safe palette, repeated if needed.
_PALETTE = (
    "#0072b2",
    "#d55e00",
    "#009e73",
    "#cc79a7",
    "#e69f00",
    "#56b4e9",
    "#f0e442",
    "#000000",
    "#999999",
    "#882255",
    "#44aa99",
    "#117733",
)
CHART_HEIGHT = 120
BAR_WIDTH = 28


def _colours() -> dict[str, str]:
    return {cat: _PALETTE[n % len(_PALETTE)] for n, cat in enumerate(CATEGORIES)}


def _incidents(out: Path) -> pd.DataFrame:
    folder = out / "dataset" / "incidents"
    if not folder.is_dir() or not any(folder.rglob("*.parquet")):
        return pd.DataFrame(columns=["server", "day", "category", "primary_code", "benign"])
    return pd.read_parquet(folder)


def _charts(frame: pd.DataFrame, days: list[str]) -> list[dict[str, Any]]:
    """Per server: one stacked bar per day of non-benign incidents by category, as SVG geometry."""
    colours = _colours()
    headline = frame[~frame["benign"].astype(bool)] if len(frame) else frame
    counts: dict[str, dict[str, Counter[str]]] = {}
    for row in headline[["server", "day", "category"]].astype(str).itertuples(index=False):
        counts.setdefault(row.server, {}).setdefault(row.day, Counter())[row.category] += 1
    servers = sorted(set(frame["server"].astype(str))) if len(frame) else []
    peak = max([sum(c.values()) for per_day in counts.values() for c in per_day.values()] or [1])
    charts = []
    for server in servers:
        bars = []
        for n, day in enumerate(days):
            per_cat = counts.get(server, {}).get(day, Counter())
            y = CHART_HEIGHT
            segments = []
            for cat in CATEGORIES:
                value = per_cat.get(cat, 0)
                if not value:
                    continue
                height = max(1, round(value / peak * (CHART_HEIGHT - 10)))
                y -= height
                segments.append({"y": y, "height": height, "colour": colours[cat], "label": f"{day} {cat}: {value}"})
            bars.append(
                {"x": 40 + n * (BAR_WIDTH + 8), "day": day, "total": sum(per_cat.values()), "segments": segments}
            )
        charts.append({"server": server, "bars": bars, "width": 60 + len(days) * (BAR_WIDTH + 8)})
    return charts


def _server_rows(frame: pd.DataFrame, states: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per server: bundles, days covered, incidents needing attention and the most frequent cause."""
    headline = frame[~frame["benign"].astype(bool)] if len(frame) else frame
    rows = []
    for server in sorted({str(s["server"]) for s in states}):
        mine = [s for s in states if str(s["server"]) == server]
        codes = Counter(headline.loc[headline["server"].astype(str) == server, "primary_code"].astype(str))
        top = codes.most_common(1)[0] if codes else ("", 0)
        rows.append(
            {
                "server": server,
                "bundles": len(mine),
                "days": len({s["day"] for s in mine}),
                "incidents": sum(codes.values()),
                "top": f"{top[0]} ({top[1]})" if top[1] else "–",
            }
        )
    return rows


def write_fleet_html(
    out: Path,
    states: list[dict[str, Any]],
    findings: dict[str, list[Incident]],
    everywhere: dict[str, list[tuple[str, list[str], Counter[str]]]],
) -> Path:
    frame = _incidents(out)
    days = sorted({str(s["day"]) for s in states})
    colours = _colours()
    used = sorted(set(frame["category"].astype(str))) if len(frame) else []
    bundles = sorted(
        (
            {
                "server": s["server"],
                "day": s["day"],
                "path": s["path"],
                "error": s.get("error", ""),
                "href": f"reports/{s['key']}/report.html"
                if (out / "reports" / s["key"] / "report.html").exists()
                else "",
            }
            for s in states
        ),
        key=lambda b: (b["server"], b["day"], b["path"]),
    )
    differ = [
        {
            "day": day,
            "code": inc.primary_code,
            "server": inc.server or "",
            "summary": inc.summary,
            "severity": inc.severity,
            "title": inc.title,
        }
        for day, incs in findings.items()
        for inc in incs
    ]
    users = [
        {"day": day, "user": user, "servers": servers, "codes": ", ".join(sorted(codes))}
        for day, rows in everywhere.items()
        for user, servers, codes in rows
    ]
    document = {
        "generated_at": iso_z(generation_time()),
        "version": __version__,
        "days": days,
        "servers": sorted({str(s["server"]) for s in states}),
        "charts": _charts(frame, days),
        "server_rows": _server_rows(frame, states),
        "chart_height": CHART_HEIGHT,
        "bar_width": BAR_WIDTH,
        "legend": [(cat, colours[cat]) for cat in CATEGORIES if cat in used],
        "differ": differ,
        "users": users,
        "bundles": bundles,
    }
    target = out / "fleet.html"
    tmp = target.with_name(".fleet.html.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for chunk in _ENV.get_template("fleet.html.j2").generate(doc=document):
            fh.write(chunk)
    os.replace(tmp, target)
    return target
