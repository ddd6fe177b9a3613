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

from bayesml.backends.gibbs.batched import inverse_cholesky, small_gaussian_draw
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

#: models with at most this many coefficients use :class:`DenseSolver` (measured on one core:
#: the two solvers cost the same per draw at about 60 coefficients, e.g. rats' 62; the dense
#: factorisation grows as dim³, the block solver's cost is mostly a fixed number of numpy calls)
DENSE_LIMIT = 64
#: T·θ uses a dense T up to this many entries
DENSE_PRODUCT_LIMIT = 40_000
#: :class:`BlockSolver` keeps the cross block C_dr dense when the rest has at most this many columns
DENSE_REST = 64
#: :class:`BlockSolver` draws a rest of at most this many columns in closed form
SMALL_REST = 2


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
        return self.product_matrix @ theta

    @cached_property
    def product_matrix(self) -> np.ndarray | sp.csr_matrix:
        """T for T·θ: dense when small (a dense product has less overhead), else sparse."""
        if self.n * self.dim <= DENSE_PRODUCT_LIMIT:
            return self.matrix.toarray()
        return self.matrix

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


def _not_positive_definite() -> DataError:
    return DataError(
        "the precision matrix of the coefficients' full conditional is not positive "
        "definite: the fixed effects are collinear, or a variance parameter has collapsed "
        "to zero or infinity"
    )


def _cholesky(matrix: np.ndarray) -> np.ndarray:
    try:
        return cholesky_lower(matrix)
    except np.linalg.LinAlgError as error:
        raise _not_positive_definite() from error


def _draw_from_factor(factor: np.ndarray, rhs: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """A⁻¹c + F⁻ᵀε for A = F Fᵀ: F⁻ᵀ(F⁻¹c + ε)."""
    return solve_lower(factor, solve_lower(factor, rhs) + normals, transpose=True)


def _level_block_view(matrix: np.ndarray, start: int, n_levels: int, k: int) -> np.ndarray:
    """A writeable (levels, k, k) view of the level blocks on the diagonal of a C-ordered matrix,
    from row and column ``start`` (level-major)."""
    row, item = matrix.strides
    return np.lib.stride_tricks.as_strided(
        matrix[start:, start:], shape=(n_levels, k, k), strides=(k * (row + item), row, item)
    )


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
    """Draws θ by a dense Cholesky factorisation of the whole precision matrix A.

    A is assembled in a buffer kept between draws, through views of its coefficient diagonal and
    of every level's k × k diagonal block, so that adding the prior precision is one operation
    per grouping factor.
    """

    def __init__(self, regression: Regression) -> None:
        self.regression = regression
        self._cross: np.ndarray | None = None
        dim = regression.dim
        self._buffer = np.zeros((dim, dim))
        self._coef_diagonal = self._buffer.reshape(-1)[: regression.p * (dim + 1) : dim + 1]
        self._level_blocks = [
            _level_block_view(self._buffer, regression.starts[i], part.n_levels, part.k)
            for i, part in enumerate(regression.parts)
        ]

    def set_weights(self, weights: np.ndarray) -> None:
        """Compute TᵀWT for row weights ``weights``."""
        matrix = self.regression.matrix
        self._cross = np.ascontiguousarray((matrix.T @ matrix.multiply(weights[:, None])).todense())

    def precision(self, scale: float, prior: PriorPrecision) -> np.ndarray:
        """A = scale·TᵀWT + P (in the solver's buffer: overwritten by the next call)."""
        if self._cross is None:
            raise RuntimeError("set_weights must be called before drawing")
        matrix = np.multiply(self._cross, scale, out=self._buffer)
        self._coef_diagonal += prior.coefficients
        for view, block in zip(self._level_blocks, prior.blocks, strict=True):
            view += block
        return matrix

    def draw(
        self, scale: float, prior: PriorPrecision, rhs: np.ndarray, normals: np.ndarray
    ) -> np.ndarray:
        """θ = A⁻¹·rhs + F⁻ᵀ·normals (A = F Fᵀ); ``normals = 0`` gives the conditional mean."""
        factor = _cholesky(self.precision(scale, prior))
        return _draw_from_factor(factor, rhs, normals)


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
        # the rest as a slice of θ when it is contiguous (basic indexing is cheaper)
        contiguous = self.m and np.array_equal(self.r_index, np.arange(self.m) + self.r_index[0])
        self._rest: slice | np.ndarray = (
            slice(int(self.r_index[0]), int(self.r_index[0]) + self.m)
            if contiguous
            else self.r_index
        )
        self._rest_matrix = regression.matrix[:, self.r_index].tocsr()
        # positions of the other parts' level blocks inside the dense part
        position = np.full(regression.dim, -1, dtype=np.int64)
        position[self.r_index] = np.arange(self.m)
        self._rest_blocks = []
        for i, part in enumerate(regression.parts):
            if i == self.eliminated:
                continue
            rows, cols = _level_block_indices(regression.starts[i], part.n_levels, part.k)
            self._rest_blocks.append((i, position[rows] * self.m + position[cols]))
        self._coef_flat = np.arange(regression.p) * (self.m + 1)
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
        self._cross_rr = np.ascontiguousarray((self._rest_matrix.T @ weighted_rest).todense())
        self._stacked = np.empty((levels, k, self.m + 1))
        self._blocks = np.empty((levels, k, k))

    def _eliminated_inverse_factor(self, scale: float, precision: np.ndarray) -> np.ndarray:
        """F⁻¹ of every level's block C_dd = F Fᵀ, shape (L, k, k)."""
        try:
            blocks = np.multiply(self._cross_dd, scale, out=self._blocks)
            blocks += precision
            return inverse_cholesky(blocks)
        except np.linalg.LinAlgError as error:
            raise DataError(
                "the precision of a grouping factor's effects is not positive definite: a "
                "variance parameter has collapsed to zero or infinity"
            ) from error

    def _schur(self, scale: float, prior: PriorPrecision, correction: np.ndarray) -> np.ndarray:
        """S = s·C_rr − C_rd C_dd⁻¹ C_dr + P_r."""
        schur = scale * self._cross_rr
        schur -= correction
        flat = schur.reshape(-1)
        flat[self._coef_flat] += prior.coefficients
        for index, positions in self._rest_blocks:
            levels = self.regression.parts[index].n_levels
            flat[positions] += np.tile(prior.blocks[index].reshape(-1), levels)
        return schur

    def _whiten(
        self, scale: float, factor_inv: np.ndarray, rhs_d: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """W = s·F⁻¹C_dr, v = F⁻¹c_d, WᵀW and Wᵀv.

        With a dense C_dr the two right-hand sides go through one batched product, [s·C_dr | c_d]
        stacked level by level, and WᵀW, Wᵀv through one more.
        """
        levels, k, m = self.part.n_levels, self.part.k, self.m
        if isinstance(self._cross_dr, np.ndarray):  # (L, k, m)
            stacked = self._stacked
            np.multiply(self._cross_dr, scale, out=stacked[:, :, :m])
            stacked[:, :, m] = rhs_d.reshape(levels, k)
            whitened_all = np.matmul(factor_inv, stacked).reshape(levels * k, m + 1)
            whitened = whitened_all[:, :m]
            products = whitened.T @ whitened_all
            return whitened, whitened_all[:, m], products[:, :m], products[:, m]
        whitened_rhs = np.matmul(factor_inv, rhs_d.reshape(levels, k, 1)).reshape(-1)
        whitened = _block_diagonal(factor_inv) @ self._cross_dr * scale
        correction = np.asarray((whitened.T @ whitened).todense())
        return whitened, whitened_rhs, correction, whitened.T @ whitened_rhs

    def _draw_rest(self, schur: np.ndarray, rhs_r: np.ndarray, normals_r: np.ndarray) -> np.ndarray:
        if self.m == 0:  # no fixed effects and a single grouping factor
            return np.empty(0)
        if self.m <= SMALL_REST:
            try:
                return small_gaussian_draw(schur, rhs_r, normals_r)
            except np.linalg.LinAlgError as error:
                raise _not_positive_definite() from error
        return _draw_from_factor(_cholesky(schur), rhs_r, normals_r)

    def draw(
        self, scale: float, prior: PriorPrecision, rhs: np.ndarray, normals: np.ndarray
    ) -> np.ndarray:
        """θ = A⁻¹·rhs + (a square root of A⁻¹)·normals; ``normals = 0`` gives the mean.

        With C_dd = F Fᵀ level by level, W = F⁻¹C_dr and v = F⁻¹c_d: the rest x_r is drawn from
        N(S⁻¹(c_r − Wᵀv), S⁻¹) with S = s·C_rr − WᵀW + P_r, then x_d = F⁻ᵀ(v − W x_r + ε_d).
        """
        if self._cross_dd is None or self._cross_dr is None or self._cross_rr is None:
            raise RuntimeError("set_weights must be called before drawing")
        levels, k = self.part.n_levels, self.part.k
        factor_inv = self._eliminated_inverse_factor(scale, prior.blocks[self.eliminated])
        whitened, whitened_rhs, correction, projected_rhs = self._whiten(
            scale, factor_inv, rhs[self.d_slice]
        )
        schur = self._schur(scale, prior, correction)
        rest = self._rest
        x_r = self._draw_rest(schur, rhs[rest] - projected_rhs, normals[rest])
        shifted = whitened_rhs + normals[self.d_slice]
        shifted -= whitened @ x_r
        theta = np.empty(self.regression.dim)
        theta[rest] = x_r
        np.matmul(
            factor_inv.transpose(0, 2, 1),
            shifted.reshape(levels, k, 1),
            out=theta[self.d_slice].reshape(levels, k, 1),
        )
        return theta


def make_solver(regression: Regression, *, dense_limit: int = DENSE_LIMIT):
    """The solver for a regression: dense up to ``dense_limit`` coefficients, else by blocks."""
    if regression.dim <= dense_limit or not regression.parts:
        return DenseSolver(regression)
    return BlockSolver(regression)
