"""Joint draws of (β, u) from their Gaussian full conditional: the mixed-model equations.

Given the variance parameters, the coefficients θ = (b, u_1, …, u_B) of a Gaussian (or
Gaussian-augmented) mixed model have the full conditional N(A⁻¹c, A⁻¹) with

    A = s·TᵀWT + P,    c = s·Tᵀr + P m,

where T = [X, Z_1, …, Z_B] is the regression matrix, W the row weights, s the data precision
(1/σ² for a Gaussian response, 1 for the latent-variable forms), r the working response sums,
and P the prior precision: a diagonal for b (zero for flat priors) and Σ_b⁻¹ for every level of
grouping factor b. A draw is θ = A⁻¹c + F⁻ᵀε with A = F Fᵀ and ε ~ N(0, I).

Two solvers give the same draw:

* :class:`DenseSolver` factorises A whole (small models: a few hundred coefficients);
* :class:`BlockSolver` eliminates the grouping factor with the most columns level by level, as the
  h-likelihood backend's :mod:`~bayesml.backends.hlik.linear_algebra` does, and factorises the
  Schur complement S of the rest densely. The rest is drawn from its marginal N(S⁻¹c̃_r, S⁻¹),
  then the eliminated block conditionally, level by level (``k × k`` Cholesky factors). Its cost
  is linear in the number of rows and of levels of the largest factor.

The data cross-products TᵀWT are computed once per weight vector (:meth:`set_weights`); a
Gaussian response or a probit model keeps its weights for the whole run, the Pólya-Gamma logit
changes them every iteration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from bayesml.backends.gibbs.lapack import cholesky_lower, solve_lower
from bayesml.errors import DataError

__all__ = [
    "DENSE_LIMIT",
    "DENSE_REST",
    "BlockSolver",
    "DenseSolver",
    "PriorPrecision",
    "RandomPart",
    "Regression",
    "make_solver",
]

#: models with at most this many coefficients use :class:`DenseSolver`
DENSE_LIMIT = 120
#: :class:`BlockSolver` keeps the cross block C_dr dense when the rest has at most this many columns
DENSE_REST = 64


@dataclass(frozen=True, eq=False)
class RandomPart:
    """The columns of one grouping factor in T (level-major: column ``level * k + term``)."""

    name: str
    group_index: np.ndarray
    term_matrix: np.ndarray
    n_levels: int

    @property
    def k(self) -> int:
        """Number of terms (effects per level)."""
        return int(self.term_matrix.shape[1])

    @property
    def size(self) -> int:
        """Number of columns: levels × terms."""
        return self.n_levels * self.k

    @cached_property
    def matrix(self) -> sp.csr_matrix:
        """Z as a sparse CSR matrix (n × levels·k)."""
        n, k = self.term_matrix.shape
        rows = np.repeat(np.arange(n), k)
        columns = (self.group_index[:, None] * k + np.arange(k)[None, :]).reshape(-1)
        return sp.csr_matrix(
            (self.term_matrix.reshape(-1), (rows, columns)), shape=(n, self.size), dtype=float
        )


class Regression:
    """The regression matrix T = [X, Z_1, …, Z_B] and products with it.

    Parameters
    ----------
    X
        Fixed-effects matrix (n × p; p may be 0).
    parts
        One :class:`RandomPart` per grouping factor.
    """

    def __init__(self, X: np.ndarray, parts: Sequence[RandomPart]) -> None:
        self.X = np.ascontiguousarray(X, dtype=float)
        self.n, self.p = self.X.shape
        self.parts = tuple(parts)
        starts = np.cumsum([self.p] + [part.size for part in self.parts])
        self.starts = tuple(int(s) for s in starts[:-1])
        self.dim = int(starts[-1])

    def part_slice(self, index: int) -> slice:
        """Positions of the columns of part ``index`` in θ."""
        start = self.starts[index]
        return slice(start, start + self.parts[index].size)

    def effects(self, theta: np.ndarray, index: int) -> np.ndarray:
        """The effects of part ``index`` as a (levels, k) view into θ."""
        part = self.parts[index]
        return theta[self.part_slice(index)].reshape(part.n_levels, part.k)

    def transpose_times(self, values: np.ndarray) -> np.ndarray:
        """Tᵀ·values (length dim) for a vector of row values."""
        return self.matrix_transpose @ values

    def times(self, theta: np.ndarray) -> np.ndarray:
        """T·θ (length n)."""
        return self.matrix @ theta

    @cached_property
    def matrix(self) -> sp.csr_matrix:
        """T as a sparse CSR matrix."""
        pieces = [sp.csr_matrix(self.X)] + [part.matrix for part in self.parts]
        return sp.hstack(pieces, format="csr", dtype=float)

    @cached_property
    def matrix_transpose(self) -> sp.csr_matrix:
        """Tᵀ as a sparse CSR matrix."""
        return self.matrix.T.tocsr()


@dataclass(frozen=True, eq=False)
class PriorPrecision:
    """The prior precision P of θ: a diagonal for the coefficients, Σ_b⁻¹ for each factor's levels."""

    coefficients: np.ndarray
    blocks: tuple[np.ndarray, ...] = field(default=())


def _cholesky(matrix: np.ndarray) -> np.ndarray:
    try:
        return cholesky_lower(matrix)
    except np.linalg.LinAlgError as error:
        raise DataError(
            "the precision matrix of the coefficients' full conditional is not positive "
            "definite: the fixed effects are collinear, or a variance parameter has collapsed "
            "to zero or infinity"
        ) from error


def _draw_from_factor(factor: np.ndarray, rhs: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """A⁻¹c + F⁻ᵀε for A = F Fᵀ: F⁻ᵀ(F⁻¹c + ε)."""
    return solve_lower(factor, solve_lower(factor, rhs) + normals, transpose=True)


def _level_block_indices(start: int, n_levels: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column positions of the k × k diagonal block of every level (level-major)."""
    offsets = start + np.arange(n_levels)[:, None, None] * k
    rows = offsets + np.arange(k)[None, :, None]
    cols = offsets + np.arange(k)[None, None, :]
    return (
        np.broadcast_to(rows, (n_levels, k, k)).reshape(-1),
        np.broadcast_to(cols, (n_levels, k, k)).reshape(-1),
    )


class DenseSolver:
    """Draws θ by a dense Cholesky factorisation of the whole precision matrix A."""

    def __init__(self, regression: Regression) -> None:
        self.regression = regression
        self._cross: np.ndarray | None = None
        self._coef_diagonal = np.arange(regression.p)
        self._block_indices = [
            _level_block_indices(regression.starts[i], part.n_levels, part.k)
            for i, part in enumerate(regression.parts)
        ]

    def set_weights(self, weights: np.ndarray) -> None:
        """Compute TᵀWT for row weights ``weights``."""
        matrix = self.regression.matrix
        self._cross = np.asarray((matrix.T @ matrix.multiply(weights[:, None])).todense())

    def precision(self, scale: float, prior: PriorPrecision) -> np.ndarray:
        """A = scale·TᵀWT + P."""
        if self._cross is None:
            raise RuntimeError("set_weights must be called before drawing")
        matrix = scale * self._cross
        matrix[self._coef_diagonal, self._coef_diagonal] += prior.coefficients
        for (rows, cols), block, part in zip(
            self._block_indices, prior.blocks, self.regression.parts, strict=True
        ):
            matrix[rows, cols] += np.tile(block.reshape(-1), part.n_levels)
        return matrix

    def draw(
        self, scale: float, prior: PriorPrecision, rhs: np.ndarray, normals: np.ndarray
    ) -> np.ndarray:
        """θ = A⁻¹·rhs + F⁻ᵀ·normals (A = F Fᵀ); ``normals = 0`` gives the conditional mean."""
        factor = _cholesky(self.precision(scale, prior))
        return _draw_from_factor(factor, rhs, normals)


def _batched_cholesky(blocks: np.ndarray) -> np.ndarray:
    try:
        factor = np.linalg.cholesky(blocks)
    except np.linalg.LinAlgError as error:
        raise DataError(
            "the precision of a grouping factor's effects is not positive definite: a "
            "variance parameter has collapsed to zero or infinity"
        ) from error
    if not np.all(np.isfinite(factor)):
        raise DataError("the precision of a grouping factor's effects is not finite")
    return factor


def _block_diagonal(blocks: np.ndarray) -> sp.csr_matrix:
    """The sparse block-diagonal matrix of (L, k, k) blocks."""
    levels, k = blocks.shape[:2]
    if k == 1:
        return sp.diags(blocks[:, 0, 0], format="csr")
    rows, cols = _level_block_indices(0, levels, k)
    size = levels * k
    return sp.csr_matrix((blocks.reshape(-1), (rows, cols)), shape=(size, size))


class BlockSolver:
    """Draws θ by eliminating the largest grouping factor level by level (see the module text)."""

    def __init__(self, regression: Regression) -> None:
        if not regression.parts:
            raise ValueError("BlockSolver needs at least one grouping factor")
        self.regression = regression
        sizes = [part.size for part in regression.parts]
        self.eliminated = int(np.argmax(sizes))
        self.part = regression.parts[self.eliminated]
        self.d_slice = regression.part_slice(self.eliminated)
        rest = [np.arange(regression.p)] + [
            np.arange(regression.part_slice(i).start, regression.part_slice(i).stop)
            for i in range(len(regression.parts))
            if i != self.eliminated
        ]
        self.r_index = np.concatenate(rest).astype(np.int64)
        self.m = self.r_index.size
        self._rest_matrix = regression.matrix[:, self.r_index].tocsr()
        # positions of the other parts' level blocks inside the dense part
        position = np.full(regression.dim, -1, dtype=np.int64)
        position[self.r_index] = np.arange(self.m)
        self._rest_blocks = []
        for i, part in enumerate(regression.parts):
            if i == self.eliminated:
                continue
            rows, cols = _level_block_indices(regression.starts[i], part.n_levels, part.k)
            self._rest_blocks.append((i, position[rows], position[cols]))
        self._coef_diagonal = np.arange(regression.p)
        self._cross_dd: np.ndarray | None = None
        self._cross_dr: sp.csr_matrix | None = None
        self._cross_rr: np.ndarray | None = None

    def set_weights(self, weights: np.ndarray) -> None:
        """Compute the blocks of TᵀWT: per-level k × k blocks, the cross block and the dense block."""
        part = self.part
        k, levels, index = part.k, part.n_levels, part.group_index
        weighted_terms = part.term_matrix * weights[:, None]
        blocks = np.empty((levels, k, k))
        for a in range(k):
            for b in range(a, k):
                sums = np.bincount(
                    index, weights=weighted_terms[:, a] * part.term_matrix[:, b], minlength=levels
                )
                blocks[:, a, b] = blocks[:, b, a] = sums
        weighted_rest = sp.csr_matrix(self._rest_matrix.multiply(weights[:, None]))
        cross = sp.csr_matrix(part.matrix.T @ weighted_rest)
        self._cross_dd = blocks
        self._cross_dr = (
            np.asarray(cross.todense()).reshape(levels, k, self.m)
            if self.m <= DENSE_REST
            else cross
        )
        self._cross_rr = np.asarray((self._rest_matrix.T @ weighted_rest).todense())

    def _eliminated_block(
        self, scale: float, precision: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """C_dd⁻¹ and F⁻¹ (C_dd = F Fᵀ) of every level, shape (L, k, k)."""
        blocks = scale * self._cross_dd + precision
        if self.part.k == 1:
            if not np.all(blocks > 0) or not np.all(np.isfinite(blocks)):
                raise DataError(
                    "the precision of a grouping factor's effects is not positive definite: a "
                    "variance parameter has collapsed to zero or infinity"
                )
            return 1.0 / blocks, 1.0 / np.sqrt(blocks)
        factor_inv = np.linalg.inv(_batched_cholesky(blocks))
        return np.matmul(factor_inv.transpose(0, 2, 1), factor_inv), factor_inv

    def draw(
        self, scale: float, prior: PriorPrecision, rhs: np.ndarray, normals: np.ndarray
    ) -> np.ndarray:
        """θ = A⁻¹·rhs + (a square root of A⁻¹)·normals; ``normals = 0`` gives the mean."""
        if self._cross_dd is None or self._cross_dr is None or self._cross_rr is None:
            raise RuntimeError("set_weights must be called before drawing")
        levels, k = self.part.n_levels, self.part.k
        inverse_d, factor_inv = self._eliminated_block(scale, prior.blocks[self.eliminated])
        cross = self._cross_dr * scale
        rhs_d = rhs[self.d_slice]
        dense = isinstance(cross, np.ndarray)
        if dense:  # (L, k, m): G = C_dd⁻¹ C_dr level by level
            gain = np.matmul(inverse_d, cross).reshape(levels * k, self.m)
            flat_cross = cross.reshape(levels * k, self.m)
            correction = flat_cross.T @ gain
        else:
            gain = _block_diagonal(inverse_d) @ cross
            flat_cross = cross
            correction = np.asarray((cross.T @ gain).todense())
        schur = scale * self._cross_rr - correction
        schur[self._coef_diagonal, self._coef_diagonal] += prior.coefficients
        for index, rows, cols in self._rest_blocks:
            part = self.regression.parts[index]
            schur[rows, cols] += np.tile(prior.blocks[index].reshape(-1), part.n_levels)
        rhs_r = rhs[self.r_index] - gain.T @ rhs_d
        x_r = _draw_from_factor(_cholesky(schur), rhs_r, normals[self.r_index])
        residual = (rhs_d - flat_cross @ x_r).reshape(levels, k, 1)
        noise = normals[self.d_slice].reshape(levels, k, 1)
        x_d = np.matmul(inverse_d, residual) + np.matmul(factor_inv.transpose(0, 2, 1), noise)
        theta = np.empty(self.regression.dim)
        theta[self.r_index] = x_r
        theta[self.d_slice] = x_d.reshape(-1)
        return theta


def make_solver(regression: Regression, *, dense_limit: int = DENSE_LIMIT):
    """The solver for a regression: dense up to ``dense_limit`` coefficients, else by blocks."""
    if regression.dim <= dense_limit or not regression.parts:
        return DenseSolver(regression)
    return BlockSolver(regression)
