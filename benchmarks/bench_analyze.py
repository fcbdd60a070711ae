"""Benchmark (on demand, not in CI): ``analyze`` against bare pyevtx-rs iteration over the same files.

    python benchmarks/bench_analyze.py --mb 200          # generate a >=200 MB bundle, then measure
    python benchmarks/bench_analyze.py --mb 50 --mb 200   # also compare peak RSS across sizes

The reference is measured in the same run on the same files: ``for r in PyEvtxParser(f).records_json(): pass``.
Figures are reported as ratios to it (records/s through analyze ÷ records/s of bare iteration), plus the peak RSS of
``analyze`` in a fresh process for each bundle size, so that "memory independent of input size" can be read off.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import evtx

from nps_trace_analyzer.synth.evtx.writer import EvtxWriter
from nps_trace_analyzer.synth.spec import EventSpec

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bundles import _nps_audit  # the benchmarks folder (also when bench_report imports this module)


def _security(i: int, when: datetime, user: str, granted: bool) -> EventSpec:
    """A 6272 grant or a 6273 reject by the extension (reason 21), as the busy-server generator writes them."""
    return _nps_audit(i, when, user, 6272 if granted else 6273, None if granted else 21)


def _authz(when: datetime, user: str, cid: str, rejected: bool) -> EventSpec:
    if rejected:
        text = (
            f"NPS Extension for Azure MFA: CID: {cid} : Access Rejected for user {user}@contoso.com with Azure MFA "
            "response: OathCodeIncorrect and message: Wrong code entered\\OATH Code Incorrect"
        )
    else:
        text = (
            f"NPS Extension for Azure MFA: CID: {cid} : Challenge requested in Authentication Ext for User "
            f"{user}@contoso.com with state {cid}"
        )
    return EventSpec(
        provider="Microsoft-AzureMfa-AuthZ",
        event_id=1,
        level=4,
        time=when,
        channel="AuthZOptCh",
        computer="NPS01.contoso.local",
        event_data=((None, text),),
    )


def _noise(i: int, when: datetime) -> EventSpec:
    """A Security event an NPS server logs besides NPS audits (logon/logoff/special privileges)."""
    event_id = (4624, 4634, 4672)[i % 3]
    data = (
        ("SubjectUserSid", "S-1-5-18"),
        ("SubjectUserName", "NPS01$"),
        ("SubjectDomainName", "CONTOSO"),
        ("SubjectLogonId", "0x3e7"),
        ("TargetUserSid", f"S-1-5-21-1-2-3-{1000 + i % 900}"),
        ("TargetUserName", f"svc{i % 40}"),
        ("TargetDomainName", "CONTOSO"),
        ("LogonType", "3"),
        ("LogonProcessName", "Kerberos"),
        ("AuthenticationPackageName", "Kerberos"),
        ("IpAddress", "10.0.0.9"),
    )
    return EventSpec(
        provider="Microsoft-Windows-Security-Auditing",
        provider_guid="{54849625-5478-4994-A5BA-3E3B0328C30D}",
        event_id=event_id,
        version=2,
        level=0,
        task=12544,
        keywords=0x8020000000000000,
        time=when,
        channel="Security",
        computer="NPS01.contoso.local",
        process_id=612,
        thread_id=640,
        event_data=data,
    )


def generate(folder: Path, target_mb: int, mix: str, seed: int = 7) -> None:
    """Write Security.evtx and NPS01_AuthZOptCh.evtx until their sizes add up to ``target_mb``.

    A realistic day of VPN sign-ins: every sign-in ends in a 6272 grant; a quarter of users answer a one-time-code
    challenge first; 2 % of sign-ins fail (wrong code: Access Rejected + 6273 reason 21). ``mix="server"`` adds the
    other audit events a Security log holds (three logon/logoff/privilege events per sign-in), which analyze counts
    but does not parse.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    start = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
    sec_path, authz_path = folder / "Security.evtx", folder / "NPS01_AuthZOptCh.evtx"
    with EvtxWriter(sec_path) as sec, EvtxWriter(authz_path) as authz:
        i = 0
        while True:
            when = start + timedelta(milliseconds=400 * i)
            user = f"user{rng.randrange(5000):04d}"
            cid = str(uuid.UUID(int=rng.getrandbits(128)))
            failed = rng.random() < 0.02
            if failed or rng.random() < 0.25:
                authz.write(_authz(when, user, cid, rejected=False))
            if failed:
                authz.write(_authz(when + timedelta(seconds=20), user, cid, rejected=True))
            sec.write(_security(i, when + timedelta(seconds=21), user, granted=not failed))
            if mix == "server":
                for k in range(3):
                    sec.write(_noise(i * 3 + k, when + timedelta(milliseconds=100 * k)))
            i += 1
            if i % 20000 == 0 and (sec_path.stat().st_size + authz_path.stat().st_size) >= target_mb * 1024**2:
                break


def bare(files: list[Path]) -> tuple[int, float]:
    start = time.perf_counter()
    count = 0
    for path in files:
        for _record in evtx.PyEvtxParser(str(path), skip_errors=True).records_json():
            count += 1
    return count, time.perf_counter() - start


def run_analyze(folder: Path, out: Path) -> dict[str, float]:
    """Run analyze in a fresh process so its peak RSS is its own."""
    code = (
        "import json,resource,sys,time\n"
        "from pathlib import Path\n"
        "from nps_trace_analyzer.pipeline import analyze\n"
        "t=time.perf_counter(); r=analyze([sys.argv[1]], Path(sys.argv[2])); d=time.perf_counter()-t\n"
        "print(json.dumps({'seconds': d, 'records': sum(i.records_read for i in r.inputs), 'events': r.events_total,"
        " 'incidents': len(r.incidents), 'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(folder), str(out)], check=True, capture_output=True, text=True
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, action="append", help="bundle size(s) in MB (default 200)")
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    parser.add_argument(
        "--mix",
        choices=("nps", "server", "both"),
        default="both",
        help="nps: every record NPS-related; server: Security also holds the server's other audit events",
    )
    args = parser.parse_args()
    sizes = args.mb or [200]
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        mixes = ("nps", "server") if args.mix == "both" else (args.mix,)
        for mix, mb in [(m, s) for m in mixes for s in sizes]:
            folder = base / f"bundle-{mix}-{mb}mb"
            if not (folder / "Security.evtx").exists():
                t = time.perf_counter()
                generate(folder, mb, mix)
                print(f"generated {mix} {mb} MB bundle in {time.perf_counter() - t:.1f} s", file=sys.stderr)
            files = sorted(folder.glob("*.evtx"))
            size = sum(f.stat().st_size for f in files)
            records, bare_s = bare(files)
            res = run_analyze(folder, base / f"report-{mix}-{mb}mb")
            bare_rate = records / bare_s
            rate = res["records"] / res["seconds"]
            print(
                f"[{mix}] {size / 1024**2:.0f} MB, {records:,} records | bare records_json(): {bare_s:.2f} s "
                f"({bare_rate:,.0f} rec/s) | analyze: {res['seconds']:.2f} s ({rate:,.0f} records/s, "
                f"{res['events']:,} NPS events, "
                f"{res['incidents']} incidents) | ratio analyze/bare = {rate / bare_rate:.1%} | "
                f"analyze peak RSS {res['peak_rss_mb']:.0f} MB | "
                f"this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
            )


if __name__ == "__main__":
    main()
