"""Posterior intervals as a tidy table, for the forest plots (:func:`bayesml.plots.forest`,
``SensitivityResult.plot``): one row per parameter element and source, labelled as the summary
tables label them (``beta[Days]``, ``sd_Subject[Days]``, ``corr_Subject[Intercept, Days]``), each
correlation once (the pairs above the diagonal)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from bayesml.errors import ArgumentError
from bayesml.workflows.compare_estimates import flat_label, parameter_kind

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["POINT_ESTIMATES", "posterior_intervals"]

SAMPLE_DIMS = ("chain", "draw")
POINT_ESTIMATES = ("mean", "median")


def _coordinate_labels(variable: xr.DataArray, dim: str) -> list[str]:
    if dim in variable.coords:
        return [str(value) for value in variable.coords[dim].values]
    return [str(i) for i in range(variable.sizes[dim])]


def _elements(name: str, variable: xr.DataArray) -> Iterator[tuple[str, np.ndarray]]:
    """(label, draws of shape (chain, draw)) of each element; a correlation matrix's upper
    triangle only."""
    dims = [dim for dim in variable.dims if dim not in SAMPLE_DIMS]
    variable = variable.transpose(*SAMPLE_DIMS, *dims)
    labels = [_coordinate_labels(variable, dim) for dim in dims]
    if parameter_kind(name) == "corr" and len(dims) == 2:
        for i, j in itertools.combinations(range(len(labels[0])), 2):
            yield flat_label(name, (labels[0][i], labels[1][j])), variable.values[:, :, i, j]
        return
    for index in itertools.product(*(range(len(axis)) for axis in labels)):
        parts = [labels[axis][i] for axis, i in enumerate(index)]
        yield flat_label(name, parts), variable.values[(slice(None), slice(None), *index)]


def _select(variable: xr.DataArray, coords: Mapping[str, Any] | None) -> xr.DataArray:
    if not coords:
        return variable
    chosen = {dim: value for dim, value in coords.items() if dim in variable.dims}
    return variable.sel(chosen) if chosen else variable


def posterior_intervals(
    result: xr.DataTree,
    var_names: Sequence[str],
    *,
    ci_prob: float,
    point_estimate: str = "mean",
    combined: bool = True,
    group: str = "posterior",
    coords: Mapping[str, Any] | None = None,
    source: str | None = None,
) -> pd.DataFrame:
    """Point estimate and HDI of every element of ``var_names``, as a tidy table.

    Parameters
    ----------
    result
        A result of ``Model.sample`` (or any DataTree with ``group``).
    var_names
        Variables of ``group`` to summarise.
    ci_prob
        Probability of the highest-density intervals (``arviz_stats.hdi``).
    point_estimate
        ``"mean"`` or ``"median"``.
    combined
        One row per element over all chains (source ``source``), or one per chain (sources
        ``"chain 0"``, ``"chain 1"``, ...).
    group
        The DataTree group (``"posterior"`` or ``"prior"``).
    coords
        Coordinates to keep, by dimension (``{"g__level": ["a", "b"]}``).
    source
        The ``result`` column of the combined rows; default ``"all chains"``.

    Returns
    -------
    pandas.DataFrame
        Columns ``parameter``, ``kind`` (``fixed``, ``sd``, ``corr``, ``family``, ``random``,
        or ``other``), ``result``, ``estimate``, ``ci_lower``, ``ci_upper``.
    """
    import arviz_stats
    import xarray as xr

    if point_estimate not in POINT_ESTIMATES:
        raise ArgumentError(
            f"point_estimate must be one of {list(POINT_ESTIMATES)}; got {point_estimate!r}"
        )
    dataset = result[group].to_dataset()
    labels, kinds, draws = [], [], []
    for name in var_names:
        variable = _select(dataset[name], coords)
        for label, values in _elements(name, variable):
            labels.append(label)
            kinds.append(parameter_kind(name) or "other")
            draws.append(np.asarray(values, dtype=float))
    if not draws:
        raise ArgumentError(
            f"no elements of {list(var_names)} are left to draw (coords={coords!r})"
        )
    stacked = np.stack(draws, axis=-1)  # (chain, draw, parameter)
    array = xr.DataArray(stacked, dims=(*SAMPLE_DIMS, "parameter"))
    if combined:
        hdi = arviz_stats.hdi(array, prob=ci_prob).transpose("parameter", "ci_bound").values
        flat = stacked.reshape(-1, stacked.shape[-1])
        point = flat.mean(axis=0) if point_estimate == "mean" else np.median(flat, axis=0)
        return pd.DataFrame(
            {
                "parameter": labels,
                "kind": kinds,
                "result": source or "all chains",
                "estimate": point,
                "ci_lower": hdi[:, 0],
                "ci_upper": hdi[:, 1],
            }
        )
    hdi = arviz_stats.hdi(array, prob=ci_prob, dim="draw")
    hdi = hdi.transpose("chain", "parameter", "ci_bound").values
    point = stacked.mean(axis=1) if point_estimate == "mean" else np.median(stacked, axis=1)
    chains = (
        [str(c) for c in dataset.coords["chain"].values]
        if "chain" in dataset.coords
        else [str(c) for c in range(stacked.shape[0])]
    )
    frames = [
        pd.DataFrame(
            {
                "parameter": labels,
                "kind": kinds,
                "result": f"chain {chain}",
                "estimate": point[c],
                "ci_lower": hdi[c, :, 0],
                "ci_upper": hdi[c, :, 1],
            }
        )
        for c, chain in enumerate(chains)
    ]
    return pd.concat(frames, ignore_index=True)
