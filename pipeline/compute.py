"""The dask.distributed client: a LocalCluster, or an existing scheduler by address.

The same pipeline runs on one laptop and on a multi-node cluster: pass ``--scheduler
tcp://host:8786`` (or set ``DASK_SCHEDULER_ADDRESS``, or ``compute.scheduler`` in
params.yaml) and the stages submit their work there instead of starting local workers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

import dask
from distributed import Client, LocalCluster

from pipeline.config import ComputeSettings


def scheduler_address(settings: ComputeSettings, override: str | None = None) -> str | None:
    """The scheduler to use: ``override``, then DASK_SCHEDULER_ADDRESS, then params.yaml."""
    return override or os.environ.get("DASK_SCHEDULER_ADDRESS") or settings.scheduler


@contextmanager
def dask_client(settings: ComputeSettings, override: str | None = None) -> Iterator[Client]:
    """Yield a connected client; a LocalCluster is started and closed when no address is set.

    On a cluster of your own, start workers without ``MALLOC_TRIM_THRESHOLD_`` in their
    environment (dask's nanny sets it by default) for the same speed.
    """
    address = scheduler_address(settings, override)
    if address:
        with Client(address, timeout="30s") as client:
            yield client
        return
    # dask sets MALLOC_TRIM_THRESHOLD_=65536 in workers it spawns; that fixes glibc's mmap
    # threshold at 128 KiB, so every large numpy temporary becomes an mmap/munmap pair and the
    # permutation tests ran 5x slower (50 s against 10 s per year of the county panel).
    with (
        dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}),
        LocalCluster(
            n_workers=settings.n_workers,
            threads_per_worker=settings.threads_per_worker,
            processes=True,
            dashboard_address=":0",  # a free port: bokeh is not installed, only the health endpoint binds
            # a task's error reaches the client and the user as one line; the workers' own
            # "Compute Failed" reports (with tracebacks) would repeat it per task
            silence_logs=logging.CRITICAL,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def release_worker_memory(address: str) -> None:
    """Hand the workers' freed memory back to the OS (:func:`release_memory` on each).

    Between the stages of ``regclust run`` on one scheduler the idle workers would otherwise
    keep the heap of the last stage (about 0.5 GB each after the measure stage of a 10M-row panel).
    """
    with Client(address, timeout="30s") as client:
        client.run(release_memory)


def release_memory() -> None:
    """Hand this process's freed memory back to the OS: ``gc``, then glibc ``malloc_trim``.

    glibc keeps the freed heap of a stage's frames (several GB after the cluster stage of
    a 37.5M-row panel) unless asked; ``regclust run`` calls this between its stages, so
    the process's size is that of the current stage, not the sum of the stages before it.
    """
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:  # not glibc: nothing to trim
        pass
