"""Decide from the EVTX bytes which records pyevtx-rs must render, and have it render only those.

A busy server's Security.evtx is ~97 % audit events an NPS diagnosis only counts; rendering each one to JSON in
pyevtx-rs and testing the text (``evtx_lean.sniff_json``) was about half of the whole analysis. A record's
provider, EventID and channel sit in its System template's substitution values, so they can be read straight
from the record bytes ([MS-EVEN6] BinXml, layout in :mod:`~nps_trace_analyzer.sources.binxml_layout`).

pyevtx-rs cannot be told to skip records, but it walks a chunk record by record using each record's size field.
So each chunk is copied, and a run of records known to be irrelevant is folded into the record before it (or,
at the chunk start, into its first record) by enlarging that record's size: pyevtx-rs renders the one record and
steps over the rest. Nothing else changes — templates and names stay at their chunk offsets, so every record
that is rendered renders exactly as from the original file. A chunk without any record to render is not given
to pyevtx-rs at all.

Safety, because the result must equal what rendering every record gives:

- a record is skipped only when its provider is Security-Auditing, its System template has the regular shape
  (Provider/EventID/Channel where ``sniff_json`` finds them, nothing before them that could render as JSON
  keys) and its EventID is not an NPS audit: the same decision ``sniff_json`` makes from the JSON text;
- a chunk is used only if its header and records agree (signature, CRC32 of the records, consecutive
  EventRecordIDs from the header's first to last, sizes and their trailing copies); otherwise, and for
  anything the walk does not understand, the shard is read the ordinary way;
- after rendering, the record ids pyevtx-rs returned must be exactly those expected, with no warning, and each
  rendered record that was decided natively must get the same decision from ``sniff_json``; otherwise the shard
  is read again the ordinary way.

Size: about 600 lines: the template walk, the record scan and the folding must agree on one reading of the
chunk bytes, and the safety argument above is checked against all three at once.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass, field

from nps_trace_analyzer.core.domain import AZUREMFA_CHANNEL_SUFFIXES, NPS_AUDIT_EVENT_IDS, SECURITY_AUDITING_PROVIDER
from nps_trace_analyzer.sources import binxml_layout as bx
from nps_trace_analyzer.sources.evtx_layout import CHUNK_SIGNATURE, CHUNK_SIZE, FILE_HEADER_BLOCK

#: Record states after the walk.
SKIP, RENDER = 0, 1
_EXACT_PROVIDER = "Microsoft-Windows-Security-Auditing"
#: Template nesting we follow (Event > System > EventID is depth 3); deeper trees are rendered, not analysed.
MAX_TEMPLATE_DEPTH = 32
_KEY_NAMES = frozenset({"Provider", "EventID", "Channel"})


class _Opaque(Exception):
    """Something the walk does not understand: render instead of deciding."""


# --- templates ----------------------------------------------------------------------------------------------


@dataclass
class _Node:
    name: str
    attributes: list[tuple[str, list[tuple[str, object]]]] = field(default_factory=list)
    children: list[_Node | tuple[str, object]] = field(default_factory=list)


@dataclass(frozen=True)
class TemplateShape:
    """Where a System template keeps what the relevance decision needs (a substitution index, or fixed text)."""

    provider: int | str  # int: substitution index; str: text in the template
    event_id: int
    qualifiers: int | None  # the only attribute EventID may carry (numeric or absent in the JSON)
    channel: int | str
    #: substitutions up to this index must not be BinXml (a nested document would put keys before ours)
    checked: int


def _name_at(chunk: bytes, offset: int) -> str:
    if offset + bx.NAME_HEADER.size > len(chunk):
        raise _Opaque
    _next, _hash, units = bx.NAME_HEADER.unpack_from(chunk, offset)
    start = offset + bx.NAME_HEADER.size
    if start + 2 * units > len(chunk):
        raise _Opaque
    return chunk[start : start + 2 * units].decode("utf-16-le", "strict")


class _TemplateReader:
    """Reads one template definition's BinXml into a small tree (names resolved, values as markers)."""

    def __init__(self, chunk: bytes, start: int, end: int, externals: list[tuple[int, bytes]]) -> None:
        self.chunk, self.pos, self.end = chunk, start, end
        self.externals = externals  # names stored outside the definition: a cached shape must re-check them

    def _byte(self) -> int:
        if self.pos >= self.end:
            raise _Opaque
        return self.chunk[self.pos]

    def _unpack(self, fmt: object) -> tuple[int, ...]:
        size = fmt.size  # type: ignore[attr-defined]
        if self.pos + size > self.end:
            raise _Opaque
        values = fmt.unpack_from(self.chunk, self.pos)  # type: ignore[attr-defined]
        self.pos += size
        return values

    def _name(self) -> str:
        (offset,) = self._unpack(bx.NAME_OFFSET)
        name = _name_at(self.chunk, offset)
        stored = bx.NAME_HEADER.size + 2 * len(name) + 2
        if offset == self.pos:  # defined inline: step over the name structure
            self.pos += stored
        else:
            self.externals.append((offset, self.chunk[offset : offset + stored]))
        return name

    def _content_item(self, token: int) -> tuple[str, object]:
        kind = token & bx.TOKEN_MASK
        self.pos += 1
        if kind == bx.VALUE:
            value_type, units = self._unpack(bx.VALUE_TEXT)
            if value_type != bx.STRING_TYPE or self.pos + 2 * units > self.end:
                raise _Opaque
            text = self.chunk[self.pos : self.pos + 2 * units].decode("utf-16-le", "strict")
            self.pos += 2 * units
            return ("text", text)
        if kind in (bx.NORMAL_SUBSTITUTION, bx.OPTIONAL_SUBSTITUTION):
            index, _declared = self._unpack(bx.SUBSTITUTION)
            return ("sub", index)
        if kind == bx.CHAR_REF:
            self._unpack(bx.CHAR_REF_VALUE)
            return ("other", None)
        if kind == bx.ENTITY_REF:
            self._name()
            return ("other", None)
        if kind == bx.CDATA_SECTION:
            (units,) = self._unpack(bx.TEXT_UNITS)
            self.pos += 2 * units
            return ("other", None)
        raise _Opaque

    def element(self, depth: int = 0) -> _Node:
        token = self._byte()
        if token & ~bx.HAS_MORE != bx.OPEN_START_ELEMENT or depth > MAX_TEMPLATE_DEPTH:
            raise _Opaque
        self.pos += 1
        self._unpack(_ELEMENT_HEAD)  # dependency id, data size
        node = _Node(self._name())
        if token & bx.HAS_MORE:
            self._unpack(bx.ATTRIBUTE_LIST_SIZE)
            while self._byte() & bx.TOKEN_MASK == bx.ATTRIBUTE:
                self.pos += 1
                name = self._name()
                content: list[tuple[str, object]] = []
                while self._byte() & bx.TOKEN_MASK in _CONTENT_TOKENS:
                    content.append(self._content_item(self._byte()))
                node.attributes.append((name, content))
        token = self._byte()
        self.pos += 1
        if token == bx.CLOSE_EMPTY_ELEMENT:
            return node
        if token != bx.CLOSE_START_ELEMENT:
            raise _Opaque
        while True:
            token = self._byte()
            if token == bx.END_ELEMENT:
                self.pos += 1
                return node
            if token & ~bx.HAS_MORE == bx.OPEN_START_ELEMENT:
                node.children.append(self.element(depth + 1))
            elif token & bx.TOKEN_MASK in _CONTENT_TOKENS:
                node.children.append(self._content_item(token))
            else:
                raise _Opaque


_ELEMENT_HEAD = struct.Struct("<HI")  # dependency identifier, data size (the name offset is read by _name)
_CONTENT_TOKENS = frozenset({bx.VALUE, bx.NORMAL_SUBSTITUTION, bx.OPTIONAL_SUBSTITUTION, bx.CHAR_REF, bx.ENTITY_REF})


def _single(content: list[tuple[str, object]]) -> int | str:
    """The one substitution index or text a value consists of; _Opaque for anything else."""
    if len(content) != 1 or content[0][0] not in ("sub", "text"):
        raise _Opaque
    return content[0][1]  # type: ignore[return-value]


def _shape_of(root: _Node) -> TemplateShape:
    """The shape ``sniff_json`` relies on, or _Opaque: Event > System first, System's first child Provider with
    Name as first attribute, EventID and Channel children of System, and none of the three names (as element or
    attribute) anywhere before them in document order."""
    if root.name != "Event":
        raise _Opaque
    elements = [c for c in root.children if isinstance(c, _Node)]
    if not elements or elements[0].name != "System" or root.children[0] is not elements[0]:
        raise _Opaque
    system = elements[0]
    found: dict[str, _Node] = {}
    last_index = -1
    order: list[tuple[str, object]] = []  # document order: ("name", node-or-None) and ("sub", index)

    def walk(node: _Node) -> None:
        order.append(("name", node))
        for name, content in node.attributes:
            order.append(("name", name))
            order.extend(("sub", v) for k, v in content if k == "sub")
        for child in node.children:
            if isinstance(child, _Node):
                walk(child)
            elif child[0] == "sub":
                order.append(("sub", child[1]))

    walk(root)
    wanted = {c.name: c for c in system.children if isinstance(c, _Node) and c.name in _KEY_NAMES}
    if set(wanted) != _KEY_NAMES or system.children[0] is not wanted["Provider"]:
        raise _Opaque
    for kind, item in order:
        if len(found) == len(_KEY_NAMES):
            break
        if kind == "sub":
            last_index = max(last_index, int(item))  # type: ignore[call-overload]
            continue
        name = item.name if isinstance(item, _Node) else item
        if name in _KEY_NAMES and name not in found:
            if item is not wanted[name]:  # type: ignore[index]
                raise _Opaque  # the first such key in the JSON would not be System's
            found[name] = item  # type: ignore[assignment]
    provider, event_id, channel = wanted["Provider"], wanted["EventID"], wanted["Channel"]
    if not provider.attributes or provider.attributes[0][0] != "Name" or channel.attributes:
        raise _Opaque
    qualifiers: int | None = None
    for name, content in event_id.attributes:
        if name != "Qualifiers" or not isinstance(index := _single(content), int):
            raise _Opaque
        qualifiers = index
    event_index = _single(event_id.children)  # type: ignore[arg-type]
    if not isinstance(event_index, int):
        raise _Opaque  # EventID as template text: rare; leave it to the JSON
    provider_value = _single(provider.attributes[0][1])
    channel_value = _single(channel.children)  # type: ignore[arg-type]
    if isinstance(channel_value, str) and not _plain(channel_value):
        raise _Opaque
    return TemplateShape(provider_value, event_index, qualifiers, channel_value, last_index)


def _plain(text: str) -> bool:
    """Text that JSON writes as is (no escapes) and that needs no trimming: compared as sniff_json sees it."""
    return bool(text) and text.isprintable() and '"' not in text and "\\" not in text


# --- records ------------------------------------------------------------------------------------------------

_MISSING = object()
#: cache bound per template and per value layout: a real log repeats a handful; a hostile one cannot grow them
_MAX_CACHED = 1024


@dataclass
class _ValueLayout:
    """For records of one template whose value count and leading descriptors are these bytes: where the EventID
    is, which bytes hold the provider and channel strings, and what those bytes mean (cached: a log repeats a
    handful)."""

    event_id: int  # offset of the UInt16 from the record's value count field
    key_start: int  # provider and channel strings lie in [key_start, key_end) from the value count field
    key_end: int
    provider: tuple[int, int] | str  # (offset, size) relative to key_start, or text of the template
    channel: tuple[int, int] | str
    needed_end: int  # the values read end here (must lie inside the record)
    #: key bytes -> the channel when the record is decided by its EventID alone, None when it must be rendered
    meanings: dict[bytes, str | None] = field(default_factory=dict)


@dataclass
class _Template:
    """One template definition as the walk uses it (shape None: records of it are always rendered)."""

    shape: TemplateShape | None
    span: int = 0  # bytes of value count and descriptors a layout depends on
    layouts: dict[bytes, _ValueLayout | None] = field(default_factory=dict)


def _decide(provider: str, channel: str) -> str | None:
    """sniff_json's rule for the provider and channel: the channel when the EventID alone decides (Security
    auditing outside an AzureMfa channel), else None (render it and let the JSON decide)."""
    if provider == _EXACT_PROVIDER:
        return channel
    if provider.isascii() and provider.lower() == SECURITY_AUDITING_PROVIDER:
        return None if channel.lower().endswith(AZUREMFA_CHANNEL_SUFFIXES) else channel
    return None


def _string(raw: bytes) -> str | None:
    """A substitution string as pyevtx-rs gives it (trailing NULs dropped); None when it is not plain."""
    try:
        text = raw.decode("utf-16-le", "strict").rstrip("\x00")
    except UnicodeDecodeError:
        return None
    return text if "\x00" not in text and _plain(text) else None


#: A record to render — (RENDER, offset, size, record id, 1, "") — or a run of consecutive records to skip
#: that share a channel — (SKIP, offset of the first, bytes of the run, id of the first, records, channel).
Item = tuple[int, int, int, int, int, str]


@dataclass
class ChunkScan:
    """The records of one clean chunk, in order, as items; its record ids run from first_id to last_id."""

    first_id: int
    last_id: int
    items: list[Item]


class Scanner:
    """Walks chunks; caches template shapes (keyed by the definition's bytes) across the chunks of a file."""

    def __init__(self) -> None:
        self._templates: dict[bytes, tuple[_Template, tuple[tuple[int, bytes], ...]]] = {}

    @property
    def size(self) -> int:
        """Template shapes held (the caller starts a new scanner past a bound)."""
        return len(self._templates)

    def _template(self, chunk: bytes, def_off: int) -> _Template | None:
        if def_off + bx.TEMPLATE_DEFINITION.size > len(chunk):
            return None
        _next, _guid, size = bx.TEMPLATE_DEFINITION.unpack_from(chunk, def_off)
        body = def_off + bx.TEMPLATE_DEFINITION.size
        end = body + size
        if end > len(chunk):
            return None
        key = chunk[def_off + 4 : end]  # the "next" link differs from chunk to chunk and means nothing here
        cached = self._templates.get(key)
        if cached is not None and all(chunk[o : o + len(b)] == b for o, b in cached[1]):
            return cached[0]
        externals: list[tuple[int, bytes]] = []
        shape: TemplateShape | None
        try:
            if chunk[body : body + 4] != bx.FRAGMENT_HEADER:
                raise _Opaque
            reader = _TemplateReader(chunk, body + 4, end, externals)
            shape = _shape_of(reader.element())
        except (_Opaque, UnicodeDecodeError, IndexError, struct.error):
            shape = None
        template = _Template(shape)
        if shape is not None:
            template.span = 4 + bx.VALUE_DESCRIPTOR_SIZE * (
                1
                + max(
                    shape.checked,
                    shape.event_id,
                    shape.qualifiers if shape.qualifiers is not None else 0,
                    *(w for w in (shape.provider, shape.channel) if isinstance(w, int)),
                )
            )
        self._templates[key] = (template, tuple(externals))
        return template

    @staticmethod
    def _layout(shape: TemplateShape, head: bytes) -> _ValueLayout | None:
        """``head``: the value count and the first descriptors of a record (all the layout depends on)."""
        if len(head) < 4:
            return None
        count = int.from_bytes(head[:4], "little")
        descriptors = head[4:]
        needed = len(descriptors) // bx.VALUE_DESCRIPTOR_SIZE
        if count < needed:
            return None
        sizes = [descriptors[i] | descriptors[i + 1] << 8 for i in range(0, len(descriptors), 4)]
        types = descriptors[2::4]
        if bx.BINXML_TYPE in types or bx.EVT_XML_TYPE in types:
            return None  # a nested document before the System values could render keys before ours
        if types[shape.event_id] != bx.UINT16_TYPE or sizes[shape.event_id] != 2:
            return None
        if shape.qualifiers is not None and types[shape.qualifiers] not in (bx.NULL_TYPE, bx.UINT16_TYPE):
            return None
        first_value = 4 + bx.VALUE_DESCRIPTOR_SIZE * count  # from the count field
        starts = [first_value]
        for size in sizes:
            starts.append(starts[-1] + size)
        spans = []
        for where in (shape.provider, shape.channel):
            if isinstance(where, int):
                if types[where] != bx.STRING_TYPE or sizes[where] < 2:
                    return None
                spans.append((starts[where], starts[where] + sizes[where]))
        key_start = min((a for a, _b in spans), default=0)
        key_end = max((b for _a, b in spans), default=0)

        def place(where: int | str) -> tuple[int, int] | str:
            if isinstance(where, str):
                return where
            return (starts[where] - key_start, sizes[where])

        return _ValueLayout(
            starts[shape.event_id], key_start, key_end, place(shape.provider), place(shape.channel), starts[-1]
        )

    @staticmethod
    def _meaning(layout: _ValueLayout, key: bytes) -> str | None:
        def value(where: tuple[int, int] | str) -> str | None:
            return where if isinstance(where, str) else _string(key[where[0] : where[0] + where[1]])

        provider, channel = value(layout.provider), value(layout.channel)
        if provider is None or channel is None:
            return None
        return _decide(provider, channel)

    def scan(self, chunk: bytes) -> ChunkScan | None:
        """The records of a clean chunk with what to do with each; None when the chunk is not clean."""
        if len(chunk) != CHUNK_SIZE or chunk[:8] != CHUNK_SIGNATURE:
            return None
        first_num, last_num, first_id, last_id, _hsize, last_off, free_off, data_crc = (
            bx.CHUNK_RECORD_FIELDS.unpack_from(chunk, bx.CHUNK_RECORD_FIELDS_AT)
        )
        if not bx.CHUNK_HEADER_BLOCK < free_off <= CHUNK_SIZE or last_num < first_num or last_id < first_id:
            return None
        if last_num - first_num != last_id - first_id:
            return None
        if zlib.crc32(memoryview(chunk)[bx.CHUNK_HEADER_BLOCK : free_off]) != data_crc:
            return None
        items: list[Item] = []
        append = items.append
        here: dict[int, _Template | None] = {}  # template definitions by chunk offset
        offset, expected = bx.CHUNK_HEADER_BLOCK, first_id
        unpack_head = _RECORD_AND_INSTANCE.unpack_from
        unpack_u32 = bx.VALUE_COUNT.unpack_from
        unpack_u16 = bx.UINT16.unpack_from
        instance_head = _INSTANCE_HEAD
        signature = bx.RECORD_SIGNATURE
        nps_ids = NPS_AUDIT_EVENT_IDS
        last_record = 0
        # the previous record's template, descriptors and layout, and its layout's key bytes and their meaning
        last_template: object = None
        last_layout: object = None
        last_key_layout: object = None
        last_descriptors = last_key = b""
        last_meaning: object = None
        # the open run of skipped records: first offset, first id, count, channel (count 0: no run open)
        run_offset = run_id = run_count = 0
        run_channel = ""
        while offset < free_off:
            if offset + _RECORD_AND_INSTANCE.size > free_off:
                return None
            magic, size, record_id, _written, head, def_off = unpack_head(chunk, offset)
            end = offset + size
            if magic != signature or record_id != expected or size < _RECORD_AND_INSTANCE.size or end > free_off:
                return None
            if unpack_u32(chunk, end - 4)[0] != size:
                return None
            expected += 1
            last_record = offset
            channel: object = None
            values = offset + _VALUES_AT
            if head == instance_head:
                template = here.get(def_off, _MISSING)
                if template is _MISSING:
                    found = self._template(chunk, def_off)
                    template = here[def_off] = found if found is not None and found.shape is not None else None
                if def_off == values:  # the definition follows inline (first use in the chunk)
                    if values + bx.TEMPLATE_DEFINITION.size > end:
                        template = None
                    else:
                        values += bx.TEMPLATE_DEFINITION.size + unpack_u32(chunk, values + _DEFINITION_SIZE_AT)[0]
                if template is not None:
                    descriptors = chunk[values : values + template.span]  # type: ignore[union-attr]
                    if template is last_template and descriptors == last_descriptors:
                        layout = last_layout  # most records repeat the one before: no hashing, no lookups
                    else:
                        layouts = template.layouts  # type: ignore[union-attr]
                        layout = layouts.get(descriptors, _MISSING)
                        if layout is _MISSING:
                            layout = self._layout(template.shape, descriptors)  # type: ignore[union-attr]
                            if len(layouts) < _MAX_CACHED:
                                layouts[descriptors] = layout
                        last_template, last_descriptors, last_layout = template, descriptors, layout
                    if layout is not None and values + layout.needed_end <= end - 4:  # type: ignore[union-attr]
                        key = chunk[values + layout.key_start : values + layout.key_end]  # type: ignore[union-attr]
                        if layout is last_key_layout and key == last_key:
                            meaning = last_meaning
                        else:
                            meanings = layout.meanings  # type: ignore[union-attr]
                            meaning = meanings.get(key, _MISSING)
                            if meaning is _MISSING:
                                meaning = self._meaning(layout, key)  # type: ignore[arg-type]
                                if len(meanings) < _MAX_CACHED:
                                    meanings[key] = meaning
                            last_key_layout, last_key, last_meaning = layout, key, meaning
                        if meaning is not None and unpack_u16(chunk, values + layout.event_id)[0] not in nps_ids:  # type: ignore[union-attr]
                            channel = meaning
            if channel is None:
                if run_count:
                    append((SKIP, run_offset, offset - run_offset, run_id, run_count, run_channel))
                    run_count = 0
                append((RENDER, offset, size, record_id, 1, ""))
            elif run_count and channel == run_channel:
                run_count += 1
            else:
                if run_count:
                    append((SKIP, run_offset, offset - run_offset, run_id, run_count, run_channel))
                run_offset, run_id, run_count, run_channel = offset, record_id, 1, channel  # type: ignore[assignment]
            offset = end
        if run_count:
            append((SKIP, run_offset, offset - run_offset, run_id, run_count, run_channel))
        if offset != free_off or expected - 1 != last_id or last_record != last_off:
            return None
        return ChunkScan(first_id, last_id, items)


#: record header, then the fragment header and template-instance token, unknown byte and template identifier
#: (compared as 5 bytes + skipped), and the definition offset: the first 38 bytes of every record Windows writes
_RECORD_AND_INSTANCE = struct.Struct("<4sIQQ5s5xI")
_INSTANCE_HEAD = bx.FRAGMENT_HEADER + bytes((bx.TEMPLATE_INSTANCE_TOKEN,))
#: from the record start: the first byte after the template instance
_VALUES_AT = bx.RECORD_HEADER.size + len(bx.FRAGMENT_HEADER) + bx.TEMPLATE_INSTANCE.size
#: from the start of an inline template definition: its size field
_DEFINITION_SIZE_AT = 20


# --- the folded chunk ---------------------------------------------------------------------------------------


def fold_chunk(chunk: bytes, scan: ChunkScan) -> tuple[list[bytes | memoryview], list[int], dict[int, str]]:
    """The chunk with runs of skipped records folded into the record before them.

    Returns (the chunk's bytes for pyevtx-rs as pieces to join — none when no record needs rendering; the record
    ids it will return in order; of those, the ones decided natively with their channel, to be cross-checked
    against sniff_json). Pieces, not a patched copy: the shard's bytes are copied once, when they are joined.
    """
    items = scan.items
    if all(item[0] == SKIP for item in items):
        return [], [], {}
    if all(item[0] == RENDER for item in items):
        return [chunk], [item[3] for item in items], {}
    view = memoryview(chunk)
    pieces: list[bytes | memoryview] = []
    done = 0  # chunk bytes already in pieces
    expected: list[int] = []
    checks: dict[int, str] = {}
    index = 0
    while index < len(items):
        state, offset, size, record_id, _count, channel = items[index]
        following = index + 1
        while following < len(items) and items[following][0] == SKIP:
            following += 1
        last = items[following - 1]
        total = last[1] + last[2] - offset
        if total != size or state == SKIP:  # (a SKIP item's size is its run's, not its first record's)
            at = offset + bx.RECORD_SIZE_AT
            pieces += (view[done:at], bx.RECORD_TRAILER.pack(total))
            done = at + bx.RECORD_TRAILER.size
        expected.append(record_id)
        if state == SKIP:
            checks[record_id] = channel
        index = following
    pieces.append(view[done:])
    return pieces, expected, checks


@dataclass
class FoldedShard:
    """What pyevtx-rs is given for a shard and what the reader must account for without rendering."""

    source: io.BytesIO | None  # None: no record of the shard needs rendering
    expected: list[int]  # record ids pyevtx-rs must return, in order
    checks: dict[int, str]  # rendered records decided natively: their channel (sniff_json must agree)
    items: list[Item]  # every chunk's items in order
    records: int  # records in the shard
    id_runs: list[tuple[int, int]]  # each chunk's first and last record id (consecutive in a clean chunk)


def fold_shard(header: bytes, chunks: list[bytes], scanner: Scanner) -> FoldedShard | None:
    """Fold every chunk of a shard; None when one of them is not clean (the shard is then read as it is)."""
    parts: list[bytes | memoryview] = [header]
    expected: list[int] = []
    checks: dict[int, str] = {}
    items: list[Item] = []
    id_runs: list[tuple[int, int]] = []
    records = 0
    for chunk in chunks:
        scan = scanner.scan(chunk)
        if scan is None:
            return None
        pieces, ids, chunk_checks = fold_chunk(chunk, scan)
        parts += pieces
        expected.extend(ids)
        checks.update(chunk_checks)
        items.extend(scan.items)
        id_runs.append((scan.first_id, scan.last_id))
        records += scan.last_id - scan.first_id + 1
    source = io.BytesIO(b"".join(parts)) if len(parts) > 1 else None
    return FoldedShard(source, expected, checks, items, records, id_runs)


def shard_chunks(path: str, start: int, end: int) -> tuple[bytes, list[bytes]] | None:
    """The file header block and the whole chunks of ``[start, end)``; None if the range ends inside a chunk."""
    if (end - start) % CHUNK_SIZE or start < FILE_HEADER_BLOCK:
        return None
    with open(path, "rb") as fh:
        header = fh.read(FILE_HEADER_BLOCK)
        fh.seek(start)
        data = fh.read(end - start)
    if len(header) != FILE_HEADER_BLOCK or len(data) != end - start:
        return None
    return header, [data[i : i + CHUNK_SIZE] for i in range(0, len(data), CHUNK_SIZE)]
