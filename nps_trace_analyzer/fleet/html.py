"""``fleet.html``: causes over time per server, the servers that differ, users who fail everywhere, and links to
every bundle's own report.

Same rules as report.html, and the same pieces: one self-contained file, Jinja2 with autoescaping, the report's style
sheet (report/templates/_style.css) and its timeline picture (report/timeline.py: numbers and escaped labels only)
inline, no script, nothing fetched (a Content-Security-Policy forbids it). It is built from the Parquet dataset and
the stored states, so what it shows is exactly what a notebook reading the dataset sees.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from nps_trace_analyzer.analysis.activity import SIGN_IN_KINDS
from nps_trace_analyzer.catalog.schema import CATEGORIES
from nps_trace_analyzer.core.model import Incident, iso_z
from nps_trace_analyzer.report.result import generation_time
from nps_trace_analyzer.report.timeline import HEALTHY_COLOUR, category_colours, timeline_svg
from nps_trace_analyzer.version import __version__

# The fleet's own template first; the report's templates for the shared style sheet (_style.css).
_ENV = jinja2.Environment(
    loader=jinja2.ChoiceLoader(
        [
            jinja2.PackageLoader("nps_trace_analyzer.fleet", "templates"),
            jinja2.PackageLoader("nps_trace_analyzer.report", "templates"),
        ]
    ),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
DAY_SECONDS = 86400
MAX_CHART_DAYS = 400  # a longer history is drawn for its last 400 days (the tables keep every day)


def _incidents(out: Path) -> pd.DataFrame:
    folder = out / "dataset" / "incidents"
    if not folder.is_dir() or not any(folder.rglob("*.parquet")):
        return pd.DataFrame(columns=["server", "day", "kind", "category", "primary_code", "benign"])
    return pd.read_parquet(folder)


def _chart_days(days: list[str]) -> list[date]:
    """Every calendar day from the first to the last day of the dataset (bars keep their place in time)."""
    known = sorted(date.fromisoformat(d) for d in days if _is_day(d))
    if not known:
        return []
    first = max(known[0], known[-1] - timedelta(days=MAX_CHART_DAYS - 1))
    return [first + timedelta(days=n) for n in range((known[-1] - first).days + 1)]


def _chart_span(days: list[str]) -> int:
    known = sorted(date.fromisoformat(d) for d in days if _is_day(d))
    return (known[-1] - known[0]).days + 1 if known else 0


def _is_day(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _charts(frame: pd.DataFrame, states: list[dict[str, Any]], days: list[str]) -> list[dict[str, Any]]:
    """Per server, the report's timeline picture (report/timeline.py) with one bar per day: failed sign-ins by
    category over the sign-ins NPS granted, the same reading as each bundle's own report."""
    calendar = _chart_days(days)
    index = {d.isoformat(): n for n, d in enumerate(calendar)}
    servers = sorted({str(s["server"]) for s in states})
    healthy = {server: [0] * len(calendar) for server in servers}
    for state in states:
        n = index.get(str(state["day"]))
        if n is not None and state.get("profile"):
            healthy[str(state["server"])][n] += sum(int(v) for v in state["profile"].get("granted", {}).values())
    failed: dict[str, dict[str, list[int]]] = {server: {} for server in servers}
    if len(frame):
        rows = frame[~frame["benign"].astype(bool) & frame["kind"].astype(str).isin(SIGN_IN_KINDS)]
        for row in rows[["server", "day", "category"]].astype(str).itertuples(index=False):
            n = index.get(row.day)
            if n is not None and row.server in failed:
                failed[row.server].setdefault(row.category, [0] * len(calendar))[n] += 1
    charts = []
    for number, server in enumerate(servers, 1):
        timeline = {
            "bucket_seconds": DAY_SECONDS,
            "start": f"{calendar[0].isoformat()}T00:00:00Z" if calendar else "",
            "healthy": healthy[server],
            "failed": dict(sorted(failed[server].items())),
        }
        charts.append(
            {
                "server": server,
                "svg": timeline_svg(timeline, title_id=f"timeline-title-{number}"),
                "failed": sum(sum(v) for v in failed[server].values()),
                "healthy": sum(healthy[server]),
            }
        )
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
    colours = category_colours()
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
        "charts": _charts(frame, states, days),
        "chart_days": len(_chart_days(days)),
        "chart_clipped": _chart_span(days) > MAX_CHART_DAYS,
        "server_rows": _server_rows(frame, states),
        "healthy_colour": HEALTHY_COLOUR,
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
