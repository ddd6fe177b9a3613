"""Chains side by side in worker processes (``spawn``), seeds from one SeedSequence.

Chain c runs from ``SeedSequence(random_seed).spawn(chains)[c]`` whatever the number of worker
processes, so the same seed gives identical draws with ``cores=1`` and with ``cores=4``. The
workers are kept for the next fit (see :class:`_ReusablePool`).

Where the chains run: a spawned worker starts a fresh interpreter which, before it runs a chain,
runs the main script's top-level code again (as ``__mp_main__``), as every ``spawn`` or
``forkserver`` start does. In a notebook, a console or ``python -c`` there is no main script,
and under ``if __name__ == "__main__":`` the re-run skips the sampling; but a plain script that
samples at its top level would sample again in every worker, which then tries to start workers
of its own and fails. :func:`workers_can_start` recognises that case (the call comes from the
main script's top level, outside such a guard, read from the script's source) and the chains
then run one after another in the calling process. Threads are no substitute: the sweeps are
many small numpy operations that hold the GIL, and 4 chains in 2 threads took 1.6–2.3 times as
long as the same chains one after another (radon, sleepstudy, rats, bacteria; 2 cores). Nor is
``fork``: it copies the calling process with only the calling thread, so locks held by any
other thread (BLAS's pool, a notebook's, nutpie's, this module's idle timer) stay locked in
the child, which can hang; Python 3.12 warns against forking a multi-threaded process.
"""

from __future__ import annotations

import ast
import multiprocessing
import os
import queue as queue_module
import signal
import sys
import threading
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache

import numpy as np

from bayesml.backends.gibbs.problem import GibbsProblem
from bayesml.backends.gibbs.progress import ChainProgress, chain_progress
from bayesml.backends.gibbs.sampler import ChainTrace, SamplerOptions, run_chain
from bayesml.errors import SamplingError, SamplingWarning, warn

__all__ = ["IDLE_SECONDS", "chain_seeds", "run_chains", "shutdown_workers", "workers_can_start"]

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


def _is_main_guard(test: ast.expr) -> bool:
    """Whether ``test`` is ``__name__ == "__main__"`` (either way round)."""
    if not (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Eq)
        and len(test.comparators) == 1
    ):
        return False
    sides = (test.left, test.comparators[0])
    names = [side.id for side in sides if isinstance(side, ast.Name)]
    texts = [side.value for side in sides if isinstance(side, ast.Constant)]
    return names == ["__name__"] and texts == ["__main__"]


@lru_cache(maxsize=8)
def _guarded_lines(filename: str, mtime: float) -> tuple[tuple[int, int], ...] | None:
    """The line ranges of the bodies of ``if __name__ == "__main__":`` in a script, or None when
    its source cannot be read or parsed."""
    try:
        with open(filename, encoding="utf-8") as source:
            tree = ast.parse(source.read(), filename)
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return None
    return tuple(
        (node.body[0].lineno, node.body[-1].end_lineno or node.body[-1].lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and _is_main_guard(node.test)
    )


def _main_top_level_frame(main):
    """The frame running the main module's top-level code, if it is still running (in this
    thread, else in the main thread)."""
    frames = [sys._getframe()]
    main_thread = threading.main_thread()
    if threading.current_thread() is not main_thread and main_thread.ident is not None:
        frames.append(sys._current_frames().get(main_thread.ident))
    for frame in frames:
        while frame is not None:
            if frame.f_code.co_name == "<module>" and frame.f_globals is vars(main):
                return frame
            frame = frame.f_back
    return None


def workers_can_start() -> bool:
    """Whether spawned worker processes can run chains for this call.

    False when the call comes from the top-level code of a main script (``python script.py`` or
    ``python -m module``) outside ``if __name__ == "__main__":`` — every worker would run that
    code again — or when the script's source cannot be read to tell. True in a notebook, a
    console or ``python -c`` (no main script), and under the guard.
    """
    main = sys.modules.get("__main__")
    if main is None:
        return True
    spec = getattr(main, "__spec__", None)
    filename = getattr(main, "__file__", None)
    if spec is None and filename is None:  # interactive: the workers import no main module
        return True
    frame = _main_top_level_frame(main)
    if frame is None:  # the main module's top-level code has finished running
        return True
    path = frame.f_code.co_filename
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return False
    guarded = _guarded_lines(path, mtime)
    if guarded is None:
        return False
    return any(start <= frame.f_lineno <= end for start, end in guarded)


def _unguarded_warning(cores: int) -> None:
    warn(
        f"cores={cores} asks for Gibbs chains in {cores} worker processes, but this script samples "
        "at its top level, which every spawned worker would run again: the chains run one after "
        'another in this process. Sample under `if __name__ == "__main__":` to run them in '
        "parallel",
        SamplingWarning,
    )


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
    at most the number of CPUs) and :func:`workers_can_start`, else one after another in this
    process (with a :class:`~bayesml.errors.SamplingWarning` when ``cores`` > 1 was asked for)."""
    seeds = chain_seeds(random_seed, chains)
    asked = cores
    cores = min(chains, os.cpu_count() or 1) if cores is None else min(cores, chains)
    if cores > 1 and not workers_can_start():
        if asked is not None:
            _unguarded_warning(asked)
        cores = 1
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
