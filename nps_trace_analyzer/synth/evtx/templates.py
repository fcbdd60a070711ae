"""Event shapes as BinXml templates: the ``<Event>``/``<System>`` template and the payload templates.

Windows does not store an event's XML verbatim: each record is a *template instance* — a reference to a
template (the XML skeleton, stored once per chunk) plus an array of typed values substituted into it. This
module describes those skeletons as small immutable trees; ``binxml`` turns a tree into tokens. A template's
GUID is derived from its shape alone (UUIDv5 of a canonical description), so the same shape gets the same
GUID in every chunk and every run — the output is deterministic.

The System template mirrors the one Windows uses for manifest-based events (substitution order included,
``RelatedActivityID`` kept as an always-NULL optional value), extended by Computer and EventSourceName
substitutions so that one template serves every provider and host. The payload (``<EventData>``, or the
child of ``<UserData>``) is a nested BinXml value (type 0x21) holding its own template instance.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache

from .layout import EVENT_NAMESPACE, ValueType


@dataclass(frozen=True)
class Subst:
    """A substitution token: value ``index`` of the instance, declared ``value_type``.

    ``optional`` substitutions (token 0x0e) make readers drop the attribute/element when the value is NULL.
    """

    index: int
    value_type: ValueType
    optional: bool = True


@dataclass(frozen=True)
class Text:
    """Literal text stored in the template itself (a value-text token)."""

    value: str


@dataclass(frozen=True)
class Element:
    """An element with attributes (name -> literal or substitution) and content, in document order."""

    name: str
    attributes: tuple[tuple[str, Subst | Text], ...] = ()
    children: tuple[Element | Subst | Text, ...] = ()


@dataclass(frozen=True)
class Template:
    """A template definition: its GUID (identity within a chunk) and its root element."""

    guid: uuid.UUID
    root: Element

    @property
    def template_id(self) -> int:
        """The 32-bit identifier in template instances: the first 32 bits of the GUID, as Windows does."""
        return self.guid.time_low


#: Namespace of the UUIDv5 template GUIDs; any fixed value works, this one is the project's own.
_TEMPLATE_NAMESPACE = uuid.UUID("5b0c3c5e-8f0e-4b55-9d1e-6e70732d7461")

#: Conservative XML name check (letters, digits, '_', '-', '.', ':' ; not starting with a digit, '-' or '.').
_XML_NAME = re.compile(r"[A-Za-z_:][A-Za-z0-9_:.\-]*")


def check_xml_name(field: str, name: str) -> str:
    """Reject names that no reader could render as an XML element or attribute name."""
    if not isinstance(name, str) or not _XML_NAME.fullmatch(name):
        raise ValueError(f"{field} is not a valid XML name: {name!r}")
    return name


def _canonical(node: Element | Subst | Text) -> str:
    """A description of a template tree that depends on its shape only (not on Python's reprs)."""
    if isinstance(node, Subst):
        return f"%{int(node.index)}:{int(node.value_type)}:{int(node.optional)}"
    if isinstance(node, Text):
        return "t" + repr(node.value)
    attributes = ",".join(f"{name!r}={_canonical(value)}" for name, value in node.attributes)
    children = ",".join(_canonical(child) for child in node.children)
    return f"<{node.name!r} {attributes}>{children}</>"


def _template(kind: str, root: Element) -> Template:
    return Template(uuid.uuid5(_TEMPLATE_NAMESPACE, f"{kind}|{_canonical(root)}"), root)


class Slot(IntEnum):
    """Value indexes of the System template (Windows' own order; 17..18 added, the payload last)."""

    LEVEL = 0
    OPCODE = 1
    TASK = 2
    EVENT_ID = 3
    QUALIFIERS = 4
    KEYWORDS = 5
    TIME_CREATED = 6
    ACTIVITY_ID = 7
    PROCESS_ID = 8
    THREAD_ID = 9
    EVENT_RECORD_ID = 10
    VERSION = 11
    USER_ID = 12
    RELATED_ACTIVITY_ID = 13
    PROVIDER_NAME = 14
    PROVIDER_GUID = 15
    CHANNEL = 16
    COMPUTER = 17
    EVENT_SOURCE_NAME = 18
    PAYLOAD = 19


SYSTEM_VALUE_COUNT = len(Slot)


def _leaf(name: str, slot: Slot, value_type: ValueType) -> Element:
    return Element(name, children=(Subst(slot, value_type),))


def _system_element() -> Element:
    return Element(
        "System",
        children=(
            Element(
                "Provider",
                attributes=(
                    ("Name", Subst(Slot.PROVIDER_NAME, ValueType.STRING)),
                    ("Guid", Subst(Slot.PROVIDER_GUID, ValueType.GUID)),
                    ("EventSourceName", Subst(Slot.EVENT_SOURCE_NAME, ValueType.STRING)),
                ),
            ),
            Element(
                "EventID",
                attributes=(("Qualifiers", Subst(Slot.QUALIFIERS, ValueType.UINT16)),),
                children=(Subst(Slot.EVENT_ID, ValueType.UINT16),),
            ),
            _leaf("Version", Slot.VERSION, ValueType.UINT8),
            _leaf("Level", Slot.LEVEL, ValueType.UINT8),
            _leaf("Task", Slot.TASK, ValueType.UINT16),
            _leaf("Opcode", Slot.OPCODE, ValueType.UINT8),
            _leaf("Keywords", Slot.KEYWORDS, ValueType.HEX_INT64),
            Element("TimeCreated", attributes=(("SystemTime", Subst(Slot.TIME_CREATED, ValueType.FILETIME)),)),
            _leaf("EventRecordID", Slot.EVENT_RECORD_ID, ValueType.UINT64),
            Element(
                "Correlation",
                attributes=(
                    ("ActivityID", Subst(Slot.ACTIVITY_ID, ValueType.GUID)),
                    ("RelatedActivityID", Subst(Slot.RELATED_ACTIVITY_ID, ValueType.GUID)),
                ),
            ),
            Element(
                "Execution",
                attributes=(
                    ("ProcessID", Subst(Slot.PROCESS_ID, ValueType.UINT32)),
                    ("ThreadID", Subst(Slot.THREAD_ID, ValueType.UINT32)),
                ),
            ),
            _leaf("Channel", Slot.CHANNEL, ValueType.STRING),
            _leaf("Computer", Slot.COMPUTER, ValueType.STRING),
            Element("Security", attributes=(("UserID", Subst(Slot.USER_ID, ValueType.SID)),)),
        ),
    )


def _event_template(user_data: bool) -> Template:
    payload = Subst(Slot.PAYLOAD, ValueType.BINXML)
    # EventData: the nested value *is* the <EventData> element. UserData: the <UserData> wrapper stays in
    # the System template and the nested value is its child element (as Windows writes both).
    body: Element | Subst = Element("UserData", children=(payload,)) if user_data else payload
    root = Element("Event", attributes=(("xmlns", Text(EVENT_NAMESPACE)),), children=(_system_element(), body))
    return _template("event", root)


#: The two outer templates: payload in <EventData> (index 0) or in <UserData> (index 1).
EVENT_DATA_EVENT_TEMPLATE = _event_template(user_data=False)
USER_DATA_EVENT_TEMPLATE = _event_template(user_data=True)


@lru_cache(maxsize=1024)
def event_data_template(names: tuple[str | None, ...]) -> Template:
    """``<EventData>`` with one ``<Data>`` per value; a name adds the literal ``Name`` attribute."""
    children = []
    for index, name in enumerate(names):
        attributes: tuple[tuple[str, Subst | Text], ...] = ()
        if name is not None:
            if not isinstance(name, str):
                raise ValueError(f"event_data name #{index} must be a str or None, got {type(name).__name__}")
            attributes = (("Name", Text(name)),)
        children.append(Element("Data", attributes=attributes, children=(Subst(index, ValueType.STRING),)))
    return _template("eventdata", Element("EventData", children=tuple(children)))


@lru_cache(maxsize=1024)
def user_data_template(element: str, xmlns: str, child_names: tuple[str, ...]) -> Template:
    """The ``<UserData>`` child: ``<element xmlns=...>`` with simple text children (normal substitutions)."""
    check_xml_name("user_data.element", element)
    attributes: tuple[tuple[str, Subst | Text], ...] = (("xmlns", Text(xmlns)),) if xmlns else ()
    children = tuple(
        Element(
            check_xml_name(f"user_data child #{index}", name),
            children=(Subst(index, ValueType.STRING, optional=False),),
        )
        for index, name in enumerate(child_names)
    )
    return _template("userdata", Element(element, attributes=attributes, children=children))
