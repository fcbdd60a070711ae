"""The cheap per-record path of the EVTX reader: decide relevance before decoding, normalise XML without lxml.

A busy server's Security.evtx is ~97 % logons, privilege use and firewall events that an NPS diagnosis only
counts. :func:`sniff_json` decides from three ``str.find`` calls on pyevtx-rs's JSON text (provider, EventID,
channel are at fixed keys near the start) whether a record matters, so the rest are never ``json.loads``-ed.

AzureMfa files are read as XML (pyevtx-rs's JSON drops unnamed ``<Data>`` beside named ones). pyevtx-rs writes
XML in one regular shape; :func:`fast_event_from_xml` reads that shape with regular expressions (about four times
faster than building an lxml tree) and returns None for anything outside it — CDATA, comments, ``UserData``,
unknown entities, characters an XML parser would rewrite — so the caller falls back to lxml and the Event is the
same either way (tested record by record on the real corpus and on every generated scenario).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from nps_trace_analyzer.model import Event

NPS_SECURITY_IDS = frozenset(range(6272, 6281))
SYSTEM_PROVIDERS = frozenset({"nps", "ias", "schannel", "microsoft-windows-schannel-events"})
AZUREMFA_CHANNEL_SUFFIXES = ("authnoptch", "authzoptch", "authzadminch")
SECURITY_PROVIDER = "microsoft-windows-security-auditing"

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


def sniff_json(raw: str) -> tuple[str, bool]:
    """Return the record's channel (counted for every record) and whether the record is worth decoding."""
    channel = _json_string_after(raw, _CHANNEL_KEY)
    provider = _json_string_after(raw, _PROVIDER_KEY)
    if provider == "Microsoft-Windows-Security-Auditing":  # the bulk of a busy log, answered without lower()
        return channel, _event_id(raw) in NPS_SECURITY_IDS
    return channel, is_relevant(provider, channel, _event_id(raw), raw)


def parse_time(raw: str) -> datetime:
    """pyevtx-rs gives ``2016-07-08T18:12:51.6816408Z UTC``; keep microseconds, always UTC."""
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
_IRREGULAR_RE = re.compile(r'[\x00-\x08\x0b\x0c\x0e-\x1f\r\ud800-\udfff\ufffe\uffff]|<!|<\?|="[^"]*>')
_SYSTEM_RE = re.compile(r"\s*<System>(.*?)</System>", re.DOTALL)
_FIELD_RE = {
    tag: re.compile(rf"<{tag}(?:\s[^>]*)?>([^<]*)</{tag}>|<{tag}(?:\s[^>]*)?/>")
    for tag in ("EventID", "Level", "Channel", "Computer")
}
_PROVIDER_RE = re.compile(r"<Provider((?:\s+[\w:.-]+=\"[^\"]*\")*)\s*/?>")
_ATTR_RE = re.compile(r"([\w:.-]+)=\"([^\"]*)\"")
_SECTION_RE = re.compile(r"\s*<EventData>(.*?)</EventData>|\s*<EventData\s*/>", re.DOTALL)
_ITEM_RE = re.compile(
    r"\s*(?:<(Data|Binary)(?: Name=\"([^\"]*)\")?>([^<]*)</\1>|<(Data|Binary)(?: Name=\"([^\"]*)\")?\s*/>)"
)
_WS_END_RE = re.compile(r"\s*\Z")
_TAIL_RE = re.compile(r"\s*</Event>\s*\Z")
_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot|apos)|#(\d{1,7})|#x([0-9A-Fa-f]{1,6}));")
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


class _Irregular(Exception):
    """The record is not in pyevtx-rs's regular shape: lxml decides."""


def _unescape(text: str) -> str:
    if "&" not in text:
        return text

    def one(m: re.Match[str]) -> str:
        if m.group(1):
            return _ENTITIES[m.group(1)]
        code = int(m.group(2)) if m.group(2) else int(m.group(3), 16)
        if code in (0x9, 0xA) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF:
            return chr(code)
        raise _Irregular

    if "&" in _ENTITY_RE.sub("", text):
        raise _Irregular  # a bare or unknown "&...;": lxml's recovery decides what it means
    return _ENTITY_RE.sub(one, text)


def _field(system: str, tag: str) -> str:
    if f"<{tag}" not in system:
        return ""
    m = _FIELD_RE[tag].search(system)
    if m is None:
        raise _Irregular
    return _unescape(m.group(1) or "").strip()


def fast_event_from_xml(xml: str, record_id: int, timestamp: str, source: str) -> Event | None:
    """Normalise one pyevtx-rs XML record like the lxml path does, or return None when it is not regular."""
    if not xml.startswith(_XML_HEAD) or _IRREGULAR_RE.search(xml, len(_XML_HEAD)):  # ">" inside a value too
        return None
    try:
        pos = len(_XML_HEAD)
        m_sys = _SYSTEM_RE.match(xml, pos)
        if m_sys is None or "<System" in m_sys.group(1):
            return None
        system = m_sys.group(1)
        pos = m_sys.end()
        prov_name = ""
        m_prov = _PROVIDER_RE.search(system)
        if m_prov is None:
            if "<Provider" in system:
                return None
        else:
            attrs = {k: _unescape(v) for k, v in _ATTR_RE.findall(m_prov.group(1))}
            prov_name = attrs.get("Name") or attrs.get("EventSourceName") or ""
        event_id_text = _field(system, "EventID")
        level = _field(system, "Level")
        channel = _field(system, "Channel")
        computer = _field(system, "Computer")
        data: list[tuple[str | None, str]] = []
        while not _TAIL_RE.match(xml, pos):
            m_sec = _SECTION_RE.match(xml, pos)
            if m_sec is None:
                return None  # UserData, RenderingInfo, anything else: lxml
            body = m_sec.group(1) or ""
            at = 0
            while not _WS_END_RE.match(body, at):
                m_item = _ITEM_RE.match(body, at)
                if m_item is None:
                    return None
                tag = m_item.group(1) or m_item.group(4)
                name = m_item.group(2) if m_item.group(1) else m_item.group(5)
                key = (None if name is None else _unescape(name)) if tag == "Data" else "Binary"
                data.append((key, _unescape(m_item.group(3) or "")))
                at = m_item.end()
            pos = m_sec.end()
        return Event(
            time=parse_time(timestamp),
            source_file=source,
            channel=channel,
            provider=prov_name,
            event_id=int(event_id_text or 0),
            level=int(level) if level.isdigit() else None,
            record_id=record_id,
            computer=computer,
            data=tuple(data),
            text=" ".join(value for _name, value in data if value),
            source_kind="evtx",
        )
    except (_Irregular, ValueError):
        return None
