"""Normal draws truncated to one side of zero or to an interval, by inversion in log space.

Albert and Chib's latent variable of a probit observation is z ~ N(η, 1) restricted to z > 0 when
y = 1 and to z < 0 when y = 0. Both reduce to a standard normal above a point a:
Z ~ N(0, 1) | Z > a has survival function Φ(−z)/Φ(−a), so

    Z = −Φ⁻¹(Φ(−a)·V),  V ~ Uniform(0, 1),

computed as ``-ndtri_exp(log_ndtr(-a) + log V)``. Working with log Φ keeps every draw exact far in
the tails (a = 40 is 10⁻³⁵⁰ into the tail, where Φ(−a) underflows): no rejection loop, one uniform
per draw, and the same uniforms give the same draws.

The latent variable of an ordinal probit row in category k is z ~ N(η, 1) restricted to the
interval (θ_{k−1}, θ_k) between two thresholds (:func:`truncated_normal_between`). With the
standardised bounds a < b, mirrored when needed so that a + b ≤ 0 (then a is the far tail and
Φ(a) ≤ Φ(b)),

    Φ(Z) = Φ(a) + V·(Φ(b) − Φ(a)) = Φ(b)·[V + (1 − V)·Φ(a)/Φ(b)],

so log Φ(Z) = log Φ(b) + log(V + (1 − V)·exp(log Φ(a) − log Φ(b))), again exact far in the tails
(one bound infinite is the one-sided case).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

_LOG_HALF = float(np.log(0.5))

__all__ = [
    "log_normal_mass",
    "standard_normal_above",
    "standard_normal_between",
    "truncated_normal",
    "truncated_normal_between",
]


def standard_normal_above(lower: ArrayLike, uniforms: ArrayLike) -> np.ndarray:
    """Standard normal draws conditioned on exceeding ``lower``, from uniforms, by inversion.

    Parameters
    ----------
    lower
        Truncation points a (any real numbers, broadcast against ``uniforms``).
    uniforms
        Draws of Uniform(0, 1).

    Returns
    -------
    numpy.ndarray
        Z with Z > a, distributed as N(0, 1) restricted to (a, ∞).

    Examples
    --------
    >>> standard_normal_above([0.0, 10.0], [0.5, 0.5]).round(4)
    array([ 0.6745, 10.0684])
    """
    lower = np.asarray(lower, dtype=float)
    log_v = np.log(np.asarray(uniforms, dtype=float))
    draws = -special.ndtri_exp(special.log_ndtr(-lower) + log_v)
    # rounding can put a draw a hair below a when V is within 1 ulp of 1
    return np.maximum(draws, lower)


def truncated_normal(
    mean: ArrayLike, positive: ArrayLike, rng: np.random.Generator, sd: ArrayLike = 1.0
) -> np.ndarray:
    """Draws of N(mean, sd²) truncated to (0, ∞) where ``positive`` and to (−∞, 0) elsewhere.

    Parameters
    ----------
    mean
        Means before truncation, shape ``(n,)``.
    positive
        Booleans, shape ``(n,)``: True keeps the positive half-line (a probit success).
    rng
        Source of the uniforms (one per draw).
    sd
        Standard deviations before truncation (scalar or ``(n,)``).

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``; positive where ``positive``, negative elsewhere.
    """
    mean = np.asarray(mean, dtype=float)
    sd = np.asarray(sd, dtype=float)
    sign = np.where(np.asarray(positive, dtype=bool), 1.0, -1.0)
    # sign·X ~ N(sign·μ, sd²) above 0  <=>  its standardised value exceeds −sign·μ/sd
    centred = sign * mean / sd
    # 1 − U lies in (0, 1]: log V is finite
    z = standard_normal_above(-centred, 1.0 - rng.uniform(size=mean.shape))
    return sign * sd * (centred + z)


def standard_normal_between(lower: ArrayLike, upper: ArrayLike, uniforms: ArrayLike) -> np.ndarray:
    """Standard normal draws conditioned on lying in (``lower``, ``upper``), by inversion.

    Parameters
    ----------
    lower, upper
        Bounds a < b (either may be infinite, not both on the same side), broadcast together
        with ``uniforms``.
    uniforms
        Draws of Uniform(0, 1).

    Returns
    -------
    numpy.ndarray
        Z with a ≤ Z ≤ b, distributed as N(0, 1) restricted to (a, b): the quantile F⁻¹(V) of
        the truncated distribution, or F⁻¹(1 − V) for an interval mirrored (a + b > 0).

    Examples
    --------
    >>> standard_normal_between([-np.inf, 10.0, -1.0], [0.0, 11.0, 2.0], [0.5, 0.5, 0.5]).round(4)
    array([-0.6745, 10.0684,  0.1712])
    """
    lower, upper, uniforms = np.broadcast_arrays(
        np.asarray(lower, dtype=float), np.asarray(upper, dtype=float), np.asarray(uniforms, float)
    )
    # mirror the intervals that lie mostly above 0, so that a is always the far tail
    with np.errstate(invalid="ignore"):  # (−∞, ∞): no flip
        flip = lower + upper > 0
    low = np.where(flip, -upper, lower)
    high = np.where(flip, -lower, upper)
    log_high = special.log_ndtr(high)
    with np.errstate(invalid="ignore"):
        ratio = np.exp(special.log_ndtr(low) - log_high)  # Φ(a)/Φ(b) ∈ [0, 1]
    draws = special.ndtri_exp(log_high + np.log(uniforms + (1.0 - uniforms) * ratio))
    # rounding can put a draw a hair outside (a, b)
    draws = np.clip(draws, low, high)
    return np.where(flip, -draws, draws)


def truncated_normal_between(
    mean: ArrayLike, lower: ArrayLike, upper: ArrayLike, rng: np.random.Generator
) -> np.ndarray:
    """Draws of N(mean, 1) truncated to (``lower``, ``upper``), one uniform each.

    Parameters
    ----------
    mean
        Means before truncation, shape ``(n,)``.
    lower, upper
        Bounds, shape ``(n,)``, ``lower < upper`` (−∞ and +∞ allowed).
    rng
        Source of the uniforms.

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``, each within its bounds.
    """
    mean = np.asarray(mean, dtype=float)
    # 1 − U lies in (0, 1]: the logarithm inside the inversion stays finite
    uniforms = 1.0 - rng.uniform(size=mean.shape)
    return mean + standard_normal_between(
        np.asarray(lower, dtype=float) - mean, np.asarray(upper, dtype=float) - mean, uniforms
    )


def log_normal_mass(lower: ArrayLike, upper: ArrayLike) -> np.ndarray:
    """log(Φ(b) − Φ(a)) for a < b (either may be infinite), exact far in the tails.

    Mirrored as in :func:`standard_normal_between` so that a is the far tail, then
    log Φ(b) + log(1 − Φ(a)/Φ(b)), the last term as ``log(-expm1(·))`` near 0 and ``log1p(-exp(·))``
    below log ½ (Mächler 2012): two ``log_ndtr`` per value.

    Examples
    --------
    >>> np.exp(log_normal_mass([-np.inf, -1.0, 40.0], [0.0, 1.0, np.inf])).round(4).tolist()
    [0.5, 0.6827, 0.0]
    >>> round(float(log_normal_mass(40.0, np.inf)), 2)
    -804.61
    """
    lower, upper = np.broadcast_arrays(np.asarray(lower, dtype=float), np.asarray(upper, float))
    with np.errstate(invalid="ignore"):  # (−∞, ∞): no flip
        flip = lower + upper > 0
    low = np.where(flip, -upper, lower)
    high = np.where(flip, -lower, upper)
    log_high = special.log_ndtr(high)
    difference = special.log_ndtr(low) - log_high  # log Φ(a)/Φ(b) ≤ 0
    with np.errstate(divide="ignore"):
        near = np.log(-np.expm1(difference))
        far = np.log1p(-np.exp(difference))
    return log_high + np.where(difference > _LOG_HALF, near, far)
