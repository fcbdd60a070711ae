"""Scenario generator: every scenario writes a readable bundle whose records equal what was asked for, whose
texts keep the product's verbatim quirks, and whose expected.json is valid and consistent with the events.
The committed demo bundle must regenerate byte for byte.

Bundles are read back with pyevtx-rs (``skip_errors=True``, as the analyzer reads them) and compared field by
field with the EventSpecs the generator built; the incident checks run on the read-back records, not on the
specs, so they test the files a user gets.
"""

from __future__ import annotations

import json
import re
import uuid
import warnings
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import click
import evtx
import pytest
from click.testing import CliRunner
from Evtx.Evtx import Evtx
from lxml import etree

from nps_trace_analyzer.catalog import load_catalog
from nps_trace_analyzer.cli.synth import register
from nps_trace_analyzer.synth.bundle import (
    DEFAULT_DAY,
    BundlePlan,
    build_bundle,
    expected_path,
    generate_bundle,
    generate_demo,
    write_plan,
    zip_bundle,
)
from nps_trace_analyzer.synth.scenarios import SCENARIOS
from nps_trace_analyzer.synth.scenarios.contract import CATEGORIES, INCIDENT_KINDS
from nps_trace_analyzer.synth.scenarios.events import GRANTED_TAIL, REJECT_TAIL, SECURITY_COMMON_FIELDS
from nps_trace_analyzer.synth.scenarios.texts import HELP, PREFIX
from nps_trace_analyzer.synth.spec import EventSpec

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
NS = {"e": "http://schemas.microsoft.com/win/2004/08/events/event"}
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
SEED = 7
CATALOG = load_catalog()
HOST = "NPS02"
COMPUTER = "NPS02.contoso.local"
AZUREMFA_FILES = ("_AuthNOptCh.evtx", "_AuthZOptCh.evtx", "_AuthZAdminCh.evtx")


@dataclass(frozen=True)
class Read:
    """One record as pyevtx-rs returns it, reduced to what the specs say."""

    file: str
    record_id: int
    provider: str
    guid: str | None
    event_id: int
    qualifiers: int | None
    level: int
    keywords: str
    time: str
    channel: str
    computer: str
    data: tuple[tuple[str | None, str], ...]

    @property
    def text(self) -> str:
        return " ".join(value for _, value in self.data)

    @property
    def named(self) -> dict[str, str]:
        return {name: value for name, value in self.data if name is not None}

    @property
    def when(self) -> datetime:
        return datetime.strptime(self.time, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def read_file(path: Path) -> list[Read]:
    records: list[Read] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a skipped record would be a writer/generator bug: fail on it
        parser = evtx.PyEvtxParser(str(path), skip_errors=True)
        for record in parser.records():
            root = etree.fromstring(record["data"].encode("utf-8"))
            system = root.find("e:System", NS)
            provider = system.find("e:Provider", NS)
            event_id = system.find("e:EventID", NS)
            qualifiers = event_id.get("Qualifiers")
            data = tuple(
                (element.get("Name"), element.text or "") for element in root.findall("e:EventData/e:Data", NS)
            )
            records.append(
                Read(
                    file=path.name,
                    record_id=record["event_record_id"],
                    provider=provider.get("Name"),
                    guid=provider.get("Guid"),
                    event_id=int(event_id.text),
                    qualifiers=int(qualifiers) if qualifiers is not None else None,
                    level=int(system.findtext("e:Level", namespaces=NS)),
                    keywords=system.findtext("e:Keywords", namespaces=NS),
                    time=system.find("e:TimeCreated", NS).get("SystemTime"),
                    channel=system.findtext("e:Channel", namespaces=NS),
                    computer=system.findtext("e:Computer", namespaces=NS),
                    data=data,
                )
            )
    return records


def read_bundle(folder: Path) -> dict[str, list[Read]]:
    return {path.name: read_file(path) for path in sorted(folder.glob("*.evtx"))}


def assert_equal_to_specs(reads: list[Read], specs: tuple[EventSpec, ...], first_record_id: int) -> None:
    assert len(reads) == len(specs)
    for offset, (read, spec) in enumerate(zip(reads, specs, strict=True)):
        assert read.record_id == first_record_id + offset
        assert read.provider == spec.provider
        assert read.guid == (spec.provider_guid.strip("{}").upper() if spec.provider_guid else None)
        assert read.event_id == spec.event_id
        assert read.qualifiers == spec.qualifiers
        assert read.level == spec.level
        assert read.keywords == f"0x{spec.keywords:x}"
        assert read.time == spec.time.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        assert read.channel == spec.channel
        assert read.computer == spec.computer
        assert read.data == spec.event_data


def write_and_read(plan: BundlePlan, folder: Path) -> dict[str, list[Read]]:
    write_plan(plan, folder)
    reads = read_bundle(folder)
    assert set(reads) == set(plan.files)
    for name, specs in plan.files.items():
        assert_equal_to_specs(reads[name], specs, plan.first_record_ids[name])
    return reads


def all_events(reads: dict[str, list[Read]]) -> list[Read]:
    return sorted((r for records in reads.values() for r in records), key=lambda r: r.time)


def mfa_events(reads: dict[str, list[Read]]) -> list[Read]:
    return [r for name, records in reads.items() if name.endswith(AZUREMFA_FILES) for r in records]


# --- expected.json -----------------------------------------------------------------------------------------

KIND_KEYS = {
    "sign-in": {"cid"},
    "challenge-no-result": {"user"},  # cid too when the challenge carried one
    "nps-reject": {"user"},
    "server": {"server"},  # nas too for capture findings, which are one incident per RADIUS client
    "server-config": {"server"},
}
OPTIONAL_KEYS = {"challenge-no-result": {"codes", "cid"}, "server": {"codes", "nas"}}


# How a CID-less extension event names its fault (warnings carry no ErrorCode:: token).
SERVER_MARKERS = {
    "NAS_ATTRIBUTES_MISSING": "missing NAS Identifier and Nas IpAddress attribute",
    "IP_WHITE_LIST_WARNING": "IP_WHITE_LIST_WARNING::",
    "SECONDARY_AUTH_ACCESS_CHALLENGE": "with response state AccessChallenge, ignoring request.",
    # issue #9 failure classes (synth/scenarios/failure_classes.py)
    "AADSTS7000112": "ESTS_TOKEN_ERROR Msg::",
    "UNRECOGNISED_AZUREMFA_EVENT": "in the policy cache of tenant",
}


def check_expected_document(document: dict[str, object]) -> None:
    """The contract's format: scenario, description, incidents with the fields each kind needs."""
    assert set(document) == {"scenario", "description", "incidents"}
    assert isinstance(document["scenario"], str) and document["scenario"]
    assert isinstance(document["description"], str) and document["description"]
    assert isinstance(document["incidents"], list)
    for incident in document["incidents"]:
        kind = incident["kind"]
        assert kind in INCIDENT_KINDS
        optional = OPTIONAL_KEYS.get(kind, {"codes"})
        assert set(incident) - optional == {"kind", "primary_code", "category", "benign"} | KIND_KEYS[kind]
        assert incident["category"] in CATEGORIES
        assert isinstance(incident["benign"], bool)
        assert isinstance(incident["primary_code"], str) and incident["primary_code"]
        if "cid" in incident:
            assert GUID.match(incident["cid"])
        if "codes" in incident:
            codes = incident["codes"]
            assert codes and codes == sorted(set(codes)) and incident["primary_code"] not in codes


def check_expected_against_events(document: dict[str, object], reads: dict[str, list[Read]]) -> None:
    """Each expected incident is backed by the read-back records the contract's rules would use."""
    events = all_events(reads)
    mfa = mfa_events(reads)
    security = [r for r in events if r.channel == "Security"]
    system = [r for r in events if r.channel == "System"]
    for incident in document["incidents"]:
        kind, primary = incident["kind"], incident["primary_code"]
        codes = set(incident.get("codes", ())) | {primary}
        if kind == "sign-in":
            cid = incident["cid"]
            # The CID follows its marker, or stands alone as an insertion string (layout "insertion").
            own = [r for r in mfa if f"CID: {cid}" in r.text or f"CID :{cid}" in r.text or (None, cid) in r.data]
            assert own, f"no AzureMfa event carries CID {cid}"
            # The code is written, or only its documented message is (scenario "message-without-code").
            assert any(
                primary in r.text or primary in CATALOG.codes_by_message(r.text) for r in own
            ) or primary.startswith("NPS-REASON")
            if "SYSTEM-SCHANNEL-36871" in codes:
                assert any(r.event_id == 36871 and abs(r.when - own[0].when) <= timedelta(minutes=5) for r in system)
            reasons = {c.split("-")[-1] for c in codes if c.startswith("NPS-REASON-")}
            if reasons:
                sentence = re.search(r"for [Uu]ser (.+?) (?:with|::)", own[-1].text)
                users = {sentence.group(1)} if sentence else {value for _, value in own[-1].data}
                assert any(
                    r.named["SubjectUserName"] in users
                    and r.named["ReasonCode"] in reasons
                    and abs(r.when - own[-1].when) <= timedelta(minutes=2)
                    for r in security
                    if r.event_id in (6273, 6274)
                )
        elif kind == "challenge-no-result":
            cid, user = incident.get("cid"), incident["user"]
            if cid is not None:
                challenge = [r for r in mfa if f"CID: {cid}" in r.text]
                assert len(challenge) == 1 and f"for User {user} with state" in challenge[0].text
            else:
                challenge = [
                    r for r in mfa if r.text.endswith(f"Challenge requested in Authentication Ext for User {user}.")
                ]
                assert challenge and "CID" not in challenge[0].text
                challenge = challenge[:1]
            window_end = challenge[0].when + timedelta(minutes=3)
            assert not [
                r
                for r in events
                if challenge[0].when < r.when <= window_end
                and (r.named.get("SubjectUserName") == user or f"ser {user} " in r.text)
            ]
        elif kind == "nps-reject":
            notices = [
                r for r in mfa if "response state AccessReject" in r.text and f"User {incident['user']} with" in r.text
            ]
            if primary == "SECONDARY_AUTH_ACCESS_REJECT":  # rule 5: no 6273 for the user at all
                assert notices
                assert not [r for r in security if r.named.get("SubjectUserName") == incident["user"]]
                continue
            reason = primary.removeprefix("NPS-REASON-")
            rejects = [
                r
                for r in security
                if r.event_id == 6273
                and r.named["SubjectUserName"] == incident["user"]
                and r.named["ReasonCode"] == reason
            ]
            assert rejects
            if "SECONDARY_AUTH_ACCESS_REJECT" in codes:
                assert any(abs(r.when - rejects[0].when) <= timedelta(minutes=2) for r in notices)
        elif kind == "server-config":
            # Backed by the registry dumps or the missing audit events: tests/synth/test_bundle_files.py.
            assert incident["server"] in {r.computer for r in events}
            if primary == "NPS-AUDITING-DISABLED":
                assert mfa and not [r for r in security if r.event_id in (6272, 6273)]
        elif primary.startswith("CAPTURE-"):
            # Backed by the capture: tests/synth/test_bundle_files.py reads nettrace.etl for these.
            assert incident["server"] in {r.computer for r in events} and incident["nas"]
        else:
            assert incident["server"] in {r.computer for r in events}
            if primary.startswith("SYSTEM-NPS-"):
                assert any(r.provider == "NPS" and r.event_id == int(primary.rsplit("-", 1)[1]) for r in system)
            else:
                marker = SERVER_MARKERS.get(primary, f"ErrorCode:: {primary} Msg::")
                assert any(marker in r.text for r in mfa)


# --- every scenario ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [s.name for s in SCENARIOS])
def test_scenario_generates_and_reads_back(name: str, tmp_path: Path) -> None:
    plan = build_bundle([name], seed=SEED, host=HOST, day=DEFAULT_DAY, healthy=3)
    reads = write_and_read(plan, tmp_path / name)
    assert sum(len(r) for r in reads.values()) > 0
    for records in reads.values():
        assert all(r.computer == COMPUTER for r in records)
        assert [r.time for r in records] == sorted(r.time for r in records)
        assert all(r.when.date() == DEFAULT_DAY for r in records)
    document = json.loads(expected_path(tmp_path / name).read_text(encoding="utf-8"))
    assert document["scenario"] == name
    check_expected_document(document)
    check_expected_against_events(document, reads)
    if name not in ("healthy", "gov-cloud"):
        assert document["incidents"], f"{name} expects no incident"


def test_healthy_scenario_expects_nothing_and_answers_every_challenge(tmp_path: Path) -> None:
    plan = build_bundle(["healthy"], seed=SEED, host=HOST, day=DEFAULT_DAY, healthy=30)
    reads = write_and_read(plan, tmp_path / "healthy")
    assert plan.expected["incidents"] == []
    events = all_events(reads)
    challenges = [r for r in mfa_events(reads) if "Challenge requested" in r.text]
    grants = [r for r in events if r.event_id == 6272]
    assert challenges and len(grants) == 50
    assert not [r for r in events if r.event_id in (6273, 6274)]
    for challenge in challenges:
        user = re.search(r"for User (.+) with state", challenge.text).group(1)
        assert any(
            g.named["SubjectUserName"] == user and timedelta(0) < g.when - challenge.when < timedelta(minutes=1)
            for g in grants
        )


def test_all_scenarios_in_one_bundle(tmp_path: Path) -> None:
    plan = build_bundle(["all"], seed=3, host="nps-b.fabrikam.local", day=date(2024, 11, 5), healthy=40)
    reads = write_and_read(plan, tmp_path / "all")
    assert set(plan.files) == {
        "nps-b_AuthNOptCh.evtx",
        "nps-b_AuthZOptCh.evtx",
        "nps-b_AuthZAdminCh.evtx",
        "Security.evtx",
        "System.evtx",
    }
    document = plan.expected
    check_expected_document(document)
    check_expected_against_events(document, reads)
    per_scenario = sum(
        len(
            build_bundle([s.name], seed=3, host="nps-b.fabrikam.local", day=date(2024, 11, 5), healthy=0).expected[
                "incidents"
            ]
        )
        for s in SCENARIOS
    )
    # server faults merge per (server, code, category); everything else adds up. Unrecognised events are the
    # exception: the contract keeps different wordings apart (rule server-event-group).
    servers = [
        i for i in document["incidents"] if i["kind"] == "server" and i["primary_code"] != "UNRECOGNISED_AZUREMFA_EVENT"
    ]
    assert len(document["incidents"]) <= per_scenario
    assert len({(i["primary_code"], i["category"], i.get("nas")) for i in servers}) == len(servers)


def test_merged_expected_lists_every_scenarios_incidents() -> None:
    merged = build_bundle(["user-not-found", "radius-shared-secret"], seed=1, host=HOST, day=DEFAULT_DAY, healthy=5)
    assert merged.expected["scenario"] == "user-not-found+radius-shared-secret"
    codes = sorted(i["primary_code"] for i in merged.expected["incidents"])
    assert codes == ["SYSTEM-NPS-18", "UserNotFound", "UserNotFound"]


# --- event content: layouts, verbatim texts, field order ---------------------------------------------------


def test_both_azuremfa_layouts_occur_across_scenarios() -> None:
    shapes: set[str] = set()
    channels: set[str] = set()
    providers: set[str] = set()
    for scenario in SCENARIOS:
        plan = build_bundle([scenario.name], seed=SEED, host=HOST, day=DEFAULT_DAY, healthy=3)
        for name, specs in plan.files.items():
            if name.endswith(AZUREMFA_FILES):
                for spec in specs:
                    shapes.add("single" if len(spec.event_data) == 1 else "split")
                    channels.add(spec.channel)
                    providers.add(spec.provider)
    assert shapes == {"single", "split"}
    assert {"AuthZOptCh", "Microsoft-AzureMfa-AuthZ/AuthZOptCh"} <= channels
    assert {"AuthZ", "Microsoft-AzureMfa-AuthZ"} <= providers


@pytest.mark.parametrize("layout", ["split", "split-long", "split-noprefix"])
def test_split_layout_is_the_message_cut_at_spaces(layout: str) -> None:
    """The same seed gives the same messages under every layout; split pieces join back with one space."""
    single = build_bundle(["all"], seed=SEED, host=HOST, day=DEFAULT_DAY, healthy=10, layout="single")
    split = build_bundle(["all"], seed=SEED, host=HOST, day=DEFAULT_DAY, healthy=10, layout=layout)
    pieces_seen = 0
    for name in single.files:
        if not name.endswith(AZUREMFA_FILES):
            assert single.files[name] == split.files[name]
            continue
        for one, many in zip(single.files[name], split.files[name], strict=True):
            message = one.event_data[0][1]
            values = [value for key, value in many.event_data]
            assert all(key is None for key, _ in many.event_data)
            if layout == "split-noprefix" and not message.startswith(PREFIX):  # "marker-less-code": nothing to drop
                assert " ".join(values) == message
            elif layout == "split-noprefix":
                assert PREFIX + " " + " ".join(values) == re.sub(r"^(NPS Extension for Azure MFA:) +", r"\1 ", message)
                assert not values[0].startswith(PREFIX + " ") or values[0].startswith(PREFIX + " NPS Extension")
            else:
                assert " ".join(values) == message
                assert values[0] == PREFIX or not message.startswith(PREFIX)  # "marker-less-code" has no prefix
            pieces_seen += len(values)
    assert pieces_seen > 3 * sum(len(s) for n, s in single.files.items() if n.endswith(AZUREMFA_FILES))


def _texts(name: str) -> list[str]:
    plan = build_bundle([name], seed=SEED, host=HOST, day=DEFAULT_DAY, healthy=0, layout="single")
    return [
        spec.event_data[0][1]
        for file_name, specs in plan.files.items()
        if file_name.endswith(AZUREMFA_FILES)
        for spec in specs
    ]


def test_verbatim_texts_keep_the_product_quirks() -> None:
    assert (
        "NPS Extension for Azure MFA: IP Whitelist not intialized::  ErrorCode:: REGISTRY_CONFIG_ERROR Msg:: "
        "Neither registry entry not default value found for key: IP_WHITELIST"
    ) in _texts("ip-whitelist-benign")
    nas = _texts("nas-attributes-missing")
    assert (
        "NPS Extension for Azure MFA: Radius request is missing NAS Identifier and Nas IpAddress attribute."
        "Populating atleast one of these fields is recommended.This is not an error."
    ) in nas
    assert (
        "NPS Extension for Azure MFA: IP_WHITE_LIST_WARNING::IP Whitelist is being ignored as source IP is "
        "missing in RADIUS request in NasIpAddress attribute."
    ) in nas
    (ests, *_) = _texts("ests-sp-disabled")
    assert re.match(
        r"NPS Extension for Azure MFA:  CID: (\S{36}) :Exception in Authentication Ext for User \S+ :: "
        r"ErrorCode:: CID :\1 ESTS_TOKEN_ERROR Msg:: Verify the client certificate",
        ests,
    )
    assert "Error in retreiving token details from request handle: -895352831 AADSTS7000112: Application " in ests
    assert "'981f26a1-7f43-403b-a875-f8b09b8cd720'(Azure Multi-Factor Auth Client) is disabled.\nTrace ID: " in ests
    assert re.search(r"\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ " + re.escape(f"{HELP} {HELP}") + "$", ests)
    assert _texts("ests-cert-expired")[0].startswith("NPS Extension for Azure MFA: CID: ")  # E5's single space
    assert "&tabs=http" in _texts("ests-cert-expired")[0]
    (reject, *_) = _texts("primary-auth-failed")
    assert re.fullmatch(
        r"NPS Extension for Azure MFA: NPS Extension for Azure MFA only performs Secondary Auth for Radius "
        r"requests in AccessAccept State\. Request received for User .+ with response state AccessReject, "
        r"ignoring request\.",
        reject,
    )
    assert any(
        re.fullmatch(
            r"NPS Extension for Azure MFA: CID: \S{36} : Access Rejected for user new\.hire@contoso\.com with Azure "
            r"MFA response: UserNotFound and message: MSODS Graph call returned user not found error\. .*",
            text,
        )
        for text in _texts("user-not-found")
    )
    assert "NPS Extension for Azure MFA: Challenge requested in Authentication Ext for User CONTOSO\\gpatel." in (
        _texts("challenge-no-result-legacy")
    )
    assert any(
        text.endswith(
            "Request received for User CONTOSO\\bwilliams with response state AccessChallenge, ignoring request."
        )
        for text in _texts("eap-access-challenge")
    )
    (missing, *_) = _texts("request-format-error")
    assert (
        "ErrorCode:: REQUEST_FORMAT_ERROR Msg:: Radius Request missing mandatory Radius userName\\Identifier "
        "attribute.Verify that NPS is receiving RADIUS requests"
    ) in missing
    alternate = " ".join(_texts("alternate-login-id"))
    for message in (
        "userObjectSid lookup failed",
        "Alternate LoginId lookup failed",
        "Alternate LoginId value is empty",
    ):
        assert f"ALTERNATE_LOGIN_ID_ERROR Msg:: Error: {message} " in alternate


def test_security_events_have_the_windows_field_order(tmp_path: Path) -> None:
    plan = build_bundle(["primary-auth-failed", "http-connect-error"], seed=SEED, host=HOST, day=DEFAULT_DAY, healthy=5)
    reads = write_and_read(plan, tmp_path / "sec")
    by_id: dict[int, list[Read]] = {}
    for record in reads["Security.evtx"]:
        by_id.setdefault(record.event_id, []).append(record)
    assert set(by_id) == {6272, 6273, 6274}
    for event_id, records in by_id.items():
        tail = GRANTED_TAIL if event_id == 6272 else REJECT_TAIL
        for record in records:
            assert tuple(name for name, _ in record.data) == SECURITY_COMMON_FIELDS + tail
            assert record.provider == "Microsoft-Windows-Security-Auditing"
            assert record.guid == "54849625-5478-4994-A5BA-3E3B0328C30D"
            assert record.level == 0
            assert record.keywords == ("0x8020000000000000" if event_id == 6272 else "0x8010000000000000")
    assert {r.named["ReasonCode"] for r in by_id[6273]} == {"16", "21"}
    assert {r.named["ReasonCode"] for r in by_id[6274]} == {"9"}


def test_system_events_carry_classic_qualifiers_and_schannel(tmp_path: Path) -> None:
    plan = build_bundle(
        ["https-tls12-disabled", "no-domain-controller", "ip-whitelist-benign"],
        seed=SEED,
        host=HOST,
        day=DEFAULT_DAY,
        healthy=0,
    )
    system = write_and_read(plan, tmp_path / "sys")["System.evtx"]
    nps = {(r.event_id, r.level, r.qualifiers) for r in system if r.provider == "NPS"}
    assert nps == {(4400, 4, 16384), (4401, 3, 32768), (4402, 2, 49152)}
    schannel = [r for r in system if r.provider == "Schannel"]
    assert len(schannel) == 4
    assert all(r.event_id == 36871 and r.data == (("Type", "client"), ("ErrorState", "10013")) for r in schannel)
    assert next(r.data for r in system if r.event_id == 4402) == ((None, "CONTOSO"),)


def test_generation_is_deterministic_and_seeded(tmp_path: Path) -> None:
    first = generate_bundle(tmp_path / "a", ["oath-code-incorrect"], seed=11, host=HOST, day=DEFAULT_DAY, healthy=8)
    again = generate_bundle(tmp_path / "b", ["oath-code-incorrect"], seed=11, host=HOST, day=DEFAULT_DAY, healthy=8)
    other = generate_bundle(tmp_path / "c", ["oath-code-incorrect"], seed=12, host=HOST, day=DEFAULT_DAY, healthy=8)
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in again.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (again / name).read_bytes()
    assert expected_path(first).read_bytes() == expected_path(again).read_bytes()
    assert expected_path(first).read_bytes() != expected_path(other).read_bytes()


# --- the committed demo bundle -----------------------------------------------------------------------------


def test_demo_bundle_regenerates_byte_identical(tmp_path: Path) -> None:
    committed = SAMPLES / "demo-bundle"
    assert committed.is_dir(), "samples/demo-bundle is missing: run samples/regenerate.sh"
    fresh = generate_demo(tmp_path / "demo-bundle")
    fresh_zip = zip_bundle(fresh)
    names = sorted(p.name for p in committed.iterdir())
    assert names == sorted(p.name for p in fresh.iterdir())
    for name in names:
        assert (committed / name).read_bytes() == (fresh / name).read_bytes(), (
            f"samples/demo-bundle/{name} differs from a fresh generation: run samples/regenerate.sh"
        )
    committed_zip = SAMPLES / "demo-bundle.zip"
    with zipfile.ZipFile(committed_zip) as old, zipfile.ZipFile(fresh_zip) as new:
        assert [(i.filename, i.date_time, i.compress_type) for i in old.infolist()] == [
            (i.filename, i.date_time, i.compress_type) for i in new.infolist()
        ]
        assert [f"demo-bundle/{n}" for n in names] == old.namelist()
        for info in old.infolist():
            assert old.read(info) == (committed / info.filename.split("/", 1)[1]).read_bytes()
    assert committed_zip.read_bytes() == fresh_zip.read_bytes()
    assert expected_path(committed).read_bytes() == expected_path(fresh).read_bytes(), (
        "samples/demo-bundle.expected.json differs from a fresh generation: run samples/regenerate.sh"
    )
    total = sum(p.stat().st_size for p in committed.iterdir()) + committed_zip.stat().st_size
    assert total < 2 * 1024 * 1024


def test_demo_bundle_content(tmp_path: Path) -> None:
    folder = SAMPLES / "demo-bundle"
    reads = read_bundle(folder)
    assert not (folder / "expected.json").exists()  # beside the bundle, not one of its files
    document = json.loads(expected_path(folder).read_text(encoding="utf-8"))
    check_expected_document(document)
    check_expected_against_events(document, reads)
    events = all_events(reads)
    assert 200 <= len(events) <= 600
    assert len({r.computer for r in events}) == 1
    assert len({r.when.date() for r in events}) == 1
    primaries = {i["primary_code"] for i in document["incidents"]}
    assert len(primaries) >= 8
    assert sum(1 for r in events if r.event_id == 6272) >= 100
    values = [value for r in events for _, value in r.data]
    assert any(ord(ch) > 0xFFFF for v in values for ch in v), "no non-BMP character in the demo"
    assert any("&" in v and "<" in v for v in values), "no XML specials in the demo"
    assert any("\\" in r.named.get("SubjectUserName", "") for r in events)
    assert any("@" in r.named.get("SubjectUserName", "") for r in events)


def test_demo_bundle_reads_with_python_evtx_too() -> None:
    """A second, independent reader agrees on record count, ids and the data strings."""
    for path in sorted((SAMPLES / "demo-bundle").glob("*.evtx")):
        expected = read_file(path)
        with Evtx(str(path)) as log:
            got = []
            for record in log.records():
                root = etree.fromstring(record.xml().encode("utf-8"))
                got.append(
                    (
                        int(root.findtext("e:System/e:EventID", namespaces=NS)),
                        tuple(d.text or "" for d in root.findall("e:EventData/e:Data", NS)),
                    )
                )
        assert got == [(r.event_id, tuple(v for _, v in r.data)) for r in expected]


# --- CLI ---------------------------------------------------------------------------------------------------


@pytest.fixture
def cli() -> click.Group:
    group = click.Group("nps-trace-analyzer")
    register(group)
    return group


def test_synth_help_and_list(cli: click.Group) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["synth", "--help"])
    assert result.exit_code == 0
    assert "SCENARIO" in result.output and "--seed" in result.output and "--zip" in result.output
    listing = runner.invoke(cli, ["synth", "--list"])
    assert listing.exit_code == 0
    for scenario in SCENARIOS:
        assert re.search(rf"^{re.escape(scenario.name)} +\S", listing.output, re.MULTILINE)
    assert re.search(r"^all +", listing.output, re.MULTILINE)


def test_synth_rejects_unknown_scenarios_clearly(cli: click.Group, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["synth", "healthy", "no-such-thing", "-o", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "no-such-thing" in result.output and "--list" in result.output
    assert not (tmp_path / "x").exists()
    missing = CliRunner().invoke(cli, ["synth", "-o", str(tmp_path / "y")])
    assert missing.exit_code == 2


def test_synth_writes_bundle_and_zip(cli: click.Group, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    result = CliRunner().invoke(
        cli,
        [
            "synth",
            "user-not-found",
            "ip-whitelist-benign",
            "-o",
            str(out),
            "--seed",
            "5",
            "--host",
            "NPS07",
            "--day",
            "2025-01-02",
            "--healthy",
            "4",
            "--zip",
        ],
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "AfterRegAdd_AuthSrv.txt",
        "AfterRegAdd_AzureMFA.txt",
        "BeforeRegAdd_AuthSrv.txt",
        "BeforeRegAdd_AzureMFA.txt",
        "NPS07_AuthNOptCh.evtx",
        "NPS07_AuthZAdminCh.evtx",
        "NPS07_AuthZOptCh.evtx",
        "NPSExtension.etl",
        "NPS_EventLog.log",
        "Security.evtx",
        "System.evtx",
        "nettrace.etl",
    ]
    with zipfile.ZipFile(tmp_path / "bundle.zip") as archive:
        assert archive.namelist() == sorted(f"bundle/{p.name}" for p in out.iterdir())
        assert {i.date_time for i in archive.infolist()} == {(2025, 3, 12, 18, 0, 0)}
    assert f"Expected diagnosis: {expected_path(out)}" in result.output
    document = json.loads(expected_path(out).read_text(encoding="utf-8"))
    check_expected_document(document)
    assert {r.when.date() for rs in read_bundle(out).values() for r in rs} == {date(2025, 1, 2)}
    bad_day = CliRunner().invoke(cli, ["synth", "healthy", "-o", str(tmp_path / "z"), "--day", "12/03/2025"])
    assert bad_day.exit_code == 2 and "2025-03-12" in bad_day.output
    assert uuid.UUID(document["incidents"][0]["cid"]).version == 4
