"""BinXml encoder: template trees and typed values -> the token stream of one record.

All references inside a chunk (names, template definitions) are chunk-relative offsets, so the encoder must
know where its bytes will land: it is created with ``base``, the chunk offset of its first byte. Names and
templates new to the chunk are written inline at first use and registered in the chunk's tables (pending
until the chunk accepts the record); later uses only reference them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .layout import (
    ATTRIBUTE,
    ATTRIBUTE_LIST_SIZE,
    ELEMENT_START,
    ELEMENT_START_UNCOUNTED,
    FRAGMENT_HEADER,
    HAS_MORE,
    MAX_VALUE_SIZE,
    NAME_HEADER,
    NAME_OFFSET,
    NAME_TERMINATOR,
    NO_DEPENDENCY,
    SUBSTITUTION,
    TEMPLATE_DEFINITION,
    TEMPLATE_INSTANCE,
    TEMPLATE_INSTANCE_UNKNOWN,
    TEMPLATE_VALUE_COUNT,
    TEMPLATE_VALUE_DESCRIPTOR,
    VALUE_TEXT,
    Token,
    ValueType,
)
from .tables import ChunkTables
from .templates import Element, Subst, Template, Text
from .values import Value, utf16

#: A template value, or a function producing it once its chunk offset is known (nested BinXml needs that).
LazyValue = Value | Callable[[int], Value]

_MAX_UNITS = 0xFFFF


class BinXmlEncoder:
    """Appends BinXml tokens to ``buf``, whose first byte will sit at chunk offset ``base``."""

    def __init__(self, tables: ChunkTables, base: int) -> None:
        self.tables = tables
        self.base = base
        self.buf = bytearray()

    @property
    def position(self) -> int:
        """Chunk offset of the next byte to be written."""
        return self.base + len(self.buf)

    # --- documents ------------------------------------------------------------------------------------

    def document(self, template: Template, values: Sequence[LazyValue]) -> bytes:
        """A whole fragment: header, template instance with its values, end-of-stream token."""
        self.buf += FRAGMENT_HEADER
        self.template_instance(template, values)
        self.buf.append(Token.EOF)
        return bytes(self.buf)

    def template_instance(self, template: Template, values: Sequence[LazyValue]) -> None:
        """A template instance; the definition is written inline if the chunk does not hold it yet."""
        templates = self.tables.templates
        definition = templates.lookup(template.guid)
        inline = definition is None
        if definition is None:
            definition = self.position + TEMPLATE_INSTANCE.size
        self.buf += TEMPLATE_INSTANCE.pack(
            Token.TEMPLATE_INSTANCE, TEMPLATE_INSTANCE_UNKNOWN, template.template_id, definition
        )
        if inline:
            next_link = templates.add_template(template.guid, template.template_id, definition)
            size_at = len(self.buf) + TEMPLATE_DEFINITION.size - 4
            self.buf += TEMPLATE_DEFINITION.pack(next_link, template.guid.bytes_le, 0)
            body_start = len(self.buf)
            self.buf += FRAGMENT_HEADER
            self.element(template.root)
            self.buf.append(Token.EOF)
            self.buf[size_at : size_at + 4] = (len(self.buf) - body_start).to_bytes(4, "little")
        self._values(values)

    def _values(self, values: Sequence[LazyValue]) -> None:
        """Value count, descriptors, then the data; lazy values learn their chunk offset first."""
        at = self.position + TEMPLATE_VALUE_COUNT.size + TEMPLATE_VALUE_DESCRIPTOR.size * len(values)
        descriptors = bytearray(TEMPLATE_VALUE_COUNT.pack(len(values)))
        datas: list[bytes] = []
        for value in values:
            concrete = value(at) if callable(value) else value
            size = len(concrete.data)
            if size > MAX_VALUE_SIZE:
                raise ValueError(f"a template value of {size} bytes exceeds {MAX_VALUE_SIZE}")
            descriptors += TEMPLATE_VALUE_DESCRIPTOR.pack(size, concrete.value_type, 0)
            datas.append(concrete.data)
            at += size
        self.buf += descriptors
        self.buf += b"".join(datas)

    # --- template bodies ------------------------------------------------------------------------------

    def element(self, element: Element) -> None:
        """An element: start (with name), attribute list, content or close-empty, data size patched."""
        buf = self.buf
        start = len(buf)
        token = Token.OPEN_START_ELEMENT | (HAS_MORE if element.attributes else 0)
        buf += ELEMENT_START.pack(token, _dependency(element), 0)
        self._name(element.name)
        if element.attributes:
            size_at = len(buf)
            buf += ATTRIBUTE_LIST_SIZE.pack(0)
            last = len(element.attributes) - 1
            for index, (name, value) in enumerate(element.attributes):
                buf += ATTRIBUTE.pack(Token.ATTRIBUTE | (HAS_MORE if index < last else 0))
                self._name(name)
                self._content(value)
            buf[size_at : size_at + 4] = (len(buf) - size_at - 4).to_bytes(4, "little")
        if element.children:
            buf.append(Token.CLOSE_START_ELEMENT)
            for child in element.children:
                self._content(child)
            buf.append(Token.END_ELEMENT)
        else:
            buf.append(Token.CLOSE_EMPTY_ELEMENT)
        size = len(buf) - start - ELEMENT_START_UNCOUNTED
        buf[start + 3 : start + 7] = size.to_bytes(4, "little")

    def _content(self, node: Element | Subst | Text) -> None:
        if isinstance(node, Element):
            self.element(node)
        elif isinstance(node, Subst):
            token = Token.OPTIONAL_SUBSTITUTION if node.optional else Token.NORMAL_SUBSTITUTION
            self.buf += SUBSTITUTION.pack(token, node.index, node.value_type)
        else:
            data = utf16("template text", node.value)
            if len(data) // 2 > _MAX_UNITS:
                raise ValueError(f"template text of {len(data) // 2} UTF-16 units exceeds {_MAX_UNITS}")
            self.buf += VALUE_TEXT.pack(Token.VALUE, ValueType.STRING, len(data) // 2)
            self.buf += data

    def _name(self, name: str) -> None:
        """A name reference; the name structure follows inline when the chunk does not hold it yet."""
        names = self.tables.names
        offset = names.lookup(name)
        if offset is not None:
            self.buf += NAME_OFFSET.pack(offset)
            return
        data = utf16("name", name)
        if len(data) // 2 > _MAX_UNITS:
            raise ValueError(f"a name of {len(data) // 2} UTF-16 units exceeds {_MAX_UNITS}")
        here = self.position + NAME_OFFSET.size
        self.buf += NAME_OFFSET.pack(here)
        next_link, hashed = names.add_name(name, here)
        self.buf += NAME_HEADER.pack(next_link, hashed, len(data) // 2)
        self.buf += data
        self.buf += NAME_TERMINATOR


def _dependency(element: Element) -> int:
    """Windows marks an element whose whole content is one optional substitution as depending on it."""
    if len(element.children) == 1:
        child = element.children[0]
        if isinstance(child, Subst) and child.optional:
            return int(child.index)
    return NO_DEPENDENCY


def nested_document(tables: ChunkTables, template: Template, values: Sequence[LazyValue]) -> Callable[[int], Value]:
    """A lazy BinXml-typed value (0x21): a whole fragment encoded once its chunk offset is known."""

    def encode(at: int) -> Value:
        data = BinXmlEncoder(tables, at).document(template, values)
        if len(data) > MAX_VALUE_SIZE:
            raise ValueError(f"the event payload is {len(data)} bytes, more than one EVTX value can hold")
        return Value(ValueType.BINXML, data)

    return encode
