"""Bundles written from Microsoft's documentation (``windows.py``), not by our scenario generator, diagnosed end
to end. Each case says what a support engineer would conclude from the same events on a real server."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from nps_trace_analyzer.core.identity import user_key
from nps_trace_analyzer.pipeline import analyze
from nps_trace_analyzer.synth.spec import EventSpec

from . import windows as w

T0 = datetime(2025, 3, 12, 13, 4, 0, tzinfo=timezone.utc)
CID = "32e83cbf-484d-49aa-9adb-71528f5eb94d"  # E1: Microsoft Q&A 2074636
CID_REJECT = "430ef057-7941-44ff-a0b1-240e7d74cedc"  # E3: radclient blog
REASON_16 = (
    "Authentication failed due to a user credentials mismatch. Either the user name provided does not map to an "
    "existing user account or the password was incorrect."
)  # Server 2016 wording, vcloudnine.de sample (domain-facts §4.2)
# MicrosoftDocs/azure-docs#55499
REASON_21 = (
    "An NPS extension dynamic link library (DLL) that is installed on the NPS server rejected the connection request."
)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def challenge(seconds: float, user: str, cid: str = CID) -> EventSpec:
    """E1 (Microsoft Q&A 2074636), the user and CID ours."""
    return w.azuremfa(
        at(seconds),
        "AuthZOptCh",
        f"NPS Extension for Azure MFA: CID: {cid} : Challenge requested in Authentication Ext for User {user} "
        "with state 300c9d6c-7734-4165-83d3-212e73aee286",
    )


def alice(**changes: str) -> dict[str, str]:
    """A PAP VPN request of CONTOSO\\alice as NPS audits it: User-Name as sent, the resolved account beside it."""
    return (
        w.nps_request(
            user="CONTOSO\\alice",
            domain="CONTOSO",
            fq_user="CONTOSO\\alice",
            user_sid="S-1-5-21-1004336348-1177238915-682003330-1105",
        )
        | changes
    )


def diagnose(tmp_path: Path, files: dict[str, list[EventSpec]]) -> set[tuple[str, str, str]]:
    bundle = tmp_path / "bundle"
    for name, specs in files.items():
        w.write(bundle / name, specs)
    analyze([bundle], tmp_path / "out")
    doc = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    return {(i["kind"], user_key(i.get("user")), i["primary_code"]) for i in doc["incidents"]}


def test_one_time_code_sign_in_granted_to_domain_user_is_healthy(tmp_path: Path) -> None:
    # The extension logs the UPN, NPS the DOMAIN\user form of the same person: one healthy sign-in.
    files = {
        "Microsoft-AzureMfa-AuthZ%4AuthZOptCh.evtx": [challenge(0, "alice@contoso.com")],
        "Security.evtx": [w.grant_6272(at(25), alice())],
    }
    assert diagnose(tmp_path, files) == set()


def test_grant_naming_the_user_by_upn_is_healthy(tmp_path: Path) -> None:
    files = {
        "NPS01_AuthZOptCh.evtx": [challenge(0, "ALICE@contoso.com")],
        "Security.evtx": [w.grant_6272(at(40), alice(SubjectUserName="alice@contoso.com"))],
    }
    assert diagnose(tmp_path, files) == set()


def test_wrong_password(tmp_path: Path) -> None:
    bob = w.nps_request(user="bob", domain="CONTOSO", fq_user="CONTOSO\\bob")
    files = {"Security.evtx": [w.denied_6273(at(5), bob, 16, REASON_16)]}
    assert diagnose(tmp_path, files) == {("nps-reject", "bob", "NPS-REASON-16")}


@pytest.mark.parametrize("form", ["lower-case names", "unnamed values"])
def test_wrong_password_in_other_data_forms(tmp_path: Path, form: str) -> None:
    bob = w.nps_request(user="bob", domain="CONTOSO", fq_user="CONTOSO\\bob")
    event = w.denied_6273(at(5), bob, 16, REASON_16)
    assert event.event_data is not None
    if form == "lower-case names":
        data = tuple(((n or "").lower(), v) for n, v in event.event_data)
    else:
        data = tuple((None, v) for _n, v in event.event_data)
    files = {"Security.evtx": [dataclasses.replace(event, event_data=data)]}
    assert diagnose(tmp_path, files) == {("nps-reject", "bob", "NPS-REASON-16")}


def test_extension_reject_and_its_nps_reject_are_one_sign_in(tmp_path: Path) -> None:
    rejected = w.azuremfa(
        at(2),
        "AuthZOptCh",
        f"NPS Extension for Azure MFA: CID: {CID_REJECT} : Access Rejected for user carol@contoso.com with Azure MFA "
        "response: UserNotFound and message: MSODS Graph call returned user not found error.",
    )
    carol = w.nps_request(user="carol@contoso.com", domain="CONTOSO", fq_user="CONTOSO\\carol")
    files = {"NPS01_AuthZOptCh.evtx": [rejected], "Security.evtx": [w.denied_6273(at(3), carol, 21, REASON_21)]}
    assert diagnose(tmp_path, files) == {("sign-in", "carol", "UserNotFound")}


def test_system_events_as_windows_writes_them(tmp_path: Path) -> None:
    files = {
        "System.evtx": [
            w.nps_system(4402, at(1), ["CONTOSO"]),  # Qualifiers 49152, one Data: the domain (Q&A 2617618)
            w.nps_system(18, at(4), ["10.0.0.5"]),
            w.nps_system(4400, at(0), ["DC01.contoso.com", "CONTOSO"], level=4),  # informational: no problem
        ]
    }
    assert diagnose(tmp_path, files) == {("server", "", "SYSTEM-NPS-4402"), ("server", "", "SYSTEM-NPS-18")}


def test_renamed_extension_log_is_read_as_what_it_holds(tmp_path: Path) -> None:
    # An admin saved the AuthZOptCh export as "security.EVTX": its records decide; the challenge stays unanswered.
    # No real Security log was collected, so whether NPS auditing is on is not judged (a note, no incident).
    files = {"security.EVTX": [challenge(0, "carol@contoso.com")]}
    assert diagnose(tmp_path, files) == {("challenge-no-result", "carol", "CHALLENGE_NO_RESULT")}


def test_nap_full_access_grant_is_healthy(tmp_path: Path) -> None:
    # 6278 "granted full access to a user because the host met the defined health policy" is a grant (cc735338).
    files = {
        "NPS01_AuthZOptCh.evtx": [challenge(0, "alice@contoso.com")],
        "Security.evtx": [w.full_access_6278(at(30), alice())],
    }
    assert diagnose(tmp_path, files) == set()


def test_lockout_release_is_no_problem_but_the_lockout_is(tmp_path: Path) -> None:
    files = {
        "Security.evtx": [
            w.user_only(6279, at(0), "alice", "CONTOSO", "CONTOSO\\alice"),
            w.user_only(6280, at(1800), "alice", "CONTOSO", "CONTOSO\\alice"),
        ]
    }
    assert diagnose(tmp_path, files) == {("nps-reject", "alice", "SECURITY-6279")}


def test_one_time_code_sign_in_granted_in_the_accounting_log_is_healthy(tmp_path: Path) -> None:
    # NPS auditing off, the accounting log on (a common setup): its Access-Accept answers the challenge.
    rows = [
        w.dts_row("03/12/2025 13:03:59.500", 1, w.dts_request("alice@contoso.com")),
        w.dts_row("03/12/2025 13:04:00.100", 11, w.dts_answer("CONTOSO\\alice")),
        w.dts_row("03/12/2025 13:04:20.000", 1, w.dts_request("alice@contoso.com")),
        w.dts_row("03/12/2025 13:04:21.000", 2, w.dts_answer("CONTOSO\\alice")),
    ]
    (tmp_path / "bundle").mkdir()
    (tmp_path / "bundle" / "IN2503.log").write_text("\n".join(rows), encoding="utf-8")
    assert diagnose(tmp_path, {"NPS01_AuthZOptCh.evtx": [challenge(0, "alice@contoso.com")]}) == set()


def test_wrong_password_in_the_accounting_log(tmp_path: Path) -> None:
    rows = [
        w.dts_row("03/12/2025 13:04:05.000", 1, w.dts_request("bob")),
        w.dts_row("03/12/2025 13:04:05.020", 3, w.dts_answer("CONTOSO\\bob"), reason_code=16),
    ]
    (tmp_path / "bundle").mkdir()
    (tmp_path / "bundle" / "IN2503.log").write_text("\n".join(rows), encoding="utf-8")
    assert diagnose(tmp_path, {}) == {("nps-reject", "bob", "NPS-REASON-16")}


def test_grant_from_an_event_viewer_xml_export_answers_the_challenge(tmp_path: Path) -> None:
    # The admin attached Security as XML (Event Viewer "Save All Events As... XML") instead of .evtx.
    (tmp_path / "bundle").mkdir()
    export = Path(__file__).resolve().parents[1] / "data" / "text" / "event_xml" / "Security_export.xml"
    (tmp_path / "bundle" / "Security.xml").write_bytes(export.read_bytes())
    assert diagnose(tmp_path, {"NPS01_AuthZOptCh.evtx": [challenge(25.3, "alice@contoso.com")]}) == set()


def test_security_records_saved_as_system_evtx_are_labelled_by_their_channel(tmp_path: Path) -> None:
    bob = w.nps_request(user="bob", domain="CONTOSO", fq_user="CONTOSO\\bob")
    bundle = tmp_path / "bundle"
    w.write(bundle / "System.evtx", [w.denied_6273(at(5), bob, 16, REASON_16)])
    analyze([bundle], tmp_path / "out")
    doc = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    roles = {i["name"]: i["role"] for i in doc["inputs"]}
    assert roles == {"System.evtx": "Security"}
    assert {(i["kind"], i["primary_code"]) for i in doc["incidents"]} == {("nps-reject", "NPS-REASON-16")}


def test_two_servers_flat_in_one_folder_keep_their_own_sign_ins(tmp_path: Path) -> None:
    # A farm's two servers collected into one folder with host-prefixed names (one bundle). carol fails on both a
    # second apart; each server's 6273 (reason 21) belongs to its own extension event, not to the nearer one of
    # the other server.
    def on(server: str, spec: EventSpec) -> EventSpec:
        return dataclasses.replace(spec, computer=f"{server}.contoso.com")

    def rejected(seconds: float, cid: str) -> EventSpec:
        return w.azuremfa(
            at(seconds),
            "AuthZOptCh",
            f"NPS Extension for Azure MFA: CID: {cid} : Access Rejected for user carol@contoso.com with Azure MFA "
            "response: UserNotFound and message: MSODS Graph call returned user not found error.",
        )

    carol = w.nps_request(user="carol@contoso.com", domain="CONTOSO", fq_user="CONTOSO\\carol")
    other_cid = "5b0d2a41-7c3e-4f0a-9e6d-2c8b1f4a7d90"
    files = {
        "NPS01_AuthZOptCh.evtx": [on("nps01", rejected(2, CID_REJECT))],
        "NPS01_Security.evtx": [on("nps01", w.denied_6273(at(3), carol, 21, REASON_21))],
        "NPS02_AuthZOptCh.evtx": [on("nps02", rejected(3.2, other_cid))],
        "NPS02_Security.evtx": [on("nps02", w.denied_6273(at(4.5), carol, 21, REASON_21))],
    }
    bundle = tmp_path / "bundle"
    for name, specs in files.items():
        w.write(bundle / name, specs)
    analyze([bundle], tmp_path / "out")
    doc = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    found = {(i["cid"], i["primary_code"], tuple(sorted(i["codes"]))) for i in doc["incidents"]}
    both = ("NPS-REASON-21", "UserNotFound")
    assert found == {(CID_REJECT, "UserNotFound", both), (other_cid, "UserNotFound", both)}
