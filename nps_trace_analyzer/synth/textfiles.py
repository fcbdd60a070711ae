"""Writers for the bundle's text files: wevtutil text, REG QUERY output, regedit exports, NPS accounting logs.

Why: the sample generator needs realistic health-check extras and NPS logs beside its .evtx files, and the
readers' tests need fixtures whose content is known exactly. Each writer produces the bytes the Windows tool
would (encoding, BOM, CRLF, field order) and is deterministic: the same arguments give the same bytes.

- :func:`write_wevtutil_text`: ``wevtutil qe Security /f:text`` as saved by Windows PowerShell (UTF-16 LE + BOM).
- :func:`write_reg_query`: ``REG QUERY <key>`` output (4-space separated columns).
- :func:`write_reg_export`: ``reg export`` / regedit ``.reg`` file (version 5.00, UTF-16 LE + BOM).
- :func:`write_dbcsv`: NPS database-compatible log rows (no header, quoted text).
- :func:`write_dtsxml`: NPS DTS-compliant XML log (one ``<Event>`` element per line).
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from xml.sax.saxutils import escape

from nps_trace_analyzer.core.model import Event
from nps_trace_analyzer.sources.iaslog import DBCSV_FIELDS, DBCSV_NUMERIC_FIELDS, DTS_DATA_TYPES
from nps_trace_analyzer.sources.nps_eventlog_text import TEMPLATES

CRLF = "\r\n"


def _write(path: str | Path, text: str, encoding: str) -> Path:
    """Write ``text`` with Windows line endings; ``utf-16`` means little-endian with a BOM, like Windows."""
    p = Path(path)
    body = text.replace("\r\n", "\n").replace("\n", CRLF)
    if encoding.lower() in ("utf-16", "utf-16-le-bom"):
        data = codecs.BOM_UTF16_LE + body.encode("utf-16-le")
    else:
        data = body.encode(encoding)
    p.write_bytes(data)
    return p


# --- wevtutil text ----------------------------------------------------------------------------------------

_FAILURE_IDS = frozenset({6273, 6274, 6275, 6279})


def _wevtutil_date(when: datetime, utc_suffix: bool) -> str:
    when = when.astimezone(timezone.utc)
    if utc_suffix:
        return when.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"  # 7 fractional digits, as newer wevtutil prints
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}"


def _label_line(label: str, value: str) -> str:
    # Windows pads with tabs to roughly column 32; the reader does not care, people reading the fixture do.
    tabs = max(1, 4 - (len(label) + 2) // 8)
    return f"\t{label}:" + "\t" * tabs + value


def render_description(event: Event) -> str:
    """The rendered message of an NPS audit event (6272-6280) from its named data; ``event.text`` otherwise."""
    template = TEMPLATES.get(event.event_id)
    if template is None:
        return event.text
    lines = [template.title, ""]
    if template.intro:
        lines.extend([*template.intro, ""])
    for section, items in template.sections:
        lines.append(f"{section}:")
        lines.extend(_label_line(label, event.get(name, "-") or "-") for label, name in items)
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def render_wevtutil_block(index: int, event: Event, *, utc_suffix: bool = False) -> str:
    """One ``Event[N]:`` block exactly as ``wevtutil qe /f:text`` prints it."""
    keyword = "Audit Failure" if event.event_id in _FAILURE_IDS else "Audit Success"
    security = event.channel.lower() == "security"
    header = [
        f"Event[{index}]:",
        f"  Log Name: {event.channel}",
        f"  Source: {event.provider}",
        f"  Date: {_wevtutil_date(event.time, utc_suffix)}",
        f"  Event ID: {event.event_id}",
        f"  Task: {'Network Policy Server' if event.event_id in TEMPLATES else 'N/A'}",
        "  Level: Information",
        "  Opcode: Info",
        f"  Keyword: {keyword if security else 'Classic'}",
        "  User: N/A",
        "  User Name: N/A",
        f"  Computer: {event.computer}",
        "  Description: ",
    ]
    return "\n".join([*header, render_description(event)])


def write_wevtutil_text(
    path: str | Path, events: Iterable[Event], *, encoding: str = "utf-16", utc_suffix: bool = False
) -> Path:
    """Write events as ``NPS_EventLog.log`` (``wevtutil qe Security ... /f:text`` saved by PowerShell 5.1).

    ``utc_suffix`` False prints local-time style dates without a zone (older wevtutil); True prints the
    ``...0000000Z`` UTC form of newer builds. Events are written in the given order, numbered from 0.
    """
    blocks = [render_wevtutil_block(i, e, utc_suffix=utc_suffix) for i, e in enumerate(events)]
    return _write(path, "\n\n".join(blocks) + "\n", encoding)


# --- registry ---------------------------------------------------------------------------------------------

RegValues = Mapping[str, tuple[str, object]] | Sequence[tuple[str, str, object]]


def _value_items(values: RegValues) -> list[tuple[str, str, object]]:
    if isinstance(values, Mapping):
        return [(name, typ, value) for name, (typ, value) in values.items()]
    return [(name, typ, value) for name, typ, value in values]


def _reg_query_value(typ: str, value: object) -> str:
    if typ in ("REG_DWORD", "REG_QWORD"):
        return hex(int(value))  # type: ignore[call-overload]
    if typ == "REG_MULTI_SZ":
        items = [value] if isinstance(value, str) else list(value)  # type: ignore[call-overload]
        return "\\0".join(items)
    if typ == "REG_BINARY":
        return bytes(value).hex().upper()  # type: ignore[call-overload]
    return str(value)


def render_reg_query(keys: Mapping[str, RegValues]) -> str:
    """``REG QUERY`` text for one or more keys: blank line, key path, ``    NAME    TYPE    value`` lines."""
    out: list[str] = []
    for key, values in keys.items():
        out.extend(["", key])
        for name, typ, value in _value_items(values):
            shown = _reg_query_value(typ, value)
            out.append(f"    {name}    {typ}    {shown}" if shown != "" else f"    {name}    {typ}    ")
    out.append("")
    return "\n".join(out) + "\n"


def write_reg_query(path: str | Path, key: str, values: RegValues, encoding: str = "utf-16") -> Path:
    """Write ``REG QUERY <key>`` output as the health-check script saves it (``BeforeRegAdd_AzureMFA.txt``).

    ``values`` is ``{name: (type, value)}`` or ``[(name, type, value)]``; REG_MULTI_SZ takes a list of strings,
    REG_DWORD/REG_QWORD an int, REG_BINARY bytes. ``encoding="utf-16"`` writes UTF-16 LE with a BOM.
    """
    return _write(path, render_reg_query({key: values}), encoding)


def _reg_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _hex_bytes(prefix: str, data: bytes) -> str:
    """``hex(7):..`` with regedit's line wrapping (lines end in ``\\``, continuation indented 2 spaces)."""
    parts = [f"{b:02x}" for b in data]
    lines: list[str] = []
    current = prefix
    for i, part in enumerate(parts):
        token = part + ("," if i < len(parts) - 1 else "")
        if len(current) + len(token) > 78:
            lines.append(current + "\\")
            current = "  "
        current += token
    lines.append(current)
    return "\n".join(lines)


def _reg_export_value(name: str, typ: str, value: object) -> str:
    head = "@=" if name in ("", "@", "(Default)") else f"{_reg_string(name)}="
    if typ == "REG_SZ":
        return head + _reg_string(str(value))
    if typ == "REG_DWORD":
        return head + f"dword:{int(value):08x}"  # type: ignore[call-overload]
    if typ == "REG_QWORD":
        return _hex_bytes(head + "hex(b):", int(value).to_bytes(8, "little"))  # type: ignore[call-overload]
    if typ == "REG_EXPAND_SZ":
        return _hex_bytes(head + "hex(2):", (str(value) + "\0").encode("utf-16-le"))
    if typ == "REG_MULTI_SZ":
        items = [value] if isinstance(value, str) else list(value)  # type: ignore[call-overload]
        raw = "".join(f"{item}\0" for item in items) + "\0"
        return _hex_bytes(head + "hex(7):", raw.encode("utf-16-le"))
    if typ == "REG_BINARY":
        return _hex_bytes(head + "hex:", bytes(value))  # type: ignore[call-overload]
    if typ == "REG_NONE":
        return _hex_bytes(head + "hex(0):", bytes(value or b""))  # type: ignore[call-overload]
    raise ValueError(f"unsupported registry type {typ}")


def write_reg_export(path: str | Path, keys: Mapping[str, RegValues], encoding: str = "utf-16") -> Path:
    """Write a regedit export (``Windows Registry Editor Version 5.00``), e.g. the health check's AuthSrv.reg."""
    out = ["Windows Registry Editor Version 5.00", ""]
    for key, values in keys.items():
        out.append(f"[{key}]")
        out.extend(_reg_export_value(name, typ, value) for name, typ, value in _value_items(values))
        out.append("")
    return _write(path, "\n".join(out) + "\n", encoding)


# --- NPS accounting logs ----------------------------------------------------------------------------------


def _dbcsv_cell(name: str, value: object) -> str:
    if value is None or value == "":
        return ""
    if name in DBCSV_NUMERIC_FIELDS:
        return str(value)
    return '"' + str(value).replace('"', '""') + '"'


def render_dbcsv_row(row: Mapping[str, object]) -> str:
    """One database-compatible line: every field of :data:`DBCSV_FIELDS` in order, text quoted, no header.

    ``row`` is keyed by the header names (``Packet-Type``, ``User-Name``...); ``Record-Date``/``Record-Time``
    may be given together as ``time`` (a datetime) instead.
    """
    values = dict(row)
    when = values.pop("time", None)
    if isinstance(when, datetime):
        values.setdefault("Record-Date", when.strftime("%m/%d/%Y"))
        values.setdefault("Record-Time", when.strftime("%H:%M:%S"))
    values.setdefault("ServiceName", "IAS")
    unknown = set(values) - set(DBCSV_FIELDS)
    if unknown:
        raise ValueError(f"not database-compatible log fields: {sorted(unknown)}")
    return ",".join(_dbcsv_cell(name, values.get(name)) for name in DBCSV_FIELDS)


def write_dbcsv(path: str | Path, rows: Iterable[Mapping[str, object]], encoding: str = "utf-8") -> Path:
    """Write an NPS ``IN*.log`` in database-compatible format (NPS writes ANSI/UTF-8, CRLF, no header)."""
    return _write(path, "".join(render_dbcsv_row(r) + "\n" for r in rows), encoding)


def render_dts_event(row: Mapping[str, object]) -> str:
    """One ``<Event>`` element; children in the given order, ``data_type`` from :data:`DTS_DATA_TYPES`.

    A ``time`` datetime becomes ``<Timestamp data_type="4">MM/DD/YYYY HH:MM:SS.mmm</Timestamp>``.
    """
    parts = ["<Event>"]
    for name, value in row.items():
        if name == "time" and isinstance(value, datetime):
            name, value = "Timestamp", value.strftime("%m/%d/%Y %H:%M:%S.") + f"{value.microsecond // 1000:03d}"
        data_type = DTS_DATA_TYPES.get(name, 1)
        parts.append(f'<{name} data_type="{data_type}">{escape(str(value))}</{name}>')
    parts.append("</Event>")
    return "".join(parts)


def write_dtsxml(path: str | Path, rows: Iterable[Mapping[str, object]], encoding: str = "utf-8") -> Path:
    """Write an NPS DTS-compliant XML log: concatenated ``<Event>`` elements, one per line, no root element."""
    return _write(path, "".join(render_dts_event(r) + "\n" for r in rows), encoding)
