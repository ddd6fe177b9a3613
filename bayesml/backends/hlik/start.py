"""Starting values: an ordinary GLM of y on X, as R's ``hglm`` starts.

β₀ are the GLM's coefficients, φ₀ = 0.6 · deviance / residual df, λ₀ = 0.66 · φ₀ divided by the
number of random terms; a dispersion below 1e-4 starts at 0.1. The GLM is fitted by IWLS from R's
``family()$initialize`` starting means and stops as R's ``glm.fit`` does (relative change of the
deviance below 1e-8), with step halving when the deviance becomes infinite.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as la

from bayesml.backends.hlik.errors import DivergenceError
from bayesml.backends.hlik.rows import DataRows
from bayesml.errors import DataError

__all__ = ["StartingGLM", "fit_starting_glm", "starting_dispersions"]

_TOL = 1e-10
_MAX_ITER = 50
_MAX_HALVINGS = 30
_FLOOR = 1e-4
_FALLBACK = 0.1


@dataclass(frozen=True)
class StartingGLM:
    """The GLM without random effects: coefficients, deviance and residual degrees of freedom."""

    coef: np.ndarray
    deviance: float
    df_residual: int


def fit_starting_glm(rows: DataRows, X: np.ndarray) -> StartingGLM:
    """Fit the GLM of the data rows on ``X`` (with offsets and prior weights).

    Raises
    ------
    DivergenceError
        If the IWLS gives NaN.
    DataError
        If ``X`` is rank deficient.
    """
    link = rows.family.link
    eta = link.link(rows.family.initial_mean(rows.y, rows.prior_weights))
    mu = rows.mean(eta)
    deviance = float(np.sum(rows.deviances(mu)))
    coef = np.zeros(X.shape[1])
    unit_phi = np.ones_like(eta)
    for iteration in range(1, _MAX_ITER + 1):
        z = rows.working_response(eta)
        w = rows.weights(eta, unit_phi)
        if not (np.all(np.isfinite(z)) and np.all(np.isfinite(w))):
            raise DivergenceError(
                f"the starting GLM (no random effects) diverged (NaN) at its IWLS iteration {iteration}"
            )
        new = _weighted_least_squares(X, z, w)
        for _ in range(_MAX_HALVINGS):
            eta_new = X @ new + rows.offset
            deviance_new = float(np.sum(rows.deviances(rows.mean(eta_new))))
            if np.isfinite(deviance_new) or iteration == 1 and not coef.any():
                break
            new = (new + coef) / 2.0
        if not np.isfinite(deviance_new):
            raise DivergenceError(
                f"the starting GLM (no random effects) diverged (NaN) at its IWLS iteration {iteration}"
            )
        converged = abs(deviance_new - deviance) / (abs(deviance_new) + 0.1) < _TOL
        coef, eta, deviance = new, eta_new, deviance_new
        if converged:
            break
    df = int(np.sum(rows.prior_weights > 0)) - X.shape[1]
    return StartingGLM(coef, deviance, df)


def starting_dispersions(glm: StartingGLM, n_terms: int) -> tuple[float, float]:
    """(φ₀, λ₀ per random term): 0.6 · deviance/df and 0.66 · φ₀ / number of random terms."""
    phi = 0.6 * glm.deviance / glm.df_residual if glm.df_residual > 0 else _FALLBACK
    lam = 0.66 * phi / max(n_terms, 1)
    phi = phi if phi >= _FLOOR else _FALLBACK
    lam = lam if lam >= _FLOOR else _FALLBACK
    return phi, lam


def _weighted_least_squares(X: np.ndarray, z: np.ndarray, w: np.ndarray) -> np.ndarray:
    weighted = X * w[:, None]
    try:
        factor = la.cho_factor(X.T @ weighted, lower=True, check_finite=False)
    except la.LinAlgError as error:
        raise DataError(
            "the fixed-effects design matrix is rank deficient (X'WX is singular); drop "
            "collinear columns"
        ) from error
    return la.cho_solve(factor, weighted.T @ z, check_finite=False)
