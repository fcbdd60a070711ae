"""Throughput benchmark (on demand, not in CI): ``analyze`` with 1 and N jobs against bare pyevtx-rs iteration.

    python benchmarks/bench_throughput.py                       # busy 256 MB + worst 300 k records, N = cores
    python benchmarks/bench_throughput.py --keep /tmp/bench     # keep (and reuse) the generated bundles
    python benchmarks/bench_throughput.py --only busy-x4 --repeat 1   # peak memory at 4 x 256 MB ~ 1 GB
    python benchmarks/bench_throughput.py --only busy --baseline /path/to/other/checkout   # before/after

The reference is measured in the same run, interleaved with the analyses, on the same files:
``for r in PyEvtxParser(f).records_json(): pass`` over every .evtx of the bundle. Figures are ratios to it.
Each analysis runs in a fresh process; its stages are timed from the pipeline's own progress messages
(parse-and-extract = from the first "reading" line to "joining ..."; correlate; write reports). Peak RSS is the
largest sum of the resident sizes of the analysing process and its workers, sampled every 20 ms from /proc.
Times are medians of ``--repeat`` runs. Bundles come from ``benchmarks/bundles.py``. With ``--baseline`` the
same analyses also run from another checkout (its package first on PYTHONPATH), interleaved in the same run,
so a change is judged against the same load.
The parent's CPU (merging the workers' summaries, correlating, writing the reports: what more jobs do not divide)
is also given per 300 k records and as a multiple of the bare iteration's CPU in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import evtx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bundles import replicate, write_busy, write_worst

ANALYZE = r"""
import json, sys, time
from pathlib import Path
from nps_trace_analyzer.api import analyze_bundle
from nps_trace_analyzer.pipeline import AnalyzeOptions
marks = {}
t0 = time.perf_counter()
def say(msg):
    now = time.perf_counter() - t0
    if msg.startswith("[1/"): marks.setdefault("read", now)
    elif msg.startswith("joining"): marks["correlate"] = now
    elif msg.startswith("writing"): marks["write"] = now
# as the CLI runs it: the library entry point, events observed but not kept
r = analyze_bundle([sys.argv[1]], Path(sys.argv[2]), AnalyzeOptions(jobs=int(sys.argv[3])), keep_events=False,
                   progress=say).result
marks["end"] = time.perf_counter() - t0
marks["records"] = sum(i.records_read for i in r.inputs)
marks["events"] = r.events_total
marks["incidents"] = len(r.incidents)
import resource
own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
marks["cpu_parent"] = own.ru_utime + own.ru_stime
marks["cpu_workers"] = kids.ru_utime + kids.ru_stime
print(json.dumps(marks))
"""


def _tree_memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in bytes of ``pid`` and all its descendants (Linux /proc).

    PSS splits pages shared between the parent and its forked workers among them, so the sum is what the tree
    really occupies; the RSS sum counts shared pages once per process and overstates it.
    """
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    fields = fh.read().rsplit(b")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    rss = pss = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            with open(f"/proc/{current}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
        except (OSError, IndexError, ValueError):
            continue
    return rss, pss


def parallel_capacity(seconds: float = 1.0) -> float:
    """How much faster two processes finish pure-Python work than one, on this machine right now.

    A same-run reference for the jobs speed-up: on an idle 2-core machine it is ~2.0; when other work shares
    the cores it drops, and a parse-and-extract speed-up can only be judged against it.
    """
    import multiprocessing as mp

    n = 200_000
    start = time.perf_counter()
    _spin(n)
    unit = time.perf_counter() - start
    n = max(n, int(n * seconds / max(unit, 1e-6)))
    start = time.perf_counter()
    _spin(2 * n)
    one = time.perf_counter() - start
    with mp.get_context("fork").Pool(2) as pool:
        start = time.perf_counter()
        pool.map(_spin, [n, n])
        two = time.perf_counter() - start
    return one / two


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def run_analyze(bundle: Path, out: Path, jobs: int, checkout: Path | None = None) -> dict[str, float]:
    env = dict(os.environ)
    if checkout is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(checkout), env.get("PYTHONPATH", "")]))
    proc = subprocess.Popen(
        [sys.executable, "-c", ANALYZE, str(bundle), str(out), str(jobs)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=checkout or None,
    )
    peak_rss = peak_pss = 0
    while proc.poll() is None:
        rss, pss = _tree_memory(proc.pid)
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(0.02)
    stdout = proc.stdout.read() if proc.stdout else ""
    if proc.returncode != 0:
        raise SystemExit(f"analyze failed ({proc.returncode})")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["peak_rss_mb"] = peak_rss / 1024**2
    result["peak_pss_mb"] = peak_pss / 1024**2
    result["parse_extract"] = result["correlate"] - result["read"]
    result["correlate_s"] = result["write"] - result["correlate"]
    result["write_s"] = result["end"] - result["write"]
    result["report_sizes"] = {p.name: p.stat().st_size for p in sorted(out.iterdir()) if not p.name.startswith(".")}
    return result


def bare(files: list[Path]) -> tuple[int, float, float]:
    """Records, wall seconds and CPU seconds of bare iteration (the CPU figure does not depend on the load)."""
    start, cpu = time.perf_counter(), time.process_time()
    count = 0
    for path in files:
        for _record in evtx.PyEvtxParser(str(path)).records_json():
            count += 1
    return count, time.perf_counter() - start, time.process_time() - cpu


def measure(
    name: str, bundle: Path, work: Path, jobs: list[int], repeat: int, baseline: Path | None = None
) -> dict[str, object]:
    files = sorted(bundle.glob("*.evtx"))
    size = sum(f.stat().st_size for f in files)
    bare_s: list[float] = []
    bare_cpu: list[float] = []
    runs: dict[int, list[dict[str, float]]] = {j: [] for j in jobs}
    base_runs: dict[int, list[dict[str, float]]] = {j: [] for j in jobs}
    capacity: list[float] = []
    records = 0
    for _ in range(repeat):
        records, seconds, cpu = bare(files)
        bare_s.append(seconds)
        bare_cpu.append(cpu)
        capacity.append(parallel_capacity())
        for j in jobs:
            runs[j].append(run_analyze(bundle, work / f"report-{name}-j{j}", j))
            if baseline is not None:
                base_runs[j].append(run_analyze(bundle, work / f"baseline-{name}-j{j}", j, baseline))
    ref = statistics.median(bare_s)
    summary: dict[str, object] = {
        "bundle": name,
        "mb": size / 1024**2,
        "records": records,
        "bare_s": ref,
        "bare_rate": records / ref,
        "bare_cpu_s": statistics.median(bare_cpu),
        "two_process_capacity": statistics.median(capacity),
    }
    for j in jobs:
        if base_runs[j]:
            base_total = statistics.median(r["end"] for r in base_runs[j])
            summary[f"baseline_j{j}"] = {
                "seconds": base_total,
                "ratio": ref / base_total,
                "cpu_parent_s": statistics.median(r["cpu_parent"] for r in base_runs[j]),
                "cpu_workers_s": statistics.median(r["cpu_workers"] for r in base_runs[j]),
            }
        total = statistics.median(r["end"] for r in runs[j])
        summary[f"j{j}"] = {
            "seconds": total,
            "rate": records / total,
            "ratio": ref / total,
            "parse_extract_s": statistics.median(r["parse_extract"] for r in runs[j]),
            "correlate_s": statistics.median(r["correlate_s"] for r in runs[j]),
            "write_s": statistics.median(r["write_s"] for r in runs[j]),
            "cpu_parent_s": statistics.median(r["cpu_parent"] for r in runs[j]),
            "cpu_workers_s": statistics.median(r["cpu_workers"] for r in runs[j]),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs[j]),
            "peak_pss_mb": max(r["peak_pss_mb"] for r in runs[j]),
            "events": runs[j][-1]["events"],
            "incidents": runs[j][-1]["incidents"],
            "report_sizes": runs[j][-1]["report_sizes"],
        }
    return summary


def render(summary: dict[str, object], jobs: list[int]) -> str:
    lines = [
        f"### {summary['bundle']}: {summary['mb']:.0f} MB, {summary['records']:,} records; "
        f"bare records_json() {summary['bare_s']:.2f} s ({summary['bare_rate']:,.0f} records/s, "
        f"{summary['bare_cpu_s']:.2f} s CPU)",
        "",
        "| jobs | analyze | records/s | of bare | parse+extract | correlate | write | CPU parent + workers "
        "| parent CPU per 300 k records (× bare CPU) | peak PSS (RSS sum) | reports |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for j in jobs:
        r = summary[f"j{j}"]
        assert isinstance(r, dict)
        sizes = ", ".join(f"{k} {v / 1024**2:.1f} MB" for k, v in r["report_sizes"].items())
        lines.append(
            f"| {j} | {r['seconds']:.2f} s | {r['rate']:,.0f} | {r['ratio']:.1%} | {r['parse_extract_s']:.2f} s | "
            f"{r['correlate_s']:.2f} s | {r['write_s']:.2f} s | {r['cpu_parent_s']:.2f} + {r['cpu_workers_s']:.2f} s | "
            f"{r['cpu_parent_s'] * 300_000 / summary['records']:.2f} s "
            f"({r['cpu_parent_s'] / summary['bare_cpu_s']:.1f}×) | "
            f"{r['peak_pss_mb']:.0f} MB "
            f"({r['peak_rss_mb']:.0f} MB) | {sizes} |"
        )
    for j in jobs:
        base = summary.get(f"baseline_j{j}")
        if isinstance(base, dict):
            lines.append(
                f"| {j} (baseline) | {base['seconds']:.2f} s | | {base['ratio']:.1%} | | | | "
                f"{base['cpu_parent_s']:.2f} + {base['cpu_workers_s']:.2f} s | "
                f"{base['cpu_parent_s'] * 300_000 / summary['records']:.2f} s "
                f"({base['cpu_parent_s'] / summary['bare_cpu_s']:.1f}×) | | |"
            )
    if len(jobs) > 1:
        one, many = summary[f"j{jobs[0]}"], summary[f"j{jobs[-1]}"]
        assert isinstance(one, dict) and isinstance(many, dict)
        lines.append("")
        lines.append(
            f"{jobs[-1]} jobs vs {jobs[0]}: whole run {one['seconds'] / many['seconds']:.2f}x, "
            f"parse-and-extract {one['parse_extract_s'] / many['parse_extract_s']:.2f}x (two processes of pure "
            f"Python: {summary['two_process_capacity']:.2f}x in the same run); "
            f"{many['incidents']:,} incidents, {many['events']:,} events"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--busy-mb", type=int, default=256, help="size of the busy server's Security.evtx")
    parser.add_argument("--worst-records", type=int, default=300_000, help="extension records of the worst case")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)), help="N (default: cores)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=("busy", "worst", "busy-x4"))
    parser.add_argument("--keep", type=Path, help="generate into this folder and reuse it next time")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--with-x4", action="store_true", help="also the busy bundle at four times its size")
    parser.add_argument("--baseline", type=Path, help="another checkout to measure beside this one, same run")
    args = parser.parse_args()
    jobs = sorted({1, args.jobs})
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        bundles = {
            "busy": (base / f"busy-{args.busy_mb}mb", lambda f: write_busy(f, args.busy_mb)),
            "worst": (base / f"worst-{args.worst_records}", lambda f: write_worst(f, args.worst_records)),
            # peak memory at four times the size: the busy log's chunks four times over (see bundles.replicate)
            "busy-x4": (base / f"busy-{args.busy_mb}mb-x4", lambda f: replicate(base / f"busy-{args.busy_mb}mb", f, 4)),
        }
        results = []
        for name, (folder, make) in bundles.items():
            if (args.only and name != args.only) or (not args.only and name == "busy-x4" and not args.with_x4):
                continue
            if not any(folder.glob("*.evtx")):
                started = time.perf_counter()
                make(folder)
                print(f"generated {folder.name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            summary = measure(name, folder, Path(tmp), jobs, args.repeat, args.baseline)
            results.append(summary)
            print(render(summary, jobs), flush=True)
            print(flush=True)
        print(f"load while measured: {os.getloadavg()}")
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
