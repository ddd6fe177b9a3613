"""Prior predictive checks of a fit: statistics of replicated data beside the observed ones.

For every prior predictive draw the replicated response gives one value of each statistic (its
mean, SD, minimum, maximum); the table shows the spread of those values beside the statistic of
the observed data, and the share of draws at or above it (the prior predictive p-value).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["PRIOR_PREDICTIVE_STATISTICS", "prior_predictive_summary"]

#: statistic name -> function of an array whose last axis runs over the observations
PRIOR_PREDICTIVE_STATISTICS: Mapping[str, Callable[[np.ndarray], np.ndarray]] = MappingProxyType(
    {
        "mean": lambda y: np.mean(y, axis=-1),
        "sd": lambda y: np.std(y, axis=-1, ddof=1),
        "min": lambda y: np.min(y, axis=-1),
        "max": lambda y: np.max(y, axis=-1),
    }
)

DEFAULT_QUANTILES = (0.05, 0.5, 0.95)


def prior_predictive_summary(
    result: xr.DataTree, *, quantiles: Sequence[float] = DEFAULT_QUANTILES
) -> pd.DataFrame:
    """Statistics of the prior predictive draws of the response beside the observed values.

    Parameters
    ----------
    result
        A result with ``prior_predictive`` and ``observed_data`` groups.
    quantiles
        Quantiles of each statistic over the draws to report (columns ``q5``, ``q50``, ...).

    Returns
    -------
    pandas.DataFrame
        One row per response variable and statistic: ``variable``, ``statistic``, ``observed``,
        ``prior_mean``, one column per quantile and ``p_above`` (share of draws whose statistic
        is at least the observed one). Empty when the result has no prior predictive draws.
    """
    columns = ["variable", "statistic", "observed", "prior_mean"]
    columns += [_quantile_name(q) for q in quantiles] + ["p_above"]
    if "prior_predictive" not in result.children or "observed_data" not in result.children:
        return pd.DataFrame(columns=columns)
    replicated = result["prior_predictive"].to_dataset()
    observed = result["observed_data"].to_dataset()
    rows = []
    for name in replicated.data_vars:
        if name not in observed.data_vars:
            continue
        draws = _draws_by_observation(replicated[name])
        values = np.asarray(observed[name].values, dtype=float).ravel()
        for statistic, function in PRIOR_PREDICTIVE_STATISTICS.items():
            simulated = function(draws)
            actual = float(function(values))
            rows.append(
                [name, statistic, actual, float(np.mean(simulated))]
                + [float(np.quantile(simulated, q)) for q in quantiles]
                + [float(np.mean(simulated >= actual))]
            )
    return pd.DataFrame(rows, columns=columns)


def _draws_by_observation(values: xr.DataArray) -> np.ndarray:
    """(draws, observations): every sample dimension first, flattened."""
    sample_dims = [dim for dim in ("chain", "draw") if dim in values.dims]
    other = [dim for dim in values.dims if dim not in sample_dims]
    array = values.transpose(*sample_dims, *other).values.astype(float)
    n_samples = int(np.prod([values.sizes[dim] for dim in sample_dims]))
    return array.reshape(n_samples, -1)


def _quantile_name(q: float) -> str:
    """0.05 -> ``q5``, 0.5 -> ``q50``, 0.975 -> ``q97.5``."""
    return f"q{q * 100:g}"
