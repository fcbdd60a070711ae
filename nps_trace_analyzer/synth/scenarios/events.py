"""EventSpec factories: one function per kind of record the scenarios write.

Each function fixes the System fields the way Windows writes that record (provider, GUID, version, level,
task, keywords, qualifiers) so that scenario code only says *what* happened. Field layouts follow
domain-facts.md §4.2 (Security 6272/6273/6274, exact Data names and order), §4.3 (System NPS events:
classic provider "NPS", qualifiers carrying the severity), §4.4 (Schannel 36871) and, for the AzureMfa
channels whose layout is not public, :class:`~nps_trace_analyzer.synth.scenarios.world.MfaLayout`.
"""

from __future__ import annotations

import random
import re
import zlib
from datetime import datetime

from nps_trace_analyzer.synth.scenarios.texts import LOGGING_RESULT, PREFIX, REASONS
from nps_trace_analyzer.synth.scenarios.world import (
    CRP_NAME,
    LOCAL_SYSTEM_SID,
    NETBIOS_DOMAIN,
    NETWORK_SERVICE_SID,
    NULL_SID,
    MfaLayout,
    Nas,
    User,
)
from nps_trace_analyzer.synth.spec import EventSpec

SECURITY_PROVIDER = "Microsoft-Windows-Security-Auditing"
SECURITY_GUID = "{54849625-5478-4994-A5BA-3E3B0328C30D}"
NPS_TASK = 12552
KEYWORDS_AUDIT_SUCCESS = 0x8020000000000000
KEYWORDS_AUDIT_FAILURE = 0x8010000000000000
KEYWORDS_CLASSIC = 0x80000000000000
SCHANNEL_GUID = "{1F678132-5938-4686-9FDC-C8FF68F15C85}"

# Data names of Security 6272/6273/6274, in the order Windows writes them (domain-facts §4.2).
SECURITY_COMMON_FIELDS: tuple[str, ...] = (
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
GRANTED_TAIL: tuple[str, ...] = ("QuarantineState", "QuarantineSessionIdentifier")
REJECT_TAIL: tuple[str, ...] = ("ReasonCode", "Reason", "LoggingResult")

# Severity bits of a classic message id, as the System log shows them in <EventID Qualifiers=...>.
QUALIFIERS = {2: 49152, 3: 32768, 4: 16384}

# Where the split EventData layout cuts a message: at the single space before one of these grammar tokens.
_SPLIT_BEFORE = re.compile(
    r" (?=CID:|:Exception|: Challenge|: Access|ErrorCode::|Msg::|and message:|with state |Request received|"
    r"Enter ERROR_CODE)"
)


# The insertion strings of the messages that carry a code (E3/E4/E5 grammar, and the success result).
_INSERTION_FORMS = (
    re.compile(
        r"CID: (?P<cid>\S+) :Exception in Authentication Ext for User (?P<user>.+?) :: ErrorCode:: CID :\S+ "
        r"(?P<code>\S+) Msg:: (?P<msg>.*)",
        re.DOTALL,
    ),
    re.compile(
        r"CID: (?P<cid>\S+) : Access (?:Rejected|Accepted) for user (?P<user>.+?) with Azure MFA response: "
        r"(?P<code>\S+) and message: (?P<msg>.*)",
        re.DOTALL,
    ),
    re.compile(r"(?P<context>[^:]+)::  ?ErrorCode:: (?P<code>\S+) Msg:: (?P<msg>.*)", re.DOTALL),
)


def _seeded_order(message: str, pieces: list[str]) -> list[str]:
    """``pieces`` in an order that depends on the message only (never on the bundle's random stream)."""
    order = list(pieces)
    random.Random(zlib.crc32(message.encode("utf-8"))).shuffle(order)
    return order


def _insertion_strings(message: str) -> list[str] | None:
    """The values a manifest-based provider would log for ``message``, or None if it carries no code."""
    for form in _INSERTION_FORMS:
        if m := form.search(message):
            return [value.strip() for value in m.groupdict().values() if value and value.strip()]
    return None


def split_message(message: str, layout: MfaLayout) -> tuple[tuple[str | None, str], ...]:
    """EventData items for an AzureMfa message under ``layout`` (see :class:`MfaLayout`).

    Cuts drop exactly one space, so ``" ".join(values)`` restores the message; odd spacing inside the message
    survives as leading/trailing spaces of a piece. "split-noprefix" drops the prefix piece and the spaces
    that followed it, as a message template holding "NPS Extension for Azure MFA: " would.
    """
    if layout.data == "single":
        return ((None, message),)
    if layout.data == "tokens":
        return tuple((None, word) for word in message.split())
    if layout.data == "insertion" and (values := _insertion_strings(message)) is not None:
        return tuple((None, value) for value in _seeded_order(message, values))
    cuts: list[int] = []
    if message.startswith(PREFIX + " "):
        cuts.append(len(PREFIX))
    for match in _SPLIT_BEFORE.finditer(message):
        if not cuts or match.start() > cuts[-1] + 1:
            cuts.append(match.start())
    pieces: list[str] = []
    begin = 0
    for cut in cuts:
        pieces.append(message[begin:cut])
        begin = cut + 1
    pieces.append(message[begin:])
    if layout.data.endswith("-noprefix") and len(pieces) > 1 and pieces[0] == PREFIX:
        pieces = [pieces[1].lstrip(" "), *pieces[2:]]
    if layout.data.startswith("shuffled"):
        pieces = _seeded_order(message, pieces)
    return tuple((None, piece) for piece in pieces)


def azuremfa(
    layout: MfaLayout,
    log: str,
    *,
    event_id: int,
    level: int,
    time: datetime,
    ticks: int,
    computer: str,
    message: str,
    thread_id: int,
    process_id: int,
) -> EventSpec:
    """An AzureMfa AuthN/AuthZ event in ``log`` ("AuthNOptCh", "AuthZOptCh", "AuthZAdminCh")."""
    provider, guid = layout.provider(log)
    keywords = 0x8000000000000000 if log.endswith("AdminCh") else 0x4000000000000000
    return EventSpec(
        provider=provider,
        provider_guid=guid,
        event_id=event_id,
        level=level,
        keywords=keywords,
        time=time,
        time_ticks=ticks,
        channel=layout.channel(log),
        computer=computer,
        process_id=process_id,
        thread_id=thread_id,
        user_sid=NETWORK_SERVICE_SID,
        event_data=split_message(message, layout),
        extra={"message": message},  # the whole text, for the extension's own trace (NPSExtension.etl)
    )


def security_nps(
    event_id: int,
    *,
    time: datetime,
    ticks: int,
    computer: str,
    user: User,
    nas: Nas,
    calling_station: str,
    nas_port: str,
    thread_id: int,
    process_id: int,
    activity_id: str,
    reason: int | None = None,
    user_known: bool = True,
    policy: str | None = None,
) -> EventSpec:
    """Security 6272 (granted; ``reason`` None), 6273 (denied) or 6274 (discarded)."""
    if (event_id == 6272) != (reason is None):
        raise ValueError("6272 takes no reason code; 6273/6274 need one")
    values: list[str] = [
        user.sid if user_known else NULL_SID,
        user.name,
        NETBIOS_DOMAIN,
        user.qualified if user_known else "-",
        NULL_SID,
        "-",
        "-",
        "-",
        nas.called,
        calling_station,
        nas.nas_ip,
        "-",
        nas.nas_id,
        nas.port_type,
        nas_port,
        nas.friendly,
        nas.ip,
        CRP_NAME,
        nas.policy if policy is None else policy,
        "Windows",
        computer,
        nas.auth_type,
        nas.eap_type,
        "-",
    ]
    if reason is None:
        names = SECURITY_COMMON_FIELDS + GRANTED_TAIL
        values += ["Full Access", "-"]
        keywords = KEYWORDS_AUDIT_SUCCESS
    else:
        names = SECURITY_COMMON_FIELDS + REJECT_TAIL
        values += [str(reason), REASONS[reason], LOGGING_RESULT]
        keywords = KEYWORDS_AUDIT_FAILURE
    return EventSpec(
        provider=SECURITY_PROVIDER,
        provider_guid=SECURITY_GUID,
        event_id=event_id,
        version=1,
        level=0,
        task=NPS_TASK,
        keywords=keywords,
        time=time,
        time_ticks=ticks,
        channel="Security",
        computer=computer,
        process_id=process_id,
        thread_id=thread_id,
        activity_id=activity_id,
        event_data=tuple(zip(names, values, strict=True)),
    )


def system_nps(
    event_id: int, *, level: int, time: datetime, ticks: int, computer: str, data: tuple[str, ...]
) -> EventSpec:
    """A System-log event of the classic "NPS" source: unnamed insertion strings, severity in Qualifiers."""
    return EventSpec(
        provider="NPS",
        event_id=event_id,
        qualifiers=QUALIFIERS[level],
        level=level,
        keywords=KEYWORDS_CLASSIC,
        time=time,
        time_ticks=ticks,
        channel="System",
        computer=computer,
        event_data=tuple((None, value) for value in data),
    )


def schannel_36871(
    *, time: datetime, ticks: int, computer: str, thread_id: int, process_id: int, error_state: str = "10013"
) -> EventSpec:
    """Schannel 36871 "A fatal error occurred while creating a TLS client credential" (TLS 1.2 disabled)."""
    return EventSpec(
        provider="Schannel",
        provider_guid=SCHANNEL_GUID,
        event_id=36871,
        level=2,
        time=time,
        time_ticks=ticks,
        channel="System",
        computer=computer,
        process_id=process_id,
        thread_id=thread_id,
        user_sid=LOCAL_SYSTEM_SID,
        event_data=(("Type", "client"), ("ErrorState", error_state)),
    )
