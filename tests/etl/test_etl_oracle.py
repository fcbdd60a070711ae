"""Our ETL reader against dissect.etl (AGPL; imported by tests only) on every public corpus trace.

dissect.etl reads EVENT_HEADER provider GUIDs with ``bytes`` instead of ``bytes_le``; the comparison undoes
that. Its times are computed in floating point and are up to 4 µs off (our exact 100 ns conversion is
checked against pktmon's own dump in test_etl_pktmon_truth), hence the 5 µs tolerance here. Its payload of
an EVENT_HEADER record with extended data items (TraceLogging schema, provider traits) still holds those
items; ours separates them into ``extended``.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

import pytest
from etl_corpus import corpus_etl_files

from nps_trace_analyzer.sources.etl import EtlStats, iter_events

dissect_etl = pytest.importorskip("dissect.etl", reason="dissect.etl (test-only oracle) is not installed")

FILES = corpus_etl_files()
KIND_BY_CLASS = {
    "SystemHeader": {"system", "compact"},
    "PerfinfoTraceHeader": {"perfinfo"},
    "EventTraceHeader": {"full", "instance"},
    "EventHeader": {"event", "error"},
}


def _dissect_records(path):
    with open(path, "rb") as fh:
        for rec in dissect_etl.ETL(fh):
            yield rec.header


@pytest.mark.corpus
@pytest.mark.skipif(not FILES, reason="../shared/corpus/etl is absent")
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_same_events_as_dissect(path):
    stats = EtlStats()
    ours = list(iter_events(path, stats))
    theirs = list(_dissect_records(path))
    assert len(ours) == len(theirs)
    assert stats.skipped == 0 and stats.warnings == []
    for mine, other in zip(ours, theirs, strict=True):
        assert mine.header_kind in KIND_BY_CLASS[type(other).__name__]
        assert abs(mine.timestamp - other.timestamp) <= timedelta(microseconds=5)
        if mine.extended:
            items = sum(8 + len(blob) + (-(8 + len(blob)) % 8) for _type, blob in mine.extended)
            assert bytes(other.payload) == bytes(other.payload)[:items] + mine.payload
            assert len(other.payload) == items + len(mine.payload)
        else:
            assert bytes(other.payload) == mine.payload
        if mine.header_kind == "event":
            inner = other.header
            assert mine.provider == uuid.UUID(bytes_le=bytes(inner.ProviderId))
            assert mine.provider == uuid.UUID(bytes_le=other.provider_id.bytes)  # their swap, undone
            assert (mine.event_id, mine.version, mine.level, mine.opcode, mine.task, mine.keywords) == (
                inner.Id,
                inner.Version,
                inner.Level,
                inner.OpCode,
                inner.Task,
                inner.Keywords,
            )
            assert (mine.process_id, mine.thread_id) == (other.process_id, other.thread_id)
        elif mine.header_kind == "full":
            assert mine.provider == other.provider_id  # classic GUIDs: dissect reads them correctly
            assert (mine.process_id, mine.thread_id) == (other.process_id, other.thread_id)
        elif mine.header_kind == "system":
            assert mine.hook_id == other.hook_id
            assert (mine.process_id, mine.thread_id) == (other.process_id, other.thread_id)


@pytest.mark.corpus
@pytest.mark.skipif(not FILES, reason="../shared/corpus/etl is absent")
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_sorted_stream_is_a_time_ordered_permutation(path):
    from nps_trace_analyzer.sources.etl import iter_events_sorted

    plain = list(iter_events(path))
    stats = EtlStats()
    ordered = list(iter_events_sorted(path, stats))
    assert sorted((e.filetime, e.payload) for e in plain) == sorted((e.filetime, e.payload) for e in ordered)
    assert all(a.filetime <= b.filetime for a, b in itertools.pairwise(ordered))
    assert stats.out_of_order == 0
