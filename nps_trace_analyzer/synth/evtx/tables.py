"""The two per-chunk lookup tables of the chunk header: common strings (names) and template pointers.

Inside a chunk every element/attribute name is stored once (at its first use, inline in the BinXml) and
referenced by offset afterwards; likewise every template definition. The chunk header keeps hash buckets of
both so that a reader can resolve a reference without having parsed the record that defined it — python-evtx
relies on them. Buckets are singly linked, newest first, through the first four bytes of each name or
definition, exactly as Windows writes them.

A record is encoded speculatively (it may turn out not to fit in the chunk), so additions are *pending*
until :meth:`commit`, and :meth:`rollback` forgets them.
"""

from __future__ import annotations

import uuid

from .layout import NAME_HASH_MULTIPLIER, STRING_BUCKETS, TEMPLATE_BUCKETS


def name_hash(name: str) -> int:
    """The 16-bit BinXml name hash: h = h * 65599 + code unit over UTF-16 code units, low 16 bits kept."""
    value = 0
    data = name.encode("utf-16-le")
    for index in range(0, len(data), 2):
        value = (value * NAME_HASH_MULTIPLIER + (data[index] | data[index + 1] << 8)) & 0xFFFFFFFF
    return value & 0xFFFF


class _Buckets:
    """Keyed offsets plus bucket heads, with a pending layer for speculative additions."""

    def __init__(self, bucket_count: int) -> None:
        self.heads = [0] * bucket_count
        self.offsets: dict[object, int] = {}
        self._pending: list[tuple[object, int, int]] = []  # key, bucket, previous head

    def lookup(self, key: object) -> int | None:
        return self.offsets.get(key)

    def add(self, key: object, bucket: int, offset: int) -> int:
        """Register ``key`` at ``offset``; returns the previous head of its bucket (the new "next" link)."""
        previous = self.heads[bucket]
        self._pending.append((key, bucket, previous))
        self.offsets[key] = offset
        self.heads[bucket] = offset
        return previous

    def commit(self) -> None:
        self._pending.clear()

    def rollback(self) -> None:
        for key, bucket, previous in reversed(self._pending):
            del self.offsets[key]
            self.heads[bucket] = previous
        self._pending.clear()


class NameTable(_Buckets):
    """Names stored in a chunk: name -> chunk offset of its name structure; 64 buckets by hash % 64."""

    def __init__(self) -> None:
        super().__init__(STRING_BUCKETS)

    def add_name(self, name: str, offset: int) -> tuple[int, int]:
        """Register a name stored at ``offset``; returns (next link, hash) to write into its structure."""
        hashed = name_hash(name)
        return self.add(name, hashed % STRING_BUCKETS, offset), hashed


class TemplateTable(_Buckets):
    """Template definitions in a chunk: GUID -> chunk offset of the definition; 32 buckets.

    How Windows chooses a bucket is not known and no reader depends on it; the template id modulo 32 keeps
    chains short and is deterministic.
    """

    def __init__(self) -> None:
        super().__init__(TEMPLATE_BUCKETS)

    def add_template(self, guid: uuid.UUID, template_id: int, offset: int) -> int:
        """Register a definition at ``offset``; returns the next link to write into it."""
        return self.add(guid, template_id % TEMPLATE_BUCKETS, offset)


class ChunkTables:
    """Both tables of one chunk, committed or rolled back together."""

    def __init__(self) -> None:
        self.names = NameTable()
        self.templates = TemplateTable()

    def commit(self) -> None:
        self.names.commit()
        self.templates.commit()

    def rollback(self) -> None:
        self.names.rollback()
        self.templates.rollback()
