"""Thin LAPACK wrappers for the small dense factorisations of every sweep.

``scipy.linalg.cholesky`` and ``solve_triangular`` validate and broadcast their arguments, which
costs more than the factorisation itself for the matrices of a sweep (2 × 2 covariances, a few
hundred coefficients); these call LAPACK's ``potrf`` and ``trtrs`` directly.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import lapack

__all__ = ["cholesky_lower", "lower_inverse", "solve_lower"]


def cholesky_lower(matrix: np.ndarray) -> np.ndarray:
    """The lower Cholesky factor of a symmetric positive definite matrix.

    Raises
    ------
    numpy.linalg.LinAlgError
        If the matrix is not positive definite (or not finite).
    """
    factor, info = lapack.dpotrf(matrix, lower=1, clean=1)
    if info != 0 or not np.all(np.isfinite(np.diagonal(factor))):
        raise np.linalg.LinAlgError(f"matrix is not positive definite (potrf info {info})")
    return factor


def solve_lower(factor: np.ndarray, rhs: np.ndarray, *, transpose: bool = False) -> np.ndarray:
    """F⁻¹·rhs (or F⁻ᵀ·rhs) for a lower-triangular F; ``rhs`` a vector or a matrix."""
    solution, info = lapack.dtrtrs(factor, rhs, lower=1, trans=1 if transpose else 0)
    if info != 0:
        raise np.linalg.LinAlgError(f"singular triangular factor (trtrs info {info})")
    return solution


def lower_inverse(factor: np.ndarray) -> np.ndarray:
    """The inverse of a lower-triangular matrix (LAPACK ``trtri``)."""
    inverse, info = lapack.dtrtri(factor, lower=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"singular triangular matrix (trtri info {info})")
    return inverse
