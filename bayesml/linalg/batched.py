"""Small matrices of every level at once: stacks of k × k blocks (k = terms of a grouping factor).

A sweep factorises one k × k precision block per level of the largest grouping factor and inverts
each group's k × k covariance matrix. With k = 1 or 2 (varying intercepts; intercepts and slopes)
the closed forms below act on whole arrays of levels in a handful of numpy operations, which is
several times faster than numpy's batched LAPACK routines (a LAPACK call per level) or a scipy
call per level; larger k falls back to ``numpy.linalg``. :func:`small_gaussian_draw` does the same
for one small precision matrix (the fixed effects left after the levels are eliminated).
:func:`level_block_indices`, :func:`block_diagonal` and :func:`diagonal_stack` place such a stack
on the diagonal of a larger matrix (level-major: level ``l``'s block starts at row ``l·k``).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

__all__ = [
    "block_diagonal",
    "diagonal_stack",
    "inverse_2x2",
    "inverse_cholesky",
    "level_block_indices",
    "small_gaussian_draw",
    "small_inverse",
]


def inverse_cholesky(blocks: np.ndarray, *, rtol: float = 0.0) -> np.ndarray:
    """F⁻¹ for the lower Cholesky factor F of each (…, k, k) block (F Fᵀ = block).

    Parameters
    ----------
    blocks
        Symmetric blocks, shape (…, k, k).
    rtol
        A pivot (a squared diagonal entry of F) at most ``rtol`` times the block's diagonal entry
        counts as zero: the block is singular to that precision. The default 0 accepts every
        positive pivot.

    Raises
    ------
    numpy.linalg.LinAlgError
        If a block is not positive definite or not finite.
    """
    if not blocks.size:
        return np.zeros_like(blocks)
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
        if rtol:
            _check_relative_pivots(pivot, last, rtol)
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
    if rtol:
        diagonal = np.diagonal(factor, axis1=-2, axis2=-1)
        _check_relative_pivots(diagonal**2, np.diagonal(blocks, axis1=-2, axis2=-1), rtol)
    return np.linalg.inv(factor)


def _check_pivots(pivots: np.ndarray) -> None:
    # NaN fails both comparisons
    if not (pivots.min() > 0.0 and pivots.max() < math.inf):
        raise np.linalg.LinAlgError("a block is not positive definite or not finite")


def _check_relative_pivots(pivots: np.ndarray, diagonal: np.ndarray, rtol: float) -> None:
    if not np.all(pivots > rtol * diagonal):
        raise np.linalg.LinAlgError("a block is singular to working precision")


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


def level_block_indices(start: int, n_levels: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column positions of the k × k diagonal block of every level (level-major).

    Parameters
    ----------
    start
        Row (and column) of the first level's block.
    n_levels, k
        Number of blocks and their size.

    Returns
    -------
    tuple of numpy.ndarray
        Rows and columns, each of length ``n_levels · k · k`` in the order of a C-ordered
        (n_levels, k, k) stack.
    """
    offsets = start + np.arange(n_levels)[:, None, None] * k
    rows = offsets + np.arange(k)[None, :, None]
    cols = offsets + np.arange(k)[None, None, :]
    return (
        np.broadcast_to(rows, (n_levels, k, k)).reshape(-1),
        np.broadcast_to(cols, (n_levels, k, k)).reshape(-1),
    )


def block_diagonal(blocks: np.ndarray) -> sp.csr_matrix:
    """The sparse (L·k) × (L·k) block-diagonal matrix of a stack of (L, k, k) blocks."""
    levels, k = blocks.shape[:2]
    if k == 1:
        return sp.diags(blocks[:, 0, 0], format="csr")
    rows, cols = level_block_indices(0, levels, k)
    size = levels * k
    return sp.csr_matrix((blocks.reshape(-1), (rows, cols)), shape=(size, size))


def diagonal_stack(values: np.ndarray) -> np.ndarray:
    """(L, k) values → the (L, k, k) stack of diagonal matrices that hold them."""
    levels, k = values.shape
    out = np.zeros((levels, k, k))
    out[:, np.arange(k), np.arange(k)] = values
    return out
