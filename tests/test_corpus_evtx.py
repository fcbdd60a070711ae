"""Every real .evtx of ../shared/corpus: read without a traceback, with the reference record and skip counts.

INDEX.tsv carries, per file, the records pyevtx-rs 0.14 returned with ``skip_errors=True`` and the items it
skipped, measured independently when the corpus was assembled. Our reader must report the same numbers, and a
full ``analyze`` over the whole corpus (clean, dirty and deliberately damaged files) must finish and list every
damaged file with its skipped items.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SHARED

from nps_trace_analyzer.cli import main
from nps_trace_analyzer.intake import open_bundle
from nps_trace_analyzer.sources.readers import Collector, reader_for


def _index_rows() -> list[dict[str, str]]:
    index = SHARED / "corpus" / "INDEX.tsv"
    if not index.exists():
        return []
    with index.open(encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh, delimiter="\t") if r["file"].endswith(".evtx")]


ROWS = _index_rows()


@pytest.mark.skipif(not ROWS, reason="../shared/corpus is absent (only in the developers' workspace)")
@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_reader_matches_reference_counts(row: dict[str, str]) -> None:
    path = SHARED / "corpus" / row["file"]
    with open_bundle([path]) as bundle:
        (inp,) = bundle.files
        reader = reader_for(inp.kind)
        assert reader is not None, f"{row['file']} identified as {inp.kind}"
        events = list(reader(inp, Collector()))
    assert inp.records_read == int(row["pyevtx_rs_records"])
    assert inp.records_skipped == int(row["pyevtx_rs_skipped_items"])
    assert len(inp.warnings) >= min(inp.records_skipped, 1)
    assert all(e.time.tzinfo is not None for e in events)


def test_analyze_whole_corpus_reports_damage(corpus_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = CliRunner().invoke(
        main, ["analyze", "-q", str(corpus_dir / "evtx"), str(corpus_dir / "evtx-corrupt"), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    by_name = {i["name"]: i for i in doc["inputs"]}
    expected = {f"{Path(r['file']).parent.name}/{Path(r['file']).name}": r for r in ROWS}
    assert set(expected) <= set(by_name)
    for name, row in expected.items():
        assert by_name[name]["records_read"] == int(row["pyevtx_rs_records"]), name
        assert by_name[name]["records_skipped"] == int(row["pyevtx_rs_skipped_items"]), name
    assert "garbage_with_magic.evtx: 4 item(s) skipped" in result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "bitflip300.evtx" in html and "52 skipped item(s)" in html


def test_analyze_corpus_etl_traces(corpus_dir: Path, tmp_path: Path) -> None:
    """Every real .etl is read (PktMon captures compressed, relogged, TraceLogging, kernel); packets counted."""
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["analyze", "-q", str(corpus_dir / "etl"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    etl = {i["name"]: i for i in doc["inputs"] if i["name"].endswith(".etl")}
    assert len(etl) == 8 and all(i["analysed"] and i["records_read"] > 0 for i in etl.values())
    # pktmon's own text dump of this capture lists 2,705 packet events (260 distinct packets).
    assert doc["capture"]["vpn_a9cce3bc_PktMon.etl"]["packet_stats"]["pktmon_events"] == 2705
    assert doc["capture"]["vpn_a9cce3bc_PktMon.etl"]["packets"] == 260
    assert "Packet captures" in (out / "report.html").read_text(encoding="utf-8")
