"""``report.html``: one self-contained file (inline CSS and SVG, no scripts, no network fetches) of bounded size.

The template is data (``templates/report.html.j2``) rendered by Jinja2 with autoescaping on, so every value that
came from the bundle — user names, event texts, file names — is HTML-escaped. Links are only emitted for
``http(s)`` URLs; anything else (``javascript:``, ``data:``) from a user catalog is shown as text.

Why bounded: a busy server's bundle can hold tens of thousands of failed sign-ins; one section each made an 85 MB
page nobody can attach or open. The page shows causes first, each with a table of its first
:data:`ROWS_PER_CAUSE` incidents and how many more there are (incidents.csv and findings.json hold them all), and
full incident sections only for the first :data:`SECTIONS_PER_CAUSE` of each cause, :data:`MAX_SECTIONS` in all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from nps_trace_analyzer.core.safe_text import mark_bidi
from nps_trace_analyzer.core.times import human_range, human_time
from nps_trace_analyzer.report.template_cache import PrivateBytecodeCache
from nps_trace_analyzer.report.timeline import bucket_label, category_colours, timeline_svg

ROWS_PER_CAUSE = 20
SECTIONS_PER_CAUSE = 3
MAX_SECTIONS = 60
MAX_CAUSES = 60
EVIDENCE_ROWS = 12
TEXT_CHARS = 800
TABLE_ROWS = 100  # capture NAS rows, inputs, server checks, undecoded trace lines
WARNINGS = 20  # reader warnings shown per input, and bundle notes
WARNED_INPUTS = 20  # inputs whose warnings are listed

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("nps_trace_analyzer.report", "templates"),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    # Every printed string shows bidi controls (U+202E...) as marks, so a name cannot reorder the report's text.
    finalize=lambda value: _marked(value),
    bytecode_cache=PrivateBytecodeCache(),  # compiled once per template version, in a private folder
)


def _marked(value: Any) -> Any:
    if isinstance(value, markupsafe.Markup):  # already-safe HTML stays safe (the marks are plain text)
        return markupsafe.Markup(mark_bidi(str(value)))  # noqa: S704 - the input was already Markup
    return mark_bidi(value) if isinstance(value, str) else value


def _safe_url(url: str) -> bool:
    return url.lower().startswith(("https://", "http://"))


def _size(value: int) -> str:
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{value} B"


def _clip(text: Any, limit: int = TEXT_CHARS) -> str:
    """At most ``limit`` characters, marked when cut (the JSON keeps the whole text)."""
    value = "" if text is None else str(text)
    return value if len(value) <= limit else value[:limit] + f" … [{len(value) - limit:,} more characters]"


def _number(value: int) -> str:
    return f"{value:,}"


_ENV.tests["safe_url"] = _safe_url
_ENV.filters["human_size"] = _size
_ENV.filters["ht"] = human_time
_ENV.filters["clip"] = _clip
_ENV.filters["n"] = _number
_ENV.globals["human_range"] = human_range
_ENV.globals["timeline_svg"] = timeline_svg
_ENV.globals["bucket_label"] = bucket_label


def _nas(inc: dict[str, Any]) -> str:
    details = inc.get("details") or {}
    return str(details.get("nas") or details.get("radius_client") or details.get("nas_ip") or "")


def shown_incident_ids(doc: dict[str, Any]) -> set[str]:
    """The ids of the incidents the page shows (rows of its causes, full sections among them): the only incident
    documents :func:`view` reads, so the writer keeps just those (report/writer.py)."""
    return {i for cause in doc["causes"][:MAX_CAUSES] for i in cause["incident_ids"][:ROWS_PER_CAUSE]}


def view(doc: dict[str, Any]) -> dict[str, Any]:
    """What the page shows of the document: bounded rows per cause and the incidents that get a full section."""
    by_id = {inc["id"]: inc for inc in doc["incidents"]}
    causes = []
    sections: list[dict[str, Any]] = []
    for cause in doc["causes"][:MAX_CAUSES]:
        ids = cause["incident_ids"]
        members = [by_id[i] for i in ids[:ROWS_PER_CAUSE] if i in by_id]
        for inc in members[:SECTIONS_PER_CAUSE]:
            if len(sections) < MAX_SECTIONS:
                sections.append(inc)
        causes.append({"cause": cause, "rows": members, "more": max(0, len(ids) - len(members))})
    used = {c["primary_code"] for c in doc["causes"]}
    colours = {cat: colour for cat, colour in category_colours().items() if cat in doc["timeline"].get("failed", {})}
    return {
        "causes": causes,
        "causes_more": max(0, len(doc["causes"]) - MAX_CAUSES),
        "sections": sections,
        "section_ids": {inc["id"] for inc in sections},
        # every incident is headline or benign: the count without reading them (the writer passes only those shown)
        "sections_more": max(0, doc["summary"]["incidents"] + doc["summary"]["benign_incidents"] - len(sections)),
        "nas_of": {inc["id"]: _nas(inc) for c in causes for inc in c["rows"]},
        "colours": colours,
        "codes_used": used,
        "limits": {
            "rows": ROWS_PER_CAUSE,
            "evidence": EVIDENCE_ROWS,
            "table": TABLE_ROWS,
            "warnings": WARNINGS,
            "warned_inputs": WARNED_INPUTS,
        },
    }


def render_html(document: dict[str, Any]) -> str:
    return _ENV.get_template("report.html.j2").render(doc=document, v=view(document))


def write_html(path: Path, document: dict[str, Any]) -> None:
    """Stream the rendered template to ``path`` (the page is bounded, but never built as one string twice)."""
    with path.open("w", encoding="utf-8") as fh:
        for chunk in _ENV.get_template("report.html.j2").generate(doc=document, v=view(document)):
            fh.write(chunk)
