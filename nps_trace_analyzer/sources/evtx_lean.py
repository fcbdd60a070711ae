"""The cheap per-record path of the EVTX reader: decide relevance before decoding, normalise XML without lxml.

A busy server's Security.evtx is ~97 % logons, privilege use and firewall events that an NPS diagnosis only
counts. :func:`sniff_json` decides from three ``str.find`` calls on pyevtx-rs's JSON text (provider, EventID,
channel are at fixed keys near the start) whether a record matters, so the rest are never ``json.loads``-ed.

AzureMfa files are read as XML (pyevtx-rs's JSON drops unnamed ``<Data>`` beside named ones). pyevtx-rs writes
XML in one regular shape; :func:`fast_event_from_xml` reads that shape with regular expressions (about four times
faster than building an lxml tree) and returns None for anything outside it — CDATA, comments, ``UserData``,
unknown entities, characters an XML parser would rewrite — so the caller falls back to lxml and the Event is the
same either way (tested record by record on the real corpus and on every generated scenario). A log repeats a
few System sections but for the creation time and record id, so each distinct one is read once (bounded table)
and a record repeating one of the last few is recognised by two prefix tests;
the usual AzureMfa record — one unnamed ``<Data>`` string — is then taken with two prefix/suffix tests.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from nps_trace_analyzer.core.domain import AZUREMFA_CHANNEL_SUFFIXES, NPS_AUDIT_EVENT_IDS, SECURITY_AUDITING_PROVIDER
from nps_trace_analyzer.core.model import Event, event_from_fields

NPS_SECURITY_IDS = NPS_AUDIT_EVENT_IDS
SYSTEM_PROVIDERS = frozenset({"nps", "ias", "schannel", "microsoft-windows-schannel-events"})
SECURITY_PROVIDER = SECURITY_AUDITING_PROVIDER

_PROVIDER_KEY = '"Provider":{"#attributes":{"Name":"'
_EVENTID_KEY = '"EventID":'
_CHANNEL_KEY = '"Channel":"'
_JSON_STRING_RE = re.compile(r'((?:[^"\\]|\\.)*)"')
_DIGITS_RE = re.compile(r"\d+")
_EVENTID_OBJECT_RE = re.compile(r'\{[^}]*\},"#text":(\d+)')


def is_relevant(provider: str, channel: str, event_id: int, raw: str) -> bool:
    """Does this record matter to an NPS diagnosis? Decided from a few keys of the JSON text, before parsing."""
    lprov = provider.lower()
    if "azuremfa" in lprov or channel.lower().endswith(AZUREMFA_CHANNEL_SUFFIXES):
        return True
    if lprov == SECURITY_PROVIDER:
        return event_id in NPS_SECURITY_IDS
    if lprov in SYSTEM_PROVIDERS:
        return True
    return "NPS Extension for" in raw


def _json_string_after(raw: str, key: str) -> str:
    """The (still JSON-escaped) string value that follows the first ``key``; "" when the key is absent."""
    start = raw.find(key)
    if start < 0:
        return ""
    start += len(key)
    end = raw.find('"', start)
    if end < 0:
        return ""
    value = raw[start:end]
    if "\\" in value:  # an escaped quote may end the value later: let the regex find the real end
        m = _JSON_STRING_RE.match(raw, start)
        return m.group(1) if m else ""
    return value


def _event_id(raw: str) -> int:
    start = raw.find(_EVENTID_KEY)
    if start < 0:
        return -1
    start += len(_EVENTID_KEY)
    m = _DIGITS_RE.match(raw, start) or _EVENTID_OBJECT_RE.match(raw, start)  # {"#attributes":{Qualifiers}}
    return int(m.group(1) if m.re is _EVENTID_OBJECT_RE else m.group(0)) if m else -1


# The bulk of a busy log: a Security-Auditing record, recognised from its fixed opening, with a 4-digit EventID.
_SECURITY_HEAD = (
    '{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},'
    '"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"'
)
_NPS_ID_TEXTS = frozenset(f"{n}," for n in NPS_SECURITY_IDS)


def sniff_json(raw: str) -> tuple[str, bool]:
    """Return the record's channel (counted for every record) and whether the record is worth decoding."""
    if raw.startswith(_SECURITY_HEAD):  # the same answer as below, with fewer calls
        at_id = raw.find(_EVENTID_KEY, len(_SECURITY_HEAD))
        at_channel = raw.find(_CHANNEL_KEY)
        if at_id > 0 and at_channel > 0:
            id_text = raw[at_id + len(_EVENTID_KEY) : at_id + len(_EVENTID_KEY) + 5]
            start = at_channel + len(_CHANNEL_KEY)
            end = raw.find('"', start)
            channel = raw[start:end]
            if end > 0 and id_text[4:] == "," and id_text[:4].isascii() and id_text[:4].isdigit():
                if "\\" not in channel:
                    return channel, id_text in _NPS_ID_TEXTS
    channel = _json_string_after(raw, _CHANNEL_KEY)
    provider = _json_string_after(raw, _PROVIDER_KEY)
    if provider == "Microsoft-Windows-Security-Auditing":  # the bulk of a busy log, answered without lower()
        return channel, _event_id(raw) in NPS_SECURITY_IDS
    return channel, is_relevant(provider, channel, _event_id(raw), raw)


def parse_time(raw: str) -> datetime:
    """pyevtx-rs gives ``2016-07-08T18:12:51.6816408Z UTC``; keep microseconds, always UTC."""
    if len(raw) == 24 and raw.endswith("Z UTC") and raw[10] == "T":  # whole seconds, the usual form: one call
        return datetime.fromisoformat(raw[:19] + "+00:00")
    text = raw.split(" ", 1)[0].rstrip("Z")
    if "." in text:
        head, frac = text.split(".", 1)
        text = f"{head}.{(frac + '000000')[:6]}"
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


# --- XML ---------------------------------------------------------------------------------------------------

_XML_HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">'
)
# Characters an XML parser drops, rejects or rewrites (line-end normalisation): leave such records to lxml.
_IRREGULAR_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\r\ud800-\udfff\ufffe\uffff]")
_ATTRS = r"(?:\s+[\w:.-]+=\"[^\"]*\")*\s*"  # attribute values may hold anything but a quote
_SYSTEM_FIELDS = ("EventID", "Level", "Channel", "Computer")
_FIELDS_RE = re.compile(rf"<({'|'.join(_SYSTEM_FIELDS)}){_ATTRS}>([^<]*)</\1>")
_PROVIDER_RE = re.compile(rf"<Provider({_ATTRS})/?>")
_ATTR_RE = re.compile(r"([\w:.-]+)=\"([^\"]*)\"")
_ITEM_RE = re.compile(
    r"\s*(?:<(Data|Binary)(?: Name=\"([^\"]*)\")?>([^<]*)</\1>|<(Data|Binary)(?: Name=\"([^\"]*)\")?\s*/>)"
)
_WS_END_RE = re.compile(r"\s*\Z")
_TAIL_RE = re.compile(r"\s*</Event>\s*\Z")
_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot|apos)|#(\d{1,7})|#x([0-9A-Fa-f]{1,6}));")
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


class _Irregular(Exception):
    """The record is not in pyevtx-rs's regular shape: lxml decides."""


def _entity(m: re.Match[str]) -> str:
    if m.group(1):
        return _ENTITIES[m.group(1)]
    code = int(m.group(2)) if m.group(2) else int(m.group(3), 16)
    if code in (0x9, 0xA) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF:
        return chr(code)
    raise _Irregular


def _value(text: str) -> str:
    """An element's text or attribute value as an XML parser returns it; _Irregular where one would rewrite it."""
    if not text.isprintable() and _IRREGULAR_CHARS_RE.search(text):
        raise _Irregular  # control characters, CR (line-end normalisation), surrogates, non-characters
    if "&" not in text:
        return text
    if "&" in _ENTITY_RE.sub("", text):
        raise _Irregular  # a bare or unknown "&...;": lxml's recovery decides what it means
    return _ENTITY_RE.sub(_entity, text)


def _section_bounds(xml: str, pos: int, tag: str) -> tuple[int, int, int] | None:
    """(start of content, end of content, position after the close tag) of ``<tag>`` at ``pos`` after spaces."""
    open_tag = f"<{tag}>"
    start = xml.find(open_tag, pos)
    if start < 0 or (start > pos and not xml[pos:start].isspace()):
        return None
    close = xml.find(f"</{tag}>", start)
    if close < 0:
        return None
    return start + len(open_tag), close, close + len(tag) + 3


# The usual AzureMfa record: one unnamed Data string after the System section, nothing else.
_ONE_DATA_HEAD = "</System>\n  <EventData>\n    <Data>"
_ONE_DATA_TAIL = "</Data>\n  </EventData>\n</Event>\n"
#: System sections already read (their per-record parts cut out), with what they said; bounded.
_SYSTEMS: dict[str, tuple[str, str, int, int | None, str] | None] = {}
MAX_SYSTEMS = 1024
#: The per-record parts of a System section as pyevtx-rs writes them, side by side, with no other markup.
_VARYING_RE = re.compile(r'<TimeCreated SystemTime="[^"<]*">\s*</TimeCreated>\s*<EventRecordID>\d*</EventRecordID>')


def _system_key(system: str) -> str | None:
    """The System section without its per-record parts (creation time, record id), or None when they are not
    in their usual form. What :func:`_read_system` concludes never depends on them: its patterns all start at a
    ``<`` followed by another element's name, and end before the next ``<``."""
    m = _VARYING_RE.search(system)
    if m is None:
        return None
    return system[: m.start()] + system[m.end() :]


def _read_system(system: str) -> tuple[str, str, int, int | None, str] | None:
    """(provider, channel, event id, level, computer) of a System section; None when it is not regular."""
    if "<System" in system:
        return None
    prov_name = ""
    m_prov = _PROVIDER_RE.search(system)
    if m_prov is None:
        if "<Provider" in system:
            return None
    else:
        attrs = {k: _value(v) for k, v in _ATTR_RE.findall(m_prov.group(1))}
        prov_name = attrs.get("Name") or attrs.get("EventSourceName") or ""
    fields: dict[str, str] = {}
    for m_field in _FIELDS_RE.finditer(system):
        fields.setdefault(m_field.group(1), m_field.group(2))
    for tag in _SYSTEM_FIELDS:
        if tag not in fields and f"<{tag}" in system:
            return None  # present but not as plain text: lxml
    event_id_text, level, channel, computer = (_value(fields.get(tag, "")).strip() for tag in _SYSTEM_FIELDS)
    return prov_name, channel, int(event_id_text or 0), int(level) if level.isdigit() else None, computer


def _system(system: str) -> tuple[str, str, int, int | None, str] | None:
    """:func:`_read_system`, remembered per System section (a log repeats a few, but for time and record id)."""
    key = _system_key(system)
    if key is None:
        return _read_system(system)
    if key in _SYSTEMS:
        return _SYSTEMS[key]
    try:
        read = _read_system(system)
    except ValueError:  # an EventID that is not a number: lxml decides, for this and every such record
        read = None
    if len(_SYSTEMS) >= MAX_SYSTEMS:
        del _SYSTEMS[next(iter(_SYSTEMS))]
    _SYSTEMS[key] = read
    return read


#: The latest System sections, around their per-record parts: (everything from the start of the XML up to them,
#: everything after them up to and including ``</System>``, what the section says), most recent first. A log's
#: records mostly repeat one of a few recent sections (an error level beside an informational one), so two prefix
#: tests and one anchored match stand for cutting out and hashing the section (see :func:`_same_system`).
_recent_systems: list[tuple[str, str, tuple[str, str, int, int | None, str]]] = []
MAX_RECENT_SYSTEMS = 4
_VARYING_HEAD = '<TimeCreated SystemTime="'
_SYSTEM_CLOSE = "</System>"


def _same_system(xml: str) -> tuple[int, tuple[str, str, int, int | None, str]] | None:
    """(end of the System content, what the section says) when ``xml`` repeats a recent record's System section
    but for its per-record parts; None otherwise.

    Why this is what :func:`_section_bounds` and :func:`_system` would conclude: a remembered prefix holds the
    XML head, the ``<System>`` tag and the section up to the per-record parts, with no ``</System>`` and no other
    ``<TimeCreated SystemTime="`` in it, so the first match of ``_VARYING_RE`` is the one at its end; the varying
    parts hold no ``</System>``; and the remembered suffix ends with the first ``</System>``. So the section, its
    key and therefore its reading are that record's."""
    for index, (prefix, suffix, system) in enumerate(_recent_systems):
        if xml.startswith(prefix):
            m = _VARYING_RE.match(xml, len(prefix))
            if m is not None and xml.startswith(suffix, m.end()):
                if index:
                    _recent_systems.insert(0, _recent_systems.pop(index))
                return m.end() + len(suffix) - len(_SYSTEM_CLOSE), system
    return None


def _remember_system(xml: str, bounds: tuple[int, int, int], system: tuple[str, str, int, int | None, str]) -> None:
    """Keep this record's System section for :func:`_same_system` (only in the shape that test relies on)."""
    m = _VARYING_RE.search(xml, bounds[0], bounds[1])
    if m is not None and xml.find(_VARYING_HEAD, bounds[0], m.start()) < 0:
        _recent_systems.insert(0, (xml[: m.start()], xml[m.end() : bounds[1] + len(_SYSTEM_CLOSE)], system))
        del _recent_systems[MAX_RECENT_SYSTEMS:]


def _one_data_event(
    time: datetime, source: str, system: tuple[str, str, int, int | None, str], record_id: int, value: str
) -> Event:
    """``Event(...)`` of a one-string record, built by :func:`event_from_fields` (the per-record hot path)."""
    provider, channel, event_id, level, computer = system
    return event_from_fields(
        {
            "time": time,
            "source_file": source,
            "channel": channel,
            "provider": provider,
            "event_id": event_id,
            "level": level,
            "record_id": record_id,
            "computer": computer,
            "data": ((None, value),),
            "text": value,
            "source_kind": "evtx",
        }
    )


def fast_event_from_xml(xml: str, record_id: int, timestamp: str, source: str) -> Event | None:
    """Normalise one pyevtx-rs XML record like the lxml path does, or return None when it is not regular."""
    try:
        same = _same_system(xml)
        if same is not None:
            content_end, system = same
        else:
            if not xml.startswith(_XML_HEAD):
                return None
            bounds = _section_bounds(xml, len(_XML_HEAD), "System")
            if bounds is None:
                return None
            read = _system(xml[bounds[0] : bounds[1]])
            if read is None:
                return None
            system = read
            content_end = bounds[1]
            _remember_system(xml, bounds, system)
        if xml.startswith(_ONE_DATA_HEAD, content_end) and xml.endswith(_ONE_DATA_TAIL):
            start = content_end + len(_ONE_DATA_HEAD)
            end = len(xml) - len(_ONE_DATA_TAIL)
            if start <= end and xml.find("<", start, end) < 0:
                return _one_data_event(parse_time(timestamp), source, system, record_id, _value(xml[start:end]))
    except (_Irregular, ValueError):
        return None
    return _general_event_from_xml(xml, record_id, timestamp, source)


def _general_event_from_xml(xml: str, record_id: int, timestamp: str, source: str) -> Event | None:
    """:func:`fast_event_from_xml` for every other regular shape (several Data items, named ones, Binary...)."""
    try:
        bounds = _section_bounds(xml, len(_XML_HEAD), "System")
        if bounds is None:
            return None
        system = _system(xml[bounds[0] : bounds[1]])
        if system is None:
            return None
        prov_name, channel, event_id, level, computer = system
        pos = bounds[2]
        data: list[tuple[str | None, str]] = []
        while not _TAIL_RE.match(xml, pos):
            section = _section_bounds(xml, pos, "EventData")
            if section is None:
                return None  # UserData, RenderingInfo, <EventData/>, anything else: lxml
            body = xml[section[0] : section[1]]
            at = 0
            while not _WS_END_RE.match(body, at):
                m_item = _ITEM_RE.match(body, at)
                if m_item is None:
                    return None
                tag = m_item.group(1) or m_item.group(4)
                name = m_item.group(2) if m_item.group(1) else m_item.group(5)
                key = (None if name is None else _value(name)) if tag == "Data" else "Binary"
                data.append((key, _value(m_item.group(3) or "")))
                at = m_item.end()
            pos = section[2]
        return Event(
            time=parse_time(timestamp),
            source_file=source,
            channel=channel,
            provider=prov_name,
            event_id=event_id,
            level=level,
            record_id=record_id,
            computer=computer,
            data=tuple(data),
            text=" ".join(value for _name, value in data if value),
            source_kind="evtx",
        )
    except (_Irregular, ValueError):
        return None
