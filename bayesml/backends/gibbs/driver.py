"""Chains side by side: one worker process per chain (``spawn``), seeds from one SeedSequence.

Chain c runs from ``SeedSequence(random_seed).spawn(chains)[c]`` whatever the number of worker
processes, so the same seed gives identical draws with ``cores=1`` and with ``cores=4``.
"""

from __future__ import annotations

import multiprocessing
import os
import queue as queue_module
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

import numpy as np

from bayesml.backends.gibbs.problem import GibbsProblem
from bayesml.backends.gibbs.progress import ChainProgress, chain_progress
from bayesml.backends.gibbs.sampler import ChainTrace, SamplerOptions, run_chain

__all__ = ["chain_seeds", "run_chains"]

_POLL_SECONDS = 0.1


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


def _in_processes(problem, seeds, cores, display, show, **kwargs) -> list[ChainTrace]:
    context = multiprocessing.get_context("spawn")
    manager = context.Manager() if show else None
    updates = manager.Queue() if manager is not None else None
    try:
        with ProcessPoolExecutor(max_workers=cores, mp_context=context) as pool:
            futures: list[Future] = [
                pool.submit(_worker, problem, seed, chain, updates, **kwargs)
                for chain, seed in enumerate(seeds)
            ]
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=_POLL_SECONDS, return_when=FIRST_EXCEPTION)
                if updates is not None:
                    _drain(updates, display)
                if any(future.exception() is not None for future in done):
                    pool.shutdown(cancel_futures=True)
                    break
            return [future.result() for future in futures]
    except BrokenProcessPool as error:
        raise RuntimeError(
            "a Gibbs worker process stopped before finishing its chain. Worker processes are "
            "started with 'spawn' and import the main module: in a script, sample under "
            "`if __name__ == \"__main__\":`, or pass cores=1 to run the chains in this process"
        ) from error
    finally:
        if manager is not None:
            manager.shutdown()


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
