"""Families of an ordered response with K categories: cumulative, sratio and acat (brms' names).

The response is the category number y ∈ {1, …, K} of each row, in the order of the levels (the
design layer maps an ordered categorical, integers or labels with ``levels=`` to these numbers).
The linear predictor η has no intercept: K − 1 thresholds θ₁, …, θ_{K−1} (the posterior's
``cutpoints``) take its place. F is the inverse link, a CDF (logistic, standard normal or the
Gumbel-minimum CDF 1 − exp(−exp(x)) of cloglog). The conventions are those of ``ordinal::clmm``,
brms and bambi, so a positive coefficient moves the response towards higher categories:

=============  ====================================================================  ===========
family         model                                                                 thresholds
=============  ====================================================================  ===========
cumulative     P(y ≤ k) = F(θ_k − η)                                                 increasing
sratio         P(y = k | y ≥ k) = F(θ_k − η) (stopping ratio; k < K)                 any order
acat           P(y = k + 1 | y ∈ {k, k + 1}) = F(η − θ_k) (adjacent categories;      any order
               with the logit link log P(y = k + 1)/P(y = k) = η − θ_k)
=============  ====================================================================  ===========

The cumulative model is a latent-variable model: y* = η + ε with ε ~ F, and y = k when
θ_{k−1} < y* ≤ θ_k (θ₀ = −∞, θ_K = +∞). :func:`category_bounds` gives each row's interval
(θ_{y−1}, θ_y), what a latent-variable sampler (Albert and Chib's for the probit link) needs.

Every probability is computed on the log scale from log F and log(1 − F), so that the
log-likelihood stays exact in the tails (a probability of 10⁻³⁰⁰ is not rounded to 0).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from bayesml.errors import FamilyError
from bayesml.families._eta import (
    log_cdf_derivatives,
    log_density,
    log_density_derivative,
    log_sf_derivatives,
)
from bayesml.families.base import DefaultPrior, Family, Parameter

__all__ = [
    "CUTPOINTS",
    "CUTPOINT_PRIOR",
    "Acat",
    "Cumulative",
    "ORDINAL_LINKS",
    "Sratio",
    "category_bounds",
    "level_text",
    "log_cdf",
    "log_interval_probability",
    "log_sf",
    "threshold_labels",
]

Array = NDArray[np.float64]

ORDINAL_LINKS = ("logit", "probit", "cloglog")
"""The links of the ordinal families (the first is the default), as in ``ordinal::clmm``."""

CUTPOINT_PRIOR = DefaultPrior("student_t", {"nu": 3, "mu": 0, "sigma": 2.5})
"""The default prior of each threshold: Student-t(3, 0, 2.5), brms' default for ordinal
intercepts; for the cumulative family restricted to increasing values."""

_CLOGLOG_SMALL = -30.0  # below this, log(1 − exp(−exp(x))) = x to double precision (error e^x/2)
_LOG_HALF = float(np.log(0.5))


# -- the CDFs of the links ----------------------------------------------------------------
def _logit_log_cdf(x: Array) -> Array:
    return -np.logaddexp(0.0, -x)


def _logit_log_sf(x: Array) -> Array:
    return -np.logaddexp(0.0, x)


def _probit_log_cdf(x: Array) -> Array:
    return special.log_ndtr(x)


def _probit_log_sf(x: Array) -> Array:
    return special.log_ndtr(-x)


def _cloglog_log_cdf(x: Array) -> Array:
    safe = np.maximum(x, _CLOGLOG_SMALL)
    return np.where(x < _CLOGLOG_SMALL, x, np.log(-np.expm1(-np.exp(safe))))


def _cloglog_log_sf(x: Array) -> Array:
    with np.errstate(over="ignore"):
        return -np.exp(x)


_LOG_CDFS: dict[str, tuple[Callable[[Array], Array], Callable[[Array], Array]]] = {
    "logit": (_logit_log_cdf, _logit_log_sf),
    "probit": (_probit_log_cdf, _probit_log_sf),
    "cloglog": (_cloglog_log_cdf, _cloglog_log_sf),
}


def _pair(link: str) -> tuple[Callable[[Array], Array], Callable[[Array], Array]]:
    try:
        return _LOG_CDFS[link]
    except KeyError:
        raise FamilyError(
            f"the ordinal families have no link {link!r}; expected one of {list(_LOG_CDFS)}"
        ) from None


def log_cdf(link: str, x: ArrayLike) -> Array:
    """log F(x) for the inverse link F of ``link`` (logit, probit or cloglog), exact in the tails."""
    return _pair(link)[0](np.asarray(x, dtype=float))


def log_sf(link: str, x: ArrayLike) -> Array:
    """log(1 − F(x)) for the inverse link F of ``link``, exact in the tails."""
    return _pair(link)[1](np.asarray(x, dtype=float))


def _log1mexp(x: Array) -> Array:
    """log(1 − eˣ) for x ≤ 0 (Mächler 2012): −inf at 0, 0 at −inf."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > _LOG_HALF, np.log(-np.expm1(x)), np.log1p(-np.exp(x)))


def log_interval_probability(link: str, lower: ArrayLike, upper: ArrayLike) -> Array:
    """log(F(upper) − F(lower)) for lower < upper (either may be infinite).

    Computed from the CDF below 0 and from the survival function 1 − F above it, so that neither
    a probability near 1 nor one near 0 loses its digits.
    """
    lower, upper = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    cdf, sf = _pair(link)
    with np.errstate(invalid="ignore"):
        log_cdf_upper = cdf(upper)
        by_cdf = log_cdf_upper + _log1mexp(cdf(lower) - log_cdf_upper)
        log_sf_lower = sf(lower)
        by_sf = log_sf_lower + _log1mexp(sf(upper) - log_sf_lower)
    return np.where(lower > 0, by_sf, by_cdf)


def category_bounds(y: ArrayLike, cutpoints: ArrayLike) -> tuple[Array, Array]:
    """The thresholds (θ_{y−1}, θ_y) around each row's category, with θ₀ = −∞ and θ_K = +∞.

    Parameters
    ----------
    y
        Category numbers 1, …, K, shape ``(n,)``.
    cutpoints
        θ₁ < … < θ_{K−1}, shape ``(..., m, K − 1)`` with m = 1 or n (one vector per draw, or one
        per row), or ``(K − 1,)``.

    Returns
    -------
    lower, upper
        Shape ``(..., n)``.
    """
    theta = np.asarray(cutpoints, dtype=float)
    codes = np.asarray(y).astype(np.int64)
    infinite = np.full(theta.shape[:-1] + (1,), np.inf)
    padded = np.concatenate([-infinite, theta, infinite], axis=-1)  # θ₀, …, θ_K
    if padded.ndim == 1:
        return padded[codes - 1], padded[codes]
    index = codes.reshape((1,) * (padded.ndim - 2) + (codes.size, 1))
    lower = np.take_along_axis(padded, index - 1, axis=-1)[..., 0]
    upper = np.take_along_axis(padded, index, axis=-1)[..., 0]
    return lower, upper


def level_text(level: Any) -> str:
    """A level as R prints it: ``2`` for the number 2.0 (a column of whole numbers stored as
    floats, as pandas stores integers with missing values), ``"good"`` for ``"good"``."""
    if isinstance(level, np.generic):
        level = level.item()
    if isinstance(level, float) and level.is_integer():
        return str(int(level))
    return str(level)


def threshold_labels(levels: Sequence[Any]) -> tuple[str, ...]:
    """R's labels of the thresholds between consecutive levels: ``("1|2", "2|3", ...)``."""
    labels = [level_text(level) for level in levels]
    return tuple(f"{low}|{high}" for low, high in zip(labels[:-1], labels[1:], strict=True))


CUTPOINTS = Parameter(
    "cutpoints",
    "the K - 1 thresholds between consecutive categories, in increasing order",
    constraint="ordered",
    shape=("threshold",),
    default_prior=CUTPOINT_PRIOR,
)
"""The cumulative family's thresholds: an increasing vector."""

_FREE_CUTPOINTS = Parameter(
    "cutpoints",
    "the K - 1 thresholds of the conditional probabilities, one per category but the last",
    constraint="real",
    shape=("threshold",),
    default_prior=CUTPOINT_PRIOR,
)


class _Ordinal(Family, links=ORDINAL_LINKS, response="ordinal"):
    """What the ordinal families share: the thresholds in place of the intercept, the category
    probabilities as the expected response, and draws of categories.

    Their ``mu`` is η itself (:meth:`mu_from_eta`): the link acts on the thresholds minus η
    inside the likelihood. Their parameters' values broadcast against ``mu[..., None]``
    (``cutpoints`` of shape ``(chain, draw, 1, K − 1)`` for ``mu`` of shape ``(chain, draw, n)``).
    """

    absorbs_intercept = True
    prior_rule = "unit_scale"
    other_links_prior_rule = "unit_scale"

    def mu_from_eta(self, eta: ArrayLike) -> Array:
        """η itself: the ordinal families' link acts on the thresholds minus η."""
        return np.asarray(eta, dtype=float)

    def dimension_labels(self, levels: Sequence[Any]) -> dict[str, tuple[str, ...]]:
        """``threshold``: R's ``1|2``, ``2|3``, …; ``category``: the levels as text."""
        return {"threshold": threshold_labels(levels), "category": tuple(map(level_text, levels))}

    def category_log_probabilities(self, eta: ArrayLike, cutpoints: ArrayLike) -> Array:
        """log P(y = k) for k = 1, …, K, on a trailing axis: shape ``(..., n, K)``.

        Parameters
        ----------
        eta
            Linear predictor, shape ``(..., n)``.
        cutpoints
            Thresholds, broadcastable against ``eta[..., None]`` on all but the last axis.
        """
        eta = np.asarray(eta, dtype=float)
        shifted = np.asarray(cutpoints, dtype=float) - eta[..., None]  # θ_k − η
        return self._category_log_probabilities(shifted)

    def _category_log_probabilities(self, shifted: Array) -> Array:
        raise NotImplementedError

    def expected_response(self, mu: ArrayLike, params=None) -> Array:
        """The probability of each category, on a trailing axis of length K (they sum to 1)."""
        values = self._param_values(params, self.aux_names, purpose="the category probabilities")
        return np.exp(self.category_log_probabilities(mu, values["cutpoints"]))

    def _log_likelihood(self, y, mu, params, trials, weights):
        log_p = self.category_log_probabilities(mu, params["cutpoints"])
        index = np.broadcast_to(y.astype(np.int64) - 1, log_p.shape[:-1])[..., None]
        return np.take_along_axis(log_p, index, axis=-1)[..., 0]

    def _eta_derivatives(self, y, eta, params, trials, weights):
        """The derivatives of log P(y = k) in η (:meth:`_category_eta_derivatives`) at each
        row's category."""
        gradient, curvature = self._category_eta_derivatives(eta, params["cutpoints"])
        index = np.broadcast_to(y.astype(np.int64) - 1, gradient.shape[:-1])[..., None]
        return (
            np.take_along_axis(gradient, index, axis=-1)[..., 0],
            np.take_along_axis(curvature, index, axis=-1)[..., 0],
        )

    def _eta_information(self, y, eta, params, trials, weights):
        """Σ_k P(y = k)·(∂ log P(y = k)/∂η)², which equals −E[∂²ℓ/∂η²] (no cancellation)."""
        cutpoints = params["cutpoints"]
        gradient, _ = self._category_eta_derivatives(eta, cutpoints)
        probabilities = np.exp(self.category_log_probabilities(eta, cutpoints))
        return np.sum(probabilities * gradient * gradient, axis=-1)

    def _category_eta_derivatives(self, eta: Array, cutpoints: Array) -> tuple[Array, Array]:
        """(∂ log P(y = k)/∂η, ∂² log P(y = k)/∂η²) for k = 1, …, K on a trailing axis."""
        raise NotImplementedError

    def _draw(self, rng, mu, params, trials, weights):
        probabilities = np.exp(self.category_log_probabilities(mu, params["cutpoints"]))
        cumulative = np.cumsum(probabilities, axis=-1)
        uniform = rng.random(cumulative.shape[:-1])
        # the category is 1 + the number of cumulative probabilities below the uniform draw
        return 1.0 + np.sum(cumulative[..., :-1] < uniform[..., None], axis=-1)


class Cumulative(_Ordinal, name="cumulative"):
    """P(y ≤ k) = F(θ_k − η), θ₁ < … < θ_{K−1} (proportional odds with the logit link; clmm)."""

    parameters = (CUTPOINTS,)

    def _category_log_probabilities(self, shifted):
        infinite = np.full(shifted.shape[:-1] + (1,), np.inf)
        upper = np.concatenate([shifted, infinite], axis=-1)
        lower = np.concatenate([-infinite, shifted], axis=-1)
        return log_interval_probability(self.link.name, lower, upper)

    def _log_likelihood(self, y, mu, params, trials, weights):
        lower, upper = category_bounds(y, params["cutpoints"])
        return log_interval_probability(self.link.name, lower - mu, upper - mu)

    def _category_eta_derivatives(self, eta, cutpoints):
        """With a = θ_{k−1} − η, b = θ_k − η, P = F(b) − F(a), A = f(a)/P, B = f(b)/P and
        L = (log f)′: ∂ℓ/∂η = A − B and ∂²ℓ/∂η² = B·L(b) − A·L(a) − (B − A)², the ratios taken
        on the log scale; the end categories (log F(θ₁ − η) and log(1 − F(θ_{K−1} − η))) from
        the derivatives of log F and log(1 − F), exact in the tails."""
        link = self.link.name
        x = np.asarray(cutpoints, dtype=float) - np.asarray(eta, dtype=float)[..., None]
        infinite = np.full(x.shape[:-1] + (1,), np.inf)
        upper = np.concatenate([x, infinite], axis=-1)
        lower = np.concatenate([-infinite, x], axis=-1)
        log_p = log_interval_probability(link, lower, upper)
        ratios, slopes = [], []
        for end in (lower, upper):
            finite = np.isfinite(end)
            safe = np.where(finite, end, 0.0)
            with np.errstate(over="ignore", invalid="ignore"):
                ratios.append(np.where(finite, np.exp(log_density(link, safe) - log_p), 0.0))
            slopes.append(np.where(finite, log_density_derivative(link, safe), 0.0))
        (a_ratio, b_ratio), (a_slope, b_slope) = ratios, slopes
        gradient = a_ratio - b_ratio
        curvature = b_ratio * b_slope - a_ratio * a_slope - gradient * gradient
        first1, first2 = log_cdf_derivatives(link, x[..., :1])
        last1, last2 = log_sf_derivatives(link, x[..., -1:])
        gradient = np.concatenate([-first1, gradient[..., 1:-1], -last1], axis=-1)
        curvature = np.concatenate([first2, curvature[..., 1:-1], last2], axis=-1)
        return gradient, curvature


class Sratio(_Ordinal, name="sratio"):
    """P(y = k | y ≥ k) = F(θ_k − η) for k < K: log P(y = k) = log F(θ_k − η) + Σ_{j<k} log(1 −
    F(θ_j − η)); the thresholds are unconstrained."""

    parameters = (_FREE_CUTPOINTS,)

    def _category_log_probabilities(self, shifted):
        cdf, sf = _pair(self.link.name)
        stop, go_on = cdf(shifted), sf(shifted)
        zero = np.zeros(shifted.shape[:-1] + (1,))
        reached = np.concatenate([zero, np.cumsum(go_on, axis=-1)], axis=-1)  # Σ_{j<k}
        return reached + np.concatenate([stop, zero], axis=-1)

    def _category_eta_derivatives(self, eta, cutpoints):
        """log P(y = k) = log F(x_k) + Σ_{j<k} log(1 − F(x_j)) with x_j = θ_j − η (dx/dη = −1)."""
        link = self.link.name
        x = np.asarray(cutpoints, dtype=float) - np.asarray(eta, dtype=float)[..., None]
        stop1, stop2 = log_cdf_derivatives(link, x)
        on1, on2 = log_sf_derivatives(link, x)
        zero = np.zeros(x.shape[:-1] + (1,))
        reached1 = np.concatenate([zero, np.cumsum(on1, axis=-1)], axis=-1)
        reached2 = np.concatenate([zero, np.cumsum(on2, axis=-1)], axis=-1)
        gradient = -(reached1 + np.concatenate([stop1, zero], axis=-1))
        curvature = reached2 + np.concatenate([stop2, zero], axis=-1)
        return gradient, curvature


class Acat(_Ordinal, name="acat"):
    """P(y = k + 1 | y ∈ {k, k + 1}) = F(η − θ_k): P(y = k) ∝ Π_{j<k} F(η − θ_j) Π_{j≥k} (1 −
    F(η − θ_j)); with the logit link log P(y = k + 1)/P(y = k) = η − θ_k. The thresholds are
    unconstrained."""

    parameters = (_FREE_CUTPOINTS,)

    def _category_log_probabilities(self, shifted):
        cdf, sf = _pair(self.link.name)
        up, stay = cdf(-shifted), sf(-shifted)  # log F(η − θ_j), log(1 − F(η − θ_j))
        zero = np.zeros(shifted.shape[:-1] + (1,))
        below = np.concatenate([zero, np.cumsum(up, axis=-1)], axis=-1)  # Σ_{j<k}
        above = np.concatenate([np.cumsum(stay[..., ::-1], axis=-1)[..., ::-1], zero], axis=-1)
        unnormalised = below + above  # Σ_{j≥k}
        return unnormalised - special.logsumexp(unnormalised, axis=-1, keepdims=True)

    def _category_eta_derivatives(self, eta, cutpoints):
        """With uₖ = Σ_{j<k} log F(z_j) + Σ_{j≥k} log(1 − F(z_j)), z_j = η − θ_j, gₖ = uₖ′ and
        hₖ = uₖ″: log P(y = k) = uₖ − log Σ exp(u), so ∂ℓ/∂η = gₖ − ḡ and ∂²ℓ/∂η² = hₖ − Σ p h −
        Σ p (g − ḡ)², with ḡ = Σ p g (the variance as a sum of squares: no cancellation)."""
        link = self.link.name
        cutpoints = np.asarray(cutpoints, dtype=float)
        eta = np.asarray(eta, dtype=float)
        z = eta[..., None] - cutpoints
        up1, up2 = log_cdf_derivatives(link, z)
        stay1, stay2 = log_sf_derivatives(link, z)
        zero = np.zeros(z.shape[:-1] + (1,))

        def total(up, stay):
            below = np.concatenate([zero, np.cumsum(up, axis=-1)], axis=-1)
            above = np.concatenate([np.cumsum(stay[..., ::-1], axis=-1)[..., ::-1], zero], -1)
            return below + above

        g, h = total(up1, stay1), total(up2, stay2)
        p = np.exp(self.category_log_probabilities(eta, cutpoints))
        gradient = g - np.sum(p * g, axis=-1, keepdims=True)
        spread = np.sum(p * gradient * gradient, axis=-1, keepdims=True)
        return gradient, h - np.sum(p * h, axis=-1, keepdims=True) - spread
