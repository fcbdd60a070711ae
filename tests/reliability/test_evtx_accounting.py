"""Issue #10 item 7: a damaged .evtx never loses records silently; the headers' announcement is accounted for."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pytest

from nps_trace_analyzer.core.model import InputFile
from nps_trace_analyzer.pipeline import analyze
from nps_trace_analyzer.sources.evtx_layout import CHUNK_SIZE, FILE_HEADER_BLOCK, read_layout
from nps_trace_analyzer.sources.evtx_source import read_evtx
from nps_trace_analyzer.sources.readers import Collector
from tests.reliability.helpers import DEMO


def _read(path: Path) -> InputFile:
    inp = InputFile(path.name, str(path), path.stat().st_size, "", "evtx")
    for _event in read_evtx(inp, Collector()):
        pass
    return inp


def _announced(data: bytes) -> int:
    """Test-side oracle: sum of (last - first + 1) over the chunk headers that carry the ElfChnk signature."""
    total = 0
    for offset in range(FILE_HEADER_BLOCK, len(data) - 40, CHUNK_SIZE):
        if data[offset : offset + 8] == b"ElfChnk\x00":
            first, last = struct.unpack_from("<QQ", data, offset + 24)
            total += last - first + 1
    return total


@pytest.mark.parametrize("name", sorted(p.name for p in DEMO.glob("*.evtx")))
def test_healthy_files_report_no_loss(name: str) -> None:
    inp = _read(DEMO / name)
    assert inp.records_lost == 0 and inp.warnings in ([], ["the log is empty (file header only)"])


def test_truncated_security_log_reports_the_missing_records(tmp_path: Path) -> None:
    data = (DEMO / "Security.evtx").read_bytes()
    cut = tmp_path / "Security.evtx"
    cut.write_bytes(data[: int(len(data) * 0.9)])
    inp = _read(cut)
    assert inp.records_read == 114 and inp.records_skipped == 0
    assert inp.records_lost == 135 - 114
    assert any("21 of 135 records announced by the chunk headers were not read" in w for w in inp.warnings)


def test_zeros_inside_a_chunk_are_accounted_for(tmp_path: Path) -> None:
    data = bytearray((DEMO / "NPS01_AuthZOptCh.evtx").read_bytes())
    data[FILE_HEADER_BLOCK + 20_000 : FILE_HEADER_BLOCK + 20_000 + 4600] = bytes(4600)
    path = tmp_path / "NPS01_AuthZOptCh.evtx"
    path.write_bytes(bytes(data))
    inp = _read(path)
    assert inp.records_read < 68
    assert inp.records_read + inp.records_lost == 68
    assert any("records announced by the chunk headers were not read" in w for w in inp.warnings)


def test_wiped_chunk_header_is_counted_from_its_neighbours(tmp_path: Path) -> None:
    data = bytearray((DEMO / "Security.evtx").read_bytes())
    assert len(read_layout(str(DEMO / "Security.evtx")).slots) == 3
    announced = _announced(bytes(data))
    middle = FILE_HEADER_BLOCK + CHUNK_SIZE
    data[middle : middle + 512] = bytes(512)
    path = tmp_path / "Security.evtx"
    path.write_bytes(bytes(data))
    inp = _read(path)
    assert inp.records_read + inp.records_lost == announced
    assert inp.records_lost > 0
    assert any("chunk 1 at offset 69632: header is all zeros" in w for w in inp.warnings)


def test_loss_reaches_findings_json_and_the_report(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(DEMO, bundle)
    data = (bundle / "Security.evtx").read_bytes()
    (bundle / "Security.evtx").write_bytes(data[: int(len(data) * 0.9)])
    analyze([bundle], tmp_path / "out")
    doc = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    security = next(i for i in doc["inputs"] if i["name"] == "Security.evtx")
    assert security["records_lost"] == 21
    assert doc["summary"]["records_lost"] == 21
    assert "21 of 135 records announced" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
