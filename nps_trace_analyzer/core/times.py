"""Times for people: ``2025-03-12 13:04:00`` (seconds, one line; the page states once that times are UTC).

findings.json and the CSV files keep the full ISO 8601 form with microseconds; only what a person reads is shortened.
"""

from __future__ import annotations

_ISO_LENGTH = len("2025-03-12T13:04:00")


def human_time(value: str | None) -> str:
    """``2025-03-12T13:04:00.171427Z`` -> ``2025-03-12 13:04:00``; ``""`` (an undated event's time, see
    :func:`~nps_trace_analyzer.core.model.iso_z`) -> ``undated``; None -> ``–``; anything else as given."""
    if value == "":
        return "undated"
    if not value:
        return "–"
    if len(value) >= _ISO_LENGTH and value[10] == "T":
        return value[:10] + " " + value[11:_ISO_LENGTH]
    return value


def human_range(first: str | None, last: str | None) -> str:
    """A time range that does not repeat the date when both ends fall on the same day."""
    a, b = human_time(first), human_time(last)
    if a == b:
        return a
    if a[:10] == b[:10] and len(b) > 11:
        return f"{a} – {b[11:]}"
    return f"{a} – {b}"
