"""Derivatives in the linear predictor η that the families' ``_eta_derivatives`` share.

* :func:`mean_derivatives`: μ = g⁻¹(η) with dμ/dη and d²μ/dη² for each link;
* :func:`log_cdf_derivatives` and :func:`log_sf_derivatives`: the first two derivatives of
  log F(x) and log(1 − F(x)) for the CDF F of a link of a probability (logit, probit, cloglog),
  written so that they stay finite and accurate far in both tails (a Newton step on the random
  effects may try η = ±30);
* :func:`binary_information`: f(x)²/(F(x)(1 − F(x))), the Fisher information of one Bernoulli
  trial of probability F(x) in x;
* :func:`chain`: the derivatives in η from those in μ.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from scipy import special

__all__ = [
    "binary_information",
    "chain",
    "log_cdf_derivatives",
    "log_density_derivative",
    "log_density",
    "log_sf_derivatives",
    "mean_derivatives",
]

Array = NDArray[np.float64]

_SQRT_2_OVER_PI = float(np.sqrt(2.0 / np.pi))
_HALF_LOG_2PI = float(0.5 * np.log(2.0 * np.pi))
_MILLS_SERIES_FROM = 50.0  # below x = −50, 1 − tR(t) of the probit comes from its series
_CLOGLOG_SERIES_BELOW = 0.1  # below u = eˣ = 0.1, 1 − q − u of the cloglog from its series
_MAX_EXP_ARG = 700.0  # eˣ of the cloglog stays finite (x is clipped here; F(700) = 1 anyway)


def chain(d1: Array, d2: Array, m1: Array, m2: Array) -> tuple[Array, Array]:
    """(∂ℓ/∂η, ∂²ℓ/∂η²) from ∂ℓ/∂μ = ``d1``, ∂²ℓ/∂μ² = ``d2``, dμ/dη = ``m1``, d²μ/dη² = ``m2``."""
    return d1 * m1, d2 * m1 * m1 + d1 * m2


def mean_derivatives(link, eta: Array) -> tuple[Array, Array, Array]:
    """(μ, dμ/dη, d²μ/dη²) for the :class:`~bayesml.families.links.Link` ``link`` at η.

    The positive links (log, inverse) take μ from ``link.inverse`` (clipped as everywhere else,
    so that μ stays finite and positive); the links of a probability use the exact η.
    """
    name = link.name
    if name == "identity":
        return eta, np.ones_like(eta), np.zeros_like(eta)
    if name == "log":
        mu = link.inverse(eta)
        return mu, mu, mu
    if name == "inverse":
        mu = link.inverse(eta)
        return mu, -(mu**2), 2.0 * mu**3
    if name == "logit":
        p, q = special.expit(eta), special.expit(-eta)
        m1 = p * q
        return p, m1, m1 * (q - p)
    if name == "probit":
        m1 = np.exp(-0.5 * eta * eta - _HALF_LOG_2PI)
        return special.ndtr(eta), m1, -eta * m1
    if name == "cloglog":
        u = np.exp(np.minimum(eta, _MAX_EXP_ARG))
        m1 = u * np.exp(-u)
        return -np.expm1(-u), m1, m1 * (1.0 - u)
    raise NotImplementedError(f"no derivatives of the mean for link {name!r}")


# -- log F and log(1 − F) of the links of a probability -------------------------------------
def _logit_log_cdf(x: Array) -> tuple[Array, Array]:
    p, q = special.expit(x), special.expit(-x)
    return q, -p * q


def _logit_log_sf(x: Array) -> tuple[Array, Array]:
    p, q = special.expit(x), special.expit(-x)
    return -p, -p * q


def _inverse_mills(x: Array) -> Array:
    """λ(x) = φ(x)/Φ(x), from the scaled complementary error function (0 far above 0)."""
    with np.errstate(over="ignore"):
        return _SQRT_2_OVER_PI / special.erfcx(-x / np.sqrt(2.0))


def _probit_log_cdf(x: Array) -> tuple[Array, Array]:
    """(log Φ)' = λ(x) and (log Φ)'' = −λ(x)(x + λ(x)).

    Below x = −50 the difference x + λ(x) loses its digits; there x + λ = λ(1 − tR) with t = −x
    and R = 1/λ the Mills ratio, and 1 − tR = t⁻² − 3t⁻⁴ + 15t⁻⁶ − 105t⁻⁸ + 945t⁻¹⁰ + O(t⁻¹²).
    """
    lam = _inverse_mills(x)
    t = np.maximum(-x, _MILLS_SERIES_FROM)
    s = 1.0 / (t * t)
    one_minus_tr = s * (1.0 + s * (-3.0 + s * (15.0 + s * (-105.0 + s * 945.0))))
    d2 = np.where(x < -_MILLS_SERIES_FROM, -lam * lam * one_minus_tr, -lam * (x + lam))
    return lam, d2


def _probit_log_sf(x: Array) -> tuple[Array, Array]:
    d1, d2 = _probit_log_cdf(-x)
    return -d1, d2


def _cloglog_q(x: Array) -> tuple[Array, Array]:
    """u = eˣ and q = u/(eᵘ − 1) (q = 1 at u = 0, 0 for large u)."""
    u = np.exp(np.minimum(x, _MAX_EXP_ARG))
    with np.errstate(over="ignore", invalid="ignore"):
        q = np.where(u > 0, u / np.expm1(np.minimum(u, 1e3)), 1.0)
    return u, q


def _cloglog_log_cdf(x: Array) -> tuple[Array, Array]:
    """F = 1 − exp(−eˣ): (log F)' = q = u/(eᵘ − 1) and (log F)'' = q(1 − q − u), u = eˣ; below
    u = 0.1, 1 − q − u = −u/2 − u²/12 + u⁴/720 − u⁶/30240 + O(u⁸) (q's Bernoulli series)."""
    u, q = _cloglog_q(x)
    v = np.minimum(u, _CLOGLOG_SERIES_BELOW)
    v2 = v * v
    series = -v / 2.0 - v2 / 12.0 + v2 * v2 / 720.0 - v2 * v2 * v2 / 30240.0
    rest = np.where(u < _CLOGLOG_SERIES_BELOW, series, 1.0 - q - np.minimum(u, 1e3))
    return q, q * rest


def _cloglog_log_sf(x: Array) -> tuple[Array, Array]:
    u = np.exp(np.minimum(x, _MAX_EXP_ARG))
    return -u, -u


def _logit_information(x: Array) -> Array:
    return special.expit(x) * special.expit(-x)


def _probit_information(x: Array) -> Array:
    return _inverse_mills(x) * _inverse_mills(-x)


def _cloglog_information(x: Array) -> Array:
    u, q = _cloglog_q(x)
    return np.minimum(u, 1e3) * q


def _logit_log_density(x: Array) -> Array:
    a = np.abs(x)
    return -a - 2.0 * np.log1p(np.exp(-a))


def _probit_log_density(x: Array) -> Array:
    return -0.5 * x * x - _HALF_LOG_2PI


def _cloglog_log_density(x: Array) -> Array:
    with np.errstate(over="ignore"):
        return x - np.exp(x)


def _logit_log_density_derivative(x: Array) -> Array:
    return special.expit(-x) - special.expit(x)


def _probit_log_density_derivative(x: Array) -> Array:
    return -x


def _cloglog_log_density_derivative(x: Array) -> Array:
    with np.errstate(over="ignore"):
        return 1.0 - np.exp(x)


_Pair = Callable[[Array], tuple[Array, Array]]
_Fn = Callable[[Array], Array]
_BY_LINK: dict[str, tuple[_Pair, _Pair, _Fn, _Fn, _Fn]] = {
    "logit": (
        _logit_log_cdf,
        _logit_log_sf,
        _logit_information,
        _logit_log_density,
        _logit_log_density_derivative,
    ),
    "probit": (
        _probit_log_cdf,
        _probit_log_sf,
        _probit_information,
        _probit_log_density,
        _probit_log_density_derivative,
    ),
    "cloglog": (
        _cloglog_log_cdf,
        _cloglog_log_sf,
        _cloglog_information,
        _cloglog_log_density,
        _cloglog_log_density_derivative,
    ),
}


def _functions(link: str) -> tuple[_Pair, _Pair, _Fn, _Fn, _Fn]:
    try:
        return _BY_LINK[link]
    except KeyError:
        raise NotImplementedError(f"no CDF derivatives for link {link!r}") from None


def log_cdf_derivatives(link: str, x: Array) -> tuple[Array, Array]:
    """(d/dx log F(x), d²/dx² log F(x)) for the inverse link F of ``link``."""
    return _functions(link)[0](np.asarray(x, dtype=float))


def log_sf_derivatives(link: str, x: Array) -> tuple[Array, Array]:
    """(d/dx log(1 − F(x)), d²/dx² log(1 − F(x))) for the inverse link F of ``link``."""
    return _functions(link)[1](np.asarray(x, dtype=float))


def binary_information(link: str, x: Array) -> Array:
    """f(x)²/(F(x)(1 − F(x))): the Fisher information in x of one trial of probability F(x)."""
    return _functions(link)[2](np.asarray(x, dtype=float))


def log_density(link: str, x: Array) -> Array:
    """log f(x), f = F' the density of the inverse link's distribution."""
    return _functions(link)[3](np.asarray(x, dtype=float))


def log_density_derivative(link: str, x: Array) -> Array:
    """d/dx log f(x) (f'(x)/f(x))."""
    return _functions(link)[4](np.asarray(x, dtype=float))
