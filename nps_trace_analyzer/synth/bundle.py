"""Write a C:\\NPS-shaped sample bundle for a list of scenarios, with the expected diagnosis beside it.

A bundle holds ``<HOST>_AuthNOptCh.evtx``, ``<HOST>_AuthZOptCh.evtx``, ``<HOST>_AuthZAdminCh.evtx`` (the
extension channels, exported as the log-collection steps name them), ``Security.evtx`` and ``System.evtx``,
plus ``expected.json`` (the incidents the analyzer should find; format in the diagnosis contract).

Everything derives from the seed: the same arguments give byte-identical files, which is what lets the demo
bundle in ``samples/`` be committed and checked. :func:`build_bundle` returns the events without writing,
so tests can compare what a reader returns with exactly what was written.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from nps_trace_analyzer.synth.evtx import write_evtx
from nps_trace_analyzer.synth.scenarios import Scenario, resolve
from nps_trace_analyzer.synth.scenarios.context import LOGS, BuildContext
from nps_trace_analyzer.synth.scenarios.episodes import RESERVED_USERS, add_healthy, run
from nps_trace_analyzer.synth.scenarios.world import DNS_DOMAIN, LAYOUTS
from nps_trace_analyzer.synth.spec import EventSpec

EXPECTED_NAME = "expected.json"
DEFAULT_DAY = date(2025, 3, 12)
DEFAULT_HOST = "NPS01"
DEFAULT_SEED = 1
DEFAULT_HEALTHY = 20

# The committed demo bundle (samples/demo-bundle): one server, one working day, ~8 failure modes.
DEMO_NAME = "demo"
DEMO_SEED = 20250312
DEMO_HEALTHY = 180
# Fixed member time of zip entries: the zip must not depend on when it was written.
ZIP_DATE = (2025, 3, 12, 18, 0, 0)


@dataclass(frozen=True)
class BundlePlan:
    """What a bundle holds before it is written: events per file name, and expected.json."""

    files: dict[str, tuple[EventSpec, ...]]
    first_record_ids: dict[str, int]
    expected: dict[str, object]


def split_host(host: str) -> tuple[str, str]:
    """``(short name, computer name)``: "NPS01" -> ("NPS01", "NPS01.contoso.local"); an FQDN keeps its domain."""
    if "." in host:
        return host.split(".", 1)[0], host
    return host, f"{host}.{DNS_DOMAIN}"


def file_names(short_host: str) -> dict[str, str]:
    """File name of each log in the bundle."""
    return {
        "AuthNOptCh": f"{short_host}_AuthNOptCh.evtx",
        "AuthZOptCh": f"{short_host}_AuthZOptCh.evtx",
        "AuthZAdminCh": f"{short_host}_AuthZAdminCh.evtx",
        "Security": "Security.evtx",
        "System": "System.evtx",
    }


def build_bundle(
    scenarios: list[str] | tuple[str, ...],
    *,
    seed: int,
    host: str,
    day: date,
    healthy: int,
    layout: str | None = None,
    name: str | None = None,
) -> BundlePlan:
    """Build (not write) the bundle for ``scenarios`` (names; "all" and "demo" expand).

    ``layout`` names the AzureMfa event layout (see ``world.LAYOUTS``); by default the first scenario's.
    ``healthy`` healthy sign-ins are added on top of what the scenarios hold. Raises KeyError for unknown
    scenario or layout names.
    """
    chosen = resolve(list(scenarios))
    if not chosen:
        raise KeyError("no scenario given")
    short, computer = split_host(host)
    ctx = BuildContext.create(seed=seed, computer=computer, day=day, layout=LAYOUTS[layout or chosen[0].layout])
    ctx.reserved_users.update(RESERVED_USERS)
    for scenario in chosen:
        for episode in scenario.episodes:
            run(ctx, episode)
    add_healthy(ctx, healthy)
    names = file_names(short)
    files: dict[str, tuple[EventSpec, ...]] = {}
    first_ids: dict[str, int] = {}
    for log in LOGS:
        ordered = sorted(ctx.logs[log], key=lambda spec: (spec.time, spec.time_ticks))
        files[names[log]] = tuple(ordered)
        first_ids[names[log]] = _first_record_id(ctx, log)
    return BundlePlan(files=files, first_record_ids=first_ids, expected=_expected(chosen, ctx, name))


def _first_record_id(ctx: BuildContext, log: str) -> int:
    """Exported logs rarely start at record 1: the Security log of a busy server is in the millions."""
    scale = {"Security": 4_000_000, "System": 90_000}.get(log, 3_000)
    return 1 + ctx.rng.randrange(scale // 2, scale)


def _expected(chosen: list[Scenario], ctx: BuildContext, name: str | None) -> dict[str, object]:
    if len(chosen) == 1 and name is None:
        scenario = chosen[0]
        return {"scenario": scenario.name, "description": scenario.description, "incidents": ctx.incidents}
    description = "Mixed bundle: " + " | ".join(f"{s.name}: {s.summary}" for s in chosen)
    return {
        "scenario": name or "+".join(s.name for s in chosen),
        "description": description,
        "incidents": ctx.incidents,
    }


def write_plan(plan: BundlePlan, out_dir: Path) -> Path:
    """Write the files of ``plan`` into ``out_dir`` (created if needed); returns ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for file_name, specs in plan.files.items():
        write_evtx(out_dir / file_name, specs, first_record_id=plan.first_record_ids[file_name])
    text = json.dumps(plan.expected, indent=2, ensure_ascii=False) + "\n"
    (out_dir / EXPECTED_NAME).write_bytes(text.encode("utf-8"))
    return out_dir


def generate_bundle(
    out_dir: Path | str,
    scenarios: list[str],
    *,
    seed: int,
    host: str,
    day: date,
    healthy: int,
    layout: str | None = None,
    name: str | None = None,
) -> Path:
    """Build and write the bundle for ``scenarios`` into ``out_dir``; returns the folder."""
    plan = build_bundle(scenarios, seed=seed, host=host, day=day, healthy=healthy, layout=layout, name=name)
    return write_plan(plan, Path(out_dir))


def zip_bundle(folder: Path, zip_path: Path | None = None) -> Path:
    """Zip ``folder`` deterministically: sorted members under the folder's name, fixed dates, deflate.

    Returns the zip's path (default: ``<folder>.zip`` beside the folder).
    """
    target = zip_path or folder.with_name(folder.name + ".zip")
    members = sorted(p for p in folder.rglob("*") if p.is_file())
    with zipfile.ZipFile(target, "w") as archive:
        for path in members:
            info = zipfile.ZipInfo(f"{folder.name}/{path.relative_to(folder).as_posix()}", ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 0
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    return target


def generate_demo(out_dir: Path | str) -> Path:
    """Write the demo bundle (the committed ``samples/demo-bundle``) into ``out_dir``."""
    return generate_bundle(
        out_dir,
        [DEMO_NAME],
        seed=DEMO_SEED,
        host=DEFAULT_HOST,
        day=DEFAULT_DAY,
        healthy=DEMO_HEALTHY,
        layout="single",
        name=DEMO_NAME,
    )
