"""Covariance-matrix helpers of the Gibbs kernels: inverse-Wishart draws and an unconstrained
parameterisation of correlation matrices.

* :func:`inverse_wishart_draw`: Σ ~ IW(ν, Ψ) by the Bartlett decomposition. With Ψ = C Cᵀ
  (Cholesky) and A lower triangular, A_ii = √χ²(ν − i), A_ij ~ N(0, 1) below the diagonal,
  W = C⁻ᵀ A Aᵀ C⁻¹ ~ Wishart(ν, Ψ⁻¹), so Σ = W⁻¹ = (C A⁻ᵀ)(C A⁻ᵀ)ᵀ.
* :func:`correlation_cholesky`: Stan's map from ℝ^{K(K−1)/2} to the Cholesky factor of a
  correlation matrix through canonical partial correlations z = tanh(y), with the log Jacobian;
  :func:`correlation_unconstrained` inverts it.
* :func:`lkj_cholesky_log_density`: the LKJ(η) density of a correlation matrix expressed on its
  Cholesky factor (unnormalised; Stan's ``lkj_corr_cholesky``).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from bayesml.linalg.lapack import cholesky_lower, lower_inverse

__all__ = [
    "correlation_cholesky",
    "correlation_unconstrained",
    "inverse_wishart_draw",
    "lkj_cholesky_log_density",
]


@lru_cache(maxsize=16)
def _bartlett_indices(
    size: int,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    return np.diag_indices(size), np.tril_indices(size, -1)


def inverse_wishart_draw(nu: float, psi: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw of Σ ~ IW(ν, Ψ) (density ∝ |Σ|^{−(ν+K+1)/2} exp(−tr(ΨΣ⁻¹)/2)).

    Parameters
    ----------
    nu
        Degrees of freedom, > K − 1.
    psi
        K × K symmetric positive definite scale matrix.
    rng
        Random number generator.
    """
    size = psi.shape[0]
    diagonal = np.sqrt(rng.chisquare(nu - _degrees_offsets(size)))
    if size == 2:
        return _inverse_wishart_2x2(psi, diagonal, rng.standard_normal())
    bartlett = np.zeros((size, size))
    rows, below = _bartlett_indices(size)
    bartlett[rows] = diagonal
    if size > 1:
        bartlett[below] = rng.standard_normal(len(below[0]))
    # F = C A⁻ᵀ (A⁻¹ by trtri: a triangular solve with a matrix right-hand side goes through a
    # threaded BLAS-3 routine, slow for these small matrices)
    factor = cholesky_lower(psi) @ lower_inverse(bartlett).T
    return factor @ factor.T


@lru_cache(maxsize=16)
def _degrees_offsets(size: int) -> np.ndarray:
    return np.arange(size, dtype=float)


def _inverse_wishart_2x2(psi: np.ndarray, diagonal: np.ndarray, below: float) -> np.ndarray:
    """The Bartlett construction of :func:`inverse_wishart_draw` for K = 2, in closed form."""
    (p00, _), (p10, p11) = psi.tolist()
    a00, a11 = diagonal.tolist()
    if not p00 > 0.0:
        raise np.linalg.LinAlgError("the inverse-Wishart scale matrix is not positive definite")
    c00 = math.sqrt(p00)
    c10 = p10 / c00
    pivot = p11 - c10 * c10
    if not pivot > 0.0 or not math.isfinite(pivot):
        raise np.linalg.LinAlgError("the inverse-Wishart scale matrix is not positive definite")
    c11 = math.sqrt(pivot)
    # F = C A⁻ᵀ with A = [[a00, 0], [below, a11]], A⁻ᵀ = [[1/a00, −below/(a00 a11)], [0, 1/a11]]
    shear = -below / (a00 * a11)
    f00, f01 = c00 / a00, c00 * shear
    f10, f11 = c10 / a00, c10 * shear + c11 / a11
    off = f00 * f10 + f01 * f11
    return np.array([[f00 * f00 + f01 * f01, off], [off, f10 * f10 + f11 * f11]])


def correlation_cholesky(unconstrained: np.ndarray, size: int) -> tuple[np.ndarray, float]:
    """The Cholesky factor of a K × K correlation matrix from K(K−1)/2 reals, and log |Jacobian|.

    Row i of the factor is built from the canonical partial correlations z = tanh(y) of that row:
    L_i0 = z_i0, L_ij = z_ij √(1 − Σ_{j'<j} L_ij'²), L_ii = √(1 − Σ_{j<i} L_ij²).
    """
    partial = np.tanh(unconstrained)
    log_jacobian = float(np.sum(np.log1p(-(partial**2))))
    factor = np.zeros((size, size))
    factor[0, 0] = 1.0
    position = 0
    for i in range(1, size):
        sum_squares = 0.0
        for j in range(i):
            if j > 0:
                log_jacobian += 0.5 * np.log1p(-sum_squares)
            factor[i, j] = partial[position] * np.sqrt(1.0 - sum_squares)
            sum_squares += factor[i, j] ** 2
            position += 1
        factor[i, i] = np.sqrt(max(1.0 - sum_squares, 0.0))
    return factor, log_jacobian


def correlation_unconstrained(factor: np.ndarray) -> np.ndarray:
    """The inverse of :func:`correlation_cholesky`: the reals behind a correlation Cholesky factor."""
    size = factor.shape[0]
    values = []
    for i in range(1, size):
        sum_squares = 0.0
        for j in range(i):
            remaining = np.sqrt(max(1.0 - sum_squares, 1e-300))
            partial = np.clip(factor[i, j] / remaining, -1 + 1e-15, 1 - 1e-15)
            values.append(np.arctanh(partial))
            sum_squares += factor[i, j] ** 2
    return np.array(values)


def lkj_cholesky_log_density(factor: np.ndarray, eta: float) -> float:
    """Unnormalised log density of L under LKJ(η) on R = L Lᵀ: Σ_{i≥1} (K − i − 3 + 2η) log L_ii."""
    size = factor.shape[0]
    if size < 2:
        return 0.0
    index = np.arange(1, size)
    return float(np.sum((size - index - 3 + 2.0 * eta) * np.log(factor[index, index])))
