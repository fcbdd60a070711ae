"""Benchmark (on demand, not in CI): report.html size and Chromium load time on a busy server's bundle.

    python benchmarks/bench_report.py                          # 300,000 AuthZOptCh records, 30,000 failed sign-ins
    python benchmarks/bench_report.py --baseline ../main       # also measure another checkout (e.g. before a change)
    python benchmarks/bench_report.py --keep /tmp/busy         # keep (and reuse) the generated bundle

The bundle is the worst case for the report: every sign-in is challenged (one AuthZOptCh record each) and one in
nine fails with one of several real, non-benign MFA response codes (two records: challenge and rejection), so the
AuthZOptCh log holds ``--records`` records and ``--failed`` failed sign-ins, each an incident; Security.evtx holds
the matching 6272/6273 audits. For each checkout the script runs ``analyze`` in a fresh process and reports the
time, the size of every output, and the time headless Chromium takes from navigation to the load event of
report.html (median of ``--loads`` loads, each in a fresh page; DevTools pipe client from tests/browser.py).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from bench_analyze import _authz, _security  # noqa: E402 - sibling benchmark's event builders
from browser import Browser, BrowserError, find_chromium  # noqa: E402 - the tests' DevTools client

from nps_trace_analyzer.synth.evtx.writer import EvtxWriter  # noqa: E402
from nps_trace_analyzer.synth.spec import EventSpec  # noqa: E402

# Non-benign MFA responses a busy day may show (catalog/mfa-responses.yaml), with the message the extension logs.
FAILURES = (
    ("UserNotFound", "User not found in tenant"),
    ("AuthenticationMethodNotConfigured", "The authentication method is not configured"),
    ("AccessDenied", "Access denied"),
    ("InvalidSession", "Session is invalid or expired"),
    ("NoDefaultAuthenticationMethodIsConfigured", "No default authentication method is configured"),
)


def _rejected(when: datetime, user: str, cid: str, code: str, message: str) -> EventSpec:
    text = (
        f"NPS Extension for Azure MFA: CID: {cid} : Access Rejected for user {user}@contoso.com with Azure MFA "
        f"response: {code} and message: {message}"
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


def generate(folder: Path, records: int, failed: int, seed: int = 11) -> None:
    """Write Security.evtx and NPS01_AuthZOptCh.evtx with ``records`` AuthZOptCh records, ``failed`` of them failing."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    signins = records - failed  # each sign-in has a challenge record; each failure adds its rejection
    start = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
    step_ms = max(1, int(12 * 3600 * 1000 / signins))  # one working day
    fail_every = signins / failed
    with EvtxWriter(folder / "Security.evtx") as sec, EvtxWriter(folder / "NPS01_AuthZOptCh.evtx") as authz:
        next_failure, failures = 0.0, 0
        for i in range(signins):
            when = start + timedelta(milliseconds=step_ms * i)
            user = f"user{rng.randrange(5000):04d}"
            cid = str(uuid.UUID(int=rng.getrandbits(128)))
            fails = failures < failed and i >= next_failure
            authz.write(_authz(when, user, cid, rejected=False))
            if fails:
                code, message = FAILURES[failures % len(FAILURES)]
                authz.write(_rejected(when + timedelta(seconds=20), user, cid, code, message))
                failures += 1
                next_failure += fail_every
            sec.write(_security(i, when + timedelta(seconds=21), user, granted=not fails))


def run_analyze(src: Path, bundle: Path, out: Path) -> dict[str, float]:
    """``analyze`` of the checkout at ``src`` in a fresh process; seconds and output sizes."""
    # The editable install's import hook would win over PYTHONPATH: drop it so ``src`` is what gets imported.
    code = (
        "import sys,time\nsys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f).lower()]\n"
        f"sys.path.insert(0, {str(src)!r})\n"
        "import nps_trace_analyzer; assert nps_trace_analyzer.__file__.startswith(sys.path[0]), nps_trace_analyzer\n"
        "from pathlib import Path\nfrom nps_trace_analyzer.pipeline import analyze\n"
        "t=time.perf_counter(); analyze([sys.argv[1]], Path(sys.argv[2])); print(time.perf_counter()-t)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(bundle), str(out)], check=True, capture_output=True, text=True
    )
    figures = {"analyze_s": float(proc.stdout.strip().splitlines()[-1])}
    for path in sorted(out.iterdir()):
        figures[f"{path.name}_bytes"] = path.stat().st_size
    return figures


def chromium_load(page: Path, loads: int, timeout: float) -> dict[str, float | str]:
    """Median seconds from navigation to the load event, and the page's own navigation timing."""
    exe = find_chromium()
    if exe is None:
        return {}
    walls, doms = [], []
    for _ in range(loads):
        with Browser(exe, timeout=timeout) as browser:
            try:
                walls.append(browser.load(page, 1280, 900))
            except BrowserError as exc:
                return {"chromium_load_s": f"not loaded within {timeout:.0f} s ({exc})"}
            doms.append(
                browser.evaluate(
                    "(() => { const n = performance.getEntriesByType('navigation')[0];"
                    " return n.loadEventEnd > 0 ? n.loadEventEnd : n.loadEventStart; })()"
                )
                / 1000
            )
    return {"chromium_load_s": statistics.median(walls), "navigation_timing_s": statistics.median(doms)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=300_000, help="AuthZOptCh records (default 300,000)")
    parser.add_argument("--failed", type=int, default=30_000, help="failed sign-ins (default 30,000)")
    parser.add_argument("--keep", type=Path, help="generate the bundle here and reuse it on the next run")
    parser.add_argument("--baseline", type=Path, help="another checkout to measure on the same bundle")
    parser.add_argument("--loads", type=int, default=3, help="Chromium loads per report (median)")
    parser.add_argument("--load-timeout", type=float, default=300, help="give up a Chromium load after this (s)")
    parser.add_argument("--skip-self", action="store_true", help="measure only --baseline")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        bundle = base / f"busy-{args.records}-{args.failed}"
        if not (bundle / "NPS01_AuthZOptCh.evtx").exists():
            t = time.perf_counter()
            generate(bundle, args.records, args.failed)
            print(f"generated {bundle} in {time.perf_counter() - t:.0f} s", file=sys.stderr)
        checkouts = [] if args.skip_self else [("this checkout", HERE.parent)]
        if args.baseline:
            checkouts.append(("baseline", args.baseline.resolve()))
        results = {}
        for label, src in checkouts:
            out = Path(tmp) / f"report-{len(results)}"
            figures: dict[str, float | str] = dict(run_analyze(src, bundle, out))
            print(f"{label} ({src}) analyze:", json.dumps(figures), flush=True)
            figures.update(chromium_load(out / "report.html", args.loads, args.load_timeout))
            results[label] = figures
            print(f"{label} ({src}):", json.dumps(figures, indent=1), flush=True)


if __name__ == "__main__":
    main()
