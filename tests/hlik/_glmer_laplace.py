"""glmer's Laplace fit of a logit-binomial model with one random intercept, computed
independently of bayesml (numpy/scipy only), as the reference for the SEs of an h-likelihood fit.

lme4's ``glmer(..., nAGQ = 1)`` maximises the Laplace approximation of the marginal likelihood
over (β, σ); with one random intercept the integral factorises over the levels, each a
one-dimensional Laplace approximation at the mode of its effect (found by Newton's method, lme4's
PIRLS). Its standard errors (``vcov``, ``use.hessian = TRUE``) are those of the inverse of the
Hessian of −log L over (β, σ), here by central finite differences.

The tests check this code against lme4's published numbers (bacteria in references.md; cbpp in
``tests/hlik/test_fit_defaults.py``) before they use it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special


@dataclass(frozen=True)
class LaplaceFit:
    """β, their Hessian-based SEs, the random-intercept variance σ² and the log-likelihood."""

    beta: np.ndarray
    se: np.ndarray
    variance: float
    loglik: float


def _loglik(
    beta: np.ndarray, sigma: float, X: np.ndarray, y: np.ndarray, n: np.ndarray, g: np.ndarray
) -> float:
    levels = int(g.max()) + 1
    offset = X @ beta
    u = np.zeros(levels)
    for _ in range(200):  # Newton's method for the mode of each level's effect
        p = special.expit(offset + u[g])
        gradient = np.bincount(g, y - n * p, levels) - u / sigma**2
        curvature = np.bincount(g, n * p * (1 - p), levels) + 1 / sigma**2
        step = gradient / curvature
        u += step
        if np.max(np.abs(step)) < 1e-13:
            break
    p = special.expit(offset + u[g])
    curvature = np.bincount(g, n * p * (1 - p), levels) + 1 / sigma**2
    binomial = np.sum(
        special.gammaln(n + 1)
        - special.gammaln(y + 1)
        - special.gammaln(n - y + 1)
        + y * np.log(p)
        + (n - y) * np.log1p(-p)
    )
    # log ∫ f(y_j | u) N(u; 0, σ²) du ≈ log f(y_j | û) + log N(û; 0, σ²) + ½ log 2π − ½ log H
    return float(
        binomial + np.sum(-(u**2) / (2 * sigma**2) - np.log(sigma) - 0.5 * np.log(curvature))
    )


def glmer_laplace(X: np.ndarray, y: np.ndarray, n: np.ndarray, group: np.ndarray) -> LaplaceFit:
    """The Laplace maximum-likelihood fit of ``y ~ Binomial(n, logit⁻¹(Xβ + u_group))``,
    ``u ~ N(0, σ²)``; ``group`` holds level codes 0, 1, ...."""
    p = X.shape[1]

    def objective(theta: np.ndarray) -> float:
        return -_loglik(theta[:p], float(np.exp(theta[p])), X, y, n, group)

    fit = optimize.minimize(objective, np.zeros(p + 1), method="BFGS", options={"gtol": 1e-9})
    estimate = np.r_[fit.x[:p], np.exp(fit.x[p])]

    def loglik(values: np.ndarray) -> float:
        return _loglik(values[:p], float(values[p]), X, y, n, group)

    h = 1e-4
    basis = np.eye(p + 1) * h
    hessian = np.empty((p + 1, p + 1))
    for a in range(p + 1):
        for b in range(p + 1):
            hessian[a, b] = (
                loglik(estimate + basis[a] + basis[b])
                - loglik(estimate + basis[a] - basis[b])
                - loglik(estimate - basis[a] + basis[b])
                + loglik(estimate - basis[a] - basis[b])
            ) / (4 * h * h)
    se = np.sqrt(np.diag(np.linalg.inv(-hessian)))[:p]
    return LaplaceFit(estimate[:p], se, float(estimate[p] ** 2), loglik(estimate))
