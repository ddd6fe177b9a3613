"""Power-scaling prior and likelihood sensitivity of one fit (Kallioinen et al. 2023).

The posterior is reweighted, by Pareto-smoothed importance sampling, as if the prior (or the
likelihood) had been raised to a power α close to 1; how fast each marginal posterior moves
(its cumulative Jensen–Shannon distance per unit of log α) is that parameter's sensitivity.
No refitting: the ``log_prior`` and ``log_likelihood`` groups that bayesml stores are enough.
The computation is arviz-stats' ``psense``.

Only the priors proper are scaled: the density of the random effects given their SDs (the
hierarchical part of the model, ``_z_<group>`` in a NUTS result) is left alone, as in priorsense
for brms models.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from bayesml.errors import ArgumentTypeError, DataError
from bayesml.results.tables import family_parameter_order

if TYPE_CHECKING:
    from bayesml.workflows.sensitivity_result import SensitivityResult

__all__ = ["DIAGNOSES", "power_sensitivity"]

#: log-prior variables that are the random effects' distribution, not a prior
HIERARCHICAL_PREFIXES = ("_z_", "u_", "_latent")

#: parameters summarised by default, with every family's parameters (``sigma``, ``cutpoints``,
#: ...; the random effects ``u_*`` only when named)
DEFAULT_PREFIXES = ("beta", "sd_", "corr_")

#: diagnosis -> test on (prior sensitivity, likelihood sensitivity, threshold); first match wins
DIAGNOSES: MappingProxyType[str, Callable[[float, float, float], bool]] = MappingProxyType(
    {
        "potential prior-data conflict": lambda prior, like, t: prior >= t and like >= t,
        "potential strong prior / weak likelihood": lambda prior, like, t: prior >= t > like,
        "-": lambda prior, like, t: True,
    }
)

_REQUIRED_GROUPS = {
    "posterior": "it is not a posterior result",
    "log_prior": "sample with Model.sample(..., log_prior=True), the default",
    "log_likelihood": "add it with bayesml.add_log_likelihood(result, model), or sample with "
    "Model.sample(..., log_likelihood=True) (under the default 'auto' it is stored only for "
    "small enough fits)",
}


def power_sensitivity(
    result: xr.DataTree | SensitivityResult,
    *,
    var_names: Sequence[str] | None = None,
    threshold: float = 0.05,
    alphas: tuple[float, float] = (0.99, 1.01),
    prior_var_names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Power-scaling sensitivity of each parameter to the prior and to the likelihood.

    Parameters
    ----------
    result
        A result of :meth:`bayesml.Model.sample` (with its ``log_prior`` and ``log_likelihood``
        groups), or a :class:`~bayesml.workflows.sensitivity.SensitivityResult` (every fitted
        configuration, with a ``configuration`` column).
    var_names
        Posterior variables; by default the fixed effects, SDs, correlations and family
        parameters.
    threshold
        Sensitivity above which a component counts as influential (0.05, as priorsense).
    alphas
        The powers just below and above 1 that the prior and likelihood are scaled by.
    prior_var_names
        ``log_prior`` variables that are scaled; by default every prior except the
        random effects' distribution.

    Returns
    -------
    pandas.DataFrame
        ``parameter`` (``beta[x]``, ``sd_county[Intercept]``, ``corr_county[Intercept, x]``),
        ``prior_sensitivity``, ``likelihood_sensitivity`` and ``diagnosis``: "potential
        prior-data conflict" when both exceed the threshold, "potential strong prior / weak
        likelihood" when only the prior does, "-" otherwise.

    Raises
    ------
    DataError
        When the result lacks the ``posterior``, ``log_prior`` or ``log_likelihood`` group
        (named in the message), or a requested variable.

    Notes
    -----
    A parameter with a flat prior (``uniform`` on an SD within its range, ``flat`` on a
    coefficient) shows no prior sensitivity: raising a constant density to a power leaves it
    flat.

    References
    ----------
    Kallioinen, N., Paananen, T., Bürkner, P.-C. and Vehtari, A. (2023). Detecting and
    diagnosing prior and likelihood sensitivity with power-scaling. *Statistics and Computing*
    34, 57.
    """
    from bayesml.workflows.sensitivity_result import SensitivityResult

    options = {
        "var_names": var_names,
        "threshold": threshold,
        "alphas": alphas,
        "prior_var_names": prior_var_names,
    }
    if isinstance(result, SensitivityResult):
        frames = [
            _one_fit(tree, **options).assign(configuration=label)
            for label, tree in result.results.items()
        ]
        if not frames:
            raise DataError("the sensitivity run has no fitted configuration; see its .errors")
        table = pd.concat(frames, ignore_index=True)
        return table[["configuration", *[c for c in table.columns if c != "configuration"]]]
    return _one_fit(result, **options)


def _one_fit(
    result: xr.DataTree,
    *,
    var_names: Sequence[str] | None,
    threshold: float,
    alphas: tuple[float, float],
    prior_var_names: Sequence[str] | None,
) -> pd.DataFrame:
    from arviz_stats import psense

    data = _psense_tree(result, var_names, prior_var_names)
    prior = _flatten(psense(data, group="prior", alphas=alphas))
    likelihood = _flatten(psense(data, group="likelihood", alphas=alphas))
    table = pd.DataFrame(
        {
            "parameter": list(prior),
            "prior_sensitivity": list(prior.values()),
            "likelihood_sensitivity": [likelihood[name] for name in prior],
        }
    )
    table["diagnosis"] = [
        _diagnose(p, lik, threshold)
        for p, lik in zip(table["prior_sensitivity"], table["likelihood_sensitivity"], strict=True)
    ]
    return table


def _psense_tree(
    result: xr.DataTree, var_names: Sequence[str] | None, prior_var_names: Sequence[str] | None
) -> xr.DataTree:
    """A DataTree with the chosen posterior variables and the scaled log-prior terms."""
    if not isinstance(result, xr.DataTree):
        raise ArgumentTypeError(
            "result must be an xarray.DataTree from Model.sample or a SensitivityResult; "
            f"got {type(result).__name__}"
        )
    for group, hint in _REQUIRED_GROUPS.items():
        if group not in result.children:
            raise DataError(
                f"power_sensitivity needs the {group!r} group, which the result lacks: {hint}"
            )
    posterior = result["posterior"].to_dataset()
    log_prior = result["log_prior"].to_dataset()
    names = _default_names(posterior) if var_names is None else list(var_names)
    priors = (
        [n for n in log_prior.data_vars if not str(n).startswith(HIERARCHICAL_PREFIXES)]
        if prior_var_names is None
        else list(prior_var_names)
    )
    _check_present(names, posterior, "posterior")
    _check_present(priors, log_prior, "log_prior")
    selected = xr.Dataset({name: _without_diagonal(posterior[name]) for name in names})
    return xr.DataTree.from_dict(
        {
            "posterior": selected,
            "log_prior": log_prior[priors],
            "log_likelihood": _summed_log_likelihood(result["log_likelihood"].to_dataset()),
        }
    )


def _summed_log_likelihood(log_likelihood: xr.Dataset) -> xr.Dataset:
    """Each variable summed over its observations, in float64.

    ``psense`` uses the group only through the sum over the observations of every draw, which
    it computes in the group's dtype; bayesml stores the group as float32, and a float32 sum of
    many rows would move the sensitivities by 10⁻⁴. Summing here in float64 gives the float64
    answer without a float64 copy of the group.
    """
    return log_likelihood.map(
        lambda values: values.sum(
            [dim for dim in values.dims if dim not in ("chain", "draw")], dtype="float64"
        )
    )


def _default_names(posterior: xr.Dataset) -> list[str]:
    family_parameters = set(family_parameter_order())
    return [
        str(n)
        for n in posterior.data_vars
        if str(n).startswith(DEFAULT_PREFIXES) or str(n) in family_parameters
    ]


def _check_present(names: list[str], dataset: xr.Dataset, group: str) -> None:
    missing = [name for name in names if name not in dataset.data_vars]
    if missing:
        raise DataError(
            f"the {group} group has no variable {', '.join(map(repr, missing))}; it has "
            f"{', '.join(map(str, dataset.data_vars))}"
        )


def _without_diagonal(values: xr.DataArray) -> xr.DataArray:
    """A correlation matrix as its pairs above the diagonal (the diagonal is constant 1)."""
    if not str(values.name).startswith("corr_") or values.ndim < 4:
        return values
    from bayesml.results.summary import upper_triangle

    return upper_triangle(values)


def _flatten(dataset: xr.Dataset) -> dict[str, float]:
    """``{"beta[x]": value, "sigma": value, ...}`` from a Dataset of per-parameter values."""
    flat: dict[str, float] = {}
    for name, values in dataset.data_vars.items():
        if values.ndim == 0:
            flat[str(name)] = float(values)
            continue
        stacked = values.stack(__index__=values.dims)
        for position, value in enumerate(stacked.values):
            labels = [str(stacked.coords[dim].values[position]) for dim in values.dims]
            flat[f"{name}[{', '.join(labels)}]"] = float(value)
    return flat


def _diagnose(prior: float, likelihood: float, threshold: float) -> str:
    if np.isnan(prior) or np.isnan(likelihood):
        return "not computed"
    return next(label for label, test in DIAGNOSES.items() if test(prior, likelihood, threshold))
