"""Engines: who runs the shard function over the shards.

``local`` runs it in this process (one worker) or in a pool of worker processes; ``ray``
submits it as Ray tasks (``pip install 'dqkit[ray]'``), to a local Ray when no address
is given. Either way each task gets a shard description and reads its shard itself, and
the results come back in shard order, so outputs do not depend on the engine or on the
number of workers.
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait

from dqkit.errors import OptionsError


def _report(progress, done_shards: list[dict], plan) -> None:
    """Documents done across all workers against the plan's estimate (blank JSONL lines count there)."""
    total = sum(s.documents for s in plan)
    progress.advance(min(sum(s["documents"] + s["problems"] for s in done_shards), total), total)


def _run_local(shard_function, plan, context, workers: int, progress) -> list[dict]:
    results: dict[int, dict] = {}
    if workers <= 1 or len(plan) <= 1:
        for shard in plan:
            results[shard.index] = shard_function(shard, context)
            _report(progress, list(results.values()), plan)
        return [results[s.index] for s in plan]
    # spawn, not fork: polars' thread pool does not survive a fork safely
    with ProcessPoolExecutor(max_workers=min(workers, len(plan)),
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        pending = {pool.submit(shard_function, shard, context): shard for shard in plan}
        try:
            while pending:
                finished, _ = wait(pending, return_when=FIRST_EXCEPTION)
                for future in finished:
                    shard = pending.pop(future)
                    results[shard.index] = future.result()  # re-raises a worker's error here
                _report(progress, list(results.values()), plan)
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return [results[s.index] for s in plan]


def _run_ray(shard_function, plan, context, workers: int, address: str | None, progress) -> list[dict]:
    try:
        import ray
    except ImportError:
        raise OptionsError("--engine ray needs Ray: pip install 'dqkit[ray]'") from None
    started_here = not ray.is_initialized()
    if started_here:
        if address:
            ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
        else:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    try:
        task = ray.remote(num_cpus=1)(shard_function)
        refs = {task.remote(shard, context): shard for shard in plan}
        results: dict[int, dict] = {}
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1)
            for ref in ready:
                shard = refs.pop(ref)
                try:
                    results[shard.index] = ray.get(ref)
                except ray.exceptions.RayTaskError as exc:  # the worker's own exception, as raised there
                    raise exc.as_instanceof_cause() from None
            _report(progress, list(results.values()), plan)
        return [results[s.index] for s in plan]
    finally:
        if started_here:
            ray.shutdown()


def run_shards(shard_function, plan, context, settings, progress) -> list[dict]:
    """``shard_function(shard, context)`` for every shard of ``plan``; summaries in plan order."""
    if settings.engine == "ray":
        return _run_ray(shard_function, plan, context, settings.workers, settings.ray_address, progress)
    if settings.engine != "local":
        raise OptionsError(f"unknown engine {settings.engine!r} (local or ray)")
    return _run_local(shard_function, plan, context, settings.workers, progress)
