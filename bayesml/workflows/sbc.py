"""Simulation-based calibration: does the sampler return the posterior of the model it claims?

``bayesml.sbc(model)`` draws ``n_simulations`` parameter sets from the model's prior and a
response for each from the model's own design, fits every simulated data set with the chosen
sampler and ranks each true value among the thinned posterior draws (Talts et al. 2018; Modrák
et al. 2023). For a correct sampler every rank is uniform; :class:`SBCResult` tests that per
parameter (Holm-adjusted), tabulates it and plots the rank ECDF differences with the
simultaneous bands of Säilynoja et al. (2022).

The pieces: :mod:`~bayesml.workflows.sbc_simulate` (true values and responses, drawn here from
the run's one seed), :mod:`~bayesml.workflows.sbc_run` (one simulation as a picklable task, its
fit and statistics; the seam for other kinds of fit), :mod:`~bayesml.workflows.sbc_ranks`
(entries, thinning, ranks), :mod:`~bayesml.workflows.sbc_io` (saving and resuming) and
:mod:`~bayesml.workflows.sbc_result`. The fits run through
:func:`bayesml.workflows.sensitivity_run.run_tasks` (this process, a spawned process pool, or any
executor such as Dask's).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bayesml.backends.seam import check_count, resolve_progressbar
from bayesml.errors import ArgumentError, ArgumentTypeError, SamplingWarning, warn
from bayesml.workflows.sbc_io import open_save_dir, read_manifest
from bayesml.workflows.sbc_result import SBCResult
from bayesml.workflows.sbc_run import (
    ANALYSES,
    SimulationOutcome,
    SimulationTask,
    run_simulation,
    simulation_seeds,
)
from bayesml.workflows.sbc_simulate import draw_simulations
from bayesml.workflows.sensitivity import _base_model, _workers
from bayesml.workflows.sensitivity_run import FitOutcome, configuration_progress, run_tasks

if TYPE_CHECKING:
    from bayesml.model import Model
    from bayesml.spec import ModelSpec

__all__ = ["SBCResult", "sbc"]

#: random-effect levels checked per grouping factor by default
DEFAULT_RANDOM_EFFECTS = 5
#: backend kinds whose fits give posterior draws to rank (point fits: bayesml.coverage)
RANKED_KINDS = ("sampling",)
#: the arguments of Model.sample that sbc passes on (others it sets itself)
FIT_ARGUMENTS = ("tune", "chains", "check")


def sbc(
    model_or_spec: Model | ModelSpec | str | Path,
    *,
    n_simulations: int = 100,
    method: str = "nuts",
    draws: int = 1000,
    thin: int | str = "auto",
    executor: Executor | None = None,
    max_workers: int | None = None,
    save_dir: str | Path | None = None,
    random_seed: int | None = None,
    parameters: Sequence[str] | None = None,
    n_random_effects: int = DEFAULT_RANDOM_EFFECTS,
    sampler_kwargs: Mapping[str, Any] | None = None,
    progressbar: bool | None = None,
    fit_model: Model | None = None,
    on_simulation: Callable[[SimulationOutcome], None] | None = None,
    **fit_kwargs: Any,
) -> SBCResult:
    """Simulation-based calibration of a model and a sampler.

    Every simulation draws the parameters from the prior and a response from them on the
    model's own design (the same X, Z, trials, weights and offsets), fits the simulated data with
    ``method`` and ranks each true value among the fit's thinned posterior draws. All parameters
    and responses are drawn first, in this process, from ``random_seed``; each fit has a seed
    derived from it (``numpy.random.SeedSequence.spawn``), so the result is the same whatever
    the number of workers, the executor, or whether the run was interrupted and resumed.

    Parameters
    ----------
    model_or_spec
        A :class:`bayesml.Model` (its data give the design), a :class:`bayesml.ModelSpec` or the
        path of a YAML spec. Its priors must be proper (a flat prior cannot be drawn from).
        Default priors scaled to the data are those of the model's own data in every fit.
    n_simulations
        Number of simulated data sets (Talts et al. use 1000; 100 finds gross errors).
    method
        A sampling method: ``"nuts"`` or ``"gibbs"`` (:meth:`bayesml.Model.sample`).
    draws
        Kept draws per chain of each fit (before the rank thinning).
    thin
        Keep every ``thin``-th draw of each chain for the ranks, so that the kept draws are
        near-independent (autocorrelated draws make the ranks non-uniform even for a correct
        sampler): ``"auto"`` (default) thins each fit so that it keeps about as many draws as the
        smallest bulk ESS of the checked parameters (the SBC R package's and simuk's advice),
        or an integer >= 1.
    executor
        A ``concurrent.futures.Executor`` to run the fits on, e.g.
        ``distributed.Client(...).get_executor()`` for a Dask cluster. It is left running.
    max_workers
        Without ``executor``: the size of the local process pool (spawned workers; run the
        script under ``if __name__ == "__main__":``). Default: 1 for NUTS (the fits share one
        compiled log density in this process and each fit's chains run in parallel), the CPUs
        for Gibbs.
    save_dir
        Save every finished simulation into this directory as it finishes, with a manifest of
        the run's settings; called again with the same directory and settings, ``sbc`` fits only
        the simulations not yet saved and gives the result of an uninterrupted run. A directory
        of a run with other settings is refused.
    random_seed
        Seed of the whole run; None draws one, recorded in :attr:`SBCResult.random_seed` (and in
        ``save_dir``, whose run is then resumed with it).
    parameters
        The parameters to check: names (``"beta"``, ``"sd_g"``: all their entries; a random
        effect ``"u_g"``: all its levels) or entries (``"beta[x]"``). Default: every fixed
        effect, SD, correlation and family parameter, and the random effects of
        ``n_random_effects`` levels per grouping factor.
    n_random_effects
        Levels per grouping factor whose random effects are checked (drawn at random from the
        seed); 0 for none.
    sampler_kwargs
        The method's own options (:meth:`bayesml.Model.sample`).
    progressbar
        One bar over the simulations (True, False, or None: where a person watches).
    fit_model
        Fit the simulated data with this model instead (same data rows and response; its
        posterior must have the checked parameters): simulate from ``model_or_spec``, fit with
        ``fit_model`` — e.g. other priors, to see how a misspecified prior shows in the ranks.
    on_simulation
        Called in this process with each finished simulation's outcome (after it is saved).
    **fit_kwargs
        ``tune``, ``chains`` (default 4) and ``check`` of :meth:`bayesml.Model.sample`.

    Returns
    -------
    SBCResult
        ``ranks`` (a DataFrame, one row per simulation, one column per parameter entry, then
        the number of kept draws, diagnostics, warnings count and failure), ``summary()`` (a
        uniformity test per parameter, Holm-adjusted), ``plot()``.

    Raises
    ------
    ArgumentError, ArgumentTypeError
        For a bad argument: ``n_simulations`` < 1, a method that is not a sampling method
        (listing them), ``thin`` < 1, a bad ``save_dir`` or one holding a run with other
        settings, an unknown parameter name.
    PriorError
        When a prior is improper (flat): it names the parameter.
    FamilyError
        When the method does not fit the model's family.

    Warns
    -----
    SamplingWarning
        How many fits failed (recorded in ``ranks["failure"]``, the run goes on) and how many
        warned (divergences, R-hat, ESS: kept, counted in ``ranks["n_warnings"]``).

    Examples
    --------
    >>> import bayesml
    >>> model = bayesml.Model("y ~ 1 + (1 | g)", data)  # doctest: +SKIP
    >>> result = bayesml.sbc(model, n_simulations=100, random_seed=1)  # doctest: +SKIP
    >>> result.summary()  # doctest: +SKIP
    >>> result.plot()  # doctest: +SKIP
    """
    n_simulations = check_count("n_simulations", n_simulations, 1)
    draws = check_count("draws", draws, 1)
    n_random_effects = check_count("n_random_effects", n_random_effects, 0)
    thin = _check_thin(thin)
    parameters = _check_parameters(parameters)
    kind = _check_method(method)
    _check_fit_kwargs(fit_kwargs)
    show_progress = resolve_progressbar(progressbar)
    if on_simulation is not None and not callable(on_simulation):
        raise ArgumentTypeError(
            f"on_simulation must be a function of one outcome; got {type(on_simulation).__name__}"
        )
    model = _base_model(model_or_spec)
    fitted = _fit_model(model, fit_model)
    random_seed = _seed(random_seed, save_dir)
    sample_options = {"draws": draws, **fit_kwargs}
    if sampler_kwargs is not None:
        sample_options["sampler_kwargs"] = dict(sampler_kwargs)
    _check_sample_options(fitted, method, sample_options)

    simulations = draw_simulations(
        model,
        n_simulations,
        random_seed=random_seed,
        parameters=parameters,
        n_random_effects=n_random_effects,
    )
    labels = [entry.label for entry in simulations.entries]
    settings = {
        "n_simulations": n_simulations,
        "method": method,
        "thin": thin,
        "random_seed": random_seed,
        "parameters": labels,
        "model": model.spec.to_dict(),
        "fit_model": fitted.spec.to_dict(),
        "data": _data_digest(model),
        "fit_kwargs": _jsonable(sample_options),
    }
    writer, done, seeds, tasks = pending_simulations(
        settings,
        save_dir,
        random_seed,
        fitted,
        responses=simulations.responses,
        entries=simulations.entries,
        truths=[tuple(float(v) for v in row) for row in simulations.truths],
        method=method,
        kind=kind,
        fit_kwargs=sample_options,
        thin=thin,
    )
    workers = _workers(max_workers, executor, max(len(tasks), 1), method, fit_kwargs)
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
    result = SBCResult(ordered, parameters=labels, truths=simulations.truths, settings=settings)
    _report(result)
    return result


def _check_thin(thin: object) -> int | str:
    if thin == "auto" and isinstance(thin, str):
        return "auto"
    if not isinstance(thin, int | np.integer) or isinstance(thin, bool) or thin < 1:
        raise ArgumentError(f"thin must be 'auto' or an integer >= 1; got thin={thin!r}")
    return int(thin)


def _check_parameters(parameters: object) -> list[str] | None:
    if parameters is None:
        return None
    if isinstance(parameters, str):
        parameters = [parameters]
    if not isinstance(parameters, Sequence) or not all(isinstance(p, str) for p in parameters):
        raise ArgumentTypeError(
            f"parameters must be None or a list of parameter names; got {parameters!r}"
        )
    if not parameters:
        raise ArgumentError("parameters must name at least one parameter; got an empty list")
    return list(parameters)


def _check_method(method: object) -> str:
    """The backend kind of ``method``; refuses a method SBC cannot run, listing those it can."""
    from bayesml.backends.registry import BACKENDS, methods

    usable = [name for kind in ANALYSES if kind in RANKED_KINDS for name in methods(kind)]
    entry = BACKENDS.get(method) if isinstance(method, str) else None
    if entry is None or entry.kind not in RANKED_KINDS:
        why = ""
        if entry is not None:
            why = (
                f" ({method!r} gives point estimates, not posterior draws to rank: "
                f"bayesml.coverage(model, method={method!r}, true_values=...) checks the bias "
                "and Wald-interval coverage of a point estimator)"
            )
        raise ArgumentError(f"method must be one of {usable}; got method={method!r}{why}")
    return entry.kind


def _check_fit_kwargs(fit_kwargs: Mapping[str, Any]) -> None:
    unknown = [name for name in fit_kwargs if name not in FIT_ARGUMENTS]
    if unknown:
        raise ArgumentTypeError(
            f"sbc() got unknown argument(s) {', '.join(map(repr, unknown))}; it passes "
            f"{', '.join(FIT_ARGUMENTS)}, draws and sampler_kwargs to Model.sample (the seed, "
            "progress bar and stored groups are its own)"
        )


def _check_sample_options(model: Model, method: str, options: Mapping[str, Any]) -> None:
    """Refuse bad sampler options and an unsupported family now, before any simulation."""
    from bayesml.backends.registry import check_supports, get_backend

    backend = get_backend(method, "sampling")
    backend.options(
        options.get("sampler_kwargs") or {},
        draws=options["draws"],
        tune=options.get("tune", 1000),
        chains=options.get("chains", 4),
        random_seed=0,
        progressbar=False,
        log_prior=False,
        log_likelihood=False,
    )
    check_supports(backend, model.family, model.design)


def _fit_model(model: Model, fit_model: object) -> Model:
    from bayesml.model import Model

    if fit_model is None:
        return model
    if not isinstance(fit_model, Model):
        raise ArgumentTypeError(
            f"fit_model must be a bayesml.Model or None; got {type(fit_model).__name__}"
        )
    ours, theirs = model.design.response, fit_model.design.response
    if np.shape(ours.y) != np.shape(theirs.y):
        raise ArgumentError(
            "fit_model must fit the same rows and response as the simulating model: its "
            f"response has shape {np.shape(theirs.y)}, the model's {np.shape(ours.y)}"
        )
    return fit_model


def _seed(random_seed: object, save_dir: object) -> int:
    if random_seed is not None:
        return check_count("random_seed", random_seed, 0)
    if isinstance(save_dir, str | Path):
        saved = read_manifest(save_dir)
        if saved is not None and isinstance(saved.get("random_seed"), int):
            return saved["random_seed"]
    return int(np.random.SeedSequence().generate_state(1, dtype=np.uint32)[0])


def _data_digest(model: Model) -> str:
    """A digest of the design's matrices (the data the simulations are drawn on)."""
    import hashlib

    design = model.design
    digest = hashlib.sha256()
    for array in (design.fixed.matrix, design.offset, design.response.y):
        digest.update(np.ascontiguousarray(array, dtype=float).tobytes())
    for block in design.random:
        digest.update(np.ascontiguousarray(block.group_index).tobytes())
        digest.update(np.ascontiguousarray(block.term_matrix, dtype=float).tobytes())
    return digest.hexdigest()[:16]


def _jsonable(options: Mapping[str, Any]) -> dict[str, Any]:
    import json

    return json.loads(json.dumps(dict(options), sort_keys=True, default=repr))


def pending_simulations(
    settings: Mapping[str, Any],
    save_dir: str | Path | None,
    random_seed: int,
    model: Model,
    *,
    responses: Sequence[np.ndarray],
    entries: Sequence[Any],
    truths: Sequence[tuple[float, ...]],
    **task_fields: Any,
) -> tuple[Any, dict[int, SimulationOutcome], list[int], list[SimulationTask]]:
    """The save_dir's writer (None without one), the simulations it already holds, every
    simulation's seed, and a task for each simulation still to fit with ``model``'s spec and data.

    Shared by :func:`sbc` and :func:`bayesml.coverage`; ``task_fields`` are the remaining
    :class:`~bayesml.workflows.sbc_run.SimulationTask` fields (method, kind, fit_kwargs, ...).
    """
    n_simulations = settings["n_simulations"]
    writer = None if save_dir is None else open_save_dir(save_dir, settings)
    done = {} if writer is None else writer.finished(n_simulations)
    seeds = simulation_seeds(random_seed, n_simulations)
    spec, data = model.spec.to_dict(), model.data
    tasks = [
        SimulationTask(
            index=i,
            seed=seeds[i],
            spec=spec,
            data=data,
            response=responses[i],
            entries=tuple(entries),
            truths=truths[i],
            **task_fields,
        )
        for i in range(n_simulations)
        if i not in done
    ]
    return writer, done, seeds, tasks


def run_simulations(
    tasks: Sequence[SimulationTask],
    done: Mapping[int, SimulationOutcome],
    n_simulations: int,
    seeds: list[int],
    *,
    writer: Any,
    executor: Executor | None,
    max_workers: int,
    show_progress: bool,
    on_simulation: Callable[[SimulationOutcome], None] | None,
) -> list[SimulationOutcome]:
    """Run the simulations not ``done`` yet and return every outcome in simulation order.

    Each outcome is written (``writer``, the save_dir's) as it arrives, advances the progress bar
    and goes to ``on_simulation``; a failure of the executor itself becomes that simulation's
    failed outcome. Shared by :func:`sbc` and :func:`bayesml.coverage`.
    """
    outcomes: dict[int, SimulationOutcome] = dict(done)
    with configuration_progress(show_progress, len(tasks), "Simulations") as advance:

        def on_done(outcome: SimulationOutcome | FitOutcome) -> None:
            outcome = _as_simulation(outcome, seeds)
            if writer is not None:
                writer.write(outcome)
            outcomes[outcome.index] = outcome
            advance(outcome)
            if on_simulation is not None:
                on_simulation(outcome)

        if tasks:
            run_tasks(
                tasks,
                executor=executor,
                max_workers=max_workers,
                on_done=on_done,
                function=run_simulation,
            )
    return [outcomes[i] for i in range(n_simulations)]


def _as_simulation(outcome: SimulationOutcome | FitOutcome, seeds: list[int]) -> SimulationOutcome:
    """A failure of the executor itself (a dead worker) as the simulation's failed outcome."""
    if isinstance(outcome, SimulationOutcome):
        return outcome
    return SimulationOutcome(outcome.index, seeds[outcome.index], failure=outcome.failure)


def _report(result: SBCResult) -> None:
    if result.n_failed:
        first = result.failures.iloc[0]
        warn(
            f"{result.n_failed} of {result.n_simulations} fits failed and have no ranks (first: "
            f"simulation {result.failures.index[0]}, {first['type']}: {first['message']}); see "
            "result.failures",
            SamplingWarning,
        )
    if result.n_warned:
        warn(
            f"{result.n_warned} of {result.n_simulations} fits warned (divergences, R-hat or "
            "ESS; their ranks are kept): see result.warnings and the columns divergences, "
            "rhat_max and n_warnings of result.ranks",
            SamplingWarning,
        )
