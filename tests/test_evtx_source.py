"""The EVTX source: nothing of an AzureMfa event is lost whatever its EventData layout; times are UTC."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from nps_trace_analyzer.core.model import Event
from nps_trace_analyzer.intake import open_bundle
from nps_trace_analyzer.sources.readers import Collector, reader_for
from nps_trace_analyzer.synth.evtx.writer import write_evtx
from nps_trace_analyzer.synth.spec import EventSpec

T0 = datetime(2026, 2, 3, 4, 5, 6, 789012, tzinfo=timezone.utc)
MIXED = (("Msg", "named value"), (None, "unnamed one"), (None, "unnamed <two> & 'three' 😀"))
REPEATED = (("Part", "x"), ("Part", "y"))


def _read(path: Path) -> list[Event]:
    with open_bundle([path]) as bundle:
        (inp,) = bundle.files
        reader = reader_for(inp.kind)
        assert reader is not None
        return list(reader(inp, Collector()))


@pytest.mark.parametrize("file_name", ["NPS01_AuthZOptCh.evtx", "renamed.evtx"])
def test_azuremfa_layouts_are_kept_whole(tmp_path: Path, file_name: str) -> None:
    """pyevtx-rs JSON drops unnamed Data beside named ones; the AzureMfa path must not (role by name or channel)."""
    specs = [
        EventSpec("Microsoft-AzureMfa-AuthZ", 1, T0, "AuthZOptCh", "NPS01", event_data=MIXED),
        EventSpec("Microsoft-AzureMfa-AuthZ", 1, T0, "AuthZOptCh", "NPS01", event_data=REPEATED),
    ]
    path = tmp_path / file_name
    write_evtx(path, specs)
    events = _read(path)
    assert [e.data for e in events] == [MIXED, REPEATED]
    assert events[0].text == "named value unnamed one unnamed <two> & 'three' 😀"
    assert events[0].time == T0 and events[0].provider == "Microsoft-AzureMfa-AuthZ" and events[0].level == 4


def test_security_named_data_and_irrelevant_records(tmp_path: Path) -> None:
    specs = [
        EventSpec(
            "Microsoft-Windows-Security-Auditing",
            4624,
            T0,
            "Security",
            "NPS01",
            level=0,
            event_data=(("TargetUserName", "bob"),),
        ),
        EventSpec(
            "Microsoft-Windows-Security-Auditing",
            6273,
            T0,
            "Security",
            "NPS01",
            level=0,
            event_data=(("SubjectUserName", "alice"), ("ReasonCode", "16")),
        ),
    ]
    path = tmp_path / "Security.evtx"
    write_evtx(path, specs)
    with open_bundle([path]) as bundle:
        (inp,) = bundle.files
        events = list(reader_for(inp.kind)(inp, Collector()))  # type: ignore[misc]
    assert inp.records_read == 2 and inp.events_kept == 1  # the logon is counted, not kept
    assert events[0].get("reasoncode") == "16" and events[0].event_id == 6273
    assert inp.channels == {"Security": 2}


def test_truncated_inside_first_chunk_is_not_analysed(tmp_path: Path) -> None:
    """pyevtx-rs reports nothing for a file cut inside its first chunk; the reader says it is truncated."""
    full = tmp_path / "Security.evtx"
    write_evtx(full, [EventSpec("Microsoft-Windows-Security-Auditing", 6272, T0, "Security", "NPS01", level=0)])
    cut = tmp_path / "cut.evtx"
    cut.write_bytes(full.read_bytes()[:5000])
    assert _read(cut) == []
    with open_bundle([cut]) as bundle:
        (inp,) = bundle.files
        list(reader_for(inp.kind)(inp, Collector()))  # type: ignore[misc]
    assert not inp.analysed and "truncated" in inp.reason
    empty = tmp_path / "empty.evtx"
    write_evtx(empty, [])
    with open_bundle([empty]) as bundle:
        (inp,) = bundle.files
        list(reader_for(inp.kind)(inp, Collector()))  # type: ignore[misc]
    assert inp.analysed and inp.warnings == ["the log is empty (file header only)"]
