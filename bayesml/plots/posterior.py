"""Posterior plots: wrappers over ArviZ (``arviz_plots``) that know bayesml's results, and the
forest plot.

Each wrapper takes the ``xarray.DataTree`` of ``Model.sample`` first, picks the key parameters
(``beta``, ``sd_*``, ``corr_*``, ``sigma`` and the other family parameters; not the random effects
``u_*``) unless ``var_names`` is given, shows each correlation once (the pairs above the diagonal,
dimension ``<group>__pair``, instead of the whole matrix with its diagonal of ones), checks that
the group it needs is there, and passes every other keyword to the ArviZ function. Each element
gets a panel of its own, labelled on one line as the summary tables label it (``beta[Days]``,
``sd_Subject[Days]``; never a dimension name such as ``Subject__term``), and the figure is sized
to its grid of panels. The wrappers return ArviZ's ``PlotCollection`` (``PlotMatrix`` for
:func:`pair`); :func:`figure_of` gives its matplotlib figure.

:func:`forest` is drawn by bayesml (:mod:`bayesml.plots.estimates`) and returns a matplotlib
figure: a row per element, one interval per chain, and a panel per group of elements of comparable
scale.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from bayesml.errors import ArgumentError, ArgumentTypeError
from bayesml.plots._common import flat_labeller, resolve_ci_prob, size_figure
from bayesml.plots._deps import require
from bayesml.plots.estimates import plot_estimates
from bayesml.plots.intervals import posterior_intervals
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
POSTERIOR_PREDICTIVE_HINT = "sample with `model.sample(..., posterior_predictive=True)`"

#: wrapper name -> what it calls
ARVIZ_PLOTS: dict[str, ArvizPlot] = {
    "trace": ArvizPlot("plot_trace_dist", "posterior", _SAMPLE),
    "rank": ArvizPlot("plot_rank", "posterior", _SAMPLE),
    "posterior": ArvizPlot("plot_dist", "posterior", _SAMPLE),
    "pair": ArvizPlot("plot_pair", "posterior", _SAMPLE),
    "ppc": ArvizPlot(
        "plot_ppc_dist",
        "posterior_predictive",
        POSTERIOR_PREDICTIVE_HINT,
        parameters=False,
        needs_observed=True,
    ),
    "rootogram": ArvizPlot(
        "plot_ppc_rootogram",
        "posterior_predictive",
        POSTERIOR_PREDICTIVE_HINT,
        parameters=False,
        needs_observed=True,
    ),
}

#: the groups the forest plot (drawn by bayesml) needs
FOREST = ArvizPlot("", "posterior", _SAMPLE)


def key_var_names(dataset: xr.Dataset) -> list[str]:
    """The key parameters of a group: ``beta``, ``sd_*``, ``corr_*`` and family parameters."""
    return [str(name) for name in dataset.data_vars if parameter_kind(str(name)) in _KEY_KINDS]


def figure_of(plot: Any) -> Figure:
    """The matplotlib figure of an ArviZ ``PlotCollection`` or ``PlotMatrix`` (or a figure).

    Equivalent to ``plot.viz["figure"].item()``; save it with ``figure_of(pc).savefig(...)`` (or
    ``pc.savefig(...)``). A matplotlib figure (what :func:`forest` and
    :func:`hlik_diagnostics` return) is returned as it is, so ``figure_of`` takes any result of
    :mod:`bayesml.plots`.
    """
    if hasattr(plot, "viz"):
        return plot.viz["figure"].item()
    if hasattr(plot, "savefig") and hasattr(plot, "axes"):
        return plot
    raise ArgumentTypeError(
        "figure_of needs an ArviZ PlotCollection/PlotMatrix or a matplotlib figure; got "
        f"{type(plot).__name__}"
    )


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


def _draw(
    name: str,
    result: Any,
    var_names: Sequence[str] | str | None,
    kwargs: dict,
    *,
    panel_size: tuple[float, float] = (3.4, 2.5),
) -> Any:
    """Check, choose the variables and call the ArviZ function of wrapper ``name``.

    Labels are written on one line (:func:`flat_labeller`) unless ``labeller`` is given, and the
    matplotlib figure is sized to its grid (``panel_size`` inches a panel) unless a size is given
    through ``figure_kwargs``.
    """
    _check_result(result, name)
    spec = ARVIZ_PLOTS[name]
    group = kwargs.pop("group", spec.group)
    _check_groups(result, name, spec, group)
    arviz_plots = require("arviz_plots", purpose=f"bayesml.plots.{name}")
    require("matplotlib.pyplot", purpose=f"bayesml.plots.{name}")
    function = getattr(arviz_plots, spec.function)
    kwargs.setdefault("labeller", flat_labeller())
    sized = "figsize" in (kwargs.get("figure_kwargs") or {})
    backend = kwargs.get("backend") or require("arviz_base", purpose=name).rcParams["plot.backend"]
    if not spec.parameters or kwargs.get("filter_vars") is not None:
        plot = function(result, var_names=var_names, group=group, **kwargs)
    else:
        chosen = _resolve_var_names(result[group].to_dataset(), name, group, var_names)
        plot = function(
            _with_corr_pairs(result, group, chosen), var_names=chosen, group=group, **kwargs
        )
    if backend == "matplotlib" and not sized:
        width, height = panel_size
        size_figure(figure_of(plot), panel_width=width, panel_height=height)
    return plot


def trace(
    result: xr.DataTree,
    *,
    var_names: Sequence[str] | str | None = None,
    compact: bool = False,
    **kwargs: Any,
):
    """Trace plot: each parameter's density (left) and its draws by chain (right).

    Calls ``arviz_plots.plot_trace_dist``; each element (``beta[Intercept]``, ``beta[Days]``)
    has a row of its own with its own scale, labelled on one line; a legend names the chains;
    divergent NUTS transitions are marked.

    Parameters
    ----------
    result
        A result of ``Model.sample``.
    var_names
        Variables to draw; default the key parameters (``beta``, ``sd_*``, ``corr_*``, family
        parameters; not ``u_*``).
    compact
        Overlay the elements of a vector parameter in one row (ArviZ's default); they then share
        one scale, which hides an element much smaller than the others.
    **kwargs
        Passed to ArviZ (``coords``, ``backend``, ``group="prior"``, ``labeller``,
        ``visuals``, ``figure_kwargs``...).

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
    plot = _draw("trace", result, var_names, {"compact": compact, **kwargs}, panel_size=(5.0, 1.7))
    chains = result[kwargs.get("group", "posterior")].sizes.get("chain", 1)
    figure = figure_of(plot)
    for variable in plot.viz["plot"].to_dataset().data_vars.values():
        if "column" in variable.dims and "trace" in variable.coords["column"].values:
            for ax in np.ravel(variable.sel(column="trace").values):
                if hasattr(ax, "set_ylabel"):
                    ax.set_ylabel("")  # the density's x label, beside it, names the row
    if chains > 1 and _maps_chain(plot) and hasattr(figure, "legends") and not figure.legends:
        plot.add_legend(
            "chain", loc="outside upper center", ncols=min(chains, 8), frameon=False, title=None
        )
    return plot


def _maps_chain(plot: Any) -> bool:
    """Whether an aesthetic (colour) of an ArviZ plot is mapped to the chains."""
    return any(
        "chain" in child["mapping"].dims
        for child in plot.aes.children.values()
        if "mapping" in child.data_vars
    )


def rank(result: xr.DataTree, *, var_names: Sequence[str] | str | None = None, **kwargs: Any):
    """Rank plot (fractional-rank ECDF differences per chain; ``arviz_plots.plot_rank``): chains
    that mix well stay inside the envelope. A panel per element. Parameters, returns and errors
    as :func:`trace`."""
    return _draw("rank", result, var_names, kwargs)


def forest(
    result: xr.DataTree,
    *,
    var_names: Sequence[str] | str | None = None,
    coords: Mapping[str, Any] | None = None,
    combined: bool = False,
    ci_prob: float | None = None,
    point_estimate: str = "mean",
    group: str = "posterior",
    figsize: tuple[float, float] | None = None,
    hdi_prob: float | None = None,
) -> Figure:
    """Forest plot: a row per parameter element with its point estimate and highest-density
    interval, one per chain (or one over all chains with ``combined=True``).

    Drawn by :func:`bayesml.plots.plot_estimates`, as ``bayesml.compare(...).plot()``: a panel
    per kind of parameter, split where the scales differ (sleepstudy's ``beta[Intercept]``
    ≈ 250 and ``beta[Days]`` ≈ 10 get a panel each, so that neither is a dot), labels such as
    ``sd_Subject[Days]``, each correlation once, and a legend of the chains above the panels.

    Parameters
    ----------
    result
        A result of ``Model.sample``.
    var_names
        Variables to draw; default the key parameters (``beta``, ``sd_*``, ``corr_*``, family
        parameters). Random effects on request (``var_names=["u_county"]``).
    coords
        Coordinates to keep, by dimension name (``{"county__level": ["AITKIN", "ANOKA"]}``).
    combined
        One interval per element over all chains instead of one per chain.
    ci_prob
        Probability of the HDIs (default 0.94).
    point_estimate
        ``"mean"`` or ``"median"``.
    group
        ``"posterior"`` or ``"prior"``.
    figsize
        Figure size in inches; by default 7 wide and tall enough for every row.
    hdi_prob
        Former name of ``ci_prob`` (deprecated; a ``FutureWarning``).

    Returns
    -------
    matplotlib.figure.Figure
        A panel (axes) per kind of parameter and scale, rows labelled ``beta[Days]``...

    Raises
    ------
    ArgumentTypeError, ArgumentError, MissingDependencyError
        As :func:`trace`; also for a bad ``ci_prob`` or ``point_estimate``.
    """
    name = "forest"
    _check_result(result, name)
    _check_groups(result, name, FOREST, group)
    prob = resolve_ci_prob(ci_prob, hdi_prob, where="bayesml.plots.forest")
    chosen = _resolve_var_names(result[group].to_dataset(), name, group, var_names)
    tidy = posterior_intervals(
        result,
        chosen,
        ci_prob=prob,
        point_estimate=point_estimate,
        combined=combined,
        group=group,
        coords=coords,
    )
    what = "Posterior" if group == "posterior" else group.capitalize()
    return plot_estimates(
        tidy,
        figsize=figsize,
        title=f"{what} {point_estimate}s with {100 * prob:g}% HDIs",
        legend_title=None if combined else "chain",
    )


def posterior(result: xr.DataTree, *, var_names: Sequence[str] | str | None = None, **kwargs: Any):
    """Marginal posterior densities with point estimate and credible interval, one panel per
    element (``arviz_plots.plot_dist``). Parameters, returns and errors as :func:`trace`."""
    return _draw("posterior", result, var_names, kwargs)


def pair(result: xr.DataTree, *, var_names: Sequence[str] | str | None = None, **kwargs: Any):
    """Pair plot: scatter plots of every pair of elements, marginals on the diagonal
    (``arviz_plots.plot_pair``; returns a ``PlotMatrix``). Parameters and errors as
    :func:`trace`; with many parameters choose a few with ``var_names`` or ``coords``."""
    return _draw("pair", result, var_names, kwargs, panel_size=(2.3, 2.0))
