"""NPS audit and System event fields read from every form a real copy takes, not only from our writer's form.

Test data and their sources
---------------------------
- ``QA_2617618``: the EventData of a real 6273 posted on Microsoft Q&A, question 2617618 ("Network Policy Server:
  No Domain Controller Available"): names and order exactly as posted, and the posted values of ReasonCode (7),
  Reason, AuthenticationProvider, AuthenticationType (PEAP), EAPType, NASPortType, LoggingResult, "-" for empty
  and S-1-0-0; the user, addresses, station ids and policy name are our placeholders (the post's are redacted).
  Quoted in ``docs/reference/domain-facts.md`` §4.2.
  https://learn.microsoft.com/en-us/answers/questions/2617618/network-policy-server-no-domain-controller-availab
- The rendered message layout of 6273 (labels, sections): TechNet cc735399,
  https://learn.microsoft.com/en-us/previous-versions/windows/it-pro/windows-server-2008-r2-and-2008/cc735399(v=ws.10)
  with "Connection Request Policy Name" and "Logging Results" as newer builds print them; the Reason 21 sentence
  from https://github.com/MicrosoftDocs/azure-docs/issues/55499 .
- Event Viewer shows the Security provider as "Microsoft Windows security auditing." (its display name) in its
  General tab and text exports; 4402 with ``Qualifiers="49152"`` (0xC000) is the Q&A 2617618 System event, whose
  32-bit id 0xC0001132 = 3221229874 is what tools that fold the qualifiers print.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest

from nps_trace_analyzer.core.model import Event
from nps_trace_analyzer.extract.nps_audit import is_nps_audit, nps_audit_fields, system_code

QA_2617618 = (
    ("SubjectUserSid", "S-1-0-0"),
    ("SubjectUserName", "user@contoso.local"),
    ("SubjectDomainName", "-"),
    ("FullyQualifiedSubjectUserName", "-"),
    ("SubjectMachineSID", "S-1-0-0"),
    ("SubjectMachineName", "-"),
    ("FullyQualifiedSubjectMachineName", "-"),
    ("MachineInventory", "-"),
    ("CalledStationID", "AA-BB-CC-DD-EE-FF:corp-wifi"),
    ("CallingStationID", "11-22-33-44-55-66"),
    ("NASIPv4Address", "10.1.1.2"),
    ("NASIPv6Address", "-"),
    ("NASIdentifier", "AP01"),
    ("NASPortType", "Wireless - IEEE 802.11"),
    ("NASPort", "1"),
    ("ClientName", "WLC"),
    ("ClientIPAddress", "10.1.1.2"),
    ("ProxyPolicyName", "Secure Wireless Connections"),
    ("NetworkPolicyName", "-"),
    ("AuthenticationProvider", "Windows"),
    ("AuthenticationServer", "NPS01.contoso.local"),
    ("AuthenticationType", "PEAP"),
    ("EAPType", "Microsoft: Secured password (EAP-MSCHAP v2)"),
    ("AccountSessionIdentifier", "-"),
    ("ReasonCode", "7"),
    ("Reason", "The specified domain does not exist."),
    ("LoggingResult", "Accounting information was written to the local log file."),
)
EXPECTED = {
    "user": "user@contoso.local",
    "calling_station": "11-22-33-44-55-66",
    "called_station": "AA-BB-CC-DD-EE-FF:corp-wifi",
    "nas_ip": "10.1.1.2",
    "nas_identifier": "AP01",
    "nas_port_type": "Wireless - IEEE 802.11",
    "radius_client": "WLC",
    "radius_client_ip": "10.1.1.2",
    "proxy_policy": "Secure Wireless Connections",
    "auth_provider": "Windows",
    "auth_server": "NPS01.contoso.local",
    "auth_type": "PEAP",
    "eap_type": "Microsoft: Secured password (EAP-MSCHAP v2)",
    "reason_code": "7",
    "reason": "The specified domain does not exist.",
}

# The same request rendered as cc735399 lays it out (newer builds' labels), as a post copies it.
RENDERED_21 = """Network Policy Server denied access to a user.

Contact the Network Policy Server administrator for more information.

User:
\tSecurity ID:\t\t\tNULL SID
\tAccount Name:\t\t\talice@contoso.com
\tAccount Domain:\t\t\tCONTOSO
\tFully Qualified Account Name:\tCONTOSO\\alice

Client Machine:
\tSecurity ID:\t\t\tNULL SID
\tAccount Name:\t\t\t-
\tFully Qualified Account Name:\t-
\tCalled Station Identifier:\t\t-
\tCalling Station Identifier:\t\t203.0.113.7

NAS:
\tNAS IPv4 Address:\t\t10.0.0.5
\tNAS IPv6 Address:\t\t-
\tNAS Identifier:\t\t\t-
\tNAS Port-Type:\t\t\tVirtual
\tNAS Port:\t\t\t0

RADIUS Client:
\tClient Friendly Name:\t\tRDGW
\tClient IP Address:\t\t\t10.0.0.5

Authentication Details:
\tConnection Request Policy Name:\tUse Windows authentication for all users
\tNetwork Policy Name:\t\t-
\tAuthentication Provider:\t\tWindows
\tAuthentication Server:\t\tnps01.contoso.com
\tAuthentication Type:\t\tPAP
\tEAP Type:\t\t\t-
\tAccount Session Identifier:\t\t-
\tLogging Results:\t\t\tAccounting information was written to the local log file.
\tReason Code:\t\t\t21
\tReason:\t\t\t\t{REASON_21}
""".format(
    REASON_21="An NPS extension dynamic link library (DLL) that is installed on the NPS server rejected the "
    "connection request."
)


def _event(
    data: tuple[tuple[str | None, str], ...], *, event_id: int = 6273, text: str = "", provider: str = ""
) -> Event:
    return Event(
        time=datetime(2025, 3, 12, 13, 4, tzinfo=timezone.utc),
        source_file="Security.evtx",
        channel="Security",
        provider=provider or "Microsoft-Windows-Security-Auditing",
        event_id=event_id,
        level=0,
        record_id=1,
        computer="NPS01.contoso.local",
        data=data,
        text=text,
    )


def test_real_6273_named_data() -> None:
    fields = nps_audit_fields(_event(QA_2617618))
    assert {k: fields.get(k) for k in EXPECTED} == EXPECTED
    # "-" is Windows' empty value: no domain, no account, no policy
    assert not {"domain", "account", "network_policy", "client_machine", "session_id"} & set(fields)


def test_data_names_in_another_case_are_the_same_fields() -> None:
    lowered = tuple((name.lower(), value) for name, value in QA_2617618)
    upper = tuple((name.upper(), value) for name, value in QA_2617618)
    assert nps_audit_fields(_event(lowered)) == nps_audit_fields(_event(QA_2617618))
    assert nps_audit_fields(_event(upper)) == nps_audit_fields(_event(QA_2617618))


def test_unnamed_values_are_placed_by_the_documented_order() -> None:
    positional = tuple((None, value) for _name, value in QA_2617618)
    assert nps_audit_fields(_event(positional)) == nps_audit_fields(_event(QA_2617618))


def test_too_few_unnamed_values_are_not_guessed() -> None:
    fields = nps_audit_fields(_event(((None, "alice"), (None, "21"))))
    assert "reason_code" not in fields and "user" not in fields


@pytest.mark.parametrize("flatten", [False, True], ids=["lines", "one-line copy"])
def test_rendered_message_only(flatten: bool) -> None:
    text = " ".join(RENDERED_21.split()) if flatten else RENDERED_21
    fields = nps_audit_fields(_event(((None, text),), text=text))
    assert fields["reason_code"] == "21"
    assert fields["user"] == "alice@contoso.com"  # User section's Account Name, not the Client Machine's "-"
    assert fields["account"] == "CONTOSO\\alice"
    assert fields["domain"] == "CONTOSO"
    assert fields["auth_type"] == "PAP"
    assert fields["proxy_policy"] == "Use Windows authentication for all users"
    assert fields["nas_ip"] == "10.0.0.5"
    assert fields["reason"].startswith("An NPS extension dynamic link library")
    assert "network_policy" not in fields


def test_rendered_message_fills_only_what_the_named_data_lacks() -> None:
    # A copy that kept a few names but carries the reason only in its message text.
    data = (("SubjectUserName", "alice@contoso.com"), ("AuthenticationType", "PAP"))
    fields = nps_audit_fields(_event(data, text=RENDERED_21))
    assert fields["reason_code"] == "21"
    assert fields["user"] == "alice@contoso.com" and fields["auth_type"] == "PAP"
    # complete data: the text is not consulted, even when it says something else
    fields = nps_audit_fields(_event(QA_2617618, text=RENDERED_21))
    assert fields["reason_code"] == "7" and "account" not in fields


def test_user_falls_back_to_the_fully_qualified_name_and_to_account_name() -> None:
    data = (("SubjectUserName", "-"), ("FullyQualifiedSubjectUserName", "CONTOSO\\bob"), ("ReasonCode", "16"))
    assert nps_audit_fields(_event(data))["user"] == "CONTOSO\\bob"
    assert nps_audit_fields(_event((("AccountName", "bob@contoso.com"),)))["user"] == "bob@contoso.com"


@pytest.mark.parametrize("value", ["21", " 21 ", "Reason Code: 21", "21 (0x15)"])
def test_reason_code_forms(value: str) -> None:
    assert nps_audit_fields(_event((("ReasonCode", value),)))["reason_code"] == "21"


@pytest.mark.parametrize(
    "provider",
    [
        "Microsoft-Windows-Security-Auditing",
        "microsoft-windows-security-auditing",
        "Microsoft Windows security auditing.",
    ],
)
def test_security_provider_forms(provider: str) -> None:
    assert is_nps_audit(_event(QA_2617618, provider=provider))


def test_a_copy_without_provider_is_known_by_its_security_channel() -> None:
    event = _event(QA_2617618, provider=" ")
    assert is_nps_audit(event)
    assert not is_nps_audit(dataclasses.replace(event, channel="Application"))


def test_other_security_events_are_not_nps_audits() -> None:
    assert not is_nps_audit(_event(QA_2617618, event_id=4625))
    assert not is_nps_audit(_event(QA_2617618, provider="Microsoft-Windows-Eventlog"))


@pytest.mark.parametrize(
    ("provider", "event_id", "code"),
    [
        ("NPS", 4402, "SYSTEM-NPS-4402"),
        ("NPS", 0xC0001132, "SYSTEM-NPS-4402"),  # the 32-bit id with the error qualifiers folded in
        ("IAS", 13, "SYSTEM-NPS-13"),  # Server 2003's provider name
        ("nps", 18, "SYSTEM-NPS-18"),
        ("Schannel", 36871, "SYSTEM-SCHANNEL-36871"),
        ("SChannel", 36871, "SYSTEM-SCHANNEL-36871"),  # as the extension's errors doc spells it
        ("Microsoft-Windows-Schannel-Events", 36887, "SYSTEM-SCHANNEL-36887"),
        ("Service Control Manager", 7036, None),
    ],
)
def test_system_codes(provider: str, event_id: int, code: str | None) -> None:
    event = Event(
        time=datetime(2025, 3, 12, tzinfo=timezone.utc),
        source_file="System.evtx",
        channel="System",
        provider=provider,
        event_id=event_id,
        level=2,
        record_id=1,
        computer="NPS01",
    )
    assert system_code(event) == code
