"""Families of a positive continuous response: gamma."""

from __future__ import annotations

import numpy as np
from scipy import stats

from bayesml.families._eta import chain, mean_derivatives
from bayesml.families.base import VAGUE_POSITIVE, Family, Parameter

__all__ = ["Gamma"]


SHAPE = Parameter("alpha", "gamma shape: Var(y) = mu^2 / alpha", default_prior=VAGUE_POSITIVE)


class Gamma(
    Family, name="gamma", links=("log", "inverse"), canonical="inverse", response="positive"
):
    """y ~ Gamma(shape α, mean μ): Var(y) = μ²/α, so φ = 1/α.

    Prior weights w act as in R's ``glm``: the shape of row i is α·wᵢ.
    """

    parameters = (SHAPE,)
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

    # glmmTMB's exact Laplace (the observed curvature α y/μ for the log link), not glmer's expected
    # information α: with few rows per group the latter is visibly off the exact likelihood
    laplace_curvature = "observed"
    _weights_in_likelihood = True

    def _eta_derivatives(self, y, eta, params, trials, weights):
        """ℓ = a(−y/μ − log μ) + const with a = αw: ∂ℓ/∂μ = a(y − μ)/μ² and
        ∂²ℓ/∂μ² = a(μ − 2y)/μ³ (log link: a(y/μ − 1) and −ay/μ in η)."""
        a = params["alpha"] if weights is None else params["alpha"] * weights
        mu, m1, m2 = mean_derivatives(self.link, eta)
        if self.link.name == "log":
            return a * (y / mu - 1.0), -a * y / mu
        return chain(a * (y - mu) / mu**2, a * (mu - 2.0 * y) / mu**3, m1, m2)

    def _eta_information(self, y, eta, params, trials, weights):
        """αw(dμ/dη)²/μ²: αw for the log link, αwμ² for the inverse link."""
        a = params["alpha"] if weights is None else params["alpha"] * weights
        mu, m1, _ = mean_derivatives(self.link, eta)
        return a * (m1 / mu) ** 2
