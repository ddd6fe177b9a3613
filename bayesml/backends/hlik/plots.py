"""R ``hglm``'s diagnostic plots of an h-likelihood fit (matplotlib, imported when called).

Four panels: deviance residuals against fitted values; leverages of all n + q rows by index with
the random-effect rows marked; and gamma QQ plots of the deviance components of the data rows and
of the random rows. The gamma reference is fitted by moments (shape mean²/var, scale var/mean),
as ``plot.hglm`` does, with deterministic plotting positions instead of R's random draws.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

from bayesml.errors import MissingDependencyError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from bayesml.backends.hlik.result import HlikResult

__all__ = ["plot_diagnostics"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise MissingDependencyError(
            "plotting an h-likelihood fit needs matplotlib; install it with "
            "`pip install bayesml[plot]`"
        ) from error
    return plt


def _gamma_qq(ax: Axes, deviances: np.ndarray, title: str) -> None:
    values = np.sort(deviances)
    mean, var = float(np.mean(values)), float(np.var(values, ddof=1)) if values.size > 1 else 0.0
    if var > 0 and mean > 0:
        shape, scale = mean**2 / var, var / mean
        positions = (np.arange(1, values.size + 1) - 0.5) / values.size
        quantiles = stats.gamma.ppf(positions, shape, scale=scale)
        ax.plot(quantiles, values, "+", color="C0")
        top = max(float(quantiles.max()), float(values.max()))
        ax.plot([0, top], [0, top], color="C3", linewidth=1)
    ax.set(title=title, xlabel="Gamma quantiles", ylabel="Deviance quantiles")


def plot_diagnostics(result: HlikResult) -> Figure:
    """Draw the diagnostics of ``result`` on a new 2 × 2 figure and return it.

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed.
    """
    plt = _pyplot()
    n = result.n_obs
    figure, axes = plt.subplots(2, 2, figsize=(10, 8), layout="constrained")
    residuals_ax, leverage_ax, data_qq, random_qq = axes.ravel()
    residuals_ax.plot(result.fitted, result.deviance_residuals(), "+", color="C0")
    residuals_ax.axhline(0.0, color="C3", linewidth=1)
    residuals_ax.set(title="Mean model", xlabel="Fitted values", ylabel="Deviance residuals")
    index = np.arange(1, result.leverage.size + 1)
    leverage_ax.plot(index[:n], result.leverage[:n], "+", color="C0", label="data rows")
    leverage_ax.plot(index[n:], result.leverage[n:], "x", color="C1", label="random-effect rows")
    leverage_ax.axvline(n + 0.5, color="grey", linestyle=":", linewidth=1)
    leverage_ax.set(title="Hat-values", xlabel="Index", ylabel="Leverage")
    leverage_ax.legend(loc="best", fontsize="small")
    _gamma_qq(data_qq, result.deviance[:n], "Mean model deviances")
    _gamma_qq(random_qq, result.deviance[n:], "Random-effect deviances")
    return figure
