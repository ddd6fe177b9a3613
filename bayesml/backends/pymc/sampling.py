"""NUTS sampling of a built PyMC model, and the ArviZ result with bayesml's names.

Samplers: ``"nutpie"`` (default when installed: Rust NUTS over a numba-compiled log density, the
fastest to compile and run for these models), ``"pymc"`` (PyMC's own NUTS) and ``"numpyro"`` (JAX).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from typing import Any, NamedTuple

import numpy as np
import pymc as pm
import xarray as xr

from bayesml.backends.pymc.builder import OBS_DIM, BuildInfo, derived_names
from bayesml.backends.pymc.compile_cache import compile_nutpie, forward_key, lift_values
from bayesml.backends.pymc.deterministics import add_deterministics
from bayesml.backends.pymc.nutpie_callbacks import fast_callbacks
from bayesml.backends.pymc.samplers import check_sampler
from bayesml.backends.seam import record_timings

__all__ = ["sample_nuts", "sample_prior_predictive"]

_WARMUP_GROUPS = ("warmup_posterior", "warmup_sample_stats")


@contextmanager
def quiet_pymc():
    """Silence PyMC's per-fit log lines (sampler banners); bayesml reports through warnings."""
    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=FutureWarning, module="pymc")
            # PyTensor's C backend warns once per process that pip wheels have no BLAS; the
            # samplers run on numba, so the warning only alarms users
            warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS")
            yield
    finally:
        logger.setLevel(level)


def sample_nuts(
    model: pm.Model,
    info: BuildInfo,
    *,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    random_seed: int | None = None,
    sampler: str | None = None,
    progressbar: bool = False,
    cores: int | None = None,
    sampler_kwargs: Mapping[str, Any] | None = None,
    initial_points: Callable[[int], dict[str, np.ndarray]] | None = None,
) -> xr.DataTree:
    """Sample the posterior with NUTS and return the raw PyMC result (all free variables kept).

    Counts are checked by the caller (:class:`bayesml.backends.seam.SamplingOptions`). ``cores``
    chains run in parallel (default one per CPU, at most one per chain; 1 runs them one after
    another, as needed where no child processes may start, e.g. PyMC's sampler inside a Dask
    worker); ``sampler_kwargs`` go to the sampler. The caller adds the log-likelihood and
    log-prior groups and tidies the names: :func:`bayesml.backends.pymc.results.finish_result`.
    ``initial_points(seed)`` gives one chain's initial values (constrained scale, by free-variable
    name; :meth:`bayesml.backends.pymc.backend.NutsBackend.initial_points`); variables it leaves
    out start where the sampler would start them. A user's ``initvals`` (PyMC) or
    ``init_mean`` (nutpie) in ``sampler_kwargs`` take precedence.
    """
    sampler = check_sampler(sampler)
    kwargs = dict(sampler_kwargs or {})
    if cores is None:
        cores = min(chains, os.cpu_count() or 1)
    run = _Run(draws, tune, chains, cores, random_seed, progressbar)
    with quiet_pymc():
        if sampler == "nutpie":
            tree = _sample_nutpie(model, info, run, kwargs, initial_points)
        else:
            kwargs.setdefault("var_names", stored_names(model, info, deterministics=True))
            if initial_points is not None and "initvals" not in kwargs:
                seeds = np.random.SeedSequence(run.random_seed).generate_state(run.chains)
                kwargs["initvals"] = [initial_points(int(seed)) for seed in seeds]
            clock = _FirstDraw(kwargs.pop("callback", None)) if sampler == "pymc" else None
            start = time.perf_counter()
            tree = pm.sample(
                **run._asdict(),
                nuts_sampler=sampler,
                compute_convergence_checks=False,
                model=model,
                **kwargs,
                **({"callback": clock} if clock is not None else {}),
            )
            end = time.perf_counter()
            # PyMC compiles before the first draw; numpyro compiles inside its sampling call
            first = clock.first if clock is not None and clock.first is not None else start
            record_timings(tree, compile_seconds=first - start, sampling_seconds=end - first)
    for group in _WARMUP_GROUPS:
        if group in tree.children:
            del tree[group]
    tree.attrs["bayesml_sampler"] = sampler
    return tree


def stored_names(model: pm.Model, info: BuildInfo, *, deterministics: bool) -> list[str]:
    """The variables whose draws the sampler keeps: the free variables (and, for samplers that
    compute them as they go, the Deterministics), less ``info.row_variables`` (one value per
    row: the latent probit magnitudes, chains × draws × rows values that no result uses)."""
    variables = list(model.free_RVs) + (list(model.deterministics) if deterministics else [])
    return [var.name for var in variables if var.name not in info.row_variables]


class _FirstDraw:
    """A ``pm.sample`` callback noting when the first draw arrived (after the compilation and
    the start of the chains), passing every draw on to the user's own callback."""

    def __init__(self, callback: Any = None) -> None:
        self.callback = callback
        self.first: float | None = None

    def __call__(self, trace: Any, draw: Any) -> None:
        if self.first is None:
            self.first = time.perf_counter()
        if self.callback is not None:
            self.callback(trace=trace, draw=draw)


class _Run(NamedTuple):
    """What every sampler is asked, under the names of ``pm.sample``'s arguments."""

    draws: int
    tune: int
    chains: int
    cores: int
    random_seed: int | None
    progressbar: bool


def _sample_nutpie(
    model: pm.Model,
    info: BuildInfo,
    run: _Run,
    options: dict[str, Any],
    initial_points: Callable[[int], dict[str, np.ndarray]] | None = None,
) -> xr.DataTree:
    """nutpie directly, compiling once per model (the compiled model is kept in ``info``).

    ``options`` are nutpie's sampling options (e.g. ``target_accept``, ``maxdepth``,
    ``adaptation="low_rank"``); PyMC's spelling ``{"nuts": {...}}`` is accepted too.
    """
    import nutpie

    options = {**options.pop("nuts", {}), **options}
    if "max_treedepth" in options:
        options["maxdepth"] = options.pop("max_treedepth")
    # the warm-up draws are dropped from the result: do not keep them while sampling
    options.setdefault("save_warmup", False)
    start = time.perf_counter()
    compiled = info.compiled.get("nutpie")
    if compiled is None:
        # only the free variables: each stored Deterministic costs nutpie's numba-compiled expand
        # function compilation time (seconds in a fresh process); they are computed afterwards
        with fast_callbacks():
            # once per model structure: a model with other prior or data values reuses the code
            compiled = info.compiled["nutpie"] = compile_nutpie(
                model, var_names=stored_names(model, info, deterministics=False)
            )
    if initial_points is not None and "init_mean" not in options:
        compiled = _with_initial_points(compiled, model, initial_points)
    compiled_at = time.perf_counter()
    random_seed = run.random_seed
    if random_seed is None:
        random_seed = int(np.random.SeedSequence().generate_state(1)[0])
    tree = nutpie.sample(
        compiled,
        draws=run.draws,
        tune=max(run.tune, 1),  # nutpie needs at least one warm-up draw
        chains=run.chains,
        cores=run.cores,
        seed=int(random_seed),
        progress_bar=run.progressbar,
        **options,
    )
    record_timings(
        tree,
        compile_seconds=compiled_at - start,
        sampling_seconds=time.perf_counter() - compiled_at,
    )
    tree["posterior"] = add_deterministics(
        tree["posterior"].to_dataset(), model, derived_names(model, info)
    )
    return tree


def _with_initial_points(
    compiled: Any, model: pm.Model, initial_points: Callable[[int], dict[str, np.ndarray]]
) -> Any:
    """nutpie's compiled model whose chains start at ``initial_points(seed)``: nutpie draws
    each chain's start from ``initial_point_func(seed)``, a flat vector of the free variables'
    unconstrained values in ``model.free_RVs`` order; the given values replace their slices
    (identity or log transforms only: any other keeps nutpie's start)."""
    import dataclasses

    from pymc.logprob.transforms import LogTransform

    sizes = {name: int(np.size(value)) for name, value in model.initial_point(0).items()}
    layout = []
    offset = 0
    for var in model.free_RVs:
        value_name = model.rvs_to_values[var].name
        size = sizes[value_name]
        layout.append((var.name, model.rvs_to_transforms.get(var), slice(offset, offset + size)))
        offset += size
    base = compiled.initial_point_func

    def start(seed: Any) -> np.ndarray:
        point = np.array(base(seed), dtype=float, copy=True)
        values = initial_points(int(np.random.SeedSequence(seed).generate_state(1)[0]))
        for name, transform, where in layout:
            if name not in values:
                continue
            value = np.asarray(values[name], dtype=float).ravel()
            if transform is not None and not isinstance(transform, LogTransform):
                continue
            value = np.log(value) if transform is not None else value
            if value.size == where.stop - where.start and np.all(np.isfinite(value)):
                point[where] = value
        return point

    return dataclasses.replace(compiled, initial_point_func=start)


def sample_prior_predictive(
    model: pm.Model, info: BuildInfo, *, draws: int = 500, random_seed: int | None = None
) -> xr.DataTree:
    """Draw the parameters from the prior (the ``prior`` group).

    The observed variables are not drawn (PyMC would draw draws × rows values at once): the
    results layer draws the ``prior_predictive`` group from these parameters in chunks of draws
    (:func:`bayesml.results.prediction.predictive_dataset`).
    """
    observed = {var.name for var in model.observed_RVs}
    names = [
        var.name
        for var in [*model.free_RVs, *model.deterministics]
        if var.name not in observed and var.name not in info.row_variables
    ]
    with quiet_pymc():
        prior = _cached_prior_draws(model, names, draws, random_seed)
        if prior is None:
            tree = pm.sample_prior_predictive(
                draws=draws, model=model, random_seed=random_seed, var_names=names
            )
        else:
            tree = pm.to_inference_data(prior=prior, model=model)
    if "prior_predictive" in tree.children and not tree["prior_predictive"].data_vars:
        del tree["prior_predictive"]
    return tree


class _ForwardEntry(NamedTuple):
    function: Any  # the compiled forward sampler: one draw of every name per call
    shared: list  # the lifted model's shared values, in lifting order
    rngs: list  # the random generators it updates, in PyMC's seeding order


#: compiled prior samplers by structure (most recently used last), at most _FORWARD_ENTRIES
_FORWARD: OrderedDict[str, _ForwardEntry] = OrderedDict()
_FORWARD_ENTRIES = 8
_FORWARD_LOCK = threading.Lock()


def _cached_prior_draws(
    model: pm.Model, names: list[str], draws: int, random_seed: int | None
) -> dict[str, np.ndarray] | None:
    """``draws`` prior draws of ``names``, as ``pm.sample_prior_predictive`` draws them (the
    same compiled graph, generators seeded alike), from a forward sampler compiled once per
    model structure: the prior and data values are inputs (:func:`lift_values`), so the
    configurations of a sensitivity run share one compiled sampler. None where the model cannot
    be lifted, has potentials, or holds a shared value that is not lifted (the caller then uses
    PyMC's sampler)."""
    from pymc.pytensorf import reseed_rngs
    from pymc.sampling.forward import compile_forward_sampling_function
    from pymc.util import _get_seeds_per_chain

    if model.potentials or draws < 1:
        return None
    lifted = lift_values(model)
    if lifted is None:
        return None
    ordered = sorted(names)
    outputs = [lifted.model[name] for name in ordered]
    key = forward_key(lifted.model, outputs)
    if key is None:
        return None
    seed = None if random_seed is None else _get_seeds_per_chain(random_seed, 1)[0]
    with _FORWARD_LOCK:
        entry = _FORWARD.get(key)
        if entry is None:
            (function, updates), _ = compile_forward_sampling_function(
                outputs,
                vars_in_trace=[],
                basic_rvs=lifted.model.basic_RVs,
                random_seed=False,  # seeded below, for each call, as PyMC seeds at compiling
                return_updates=True,
                allow_input_downcast=True,
                accept_inplace=True,
            )
            entry = _ForwardEntry(function, lifted.shared, list(updates))
            _FORWARD[key] = entry
            while len(_FORWARD) > _FORWARD_ENTRIES:
                _FORWARD.popitem(last=False)
        _FORWARD.move_to_end(key)
        for variable, value in zip(entry.shared, lifted.values, strict=True):
            variable.set_value(value)
        reseed_rngs(entry.rngs, seed)
        values = [entry.function() for _ in range(draws)]
    columns = zip(*values, strict=True)
    return {name: np.stack(column) for name, column in zip(ordered, columns, strict=True)}


def observed_dataset(y: np.ndarray, name: str) -> xr.Dataset:
    """The observed_data group: the response on the ``obs`` dimension."""
    return xr.Dataset(
        {name: xr.DataArray(np.asarray(y), dims=(OBS_DIM,), coords={OBS_DIM: np.arange(len(y))})}
    )
