"""The gamma GLMs that estimate the dispersions φ (data rows) and λ (each random block).

Given deviance components d_i and leverages h_i, the dispersion of a set of rows is fitted as a
gamma GLM of ``d_i / (1 − h_i)`` on the dispersion design, with prior weights ``(1 − h_i) / 2``
(Lee & Nelder's REML-type adjustment). The coefficients' standard errors are those of the gamma
GLM with its own dispersion fixed at 1, as R's ``hglm`` reports them (``summary(glm, dispersion
= 1)``). An intercept-only log-link model has the closed form ``φ = Σ d / Σ (1 − h)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as la

from bayesml.backends.hlik.errors import DivergenceError
from bayesml.backends.hlik.problem import DispersionModel
from bayesml.errors import DataError
from bayesml.families import Link

__all__ = ["GammaFit", "fit_gamma_glm"]

_MAX_ITER = 25
_TOL = 1e-8
_MAX_HALVINGS = 30


@dataclass(frozen=True)
class GammaFit:
    """A fitted dispersion model.

    Attributes
    ----------
    coef, se
        Coefficients on the link scale and their standard errors (gamma dispersion 1).
    fitted
        The fitted dispersion of each row.
    iterations
        IWLS iterations used (0 for the closed form).
    """

    coef: np.ndarray
    se: np.ndarray
    fitted: np.ndarray
    iterations: int


def fit_gamma_glm(
    deviances: np.ndarray, leverages: np.ndarray, model: DispersionModel, *, what: str
) -> GammaFit:
    """Fit a dispersion model to deviance components and leverages.

    Parameters
    ----------
    deviances
        Deviance components d_i (clamped at 1e-8 by the caller).
    leverages
        Leverages h_i (clamped below 1 − 1e-8 by the caller).
    model
        The dispersion model: design, link and labels.
    what
        ``"phi"`` or ``"lambda[<block>]"``: where a failure happened, for messages.

    Raises
    ------
    DivergenceError
        If the IWLS of the gamma GLM produces NaN.
    DataError
        If the dispersion design is rank deficient.
    """
    complement = 1.0 - leverages
    response = deviances / complement
    weights = complement / 2.0
    if model.is_intercept_only and model.link.name == "log":
        mean = float(np.sum(deviances) / np.sum(complement))
        se = np.array([np.sqrt(1.0 / np.sum(weights))])
        return GammaFit(np.array([np.log(mean)]), se, np.full(response.size, mean), 0)
    return _iwls(response, weights, model, what=what)


def _iwls(
    response: np.ndarray, weights: np.ndarray, model: DispersionModel, *, what: str
) -> GammaFit:
    link, X = model.link, model.design
    mu = response.copy()  # R's Gamma()$initialize: mustart = y
    eta = link.link(mu)
    deviance = _deviance(response, mu, weights)
    coef = np.zeros(X.shape[1])
    for iteration in range(1, _MAX_ITER + 1):
        dmu = link.dmu_deta(eta)
        z = eta + (response - mu) / dmu
        w = weights * dmu**2 / mu**2
        if not (np.all(np.isfinite(z)) and np.all(np.isfinite(w))):
            raise DivergenceError(
                f"the gamma GLM for {what} diverged (NaN) at its IWLS iteration {iteration}"
            )
        coef_new = _weighted_least_squares(X, z, w, what=what)
        eta_new, mu_new, deviance_new = _step(X, coef_new, coef, response, weights, link)
        if not np.isfinite(deviance_new):
            raise DivergenceError(
                f"the gamma GLM for {what} diverged (NaN) at its IWLS iteration {iteration}"
            )
        converged = abs(deviance_new - deviance) / (abs(deviance_new) + 0.1) < _TOL
        coef, eta, mu, deviance = coef_new, eta_new, mu_new, deviance_new
        if converged:
            break
    dmu = link.dmu_deta(eta)
    info = X.T @ ((weights * dmu**2 / mu**2)[:, None] * X)
    se = np.sqrt(np.diag(la.inv(info)))
    return GammaFit(coef, se, mu, iteration)


def _step(
    X: np.ndarray,
    coef_new: np.ndarray,
    coef_old: np.ndarray,
    response: np.ndarray,
    weights: np.ndarray,
    link: Link,
) -> tuple[np.ndarray, np.ndarray, float]:
    """The IWLS update, halved while it leaves the link's domain or raises the deviance to inf."""
    for _ in range(_MAX_HALVINGS):
        eta = X @ coef_new
        mu = link.inverse(eta)
        valid = (
            np.all(np.isfinite(mu))
            and np.all(mu > 0)
            and (link.name != "inverse" or np.all(eta > 0))
        )
        deviance = _deviance(response, mu, weights) if valid else np.inf
        if np.isfinite(deviance):
            return eta, mu, deviance
        coef_new = (coef_new + coef_old) / 2.0
    return eta, mu, np.nan


def _deviance(response: np.ndarray, mu: np.ndarray, weights: np.ndarray) -> float:
    return float(np.sum(weights * 2.0 * (-np.log(response / mu) + (response - mu) / mu)))


def _weighted_least_squares(
    X: np.ndarray, z: np.ndarray, w: np.ndarray, *, what: str
) -> np.ndarray:
    root = np.sqrt(w)
    solution, _, rank, _ = la.lstsq(X * root[:, None], z * root, check_finite=False)
    if rank < X.shape[1]:
        raise DataError(
            f"the design of the dispersion model for {what} is rank deficient "
            f"(rank {rank} < {X.shape[1]} columns); drop collinear columns"
        )
    return solution
