"""Bundles built by hand with the EVTX writer (not the scenario generator), checked end to end.

The generator writes one idea of a bundle; these cases are shaped the way real collections differ from it:
Windows' ``Microsoft-AzureMfa-AuthZ%4AuthZOptCh.evtx`` file names, host-prefixed names, insertion strings in any
order, no Security.evtx at all, the same log twice, a zip next to its extracted files. Each case states what a
support engineer should read: exactly the expected problems, nothing for healthy sign-ins, no duplicates.
"""

from __future__ import annotations

import json
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from nps_trace_analyzer.fleet.multi import analyze_servers, bundle_paths
from nps_trace_analyzer.pipeline import analyze
from nps_trace_analyzer.synth.evtx import write_evtx
from nps_trace_analyzer.synth.spec import EventSpec

T0 = datetime(2025, 3, 4, 9, 15, tzinfo=timezone.utc)
HOST = "RAD-EU-01"
CID_A = "5a1f0c3e-9b7d-4c2a-8e11-0d2f3b4c5d6e"
CID_B = "77aa1234-bbbb-4ccc-8ddd-eeeeffff0001"
STATE = "11112222-3333-4444-5555-666677778888"
PREFIX = "NPS Extension for Azure MFA: "
OPT_CHANNEL = "Microsoft-AzureMfa-AuthZ/AuthZOptCh"
OPT_FILE = "Microsoft-AzureMfa-AuthZ%4AuthZOptCh.evtx"
REASON_21 = (
    "An NPS extension dynamic link library (DLL) that is installed on the NPS server rejected the connection request."
)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _mfa(seconds: float, *values: str, level: int = 4) -> EventSpec:
    return EventSpec(
        provider="Microsoft-AzureMfa-AuthZ",
        event_id=1,
        time=_at(seconds),
        channel=OPT_CHANNEL,
        computer=HOST,
        level=level,
        event_data=tuple((None, v) for v in values),
    )


def _audit(event_id: int, seconds: float, user: str, reason_code: int | None = None, reason: str = "") -> EventSpec:
    data = [("SubjectUserSid", "S-1-0-0"), ("SubjectUserName", user), ("SubjectDomainName", "CONTOSO")]
    data += [("CallingStationID", "10.1.1.9"), ("NASIPv4Address", "10.1.1.2"), ("ClientName", "VPN")]
    data += [("AuthenticationType", "PAP"), ("NetworkPolicyName", "VPN")]
    if reason_code is not None:
        data += [("ReasonCode", str(reason_code)), ("Reason", reason)]
    return EventSpec(
        provider="Microsoft-Windows-Security-Auditing",
        event_id=event_id,
        time=_at(seconds),
        channel="Security",
        computer=f"{HOST}.contoso.local",
        level=0,
        provider_guid="{54849625-5478-4994-A5BA-3E3B0328C30D}",
        event_data=tuple(data),
    )


def _challenge(cid: str, user: str) -> str:
    return f"{PREFIX}CID: {cid} : Challenge requested in Authentication Ext for User {user} with state {STATE}"


def _accepted(cid: str, user: str) -> str:
    return f"{PREFIX}CID: {cid} : Access Accepted for user {user} with Azure MFA response: Success and message: "


def _user_not_found(cid: str, user: str) -> str:
    return (
        f"{PREFIX}CID: {cid} : Access Rejected for user {user} with Azure MFA response: UserNotFound and message: "
        "MSODS Graph call returned user not found error."
    )


def _run(bundle: Path, out: Path) -> dict[str, Any]:
    analyze([bundle], out)
    return json.loads((out / "findings.json").read_text(encoding="utf-8"))


def _summary(doc: dict[str, Any]) -> list[tuple[str, str, str | None, int]]:
    return sorted((i["kind"], i["primary_code"], i.get("user"), i["count"]) for i in doc["incidents"])


def test_one_time_code_sign_in_without_security_log_is_healthy(tmp_path: Path) -> None:
    """Challenge then the extension's own Success, and no Security.evtx collected: nothing is wrong, and the
    missing audit log is not reported as "NPS auditing disabled" (nothing says auditing is off)."""
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    write_evtx(
        bundle / OPT_FILE,
        [_mfa(0, _challenge(CID_A, "alice@contoso.com")), _mfa(25, _accepted(CID_A, "alice@contoso.com"))],
    )
    doc = _run(bundle, tmp_path / "out")
    assert doc["incidents"] == []
    assert any("no NPS audit source" in note for note in doc["notes"])


_PASTED_EXTENSION_EVENT = """Log Name:      AuthZOptCh
Source:        AuthZ
Date:          3/12/2025 2:03:07 PM
Event ID:      1
Task Category: None
Level:         Error
Keywords:
User:          NETWORK SERVICE
Computer:      NPS03.example.org
Description:
NPS Extension for Azure MFA:  CID: 7c6b5a4d-3e2f-4b1a-8c9d-0e7f6a5b4c32 : Access Rejected for user dave@example.org \
with Azure MFA response: AuthenticationMethodNotConfigured and message: No authentication method is configured
"""


def test_pasted_extension_events_alone_say_nothing_about_nps_auditing(tmp_path: Path) -> None:
    """A text file of pasted AzureMfa copies is read by the text reader that also reads NPS_EventLog.log, yet it
    holds no NPS decision: the sign-in failure is diagnosed and auditing is not judged (no NPS-AUDITING-DISABLED)."""
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "paste.txt").write_text(_PASTED_EXTENSION_EVENT, encoding="utf-8")
    doc = _run(bundle, tmp_path / "out")
    assert [i["primary_code"] for i in doc["incidents"]] == ["AuthenticationMethodNotConfigured"]
    assert any("no NPS audit source" in note for note in doc["notes"])


_PASTED_SYSTEM_EVENT = """Log Name:      System
Source:        NPS
Date:          3/4/2025 9:15:30 AM
Event ID:      4402
Task Category: None
Level:         Error
Keywords:      Classic
User:          N/A
Computer:      RAD-EU-01
Description:
There is no domain controller available for domain CONTOSO.
"""


def test_a_pasted_system_event_is_a_system_input_not_a_copy_of_the_security_log(tmp_path: Path) -> None:
    """A pasted System event read by the NPS_EventLog text reader records its channel: it is a System input, no
    repeat of Security.evtx (its event is an original), and no NPS audit source (its silence about 6272/6273 does
    not say auditing is off)."""
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    write_evtx(bundle / OPT_FILE, [_mfa(0, _challenge(CID_A, "alice@contoso.com"))])
    (bundle / "paste.txt").write_text(_PASTED_SYSTEM_EVENT, encoding="utf-8")
    doc = _run(bundle, tmp_path / "alone")
    (paste,) = [i for i in doc["inputs"] if i["name"] == "paste.txt"]
    assert (paste["role"], paste["channels"]) == ("System", {"System": 1})
    assert "NPS-AUDITING-DISABLED" not in [i["primary_code"] for i in doc["incidents"]]
    assert any("no NPS audit source" in note for note in doc["notes"])

    write_evtx(bundle / "Security.evtx", [_audit(6273, 60, "bob", 16, "credentials mismatch")])
    seen: list[tuple[int, bool]] = []
    analyze(
        [bundle], tmp_path / "with-security", observer=lambda event, original: seen.append((event.event_id, original))
    )
    assert (4402, True) in seen and (4402, False) not in seen


def test_push_sign_in_with_only_the_extension_log_is_healthy(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    write_evtx(bundle / f"{HOST}_AuthZOptCh.evtx", [_mfa(5, CID_B, "bob@contoso.com", "Access Accepted", "Success")])
    assert _run(bundle, tmp_path / "out")["incidents"] == []


def test_an_empty_security_log_still_means_auditing_is_off(tmp_path: Path) -> None:
    """A Security.evtx without a single NPS audit event beside extension events: auditing is off (contract
    addendum #5); only a bundle with no audit source at all leaves the question open."""
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    write_evtx(
        bundle / OPT_FILE,
        [_mfa(0, _challenge(CID_A, "alice@contoso.com")), _mfa(25, _accepted(CID_A, "alice@contoso.com"))],
    )
    write_evtx(bundle / "Security.evtx", [])
    assert _summary(_run(bundle, tmp_path / "out")) == [("server-config", "NPS-AUDITING-DISABLED", None, 1)]


def test_the_auditing_note_shows_times_as_the_report_does(tmp_path: Path) -> None:
    """The note and the finding's evidence are read by people: times in the report's one format (core/times.py,
    seconds, UTC said once), never ISO strings with microseconds."""
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    write_evtx(
        bundle / OPT_FILE,
        [_mfa(0.25, _challenge(CID_A, "alice@contoso.com")), _mfa(25.5, _accepted(CID_A, "alice@contoso.com"))],
    )
    write_evtx(bundle / "Security.evtx", [])
    doc = _run(bundle, tmp_path / "out")
    expected = f"2 AzureMfa events on {HOST} between 2025-03-04 09:15:00 and 2025-03-04 09:15:25 UTC but no NPS audit"
    assert any(expected in note for note in doc["notes"]), doc["notes"]
    (incident,) = doc["incidents"]
    assert expected in json.dumps(incident["evidence"]), incident["evidence"]


def _problem_bundle(folder: Path) -> None:
    folder.mkdir(parents=True)
    write_evtx(
        folder / OPT_FILE,
        [
            _mfa(0, _user_not_found(CID_A, "carol@contoso.com"), level=3),
            _mfa(10, _challenge(CID_B, "frank@contoso.com")),
        ],
    )
    write_evtx(folder / "Security.evtx", [_audit(6273, 1, "carol@contoso.com", 21, REASON_21)])


EXPECTED = [
    ("challenge-no-result", "CHALLENGE_NO_RESULT", "frank@contoso.com", 1),
    ("sign-in", "UserNotFound", "carol@contoso.com", 2),
]


def test_problem_bundle_baseline(tmp_path: Path) -> None:
    _problem_bundle(tmp_path / "bundle")
    assert _summary(_run(tmp_path / "bundle", tmp_path / "out")) == EXPECTED


def test_the_same_log_under_two_names_is_read_once(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    _problem_bundle(bundle)
    (bundle / f"{HOST}_AuthZOptCh.evtx").write_bytes((bundle / OPT_FILE).read_bytes())
    doc = _run(bundle, tmp_path / "out")
    assert _summary(doc) == EXPECTED  # counts not doubled
    copies = [i for i in doc["inputs"] if "identical copy of" in (i.get("reason") or "")]
    assert [c["name"] for c in copies] == [
        f"{HOST}_AuthZOptCh.evtx"
    ]  # the copy is listed with its reason, never dropped
    assert all(c["analysed"] for c in copies)  # its bytes were analysed (as the first copy): nothing was missed


def test_a_zip_beside_its_extracted_files_is_read_once(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    _problem_bundle(bundle)
    with zipfile.ZipFile(bundle / "C_NPS.zip", "w") as archive:
        for name in (OPT_FILE, "Security.evtx"):
            archive.write(bundle / name, f"C_NPS/{name}")
    assert _summary(_run(bundle, tmp_path / "out")) == EXPECTED


def _zip_folder(folder: Path, archive_path: Path) -> None:
    with zipfile.ZipFile(archive_path, "w") as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, f"{folder.name}/{file.name}")


def test_a_zip_beside_its_extracted_folder_is_one_bundle_not_two_servers(tmp_path: Path) -> None:
    """``C_NPS.zip`` and the ``C_NPS`` folder unpacked from it, side by side: one bundle, each incident once."""
    parent = tmp_path / "handover"
    _problem_bundle(parent / "C_NPS")
    _zip_folder(parent / "C_NPS", parent / "C_NPS.zip")
    assert bundle_paths([parent]) is None
    assert bundle_paths([parent / "C_NPS", parent / "C_NPS.zip"]) is None
    assert _summary(_run(parent, tmp_path / "out")) == EXPECTED


def test_a_zip_copy_among_several_servers_is_analysed_once(tmp_path: Path) -> None:
    parent = tmp_path / "fleet"
    _problem_bundle(parent / "NPS01")
    _zip_folder(parent / "NPS01", parent / "NPS01.zip")
    other = parent / "NPS02"
    other.mkdir()
    write_evtx(other / OPT_FILE, [_mfa(5, _accepted(CID_A, "bob@contoso.com"))])
    write_evtx(other / "Security.evtx", [_audit(6272, 6, "bob@contoso.com")])
    assert bundle_paths([parent]) == [parent / "NPS01", parent / "NPS01.zip", parent / "NPS02"]
    result = analyze_servers(bundle_paths([parent]) or [], tmp_path / "out")
    assert [analysis.bundle for _label, analysis in result.servers] == ["NPS01", "NPS02"]
    assert "NPS01.zip holds the same files as NPS01: analysed once, as NPS01." in result.combined.notes


def test_a_zip_with_other_files_than_its_namesake_folder_is_its_own_bundle(tmp_path: Path) -> None:
    parent = tmp_path / "handover"
    _problem_bundle(parent / "C_NPS")
    _zip_folder(parent / "C_NPS", parent / "C_NPS.zip")
    (parent / "C_NPS" / "notes.txt").write_text("collected again later\n", encoding="utf-8")
    assert bundle_paths([parent]) == [parent / "C_NPS", parent / "C_NPS.zip"]
