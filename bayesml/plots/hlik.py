"""Diagnostic plots of an h-likelihood fit, after R's ``plot.hglm`` (matplotlib).

Panels, two per row:

1. standardised deviance residuals of the mean model against the fitted values;
2. their normal QQ plot;
3. one normal QQ plot of the random effects per λ-block (``"g"`` for ``(1 | g)``; ``"g|x"`` for the
   slope of ``(1 + x | g)``), each effect v divided by √λ of its block;
4. when φ has a dispersion model (``dispersion_formula``), the gamma deviance residuals of that
   model against its fitted φ.

The standardised residual of row i is sign(y − μ)·√(d_i / (φ_i (1 − h_i))) with d_i the deviance
component and h_i the leverage; the dispersion model is the gamma GLM of d_i / (1 − h_i) on the
dispersion design, so its residuals compare d_i / (1 − h_i) with φ_i.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import stats

from bayesml.errors import ArgumentTypeError
from bayesml.families import DEFAULT_RANDOM_FAMILY, Gamma, random_family_from_label
from bayesml.plots._deps import require

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from bayesml.backends.hlik import HlikResult

__all__ = [
    "dispersion_residuals",
    "hlik_diagnostics",
    "standardized_random_effects",
    "standardized_residuals",
]


def standardized_residuals(fit: HlikResult) -> np.ndarray:
    """sign(y − μ)·√(d / (φ (1 − h))) of the data rows."""
    n = fit.n_obs
    scale = fit.phi.values * (1.0 - fit.leverage[:n])
    return fit.deviance_residuals() / np.sqrt(scale)


def standardized_random_effects(fit: HlikResult) -> dict[str, np.ndarray]:
    """λ-block name -> its random effects v divided by √λ (N(0, 1) for Gaussian effects)."""
    return {
        name: fit.v[fit.random_blocks == name] / np.sqrt(estimate.values)
        for name, estimate in fit.lambda_.items()
    }


def dispersion_residuals(fit: HlikResult) -> tuple[np.ndarray, np.ndarray]:
    """(fitted φ, gamma deviance residuals of d / (1 − h) against φ) of the data rows."""
    n = fit.n_obs
    response = fit.deviance[:n] / (1.0 - fit.leverage[:n])
    return fit.phi.values, Gamma().deviance_residuals(response, fit.phi.values)


def _has_dispersion_model(fit: HlikResult) -> bool:
    return fit.phi.coef is not None and len(fit.phi.coef) > 1


def _normal_qq(ax: Axes, values: np.ndarray, title: str, ylabel: str) -> None:
    ordered = np.sort(values)
    positions = (np.arange(1, ordered.size + 1) - 0.5) / ordered.size
    quantiles = stats.norm.ppf(positions)
    ax.plot(quantiles, ordered, "o", markersize=3, color="C0")
    ends = np.array([quantiles.min(), quantiles.max()]) if ordered.size else np.array([-2.0, 2.0])
    ax.plot(ends, ends, color="C3", linewidth=1)
    ax.set(title=title, xlabel="Normal quantiles", ylabel=ylabel)


def _residuals_panel(ax: Axes, fit: HlikResult, residuals: np.ndarray) -> None:
    ax.plot(fit.fitted, residuals, "o", markersize=3, color="C0")
    ax.axhline(0.0, color="C3", linewidth=1)
    ax.set(title="Mean model", xlabel="Fitted values", ylabel="Standardised deviance residuals")


def _log_ticks(ax: Axes) -> None:
    """Readable ticks on a log x axis: a few per decade written as plain numbers (``0.03``,
    ``0.05``, ``0.1``) with no minor labels, which overlap when the axis spans about a decade
    (matplotlib then labels every minor tick in scientific notation)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    low, high = ax.get_xlim()
    decades = np.log10(high / low) if low > 0 else np.inf
    subs = (1.0, 2.0, 3.0, 5.0) if decades <= 1.2 else (1.0, 2.0, 5.0) if decades <= 3 else (1.0,)
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=subs))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


def _dispersion_panel(ax: Axes, fit: HlikResult) -> None:
    fitted, residuals = dispersion_residuals(fit)
    ax.plot(fitted, residuals, "o", markersize=3, color="C0")
    ax.axhline(0.0, color="C3", linewidth=1)
    ax.set_xscale("log")
    _log_ticks(ax)
    ax.set(title="Dispersion model", xlabel="Fitted phi (log scale)", ylabel="Deviance residuals")


def _block_title(fit: HlikResult, block: str) -> str:
    term = block.split("|")[0]
    family = random_family_from_label(fit.random_families.get(term, DEFAULT_RANDOM_FAMILY))
    suffix = "" if family.is_gaussian else f"; {family.label} effects: v = link(u)"
    return f"Random effects {block}{suffix}"


def hlik_diagnostics(fit: HlikResult, *, figsize: tuple[float, float] | None = None) -> Figure:
    """Draw the diagnostics of an h-likelihood fit and return the figure.

    Parameters
    ----------
    fit
        A result of ``Model.fit(method="hlik")`` or :func:`bayesml.hglm`.
    figsize
        Figure size in inches; default 10 wide, 4 per row of panels.

    Returns
    -------
    matplotlib.figure.Figure
        2 + (number of λ-blocks) + (1 with a dispersion model) axes, in the order of the module
        text.

    Raises
    ------
    ArgumentTypeError
        If ``fit`` is not an h-likelihood fit.
    MissingDependencyError
        If matplotlib is not installed (``pip install "bayesml[plot]"``).
    """
    _check_fit(fit)
    plt = require("matplotlib.pyplot", purpose="bayesml.plots.hlik_diagnostics")
    residuals = standardized_residuals(fit)
    effects = standardized_random_effects(fit)
    count = 2 + len(effects) + int(_has_dispersion_model(fit))
    rows = math.ceil(count / 2)
    figure, axes = plt.subplots(
        rows, 2, figsize=figsize or (10.0, 4.0 * rows), layout="constrained", squeeze=False
    )
    flat = list(axes.ravel())
    _residuals_panel(flat[0], fit, residuals)
    _normal_qq(flat[1], residuals, "Mean model residuals", "Standardised deviance residuals")
    for ax, (block, values) in zip(flat[2:], effects.items(), strict=False):
        _normal_qq(ax, values, _block_title(fit, block), "v / sqrt(lambda)")
    if _has_dispersion_model(fit):
        _dispersion_panel(flat[count - 1], fit)
    for ax in flat[count:]:
        figure.delaxes(ax)
    return figure


def _check_fit(fit: Any) -> None:
    from bayesml.backends.hlik import HlikResult

    if not isinstance(fit, HlikResult):
        raise ArgumentTypeError(
            "hlik_diagnostics needs an h-likelihood fit (HlikResult from Model.fit or "
            f"bayesml.hglm); got {type(fit).__name__}; for posteriors use bayesml.plots.trace, "
            "rank, posterior, ..."
        )
