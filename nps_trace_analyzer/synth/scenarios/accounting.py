"""The NPS accounting log (``IN<yymmdd>.log``, database-compatible format) of a bundle's RADIUS traffic.

Why: admins add these logs to a bundle, and they are the one place that names each attempt's authentication
type (PAP, MS-CHAP v2, PEAP): the evidence that an OTP user came through a client that cannot answer an
Access-Challenge (domain-facts §7). Rows come from the same wire records as the capture, so both agree.

NPS writes one row per request it processed and one per answer (Access-Accept/-Reject/-Challenge); a
request it dropped before processing (unknown client, bad Message-Authenticator) or discarded gets no
answer row. The User-Name is only on the request row; the answer row carries the account NPS resolved,
the policy, the reason code and the Class attribute (``311 1 <NPS address> <date time> <n>``). Times are the
server's local time with no zone; the generator's server runs on UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from nps_trace_analyzer.synth.scenarios.wire import Attempt
from nps_trace_analyzer.synth.scenarios.world import CRP_NAME, DNS_DOMAIN, NPS_ADDRESS

# NPS Authentication-Type values (domain-facts §7.1).
AUTH_TYPE = {"PAP": 1, "MS-CHAPv2": 4, "PEAP": 11, "EAP": 5}
# RADIUS NAS-Port-Type values for the Security log's port type strings.
PORT_TYPE = {"Virtual": 5, "Wireless - IEEE 802.11": 19, "Ethernet": 15}


def accounting_name(day: date) -> str:
    """``IN250312.log``: NPS's daily log file name (``IN`` + yymmdd)."""
    return f"IN{day:%y%m%d}.log"


def accounting_rows(attempts: Iterable[Attempt], server: str) -> list[dict[str, object]]:
    """Rows for :func:`nps_trace_analyzer.synth.textfiles.write_dbcsv`, in time order.

    ``server`` is the NPS computer's NetBIOS name (the log's ComputerName column).
    """
    rows: list[tuple[datetime, int, dict[str, object]]] = []
    serial = 0
    for attempt in attempts:
        if not attempt.logged:
            continue
        nas = attempt.nas
        common: dict[str, object] = {
            "ComputerName": server,
            "Client-IP-Address": nas.ip,
            "Client-Vendor": 0,
            "Client-Friendly-Name": nas.friendly,
            "Authentication-Type": AUTH_TYPE.get(nas.auth_type, 1),
            "Proxy-Policy-Name": CRP_NAME,
            "Provider-Type": 1,
        }
        if nas.auth_type == "PEAP":
            common["EAP-Friendly-Name"] = nas.eap_type
        for index, round_ in enumerate(attempt.rounds):
            request = dict(common)
            request.update(
                {
                    "time": round_.sent,
                    "Packet-Type": 1,
                    "User-Name": attempt.user,
                    "Called-Station-ID": "" if nas.called == "-" else nas.called,
                    "NAS-Identifier": "" if nas.nas_id == "-" else nas.nas_id,
                    "NAS-IP-Address": "" if nas.nas_ip == "-" else nas.nas_ip,
                    "NAS-Port-Type": PORT_TYPE.get(nas.port_type, 5),
                    "Service-Type": 2 if nas.port_type == "Virtual" else 1,
                    "Reason-Code": 0,
                }
            )
            rows.append((round_.sent, len(rows), request))
            if round_.answer is None or round_.answered is None:
                continue
            serial += 1
            final = index == len(attempt.rounds) - 1
            reason = attempt.reason if round_.answer == 3 and final and attempt.reason is not None else 0
            answer = dict(common)
            answer.update(
                {
                    "time": round_.answered,
                    "Packet-Type": round_.answer,
                    "Fully-Qualified-Distinguished-Name": f"{DNS_DOMAIN}/Users/{attempt.sam}",
                    "Policy-Name": attempt.policy,
                    "Reason-Code": reason,
                    "Class": f"311 1 {NPS_ADDRESS} {round_.answered:%m/%d/%Y %H:%M:%S} {serial}",
                }
            )
            rows.append((round_.answered, len(rows), answer))
    rows.sort(key=lambda item: (item[0], item[1]))
    return [row for _when, _n, row in rows]
