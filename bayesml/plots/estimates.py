"""A forest plot of estimates from several fits: a panel per kind of parameter, a row per
parameter, and per fit a marker at its estimate with its interval (matplotlib).

It draws any tidy table with the columns ``parameter``, ``kind``, ``result``, ``estimate``,
``lower`` and ``upper`` — :attr:`bayesml.workflows.compare.Comparison.tidy` is one.
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

__all__ = ["KIND_TITLES", "plot_estimates"]

#: kind of parameter -> panel title
KIND_TITLES: dict[str, str] = {
    "fixed": "Fixed effects",
    "sd": "Random-effect SDs",
    "corr": "Random-effect correlations",
    "family": "Family parameters",
    "random": "Random effects",
}

_REQUIRED = ("parameter", "kind", "result", "estimate", "lower", "upper")
_MARKERS = ("o", "s", "D", "^", "v", "P", "X")
_ROW_INCHES = 0.32


def _check_table(tidy: pd.DataFrame) -> None:
    missing = [column for column in _REQUIRED if column not in tidy.columns]
    if missing:
        raise ArgumentError(
            f"the estimates table needs the columns {list(_REQUIRED)}; missing {missing}"
        )


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


def _draw_panel(ax: Axes, rows: pd.DataFrame, results: list[str]) -> None:
    parameters = list(dict.fromkeys(rows["parameter"]))
    position = {name: i for i, name in enumerate(parameters)}
    spread = 0.6 / max(len(results), 1)
    for j, result in enumerate(results):
        part = rows[rows["result"] == result]
        y = (
            np.array([position[p] for p in part["parameter"]])
            + (j - (len(results) - 1) / 2) * spread
        )
        estimate = part["estimate"].to_numpy(dtype=float)
        lower, upper = part["lower"].to_numpy(dtype=float), part["upper"].to_numpy(dtype=float)
        color = f"C{j % 10}"
        ax.hlines(y, lower, upper, color=color, linewidth=1.5)
        ax.plot(estimate, y, _MARKERS[j % len(_MARKERS)], color=color, label=result)
    ax.set_yticks(range(len(parameters)), parameters)
    ax.set_ylim(len(parameters) - 0.5, -0.5)
    ax.grid(axis="x", alpha=0.3)


def plot_estimates(
    tidy: pd.DataFrame,
    *,
    kinds: Sequence[str] | None = None,
    figsize: tuple[float, float] | None = None,
    title: str | None = None,
) -> Figure:
    """Draw the estimates of several fits side by side and return the figure.

    Parameters
    ----------
    tidy
        One row per fit and parameter with the columns ``parameter``, ``kind``, ``result``,
        ``estimate``, ``lower``, ``upper`` (rows of NaN draw nothing but keep their place).
    kinds
        The kinds to draw (one panel each), in the table's order; default all.
    figsize
        Figure size in inches; by default 7 wide and tall enough for every row.
    title
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per kind, titled by :data:`KIND_TITLES`, with a legend naming the fits.

    Raises
    ------
    ArgumentError
        If a column is missing or ``kinds`` names a kind that is not in the table.
    MissingDependencyError
        If matplotlib is not installed.
    """
    # bayesml's tables (Comparison.tidy) name an interval's bounds ci_lower, ci_upper
    tidy = tidy.rename(columns={"ci_lower": "lower", "ci_upper": "upper"})
    _check_table(tidy)
    plt = require("matplotlib.pyplot", purpose="plotting estimates")
    chosen = _chosen_kinds(tidy, kinds)
    if not chosen:
        raise ArgumentError("the estimates table has no rows to draw")
    results = list(dict.fromkeys(tidy["result"]))
    heights = [tidy.loc[tidy["kind"] == kind, "parameter"].nunique() + 1 for kind in chosen]
    size = figsize or (7.0, 1.0 + _ROW_INCHES * sum(heights))
    figure, axes = plt.subplots(
        len(chosen), 1, figsize=size, layout="constrained", height_ratios=heights, squeeze=False
    )
    for ax, kind in zip(axes[:, 0], chosen, strict=True):
        _draw_panel(ax, tidy[tidy["kind"] == kind], results)
        ax.set_title(KIND_TITLES.get(kind, kind), loc="left", fontsize="medium")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside right upper", fontsize="small")
    if title:
        figure.suptitle(title)
    return figure
