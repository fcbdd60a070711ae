"""The native pre-filter (sources/evtx_prefilter) must give exactly what rendering every record gives.

Each file is read shard by shard twice — through ``read_shard_records`` (pre-filter) and through the ordinary
``read_records`` on the same bytes — and the events and every count (records, channels and their order, record
ids, warnings) must be equal; the tests also check that the pre-filter really took its fast path where it should,
so a silent fallback cannot pass for a working pre-filter.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import SHARED

from nps_trace_analyzer.core.model import Event, InputFile
from nps_trace_analyzer.sources import evtx_prefilter as ep
from nps_trace_analyzer.sources import evtx_source
from nps_trace_analyzer.sources.evtx_shards import CHUNK_SIZE, FILE_HEADER_BLOCK, Shard, plan_shards
from nps_trace_analyzer.sources.evtx_source import ReadStats, read_records, read_shard_records
from nps_trace_analyzer.sources.readers import Collector
from nps_trace_analyzer.synth.evtx.writer import EvtxWriter
from nps_trace_analyzer.synth.spec import EventSpec

SECURITY = "Microsoft-Windows-Security-Auditing"
START = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)


def _spec(provider: str, event_id: int, channel: str, i: int, data: str = "x") -> EventSpec:
    return EventSpec(
        provider=provider,
        event_id=event_id,
        time=START + timedelta(seconds=i),
        channel=channel,
        computer="NPS01.contoso.local",
        event_data=(("SubjectUserName", f"user{i}"), ("Status", data)),
    )


def _mixed(i: int, rng: random.Random) -> EventSpec:
    """Mostly irrelevant Security audits, with every kind of record the JSON rules treat specially."""
    roll = rng.random()
    if roll < 0.85:
        return _spec(SECURITY, rng.choice((4624, 4634, 4672, 4688, 5156)), "Security", i)
    if roll < 0.88:
        return _spec(SECURITY, rng.choice((6272, 6273, 6274, 6278)), "Security", i)
    if roll < 0.90:
        return _spec("microsoft-windows-security-auditing", rng.choice((4624, 6273)), "Security", i)
    if roll < 0.91:
        return _spec("MICROSOFT-WINDOWS-SECURITY-AUDITING", 4624, "Microsoft-AzureMfa-AuthZ/AuthZOptCh", i)
    if roll < 0.92:
        return _spec(SECURITY, 4624, 'Sec"ur\\ity', i)  # escaped in the JSON: left to the JSON
    if roll < 0.94:
        return _spec("NPS", 4400, "System", i)
    if roll < 0.96:
        return _spec("Microsoft-Windows-Eventlog", 1102, "Security", i, "NPS Extension for Azure MFA")
    if roll < 0.97:
        return _spec(SECURITY, 4624, "Sécurité", i)
    return _spec(SECURITY, 4776, "Security", i, "\x01ctl")


def _write(path: Path, count: int, seed: int, quiet_from: int | None = None) -> Path:
    """A log of ``count`` records; from ``quiet_from`` on, only irrelevant audits (whole chunks to skip)."""
    rng = random.Random(seed)
    with EvtxWriter(path) as writer:
        for i in range(count):
            if quiet_from is not None and i >= quiet_from:
                writer.write(_spec(SECURITY, 4624, "Security", i))
            else:
                writer.write(_mixed(i, rng))
    return path


def _snapshot(stats: ReadStats) -> dict[str, object]:
    state = dataclasses.asdict(stats)
    state["record_ids"] = stats.record_ids.merged()
    state["channel_order"] = list(stats.channels)
    return state


def _compare(path: Path, shard_chunks: int) -> None:
    for shard in plan_shards(str(path), path.stat().st_size, shard_chunks):
        fast, plain = ReadStats(), ReadStats()
        fast_events = list(read_shard_records(shard, fast, False, path.name))
        plain_events = list(read_records(shard.open(), plain, False, path.name, shard.first_chunk))
        assert fast_events == plain_events, shard
        assert _snapshot(fast) == _snapshot(plain), shard


def _folded(path: Path, shard_chunks: int) -> list[ep.FoldedShard | None]:
    out = []
    for shard in plan_shards(str(path), path.stat().st_size, shard_chunks):
        parts = ep.shard_chunks(shard.path, max(shard.start, FILE_HEADER_BLOCK), shard.end)
        out.append(ep.fold_shard(*parts, ep.Scanner()) if parts else None)
    return out


@pytest.fixture(scope="module")
def mixed_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(tmp_path_factory.mktemp("prefilter") / "Security.evtx", 2600, seed=3, quiet_from=1800)


@pytest.mark.parametrize("shard_chunks", [1, 2, 64])
def test_prefilter_equals_rendering_every_record(mixed_log: Path, shard_chunks: int) -> None:
    _compare(mixed_log, shard_chunks)


def test_prefilter_really_skips(mixed_log: Path) -> None:
    folded = _folded(mixed_log, 1)
    assert all(f is not None for f in folded), "every chunk of a clean log is folded"
    skipped = sum(item[4] for f in folded if f for item in f.items if item[0] == ep.SKIP)
    rendered = sum(len(f.expected) for f in folded if f)
    total = sum(f.records for f in folded if f)
    assert skipped > 0.7 * total and rendered < 0.3 * total
    assert any(f.source is None for f in folded if f), "a chunk of irrelevant records is not rendered at all"


def test_a_damaged_chunk_is_read_the_ordinary_way(mixed_log: Path, tmp_path: Path) -> None:
    data = bytearray(mixed_log.read_bytes())
    data[FILE_HEADER_BLOCK + CHUNK_SIZE + 9000] ^= 0x20  # a flipped bit in chunk 1's records: CRC32 mismatch
    damaged = tmp_path / "Security.evtx"
    damaged.write_bytes(bytes(data))
    folded = _folded(damaged, 1)
    assert folded[1] is None and folded[0] is not None
    _compare(damaged, 1)
    _compare(damaged, 64)


def test_disagreeing_bytes_and_json_fall_back(mixed_log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the bytes were misread (here: a wrong channel decided natively), the cross-check on the rendered
    records rejects the fold and the shard is read the ordinary way: the result is still exact."""
    calls: list[bool] = []
    real = evtx_source._read_folded

    def spy(*args: object) -> object:
        result = real(*args)  # type: ignore[arg-type]
        calls.append(result is not None)
        return result

    monkeypatch.setattr(ep, "_decide", lambda provider, channel: "Wrong" if provider == SECURITY else None)
    monkeypatch.setattr(evtx_source, "_read_folded", spy)
    evtx_source._SCANNER = ep.Scanner()
    try:
        _compare(mixed_log, 64)
    finally:
        evtx_source._SCANNER = ep.Scanner()
    assert calls and not any(calls)


def test_template_shapes() -> None:
    node = ep._Node

    def event(*system: object, before: tuple[object, ...] = ()) -> object:
        return node("Event", children=[*before, node("System", children=list(system))])

    provider = node("Provider", attributes=[("Name", [("sub", 14)])])
    event_id = node("EventID", attributes=[("Qualifiers", [("sub", 4)])], children=[("sub", 3)])
    channel = node("Channel", children=[("text", "Security")])
    shape = ep._shape_of(event(provider, event_id, channel))
    assert (shape.provider, shape.event_id, shape.qualifiers, shape.channel) == (14, 3, 4, "Security")
    with pytest.raises(ep._Opaque):  # EventID as template text: left to the JSON
        ep._shape_of(event(provider, node("EventID", children=[("text", "4624")]), channel))
    with pytest.raises(ep._Opaque):  # a Channel attribute before System's Channel would be found first
        ep._shape_of(event(provider, node("Task", attributes=[("Channel", [("sub", 1)])]), event_id, channel))
    with pytest.raises(ep._Opaque):  # System must come first
        ep._shape_of(event(provider, event_id, channel, before=(node("Other"),)))
    with pytest.raises(ep._Opaque):  # Channel with text JSON escapes
        ep._shape_of(event(provider, event_id, node("Channel", children=[("text", 'a"b')])))


def _corpus() -> list[Path]:
    return sorted((SHARED / "corpus").glob("evtx*/*.evtx"))


@pytest.mark.skipif(not _corpus(), reason="../shared/corpus is absent (only in the developers' workspace)")
def test_real_logs_same_with_and_without_prefilter() -> None:
    """Real Windows logs (clean, dirty, damaged): identical results, and real Security logs take the fast path."""
    skipped = 0
    for path in _corpus():
        _compare(path, 1)
        _compare(path, 64)
        if path.name == "security.evtx":
            skipped = sum(item[4] for f in _folded(path, 1) if f for item in f.items if item[0] == ep.SKIP)
    assert skipped > 1000


def test_the_one_process_reader_takes_the_pipelines_path(mixed_log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``read_evtx`` (tests, the reader API) reads like the pipeline: shard by shard through the pre-filter, with
    the events and counts of rendering every record of the whole file."""
    folded: list[bool] = []
    original = evtx_source._read_folded

    def spy(shard: Shard, stats: ReadStats, name: str) -> list[Event] | None:
        events = original(shard, stats, name)
        folded.append(events is not None)
        return events

    monkeypatch.setattr(evtx_source, "_read_folded", spy)
    monkeypatch.setattr(evtx_source, "DEFAULT_SHARD_CHUNKS", 1)  # several shards, added up
    inp = InputFile(mixed_log.name, str(mixed_log), mixed_log.stat().st_size, "", "evtx", role="Security")
    events = list(evtx_source.read_evtx(inp, Collector()))
    assert len(folded) > 1 and all(folded), "every shard of a clean log goes through the pre-filter"
    plain = ReadStats()
    assert events == list(read_records(str(mixed_log), plain, False, mixed_log.name))
    assert (inp.records_read, inp.records_skipped, inp.events_kept) == (
        plain.records_read,
        plain.records_skipped,
        plain.events_kept,
    )
    assert inp.channels == plain.channels and list(inp.channels) == list(plain.channels)
    assert inp.records_lost == 0 and inp.analysed
