"""Posterior summaries of the shared parameter names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from bayesml.results.tables import (
    CI_COLUMNS,
    DEFAULT_CI_PROB,
    EstimateTable,
    check_ci_prob,
    ci_label,
    family_parameter_order,
    order_names,
)

__all__ = ["summary", "upper_triangle"]


def _default_var_names(posterior: xr.Dataset) -> list[str]:
    """The fixed effects, SDs, correlations and family parameters, in the shared order."""
    family_parameters = family_parameter_order()
    names = [
        str(name)
        for name in posterior.data_vars
        if name == "beta"
        or str(name).startswith(("beta_", "sd_", "corr_"))
        or str(name) in family_parameters
    ]
    return order_names(names)


def summary(
    result: xr.DataTree,
    *,
    var_names: list[str] | None = None,
    ci_prob: float = DEFAULT_CI_PROB,
    include_random_effects: bool = False,
) -> EstimateTable:
    """Posterior summary table: mean, sd, HDI, ESS, R-hat and MCSE per parameter.

    Parameters
    ----------
    result
        A bayesml result (``xarray.DataTree`` with a ``posterior`` group).
    var_names
        Variables to summarise, in the order given; by default the fixed effects, SDs,
        correlations and family parameters in the shared order (``beta``, ``sd_*``, ``corr_*``,
        ``sigma``, ...), and with ``include_random_effects=True`` the random effects ``u_*``
        after them.
    ci_prob
        Probability of the highest-density interval: 0.94 by default, a 94 % HDI (ArviZ's own
        default is an 89 % equal-tailed interval).
    include_random_effects
        Also summarise the ``u_<group>`` variables.

    Returns
    -------
    EstimateTable
        A pandas DataFrame indexed by parameter (``beta[x]``, ``sd_g[Intercept]``,
        ``corr_g[Intercept, x]`` — each correlation once), with the columns ``mean``, ``sd``,
        ``ci_lower``, ``ci_upper``, ``ess_bulk``, ``ess_tail``, ``r_hat``, ``mcse_mean``,
        ``mcse_sd`` (the statistics of ``arviz_stats.summary``); ``attrs["ci"]`` is
        ``"94% HDI"`` and ``attrs["ci_prob"]`` 0.94. It prints rounded; its values are exact.

    Raises
    ------
    ArgumentError
        If ``ci_prob`` is not a number between 0 and 1.
    """
    import arviz_stats

    ci_prob = check_ci_prob(ci_prob)
    posterior = result["posterior"].to_dataset()
    if var_names is None:
        var_names = _default_var_names(posterior)
        if include_random_effects:
            var_names += [str(name) for name in posterior.data_vars if str(name).startswith("u_")]
    data = xr.Dataset(
        {
            name: upper_triangle(posterior[name]) if name.startswith("corr_") else posterior[name]
            for name in var_names
        }
    )
    raw = arviz_stats.summary(data, ci_prob=ci_prob, ci_kind="hdi", round_to="none")
    bounds = [column for column in raw.columns if str(column).startswith("hdi")]
    table = EstimateTable(
        pd.DataFrame(raw).rename(columns=dict(zip(bounds, CI_COLUMNS, strict=True)))
    )
    table.attrs["ci"] = ci_label(ci_prob, "hdi")
    table.attrs["ci_prob"] = ci_prob
    return table


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
