"""Where a research sweep's tasks run: this process, a local process pool, or a Dask cluster.

A sweep is many independent, pure tasks (one walk-forward training fold of one candidate on
one symbol's history). Each executor runs a list of them and returns the results **in the
order given**, whatever order they finish in, so a run's numbers do not depend on where it
ran: every task is a pure function of its arguments (seeded variants, a deterministic mock
history), and the parent assembles the results in a fixed order. ``progress(done, total)``
is called as tasks finish, for the CLI's progress bar.

- ``SerialExecutor``: in this process (the library default; tests and tiny sweeps).
- ``LocalExecutor``: ``concurrent.futures.ProcessPoolExecutor`` with the *spawn* start
  method (safe with threads and numba, the same on Linux, macOS and Windows); the default
  of ``ats research run``.
- ``DaskExecutor``: each task submitted to a ``distributed`` scheduler
  (``tcp://HOST:8786``), or to a private ``LocalCluster`` on 127.0.0.1 when no address is
  given. The workers import ``research_lab`` themselves: they need ATS installed, same
  version (see research_lab/README.md).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")
ProgressFn = Callable[[int, int], None]
EXECUTORS = ("local", "dask")
CONNECT_TIMEOUT = "10s"  # how long to wait for a --scheduler before saying it is unreachable


def _quiet(done: int, total: int) -> None:
    return None


class Executor(Protocol):
    name: str

    def map(self, fn: Callable[[T], R], tasks: Sequence[T],
            progress: ProgressFn = _quiet) -> list[R]: ...

    def close(self) -> None: ...


class SerialExecutor:
    """Runs the tasks one after another in this process."""

    name = "serial"

    def map(self, fn: Callable[[T], R], tasks: Sequence[T],
            progress: ProgressFn = _quiet) -> list[R]:
        out: list[R] = []
        for i, task in enumerate(tasks):
            out.append(fn(task))
            progress(i + 1, len(tasks))
        return out

    def close(self) -> None:
        return None


def _run_chunk(fn: Callable[[T], R], tasks: Sequence[T]) -> list[R]:
    return [fn(t) for t in tasks]


class LocalExecutor:
    """A pool of spawned worker processes on this machine (``workers`` default: CPUs).

    Tasks travel in contiguous chunks (about four per worker): a walk-forward fold is
    milliseconds of work, so one round trip per task would cost as much as the task, and
    neighbouring tasks (one candidate's folds) reuse the signals a worker already computed.
    """

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None

    def _get(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def map(self, fn: Callable[[T], R], tasks: Sequence[T],
            progress: ProgressFn = _quiet) -> list[R]:
        if not tasks:
            return []
        if self.workers == 1:  # a pool of one only adds pickling and a process start
            return SerialExecutor().map(fn, tasks, progress)
        pool = self._get()
        size = max(1, -(-len(tasks) // (4 * self.workers)))
        starts = range(0, len(tasks), size)
        futs = {pool.submit(_run_chunk, fn, tasks[i:i + size]): i for i in starts}
        out: list[Any] = [None] * len(tasks)
        done = 0
        for fut in as_completed(futs):
            part = fut.result()
            i = futs[fut]
            out[i:i + len(part)] = part
            done += len(part)
            progress(done, len(tasks))
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskExecutor:
    """Each task submitted to a Dask ``distributed`` cluster.

    ``scheduler`` is the address of a running scheduler (``tcp://10.0.0.5:8786``); without
    one a ``LocalCluster`` bound to 127.0.0.1 is started for this executor and stopped by
    ``close()``. Tasks are submitted with ``pure=False`` (a rerun recomputes, never reuses
    a stale result kept on the cluster).
    """

    name = "dask"

    def __init__(self, scheduler: str | None = None, *, workers: int | None = None,
                 processes: bool = True) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - distributed is a dependency
            raise ValueError("--executor dask needs the 'distributed' package: "
                             "pip install distributed") from exc
        self._cluster: Any = None
        if scheduler:
            try:
                self.client = Client(scheduler, timeout=CONNECT_TIMEOUT)
            except OSError as exc:
                raise ValueError(f"cannot reach the Dask scheduler at {scheduler} ({exc}); "
                                 "start one with `dask scheduler` or drop --scheduler "
                                 "to use a local cluster") from None
        else:
            self._cluster = LocalCluster(
                protocol="tcp", host="127.0.0.1",
                n_workers=max(1, workers or os.cpu_count() or 1),
                threads_per_worker=1, processes=processes, dashboard_address=None,
                silence_logs=logging.ERROR)  # its shutdown chatter is not the trader's news
            self.client = Client(self._cluster)
        self.scheduler = scheduler or str(self._cluster.scheduler_address)

    def map(self, fn: Callable[[T], R], tasks: Sequence[T],
            progress: ProgressFn = _quiet) -> list[R]:
        from distributed import as_completed as dask_completed

        if not tasks:
            return []
        futs = [self.client.submit(fn, task, pure=False) for task in tasks]
        for done, fut in enumerate(dask_completed(futs), start=1):
            if fut.status == "error":
                fut.result()  # raises the task's own exception here
            progress(done, len(tasks))
        return list(self.client.gather(futs))

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def make_executor(kind: str, scheduler: str | None = None,
                  workers: int | None = None) -> Executor:
    """The executor a CLI flag names (``local`` or ``dask``)."""
    if kind == "local":
        if scheduler:
            raise ValueError("--scheduler goes with --executor dask")
        return LocalExecutor(workers)
    if kind == "dask":
        return DaskExecutor(scheduler, workers=workers)
    raise ValueError(f"unknown executor {kind!r}; use one of {', '.join(EXECUTORS)}")
