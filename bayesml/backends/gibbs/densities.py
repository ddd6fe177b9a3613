"""Fast unnormalised log densities of SD priors at one value, for the slice and Metropolis steps.

:func:`bayesml.priors.prior_logpdf` evaluates normalised densities of arrays through scipy; a
slice step evaluates one scalar several times per iteration, where scipy's per-call overhead
would dominate. These closed forms differ from ``prior.logpdf(σ)`` by a constant (tested).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from bayesml.backends.gibbs.problem import inverse_gamma_parameters
from bayesml.priors import Prior

__all__ = ["SD_LOG_DENSITIES", "sd_log_density"]

ScalarDensity = Callable[[float], float]


def _half_normal(prior: Prior) -> ScalarDensity:
    factor = 0.5 / float(prior["sigma"]) ** 2
    return lambda sd: -factor * sd * sd


def _half_cauchy(prior: Prior) -> ScalarDensity:
    scale = float(prior["sigma"])
    return lambda sd: -math.log1p((sd / scale) ** 2)


def _half_t(prior: Prior) -> ScalarDensity:
    nu, scale = float(prior["nu"]), float(prior["sigma"])
    power = 0.5 * (nu + 1.0)
    return lambda sd: -power * math.log1p((sd / scale) ** 2 / nu)


def _exponential(prior: Prior) -> ScalarDensity:
    rate = float(prior["rate"])
    return lambda sd: -rate * sd


def _uniform(prior: Prior) -> ScalarDensity:
    upper = float(prior["upper"])
    return lambda sd: 0.0 if sd < upper else -math.inf


def _gamma(prior: Prior) -> ScalarDensity:
    alpha, beta = float(prior["alpha"]), float(prior["beta"])
    return lambda sd: (alpha - 1.0) * math.log(sd) - beta * sd


def _inverse_gamma_on_sd(prior: Prior) -> ScalarDensity:
    """σ² ~ InvGamma(α, β) as a density of σ: −(2α + 1) log σ − β/σ²."""
    alpha, beta = inverse_gamma_parameters(prior)
    return lambda sd: -(2.0 * alpha + 1.0) * math.log(sd) - beta / (sd * sd)


#: SD prior -> builder of its unnormalised log density at σ > 0
SD_LOG_DENSITIES: dict[str, Callable[[Prior], ScalarDensity]] = {
    "half_normal": _half_normal,
    "half_cauchy": _half_cauchy,
    "half_t": _half_t,
    "exponential": _exponential,
    "uniform": _uniform,
    "gamma": _gamma,
    "inverse_gamma": _inverse_gamma_on_sd,
    "scaled_inv_chi2": _inverse_gamma_on_sd,
}


def sd_log_density(prior: Prior) -> ScalarDensity:
    """The unnormalised log density of an SD prior, as a function of σ > 0."""
    return SD_LOG_DENSITIES[prior.dist](prior)
