"""Block elimination of the largest grouping factor from the normal matrix of a mixed model.

Split the columns of a regression matrix as T = [Z_d, R]: ``d`` the columns of one grouping factor
(:class:`~bayesml.linalg.grouped.GroupedColumns`, L levels × k terms), eliminated level by level,
and ``r`` the rest (m columns: fixed effects and every other random column). The matrix

    C = s·TᵀWT + P = [[C_dd, C_dr], [C_rd, C_rr]]

(s a scale, W row weights, P a precision that is block diagonal on ``d``: one k × k block per
level) has a block-diagonal C_dd, because each row touches one level. With C_dd = F Fᵀ level by
level (batched k × k Cholesky factors), the whitened cross block W = F⁻¹C_dr and the Schur
complement S = C_rr − WᵀW = C_rr − C_rd C_dd⁻¹ C_dr (dense m × m, S = L Lᵀ):

* solve C x = c: v = F⁻¹c_d, x_r = S⁻¹(c_r − Wᵀv), x_d = F⁻ᵀ(v − W x_r);
* Gaussian draw from N(C⁻¹c, C⁻¹): the same with x_r drawn from N(S⁻¹(c_r − Wᵀv), S⁻¹) and v + ε_d
  in place of v (ε_d ~ N(0, I));
* log det C = log det C_dd + log det S = −2 Σ log diag F⁻¹ + 2 Σ log diag L;
* C⁻¹ = [[C_dd⁻¹ + G S⁻¹ Gᵀ, −G S⁻¹], [−S⁻¹Gᵀ, S⁻¹]] with G = C_dd⁻¹C_dr = F⁻ᵀW.

The cost is linear in the number of rows and of levels, cubic in m only. The Gibbs backend draws
(β, u) this way (:class:`~bayesml.backends.gibbs.linear_algebra.BlockSolver`); the h-likelihood
backend solves its augmented GLM, takes its log-determinants and leverages this way
(:class:`~bayesml.backends.hlik.linear_algebra.Factorization`).

C_dr is kept dense, as an (L, k, m) array, when m is at most :data:`DENSE_CROSS_LIMIT`, and
sparse (CSR, L·k × m) above: crossed factors make it mostly zeros.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np
import scipy.sparse as sp

from bayesml.linalg.batched import block_diagonal, inverse_cholesky
from bayesml.linalg.grouped import GroupedColumns
from bayesml.linalg.lapack import cholesky_inverse, cholesky_lower, cholesky_solve

__all__ = [
    "DENSE_CROSS_LIMIT",
    "BlockElimination",
    "CrossProducts",
    "Elimination",
    "NotPositiveDefinite",
    "cross_block",
    "cross_products",
    "dense_cross_products",
]

#: C_dr is kept dense, (levels, k, m), when the rest has at most this many columns, else sparse
DENSE_CROSS_LIMIT = 64

#: additions to the Schur complement: (positions in its flattened (m·m) array, values)
RestPrecision = Iterable[tuple[np.ndarray, np.ndarray]]


class NotPositiveDefinite(np.linalg.LinAlgError):
    """A level block of C_dd (``part == "levels"``) or the Schur complement S (``"schur"``) is
    not positive definite (or not finite)."""

    def __init__(self, part: Literal["levels", "schur"]) -> None:
        self.part = part
        what = "a level block" if part == "levels" else "the Schur complement"
        super().__init__(f"{what} of the eliminated system is not positive definite")


@dataclass(frozen=True, eq=False)
class CrossProducts:
    """TᵀWT split by the eliminated columns ``d`` and the rest ``r`` (before scale and precision).

    Attributes
    ----------
    dd
        The level blocks of C_dd, shape (levels, k, k).
    dr
        C_dr: (levels, k, m) dense, or (levels·k) × m CSR (see :func:`cross_block`).
    rr
        C_rr, dense m × m.
    """

    dd: np.ndarray
    dr: np.ndarray | sp.csr_matrix
    rr: np.ndarray

    @property
    def n_levels(self) -> int:
        """L, the number of levels of the eliminated factor."""
        return int(self.dd.shape[0])

    @property
    def n_terms(self) -> int:
        """k, the size of each level block."""
        return int(self.dd.shape[1])

    @property
    def n_rest(self) -> int:
        """m, the number of columns of the rest."""
        return int(self.rr.shape[0])


def cross_block(
    matrix: np.ndarray | sp.spmatrix, n_levels: int, n_terms: int, *, dense_entries: int = 0
) -> np.ndarray | sp.csr_matrix:
    """C_dr (levels·k × m) in the form the elimination takes: dense (levels, k, m) up to
    :data:`DENSE_CROSS_LIMIT` columns (or up to ``dense_entries`` entries in all), else CSR."""
    m = matrix.shape[1]
    if m <= DENSE_CROSS_LIMIT or n_levels * n_terms * m <= dense_entries:
        dense = np.asarray(matrix.todense()) if sp.issparse(matrix) else np.asarray(matrix)
        return dense.reshape(n_levels, n_terms, m)
    return sp.csr_matrix(matrix)


def cross_products(
    eliminated: GroupedColumns,
    rest: sp.csr_matrix,
    weights: np.ndarray,
    *,
    dense_entries: int = 0,
) -> CrossProducts:
    """The blocks of TᵀWT for T = [Z_d, R] with the rest R given as one sparse matrix.

    Parameters
    ----------
    eliminated
        The grouping factor eliminated level by level (Z_d).
    rest
        R, n × m CSR: the fixed effects and the other random columns.
    weights
        The row weights W (length n).
    dense_entries
        Keep C_dr dense up to this many entries even beyond :data:`DENSE_CROSS_LIMIT` columns
        (small crossed models: dense products beat sparse ones' overhead).
    """
    blocks = eliminated.level_products(weights)
    weighted_rest = sp.csr_matrix(rest.multiply(weights[:, None]))
    cross = sp.csr_matrix(eliminated.matrix.T @ weighted_rest)
    dense_rest = np.ascontiguousarray((rest.T @ weighted_rest).todense())
    return CrossProducts(
        blocks,
        cross_block(cross, eliminated.n_levels, eliminated.n_terms, dense_entries=dense_entries),
        dense_rest,
    )


def dense_cross_products(
    eliminated: GroupedColumns, rest: np.ndarray, weights: np.ndarray
) -> CrossProducts:
    """:func:`cross_products` for a dense rest of few columns (the fixed effects alone): C_dr
    level by level with one ``bincount`` per (term, column), no sparse products."""
    index, terms = eliminated.group_index, eliminated.term_matrix
    levels, k, m = eliminated.n_levels, eliminated.n_terms, rest.shape[1]
    weighted = rest * weights[:, None]
    cross = np.empty((levels, k, m))
    for t in range(k):
        for j in range(m):
            cross[:, t, j] = np.bincount(
                index, weights=weighted[:, j] * terms[:, t], minlength=levels
            )
    return CrossProducts(eliminated.level_products(weights), cross, weighted.T @ rest)


@dataclass(eq=False)
class Elimination:
    """C with its ``d`` block eliminated, for one scale and precision (see the module text).

    Attributes
    ----------
    factor_inverse
        F⁻¹ of every level block, C_dd = F Fᵀ; shape (levels, k, k), lower triangular.
    whitened
        W = F⁻¹C_dr, (levels·k) × m, dense or CSR.
    schur
        S = C_rr − WᵀW, dense m × m; ``None`` once only its Cholesky factor is kept
        (:meth:`BlockElimination.eliminate` with ``factorize=True``).
    whitened_rhs, projected_rhs
        v = F⁻¹c_d and Wᵀv for the right-hand side given to :meth:`BlockElimination.eliminate`
        (``None`` without one).
    """

    factor_inverse: np.ndarray
    whitened: np.ndarray | sp.csr_matrix
    schur: np.ndarray | None
    whitened_rhs: np.ndarray | None = None
    projected_rhs: np.ndarray | None = None
    _schur_factor: np.ndarray | None = field(default=None, init=False, repr=False)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(L, k, m): levels, terms per level and columns of the rest."""
        levels, k = self.factor_inverse.shape[:2]
        return int(levels), int(k), int(self.whitened.shape[1])

    @property
    def schur_factor(self) -> np.ndarray:
        """The lower Cholesky factor L of S (computed on first use).

        Raises
        ------
        NotPositiveDefinite
            If S is not positive definite.
        """
        if self._schur_factor is None:
            assert self.schur is not None
            try:
                self._schur_factor = cholesky_lower(self.schur)
            except np.linalg.LinAlgError as error:
                raise NotPositiveDefinite("schur") from error
        return self._schur_factor

    def drop_schur(self) -> None:
        """Factorise S now and keep only its Cholesky factor (S is no longer needed).

        Raises
        ------
        NotPositiveDefinite
            If S is not positive definite.
        """
        _ = self.schur_factor
        self.schur = None

    # -- solves -------------------------------------------------------------------------------
    def whiten(self, rhs_d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """v = F⁻¹·rhs_d and Wᵀv for a right-hand side of the ``d`` columns."""
        levels, k, _ = self.shape
        whitened = np.matmul(self.factor_inverse, rhs_d.reshape(levels, k, 1)).reshape(-1)
        return whitened, self.whitened.T @ whitened

    def back_substitute(
        self, whitened_d: np.ndarray, x_r: np.ndarray, out: np.ndarray | None = None
    ) -> np.ndarray:
        """x_d = F⁻ᵀ(v − W x_r), into ``out`` (a (levels, k, 1) array) when given.

        Parameters
        ----------
        whitened_d
            v (for a draw, v + ε_d).
        x_r
            The solution (or draw) of the rest.
        out
            Where to write x_d, shaped (levels, k, 1).
        """
        levels, k, _ = self.shape
        shifted = whitened_d - self.whitened @ x_r
        result = np.matmul(
            self.factor_inverse.transpose(0, 2, 1), shifted.reshape(levels, k, 1), out=out
        )
        return result.reshape(-1)

    def solve(self, rhs_d: np.ndarray, rhs_r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(x_d, x_r) = C⁻¹·(rhs_d, rhs_r).

        Raises
        ------
        NotPositiveDefinite
            If S is not positive definite.
        """
        whitened, projected = self.whiten(rhs_d)
        x_r = cholesky_solve(self.schur_factor, rhs_r - projected)
        return self.back_substitute(whitened, x_r), x_r

    # -- determinants -------------------------------------------------------------------------
    def logdet_levels(self) -> float:
        """log det C_dd: −2 Σ log diag F⁻¹."""
        return -2.0 * float(np.sum(np.log(np.einsum("laa->la", self.factor_inverse))))

    def logdet(self) -> float:
        """log det C = log det C_dd + log det S."""
        return self.logdet_levels() + 2.0 * float(np.sum(np.log(np.diag(self.schur_factor))))

    # -- pieces of C⁻¹ ------------------------------------------------------------------------
    @cached_property
    def schur_inverse(self) -> np.ndarray:
        """S⁻¹ = (C⁻¹)_rr (m × m)."""
        return cholesky_inverse(self.schur_factor)

    @cached_property
    def cross_inverse(self) -> np.ndarray:
        """(C⁻¹)_dr = −G S⁻¹ = −F⁻ᵀ W S⁻¹, dense (levels·k) × m."""
        levels, k, m = self.shape
        whitened_inverse = np.asarray(self.whitened @ self.schur_inverse).reshape(levels, k, m)
        product = np.matmul(self.factor_inverse.transpose(0, 2, 1), whitened_inverse)
        return np.negative(product, out=product).reshape(levels * k, m)

    @cached_property
    def level_inverse_blocks(self) -> np.ndarray:
        """The level blocks of (C⁻¹)_dd = C_dd⁻¹ + G S⁻¹ Gᵀ, shape (levels, k, k).

        With G_l = F_l⁻ᵀW_l (W_l the k rows of W of level l), block l is
        F_l⁻ᵀF_l⁻¹ − (C⁻¹)_dr,l W_lᵀ F_l⁻¹.
        """
        factor_inverse = self.factor_inverse
        correction = self._times_whitened_rows(self.cross_inverse) @ factor_inverse
        return factor_inverse.transpose(0, 2, 1) @ factor_inverse - correction

    def _times_whitened_rows(self, rows: np.ndarray) -> np.ndarray:
        """M_l W_lᵀ for every level, M_l the k rows of ``rows`` ((levels·k) × m) of level l."""
        levels, k, m = self.shape
        if isinstance(self.whitened, np.ndarray):
            whitened = self.whitened.reshape(levels, k, m).transpose(0, 2, 1)
            return np.matmul(rows.reshape(levels, k, m), whitened)
        products = np.empty((levels, k, k))
        for a in range(k):
            for b in range(k):
                product = self.whitened[b::k].multiply(rows[a::k])
                products[:, a, b] = np.asarray(product.sum(axis=1)).ravel()
        return products


class BlockElimination:
    """The cross products of one weight vector, eliminated for any scale and precision.

    Holds the buffers that successive eliminations reuse (a Gibbs sampler eliminates the same
    cross products with new variance parameters at every sweep).

    Parameters
    ----------
    cross
        TᵀWT split by ``d`` and ``r`` (:func:`cross_products`, or built by the caller).
    """

    def __init__(self, cross: CrossProducts) -> None:
        self.cross = cross
        self._blocks = np.empty_like(cross.dd)
        self._stacked: np.ndarray | None = None

    def eliminate(
        self,
        *,
        scale: float = 1.0,
        level_precision: np.ndarray | None = None,
        rest_precision: RestPrecision = (),
        rhs_d: np.ndarray | None = None,
        pivot_rtol: float = 0.0,
    ) -> Elimination:
        """Eliminate ``d`` from C = scale·TᵀWT + P.

        Parameters
        ----------
        scale
            s, the factor of the cross products (a Gaussian response's 1/σ²).
        level_precision
            P on ``d``: a k × k block for every level, or (levels, k, k) blocks; ``None`` for 0.
        rest_precision
            P on ``r``: (positions in the flattened m × m Schur complement, values) pairs, added
            in order.
        rhs_d
            c_d, whitened along with C_dr (:attr:`Elimination.whitened_rhs`, ``projected_rhs``).
        pivot_rtol
            A level block whose Cholesky pivot is at most this times its diagonal entry counts as
            singular (see :func:`~bayesml.linalg.batched.inverse_cholesky`); 0 accepts every
            positive pivot.

        Raises
        ------
        NotPositiveDefinite
            If a level block is not positive definite (``part == "levels"``).
        """
        factor_inverse = self._level_factors(scale, level_precision, pivot_rtol)
        whitened, whitened_rhs, correction, projected_rhs = self._whiten(
            scale, factor_inverse, rhs_d
        )
        schur = scale * self.cross.rr
        schur -= correction
        flat = schur.reshape(-1)
        for positions, values in rest_precision:
            flat[positions] += values
        return Elimination(factor_inverse, whitened, schur, whitened_rhs, projected_rhs)

    def _level_factors(
        self, scale: float, precision: np.ndarray | None, pivot_rtol: float
    ) -> np.ndarray:
        """F⁻¹ of every level block s·C_dd + P_d = F Fᵀ, shape (levels, k, k)."""
        blocks = np.multiply(self.cross.dd, scale, out=self._blocks)
        if precision is not None:
            blocks += precision
        try:
            return inverse_cholesky(blocks, rtol=pivot_rtol)
        except np.linalg.LinAlgError as error:
            raise NotPositiveDefinite("levels") from error

    def _whiten(
        self, scale: float, factor_inverse: np.ndarray, rhs_d: np.ndarray | None
    ) -> tuple[np.ndarray | sp.csr_matrix, np.ndarray | None, np.ndarray, np.ndarray | None]:
        """W = s·F⁻¹C_dr, v = F⁻¹c_d, WᵀW and Wᵀv (v and Wᵀv ``None`` without ``rhs_d``).

        With a dense C_dr the two right-hand sides go through one batched product, [s·C_dr | c_d]
        stacked level by level, and WᵀW, Wᵀv through one more.
        """
        cross = self.cross
        levels, k, m = cross.n_levels, cross.n_terms, cross.n_rest
        if isinstance(cross.dr, np.ndarray):  # (L, k, m)
            if rhs_d is None:
                whitened = np.matmul(factor_inverse, cross.dr * scale).reshape(levels * k, m)
                return whitened, None, whitened.T @ whitened, None
            if self._stacked is None:
                self._stacked = np.empty((levels, k, m + 1))
            stacked = self._stacked
            np.multiply(cross.dr, scale, out=stacked[:, :, :m])
            stacked[:, :, m] = rhs_d.reshape(levels, k)
            whitened_all = np.matmul(factor_inverse, stacked).reshape(levels * k, m + 1)
            whitened = whitened_all[:, :m]
            products = whitened.T @ whitened_all
            return whitened, whitened_all[:, m], products[:, :m], products[:, m]
        whitened = block_diagonal(factor_inverse) @ cross.dr * scale
        correction = np.asarray((whitened.T @ whitened).todense())
        if rhs_d is None:
            return whitened, None, correction, None
        whitened_rhs = np.matmul(factor_inverse, rhs_d.reshape(levels, k, 1)).reshape(-1)
        return whitened, whitened_rhs, correction, whitened.T @ whitened_rhs
