"""Coverage and bias of a point estimator over simulations from fixed true values.

``bayesml.coverage(model, method="laplace", true_values=...)`` is the frequentist counterpart of
:func:`bayesml.sbc` on the same engine: the parameters are held at fixed true values, each
simulation draws new random effects and a new response on the model's own design
(:mod:`~bayesml.workflows.sbc_point_truth`), fits it with ``hlik``, ``laplace`` or ``agq``
(:mod:`~bayesml.workflows.sbc_point_fit`, registered as the ``"fitting"`` analysis of
:data:`bayesml.workflows.sbc_run.ANALYSES`) and records every estimate and standard error;
:class:`~bayesml.workflows.sbc_point_result.CoverageResult` tabulates bias, RMSE and Wald-interval
coverage with their Monte Carlo errors. The tasks, seeds, executors, ``save_dir`` and resuming
are those of :func:`bayesml.sbc`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bayesml.backends.seam import check_count, resolve_progressbar
from bayesml.errors import ArgumentError, ArgumentTypeError, ConvergenceWarning, warn
from bayesml.workflows.sbc import (
    _data_digest,
    _jsonable,
    _seed,
    pending_simulations,
    run_simulations,
)
from bayesml.workflows.sbc_point_result import CoverageResult, _check_level
from bayesml.workflows.sbc_point_truth import fixed_truth, simulate_at_truth
from bayesml.workflows.sbc_run import (
    SimulationOutcome,
)
from bayesml.workflows.sensitivity import _base_model, _workers

if TYPE_CHECKING:
    from bayesml.model import Model
    from bayesml.spec import ModelSpec

__all__ = ["CoverageResult", "coverage"]

#: the backend kind of the methods coverage runs
KIND = "fitting"


def coverage(
    model_or_spec: Model | ModelSpec | str | Path,
    *,
    true_values: Mapping[str, Any] | Any | None = None,
    n_simulations: int = 100,
    method: str = "laplace",
    level: float = 0.95,
    executor: Executor | None = None,
    max_workers: int | None = None,
    save_dir: str | Path | None = None,
    random_seed: int | None = None,
    progressbar: bool | None = None,
    on_simulation: Callable[[SimulationOutcome], None] | None = None,
    **fit_options: Any,
) -> CoverageResult:
    """Bias, RMSE and Wald-interval coverage of a point estimator, by simulation.

    Every simulation holds the parameters at ``true_values``, draws the random effects afresh
    from their population distribution (N(0, Σ) from the SDs and correlations, or the model's
    ``random_family``) and a response on the model's own design (the same X, Z, trials, weights
    and offsets), and fits it with ``method``. All responses are drawn first, in this process,
    from ``random_seed``, so the result is the same whatever the workers or the executor, and
    a run saved in ``save_dir`` resumes to the result of an uninterrupted one — the engine of
    :func:`bayesml.sbc`. A fit that fails is recorded with its error and the run goes on.

    Parameters
    ----------
    model_or_spec
        A :class:`bayesml.Model` (its data give the design), a :class:`bayesml.ModelSpec` or the
        path of a YAML spec. The priors play no part (unless the true values are drawn from
        them).
    true_values
        The true parameters, under the shared posterior names: a mapping of every fixed effect,
        SD, correlation and family parameter (``{"beta[Intercept]": 250, "beta[Days]": 10,
        "sd_Subject[Intercept]": 25, "sigma": 30}``; a whole variable takes an array of its
        shape, ``{"beta": [250, 10], ...}``); a point fit (``model.fit("laplace")``: its
        estimates, the usual way to study a design like the data's); or None, one draw from
        the prior (seeded by ``random_seed``).
    n_simulations
        Number of simulated data sets. The Monte Carlo SE of a coverage near 0.95 is
        √(0.95·0.05/n): 0.022 for 100 simulations, 0.007 for 1000.
    method
        A point estimator of :meth:`bayesml.Model.fit`: ``"laplace"`` (default; lme4's
        ``lmer``/``glmer``), ``"agq"`` or ``"hlik"``.
    level
        Level of the Wald intervals in the summary (``summary(level=...)`` changes it later).
    executor
        A ``concurrent.futures.Executor`` to run the fits on (e.g. Dask's
        ``client.get_executor()``); it is left running.
    max_workers
        Without ``executor``: the size of the local process pool (spawned workers; run the
        script under ``if __name__ == "__main__":``). Default 1: the fits run in this process
        (a point fit takes milliseconds to seconds, a spawned worker seconds to start); a pool
        pays for slow fits (``agq`` with many nodes, large data).
    save_dir
        Save every finished simulation as it finishes; called again with the same directory
        and settings, fit only the simulations not yet saved. A directory of another run is
        refused, naming the setting that differs.
    random_seed
        Seed of the whole run; None draws one (recorded in :attr:`CoverageResult.random_seed`
        and in ``save_dir``).
    progressbar
        One bar over the simulations (True, False, or None: where a person watches).
    on_simulation
        Called in this process with each finished simulation's outcome (after it is saved).
    **fit_options
        Options of ``method`` (:meth:`bayesml.Model.fit`), e.g. ``reml=True`` for
        ``"laplace"``, ``n_nodes=15`` for ``"agq"``, ``dispersion="estimate"`` for ``"hlik"``.

    Returns
    -------
    CoverageResult
        ``summary()`` (per parameter: true value, mean estimate, bias and its Monte Carlo SE,
        relative bias, empirical SD, mean SE, RMSE, coverage and its Monte Carlo SE, the
        simulations used, failed, non-converged and singular), ``estimates`` (one row per
        simulation), ``standard_errors``, ``intervals(level)``, ``covered(level)``.

    Raises
    ------
    ArgumentError, ArgumentTypeError
        For a bad argument: ``n_simulations`` < 1, a method that is not a point estimator
        (listing them; a sampling method is :func:`bayesml.sbc`'s), an option the method does
        not have, ``true_values`` missing a parameter or naming an unknown one (with the
        closest names), a level outside (0, 1), a bad ``save_dir``.
    PriorError
        With ``true_values=None`` and a flat prior (it cannot be drawn from).
    FamilyError
        When the method does not fit the model's family.

    Warns
    -----
    ConvergenceWarning
        How many fits failed (their errors in ``result.failures``), did not converge or were
        singular; they are counted in the summary, not silently dropped.

    Examples
    --------
    >>> import bayesml
    >>> model = bayesml.Model("Reaction ~ Days + (1 | Subject)", "sleepstudy")  # doctest: +SKIP
    >>> check = bayesml.coverage(model, true_values=model.fit("laplace"),
    ...                          n_simulations=200, random_seed=1)  # doctest: +SKIP
    >>> check.summary()  # doctest: +SKIP
    """
    n_simulations = check_count("n_simulations", n_simulations, 1)
    level = _check_level(level)
    _check_method(method)
    show_progress = resolve_progressbar(progressbar)
    if on_simulation is not None and not callable(on_simulation):
        raise ArgumentTypeError(
            f"on_simulation must be a function of one outcome; got {type(on_simulation).__name__}"
        )
    model = _base_model(model_or_spec)
    _check_fit_options(model, method, fit_options)
    random_seed = _seed(random_seed, save_dir)
    truth = fixed_truth(model, true_values, random_seed=random_seed)
    responses = simulate_at_truth(model, truth, n_simulations, random_seed=random_seed)
    settings = {
        "analysis": "coverage",
        "n_simulations": n_simulations,
        "method": method,
        "level": level,
        "random_seed": random_seed,
        "true_values": truth.as_dict(),
        "true_values_source": truth.source,
        "model": model.spec.to_dict(),
        "data": _data_digest(model),
        "fit_options": _jsonable(fit_options),
    }
    writer, done, seeds, tasks = pending_simulations(
        settings,
        save_dir,
        random_seed,
        model,
        responses=responses,
        entries=truth.entries,
        truths=[truth.values] * n_simulations,
        method=method,
        kind=KIND,
        fit_kwargs=dict(fit_options),
    )
    # point fits take milliseconds to seconds: in this process unless asked (a spawned worker
    # spends seconds importing before its first fit)
    workers = (
        1
        if max_workers is None and executor is None
        else _workers(max_workers, executor, max(len(tasks), 1), method, fit_options)
    )
    ordered = run_simulations(
        tasks,
        done,
        n_simulations,
        seeds,
        writer=writer,
        executor=executor,
        max_workers=workers,
        show_progress=show_progress,
        on_simulation=on_simulation,
    )
    result = CoverageResult(
        ordered, parameters=truth.labels, truths=truth.values, settings=settings
    )
    _report(result)
    return result


def _check_method(method: object) -> None:
    """Refuse a method that is not a point estimator, listing those that are."""
    from bayesml.backends.registry import BACKENDS, methods

    usable = methods(KIND)
    entry = BACKENDS.get(method) if isinstance(method, str) else None
    if entry is None or entry.kind != KIND:
        why = ""
        if entry is not None:
            why = (
                f" ({method!r} samples a posterior: bayesml.sbc(model, method={method!r}) checks "
                "a sampler by simulation-based calibration)"
            )
        raise ArgumentError(f"method must be one of {usable}; got method={method!r}{why}")


def _check_fit_options(model: Model, method: str, options: Mapping[str, Any]) -> None:
    """Refuse the method's bad options and an unsupported family now, before any simulation."""
    from bayesml.backends.registry import check_supports, get_backend

    backend = get_backend(method, KIND)
    backend.options(dict(options))
    check_supports(backend, model.family, model.design)


def _report(result: CoverageResult) -> None:
    if result.n_failed:
        first = result.failures.iloc[0]
        warn(
            f"{result.n_failed} of {result.n_simulations} fits failed and have no estimates "
            f"(first: simulation {result.failures.index[0]}, {first['type']}: "
            f"{first['message']}); see result.failures",
            ConvergenceWarning,
        )
    problems = []
    if result.n_nonconverged:
        problems.append(
            f"{result.n_nonconverged} did not converge (left out of summary() by default)"
        )
    if result.n_singular:
        problems.append(f"{result.n_singular} were singular (kept by default)")
    if problems:
        warn(
            f"of {result.n_simulations} fits, {' and '.join(problems)}: see the columns "
            "converged and singular of result.estimates, and summary(exclude=...)",
            ConvergenceWarning,
        )
