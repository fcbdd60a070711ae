"""``fleet`` on a real dask.distributed LocalCluster (scheduler and worker processes on loopback, started and
stopped here): the dataset equals the in-process run's, also when a worker is killed in the middle (Dask reruns
the lost tasks)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pandas as pd
import pytest

from nps_trace_analyzer.fleet.run import run_fleet
from nps_trace_analyzer.pipeline import AnalyzeOptions
from nps_trace_analyzer.report.pseudonym import Pseudonyms
from nps_trace_analyzer.report.redact import Redactor
from nps_trace_analyzer.synth.farm import generate_farm

distributed = pytest.importorskip("distributed")
TABLES = ("incidents", "inputs", "bundles", "fleet_findings")


def _dataset(out: Path) -> dict[str, pd.DataFrame]:
    """Every table, rows in a fixed order, partition columns as plain strings (file order never matters)."""
    tables = {}
    for table in TABLES:
        frame = pd.read_parquet(out / "dataset" / table)
        for column in frame.columns:
            if isinstance(frame[column].dtype, pd.CategoricalDtype):
                frame[column] = frame[column].astype("string")
        tables[table] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return tables


def _files(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in (out / "dataset").rglob("*.parquet"))


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dask-farm")
    generate_farm(root, servers=5, days=4, healthy=5)  # 20 bundles
    return root


@pytest.fixture(scope="module")
def sequential(farm: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sequential")
    run = run_fleet(farm, out, workers=0)
    assert len(run.analysed) == 20
    return out


def test_local_cluster_gives_the_sequential_dataset_even_when_a_worker_dies(
    farm: Path, sequential: Path, tmp_path: Path
) -> None:
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        killed: list[str] = []

        def kill_one_worker(_outcome: object) -> None:
            """Kill a worker that is running a bundle's task right now (SIGKILL: no goodbye to the scheduler)."""
            if killed:
                return
            busy = sorted((addr, keys) for addr, keys in client.processing().items() if keys)
            assert busy, "no task in flight to lose"
            address, keys = busy[0]
            pid = client.run(os.getpid, workers=[address])[address]
            killed.extend(str(k) for k in keys)
            os.kill(pid, signal.SIGKILL)  # the nanny starts a new worker; the scheduler reruns the lost tasks

        out = tmp_path / "dask"
        run = run_fleet(farm, out, client=client, on_result=kill_one_worker)
        assert killed and all(k.startswith("nps-bundle-") for k in killed), killed
        assert sorted(run.analysed) == sorted(set(run.analysed)) and len(run.analysed) == 20
    assert _files(out) == _files(sequential)
    got, want = _dataset(out), _dataset(sequential)
    for table in TABLES:
        pd.testing.assert_frame_equal(got[table], want[table], obj=table)


def test_fleet_runs_against_a_scheduler_address(tmp_path: Path) -> None:
    """``--scheduler tcp://...``: the client connects to a running scheduler (here a LocalCluster's)."""
    root = tmp_path / "pair"
    generate_farm(root, servers=2, days=1, healthy=3)
    reference = run_fleet(root, tmp_path / "in-process", workers=0)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        run = run_fleet(root, tmp_path / "remote", scheduler=cluster.scheduler_address)
    assert run.analysed == reference.analysed and len(run.analysed) == 2
    assert _files(tmp_path / "remote") == _files(tmp_path / "in-process")


def test_redacted_fleet_on_a_cluster_matches_the_in_process_run(tmp_path: Path) -> None:
    """``fleet --redact`` on workers: each task's fresh redactor (same key) and its map come back through Dask, and
    the redacted dataset, states and map are the in-process run's (no output depends on which worker read what)."""
    root = tmp_path / "pair"
    generate_farm(root, servers=2, days=2, healthy=3)
    key = Pseudonyms.key_from_text("case-9")
    in_process = Redactor(key)
    run_fleet(root, tmp_path / "in-process", workers=0, options=AnalyzeOptions(redactor=in_process))
    on_cluster = Redactor(key)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        run = run_fleet(
            root, tmp_path / "dask", scheduler=cluster.scheduler_address, options=AnalyzeOptions(redactor=on_cluster)
        )
    assert len(run.analysed) == 4 and all("NPS0" not in name for name in run.analysed)
    assert _files(tmp_path / "dask") == _files(tmp_path / "in-process")
    got, want = _dataset(tmp_path / "dask"), _dataset(tmp_path / "in-process")
    for table in TABLES:
        pd.testing.assert_frame_equal(got[table], want[table], obj=table)
    states = [sorted((out / "state").glob("*.json")) for out in (tmp_path / "dask", tmp_path / "in-process")]
    assert [p.read_bytes() for p in states[0]] == [p.read_bytes() for p in states[1]]
    assert on_cluster.mapping() == in_process.mapping() and on_cluster.mapping()
