"""Several servers and many bundles: the two-server scenario, the library API, the comparison rules, ``fleet``.

Bundles come from the farm generator (``synth/farm.py``), whose ``fleet-expected.json`` states the cross-server
findings it built in (from its plans, not from the analyzer). Bundles are small (5 healthy sign-ins) to keep the
suite fast; the Dask tests with a real LocalCluster are in test_fleet_dask.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import nps_trace_analyzer
from nps_trace_analyzer.analysis.activity import SIGN_IN_KINDS
from nps_trace_analyzer.api import analyze_bundle
from nps_trace_analyzer.catalog import builtin_catalog_dir, load_catalog
from nps_trace_analyzer.cli import main
from nps_trace_analyzer.fleet.compare import FORMATS, by_server, fleet_findings, users_failing_everywhere
from nps_trace_analyzer.fleet.discover import find_bundles
from nps_trace_analyzer.fleet.multi import bundle_paths
from nps_trace_analyzer.fleet.profile import ServerProfile, UserFailures, profile_from_dict, profile_to_dict
from nps_trace_analyzer.fleet.run import run_fleet
from nps_trace_analyzer.report import frames
from nps_trace_analyzer.synth.bundle import generate_bundle
from nps_trace_analyzer.synth.farm import FLEET_EXPECTED_NAME, generate_farm

CATALOG = load_catalog()


def _expected_keys(root: Path) -> set[tuple[str, ...]]:
    rows = json.loads((root / FLEET_EXPECTED_NAME).read_text(encoding="utf-8"))["findings"]
    keys = set()
    for row in rows:
        if row["code"] == "SERVERS-CONFIG-DIFFER":
            keys.add((row["day"], row["code"], row["check_id"]))
        elif row["code"] == "SERVERS-CLOCK-SKEW":
            keys.add((row["day"], row["code"], row["server"], row["reference"], f"{row['offset_seconds']:.1f}"))
        else:
            keys.add((row["day"], row["code"], row["server"], row["user"]))
    return keys


def _found_key(day: str, code: str, server: str, user: str | None, details: dict[str, str], summary: str):
    if code == "SERVERS-CONFIG-DIFFER":
        return (day, code, details["check_id"])
    if code == "SERVERS-CLOCK-SKEW":
        return (day, code, server, details["reference"], f"{float(details['offset_seconds']):.1f}")
    return (day, code, server, user)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pair")
    generate_farm(root, servers=2, days=1, healthy=5, zip_every=0)
    return root


def test_two_server_scenario_is_diagnosed_in_one_report(pair: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["analyze", str(pair), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    fleet = [inc for inc in doc["incidents"] if inc["kind"] == "fleet"]
    day = "2025-03-12"
    found = {_found_key(day, i["primary_code"], i["server"], i["user"], i["details"], i["summary"]) for i in fleet}
    expected = _expected_keys(pair)
    assert found == expected
    assert {k[1] for k in expected} >= {"SERVERS-CONFIG-DIFFER", "SERVERS-CLOCK-SKEW", "USER-FAILS-ON-ONE-SERVER"}
    assert all(i["in_catalog"] for i in fleet)
    # Each server keeps its own report, and its own diagnosis is what its expected.json says.
    for server_dir in sorted((out / "servers").iterdir()):
        own = json.loads((server_dir / "findings.json").read_text(encoding="utf-8"))
        wanted = json.loads(next(pair.glob(f"{server_dir.name}/*.expected.json")).read_text(encoding="utf-8"))
        assert Counter(i["primary_code"] for i in own["incidents"]) == Counter(
            i["primary_code"] for i in wanted["incidents"]
        ), server_dir.name
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "SERVERS-CLOCK-SKEW" in html and "<script" not in html


def test_one_bundle_inputs_stay_one_bundle(pair: Path) -> None:
    files = sorted(p for p in pair.rglob("*.evtx"))[:2]
    assert bundle_paths(files) is None
    folder = next(p for p in pair.rglob("NPS0*-2025-03-12") if p.is_dir())
    assert bundle_paths([folder]) is None
    assert bundle_paths([pair]) is not None and len(bundle_paths([pair]) or []) == 2
    (pair / "report").mkdir(exist_ok=True)  # a report folder inside the folder of bundles is not a bundle
    assert [p.name for p in bundle_paths([pair], skip=pair / "report") or []] == ["NPS01", "NPS02"]
    (pair / "report").rmdir()


def test_library_api_returns_typed_frames(pair: Path) -> None:
    folder = next(p for p in pair.rglob("NPS0*-2025-03-12") if p.is_dir())
    analysis = analyze_bundle(folder)
    assert analysis.report is None and analysis.server.endswith(".contoso.local")
    assert analysis.events and analysis.inputs
    dfs = analysis.to_dataframes()
    assert set(dfs) == {"incidents", "events", "inputs", "server_config"}
    assert str(dfs["events"]["time"].dtype) == "datetime64[ns, UTC]"
    assert isinstance(dfs["incidents"]["primary_code"].dtype, pd.CategoricalDtype)
    assert isinstance(dfs["events"]["provider"].dtype, pd.CategoricalDtype)
    assert str(dfs["events"]["record_id"].dtype) == "Int64"
    assert len(dfs["events"]) == len(analysis.events) == analysis.result.events_total
    assert list(dfs["incidents"].columns) == list(frames.INCIDENT_SCHEMA)


def _profile(server: str, **kw) -> ServerProfile:
    base = datetime(2025, 3, 12, 8, tzinfo=timezone.utc)
    profile = ServerProfile(server=server, bundles=[server], first_time=base, last_time=base + timedelta(hours=8))
    for key, value in kw.items():
        setattr(profile, key, value)
    return profile


def test_comparison_rules_and_order_independence() -> None:
    t0 = datetime(2025, 3, 12, 9, tzinfo=timezone.utc)
    marks = {f"radius|10.0.0.5|{n}|{n:032x}": t0 + timedelta(minutes=n) for n in range(5)}
    a = _profile("NPS01.x", auth_events=40, granted=Counter({"alice": 3}), clock_marks=marks,
                 config={"client-id": ("CLIENT_ID", "CLIENT_ID = good", "ok")})  # fmt: skip
    b = _profile("NPS02.x", auth_events=30, clock_marks={k: v - timedelta(seconds=30) for k, v in marks.items()},
                 failures={"alice": UserFailures("alice@x", 2, Counter({"ESTS_TOKEN_ERROR": 2}), t0, t0)},
                 config={"client-id": ("CLIENT_ID", "CLIENT_ID = bad", "problem")})  # fmt: skip
    c = _profile("NPS03.x", auth_events=0, config={"client-id": ("CLIENT_ID", "CLIENT_ID = good", "ok")})
    findings = fleet_findings([a, b, c])
    assert [f.code for f in findings] == [
        "SERVERS-CONFIG-DIFFER", "SERVERS-CLOCK-SKEW", "SERVER-SILENT", "USER-FAILS-ON-ONE-SERVER",
    ]  # fmt: skip
    assert findings[0].server == "NPS02.x"  # the odd one out
    assert "NPS02.x is 30.0 s behind NPS01.x" in findings[1].text
    assert findings[2].server == "NPS03.x"
    assert fleet_findings([c, b, a]) == findings
    # Profiles survive their JSON form (fleet stores them between runs).
    assert (
        fleet_findings([profile_from_dict(json.loads(json.dumps(profile_to_dict(p)))) for p in (a, b, c)]) == findings
    )
    # Below the threshold or with too few shared packets: no skew finding.
    near = _profile("NPS02.x", clock_marks={k: v + timedelta(seconds=1) for k, v in marks.items()})
    few = _profile("NPS02.x", clock_marks=dict(list(marks.items())[:2]))
    assert not [f for f in fleet_findings([a, near]) if f.code == "SERVERS-CLOCK-SKEW"]
    assert not [f for f in fleet_findings([a, few]) if f.code == "SERVERS-CLOCK-SKEW"]
    # A user refused everywhere is no per-server finding but a "fails everywhere" row.
    d = _profile("NPS01.x", failures={"bob": UserFailures("bob@x", 1, Counter({"UserNotFound": 1}), t0, t0)})
    e = _profile("NPS02.x", failures={"bob": UserFailures("bob@x", 2, Counter({"UserNotFound": 2}), t0, t0)})
    assert not [f for f in fleet_findings([d, e]) if f.code == "USER-FAILS-ON-ONE-SERVER"]
    assert users_failing_everywhere(by_server([d, e])) == [
        ("bob@x", ["NPS01.x", "NPS02.x"], Counter({"UserNotFound": 3}))
    ]


def test_catalog_readme_documents_every_fleet_format() -> None:
    """catalog/README.md shows compare.FORMATS verbatim, and each format's filled-in line picks its own entry."""
    text = (builtin_catalog_dir() / "README.md").read_text(encoding="utf-8")  # type: ignore[operator]
    section = text.split("## Evidence text of multi-server findings", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| `([A-Z-]+)` \| `([^`]+)` \|", section, flags=re.M))
    assert rows == FORMATS
    fleet_entries = [e for e in CATALOG if e.family == "fleet"]
    assert sorted(e.code for e in fleet_entries) == sorted(FORMATS)
    sample = {"title": "CLIENT_ID check", "values": "A: x (ok); B: y (problem)", "server": "NPS02.contoso.local",
              "offset": "95.0", "direction": "ahead of", "reference": "NPS01.contoso.local", "count": "12",
              "low": "94.9", "high": "95.1", "first": "2025-03-12T07:00:00.000000Z",
              "last": "2025-03-12T18:00:00.000000Z", "others": "NPS01.contoso.local logged 20", "user": "a@b",
              "failures": "2", "codes": "ESTS_TOKEN_ERROR", "grants": "3", "other": "NPS01.contoso.local"}  # fmt: skip
    for code, fmt in FORMATS.items():
        line = fmt.format_map(sample)
        owners = [e.code for e in fleet_entries if e.matches_text(line)]
        assert owners == [code], (code, line)
        assert CATALOG.match(code, line).code == code


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("farm")
    generate_farm(root, servers=5, days=4, healthy=5)
    return root


def test_fleet_writes_dataset_and_html_and_reruns_only_new_bundles(farm: Path, tmp_path: Path) -> None:
    out = tmp_path / "fleet"
    found = find_bundles(farm)
    assert len(found) == 20 and len({b.key for b in found}) == 20
    first = run_fleet(farm, out, workers=0)
    assert (first.found, len(first.analysed), first.skipped, first.failed) == (20, 20, 0, [])
    again = run_fleet(farm, out, workers=0)
    assert (again.found, again.analysed, again.skipped) == (20, [], 20)
    generate_bundle(farm / "NPS06" / "NPS06-2025-03-12", ["healthy"], seed=7, host="NPS06",
                    day=datetime(2025, 3, 12).date(), healthy=5)  # fmt: skip
    third = run_fleet(farm, out, workers=0)
    assert (third.found, third.analysed, third.skipped) == (21, ["NPS06/NPS06-2025-03-12"], 20)
    # Re-collected in place (new content at the same path): its old rows leave the dataset.
    before = len(pd.read_parquet(out / "dataset" / "bundles"))
    shutil.rmtree(farm / "NPS06")
    generate_bundle(farm / "NPS06" / "NPS06-2025-03-12", ["user-not-found"], seed=8, host="NPS06",
                    day=datetime(2025, 3, 12).date(), healthy=5)  # fmt: skip
    fourth = run_fleet(farm, out, workers=0)
    assert (fourth.analysed, fourth.replaced) == (["NPS06/NPS06-2025-03-12"], ["NPS06/NPS06-2025-03-12"])
    bundles_now = pd.read_parquet(out / "dataset" / "bundles")
    assert len(bundles_now) == before == 21
    assert (bundles_now["path"] == "NPS06/NPS06-2025-03-12").sum() == 1
    shutil.rmtree(farm / "NPS06")

    # The README's one-liners read the dataset without this tool.
    incidents = pd.read_parquet(out / "dataset" / "incidents")
    assert set(incidents["server"].astype(str)) >= {f"NPS0{n}.contoso.local" for n in range(1, 6)}
    assert incidents["category"].notna().all() and str(incidents["first_seen"].dtype).endswith("UTC]")
    duckdb = pytest.importorskip("duckdb")
    rows = duckdb.sql(
        f"SELECT server, day, count(*) AS n FROM read_parquet('{out}/dataset/incidents/**/*.parquet', "
        "hive_partitioning=true) GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    assert sum(n for _, _, n in rows) == len(incidents)
    bundles = pd.read_parquet(out / "dataset" / "bundles")
    assert len(bundles) == 21 and bundles["error"].eq("").all()

    # Cross-server findings per day match what the generator built in.
    findings = pd.read_parquet(out / "dataset" / "fleet_findings")
    wanted = _expected_keys(farm)
    structural = {k for k in wanted if k[1] in ("SERVERS-CONFIG-DIFFER", "SERVERS-CLOCK-SKEW")}
    got = set()
    for row in findings.itertuples(index=False):
        if row.primary_code in ("SERVERS-CONFIG-DIFFER", "SERVERS-CLOCK-SKEW"):
            detail = {"check_id": "client-id"} if row.primary_code == "SERVERS-CONFIG-DIFFER" else {}
            if row.primary_code == "SERVERS-CLOCK-SKEW":
                m = re.search(r"is ([0-9.]+) s ahead of (\S+)", row.summary)
                assert m
                detail = {"offset_seconds": m.group(1), "reference": m.group(2)}
            got.add(_found_key(str(row.day), row.primary_code, str(row.incident_server), None, detail, row.summary))
    assert got == structural and len(structural) == 8

    # The README's one-liners, exactly as written there, on this dataset.
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Several servers, many bundles", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith('python -c "import ')]
    assert len(lines) == 2
    for line in lines:
        code = line[len('python -c "') : -1].replace('\\"', '"').replace("farm-out/", f"{out.as_posix()}/")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "NPS02.contoso.local" in done.stdout

    html = (out / "fleet.html").read_text(encoding="utf-8")
    assert "<svg" in html and "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert html.count('href="reports/') == 21
    for href in re.findall(r'href="(reports/[^"]+)"', html):
        assert (out / href).is_file()
    # Drawn with the report's own pieces: its style sheet, and its timeline picture once per server, a bar per day
    # (failed sign-ins in the bars' tooltips add up to the failed sign-in incidents of the dataset).
    style = (Path(nps_trace_analyzer.__file__).parent / "report" / "templates" / "_style.css").read_text("utf-8")
    assert style.strip() in html
    servers = sorted(set(pd.read_parquet(out / "dataset" / "bundles")["server"].astype(str)))
    assert html.count('<svg class="timeline"') == len(servers)
    heading = re.search(r"<h1>NPS fleet: (\d+) (servers?), (\d+) (days?)</h1>", html)
    assert heading is not None
    servers_n, servers_word, days_n, days_word = heading.groups()
    assert (servers_word, days_word) == ("server" + "s" * (servers_n != "1"), "day" + "s" * (days_n != "1"))
    ids = re.findall(r'\bid="([^"]*)"', html)
    assert len(ids) == len(set(ids)), "an id repeats in fleet.html (each timeline needs its own title id)"
    for title_id in re.findall(r'aria-labelledby="([^"]*)"', html):
        assert title_id in ids  # each picture's accessible name points at its own title
    incidents = pd.read_parquet(out / "dataset" / "incidents")
    failed = incidents[~incidents["benign"] & incidents["kind"].astype(str).isin(SIGN_IN_KINDS)]
    tips = re.findall(r"UTC: \d+ healthy, (\d+) failed", html)
    assert sum(map(int, tips)) == len(failed) > 0


def test_silent_server_only_when_its_bundle_covers_the_busy_hours() -> None:
    t0 = datetime(2025, 3, 12, 9, tzinfo=timezone.utc)
    busy = _profile("NPS01.x", auth_events=10, first_auth=t0, last_auth=t0 + timedelta(hours=2))
    covering = _profile("NPS02.x", first_time=t0 - timedelta(hours=1), last_time=t0 + timedelta(hours=1))
    elsewhere = _profile("NPS02.x", first_time=t0 + timedelta(hours=5), last_time=t0 + timedelta(hours=6))
    (silent,) = fleet_findings([busy, covering])
    assert silent.code == "SERVER-SILENT"
    # times as the report shows them (core/times.py), not ISO with microseconds
    assert "between 2025-03-12 09:00:00 and 2025-03-12 11:00:00 UTC while NPS01.x logged 10" in silent.text
    assert fleet_findings([busy, elsewhere]) == []


def test_analyze_two_zips_and_fleet_cli(tmp_path: Path) -> None:
    root = tmp_path / "zips"
    zips = generate_farm(root, servers=2, days=1, healthy=5, zip_every=1)
    assert all(p.suffix == ".zip" for p in zips)
    runner = CliRunner()
    result = runner.invoke(main, ["analyze", *map(str, zips), "-o", str(tmp_path / "r"), "-q"])
    assert result.exit_code == 0, result.output
    assert "SERVERS-CLOCK-SKEW" in result.output and sorted(p.name for p in (tmp_path / "r" / "servers").iterdir()) == [
        "NPS01",
        "NPS02",
    ]
    out = tmp_path / "fleet"
    (tmp_path / "empty").mkdir()
    nothing = runner.invoke(main, ["fleet", str(tmp_path / "empty"), "-o", str(out), "--workers", "0", "-q"])
    assert nothing.exit_code == 1 and "no bundle under" in nothing.output and not out.exists()
    first = runner.invoke(main, ["fleet", str(root), "-o", str(out), "--workers", "0", "-q"])
    assert first.exit_code == 0, first.output
    assert "2 bundle(s) found: 2 analysed, 0 unchanged" in first.output
    second = runner.invoke(main, ["fleet", str(root), "-o", str(out), "--workers", "0", "-q"])
    assert "2 bundle(s) found: 0 analysed, 2 unchanged" in second.output
    # A bundle nothing can be read from is listed as failed (exit 1), and kept in the dataset with its error.
    (root / "junk").mkdir()
    (root / "junk" / "notes.txt").write_text("nothing NPS here\n", encoding="utf-8")
    third = runner.invoke(main, ["fleet", str(root), "-o", str(out), "--workers", "0", "-q"])
    assert third.exit_code == 1 and "failed: junk: nothing in the bundle could be read" in third.output
    bundles = pd.read_parquet(out / "dataset" / "bundles")
    assert (bundles["error"] != "").sum() == 1
    # A copy of a bundle and a symbolic link are named, never silently skipped.
    shutil.copy(zips[0], root / "copy.zip")
    (root / "link.zip").symlink_to(zips[0])
    fourth = runner.invoke(main, ["fleet", str(root), "-o", str(out), "--workers", "0", "-q"])
    assert f"not analysed twice: copy.zip (same content as {zips[0].relative_to(root).as_posix()})" in fourth.output
    assert "symbolic link not followed: link.zip" in fourth.output


def test_fleet_html_escapes_bundle_names(tmp_path: Path) -> None:
    root = tmp_path / "root"
    hostile = root / '<img src=x onerror="alert(1)">'
    generate_bundle(hostile, ["healthy"], seed=3, host="NPS09", day=datetime(2025, 3, 12).date(), healthy=3)
    # A computer name with markup reaches the servers table, the chart headings and the SVG tooltips.
    generate_bundle(root / "b2", ["healthy"], seed=4, host='NPS<i>"x', day=datetime(2025, 3, 12).date(), healthy=3)
    out = tmp_path / "out"
    run = run_fleet(root, out, workers=0)
    assert run.analysed == sorted([hostile.name, "b2"])
    html = (out / "fleet.html").read_text(encoding="utf-8")
    assert "<img" not in html and "&lt;img src=x" in html
    assert "<i>" not in html and html.count("NPS&lt;i&gt;&#34;x") >= 3
    assert all(p.resolve().is_relative_to(out.resolve()) for p in out.rglob("*"))


def test_short_and_qualified_names_of_one_server_are_one_server() -> None:
    names = [p.server for p in by_server([_profile("NPS01"), _profile("NPS01.contoso.local"), _profile("NPS02.x")])]
    assert names == ["NPS01.contoso.local", "NPS02.x"]
    # Two customers' NPS01 in different domains stay apart, and a bare NPS01 cannot be given to either.
    apart = [p.server for p in by_server([_profile("NPS01.a"), _profile("NPS01.b"), _profile("NPS01")])]
    assert apart == ["NPS01", "NPS01.a", "NPS01.b"]


def test_clock_marks_are_a_bounded_sample_that_two_servers_share() -> None:
    """Two captures of different length keep the same packets (hash sample), never more than the bound."""
    from nps_trace_analyzer.analysis.observations import MAX_CLOCK_MARKS, ObservationCollector
    from nps_trace_analyzer.core.model import Event

    def radius(n: int, when: datetime) -> Event:
        auth = f"{(n * 2654435761) % (1 << 32):08x}" + "0" * 24
        data = (("nas", "10.0.0.5"), ("radius_id", str(n % 256)), ("authenticator", auth))
        return Event(when, "nettrace.etl", "nettrace", "RADIUS", 1, None, None, "", data, "", source_kind="capture")

    t0 = datetime(2025, 3, 12, 7, tzinfo=timezone.utc)
    long_capture, short_capture = ObservationCollector(), ObservationCollector()
    for n in range(5000):
        long_capture(radius(n, t0 + timedelta(seconds=n)))
    for n in reversed(range(2000, 4000)):  # other window, other order, clock 30 s ahead
        short_capture(radius(n, t0 + timedelta(seconds=n + 30)))
    a, b = long_capture.observations, short_capture.observations
    assert len(a.clock_marks) <= MAX_CLOCK_MARKS and len(b.clock_marks) <= MAX_CLOCK_MARKS
    shared = set(a.clock_marks) & set(b.clock_marks)
    assert len(shared) >= 100
    assert {(b.clock_marks[k] - a.clock_marks[k]).total_seconds() for k in shared} == {30.0}


def test_rerun_reads_no_unchanged_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nps_trace_analyzer.fleet import discover

    root = tmp_path / "root"
    generate_farm(root, servers=2, days=1, healthy=3)
    out = tmp_path / "out"
    assert len(run_fleet(root, out, workers=0).analysed) == 2

    def no_reading(*_args: object) -> None:
        raise AssertionError("an unchanged bundle was read again")

    monkeypatch.setattr(discover, "_hash_file", no_reading)
    assert run_fleet(root, out, workers=0).skipped == 2
    monkeypatch.undo()
    # A changed file changes the signature: that bundle is hashed (and, new content, analysed) again.
    victim = next(root.rglob("System.evtx"))
    victim.write_bytes(victim.read_bytes())  # same bytes, new time: hashed again, same key, not analysed
    again = run_fleet(root, out, workers=0)
    assert (again.analysed, again.skipped) == ([], 2)


def test_a_bundle_whose_task_fails_is_reported_and_tried_again_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nps_trace_analyzer.fleet import run as fleet_run

    root = tmp_path / "root"
    generate_farm(root, servers=2, days=1, healthy=3, zip_every=0)
    real = fleet_run.analyze_for_fleet

    def flaky(path: str, key: str, relative: str, options: object = None):
        if relative.startswith("NPS02"):
            raise RuntimeError("boom")
        return real(path, key, relative, options)

    monkeypatch.setattr(fleet_run, "analyze_for_fleet", flaky)
    first = run_fleet(root, tmp_path / "out", workers=0)
    assert first.analysed == ["NPS01/NPS01-2025-03-12"]
    assert first.failed == ["NPS02/NPS02-2025-03-12: internal error (please report): RuntimeError: boom"]
    monkeypatch.undo()
    second = run_fleet(root, tmp_path / "out", workers=0)
    assert (second.analysed, second.skipped, second.failed) == (["NPS02/NPS02-2025-03-12"], 1, [])


def test_settings_come_from_the_state_that_ran() -> None:
    from nps_trace_analyzer.fleet.profile import settings_of

    row = {"check_id": "client-id", "title": "CLIENT_ID", "status": "ok"}
    after = [{**row, "evidence": "A", "source": "after"}, {**row, "evidence": "B", "source": "before"}]
    assert settings_of(after) == {"client-id": ("CLIENT_ID", "A", "ok")}
    only_before = [{**row, "evidence": "B", "source": "before"}]
    assert settings_of(only_before) == {"client-id": ("CLIENT_ID", "B", "ok")}
    changed = [{**row, "check_id": "changed-during-capture-azuremfa", "evidence": "x", "source": ""}]
    assert settings_of(changed) == {}


def test_readme_library_example_runs(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Library API", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    repo = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", block], capture_output=True, text=True, timeout=300, cwd=repo)
    assert done.returncode == 0, done.stderr
    assert "NPS01" in done.stdout
