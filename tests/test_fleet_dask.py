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
        killed: list[int] = []

        def kill_one_worker(_outcome: object) -> None:
            if killed:
                return
            pids = sorted(client.run(os.getpid).values())
            killed.append(pids[0])
            os.kill(pids[0], signal.SIGKILL)  # the nanny restarts it; the scheduler reschedules its tasks

        out = tmp_path / "dask"
        run = run_fleet(farm, out, client=client, on_result=kill_one_worker)
        assert killed, "no worker was killed"
        assert sorted(run.analysed) == sorted(set(run.analysed)) and len(run.analysed) == 20
    assert _files(out) == _files(sequential)
    got, want = _dataset(out), _dataset(sequential)
    for table in TABLES:
        pd.testing.assert_frame_equal(got[table], want[table], obj=table)
