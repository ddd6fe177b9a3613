"""Chains side by side in worker processes (``spawn``), seeds from one SeedSequence.

Chain c runs from ``SeedSequence(random_seed).spawn(chains)[c]`` whatever the number of worker
processes, so the same seed gives identical draws with ``cores=1`` and with ``cores=4``. The
workers are kept for the next fit (see :class:`_ReusablePool`).
"""

from __future__ import annotations

import multiprocessing
import os
import queue as queue_module
import signal
import threading
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

import numpy as np

from bayesml.backends.gibbs.problem import GibbsProblem
from bayesml.backends.gibbs.progress import ChainProgress, chain_progress
from bayesml.backends.gibbs.sampler import ChainTrace, SamplerOptions, run_chain
from bayesml.errors import SamplingError

__all__ = ["IDLE_SECONDS", "chain_seeds", "run_chains", "shutdown_workers"]

_POLL_SECONDS = 0.1
#: seconds idle worker processes are kept for the next fit
IDLE_SECONDS = 300.0


def chain_seeds(random_seed: int | None, chains: int) -> list[np.random.SeedSequence]:
    """One independent seed per chain, derived from ``random_seed`` (fresh entropy when None)."""
    return np.random.SeedSequence(random_seed).spawn(chains)


def _worker(
    problem: GibbsProblem,
    seed: np.random.SeedSequence,
    chain: int,
    updates,
    draws: int,
    tune: int,
    thin: int,
    options: SamplerOptions,
) -> ChainTrace:
    """Run one chain in a worker process, reporting progress through ``updates`` (a queue)."""

    def report(sweeps: int) -> None:
        updates.put((chain, sweeps))

    return run_chain(
        problem,
        seed,
        draws=draws,
        tune=tune,
        thin=thin,
        options=options,
        progress=report if updates is not None else None,
    )


def _drain(updates, display: ChainProgress) -> None:
    while True:
        try:
            chain, sweeps = updates.get_nowait()
        except queue_module.Empty:
            return
        display.advance(chain, sweeps)


class _ReusablePool:
    """Worker processes kept between fits, as joblib's reusable executor does.

    Starting a spawned worker (a fresh interpreter that imports numpy, scipy and the sampler)
    takes about a second, as long as sampling a small model; the workers are therefore kept for
    the next fit and shut down after :data:`IDLE_SECONDS` without one (or by
    :func:`shutdown_workers`).
    """

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._workers = 0
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def acquire(self, workers: int) -> ProcessPoolExecutor:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._pool is not None and (self._workers != workers or _is_broken(self._pool)):
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
            if self._pool is None:
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(
                    max_workers=workers, mp_context=context, initializer=_ignore_interrupts
                )
                self._workers = workers
            return self._pool

    def release(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._timer = threading.Timer(IDLE_SECONDS, self.shutdown)
                self._timer.daemon = True
                self._timer.start()

    def terminate(self) -> None:
        """Stop the workers at once, chains running or not (after an interrupt or a failure)."""
        with self._lock:
            processes = list(getattr(self._pool, "_processes", {}).values()) if self._pool else []
        for process in processes:
            process.terminate()
        self.shutdown()

    def shutdown(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None


def _ignore_interrupts() -> None:
    """Worker initializer: Ctrl-C (or a Jupyter kernel's interrupt) is the parent's to handle.

    The parent stops the workers itself (:meth:`_ReusablePool.terminate`); without this every idle
    worker would print a ``KeyboardInterrupt`` traceback when the interrupt reaches its group.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _is_broken(pool: ProcessPoolExecutor) -> bool:
    return bool(getattr(pool, "_broken", False))


_POOL = _ReusablePool()


def shutdown_workers() -> None:
    """Stop the Gibbs sampler's idle worker processes now (they also stop on their own)."""
    _POOL.shutdown()


def _collect(pool, problem, seeds, display, updates, kwargs) -> list[ChainTrace]:
    futures: list[Future] = [
        pool.submit(_worker, problem, seed, chain, updates, **kwargs)
        for chain, seed in enumerate(seeds)
    ]
    pending = set(futures)
    while pending:
        done, pending = wait(pending, timeout=_POLL_SECONDS, return_when=FIRST_EXCEPTION)
        if updates is not None:
            _drain(updates, display)
        failed = [future for future in done if future.exception() is not None]
        if failed:
            for future in pending:
                future.cancel()
            raise failed[0].exception()
    return [future.result() for future in futures]


def _in_processes(problem, seeds, cores, display, show, **kwargs) -> list[ChainTrace]:
    manager = multiprocessing.get_context("spawn").Manager() if show else None
    updates = manager.Queue() if manager is not None else None
    pool = _POOL.acquire(cores)
    try:
        traces = _collect(pool, problem, seeds, display, updates, kwargs)
    except BrokenProcessPool as error:
        _POOL.shutdown()
        raise SamplingError(
            "a Gibbs worker process stopped before finishing its chain. Worker processes are "
            "started with 'spawn' and import the main module: in a script, sample under "
            '`if __name__ == "__main__":`, or pass cores=1 to run the chains in this process'
        ) from error
    except BaseException:
        # interrupted, or a chain failed: do not leave running chains to the next fit
        _POOL.terminate()
        raise
    finally:
        if manager is not None:
            manager.shutdown()
    _POOL.release()
    return traces


def run_chains(
    problem: GibbsProblem,
    *,
    draws: int,
    tune: int,
    chains: int,
    thin: int,
    random_seed: int | None,
    cores: int | None,
    progressbar: bool,
    options: SamplerOptions,
) -> list[ChainTrace]:
    """Run ``chains`` chains, in parallel processes when ``cores`` > 1 (default: one per chain,
    at most the number of CPUs)."""
    seeds = chain_seeds(random_seed, chains)
    cores = min(chains, os.cpu_count() or 1) if cores is None else min(cores, chains)
    kwargs = {"draws": draws, "tune": tune, "thin": thin, "options": options}
    with chain_progress(progressbar, chains, tune + draws * thin) as display:
        if cores <= 1:
            return [
                run_chain(
                    problem,
                    seed,
                    progress=lambda sweeps, chain=chain: display.advance(chain, sweeps),
                    **kwargs,
                )
                for chain, seed in enumerate(seeds)
            ]
        return _in_processes(problem, seeds, cores, display, progressbar, **kwargs)
