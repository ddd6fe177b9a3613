"""Families of counts: Poisson and negative binomial."""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from bayesml.families.base import VAGUE_POSITIVE, Family, Parameter
from bayesml.families.binary import y_log_y_over

__all__ = ["LARGE_MEAN", "NegativeBinomial", "Poisson", "poisson_draws"]


#: at and above this mean a count is drawn from the normal approximation of its Poisson
#: distribution (numpy's sampler refuses means near 2**63, which vague priors on the log scale
#: reach in prior predictive draws; there the approximation's relative error is below 1e-7)
LARGE_MEAN = 1e15


def poisson_draws(rng: np.random.Generator, mu: np.ndarray) -> np.ndarray:
    """Poisson draws of mean ``mu``: numpy's below :data:`LARGE_MEAN` (the same draws as
    ``rng.poisson(mu)`` when every mean is below it), the rounded normal approximation N(μ, μ)
    as floats at or above it, ``inf`` for an infinite mean and NaN for a NaN one."""
    mu = np.asarray(mu, dtype=float)
    large = ~(mu < LARGE_MEAN)
    if not large.any():
        return rng.poisson(mu)
    out = np.empty(mu.shape, dtype=float)
    out[~large] = rng.poisson(mu[~large])
    big = mu[large]
    finite = np.isfinite(big)
    drawn = np.round(rng.normal(np.where(finite, big, 0.0), np.sqrt(np.where(finite, big, 1.0))))
    out[large] = np.where(finite, drawn, big)
    return out


NB_SHAPE = Parameter(
    "alpha", "negative-binomial shape: Var(y) = mu + mu^2 / alpha", default_prior=VAGUE_POSITIVE
)


class Poisson(Family, name="poisson", links=("log",), canonical="log", response="count"):
    """y ~ Poisson(μ)."""

    def _log_likelihood(self, y, mu, params, trials, weights):
        return stats.poisson.logpmf(y, mu)

    def _draw(self, rng, mu, params, trials, weights):
        return poisson_draws(rng, mu)

    def _variance(self, mu, params):
        return mu.copy()

    def _variance_derivative(self, mu, params):
        return np.ones_like(mu)

    def _unit_deviance(self, y, mu, trials, params):
        """2[y log(y/μ) − (y − μ)]."""
        return 2.0 * (y_log_y_over(y, mu) - (y - mu))

    laplace_curvature = "expected"

    def _log_likelihood_eta(self, y, eta, params, trials, weights):
        """y η − e^η − log y! (μ = e^η without clipping)."""
        return y * eta - np.exp(eta) - special.gammaln(y + 1.0)

    def _eta_derivatives(self, y, eta, params, trials, weights):
        """y − μ and −μ (log link, canonical)."""
        mu = self.link.inverse(eta)
        return y - mu, -mu

    def _eta_information(self, y, eta, params, trials, weights):
        """μ."""
        return self.link.inverse(eta)

    def _eta_third_derivative(self, y, eta, params, trials, weights):
        """−μ (log link)."""
        return -self.link.inverse(eta)

    def _log_zero_probability(self, eta, params, trials):
        """log P(y = 0) = −μ (for the zero-inflated and hurdle families)."""
        return -self.link.inverse(eta)

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
        large = ~(np.asarray(mu) < LARGE_MEAN)
        if not large.any():
            return rng.negative_binomial(alpha, alpha / (alpha + mu))
        # beyond numpy's sampler: the gamma-Poisson mixture that defines the distribution
        out = np.empty(np.shape(mu), dtype=float)
        small = ~large
        out[small] = rng.negative_binomial(alpha[small], alpha[small] / (alpha[small] + mu[small]))
        with np.errstate(invalid="ignore"):
            rate = rng.gamma(alpha[large], mu[large] / alpha[large])
        out[large] = poisson_draws(rng, rate)
        return out

    def _variance(self, mu, params):
        return mu + mu**2 / params["alpha"]

    def _variance_derivative(self, mu, params):
        return 1.0 + 2.0 * mu / params["alpha"]

    def _unit_deviance(self, y, mu, trials, params):
        """2[y log(y/μ) − (y + α) log((y + α)/(μ + α))] (as MASS's ``negative.binomial``)."""
        alpha = params["alpha"]
        return 2.0 * (y_log_y_over(y, mu) - (y + alpha) * np.log((y + alpha) / (mu + alpha)))

    def _eta_derivatives(self, y, eta, params, trials, weights):
        """ℓ = y log μ − (y + α) log(α + μ) + const with μ = e^η: ∂ℓ/∂η = α(y − μ)/(α + μ),
        ∂²ℓ/∂η² = −αμ(α + y)/(α + μ)²."""
        alpha = params["alpha"]
        mu = self.link.inverse(eta)
        share = alpha / (alpha + mu)  # α/(α + μ), in (0, 1]
        return share * (y - mu), -share * share * mu * (alpha + y) / alpha

    def _eta_information(self, y, eta, params, trials, weights):
        """αμ/(α + μ) (the IRLS weight μ²/V(μ) of the log link)."""
        alpha = params["alpha"]
        mu = self.link.inverse(eta)
        return mu * alpha / (alpha + mu)

    def _log_zero_probability(self, eta, params, trials):
        """log P(y = 0) = −α log(1 + μ/α) (for the zero-inflated and hurdle families)."""
        alpha = params["alpha"]
        return -alpha * np.log1p(self.link.inverse(eta) / alpha)

    def initial_mean(self, y, prior_weights=None):
        y = np.asarray(y, dtype=float)
        return y + (y == 0) / 6.0
