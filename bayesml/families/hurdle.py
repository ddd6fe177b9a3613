"""Hurdle families: zeros from one process, positive values from another (brms' ``hurdle_*``).

A row is 0 with probability ``hu``; otherwise it is a draw of the positive part: a count family
truncated at zero (``hurdle_poisson``, ``hurdle_negative_binomial``) or a positive continuous
family (``hurdle_gamma``, ``hurdle_lognormal``) of parameter μ = g⁻¹(η):

    P(y = 0) = hu,    p(y) = (1 − hu)·p(y; μ)/(1 − P₀(μ)) for y > 0

(P₀ = 0 for the continuous families). μ is the parameter of the untruncated distribution, as in
brms and glmmTMB's ``truncated_poisson``/``truncated_nbinom2``, so

* E(y) = (1 − hu)·μ/(1 − P₀(μ)) for the counts (P₀ = e^(−μ) for the Poisson, (α/(α + μ))^α for
  the negative binomial),
* E(y) = (1 − hu)·μ for ``hurdle_gamma`` (μ the mean of the gamma part, log link),
* E(y) = (1 − hu)·exp(μ + σ²/2) for ``hurdle_lognormal`` (μ the mean of log y of the positive
  part, identity link).

``hu`` is a family parameter on the unit interval, default prior beta(1, 1) (uniform: brms'
default for a constant ``hu``); the maths take it as an array broadcastable against μ, so that a
per-row ``hu`` (from a formula for it) works unchanged.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from bayesml.families.base import Family, Parameter
from bayesml.families.counts import NB_SHAPE, NegativeBinomial, Poisson, poisson_draws
from bayesml.families.normal import SIGMA, LogNormal
from bayesml.families.positive import SHAPE, Gamma
from bayesml.families.zero_inflated import UNIFORM_PROBABILITY, split_parameter

__all__ = [
    "HURDLE",
    "HurdleGamma",
    "HurdleLogNormal",
    "HurdleNegativeBinomial",
    "HurdlePoisson",
    "log1mexp",
]

Array = NDArray[np.float64]

HURDLE = Parameter(
    "hu",
    "hurdle probability: P(y = 0)",
    constraint="unit_interval",
    default_prior=UNIFORM_PROBABILITY,
)

#: rejection passes of a zero-truncated negative-binomial draw before the inverse-CDF draw
_REJECTION_PASSES = 4


def log1mexp(x: Array) -> Array:
    """log(1 − eˣ) for x ≤ 0, accurate at both ends (Mächler 2012)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > -np.log(2.0), np.log(-np.expm1(x)), np.log1p(-np.exp(x)))


class _Hurdle(Family):
    """What the hurdle families share: P(y = 0) = hu, the positive part scaled by 1 − hu.

    Subclasses name the family of the positive part (``component``) and, for counts, how to draw
    from it truncated at zero (:meth:`_positive_draw`).
    """

    component: ClassVar[Family]
    discrete: ClassVar[bool] = True

    def _log_positive(self, y, mu, rest) -> Array:
        """log p(y; μ)/(1 − P₀(μ)) of the positive part at y (y > 0 rows are the ones used)."""
        safe = np.where(y > 0, y, 1.0)  # keep log y of the continuous parts finite at y = 0
        inner = self.component._log_likelihood(safe, mu, rest, None, None)
        if not self.discrete:
            return inner
        zero = self.component._log_likelihood(np.zeros_like(safe), mu, rest, None, None)
        return inner - log1mexp(zero)

    def _log_likelihood(self, y, mu, params, trials, weights):
        hu, rest = split_parameter(params, "hu")
        positive = self._log_positive(y, mu, rest)
        with np.errstate(divide="ignore"):
            return np.where(y == 0, np.log(hu), np.log1p(-hu) + positive)

    def _eta_derivatives(self, y, eta, params, trials, weights):
        """A zero: 0 (ℓ = log hu). A positive row: the positive family's derivatives, and for the
        counts those of −log(1 − P₀(η)): with c = log P₀ and r = P₀/(1 − P₀) = 1/(e^(−c) − 1),
        c′r and c″r + c′²r(1 + r)."""
        hu, rest = split_parameter(params, "hu")
        positive = y > 0
        safe = np.where(positive, y, 1.0)
        gradient, curvature = self._linked_component._eta_derivatives(safe, eta, rest, None, None)
        if self.discrete:
            zero1, zero2, ratio = self._truncation(eta, rest, safe)
            gradient = gradient + zero1 * ratio
            curvature = curvature + zero2 * ratio + zero1 * zero1 * ratio * (1.0 + ratio)
        return np.where(positive, gradient, 0.0), np.where(positive, curvature, 0.0)

    def _eta_information(self, y, eta, params, trials, weights):
        """(1 − hu)·E[−∂²ℓ/∂η² | y > 0]: the positive family's information for the continuous
        parts; for the counts, minus the count family's curvature at y = E(y | y > 0) = μ(1 + r)
        (exact: it is affine in y) minus the truncation's c″r + c′²r(1 + r) (clipped at 0
        against rounding)."""
        hu, rest = split_parameter(params, "hu")
        shape = np.broadcast_shapes(np.shape(y), np.shape(eta))
        if not self.discrete:
            ones = np.ones(shape)
            return (1.0 - hu) * self._linked_component._eta_information(ones, eta, rest, None, None)
        zero1, zero2, ratio = self._truncation(eta, rest, np.zeros(shape))
        mean = self.link.inverse(eta) * (1.0 + ratio)
        _, curvature = self._linked_component._eta_derivatives(mean, eta, rest, None, None)
        truncation = zero2 * ratio + zero1 * zero1 * ratio * (1.0 + ratio)
        return np.maximum((1.0 - hu) * -(curvature + truncation), 0.0)

    @property
    def _linked_component(self) -> Family:
        """The positive part's family with this family's link."""
        return self.component.with_link(self.link)

    def _truncation(self, eta, rest, like):
        """c′ and c″ (the count family's derivatives at y = 0, shaped as ``like``) and
        r = P₀/(1 − P₀)."""
        zero1, zero2 = self._linked_component._eta_derivatives(
            np.zeros_like(like), eta, rest, None, None
        )
        log_zero = self._linked_component._log_zero_probability(eta, rest, None)
        with np.errstate(divide="ignore", over="ignore"):
            ratio = 1.0 / np.expm1(-log_zero)
        return zero1, zero2, ratio

    def _draw(self, rng, mu, params, trials, weights):
        hu, rest = split_parameter(params, "hu")
        shape = np.broadcast_shapes(np.shape(mu), np.shape(hu))
        positive = self._positive_draw(rng, np.broadcast_to(mu, shape).astype(float), rest)
        return np.where(rng.random(shape) < hu, 0.0, positive)

    def _positive_draw(self, rng, mu, rest) -> Array:
        return self.component._draw(rng, mu, rest, None, None)

    def _positive_mean(self, mu: Array, rest: dict[str, Array]) -> Array:
        """E(y | y > 0): μ/(1 − P₀(μ)) for the counts."""
        zero = self.component._log_likelihood(np.zeros_like(mu), mu, rest, None, None)
        return mu / -np.expm1(zero)

    def expected_response(self, mu, params=None):
        """E(y) = (1 − hu)·E(y | y > 0) (see the module docstring)."""
        needed = tuple(param.name for param in self.parameters)
        values = self._param_values(params, needed, purpose="the mean")
        hu, rest = split_parameter(values, "hu")
        mu = np.asarray(mu, dtype=float)
        return (1.0 - hu) * self._positive_mean(mu, rest)


class HurdlePoisson(_Hurdle, name="hurdle_poisson", links=("log",), response="count"):
    """y = 0 with probability hu, else y ~ Poisson(μ) truncated at zero."""

    parameters = (HURDLE,)
    component = Poisson()

    def _positive_draw(self, rng, mu, rest):
        """Zero-truncated Poisson draws, exactly: in a Poisson process of rate μ on [0, 1]
        conditioned on an event, the first event time T has P(T ≤ t) = (1 − e^(−μt))/(1 − e^(−μ))
        and the events after it are Poisson(μ(1 − T)); so y = 1 + Poisson(μ + log(1 − U(1 −
        e^(−μ)))) with U uniform."""
        u = rng.random(mu.shape)
        with np.errstate(invalid="ignore"):
            rest_mean = np.maximum(mu + np.log1p(u * np.expm1(-mu)), 0.0)
        return 1.0 + poisson_draws(rng, np.where(np.isfinite(mu), rest_mean, mu))


class HurdleNegativeBinomial(
    _Hurdle, name="hurdle_negative_binomial", links=("log",), response="count"
):
    """y = 0 with probability hu, else y ~ NB(μ, α) truncated at zero (Var of the untruncated
    NB: μ + μ²/α; glmmTMB's ``truncated_nbinom2`` with a ``ziformula``)."""

    parameters = (NB_SHAPE, HURDLE)
    component = NegativeBinomial()

    def _positive_draw(self, rng, mu, rest):
        """Zero-truncated NB draws: a few rejection passes (redrawing the zeros), then, for rows
        whose P₀ is so close to 1 that they kept drawing zeros, the inverse of the survival
        function on (0, P(y ≥ 1)) — exact either way."""
        alpha = np.broadcast_to(rest["alpha"], mu.shape)
        out = np.asarray(self.component._draw(rng, mu, rest, None, None), dtype=float)
        for _ in range(_REJECTION_PASSES):
            zero = out == 0
            if not zero.any():
                return out
            out[zero] = self.component._draw(rng, mu[zero], {"alpha": alpha[zero]}, None, None)
        zero = out == 0
        if zero.any():
            a, m = alpha[zero], mu[zero]
            p = a / (a + m)
            upper = stats.nbinom.sf(0, a, p)
            out[zero] = np.maximum(stats.nbinom.isf(rng.random(a.shape) * upper, a, p), 1.0)
        return out


class HurdleGamma(_Hurdle, name="hurdle_gamma", links=("log",), response="non_negative"):
    """y = 0 with probability hu, else y ~ Gamma(shape α, mean μ): E(y) = (1 − hu)μ."""

    parameters = (SHAPE, HURDLE)
    component = Gamma()
    discrete = False

    def _positive_mean(self, mu, rest):
        return mu


class HurdleLogNormal(
    _Hurdle, name="hurdle_lognormal", links=("identity",), response="non_negative"
):
    """y = 0 with probability hu, else log y ~ N(μ, σ²): E(y) = (1 − hu)exp(μ + σ²/2).

    Default priors are those of the lognormal family, from log y of the positive rows.
    """

    parameters = (SIGMA, HURDLE)
    prior_rule = "data_scaled"
    component = LogNormal()
    discrete = False

    def _positive_mean(self, mu, rest):
        return np.exp(mu + rest["sigma"] ** 2 / 2.0)

    def prior_response(self, y):
        """log y of the positive rows (the zeros carry no information about μ and σ)."""
        y = np.asarray(y, dtype=float)
        return np.log(y[y > 0])
