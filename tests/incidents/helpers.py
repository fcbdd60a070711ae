"""Small builders of findings for the rule unit tests: real catalog look-ups, hand-made events."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import count

from nps_trace_analyzer.analysis.incidents.context import RuleContext
from nps_trace_analyzer.catalog import load_catalog
from nps_trace_analyzer.core.domain import NPSEXT_TRACE_CHANNEL
from nps_trace_analyzer.core.model import Event, Finding

CATALOG = load_catalog([])
T0 = datetime(2025, 3, 12, 9, 0, 0, tzinfo=timezone.utc)
_records = count(1)


def ctx() -> RuleContext:
    return RuleContext(CATALOG)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def event(
    seconds: float,
    text: str = "",
    *,
    channel: str = "Microsoft-AzureMfa-AuthZ/AuthZOptCh",
    file: str = "NPS01_AuthZOptCh.evtx",
    source_kind: str = "evtx",
    computer: str = "NPS01.contoso.local",
    event_id: int = 1,
    record_id: int | None = None,
) -> Event:
    return Event(
        at(seconds),
        file,
        channel,
        "Microsoft-AzureMfa-AuthZ",
        event_id,
        4,
        next(_records) if record_id is None else record_id,
        computer,
        (),
        text or f"event at {seconds}",
        source_kind,
    )


def finding(
    code: str,
    seconds: float = 0,
    *,
    kind: str = "error",
    user: str | None = None,
    cid: str | None = None,
    on: Event | None = None,
    text: str = "",
    **attrs: str,
) -> Finding:
    """A finding of ``code`` (entry looked up in the built-in catalog) on ``on`` or a new event."""
    ev = on or event(seconds, text or f"{code} for {user or '-'} {cid or ''}")
    values = {k: v for k, v in {"user": user, "cid": cid, "server": ev.computer, **attrs}.items() if v}
    entry = CATALOG.match(code, ev.text)
    return Finding(ev, code, kind, entry.id if entry else None, values)


def audit(code: str, seconds: float, user: str, *, source_kind: str = "evtx", reason: str = "") -> Finding:
    ev = event(
        seconds,
        f"{code} {user}",
        channel="Security",
        file="Security.evtx" if source_kind == "evtx" else "NPS_EventLog.log",
        source_kind=source_kind,
        event_id=6272 if code == "SECURITY-6272" else 6273,
    )
    return finding(code, kind="nps-audit", user=user, on=ev, reason_code=reason or code.rsplit("-", 1)[-1])


def trace(code: str, seconds: float, **kw: str) -> Finding:
    ev = event(seconds, f"{code} trace {kw}", channel=NPSEXT_TRACE_CHANNEL, file="NPSExtension.etl", source_kind="etl")
    return finding(code, on=ev, **kw)  # type: ignore[arg-type]
