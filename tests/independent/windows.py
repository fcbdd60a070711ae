"""Windows event records written from Microsoft's documentation, not from our scenario generator.

Why a second writer: every other bundle the tests use comes from ``nps_trace_analyzer.synth.scenarios``, so the
readers had only ever seen our own idea of what Windows writes. These builders take the field names, their order
and the value shapes from public sources (cited per builder) and feed the EVTX writer directly.

Sources
-------
- NPS audit EventData names and order (6273, real XML posted on Microsoft Q&A 2617618 "Network Policy Server: No
  Domain Controller Available", quoted in ``docs/reference/domain-facts.md`` §4.2):
  https://learn.microsoft.com/en-us/answers/questions/2617618/network-policy-server-no-domain-controller-availab
- 6272 template (Quarantine Information Result / Session Identifier instead of Reason Code / Reason):
  https://learn.microsoft.com/en-us/previous-versions/windows/it-pro/windows-server-2008-r2-and-2008/cc735320(v=ws.10)
- 6278 template (NAP full access; Session Identifier, Help URL, System Health Validator Result(s)):
  https://learn.microsoft.com/en-us/previous-versions/windows/it-pro/windows-server-2008-R2-and-2008/cc735338(v=ws.10)
- 6272/6273 manifest data names incl. ``QuarantineState``/``QuarantineSessionIdentifier`` (manifest template quoted
  in a public log parser, ``MachineInventory`` between the machine name and ``CalledStationID``).
- System: ``<Provider Name="NPS" />``, ``<EventID Qualifiers="49152">4402</EventID>``, Level 2, one ``<Data>`` with
  the domain (same Q&A 2617618 post). Schannel 36871 "A fatal error occurred while creating a TLS client
  credential. The internal error state is 10013." (errors doc: "event ID 36871 with source SChannel is entered in
  the System log"): https://learn.microsoft.com/en-us/entra/identity/authentication/howto-mfa-nps-extension-errors
- AzureMfa message texts: real posts quoted in domain-facts §1.2 (E1 Microsoft Q&A 2074636, E3 radclient blog).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from nps_trace_analyzer.synth.evtx.writer import EvtxWriter
from nps_trace_analyzer.synth.spec import EventSpec

SECURITY_AUDITING = "Microsoft-Windows-Security-Auditing"
SECURITY_AUDITING_GUID = "{54849625-5478-4994-A5BA-3E3B0328C30D}"
NPS_TASK = 12552  # "Network Policy Server"
AUDIT_SUCCESS = 0x8020000000000000
AUDIT_FAILURE = 0x8010000000000000
SCHANNEL_GUID = "{1F678132-5938-4686-9FDC-C8FF68F15C85}"

# Values as the real 6273 of Q&A 2617618 shows them: "-" for empty, S-1-0-0 for "no SID".
_REQUEST_FIELDS = (
    "SubjectUserSid",
    "SubjectUserName",
    "SubjectDomainName",
    "FullyQualifiedSubjectUserName",
    "SubjectMachineSID",
    "SubjectMachineName",
    "FullyQualifiedSubjectMachineName",
    "MachineInventory",
    "CalledStationID",
    "CallingStationID",
    "NASIPv4Address",
    "NASIPv6Address",
    "NASIdentifier",
    "NASPortType",
    "NASPort",
    "ClientName",
    "ClientIPAddress",
    "ProxyPolicyName",
    "NetworkPolicyName",
    "AuthenticationProvider",
    "AuthenticationServer",
    "AuthenticationType",
    "EAPType",
    "AccountSessionIdentifier",
)


def nps_request(
    *,
    user: str,
    domain: str = "-",
    fq_user: str = "-",
    user_sid: str = "S-1-0-0",
    auth_type: str = "PAP",
    nas_ip: str = "10.0.0.5",
    client: str = "VPN-GW",
    network_policy: str = "VPN users",
) -> dict[str, str]:
    """The 24 request fields every 6272-6278 carries, "-" where Windows writes "-"."""
    values = {name: "-" for name in _REQUEST_FIELDS}
    values.update(
        SubjectUserSid=user_sid,
        SubjectUserName=user,
        SubjectDomainName=domain,
        FullyQualifiedSubjectUserName=fq_user,
        SubjectMachineSID="S-1-0-0",
        CallingStationID="203.0.113.7",
        NASIPv4Address=nas_ip,
        NASPortType="Virtual",
        NASPort="0",
        ClientName=client,
        ClientIPAddress=nas_ip,
        ProxyPolicyName="Use Windows authentication for all users",
        NetworkPolicyName=network_policy,
        AuthenticationProvider="Windows",
        AuthenticationServer="nps01.contoso.com",
        AuthenticationType=auth_type,
    )
    return values


def security(event_id: int, when: datetime, data: list[tuple[str | None, str]], *, failure: bool) -> EventSpec:
    """A Security-log NPS audit record: version 1, level 0, task 12552, audit success/failure keyword."""
    return EventSpec(
        provider=SECURITY_AUDITING,
        provider_guid=SECURITY_AUDITING_GUID,
        event_id=event_id,
        version=1,
        level=0,
        task=NPS_TASK,
        keywords=AUDIT_FAILURE if failure else AUDIT_SUCCESS,
        time=when,
        channel="Security",
        computer="nps01.contoso.com",
        process_id=720,
        thread_id=1324,
        event_data=tuple(data),
    )


def grant_6272(when: datetime, request: dict[str, str]) -> EventSpec:
    """6272: the request fields, then QuarantineState / QuarantineSessionIdentifier, then LoggingResult."""
    data = [*request.items(), ("QuarantineState", "Full Access"), ("QuarantineSessionIdentifier", "-")]
    data.append(("LoggingResult", "Accounting information was written to the local log file."))
    return security(6272, when, data, failure=False)


def full_access_6278(when: datetime, request: dict[str, str]) -> EventSpec:
    """6278 (NAP era): granted full access because the host met the health policy."""
    data = [
        *request.items(),
        ("QuarantineState", "Full Access"),
        ("ExtendedQuarantineState", "-"),
        ("QuarantineSessionID", "-"),
        ("QuarantineHelpURL", "-"),
        ("QuarantineSystemHealthResult", "-"),
    ]
    return security(6278, when, data, failure=False)


def denied_6273(when: datetime, request: dict[str, str], reason_code: int, reason: str) -> EventSpec:
    """6273: the request fields, ReasonCode, Reason, then LoggingResult last (Q&A 2617618 order)."""
    data = [*request.items(), ("ReasonCode", str(reason_code)), ("Reason", reason)]
    data.append(("LoggingResult", "Accounting information was written to the local log file."))
    return security(6273, when, data, failure=True)


def user_only(event_id: int, when: datetime, user: str, domain: str, fq_user: str) -> EventSpec:
    """6279/6280 (lock / unlock): only the User section."""
    data = [
        ("SubjectUserSid", "S-1-5-21-1004336348-1177238915-682003330-1105"),
        ("SubjectUserName", user),
        ("SubjectDomainName", domain),
        ("FullyQualifiedSubjectUserName", fq_user),
    ]
    return security(event_id, when, data, failure=event_id == 6279)


def nps_system(event_id: int, when: datetime, values: list[str], *, level: int = 2) -> EventSpec:
    """A classic "NPS" System event: severity in the qualifiers (49152 = error), unnamed Data values."""
    qualifiers = {2: 49152, 3: 32768}.get(level, 16384)
    return EventSpec(
        provider="NPS",
        event_source_name="NPS",
        event_id=event_id,
        qualifiers=qualifiers,
        level=level,
        keywords=0x80000000000000,
        time=when,
        channel="System",
        computer="nps01.contoso.com",
        event_data=tuple((None, v) for v in values),
    )


def schannel_36871(when: datetime) -> EventSpec:
    """Schannel 36871 as a TLS 1.2-disabled server logs it (error state 10013)."""
    return EventSpec(
        provider="Schannel",
        provider_guid=SCHANNEL_GUID,
        event_id=36871,
        level=2,
        keywords=0x8000000000000000,
        time=when,
        channel="System",
        computer="nps01.contoso.com",
        event_data=(("Type", "client"), ("ErrorState", "10013")),
    )


def azuremfa(when: datetime, channel: str, text: str, *, level: int = 4, event_id: int = 1) -> EventSpec:
    """An extension event: the whole message as one unnamed Data string (the classic EventSource form)."""
    return EventSpec(
        provider="Microsoft-AzureMfa-AuthZ",
        event_id=event_id,
        level=level,
        time=when,
        channel=f"Microsoft-AzureMfa-AuthZ/{channel}",
        computer="nps01.contoso.com",
        event_data=((None, text),),
    )


def write(path: Path, specs: list[EventSpec]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with EvtxWriter(path) as writer:
        for spec in sorted(specs, key=lambda s: s.time):
            writer.write(spec)
    return path


def dts_row(timestamp: str, packet_type: int, extra: str = "", *, reason_code: int = 0) -> str:
    """One DTS-compliant accounting row, element names and data_type values as in the real 2014 log published with
    macmule.com's material (``tests/data/text/npslog/IN1405_dts_macmule.log``); Authentication-Type 1 = PAP."""
    return (
        f'<Event><Timestamp data_type="4">{timestamp}</Timestamp><Computer-Name data_type="1">NPS01</Computer-Name>'
        f'<Event-Source data_type="1">IAS</Event-Source>{extra}'
        '<Client-IP-Address data_type="3">10.0.0.5</Client-IP-Address><Client-Vendor data_type="0">0</Client-Vendor>'
        '<Client-Friendly-Name data_type="1">VPN-GW</Client-Friendly-Name>'
        '<Authentication-Type data_type="0">1</Authentication-Type>'
        f'<Packet-Type data_type="0">{packet_type}</Packet-Type><Reason-Code data_type="0">{reason_code}</Reason-Code>'
        "</Event>"
    )


def dts_request(user: str) -> str:
    return (
        f'<User-Name data_type="1">{user}</User-Name><NAS-IP-Address data_type="3">10.0.0.5</NAS-IP-Address>'
        '<Calling-Station-Id data_type="1">203.0.113.7</Calling-Station-Id>'
    )


def dts_answer(fq_user: str) -> str:
    return f'<Fully-Qualifed-User-Name data_type="1">{fq_user}</Fully-Qualifed-User-Name>'
