"""``summary.md``: the short Markdown a support engineer pastes into a ticket.

Bundle, time range, servers, the verdict (the cause to fix first and why), the causes table, counts, the first
steps of the verdict's cause, tool and catalog versions and the inputs' hashes. Every value that came from the
bundle is untrusted: :func:`md` escapes Markdown syntax, folds line breaks and drops control and bidirectional
formatting characters, so a crafted user name can neither break the table nor inject links or HTML.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from nps_trace_analyzer.core.times import human_range

MAX_CAUSES = 15
MAX_INPUTS = 30
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
_INVISIBLE = re.compile("[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def md(value: Any) -> str:
    """Plain text of ``value`` made safe inside Markdown (including a table cell)."""
    text = "" if value is None else str(value)
    text = _INVISIBLE.sub(" ", text.replace("\r\n", " ").replace("\n", " "))
    return _SPECIAL.sub(r"\\\1", text).strip()


def _code(value: str) -> str:
    """An error code as inline code; codes come from the catalog or the bundle, so backticks are removed."""
    return "`" + md(value).replace("`", "").replace("\\", "") + "`" if value else ""


def render_summary(doc: dict[str, Any]) -> str:
    s = doc["summary"]
    lines = [f"# NPS trace analysis: {md(doc['bundle'])}", ""]
    if doc.get("redacted"):
        lines += ["_User, host, address and tenant identifiers in this summary are pseudonyms._", ""]
    tr = doc["time_range"]
    lines += [
        f"- **Time range (UTC):** {md(human_range(tr['first'], tr['last']))}",
        f"- **Servers:** {', '.join(md(x) for x in doc['servers']) or '–'}",
        f"- **Incidents:** {s['incidents']} needing attention, {s['benign_incidents']} benign",
        f"- **Records:** {s['records_read']:,} read, {s['records_skipped']:,} skipped as damaged; "
        f"{s['events']:,} NPS-related events",
        f"- **Inputs:** {s['inputs']} files, {s['inputs_analysed']} analysed, {s['inputs_not_analysed']} not analysed",
        "",
        "## Verdict",
        "",
    ]
    verdict = doc.get("verdict")
    if verdict:
        lines += [
            f"**Fix first: {_code(verdict['primary_code'])} {md(verdict['title'])}** ({md(verdict['category'])}). "
            f"Why: {md(verdict['why'])}.",
            "",
        ]
        steps = next((c for c in doc["incidents"] if c["primary_code"] == verdict["primary_code"]), {}).get("steps")
        if steps:
            lines += ["First steps:", ""] + [f"{n}. {md(step)}" for n, step in enumerate(steps[:5], 1)] + [""]
    else:
        lines += ["Nothing in the analysed files points to a failure.", ""]
    causes = doc["causes"]
    if causes:
        lines += [
            "## Causes",
            "",
            "| Code | What it means | Category | Severity | Incidents | Users | When (UTC) |",
            "|---|---|---|---|--:|--:|---|",
        ]
        for c in causes[:MAX_CAUSES]:
            benign = " (benign)" if c["benign"] else ""
            lines.append(
                f"| {_code(c['primary_code'])} | {md(c['title'])}{benign} | {md(c['category'])} | "
                f"{md(c['severity'])} | {c['incidents']} | {len(c['users'])} | "
                f"{md(human_range(c['first_seen'], c['last_seen']))} |"
            )
        if len(causes) > MAX_CAUSES:
            lines.append(f"\n{len(causes) - MAX_CAUSES} more cause(s) in report.html and findings.json.")
        lines.append("")
    by_cat = s["by_category"]
    if by_cat:
        lines += ["## Incidents by category", ""]
        lines += [f"- {md(cat)}: {n}" for cat, n in by_cat.items()] + [""]
    lines += [
        "## Tool and inputs",
        "",
        f"- {md(doc['tool']['name'])} {md(doc['tool']['version'])}, catalog {md(doc['catalog_version'])}, "
        f"generated {md(doc['generated_at'])}",
        "",
        "| File | Size (bytes) | SHA-256 | Analysed |",
        "|---|--:|---|---|",
    ]
    for inp in doc["inputs"][:MAX_INPUTS]:
        lines.append(
            f"| {md(inp['name'])} | {inp['size']} | {_code(inp['sha256'])} | {'yes' if inp['analysed'] else 'no'} |"
        )
    if len(doc["inputs"]) > MAX_INPUTS:
        lines.append(f"\n{len(doc['inputs']) - MAX_INPUTS} more input(s) in findings.json.")
    lines.append("")
    return "\n".join(lines)


def write_summary(path: Path, doc: dict[str, Any]) -> None:
    path.write_text(render_summary(doc), encoding="utf-8")
