"""Benchmark of the ETL path: reader, packet extraction, capture summary and pcapng writing.

Usage: python benchmarks/bench_etl.py [--size-mb 200] [--bulk-bytes 1400] [--keep PATH] [--file EXISTING.etl]

Generates a netsh-style trace (NDIS-PacketCapture 1001 events on 4 processors, every frame logged at two
NDIS layers, RADIUS/DNS/TLS traffic mixed with bulk TCP) of at least ``--size-mb`` MB, then measures each
stage in a fresh subprocess so the reported peak RSS is that stage's own. Prints MB/s, events/s,
packets/s and peak RSS per stage. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

# "reference" reads the same file with dissect.etl (test-only, AGPL; never imported by the package) so every
# figure can be reported as a ratio to an independent reader measured in the same run.
STAGES = ("reference", "events", "events_sorted", "packets", "summary", "pcapng")


def generate(path: str, size_mb: int, bulk_bytes: int = 1400) -> dict[str, int]:
    from nps_trace_analyzer.synth.etl import frames as F
    from nps_trace_analyzer.synth.etl.capture import ndis_events
    from nps_trace_analyzer.synth.etl.writer import EtlWriter, datetime_to_filetime

    start = datetime_to_filetime(datetime(2025, 6, 1, 8, 0, tzinfo=timezone.utc))
    rng = random.Random(1)
    target = size_mb * 1024 * 1024
    bulk = [F.tcp_frame("10.0.0.10", "10.0.0.20", 445, 50000 + i, 0x18, rng.randbytes(bulk_bytes)) for i in range(16)]
    radius = F.udp_frame("10.0.0.1", "10.0.0.10", 50000, 1812, F.radius(1, 1, bytes(16), [(1, b"u"), (2, bytes(16))]))
    dns = F.udp_frame("10.0.0.10", "10.0.0.53", 53000, 53, F.dns_query(1, "login.microsoftonline.com"))
    hello = F.tcp_frame("10.0.0.10", "20.190.160.1", 60000, 443, 0x18, F.tls_client_hello("login.microsoftonline.com"))
    counts = {"frames": 0}

    def events():
        t = start
        i = 0
        written = 0
        while written < target:
            frame = (radius, dns, hello)[i % 3] if i % 10 == 0 else bulk[i % len(bulk)]
            cpu = i % 4
            for lower in (7, 3):  # filter layer and NIC: the same frame twice
                for ev in ndis_events(frame, t, lower=lower, processor=cpu, direction="out" if i % 2 else "in"):
                    written += 80 + len(ev.payload)
                    yield ev
                t += 20
            counts["frames"] += 1
            t += 2_000
            i += 1

    writer = EtlWriter(start, buffer_size=1024 * 1024, processors=4)
    with open(path, "wb") as fh:
        counts["buffers"] = writer.write_stream(fh, events())
    counts["bytes"] = os.path.getsize(path)
    return counts


def run_stage(stage: str, path: str) -> dict[str, float]:
    from nps_trace_analyzer.net.capture_summary import summarize
    from nps_trace_analyzer.report.pcapng import write_pcapng
    from nps_trace_analyzer.sources.etl import EtlStats, iter_events, iter_events_sorted
    from nps_trace_analyzer.sources.etl.packets import PacketStats, iter_packets

    estats, pstats = EtlStats(), PacketStats()
    began = time.perf_counter()
    result: dict[str, float] = {}
    if stage == "reference":
        from dissect.etl import ETL

        with open(path, "rb") as fh:
            estats.events = sum(1 for _ in ETL(fh))
        result["count"] = estats.events
    elif stage == "events":
        result["count"] = sum(1 for _ in iter_events(path, estats))
    elif stage == "events_sorted":
        result["count"] = sum(1 for _ in iter_events_sorted(path, estats))
    elif stage == "packets":
        result["count"] = sum(1 for _ in iter_packets(iter_events_sorted(path, estats), pstats))
    elif stage == "summary":
        summary = summarize(iter_packets(iter_events_sorted(path, estats), pstats))
        result["count"] = summary.packets
        result["radius"] = len(summary.radius)
    elif stage == "pcapng":
        with tempfile.TemporaryFile() as out:
            result["count"] = write_pcapng(iter_packets(iter_events_sorted(path, estats), pstats), out).written
    elapsed = time.perf_counter() - began
    size = os.path.getsize(path)
    result.update(
        seconds=elapsed,
        mb_per_s=size / 1e6 / elapsed,
        events_per_s=estats.events / elapsed,
        packets_per_s=pstats.packets / elapsed if pstats.packets else 0.0,
        events=estats.events,
        packets=pstats.packets,
        skipped=estats.skipped,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--file", help="benchmark an existing .etl instead of generating one")
    parser.add_argument("--keep", help="where to write the generated trace (default: a temporary file)")
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument("--bulk-bytes", type=int, default=1400, help="TCP payload of the bulk frames (snap length)")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:  # child process: one stage, JSON out
        print(json.dumps(run_stage(args.stage, args.file)))
        return
    path = args.file
    tmp = None
    if path is None:
        path = args.keep or tempfile.mkstemp(suffix=".etl")[1]
        tmp = None if args.keep else path
        began = time.perf_counter()
        info = generate(path, args.size_mb, args.bulk_bytes)
        print(f"generated {info['bytes'] / 1e6:.1f} MB, {info['frames']} frames x2 layers, "
              f"{info['buffers']} buffers in {time.perf_counter() - began:.1f}s")  # fmt: skip
    size = os.path.getsize(path)
    print(f"file: {path} ({size / 1e6:.1f} MB)")
    reference: float | None = None
    try:
        for stage in args.stages.split(","):
            out = subprocess.run(
                [sys.executable, __file__, "--stage", stage, "--file", path], capture_output=True, text=True, check=True
            ).stdout
            r = json.loads(out)
            print(
                f"{stage:14} {r['seconds']:7.1f}s {r['mb_per_s']:6.1f} MB/s {r['events_per_s']:9.0f} events/s "
                f"{r['packets_per_s']:9.0f} packets/s  events={r['events']:.0f} packets={r['packets']:.0f} "
                f"skipped={r['skipped']:.0f} peak RSS {r['peak_rss_mb']:.0f} MB"
                + (f"  = {r['mb_per_s'] / reference:.1f}x dissect.etl" if reference and stage != "reference" else "")
            )
            if stage == "reference":
                reference = r["mb_per_s"]
    finally:
        if tmp:
            os.unlink(tmp)


if __name__ == "__main__":
    main()
