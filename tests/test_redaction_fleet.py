"""``--redact`` across several servers: ``analyze A B --redact`` and ``fleet --redact``.

Same guarantee as for one bundle (tests/test_redaction.py): no identifier the generator wrote survives in any
output byte (UTF-8, UTF-16-LE, URL-encoded), nor in any file or folder name; Parquet files are also read back and
every value searched. And the cross-server findings still read right: one key and one pseudonym map serve every
bundle, so mapping the pseudonyms back gives exactly the findings the farm was built to produce.
"""

from __future__ import annotations

import json
from pathlib import Path
from unittest import mock

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from test_fleet import _expected_keys, _found_key
from test_redaction import _forms, leaks, originals

from nps_trace_analyzer.cli import main
from nps_trace_analyzer.synth import farm as farm_module
from nps_trace_analyzer.synth.bundle import BundlePlan
from nps_trace_analyzer.synth.farm import generate_farm

DAY = "2025-03-12"


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str]]:
    """Two servers over two days (some bundles zipped) and every identifier the generator put into them."""
    root = tmp_path_factory.mktemp("farm")
    plans = []
    write_plan = farm_module.write_plan

    def keep(plan: BundlePlan, folder: Path) -> Path:  # the farm's own writer, wrapped to see its plans
        plans.append((plan, folder.parent.name))
        return write_plan(plan, folder)

    with mock.patch.object(farm_module, "write_plan", keep):
        generate_farm(root, servers=2, days=2, healthy=5, zip_every=2)
    secrets: set[str] = set()
    for plan, host in plans:
        secrets |= originals(plan, host)
    assert {"NPS01", "NPS02", "contoso.local"} <= secrets
    return root, secrets


def name_leaks(folder: Path, secrets: set[str]) -> list[str]:
    """Secrets in the names of the files and folders under ``folder``."""
    names = [p.relative_to(folder).as_posix().lower().encode() for p in folder.rglob("*")]
    return [f"{n!r}: {s!r}" for n in names for s in secrets for f in _forms(s) if f in n]


def parquet_leaks(folder: Path, secrets: set[str]) -> list[str]:
    """Secrets in any value of any Parquet file under ``folder`` (read back: values may be dictionary-encoded or
    compressed, so the raw bytes alone would not show them)."""
    found = []
    files = sorted(folder.rglob("*.parquet"))
    assert files, f"no Parquet file under {folder}"
    for path in files:
        table = pq.read_table(path)
        values = {str(v).lower() for column in table.columns for v in column.to_pylist() if v is not None}
        values |= {str(k).lower() + str(v).lower() for k, v in (table.schema.metadata or {}).items()}
        for secret in secrets:
            if any(secret.lower() in v for v in values):
                found.append(f"{path.relative_to(folder)}: {secret!r}")
    return found


def _unmapped(table: dict[str, str], value: str | None) -> str | None:
    return table.get(value, value) if value is not None else None


def test_two_servers_redacted_in_one_report(farm: tuple[Path, set[str]], tmp_path: Path) -> None:
    root, secrets = farm
    bundles = [root / "NPS01" / f"NPS01-{DAY}", root / "NPS02" / f"NPS02-{DAY}.zip"]  # a folder and a zip
    out, map_path = tmp_path / "report", tmp_path / "private" / "map.json"
    map_path.parent.mkdir()
    keys = ["--redact-key", "case-9", "--redact-map", str(map_path)]
    result = CliRunner().invoke(main, ["analyze", "-q", *map(str, bundles), "-o", str(out), *keys])
    assert result.exit_code == 0, result.output
    found = leaks(out, secrets) + name_leaks(out, secrets)
    assert not found, "\n".join(found[:30])
    assert not [s for s in secrets for f in _forms(s) if f in result.output.lower().encode()]
    # Every output file of the multi-server folder went through the redactor: combined and per-server reports.
    servers = sorted(p.name for p in (out / "servers").iterdir())
    assert len(servers) == 2 and all(name.startswith("host-") for name in servers)
    for folder in (out, *(out / "servers").iterdir()):
        doc = json.loads((folder / "findings.json").read_text(encoding="utf-8"))
        assert doc["redacted"] is True
    assert (out / "servers" / servers[0] / "events.csv").stat().st_size > 1000
    # The comparison reads right: mapped back through the one map, the findings are the farm's.
    table = json.loads(map_path.read_text(encoding="utf-8"))
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    fleet = [inc for inc in doc["incidents"] if inc["kind"] == "fleet"]
    got = {
        _found_key(
            DAY,
            inc["primary_code"],
            _unmapped(table, inc["server"]),
            _unmapped(table, inc["user"]),
            {k: _unmapped(table, v) for k, v in inc["details"].items()},
            inc["summary"],
        )
        for inc in fleet
    }
    expected = {key for key in _expected_keys(root) if key[0] == DAY}
    assert got == expected
    assert {k[1] for k in expected} >= {"SERVERS-CONFIG-DIFFER", "SERVERS-CLOCK-SKEW", "USER-FAILS-ON-ONE-SERVER"}
    # The same user has the same pseudonym in the comparison and in its server's own report.
    failing = next(inc for inc in fleet if inc["primary_code"] == "USER-FAILS-ON-ONE-SERVER")
    own = {
        inc["user"]
        for folder in (out / "servers").iterdir()
        for inc in json.loads((folder / "findings.json").read_text(encoding="utf-8"))["incidents"]
    }
    assert failing["user"] in own


def test_fleet_redacted(farm: tuple[Path, set[str]], tmp_path: Path) -> None:
    root, secrets = farm
    out, map_path = tmp_path / "fleet", tmp_path / "private" / "map.json"
    map_path.parent.mkdir()
    args = ["fleet", str(root), "-o", str(out), "--workers", "0", "-q", "--redact-key", "case-9"]
    result = CliRunner().invoke(main, [*args, "--redact-map", str(map_path)])
    assert result.exit_code == 0, result.output
    found = leaks(out, secrets) + name_leaks(out, secrets) + parquet_leaks(out, secrets)
    assert not found, "\n".join(found[:30])
    assert not [s for s in secrets for f in _forms(s) if f in result.output.lower().encode()]
    # The dataset still compares servers: per day, the farm's findings once the pseudonyms are mapped back (which
    # server of a skewed pair is named the reference follows name order, which pseudonyms change: code and day only).
    table = json.loads(map_path.read_text(encoding="utf-8"))
    findings = pd.read_parquet(out / "dataset" / "fleet_findings")
    got = set()
    for row in findings.itertuples():
        key: tuple[str | None, ...] = (str(row.day), str(row.primary_code))
        if row.primary_code == "USER-FAILS-ON-ONE-SERVER":
            key += (_unmapped(table, str(row.incident_server)), _unmapped(table, str(row.user)))
        got.add(key)
    expected = {key[:4] if key[1] == "USER-FAILS-ON-ONE-SERVER" else key[:2] for key in _expected_keys(root)}
    assert got == expected
    assert {k[1] for k in expected} >= {"SERVERS-CONFIG-DIFFER", "SERVERS-CLOCK-SKEW", "USER-FAILS-ON-ONE-SERVER"}
    bundles = pd.read_parquet(out / "dataset" / "bundles")
    assert len(bundles) == 4 and all(str(s).startswith("host-") for s in bundles["server"])
    # A second run with the same key adds nothing and stays redacted; another key (or none) is refused.
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and "0 analysed, 4 unchanged" in again.output, again.output
    for other in (["--redact-key", "other"], []):
        refused = CliRunner().invoke(main, ["fleet", str(root), "-o", str(out), "--workers", "0", "-q", *other])
        assert refused.exit_code == 2 and "redact" in refused.output, refused.output
    assert not leaks(out, secrets)


def test_fleet_map_inside_the_fleet_folder_is_refused(farm: tuple[Path, set[str]], tmp_path: Path) -> None:
    root, _secrets = farm
    out = tmp_path / "fleet"
    args = ["fleet", str(root), "-o", str(out), "--workers", "0", "-q", "--redact-map", str(out / "map.json")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "map" in result.output
    assert not out.exists()
