"""Write a C:\\NPS-shaped sample bundle for a list of scenarios, with the expected diagnosis beside it.

A bundle holds what the health-check script (option 4) collects, plus the two Windows logs admins add:

* ``<HOST>_AuthNOptCh.evtx``, ``<HOST>_AuthZOptCh.evtx``, ``<HOST>_AuthZAdminCh.evtx`` (extension channels),
  ``Security.evtx`` (NPS audit events) and ``System.evtx`` (NPS and Schannel events);
* ``BeforeRegAdd_AzureMFA.txt``, ``BeforeRegAdd_AuthSrv.txt``, ``AfterRegAdd_AzureMFA.txt``,
  ``AfterRegAdd_AuthSrv.txt`` (``REG QUERY`` output, UTF-16 LE) and ``NPS_EventLog.log`` (wevtutil text of
  the Security 6272/6273/6274 events, UTF-16 LE);
* ``nettrace.etl``: the day's packets at the NPS server (NDIS-PacketCapture 1001 events);
* ``NPSExtension.etl``: the extension's own trace (TraceLogging events of its two providers carrying the
  same message texts as its event-log channels, plus verbose noise), written with 64 KB buffers rather than
  logman's 1 MB so that the committed samples stay small;
* ``IN<yymmdd>.log`` (NPS accounting, database-compatible) when a scenario's server keeps one;
* beside the folder, not in it, ``<folder>.expected.json``: the incidents the analyzer should find (format in
  docs/diagnosis-contract.md). Outside the bundle so that it is not one of the bundle's files: inside, the
  report listed it as an input that was "not analysed", and a real C:\\NPS folder holds no such file.

Everything derives from the seed: the same arguments give byte-identical files, which is what lets the demo
bundle in ``samples/`` be committed and checked. :func:`build_bundle` returns the content without writing,
so tests can compare what a reader returns with exactly what was written. ``skip`` leaves parts out (see
:data:`PARTS`), and the expected diagnosis follows: no capture codes without a capture, no configuration
incidents without registry dumps.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from nps_trace_analyzer.core.model import Event
from nps_trace_analyzer.synth.capture import CAPTURE_NAME, CaptureTrace, build_capture, write_capture
from nps_trace_analyzer.synth.etl.npsext import NPS_PROVIDER, NPS_PROVIDER_2, NpsExtTraceRecord, write_npsext_etl
from nps_trace_analyzer.synth.evtx import write_evtx
from nps_trace_analyzer.synth.scenarios import Scenario, resolve
from nps_trace_analyzer.synth.scenarios.accounting import accounting_name, accounting_rows
from nps_trace_analyzer.synth.scenarios.context import LOGS, BuildContext
from nps_trace_analyzer.synth.scenarios.episodes import RESERVED_USERS, add_healthy, run
from nps_trace_analyzer.synth.scenarios.registry import RegistryDump, expected_config_codes, registry_dumps
from nps_trace_analyzer.synth.scenarios.settings import ServerSettings, merge
from nps_trace_analyzer.synth.scenarios.wire import Attempt
from nps_trace_analyzer.synth.scenarios.world import DNS_DOMAIN, LAYOUTS
from nps_trace_analyzer.synth.spec import EventSpec
from nps_trace_analyzer.synth.textfiles import write_dbcsv, write_reg_query, write_wevtutil_text

#: Suffix of the expected diagnosis written beside a bundle folder: ``demo-bundle`` -> ``demo-bundle.expected.json``.
EXPECTED_SUFFIX = ".expected.json"
EVENTLOG_TEXT_NAME = "NPS_EventLog.log"
NPSEXT_NAME = "NPSExtension.etl"
NPSEXT_BUFFER_SIZE = 64 * 1024

# Parts of a bundle that ``skip`` can leave out.
PARTS: tuple[str, ...] = ("registry", "eventlog-text", "security-evtx", "nettrace", "npsext", "accounting")


@dataclass(frozen=True)
class ExtensionTrace:
    """NPSExtension.etl before it is written: the session start and the extension's messages."""

    start: datetime
    records: tuple[NpsExtTraceRecord, ...]


DEFAULT_DAY = date(2025, 3, 12)
DEFAULT_HOST = "NPS01"
DEFAULT_SEED = 1
DEFAULT_HEALTHY = 20

# The committed demo bundle (samples/demo-bundle): one server, one working day, ~8 failure modes.
DEMO_NAME = "demo"
DEMO_SEED = 20250312
DEMO_HEALTHY = 120
# Fixed member time of zip entries: the zip must not depend on when it was written.
ZIP_DATE = (2025, 3, 12, 18, 0, 0)


@dataclass(frozen=True)
class BundlePlan:
    """What a bundle holds before it is written, by file name.

    ``files``: the .evtx files' events; ``registry``: the REG QUERY dumps; ``eventlog_text``: the events of
    NPS_EventLog.log; ``accounting``: the IN*.log rows; ``captures``: the .etl packet traces. ``attempts``
    are the wire records the capture and the accounting log were made from.
    """

    files: dict[str, tuple[EventSpec, ...]]
    first_record_ids: dict[str, int]
    expected: dict[str, object]
    settings: ServerSettings = field(default_factory=ServerSettings)
    registry: dict[str, RegistryDump] = field(default_factory=dict)
    eventlog_text: dict[str, tuple[EventSpec, ...]] = field(default_factory=dict)
    accounting: dict[str, tuple[dict[str, object], ...]] = field(default_factory=dict)
    captures: dict[str, CaptureTrace] = field(default_factory=dict)
    extension_traces: dict[str, ExtensionTrace] = field(default_factory=dict)
    attempts: tuple[Attempt, ...] = ()

    def file_names(self) -> list[str]:
        """Every file the plan writes into the bundle folder, sorted (the expectation goes beside it)."""
        names = [*self.files, *self.registry, *self.eventlog_text, *self.accounting, *self.captures]
        names += list(self.extension_traces)
        return sorted(names)


def expected_path(folder: Path | str) -> Path:
    """Where the expected diagnosis of the bundle ``folder`` is written: beside it, ``<folder>.expected.json``."""
    folder = Path(folder)
    return folder.with_name(folder.name + EXPECTED_SUFFIX)


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
    skip: Iterable[str] = (),
) -> BundlePlan:
    """Build (not write) the bundle for ``scenarios`` (names; "all" and "demo" expand).

    ``layout`` names the AzureMfa event layout (see ``world.LAYOUTS``); by default the first scenario's.
    ``healthy`` healthy sign-ins are added on top of what the scenarios hold. ``skip`` names parts to leave
    out (:data:`PARTS`). Raises KeyError for unknown scenario, layout or part names, ValueError when both NPS
    audit sources (Security.evtx and NPS_EventLog.log) would be left out.
    """
    chosen = resolve(list(scenarios))
    if not chosen:
        raise KeyError("no scenario given")
    skipped = frozenset(skip)
    unknown = skipped - set(PARTS)
    if unknown:
        raise KeyError(f"unknown bundle part(s): {', '.join(sorted(unknown))}")
    if {"security-evtx", "eventlog-text"} <= skipped:
        raise ValueError("leave at least one NPS audit source (Security.evtx or NPS_EventLog.log) in the bundle")
    short, computer = split_host(host)
    settings = merge(scenario.settings for scenario in chosen)
    ctx = BuildContext.create(
        seed=seed,
        computer=computer,
        day=day,
        layout=LAYOUTS[layout or chosen[0].layout],
        settings=settings,
        capture="nettrace" not in skipped,
        registry="registry" not in skipped,
    )
    ctx.reserved_users.update(RESERVED_USERS)
    for scenario in chosen:
        for episode in scenario.episodes:
            run(ctx, episode)
    add_healthy(ctx, healthy)
    _expect_server_config(ctx)
    names = file_names(short)
    files: dict[str, tuple[EventSpec, ...]] = {}
    first_ids: dict[str, int] = {}
    for log in LOGS:
        ordered = sorted(ctx.logs[log], key=lambda spec: (spec.time, spec.time_ticks))
        first_ids[names[log]] = _first_record_id(ctx, log)
        if log == "Security" and "security-evtx" in skipped:
            continue
        files[names[log]] = tuple(ordered)
    security = tuple(sorted(ctx.logs["Security"], key=lambda spec: (spec.time, spec.time_ticks)))
    attempts = tuple(sorted(ctx.attempts, key=lambda a: a.start))
    accounting: dict[str, tuple[dict[str, object], ...]] = {}
    if settings.accounting and settings.auditing and "accounting" not in skipped:
        accounting[accounting_name(day)] = tuple(accounting_rows(attempts, short))
    captures: dict[str, CaptureTrace] = {}
    if "nettrace" not in skipped:
        captures[CAPTURE_NAME] = build_capture(attempts, settings, day=day, seed=seed)
    traces: dict[str, ExtensionTrace] = {}
    if "npsext" not in skipped:
        traces[NPSEXT_NAME] = _extension_trace(ctx)
    return BundlePlan(
        files=files,
        first_record_ids=first_ids,
        expected=_expected(chosen, ctx, name),
        settings=settings,
        registry=registry_dumps(settings) if "registry" not in skipped else {},
        eventlog_text={EVENTLOG_TEXT_NAME: security} if "eventlog-text" not in skipped and security else {},
        accounting=accounting,
        captures=captures,
        extension_traces=traces,
        attempts=attempts,
    )


def _extension_trace(ctx: BuildContext) -> ExtensionTrace:
    """The extension's messages as its trace providers log them: one record per AzureMfa event.

    Provider per channel as ``world.MfaLayout`` assumes (AuthN {7237ED00-...}, AuthZ {EC2E6D3A-...}); the
    session starts with the day's capture (a minute before 07:00 or the first message).
    """
    records = []
    for log in ("AuthNOptCh", "AuthZOptCh", "AuthZAdminCh"):
        provider = NPS_PROVIDER if log.startswith("AuthN") else NPS_PROVIDER_2
        for spec in ctx.logs[log]:
            records.append(
                NpsExtTraceRecord(time=spec.time, message=spec.extra["message"], level=spec.level, provider=provider)
            )
    records.sort(key=lambda record: record.time)
    day_start = datetime.combine(ctx.day, time(7, 0), tzinfo=timezone.utc)
    start = min([day_start, *(r.time for r in records)]) - timedelta(minutes=1)
    return ExtensionTrace(start=start, records=tuple(records))


def _expect_server_config(ctx: BuildContext) -> None:
    """Server-configuration incidents (contract addendum, issue #5), after every episode has run.

    NPS-AUDITING-DISABLED is observational: AzureMfa events exist and no Security 6272/6273 does (a server
    with auditing off keeps no accounting log in these samples either, so nothing else stands in for them).
    """
    mfa = any(ctx.logs[log] for log in ("AuthNOptCh", "AuthZOptCh", "AuthZAdminCh"))
    audited = any(spec.event_id in (6272, 6273) for spec in ctx.logs["Security"])
    if mfa and not audited:
        ctx.expect_server_config("NPS-AUDITING-DISABLED")
    if ctx.registry:
        for code in expected_config_codes(ctx.settings):
            ctx.expect_server_config(code)


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


def audit_event(spec: EventSpec, source_file: str = EVENTLOG_TEXT_NAME) -> Event:
    """A Security NPS audit EventSpec as the :class:`~nps_trace_analyzer.core.model.Event` the text writer renders."""
    return Event(
        time=spec.time,
        source_file=source_file,
        channel=spec.channel,
        provider=spec.provider,
        event_id=spec.event_id,
        level=spec.level,
        record_id=None,
        computer=spec.computer,
        data=spec.event_data or (),
        source_kind="nps-text",
    )


def write_plan(plan: BundlePlan, out_dir: Path) -> Path:
    """Write the files of ``plan`` into ``out_dir`` (created if needed) and the expected diagnosis beside it
    (:func:`expected_path`); returns ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for file_name, specs in plan.files.items():
        write_evtx(out_dir / file_name, specs, first_record_id=plan.first_record_ids[file_name])
    for file_name, dump in plan.registry.items():
        write_reg_query(out_dir / file_name, dump.key, dump.values)
    for file_name, specs in plan.eventlog_text.items():
        write_wevtutil_text(out_dir / file_name, [audit_event(spec) for spec in specs], utc_suffix=True)
    for file_name, rows in plan.accounting.items():
        write_dbcsv(out_dir / file_name, rows)
    for file_name, trace in plan.captures.items():
        write_capture(out_dir / file_name, trace)
    for file_name, ext in plan.extension_traces.items():
        write_npsext_etl(out_dir / file_name, ext.records, buffer_size=NPSEXT_BUFFER_SIZE, start=ext.start)
    text = json.dumps(plan.expected, indent=2, ensure_ascii=False) + "\n"
    expected_path(out_dir).write_bytes(text.encode("utf-8"))
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
    skip: Iterable[str] = (),
) -> Path:
    """Build and write the bundle for ``scenarios`` into ``out_dir``; returns the folder."""
    plan = build_bundle(scenarios, seed=seed, host=host, day=day, healthy=healthy, layout=layout, name=name, skip=skip)
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
