"""Prior-sensitivity runs: one fit of a model per prior configuration, in parallel.

``bayesml.sensitivity(model, priors={...})`` refits the model under every combination of the
named prior alternatives (or an explicit list of prior mappings) and returns a
:class:`SensitivityResult` with a tidy summary table, prior predictive checks and a forest plot.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bayesml.backends.seam import resolve_progressbar
from bayesml.errors import ArgumentError, ArgumentTypeError, PriorError, SamplingWarning, warn
from bayesml.workflows.sensitivity_grid import PriorConfiguration, prior_configurations
from bayesml.workflows.sensitivity_io import SensitivityWriter, resume_saved_run, run_settings
from bayesml.workflows.sensitivity_result import SensitivityResult, load_sensitivity
from bayesml.workflows.sensitivity_run import (
    FitOutcome,
    FitTask,
    configuration_progress,
    default_workers,
    run_tasks,
)

if TYPE_CHECKING:
    from bayesml.model import Model
    from bayesml.spec import ModelSpec

__all__ = ["SensitivityResult", "load_sensitivity", "sensitivity"]

#: prior predictive draws per configuration when ``prior_predictive=True``
DEFAULT_PRIOR_DRAWS = 500

#: arguments of Model.sample that sensitivity sets itself
_OWN_ARGUMENTS = ("self", "method", "prior_predictive")


def sensitivity(
    model_or_spec: Model | ModelSpec | str | Path,
    priors: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    configurations: Sequence[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]] | None = None,
    method: str = "nuts",
    executor: Executor | None = None,
    max_workers: int | None = None,
    save_dir: str | Path | None = None,
    prior_predictive: bool | int = True,
    **fit_kwargs: Any,
) -> SensitivityResult:
    """Fit a model once per prior configuration and collect the answers.

    Parameters
    ----------
    model_or_spec
        A :class:`bayesml.Model`, a :class:`bayesml.ModelSpec` or the path of a YAML spec.
    priors
        Named alternatives per prior key; the run is their Cartesian product, e.g.
        ``{"sigma": {"half_normal": {"dist": "half_normal", "sigma": 1},
        "uniform": {"dist": "uniform", "upper": 100}}, "cov": {"lkj1": {"dist": "lkj", "eta": 1},
        "iw": {"dist": "inverse_wishart", "nu": 3, "scale": 1}}}`` gives six fits, labelled like
        ``"sigma=half_normal, cov=lkj1"``. Keys are those of a model's priors mapping (global
        keys such as ``sigma``, ``sd``, ``cov``, ``fixed`` and overrides such as
        ``sd_county[floor]`` or ``beta[week]``); priors are dicts or :class:`bayesml.Prior`.
    configurations
        Instead of ``priors``: a list of prior mappings, or a mapping from label to prior
        mapping. Each configuration updates the base model's priors: a key it sets replaces the
        base entry of that key (a more specific key of the base model still wins for its
        parameter).
    method
        ``"nuts"`` or ``"gibbs"`` (see :meth:`bayesml.Model.sample`).
    executor
        A ``concurrent.futures.Executor`` to run the fits on, e.g.
        ``distributed.Client(...).get_executor()`` for a Dask cluster. It is left running.
    max_workers
        Without ``executor``: the size of the local process pool (spawned workers). 1 fits the
        configurations one by one in this process. Default: 1 for NUTS (configurations that
        differ only in prior values share one compiled log density in this process, and each
        fit's chains run in parallel), the CPUs for Gibbs (whose chains run one after another
        in a worker).
    save_dir
        Save every fit into this directory as soon as it finishes (see
        :meth:`SensitivityResult.save`), and the tables at the end. Calling ``sensitivity``
        again with the same directory, model, data, method, fit arguments and configurations
        resumes an interrupted run: the configurations whose fit was saved are read back, not
        refitted (the result is that of an uninterrupted run), and the others, failed ones
        included, are fitted. A directory holding a run of other settings is refused.
    prior_predictive
        Add prior predictive draws to every fit (True: 500 draws; a number: that many; False:
        none) for :attr:`SensitivityResult.prior_predictive`.
    **fit_kwargs
        Passed to :meth:`bayesml.Model.sample`: ``draws``, ``tune``, ``chains``,
        ``random_seed`` (the same seed for every configuration), ``sampler``,
        ``sampler_kwargs``, ... except ``progressbar``: the run shows one bar over the
        configurations instead of each fit's own (None, the default: where a person watches,
        as :meth:`bayesml.Model.sample` decides).

    Returns
    -------
    SensitivityResult
        Fits, errors, the tidy ``table``, ``prior_predictive`` checks, ``plot()`` and ``save()``.

    Raises
    ------
    ArgumentError, ArgumentTypeError
        For a bad argument (both or neither of ``priors`` and ``configurations``, an empty set of
        alternatives, an unknown method or fit argument, a bad ``max_workers``).
    PriorError
        For an unknown prior key, an invalid prior, or a configuration whose priors do not fit
        the model (e.g. a group it does not have), before anything is fitted.

    Warns
    -----
    SamplingWarning
        Saying how many configurations failed (their errors are in ``errors``), when prior
        predictive draws were impossible for some, and each fit's own sampling warnings
        prefixed with its label.

    Examples
    --------
    >>> import bayesml
    >>> model = bayesml.Model("weight ~ day + (1 | rat)", "rats")  # doctest: +SKIP
    >>> run = bayesml.sensitivity(  # doctest: +SKIP
    ...     model,
    ...     priors={"sd": {"half_normal": {"dist": "half_normal", "sigma": 10},
    ...                    "sic2": {"dist": "scaled_inv_chi2", "nu": 1, "s": 10}}},
    ...     method="gibbs", draws=500, random_seed=1,
    ... )
    >>> run.table  # doctest: +SKIP
    """
    configs = prior_configurations(priors, configurations)
    _check_method(method)
    _check_fit_kwargs(fit_kwargs)
    # one bar over the configurations (where a person watches), none per fit
    show_progress = resolve_progressbar(fit_kwargs.pop("progressbar", None))
    prior_draws = _prior_draws(prior_predictive)
    model = _base_model(model_or_spec)
    configs = tuple(_with_implied_keys(model, configuration) for configuration in configs)
    tasks = [
        FitTask(
            index=i,
            label=configuration.label,
            spec=_configured_spec(model, configuration).to_dict(),
            data=model.data,
            method=method,
            fit_kwargs={**fit_kwargs, "progressbar": False},
            prior_draws=prior_draws,
        )
        for i, configuration in enumerate(configs)
    ]
    writer, kept = None, {}
    if save_dir is not None:
        saved = dict(spec=model.spec, method=method, configurations=configs, fit_kwargs=fit_kwargs)
        run = run_settings(prior_draws=prior_draws, data=model.data)
        kept = resume_saved_run(save_dir, **saved, run=run)
        writer = SensitivityWriter(
            save_dir, **saved, run=run, kept={label: file for label, (file, _) in kept.items()}
        )
        tasks = [task for task in tasks if task.label not in kept]
    workers = _workers(max_workers, executor, len(tasks), method, fit_kwargs)
    save = _saver(writer)
    with configuration_progress(show_progress, len(tasks)) as advance:

        def on_done(outcome: FitOutcome) -> None:
            save(outcome)
            advance(outcome)

        outcomes = run_tasks(tasks, executor=executor, max_workers=workers, on_done=on_done)
    result = SensitivityResult(
        spec=model.spec,
        method=method,
        configurations=configs,
        results={
            **{label: tree for label, (_, tree) in kept.items()},
            **{o.label: o.result for o in outcomes if o.result is not None},
        },
        failures={o.label: o.failure for o in outcomes if o.failure is not None},
        fit_kwargs=fit_kwargs,
    )
    _report(outcomes, result)
    if writer is not None:
        writer.finish(result)
    return result


def _check_method(method: object) -> None:
    from bayesml.backends.registry import get_backend

    get_backend(method, "sampling")


def _check_fit_kwargs(fit_kwargs: Mapping[str, Any]) -> None:
    from bayesml.model import MOVED_TO_SAMPLER_KWARGS, Model

    accepted = [
        name
        for name, parameter in inspect.signature(Model.sample).parameters.items()
        if name not in _OWN_ARGUMENTS and parameter.kind is not inspect.Parameter.VAR_KEYWORD
    ]
    # the former keywords of Model.sample, which warn and move into sampler_kwargs
    accepted += [name for name in MOVED_TO_SAMPLER_KWARGS if name not in accepted]
    unknown = [name for name in fit_kwargs if name not in accepted]
    if unknown:
        raise ArgumentTypeError(
            f"sensitivity() got unknown fit argument(s) {', '.join(map(repr, unknown))}; it "
            f"passes {', '.join(accepted)} to Model.sample"
        )


def _prior_draws(prior_predictive: object) -> int:
    if isinstance(prior_predictive, bool):
        return DEFAULT_PRIOR_DRAWS if prior_predictive else 0
    if isinstance(prior_predictive, int) and prior_predictive >= 0:
        return prior_predictive
    raise ArgumentError(
        "prior_predictive must be True, False or a number of draws >= 0; "
        f"got prior_predictive={prior_predictive!r}"
    )


def _base_model(model_or_spec: object) -> Model:
    from bayesml.model import Model
    from bayesml.spec import ModelSpec

    if isinstance(model_or_spec, Model):
        return model_or_spec
    if isinstance(model_or_spec, ModelSpec | str | Path):
        return Model.from_spec(model_or_spec)
    raise ArgumentTypeError(
        "model_or_spec must be a bayesml.Model, a ModelSpec or the path of a YAML spec; "
        f"got {type(model_or_spec).__name__}"
    )


def _with_implied_keys(model: Model, configuration: PriorConfiguration) -> PriorConfiguration:
    """The configuration with the base model's SD keys that its inverse-Wishart covariance prior
    makes moot (the SDs of those groups follow from it), which it then leaves out."""
    from bayesml.priors import parse_prior_key

    changed = configuration.priors
    merged = {**model.spec.priors, **changed}
    covariance = {
        block.name: merged.get(f"cov_{block.name}", merged.get("cov"))
        for block in model.design.random
        if block.correlated
    }
    inverse_wishart = {
        name
        for name, prior in covariance.items()
        if prior is not None and _dist(prior) == "inverse_wishart"
    }
    if not inverse_wishart or not any(key.startswith("cov") for key in changed):
        return configuration
    groups = {block.name for block in model.design.random}
    implied = []
    for key in model.spec.priors:
        if key in changed:
            continue
        parsed = parse_prior_key(key, key_path="priors")
        if parsed.kind == "sd" and parsed.group in inverse_wishart:
            implied.append(key)
        elif parsed.role == "sd" and parsed.kind == "global" and groups <= inverse_wishart:
            implied.append(key)
    return dataclasses.replace(configuration, implied=tuple(implied)) if implied else configuration


def _dist(prior: Any) -> str:
    """The distribution name of a prior given as a Prior or as spec data."""
    from bayesml.priors import Prior, parse_prior

    if isinstance(prior, Prior):
        return prior.dist
    return parse_prior(prior, role="cov").dist


def _configured_spec(model: Model, configuration: PriorConfiguration) -> ModelSpec:
    """The base spec with the configuration's priors, checked against the model's design."""
    from bayesml.priors import resolve_priors

    priors = {**model.spec.priors, **configuration.priors}
    priors.update(dict.fromkeys(configuration.implied))
    spec = model.spec.replace(priors=priors)
    try:
        resolve_priors(spec.priors, model.design, model.family)
    except PriorError as error:
        raise PriorError(f"configuration {configuration.label!r}: {error}") from error
    return spec


def _workers(
    max_workers: object,
    executor: Executor | None,
    n_tasks: int,
    method: str,
    fit_kwargs: Mapping[str, Any],
) -> int:
    if max_workers is not None and executor is not None:
        raise ArgumentError(
            "max_workers sizes the default process pool; with an executor, size the executor "
            f"instead (got max_workers={max_workers!r} and an executor)"
        )
    if max_workers is None:
        if method == "nuts":
            # in this process: configurations of one model structure share one compiled log
            # density (bayesml.backends.pymc.compile_cache), which costs more than sampling;
            # each fit's chains use the CPUs
            return 1
        return default_workers(n_tasks, 1)
    if not isinstance(max_workers, int) or isinstance(max_workers, bool) or max_workers < 1:
        raise ArgumentError(f"max_workers must be an integer >= 1; got max_workers={max_workers!r}")
    return max_workers


def _saver(writer: SensitivityWriter | None):
    def on_done(outcome: FitOutcome) -> None:
        if writer is None:
            return
        if outcome.result is not None:
            writer.add_fit(outcome.label, outcome.result)
        elif outcome.failure is not None:
            writer.add_failure(outcome.label, outcome.failure)

    return on_done


def _report(outcomes: list[FitOutcome], result: SensitivityResult) -> None:
    """Re-issue the fits' warnings with their labels; warn about failures."""
    for outcome in outcomes:
        for category, message in outcome.warnings:
            warn(f"{outcome.label}: {message}", category)
    for label, text in result.prior_predictive_errors.items():
        warn(f"no prior predictive draws for configuration {label!r}: {text}", SamplingWarning)
    if result.failures:
        listed = "; ".join(f"{label!r} ({text})" for label, text in result.errors.items())
        warn(
            f"{len(result.failures)} of {len(result.labels)} configurations failed: {listed}. "
            "The other fits are kept; see .errors and .tracebacks",
            SamplingWarning,
        )
