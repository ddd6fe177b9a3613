"""Posterior summaries of the shared parameter names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["summary", "upper_triangle"]

SUMMARY_PREFIXES = ("beta", "sd_", "corr_", "sigma", "nu", "alpha", "kappa")


def _default_var_names(posterior: xr.Dataset) -> list[str]:
    names = []
    for name in posterior.data_vars:
        if name.startswith("u_") or name.startswith("_"):
            continue
        if name == "beta" or name.startswith(SUMMARY_PREFIXES):
            names.append(name)
    return names


def summary(
    result: xr.DataTree,
    *,
    var_names: list[str] | None = None,
    ci_prob: float = 0.94,
    include_random_effects: bool = False,
) -> pd.DataFrame:
    """Posterior summary table: mean, sd, HDI, MCSE, ESS and R-hat per parameter.

    Parameters
    ----------
    result
        A bayesml result (``xarray.DataTree`` with a ``posterior`` group).
    var_names
        Variables to summarise; by default the fixed effects, SDs, correlations and family
        parameters (random effects ``u_*`` only with ``include_random_effects=True``).
    ci_prob
        Probability mass of the highest-density interval.
    include_random_effects
        Also summarise the ``u_<group>`` variables.
    """
    import arviz_stats

    posterior = result["posterior"].to_dataset()
    if var_names is None:
        var_names = _default_var_names(posterior)
        if include_random_effects:
            var_names += [name for name in posterior.data_vars if name.startswith("u_")]
    data = xr.Dataset(
        {
            name: upper_triangle(posterior[name]) if name.startswith("corr_") else posterior[name]
            for name in var_names
        }
    )
    return arviz_stats.summary(data, ci_prob=ci_prob, ci_kind="hdi")


def upper_triangle(corr: xr.DataArray) -> xr.DataArray:
    """The correlations above the diagonal of a (chain, draw, term, term_bis) matrix, one per pair."""
    row_dim, col_dim = corr.dims[-2:]
    labels = [str(v) for v in corr.coords[row_dim].values]
    pairs = [(i, j) for i in range(len(labels)) for j in range(i + 1, len(labels))]
    values = np.stack([corr.values[..., i, j] for i, j in pairs], axis=-1)
    pair_dim = row_dim.replace("__term", "__pair")
    return xr.DataArray(
        values,
        dims=(*corr.dims[:-2], pair_dim),
        coords={pair_dim: [f"{labels[i]}, {labels[j]}" for i, j in pairs]},
    )
