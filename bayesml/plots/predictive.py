"""Predictive checks that suit the response: calibration for binary and binomial data, a
rootogram for counts, bars per category for ordered ratings, densities for continuous data, and
prior predictive checks on the data's scale.

A density of replicated 0/1 data is two spikes; what a binary or binomial model must get right
is its probabilities, so :func:`calibration` plots the observed proportion of successes against
the predicted probability with the band where replicated data would put it (PAVA, as ArviZ's
``plot_ppc_pava``, weighted by the numbers of trials; or by bins of predicted probability; or by
groups). Counts get ArviZ's rootogram (``plot_ppc_rootogram``); an ordinal response gets
:func:`bars`, the number of rows in each category against the replicated numbers (brms'
``pp_check(type = "bars")``). The prior predictive check draws
the data sets replicated from the prior on the observed data's scale — the axis clipped around
the observed data, with the share of replicated values outside it written on the figure — beside
the distribution of their means on an axis of its quantiles.

The family comes from the ``model`` given, or from the spec every result of ``Model.sample``
carries; the numbers of trials of a binomial response from ``model``, or from the spec's bundled
data set or CSV file (a model fitted on a DataFrame needs ``model=``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from bayesml.errors import ArgumentError, BayesmlError
from bayesml.plots._common import resolve_ci_prob
from bayesml.plots._deps import require
from bayesml.plots.posterior import (
    ARVIZ_PLOTS,
    ArvizPlot,
    _check_groups,
    _check_result,
    _draw,
    figure_of,
)

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.axes import Axes

    from bayesml.families.responses import ResponseKind
    from bayesml.model import Model

__all__ = [
    "CHECKS",
    "calibration",
    "calibration_points",
    "ppc",
    "prior_predictive_check",
    "response_kind",
    "rootogram",
    "bars",
]

#: the posterior predictive checks of :func:`ppc`
CHECKS = ("auto", "density", "calibration", "rootogram", "bars")

#: response kind -> the check ``ppc(check="auto")`` draws
AUTO_CHECK = {
    "binary": "calibration",
    "proportion": "calibration",
    "count": "rootogram",
    "ordinal": "bars",
    "categorical": "bars",
    "category_counts": "bars",
    "continuous": "density",
}

#: the prior predictive check's axis: the observed range widened by this share on each side
WINDOW_MARGIN = 0.5

#: most replicated data sets used for a PAVA band (evenly thinned)
MAX_BAND_DRAWS = 1000

_PRIOR_HINT = (
    "sample with `model.sample(..., prior_predictive=True)`, or draw the prior with "
    "`model.sample_prior()` and plot that"
)
_PRIOR = ArvizPlot("", "prior_predictive", _PRIOR_HINT, parameters=False, needs_observed=True)
_CALIBRATION = ArvizPlot(
    "",
    "posterior_predictive",
    ARVIZ_PLOTS["ppc"].hint,
    parameters=False,
    needs_observed=True,
)


# -- what the response is ------------------------------------------------------------------------
def _family_response(result: xr.DataTree, model: Model | None) -> ResponseKind | None:
    """The family's response kind (its name ``binary``, ``count``, ``positive``, ...; whether it
    has trials), or None when neither ``model`` nor the result's spec gives the family."""
    if model is not None:
        return model.family.response
    from bayesml.families import get_family
    from bayesml.results_io import result_spec

    try:
        spec = result_spec(result)
    except BayesmlError:
        return None
    if spec is None:
        return None
    return get_family(spec.family, spec.link).response


def _trials(result: xr.DataTree, model: Model | None, n_obs: int) -> np.ndarray | None:
    """Numbers of trials of the fitted rows: from ``model``, or from the result's spec's data."""
    if model is None:
        from bayesml.model import Model
        from bayesml.results_io import result_spec

        try:
            spec = result_spec(result)
            model = None if spec is None or spec.data is None else Model.from_spec(spec)
        except (BayesmlError, OSError):
            model = None
    if model is None:
        return None
    trials = model.design.response.trials
    if trials is None:
        return np.ones(n_obs)
    trials = np.asarray(trials, dtype=float)
    if trials.shape != (n_obs,):
        raise ArgumentError(
            f"the model's response has {trials.size} rows but the result's observed data "
            f"{n_obs}; pass the model that drew the result"
        )
    return trials


def _observed(result: xr.DataTree, var_names: Sequence[str] | str | None, where: str):
    """(name, observed values) of the one response plotted."""
    observed = result["observed_data"].to_dataset()
    names = (
        list(map(str, observed.data_vars))
        if var_names is None
        else ([var_names] if isinstance(var_names, str) else list(var_names))
    )
    if len(names) != 1 or names[0] not in observed.data_vars:
        raise ArgumentError(
            f"{where} draws one response, from {sorted(map(str, observed.data_vars))}; "
            f"got var_names={var_names!r}"
        )
    return names[0], np.asarray(observed[names[0]].values, dtype=float).ravel()


def _replicated(result: xr.DataTree, group: str, name: str, where: str) -> np.ndarray:
    """Draws of ``name`` in ``group`` as (draw, row)."""
    dataset = result[group].to_dataset()
    if name not in dataset.data_vars:
        raise ArgumentError(
            f"{where}: the {group!r} group has no {name!r}; it holds "
            f"{sorted(map(str, dataset.data_vars))}"
        )
    values = dataset[name]
    sample = [dim for dim in ("chain", "draw") if dim in values.dims]
    rows = [dim for dim in values.dims if dim not in sample]
    return np.asarray(values.transpose(*sample, *rows).values, dtype=float).reshape(
        -1, int(np.prod([values.sizes[d] for d in rows], dtype=int))
    )


def response_kind(
    result: xr.DataTree, *, model: Model | None = None, var_names: Sequence[str] | str | None = None
) -> str:
    """What kind of response a result's check should treat: ``"binary"`` (0/1),
    ``"proportion"`` (successes out of several trials per row), ``"count"``, ``"ordinal"``
    (category numbers 1, …, K of ordered levels), ``"categorical"`` (category numbers of
    unordered levels, 1 the reference), ``"category_counts"`` (rows of counts per category, a
    multinomial response) or ``"continuous"``.

    From the family (``model``'s, or that of the spec stamped on the result): a binary response,
    and one with trials whose rows are all single trials (bacteria's ``y``), are ``"binary"``;
    a response with trials (the binomial family's) is ``"proportion"``; poisson and
    negative-binomial counts ``"count"``; the ordinal families (cumulative, sratio, acat)
    ``"ordinal"``; the categorical family ``"categorical"``; the multinomial family
    ``"category_counts"``; every other family ``"continuous"``. A result without
    a spec is judged by its observed values (0/1: binary; non-negative integers: count).
    """
    _check_result(result, "response_kind")
    if "observed_data" not in result.children:
        raise ArgumentError(
            "response_kind needs the 'observed_data' group, which this result lacks; sample the "
            "model with `model.sample(...)`"
        )
    _, y = _observed(result, var_names, "bayesml.plots.response_kind")
    response = _family_response(result, model)
    if response is not None and response.category_counts:
        return "category_counts"
    if response is None:
        if np.isin(y, (0.0, 1.0)).all():
            return "binary"
        if (y >= 0).all() and (y == np.floor(y)).all():
            return "count"
        return "continuous"
    if response.uses_trials:
        trials = _trials(result, model, y.size)
        return "binary" if trials is not None and (trials == 1).all() else "proportion"
    if response.name in ("binary", "count"):
        return response.name
    if response.ordered:
        return "ordinal"
    if response.categorical:
        return "categorical"
    return "continuous"


def _category_labels(
    result: xr.DataTree, model: Model | None, name: str, count: int
) -> tuple[str, ...]:
    """The labels of categories 1, …, K of a response coded by category number: the model's
    levels, or those the posterior's thresholds ``<name>__threshold`` (``1|2``, ``2|3``, …) are
    labelled with, or ``1``, …, ``count``."""
    if model is not None and model.design.response.levels is not None:
        return tuple(model.family.dimension_labels(model.design.response.levels)["category"])
    dimension = f"{name}__threshold"
    for group in ("posterior", "prior"):
        if group in result.children and dimension in result[group].coords:
            pairs = [str(label).split("|") for label in result[group][dimension].values]
            chained = all(len(pair) == 2 for pair in pairs) and all(
                low[1] == high[0] for low, high in zip(pairs[:-1], pairs[1:], strict=True)
            )
            if pairs and chained:
                return (pairs[0][0], *(pair[1] for pair in pairs))
    return tuple(str(k) for k in range(1, count + 1))


def _count_totals(
    result: xr.DataTree, group: str, name: str
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray] | None:
    """For a response of counts per category (a multinomial one: observed dims ``obs``,
    ``category``): the categories' labels, the observed total of each (K,) and the replicated
    totals (draws, K); ``None`` for a response with one value per row."""
    observed = result["observed_data"].to_dataset()[name]
    if observed.ndim != 2:
        return None
    rows, category = observed.dims
    replicated = result[group].to_dataset()[name]
    sample = [dim for dim in ("chain", "draw") if dim in replicated.dims]
    totals = replicated.sum(rows).transpose(*sample, category).values
    return (
        tuple(map(str, observed[category].values)),
        np.asarray(observed.sum(rows).values, dtype=float),
        np.asarray(totals, dtype=float).reshape(-1, observed.sizes[category]),
    )


def _category_counts(codes: np.ndarray, count: int) -> np.ndarray:
    """Rows in each category 1, …, ``count`` of each row of ``codes`` (draws, rows): (draws, K)."""
    return np.stack([(codes == k).sum(axis=-1) for k in range(1, count + 1)], axis=-1)


# -- calibration -----------------------------------------------------------------------------------
def _band_draws(replicated: np.ndarray) -> np.ndarray:
    step = max(1, int(np.ceil(replicated.shape[0] / MAX_BAND_DRAWS)))
    return replicated[::step]


def calibration_points(
    observed: np.ndarray,
    replicated: np.ndarray,
    trials: np.ndarray | None = None,
    *,
    ci_prob: float = 0.94,
    method: str = "pava",
    bins: int = 10,
    groups: Sequence[Any] | np.ndarray | None = None,
) -> pd.DataFrame:
    """The numbers a calibration plot draws.

    Each row's predicted probability p̂ is the mean over draws of its replicated proportion
    y_rep / n (as ArviZ's ``plot_ppc_pava``).

    * ``method="pava"``: one point per distinct p̂, in increasing order (rows with equal p̂
      pooled); ``observed`` is the isotonic (pool-adjacent-violators) regression of y / n on p̂
      weighted by the trials n — with single trials and distinct p̂, ArviZ's conditional event
      probabilities — and ``lower``/``upper`` the central ``ci_prob`` interval of the same
      regression of each replicated data set (at most 1000 of them, evenly spaced).
    * ``method="bins"``: rows in ``bins`` bins of p̂ holding about equal numbers of trials;
      ``method="groups"``: rows grouped by ``groups``. Per bin or group, ``predicted`` is the
      trial-weighted mean of p̂, ``observed`` the observed proportion Σ y / Σ n, and
      ``lower``/``upper`` the central ``ci_prob`` interval of the replicated Σ y_rep / Σ n.

    Parameters
    ----------
    observed
        Successes per row (0/1 for binary data).
    replicated
        Replicated successes, shape (draws, rows).
    trials
        Trials per row; ones when None.
    ci_prob
        Probability of the intervals.
    method
        ``"pava"``, ``"bins"`` or ``"groups"``.
    bins
        Number of bins for ``method="bins"``.
    groups
        A label per row for ``method="groups"``.

    Returns
    -------
    pandas.DataFrame
        Columns ``label``, ``predicted``, ``observed``, ``lower``, ``upper``, ``rows``,
        ``trials``.
    """
    from scipy.optimize import isotonic_regression

    y = np.asarray(observed, dtype=float)
    reps = np.asarray(replicated, dtype=float)
    n = np.ones_like(y) if trials is None else np.asarray(trials, dtype=float)
    if reps.ndim != 2 or reps.shape[1] != y.size or n.shape != y.shape:
        raise ArgumentError(
            f"calibration_points needs replicated data of shape (draws, {y.size}) and "
            f"{y.size} trials; got {reps.shape} and {n.shape}"
        )
    tails = (100 * (1 - ci_prob) / 2, 100 * (1 + ci_prob) / 2)
    predicted = (reps / n).mean(axis=0)
    if method == "pava":
        # rows with the same predicted probability are pooled first, so that the fit does not
        # depend on their order
        x, inverse = np.unique(predicted, return_inverse=True)
        w = np.bincount(inverse, weights=n)
        fit = isotonic_regression(np.bincount(inverse, weights=y) / w, weights=w).x
        draws = _band_draws(reps)
        pooled = np.zeros((draws.shape[0], x.size))
        np.add.at(pooled.T, inverse, draws.T)
        band = np.array([isotonic_regression(draw, weights=w).x for draw in pooled / w])
        lower, upper = np.percentile(band, tails, axis=0)
        return pd.DataFrame(
            {
                "label": np.arange(x.size).astype(str),
                "predicted": x,
                "observed": fit,
                "lower": lower,
                "upper": upper,
                "rows": np.bincount(inverse),
                "trials": w,
            }
        )
    if method == "bins":
        if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
            raise ArgumentError(f"bins must be a positive integer; got {bins!r}")
        order = np.argsort(predicted, kind="stable")
        share = (np.cumsum(n[order]) - n[order]) / n.sum()
        index = np.empty(y.size, dtype=int)
        index[order] = np.minimum((share * min(bins, y.size)).astype(int), bins - 1)
        labels = index
    elif method == "groups":
        if groups is None or len(groups) != y.size:
            raise ArgumentError(
                f"method='groups' needs a label per row ({y.size}); got "
                f"{'none' if groups is None else len(groups)}"
            )
        labels = np.asarray(groups)
    else:
        raise ArgumentError(f"method must be 'pava', 'bins' or 'groups'; got {method!r}")
    rows = []
    for label in pd.unique(labels):
        mask = labels == label
        total = n[mask].sum()
        share_rep = reps[:, mask].sum(axis=1) / total
        low, high = np.percentile(share_rep, tails)
        rows.append(
            {
                "label": str(label),
                "predicted": float((n[mask] * predicted[mask]).sum() / total),
                "observed": float(y[mask].sum() / total),
                "lower": float(low),
                "upper": float(high),
                "rows": int(mask.sum()),
                "trials": float(total),
            }
        )
    table = pd.DataFrame(rows)
    return table.sort_values("predicted", kind="stable").reset_index(drop=True)


def _group_labels(groups: Any, model: Model | None, result: xr.DataTree, n_obs: int) -> np.ndarray:
    if not isinstance(groups, str):
        values = np.asarray(groups)
        if values.shape != (n_obs,):
            raise ArgumentError(
                f"groups must be a column name or a label per row ({n_obs}); got shape "
                f"{values.shape}"
            )
        return values
    if model is None:
        from bayesml.model import Model
        from bayesml.results_io import result_spec

        spec = result_spec(result)
        if spec is None or spec.data is None:
            raise ArgumentError(
                f"groups={groups!r} names a data column, but the result does not say where its "
                "data are; pass model= (the Model that drew the result) or a label per row"
            )
        model = Model.from_spec(spec)
    data = model.data
    if groups not in data.columns:
        raise ArgumentError(
            f"groups={groups!r} is not a column of the model's data; columns: {list(data.columns)}"
        )
    labels = data.loc[model.design.row_labels, groups].to_numpy()
    if labels.shape != (n_obs,):
        raise ArgumentError(
            f"the model's data have {labels.size} fitted rows but the result {n_obs}; pass the "
            "model that drew the result"
        )
    return labels


def _predictive_collection(panels: dict[str, np.ndarray], size: tuple[float, float]):
    """An ArviZ PlotCollection with an empty panel per entry, on a constrained figure."""
    import xarray as xr
    from arviz_plots import PlotCollection

    dataset = xr.Dataset({name: ("row", np.asarray(v).ravel()) for name, v in panels.items()})
    return PlotCollection.wrap(
        dataset,
        cols=["__variable__"],
        col_wrap=2,
        backend="matplotlib",
        figure_kwargs={"figsize": size, "figsize_units": "inches", "layout": "constrained"},
    )


def _draw_calibration(
    ax: Axes, table: pd.DataFrame, method: str, prob: float, name: str, prefix: str = ""
) -> None:
    band = f"{100 * prob:g}% interval of replicated data"
    if method == "pava":
        ax.fill_between(
            table["predicted"], table["lower"], table["upper"], color="C0", alpha=0.25, label=band
        )
        ax.plot(
            table["predicted"], table["observed"], color="C0", linewidth=2, label="observed (PAVA)"
        )
        ax.set_ylabel("Observed proportion (PAVA-calibrated)")
    else:
        ax.errorbar(
            table["predicted"],
            (table["lower"] + table["upper"]) / 2,
            yerr=(table["upper"] - table["lower"]) / 2,
            fmt="none",
            ecolor="C0",
            elinewidth=6,
            alpha=0.35,
            label=band,
        )
        ax.plot(table["predicted"], table["observed"], "o", color="black", label="observed")
        if method == "groups":
            for row in table.itertuples():
                ax.annotate(
                    f"{prefix}{row.label}",
                    (row.predicted, row.observed),
                    xytext=(6, -3),
                    textcoords="offset points",
                    fontsize="small",
                )
        ax.set_ylabel("Observed proportion")
    values = table[["predicted", "observed", "lower", "upper"]].to_numpy(dtype=float)
    low, high = np.nanmin(values), np.nanmax(values)
    pad = max(0.05 * (high - low), 0.02)
    low, high = max(low - pad, 0.0), min(high + pad, 1.0)
    ax.plot([low, high], [low, high], linestyle="--", color="0.45", linewidth=1)
    ax.plot([], [], linestyle="--", color="0.45", linewidth=1, label="perfect calibration")
    ax.plot(
        table["predicted"],
        np.full(len(table), 0.015),
        "|",
        color="0.3",
        markersize=8,
        transform=ax.get_xaxis_transform(),
        label="rows" if method == "pava" else "bins" if method == "bins" else "groups",
    )
    ax.set(xlim=(low, high), ylim=(low, high), xlabel="Predicted probability")
    ax.grid(alpha=0.3)
    what = {
        "pava": "PAVA",
        "bins": "by bins of predicted probability",
        "groups": f"by {prefix.strip() or 'group'}",
    }
    ax.set_title(f"Calibration of {name}, {what[method]}")


def calibration(
    result: xr.DataTree,
    *,
    model: Model | None = None,
    var_names: Sequence[str] | str | None = None,
    method: str | None = None,
    bins: int = 10,
    groups: str | Sequence[Any] | None = None,
    ci_prob: float | None = None,
    group: str = "posterior_predictive",
):
    """Calibration plot of a binary or binomial response: observed proportion of successes
    against predicted probability, with the band where replicated data put it.

    A well-calibrated model's curve (PAVA) or points (bins, groups) stay inside the band, near
    the diagonal. The numbers are those of :func:`calibration_points`.

    Parameters
    ----------
    result
        A result of ``model.sample(..., posterior_predictive=True)``.
    model
        The model that drew the result: gives the numbers of trials of a binomial response when
        the result's spec names no data file (a model fitted on a DataFrame), and the data
        column named by ``groups``.
    var_names
        The response (default: the only one).
    method
        ``"pava"`` (the default; isotonic regression, ArviZ's ``plot_ppc_pava`` weighted by the
        trials), ``"bins"`` (``bins`` bins of predicted probability with about equal numbers of
        trials) or ``"groups"`` (the default when ``groups`` is given).
    bins
        Number of bins for ``method="bins"``.
    groups
        A data column (e.g. ``"period"``) or a label per row: one point per group.
    ci_prob
        Probability of the band (default 0.94; equal-tailed).
    group
        ``"posterior_predictive"``.

    Returns
    -------
    arviz_plots.PlotCollection
        One panel (axes) named after the response; :func:`figure_of` gives the figure.

    Raises
    ------
    ArgumentError
        Without the predictive or observed group, for a response that is not binary or
        binomial, or when a binomial response's trials cannot be found (pass ``model=``).
    """
    where = "bayesml.plots.calibration"
    _check_result(result, "calibration")
    _check_groups(result, "calibration", _CALIBRATION, group)
    require("arviz_plots", purpose=where)
    require("matplotlib.pyplot", purpose=where)
    prob = resolve_ci_prob(ci_prob, where=where)
    name, y = _observed(result, var_names, where)
    kind = response_kind(result, model=model, var_names=name)
    if kind not in ("binary", "proportion"):
        raise ArgumentError(
            f"{where} draws binary and binomial responses; {name!r} is {kind} "
            f"(use bayesml.plots.ppc(result), which picks the check for it)"
        )
    trials = np.ones(y.size) if kind == "binary" else _trials(result, model, y.size)
    if trials is None:
        raise ArgumentError(
            f"{where}: the binomial response {name!r} needs its numbers of trials, which the "
            "result does not carry (the model was fitted on a DataFrame); pass model= (the "
            "Model that drew the result)"
        )
    if method is None:
        method = "groups" if groups is not None else "pava"
    labels = None
    if method == "groups":
        if groups is None:
            raise ArgumentError(f"{where}(method='groups') needs groups= (a column or labels)")
        labels = _group_labels(groups, model, result, y.size)
    replicated = _replicated(result, group, name, where)
    table = calibration_points(
        y, replicated, trials, ci_prob=prob, method=method, bins=bins, groups=labels
    )
    plot = _predictive_collection({name: y}, (5.8, 6.2))
    ax = plot.viz["plot"][name].item()
    prefix = f"{groups} " if method == "groups" and isinstance(groups, str) else ""
    _draw_calibration(ax, table, method, prob, name, prefix)
    handles, texts = ax.get_legend_handles_labels()
    figure_of(plot).legend(
        handles, texts, loc="outside lower center", ncols=2, fontsize="small", frameon=False
    )
    return plot


# -- posterior predictive checks ------------------------------------------------------------------
def _with_integer_counts(result: xr.DataTree, name: str) -> xr.DataTree:
    """A shallow copy whose observed and replicated ``name`` are integer (ArviZ's discrete checks
    judge by the dtype; the observed counts of a DataFrame, and the replicated counts of a hurdle
    family or of a very large mean, can be floats with whole values)."""
    copy = None
    for group in ("observed_data", "posterior_predictive"):
        dataset = result[group].to_dataset()
        values = dataset[name]
        if values.dtype.kind in "iu" or not np.isfinite(values.values).all():
            continue
        if copy is None:
            copy = result.copy()
        copy[group] = dataset.assign({name: values.astype(np.int64)})
    return result if copy is None else copy


def rootogram(
    result: xr.DataTree,
    *,
    var_names: Sequence[str] | str | None = None,
    ci_prob: float | None = None,
    **kwargs: Any,
):
    """Rootogram of a count response (``arviz_plots.plot_ppc_rootogram``): for each count, the
    observed frequency (black points) against the predicted frequency and its interval, on a
    square-root axis.

    Parameters
    ----------
    result
        A result of ``model.sample(..., posterior_predictive=True)`` with a count response.
    var_names
        The response (default: the only one).
    ci_prob
        Probability of the intervals (default 0.94).
    **kwargs
        Passed to ArviZ (``yscale``, ``point_estimate``, ``visuals``, ...).

    Returns
    -------
    arviz_plots.PlotCollection
    """
    where = "bayesml.plots.rootogram"
    _check_result(result, "rootogram")
    _check_groups(result, "rootogram", ARVIZ_PLOTS["rootogram"], "posterior_predictive")
    name, y = _observed(result, var_names, where)
    if not ((y >= 0).all() and (y == np.floor(y)).all()):
        raise ArgumentError(
            f"{where} draws counts (non-negative integers); {name!r} has other values; use "
            "bayesml.plots.ppc(result, check='density')"
        )
    prob = resolve_ci_prob(ci_prob, where=where)
    visuals = dict(kwargs.pop("visuals", None) or {})
    # "count (count)" says nothing twice: a response named count needs no unit
    visuals.setdefault("xlabel", {"text": name if name == "count" else f"{name} (count)"})
    visuals.setdefault("ylabel", {"text": "frequency (square-root scale)"})
    plot = _draw(
        "rootogram",
        _with_integer_counts(result, name),
        [name],
        {"ci_prob": prob, "visuals": visuals, **kwargs},
        panel_size=(7.0, 3.6),
    )
    _legend(plot, [("observed", "o", "black"), (f"predicted, {100 * prob:g}% interval", "D", "C0")])
    return plot


def bars(
    result: xr.DataTree,
    *,
    model: Model | None = None,
    var_names: Sequence[str] | str | None = None,
    ci_prob: float | None = None,
    group: str = "posterior_predictive",
):
    """Bars per category of an ordinal response: the observed number of rows in each category
    (bars) against the median and central ``ci_prob`` interval of the replicated numbers
    (points with error bars), as brms' ``pp_check(type = "bars")``.

    The response is stored as category numbers 1, …, K; the categories are labelled with the
    response's levels (``model``'s, or those the posterior's ``<response>__threshold``
    coordinate names). For a multinomial response (counts per category, dims ``obs``,
    ``category``) the bars are the total count of each category over the rows.

    Parameters
    ----------
    result
        A result of ``model.sample(..., posterior_predictive=True)`` of an ordinal model (or any
        response coded 1, …, K).
    model
        The model that drew the result, for the labels of the levels (optional).
    var_names
        The response (default: the only one).
    ci_prob
        Probability of the intervals (default 0.94; equal-tailed).
    group
        ``"posterior_predictive"`` (or ``"prior_predictive"``).

    Returns
    -------
    arviz_plots.PlotCollection
        One panel (axes) named after the response; :func:`figure_of` gives the figure.

    Raises
    ------
    ArgumentError
        Without the predictive or observed group, or when the response is not category numbers
        1, 2, … (use ``ppc(result)``, which picks the check for the response).
    """
    where = "bayesml.plots.bars"
    _check_result(result, "bars")
    _check_groups(result, "bars", _CALIBRATION, group)
    require("arviz_plots", purpose=where)
    require("matplotlib.pyplot", purpose=where)
    prob = resolve_ci_prob(ci_prob, where=where)
    name, y = _observed(result, var_names, where)
    replicated = _replicated(result, group, name, where)
    totals = _count_totals(result, group, name)
    if totals is not None:  # counts per category: each category's total over the rows
        labels, observed, replicated_counts = totals
        unit = "count"
    else:
        if not all((v >= 1).all() and (v == np.floor(v)).all() for v in (y, replicated)):
            raise ArgumentError(
                f"{where} draws a response coded by category number 1, 2, ..., K (an ordinal "
                f"model's); {name!r} has other values; use bayesml.plots.ppc(result), which "
                "picks the check for the response"
            )
        labels = _category_labels(
            result, model, name, int(max(y.max(initial=1), replicated.max(initial=1)))
        )
        observed = _category_counts(y[None, :], len(labels))[0]
        replicated_counts = _category_counts(replicated, len(labels))
        unit = "rows"
    count = len(labels)
    tails = (100 * (1 - prob) / 2, 50.0, 100 * (1 + prob) / 2)
    lower, middle, upper = np.percentile(replicated_counts, tails, axis=0)
    plot = _predictive_collection({name: y}, (max(5.8, 1.5 + 0.7 * count), 4.2))
    ax = plot.viz["plot"][name].item()
    positions = np.arange(1, count + 1)
    ax.bar(positions, observed, width=0.8, color="0.8", edgecolor="black", linewidth=1.2)
    ax.errorbar(
        positions,
        middle,
        yerr=(middle - lower, upper - middle),
        fmt="o",
        color="C0",
        ecolor="C0",
        elinewidth=2,
        capsize=4,
        markersize=6,
    )
    ax.set_xticks(positions, labels)
    ax.set(xlabel=f"{name} (category)", ylabel=unit, xlim=(0.4, count + 0.6))
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3, axis="y")
    predictive = group.replace("_", " ")
    ax.set_title(f"{'Counts' if unit == 'count' else 'Rows'} per category of {name}")
    _legend(
        plot,
        [
            ("observed", "band", "0.6"),
            (f"{predictive}: median, {100 * prob:g}% interval", "o", "C0"),
        ],
    )
    return plot


def _legend(plot: Any, entries: list[tuple[str, str, str]], *, loc: str = "upper") -> None:
    """A figure legend outside the panels (above or below them) with proxy artists: marker
    ``-`` draws a line, ``band`` a filled patch, any other a marker."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    figure = figure_of(plot)
    if not hasattr(figure, "legend"):
        return
    handles = [
        Line2D([], [], color=color, linewidth=2)
        if marker == "-"
        else Patch(color=color, alpha=0.4)
        if marker == "band"
        else Line2D([], [], color=color, marker=marker, linestyle="none")
        for _, marker, color in entries
    ]
    figure.legend(
        handles,
        [label for label, _, _ in entries],
        loc=f"outside {loc} center",
        ncols=min(len(entries), 4),
        fontsize="small",
        frameon=False,
    )


def ppc(
    result: xr.DataTree,
    *,
    check: str = "auto",
    model: Model | None = None,
    var_names: Sequence[str] | str | None = None,
    **kwargs: Any,
):
    """Posterior predictive check suited to the response.

    ``check="auto"`` picks by the response (:func:`response_kind`): a :func:`calibration` plot
    for binary and binomial data (a density of 0/1 data would be two spikes), a
    :func:`rootogram` for counts, :func:`bars` for an ordinal response (rows per category), and
    for continuous data the observed density over those of
    replicated data sets (``arviz_plots.plot_ppc_dist``, with a legend).

    Parameters
    ----------
    result
        A result of ``model.sample(..., posterior_predictive=True)``.
    check
        ``"auto"``, ``"density"``, ``"calibration"``, ``"rootogram"`` or ``"bars"``.
    model
        The model that drew the result, for the family and a binomial response's trials when
        the result's spec cannot give them (see :func:`calibration`).
    var_names
        The response(s) to draw; default the response.
    **kwargs
        Passed on: to :func:`calibration` (``method``, ``bins``, ``groups``, ``ci_prob``), to
        :func:`rootogram` (``ci_prob`` and ArviZ's options), to :func:`bars` (``ci_prob``) or to
        ArviZ's ``plot_ppc_dist``
        (``num_samples``, ``kind``, ...).

    Returns
    -------
    arviz_plots.PlotCollection
        :func:`figure_of` gives the figure.

    Raises
    ------
    ArgumentError
        If the result has no ``posterior_predictive`` (or ``observed_data``) group, or for an
        unknown ``check``.
    """
    if check not in CHECKS:
        raise ArgumentError(f"check must be one of {list(CHECKS)}; got {check!r}")
    _check_result(result, "ppc")
    _check_groups(result, "ppc", ARVIZ_PLOTS["ppc"], kwargs.get("group", "posterior_predictive"))
    if check == "auto":
        check = AUTO_CHECK[response_kind(result, model=model, var_names=var_names)]
    if check == "calibration":
        return calibration(result, model=model, var_names=var_names, **kwargs)
    if check == "rootogram":
        return rootogram(result, var_names=var_names, **kwargs)
    if check == "bars":
        return bars(result, model=model, var_names=var_names, **kwargs)
    group = kwargs.get("group", "posterior_predictive")
    plot = _draw("ppc", result, var_names, kwargs, panel_size=(7.0, 3.6))
    for panel, ax in plot.viz["plot"].to_dataset().data_vars.items():
        for target in np.ravel(ax.values):
            if hasattr(target, "set_xlabel"):
                target.set_xlabel(str(panel))
    _legend(
        plot,
        [("observed", "-", "black"), (f"{group.replace('_', ' ')} data sets", "-", "C0")],
    )
    return plot


# -- prior predictive checks ----------------------------------------------------------------------
def _support(kind: str | None) -> tuple[float, float]:
    """The response's possible range, by the family's response kind."""
    if kind in ("count", "positive"):
        return 0.0, np.inf
    if kind == "unit_interval":
        return 0.0, 1.0
    return -np.inf, np.inf


def _window(y: np.ndarray, kind: str | None) -> tuple[float, float]:
    low, high = float(np.min(y)), float(np.max(y))
    spread = high - low if high > low else max(abs(high), 1.0)
    floor, ceiling = _support(kind)
    return max(low - WINDOW_MARGIN * spread, floor), min(high + WINDOW_MARGIN * spread, ceiling)


def _edges(low: float, high: float, discrete: bool, count: int = 40) -> np.ndarray:
    if not discrete:
        return np.linspace(low, high, count + 1)
    width = max(1, int(np.ceil((high - low) / count)))
    start = np.floor(low) - 0.5
    return np.arange(start, high + width, width, dtype=float)


def _shares(values: np.ndarray, edges: np.ndarray, density: bool) -> np.ndarray:
    """Histogram of each row of ``values`` over ``edges``, divided by the row's length (and by
    the bin widths for a density): mass outside the edges is left out, not spread over them."""
    counts = np.stack([np.histogram(row, bins=edges)[0] for row in values]).astype(float)
    counts /= values.shape[1]
    return counts / np.diff(edges) if density else counts


def _band_panel(
    ax: Axes,
    y: np.ndarray,
    replicated: np.ndarray,
    edges: np.ndarray,
    *,
    density: bool,
    prob: float,
    xlabel: str,
) -> None:
    """Observed histogram (black) over the median and ``prob`` band of the replicated ones."""
    shares = _shares(replicated, edges, density)
    tails = (100 * (1 - prob) / 2, 50.0, 100 * (1 + prob) / 2)
    lower, middle, upper = np.percentile(shares, tails, axis=0)
    ax.stairs(upper, edges, baseline=lower, fill=True, color="C0", alpha=0.3)
    ax.stairs(middle, edges, color="C0", linewidth=1.5)
    ax.stairs(_shares(y[None, :], edges, density)[0], edges, color="black", linewidth=2)
    ax.set(xlim=(edges[0], edges[-1]), xlabel=xlabel)
    ax.set_ylabel("density" if density else "share of rows")
    ax.grid(alpha=0.3)


def _outside_note(replicated: np.ndarray, low: float, high: float, what: str) -> str:
    finite = np.isfinite(replicated)
    below = float(np.mean((replicated < low) | (replicated == -np.inf)))
    above = float(np.mean((replicated > high) | (replicated == np.inf)))
    missing = float(np.mean(~finite & ~np.isinf(replicated)))
    note = (
        f"axis clipped to {what}: {100 * (below + above):.0f}% of prior predictive values "
        f"lie outside it ({100 * below:.0f}% below, {100 * above:.0f}% above)"
    )
    if missing:
        note += f"; {100 * missing:.0f}% are not finite"
    return note


def _statistic_panel(
    ax: Axes, observed: float, replicated: np.ndarray, *, xlabel: str, bounds=None
) -> None:
    """Histogram of a statistic of each replicated data set, the observed value marked.

    Without ``bounds`` the axis spans the 1st to 99th percentile of the replicated values (and
    the observed one), on a log scale when they are positive and span more than three orders of
    magnitude (vague priors on the log scale give means from 0.1 to 10¹⁶)."""
    values = replicated[np.isfinite(replicated)]
    log = False
    if bounds is None:
        low, high = np.percentile(values, [1, 99]) if values.size else (observed, observed)
        low, high = min(low, observed), max(high, observed)
        positive = values[values > 0]
        if (values >= 0).all() and positive.size and high > 1e3 * max(low, positive.min()):
            low, log = (
                max(low, np.percentile(positive, 1), observed / 10 if observed > 0 else 0),
                True,
            )
        if high <= low:
            low, high = low - 0.5, high + 0.5
        outside = float(
            np.mean((replicated < low) | (replicated > high) | ~np.isfinite(replicated))
        )
        note = (
            f"{'log ' if log else ''}axis: 1st–99th percentile of the prior predictive; "
            f"{100 * outside:.0f}% outside"
        )
    else:
        low, high = bounds
        note = ""
    inside = values[(values >= low) & (values <= high)]
    edges = np.geomspace(low, high, 41) if log else np.linspace(low, high, 41)
    ax.hist(inside, bins=edges, color="0.55", alpha=0.6)
    ax.axvline(observed, color="black", linewidth=2)
    if log:
        ax.set_xscale("log")
    ax.set(xlim=(low, high), ylabel="data sets")
    ax.set_xlabel("\n".join([xlabel, *textwrap.wrap(note, 60)]) if note else xlabel)
    ax.grid(alpha=0.3)


def prior_predictive_check(
    result: xr.DataTree,
    *,
    model: Model | None = None,
    var_names: Sequence[str] | str | None = None,
    ci_prob: float | None = None,
    group: str = "prior_predictive",
):
    """Prior predictive check: do the priors allow data like the observed ones?

    Data sets drawn from the prior predictive distribution are drawn on the observed data's
    scale, so that the data are not dwarfed by a vague prior's range:

    * continuous and count responses — left: the observed histogram (black) over the median
      (line) and central ``ci_prob`` band of the replicated data sets' histograms, on the
      observed range widened by half on each side, the axis clipped there and the share of
      prior predictive values outside it written under it (mass outside is left out, not piled
      at the edges); right: the mean of each replicated data set, on an axis spanning its 1st to
      99th percentile, with the observed mean;
    * binomial responses — left: the row proportions y / n the same way, on [0, 1]; right: the
      overall proportion Σ y / Σ n of each replicated data set;
    * binary responses — the proportion of successes of each replicated data set;
    * ordinal responses — left: the share of rows in each category (observed, and the median and
      band of the replicated data sets), labelled with the levels; right: the mean category
      number of each replicated data set;
    * counts per category (multinomial) — the total count of each category, observed against
      the replicated data sets' (:func:`bars`).

    Parameters
    ----------
    result
        A result of ``model.sample(..., prior_predictive=True)`` or ``model.sample_prior()``.
    model
        The model, for the family and a binomial response's trials when the result's spec
        cannot give them (a model fitted on a DataFrame).
    var_names
        The response (default: the only one).
    ci_prob
        Probability of the band (default 0.94).
    group
        ``"prior_predictive"`` (or ``"posterior_predictive"`` for the same view of the
        posterior).

    Returns
    -------
    arviz_plots.PlotCollection
        One or two panels (axes), named ``<response>`` and ``mean(<response>)`` (or
        ``proportion(<response>)``); :func:`figure_of` gives the figure.

    Raises
    ------
    ArgumentError
        If the result has no ``prior_predictive`` or ``observed_data`` group, or a binomial
        response's trials cannot be found (pass ``model=``).
    """
    where = "bayesml.plots.prior_predictive_check"
    _check_result(result, "prior_predictive_check")
    _check_groups(result, "prior_predictive_check", _PRIOR, group)
    require("arviz_plots", purpose=where)
    require("matplotlib.pyplot", purpose=where)
    prob = resolve_ci_prob(ci_prob, where=where)
    name, y = _observed(result, var_names, where)
    replicated = _replicated(result, group, name, where)
    kind = response_kind(result, model=model, var_names=name)
    what = "Prior" if group == "prior_predictive" else "Posterior"
    if kind == "category_counts":  # each category's total count, as bars draws it
        plot = bars(result, model=model, var_names=name, ci_prob=ci_prob, group=group)
        plot.viz["plot"][name].item().set_title(
            f"{what} predictive check: counts per category of {name}"
        )
        return plot
    if kind in ("binary", "proportion"):
        trials = np.ones(y.size) if kind == "binary" else _trials(result, model, y.size)
        if trials is None:
            raise ArgumentError(
                f"{where}: the binomial response {name!r} needs its numbers of trials, which "
                "the result does not carry; pass model= (the Model that drew the result)"
            )
        total = f"proportion({name})"
        panels = {total: y} if kind == "binary" else {name: y, total: y}
        plot = _predictive_collection(panels, (11.0 if len(panels) > 1 else 5.8, 4.4))
        axes = plot.viz["plot"]
        if kind == "proportion":
            _band_panel(
                axes[name].item(),
                y / trials,
                replicated / trials,
                np.linspace(0.0, 1.0, 21),
                density=False,
                prob=prob,
                xlabel=f"{name} / trials (proportion of each row)",
            )
        _statistic_panel(
            axes[total].item(),
            float(y.sum() / trials.sum()),
            replicated.sum(axis=1) / trials.sum(),
            xlabel=f"proportion of successes in the data set ({name})",
            bounds=(0.0, 1.0),
        )
    elif kind in ("ordinal", "categorical"):
        labels = _category_labels(result, model, name, int(max(y.max(), replicated.max())))
        mean = f"mean({name})"
        plot = _predictive_collection({name: y, mean: y}, (11.0, 4.6))
        axes = plot.viz["plot"]
        _band_panel(
            axes[name].item(),
            y,
            replicated,
            np.arange(0.5, len(labels) + 1.0),
            density=False,
            prob=prob,
            xlabel=f"{name} (category)",
        )
        axes[name].item().set_xticks(np.arange(1, len(labels) + 1), labels)
        _statistic_panel(
            axes[mean].item(),
            float(y.mean()),
            replicated.mean(axis=1),
            xlabel=f"mean category number (1-{len(labels)}) of each data set ({name})",
            bounds=(1.0, float(len(labels))),
        )
    else:
        response = _family_response(result, model)
        low, high = _window(y, kind if response is None else response.name)
        discrete = kind == "count"
        mean = f"mean({name})"
        plot = _predictive_collection({name: y, mean: y}, (11.0, 4.6))
        axes = plot.viz["plot"]
        note = _outside_note(replicated, low, high, "the observed range ± 50 %")
        _band_panel(
            axes[name].item(),
            y,
            replicated,
            _edges(low, high, discrete),
            density=not discrete,
            prob=prob,
            xlabel="\n".join([name, *textwrap.wrap(note, 60)]),
        )
        with np.errstate(over="ignore", invalid="ignore"):
            means = replicated.mean(axis=1)
        _statistic_panel(
            axes[mean].item(),
            float(y.mean()),
            means,
            xlabel=f"mean of each data set ({name})",
        )
    for panel, ax in plot.viz["plot"].to_dataset().data_vars.items():
        ax.item().set_title(str(panel))
    predictive = f"{what.lower()} predictive"
    statistic = (
        "mean"
        if kind in ("count", "continuous", "ordinal", "categorical")
        else "proportion of successes"
    )
    entries = [("observed", "-", "black")]
    if len(plot.viz["plot"].to_dataset().data_vars) > 1:
        entries += [
            (f"{predictive} median", "-", "C0"),
            (f"{100 * prob:g}% of {predictive} data sets", "band", "C0"),
        ]
        statistic = f"right: their {statistic}"
    entries.append((f"{predictive} data sets ({statistic})", "band", "0.55"))
    _legend(plot, entries, loc="lower")
    figure_of(plot).suptitle(f"{what} predictive check of {name}")
    return plot
