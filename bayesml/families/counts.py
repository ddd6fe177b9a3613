"""Families of counts: Poisson and negative binomial."""

from __future__ import annotations

import numpy as np
from scipy import stats

from bayesml.families.base import VAGUE_POSITIVE, Family, Parameter
from bayesml.families.binary import y_log_y_over

__all__ = ["NegativeBinomial", "Poisson"]


NB_SHAPE = Parameter(
    "alpha", "negative-binomial shape: Var(y) = mu + mu^2 / alpha", default_prior=VAGUE_POSITIVE
)


class Poisson(Family, name="poisson", links=("log",), canonical="log", response="count"):
    """y ~ Poisson(μ)."""

    def _log_likelihood(self, y, mu, params, trials, weights):
        return stats.poisson.logpmf(y, mu)

    def _draw(self, rng, mu, params, trials, weights):
        return rng.poisson(mu)

    def _variance(self, mu, params):
        return mu.copy()

    def _variance_derivative(self, mu, params):
        return np.ones_like(mu)

    def _unit_deviance(self, y, mu, trials, params):
        """2[y log(y/μ) − (y − μ)]."""
        return 2.0 * (y_log_y_over(y, mu) - (y - mu))

    def initial_mean(self, y, prior_weights=None):
        return np.asarray(y, dtype=float) + 0.1


class NegativeBinomial(Family, name="negative_binomial", links=("log",), response="count"):
    """y ~ NB(μ, α): Var(y) = μ + μ²/α (Poisson as α → ∞)."""

    parameters = (NB_SHAPE,)
    _variance_needs = ("alpha",)
    _deviance_needs = ("alpha",)

    def _log_likelihood(self, y, mu, params, trials, weights):
        alpha = params["alpha"]
        return stats.nbinom.logpmf(y, alpha, alpha / (alpha + mu))

    def _draw(self, rng, mu, params, trials, weights):
        alpha = np.broadcast_to(params["alpha"], np.shape(mu))
        return rng.negative_binomial(alpha, alpha / (alpha + mu))

    def _variance(self, mu, params):
        return mu + mu**2 / params["alpha"]

    def _variance_derivative(self, mu, params):
        return 1.0 + 2.0 * mu / params["alpha"]

    def _unit_deviance(self, y, mu, trials, params):
        """2[y log(y/μ) − (y + α) log((y + α)/(μ + α))] (as MASS's ``negative.binomial``)."""
        alpha = params["alpha"]
        return 2.0 * (y_log_y_over(y, mu) - (y + alpha) * np.log((y + alpha) / (mu + alpha)))

    def initial_mean(self, y, prior_weights=None):
        y = np.asarray(y, dtype=float)
        return y + (y == 0) / 6.0
