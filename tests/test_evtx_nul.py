"""Issue #10 item 8: a NUL inside an event string must not drop the rest of the text.

pyevtx-rs ends a substitution string at its first NUL; the reader recovers the whole value from the file for
the AzureMfa channels (read as XML), says so in the file's warnings, and the codes after the NUL are found.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from pathlib import Path

from nps_trace_analyzer.analysis.findings import findings_for
from nps_trace_analyzer.catalog import load_catalog
from nps_trace_analyzer.core.model import InputFile
from nps_trace_analyzer.sources.evtx_source import read_evtx
from nps_trace_analyzer.sources.evtx_strings import restore, strings_cut_at_nul
from nps_trace_analyzer.synth.evtx.writer import EvtxWriter
from nps_trace_analyzer.synth.spec import EventSpec

MESSAGE = (
    "NPS Extension for Azure MFA:  CID: 32e83cbf-484d-49aa-9adb-71528f5eb94d :Exception\x00 in Authentication Ext "
    "for User alice@contoso.com :: ErrorCode:: CID :32e83cbf-484d-49aa-9adb-71528f5eb94d ESTS_TOKEN_ERROR Msg:: "
    "Error in retreiving token details\x00 AADSTS7000112: Application is disabled."
)


def _admin_event(n: int, values: tuple[str, ...]) -> EventSpec:
    """The n-th AuthZAdminCh error event holding ``values`` as unnamed Data strings."""
    return EventSpec(
        provider="Microsoft-AzureMfa-AuthZ",
        event_id=2,
        time=datetime(2025, 3, 12, 9, 0, n % 60, tzinfo=timezone.utc),
        channel="AuthZAdminCh",
        computer="NPS01.contoso.local",
        level=2,
        event_data=tuple((None, v) for v in values),
    )


def _write(path: Path, *values: str, count: int = 1) -> None:
    with EvtxWriter(path) as writer:
        for n in range(count):
            writer.write(_admin_event(n, values))


def _read(path: Path) -> tuple[list, InputFile]:
    inp = InputFile(path.name, str(path), path.stat().st_size, "", "evtx", role="AuthZAdminCh")
    return list(read_evtx(inp, None)), inp  # type: ignore[arg-type]


def test_text_after_a_nul_is_kept_and_codes_found(tmp_path: Path) -> None:
    path = tmp_path / "AuthZAdminCh.evtx"
    _write(path, MESSAGE, "second\x00part")
    (event,), inp = _read(path)
    assert [v for _, v in event.data] == [MESSAGE.replace("\x00", " "), "second part"]
    assert "ESTS_TOKEN_ERROR" in event.text and "\x00" not in event.text
    codes = {f.code for f in findings_for(event, load_catalog())}
    assert {"ESTS_TOKEN_ERROR", "AADSTS7000112"} <= codes
    assert any("held a NUL" in w for w in inp.warnings)


def test_many_records_over_several_chunks(tmp_path: Path) -> None:
    path = tmp_path / "AuthZAdminCh.evtx"
    _write(path, MESSAGE, count=400)
    events, _ = _read(path)
    assert len(events) == 400 and all("ESTS_TOKEN_ERROR" in e.text for e in events)


def test_strings_without_nul_are_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "AuthZAdminCh.evtx"
    _write(path, "plain text", "second")
    assert strings_cut_at_nul(str(path)) == {}
    (event,), inp = _read(path)
    assert event.text == "plain text second" and not inp.warnings


def test_restore_matches_each_cut_value_once() -> None:
    values = [(None, "a"), (None, "a"), (None, "b")]
    out, n = restore(values, ["a\x00x", "a\x00y"])
    assert out == [(None, "a x"), (None, "a y"), (None, "b")] and n == 2


def test_damaged_files_never_raise(tmp_path: Path) -> None:
    path = tmp_path / "AuthZAdminCh.evtx"
    _write(path, MESSAGE, count=50)
    clean = path.read_bytes()
    rng = random.Random(4)
    for _ in range(30):
        data = bytearray(clean)
        for _ in range(40):
            data[rng.randrange(4096, len(data))] = rng.randrange(256)
        path.write_bytes(bytes(data))
        assert isinstance(strings_cut_at_nul(str(path)), dict)
    path.write_bytes(clean[:70000])
    assert isinstance(strings_cut_at_nul(str(path)), dict)


def _security_with_nul(path: Path) -> None:
    with EvtxWriter(path) as writer:
        writer.write(
            EventSpec(
                provider="Microsoft-Windows-Security-Auditing",
                event_id=6273,
                time=datetime(2025, 3, 12, 9, 0, 0, tzinfo=timezone.utc),
                channel="Security",
                computer="NPS01.contoso.local",
                level=0,
                event_data=(
                    ("SubjectUserSid", "S-1-0-0"),
                    ("SubjectUserName", "alice\x00@contoso.com"),
                    ("ReasonCode", "16"),
                    ("Reason", "Authentication failed due to a user credentials mismatch."),
                ),
            )
        )


def test_security_events_read_as_json_get_the_same_repair(tmp_path: Path) -> None:
    """Security.evtx takes the JSON path (not the XML one AzureMfa files take): a NUL inside a named value (a NAS
    that sends a NUL-terminated User-Name followed by more bytes) must not cut the rest of the value there."""
    path = tmp_path / "Security.evtx"
    _security_with_nul(path)
    inp = InputFile(path.name, str(path), path.stat().st_size, "", "evtx", role="Security")
    (event,) = list(read_evtx(inp, None))  # type: ignore[arg-type]
    assert ("SubjectUserName", "alice @contoso.com") in event.data
    assert "SubjectUserName=alice @contoso.com" in event.text  # the JSON path's Name=value text shape is kept
    (finding,) = findings_for(event, load_catalog())
    assert (finding.code, finding.attrs["user"]) == ("NPS-REASON-16", "alice @contoso.com")
    assert any("held a NUL" in w for w in inp.warnings)


def test_the_sharded_pipeline_repairs_json_read_values_too(tmp_path: Path) -> None:
    """The pipeline reads .evtx in shards through the native pre-filter: same repair as the one-process reader."""
    import json

    from nps_trace_analyzer.pipeline import analyze

    bundle = tmp_path / "bundle"
    bundle.mkdir()
    _security_with_nul(bundle / "Security.evtx")
    analyze([bundle], tmp_path / "out")
    doc = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    assert [inc["user"] for inc in doc["incidents"] if inc["primary_code"] == "NPS-REASON-16"] == ["alice @contoso.com"]


def test_records_of_many_layouts_each_get_their_own_strings(tmp_path: Path) -> None:
    """The scan walks each distinct value-descriptor array once and reuses it: records whose strings differ in
    length (so in their descriptors) must each still get exactly their own cut strings."""
    path = tmp_path / "AuthZAdminCh.evtx"
    values = [f"{'x' * n}\x00tail{n}" if n % 3 == 0 else "y" * n for n in range(1, 120)]
    with EvtxWriter(path) as writer:
        for n, value in enumerate(values):
            writer.write(_admin_event(n, (value, "second\x00part" if n % 5 == 0 else "second")))
    found = strings_cut_at_nul(str(path))
    expected = {}
    for n, value in enumerate(values, 1):
        cut = [v for v in (value, "second\x00part" if (n - 1) % 5 == 0 else "") if "\x00" in v]
        if cut:
            expected[n] = cut
    assert found == expected
