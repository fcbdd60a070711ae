"""The ETL reader on synthetic traces: exact round trip, clocks, ordering, and damage that must not stop it."""

from __future__ import annotations

import itertools
import os
import random
import uuid
from datetime import datetime, timezone

import pytest

from nps_trace_analyzer.sources.etl import EtlReader, EtlStats, iter_events, iter_events_sorted, read_logfile_header
from nps_trace_analyzer.sources.etl import layout as L
from nps_trace_analyzer.synth.etl.writer import EtlEventSpec, EtlWriter, datetime_to_filetime

PROVIDER = uuid.UUID("7237ed00-e119-430b-ab0f-c63360c8ee81")
START = datetime_to_filetime(datetime(2024, 7, 10, 9, 30, tzinfo=timezone.utc))


def _specs(n=600, processors=3, step=12_345):
    rng = random.Random(5)
    return [
        EtlEventSpec(
            provider=PROVIDER,
            event_id=100 + i % 7,
            filetime=START + i * step,
            payload=bytes(rng.randrange(256) for _ in range(rng.randrange(0, 700))),
            version=i % 3,
            level=1 + i % 5,
            opcode=i % 11,
            task=i % 13,
            keywords=(1 << 63) | i,
            channel=i % 17,
            process_id=1000 + i,
            thread_id=2000 + i,
            processor=i % processors,
        )
        for i in range(n)
    ]


def _write(path, specs, **kw):
    writer = EtlWriter(START, processors=3, **kw)
    writer.extend(specs)
    with open(path, "wb") as fh:
        return writer.write(fh)


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "compressed"])
@pytest.mark.parametrize("perf_freq", [10_000_000, 2_246_095])
def test_round_trip_is_exact(tmp_path, compressed, perf_freq):
    specs = _specs()
    path = tmp_path / "t.etl"
    buffers = _write(path, specs, compressed=compressed, perf_freq=perf_freq)
    stats = EtlStats()
    everything = list(iter_events_sorted(path, stats))
    assert (stats.buffers, stats.events, stats.skipped, stats.warnings) == (buffers, len(specs) + 1, 0, [])
    assert everything[0].header_kind == "system" and everything[0].hook_id == L.HOOK_LOGFILE_HEADER
    events = everything[1:]
    assert stats.compressed_buffers == (buffers - 1 if compressed else 0)
    assert [e.header_kind for e in events] == ["event"] * len(specs)
    for spec, ev in zip(specs, events, strict=True):
        assert ev.provider == spec.provider
        fields = (ev.event_id, ev.version, ev.level, ev.opcode, ev.task, ev.keywords, ev.channel)
        assert fields == (spec.event_id, spec.version, spec.level, spec.opcode, spec.task, spec.keywords, spec.channel)
        assert (ev.process_id, ev.thread_id, ev.processor, ev.payload) == (
            spec.process_id,
            spec.thread_id,
            spec.processor,
            spec.payload,
        )
        # The writer quantises to QPC ticks: exact at 10 MHz, within one QPC tick otherwise.
        assert abs(ev.filetime - spec.filetime) <= (0 if perf_freq == 10_000_000 else 10_000_000 // perf_freq + 1)
        assert ev.timestamp.tzinfo is timezone.utc and ev.pointer_size == 8


def test_logfile_header(tmp_path):
    path = tmp_path / "h.etl"
    _write(path, _specs(10))
    header = read_logfile_header(path)
    assert header.start == datetime(2024, 7, 10, 9, 30, tzinfo=timezone.utc)
    assert (header.clock_type, header.perf_freq, header.pointer_size) == (L.ClockType.QPC, 10_000_000, 8)
    assert header.logger_name == "nps-trace-analyzer" and header.log_file_name == "C:\\NPS\\nettrace.etl"
    assert header.number_of_processors == 3


def test_file_order_is_per_buffer_and_sorted_order_is_global(tmp_path):
    path = tmp_path / "o.etl"
    _write(path, _specs(3000, step=1_000), buffer_size=8192)
    plain = [e.filetime for e in iter_events(path)]
    ordered = [e.filetime for e in iter_events_sorted(path)]
    assert plain != sorted(plain)  # several processors' buffers interleave in the file
    assert ordered == sorted(plain)


def _buffer_offsets(path):
    return [info.offset for info in EtlReader(path).buffers()]


def test_damaged_buffer_header_skips_only_that_buffer(tmp_path):
    path = tmp_path / "d.etl"
    _write(path, _specs(2000, step=1_000), buffer_size=8192)
    total = sum(1 for _ in iter_events(path))
    offsets = _buffer_offsets(path)
    data = bytearray(path.read_bytes())
    data[offsets[3] : offsets[3] + 4] = (0xFFFFFFF0).to_bytes(4, "little")  # absurd BufferSize
    path.write_bytes(bytes(data))
    stats = EtlStats()
    events = list(iter_events(path, stats))
    assert 0 < total - len(events) < 40  # one 8 KiB buffer's worth of events lost, no more
    assert stats.skipped == 1 and "damaged buffer header" in stats.warnings[0]


def test_damaged_compressed_buffer_header_resyncs_by_scanning(tmp_path):
    path = tmp_path / "dc.etl"
    _write(path, _specs(2000, step=1_000), buffer_size=8192, compressed=True)
    total = sum(1 for _ in iter_events(path))
    offsets = _buffer_offsets(path)
    data = bytearray(path.read_bytes())
    data[offsets[4] : offsets[4] + 4] = b"\x00\x00\x00\x00"
    path.write_bytes(bytes(data))
    stats = EtlStats()
    events = list(iter_events(path, stats))
    assert 0 < total - len(events) < 40 and stats.skipped == 1


def test_bad_record_size_ends_that_buffer_only(tmp_path):
    path = tmp_path / "r.etl"
    _write(path, _specs(2000, step=1_000), buffer_size=8192)
    offsets = _buffer_offsets(path)
    data = bytearray(path.read_bytes())
    first_record = offsets[2] + L.BUFFER_HEADER_SIZE
    data[first_record : first_record + 2] = (0x7FF0).to_bytes(2, "little")
    path.write_bytes(bytes(data))
    stats = EtlStats()
    events = list(iter_events(path, stats))
    assert stats.skipped == 1 and "runs past" in stats.warnings[0]
    assert 1900 < len(events) < 2000


def test_corrupt_compressed_body_is_counted(tmp_path):
    path = tmp_path / "z.etl"
    _write(path, _specs(500), compressed=True)
    offsets = _buffer_offsets(path)
    data = bytearray(path.read_bytes())
    start = offsets[1] + L.BUFFER_HEADER_SIZE
    data[start : start + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    stats = EtlStats()
    list(iter_events(path, stats))
    assert stats.skipped >= 1 and stats.warnings


def test_truncated_file(tmp_path):
    path = tmp_path / "t.etl"
    _write(path, _specs(2000, step=1_000), buffer_size=8192)
    size = os.path.getsize(path)
    offsets = _buffer_offsets(path)
    cut = offsets[-2] + 3000  # inside the second-to-last buffer; the last one is gone
    assert cut < size
    path.write_bytes(path.read_bytes()[:cut])
    stats = EtlStats()
    events = list(iter_events_sorted(path, stats))
    assert 1900 < len(events) < 2000
    assert any("cut off" in w for w in stats.warnings)
    assert all(a.filetime <= b.filetime for a, b in itertools.pairwise(events))


@pytest.mark.parametrize(
    "content", [b"", b"\x00" * 100, bytes(random.Random(1).randrange(256) for _ in range(300_000))]
)
def test_garbage_never_raises(tmp_path, content):
    path = tmp_path / "g.etl"
    path.write_bytes(content)
    stats = EtlStats()
    assert list(iter_events(path, stats)) == []
    assert list(iter_events_sorted(path, stats)) == []
    assert read_logfile_header(path) is None
    assert stats.warnings


def test_every_single_byte_flip_in_a_small_file_is_survived(tmp_path):
    path = tmp_path / "f.etl"
    _write(path, _specs(40), buffer_size=4096)
    clean = path.read_bytes()
    rng = random.Random(3)
    for offset in rng.sample(range(len(clean)), 300):
        damaged = bytearray(clean)
        damaged[offset] ^= 0xFF
        path.write_bytes(bytes(damaged))
        list(iter_events_sorted(path, EtlStats()))
