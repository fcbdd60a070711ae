"""Ways another writer or a real collection lays out the same bundle, for the metamorphic tests.

Our scenario generator always writes a bundle the same way: ``<HOST>_AuthZOptCh.evtx`` names in one flat folder,
one shared template per event shape, values substituted into it, named ``<Data>`` in Windows' order, lower-case
CIDs, REG QUERY dumps in UTF-16, the accounting log database-compatible. An independent writer (or an admin with
Event Viewer, wevtutil, reg.exe and a zip tool) differs in exactly those habits. Each variant here changes one habit
and keeps the events' meaning, so the diagnosis must stay what the bundle's expected.json says.

Variants act at two levels: on the :class:`~nps_trace_analyzer.synth.bundle.BundlePlan` before it is written (the
events: field order, missing or redacted fields, CID spelling, time precision, foreign events) and on the written
folder (names, nesting, zips, copies, other text encodings). EVTX bytes of other shapes (a template per record,
literal values, small chunks) come from :class:`VariantEvtxWriter`, built on the project's own EVTX writer.
"""

from __future__ import annotations

import dataclasses
import random
import re
import shutil
import struct
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path

from nps_trace_analyzer.synth.bundle import BundlePlan, write_plan
from nps_trace_analyzer.synth.evtx.chunk import Chunk
from nps_trace_analyzer.synth.evtx.record import PreparedEvent, prepare
from nps_trace_analyzer.synth.evtx.templates import Element, Slot, Subst, Template, Text
from nps_trace_analyzer.synth.evtx.writer import EvtxWriter
from nps_trace_analyzer.synth.spec import EventSpec, UserData
from nps_trace_analyzer.synth.textfiles import (
    RegValues,
    _hex_bytes,
    _reg_export_value,
    _reg_string,
    _value_items,
    render_reg_query,
    write_reg_export,
)

GUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_NAMESPACE = uuid.UUID("0f4e9a1c-3b2d-4c6e-9a8b-7d6c5b4a3f21")

# --- EVTX bytes of other shapes ---------------------------------------------------------------------------------

#: System slots a writer may store as literal text in the template instead of substituting them.
_LITERAL_SLOTS = {Slot.PROVIDER_NAME: "provider", Slot.CHANNEL: "channel", Slot.COMPUTER: "computer"}


def _literal(node: Element | Subst | Text, values: dict[int, str]) -> Element | Subst | Text:
    """``node`` with the substitutions of ``values`` replaced by literal text (the rest kept)."""
    if isinstance(node, Subst):
        return Text(values[node.index]) if node.index in values else node
    if isinstance(node, Text):
        return node
    attributes = tuple((name, _literal(value, values)) for name, value in node.attributes)
    attributes = tuple((n, a) for n, a in attributes if isinstance(a, (Subst, Text)))
    children = tuple(_literal(child, values) for child in node.children)
    return Element(node.name, attributes, children)


class VariantEvtxWriter(EvtxWriter):
    """The project's EVTX writer with other habits: a fresh chunk every ``records_per_chunk`` records, and with
    ``own_templates`` a template per record whose payload values (and provider, channel, computer) are literal
    text in the template, as a writer that renders each event once would store it."""

    def __init__(
        self, path: Path, *, first_record_id: int = 1, records_per_chunk: int = 0, own_templates: bool = False
    ) -> None:
        super().__init__(path, first_record_id=first_record_id)
        self._per_chunk = records_per_chunk
        self._own = own_templates
        self._in_chunk = 0

    def write(self, spec: EventSpec) -> int:
        if self._per_chunk and self._chunk is not None and self._in_chunk >= self._per_chunk:
            self._flush_chunk(self._chunk)
            self._in_chunk = 0
        record_id = self._next_record_id
        event = prepare(spec, record_id)
        if self._own:
            event = self._own_template(spec, event)
        chunk = self._chunk
        if chunk is None or chunk.try_append(event) is None:
            if chunk is not None:
                self._flush_chunk(chunk)
            chunk = Chunk(self._next_record_number)
            if chunk.try_append(event) is None:
                raise ValueError("record too large")
            self._chunk = chunk
            self._in_chunk = 0
        self._in_chunk += 1
        self._next_record_id += 1
        self._next_record_number += 1
        return record_id

    def _own_template(self, spec: EventSpec, event: PreparedEvent) -> PreparedEvent:
        literal = {int(slot): str(getattr(spec, attr)) for slot, attr in _LITERAL_SLOTS.items()}
        root = _literal(event.event_template.root, literal)
        assert isinstance(root, Element)
        outer = Template(uuid.uuid5(_NAMESPACE, f"event|{event.record_id}"), root)
        if spec.user_data is not None:
            return dataclasses.replace(event, event_template=outer)
        data = []
        for name, value in spec.event_data or ():
            attributes = (("Name", Text(name)),) if name is not None else ()
            data.append(Element("Data", attributes, (Text(value),) if value else ()))
        payload = Template(uuid.uuid5(_NAMESPACE, f"data|{event.record_id}"), Element("EventData", (), tuple(data)))
        return dataclasses.replace(event, event_template=outer, payload_template=payload, payload_values=())


def write_variant_evtx(path: Path, specs: Iterable[EventSpec], **habits: int | bool) -> None:
    with VariantEvtxWriter(path, **habits) as writer:  # type: ignore[arg-type]
        for spec in specs:
            writer.write(spec)


# --- event-level variants (on the plan) -------------------------------------------------------------------------

SpecMap = Callable[[EventSpec, str], EventSpec]


def map_events(plan: BundlePlan, change: SpecMap, *, text_log: bool = True) -> BundlePlan:
    """``plan`` with every .evtx event (and NPS_EventLog.log event) passed through ``change(spec, file name)``."""
    files = {name: tuple(change(s, name) for s in specs) for name, specs in plan.files.items()}
    text = plan.eventlog_text
    if text_log:
        text = {name: tuple(change(s, name) for s in specs) for name, specs in text.items()}
    return dataclasses.replace(plan, files=files, eventlog_text=text)


def map_data(change: Callable[[tuple[tuple[str | None, str], ...], EventSpec], tuple[tuple[str | None, str], ...]]):
    def apply(spec: EventSpec, _name: str) -> EventSpec:
        if spec.event_data is None:
            return spec
        return dataclasses.replace(spec, event_data=change(spec.event_data, spec))

    return apply


def is_audit(spec: EventSpec) -> bool:
    return spec.channel == "Security"


def is_mfa(spec: EventSpec) -> bool:
    return "AzureMfa" in spec.channel or "AuthZ" in spec.channel or "AuthN" in spec.channel


def shuffled_audit_fields(seed: int = 3) -> SpecMap:
    rng = random.Random(seed)

    def change(data, spec):
        if not is_audit(spec):
            return data
        items = list(data)
        rng.shuffle(items)
        return tuple(items)

    return map_data(change)


def dropped_dash_fields() -> SpecMap:
    """Optional fields left out where Windows writes "-" (a writer that omits empty values)."""
    return map_data(lambda data, spec: tuple(p for p in data if p[1] != "-") if is_audit(spec) else data)


def empty_dash_fields() -> SpecMap:
    return map_data(lambda data, spec: tuple((n, "" if v == "-" else v) for n, v in data) if is_audit(spec) else data)


_NETWORK_FIELDS = {"CallingStationID", "CalledStationID", "ClientIPAddress", "NASIPv4Address", "NASIdentifier"}


def redacted_network_fields(mask: str) -> SpecMap:
    """Addresses and station ids blanked out by the admin before sending the bundle."""

    def change(data, spec):
        if not is_audit(spec):
            return data
        return tuple((n, mask if n in _NETWORK_FIELDS and v not in ("", "-") else v) for n, v in data)

    return map_data(change)


def respelled_cids(form: Callable[[str], str]) -> SpecMap:
    """Every GUID of the extension's messages respelled (upper case, braces) as another writer renders them."""

    def change(data, spec):
        if not is_mfa(spec):
            return data
        return tuple((n, GUID.sub(lambda m: form(m.group(0)), v)) for n, v in data)

    return map_data(change)


def whole_seconds() -> SpecMap:
    """Times written to the second (no fraction), as a text export or a coarse writer keeps them."""

    def change(spec: EventSpec, _name: str) -> EventSpec:
        return dataclasses.replace(spec, time=spec.time.replace(microsecond=0), time_ticks=0)

    return change


def with_ticks() -> SpecMap:
    """Full 100 ns precision (Windows' own): 7 fraction digits."""

    def change(spec: EventSpec, _name: str) -> EventSpec:
        return dataclasses.replace(spec, time_ticks=7)

    return change


def foreign_events(plan: BundlePlan) -> BundlePlan:
    """Events of other providers interleaved into Security and System, as a real log holds them: logons naming
    the same users, service state changes, a log-cleared record; the extension's logs are left alone."""
    users = sorted(
        {
            value
            for spec in plan.files.get("Security.evtx", ())
            for name, value in spec.event_data or ()
            if name == "SubjectUserName" and value not in ("", "-")
        }
    )
    files = dict(plan.files)
    for name, specs in plan.files.items():
        if not specs or name not in ("Security.evtx", "System.evtx"):
            continue
        extra = []
        for index, spec in enumerate(specs[::3]):
            when = spec.time + timedelta(seconds=1)
            if name == "Security.evtx":
                user = users[index % len(users)] if users else "svc-backup"
                extra.append(
                    dataclasses.replace(
                        spec,
                        event_id=4625 if index % 2 else 4624,
                        task=12544,
                        time=when,
                        event_data=(
                            ("SubjectUserSid", "S-1-5-18"),
                            ("TargetUserName", user),
                            ("TargetDomainName", "CONTOSO"),
                            ("Status", "0xc000006d"),
                            ("FailureReason", "%%2313"),
                            ("LogonType", "3"),
                            ("IpAddress", "10.0.0.9"),
                        ),
                    )
                )
            else:
                extra.append(
                    EventSpec(
                        provider="Service Control Manager",
                        provider_guid="{555908d1-a6d7-4695-8e1e-26931d2012f4}",
                        event_source_name="Service Control Manager",
                        event_id=7036,
                        qualifiers=16384,
                        time=when,
                        channel="System",
                        computer=spec.computer,
                        event_data=(("param1", "Network Policy Server"), ("param2", "running")),
                    )
                )
        merged = sorted([*specs, *extra], key=lambda s: (s.time, s.time_ticks))
        files[name] = tuple(merged)
    return dataclasses.replace(plan, files=files)


# --- writing, then changing the folder --------------------------------------------------------------------------


def write_with(plan: BundlePlan, folder: Path, **habits: int | bool) -> Path:
    """Write ``plan`` like :func:`write_plan`, the .evtx files with :class:`VariantEvtxWriter` habits."""
    write_plan(dataclasses.replace(plan, files={}), folder)
    for name, specs in plan.files.items():
        write_variant_evtx(folder / name, specs, first_record_id=plan.first_record_ids[name], **habits)
    return folder


WEVTUTIL_NAMES = {
    "AuthNOptCh": "Microsoft-AzureMfa-AuthN%4AuthNOptCh.evtx",
    "AuthZOptCh": "Microsoft-AzureMfa-AuthZ%4AuthZOptCh.evtx",
    "AuthZAdminCh": "Microsoft-AzureMfa-AuthZ%4AuthZAdminCh.evtx",
}


def rename(folder: Path, new_name: Callable[[str], str]) -> None:
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        target = path.with_name(new_name(path.name))
        if target != path:
            path.rename(target)


def channel_of(name: str) -> str | None:
    return next((c for c in WEVTUTIL_NAMES if name.endswith(f"_{c}.evtx")), None)


def wevtutil_names(name: str) -> str:
    channel = channel_of(name)
    return WEVTUTIL_NAMES[channel] if channel else name


def bare_names(name: str) -> str:
    channel = channel_of(name)
    return f"{channel}.evtx" if channel else name


def odd_names(name: str) -> str:
    """Other case, spaces, non-ASCII: what a hand-made collection calls the same files."""
    channel = channel_of(name)
    if channel:
        return f"Journal {channel} (exporté).EVTX"
    return {"Security.evtx": "SECURITY log – nps01.evtx", "System.evtx": "system.EVTX"}.get(name, name)


def nest(folder: Path, *parts: str) -> None:
    """Move the bundle's files down into ``folder/parts...`` (a C:\\NPS tree copied with its parents)."""
    inner = folder.joinpath(*parts)
    files = [p for p in folder.iterdir()]
    inner.mkdir(parents=True)
    for path in files:
        shutil.move(str(path), str(inner / path.name))


def zipped(folder: Path, target: Path, *, prefix: str = "", backslashes: bool = False) -> Path:
    """Zip ``folder``'s files under ``prefix`` (Windows' zip tools may store ``a\\b`` names)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = prefix + path.relative_to(folder).as_posix()
            archive.write(path, name.replace("/", "\\") if backslashes else name)
    return target


def regedit_exports(plan: BundlePlan, folder: Path, *, version4: bool = False) -> None:
    """The registry dumps rewritten as regedit exports (``.reg``, UTF-16 with BOM; REGEDIT4 in ANSI)."""
    for name, dump in plan.registry.items():
        (folder / name).unlink()
        target = folder / (Path(name).stem + ".reg")
        if version4:
            target.write_bytes(render_regedit4(dump.key, dump.values).encode("cp1252"))
        else:
            write_reg_export(target, {dump.key: dump.values})


def render_regedit4(key: str, values: RegValues) -> str:
    """A REGEDIT4 export (Windows 95/NT4 regedit, still offered by "Export" as "Win9x/NT4"): ANSI text, string
    lists stored as ANSI bytes instead of UTF-16."""
    out = ["REGEDIT4", "", f"[{key}]"]
    for name, typ, value in _value_items(values):
        if typ in ("REG_MULTI_SZ", "REG_EXPAND_SZ"):
            items = [value] if isinstance(value, str) else list(value)  # type: ignore[call-overload]
            raw = "".join(f"{item}\0" for item in items) + ("\0" if typ == "REG_MULTI_SZ" else "")
            kind = "hex(7):" if typ == "REG_MULTI_SZ" else "hex(2):"
            out.append(_hex_bytes(f"{_reg_string(name)}={kind}", raw.encode("cp1252")))
        else:
            out.append(_reg_export_value(name, typ, value))
    return "\r\n".join([*out, "", ""])


def audit_names(change: Callable[[str], str | None]) -> SpecMap:
    """Security Data names respelled (lower case) or dropped (None: unnamed values in Windows' order)."""
    return map_data(lambda data, spec: tuple((change(n) if n else n, v) for n, v in data) if is_audit(spec) else data)


def computer_case(spec: EventSpec, name: str) -> EventSpec:
    """Computer names in another case per log (the extension's logs upper case, Security lower case)."""
    if is_mfa(spec):
        return dataclasses.replace(spec, computer=spec.computer.upper())
    if is_audit(spec):
        return dataclasses.replace(spec, computer=spec.computer.lower())
    return spec


def netbios_in_extension_logs(spec: EventSpec, name: str) -> EventSpec:
    """The extension's logs name the server by its NetBIOS name, the Windows logs by its FQDN (one writer per
    log, or logs saved before and after a DNS suffix change)."""
    if is_mfa(spec):
        return dataclasses.replace(spec, computer=spec.computer.split(".", 1)[0])
    return spec


def extension_user_data(named: bool) -> SpecMap:
    """The extension's events with a ``<UserData>`` payload instead of ``<EventData>`` (no public XML of an AzureMfa
    event exists, domain-facts §1): one ``Message`` child, or one child per value (``param1``...)."""

    def change(spec: EventSpec, _name: str) -> EventSpec:
        if not is_mfa(spec) or spec.event_data is None:
            return spec
        if named:
            children = tuple((n or f"param{i + 1}", v) for i, (n, v) in enumerate(spec.event_data))
        else:
            children = (("Message", " ".join(v for _n, v in spec.event_data)),)
        return dataclasses.replace(spec, event_data=None, user_data=UserData("EventXML", "", children))

    return change


def out_of_order(plan: BundlePlan, seed: int = 4) -> BundlePlan:
    """Records not in time order within each log (a writer that emits them grouped by story, merged exports)."""
    rng = random.Random(seed)

    def mixed(specs: tuple[EventSpec, ...]) -> tuple[EventSpec, ...]:
        items = list(specs)
        rng.shuffle(items)
        return tuple(items)

    files = {name: mixed(specs) for name, specs in plan.files.items()}
    text = {name: mixed(specs) for name, specs in plan.eventlog_text.items()}
    return dataclasses.replace(plan, files=files, eventlog_text=text)


def one_registry_file(plan: BundlePlan, folder: Path, form: str) -> None:
    """Only the After dumps, both keys in one file: a ``.reg`` export, one ``REG QUERY`` text, or REGEDIT4."""
    after = {dump.key: dump.values for name, dump in plan.registry.items() if name.startswith("After")}
    for name in plan.registry:
        (folder / name).unlink()
    if form == "reg":
        write_reg_export(folder / "NPS-registry.reg", after)
    elif form == "query":
        (folder / "registry.txt").write_bytes(b"\xff\xfe" + render_reg_query(after).encode("utf-16-le"))
    else:
        text = "\r\n".join(render_regedit4(key, values) for key, values in after.items())
        (folder / "nps.reg").write_bytes(text.encode("cp1252"))


def channel_spelling(channel: Callable[[str], str], provider: Callable[[str], str]) -> SpecMap:
    """The extension's channel and provider spelled another way (no manifest is public: domain-facts §1)."""

    def change(spec: EventSpec, _name: str) -> EventSpec:
        if not is_mfa(spec):
            return spec
        log = spec.channel.rsplit("/", 1)[-1]
        return dataclasses.replace(spec, channel=channel(log), provider=provider(log), provider_guid=None)

    return change


def neutral_names(folder: Path) -> None:
    """The extension's logs saved under names that say nothing (``export0.evtx``...): their records decide."""
    for index, path in enumerate(sorted(folder.glob("*Ch.evtx"))):
        path.rename(folder / f"export{index}.evtx")


def live_copy_headers(folder: Path) -> None:
    """Every .evtx as a copy of a live log: the file header still names one chunk and says "dirty" (its CRC valid),
    while more chunks follow."""
    for path in folder.glob("*.evtx"):
        data = bytearray(path.read_bytes())
        struct.pack_into("<Q", data, 0x10, 0)  # last chunk number
        struct.pack_into("<H", data, 0x2A, 1)  # chunk count
        struct.pack_into("<I", data, 0x78, 1)  # flags: dirty
        struct.pack_into("<I", data, 0x7C, zlib.crc32(bytes(data[:0x78])))
        path.write_bytes(bytes(data))


def no_chunk_tables(folder: Path) -> None:
    """Chunks whose string and template lookup tables are left empty (a writer that only defines each template and
    name inline where first used; the header CRC recomputed)."""
    for path in folder.glob("*.evtx"):
        data = bytearray(path.read_bytes())
        for start in range(4096, len(data), 65536):
            if data[start : start + 8] == b"ElfChnk\x00":
                data[start + 0x80 : start + 0x200] = bytes(0x180)
                crc = zlib.crc32(bytes(data[start : start + 0x78]) + bytes(data[start + 0x80 : start + 0x200]))
                struct.pack_into("<I", data, start + 0x7C, crc)
        path.write_bytes(bytes(data))


def mac_extras(archive: Path, folder_name: str, names: Iterable[str]) -> None:
    """What a Mac's Finder and a Windows Explorer add to a zip: AppleDouble ``._`` companions under ``__MACOSX/``,
    ``.DS_Store``, ``Thumbs.db``, a screenshot, ``desktop.ini``."""
    with zipfile.ZipFile(archive, "a") as out:
        for name in names:
            out.writestr(
                f"__MACOSX/{folder_name}/._{name}", b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + bytes(60)
            )
        out.writestr(f"{folder_name}/.DS_Store", b"\x00\x00\x00\x01Bud1" + bytes(100))
        out.writestr(f"{folder_name}/Thumbs.db", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))
        out.writestr(f"{folder_name}/screenshot.png", b"\x89PNG\r\n\x1a\n" + bytes(100))
        out.writestr(f"{folder_name}/desktop.ini", "[.ShellClassInfo]\r\n".encode("utf-16"))


def rewrite_text(path: Path, *, encoding: str, newline: str = "\r\n", bom: bool = False) -> None:
    """A UTF-16 text file of the bundle saved again in another encoding / line ending (Notepad, Out-File)."""
    text = path.read_text(encoding="utf-16").replace("\r\n", "\n").replace("\n", newline)
    data = text.encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


#: IAS-format attribute ids as Microsoft's iasparse examples show them (Windows Server 2003 "Iasparse Examples",
#: https://learn.microsoft.com/en-us/previous-versions/windows/it-pro/windows-server-2003/cc781314(v=ws.10):
#: 4108 client IP, 4116 client vendor, 4128 client friendly name, 4130 fully qualified user name, 4136 packet type,
#: 4142 reason code) and the SDK's ATTRIBUTEID / RADIUS numbers for the rest.
_IAS_IDS = (
    ("Client-IP-Address", 4108),
    ("Client-Vendor", 4116),
    ("Client-Friendly-Name", 4128),
    ("Called-Station-ID", 30),
    ("NAS-Identifier", 32),
    ("NAS-Port-Type", 61),
    ("Service-Type", 6),
    ("Authentication-Type", 4127),
    ("EAP-Friendly-Name", 4132),
    ("Fully-Qualified-Distinguished-Name", 4130),
    ("Policy-Name", 4149),
    ("Proxy-Policy-Name", 4154),
    ("Provider-Type", 4155),
    ("Class", 25),
    ("Packet-Type", 4136),
    ("Reason-Code", 4142),
)


def _ias_cell(value: object) -> str:
    text = str(value)
    return '"' + text.replace('"', '""') + '"' if "," in text or '"' in text else text


def write_ias(path: Path, rows: Iterable[dict[str, object]]) -> None:
    """An ``IN*.log`` in IAS format: six header fields, then ``id,value`` pairs. An answer row names the user of
    the request it answers (as the iasparse example's Access-Reject line does)."""
    lines = []
    last_user: dict[object, object] = {}
    for row in rows:
        client = row.get("Client-IP-Address")
        user = row.get("User-Name") or last_user.get(client, "")
        if row.get("User-Name"):
            last_user[client] = row["User-Name"]
        when = row["time"]
        header = [row.get("NAS-IP-Address") or client, user, when.strftime("%m/%d/%Y"), when.strftime("%H:%M:%S")]  # type: ignore[attr-defined]
        cells = [*header, "IAS", row["ComputerName"]]
        for name, ident in _IAS_IDS:
            if row.get(name) not in (None, ""):
                cells += [str(ident), row[name]]
        lines.append(",".join(_ias_cell(c) for c in cells))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
