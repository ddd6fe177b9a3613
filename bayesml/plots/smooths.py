"""Plots of what a model says about its covariates (matplotlib; each returns the figure).

:func:`smooths` — mgcv's ``plot.gam``: one panel per smooth term (per level of a factor ``by``),
the smooth's contribution to the linear predictor (centred, as mgcv's identifiability constraint
makes it) against its covariate with a pointwise band, a rug of the observed values, and the
smooth's effective degrees of freedom in the axis label; a smooth of two covariates
(``s(x, z)``, ``t2(x, z)``) as a filled contour over the two covariates with the data points.
The numbers are :func:`bayesml.results.smooths.smooth_curves` and
:func:`~bayesml.results.smooths.smooth_surfaces`.

:func:`conditional_effects` — brms' ``conditional_effects``: for each covariate (or interaction
``"x:f"``), the predicted response against it with every other covariate at a typical value
(numbers at their mean, factors at their first level), from :meth:`bayesml.Model.predict`; a line
and band for a number, points with error bars for a factor. Any model, with or without smooths.

A result does not carry its data, so both take the fitted model as ``model=``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from bayesml.errors import ArgumentError, ArgumentTypeError
from bayesml.plots._common import resolve_ci_prob, size_figure
from bayesml.plots._deps import require
from bayesml.results.smooths import (
    SmoothCurve,
    SmoothSurface,
    find_smooth,
    fitted_edf,
    smooth_curves,
    smooth_surfaces,
    typical_row,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from bayesml.model import Model

__all__ = ["conditional_effects", "smooths"]

#: grid points along each axis of a two-covariate smooth's panel at most
SURFACE_POINTS = 50
#: conditional_effects' kinds of prediction
EFFECT_KINDS = ("mean", "linear")
_BAND_ALPHA = 0.3
_COLUMNS = 3


# -- shared checks ---------------------------------------------------------------------------
def _check_model(model: Any, where: str) -> Model:
    if model is None:
        raise ArgumentError(
            f"{where} needs the fitted model: pass model= (the bayesml.Model that gave the "
            "result; a result does not carry its data), e.g. "
            f"{where}(result, model=model)"
        )
    if not all(hasattr(model, name) for name in ("design", "family", "predict", "data")):
        raise ArgumentTypeError(
            f"{where}: model must be the bayesml.Model that gave the result; got "
            f"{type(model).__name__}"
        )
    return model


def _is_point_fit(result: Any) -> bool:
    return hasattr(result, "point_estimates")


def _check_result(result: Any, where: str) -> None:
    import xarray as xr

    if not (_is_point_fit(result) or isinstance(result, xr.DataTree | xr.Dataset)):
        raise ArgumentTypeError(
            f"{where}: result must be a posterior (Model.sample) or a point fit (Model.fit); got "
            f"{type(result).__name__}"
        )


def _check_count(value: Any, name: str, where: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ArgumentError(f"{where}: {name} must be an integer ≥ {minimum}; got {value!r}")
    return int(value)


def _percent(ci_prob: float) -> str:
    return f"{100 * ci_prob:g}%"


def _band_label(ci_prob: float, point: bool) -> str:
    """``"94% interval"`` (posterior) or ``"95% CI (±1.96 SE)"`` (point fit)."""
    if not point:
        return f"{_percent(ci_prob)} interval"
    z = float(stats.norm.ppf(0.5 + ci_prob / 2.0))
    return f"{_percent(ci_prob)} CI (±{z:.2f} SE)"


def _grid_figure(plt: Any, count: int, figsize: tuple[float, float] | None, **sizes: float):
    columns = min(_COLUMNS, count)
    rows = math.ceil(count / columns)
    figure, axes = plt.subplots(rows, columns, squeeze=False)
    flat = list(axes.ravel())
    for ax in flat[count:]:
        figure.delaxes(ax)
    if figsize is None:
        size_figure(figure, **sizes)
    else:
        figure.set_size_inches(*figsize)
        figure.set_layout_engine("constrained")
    return figure, flat[:count]


# -- smooths -----------------------------------------------------------------------------------
def smooths(
    result: Any,
    *,
    model: Model | None = None,
    smooth: str | None = None,
    ci_prob: float | None = 0.94,
    n_points: int = 100,
    rug: bool = True,
    draws: int = 0,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Draw each smooth term of a fitted model (mgcv's ``plot.gam``) and return the figure.

    Each panel has its own y scale: the smooth's contribution to the linear predictor (link
    scale), centred over the data as mgcv's constraint makes it, with the other covariates out
    of it. The line is the posterior mean (a posterior) or the estimate (a point fit); the band
    is the pointwise ``ci_prob`` interval — posterior quantiles, or ± z·SE from the smooth's
    Bayesian covariance (mgcv's ``Vp``, what gamm4 and ``plot.gam`` use) for a point fit. The y
    label gives the smooth's effective degrees of freedom (mgcv's ``edf``). A smooth with a
    factor ``by`` gets a panel per level; a smooth of two covariates a filled contour of its
    value over their fitted ranges with the data points on it.

    Parameters
    ----------
    result
        A posterior (``Model.sample``) or a point fit (``Model.fit(method="hlik")`` or
        ``"laplace"``).
    model
        The fitted :class:`bayesml.Model` (required: a result does not carry its data).
    smooth
        The label of one smooth (``"s(x0)"``, ``"t2(x,z)"``); all of them when None.
    ci_prob
        Probability of the band, in (0, 1).
    n_points
        Grid points along the covariate (along each axis of a two-covariate smooth, at most
        50).
    rug
        Mark the observed covariate values along the x axis (the values of the level, for a
        factor ``by``).
    draws
        Overlay this many posterior curves (evenly spaced over the draws); posteriors only.
    figsize
        Figure size in inches; default from the number of panels, three per row.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ArgumentError
        Without ``model``, for a ``smooth`` the model does not have (listing its smooths), a model
        without smooths, ``draws`` with a point fit, or a bad ``ci_prob``/``n_points``/``draws``.
    ArgumentTypeError
        If ``model`` is not a Model or ``result`` not a fit.
    MissingDependencyError
        If matplotlib is not installed (``pip install "bayesml[plot]"``).
    """
    where = "bayesml.plots.smooths"
    model = _check_model(model, where)
    _check_result(result, where)
    ci = resolve_ci_prob(ci_prob, where=where)
    n_points = _check_count(n_points, "n_points", where, minimum=2)
    draws = _check_count(draws, "draws", where, minimum=0)
    point = _is_point_fit(result)
    if draws and point:
        raise ArgumentError(
            f"{where}: draws={draws} overlays posterior curves, and this is a point fit "
            f"({type(result).__name__}); use draws=0, or a posterior (Model.sample)"
        )
    design, family = model.design, model.family
    chosen = find_smooth(design, smooth)
    plt = require("matplotlib.pyplot", purpose=where)
    edf = fitted_edf(design, family, result)
    panels: list[SmoothCurve | SmoothSurface] = []
    for fitted in chosen:
        if len(fitted.term.covariates) >= 2:
            panels += smooth_surfaces(
                design,
                family,
                result,
                smooth=fitted.label,
                ci_prob=ci,
                n_points=min(n_points, SURFACE_POINTS),
            )
        else:
            panels += smooth_curves(
                design, family, result, smooth=fitted.label, ci_prob=ci, n_points=n_points
            )
    owners = {name: fitted for fitted in chosen for name in (fitted.label, *fitted.block_names)}
    figure, axes = _grid_figure(plt, len(panels), figsize, panel_width=4.2, panel_height=3.3)
    band = _band_label(ci, point)
    for ax, panel in zip(axes, panels, strict=True):
        fitted = owners[panel.label]
        title = _edf_label(panel.label, edf)
        if isinstance(panel, SmoothSurface):
            _surface_panel(figure, ax, panel, fitted, title)
        else:
            _curve_panel(ax, panel, fitted, title, band, rug=rug, draws=draws)
    if not isinstance(panels[0], SmoothSurface):
        axes[0].legend(loc="best", fontsize="small", frameon=False)
    return figure


def _edf_label(label: str, edf: dict[str, float]) -> str:
    return f"{label}, edf {edf[label]:.2f}" if label in edf else label


def _observed(fitted: Any, grid: pd.DataFrame) -> pd.DataFrame:
    """The fitted rows of the smooth's data (those of the grid's level for a factor ``by``)."""
    data = fitted.context.data
    by = fitted.term.by
    if by is None or by not in grid.columns:
        return data
    level = grid[by].iloc[0]
    if pd.api.types.is_numeric_dtype(data[by]) and not isinstance(
        data[by].dtype, pd.CategoricalDtype
    ):
        return data
    return data[data[by].astype(str) == str(level)]


def _curve_panel(
    ax: Axes, curve: SmoothCurve, fitted: Any, ylabel: str, band: str, *, rug: bool, draws: int
) -> None:
    covariate = fitted.term.covariates[0]
    ax.fill_between(
        curve.x, curve.lower, curve.upper, color="C0", alpha=_BAND_ALPHA, linewidth=0, label=band
    )
    if draws and curve.draws is not None:
        picks = np.unique(np.linspace(0, curve.draws.shape[0] - 1, draws).round().astype(int))
        for i, index in enumerate(picks):
            ax.plot(
                curve.x,
                curve.draws[index],
                color="C1",
                linewidth=0.5,
                alpha=0.5,
                label="posterior draws" if i == 0 else None,
            )
    mean = "estimate" if curve.draws is None else "posterior mean"
    ax.plot(curve.x, curve.estimate, color="C0", linewidth=1.8, label=mean)
    ax.axhline(0.0, color="0.5", linewidth=0.6, linestyle=":")
    if rug:
        values = _observed(fitted, curve.grid)[covariate].to_numpy(dtype=float)
        ax.vlines(
            values,
            0.0,
            0.04,
            transform=ax.get_xaxis_transform(),
            color="0.15",
            linewidth=0.6,
            alpha=0.6,
        )
    ax.set(xlabel=covariate, ylabel=ylabel)
    if fitted.term.by is not None:
        ax.set_title(curve.label, fontsize="medium")


def _surface_panel(figure: Figure, ax: Axes, surface: SmoothSurface, fitted: Any, label: str):
    from matplotlib.colors import TwoSlopeNorm

    reach = float(np.nanmax(np.abs(surface.estimate))) or 1.0
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-reach, vmax=reach)
    filled = ax.contourf(
        surface.x, surface.z, surface.estimate, levels=15, cmap="RdBu_r", norm=norm
    )
    lines = ax.contour(
        surface.x, surface.z, surface.estimate, levels=8, colors="0.2", linewidths=0.5
    )
    ax.clabel(lines, fontsize="x-small", fmt="%.2g")
    observed = _observed(fitted, surface.grid)
    ax.plot(
        observed[surface.covariates[0]],
        observed[surface.covariates[1]],
        ".",
        color="k",
        markersize=2,
        alpha=0.5,
    )
    figure.colorbar(filled, ax=ax, pad=0.02)
    ax.set(xlabel=surface.covariates[0], ylabel=surface.covariates[1])
    ax.set_title(label, fontsize="medium")


# -- conditional effects -----------------------------------------------------------------------
def conditional_effects(
    result: Any,
    *,
    model: Model | None = None,
    effects: Sequence[str] | str | None = None,
    ci_prob: float | None = 0.94,
    n_points: int = 100,
    kind: str = "mean",
    include_random_effects: bool = False,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Draw the predicted response against each covariate, others held at typical values
    (brms' ``conditional_effects``), and return the figure.

    For each effect, a grid varies its covariate — a number over its observed range, a factor
    over its levels — with every other covariate at a typical value (numbers at their mean,
    factors and grouping factors at their first level, as brms), and :meth:`bayesml.Model.predict`
    gives the prediction: the posterior mean with the ``ci_prob`` quantile interval, or a point
    fit's estimate with its ``ci_prob`` Wald interval (of η, transformed to the mean scale, as
    emmeans). A number gets a line with a band and the data points (for ``kind="mean"``, or the
    linear predictor of an identity link); a factor gets points with error bars. An interaction
    ``"x:f"`` draws one line (or set of points) per level of ``f``; a number in the second place
    takes its mean and mean ± one SD (brms).

    Population-level by default (``include_random_effects=False``: random effects at 0, lme4's
    ``re.form = NA``); a smooth's curve is part of the population-level prediction.

    Parameters
    ----------
    result
        A posterior (``Model.sample``) or a point fit (``Model.fit``).
    model
        The fitted :class:`bayesml.Model` (required: a result does not carry its data).
    effects
        Covariates (``"x"``) or two-way interactions (``"x:f"``) to show; by default each
        covariate of the model's population-level terms and smooths, then each two-way
        interaction term of the formula (brms' default).
    ci_prob
        Probability of the band, in (0, 1).
    n_points
        Grid points along a numeric covariate.
    kind
        ``"mean"`` (E y, the response scale) or ``"linear"`` (the linear predictor η).
    include_random_effects
        ``True`` predicts for the first level of each grouping factor instead of a typical group.
    figsize
        Figure size in inches; default from the number of panels, three per row.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per effect.

    Raises
    ------
    ArgumentError
        Without ``model``, for an effect that is not a covariate of the model (listing them), an
        unknown ``kind``, a model whose prediction has categories (use ``kind="linear"``), or a
        bad ``ci_prob``/``n_points``.
    ArgumentTypeError
        If ``model`` is not a Model, ``result`` not a fit, or ``effects`` not strings.
    MissingDependencyError
        If matplotlib is not installed (``pip install "bayesml[plot]"``).
    """
    where = "bayesml.plots.conditional_effects"
    model = _check_model(model, where)
    _check_result(result, where)
    ci = resolve_ci_prob(ci_prob, where=where)
    n_points = _check_count(n_points, "n_points", where, minimum=2)
    if kind not in EFFECT_KINDS:
        raise ArgumentError(f"{where}: kind must be one of {list(EFFECT_KINDS)}; got {kind!r}")
    if not isinstance(include_random_effects, bool):
        raise ArgumentTypeError(
            f"{where}: include_random_effects must be True or False; got {include_random_effects!r}"
        )
    data = _fitted_rows(model)
    available = model_covariates(model)
    chosen = _chosen_effects(effects, available, model, where)
    plt = require("matplotlib.pyplot", purpose=where)
    figure, axes = _grid_figure(plt, len(chosen), figsize, panel_width=4.2, panel_height=3.3)
    point = _is_point_fit(result)
    band = f"{_percent(ci)} {'CI (Wald)' if point else 'interval'}"
    ylabel = _response_label(model, kind)
    base = typical_row(model.design, data)
    for ax, effect in zip(axes, chosen, strict=True):
        names = effect.split(":")
        grid, groups = _effect_grid(data, base, names, n_points)
        estimate, lower, upper = _predict(
            model, result, grid, kind, include_random_effects, ci, where
        )
        _effect_panel(ax, model, data, grid, groups, names, (estimate, lower, upper), kind, band)
        ax.set(xlabel=names[0], ylabel=ylabel)
        ax.set_title(effect, fontsize="medium")
    return figure


def model_covariates(model: Model) -> list[str]:
    """The covariates of a model's population-level terms and smooths, in formula order:
    data columns read by its fixed terms, smooth covariates and ``by`` variables, and its
    random terms' slopes — not the response, grouping factors or offsets."""
    from bayesml.design.expressions import expression_columns

    parsed = model.design.formula
    texts = [factor for term in parsed.terms for factor in term.factors]
    columns = [c for text in texts for c in expression_columns(text)]
    for smooth in parsed.smooth_terms:
        columns += [c for text in smooth.covariates for c in expression_columns(text)]
        columns += [smooth.by] if smooth.by is not None else []
    for random in parsed.random_terms:
        columns += [c for term in random.terms for f in term.factors for c in expression_columns(f)]
    response = {c for text in parsed.response.expressions for c in expression_columns(text)}
    groups = {name for random in parsed.random_terms for name in random.group}
    chosen = [c for c in dict.fromkeys(columns) if c not in response | groups]
    # in the order the formula as written names them (fixed terms and smooths are kept apart)
    right = parsed.text.split("~", 1)[-1]

    def place(column: str) -> int:
        found = re.search(rf"(?<![\w.]){re.escape(column)}(?![\w.])", right)
        return found.start() if found else len(right)

    return sorted(chosen, key=place)


def _default_effects(model: Model, available: list[str]) -> list[str]:
    from bayesml.design.expressions import expression_columns

    effects = list(available)
    for term in model.design.formula.terms:
        if len(term.factors) != 2:
            continue
        pair = [expression_columns(factor) for factor in term.factors]
        if all(len(columns) == 1 and columns[0] in available for columns in pair):
            effects.append(f"{pair[0][0]}:{pair[1][0]}")
    return list(dict.fromkeys(effects))


def _chosen_effects(effects: Any, available: list[str], model: Model, where: str) -> list[str]:
    if not available:
        raise ArgumentError(f"{where}: the model has no covariates to show (an intercept only)")
    if effects is None:
        return _default_effects(model, available)
    if isinstance(effects, str):
        effects = [effects]
    if not all(isinstance(effect, str) for effect in effects) or not effects:
        raise ArgumentTypeError(
            f"{where}: effects must be a covariate name or a list of them (``'x'``, ``'x:f'``); "
            f"got {effects!r}"
        )
    for effect in effects:
        names = [name.strip() for name in effect.split(":")]
        unknown = [name for name in names if name not in available]
        if unknown or len(names) > 2 or len(set(names)) != len(names):
            raise ArgumentError(
                f"{where}: effects must name covariates of the model ({', '.join(available)}) or "
                f"two-way interactions of them ('{available[0]}:...'); got {effect!r}"
            )
    return [":".join(name.strip() for name in effect.split(":")) for effect in effects]


def _fitted_rows(model: Model) -> pd.DataFrame:
    data = model.data
    labels = model.design.row_labels
    return data.loc[labels] if len(labels) != len(data) else data


def _is_numeric(series: pd.Series) -> bool:
    return (
        pd.api.types.is_numeric_dtype(series)
        and not pd.api.types.is_bool_dtype(series)
        and not isinstance(series.dtype, pd.CategoricalDtype)
    )


def _levels(series: pd.Series) -> list[Any]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return list(series.cat.categories)
    return sorted(series.dropna().unique().tolist(), key=str)


def _effect_grid(
    data: pd.DataFrame, base: dict[str, object], names: list[str], n_points: int
) -> tuple[pd.DataFrame, list[tuple[str | None, np.ndarray]]]:
    """The grid of an effect, and for each line (a level of the second covariate, or one line)
    its label and the grid rows it holds."""
    first = data[names[0]]
    values = (
        np.linspace(float(first.min()), float(first.max()), n_points)
        if _is_numeric(first)
        else _levels(first)
    )
    if len(names) == 1:
        seconds: list[Any] = [None]
    elif _is_numeric(data[names[1]]):
        mean, sd = float(data[names[1]].mean()), float(data[names[1]].std())
        seconds = [mean - sd, mean, mean + sd]
    else:
        seconds = _levels(data[names[1]])
    frames, groups, start = [], [], 0
    for second in seconds:
        frame = pd.DataFrame([base] * len(values), columns=list(data.columns))
        frame[names[0]] = values
        label = None
        if second is not None:
            frame[names[1]] = second
            shown = f"{second:.3g}" if isinstance(second, float) else str(second)
            label = f"{names[1]} = {shown}"
        frames.append(frame)
        groups.append((label, np.arange(start, start + len(values))))
        start += len(values)
    grid = pd.concat(frames, ignore_index=True)
    for column in data.columns:
        if isinstance(data[column].dtype, pd.CategoricalDtype):
            grid[column] = pd.Categorical(grid[column], categories=data[column].cat.categories)
    return grid, groups


def _predict(model, result, grid, kind, include_random_effects, ci, where):
    """(estimate, lower, upper) of ``model.predict`` on the grid at interval probability ci."""
    if not _is_point_fit(result):
        draws = model.predict(
            result, grid, kind=kind, include_random_effects=include_random_effects
        )
        extra = [dim for dim in draws.dims if dim not in ("chain", "draw", "obs")]
        if extra:
            raise ArgumentError(
                f"{where}: the {kind} prediction of this model has the dimension(s) {extra} "
                "(categories); draw kind='linear'"
            )
        values = draws.transpose("chain", "draw", "obs").values.reshape(-1, len(grid))
        tail = (1.0 - ci) / 2.0
        lower, upper = np.quantile(values, [tail, 1.0 - tail], axis=0)
        return values.mean(axis=0), lower, upper
    z = float(stats.norm.ppf(0.5 + ci / 2.0))
    linear = model.predict(
        result, grid, kind="linear", include_random_effects=include_random_effects
    )
    eta, se = linear["estimate"].to_numpy(float), linear["se"].to_numpy(float)
    if kind == "linear":
        return eta, eta - z * se, eta + z * se
    mean = model.predict(result, grid, kind="mean", include_random_effects=include_random_effects)
    family = model.family
    params = dict(result.point_estimates().family_parameters)

    def mean_of(values: np.ndarray) -> np.ndarray:
        return np.asarray(family.expected_response(family.mu_from_eta(values), params), float)

    ends = np.stack([mean_of(eta - z * se), mean_of(eta + z * se)])
    return mean["estimate"].to_numpy(float), ends.min(axis=0), ends.max(axis=0)


def _response_label(model: Model, kind: str) -> str:
    name = model.design.observed_name
    if kind == "linear":
        return f"linear predictor ({model.family.link.name} link)"
    return f"E({name})"


def _observed_response(model: Model, kind: str) -> np.ndarray | None:
    """The response on the scale of the prediction, or None where it is not on it."""
    response = model.design.response
    if response.levels is not None or np.ndim(response.y) != 1:
        return None
    if kind == "linear" and model.family.link.name != "identity":
        return None
    y = np.asarray(response.y, dtype=float)
    if response.trials is not None:
        return y / np.asarray(response.trials, dtype=float)
    return y


def _effect_panel(ax, model, data, grid, groups, names, numbers, kind, band) -> None:
    estimate, lower, upper = numbers
    first = data[names[0]]
    several = len(groups) > 1
    if _is_numeric(first):
        observed = _observed_response(model, kind)
        if observed is not None:
            ax.plot(first.to_numpy(float), observed, ".", color="0.45", markersize=3, alpha=0.5)
        x = grid[names[0]].to_numpy(float)
        for i, (label, rows) in enumerate(groups):
            color = f"C{i}"
            ax.fill_between(
                x[rows],
                lower[rows],
                upper[rows],
                color=color,
                alpha=0.2 if several else _BAND_ALPHA,
                linewidth=0,
                label=None if several else band,
            )
            ax.plot(x[rows], estimate[rows], color=color, linewidth=1.8, label=label)
    else:
        levels = _levels(first)
        width = 0.6 / len(groups) if several else 0.0
        for i, (label, rows) in enumerate(groups):
            positions = np.arange(len(levels)) + (i - (len(groups) - 1) / 2) * width
            ax.errorbar(
                positions,
                estimate[rows],
                yerr=np.vstack([estimate[rows] - lower[rows], upper[rows] - estimate[rows]]),
                fmt="o",
                color=f"C{i}",
                capsize=3,
                label=label if several else band,
            )
        ax.set_xticks(np.arange(len(levels)), [str(level) for level in levels])
        if len(levels) > 6:
            ax.tick_params(axis="x", labelrotation=45)
    ax.legend(
        loc="best",
        fontsize="small",
        frameon=False,
        title=band if several else None,
        title_fontsize="small",
    )
