"""Variance functions and unit deviances of the response families, in numpy.

Each function takes float arrays and a mapping ``aux`` of auxiliary-parameter values (already
checked by :class:`~bayesml.families.families.Family`). Unit deviances follow R's
``family()$dev.resids`` with unit prior weight, and take the number of successes ``y`` and the
``trials`` for the binomial family (R works with the proportion ``y / trials`` and weight
``trials``; the two give the same numbers).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray
from scipy import special

Array = NDArray[np.float64]
Aux = Mapping[str, Array]


def constant_variance(mu: Array, aux: Aux) -> Array:
    """V(μ) = 1 (Gaussian, Student-t: the scale is the dispersion)."""
    return np.ones_like(mu)


def binomial_variance(mu: Array, aux: Aux) -> Array:
    """V(μ) = μ(1 − μ) (per trial for the binomial; Beta: Var(y) = V(μ)/(1 + κ))."""
    return mu * (1.0 - mu)


def poisson_variance(mu: Array, aux: Aux) -> Array:
    """V(μ) = μ."""
    return mu.copy()


def negative_binomial_variance(mu: Array, aux: Aux) -> Array:
    """V(μ) = μ + μ²/α (α the shape; Poisson as α → ∞)."""
    return mu + mu**2 / aux["alpha"]


def gamma_variance(mu: Array, aux: Aux) -> Array:
    """V(μ) = μ² (Var(y) = μ²/α with α the shape)."""
    return mu**2


def _y_log_y_over(y: Array, denominator: Array) -> Array:
    """y · log(y / denominator) with 0 · log 0 = 0."""
    return special.xlogy(y, y) - special.xlogy(y, denominator)


def gaussian_deviance(y: Array, mu: Array, trials: Array | None, aux: Aux) -> Array:
    """(y − μ)²."""
    return (y - mu) ** 2


def student_t_deviance(y: Array, mu: Array, trials: Array | None, aux: Aux) -> Array:
    """σ²(ν + 1) log(1 + (y − μ)²/(νσ²)): twice the log-likelihood gap to μ = y, times σ².

    Scaled by σ² like the Gaussian unit deviance, which it tends to as ν → ∞.
    """
    sigma2, nu = aux["sigma"] ** 2, aux["nu"]
    return sigma2 * (nu + 1.0) * np.log1p((y - mu) ** 2 / (nu * sigma2))


def bernoulli_deviance(y: Array, mu: Array, trials: Array | None, aux: Aux) -> Array:
    """2[y log(y/μ) + (1 − y) log((1 − y)/(1 − μ))]."""
    return 2.0 * (_y_log_y_over(y, mu) + _y_log_y_over(1.0 - y, 1.0 - mu))


def binomial_deviance(y: Array, mu: Array, trials: Array | None, aux: Aux) -> Array:
    """2[y log(y/(nμ)) + (n − y) log((n − y)/(n(1 − μ)))] for y successes of n trials."""
    assert trials is not None  # Family checks that trials are given
    n = trials
    return 2.0 * (_y_log_y_over(y, n * mu) + _y_log_y_over(n - y, n * (1.0 - mu)))


def poisson_deviance(y: Array, mu: Array, trials: Array | None, aux: Aux) -> Array:
    """2[y log(y/μ) − (y − μ)]."""
    return 2.0 * (_y_log_y_over(y, mu) - (y - mu))


def negative_binomial_deviance(y: Array, mu: Array, trials: Array | None, aux: Aux) -> Array:
    """2[y log(y/μ) − (y + α) log((y + α)/(μ + α))] (as MASS's ``negative.binomial``)."""
    alpha = aux["alpha"]
    return 2.0 * (_y_log_y_over(y, mu) - (y + alpha) * np.log((y + alpha) / (mu + alpha)))


def gamma_deviance(y: Array, mu: Array, trials: Array | None, aux: Aux) -> Array:
    """2[−log(y/μ) + (y − μ)/μ]."""
    return 2.0 * (-np.log(y / mu) + (y - mu) / mu)


def _beta_loglik(y: Array, mu: Array, kappa: Array) -> Array:
    a, b = mu * kappa, (1.0 - mu) * kappa
    return (
        special.gammaln(kappa)
        - special.gammaln(a)
        - special.gammaln(b)
        + (a - 1.0) * np.log(y)
        + (b - 1.0) * np.log1p(-y)
    )


def beta_deviance(y: Array, mu: Array, trials: Array | None, aux: Aux) -> Array:
    """2|ℓ(y; μ = y, κ) − ℓ(y; μ, κ)| (betareg's deviance residuals, Ferrari & Cribari-Neto)."""
    kappa = aux["kappa"]
    return 2.0 * np.abs(_beta_loglik(y, y, kappa) - _beta_loglik(y, mu, kappa))
