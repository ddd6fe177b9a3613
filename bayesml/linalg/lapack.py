"""Thin LAPACK wrappers for the dense factorisations of a sweep or an iteration.

``scipy.linalg.cholesky`` and ``solve_triangular`` validate and broadcast their arguments, which
costs more than the factorisation itself for the matrices of a Gibbs sweep (2 × 2 covariances, a
few hundred coefficients); these call LAPACK's ``potrf``, ``trtrs``, ``trtri`` and ``potri``
directly. Every function accepts an empty (0 × 0) matrix.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import lapack

__all__ = [
    "cholesky_inverse",
    "cholesky_lower",
    "cholesky_solve",
    "lower_inverse",
    "solve_lower",
]


def cholesky_lower(matrix: np.ndarray) -> np.ndarray:
    """The lower Cholesky factor of a symmetric positive definite matrix.

    Parameters
    ----------
    matrix
        A symmetric ``m × m`` matrix (only its lower triangle is read).

    Returns
    -------
    numpy.ndarray
        F, lower triangular with F Fᵀ = ``matrix``.

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
    """F⁻¹·rhs (or F⁻ᵀ·rhs) for a lower-triangular F; ``rhs`` a vector or a matrix.

    Raises
    ------
    numpy.linalg.LinAlgError
        If F has a zero on its diagonal.
    """
    if not factor.size:
        return np.zeros(np.shape(rhs))
    solution, info = lapack.dtrtrs(factor, rhs, lower=1, trans=1 if transpose else 0)
    if info != 0:
        raise np.linalg.LinAlgError(f"singular triangular factor (trtrs info {info})")
    return solution


def cholesky_solve(
    factor: np.ndarray, rhs: np.ndarray, normals: np.ndarray | None = None
) -> np.ndarray:
    """A⁻¹·rhs for A = F Fᵀ; with ``normals`` ε, the Gaussian draw A⁻¹·rhs + F⁻ᵀε.

    Both are F⁻ᵀ(F⁻¹·rhs + ε) (ε = 0 for the solve): the draw has mean A⁻¹·rhs and covariance
    F⁻ᵀF⁻¹ = A⁻¹ when ε ~ N(0, I).

    Parameters
    ----------
    factor
        F, the lower Cholesky factor of A (:func:`cholesky_lower`).
    rhs
        The right-hand side (a vector or a matrix).
    normals
        ε, shaped like ``rhs``; ``None`` for the plain solve.
    """
    whitened = solve_lower(factor, rhs)
    if normals is not None:
        whitened = whitened + normals
    return solve_lower(factor, whitened, transpose=True)


def lower_inverse(factor: np.ndarray) -> np.ndarray:
    """The inverse of a lower-triangular matrix (LAPACK ``trtri``).

    Raises
    ------
    numpy.linalg.LinAlgError
        If the matrix has a zero on its diagonal.
    """
    inverse, info = lapack.dtrtri(factor, lower=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"singular triangular matrix (trtri info {info})")
    return inverse


def cholesky_inverse(factor: np.ndarray) -> np.ndarray:
    """A⁻¹ (symmetric, both triangles filled) from the lower Cholesky factor F of A (``potri``).

    Raises
    ------
    numpy.linalg.LinAlgError
        If F has a zero on its diagonal.
    """
    if not factor.size:
        return np.zeros((0, 0))
    inverse, info = lapack.dpotri(factor, lower=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"singular Cholesky factor (potri info {info})")
    return np.tril(inverse) + np.tril(inverse, -1).T
