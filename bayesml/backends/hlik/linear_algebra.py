"""Weighted least squares on the augmented HGLM system, without forming the (n + q) × (p + q) matrix.

The augmented design is ``T = [[X, Z], [0, I_q]]`` with weights ``W = diag(W1, W2)`` (data rows,
random rows). Its normal matrix

    C = T'WT = [[X'W1X, X'W1Z], [Z'W1X, Z'W1Z + W2]]

is sparse. The random columns split into a *block-diagonal part* ``d`` — the grouping factor with
the most columns: each row touches one level, so its block of C is block diagonal with one
``k × k`` block per level (``k`` = its number of terms) — and a *dense part* ``r``: the fixed
effects and every other random column. :mod:`bayesml.linalg.elimination` (shared with the Gibbs
backend) eliminates ``d`` level by level and factorises the Schur complement
``S = C_rr − C_rd C_dd⁻¹ C_dr`` of size ``p + q_r`` by a dense Cholesky.

* one grouping factor: ``S`` is ``p × p`` — the cost is linear in ``n`` and in the number of levels;
* crossed or nested factors: ``S`` holds the smaller factors' columns (1,000 × 1,000 for two
  factors of 1,000 levels);
* a general Z (a known covariance Z·L, QTLMAS): everything is in ``S``.

What is specific to the augmented system stays here: the cross products of its data and random
rows (the W2 rows add to the diagonal of C), the order [β; v] of its coefficients, the memory
check, and the leverages of all ``n + q`` rows — ``h_i = W1_i t_i' C⁻¹ t_i`` for a data row
``t_i = (x_i, z_i)``, ``h = W2_j (C⁻¹)_jj`` for a random row — for which only the entries of C⁻¹
that the rows touch are formed. From the same factorisation come the diagonal of C⁻¹ (standard
errors) and the log-determinants of C (``A`` in the h-likelihood) and of its random block
``H = Z'W1Z + W2``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from bayesml.backends.hlik.problem import MatrixColumns
from bayesml.errors import DataError
from bayesml.linalg.batched import diagonal_stack
from bayesml.linalg.elimination import (
    BlockElimination,
    CrossProducts,
    Elimination,
    NotPositiveDefinite,
    cross_block,
)
from bayesml.linalg.grouped import GroupedColumns
from bayesml.linalg.lapack import cholesky_lower

__all__ = ["AugmentedSystem", "Factorization", "MAX_DENSE_ENTRIES"]

#: the largest number of entries of the dense blocks (S and C_dr) before a fit is refused (2 GB)
MAX_DENSE_ENTRIES = 250_000_000
#: rows of a sparse Z with at most this many non-zeros are handled entry by entry in leverages
_MAX_GATHER_NNZ = 32
#: entries of a dense chunk of rows in the dense leverage path
_CHUNK_ENTRIES = 4_000_000
#: a level block of C_dd whose Cholesky pivot is at most this times its diagonal entry is
#: singular to working precision (collinear terms within a level)
_PIVOT_RTOL = 8 * np.finfo(float).eps

Columns = GroupedColumns | MatrixColumns


@dataclass(frozen=True, eq=False)
class _Padded:
    """A sparse matrix as fixed-width (index, value) arrays per row (zeros pad short rows)."""

    index: np.ndarray
    value: np.ndarray

    @classmethod
    def from_csr(cls, matrix: sp.csr_matrix) -> _Padded:
        counts = np.diff(matrix.indptr)
        width = int(counts.max()) if counts.size else 0
        n = matrix.shape[0]
        index = np.zeros((n, width), dtype=np.int64)
        value = np.zeros((n, width))
        position = np.arange(matrix.nnz) - np.repeat(matrix.indptr[:-1], counts)
        rows = np.repeat(np.arange(n), counts)
        index[rows, position] = matrix.indices
        value[rows, position] = matrix.data
        return cls(index, value)


class AugmentedSystem:
    """The structure of the augmented system of one model; :meth:`factorize` per weight vector.

    Parameters
    ----------
    X
        ``n × p`` fixed-effects design (``p`` may be 0).
    terms
        ``(start, columns)`` per random term: the position in v of its first column and its
        :class:`~bayesml.linalg.grouped.GroupedColumns` or
        :class:`~bayesml.backends.hlik.problem.MatrixColumns`.
    n_random
        q, the total number of random effects.

    Raises
    ------
    DataError
        If the dense blocks would exceed :data:`MAX_DENSE_ENTRIES` entries.
    """

    def __init__(self, X: np.ndarray, terms: list[tuple[int, Columns]], n_random: int) -> None:
        self.X = np.ascontiguousarray(X, dtype=float)
        self.n, self.p = self.X.shape
        self.q = n_random
        chosen, self.diagonal = _eliminated_term(terms)
        rest = [term for i, term in enumerate(terms) if i != chosen]
        self.d_columns = (
            terms[chosen][0] + np.arange(self.diagonal.n_columns)
            if self.diagonal is not None
            else np.zeros(0, dtype=np.int64)
        )
        self.r_columns = (
            np.concatenate([start + np.arange(cols.n_columns) for start, cols in rest]).astype(
                np.int64
            )
            if rest
            else np.zeros(0, dtype=np.int64)
        )
        self.Zr = _stack([cols for _, cols in rest], self.n)
        self.Zr_t = self.Zr.T.tocsr() if sp.issparse(self.Zr) else None
        self.m = self.p + self.r_columns.size
        self._check_memory()
        self.padded = (
            _Padded.from_csr(self.Zr)
            if sp.issparse(self.Zr) and _max_row_nnz(self.Zr) <= _MAX_GATHER_NNZ
            else None
        )

    def _check_memory(self) -> None:
        q_d = self.d_columns.size
        entries = self.m * self.m + q_d * self.m
        if entries > MAX_DENSE_ENTRIES:
            raise DataError(
                f"the model's random effects need a dense block of {entries:,} entries "
                f"(p + q_r = {self.m} columns besides the {q_d} columns of the largest grouping "
                f"factor), more than the limit of {MAX_DENSE_ENTRIES:,} (about 2 GB); the "
                "h-likelihood backend eliminates the largest grouping factor level by level and "
                "keeps the other random columns dense, so fit fewer or smaller extra factors"
            )

    # -- products with T ----------------------------------------------------------------------
    def z_transpose(self, values: np.ndarray) -> np.ndarray:
        """Z' · values (length q) for a vector of row values."""
        out = np.zeros(self.q)
        if self.diagonal is not None:
            out[self.d_columns] = self.diagonal.transpose_times(values)
        if self.r_columns.size:
            out[self.r_columns] = self._zr_t(values)
        return out

    def z_times(self, v: np.ndarray) -> np.ndarray:
        """Z · v (length n)."""
        out = np.zeros(self.n)
        if self.diagonal is not None:
            out += self.diagonal.times(v[self.d_columns])
        if self.r_columns.size:
            out += self.Zr @ v[self.r_columns]
        return out

    def _zr_t(self, values: np.ndarray) -> np.ndarray:
        return self.Zr_t @ values if self.Zr_t is not None else self.Zr.T @ values

    def normal_rhs(
        self, w1: np.ndarray, z1: np.ndarray, w2: np.ndarray, z2: np.ndarray
    ) -> np.ndarray:
        """T'W·[z1; z2] in the order [β; v]."""
        weighted = w1 * z1
        return np.concatenate([self.X.T @ weighted, self.z_transpose(weighted) + w2 * z2])

    # -- factorisation ------------------------------------------------------------------------
    def factorize(self, w1: np.ndarray, w2: np.ndarray) -> Factorization:
        """Factorise C = T'WT for data-row weights ``w1`` (n) and random-row weights ``w2`` (q).

        Raises
        ------
        DataError
            If C is not positive definite (e.g. collinear fixed effects, a random effect with
            no data and zero weight).
        """
        cross = CrossProducts(
            self._diagonal_blocks(w1, w2), self._cross_block(w1), self._dense_block(w1, w2)
        )
        try:
            elimination = BlockElimination(cross).eliminate(pivot_rtol=_PIVOT_RTOL)
            elimination.drop_schur()  # S = L Lᵀ: only L is kept
        except NotPositiveDefinite as error:
            raise self._singular(error) from error
        return Factorization(self, w1, w2, elimination)

    def _singular(self, error: NotPositiveDefinite) -> DataError:
        if error.part == "schur":
            return _not_positive_definite("the Schur complement of the augmented system")
        if self.diagonal is not None and self.diagonal.n_terms == 1:
            return DataError(
                "the augmented system is singular: a random effect has no weight "
                "(a level with no data and an infinite dispersion λ)"
            )
        return DataError(
            "the augmented system is singular: the random terms of one grouping factor are "
            "collinear within a level"
        )

    def _diagonal_blocks(self, w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
        """The level blocks of C_dd = Zᵈ'W1Zᵈ + W2ᵈ, (L, k, k)."""
        part = self.diagonal
        if part is None:
            return np.zeros((0, 1, 1))
        blocks = part.level_products(w1)
        blocks += diagonal_stack(w2[self.d_columns].reshape(part.n_levels, part.n_terms))
        return blocks

    def _cross_block(self, w1: np.ndarray) -> np.ndarray | sp.csr_matrix:
        """C_dr = [Zᵈ'W1X, Zᵈ'W1Zʳ] in the form the elimination takes."""
        part = self.diagonal
        if part is None:
            return cross_block(np.zeros((0, self.m)), 0, 1)
        c_dx = (
            np.asarray(part.transpose_times(w1[:, None] * self.X))
            if self.p
            else np.zeros((part.n_columns, 0))
        )
        if not self.r_columns.size:
            return cross_block(c_dx, part.n_levels, part.n_terms)
        c_dz = self._cross_d_r(part, w1)
        matrix = sp.hstack([sp.csr_matrix(c_dx), c_dz], format="csr")
        return cross_block(matrix, part.n_levels, part.n_terms)

    def _cross_d_r(self, part: GroupedColumns, w1: np.ndarray) -> sp.csr_matrix:
        """Zᵈ'W1Zʳ as CSR; from the rows' (index, value) pairs when Zʳ is sparse and narrow."""
        if self.padded is None:
            return sp.csr_matrix(part.matrix_transpose @ _scale_rows(self.Zr, w1))
        k = part.n_terms
        rows = (part.group_index[:, None] * k + np.arange(k)[None, :])[:, :, None]
        values = (w1[:, None] * part.term_matrix)[:, :, None] * self.padded.value[:, None, :]
        cols = self.padded.index[:, None, :]
        shape = (part.n_columns, self.r_columns.size)
        rows, cols = np.broadcast_to(rows, values.shape), np.broadcast_to(cols, values.shape)
        return sp.csr_matrix((values.ravel(), (rows.ravel(), cols.ravel())), shape=shape)

    def _cross_r_r(self, w1: np.ndarray) -> sp.csr_matrix | np.ndarray:
        """Zʳ'W1Zʳ; from the rows' (index, value) pairs when Zʳ is sparse and narrow."""
        if self.padded is None:
            return self.Zr.T @ _scale_rows(self.Zr, w1)
        index, value = self.padded.index, self.padded.value
        values = w1[:, None, None] * value[:, :, None] * value[:, None, :]
        rows = np.broadcast_to(index[:, :, None], values.shape)
        cols = np.broadcast_to(index[:, None, :], values.shape)
        size = self.r_columns.size
        return sp.csr_matrix((values.ravel(), (rows.ravel(), cols.ravel())), shape=(size, size))

    def _dense_block(self, w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
        """C_rr: [[X'W1X, X'W1Zr], [Zr'W1X, Zr'W1Zr + W2r]]."""
        c_rr = np.empty((self.m, self.m))
        p = self.p
        weighted_x = w1[:, None] * self.X
        c_rr[:p, :p] = self.X.T @ weighted_x
        if self.r_columns.size:
            zx = np.asarray(self._zr_t(weighted_x)).reshape(self.r_columns.size, p)
            c_rr[p:, :p] = zx
            c_rr[:p, p:] = zx.T
            zz = self._cross_r_r(w1)
            c_rr[p:, p:] = _to_dense(zz)
            c_rr[p:, p:][np.diag_indices(self.r_columns.size)] += w2[self.r_columns]
        return c_rr


@dataclass(eq=False)
class Factorization:
    """C = T'WT factorised for one set of weights: solves, C⁻¹ entries, leverages, log-dets.

    The solves, log-determinants and blocks of C⁻¹ come from the shared
    :class:`~bayesml.linalg.elimination.Elimination`; this class maps them to the order [β; v]
    and forms the leverages of the augmented rows.
    """

    system: AugmentedSystem
    w1: np.ndarray
    w2: np.ndarray
    elimination: Elimination

    # -- solves -------------------------------------------------------------------------------
    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """C⁻¹ · rhs for a vector in the order [β; v]."""
        system = self.system
        p = system.p
        b_r = np.concatenate([rhs[:p], rhs[p + system.r_columns]])
        x_d, x_r = self.elimination.solve(rhs[p + system.d_columns], b_r)
        out = np.empty(p + system.q)
        out[:p] = x_r[:p]
        out[p + system.r_columns] = x_r[p:]
        out[p + system.d_columns] = x_d
        return out

    # -- pieces of C⁻¹ ------------------------------------------------------------------------
    def inverse_diagonal(self) -> np.ndarray:
        """diag(C⁻¹) in the order [β; v]: the squared standard errors."""
        system = self.system
        p = system.p
        sinv_diag = np.diag(self.elimination.schur_inverse)
        out = np.empty(p + system.q)
        out[:p] = sinv_diag[:p]
        out[p + system.r_columns] = sinv_diag[p:]
        if system.d_columns.size:
            blocks = self.elimination.level_inverse_blocks
            out[p + system.d_columns] = np.einsum("laa->la", blocks).reshape(-1)
        return out

    def inverse_random_block(self, columns: np.ndarray) -> np.ndarray:
        """The block of C⁻¹ for random effects ``columns`` (positions in v) in the dense part."""
        system = self.system
        position = {int(c): i for i, c in enumerate(system.r_columns)}
        if any(int(c) not in position for c in columns):
            raise ValueError("inverse_random_block: columns must lie in the dense part")
        rows = system.p + np.array([position[int(c)] for c in columns], dtype=np.int64)
        return self.elimination.schur_inverse[np.ix_(rows, rows)]

    # -- leverages ----------------------------------------------------------------------------
    def data_quadratic_forms(self) -> np.ndarray:
        """t_i' C⁻¹ t_i for every data row t_i = (x_i, z_i); the leverage is W1_i times it."""
        system = self.system
        out = np.zeros(system.n)
        if system.diagonal is not None:
            out += self._diagonal_terms(system.diagonal)
        out += self._dense_terms()
        return out

    def random_quadratic_forms(self) -> np.ndarray:
        """(C⁻¹)_jj for every random effect; the leverage of random row j is W2_j times it."""
        return self.inverse_diagonal()[self.system.p :]

    def leverages(self) -> np.ndarray:
        """Diagonal of the hat matrix of the weighted augmented system (length n + q)."""
        return np.concatenate(
            [self.w1 * self.data_quadratic_forms(), self.w2 * self.random_quadratic_forms()]
        )

    def _diagonal_terms(self, part: GroupedColumns) -> np.ndarray:
        """t_d' (C⁻¹)_dd t_d + 2 t_d' (C⁻¹)_dr r for each row (the ``d`` columns it touches)."""
        system = self.system
        index, terms, k, p = part.group_index, part.term_matrix, part.n_terms, system.p
        blocks = self.elimination.level_inverse_blocks
        if k > 1:
            out = np.einsum("ia,iab,ib->i", terms, blocks[index], terms)
        else:
            out = terms[:, 0] ** 2 * blocks[index, 0, 0]
        cross = self.elimination.cross_inverse.reshape(part.n_levels, k, system.m)  # (C⁻¹)_dr
        if p:
            out += 2.0 * np.einsum("ia,iaj,ij->i", terms, cross[:, :, :p][index], system.X)
        if system.r_columns.size:
            pz = cross[:, :, p:]
            if system.padded is not None:
                idx, val = system.padded.index, system.padded.value
                for s in range(idx.shape[1]):
                    gathered = pz[index[:, None], np.arange(k)[None, :], idx[:, s][:, None]]
                    out += 2.0 * val[:, s] * np.einsum("ia,ia->i", terms, gathered)
            else:
                for rows in _chunks(system.n, system.r_columns.size * k):
                    z = _rows_dense(system.Zr, rows)
                    out[rows] += 2.0 * np.einsum("ia,iaj,ij->i", terms[rows], pz[index[rows]], z)
        return out

    def _dense_terms(self) -> np.ndarray:
        """r' S⁻¹ r for r = (x, z_r) of each row."""
        system = self.system
        p = system.p
        sinv = self.elimination.schur_inverse
        X = system.X
        out = np.einsum("ij,ij->i", X @ sinv[:p, :p], X) if p else np.zeros(system.n)
        if not system.r_columns.size:
            return out
        if system.padded is not None:
            idx, val = system.padded.index, system.padded.value
            sinv_zx = sinv[p:, :p]
            sinv_zz = sinv[p:, p:]
            width = idx.shape[1]
            for s in range(width):
                if p:
                    out += 2.0 * val[:, s] * np.einsum("ij,ij->i", X, sinv_zx[idx[:, s]])
                for t in range(width):
                    out += val[:, s] * val[:, t] * sinv_zz[idx[:, s], idx[:, t]]
            return out
        for rows in _chunks(system.n, system.m):
            z = _rows_dense(system.Zr, rows)
            out[rows] += np.einsum("ij,ij->i", z @ sinv[p:, p:], z)
            if p:
                out[rows] += 2.0 * np.einsum("ij,ij->i", X[rows] @ sinv[:p, p:], z)
        return out

    # -- determinants -------------------------------------------------------------------------
    def logdet(self) -> float:
        """log det C (the matrix A of the h-likelihood's pbvh)."""
        return self.elimination.logdet()

    def logdet_random(self) -> float:
        """log det H, H = Z'W1Z + W2 (the random-effects block of C)."""
        p = self.system.p
        elimination = self.elimination
        if elimination.shape[2] == p:
            return elimination.logdet_levels()
        # S[p:, p:] = L[p:] L[p:]' (S = L L') is the Schur complement of C_dd in H
        rows = elimination.schur_factor[p:]
        try:
            sub = cholesky_lower(rows @ rows.T)
        except np.linalg.LinAlgError as error:
            raise _not_positive_definite("the random-effects block H") from error
        return elimination.logdet_levels() + 2.0 * float(np.sum(np.log(np.diag(sub))))


# -- helpers ------------------------------------------------------------------------------------
def _eliminated_term(terms: list[tuple[int, Columns]]) -> tuple[int | None, GroupedColumns | None]:
    """The term eliminated level by level: of the terms that have a grouped form (a grouping
    factor, or a sparse Z with one non-zero per row), the one with the most columns (the last
    of them on a tie); ``(None, None)`` when no term has one."""
    grouped = [
        cols if isinstance(cols, GroupedColumns) else GroupedColumns.from_matrix(cols.matrix)
        for _, cols in terms
    ]
    candidates = [(cols.n_columns, i) for i, cols in enumerate(grouped) if cols is not None]
    if not candidates:
        return None, None
    chosen = max(candidates)[1]
    return chosen, grouped[chosen]


def _not_positive_definite(what: str) -> DataError:
    return DataError(
        f"{what} is not positive definite: the fixed effects are collinear (given the "
        "random effects), or the weights have collapsed to zero"
    )


def _stack(pieces: list[Columns], n: int) -> sp.csr_matrix | np.ndarray:
    matrices = [piece.matrix for piece in pieces]
    if not matrices:
        return sp.csr_matrix((n, 0))
    if all(sp.issparse(m) for m in matrices):
        return sp.hstack(matrices, format="csr", dtype=float)
    return np.hstack(
        [m.toarray() if sp.issparse(m) else np.asarray(m, dtype=float) for m in matrices]
    )


def _max_row_nnz(matrix: sp.csr_matrix) -> int:
    counts = np.diff(matrix.indptr)
    return int(counts.max()) if counts.size else 0


def _scale_rows(
    matrix: sp.csr_matrix | np.ndarray, weights: np.ndarray
) -> sp.csr_matrix | np.ndarray:
    if sp.issparse(matrix):
        return sp.csr_matrix(matrix.multiply(weights[:, None]))
    return matrix * weights[:, None]


def _to_dense(matrix: sp.spmatrix | np.ndarray) -> np.ndarray:
    return matrix.toarray() if sp.issparse(matrix) else np.asarray(matrix)


def _rows_dense(matrix: sp.csr_matrix | np.ndarray, rows: slice) -> np.ndarray:
    part = matrix[rows]
    return part.toarray() if sp.issparse(part) else np.asarray(part)


def _chunks(n: int, width: int) -> list[slice]:
    size = max(1, _CHUNK_ENTRIES // max(width, 1))
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]
