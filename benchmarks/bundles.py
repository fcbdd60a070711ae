"""Benchmark bundles: a busy server's Security.evtx and the extension-heavy worst case.

busy  — ``Security.evtx`` of a configurable size as a busy NPS server (often also a domain member doing its own
        logons) writes it: ~97 % audit events that have nothing to do with NPS, each with the Data names Windows
        writes for that event (4624 logon, 4634 logoff, 4672 special privileges, 4688 process creation, 4776
        credential validation, 5156 WFP connection allowed), ~3 % NPS audits 6272/6273/6274/6278; plus
        ``NPS01_AuthZOptCh.evtx``: a challenge for a quarter of the sign-ins and, for each MFA rejection, an
        "Access Rejected" whose 6273 (reason 21) follows in the Security log.
worst — one ``NPS01_AuthZOptCh.evtx`` of extension records only (default 300 k): every sign-in is a challenge and
        then either the extension's "AccessChallenge, ignoring request" (an EAP round, the usual noise) or, for
        10 % of the records, a failure ("Access Rejected" with a response code, or an ErrorCode exception with an
        AADSTS code), so every failure is an incident: the most per-record work the tool can be given.

Texts come from the scenario generator (``synth.scenarios.texts``, built from real product samples); records are
written by the project's own EVTX writer. Output depends on the arguments only (seeded).
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from nps_trace_analyzer.synth.evtx.writer import EvtxWriter
from nps_trace_analyzer.synth.scenarios import texts
from nps_trace_analyzer.synth.scenarios.events import (
    GRANTED_TAIL,
    KEYWORDS_AUDIT_FAILURE,
    KEYWORDS_AUDIT_SUCCESS,
    NPS_TASK,
    REJECT_TAIL,
    SECURITY_COMMON_FIELDS,
    SECURITY_GUID,
    SECURITY_PROVIDER,
)
from nps_trace_analyzer.synth.spec import EventSpec

START = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
COMPUTER = "NPS01.contoso.local"
REASON_TEXT = {
    16: "Authentication failed due to a user credentials mismatch. Either the user name provided does not map to "
    "an existing user account or the password was incorrect.",
    21: "An NPS extension dynamic link library (DLL) that is installed on the NPS server rejected the connection "
    "request.",
    48: "The connection request did not match any configured network policy.",
}

# Data names Windows writes for these Security events (Microsoft's audit event documentation, one per event).
NOISE_NAMES: dict[int, tuple[str, ...]] = {
    4624: (
        "SubjectUserSid SubjectUserName SubjectDomainName SubjectLogonId TargetUserSid TargetUserName "
        "TargetDomainName TargetLogonId LogonType LogonProcessName AuthenticationPackageName WorkstationName "
        "LogonGuid TransmittedServices LmPackageName KeyLength ProcessId ProcessName IpAddress IpPort "
        "ImpersonationLevel RestrictedAdminMode TargetOutboundUserName TargetOutboundDomainName VirtualAccount "
        "TargetLinkedLogonId ElevatedToken"
    ).split(),
    4634: "TargetUserSid TargetUserName TargetDomainName TargetLogonId LogonType".split(),
    4672: "SubjectUserSid SubjectUserName SubjectDomainName SubjectLogonId PrivilegeList".split(),
    4688: (
        "SubjectUserSid SubjectUserName SubjectDomainName SubjectLogonId NewProcessId NewProcessName "
        "TokenElevationType ProcessId CommandLine TargetUserSid TargetUserName TargetDomainName TargetLogonId "
        "ParentProcessName MandatoryLabel"
    ).split(),
    4776: "PackageName TargetUserName Workstation Status".split(),
    5156: (
        "ProcessID Application Direction SourceAddress SourcePort DestAddress DestPort Protocol FilterRTID "
        "LayerName LayerRTID RemoteUserID RemoteMachineID"
    ).split(),
}
NOISE_MIX = (4624, 4624, 4634, 4634, 4672, 4688, 4776, 4776, 5156, 5156, 5156, 5156)


def _noise(rng: random.Random, when: datetime) -> EventSpec:
    event_id = rng.choice(NOISE_MIX)
    names = NOISE_NAMES[event_id]
    n = rng.randrange(100_000)
    values = {
        "SubjectUserSid": "S-1-5-18",
        "SubjectUserName": "NPS01$",
        "SubjectDomainName": "CONTOSO",
        "SubjectLogonId": "0x3e7",
        "TargetUserSid": f"S-1-5-21-3623811015-3361044348-30300820-{1000 + n % 5000}",
        "TargetUserName": f"svc{n % 60}",
        "TargetDomainName": "CONTOSO",
        "TargetLogonId": f"0x{n * 7919:x}",
        "LogonType": "3",
        "LogonProcessName": "Kerberos",
        "AuthenticationPackageName": "Kerberos",
        "WorkstationName": "-",
        "LogonGuid": str(uuid.UUID(int=n * 104729)).upper().join("{}"),
        "IpAddress": f"10.0.{n % 250}.{n % 200}",
        "IpPort": str(49152 + n % 16000),
        "ImpersonationLevel": "%%1833",
        "PrivilegeList": "SeSecurityPrivilege\r\n\t\t\tSeBackupPrivilege\r\n\t\t\tSeRestorePrivilege",
        "NewProcessName": "C:\\Windows\\System32\\svchost.exe",
        "ProcessName": "C:\\Windows\\System32\\lsass.exe",
        "CommandLine": "C:\\Windows\\system32\\svchost.exe -k netsvcs -p",
        "ParentProcessName": "C:\\Windows\\System32\\services.exe",
        "MandatoryLabel": "S-1-16-16384",
        "PackageName": "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0",
        "Workstation": f"WS{n % 900:04d}",
        "Status": "0x0",
        "Application": "\\device\\harddiskvolume2\\windows\\system32\\svchost.exe",
        "Direction": "%%14592",
        "SourceAddress": f"10.0.{n % 250}.{n % 200}",
        "DestAddress": "10.0.0.5",
        "DestPort": "1812",
        "Protocol": "17",
        "LayerName": "%%14610",
    }
    data = tuple((name, values.get(name, str(n % 9000))) for name in names)
    return EventSpec(
        provider=SECURITY_PROVIDER,
        provider_guid=SECURITY_GUID,
        event_id=event_id,
        version=2 if event_id in (4624, 4688) else 0,
        level=0,
        task={4624: 12544, 4634: 12545, 4672: 12548, 4688: 13312, 4776: 14336, 5156: 12810}[event_id],
        keywords=KEYWORDS_AUDIT_SUCCESS,
        time=when,
        channel="Security",
        computer=COMPUTER,
        process_id=612 if event_id != 5156 else 4,
        thread_id=640 + n % 40,
        event_data=data,
    )


def _nps_audit(i: int, when: datetime, user: str, event_id: int, reason: int | None) -> EventSpec:
    values = [
        "S-1-5-21-3623811015-3361044348-30300820-1104",
        user,
        "CONTOSO",
        f"CONTOSO\\{user}",
        "S-1-0-0",
        "-",
        "-",
        "-",
        "-",
        f"10.1.{i % 250}.{i % 200}",
        "10.0.0.5",
        "-",
        "vpn01",
        "Virtual",
        "0",
        "VPN01",
        "10.0.0.5",
        "Use Windows authentication for all users",
        "VPN users",
        "Windows",
        COMPUTER,
        "PAP",
        "-",
        "-",
    ]
    if reason is None:
        names = SECURITY_COMMON_FIELDS + GRANTED_TAIL
        values += ["Full Access" if event_id == 6272 else "Not Applicable", "-"]
    else:
        names = SECURITY_COMMON_FIELDS + REJECT_TAIL
        values += [str(reason), REASON_TEXT[reason], "Accounting information was written to the local log file."]
    return EventSpec(
        provider=SECURITY_PROVIDER,
        provider_guid=SECURITY_GUID,
        event_id=event_id,
        version=1,
        level=0,
        task=NPS_TASK,
        keywords=KEYWORDS_AUDIT_SUCCESS if reason is None else KEYWORDS_AUDIT_FAILURE,
        time=when,
        channel="Security",
        computer=COMPUTER,
        process_id=612,
        thread_id=700 + i % 13,
        event_data=tuple(zip(names, values, strict=True)),
    )


def _mfa(when: datetime, text: str, level: int = 4) -> EventSpec:
    return EventSpec(
        provider="Microsoft-AzureMfa-AuthZ",
        event_id=1 if level == 4 else 3,
        level=level,
        time=when,
        channel="AuthZOptCh",
        computer=COMPUTER,
        event_data=((None, text),),
    )


def write_busy(folder: Path, security_mb: int, seed: int = 7) -> None:
    """Security.evtx of ``security_mb`` MB (97 % unrelated audit events) and the AuthZOptCh log of its sign-ins."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    sec_path = folder / "Security.evtx"
    with EvtxWriter(sec_path) as sec, EvtxWriter(folder / "NPS01_AuthZOptCh.evtx") as authz:
        i = 0
        while True:
            when = START + timedelta(milliseconds=25 * i)
            if rng.random() >= 0.03:
                sec.write(_noise(rng, when))
            else:
                user = f"user{rng.randrange(5000):04d}"
                cid = str(uuid.UUID(int=rng.getrandbits(128)))
                roll = rng.random()
                if roll < 0.25 or roll >= 0.93:  # an MFA challenge first
                    authz.write(_mfa(when, texts.challenge_requested(cid, f"{user}@contoso.com", cid)))
                if roll >= 0.93:  # the MFA service rejected: Access Rejected, then 6273 reason 21
                    response = rng.choice(("UserNotFound", "OathCodeIncorrect", "AuthenticationMethodNotConfigured"))
                    authz.write(
                        _mfa(
                            when + timedelta(seconds=20),
                            texts.access_rejected(cid, f"{user}@contoso.com", response, "MFA rejected the request"),
                        )
                    )
                    sec.write(_nps_audit(i, when + timedelta(seconds=21), user, 6273, 21))
                elif roll >= 0.90:
                    sec.write(_nps_audit(i, when, user, 6273, rng.choice((16, 48))))
                elif roll >= 0.89:
                    sec.write(_nps_audit(i, when, user, 6274, 48))
                elif roll >= 0.85:
                    sec.write(_nps_audit(i, when, user, 6278, None))
                else:
                    sec.write(_nps_audit(i, when + timedelta(seconds=1), user, 6272, None))
            i += 1
            if i % 20_000 == 0 and sec_path.stat().st_size >= security_mb * 1024**2:
                break


def write_worst(folder: Path, records: int = 300_000, seed: int = 11, all_failures: bool = False) -> None:
    """One AuthZOptCh.evtx of ``records`` extension records, 10 % of them failures. With ``all_failures`` every
    record is a failed sign-in of its own, with no challenge before it: each record is an incident, the most
    incidents (and engine memory) a bundle of that size can ask for."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    with EvtxWriter(folder / "NPS01_AuthZOptCh.evtx") as authz:
        written = 0
        i = 0
        while written < records:
            when = START + timedelta(seconds=2 * i)
            user = f"user{rng.randrange(20000):05d}@contoso.com"
            cid = str(uuid.UUID(int=rng.getrandbits(128)))
            if not all_failures:
                authz.write(_mfa(when, texts.challenge_requested(cid, user, cid)))
            later = when + timedelta(seconds=15)
            if all_failures or rng.random() < 0.2:  # 20 % of the two-record sign-ins fail = 10 % of the records
                if rng.random() < 0.5:
                    response = rng.choice(("UserNotFound", "OathCodeIncorrect", "AuthenticationMethodNotConfigured"))
                    text = texts.access_rejected(cid, user, response, "MFA rejected the request")
                else:
                    text = texts.exception_in_authentication(
                        cid,
                        user,
                        "ESTS_TOKEN_ERROR",
                        "Error in retreiving token from eSTS: AADSTS7000112: Application is disabled. Trace ID: "
                        f"{uuid.UUID(int=rng.getrandbits(128))} Correlation ID: {cid} Timestamp: 2026-03-02 06:00:00Z",
                    )
                authz.write(_mfa(later, text, level=2))
            else:
                authz.write(_mfa(later, texts.secondary_auth_ignored(user, "AccessChallenge"), level=4))
            written += 1 if all_failures else 2
            i += 1


def replicate(source: Path, folder: Path, times: int) -> None:
    """Each .evtx of ``source`` with its chunks repeated ``times`` times (e.g. 4 x 256 MB = a 1 GB Security.evtx).

    Writing a 1 GB log record by record takes our writer ~20 minutes on a shared 2-core machine; repeating whole
    64 KiB chunks behind the file header gives a valid file of the same mix in seconds. Record ids and times repeat
    in each copy, which changes nothing for throughput or memory: every copy is read, filtered, and correlated.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.evtx")):
        data = path.read_bytes()
        header, chunks = data[:4096], data[4096:]
        chunks = chunks[: len(chunks) // 65536 * 65536]
        with (folder / path.name).open("wb") as out:
            out.write(header)
            for _ in range(times):
                out.write(chunks)
