"""``report.html``: one self-contained file (inline CSS, no scripts, no network fetches).

The template is data (``templates/report.html.j2``) rendered by Jinja2 with autoescaping on, so every value that
came from the bundle — user names, event texts, file names — is HTML-escaped. Links are only emitted for
``http(s)`` URLs; anything else (``javascript:``, ``data:``) from a user catalog is shown as text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from nps_trace_analyzer.safe_text import mark_bidi

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("nps_trace_analyzer.report", "templates"),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    # Every printed string shows bidi controls (U+202E...) as marks, so a name cannot reorder the report's text.
    finalize=lambda value: _marked(value),
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


_ENV.tests["safe_url"] = _safe_url
_ENV.filters["human_size"] = _size


def render_html(document: dict[str, Any]) -> str:
    return _ENV.get_template("report.html.j2").render(doc=document)


def write_html(path: Path, document: dict[str, Any]) -> None:
    """Stream the rendered template to ``path`` (a report with thousands of incidents is never one big string)."""
    with path.open("w", encoding="utf-8") as fh:
        for chunk in _ENV.get_template("report.html.j2").generate(doc=document):
            fh.write(chunk)
