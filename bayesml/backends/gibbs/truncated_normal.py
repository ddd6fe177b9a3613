"""Normal draws truncated to one side of zero, by inversion in log space.

Albert and Chib's latent variable of a probit observation is z ~ N(η, 1) restricted to z > 0 when
y = 1 and to z < 0 when y = 0. Both reduce to a standard normal above a point a:
Z ~ N(0, 1) | Z > a has survival function Φ(−z)/Φ(−a), so

    Z = −Φ⁻¹(Φ(−a)·V),  V ~ Uniform(0, 1),

computed as ``-ndtri_exp(log_ndtr(-a) + log V)``. Working with log Φ keeps every draw exact far in
the tails (a = 40 is 10⁻³⁵⁰ into the tail, where Φ(−a) underflows): no rejection loop, one uniform
per draw, and the same uniforms give the same draws.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

__all__ = ["standard_normal_above", "truncated_normal"]


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
