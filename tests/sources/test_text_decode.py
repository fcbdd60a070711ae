"""text_decode: BOM and NUL-pattern sniffing, replacement counting, the size limit, and the stats helper."""

from __future__ import annotations

import codecs
from datetime import datetime, timezone
from pathlib import Path

import pytest

from nps_trace_analyzer.core.model import InputFile
from nps_trace_analyzer.sources.text_decode import (
    TextReadStats,
    TextTooLargeError,
    decode_bytes,
    decode_text_file,
    load_text,
    sniff_encoding,
)

SAMPLE = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\AzureMfa\r\n    VERBOSE_LOG    REG_SZ    TRUE\r\n"


@pytest.mark.parametrize(
    ("data", "encoding", "bom"),
    [
        (codecs.BOM_UTF16_LE + SAMPLE.encode("utf-16-le"), "utf-16-le", True),
        (codecs.BOM_UTF16_BE + SAMPLE.encode("utf-16-be"), "utf-16-be", True),
        (codecs.BOM_UTF8 + SAMPLE.encode("utf-8"), "utf-8-sig", True),
        (SAMPLE.encode("utf-16-le"), "utf-16-le", False),
        (SAMPLE.encode("utf-16-be"), "utf-16-be", False),
        (SAMPLE.encode("utf-8"), "utf-8", False),
        ("Müller,Straße".encode(), "utf-8", False),
        ("Müller,Straße".encode("cp1252"), "cp1252", False),
    ],
)
def test_sniff_and_decode(data: bytes, encoding: str, bom: bool) -> None:
    assert sniff_encoding(data) == (encoding, bom)
    decoded = decode_bytes(data)
    assert decoded.encoding == encoding
    assert decoded.bom is bom
    assert "\ufeff" not in decoded.text
    assert decoded.replaced == 0
    assert decoded.text in (SAMPLE, "Müller,Straße")


def test_a_few_nuls_in_ansi_text_do_not_make_it_utf16() -> None:
    data = b"ComputerName,IAS\x00,03/07/2008" * 10
    assert sniff_encoding(data)[0] in ("utf-8", "cp1252")


def test_truncated_utf16_drops_the_orphan_byte_and_counts_bad_units() -> None:
    data = codecs.BOM_UTF16_LE + "abc".encode("utf-16-le") + b"\x00\xd8" + b"x"  # lone surrogate + odd byte
    decoded = decode_bytes(data)
    assert decoded.encoding == "utf-16-le"
    assert decoded.text.startswith("abc")
    assert decoded.replaced == 1


def test_cp1252_undefined_bytes_are_replaced_and_counted() -> None:
    decoded = decode_bytes(b"caf\xe9 \x81 ok")
    assert decoded.encoding == "cp1252"
    assert decoded.text == "café \ufffd ok"
    assert decoded.replaced == 1


def test_genuine_replacement_characters_in_utf8_are_not_counted() -> None:
    decoded = decode_bytes("a\ufffdb".encode())
    assert decoded.text == "a\ufffdb"
    assert decoded.replaced == 0


def test_size_limit_refuses_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    path.write_bytes(b"x" * 2000)
    with pytest.raises(TextTooLargeError, match="2000 bytes"):
        decode_text_file(path, max_bytes=1000)
    assert decode_text_file(path, max_bytes=2000).text == "x" * 2000


def test_load_text_records_errors_instead_of_raising(tmp_path: Path) -> None:
    stats = TextReadStats()
    assert load_text(tmp_path / "missing.txt", stats) is None
    assert stats.error.startswith("cannot read file")
    path = tmp_path / "big.txt"
    path.write_bytes(b"y" * 50)
    stats = TextReadStats()
    assert load_text(path, stats, max_bytes=10) is None
    assert "limit" in stats.error
    path.write_bytes(b"caf\x81")
    stats = TextReadStats()
    assert load_text(path, stats) == "caf\ufffd"
    assert stats.encoding == "cp1252"
    assert any("replaced" in w for w in stats.warnings)


def test_stats_bound_warnings_and_apply_to_input() -> None:
    stats = TextReadStats(records_read=5, records_skipped=1)
    for i in range(60):
        stats.warn(f"w{i}")
    stats.warn("w0")  # duplicates are not repeated
    assert len(stats.warnings) == 50
    assert stats.warnings_dropped == 10
    early = datetime(2024, 1, 1, tzinfo=timezone.utc)
    late = datetime(2024, 1, 2, tzinfo=timezone.utc)
    stats.note_time(late)
    stats.note_time(early)
    inp = InputFile("a.log", "/tmp/a.log", 1, "0" * 64, "iaslog")
    stats.apply_to(inp)
    assert inp.analysed
    assert (inp.records_read, inp.records_skipped) == (5, 1)
    assert inp.warnings[-1] == "... 10 more warnings not listed"
    assert (inp.first_time, inp.last_time) == (early, late)
    failed = TextReadStats(error="too big")
    inp2 = InputFile("b.log", "/tmp/b.log", 1, "0" * 64, "iaslog")
    failed.apply_to(inp2)
    assert not inp2.analysed
    assert inp2.reason == "too big"
