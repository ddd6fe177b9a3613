"""Families of a response strictly between 0 and 1: beta."""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from bayesml.families.base import VAGUE_POSITIVE, Family, Parameter

__all__ = ["Beta"]


def _beta_log_density(y, mu, kappa):
    a, b = mu * kappa, (1.0 - mu) * kappa
    return (
        special.gammaln(kappa)
        - special.gammaln(a)
        - special.gammaln(b)
        + (a - 1.0) * np.log(y)
        + (b - 1.0) * np.log1p(-y)
    )


PRECISION = Parameter(
    "kappa", "beta precision: Var(y) = mu (1 - mu) / (1 + kappa)", default_prior=VAGUE_POSITIVE
)


class Beta(Family, name="beta", links=("logit",), response="unit_interval"):
    """y ~ Beta(μκ, (1 − μ)κ): mean μ, Var(y) = μ(1 − μ)/(1 + κ)."""

    parameters = (PRECISION,)
    has_dispersion = True
    _deviance_needs = ("kappa",)

    def _log_likelihood(self, y, mu, params, trials, weights):
        kappa = params["kappa"]
        return stats.beta.logpdf(y, mu * kappa, (1.0 - mu) * kappa)

    def _draw(self, rng, mu, params, trials, weights):
        kappa = params["kappa"]
        return rng.beta(mu * kappa, (1.0 - mu) * kappa)

    def _variance(self, mu, params):
        return mu * (1.0 - mu)

    def _variance_derivative(self, mu, params):
        return 1.0 - 2.0 * mu

    def _unit_deviance(self, y, mu, trials, params):
        """2|ℓ(y; μ = y, κ) − ℓ(y; μ, κ)| (betareg's deviance residuals, Ferrari & Cribari-Neto)."""
        kappa = params["kappa"]
        return 2.0 * np.abs(_beta_log_density(y, y, kappa) - _beta_log_density(y, mu, kappa))

    def _eta_derivatives(self, y, eta, params, trials, weights):
        """With μ = expit(η), a = μκ, b = (1 − μ)κ: ∂ℓ/∂μ = κ(logit y − ψ(a) + ψ(b)) and
        ∂²ℓ/∂μ² = −κ²(ψ′(a) + ψ′(b)); 1 − μ is computed as expit(−η), exact near μ = 1."""
        kappa = params["kappa"]
        mu, not_mu = special.expit(eta), special.expit(-eta)
        m1 = mu * not_mu
        a, b = mu * kappa, not_mu * kappa
        d1 = kappa * (np.log(y) - np.log1p(-y) - special.digamma(a) + special.digamma(b))
        d2 = -kappa * kappa * (special.polygamma(1, a) + special.polygamma(1, b))
        return d1 * m1, d2 * m1 * m1 + d1 * m1 * (not_mu - mu)

    def _eta_information(self, y, eta, params, trials, weights):
        """κ²(ψ′(μκ) + ψ′((1 − μ)κ))(dμ/dη)² (E logit y = ψ(a) − ψ(b))."""
        kappa = params["kappa"]
        mu, not_mu = special.expit(eta), special.expit(-eta)
        m1 = mu * not_mu
        trigamma = special.polygamma(1, mu * kappa) + special.polygamma(1, not_mu * kappa)
        return kappa * kappa * trigamma * m1 * m1
