"""Metamorphic tests: the same bundle written the way another writer or a real collection would write it must be
diagnosed as its expected.json says (docs/diagnosis-contract.md).

One plan of every scenario (no capture, no extension trace: no variant touches them and they cost time) is
written in each variant of ``bundle_variants``; the incidents must match the plan's expectation exactly. Where a
variant removes information the diagnosis needs, the test says which incidents change and why instead.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import bundle_variants as bv
import pytest
from test_e2e_scenarios import _key, assert_diagnosis

from nps_trace_analyzer.core.identity import host_key
from nps_trace_analyzer.pipeline import analyze
from nps_trace_analyzer.pipeline.run import AnalyzeOptions
from nps_trace_analyzer.synth.bundle import DEFAULT_DAY, BundlePlan, audit_event, build_bundle, write_plan
from nps_trace_analyzer.synth.spec import EventSpec
from nps_trace_analyzer.synth.textfiles import write_dtsxml, write_wevtutil_text

PLAN = build_bundle(["all"], seed=5, host="NPS02", day=DEFAULT_DAY, healthy=8, skip=("nettrace", "npsext"))

Variant = Callable[[BundlePlan, Path], Path]


def _plain(change: Callable[[BundlePlan], BundlePlan]) -> Variant:
    def make(plan: BundlePlan, where: Path) -> Path:
        return write_plan(change(plan), where / "bundle")

    return make


def _events(change: bv.SpecMap, *, text_log: bool = True) -> Variant:
    return _plain(lambda plan: bv.map_events(plan, change, text_log=text_log))


def _renamed(new_name: Callable[[str], str]) -> Variant:
    def make(plan: BundlePlan, where: Path) -> Path:
        folder = write_plan(plan, where / "bundle")
        bv.rename(folder, new_name)
        return folder

    return make


def _nested(plan: BundlePlan, where: Path) -> Path:
    folder = write_plan(plan, where / "bundle")
    bv.nest(folder, "C", "NPS", "Logs")
    return folder


def _zip_of(prefix: str, *, backslashes: bool = False, in_folder: bool = False) -> Variant:
    def make(plan: BundlePlan, where: Path) -> Path:
        folder = write_plan(plan, where / "files")
        target = where / "outer" if in_folder else where
        target.mkdir(exist_ok=True)
        archive = bv.zipped(folder, target / "NPS02_NpsLogging.zip", prefix=prefix, backslashes=backslashes)
        shutil.rmtree(folder)
        return target if in_folder else archive

    return make


def _copies(plan: BundlePlan, where: Path) -> Path:
    """The extension's log twice: once byte-identical in a backup folder, once re-exported in other chunks."""
    folder = write_plan(plan, where / "bundle")
    name = next(n for n in plan.files if n.endswith("AuthZOptCh.evtx"))
    (folder / "backup").mkdir()
    shutil.copy(folder / name, folder / "backup" / name)
    # A second export of a live log keeps each record's EventRecordID (Windows assigns it once).
    first = plan.first_record_ids[name]
    reexport = folder / "AuthZOptCh-reexport.evtx"
    bv.write_variant_evtx(reexport, plan.files[name], first_record_id=first, records_per_chunk=7)
    return folder


def _security_twice(plan: BundlePlan, where: Path) -> Path:
    """Security saved twice: the whole log, and an earlier export holding its first half (same record ids)."""
    folder = write_plan(plan, where / "bundle")
    specs = plan.files["Security.evtx"]
    half = specs[: len(specs) // 2]
    bv.write_variant_evtx(
        folder / "Security (earlier).evtx", half, first_record_id=plan.first_record_ids["Security.evtx"]
    )
    return folder


def _security_part(half: str) -> Variant:
    """Security.evtx saved at another time than the health check's NPS_EventLog.log: only one half of the day."""

    def make(plan: BundlePlan, where: Path) -> Path:
        specs = plan.files["Security.evtx"]
        middle = len(specs) // 2
        part = specs[:middle] if half == "first" else specs[middle:]
        return write_plan(dataclasses.replace(plan, files={**plan.files, "Security.evtx": part}), where / "bundle")

    return make


def _local_time_text(plan: BundlePlan, where: Path) -> Path:
    """NPS_EventLog.log from an older wevtutil on a UTC+1 server: local times without a zone (read as UTC, so an
    hour late), beside the whole Security.evtx: its copies of the last hour fall outside the .evtx's span."""
    folder = write_plan(plan, where / "bundle")
    for name, specs in plan.eventlog_text.items():
        events = [dataclasses.replace(audit_event(spec), time=spec.time + timedelta(hours=1)) for spec in specs]
        write_wevtutil_text(folder / name, events, utc_suffix=False)
    return folder


def _older_wevtutil(plan: BundlePlan, where: Path) -> Path:
    """NPS_EventLog.log as older wevtutil prints it: dates without the zone, 3 fraction digits."""
    folder = write_plan(plan, where / "bundle")
    for name, specs in plan.eventlog_text.items():
        write_wevtutil_text(folder / name, [audit_event(spec) for spec in specs], utc_suffix=False)
    return folder


def _empty_logs(plan: BundlePlan, where: Path) -> Path:
    folder = write_plan(plan, where / "bundle")
    bv.write_variant_evtx(folder / "Application.evtx", [])
    (folder / "Microsoft-AzureMfa-AuthN%4AuthNOptCh (2).evtx").write_bytes(b"")
    return folder


def _regedit(version4: bool) -> Variant:
    def make(plan: BundlePlan, where: Path) -> Path:
        folder = write_plan(plan, where / "bundle")
        bv.regedit_exports(plan, folder, version4=version4)
        return folder

    return make


def _text_files(marker: str, **how: Any) -> Variant:
    def make(plan: BundlePlan, where: Path) -> Path:
        folder = write_plan(plan, where / "bundle")
        for path in folder.iterdir():
            if marker in path.name:
                bv.rewrite_text(path, **how)
        return folder

    return make


def _after_writing(change: Callable[[Path], None], **habits: int | bool) -> Variant:
    def make(plan: BundlePlan, where: Path) -> Path:
        folder = bv.write_with(plan, where / "bundle", **habits) if habits else write_plan(plan, where / "bundle")
        change(folder)
        return folder

    return make


def _mac_zip(plan: BundlePlan, where: Path) -> Path:
    folder = write_plan(plan, where / "NPS")
    archive = bv.zipped(folder, where / "NPS.zip", prefix="NPS/")
    bv.mac_extras(archive, "NPS", plan.file_names())
    shutil.rmtree(folder)
    return archive


def _one_registry(form: str) -> Variant:
    def make(plan: BundlePlan, where: Path) -> Path:
        folder = write_plan(plan, where / "bundle")
        bv.one_registry_file(plan, folder, form)
        return folder

    return make


def _evtx_habits(**habits: int | bool) -> Variant:
    def make(plan: BundlePlan, where: Path) -> Path:
        return bv.write_with(plan, where / "bundle", **habits)

    return make


#: Changes of the events themselves: (change, also in NPS_EventLog.log). The text log renders Data by name, so
#: name changes stay in the .evtx files.
EVENT_CHANGES: dict[str, tuple[bv.SpecMap, bool]] = {
    "audit fields shuffled": (bv.shuffled_audit_fields(), True),
    "audit '-' fields left out": (bv.dropped_dash_fields(), True),
    "audit '-' fields empty": (bv.empty_dash_fields(), True),
    "addresses REDACTED": (bv.redacted_network_fields("REDACTED"), True),
    "addresses xxx": (bv.redacted_network_fields("xxx"), True),
    "addresses <removed>": (bv.redacted_network_fields("<removed>"), True),
    "CIDs upper case": (bv.respelled_cids(str.upper), True),
    "CIDs in braces": (bv.respelled_cids(lambda g: "{" + g + "}"), True),
    "whole-second times": (bv.whole_seconds(), True),
    "100 ns times": (bv.with_ticks(), True),
    "audit Data names lower case": (bv.audit_names(str.lower), False),
    "audit Data unnamed": (bv.audit_names(lambda _n: None), False),
    "computer names in other case per log": (bv.computer_case, True),
    "extension channel as Event Viewer's tree path": (
        bv.channel_spelling(
            lambda log: f"Microsoft/AzureMfa/{log[:5]}/{log}", lambda log: f"Microsoft-AzureMfa-{log[:5]}"
        ),
        True,
    ),
    "extension channel AzureMfa/AuthZ/..., provider AzureMfa": (
        bv.channel_spelling(lambda log: f"AzureMfa/{log[:5]}/{log}", lambda _log: "AzureMfa"),
        True,
    ),
    "extension provider Microsoft-AzureMFA-AuthZ": (
        bv.channel_spelling(
            lambda log: f"Microsoft-AzureMFA-{log[:5]}/{log}", lambda log: f"Microsoft-AzureMFA-{log[:5]}"
        ),
        True,
    ),
    "extension events in UserData, one Message": (bv.extension_user_data(named=False), True),
    "extension events in UserData, one child per value": (bv.extension_user_data(named=True), True),
}

VARIANTS: dict[str, Variant] = {
    **{name: _events(change, text_log=text) for name, (change, text) in EVENT_CHANGES.items()},
    "as generated": _plain(lambda plan: plan),
    "wevtutil file names": _renamed(bv.wevtutil_names),
    "channel-only file names": _renamed(bv.bare_names),
    "odd case, spaces, non-ASCII names": _renamed(bv.odd_names),
    "nested C/NPS/Logs folders": _nested,
    "zip of the files": _zip_of(""),
    "zip of a folder, backslash names": _zip_of("C\\NPS\\".replace("\\", "/"), backslashes=True),
    "zip inside a folder": _zip_of("NPS/", in_folder=True),
    "the same log twice": _copies,
    "Security twice, overlapping": _security_twice,
    "Security.evtx of the first half of the day only": _security_part("first"),
    "Security.evtx of the second half of the day only": _security_part("second"),
    "NPS_EventLog.log in local time without a zone": _local_time_text,
    "empty logs beside": _empty_logs,
    "regedit exports": _regedit(version4=False),
    "REGEDIT4 exports": _regedit(version4=True),
    "three records per chunk": _evtx_habits(records_per_chunk=3),
    "a literal template per record": _evtx_habits(own_templates=True),
    "other providers interleaved": _plain(bv.foreign_events),
    "records out of time order": _plain(bv.out_of_order),
    "extension logs under neutral names": _after_writing(bv.neutral_names),
    "live-log copies: stale dirty header": _after_writing(bv.live_copy_headers, records_per_chunk=5),
    "chunks without lookup tables": _after_writing(bv.no_chunk_tables),
    "zipped on a Mac, with Explorer's extras": _mac_zip,
    "one .reg file of both keys": _one_registry("reg"),
    "one REG QUERY file of both keys": _one_registry("query"),
    "one REGEDIT4 file of both keys": _one_registry("regedit4"),
    "registry dumps in UTF-8": _text_files("RegAdd_", encoding="utf-8"),
    "registry dumps in UTF-8 with BOM, LF": _text_files("RegAdd_", encoding="utf-8", newline="\n", bom=True),
}


def _incidents(target: Path, out: Path) -> list[dict[str, Any]]:
    analyze([target], out, AnalyzeOptions(jobs=1))
    return json.loads((out / "findings.json").read_text(encoding="utf-8"))["incidents"]


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variant_keeps_the_diagnosis(variant: str, tmp_path: Path) -> None:
    target = VARIANTS[variant](PLAN, tmp_path)
    assert_diagnosis(_incidents(target, tmp_path / "report"), PLAN.expected["incidents"])  # type: ignore[arg-type]


@pytest.mark.parametrize("change", sorted(EVENT_CHANGES))
def test_event_changes_really_change_events(change: str) -> None:
    """Each change rewrites some event of the plan (or the test above proves nothing for it)."""
    mapping, text_log = EVENT_CHANGES[change]
    changed = bv.map_events(PLAN, mapping, text_log=text_log)
    assert changed.files != PLAN.files


def test_a_server_named_by_netbios_and_fqdn_is_one_server(tmp_path: Path) -> None:
    """Schannel 36871 (System, FQDN) joins the extension's HTTPS failure (AuthZ log, NetBIOS name): same server.
    Incidents name the server as the log they come from does, so servers are compared by their first label."""
    plan = bv.map_events(PLAN, bv.netbios_in_extension_logs)
    found = _incidents(write_plan(plan, tmp_path / "bundle"), tmp_path / "report")
    expected = PLAN.expected["incidents"]
    assert any("SYSTEM-SCHANNEL-36871" in e.get("codes", ()) for e in expected)  # type: ignore[union-attr]
    assert_diagnosis(_short_servers(found), _short_servers(expected))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "key"),
    [("NPS02.contoso.local", "nps02"), ("nps02", "nps02"), ("NPS02.CONTOSO.LOCAL.", "nps02"), ("10.0.0.5", "10.0.0.5")],
)
def test_host_key(name: str, key: str) -> None:
    assert host_key(name) == key


def _short_servers(incidents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i | {"server": host_key(i["server"])} if i.get("server") else i for i in incidents]


# --- NPS_EventLog.log as the only NPS audit source --------------------------------------------------------------

TEXT_PLAN = build_bundle(
    ["all"], seed=5, host="NPS02", day=DEFAULT_DAY, healthy=8, skip=("nettrace", "npsext", "security-evtx")
)
TEXT_VARIANTS: dict[str, Variant] = {
    "as generated": _plain(lambda plan: plan),
    "older wevtutil dates": _older_wevtutil,
    "UTF-8 with BOM": _text_files("NPS_EventLog", encoding="utf-8", bom=True),
    "UTF-8, LF": _text_files("NPS_EventLog", encoding="utf-8", newline="\n"),
    "renamed Security.txt": _renamed(lambda n: "Security.txt" if n == "NPS_EventLog.log" else n),
    "audit fields shuffled": _events(bv.shuffled_audit_fields()),
    "audit '-' fields empty": _events(bv.empty_dash_fields()),
    "records out of time order": _plain(bv.out_of_order),
}


@pytest.mark.parametrize("variant", sorted(TEXT_VARIANTS))
def test_text_audit_variant_keeps_the_diagnosis(variant: str, tmp_path: Path) -> None:
    target = TEXT_VARIANTS[variant](TEXT_PLAN, tmp_path)
    assert_diagnosis(_incidents(target, tmp_path / "report"), TEXT_PLAN.expected["incidents"])  # type: ignore[arg-type]


# --- the accounting log as the only NPS audit source: its three formats read alike --------------------------------

ACCOUNTING_PLAN = dataclasses.replace(TEXT_PLAN, eventlog_text={})


def _accounting_as(fmt: str) -> Variant:
    def make(plan: BundlePlan, where: Path) -> Path:
        folder = write_plan(plan, where / "bundle")
        for name, rows in plan.accounting.items():
            if fmt == "dts":
                write_dtsxml(folder / name, rows)
            elif fmt == "ias":
                bv.write_ias(folder / name, rows)  # type: ignore[arg-type]
        return folder

    return make


def _signature(incidents: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted((*_key(i), i["primary_code"], i["category"], i["benign"]) for i in incidents)


def test_accounting_formats_give_the_same_diagnosis(tmp_path: Path) -> None:
    found = {}
    for fmt in ("dbcsv", "dts", "ias"):
        target = _accounting_as(fmt)(ACCOUNTING_PLAN, tmp_path / fmt)
        found[fmt] = _signature(_incidents(target, tmp_path / fmt / "report"))
    assert any(key[0] == "nps-reject" for key in found["dbcsv"])  # the log's rejects count: the check means something
    assert found["dts"] == found["dbcsv"]
    assert found["ias"] == found["dbcsv"]


# --- several servers' logs in one zip -----------------------------------------------------------------------------

FIRST = build_bundle(
    ["user-not-found", "no-domain-controller", "ests-sp-disabled"],
    seed=5,
    host="NPS01",
    day=DEFAULT_DAY,
    healthy=4,
    skip=("nettrace", "npsext"),
)
SECOND = build_bundle(
    ["primary-auth-failed", "https-tls12-disabled", "challenge-no-result"],
    seed=6,
    host="NPS02",
    day=DEFAULT_DAY,
    healthy=4,
    skip=("nettrace", "npsext"),
)


def test_two_servers_in_one_zip_keep_each_servers_diagnosis(tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    write_plan(FIRST, staging / "NPS01")
    write_plan(SECOND, staging / "NPS02")
    for expected in staging.glob("*.expected.json"):
        expected.unlink()
    archive = bv.zipped(staging, tmp_path / "both.zip")
    expected = [*FIRST.expected["incidents"], *SECOND.expected["incidents"]]  # type: ignore[misc]
    assert_diagnosis(_incidents(archive, tmp_path / "report"), expected)


def _as_second_server(plan: BundlePlan, shift: float) -> tuple[BundlePlan, list[dict[str, Any]]]:
    """``plan`` as a second NPS server of the same farm saw it: the same users a little later, other CIDs."""
    namespace = uuid.UUID(int=7)

    def other_cid(cid: str) -> str:
        return str(uuid.uuid5(namespace, cid.lower()))

    def move(spec: EventSpec, _name: str) -> EventSpec:
        computer = spec.computer.replace("NPS01", "NPS02")
        return dataclasses.replace(spec, computer=computer, time=spec.time + timedelta(seconds=shift))

    second = bv.map_events(bv.map_events(plan, bv.respelled_cids(other_cid)), move)
    expected = []
    for incident in plan.expected["incidents"]:  # type: ignore[union-attr]
        incident = dict(incident)
        if incident.get("cid"):
            incident["cid"] = other_cid(incident["cid"])
        if incident.get("server"):
            incident["server"] = incident["server"].replace("NPS01", "NPS02")
        expected.append(incident)
    return second, expected


FARM = build_bundle(
    ["user-not-found", "primary-auth-failed", "ests-sp-disabled"],
    seed=5,
    host="NPS01",
    day=DEFAULT_DAY,
    healthy=4,
    skip=("nettrace", "npsext", "registry"),
)


@pytest.mark.parametrize("shift", [0.3, 5.0])
def test_two_servers_of_one_farm_in_one_zip_keep_their_own_rejects(shift: float, tmp_path: Path) -> None:
    """The same users fail on both servers a moment apart: each server's NPS reject joins its own extension event
    (never the other server's) and each server's wrong-password rejects are its own incident."""
    second, second_expected = _as_second_server(FARM, shift)
    staging = tmp_path / "staging"
    write_plan(FARM, staging / "NPS01")
    write_plan(second, staging / "NPS02")
    for expected in staging.glob("*.expected.json"):
        expected.unlink()
    archive = bv.zipped(staging, tmp_path / "farm.zip")
    expected = [*FARM.expected["incidents"], *second_expected]  # type: ignore[misc]
    assert_diagnosis(_incidents(archive, tmp_path / "report"), expected)
