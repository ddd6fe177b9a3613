"""Plots of a simulation-based calibration run (:func:`bayesml.sbc`): rank ECDF differences with
simultaneous bands (ArviZ's ``plot_ecdf_pit``) and rank histograms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from bayesml.errors import ArgumentError, ArgumentTypeError
from bayesml.plots._deps import require

__all__ = ["sbc", "sbc_tree"]

SBC_KINDS = ("ecdf_diff", "hist")
#: probability of the band around each histogram bin's expected count
HIST_BAND = 0.99


def sbc(
    result: Any,
    kind: str = "ecdf_diff",
    *,
    parameters: Sequence[str] | None = None,
    **kwargs: Any,
) -> Any:
    """Draw the ranks of a calibration run.

    Parameters
    ----------
    result
        The :class:`~bayesml.workflows.sbc_result.SBCResult` of :func:`bayesml.sbc`.
    kind
        ``"ecdf_diff"`` (default): per parameter, the ECDF of the (randomised) PIT values of the
        ranks minus the uniform CDF, drawn by ArviZ's ``arviz_plots.plot_ecdf_pit`` (the
        ``pot_c`` p-value, points that drive a rejection highlighted), with the simultaneous
        band of independent uniform values shaded grey (Säilynoja et al. 2022; probability
        ``envelope_prob``, ArviZ's ``stats.envelope_prob``, 0.99 by default). A correct sampler stays inside the band; a
        ∪-shape means posteriors too narrow (over-confident), a ∩-shape too wide, a curve
        above or below zero a biased posterior. ``"hist"``: a histogram of the PIT values per
        parameter (20 bins or fewer, at least about 5 simulations per bin) with the 99 % band of
        each bin's count under uniformity (grey).
    parameters
        Entries to draw (``result.parameters`` by default, e.g. ``["beta[x]", "sigma"]``).
    **kwargs
        Passed to ``arviz_plots.plot_ecdf_pit`` (``"ecdf_diff"``) or to
        ``matplotlib.pyplot.subplots`` (``"hist"``).

    Returns
    -------
    arviz_plots.PlotCollection or matplotlib.figure.Figure
        ``"ecdf_diff"``: ArviZ's collection (``bayesml.plots.figure_of(pc)`` gives the figure);
        ``"hist"``: the figure.

    Raises
    ------
    ArgumentError
        For an unknown ``kind`` or parameter, or a run without two successful fits.
    MissingDependencyError
        Without matplotlib / arviz-plots (the ``plot`` extra).
    """
    if kind not in SBC_KINDS:
        raise ArgumentError(f"kind must be one of {list(SBC_KINDS)}; got kind={kind!r}")
    chosen = _chosen(result, parameters)
    pit = result.pit()[chosen]
    if int(pit.notna().sum(axis=0).min()) < 2:
        raise ArgumentError(
            "a calibration plot needs at least 2 successful fits per parameter; "
            f"this run has {result.n_simulations - result.n_failed}"
        )
    if kind == "hist":
        return _histograms(pit, **kwargs)
    plots = require("arviz_plots", purpose="bayesml.plots.sbc")
    from arviz_base import rcParams

    tree = sbc_tree(result, chosen)
    kwargs.setdefault("col_wrap", min(4, len(chosen)))
    envelope_prob = kwargs.get("envelope_prob") or rcParams["stats.envelope_prob"]
    collection = plots.plot_ecdf_pit(tree, group="prior_sbc", **kwargs)
    if collection.backend == "matplotlib":
        _add_bands(collection, len(tree["prior_sbc"].draw), envelope_prob)
    return collection


def sbc_tree(result: Any, parameters: Sequence[str] | None = None) -> Any:
    """The PIT values as the ``prior_sbc`` group of a DataTree (one variable per entry, dims
    ``chain`` 1 × ``draw`` = simulations; failed fits left out), the form ArviZ's
    ``plot_ecdf_pit`` and simuk use."""
    import xarray as xr

    chosen = _chosen(result, parameters)
    pit = result.pit()[chosen].dropna(how="any")  # a failed fit has no rank at all
    dataset = xr.Dataset(
        {name: (("chain", "draw"), pit[name].to_numpy()[None, :]) for name in chosen}
    )
    return xr.DataTree.from_dict({"prior_sbc": dataset})


def _add_bands(collection: Any, n: int, prob: float) -> None:
    """Shade the simultaneous ``prob`` band of the ECDF difference of ``n`` independent uniform
    values (Säilynoja et al. 2022, by arviz-stats' simulation with a fixed seed) on every panel,
    and label the x axis of the bottom row only (ArviZ's label on every panel overlaps the titles
    of the row below)."""
    from arviz_stats.ecdf_utils import ecdf_pit

    x, _, lower, upper = ecdf_pit(
        np.linspace(0, 1, n), prob, n_simulations=1000, rng=np.random.default_rng(0)
    )
    figure = collection.viz["figure"].item()
    for ax in figure.axes:
        if not ax.get_visible():
            continue
        ax.fill_between(x, lower - x, upper - x, step="post", color="0.88", zorder=0, linewidth=0)
        spec = ax.get_subplotspec()
        ax.set_xlabel("PIT (rank)" if spec is None or spec.is_last_row() else "")


def _chosen(result: Any, parameters: Sequence[str] | None) -> list[str]:
    if parameters is None:
        return list(result.parameters)
    if isinstance(parameters, str):
        parameters = [parameters]
    if not isinstance(parameters, Sequence):
        raise ArgumentTypeError(f"parameters must be a list of names; got {parameters!r}")
    unknown = [name for name in parameters if name not in result.parameters]
    if unknown:
        raise ArgumentError(
            f"parameters: {unknown} are not checked by this run; it has {result.parameters}"
        )
    return list(parameters)


def _histograms(pit: Any, **kwargs: Any) -> Any:
    from scipy import stats

    plt = require("matplotlib.pyplot", purpose="bayesml.plots.sbc")
    names = list(pit.columns)
    n_cols = min(4, len(names))
    n_rows = int(np.ceil(len(names) / n_cols))
    kwargs.setdefault("figsize", (3.2 * n_cols, 2.4 * n_rows))
    kwargs.setdefault("squeeze", False)
    figure, axes = plt.subplots(n_rows, n_cols, **kwargs)
    for ax, name in zip(axes.flat, names, strict=False):
        values = pit[name].dropna().to_numpy()
        n = values.size
        bins = int(max(2, min(20, n // 5)))
        edges = np.linspace(0.0, 1.0, bins + 1)
        low = stats.binom.ppf((1 - HIST_BAND) / 2, n, 1 / bins)
        high = stats.binom.ppf(1 - (1 - HIST_BAND) / 2, n, 1 / bins)
        ax.axhspan(low, high, color="0.85", zorder=0)
        ax.axhline(n / bins, color="0.5", linewidth=0.8, zorder=1)
        ax.hist(values, bins=edges, color="C0", edgecolor="white", zorder=2)
        ax.set_title(name, fontsize=9)
        ax.set_xlim(0, 1)
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("rank / (L + 1)")
    for ax in axes[:, 0]:
        ax.set_ylabel("simulations")
    figure.tight_layout()
    return figure
