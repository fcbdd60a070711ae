"""Worker-side cost per record (on demand, not in CI): what one shard worker spends on each extension record.

    python benchmarks/bench_worker.py                        # the worst case, 30 k records (generated once)
    python benchmarks/bench_worker.py --records 300000 --keep /tmp/bench
    python benchmarks/bench_worker.py --bundle /tmp/bench/worst-30000 --profile 25

The worker path is :func:`nps_trace_analyzer.pipeline.parallel.read_shard` over the whole file in this process:
pyevtx-rs iteration, normalising each record, the AzureMfa extraction and the catalog look-ups that make its
findings, the events.csv row. The reference, measured in the same run on the same file, is the bare iteration the
issue compares against (``for r in PyEvtxParser(f).records_json(): pass``) and the XML iteration the worker really
uses (``records()``). Figures are CPU seconds of this process (user + sys; they hardly depend on the load), given
as microseconds per record, the worker's cost above the XML iteration, and ratios; medians of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import evtx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bundles import write_worst

from nps_trace_analyzer.catalog import load_catalog
from nps_trace_analyzer.pipeline.parallel import ShardTask, read_shard
from nps_trace_analyzer.sources.evtx_shards import plan_shards


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(work: Callable[[], object], repeat: int) -> float:
    """Median CPU seconds of ``work``."""
    times = []
    for _ in range(repeat):
        start = _cpu()
        work()
        times.append(_cpu() - start)
    return statistics.median(times)


def _bare(path: Path, xml: bool) -> int:
    parser = evtx.PyEvtxParser(str(path))
    count = 0
    for _record in parser.records() if xml else parser.records_json():
        count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=30_000, help="records of the generated worst case")
    parser.add_argument("--bundle", type=Path, help="an existing worst-case folder (its AuthZOptCh .evtx is read)")
    parser.add_argument("--keep", type=Path, help="generate into (and reuse) this folder")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print the N costliest functions")
    args = parser.parse_args()

    if args.bundle is not None:
        folder = args.bundle
    else:
        root = args.keep or Path(tempfile.mkdtemp(prefix="bench-worker-"))
        folder = root / f"worst-{args.records}"
        if not folder.exists():
            write_worst(folder, args.records)
    path = next(folder.glob("*.evtx"))
    catalog = load_catalog()
    shard = plan_shards(str(path), path.stat().st_size, shard_chunks=1 << 30)[0]
    task = ShardTask(shard, path.name, as_xml=True)

    records = _bare(path, xml=False)
    result = read_shard(task, catalog)  # warm-up; also checks the whole file was read
    assert result.row_count == records and not result.error, (result.row_count, records, result.error)

    json_s = _timed(lambda: _bare(path, xml=False), args.repeat)
    xml_s = _timed(lambda: _bare(path, xml=True), args.repeat)
    worker_s = _timed(lambda: read_shard(task, catalog), args.repeat)
    per = 1e6 / records
    load = os.getloadavg()
    print(f"{path} - {records} records; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"bare records_json():  {json_s * per:7.2f} us/record CPU")
    print(f"bare records() (XML): {xml_s * per:7.2f} us/record CPU ({xml_s / json_s:.2f}x records_json)")
    print(
        f"worker (read_shard):  {worker_s * per:7.2f} us/record CPU ({worker_s / json_s:.1f}x records_json); "
        f"above the XML iteration: {(worker_s - xml_s) * per:.2f} us/record"
    )
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(read_shard, task, catalog)
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(args.profile)
        print(out.getvalue())


if __name__ == "__main__":
    main()
