"""Families of a real-valued response with a residual SD σ: gaussian, Student-t, lognormal."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from bayesml.families._eta import chain, mean_derivatives
from bayesml.families.base import DefaultPrior, Family, Parameter

__all__ = ["Gaussian", "LogNormal", "StudentT"]

Array = NDArray[np.float64]
Params = Mapping[str, Array]
_HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)

SIGMA = Parameter(
    "sigma",
    "residual standard deviation",
    default_prior=DefaultPrior("half_t", {"nu": 3, "sigma": 2.5}, response_scaled=("sigma",)),
)


def weighted_scale(sigma: Array, weights: Array | None) -> Array:
    """σ/√w with prior weights w (σ itself without weights)."""
    return sigma if weights is None else sigma / np.sqrt(weights)


def normal_log_density(y: Array, mu: Array, sigma: Array) -> Array:
    """log N(y; μ, σ²) in closed form (scipy's ``norm.logpdf`` is about 15 times slower)."""
    standardised = (y - mu) / sigma
    return -0.5 * standardised * standardised - np.log(sigma) - _HALF_LOG_2PI


class Gaussian(
    Family, name="gaussian", links=("identity", "log"), canonical="identity", response="real"
):
    """y ~ N(μ, σ²/w): the normal linear (mixed) model; prior weights w scale the variance."""

    parameters = (SIGMA,)
    has_dispersion = True
    accepts_weights = True
    prior_rule = "data_scaled"
    dispersion_parameter = ("sigma", 0.5)

    def _log_likelihood(self, y, mu, params, trials, weights):
        return normal_log_density(y, mu, weighted_scale(params["sigma"], weights))

    def _draw(self, rng, mu, params, trials, weights):
        return rng.normal(mu, weighted_scale(params["sigma"], weights))

    def _variance(self, mu, params):
        return np.ones_like(mu)

    def _variance_derivative(self, mu, params):
        return np.zeros_like(mu)

    def _unit_deviance(self, y, mu, trials, params):
        return (y - mu) ** 2

    laplace_curvature = "expected"
    _weights_in_likelihood = True

    def _eta_derivatives(self, y, eta, params, trials, weights):
        """ℓ = −w(y − μ)²/(2σ²) + const: ∂ℓ/∂μ = w(y − μ)/σ², ∂²ℓ/∂μ² = −w/σ²."""
        precision = 1.0 / weighted_scale(params["sigma"], weights) ** 2
        mu, m1, m2 = mean_derivatives(self.link, eta)
        return chain((y - mu) * precision, -precision, m1, m2)

    def _eta_information(self, y, eta, params, trials, weights):
        """w(dμ/dη)²/σ²."""
        _, m1, _ = mean_derivatives(self.link, eta)
        return m1 * m1 / weighted_scale(params["sigma"], weights) ** 2


class StudentT(Family, name="student_t", links=("identity", "log"), response="real"):
    """y ~ Student-t(ν, μ, σ/√w): a gaussian model robust to outliers."""

    parameters = (
        SIGMA,
        Parameter(
            "nu",
            "Student-t degrees of freedom",
            default_prior=DefaultPrior("gamma", {"alpha": 2, "beta": 0.1}),
        ),
    )
    has_dispersion = True
    accepts_weights = True
    prior_rule = "data_scaled"
    _deviance_needs = ("sigma", "nu")

    def _log_likelihood(self, y, mu, params, trials, weights):
        sigma = weighted_scale(params["sigma"], weights)
        return stats.t.logpdf(y, df=params["nu"], loc=mu, scale=sigma)

    def _draw(self, rng, mu, params, trials, weights):
        sigma = weighted_scale(params["sigma"], weights)
        return mu + sigma * rng.standard_t(np.broadcast_to(params["nu"], np.shape(mu)))

    def _variance(self, mu, params):
        return np.ones_like(mu)

    def _variance_derivative(self, mu, params):
        return np.zeros_like(mu)

    def _unit_deviance(self, y, mu, trials, params):
        """σ²(ν + 1) log(1 + (y − μ)²/(νσ²)): twice the log-likelihood gap to μ = y, times σ².

        Scaled by σ² like the Gaussian unit deviance, which it tends to as ν → ∞.
        """
        sigma2, nu = params["sigma"] ** 2, params["nu"]
        return sigma2 * (nu + 1.0) * np.log1p((y - mu) ** 2 / (nu * sigma2))

    _weights_in_likelihood = True

    def _eta_derivatives(self, y, eta, params, trials, weights):
        """With s = σ/√w and r = y − μ: ∂ℓ/∂μ = (ν + 1)r/(νs² + r²) and
        ∂²ℓ/∂μ² = (ν + 1)(r² − νs²)/(νs² + r²)² (negative only for |r| < s√ν)."""
        nu = params["nu"]
        scale2 = weighted_scale(params["sigma"], weights) ** 2
        mu, m1, m2 = mean_derivatives(self.link, eta)
        r = y - mu
        denominator = nu * scale2 + r * r
        d1 = (nu + 1.0) * r / denominator
        d2 = (nu + 1.0) * (r * r - nu * scale2) / denominator**2
        return chain(d1, d2, m1, m2)

    def _eta_information(self, y, eta, params, trials, weights):
        """(dμ/dη)²(ν + 1)/((ν + 3)s²): the Fisher information of a Student-t location."""
        nu = params["nu"]
        _, m1, _ = mean_derivatives(self.link, eta)
        scale2 = weighted_scale(params["sigma"], weights) ** 2
        return m1 * m1 * (nu + 1.0) / ((nu + 3.0) * scale2)


class LogNormal(Family, name="lognormal", links=("identity",), response="positive"):
    """log y ~ N(μ, σ²): a positive response whose logarithm is gaussian (brms' ``lognormal``).

    μ = η is the mean of log y (identity link); E(y) = exp(μ + σ²/2). The log-likelihood carries
    the Jacobian −log y, so that it is a density of y (LOO compares it with other families of y).
    Default priors are those of the gaussian family, on log y.
    """

    parameters = (SIGMA,)
    prior_rule = "data_scaled"

    def _log_likelihood(self, y, mu, params, trials, weights):
        log_y = np.log(y)
        return normal_log_density(log_y, mu, params["sigma"]) - log_y

    def _draw(self, rng, mu, params, trials, weights):
        return np.exp(rng.normal(mu, params["sigma"]))

    def expected_response(self, mu, params=None):
        values = self._param_values(params, ("sigma",), purpose="the mean")
        return np.exp(np.asarray(mu, dtype=float) + values["sigma"] ** 2 / 2.0)

    def prior_response(self, y):
        return np.log(np.asarray(y, dtype=float))

    def _eta_derivatives(self, y, eta, params, trials, weights):
        """(log y − η)/σ² and −1/σ² (identity link on the mean of log y)."""
        precision = 1.0 / params["sigma"] ** 2
        return (np.log(y) - eta) * precision, -precision * np.ones_like(eta)

    def _eta_information(self, y, eta, params, trials, weights):
        """1/σ²."""
        return np.ones_like(eta) / params["sigma"] ** 2
