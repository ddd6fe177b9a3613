"""Zero-inflated families: a count model mixed with a point mass at zero (brms' ``zero_inflated_*``).

Each row is a *structural* zero with probability ``zi`` and otherwise a draw of the count family
(Poisson, negative binomial or binomial) of mean μ = g⁻¹(η):

    P(y = 0) = zi + (1 − zi)·P₀(μ),    P(y = k) = (1 − zi)·p(k; μ) for k ≥ 1,

so E(y) = (1 − zi)·μ (per trial for the binomial). μ is the mean of the count part, as in brms and
glmmTMB (whose ``ziformula`` models logit(zi)), not the mean of y. ``zi`` is a family parameter
on the unit interval, default prior beta(1, 1) — uniform, the same as brms' default for a
constant ``zi`` (and the logistic(0, 1) prior brms puts on logit(zi)'s intercept is the same
distribution). The maths take ``zi`` as an array broadcastable against μ, so that a per-row ``zi``
(from a formula for it) works unchanged.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from bayesml.families.base import DefaultPrior, Family, Parameter
from bayesml.families.binary import PROBABILITY_LINKS, Binomial
from bayesml.families.counts import NB_SHAPE, NegativeBinomial, Poisson

__all__ = [
    "UNIFORM_PROBABILITY",
    "ZERO_INFLATION",
    "ZeroInflatedBinomial",
    "ZeroInflatedNegativeBinomial",
    "ZeroInflatedPoisson",
    "split_parameter",
]

Array = NDArray[np.float64]

UNIFORM_PROBABILITY = DefaultPrior("beta", {"alpha": 1, "beta": 1})
"""The default prior of a probability (``zi``, ``hu``): beta(1, 1), uniform on (0, 1)."""

ZERO_INFLATION = Parameter(
    "zi",
    "zero-inflation probability: P(structural zero); E(y) = (1 - zi) mu",
    constraint="unit_interval",
    default_prior=UNIFORM_PROBABILITY,
)


def split_parameter(params: dict[str, Array], name: str) -> tuple[Array, dict[str, Array]]:
    """``params[name]`` and the other parameters (those of the component family)."""
    rest = {key: value for key, value in params.items() if key != name}
    return params[name], rest


class _ZeroInflated(Family):
    """What the zero-inflated families share: the mixture with a point mass at zero.

    Subclasses name the component family (``component``), whose ``_log_likelihood`` and ``_draw``
    give p(y; μ) and draws of the count part.
    """

    component: ClassVar[Family]

    def _log_likelihood(self, y, mu, params, trials, weights):
        zi, rest = split_parameter(params, "zi")
        inner = self.component._log_likelihood(y, mu, rest, trials, weights)
        with np.errstate(divide="ignore"):
            log_zi, log_not_zi = np.log(zi), np.log1p(-zi)
        # y = 0: log(zi + (1 − zi)·P₀), computed as a log-sum-exp so that neither term underflows
        at_zero = np.logaddexp(log_zi, log_not_zi + inner)
        return np.where(y == 0, at_zero, log_not_zi + inner)

    def _draw(self, rng, mu, params, trials, weights):
        zi, rest = split_parameter(params, "zi")
        shape = np.broadcast_shapes(np.shape(mu), np.shape(zi))
        counts = self.component._draw(rng, np.broadcast_to(mu, shape), rest, trials, weights)
        structural = rng.random(shape) < zi
        return np.where(structural, 0, counts)

    def _eta_derivatives(self, y, eta, params, trials, weights):
        """A count row: the count family's derivatives. A zero: with c = log P₀(η), ℓ =
        log(zi + (1 − zi)e^c) and π = (1 − zi)e^c/e^ℓ (the chance it is a count-part zero),
        ∂ℓ/∂η = π c′ and ∂²ℓ/∂η² = π c″ + π(1 − π) c′²."""
        zi, rest = split_parameter(params, "zi")
        component = self._linked_component
        gradient, curvature = component._eta_derivatives(y, eta, rest, trials, None)
        zeros = np.zeros(np.broadcast_shapes(np.shape(y), np.shape(eta)))
        zero1, zero2 = component._eta_derivatives(zeros, eta, rest, trials, None)
        log_count_zero, log_zi, log_at_zero = self._zero_logs(eta, zi, rest, trials)
        count_share = np.exp(log_count_zero - log_at_zero)  # π
        structural_share = np.exp(log_zi - log_at_zero)  # 1 − π
        at_zero1 = count_share * zero1
        at_zero2 = count_share * zero2 + count_share * structural_share * zero1 * zero1
        return np.where(y == 0, at_zero1, gradient), np.where(y == 0, at_zero2, curvature)

    def _eta_information(self, y, eta, params, trials, weights):
        """E[(∂ℓ/∂η)²] = (1 − zi)·(I_c − P₀ c′² zi/P(y = 0)), with I_c the count family's
        information and c′ its gradient at y = 0 (exact; clipped at 0 against rounding)."""
        zi, rest = split_parameter(params, "zi")
        component = self._linked_component
        zeros = np.zeros(np.broadcast_shapes(np.shape(y), np.shape(eta)))
        information = component._eta_information(zeros, eta, rest, trials, None)
        zero1, _ = component._eta_derivatives(zeros, eta, rest, trials, None)
        log_count_zero, log_zi, log_at_zero = self._zero_logs(eta, zi, rest, trials)
        # (1 − zi)P₀ zi/P(y = 0) = π·zi, with π = (1 − zi)P₀/P(y = 0)
        lost = np.exp(log_count_zero + log_zi - log_at_zero) * zero1 * zero1
        return np.maximum((1.0 - zi) * information - lost, 0.0)

    @property
    def _linked_component(self) -> Family:
        """The count family with this family's link (what its derivatives in η need)."""
        return self.component.with_link(self.link)

    def _zero_logs(self, eta, zi, rest, trials):
        """log((1 − zi)P₀), log zi and log P(y = 0) = log(zi + (1 − zi)P₀) at η."""
        log_zero = self._linked_component._log_zero_probability(eta, rest, trials)
        with np.errstate(divide="ignore"):
            log_zi, log_not_zi = np.log(zi), np.log1p(-zi)
        log_count_zero = log_not_zi + log_zero
        return log_count_zero, log_zi, np.logaddexp(log_zi, log_count_zero)

    def expected_response(self, mu, params=None):
        """E(y) = (1 − zi)·μ (per trial for the binomial)."""
        values = self._param_values(params, ("zi",), purpose="the mean")
        return (1.0 - values["zi"]) * np.asarray(mu, dtype=float)


class ZeroInflatedPoisson(
    _ZeroInflated, name="zero_inflated_poisson", links=("log",), response="count"
):
    """y = 0 with probability zi, else y ~ Poisson(μ): E(y) = (1 − zi)μ (glmmTMB's
    ``family = poisson`` with a ``ziformula``)."""

    parameters = (ZERO_INFLATION,)
    component = Poisson()


class ZeroInflatedNegativeBinomial(
    _ZeroInflated, name="zero_inflated_negative_binomial", links=("log",), response="count"
):
    """y = 0 with probability zi, else y ~ NB(μ, α) with Var = μ + μ²/α (glmmTMB's ``nbinom2``
    with a ``ziformula``, brms' ``zero_inflated_negbinomial``)."""

    parameters = (NB_SHAPE, ZERO_INFLATION)
    component = NegativeBinomial()


class ZeroInflatedBinomial(
    _ZeroInflated,
    name="zero_inflated_binomial",
    links=PROBABILITY_LINKS,
    response="binomial",
):
    """y = 0 with probability zi, else y successes of n trials with probability μ each:
    E(y) = n(1 − zi)μ. The response is given as for the binomial family."""

    parameters = (ZERO_INFLATION,)
    prior_rule = "weakly_informative"
    other_links_prior_rule = "weakly_informative"
    component = Binomial()
