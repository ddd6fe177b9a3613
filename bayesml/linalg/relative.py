"""Cross products of a mixed model in lme4's relative-factor form, b = Λu with u ~ N(0, I).

Maximum likelihood (:mod:`bayesml.backends.laplace`) works with the columns ZΛ: for a grouping
factor with per-level factor T (k × k), the effects b_l = T u_l, and the row of ZΛ is the row's
terms times T. Rather than rebuild ZΛ for every θ, the cross products TᵀWT of the unscaled
columns (:func:`~bayesml.linalg.elimination.cross_products`) are scaled:

    C_dd,l → Tᵀ C_dd,l T,    C_dr → blockdiag(Tᵀ) C_dr D,    C_rr → Dᵀ C_rr D,

with D the scaling of the rest's columns (block diagonal: each other factor's T per level, and
the identity on the fixed effects). A Gaussian response's weights do not change with θ, so its
cross products are formed once per fit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from bayesml.linalg.elimination import CrossProducts

__all__ = ["rest_scaling", "scale_cross_products"]


def rest_scaling(
    factors: Sequence[np.ndarray], n_levels: Sequence[int], n_fixed: int
) -> np.ndarray | sp.csr_matrix:
    """D: block diagonal with ``I_L ⊗ T`` for each of the rest's grouping factors (in order),
    then the identity on ``n_fixed`` fixed-effect columns. When every such factor is diagonal
    (the usual crossed intercepts, ``||`` terms, a smooth's θ I), D is diagonal and returned as
    the vector of its diagonal."""
    if all(np.count_nonzero(factor - np.diag(np.diag(factor))) == 0 for factor in factors):
        scales = [
            np.tile(np.diag(factor), levels)
            for factor, levels in zip(factors, n_levels, strict=False)
        ]
        return np.concatenate([*scales, np.ones(n_fixed)])
    blocks = [
        sp.kron(sp.identity(levels), factor)
        for factor, levels in zip(factors, n_levels, strict=False)
    ]
    blocks.append(sp.identity(n_fixed))
    return sp.csr_matrix(sp.block_diag(blocks))


def scale_cross_products(
    cross: CrossProducts, factor: np.ndarray, scaling: np.ndarray | sp.csr_matrix
) -> CrossProducts:
    """The cross products of [Z_d Λ_d, R D] from those of [Z_d, R].

    Parameters
    ----------
    cross
        Cross products of the unscaled columns.
    factor
        T of the eliminated factor (k × k).
    scaling
        D (:func:`rest_scaling`), m × m, or its diagonal as a vector.
    """
    dd = np.matmul(np.matmul(factor.T, cross.dd), factor)
    levels, k, m = cross.n_levels, cross.n_terms, cross.n_rest
    diagonal = isinstance(scaling, np.ndarray)
    if isinstance(cross.dr, np.ndarray):
        left = np.matmul(factor.T, cross.dr).reshape(levels * k, m)
        right = left * scaling[None, :] if diagonal else np.asarray(scaling.T @ left.T).T
        dr = right.reshape(levels, k, m)
    else:
        left = cross.dr if k == 1 else sp.kron(sp.identity(levels), factor.T) @ cross.dr
        if k == 1:
            left = left * float(factor[0, 0])
        dr = sp.csr_matrix(left.multiply(scaling[None, :]) if diagonal else left @ scaling)
    if diagonal:
        rr = cross.rr * np.outer(scaling, scaling)
    else:
        rr = np.asarray(scaling.T @ np.asarray(scaling.T @ cross.rr).T) if m else cross.rr
    return CrossProducts(dd, dr, np.ascontiguousarray(rr))
