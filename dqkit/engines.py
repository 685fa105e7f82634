"""Engines: who runs the shard function over the shards, and the tasks of near-dedup.

``local`` runs shards in this process (one worker) or in a pool of worker processes;
``ray`` submits them as Ray tasks (``pip install 'dqkit[ray]'``), to a local Ray when no
address is given. Either way each task gets a shard description and reads its shard
itself, and the results come back in shard order. The band-group tasks of near-dedup
(:func:`map_tasks`) are small descriptions too: each reads the band keys and signatures
it needs from the shard folders and writes its edges there, so no matrix of signatures
passes through the driver. Outputs do not depend on the engine or on the number of workers.

Local worker processes ignore Ctrl-C, die with the driver and are killed when the run
stops (:mod:`dqkit.interrupts`); a worker that dies under the pool (killed, out of
memory) ends the run with :class:`~dqkit.errors.WorkerDied`, naming the shard it held.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import time
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from dqkit import shard_progress
from dqkit.errors import OptionsError, WorkerDied
from dqkit.interrupts import signals_blocked, worker_init

_RUNNING: Any = None  # in a worker process: the shared array of who cleans which shard
PROGRESS_POLL_SECONDS = 0.25


def _worker_init(parent: int, running: Any, progressed: Any) -> None:
    global _RUNNING
    _RUNNING = running
    shard_progress.attach(progressed)  # the driver reads it while it waits
    worker_init(parent)


def _run_shard(shard_function, shard, context):
    """A worker's task: ``shard_function(shard, context)``, noting which shard it cleans."""
    _RUNNING[shard.index] = os.getpid()
    try:
        return shard_function(shard, context)
    finally:
        _RUNNING[shard.index] = 0


def _worker_died(plan, running, processes: dict) -> WorkerDied:
    """What happened to the worker whose death broke the pool, and which shard it held."""
    deadline = time.monotonic() + 2  # its pipe closes a moment before it can be waited for
    dead = {pid: process.exitcode for pid, process in processes.items() if not process.is_alive()}
    while not dead and time.monotonic() < deadline:
        time.sleep(0.01)
        dead = {pid: process.exitcode for pid, process in processes.items() if not process.is_alive()}
    held = {pid: k for k, pid in enumerate(running) if pid in dead}
    # the pool terminates the other workers (SIGTERM) once one has died: prefer another cause,
    # then a worker that held a shard
    culprits = sorted(dead, key=lambda pid: (dead[pid] == -signal.SIGTERM, pid not in held))
    kept = "the finished shards are kept: run again with --resume"
    if not culprits:
        return WorkerDied(f"a worker process died; {kept}")
    code = dead[culprits[0]]
    how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
    if culprits[0] not in held:
        return WorkerDied(f"a worker process died ({how}) while starting or between shards; {kept}")
    k = held[culprits[0]]
    files = ", ".join(f.name for f in plan[k].files[:3]) + (", ..." if len(plan[k].files) > 3 else "")
    return WorkerDied(f"a worker process died ({how}) while cleaning shard {k} ({files}); {kept}")


def _stop_workers(pool: ProcessPoolExecutor, processes: dict) -> None:
    """End the pool now: queued shards are dropped, running ones are killed (a shard folder
    without done.json is cleaned again by --resume)."""
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes.values():
        if process.is_alive():
            process.kill()
    for process in processes.values():
        process.join(timeout=5)


def _report(progress, results: dict[int, dict], plan, progressed: Any = None) -> None:
    """Documents done across all workers against the plan's estimate (blank JSONL lines
    count there): those of the finished shards, and what the running ones have counted so
    far in ``progressed`` (:mod:`dqkit.shard_progress`)."""
    total = sum(s.documents for s in plan)
    done = sum(s["documents"] + s["problems"] for s in results.values())
    if progressed is not None:
        done += sum(progressed[s.index] for s in plan if s.index not in results)
    progress.advance(min(done, total), total)


class LocalEngine:
    """Shards in this process (one worker) or in one pool of worker processes, kept for
    the whole run: the survey and the cleaning reuse the same workers, so each starts
    (imports, rules loaded) once, not once per phase. :meth:`close` ends the pool."""

    name = "local"

    def __init__(self, workers: int):
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._shared: tuple[Any, Any] | None = None  # (running, progressed) of the pool's plan

    def _pool_for(self, plan) -> tuple[ProcessPoolExecutor, Any, Any]:
        """The run's pool, made at the first call (or again for a plan of another size)."""
        if self._pool is not None and self._shared is not None and len(self._shared[0]) == len(plan):
            running, progressed = self._shared
            for k in range(len(plan)):
                running[k] = progressed[k] = 0
            return self._pool, running, progressed
        self.close()
        # spawn, not fork: polars' thread pool does not survive a fork safely
        spawn = multiprocessing.get_context("spawn")
        running = spawn.RawArray("q", len(plan))  # the pid cleaning each shard, 0 when none
        progressed = spawn.RawArray("q", len(plan))  # documents each running shard has counted
        self._pool = ProcessPoolExecutor(
            max_workers=min(self.workers, len(plan)),
            mp_context=spawn,
            initializer=_worker_init,
            initargs=(os.getpid(), running, progressed),
        )
        self._shared = (running, progressed)
        return self._pool, running, progressed

    def close(self) -> None:
        """Let the workers finish what they hold and exit (also the end of the shard phase:
        they would only hold their memory while the driver deduplicates and writes)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        self._pool = self._shared = None

    def map_shards(self, shard_function, plan, context, progress) -> list[dict]:
        """``shard_function(shard, context)`` for every shard; summaries in plan order."""
        results: dict[int, dict] = {}
        if self.workers <= 1 or len(plan) <= 1:
            progressed = [0] * len(plan)
            shard_progress.attach(progressed, lambda: _report(progress, results, plan, progressed))
            try:
                for shard in plan:
                    results[shard.index] = shard_function(shard, context)
                    _report(progress, results, plan, progressed)
            finally:
                shard_progress.attach(None)
            return [results[s.index] for s in plan]
        pool, running, progressed = self._pool_for(plan)
        processes: dict[int, Any] = {}
        try:
            with signals_blocked():  # the workers start with SIGINT and SIGTERM blocked
                pending = {pool.submit(_run_shard, shard_function, shard, context): shard for shard in plan}
                processes = dict(getattr(pool, "_processes", None) or {})
            while pending:
                # Woken a few times a second, so the bar moves while the shards run.
                finished, _ = wait(pending, timeout=PROGRESS_POLL_SECONDS, return_when=FIRST_EXCEPTION)
                for future in finished:
                    shard = pending.pop(future)
                    try:
                        results[shard.index] = future.result()  # re-raises a worker's error here
                    except BrokenProcessPool:
                        raise _worker_died(plan, running, processes) from None
                _report(progress, results, plan, progressed)
        except BaseException:
            _stop_workers(pool, processes)
            self._pool = self._shared = None
            raise
        return [results[s.index] for s in plan]

    def map_tasks(self, function, tasks: list) -> list:
        """``function(task)`` for every task, results in order: in this process with one
        worker or one task, else in a pool of fresh processes (the shards' pool is closed by
        then, and its workers' memory with it)."""
        if self.workers <= 1 or len(tasks) <= 1:
            return [function(task) for task in tasks]
        spawn = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(
            min(self.workers, len(tasks)), mp_context=spawn, initializer=worker_init, initargs=(os.getpid(),)
        )
        processes: dict[int, Any] = {}
        try:
            with signals_blocked():  # the workers start with SIGINT and SIGTERM blocked
                futures = [pool.submit(function, task) for task in tasks]
                processes = dict(getattr(pool, "_processes", None) or {})
            return [future.result() for future in futures]
        except BrokenProcessPool:
            raise WorkerDied("a worker of near-dedup died (killed, or out of memory)") from None
        except BaseException:
            _stop_workers(pool, processes)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


class RayEngine:
    name = "ray"

    def __init__(self, ray, workers: int):
        self.ray = ray
        self.workers = workers

    def close(self) -> None:
        """Nothing to end after the shards: Ray stays up for the dedup tasks, :func:`open_engine` stops it."""

    def _gather(self, refs: dict, on_result) -> None:
        while refs:
            ready, _ = self.ray.wait(list(refs), num_returns=1)
            for ref in ready:
                key = refs.pop(ref)
                try:
                    on_result(key, self.ray.get(ref))
                except self.ray.exceptions.RayTaskError as exc:  # the worker's own exception, as raised there
                    raise exc.as_instanceof_cause() from None

    def map_shards(self, shard_function, plan, context, progress) -> list[dict]:
        task = self.ray.remote(num_cpus=1)(shard_function)
        results: dict[int, dict] = {}

        def done(shard, summary):
            results[shard.index] = summary
            _report(progress, results, plan)

        self._gather({task.remote(shard, context): shard for shard in plan}, done)
        return [results[s.index] for s in plan]

    def map_tasks(self, function, tasks: list) -> list:
        """``function(task)`` for every task as Ray tasks, results in order."""
        remote = self.ray.remote(num_cpus=1)(function)
        results: dict[int, Any] = {}
        self._gather({remote.remote(task): k for k, task in enumerate(tasks)}, results.__setitem__)
        return [results[k] for k in range(len(tasks))]


@contextlib.contextmanager
def open_engine(settings):
    """The engine of ``settings`` (``engine``, ``workers``, ``ray_address``), up for the run."""
    if settings.engine == "local":
        engine = LocalEngine(settings.workers)
        try:
            yield engine
        finally:
            engine.close()
        return
    if settings.engine != "ray":
        raise OptionsError(f"unknown engine {settings.engine!r} (local or ray)")
    try:
        import ray
    except ImportError:
        raise OptionsError("--engine ray needs Ray: pip install 'dqkit[ray]'") from None
    started_here = not ray.is_initialized()
    if started_here:
        if settings.ray_address:
            ray.init(address=settings.ray_address, log_to_driver=False, logging_level=logging.WARNING)
        else:
            ray.init(
                num_cpus=settings.workers, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING
            )
    try:
        yield RayEngine(ray, settings.workers)
    finally:
        if started_here:
            ray.shutdown()
