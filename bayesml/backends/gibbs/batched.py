"""Small matrices of every level at once: stacks of k × k blocks (k = terms of a grouping factor).

A sweep factorises one k × k precision block per level of the largest grouping factor and inverts
each group's k × k covariance matrix. With k = 1 or 2 (varying intercepts; intercepts and slopes)
the closed forms below act on whole arrays of levels in a handful of numpy operations, which is
several times faster than numpy's batched LAPACK routines (a LAPACK call per level) or a scipy
call per level; larger k falls back to ``numpy.linalg``. :func:`small_gaussian_draw` does the same
for one small precision matrix (the fixed effects left after the levels are eliminated).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["inverse_2x2", "inverse_cholesky", "small_gaussian_draw", "small_inverse"]


def inverse_cholesky(blocks: np.ndarray) -> np.ndarray:
    """F⁻¹ for the lower Cholesky factor F of each (…, k, k) block (F Fᵀ = block).

    Raises
    ------
    numpy.linalg.LinAlgError
        If a block is not positive definite or not finite.
    """
    k = blocks.shape[-1]
    if k == 1:
        _check_pivots(blocks)
        return blocks**-0.5
    if k == 2:
        first, below, last = blocks[..., 0, 0], blocks[..., 1, 0], blocks[..., 1, 1]
        _check_pivots(first)
        inverse_00 = first**-0.5
        factor_10 = below * inverse_00
        pivot = last - factor_10 * factor_10
        _check_pivots(pivot)
        inverse_11 = pivot**-0.5
        inverse = np.zeros_like(blocks)
        inverse[..., 0, 0] = inverse_00
        inverse[..., 1, 1] = inverse_11
        factor_10 *= inverse_00
        factor_10 *= inverse_11
        np.negative(factor_10, out=inverse[..., 1, 0])
        return inverse
    factor = np.linalg.cholesky(blocks)
    if not np.isfinite(factor.sum()):
        raise np.linalg.LinAlgError("a block is not finite")
    return np.linalg.inv(factor)


def _check_pivots(pivots: np.ndarray) -> None:
    # NaN fails both comparisons
    if not (pivots.min() > 0.0 and pivots.max() < math.inf):
        raise np.linalg.LinAlgError("a block is not positive definite or not finite")


def small_gaussian_draw(precision: np.ndarray, rhs: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """A⁻¹c + F⁻ᵀε (A = F Fᵀ) for a 1 × 1 or 2 × 2 precision A, in closed form.

    The same arithmetic as the LAPACK path (F⁻ᵀ(F⁻¹c + ε)), with Python floats.

    Raises
    ------
    numpy.linalg.LinAlgError
        If A is not positive definite (or not finite).
    """
    size = precision.shape[0]
    if size == 1:
        a = float(precision[0, 0])
        if not 0.0 < a < math.inf:
            raise np.linalg.LinAlgError("matrix is not positive definite")
        root = math.sqrt(a)
        return np.array([(float(rhs[0]) / root + float(normals[0])) / root])
    if size != 2:
        raise ValueError(f"small_gaussian_draw takes a 1 x 1 or 2 x 2 matrix; got {size} x {size}")
    (a, _), (b, d) = precision.tolist()
    c0, c1 = rhs.tolist()
    e0, e1 = normals.tolist()
    if not 0.0 < a < math.inf:
        raise np.linalg.LinAlgError("matrix is not positive definite")
    l00 = math.sqrt(a)
    l10 = b / l00
    pivot = d - l10 * l10
    if not 0.0 < pivot < math.inf:
        raise np.linalg.LinAlgError("matrix is not positive definite")
    l11 = math.sqrt(pivot)
    y0 = c0 / l00 + e0
    y1 = (c1 - l10 * (c0 / l00)) / l11 + e1
    x1 = y1 / l11
    return np.array([(y0 - l10 * x1) / l00, x1])


def inverse_2x2(matrix: np.ndarray) -> np.ndarray:
    """The inverse of a 2 × 2 matrix by the adjugate."""
    (a, b), (c, d) = matrix.tolist()
    det = a * d - b * c
    return np.array([[d / det, -b / det], [-c / det, a / det]])


def small_inverse(matrix: np.ndarray) -> np.ndarray:
    """The inverse of a small k × k matrix (closed forms for k ≤ 2)."""
    k = matrix.shape[0]
    if k == 1:
        return 1.0 / matrix
    if k == 2:
        return inverse_2x2(matrix)
    return np.linalg.inv(matrix)
