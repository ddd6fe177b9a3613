"""Families of successes: bernoulli (0/1 rows) and binomial (successes out of trials)."""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from bayesml.families._eta import binary_information, log_cdf_derivatives, log_sf_derivatives
from bayesml.families.base import Family
from bayesml.families.ordinal import log_cdf, log_sf

__all__ = ["Bernoulli", "Binomial"]

PROBABILITY_LINKS = ("logit", "probit", "cloglog")


def y_log_y_over(y, denominator):
    """y · log(y / denominator) with 0 · log 0 = 0."""
    return special.xlogy(y, y) - special.xlogy(y, denominator)


class _Successes(Family, links=PROBABILITY_LINKS, canonical="logit"):
    """What the two families share: V(μ) = μ(1 − μ), the weakly informative default priors."""

    prior_rule = "weakly_informative"
    other_links_prior_rule = "weakly_informative"
    laplace_curvature = "expected"

    def _variance(self, mu, params):
        return mu * (1.0 - mu)

    def _eta_derivatives(self, y, eta, params, trials, weights):
        """ℓ = y log F(η) + (n − y) log(1 − F(η)) + const, from the derivatives of log F and
        log(1 − F) (exact in both tails; n = 1 for the bernoulli); the logit's in one pass:
        y − nμ and −nμ(1 − μ)."""
        n = 1.0 if trials is None else trials
        if self.link.name == "logit":  # 1 − p loses only digits of rows with weight ≈ 0
            p = special.expit(eta)
            return y - n * p, -n * p * (1.0 - p)
        cdf1, cdf2 = log_cdf_derivatives(self.link.name, eta)
        sf1, sf2 = log_sf_derivatives(self.link.name, eta)
        return y * cdf1 + (n - y) * sf1, y * cdf2 + (n - y) * sf2

    def _eta_third_derivative(self, y, eta, params, trials, weights):
        """−n μ(1 − μ)(1 − 2μ) for the logit link; a central difference for the others."""
        if self.link.name != "logit":
            return None
        n = 1.0 if trials is None else trials
        p = special.expit(eta)
        return -n * p * (1.0 - p) * (1.0 - 2.0 * p)

    def _eta_information(self, y, eta, params, trials, weights):
        """n f(η)²/(F(η)(1 − F(η))) (= n μ(1 − μ) for the logit link)."""
        n = 1.0 if trials is None else trials
        return n * binary_information(self.link.name, eta)

    def _log_likelihood_eta(self, y, eta, params, trials, weights):
        """y log F(η) + (n − y) log(1 − F(η)) (+ log C(n, y) for the binomial), exact in the
        tails."""
        n = 1.0 if trials is None else trials
        link = self.link.name
        if link == "logit":  # y log p + (n − y) log(1 − p) = y η − n log(1 + e^η)
            # log(1 + e^η) written out: twice as fast as np.logaddexp(0, η)
            softplus = np.maximum(eta, 0.0) + np.log1p(np.exp(-np.abs(eta)))
            values = y * eta - n * softplus
        else:
            values = y * log_cdf(link, eta) + (n - y) * log_sf(link, eta)
        if trials is None:
            return values
        choose = special.gammaln(n + 1) - special.gammaln(y + 1) - special.gammaln(n - y + 1)
        return values + choose

    def _log_zero_probability(self, eta, params, trials):
        """log P(y = 0) = n log(1 − F(η)), exact in the tails (for the zero-inflated binomial)."""
        n = 1.0 if trials is None else trials
        return n * log_sf(self.link.name, eta)

    def _variance_derivative(self, mu, params):
        return 1.0 - 2.0 * mu

    def initial_mean(self, y, prior_weights=None):
        y = np.asarray(y, dtype=float)
        w = np.ones_like(y) if prior_weights is None else np.asarray(prior_weights, dtype=float)
        return (w * y + 0.5) / (w + 1.0)


class Bernoulli(_Successes, name="bernoulli", response="binary"):
    """y ∈ {0, 1} with P(y = 1) = μ."""

    def _log_likelihood(self, y, mu, params, trials, weights):
        return stats.bernoulli.logpmf(y, np.clip(mu, 0.0, 1.0))

    def _draw(self, rng, mu, params, trials, weights):
        return rng.binomial(1, np.clip(mu, 0.0, 1.0))

    def _unit_deviance(self, y, mu, trials, params):
        """2[y log(y/μ) + (1 − y) log((1 − y)/(1 − μ))]."""
        return 2.0 * (y_log_y_over(y, mu) + y_log_y_over(1.0 - y, 1.0 - mu))


class Binomial(_Successes, name="binomial", response="binomial"):
    """y successes out of n trials, each with probability μ."""

    def _log_likelihood(self, y, mu, params, trials, weights):
        return stats.binom.logpmf(y, trials, np.clip(mu, 0.0, 1.0))

    def _draw(self, rng, mu, params, trials, weights):
        n = np.broadcast_to(trials, np.shape(mu)).astype("int64")
        return rng.binomial(n, np.clip(mu, 0.0, 1.0))

    def _unit_deviance(self, y, mu, trials, params):
        """2[y log(y/(nμ)) + (n − y) log((n − y)/(n(1 − μ)))] for y successes of n trials."""
        n = trials
        return 2.0 * (y_log_y_over(y, n * mu) + y_log_y_over(n - y, n * (1.0 - mu)))
