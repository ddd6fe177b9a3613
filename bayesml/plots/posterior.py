"""Posterior plots: thin wrappers over ArviZ (``arviz_plots``) that know bayesml's results.

Each wrapper takes the ``xarray.DataTree`` of ``Model.sample`` first, picks the key parameters
(``beta``, ``sd_*``, ``corr_*``, ``sigma`` and the other family parameters; not the random effects
``u_*``) unless ``var_names`` is given, shows each correlation once (the pairs above the diagonal,
dimension ``<group>__pair``, instead of the whole matrix with its diagonal of ones), checks that
the group it needs is there, and passes every other keyword to the ArviZ function. It returns
ArviZ's ``PlotCollection`` (``PlotMatrix`` for :func:`pair`); :func:`figure_of` gives its
matplotlib figure.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from bayesml.errors import ArgumentError, ArgumentTypeError
from bayesml.plots._deps import require
from bayesml.workflows.compare_estimates import parameter_kind

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.figure import Figure

__all__ = [
    "ARVIZ_PLOTS",
    "ArvizPlot",
    "figure_of",
    "forest",
    "key_var_names",
    "pair",
    "posterior",
    "ppc",
    "prior_predictive_check",
    "rank",
    "trace",
]

_KEY_KINDS = ("fixed", "sd", "corr", "family")


@dataclass(frozen=True)
class ArvizPlot:
    """One wrapper: the ArviZ function it calls and the group it draws.

    Attributes
    ----------
    function
        Name of the ``arviz_plots`` function.
    group
        The DataTree group it draws by default.
    hint
        How to get that group when the result lacks it.
    parameters
        Whether it plots parameters (``var_names`` default to the key parameters) rather than
        predictive draws (``var_names`` default to ArviZ's choice: the response).
    needs_observed
        Whether it also draws the ``observed_data`` group.
    """

    function: str
    group: str
    hint: str
    parameters: bool = True
    needs_observed: bool = False


_SAMPLE = "sample the model with `model.sample(...)`"

#: wrapper name -> what it calls
ARVIZ_PLOTS: dict[str, ArvizPlot] = {
    "trace": ArvizPlot("plot_trace_dist", "posterior", _SAMPLE),
    "rank": ArvizPlot("plot_rank", "posterior", _SAMPLE),
    "forest": ArvizPlot("plot_forest", "posterior", _SAMPLE),
    "posterior": ArvizPlot("plot_dist", "posterior", _SAMPLE),
    "pair": ArvizPlot("plot_pair", "posterior", _SAMPLE),
    "ppc": ArvizPlot(
        "plot_ppc_dist",
        "posterior_predictive",
        "sample with `model.sample(..., posterior_predictive=True)`",
        parameters=False,
        needs_observed=True,
    ),
    "prior_predictive_check": ArvizPlot(
        "plot_ppc_dist",
        "prior_predictive",
        "sample with `model.sample(..., prior_predictive=True)`, or draw the prior with "
        "`model.sample_prior()` and plot that",
        parameters=False,
    ),
}


def key_var_names(dataset: xr.Dataset) -> list[str]:
    """The key parameters of a group: ``beta``, ``sd_*``, ``corr_*`` and family parameters."""
    return [str(name) for name in dataset.data_vars if parameter_kind(str(name)) in _KEY_KINDS]


def figure_of(plot: Any) -> Figure:
    """The matplotlib figure of an ArviZ ``PlotCollection`` or ``PlotMatrix``.

    Equivalent to ``plot.viz["figure"].item()``; save it with ``figure_of(pc).savefig(...)`` (or
    ``pc.savefig(...)``).
    """
    return plot.viz["figure"].item()


def _corr_pairs(corr: xr.DataArray) -> xr.DataArray:
    """A correlation matrix variable as its pairs above the diagonal (dimension ``<g>__pair``)."""
    import xarray as xr

    row_dim, col_dim = corr.dims[-2:]
    labels = (
        [str(v) for v in corr.coords[row_dim].values]
        if row_dim in corr.coords
        else [str(i) for i in range(corr.sizes[row_dim])]
    )
    pairs = list(itertools.combinations(range(len(labels)), 2))
    values = np.stack([corr.values[..., i, j] for i, j in pairs], axis=-1)
    pair_dim = f"{str(row_dim).removesuffix('__term')}__pair"
    coords = {dim: corr.coords[dim] for dim in corr.dims[:-2] if dim in corr.coords}
    coords[pair_dim] = [f"{labels[i]}, {labels[j]}" for i, j in pairs]
    return xr.DataArray(values, dims=(*corr.dims[:-2], pair_dim), coords=coords)


def _with_corr_pairs(result: xr.DataTree, group: str, var_names: Sequence[str]) -> xr.DataTree:
    """A shallow copy of ``result`` whose ``group`` holds the plotted correlations as pairs."""
    dataset = result[group].to_dataset()
    corr = [
        name for name in var_names if parameter_kind(name) == "corr" and dataset[name].ndim >= 4
    ]
    if not corr:
        return result
    dataset = dataset.assign({name: _corr_pairs(dataset[name]) for name in corr})
    dataset = dataset.drop_dims(
        [
            dim
            for dim in dataset.dims
            if not any(dim in variable.dims for variable in dataset.data_vars.values())
        ]
    )
    copy = result.copy()
    copy[group] = dataset
    return copy


def _check_result(result: Any, name: str) -> None:
    import xarray as xr

    if isinstance(result, xr.DataTree):
        return
    hint = ""
    if type(result).__name__ == "HlikResult":
        hint = "; for an h-likelihood fit use bayesml.plots.hlik_diagnostics(fit)"
    raise ArgumentTypeError(
        f"bayesml.plots.{name} needs a result of Model.sample (xarray.DataTree); got "
        f"{type(result).__name__}{hint}"
    )


def _check_groups(result: xr.DataTree, name: str, spec: ArvizPlot, group: str) -> None:
    needed = [group] + (["observed_data"] if spec.needs_observed else [])
    for wanted in needed:
        if wanted not in result.children:
            hint = spec.hint if wanted == spec.group else _SAMPLE
            raise ArgumentError(
                f"bayesml.plots.{name} needs the {wanted!r} group, which this result lacks "
                f"(groups: {sorted(result.children)}); {hint}"
            )


def _resolve_var_names(
    dataset: xr.Dataset, name: str, group: str, var_names: Sequence[str] | str | None
) -> list[str]:
    if var_names is None:
        chosen = key_var_names(dataset)
        if not chosen:
            raise ArgumentError(
                f"bayesml.plots.{name}: the {group!r} group has no key parameters "
                f"(beta, sd_*, corr_*, sigma, ...); pass var_names= from {sorted(map(str, dataset.data_vars))}"
            )
        return chosen
    chosen = [var_names] if isinstance(var_names, str) else list(var_names)
    missing = [v for v in chosen if v not in dataset.data_vars]
    if missing:
        raise ArgumentError(
            f"bayesml.plots.{name}: var_names {missing} are not in the {group!r} group; it holds "
            f"{sorted(map(str, dataset.data_vars))}"
        )
    return chosen


def _draw(name: str, result: Any, var_names: Sequence[str] | str | None, kwargs: dict) -> Any:
    """Check, choose the variables and call the ArviZ function of wrapper ``name``."""
    _check_result(result, name)
    spec = ARVIZ_PLOTS[name]
    group = kwargs.pop("group", spec.group)
    _check_groups(result, name, spec, group)
    arviz_plots = require("arviz_plots", purpose=f"bayesml.plots.{name}")
    require("matplotlib.pyplot", purpose=f"bayesml.plots.{name}")
    function = getattr(arviz_plots, spec.function)
    if not spec.parameters or kwargs.get("filter_vars") is not None:
        return function(result, var_names=var_names, group=group, **kwargs)
    chosen = _resolve_var_names(result[group].to_dataset(), name, group, var_names)
    return function(
        _with_corr_pairs(result, group, chosen), var_names=chosen, group=group, **kwargs
    )


def trace(result: xr.DataTree, *, var_names: Sequence[str] | str | None = None, **kwargs: Any):
    """Trace plot: each parameter's density (left) and its draws by chain (right).

    Calls ``arviz_plots.plot_trace_dist`` (compact: the elements of a vector parameter share a
    row); divergent NUTS transitions are marked.

    Parameters
    ----------
    result
        A result of ``Model.sample``.
    var_names
        Variables to draw; default the key parameters (``beta``, ``sd_*``, ``corr_*``, family
        parameters; not ``u_*``).
    **kwargs
        Passed to ArviZ (``coords``, ``compact``, ``backend``, ``group="prior"``, ``visuals``...).

    Returns
    -------
    arviz_plots.PlotCollection
        Its figure: :func:`figure_of` (``pc.viz["figure"].item()``).

    Raises
    ------
    ArgumentTypeError, ArgumentError, MissingDependencyError
        For a result that is not a posterior, a missing group or variable, or no matplotlib /
        arviz-plots (``pip install "bayesml[plot]"``).
    """
    return _draw("trace", result, var_names, kwargs)


def rank(result: xr.DataTree, *, var_names: Sequence[str] | str | None = None, **kwargs: Any):
    """Rank plot (fractional-rank ECDF differences per chain; ``arviz_plots.plot_rank``): chains
    that mix well stay inside the envelope. Parameters, returns and errors as :func:`trace`."""
    return _draw("rank", result, var_names, kwargs)


def forest(result: xr.DataTree, *, var_names: Sequence[str] | str | None = None, **kwargs: Any):
    """Forest plot of the parameters' credible intervals by chain (``combined=True`` for one per
    parameter; ``arviz_plots.plot_forest``). Parameters, returns and errors as :func:`trace`."""
    return _draw("forest", result, var_names, kwargs)


def posterior(result: xr.DataTree, *, var_names: Sequence[str] | str | None = None, **kwargs: Any):
    """Marginal posterior densities with point estimate and credible interval, one panel per
    element (``arviz_plots.plot_dist``). Parameters, returns and errors as :func:`trace`."""
    return _draw("posterior", result, var_names, kwargs)


def pair(result: xr.DataTree, *, var_names: Sequence[str] | str | None = None, **kwargs: Any):
    """Pair plot: scatter plots of every pair of elements, marginals on the diagonal
    (``arviz_plots.plot_pair``; returns a ``PlotMatrix``). Parameters and errors as
    :func:`trace`; with many parameters choose a few with ``var_names`` or ``coords``."""
    return _draw("pair", result, var_names, kwargs)


def ppc(result: xr.DataTree, *, var_names: Sequence[str] | str | None = None, **kwargs: Any):
    """Posterior predictive check: the observed response's density over those of replicated data
    sets (``arviz_plots.plot_ppc_dist``).

    Parameters
    ----------
    result
        A result of ``model.sample(..., posterior_predictive=True)``.
    var_names
        The response(s) to draw; default ArviZ's (every variable of ``posterior_predictive``).
    **kwargs
        Passed to ArviZ (``num_samples``, ``kind``, ``backend``, ...).

    Returns
    -------
    arviz_plots.PlotCollection

    Raises
    ------
    ArgumentError
        If the result has no ``posterior_predictive`` (or ``observed_data``) group.
    """
    return _draw("ppc", result, var_names, kwargs)


def prior_predictive_check(
    result: xr.DataTree, *, var_names: Sequence[str] | str | None = None, **kwargs: Any
):
    """Prior predictive check: the densities of data sets drawn from the prior predictive
    distribution (``arviz_plots.plot_ppc_dist`` on ``prior_predictive``), to judge whether the
    priors allow data on a plausible scale.

    As in ArviZ, the observed data are not drawn by default (the check is of the priors, not a
    fit to the data); pass ``visuals={"observed_dist": {}}`` to draw them over the prior draws.

    Parameters
    ----------
    result
        A result of ``model.sample(..., prior_predictive=True)`` or ``model.sample_prior()``.
    var_names, **kwargs
        As :func:`ppc`.

    Returns
    -------
    arviz_plots.PlotCollection

    Raises
    ------
    ArgumentError
        If the result has no ``prior_predictive`` group.
    """
    return _draw("prior_predictive_check", result, var_names, kwargs)
