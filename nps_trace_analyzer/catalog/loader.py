"""Find, read and merge the catalog files: the built-in set shipped in the package plus user files.

The built-in catalog is data, not code: it lives in the repository's top-level ``catalog/`` folder and the
wheel carries it as ``nps_trace_analyzer/_catalog`` (hatch force-include). An editable install has no
``_catalog``, so the loader falls back to the source tree.

User files (``--catalog PATH``, a file or a folder of ``*.yaml``/``*.yml``) are applied in the order given:
an entry whose id already exists replaces it (or, with ``merge: true``, changes only the keys it sets);
any other entry is added.

A file may set a family-level ``source:`` (provenance) next to ``family:``. Every entry of the file that
has no ``source`` of its own inherits it, so a table copied from one document names that document once.
"""

from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from nps_trace_analyzer.catalog import cache as catalog_cache
from nps_trace_analyzer.catalog.model import Catalog, Entry
from nps_trace_analyzer.catalog.schema import (
    KNOWN_KEYS,
    CatalogError,
    build_entry,
    check_source,
    entry_id,
    entry_label,
    mapping_as_text,
)

VERSION_FILE = "VERSION"
YAML_SUFFIXES = (".yaml", ".yml")
DOCUMENT_KEYS = frozenset({"family", "description", "source", "defaults", "entries"})
# Keys a file's ``defaults:`` may not set: they name one entry, or change how it is applied.
_NO_DEFAULT_KEYS = frozenset({"code", "slug", "merge"})
CODE_PLACEHOLDER = "{code}"


class _Readable(Protocol):
    """What the loader needs of a path: pathlib.Path and importlib Traversable both provide it."""

    name: str

    def is_dir(self) -> bool: ...
    def is_file(self) -> bool: ...
    def iterdir(self) -> Iterable[_Readable]: ...
    def read_text(self, encoding: str | None = None) -> str: ...


@functools.cache
def _strict_loader() -> type[Any]:
    """A safe YAML loader (libyaml's when present) that rejects duplicate keys (PyYAML silently keeps the last).

    Built on first use: with the parsed catalog cached (``catalog.cache``) a run never imports PyYAML.
    """
    import yaml

    base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    def construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:
                continue  # unhashable key: construct_mapping reports it
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping", node.start_mark, f"found duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return loader.construct_mapping(node, deep=deep)

    strict = type("StrictLoader", (base,), {})
    strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_unique_mapping)
    return strict


@dataclass
class _Slot:
    """One entry while the catalog is being assembled (raw mapping kept for ``merge: true``)."""

    raw: dict[str, Any]
    entry: Entry
    file: str


def builtin_catalog_dir() -> _Readable:
    """Where the shipped catalog is: the packaged ``_catalog`` copy, else the source tree's ``catalog/``."""
    try:
        packaged = importlib.resources.files("nps_trace_analyzer") / "_catalog"
        if packaged.is_dir():
            return packaged  # type: ignore[return-value]
    except (ModuleNotFoundError, OSError):  # pragma: no cover - broken installation
        pass
    source = Path(__file__).resolve().parents[2] / "catalog"
    if source.is_dir():
        return source
    raise CatalogError(str(source), None, "built-in catalog not found (package installed without its data?)")


def _yaml_files(folder: _Readable) -> list[_Readable]:
    return sorted((p for p in folder.iterdir() if p.is_file() and p.name.endswith(YAML_SUFFIXES)), key=lambda p: p.name)


def _read_text(source: _Readable) -> str:
    try:
        return source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(str(source), None, f"cannot read file: {exc}") from None


def _read_documents(source: _Readable) -> tuple[str, str, list[Any]]:
    """Read and parse one catalog file into (file label, family, raw entries) (see :func:`_parse_documents`)."""
    return _parse_documents(str(source), source.name, _read_text(source))


def _parse_documents(label: str, name: str, text: str) -> tuple[str, str, list[Any]]:
    """Parse one catalog file's text into (file label, family, raw entries).

    The file's ``defaults`` and its ``source:`` default are already folded into the entries that do not set
    those keys (``merge: true`` entries excepted: they change only the keys they name, and keep the provenance
    of the entry they change unless they set their own).
    """
    import yaml

    try:
        doc = yaml.load(text, Loader=_strict_loader())  # noqa: S506 - the loader derives from SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = " ".join(str(exc.problem or exc.context or "").split())
        raise CatalogError(label, None, f"YAML error{where}: {problem}") from None
    except yaml.YAMLError as exc:
        raise CatalogError(label, None, f"YAML error: {' '.join(str(exc).split())}") from None
    family = Path(name).stem
    if doc is None:
        return label, family, []
    if isinstance(doc, list):
        return label, family, doc
    if not isinstance(doc, dict):
        raise CatalogError(label, None, "a catalog file must hold a mapping with 'entries:' or a list of entries")
    unknown = sorted(str(k) for k in doc if k not in DOCUMENT_KEYS)
    if unknown:
        raise CatalogError(
            label, None, f"unknown top-level key '{unknown[0]}' (expected: family, source, defaults, entries)"
        )
    entries = doc.get("entries")
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise CatalogError(label, None, "'entries' must be a list")
    if isinstance(doc.get("family"), str) and doc["family"].strip():
        family = doc["family"].strip()
    defaults = _read_defaults(label, doc.get("defaults"))
    if defaults:
        entries = [_with_defaults(raw, defaults) for raw in entries]
    default_source = _family_source(doc.get("source"), label)
    if default_source:
        entries = [_with_default_source(raw, default_source) for raw in entries]
    return label, family, entries


def _read_defaults(label: str, defaults: Any) -> dict[str, Any]:
    """A file's ``defaults:`` mapping, checked: only entry keys, never the ones that name an entry."""
    if defaults is None:
        return {}
    if not isinstance(defaults, dict):
        raise CatalogError(label, None, "'defaults' must be a mapping of entry keys")
    for key in defaults:
        if key not in KNOWN_KEYS:
            raise CatalogError(label, None, f"'defaults' has unknown key '{key}'")
        if key in _NO_DEFAULT_KEYS:
            raise CatalogError(label, None, f"'defaults' may not set '{key}' (it belongs to one entry)")
    return defaults


def _with_defaults(raw: Any, defaults: dict[str, Any]) -> Any:
    """``raw`` with the keys it does not set taken from ``defaults``, ``{code}`` in their texts replaced.

    Why: a family of hundreds of codes (the AADSTS table) shares audience, links, related codes and the form of
    its examples; written once per file they cannot drift apart. ``merge: true`` entries get no defaults, since
    they must change only the keys they name.
    """
    if not isinstance(raw, dict) or raw.get("merge") is True:
        return raw
    code = raw.get("code")
    merged = {key: _fill_code(value, code) for key, value in defaults.items() if key not in raw}
    merged.update(raw)
    return merged


def _fill_code(value: Any, code: Any) -> Any:
    if not isinstance(code, str):
        return value
    if isinstance(value, str):
        return value.replace(CODE_PLACEHOLDER, code)
    if isinstance(value, list):
        return [item.replace(CODE_PLACEHOLDER, code) if isinstance(item, str) else item for item in value]
    return value


def _family_source(value: Any, label: str) -> list[str]:
    """The validated file-level ``source:`` list (a single string is a one-item list)."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if isinstance(items, list):
        items = [mapping_as_text(item) for item in items]
    if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
        raise CatalogError(label, None, "top-level 'source' must be a list of strings")
    items = [i.strip() for i in items]

    def fail(message: str) -> CatalogError:
        return CatalogError(label, None, f"top-level {message}")

    check_source(tuple(items), fail)
    return items


def _with_default_source(raw: Any, default: list[str]) -> Any:
    """``raw`` with the family-level source filled in when it names none of its own."""
    if not isinstance(raw, dict) or "source" in raw or raw.get("merge") is True:
        return raw
    return {**raw, "source": list(default)}


def _user_sources(path: str | Path) -> list[_Readable]:
    p = Path(path).expanduser()
    if p.is_dir():
        files = _yaml_files(p)
        if not files:
            raise CatalogError(str(p), None, "folder holds no .yaml or .yml catalog file")
        return files
    if p.is_file():
        return [p]
    raise CatalogError(str(p), None, "no such catalog file or folder")


def _read_version(folder: _Readable) -> str:
    version_file = folder / VERSION_FILE  # type: ignore[operator]
    try:
        return version_file.read_text(encoding="utf-8").strip() or "unknown"
    except OSError:
        return "unknown"


def load_catalog(extra: Sequence[str | Path] = ()) -> Catalog:
    """Load the built-in catalog, then apply the user catalog files/folders in ``extra`` in order.

    Raises :class:`CatalogError` (file, entry, message) for any unreadable file or invalid entry.
    """
    folder = builtin_catalog_dir()
    version = _read_version(folder)
    texts = [(str(source), source.name, _read_text(source)) for source in _yaml_files(folder)]
    slots: dict[str, _Slot] | None = None
    cached = catalog_cache.load(texts)
    if cached is not None:
        try:  # built and checked like the YAML; a cache that fails any check is dropped, never reported
            slots, sources = _builtin_slots(cached)
            _check_cross_references([slot.entry for slot in slots.values()])
        except CatalogError:
            slots = None
    if slots is None:
        parsed = [_parse_documents(*text) for text in texts]
        slots, sources = _builtin_slots(parsed)
        catalog_cache.store(texts, parsed)

    user_files = 0
    for path in extra:
        for source in _user_sources(path):
            label, family, raws = _read_documents(source)
            sources.append(label)
            user_files += 1
            seen_here: set[str] = set()
            for index, raw in enumerate(raws):
                entry = _build_user_entry(raw, label, index, family, slots)
                if entry.id in seen_here:
                    raise CatalogError(label, entry.id, "duplicate id in the same file")
                seen_here.add(entry.id)
                slots[entry.id] = _Slot(_without_merge(raw, slots.get(entry.id)), entry, label)

    entries = [slot.entry for slot in slots.values()]
    _check_cross_references(entries)
    if user_files:
        version = f"{version}+user"
    return Catalog(version=version, entries=entries, sources=sources)


def _builtin_slots(parsed: Sequence[tuple[str, str, list[Any]]]) -> tuple[dict[str, _Slot], list[str]]:
    """The built-in files' entries by id (in file order) and the files' labels."""
    slots: dict[str, _Slot] = {}
    sources: list[str] = []
    for label, family, raws in parsed:
        sources.append(label)
        for index, raw in enumerate(raws):
            entry = build_entry(raw, label, index, family)
            if entry.id in slots:
                raise CatalogError(label, entry.id, f"duplicate id, already defined in {slots[entry.id].file}")
            slots[entry.id] = _Slot(raw, entry, label)
    return slots, sources


def _without_merge(raw: Any, previous: _Slot | None) -> dict[str, Any]:
    """The effective raw mapping stored for later merges (merged keys folded in)."""
    if isinstance(raw, dict) and raw.get("merge") and previous is not None:
        merged = dict(previous.raw)
        merged.update({k: v for k, v in raw.items() if k != "merge"})
        return merged
    return dict(raw) if isinstance(raw, dict) else {}


def _build_user_entry(raw: Any, label: str, index: int, family: str, slots: dict[str, _Slot]) -> Entry:
    if isinstance(raw, dict) and raw.get("merge") is True:
        if not isinstance(raw.get("code"), str):
            raise CatalogError(label, entry_label(raw, index), "'merge: true' needs the 'code' of the entry")
        target = entry_id(raw)
        previous = slots.get(target)
        if previous is None:
            raise CatalogError(label, target, "'merge: true' but no earlier entry has this id")
        merged = dict(previous.raw)
        merged.update({k: v for k, v in raw.items() if k != "merge"})
        return build_entry(merged, label, index, previous.entry.family, user=True)
    return build_entry(raw, label, index, family, user=True)


def _check_cross_references(entries: list[Entry]) -> None:
    """Checks that need the whole catalog: related ids exist, one generic entry per shared code, ..."""
    ids = {e.id for e in entries}
    codes = {e.code for e in entries}
    for entry in entries:
        for ref in entry.related:
            if ref not in ids and ref not in codes:
                raise CatalogError(entry.source_file, entry.id, f"related '{ref}' is not a code or id in the catalog")
    by_code: dict[str, list[Entry]] = {}
    for entry in entries:
        by_code.setdefault(entry.code, []).append(entry)
    for code, group in by_code.items():
        if len(group) > 1 and not any(e.is_generic for e in group):
            last = group[-1]
            raise CatalogError(
                last.source_file,
                last.id,
                f"code {code} has {len(group)} entries but none without 'slug' to fall back to",
            )
    reasons: dict[int, Entry] = {}
    for entry in entries:
        if entry.reason_code is None:
            continue
        if entry.reason_code in reasons:
            other = reasons[entry.reason_code]
            raise CatalogError(
                entry.source_file, entry.id, f"reason_code {entry.reason_code} is already used by {other.id}"
            )
        reasons[entry.reason_code] = entry
