"""System events of the July 2024 RADIUS hardening (KB5040268, CVE-2024-3596) become server incidents.

Only the event ids a public source shows with their text are in the catalog: 4418 (KB5040268 itself) and 4420 (the
text of a real NPS proxy's event, https://github.com/lithnet/pan-ra-proxy/issues/10). No public source was found
for the meaning of 4421 and 4422, so they have no entry: such events stay in events.csv, and a warning or error of
them still shows as a server incident of an unknown code (tested here too).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from nps_trace_analyzer.pipeline import AnalyzeOptions, analyze
from nps_trace_analyzer.synth.evtx.writer import EvtxWriter
from nps_trace_analyzer.synth.spec import EventSpec

T0 = datetime(2025, 3, 12, 9, 0, 0, tzinfo=timezone.utc)
# verbatim (https://github.com/lithnet/pan-ra-proxy/issues/10), the server's address being 127.0.0.1 there
TEXT_4420 = (
    "The RADIUS Proxy received a response from server {server} with a missing Message-Authenticator attribute. "
    "Response is currently allowed since the requireMsgAuth is configured in Audit mode. See "
    "https://support.microsoft.com/help/5040268 to learn more."
)


def _system(event_id: int, minutes: int, computer: str, text: str, level: int) -> EventSpec:
    return EventSpec(
        provider="NPS",
        event_id=event_id,
        time=T0 + timedelta(minutes=minutes),
        channel="System",
        computer=computer,
        level=level,
        event_data=((None, text),),
    )


def _incidents(tmp_path: Path, specs: list[EventSpec]) -> list[dict]:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    with EvtxWriter(bundle / "System.evtx") as writer:
        for spec in specs:
            writer.write(spec)
    analyze([bundle], tmp_path / "out", AnalyzeOptions(jobs=1))
    return json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))["incidents"]


@pytest.mark.parametrize("level", [3, 4])  # the source does not give the level: the entry decides either way
def test_4420_is_one_server_incident_per_server(tmp_path: Path, level: int) -> None:
    specs = [
        _system(4420, 0, "NPS01.contoso.local", TEXT_4420.format(server="192.0.2.10"), level),
        _system(4420, 30, "NPS01.contoso.local", TEXT_4420.format(server="192.0.2.11"), level),
        _system(4420, 5, "NPS02.contoso.local", TEXT_4420.format(server="192.0.2.10"), level),
    ]
    incidents = _incidents(tmp_path, specs)
    assert sorted((i["server"], i["count"]) for i in incidents) == [
        ("NPS01.contoso.local", 2),
        ("NPS02.contoso.local", 1),
    ]
    for inc in incidents:
        assert (inc["kind"], inc["primary_code"], inc["in_catalog"]) == ("server", "SYSTEM-NPS-4420", True)
        assert (inc["category"], inc["severity"], inc["benign"]) == ("radius-client", "warning", False)
        assert "requireMsgAuth" in " ".join(inc["steps"])


def test_hardening_ids_without_a_public_source_have_no_entry(tmp_path: Path) -> None:
    specs = [_system(event_id, 0, "NPS01.contoso.local", f"event {event_id}", 3) for event_id in (4421, 4422)]
    incidents = _incidents(tmp_path, specs)
    assert sorted((i["primary_code"], i["in_catalog"], i["kind"]) for i in incidents) == [
        ("SYSTEM-NPS-4421", False, "server"),
        ("SYSTEM-NPS-4422", False, "server"),
    ]
