"""Identify a file by its first bytes, not only by its name.

Support bundles get renamed, re-zipped and mixed with screenshots; a file called ``Security.evtx.txt`` may be a
real EVTX and ``nettrace.etl`` may be a zero-byte placeholder. Each rule below looks at content first and uses
the name only to refine the role (which AzureMfa channel, which registry hive).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from nps_trace_analyzer.domain import AZUREMFA_CHANNELS

EVTX_MAGIC = b"ElfFile\x00"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
CAB_MAGIC = b"MSCF"
SNIFF_BYTES = 8192

_CHANNEL_SUFFIXES = AZUREMFA_CHANNELS


@dataclass(frozen=True)
class Identity:
    """What a file is: ``kind`` decides which source reads it; ``role`` names its place in the bundle."""

    # evtx, etl, zip, cab, nps-eventlog-text, event-xml, registry-dump, registry-export, iaslog, text, empty, unknown
    kind: str
    role: str = ""
    note: str = ""


def _looks_like_etl(head: bytes) -> bool:
    """An ETL file starts with a WMI buffer: BufferSize (u32) then SavedOffset/CurrentOffset within it.

    The first buffer also carries the logfile header event, whose marker word at offset 0x48 has the
    TRACE_HEADER_FLAG and TRACE_HEADER_EVENT_TRACE bits (0xC0000000) set. CurrentOffset is 0 in compressed
    (pktmon) and relogged files, so only SavedOffset is required. Sizes plus the marker tell ETL from noise.
    """
    if len(head) < 0x50:
        return False
    buffer_size, saved_offset, current_offset = struct.unpack_from("<III", head, 0)
    if buffer_size == 0 or buffer_size % 1024 or buffer_size > 64 * 1024 * 1024:
        return False
    if not (0 < saved_offset and current_offset <= max(buffer_size, saved_offset)):
        return False
    marker = struct.unpack_from("<I", head, 0x48)[0]
    return marker & 0xC0000000 == 0xC0000000


def _decode_head(head: bytes) -> str | None:
    """Decode the first bytes of a text file (UTF-16 with/without BOM or UTF-8); None when binary."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head[2:].decode("utf-16-le" if head[0] == 0xFF else "utf-16-be", errors="ignore")
    if len(head) >= 4 and head[1] == 0 and head[3] == 0 and head[0] != 0:
        return head.decode("utf-16-le", errors="ignore")
    body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    if b"\x00" in body:
        return None
    text = body.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    if text and printable / len(text) > 0.95 and bad <= len(text) // 50:
        return text
    return None


_WEVTUTIL_BLOCK_RE = re.compile(r"[^\W\d_][\w-]{0,30}\[\d+\]\s*:?\s*(?:\r?\n|$)")
_LABEL_LINE_RE = re.compile(r"^[ \t]+[^\W\d_][^:\r\n]{0,40}:[ \t]", re.MULTILINE)
# Get-WinEvent | Format-List: these properties at column 0, in any order
_FORMAT_LIST_RES = tuple(re.compile(rf"^{name}\s*: ", re.MULTILINE) for name in ("TimeCreated", "ProviderName", "Id"))
_EVENT_XML_RE = re.compile(r'<Event\s+xmlns=["\']http://schemas\.microsoft\.com/win/2004/08/events/event["\']')
_XML_CHANNEL_RE = re.compile(r"<Channel>\s*([^<]+?)\s*</Channel>")
_IASLOG_DB_RE = re.compile(r'^"[^"]*","IAS",\d{2}/\d{2}/\d{4},\d{2}:\d{2}:\d{2},', re.MULTILINE)
_IASLOG_IAS_RE = re.compile(r"^[\d.]+,[^,\r\n]*,\d{2}/\d{2}/\d{4},\d{2}:\d{2}:\d{2},", re.MULTILINE)


_NAME_TOKEN_RE = re.compile(r"%4|[\s_.\-/\\]+")


def _channel_in_head(head: bytes) -> str:
    """An AzureMfa channel named inside the first record (UTF-16, as the record's Channel value is stored).

    Content beats the name: an admin may save ``AuthZOptCh`` events as ``Security.evtx``. Security and System
    cannot be told this way (both words are also element names of every record); the reader settles those
    from the records' channel after reading.
    """
    for suffix in _CHANNEL_SUFFIXES:
        if suffix.encode("utf-16-le") in head[4096:]:
            return suffix
    return ""


def _evtx_role(name: str, head: bytes = b"") -> str:
    """Role of an .evtx from its content, else from its name in any of the forms a bundle uses.

    Names seen: the health-check script's ``<HOST>_AuthZOptCh.evtx``; Windows' own file names copied from
    ``C:\\Windows\\System32\\winevt\\Logs`` (``Microsoft-AzureMfa-AuthZ%4AuthZOptCh.evtx``, ``Security.evtx``); the
    same with a host prefix or suffix, other separators, any case.
    """
    from_content = _channel_in_head(head)
    if from_content:
        return from_content
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem = base[: -len(".evtx")] if base.lower().endswith(".evtx") else base
    tokens = [t.lower() for t in _NAME_TOKEN_RE.split(stem) if t]
    for suffix in _CHANNEL_SUFFIXES:
        if suffix.lower() in tokens:
            return suffix
    for role in ("Security", "System", "Application"):
        if role.lower() in tokens:
            return role
    return ""


def identify(name: str, head: bytes, size: int) -> Identity:
    """Identify a bundle member from its name and first bytes (see :data:`SNIFF_BYTES`)."""
    lower = name.lower()
    if size == 0:
        return Identity("empty", note="empty file (0 bytes)")
    if head.startswith(EVTX_MAGIC):
        return Identity("evtx", _evtx_role(name, head))
    if head.startswith(ZIP_MAGICS):
        return Identity("zip")
    if head.startswith(CAB_MAGIC):
        return Identity("cab", note="CAB archive (netsh's companion to nettrace.etl); its contents are not analysed")
    if _looks_like_etl(head):
        role = "NPSExtension" if "npsextension" in lower else ("nettrace" if "nettrace" in lower else "")
        return Identity("etl", role)
    text = _decode_head(head)
    if text is None:
        if lower.endswith(".evtx"):
            return Identity("unknown", note="named .evtx but has no EVTX file signature (ElfFile)")
        if lower.endswith(".etl"):
            return Identity("unknown", note="named .etl but has no ETL buffer header")
        return Identity("unknown", note="binary file of an unknown format")
    stripped = text.lstrip("\ufeff \r\n\t")
    # wevtutil's "Event[0]:" blocks, or Event Viewer's "Copy details as text" (starts at "Log Name:")
    english = (stripped.startswith("Event[") or stripped.startswith("Log Name:")) and "Log Name:" in text
    if english or (_WEVTUTIL_BLOCK_RE.match(stripped) and len(_LABEL_LINE_RE.findall(text)) >= 3):
        # wevtutil /f:text; in another display language too, so the reader can say it is not supported
        return Identity("nps-eventlog-text", "Security-text")
    if all(pattern.search(text) for pattern in _FORMAT_LIST_RES):
        return Identity("nps-eventlog-text", "Security-text")  # PowerShell Get-WinEvent | Format-List
    if _EVENT_XML_RE.search(text[:4096]):
        # Event Viewer's XML export or wevtutil /f:xml: the first record's channel names the role
        channel = _XML_CHANNEL_RE.search(text)
        return Identity("event-xml", _evtx_role(channel.group(1).replace("/", "%4") + ".evtx") if channel else "")
    if stripped.startswith("Windows Registry Editor") or stripped.startswith("REGEDIT4"):
        return Identity("registry-export", "AuthSrv" if "authsrv" in lower else "")
    if stripped.upper().startswith("HKEY_"):
        role = (
            "AzureMfa" if "azuremfa" in text[:300].lower() else ("AuthSrv" if "authsrv" in text[:300].lower() else "")
        )
        return Identity("registry-dump", role)
    if _IASLOG_DB_RE.search(text):
        return Identity("iaslog", "database-compatible")
    if "<Event>" in text and "data_type=" in text:
        return Identity("iaslog", "dts-xml")
    if _IASLOG_IAS_RE.search(text) and lower.rsplit("/", 1)[-1].startswith("in"):
        return Identity("iaslog", "ias")
    return Identity("text", note="text file of no known log format")
