"""Fitting the configurations of a sensitivity run, in this process or on an executor.

What travels to a worker is a :class:`FitTask`: the configured spec as plain data and the data
frame, never a PyMC model, so any ``concurrent.futures.Executor`` can run it (a local process
pool, or ``distributed.Client(...).get_executor()`` for a Dask cluster). A worker never raises
for a failed fit: it returns a :class:`FitOutcome` carrying the error's type, message and
traceback, so one failed configuration does not lose the others.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

__all__ = [
    "PRIOR_PREDICTIVE_ERROR_ATTR",
    "FitFailure",
    "FitOutcome",
    "FitTask",
    "configuration_progress",
    "default_workers",
    "run_fit",
    "run_tasks",
]

#: root attribute of a result whose prior predictive draws failed (the error text)
PRIOR_PREDICTIVE_ERROR_ATTR = "bayesml_prior_predictive_error"

_BROKEN_POOL_HINT = (
    "a worker process stopped before finishing its fit. Workers are started with 'spawn' and "
    "import the main module: in a script, run the sensitivity analysis under "
    '`if __name__ == "__main__":`, or pass max_workers=1 to fit in this process'
)


@dataclass(frozen=True)
class FitTask:
    """Everything one fit needs, as picklable plain data.

    Attributes
    ----------
    index, label
        Position and label of the configuration.
    spec
        ``ModelSpec.to_dict()`` of the configured model.
    data
        The data frame the model is fitted to.
    method
        ``"nuts"`` or ``"gibbs"`` (:meth:`bayesml.Model.sample`).
    fit_kwargs
        Keyword arguments of :meth:`bayesml.Model.sample`.
    prior_draws
        Prior predictive draws to add (0 for none).
    """

    index: int
    label: str
    spec: Mapping[str, Any]
    data: pd.DataFrame
    method: str
    fit_kwargs: Mapping[str, Any]
    prior_draws: int = 0


@dataclass(frozen=True)
class FitFailure:
    """Why a fit failed: the exception's type name, message and formatted traceback."""

    type: str
    message: str
    traceback: str

    @classmethod
    def from_exception(cls, error: BaseException, hint: str | None = None) -> FitFailure:
        message = str(error) if hint is None else f"{error}; {hint}"
        text = "".join(traceback.format_exception(error))
        return cls(type(error).__name__, message, text)

    def __str__(self) -> str:
        return f"{self.type}: {self.message}"


@dataclass
class FitOutcome:
    """The result of one fit, or its failure, with the warnings raised while fitting."""

    index: int
    label: str
    result: xr.DataTree | None = None
    failure: FitFailure | None = None
    warnings: list[tuple[type[Warning], str]] = field(default_factory=list)
    seconds: float = 0.0


def run_fit(task: FitTask) -> FitOutcome:
    """Fit one configuration; errors and warnings are returned, not raised.

    Runs in a worker process (or in this process when the run is serial). Gibbs chains run one
    after another here (``cores=1``) unless ``sampler_kwargs`` says otherwise: the configurations
    are the unit of parallelism, and a Dask worker may not start processes of its own.
    """
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = _fit(task)
            failure = None
        except Exception as error:
            result, failure = None, FitFailure.from_exception(error)
    kept = [(w.category, str(w.message)) for w in caught if issubclass(w.category, UserWarning)]
    return FitOutcome(
        task.index, task.label, result, failure, _unique(kept), time.perf_counter() - start
    )


def _fit(task: FitTask) -> xr.DataTree:
    from bayesml.model import Model
    from bayesml.spec import ModelSpec

    model = Model.from_spec(ModelSpec.from_dict(task.spec), data=task.data)
    kwargs = dict(task.fit_kwargs)
    if task.method == "gibbs":
        kwargs["sampler_kwargs"] = {"cores": 1, **dict(kwargs.get("sampler_kwargs") or {})}
    result = model.sample(task.method, **kwargs)
    if task.prior_draws:
        _add_prior_predictive(model, result, task.prior_draws, kwargs.get("random_seed"))
    return result


def _add_prior_predictive(model, result: xr.DataTree, draws: int, seed: int | None) -> None:
    """Add the ``prior`` and ``prior_predictive`` groups; a failure is noted, not raised.

    Prior draws can be impossible where the posterior is fine (a flat prior on a coefficient),
    so the fit is kept and the reason stored in the result's attributes.
    """
    try:
        prior = model.sample_prior(draws=draws, random_seed=seed)
    except Exception as error:
        result.attrs[PRIOR_PREDICTIVE_ERROR_ATTR] = f"{type(error).__name__}: {error}"
        return
    for group in ("prior", "prior_predictive"):
        result[group] = prior[group].to_dataset()


def _unique(items: list[tuple[type[Warning], str]]) -> list[tuple[type[Warning], str]]:
    return list(dict.fromkeys(items))


@contextmanager
def configuration_progress(
    show: bool, total: int, description: str = "Prior configurations"
) -> Iterator[Callable[[FitOutcome], None]]:
    """One progress bar over the ``total`` configurations of a sensitivity run (rich, or tqdm,
    when installed; nothing unless ``show``); yields the callback that advances it by one fit,
    naming the configuration that finished (any outcome with a ``label``). ``description``
    titles the bar."""
    if show and importlib.util.find_spec("rich") is not None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        progress = Progress(
            TextColumn(description),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[last]}"),
        )
        task = progress.add_task("", total=total, last="")
        with progress:
            yield lambda outcome: progress.update(task, advance=1, last=outcome.label)
    elif show and importlib.util.find_spec("tqdm") is not None:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc=description, unit="fit")
        try:
            yield lambda outcome: (bar.set_postfix_str(outcome.label), bar.update(1))
        finally:
            bar.close()
    else:
        yield lambda outcome: None


def default_workers(n_tasks: int, threads_per_fit: int) -> int:
    """Process-pool size: the CPUs shared among fits that use ``threads_per_fit`` threads each."""
    cpus = os.cpu_count() or 1
    return max(1, min(n_tasks, cpus // max(1, threads_per_fit)))


def run_tasks(
    tasks: Sequence[FitTask],
    *,
    executor: Executor | None,
    max_workers: int,
    on_done: Callable[[FitOutcome], None],
    function: Callable[[Any], Any] = run_fit,
) -> list[FitOutcome]:
    """Run every task and return the outcomes in the tasks' order.

    Parameters
    ----------
    tasks
        The fits to make.
    executor
        Where to run them; None: in this process when ``max_workers`` is 1, else in a process
        pool of ``max_workers`` spawned workers (shut down afterwards).
    max_workers
        Size of the default process pool.
    on_done
        Called in this process with each outcome as it arrives (e.g. to save it).
    function
        What runs one task (default :func:`run_fit`): a picklable module-level function of a
        task with ``index`` and ``label`` that returns its outcome and never raises for a failed
        fit (:func:`bayesml.workflows.sbc_run.run_simulation`). When the executor itself fails,
        the task's outcome is a :class:`FitOutcome` carrying that failure.
    """
    if executor is None and (max_workers == 1 or len(tasks) == 1):
        outcomes = []
        for task in tasks:
            outcome = function(task)
            on_done(outcome)
            outcomes.append(outcome)
        return outcomes
    if executor is not None:
        return _on_executor(executor, tasks, on_done, function)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=max_workers, mp_context=context) as pool:
        try:
            return _on_executor(pool, tasks, on_done, function)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _on_executor(
    executor: Executor,
    tasks: Sequence[FitTask],
    on_done: Callable[[FitOutcome], None],
    function: Callable[[Any], Any] = run_fit,
) -> list[FitOutcome]:
    futures: dict[Future, FitTask] = {executor.submit(function, task): task for task in tasks}
    outcomes: dict[int, FitOutcome] = {}
    for future in as_completed(futures):
        task = futures[future]
        try:
            outcome = future.result()
        except Exception as error:  # the executor failed, not the fit (that is in the outcome)
            hint = _BROKEN_POOL_HINT if isinstance(error, BrokenProcessPool) else None
            outcome = FitOutcome(
                task.index, task.label, failure=FitFailure.from_exception(error, hint)
            )
        on_done(outcome)
        outcomes[task.index] = outcome
    return [outcomes[task.index] for task in tasks]
