"""Families of counts: Poisson and negative binomial."""

from __future__ import annotations

import numpy as np
from scipy import stats

from bayesml.families.base import DefaultPrior, Family, Parameter
from bayesml.families.binary import y_log_y_over
from bayesml.families.responses import RESPONSE_KINDS

__all__ = ["NegativeBinomial", "Poisson"]


class Poisson(Family):
    """y ~ Poisson(μ)."""

    name = "poisson"
    links = ("log",)
    canonical_link = "log"
    response = RESPONSE_KINDS["count"]

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


class NegativeBinomial(Family):
    """y ~ NB(μ, α): Var(y) = μ + μ²/α (Poisson as α → ∞)."""

    name = "negative_binomial"
    links = ("log",)
    response = RESPONSE_KINDS["count"]
    parameters = (
        Parameter(
            "alpha",
            "negative-binomial shape: Var(y) = mu + mu^2 / alpha",
            default_prior=DefaultPrior("gamma", {"alpha": 0.01, "beta": 0.01}),
        ),
    )
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
