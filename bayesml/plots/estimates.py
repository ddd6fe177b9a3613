"""A forest plot of estimates from one or several sources: a row per parameter, and per source
(a fit, a chain, a prior configuration) a marker at its estimate with its interval (matplotlib).

Parameters are grouped in panels by kind (fixed effects, SDs, correlations, family parameters,
random effects), and a kind's panel is split where its parameters' scales differ, so that each
panel has an x axis on which every interval can be read: sleepstudy's ``beta[Intercept]`` (about
250) and ``beta[Days]`` (about 10) get a panel each, while coefficients of similar size share one.
A legend beside the panels names the sources.

It draws any tidy table with the columns ``parameter``, ``kind``, ``result``, ``estimate``,
``ci_lower`` and ``ci_upper`` — :attr:`bayesml.workflows.compare.Comparison.tidy` is one, and
:func:`bayesml.plots.forest` and ``SensitivityResult.plot`` build theirs from posteriors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from bayesml.errors import ArgumentError
from bayesml.plots._deps import require

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["KIND_TITLES", "SCALE_RATIO", "plot_estimates", "scale_groups"]

#: kind of parameter -> panel title
KIND_TITLES: dict[str, str] = {
    "fixed": "Fixed effects",
    "sd": "Random-effect SDs",
    "corr": "Random-effect correlations",
    "family": "Family parameters",
    "random": "Random effects",
    "other": "Other quantities",
}

#: parameters share a panel while the panel's span is at most this many times the narrowest
#: interval in it
SCALE_RATIO = 10.0

_REQUIRED = ("parameter", "kind", "result", "estimate", "ci_lower", "ci_upper")
#: the former names of the interval columns, still read
_FORMER = {"lower": "ci_lower", "upper": "ci_upper"}
_MARKERS = ("o", "s", "D", "^", "v", "P", "X")
_ROW_INCHES = 0.3
_PANEL_INCHES = 0.75  # title and x tick labels of a panel


def _checked_table(tidy: pd.DataFrame) -> pd.DataFrame:
    """``tidy`` with the interval columns named ``ci_lower``/``ci_upper``, or ArgumentError."""
    former = {old: new for old, new in _FORMER.items() if new not in tidy.columns}
    if former and all(old in tidy.columns for old in former):
        tidy = tidy.rename(columns=former)
    missing = [column for column in _REQUIRED if column not in tidy.columns]
    if missing:
        raise ArgumentError(
            f"the estimates table needs the columns {list(_REQUIRED)}; missing {missing}"
        )
    return tidy


def _chosen_kinds(tidy: pd.DataFrame, kinds: Sequence[str] | None) -> list[str]:
    present = list(dict.fromkeys(tidy["kind"]))
    if kinds is None:
        return present
    unknown = [kind for kind in kinds if kind not in present]
    if isinstance(kinds, str) or unknown:
        raise ArgumentError(
            f"kinds must be a list of kinds in the table, from {present}; got {kinds!r}"
        )
    return [kind for kind in present if kind in kinds]


def scale_groups(
    lower: Sequence[float], upper: Sequence[float], *, ratio: float = SCALE_RATIO
) -> list[list[int]]:
    """Split consecutive parameters into runs that can share an x axis.

    A run grows while the span of its intervals (largest upper minus smallest lower) is at most
    ``ratio`` times its narrowest interval, so that no interval in a panel shrinks to a dot;
    parameters keep their order. A parameter without a finite interval joins the current run.

    Parameters
    ----------
    lower, upper
        Each parameter's interval (over all sources: the smallest lower and largest upper).
    ratio
        Largest span / narrowest width in one run.

    Returns
    -------
    list of list of int
        The positions of the parameters of each run.
    """
    groups: list[list[int]] = []
    low = high = narrowest = np.nan
    for i, (lo, hi) in enumerate(zip(lower, upper, strict=True)):
        if not (np.isfinite(lo) and np.isfinite(hi)):
            if groups:
                groups[-1].append(i)
            else:
                groups.append([i])
            continue
        width = hi - lo
        if groups and np.isfinite(low):
            new_low, new_high = min(low, lo), max(high, hi)
            new_narrowest = min(narrowest, width)
            if new_high - new_low <= ratio * new_narrowest:
                groups[-1].append(i)
                low, high, narrowest = new_low, new_high, new_narrowest
                continue
        if groups and not np.isfinite(low):
            groups[-1].append(i)  # the run so far holds only parameters without intervals
        else:
            groups.append([i])
        low, high, narrowest = lo, hi, width
    return groups


def _panels(tidy: pd.DataFrame, kinds: list[str], ratio: float) -> list[tuple[str, list[str]]]:
    """(kind, parameters) of each panel, kinds in order, each kind split by scale."""
    panels = []
    for kind in kinds:
        rows = tidy[tidy["kind"] == kind]
        parameters = list(dict.fromkeys(rows["parameter"]))
        by_parameter = rows.groupby("parameter", sort=False)
        lower = by_parameter["ci_lower"].min().reindex(parameters).to_numpy(dtype=float)
        upper = by_parameter["ci_upper"].max().reindex(parameters).to_numpy(dtype=float)
        estimate = rows.groupby("parameter", sort=False)["estimate"]
        lower = np.where(np.isfinite(lower), lower, estimate.min().reindex(parameters))
        upper = np.where(np.isfinite(upper), upper, estimate.max().reindex(parameters))
        for group in scale_groups(lower, upper, ratio=ratio):
            panels.append((kind, [parameters[i] for i in group]))
    return panels


def _draw_panel(ax: Axes, rows: pd.DataFrame, parameters: list[str], results: list[str]) -> None:
    position = {name: i for i, name in enumerate(parameters)}
    spread = 0.6 / max(len(results), 1)
    for j, result in enumerate(results):
        part = rows[(rows["result"] == result) & rows["parameter"].isin(position)]
        y = (
            np.array([position[p] for p in part["parameter"]], dtype=float)
            + (j - (len(results) - 1) / 2) * spread
        )
        estimate = part["estimate"].to_numpy(dtype=float)
        lower = part["ci_lower"].to_numpy(dtype=float)
        upper = part["ci_upper"].to_numpy(dtype=float)
        color = f"C{j % 10}"
        ax.hlines(y, lower, upper, color=color, linewidth=1.5)
        ax.plot(estimate, y, _MARKERS[j % len(_MARKERS)], color=color, label=result)
    ax.set_yticks(range(len(parameters)), parameters)
    ax.set_ylim(len(parameters) - 0.5, -0.5)
    ax.grid(axis="x", alpha=0.3)
    ax.margins(x=0.08)


def plot_estimates(
    tidy: pd.DataFrame,
    *,
    kinds: Sequence[str] | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
    legend_title: str | None = None,
    scale_ratio: float = SCALE_RATIO,
) -> Figure:
    """Draw the estimates of one or several sources side by side and return the figure.

    Parameters
    ----------
    tidy
        One row per source and parameter with the columns ``parameter``, ``kind``, ``result``
        (the source: a fit, a chain, a configuration), ``estimate``, ``ci_lower``, ``ci_upper``
        (the former names ``lower``, ``upper`` are read too; rows of NaN draw nothing but keep
        their place). Labels are drawn as given
        (``sd_Subject[Days]``).
    kinds
        The kinds to draw, in the table's order; default all.
    figsize
        Figure size in inches; by default 7 wide and tall enough for every row.
    title
        Figure title.
    legend_title
        Title of the legend of the sources (drawn when there are two or more).
    scale_ratio
        A panel is split where the span of its intervals would exceed this many times its
        narrowest interval (see :func:`scale_groups`); ``float("inf")`` keeps one panel per kind.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per panel; the first panel of each kind is titled by :data:`KIND_TITLES`
        (continuation panels of a kind split by scale have no title). With two or more sources
        a legend right of the panels names them.

    Raises
    ------
    ArgumentError
        If a column is missing or ``kinds`` names a kind that is not in the table.
    MissingDependencyError
        If matplotlib is not installed.
    """
    tidy = _checked_table(tidy)
    plt = require("matplotlib.pyplot", purpose="plotting estimates")
    chosen = _chosen_kinds(tidy, kinds)
    if not chosen:
        raise ArgumentError("the estimates table has no rows to draw")
    results = list(dict.fromkeys(tidy["result"]))
    panels = _panels(tidy, chosen, scale_ratio)
    heights = [len(parameters) + _PANEL_INCHES / _ROW_INCHES for _, parameters in panels]
    legend = len(results) > 1
    width = 7.0 + (1.0 + 0.06 * max(map(len, map(str, results)))) * legend
    size = figsize or (width, 0.3 + 0.5 * bool(title) + _ROW_INCHES * sum(heights))
    figure, axes = plt.subplots(
        len(panels), 1, figsize=size, layout="constrained", height_ratios=heights, squeeze=False
    )
    previous = None
    for ax, (kind, parameters) in zip(axes[:, 0], panels, strict=True):
        _draw_panel(ax, tidy[tidy["kind"] == kind], parameters, results)
        if kind != previous:
            ax.set_title(KIND_TITLES.get(kind, kind), loc="left", fontsize="medium")
        previous = kind
    if legend:
        handles, labels = axes[0, 0].get_legend_handles_labels()
        figure.legend(
            handles,
            labels,
            loc="outside right upper",
            fontsize="small",
            title=legend_title,
            title_fontsize="small",
            frameon=False,
        )
    if title:
        figure.suptitle(title)
    return figure
