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
* :class:`BlockSolver` eliminates the grouping factor with the most columns level by level with
  :mod:`bayesml.linalg.elimination` (shared with the h-likelihood backend) and factorises the
  Schur complement S of the rest densely. The rest is drawn from its marginal N(S⁻¹c̃_r, S⁻¹),
  then the eliminated block conditionally, level by level (``k × k`` Cholesky factors). Its cost
  is linear in the number of rows and of levels of the largest factor.

What is specific to the sampler stays here: the layout of θ, the prior precision P and the
normals of the draw. The data cross-products TᵀWT are computed once per weight vector
(:meth:`set_weights`); a Gaussian response or a probit model keeps its weights for the whole run,
the Pólya-Gamma logit changes them every iteration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from bayesml.errors import DataError
from bayesml.linalg.batched import level_block_indices, small_gaussian_draw
from bayesml.linalg.elimination import (
    BlockElimination,
    Elimination,
    NotPositiveDefinite,
    cross_products,
)
from bayesml.linalg.grouped import GroupedColumns
from bayesml.linalg.lapack import cholesky_lower, cholesky_solve

__all__ = [
    "DENSE_LIMIT",
    "BlockSolver",
    "DenseSolver",
    "PriorPrecision",
    "Regression",
    "make_solver",
]

#: models with at most this many coefficients use :class:`DenseSolver` (measured on one core:
#: the two solvers cost the same per draw at about 60 coefficients, e.g. rats' 62; the dense
#: factorisation grows as dim³, the block solver's cost is mostly a fixed number of numpy calls)
DENSE_LIMIT = 64
#: T·θ uses a dense T up to this many entries
DENSE_PRODUCT_LIMIT = 40_000
#: :class:`BlockSolver` draws a rest of at most this many columns in closed form
SMALL_REST = 2


class Regression:
    """The regression matrix T = [X, Z_1, …, Z_B] and products with it.

    Parameters
    ----------
    X
        Fixed-effects matrix (n × p; p may be 0).
    parts
        The columns of each grouping factor (level-major: column ``level · k + term``).
    """

    def __init__(self, X: np.ndarray, parts: Sequence[GroupedColumns]) -> None:
        self.X = np.ascontiguousarray(X, dtype=float)
        self.n, self.p = self.X.shape
        self.parts = tuple(parts)
        starts = np.cumsum([self.p] + [part.n_columns for part in self.parts])
        self.starts = tuple(int(s) for s in starts[:-1])
        self.dim = int(starts[-1])

    def part_slice(self, index: int) -> slice:
        """Positions of the columns of part ``index`` in θ."""
        start = self.starts[index]
        return slice(start, start + self.parts[index].n_columns)

    def effects(self, theta: np.ndarray, index: int) -> np.ndarray:
        """The effects of part ``index`` as a (levels, k) view into θ."""
        part = self.parts[index]
        return theta[self.part_slice(index)].reshape(part.n_levels, part.n_terms)

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


def _levels_not_positive_definite() -> DataError:
    return DataError(
        "the precision of a grouping factor's effects is not positive definite: a "
        "variance parameter has collapsed to zero or infinity"
    )


def _level_block_view(matrix: np.ndarray, start: int, n_levels: int, k: int) -> np.ndarray:
    """A writeable (levels, k, k) view of the level blocks on the diagonal of a C-ordered matrix,
    from row and column ``start`` (level-major)."""
    row, item = matrix.strides
    return np.lib.stride_tricks.as_strided(
        matrix[start:, start:], shape=(n_levels, k, k), strides=(k * (row + item), row, item)
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
            _level_block_view(self._buffer, regression.starts[i], part.n_levels, part.n_terms)
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
        try:
            factor = cholesky_lower(self.precision(scale, prior))
        except np.linalg.LinAlgError as error:
            raise _not_positive_definite() from error
        return cholesky_solve(factor, rhs, normals)


class BlockSolver:
    """Draws θ by eliminating the largest grouping factor level by level (see the module text).

    The factor with the most columns (the first of them on a tie) is eliminated; the rest is the
    fixed effects followed by the other factors, in the order of θ.
    """

    def __init__(self, regression: Regression) -> None:
        if not regression.parts:
            raise ValueError("BlockSolver needs at least one grouping factor")
        self.regression = regression
        self.eliminated = int(np.argmax([part.n_columns for part in regression.parts]))
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
        self._rest_blocks = self._rest_block_positions()
        self._coef_flat = np.arange(regression.p) * (self.m + 1)
        self._elimination: BlockElimination | None = None

    def _rest_block_positions(self) -> list[tuple[int, np.ndarray]]:
        """(part, positions in the flattened Schur complement) of the other parts' level blocks."""
        regression = self.regression
        position = np.full(regression.dim, -1, dtype=np.int64)
        position[self.r_index] = np.arange(self.m)
        blocks = []
        for i, part in enumerate(regression.parts):
            if i == self.eliminated:
                continue
            rows, cols = level_block_indices(regression.starts[i], part.n_levels, part.n_terms)
            blocks.append((i, position[rows] * self.m + position[cols]))
        return blocks

    def set_weights(self, weights: np.ndarray) -> None:
        """Compute the blocks of TᵀWT: per-level k × k blocks, the cross block and the dense block."""
        cross = cross_products(self.part, self._rest_matrix, weights)
        self._elimination = BlockElimination(cross)

    def _rest_precision(self, prior: PriorPrecision) -> list[tuple[np.ndarray, np.ndarray]]:
        """P_r as additions to the flattened Schur complement: coefficients, then other parts."""
        additions = [(self._coef_flat, prior.coefficients)]
        for index, positions in self._rest_blocks:
            levels = self.regression.parts[index].n_levels
            additions.append((positions, np.tile(prior.blocks[index].reshape(-1), levels)))
        return additions

    def _draw_rest(
        self, elimination: Elimination, rhs_r: np.ndarray, normals_r: np.ndarray
    ) -> np.ndarray:
        """x_r ~ N(S⁻¹·rhs_r, S⁻¹): in closed form for one or two columns."""
        if self.m == 0:  # no fixed effects and a single grouping factor
            return np.empty(0)
        if self.m <= SMALL_REST:
            return small_gaussian_draw(elimination.schur, rhs_r, normals_r)
        return cholesky_solve(elimination.schur_factor, rhs_r, normals_r)

    def draw(
        self, scale: float, prior: PriorPrecision, rhs: np.ndarray, normals: np.ndarray
    ) -> np.ndarray:
        """θ = A⁻¹·rhs + (a square root of A⁻¹)·normals; ``normals = 0`` gives the mean.

        With C_dd = F Fᵀ level by level, W = F⁻¹C_dr and v = F⁻¹c_d: the rest x_r is drawn from
        N(S⁻¹(c_r − Wᵀv), S⁻¹) with S = s·C_rr − WᵀW + P_r, then x_d = F⁻ᵀ(v − W x_r + ε_d).
        """
        if self._elimination is None:
            raise RuntimeError("set_weights must be called before drawing")
        rest = self._rest
        try:
            elimination = self._elimination.eliminate(
                scale=scale,
                level_precision=prior.blocks[self.eliminated],
                rest_precision=self._rest_precision(prior),
                rhs_d=rhs[self.d_slice],
            )
            x_r = self._draw_rest(elimination, rhs[rest] - elimination.projected_rhs, normals[rest])
        except NotPositiveDefinite as error:
            if error.part == "levels":
                raise _levels_not_positive_definite() from error
            raise _not_positive_definite() from error
        except np.linalg.LinAlgError as error:  # the closed form's
            raise _not_positive_definite() from error
        theta = np.empty(self.regression.dim)
        theta[rest] = x_r
        elimination.back_substitute(
            elimination.whitened_rhs + normals[self.d_slice],
            x_r,
            out=theta[self.d_slice].reshape(self.part.n_levels, self.part.n_terms, 1),
        )
        return theta


def make_solver(
    regression: Regression, *, dense_limit: int = DENSE_LIMIT
) -> DenseSolver | BlockSolver:
    """The solver for a regression: dense up to ``dense_limit`` coefficients, else by blocks."""
    if regression.dim <= dense_limit or not regression.parts:
        return DenseSolver(regression)
    return BlockSolver(regression)
