"""Families of a positive continuous response: gamma."""

from __future__ import annotations

import numpy as np
from scipy import stats

from bayesml.families.base import DefaultPrior, Family, Parameter
from bayesml.families.responses import RESPONSE_KINDS

__all__ = ["Gamma"]


class Gamma(Family):
    """y ~ Gamma(shape α, mean μ): Var(y) = μ²/α, so φ = 1/α.

    Prior weights w act as in R's ``glm``: the shape of row i is α·wᵢ.
    """

    name = "gamma"
    links = ("log", "inverse")
    canonical_link = "inverse"
    response = RESPONSE_KINDS["positive"]
    parameters = (
        Parameter(
            "alpha",
            "gamma shape: Var(y) = mu^2 / alpha",
            default_prior=DefaultPrior("gamma", {"alpha": 0.01, "beta": 0.01}),
        ),
    )
    has_dispersion = True
    dispersion_parameter = ("alpha", -1.0)

    def _log_likelihood(self, y, mu, params, trials, weights):
        alpha = params["alpha"] if weights is None else params["alpha"] * weights
        return stats.gamma.logpdf(y, a=alpha, scale=mu / alpha)

    def _draw(self, rng, mu, params, trials, weights):
        alpha = params["alpha"] if weights is None else params["alpha"] * weights
        alpha = np.broadcast_to(alpha, np.shape(mu))
        return rng.gamma(alpha, mu / alpha)

    def _variance(self, mu, params):
        return mu**2

    def _variance_derivative(self, mu, params):
        return 2.0 * mu

    def _unit_deviance(self, y, mu, trials, params):
        """2[−log(y/μ) + (y − μ)/μ]."""
        return 2.0 * (-np.log(y / mu) + (y - mu) / mu)
