"""The README's Reliability tables, generated from the constants that enforce them (one fact, one place).

``tests/reliability/test_reliability_docs.py`` fails when the README's generated block differs from
:func:`reliability_tables`; ``UPDATE_README=1`` rewrites it.
"""

from __future__ import annotations

from dataclasses import fields

from nps_trace_analyzer.core.exit_codes import EXIT_MEANINGS, ExitCode
from nps_trace_analyzer.intake import IntakeLimits
from nps_trace_analyzer.report.result import STREAM_INCIDENTS_FROM
from nps_trace_analyzer.sources.evtx_layout import MAX_RECORDS_PER_CHUNK
from nps_trace_analyzer.sources.overlap import HELD_IN_MEMORY


def _value(name: str, value: int) -> str:
    if name.endswith("_bytes"):
        for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
            if value >= size and value % size == 0:
                return f"{value // size} {unit}"
        return f"{value:,} bytes"
    if name.endswith("_ratio"):
        return f"{value}:1"
    return f"{value:,}"


def reliability_tables() -> str:
    """Markdown: the intake limits with their defaults, then every exit status with its meaning."""
    lines = ["| Limit (`IntakeLimits`) | Default | What it bounds |", "|---|---|---|"]
    for item in fields(IntakeLimits):
        lines.append(f"| `{item.name}` | {_value(item.name, item.default)} | {item.metadata['doc']} |")
    lines.append(
        f"| EVTX chunk header | {MAX_RECORDS_PER_CHUNK:,} records | largest record-id range one 64 KiB chunk header "
        "may announce; a larger one counts as a damaged header |"
    )
    lines.append(
        f"| Overlap check in memory | {HELD_IN_MEMORY:,} events | events of inputs that may repeat each other's "
        "records (exports of one log; with an export of unknown channel, every log) kept in memory until every input "
        "is read; the rest go, sorted, to anonymous temporary files (the inputs table says which inputs) |"
    )
    lines.append(
        f"| Incident documents at once | {STREAM_INCIDENTS_FROM:,} incidents | findings.json's incident documents "
        "made before writing; beyond this many they are made as findings.json and incidents.csv are written, a "
        "batch at a time (same bytes) |"
    )
    lines += ["", "| Exit status | Meaning |", "|---|---|"]
    lines += [f"| `{int(code)}` | {EXIT_MEANINGS[code]} |" for code in ExitCode]
    return "\n".join(lines) + "\n"
