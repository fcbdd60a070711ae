"""NPSExtension.etl summary, texts and pipeline adapter, on synthetic traces built from the contract's message
grammar, on damaged files and on every public corpus trace."""

from __future__ import annotations

import struct
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from etl_corpus import corpus_etl_files, corpus_file

from nps_trace_analyzer.analysis.cross_source import extension_traces
from nps_trace_analyzer.core.model import Event, InputFile
from nps_trace_analyzer.extract import text_sieve
from nps_trace_analyzer.extract.azuremfa import extract_azuremfa
from nps_trace_analyzer.extract.text_sieve import SIEVED_TEXTS, SievedTexts, keep_diagnosable
from nps_trace_analyzer.sources.etl import EtlStats, iter_events
from nps_trace_analyzer.sources.etl import layout as L
from nps_trace_analyzer.sources.etl.npsext import (
    Kind,
    iter_npsext_records,
    printable_strings,
    provider_label,
    summarize_npsext,
)
from nps_trace_analyzer.sources.etl.reader import EtlReader
from nps_trace_analyzer.sources.npsext_source import NPSEXT_SUMMARY, read_npsext_events
from nps_trace_analyzer.sources.readers import Collector, reader_spec
from nps_trace_analyzer.synth.etl.npsext import (
    NPS_PROVIDER,
    NPS_PROVIDER_2,
    ExtendedEventSpec,
    NpsExtEtlWriter,
    NpsExtTraceRecord,
    write_npsext_etl,
)
from nps_trace_analyzer.synth.etl.tracelogging import encode_event, encode_provider_traits, tl_wstr
from nps_trace_analyzer.synth.etl.writer import datetime_to_filetime

T0 = datetime(2024, 3, 1, 10, 0, 5, tzinfo=timezone.utc)
CID_A = "32e83cbf-484d-49aa-9adb-71528f5eb94d"
CID_B = "1fd39a1a-34b9-47e6-a66a-ed7e47c30e0a"
CID_C = "430ef057-7941-44ff-a0b1-240e7d74cedc"
P1 = provider_label(NPS_PROVIDER)

P2 = provider_label(NPS_PROVIDER_2)


def _texts(path) -> list[tuple[datetime, str, int | None, str]]:
    """(time, provider, level, text) of every record with a text, as the pipeline adapter reads them."""
    return [(r.time, r.provider, r.level, r.text) for r in iter_npsext_records(EtlReader(path)) if r.text]


def _as_input(path) -> InputFile:
    return InputFile("NPSExtension.etl", str(path), path.stat().st_size, "", "etl", "NPSExtension")


def _through_the_sieve(inp: InputFile) -> tuple[list[Event], Collector]:
    """The kept events and the collector, as the pipeline reads an NPSExtension.etl: the reader's candidates
    through the extract stage's text sieve (the ETL reader declares them candidates)."""
    spec = reader_spec("etl")
    assert spec is not None and spec.sieve_events is not None and spec.sieve_events(inp)
    collector = Collector()
    return list(keep_diagnosable(inp, read_npsext_events(inp, collector), collector)), collector


def _sieved(path) -> SievedTexts:
    """What the text sieve found in the trace's texts."""
    _events, collector = _through_the_sieve(_as_input(path))
    ((_inp, found),) = collector.get(SIEVED_TEXTS)
    return found


CHALLENGE = (
    f"NPS Extension for Azure MFA: CID: {CID_A} : Challenge requested in Authentication Ext for User "
    "alice@contoso.com with state 300c9d6c-7734-4165-83d3-212e73aee286"
)
ESTS = (
    f"NPS Extension for Azure MFA:  CID: {CID_B} :Exception in Authentication Ext for User bob@contoso.com :: "
    f"ErrorCode:: CID :{CID_B} ESTS_TOKEN_ERROR Msg:: Verify the client certificate is properly enrolled in Azure "
    "against your tenant and the server can access URL in Registry STS_URL. Error authenticating to eSTS: "
    "ErrorCode:: ESTS_TOKEN_ERROR Msg:: Error in retreiving token details from request handle: -895352831 "
    "AADSTS7000112: Application '981f26a1-7f43-403b-a875-f8b09b8cd720'(Azure Multi-Factor Auth Client) is disabled."
)
REJECT_WPP = (
    f"NPS Extension for Azure MFA: CID: {CID_C} : Access Rejected for user carol@contoso.com with Azure MFA "
    "response: UserNotFound and message: MSODS Graph call returned user not found error."
)
WHITELIST = (
    "NPS Extension for Azure MFA: IP Whitelist not intialized::  ErrorCode:: REGISTRY_CONFIG_ERROR Msg:: Neither "
    "registry entry not default value found for key: IP_WHITELIST"
)
PLAIN_ERROR = "Unexpected failure while calling the MFA service (no response within 30 s)"


def scenario() -> list[NpsExtTraceRecord]:
    return [
        NpsExtTraceRecord(T0, WHITELIST, level=2, provider=NPS_PROVIDER_2),
        NpsExtTraceRecord(T0 + timedelta(seconds=30), CHALLENGE, level=4),
        NpsExtTraceRecord(T0 + timedelta(seconds=70), ESTS, level=2),
        NpsExtTraceRecord(T0 + timedelta(seconds=95), REJECT_WPP, level=4, wpp=True),
        NpsExtTraceRecord(T0 + timedelta(seconds=130), PLAIN_ERROR, level=2),
    ]


@pytest.fixture(scope="module")
def trace_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("npsext") / "NPSExtension.etl"
    written = write_npsext_etl(path, scenario(), buffer_size=16 * 1024)
    return path, written


def test_counts_per_provider_level_kind_and_minute(trace_file):
    path, written = trace_file
    trace = summarize_npsext(path)
    expected_providers = Counter(provider_label(w.provider) for w in written)
    expected_providers["kernel"] += 1  # the logfile header record
    assert trace.per_provider == expected_providers
    assert trace.events == len(written) + 1
    tl = [w for w in written if w.kind == "tracelogging"]
    assert trace.per_kind == Counter({Kind.TRACELOGGING: len(tl), Kind.WPP: len(written) - len(tl), Kind.SYSTEM: 1})
    names = {2: "Error", 4: "Information", 5: "Verbose"}
    expected_levels = Counter(names[w.level] for w in tl)
    expected_levels["none"] = len(written) - len(tl) + 1
    assert trace.per_level == expected_levels
    assert trace.per_provider_level[(P1, "Error")] == 2 and trace.per_provider_level[(P2, "Error")] == 1
    assert trace.nps_provider_counts() == {P1: expected_providers[P1], P2: expected_providers[P2]}
    # Per-minute buckets: every event counted once, in the minute of its time.
    assert sum(sum(c.values()) for c in trace.timeline.values()) == trace.events
    per_minute = Counter({trace.session_start.replace(second=0, microsecond=0): 1})  # the logfile header
    for w in written:
        when = datetime(1601, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=w.filetime // 10)
        per_minute[when.replace(second=0, microsecond=0)] += 1
    assert {minute: sum(c.values()) for minute, c in trace.timeline.items()} == per_minute
    assert len(per_minute) >= 3
    assert trace.first_time <= T0 <= trace.last_time
    assert trace.logger_name == "NPSExtension" and trace.circular


def test_bucket_size_is_configurable(trace_file):
    path, _written = trace_file
    trace = summarize_npsext(path, bucket_seconds=300)
    assert trace.bucket_seconds == 300
    assert all(start.minute % 5 == 0 and start.second == 0 for start in trace.timeline)
    assert sum(sum(c.values()) for c in trace.timeline.values()) == trace.events
    assert len(trace.timeline) < len(summarize_npsext(path).timeline)


def test_decoded_fields_and_undecodable_list(trace_file):
    path, written = trace_file
    trace = summarize_npsext(path)
    assert trace.provider_names == {P1: "Synthetic.AzureMfa.NpsExtension", P2: "Synthetic.AzureMfa.Common"}
    assert trace.tl_fields[(P1, "Error")] == ("Message", "Function", "Line", "CorrelationId", "Logged", "Result")
    assert trace.tl_events[(P1, "Error")] == 2
    wpp = [w for w in written if w.kind == "wpp"]
    group = trace.undecoded[("WPP message GUIDs", Kind.WPP)]
    assert group.count == len(wpp) == group.with_strings
    assert "not decodable without TMF" in group.reason
    assert set(trace.wpp_message_guids) == {provider_label(w.provider) for w in wpp}
    lines = trace.undecodable_lines()
    assert len(lines) == 1 and lines[0].startswith(f"{len(wpp)} wpp event(s)")
    assert "WPP, not decodable without TMF" in lines[0]
    assert any("cannot be decoded without the TMF" in n for n in trace.notes)
    assert trace.decode_errors == 0 and trace.stats.skipped == 0


def test_texts_join_the_incident_grammar(trace_file):
    path, _written = trace_file
    found = _sieved(path)
    assert {CID_A, CID_B, CID_C} <= set(found.cids)
    assert {"alice@contoso.com", "bob@contoso.com", "carol@contoso.com"} <= set(found.users)
    for code in ("CHALLENGE_REQUESTED", "ESTS_TOKEN_ERROR", "AADSTS7000112", "UserNotFound", "REGISTRY_CONFIG_ERROR"):
        assert found.codes[code] >= 1, code
    by_cid = {m.cid: m for m in found.matches if m.cid}
    assert by_cid[CID_C].kind == Kind.WPP and "UserNotFound" in by_cid[CID_C].codes  # found in WPP argument strings
    ests = by_cid[CID_B]
    assert ests.level == 2 and ests.provider == P1
    assert "ESTS_TOKEN_ERROR" in ests.codes
    texts = _texts(path)
    assert [t for t, *_ in texts] == sorted(t for t, *_ in texts)
    messages = [text for *_rest, text in texts]
    for rec in scenario():
        assert any(rec.message in text for text in messages), rec.message
    assert texts[[m for m in messages].index(CHALLENGE)][1:3] == (P1, 4)
    found = {extract_azuremfa(text).cid for text in messages} - {None}
    assert found == {CID_A, CID_B, CID_C}


def test_summary_caps_are_counted_and_said(trace_file, monkeypatch):
    """Past a cap the summary keeps counting what it dropped and says so, instead of losing it silently: the
    reader's caps (timeline buckets, WPP GUIDs) and the text sieve's (codes/CIDs/users, matches) in one note."""
    from nps_trace_analyzer.sources.etl import npsext

    path, _written = trace_file
    full = summarize_npsext(path)
    assert full.timeline_dropped == full.distinct_dropped == 0
    _events, collector = _through_the_sieve(_as_input(path))
    ((name, doc),) = extension_traces(collector).items()
    assert name == "NPSExtension.etl" and doc["distinct_dropped"] == doc["matches_dropped"] == 0
    assert not any("caps reached" in n for n in doc["notes"])
    monkeypatch.setattr(npsext, "MAX_BUCKETS", 1)
    monkeypatch.setattr(npsext, "MAX_DISTINCT", 1)
    monkeypatch.setattr(text_sieve, "MAX_DISTINCT", 1)
    monkeypatch.setattr(text_sieve, "MAX_MATCHES", 1)
    capped = summarize_npsext(path, bucket_seconds=1)
    assert len(capped.timeline) == 1 and capped.timeline_dropped == full.events - sum(
        sum(c.values()) for c in capped.timeline.values()
    )
    assert len(capped.wpp_message_guids) == 1 and capped.distinct_dropped > 0
    found = _sieved(path)
    assert len(found.cids) == 1 and found.distinct_dropped > 0
    assert len(found.matches) == 1 and found.matches_dropped > 0
    _events, collector = _through_the_sieve(_as_input(path))
    ((_name, doc),) = extension_traces(collector).items()
    assert doc["distinct_dropped"] == found.distinct_dropped + (collector.get(NPSEXT_SUMMARY)[0][1].distinct_dropped)
    (note,) = (n for n in doc["notes"] if "caps reached" in n)
    assert f"{doc['distinct_dropped']} value(s) past 1 distinct" in note
    assert f"{found.matches_dropped} match(es) past 1 listed" in note


def test_adapter_yields_diagnosable_events_and_the_summary(trace_file):
    path, written = trace_file
    inp = _as_input(path)
    candidates = list(read_npsext_events(inp, Collector()))
    assert inp.events_kept == 0 and all(e.text for e in candidates)  # the reader judges no text
    inp = _as_input(path)
    events, collector = _through_the_sieve(inp)
    assert inp.analysed and inp.records_read == len(written) + 1 and inp.records_skipped == 0
    assert inp.events_kept == len(events) < len(candidates)
    texts = [e.text for e in events]
    for rec in scenario():
        assert sum(rec.message in t for t in texts) == 1, rec.message
    assert not any("Token cache hit" in t or "Received RADIUS request" in t for t in texts)  # verbose chatter
    for event in events:
        assert (event.channel, event.source_kind, event.computer) == ("NPSExtension.etl", "etl", "")
        assert event.source_file == "NPSExtension.etl"
    ests = next(e for e in events if "ESTS_TOKEN_ERROR" in e.text)
    assert (ests.provider, ests.level, ests.event_id) == (P1, 2, 0)
    assert ests.get("CorrelationId") == CID_B and ests.get("kind") == "tracelogging"
    assert ests.get("provider_name") == "Synthetic.AzureMfa.NpsExtension"
    plain = next(e for e in events if e.text == PLAIN_ERROR)
    assert plain.level == 2  # an error without a known code still reaches the pipeline (NPSEXT-TRACE-ERROR)
    wpp = next(e for e in events if CID_C in e.text)
    assert wpp.level is None and wpp.get("kind") == "wpp" and wpp.provider.startswith("{")
    assert sorted(e.record_id for e in events) == [e.record_id for e in events]
    ((art_inp, trace),) = collector.get(NPSEXT_SUMMARY)
    assert art_inp is inp and trace.events == inp.records_read
    assert inp.channels[P1] == trace.per_provider[P1]
    assert inp.first_time == trace.first_time and inp.last_time == trace.last_time


def test_missing_second_provider_is_noted(tmp_path):
    path = tmp_path / "only-first.etl"
    write_npsext_etl(path, [NpsExtTraceRecord(T0, CHALLENGE)], noise=False, buffer_size=4096)
    trace = summarize_npsext(path)
    assert trace.nps_provider_counts() == {P1: 1, P2: 0}
    assert any("logman update trace" in n and P2 in n for n in trace.notes)


def test_empty_session_is_noted(tmp_path):
    path = tmp_path / "empty.etl"
    write_npsext_etl(path, [], buffer_size=4096, start=T0)
    trace = summarize_npsext(path)
    assert trace.events == 1 and trace.per_kind == Counter({Kind.SYSTEM: 1})
    assert any("only session records" in n for n in trace.notes)


def test_damaged_tracelogging_metadata_falls_back_to_strings(tmp_path):
    _meta, payload = encode_event("Bad", [tl_wstr("Message", CHALLENGE)])
    broken = struct.pack("<H", 6) + b"\x80" * 4  # extension bytes never end: the schema cannot be parsed
    spec = ExtendedEventSpec(
        provider=NPS_PROVIDER, event_id=3, filetime=datetime_to_filetime(T0), payload=payload, level=2,
        extended=((L.EXT_PROV_TRAITS, encode_provider_traits("X")), (L.EXT_EVENT_SCHEMA_TL, broken)),
    )  # fmt: skip
    path = tmp_path / "bad-schema.etl"
    writer = NpsExtEtlWriter(datetime_to_filetime(T0) - 10_000_000, buffer_size=4096)
    writer.add(spec)
    with open(path, "wb") as fh:
        writer.write(fh)
    trace = summarize_npsext(path)
    group = trace.undecoded[(P1, Kind.TRACELOGGING_DAMAGED)]
    assert group.count == 1 and group.with_strings == 1 and "runs past" in group.errors[0]
    assert _sieved(path).cids == Counter({CID_A: 1}) and trace.decode_errors == 1
    assert any("damaged metadata" in n for n in trace.notes)


def test_event_write_string_is_decoded(tmp_path):
    text = f"CID: {CID_A} : Access Rejected for user dave@contoso.com with Azure MFA response: OathCodeIncorrect"
    spec = ExtendedEventSpec(
        provider=NPS_PROVIDER_2, event_id=0, filetime=datetime_to_filetime(T0), level=3,
        payload=text.encode("utf-16-le") + b"\x00\x00", flags=L.EVENT_FLAG_STRING_ONLY,
    )  # fmt: skip
    path = tmp_path / "string.etl"
    writer = NpsExtEtlWriter(datetime_to_filetime(T0) - 10_000_000, buffer_size=4096)
    writer.add(spec)
    with open(path, "wb") as fh:
        writer.write(fh)
    trace = summarize_npsext(path)
    assert trace.per_kind[Kind.STRING] == 1 and not trace.undecoded
    found = _sieved(path)
    assert found.codes == Counter({"OathCodeIncorrect": 1}) and found.users == Counter({"dave@contoso.com": 1})
    assert _texts(path) == [(T0, P2, 3, text)]


def test_damaged_buffers_are_counted_not_raised(tmp_path):
    size = 2048
    path = tmp_path / "small-buffers.etl"
    written = write_npsext_etl(path, scenario() * 3, buffer_size=size)
    data = bytearray(path.read_bytes())
    buffers = len(data) // size
    assert buffers >= 8
    data[2 * size : 2 * size + 72] = b"\x00" * 72  # a data buffer's header destroyed
    data[4 * size + 100 : 4 * size + 160] = b"\xa5" * 60  # records of another one scrambled
    bad = tmp_path / "damaged.etl"
    bad.write_bytes(bytes(data[: len(data) - size // 2]))  # and the file cut inside its last buffer
    inp = InputFile("NPSExtension.etl", str(bad), len(data), "", "etl", "NPSExtension")
    events, collector = _through_the_sieve(inp)
    ((_inp, trace),) = collector.get(NPSEXT_SUMMARY)
    assert inp.records_skipped >= 2 and len(inp.warnings) >= 3
    assert any("cut off" in w for w in inp.warnings) and any("damaged buffer header" in w for w in inp.warnings)
    assert len(written) // 2 < trace.events < len(written) + 1
    assert len(events) >= 5
    assert any("skipped" in n for n in trace.notes)


def test_unreadable_and_foreign_files_do_not_raise(tmp_path):
    missing = InputFile("NPSExtension.etl", str(tmp_path / "nope.etl"), 0, "", "etl", "NPSExtension")
    collector = Collector()
    assert list(read_npsext_events(missing, collector)) == []
    assert missing.reason.startswith("cannot read the trace") and not collector.get(NPSEXT_SUMMARY)
    junk = tmp_path / "junk.etl"
    junk.write_bytes(bytes(range(256)) * 40)
    inp = InputFile("NPSExtension.etl", str(junk), 10240, "", "etl", "NPSExtension")
    assert list(read_npsext_events(inp, collector)) == []
    assert inp.reason and collector.get(NPSEXT_SUMMARY)[0][1].events == 0


def test_printable_strings():
    blob = (
        b"\x01\x02"
        + "user@contoso.com".encode("utf-16-le")
        + b"\x00\x00\x07short\x00"
        + b"ErrorCode:: ESTS_TOKEN_ERROR\x00"
        + struct.pack("<I", 0x41414141)
        + "caf\u00e9 r\u00e9sum\u00e9".encode("utf-16-le")
        + b"user@contoso.com\x00"
    )
    assert printable_strings(blob) == [
        "user@contoso.com",
        "ErrorCode:: ESTS_TOKEN_ERROR",
        "caf\u00e9 r\u00e9sum\u00e9",
    ]
    assert printable_strings(blob, min_len=4) == [
        "user@contoso.com",
        "short",
        "ErrorCode:: ESTS_TOKEN_ERROR",
        "AAAA",
        "caf\u00e9 r\u00e9sum\u00e9",
    ]


@pytest.mark.corpus
@pytest.mark.skipif(not corpus_etl_files(), reason="../shared/corpus/etl is absent")
@pytest.mark.parametrize("path", corpus_etl_files(), ids=[p.name for p in corpus_etl_files()])
def test_corpus_traces_summarise(path):
    stats = EtlStats()
    count = sum(1 for _ in iter_events(path, stats))
    trace = summarize_npsext(path)
    assert trace.events == count == sum(trace.per_kind.values()) == sum(trace.per_provider.values())
    assert sum(sum(c.values()) for c in trace.timeline.values()) == count
    decoded = trace.per_kind[Kind.SYSTEM] + trace.per_kind[Kind.TRACELOGGING] + trace.per_kind[Kind.STRING]
    assert sum(g.count for g in trace.undecoded.values()) == count - decoded
    assert trace.as_dict()["events"] == count
    assert trace.nps_provider_counts() == {P1: 0, P2: 0}


@pytest.mark.corpus
def test_amsi_trace_is_fully_decoded():
    trace = summarize_npsext(corpus_file("AMSITrace.etl"))
    assert trace.per_kind[Kind.TRACELOGGING] == 19 and not trace.undecoded and trace.decode_errors == 0
    provider = next(iter(trace.provider_names))
    assert trace.provider_names[provider] == "AmsiTrace"
    assert trace.tl_fields[(provider, "AmsiScript")] == ("Engine", "Script", "Raw Script")
    assert trace.texts == 19
