"""The true values of a coverage run, and responses simulated from them.

A point estimator is checked the frequentist way: the parameters are held at fixed true values
and only the data vary. The true values name the shared posterior entries (``beta[x]``,
``sd_g[Intercept]``, ``corr_g[Intercept, x]``, ``sigma``, ``cutpoints[1|2]``, ...); they are given
as a mapping, read from a point fit (:class:`~bayesml.backends.laplace.MLResult`,
:class:`~bayesml.backends.hlik.HlikResult`) or drawn once from the prior. Each simulation then
draws the random effects afresh from their population distribution (N(0, Σ) from the SDs and
correlations, or the model's ``random_family``) and a response on the model's own design — the
same X, Z, trials, weights and offsets — through the family's draws
(:func:`bayesml.results.prediction.predictive_dataset`), all in the calling process from the
run's one seed.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from bayesml.errors import ArgumentError, ArgumentTypeError, PriorError
from bayesml.workflows.sbc_ranks import RANDOM_EFFECT_PREFIX, Entry, select_entries

if TYPE_CHECKING:
    import xarray as xr

    from bayesml.model import Model

__all__ = ["FixedTruth", "fixed_truth", "simulate_at_truth"]

#: the sources of true values, as recorded in the run's settings
SOURCES = ("given", "fit", "prior")


@dataclass(frozen=True)
class FixedTruth:
    """The checked entries and their true values.

    Attributes
    ----------
    entries
        Every fixed effect, SD, correlation (upper triangle) and family parameter, in the
        shared order; random effects are not among them (they are drawn afresh each simulation).
    values
        The true value of each entry.
    source
        ``"given"`` (a mapping), ``"fit"`` (a point fit's estimates) or ``"prior"`` (one prior
        draw from the run's seed).
    layout
        One draw of every parameter with the shared names and dims (the template the
        simulations' parameters are written into).
    """

    entries: tuple[Entry, ...]
    values: tuple[float, ...]
    source: str
    layout: xr.Dataset

    @property
    def labels(self) -> list[str]:
        """The entries' labels (``beta[x]``, ``sd_g[Intercept]``, ...)."""
        return [entry.label for entry in self.entries]

    def as_dict(self) -> dict[str, float]:
        """Label → true value."""
        return dict(zip(self.labels, self.values, strict=True))


def _layout(model: Model, random_seed: int, *, from_prior: bool) -> xr.Dataset:
    """One prior draw (chain 1, draw 1) with the posterior's names, dims and coordinates.

    When the true values are given, the priors play no part; a model with a flat prior then takes
    its layout from the same model with its default priors (which are proper).
    """
    from bayesml.model import Model

    try:
        tree = model.sample_prior(draws=1, random_seed=random_seed)
    except PriorError as error:
        if from_prior:
            raise PriorError(
                f"true_values=None draws the true values from the prior, but {error} — or give "
                "true_values (a mapping of the parameters, or a fit such as model.fit('laplace'))"
            ) from error
        plain = Model.from_spec(model.spec.replace(priors={}), data=model.data)
        tree = plain.sample_prior(draws=1, random_seed=random_seed)
    return tree["prior"].to_dataset()


def fixed_truth(model: Model, true_values: object, *, random_seed: int) -> FixedTruth:
    """The checked entries of ``model`` and their true values.

    Parameters
    ----------
    model
        The simulating model.
    true_values
        A mapping of entry labels (``"beta[x]"``) or whole variables (``"beta"``: an array of
        the variable's shape) to values; a point fit (its estimates, under the shared names);
        or None (one draw from the prior, seeded by ``random_seed``).
    random_seed
        Seeds the prior draw.

    Raises
    ------
    ArgumentError
        When a parameter is missing, named twice, unknown (with the closest names), not finite,
        of the wrong shape, or outside its range (an SD ≤ 0, a correlation outside (−1, 1)).
    ArgumentTypeError
        When ``true_values`` is neither a mapping, a point fit, nor None.
    PriorError
        With ``true_values=None`` and an improper (flat) prior.
    """
    seed = int(np.random.SeedSequence([random_seed, 3]).generate_state(1, dtype=np.uint32)[0])
    layout = _layout(model, seed, from_prior=true_values is None)
    entries = select_entries(
        layout, parameters=None, n_random_effects=0, rng=np.random.default_rng(0)
    )
    entries = [e for e in entries if not e.variable.startswith(RANDOM_EFFECT_PREFIX)]
    if true_values is None:
        values = [float(_entry_value(layout, entry)) for entry in entries]
        return FixedTruth(tuple(entries), tuple(values), "prior", layout)
    if hasattr(true_values, "point_estimates") and not isinstance(true_values, Mapping):
        mapping, source = _fit_values(true_values, entries), "fit"
    elif isinstance(true_values, Mapping):
        mapping, source = dict(true_values), "given"
    else:
        raise ArgumentTypeError(
            "true_values must be a mapping of parameter names to values (e.g. "
            "{'beta[Intercept]': 1.0, 'sd_g[Intercept]': 0.5, 'sigma': 1.0}), a point fit "
            "(model.fit('laplace') or model.fit('hlik')) or None (drawn from the prior); got "
            f"{type(true_values).__name__}"
        )
    values = _given_values(layout, entries, mapping, source)
    return FixedTruth(tuple(entries), tuple(values), source, layout)


def _entry_value(dataset: xr.Dataset, entry: Entry) -> float:
    data = dataset[entry.variable].transpose("chain", "draw", ...)
    return float(np.asarray(data.values)[(0, 0, *entry.index)])


def _fit_values(fit: Any, entries: list[Entry]) -> dict[str, float]:
    """A point fit's estimates of the entries (random effects left out)."""
    from bayesml.workflows.sbc_point_fit import estimates_by_entry

    rows = estimates_by_entry(fit, entries)
    return {label: row.estimate for label, row in rows.items() if np.isfinite(row.estimate)}


def _suggestion(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.5)
    return f"; did you mean {' or '.join(map(repr, close))}?" if close else ""


def _given_values(
    layout: xr.Dataset, entries: list[Entry], mapping: Mapping[Any, Any], source: str
) -> list[float]:
    """The value of every entry from a mapping of labels or whole variables."""
    labels = [entry.label for entry in entries]
    variables = list(dict.fromkeys(entry.variable for entry in entries))
    by_label: dict[str, float] = {}
    for name, value in mapping.items():
        if not isinstance(name, str):
            raise ArgumentTypeError(
                f"true_values: keys must be parameter names (str); got {name!r}"
            )
        if name in labels:
            by_label[name] = _number(name, value)
        elif name in variables:
            for entry, number in _variable_values(layout, entries, name, value):
                if entry.label in by_label or entry.label in mapping:
                    raise ArgumentError(
                        f"true_values gives {entry.label!r} twice: as {name!r} and by itself"
                    )
                by_label[entry.label] = number
        else:
            known = labels + variables
            raise ArgumentError(
                f"true_values: {name!r} is not a parameter of the model"
                f"{_suggestion(name, known)} The parameters are {labels} (or whole variables: "
                f"{variables}); random effects (u_...) are drawn afresh in every simulation"
            )
    missing = [label for label in labels if label not in by_label]
    if missing:
        how = (
            "the fit does not estimate them (e.g. hlik fits correlated terms as independent): "
            "add them to a mapping of the fit's estimates"
            if source == "fit"
            else "give every one (e.g. true_values=model.fit('laplace') takes them from a fit)"
        )
        raise ArgumentError(
            f"true_values is missing {', '.join(map(repr, missing))}; {how}. The parameters "
            f"are {labels}"
        )
    values = [by_label[label] for label in labels]
    for entry, value in zip(entries, values, strict=True):
        _check_range(entry, value)
    return values


def _number(name: str, value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ArgumentTypeError(f"true_values[{name!r}] must be a number; got {value!r}") from None
    if not np.isfinite(number):
        raise ArgumentError(f"true_values[{name!r}] must be finite; got {value!r}")
    return number


def _variable_values(
    layout: xr.Dataset, entries: list[Entry], name: str, value: object
) -> list[tuple[Entry, float]]:
    """A whole variable's values: a number for a scalar, an array of its shape otherwise (a
    correlation matrix whole, its upper triangle read)."""
    shape = tuple(layout[name].shape[2:])
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ArgumentTypeError(
            f"true_values[{name!r}] must be numbers of shape {shape}; got {value!r}"
        ) from None
    if array.shape != shape:
        dims = [str(dim) for dim in layout[name].dims[2:]]
        raise ArgumentError(
            f"true_values[{name!r}] must have shape {shape} (dims {dims}); got shape "
            f"{array.shape}; or give its entries one by one"
        )
    pairs = [(e, float(array[e.index])) for e in entries if e.variable == name]
    for entry, number in pairs:
        if not np.isfinite(number):
            raise ArgumentError(f"true_values[{entry.label!r}] must be finite; got {number!r}")
    return pairs


def _check_range(entry: Entry, value: float) -> None:
    if entry.variable.startswith("sd_") and value < 0:
        raise ArgumentError(f"true_values[{entry.label!r}] is an SD: it must be >= 0; got {value}")
    if entry.variable.startswith("corr_") and not -1 < value < 1:
        raise ArgumentError(
            f"true_values[{entry.label!r}] is a correlation: it must be in (-1, 1); got {value}"
        )


def simulate_at_truth(
    model: Model, truth: FixedTruth, n_simulations: int, *, random_seed: int
) -> np.ndarray:
    """``n_simulations`` responses at the true values, in the design's encoding.

    Each simulation draws every random effect afresh from its population distribution and a
    response from the family on the model's own design.

    Returns
    -------
    numpy.ndarray
        ``(simulation, rows[, categories])``.
    """
    parameters = _parameter_draws(model, truth, n_simulations, random_seed)
    rng = np.random.default_rng(np.random.SeedSequence([random_seed, 5]))
    predictive = model._predictive_dataset(parameters, rng)
    name = model.design.observed_name
    return np.asarray(predictive[name].values, dtype=float)[0]


def _parameter_draws(
    model: Model, truth: FixedTruth, n_simulations: int, random_seed: int
) -> xr.Dataset:
    """The true values repeated over ``n_simulations`` draws, with random effects drawn afresh."""
    import xarray as xr

    from bayesml.results.draws import population_effect_draws

    layout = truth.layout
    fixed = {}
    for variable, data in layout.data_vars.items():
        if str(variable).startswith(RANDOM_EFFECT_PREFIX):
            continue
        values = np.array(data.transpose("chain", "draw", ...).values[0, 0], dtype=float)
        for entry, value in zip(truth.entries, truth.values, strict=True):
            if entry.variable == variable:
                values[entry.index] = value
                if str(variable).startswith("corr_") and len(entry.index) >= 2:
                    mirrored = (*entry.index[:-2], entry.index[-1], entry.index[-2])
                    values[mirrored] = value
        repeated = np.broadcast_to(values, (1, n_simulations, *values.shape)).copy()
        dims = ("chain", "draw", *data.transpose("chain", "draw", ...).dims[2:])
        fixed[str(variable)] = (dims, repeated)
    coords = {name: layout.coords[name].values for name in layout.coords if name != "draw"}
    coords["draw"] = np.arange(n_simulations)
    dataset = xr.Dataset(fixed, coords=coords)
    families = {block.name: block.random_family for block in model.design.random}
    rng = np.random.default_rng(np.random.SeedSequence([random_seed, 4]))
    for variable, data in layout.data_vars.items():
        variable = str(variable)
        if not variable.startswith(RANDOM_EFFECT_PREFIX):
            continue
        group = variable[len(RANDOM_EFFECT_PREFIX) :]
        data = data.transpose("chain", "draw", ...)
        n_levels = data.shape[2]
        sd = dataset[f"sd_{group}"]
        if sd.ndim == 2:  # a smooth's one SD: the same for its coefficients (its "terms")
            terms = data.shape[3] if data.ndim > 3 else 1
            expanded = dataset.assign(
                {
                    f"sd_{group}": (
                        ("chain", "draw", "_term"),
                        np.repeat(sd.values[..., None], terms, -1),
                    )
                }
            )
            effects = population_effect_draws(expanded, group, n_levels, rng, families.get(group))
        else:
            effects = population_effect_draws(dataset, group, n_levels, rng, families.get(group))
        dataset[variable] = (data.dims, effects.reshape((1, n_simulations, *data.shape[2:])))
    return dataset
