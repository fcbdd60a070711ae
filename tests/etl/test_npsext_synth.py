"""The synthetic NPSExtension.etl writer: dissect.etl (AGPL, test-only oracle) reads back what was written,
and our reader + TraceLogging decoder return the very fields and strings the writer put in."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from nps_trace_analyzer.sources.etl import EtlStats, iter_events, iter_events_sorted, read_logfile_header
from nps_trace_analyzer.sources.etl.npsext import printable_strings
from nps_trace_analyzer.sources.etl.tracelogging import decode_event
from nps_trace_analyzer.synth.etl.npsext import (
    NPS_PROVIDER,
    NPS_PROVIDER_2,
    NpsExtTraceRecord,
    write_npsext_etl,
)

T0 = datetime(2024, 3, 1, 10, 0, tzinfo=timezone.utc)
CID = "32e83cbf-484d-49aa-9adb-71528f5eb94d"


def records() -> list[NpsExtTraceRecord]:
    out = []
    for i in range(45):
        when = T0 + timedelta(seconds=13 * i, microseconds=1000 * i)
        text = (
            f"NPS Extension for Azure MFA: CID: {CID} : Challenge requested in Authentication Ext for User "
            f"user{i}@contoso.com with state 300c9d6c-7734-4165-83d3-212e73aee286"
        )
        out.append(
            NpsExtTraceRecord(
                when, text, level=2 if i % 5 == 0 else 4, provider=NPS_PROVIDER_2 if i % 9 == 0 else NPS_PROVIDER,
                wpp=i % 7 == 3,
            )
        )  # fmt: skip
    return out


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    path = tmp_path_factory.mktemp("npsext") / "NPSExtension.etl"
    # Small buffers so the events spread over several buffers per processor.
    events = write_npsext_etl(path, records(), buffer_size=8 * 1024)
    return path, events


def test_deterministic(tmp_path, written):
    path, _ = written
    again = tmp_path / "again.etl"
    write_npsext_etl(again, records(), buffer_size=8 * 1024)
    assert again.read_bytes() == path.read_bytes()


def test_session_header_is_logman_like(written):
    path, events = written
    header = read_logfile_header(path)
    assert header is not None
    assert (header.logger_name, header.log_file_name, header.log_file_mode & 0x2) == (
        "NPSExtension",
        "C:\\NPS\\NPSExtension.etl",
        0x2,
    )
    assert header.start_time < min(e.filetime for e in events)


def test_reader_and_decoder_return_what_was_written(written):
    path, events = written
    stats = EtlStats()
    read = [e for e in iter_events_sorted(path, stats) if e.header_kind != "system"]
    assert stats.skipped == 0 and stats.warnings == [] and stats.buffers > 4
    assert len(read) == len(events)
    by_key = {(e.filetime, e.payload): e for e in read}
    assert len(by_key) == len(read)
    kinds = {"tracelogging": 0, "wpp": 0}
    for w in events:
        got = by_key[(w.filetime, w.payload)]
        assert got.provider == w.provider
        kinds[w.kind] += 1
        if w.kind == "tracelogging":
            assert got.extended == w.extended and got.level == w.level and got.channel == 11
            tl = decode_event(got)
            assert tl is not None and tl.trailing == 0
            assert tl.name == w.event_name
            assert tl.fields == w.fields  # same names, same Python values (str, int, UUID, datetime)
            assert tl.provider_name.startswith("Synthetic.AzureMfa.")
        else:
            assert got.header_kind == "message" and got.extended == ()
            text_args = [v for _n, v in w.fields if isinstance(v, str)]
            assert text_args and all(arg in printable_strings(got.payload) for arg in text_args)
    assert kinds["wpp"] >= 6 and kinds["tracelogging"] > 45
    assert {e.provider for e in events if e.kind == "tracelogging"} == {NPS_PROVIDER, NPS_PROVIDER_2}


def test_every_record_is_written_once(written):
    _path, events = written
    from_records = [w for w in events if w.record is not None]
    assert [w.record.message for w in from_records] == [r.message for r in sorted(records(), key=lambda r: r.time)]
    for w in from_records:
        if w.kind == "tracelogging":
            assert dict(w.fields)["Message"] == w.record.message
            assert dict(w.fields)["CorrelationId"] == uuid.UUID(CID)


def test_dissect_reads_it_back_identically(written):
    dissect_etl = pytest.importorskip("dissect.etl", reason="dissect.etl (test-only oracle) is not installed")
    path, _events = written
    ours = list(iter_events(path))
    with open(path, "rb") as fh:
        theirs = [rec.header for rec in dissect_etl.ETL(fh)]
    assert len(theirs) == len(ours)
    assert {e.header_kind for e in ours} == {"system", "event", "message"}
    for mine, other in zip(ours, theirs, strict=True):
        assert abs(mine.timestamp - other.timestamp) <= timedelta(microseconds=5)
        kind = type(other).__name__
        if mine.header_kind == "event":
            assert kind == "EventHeader"
            inner = other.header
            raw_guid = bytes(inner.ProviderId)
            assert uuid.UUID(bytes_le=raw_guid) == mine.provider
            assert other.provider_id.bytes == mine.provider.bytes_le  # their byte-swap bug, undone
            assert (inner.Id, inner.Level, inner.Channel, inner.Keywords) == (
                mine.event_id,
                mine.level,
                mine.channel,
                mine.keywords,
            )
            items = sum(8 + len(blob) + (-len(blob)) % 8 for _t, blob in mine.extended)
            assert bytes(other.payload)[items:] == mine.payload
            assert len(other.payload) == items + len(mine.payload)
        elif mine.header_kind == "message":
            assert kind == "MessageTraceHeader"
            assert (other.provider_id, other.id) == (mine.provider, mine.event_id)
            assert (other.thread_id, other.process_id) == (mine.thread_id, mine.process_id)
            assert bytes(other.payload).endswith(mine.payload)
        else:
            assert kind == "SystemHeader" and mine.header_kind == "system"
