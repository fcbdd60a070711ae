"""From an :class:`EventSpec` to the typed values of one record, validated before any byte is placed.

Validation and value encoding happen once per event, before the chunk tries to place the record, so a bad
spec raises ``ValueError`` without touching the chunk, and a record that moves to a fresh chunk is not
re-validated.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..spec import EventSpec
from . import values as v
from .binxml import BinXmlEncoder, LazyValue, nested_document
from .layout import ValueType
from .tables import ChunkTables
from .templates import (
    EVENT_DATA_EVENT_TEMPLATE,
    SYSTEM_VALUE_COUNT,
    USER_DATA_EVENT_TEMPLATE,
    Slot,
    Template,
    event_data_template,
    user_data_template,
)


@dataclass(frozen=True)
class PreparedEvent:
    """Everything a record needs, independent of where it lands: values per System slot, the payload."""

    record_id: int
    written_ticks: int
    event_template: Template
    system_values: tuple[v.Value, ...]  # indexed by Slot, the payload slot excluded
    payload_template: Template
    payload_values: tuple[v.Value, ...]

    def encode(self, tables: ChunkTables, base: int) -> bytes:
        """The record's BinXml document for a record whose BinXml starts at chunk offset ``base``."""
        lazy: list[LazyValue] = list(self.system_values)
        lazy.append(nested_document(tables, self.payload_template, self.payload_values))
        return BinXmlEncoder(tables, base).document(self.event_template, lazy)


def prepare(spec: EventSpec, record_id: int) -> PreparedEvent:
    """Validate ``spec`` and encode every value; raises ValueError naming the offending field."""
    ticks = v.filetime_ticks("time", spec.time, spec.time_ticks)
    slots: dict[Slot, v.Value] = {
        Slot.LEVEL: v.integer("level", spec.level, ValueType.UINT8),
        Slot.OPCODE: v.integer("opcode", spec.opcode, ValueType.UINT8),
        Slot.TASK: v.integer("task", spec.task, ValueType.UINT16),
        Slot.EVENT_ID: v.integer("event_id", spec.event_id, ValueType.UINT16),
        Slot.QUALIFIERS: v.NULL
        if spec.qualifiers is None
        else v.integer("qualifiers", spec.qualifiers, ValueType.UINT16),
        Slot.KEYWORDS: v.integer("keywords", spec.keywords, ValueType.HEX_INT64),
        Slot.TIME_CREATED: v.filetime("time", ticks),
        Slot.ACTIVITY_ID: v.NULL if spec.activity_id is None else v.guid("activity_id", spec.activity_id),
        Slot.PROCESS_ID: v.integer("process_id", spec.process_id, ValueType.UINT32),
        Slot.THREAD_ID: v.integer("thread_id", spec.thread_id, ValueType.UINT32),
        Slot.EVENT_RECORD_ID: v.integer("EventRecordID", record_id, ValueType.UINT64),
        Slot.VERSION: v.integer("version", spec.version, ValueType.UINT8),
        Slot.USER_ID: v.NULL if spec.user_sid is None else v.sid("user_sid", spec.user_sid),
        Slot.RELATED_ACTIVITY_ID: v.NULL,
        Slot.PROVIDER_NAME: v.string("provider", spec.provider),
        Slot.PROVIDER_GUID: v.NULL if spec.provider_guid is None else v.guid("provider_guid", spec.provider_guid),
        Slot.CHANNEL: v.string("channel", spec.channel),
        Slot.COMPUTER: v.string("computer", spec.computer),
        Slot.EVENT_SOURCE_NAME: v.NULL
        if spec.event_source_name is None
        else v.string("event_source_name", spec.event_source_name),
    }
    system_values = tuple(slots[Slot(index)] for index in range(SYSTEM_VALUE_COUNT - 1))

    if spec.event_data is not None and spec.user_data is not None:
        raise ValueError("an event has either event_data or user_data, not both")
    if spec.user_data is not None:
        user = spec.user_data
        if not isinstance(user.xmlns, str):
            raise ValueError(f"user_data.xmlns must be a str, got {type(user.xmlns).__name__}")
        user_pairs = [_pair("user_data", index, pair, allow_unnamed=False) for index, pair in enumerate(user.children)]
        payload_template = user_data_template(user.element, user.xmlns, tuple(str(name) for name, _ in user_pairs))
        payload_values = tuple(v.string(f"user_data child {name!r}", value) for name, value in user_pairs)
        event_template = USER_DATA_EVENT_TEMPLATE
    else:
        items = spec.event_data or ()
        pairs = [_pair("event_data", index, pair, allow_unnamed=True) for index, pair in enumerate(items)]
        payload_template = event_data_template(tuple(name for name, _ in pairs))
        payload_values = tuple(
            v.string(f"event_data #{index}" + (f" ({name!r})" if name else ""), value)
            for index, (name, value) in enumerate(pairs)
        )
        event_template = EVENT_DATA_EVENT_TEMPLATE
    return PreparedEvent(record_id, ticks, event_template, system_values, payload_template, payload_values)


def _pair(field: str, index: int, pair: object, *, allow_unnamed: bool) -> tuple[str | None, object]:
    """Check that an item is a (name, value) pair with a usable name; the value is checked when encoded."""
    if not isinstance(pair, tuple) or len(pair) != 2:
        raise ValueError(f"{field} item #{index} must be a (name, value) tuple, got {pair!r}")
    name, value = pair
    if not (isinstance(name, str) or (name is None and allow_unnamed)):
        raise ValueError(f"{field} item #{index} has an invalid name: {name!r}")
    return name, value
