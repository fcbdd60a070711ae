"""``--jobs``: the reports are the same bytes whatever the number of processes and however files are sharded.

Every scenario is analysed with 1, 2 and 5 jobs; a bundle whose logs span many chunks is analysed whole and in
one-chunk shards, intact and damaged (a trailing partial chunk, broken chunks, a header-only file, a file header
that lies about the chunk count), and the sharded reading must count exactly what one pass over the whole file
counts.
"""

from __future__ import annotations

import itertools
import json
import random
import shutil
import struct
from pathlib import Path

import pytest

from nps_trace_analyzer.core.model import InputFile
from nps_trace_analyzer.intake import open_bundle
from nps_trace_analyzer.pipeline import AnalyzeOptions, analyze
from nps_trace_analyzer.pipeline.parallel import ShardedEvtx
from nps_trace_analyzer.sources.evtx_shards import CHUNK_SIZE, FILE_HEADER_BLOCK, plan_shards
from nps_trace_analyzer.sources.evtx_source import ReadStats, finish_evtx, open_evtx, read_records
from nps_trace_analyzer.sources.evtx_strings import strings_cut_at_nul
from nps_trace_analyzer.synth.bundle import DEFAULT_DAY, generate_bundle
from nps_trace_analyzer.synth.scenarios import SCENARIOS

REPORTS = ("report.html", "incidents.csv", "events.csv", "findings.json")


def _reports(bundle: Path, out: Path, jobs: int, shard_chunks: int = 64) -> dict[str, bytes]:
    analyze([bundle], out, AnalyzeOptions(jobs=jobs, shard_chunks=shard_chunks))
    return {name: (out / name).read_bytes() for name in REPORTS}


def _assert_same(a: dict[str, bytes], b: dict[str, bytes], what: str) -> None:
    for name in REPORTS:
        assert a[name] == b[name], f"{name} differs ({what})"


@pytest.fixture(autouse=True)
def _pinned_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")


@pytest.mark.parametrize("name", [s.name for s in SCENARIOS])
def test_every_scenario_same_bytes_for_1_2_and_5_jobs(name: str, tmp_path: Path) -> None:
    bundle = generate_bundle(tmp_path / name, [name], seed=11, host="NPS01", day=DEFAULT_DAY, healthy=6)
    one = _reports(bundle, tmp_path / "j1", jobs=1)
    _assert_same(one, _reports(bundle, tmp_path / "j2", jobs=2, shard_chunks=1), "2 jobs")
    _assert_same(one, _reports(bundle, tmp_path / "j5", jobs=5, shard_chunks=1), "5 jobs")


@pytest.fixture(scope="module")
def big_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All scenarios with enough healthy traffic that Security.evtx and AuthZOptCh.evtx span several chunks."""
    from nps_trace_analyzer.synth.scenarios.context import BookingError

    folder = tmp_path_factory.mktemp("big") / "bundle"
    for healthy in (120, 90, 60):  # as much healthy traffic as the day has room for beside every scenario
        try:
            bundle = generate_bundle(folder, ["all"], seed=5, host="NPS02", day=DEFAULT_DAY, healthy=healthy)
            break
        except BookingError:
            shutil.rmtree(folder, ignore_errors=True)
    assert _chunks(bundle / "Security.evtx") >= 3 and _chunks(bundle / "NPS02_AuthZOptCh.evtx") >= 2
    return bundle


def _chunks(path: Path) -> int:
    return (path.stat().st_size - FILE_HEADER_BLOCK) // CHUNK_SIZE


def _damage_partial_chunk(bundle: Path) -> None:
    path = bundle / "Security.evtx"
    path.write_bytes(path.read_bytes()[: FILE_HEADER_BLOCK + 2 * CHUNK_SIZE + 20_000])


def _damage_chunks(bundle: Path) -> None:
    path = bundle / "Security.evtx"
    data = bytearray(path.read_bytes())
    data[FILE_HEADER_BLOCK + CHUNK_SIZE : FILE_HEADER_BLOCK + CHUNK_SIZE + 8] = b"XXXXXXXX"  # bad chunk magic
    at = FILE_HEADER_BLOCK + 2 * CHUNK_SIZE + 700
    data[at : at + 3000] = bytes(3000)  # zeroed records
    rng = random.Random(3)
    last = _chunks(path) - 1
    for _ in range(60):  # bit flips in the last whole chunk
        data[FILE_HEADER_BLOCK + last * CHUNK_SIZE + rng.randrange(CHUNK_SIZE)] ^= 1 << rng.randrange(8)
    path.write_bytes(bytes(data))


def _header_only(bundle: Path) -> None:
    path = bundle / "NPS02_AuthZOptCh.evtx"
    path.write_bytes(path.read_bytes()[:FILE_HEADER_BLOCK])


def _lying_header(bundle: Path) -> None:
    for log, chunk_count in (("Security.evtx", 1), ("NPS02_AuthZOptCh.evtx", 0xFFFF)):
        path = bundle / log
        data = bytearray(path.read_bytes())
        struct.pack_into("<QQ", data, 8, 0, 0)  # first/last chunk number
        struct.pack_into("<H", data, 42, chunk_count)  # number of chunks
        path.write_bytes(bytes(data))


DAMAGE = {
    "intact": lambda _b: None,
    "trailing-partial-chunk": _damage_partial_chunk,
    "damaged-chunks": _damage_chunks,
    "header-only": _header_only,
    "lying-header": _lying_header,
}


def _read_in_one_pass(inp: InputFile) -> None:
    """The plain reference: every record of the whole file rendered by pyevtx-rs (``read_records``), counted into
    ``inp`` as the readers do (the readers themselves all read in shards since read_evtx takes the pipeline's path)."""
    as_xml = open_evtx(inp)
    assert as_xml is not None
    stats = ReadStats()
    list(read_records(inp.path, stats, as_xml, inp.name, cut_at_nul=strings_cut_at_nul(inp.path)))
    stats.merge_into(inp)
    finish_evtx(inp, stats.record_ids)


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_sharded_reading_equals_one_pass(damage: str, big_bundle: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(big_bundle, bundle)
    DAMAGE[damage](bundle)
    whole = _reports(bundle, tmp_path / "whole", jobs=1)
    _assert_same(whole, _reports(bundle, tmp_path / "j2", jobs=2, shard_chunks=1), "2 jobs, 1-chunk shards")
    _assert_same(whole, _reports(bundle, tmp_path / "j5", jobs=5, shard_chunks=3), "5 jobs, 3-chunk shards")
    _assert_same(whole, _reports(bundle, tmp_path / "j1s", jobs=1, shard_chunks=2), "1 job, 2-chunk shards")
    # ... and reading each whole file in one pass, without shards or the pre-filter, counts the same
    doc = json.loads(whole["findings.json"])
    with open_bundle([bundle]) as opened:
        for inp in opened.files:
            if inp.kind != "evtx":
                continue
            _read_in_one_pass(inp)
            reported = next(i for i in doc["inputs"] if i["name"] == inp.name)
            for key in ("records_read", "records_skipped", "events_kept", "warnings", "channels", "reason"):
                assert reported[key] == getattr(inp, key), (inp.name, key)
    if damage == "damaged-chunks":
        assert any(i["records_skipped"] for i in doc["inputs"])
        assert any("chunk number 1:" in w for i in doc["inputs"] for w in i["warnings"])  # numbered in the file
    if damage == "header-only":
        authz = next(i for i in doc["inputs"] if i["name"] == "NPS02_AuthZOptCh.evtx")
        assert authz["warnings"][-1] == "the log is empty (file header only)"
        assert any("the file is truncated" in w for w in authz["warnings"])  # its header announces chunks


def test_plan_covers_the_file_once() -> None:
    size = FILE_HEADER_BLOCK + 10 * CHUNK_SIZE + 1234
    shards = plan_shards("x.evtx", size, 3)
    assert [s.first_chunk for s in shards] == [0, 3, 6, 9]
    assert shards[-1].end == size and sum(s.file_bytes for s in shards) == size
    assert all(a.end == b.start for a, b in itertools.pairwise(shards))
    assert plan_shards("x.evtx", size, 10)[0].whole_file  # not larger than one shard: read as it is
    with pytest.raises(ValueError):
        plan_shards("x.evtx", size, 0)


def test_a_worker_error_stops_that_file_only(big_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in one shard's reading costs that file from that shard on (as with one process), for any jobs."""
    from nps_trace_analyzer.pipeline import parallel

    real = parallel.findings_for

    def flaky(event, catalog):  # fails on the 2nd AzureMfa chunk's events
        if event.source_file.endswith("AuthZOptCh.evtx") and event.record_id and event.record_id > 200:
            raise RuntimeError("simulated bug")
        return real(event, catalog)

    monkeypatch.setattr(parallel, "findings_for", flaky)
    one = _reports(big_bundle, tmp_path / "a", jobs=1, shard_chunks=1)
    _assert_same(one, _reports(big_bundle, tmp_path / "b", jobs=2, shard_chunks=1), "2 jobs")
    doc = json.loads(one["findings.json"])
    authz = next(i for i in doc["inputs"] if i["name"] == "NPS02_AuthZOptCh.evtx")
    assert "internal error" in authz["reason"] and "simulated bug" in authz["reason"]
    assert 0 < authz["records_read"] < _chunks(big_bundle / "NPS02_AuthZOptCh.evtx") * 200
    security = next(i for i in doc["inputs"] if i["name"] == "Security.evtx")
    assert security["reason"] == "" and security["records_read"] > 0


def test_one_job_starts_no_pool(big_bundle: Path) -> None:
    with open_bundle([big_bundle]) as opened:
        evtx_files = [f for f in opened.files if f.kind == "evtx"]
        with ShardedEvtx(evtx_files, catalog=None, jobs=1, shard_chunks=1) as shards:
            assert shards.pool is None


@pytest.mark.parametrize("jobs", [1, 2])
def test_large_inputs_are_hashed_by_the_workers(
    jobs: int, big_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inputs over the threshold are hashed in the pool, not at intake; the report shows the same SHA-256."""
    import hashlib

    from nps_trace_analyzer.pipeline import run as pipeline

    usual = _reports(big_bundle, tmp_path / "usual", jobs=jobs)
    monkeypatch.setattr(pipeline, "HASH_IN_WORKERS_FROM", 1)  # every file
    _assert_same(usual, _reports(big_bundle, tmp_path / "late", jobs=jobs, shard_chunks=1), "hashed in workers")
    doc = json.loads(usual["findings.json"])
    for inp in doc["inputs"]:
        assert inp["sha256"] == hashlib.sha256((big_bundle / inp["name"]).read_bytes()).hexdigest(), inp["name"]


def test_intake_leaves_large_files_unhashed_when_asked(big_bundle: Path) -> None:
    with open_bundle([big_bundle], hash_later_from=100_000) as opened:
        big = {f.name: f.sha256 for f in opened.files if f.size >= 100_000}
        small = {f.name: f.sha256 for f in opened.files if f.size < 100_000}
    assert big and all(sha == "" for sha in big.values())
    assert small and all(len(sha) == 64 for sha in small.values())


def test_a_dying_worker_costs_its_shard_not_the_run(big_bundle: Path, tmp_path: Path, monkeypatch) -> None:
    """A worker killed mid-shard (out of memory, a native crash) is reported for that file; the rest is read."""
    import os

    from nps_trace_analyzer.pipeline import parallel

    real = parallel.read_shard

    def dying(task, catalog=None):
        if task.name.endswith("AuthZOptCh.evtx") and task.shard.first_chunk == 1:
            os._exit(3)
        return real(task, catalog)

    monkeypatch.setattr(parallel, "read_shard", dying)
    analyze([big_bundle], tmp_path / "r", AnalyzeOptions(jobs=2, shard_chunks=1))
    doc = json.loads((tmp_path / "r" / "findings.json").read_text(encoding="utf-8"))
    authz = next(i for i in doc["inputs"] if i["name"] == "NPS02_AuthZOptCh.evtx")
    assert "worker process died" in authz["reason"]
    security = next(i for i in doc["inputs"] if i["name"] == "Security.evtx")
    assert security["reason"] == "" and security["records_read"] > 0 and len(security["sha256"]) == 64


def test_inside_a_daemonic_worker_it_reads_in_one_process(big_bundle: Path, monkeypatch) -> None:
    import multiprocessing

    monkeypatch.setattr(multiprocessing.current_process(), "daemon", True, raising=False)
    with open_bundle([big_bundle]) as opened:
        evtx_files = [f for f in opened.files if f.kind == "evtx"]
        with ShardedEvtx(evtx_files, catalog=None, jobs=4, shard_chunks=1) as shards:
            assert shards.pool is None and shards.notes


def test_event_observer_sees_the_same_events_for_any_jobs(big_bundle: Path) -> None:
    """The library API's observer (events kept, observations) gets every event, in order, whatever --jobs."""
    from nps_trace_analyzer.api import analyze_bundle

    one = analyze_bundle(big_bundle, options=AnalyzeOptions(jobs=1))
    two = analyze_bundle(big_bundle, options=AnalyzeOptions(jobs=2, shard_chunks=1))
    assert one.events and one.events == two.events
    assert one.observations == two.observations


def test_shard_file_shows_the_header_then_the_chunk_run(tmp_path: Path) -> None:
    """The windowed file object pyevtx-rs reads: header block, then bytes [start, end) of the file, nothing else."""
    import io

    from nps_trace_analyzer.sources.evtx_shards import ShardFile

    data = bytes(range(256)) * ((FILE_HEADER_BLOCK + 3 * CHUNK_SIZE) // 256)
    path = tmp_path / "f.evtx"
    path.write_bytes(data)
    start, end = FILE_HEADER_BLOCK + CHUNK_SIZE, FILE_HEADER_BLOCK + 3 * CHUNK_SIZE
    expected = data[:FILE_HEADER_BLOCK] + data[start:end]
    view = ShardFile(str(path), start, end)
    assert view.seek(0, io.SEEK_END) == len(expected)
    view.seek(0)
    pieces = []
    while piece := view.read(5000):  # reads that straddle the header's end
        pieces.append(piece)
    assert b"".join(pieces) == expected
    view.seek(FILE_HEADER_BLOCK - 10)
    assert view.read(20) == expected[FILE_HEADER_BLOCK - 10 : FILE_HEADER_BLOCK + 10]
    buffer = bytearray(8)
    view.seek(-8, io.SEEK_END)
    assert view.readinto(buffer) == 8 and bytes(buffer) == expected[-8:]
    assert view.read() == b""
    view.close()
