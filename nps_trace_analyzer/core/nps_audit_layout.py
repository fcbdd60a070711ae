"""How Windows lays out the NPS audit events (Security 6272-6280): EventData names and order, and the rendered
message's sections and labels, with the mapping from one to the other.

Why a module of its own: the same facts serve three places that must not drift apart — the wevtutil text reader
(``sources.nps_eventlog_text``) turns rendered ``Label: value`` lines back into EventData names, the field
extraction (``extract.nps_audit``) reads events whose message arrives rendered or as unnamed values, and the
synthetic writer renders text from it. It belongs to no stage: only data and pure lookups.

Sources: EventData names and order of a real 6273 (Microsoft Q&A 2617618, ``docs/reference/domain-facts.md``
§4.2); rendered templates of 6272 (TechNet cc735320), 6273 (cc735399), 6275 (dd316151), 6278 (cc735338) and the
6277 template quoted on manageengine.com's event-id-6277 page; names of the NAP fields as the Sentinel SecurityEvent
schema lists them (``QuarantineSessionID``, ``QuarantineHelpURL``, ``QuarantineSystemHealthResult``,
``ExtendedQuarantineState``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Template:
    """How Windows renders one NPS audit event: title, intro lines, then ``(section, [(label, name)])``."""

    title: str
    intro: tuple[str, ...]
    sections: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]

    def names(self) -> tuple[str, ...]:
        """EventData names in EventData order (see :data:`DATA_ORDER`)."""
        return tuple(name for _s, items in self.sections for _l, name in items)


_USER = (
    "User",
    (
        ("Security ID", "SubjectUserSid"),
        ("Account Name", "SubjectUserName"),
        ("Account Domain", "SubjectDomainName"),
        ("Fully Qualified Account Name", "FullyQualifiedSubjectUserName"),
    ),
)
_CLIENT_MACHINE = (
    "Client Machine",
    (
        ("Security ID", "SubjectMachineSID"),
        ("Account Name", "SubjectMachineName"),
        ("Fully Qualified Account Name", "FullyQualifiedSubjectMachineName"),
        ("OS-Version", "MachineInventory"),
        ("Called Station Identifier", "CalledStationID"),
        ("Calling Station Identifier", "CallingStationID"),
    ),
)
_NAS = (
    "NAS",
    (
        ("NAS IPv4 Address", "NASIPv4Address"),
        ("NAS IPv6 Address", "NASIPv6Address"),
        ("NAS Identifier", "NASIdentifier"),
        ("NAS Port-Type", "NASPortType"),
        ("NAS Port", "NASPort"),
    ),
)
_RADIUS_CLIENT = (
    "RADIUS Client",
    (("Client Friendly Name", "ClientName"), ("Client IP Address", "ClientIPAddress")),
)
_AUTH_BASE = (
    ("Connection Request Policy Name", "ProxyPolicyName"),
    ("Network Policy Name", "NetworkPolicyName"),
    ("Authentication Provider", "AuthenticationProvider"),
    ("Authentication Server", "AuthenticationServer"),
    ("Authentication Type", "AuthenticationType"),
    ("EAP Type", "EAPType"),
    ("Account Session Identifier", "AccountSessionIdentifier"),
)
_AUTH_REJECT = (
    "Authentication Details",
    (*_AUTH_BASE, ("Logging Results", "LoggingResult"), ("Reason Code", "ReasonCode"), ("Reason", "Reason")),
)
_AUTH_GRANT = ("Authentication Details", (*_AUTH_BASE, ("Logging Results", "LoggingResult")))
_AUTH_NAP = ("Authentication Details", _AUTH_BASE)
_QUARANTINE_GRANT = (
    "Quarantine Information",
    (("Result", "QuarantineState"), ("Session Identifier", "QuarantineSessionIdentifier")),
)
# NAP-era events (6276-6278; NAP was removed in Server 2016): names from the Security-event schema, order and
# labels from the 2008 templates. Best effort: no real sample was available.
_QUARANTINE_NAP = (
    "Quarantine Information",
    (
        ("Result", "QuarantineState"),
        ("Extended-Result", "ExtendedQuarantineState"),
        ("Session Identifier", "QuarantineSessionID"),
        ("Help URL", "QuarantineHelpURL"),
        ("System Health Validator Result(s)", "QuarantineSystemHealthResult"),
    ),
)
_QUARANTINE_PROBATION = (
    "Quarantine Information",
    (*_QUARANTINE_NAP[1], ("Quarantine Grace Time", "QuarantineGraceTime")),
)
_CONTACT = ("Contact the Network Policy Server administrator for more information.",)
_REQUEST_SECTIONS = (_USER, _CLIENT_MACHINE, _NAS, _RADIUS_CLIENT)

TEMPLATES: dict[int, Template] = {
    6272: Template(
        "Network Policy Server granted access to a user.", (), (*_REQUEST_SECTIONS, _AUTH_GRANT, _QUARANTINE_GRANT)
    ),
    6273: Template("Network Policy Server denied access to a user.", _CONTACT, (*_REQUEST_SECTIONS, _AUTH_REJECT)),
    6274: Template(
        "Network Policy Server discarded the request for a user.", _CONTACT, (*_REQUEST_SECTIONS, _AUTH_REJECT)
    ),
    6275: Template(
        "Network Policy Server discarded the accounting request for a user.",
        _CONTACT,
        (*_REQUEST_SECTIONS, _AUTH_REJECT),
    ),
    6276: Template(
        "Network Policy Server quarantined a user.", _CONTACT, (*_REQUEST_SECTIONS, _AUTH_NAP, _QUARANTINE_NAP)
    ),
    6277: Template(
        "Network Policy Server granted access to a user but put it on probation because the host did not meet "
        "the defined health policy.",
        (),
        (*_REQUEST_SECTIONS, _AUTH_NAP, _QUARANTINE_PROBATION),
    ),
    6278: Template(
        "Network Policy Server granted full access to a user because the host met the defined health policy.",
        (),
        (*_REQUEST_SECTIONS, _AUTH_NAP, _QUARANTINE_NAP),
    ),
    6279: Template(
        "Network Policy Server locked the user account due to repeated failed authentication attempts.", (), (_USER,)
    ),
    6280: Template("Network Policy Server unlocked the user account.", (), (_USER,)),
}

# EventData order differs from the text order in one place: LoggingResult comes last (real 6272/6273 XML).
_TAIL_LAST = ("LoggingResult",)


@lru_cache(maxsize=64)
def data_order(event_id: int) -> tuple[str, ...]:
    """The EventData names of ``event_id`` in the order the Security .evtx holds them ("" if unknown)."""
    template = TEMPLATES.get(event_id)
    if template is None:
        return ()
    names = [n for n in template.names() if n not in _TAIL_LAST]
    return (*names, *(n for n in _TAIL_LAST if n in template.names()))


LABEL_ALIASES = {
    "proxy policy name": "connection request policy name",  # Server 2008 wording
    "logging result": "logging results",
    "nas port type": "nas port-type",
    "os version": "os-version",
}


@lru_cache(maxsize=4096)
def norm_label(label: str) -> str:
    text = re.sub(r"\s+", " ", label.strip().rstrip(":").strip()).lower()
    return LABEL_ALIASES.get(text, text)


def _section_maps() -> tuple[dict[int, dict[tuple[str, str], str]], dict[tuple[str, str], str], set[str]]:
    """Per event id and generic (section, label) -> name maps, plus the set of known section titles."""
    per_id: dict[int, dict[tuple[str, str], str]] = {}
    generic: dict[tuple[str, str], str] = {}
    sections: set[str] = set()
    for event_id, template in TEMPLATES.items():
        mapping: dict[tuple[str, str], str] = {}
        for section, items in template.sections:
            sections.add(norm_label(section))
            for label, name in items:
                mapping[(norm_label(section), norm_label(label))] = name
                generic.setdefault((norm_label(section), norm_label(label)), name)
        per_id[event_id] = mapping
    return per_id, generic, sections


_PER_ID_MAP, _GENERIC_MAP, SECTIONS = _section_maps()


def _unambiguous_labels() -> dict[str, str]:
    """Labels that mean one name whatever the section (used when a label turns up outside its section)."""
    seen: dict[str, set[str]] = {}
    for (_section, label), name in _GENERIC_MAP.items():
        seen.setdefault(label, set()).add(name)
    return {label: next(iter(names)) for label, names in seen.items() if len(names) == 1}


_LABEL_ONLY_MAP = _unambiguous_labels()
_FIRST_SECTION = {event_id: norm_label(t.sections[0][0]) for event_id, t in TEMPLATES.items() if t.sections}


def lookup_label(event_id: int, section: str, label: str) -> str | None:
    """EventData name of a rendered label: exact (section, label) first, then a label unique to one name.

    A label met before any section title belongs to the template's first section: copies that drop the ``User:``
    title still list the user's "Security ID" / "Account Name" first, as every NPS audit template does.
    """
    per_id = _PER_ID_MAP.get(event_id, {})
    found = per_id.get((section, label)) or _GENERIC_MAP.get((section, label)) or _LABEL_ONLY_MAP.get(label)
    if found is None and not section and event_id in _FIRST_SECTION:
        found = per_id.get((_FIRST_SECTION[event_id], label))
    return found


# Fields that older builds do not render (2008 has no "Logging Results"; OS-Version is absent on newer builds).
OPTIONAL_NAMES = frozenset({"LoggingResult", "MachineInventory", "QuarantineGraceTime"})


def _label_pattern() -> re.Pattern[str]:
    """Every known label and section title followed by a colon, longest first (``Reason Code`` before ``Reason``)."""
    labels = {label for _s, label in _GENERIC_MAP} | set(SECTIONS) | set(LABEL_ALIASES)
    words = sorted(labels, key=len, reverse=True)
    alternation = "|".join(r"\s+".join(re.escape(part) for part in w.split(" ")) for w in words)
    return re.compile(rf"(?<![\w-])({alternation})\s*:", re.IGNORECASE)


_LABEL_RE = _label_pattern()


def items_from_rendered(event_id: int, text: str) -> list[tuple[str, str]]:
    """EventData ``(name, value)`` pairs found in a rendered message, in text order.

    Works on the message as Event Viewer shows it (one ``Label: value`` per line) and on copies that lost their
    line breaks ("User: Security ID: NULL SID Account Name: alice ..."): a value runs from its label to the next
    known label. Section titles ("User:", "Client Machine:") decide what an ambiguous label ("Account Name") means.
    Labels the layout does not know are never guessed: their text stays part of the previous value at worst.
    """
    matches = list(_LABEL_RE.finditer(text))
    items: list[tuple[str, str]] = []
    section = ""
    for index, match in enumerate(matches):
        label = norm_label(match.group(1))
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        value = " ".join(text[match.end() : end].split())
        if label in SECTIONS and not value:
            section = label
            continue
        name = lookup_label(event_id, section, label)
        if name is None and label in SECTIONS:
            section = label  # a section title followed directly by text we cannot place
            continue
        if name is not None:
            items.append((name, value))
    return items
