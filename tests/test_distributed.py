"""The measure stage on a real multi-process dask cluster (scheduler and workers on loopback)."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dask.dataframe as dd
import pandas as pd
import pytest
from distributed import Client

from pipeline.cli import main
from pipeline.engine.distributed import location_quotients_distributed
from pipeline.lq_dataset import lq_dataset_path, read_quotients
from pipeline.measures.specialization import location_quotients

DASK = str(Path(sys.executable).parent / "dask")
KEYS = ["year", "region_id", "industry_code"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def dask_processes(tmp_path):
    """A `dask scheduler` and two `dask worker` processes on 127.0.0.1, shut down afterwards."""
    address = f"tcp://127.0.0.1:{_free_port()}"
    logs = tmp_path / "dask-logs"
    logs.mkdir()
    port = address.rsplit(":", 1)[1]
    common = {"cwd": tmp_path, "start_new_session": True}
    scheduler = subprocess.Popen(
        [DASK, "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"],
        stdout=open(logs / "scheduler.log", "w"),
        stderr=subprocess.STDOUT,
        **common,
    )
    workers = [
        subprocess.Popen(
            [
                DASK,
                "worker",
                address,
                "--nthreads",
                "1",
                "--no-nanny",
                "--no-dashboard",
                "--name",
                f"w{i}",
            ],
            stdout=open(logs / f"worker{i}.log", "w"),
            stderr=subprocess.STDOUT,
            **common,
        )
        for i in range(2)
    ]
    try:
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address, workers
    finally:
        for process in [*workers, scheduler]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in [*workers, scheduler]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


@pytest.mark.slow
def test_measure_stage_on_a_scheduler_equals_local_run(subset_project, dask_processes, monkeypatch):
    address, _ = dask_processes
    monkeypatch.chdir(subset_project)
    assert main(["ingest", "--dataset", "subset"]) == 0
    out = lq_dataset_path(subset_project / "data" / "processed" / "subset")
    assert main(["measure", "--dataset", "subset"]) == 0
    local = read_quotients(out)
    shutil.rmtree(out)
    assert main(["measure", "--dataset", "subset", "--scheduler", address]) == 0
    remote = read_quotients(out)
    pd.testing.assert_frame_equal(remote, local)


@pytest.mark.slow
def test_killing_a_worker_mid_run_loses_and_duplicates_nothing(cbp_subset, dask_processes):
    address, workers = dask_processes

    def slow_partition(part: pd.DataFrame) -> pd.DataFrame:
        time.sleep(0.25)  # long enough to kill a worker while tasks are in flight
        return part

    employment = dd.from_pandas(cbp_subset, npartitions=32)
    employment = employment.map_partitions(slow_partition, meta=employment._meta)
    expected = location_quotients(cbp_subset)
    with Client(address) as client:
        future = client.compute(location_quotients_distributed(employment, "all"))
        # Wait until both workers hold tasks, then kill one outright (no nanny to restart it).
        deadline = time.monotonic() + 30
        while (
            time.monotonic() < deadline
            and len([w for w, t in client.processing().items() if t]) < 2
        ):
            time.sleep(0.05)
        time.sleep(0.5)
        workers[0].send_signal(signal.SIGKILL)
        result = future.result(timeout=120)
        assert len(client.scheduler_info()["workers"]) == 1
    result = result.sort_values(KEYS, ignore_index=True)
    assert not result.duplicated(KEYS).any()
    pd.testing.assert_frame_equal(result, expected, check_dtype=False)
