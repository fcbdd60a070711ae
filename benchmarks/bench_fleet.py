"""Fleet throughput: bundles/s with 1 and 2 Dask workers (LocalCluster) and in-process, on one generated farm.

    python benchmarks/bench_fleet.py --servers 5 --days 4 --healthy 20

Each run starts from an empty output folder (nothing skipped); the cluster start-up is included, as a user
running ``fleet --workers N`` pays it too.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from nps_trace_analyzer.fleet.run import run_fleet
from nps_trace_analyzer.synth.farm import generate_farm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", type=int, default=5)
    parser.add_argument("--days", type=int, default=4)
    parser.add_argument("--healthy", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2], help="0 = in process, no Dask")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "farm"
        bundles = len(generate_farm(root, servers=args.servers, days=args.days, healthy=args.healthy))
        print(f"{bundles} bundles ({args.servers} servers x {args.days} days, {args.healthy} healthy sign-ins each)")
        # Shared machines: say how busy the cores were, or 2 workers on 2 loaded cores looks like a regression.
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
        for workers in args.workers:
            out = Path(tmp) / f"out-{workers}"
            start = time.perf_counter()
            run = run_fleet(root, out, workers=workers)
            elapsed = time.perf_counter() - start
            label = "in process" if workers == 0 else f"{workers} worker(s)"
            rate = len(run.analysed) / elapsed
            print(f"{label:>12}: {len(run.analysed)} bundles in {elapsed:.1f} s = {rate:.2f} bundles/s")


if __name__ == "__main__":
    main()
