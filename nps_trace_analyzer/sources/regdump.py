"""Parse the registry dumps of a health-check bundle: ``REG QUERY`` output and regedit ``.reg`` exports.

Why both: the health-check script's log collection (option 4) saves ``REG QUERY`` text of the AzureMfa and
AuthSrv\\Parameters keys before and after it sets ``VERBOSE_LOG`` (``BeforeRegAdd_AzureMFA.txt``,
``AfterRegAdd_AuthSrv.txt``...), while its NPS-isolation step (option 1) saves ``reg export`` of the AuthSrv
service key (``AuthSrv.reg``). Both become the same shape, ``{key_path: {value_name: RegValue}}``, so the
configuration checks do not care which one the bundle holds.

``REG QUERY`` layout (reg.exe; 4-space separated columns; REG_MULTI_SZ items joined by a literal ``\\0``)::

    HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\AzureMfa
        AZURE_MFA_HOSTNAME    REG_SZ    strongauthenticationservice.auth.microsoft.com
        ExtensionDLLs    REG_MULTI_SZ    C:\\...\\MfaNpsAuthnExt.dll

``.reg`` layout: ``[key]`` lines, then ``"name"="string"``, ``dword:0000001``, ``hex(7):43,00,...`` with
``\\`` line continuations; ``@`` is the default value. Version 5.00 files keep hex(2)/hex(7) strings as
UTF-16 LE, REGEDIT4 files as ANSI.

Value names are kept as written; lookups (:func:`find_key`, :func:`get_value`) are case-insensitive, as the
registry is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from nps_trace_analyzer.sources.text_decode import DEFAULT_MAX_BYTES, TextReadStats, load_text

RegData = str | int | bytes | tuple[str, ...]


class RegValue(NamedTuple):
    """One registry value: reg.exe type name and the decoded data.

    REG_SZ/REG_EXPAND_SZ -> str, REG_MULTI_SZ -> tuple of str, REG_DWORD/REG_QWORD -> int, REG_BINARY and
    unknown types -> bytes (or the raw text when it is not valid hex).
    """

    type: str
    value: RegData


RegistryDump = dict[str, dict[str, RegValue]]

AZUREMFA_KEY = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\AzureMfa"
AUTHSRV_PARAMETERS_KEY = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\AuthSrv\Parameters"

_ROOTS = {
    "HKLM": "HKEY_LOCAL_MACHINE",
    "HKCU": "HKEY_CURRENT_USER",
    "HKCR": "HKEY_CLASSES_ROOT",
    "HKU": "HKEY_USERS",
    "HKCC": "HKEY_CURRENT_CONFIG",
}
_KEY_LINE_RE = re.compile(r"^(HKEY_[A-Z_]+|HKLM|HKCU|HKCR|HKU|HKCC)(\\.*)?$", re.IGNORECASE)
_QUERY_VALUE_RE = re.compile(r"^\s{2,}(?P<name>.*?) {4}(?P<type>REG_[A-Z0-9_]+)(?: {4}(?P<value>.*))?$")
_END_OF_SEARCH_RE = re.compile(r"^End of search:", re.IGNORECASE)
_EXPORT_HEADERS = ("windows registry editor version", "regedit4")
_HEX_TYPES = {
    0: "REG_NONE",
    1: "REG_SZ",
    2: "REG_EXPAND_SZ",
    3: "REG_BINARY",
    4: "REG_DWORD",
    5: "REG_DWORD_BIG_ENDIAN",
    7: "REG_MULTI_SZ",
    11: "REG_QWORD",
}


def normalise_key(path: str) -> str:
    """``HKLM\\Software\\...`` -> ``HKEY_LOCAL_MACHINE\\Software\\...`` (case kept, root expanded)."""
    path = path.strip().strip("\\")
    root, _, rest = path.partition("\\")
    root = _ROOTS.get(root.upper(), root.upper() if root.upper().startswith("HKEY_") else root)
    return f"{root}\\{rest}" if rest else root


# --- REG QUERY --------------------------------------------------------------------------------------------


def _query_value(typ: str, raw: str, where: str, stats: TextReadStats) -> RegData:
    try:
        if typ in ("REG_DWORD", "REG_QWORD", "REG_DWORD_BIG_ENDIAN"):
            return int(raw, 16) if raw.lower().startswith("0x") else int(raw)
        if typ == "REG_MULTI_SZ":
            items = raw.split("\\0") if raw else []
            while items and items[-1] == "":
                items.pop()
            return tuple(items)
        if typ in ("REG_BINARY", "REG_NONE") or typ not in ("REG_SZ", "REG_EXPAND_SZ"):
            return bytes.fromhex(raw) if raw else b""
    except ValueError:
        stats.warn(f"{where}: {typ} data {raw[:40]!r} is not in reg.exe's format; kept as text")
        return raw
    return raw


def parse_reg_query(text: str, stats: TextReadStats | None = None) -> RegistryDump:
    """Parse ``REG QUERY`` output (one or several keys, with or without ``/s``)."""
    stats = stats if stats is not None else TextReadStats()
    dump: RegistryDump = {}
    current: dict[str, RegValue] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line.strip() or _END_OF_SEARCH_RE.match(line.strip()):
            continue
        if line.lstrip().upper().startswith("ERROR:"):
            stats.warn(f"line {number}: reg.exe reported {line.strip()!r}")
            continue
        if not line[:1].isspace() and _KEY_LINE_RE.match(line):
            current = dump.setdefault(normalise_key(line), {})
            continue
        m = _QUERY_VALUE_RE.match(line)
        if m and current is not None:
            stats.records_read += 1
            name = m.group("name").strip()
            typ = m.group("type")
            value = (m.group("value") or "").strip()
            if name == "(Default)":
                if value == "(value not set)":
                    continue
                name = ""
            current[name] = RegValue(typ, _query_value(typ, value, f"line {number}", stats))
            continue
        stats.lines_skipped += 1
        where = "before any key" if current is None else "not a REG QUERY value line"
        stats.warn(f"line {number}: {where}, skipped: {line.strip()[:80]!r}")
    stats.formats["reg-query"] = sum(len(v) for v in dump.values())
    return dump


# --- .reg export ------------------------------------------------------------------------------------------


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Join regedit's ``\\``-continued lines; keep the first physical line number for messages."""
    out: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not pending:
            start = number
            piece = line
        else:
            piece = line.lstrip()
        if piece.endswith("\\") and (pending or "=" in piece):
            pending.append(piece[:-1])
            continue
        pending.append(piece)
        out.append((start, "".join(pending)))
        pending = []
    if pending:
        out.append((start, "".join(pending)))
    return out


def _read_quoted(text: str, pos: int) -> tuple[str, int]:
    """Read a regedit quoted string starting at ``text[pos] == '"'``; returns (value, index after it)."""
    out: list[str] = []
    i = pos + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise ValueError("unterminated string")


def _decode_reg_string(data: bytes, unicode: bool) -> str:
    text = data.decode("utf-16-le", errors="replace") if unicode else data.decode("cp1252", errors="replace")
    return text


def _export_value(data: str, unicode: bool) -> RegValue:
    """Decode the right-hand side of ``"name"=<data>``."""
    if data.startswith('"'):
        value, end = _read_quoted(data, 0)
        if data[end:].strip():
            raise ValueError("text after the closing quote")
        return RegValue("REG_SZ", value)
    lower = data.lower()
    if lower.startswith("dword:"):
        return RegValue("REG_DWORD", int(data[6:].strip(), 16))
    m = re.match(r"hex(?:\(([0-9a-f]+)\))?:(.*)$", data, re.IGNORECASE | re.DOTALL)
    if not m:
        raise ValueError(f"unknown data form {data[:20]!r}")
    kind = int(m.group(1), 16) if m.group(1) else 3
    payload = bytes.fromhex(m.group(2).replace(",", "").replace(" ", ""))
    typ = _HEX_TYPES.get(kind, f"REG_TYPE_{kind}")
    if typ in ("REG_SZ", "REG_EXPAND_SZ"):
        return RegValue(typ, _decode_reg_string(payload, unicode).split("\0", 1)[0])
    if typ == "REG_MULTI_SZ":
        items = _decode_reg_string(payload, unicode).split("\0")
        while items and items[-1] == "":
            items.pop()
        return RegValue(typ, tuple(items))
    if typ in ("REG_DWORD", "REG_QWORD"):
        return RegValue(typ, int.from_bytes(payload, "little"))
    if typ == "REG_DWORD_BIG_ENDIAN":
        return RegValue(typ, int.from_bytes(payload, "big"))
    return RegValue(typ, payload)


def parse_reg_export(text: str, stats: TextReadStats | None = None) -> RegistryDump:
    """Parse a regedit export (``Windows Registry Editor Version 5.00`` or ``REGEDIT4``)."""
    stats = stats if stats is not None else TextReadStats()
    dump: RegistryDump = {}
    current: dict[str, RegValue] | None = None
    unicode = True
    for number, line in _logical_lines(text):
        stripped = line.strip()
        if not stripped or stripped.startswith(";"):
            continue
        lower = stripped.lower()
        if lower.startswith(_EXPORT_HEADERS):
            unicode = not lower.startswith("regedit4")
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            key = stripped[1:-1]
            if key.startswith("-"):
                stats.warn(f"line {number}: key deletion [{key}] ignored")
                current = None
                continue
            current = dump.setdefault(normalise_key(key), {})
            continue
        if current is None:
            stats.lines_skipped += 1
            stats.warn(f"line {number}: value before any [key], skipped: {stripped[:80]!r}")
            continue
        stats.records_read += 1
        try:
            if stripped.startswith("@="):
                name, rest = "", stripped[2:]
            elif stripped.startswith('"'):
                name, end = _read_quoted(stripped, 0)
                rest = stripped[end:].lstrip()
                if not rest.startswith("="):
                    raise ValueError("no '=' after the value name")
                rest = rest[1:].lstrip()
            else:
                raise ValueError("not a value line")
            if rest == "-":
                stats.warn(f"line {number}: value deletion {name!r} ignored")
                continue
            current[name] = _export_value(rest, unicode)
        except ValueError as exc:
            stats.records_skipped += 1
            stats.warn(f"line {number}: {exc}; skipped: {stripped[:80]!r}")
    stats.formats["reg-export"] = sum(len(v) for v in dump.values())
    return dump


# --- entry points and lookups -----------------------------------------------------------------------------


def is_reg_export(text: str) -> bool:
    return text.lstrip("\ufeff \r\n\t").lower().startswith(_EXPORT_HEADERS)


def parse_registry_text(text: str, stats: TextReadStats | None = None) -> RegistryDump:
    """Parse either dump form, chosen by the regedit header line."""
    return parse_reg_export(text, stats) if is_reg_export(text) else parse_reg_query(text, stats)


def read_registry_file(
    path: str | Path, stats: TextReadStats | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> RegistryDump:
    """Read a ``REG QUERY`` text file or a ``.reg`` export (any encoding). Never raises for bad content:
    an unreadable file gives ``{}`` with ``stats.error`` set."""
    stats = stats if stats is not None else TextReadStats()
    text = load_text(path, stats, max_bytes)
    if text is None:
        return {}
    return parse_registry_text(text, stats)


def find_key(dump: Mapping[str, Mapping[str, RegValue]], suffix: str) -> dict[str, RegValue] | None:
    """Values of the key whose path ends with ``suffix`` (whole components, case-insensitive), else None.

    ``find_key(dump, r"SOFTWARE\\Microsoft\\AzureMfa")`` matches ``HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\AzureMfa``
    (and the same path under ``ControlSet001`` etc. for AuthSrv). The shortest matching path wins.
    """
    want = [part.lower() for part in normalise_key(suffix).split("\\") if part]
    best: tuple[int, str] | None = None
    for key in dump:
        parts = [part.lower() for part in key.split("\\")]
        if len(parts) >= len(want) and parts[-len(want) :] == want and (best is None or len(key) < best[0]):
            best = (len(key), key)
    return dict(dump[best[1]]) if best else None


def azuremfa_values(dump: Mapping[str, Mapping[str, RegValue]]) -> dict[str, RegValue] | None:
    """The ``HKLM\\SOFTWARE\\Microsoft\\AzureMfa`` values of a dump, or None when the key is not in it."""
    return find_key(dump, r"SOFTWARE\Microsoft\AzureMfa")


def authsrv_parameters(dump: Mapping[str, Mapping[str, RegValue]]) -> dict[str, RegValue] | None:
    """The ``...\\Services\\AuthSrv\\Parameters`` values of a dump, or None when the key is not in it."""
    return find_key(dump, r"Services\AuthSrv\Parameters")


def get_value(values: Mapping[str, RegValue] | None, name: str) -> RegValue | None:
    """Case-insensitive value lookup (``get_value(v, "verbose_log")`` finds ``VERBOSE_LOG``)."""
    if not values:
        return None
    lname = name.lower()
    for key, value in values.items():
        if key.lower() == lname:
            return value
    return None
