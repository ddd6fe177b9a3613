"""Weighted least squares on the augmented HGLM system, without forming the (n + q) × (p + q) matrix.

The augmented design is ``T = [[X, Z], [0, I_q]]`` with weights ``W = diag(W1, W2)`` (data rows,
random rows). Its normal matrix

    C = T'WT = [[X'W1X, X'W1Z], [Z'W1X, Z'W1Z + W2]]

is sparse. The random columns split into a *block-diagonal part* ``d`` — the grouping factor with
the most columns: each row touches one level, so its block of C is block diagonal with one
``k × k`` block per level (``k`` = its number of terms) — and a *dense part* ``r``: the fixed
effects and every other random column. Eliminating ``d`` (per-level inverses) leaves the Schur
complement ``S = C_rr − C_rd C_dd⁻¹ C_dr`` of size ``p + q_r``, factorised by a dense Cholesky.

* one grouping factor: ``S`` is ``p × p`` — the cost is linear in ``n`` and in the number of levels;
* crossed or nested factors: ``S`` holds the smaller factors' columns (1,000 × 1,000 for two
  factors of 1,000 levels);
* a general Z (a known covariance Z·L, QTLMAS): everything is in ``S``.

From the same factorisation come the diagonal of C⁻¹ (standard errors), the leverages of all
``n + q`` rows — ``h_i = W1_i t_i' C⁻¹ t_i`` for a data row ``t_i = (x_i, z_i)``, ``h = W2_j (C⁻¹)_jj``
for a random row — and the log-determinants of C (``A`` in the h-likelihood) and of its random
block ``H = Z'W1Z + W2``. Only the entries of C⁻¹ that the rows touch are formed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from bayesml.backends.hlik.problem import GroupedColumns, MatrixColumns
from bayesml.errors import DataError

__all__ = ["AugmentedSystem", "Factorization", "MAX_DENSE_ENTRIES"]

#: the largest number of entries of the dense blocks (S and C_dr) before a fit is refused (2 GB)
MAX_DENSE_ENTRIES = 250_000_000
#: rows of a sparse Z with at most this many non-zeros are handled entry by entry in leverages
_MAX_GATHER_NNZ = 32
#: entries of a dense chunk of rows in the dense leverage path
_CHUNK_ENTRIES = 4_000_000


@dataclass(frozen=True, eq=False)
class _DiagonalPart:
    """The grouping factor eliminated block by block."""

    start: int  # position of its first column in v
    group_index: np.ndarray
    term_matrix: np.ndarray
    n_levels: int

    @property
    def k(self) -> int:
        return int(self.term_matrix.shape[1])

    @property
    def size(self) -> int:
        return self.n_levels * self.k

    @cached_property
    def matrix_t(self) -> sp.csr_matrix:
        """Zᵈ' as CSR (q_d × n)."""
        columns = GroupedColumns(self.group_index, self.term_matrix, self.n_levels)
        return columns.matrix().T.tocsr()

    def weighted_sums(self, values: np.ndarray) -> np.ndarray:
        """Zᵈ' · values for a vector (q_d,) or matrix (q_d, m) of row values."""
        return self.matrix_t @ values


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
        :class:`GroupedColumns` or :class:`MatrixColumns`.
    n_random
        q, the total number of random effects.
    """

    def __init__(
        self,
        X: np.ndarray,
        terms: list[tuple[int, GroupedColumns | MatrixColumns]],
        n_random: int,
    ) -> None:
        self.X = np.ascontiguousarray(X, dtype=float)
        self.n, self.p = self.X.shape
        self.q = n_random
        grouped = [(start, _as_grouped(columns)) for start, columns in terms]
        candidates = [
            (cols.n_columns, i) for i, (_, cols) in enumerate(grouped) if cols is not None
        ]
        chosen = max(candidates)[1] if candidates else None
        self.diagonal: _DiagonalPart | None = None
        rest: list[tuple[int, GroupedColumns | MatrixColumns]] = []
        for i, ((start, columns), (_, as_grouped)) in enumerate(zip(terms, grouped, strict=True)):
            if i == chosen and as_grouped is not None:
                self.diagonal = _DiagonalPart(
                    start, as_grouped.group_index, as_grouped.term_matrix, as_grouped.n_levels
                )
            else:
                rest.append((start, columns))
        self.d_columns = (
            np.arange(self.diagonal.start, self.diagonal.start + self.diagonal.size)
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
            out[self.d_columns] = self.diagonal.weighted_sums(values)
        if self.r_columns.size:
            out[self.r_columns] = self._zr_t(values)
        return out

    def z_times(self, v: np.ndarray) -> np.ndarray:
        """Z · v (length n)."""
        out = np.zeros(self.n)
        if self.diagonal is not None:
            part = self.diagonal
            effects = v[self.d_columns].reshape(part.n_levels, part.k)
            out += np.einsum("ik,ik->i", part.term_matrix, effects[part.group_index])
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
        blocks, c_dx, c_dz = self._diagonal_blocks(w1, w2)
        schur = self._dense_block(w1, w2)
        inverse_blocks, logdet_blocks = _invert_blocks(blocks)
        p = self.p
        g_x = np.zeros((0, p))
        g_z: sp.csr_matrix | None = None
        if self.d_columns.size:
            block_inverse = _block_diagonal(inverse_blocks)
            g_x = block_inverse @ c_dx
            schur[:p, :p] -= c_dx.T @ g_x
            if c_dz is not None:
                g_z = _block_times(inverse_blocks, block_inverse, c_dz)
                xz = np.asarray(g_z.T @ c_dx).T  # C_dX' C_dd⁻¹ C_dZ  (p × q_r)
                schur[:p, p:] -= xz
                schur[p:, :p] -= xz.T
                schur[p:, p:] -= _to_dense(c_dz.T @ g_z)
        chol = _cholesky(schur, what="the Schur complement of the augmented system")
        return Factorization(self, w1, w2, inverse_blocks, logdet_blocks, g_x, g_z, chol)

    def _diagonal_blocks(
        self, w1: np.ndarray, w2: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, sp.csr_matrix | None]:
        """Per-level blocks of C_dd (L, k, k), C_dX = Zᵈ'W1X (q_d, p) and C_dZ = Zᵈ'W1Zʳ (sparse)."""
        part = self.diagonal
        if part is None:
            return np.zeros((0, 0, 0)), np.zeros((0, self.p)), None
        k, levels, index = part.k, part.n_levels, part.group_index
        weighted_terms = part.term_matrix * w1[:, None]
        blocks = np.empty((levels, k, k))
        for a in range(k):
            for b in range(a, k):
                sums = np.bincount(
                    index, weights=weighted_terms[:, a] * part.term_matrix[:, b], minlength=levels
                )
                blocks[:, a, b] = blocks[:, b, a] = sums
        blocks += _diag_stack(w2[self.d_columns].reshape(levels, k))
        c_dx = part.weighted_sums(w1[:, None] * self.X) if self.p else np.zeros((part.size, 0))
        c_dz = None
        if self.r_columns.size:
            c_dz = self._cross_d_r(w1)
        return blocks, np.asarray(c_dx), c_dz

    def _cross_d_r(self, w1: np.ndarray) -> sp.csr_matrix:
        """Zᵈ'W1Zʳ as CSR; from the rows' (index, value) pairs when Zʳ is sparse and narrow."""
        part = self.diagonal
        assert part is not None
        if self.padded is None:
            return sp.csr_matrix(part.matrix_t @ _scale_rows(self.Zr, w1))
        k = part.k
        rows = (part.group_index[:, None] * k + np.arange(k)[None, :])[:, :, None]
        values = (w1[:, None] * part.term_matrix)[:, :, None] * self.padded.value[:, None, :]
        cols = self.padded.index[:, None, :]
        shape = (part.size, self.r_columns.size)
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

    ``G = C_dd⁻¹ C_dr`` is kept in two parts: ``g_x`` (dense, the fixed-effect columns) and
    ``g_z`` (sparse, the other random columns), so that crossed factors stay cheap.
    """

    system: AugmentedSystem
    w1: np.ndarray
    w2: np.ndarray
    inverse_blocks: np.ndarray
    logdet_blocks: float
    g_x: np.ndarray  # (q_d × p)
    g_z: sp.csr_matrix | None  # (q_d × q_r)
    chol: np.ndarray  # lower Cholesky factor of the Schur complement (m × m)
    _cache: dict = field(default_factory=dict, repr=False)

    # -- products with G ----------------------------------------------------------------------
    def _g_times(self, x_r: np.ndarray) -> np.ndarray:
        """G · x_r for x_r in the dense part's order (m,)."""
        p = self.system.p
        out = self.g_x @ x_r[:p]
        if self.g_z is not None:
            out = out + self.g_z @ x_r[p:]
        return out

    def _g_transpose_times(self, b_d: np.ndarray) -> np.ndarray:
        """G' · b_d (m,)."""
        parts = [self.g_x.T @ b_d]
        if self.g_z is not None:
            parts.append(self.g_z.T @ b_d)
        return np.concatenate(parts)

    # -- solves -------------------------------------------------------------------------------
    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """C⁻¹ · rhs for a vector in the order [β; v]."""
        system = self.system
        p = system.p
        b_d = rhs[p + system.d_columns]
        b_r = np.concatenate([rhs[:p], rhs[p + system.r_columns]])
        if b_d.size:
            b_r = b_r - self._g_transpose_times(b_d)
        x_r = _cho_solve(self.chol, b_r)
        out = np.empty(p + system.q)
        out[:p] = x_r[:p]
        out[p + system.r_columns] = x_r[p:]
        if b_d.size:
            out[p + system.d_columns] = self._block_solve(b_d) - self._g_times(x_r)
        return out

    def _block_solve(self, b_d: np.ndarray) -> np.ndarray:
        levels, k = self.inverse_blocks.shape[:2]
        return np.einsum("lab,lb->la", self.inverse_blocks, b_d.reshape(levels, k)).reshape(-1)

    # -- pieces of C⁻¹ ------------------------------------------------------------------------
    @property
    def schur_inverse(self) -> np.ndarray:
        """S⁻¹ = (C⁻¹)_rr (m × m)."""
        if "sinv" not in self._cache:
            self._cache["sinv"] = _cho_inverse(self.chol)
        return self._cache["sinv"]

    @property
    def gs(self) -> np.ndarray:
        """G S⁻¹ (q_d × m); (C⁻¹)_dr = −G S⁻¹."""
        if "gs" not in self._cache:
            p = self.system.p
            sinv = self.schur_inverse
            gs = self.g_x @ sinv[:p]
            if self.g_z is not None:
                gs = gs + np.asarray(self.g_z @ sinv[p:])
            self._cache["gs"] = gs
        return self._cache["gs"]

    @property
    def inverse_dd_blocks(self) -> np.ndarray:
        """The level blocks of (C⁻¹)_dd = C_dd⁻¹ + G S⁻¹ G' (L × k × k)."""
        if "qdd" not in self._cache:
            blocks = self.inverse_blocks.copy()
            if blocks.size:
                k = blocks.shape[1]
                p = self.system.p
                gs = self.gs
                for a in range(k):
                    for b in range(k):
                        rows_a, rows_b = slice(a, None, k), slice(b, None, k)
                        extra = np.einsum("ij,ij->i", gs[rows_a, :p], self.g_x[rows_b])
                        if self.g_z is not None:
                            product = self.g_z[rows_b].multiply(gs[rows_a, p:])
                            extra = extra + np.asarray(product.sum(axis=1)).ravel()
                        blocks[:, a, b] += extra
            self._cache["qdd"] = blocks
        return self._cache["qdd"]

    def inverse_diagonal(self) -> np.ndarray:
        """diag(C⁻¹) in the order [β; v]: the squared standard errors."""
        system = self.system
        p = system.p
        sinv_diag = np.diag(self.schur_inverse)
        out = np.empty(p + system.q)
        out[:p] = sinv_diag[:p]
        out[p + system.r_columns] = sinv_diag[p:]
        if system.d_columns.size:
            out[p + system.d_columns] = np.einsum("laa->la", self.inverse_dd_blocks).reshape(-1)
        return out

    def inverse_random_block(self, columns: np.ndarray) -> np.ndarray:
        """The block of C⁻¹ for random effects ``columns`` (positions in v) in the dense part."""
        system = self.system
        position = {int(c): i for i, c in enumerate(system.r_columns)}
        if any(int(c) not in position for c in columns):
            raise ValueError("inverse_random_block: columns must lie in the dense part")
        rows = system.p + np.array([position[int(c)] for c in columns], dtype=np.int64)
        return self.schur_inverse[np.ix_(rows, rows)]

    # -- leverages ----------------------------------------------------------------------------
    def data_quadratic_forms(self) -> np.ndarray:
        """t_i' C⁻¹ t_i for every data row t_i = (x_i, z_i); the leverage is W1_i times it."""
        system = self.system
        out = np.zeros(system.n)
        if system.diagonal is not None:
            out += self._diagonal_terms()
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

    def _diagonal_terms(self) -> np.ndarray:
        """t_d' (C⁻¹)_dd t_d + 2 t_d' (C⁻¹)_dr r for each row (the ``d`` columns it touches)."""
        system = self.system
        part = system.diagonal
        assert part is not None
        index, terms, k, p = part.group_index, part.term_matrix, part.k, system.p
        blocks = self.inverse_dd_blocks
        if k > 1:
            out = np.einsum("ia,iab,ib->i", terms, blocks[index], terms)
        else:
            out = terms[:, 0] ** 2 * blocks[index, 0, 0]
        cross = -self.gs.reshape(part.n_levels, k, system.m)  # (C⁻¹)_dr by level
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
        sinv = self.schur_inverse
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
        return self.logdet_blocks + 2.0 * float(np.sum(np.log(np.diag(self.chol))))

    def logdet_random(self) -> float:
        """log det H, H = Z'W1Z + W2 (the random-effects block of C)."""
        p = self.system.p
        m = self.chol.shape[0]
        if m == p:
            return self.logdet_blocks
        # S[p:, p:] is the Schur complement of C_dd in H
        schur = self.chol @ self.chol.T
        sub = _cholesky(schur[p:, p:], what="the random-effects block H")
        return self.logdet_blocks + 2.0 * float(np.sum(np.log(np.diag(sub))))


# -- helpers ------------------------------------------------------------------------------------
def _as_grouped(columns: GroupedColumns | MatrixColumns) -> GroupedColumns | None:
    """A grouped view of a term when each row touches at most one of its columns."""
    if isinstance(columns, GroupedColumns):
        return columns
    matrix = columns.matrix
    if not sp.issparse(matrix):
        return None
    csr = sp.csr_matrix(matrix)
    csr.eliminate_zeros()
    counts = np.diff(csr.indptr)
    if counts.size == 0 or counts.max() > 1:
        return None
    group = np.zeros(csr.shape[0], dtype=np.int64)
    value = np.zeros(csr.shape[0])
    rows = np.flatnonzero(counts)
    group[rows] = csr.indices
    value[rows] = csr.data
    return GroupedColumns(group, value[:, None], csr.shape[1])


def _stack(pieces: list[GroupedColumns | MatrixColumns], n: int) -> sp.csr_matrix | np.ndarray:
    matrices = [p.matrix() if isinstance(p, GroupedColumns) else p.matrix for p in pieces]
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


def _diag_stack(values: np.ndarray) -> np.ndarray:
    """(L, k) → (L, k, k) diagonal matrices."""
    levels, k = values.shape
    out = np.zeros((levels, k, k))
    out[:, np.arange(k), np.arange(k)] = values
    return out


def _invert_blocks(blocks: np.ndarray) -> tuple[np.ndarray, float]:
    if not blocks.size:
        return blocks, 0.0
    if blocks.shape[1] == 1:
        diagonal = blocks[:, 0, 0]
        if not np.all(diagonal > 0):
            raise DataError(
                "the augmented system is singular: a random effect has no weight "
                "(a level with no data and an infinite dispersion λ)"
            )
        return (1.0 / diagonal)[:, None, None], float(np.sum(np.log(diagonal)))
    singular = DataError(
        "the augmented system is singular: the random terms of one grouping factor are "
        "collinear within a level"
    )
    try:
        chol = np.linalg.cholesky(blocks)
        diagonal = np.einsum("laa->la", chol)
        if not np.all(np.isfinite(diagonal) & (diagonal > 0)):
            raise singular
        identity = np.broadcast_to(np.eye(blocks.shape[1]), blocks.shape)
        inverse = np.linalg.solve(blocks, identity)
    except np.linalg.LinAlgError as error:
        raise singular from error
    return inverse, 2.0 * float(np.sum(np.log(diagonal)))


def _cholesky(matrix: np.ndarray, *, what: str) -> np.ndarray:
    if not matrix.size:
        return np.zeros((0, 0))
    try:
        return la.cholesky(matrix, lower=True, check_finite=False)
    except la.LinAlgError as error:
        raise DataError(
            f"{what} is not positive definite: the fixed effects are collinear (given the "
            "random effects), or the weights have collapsed to zero"
        ) from error


def _block_diagonal(inverse_blocks: np.ndarray) -> sp.csr_matrix:
    """The (L·k) × (L·k) sparse block-diagonal matrix of the per-level blocks."""
    levels, k = inverse_blocks.shape[:2]
    if k == 1:
        return sp.diags(inverse_blocks[:, 0, 0], format="csr")
    offsets = (np.arange(levels) * k)[:, None, None]
    rows = np.broadcast_to(offsets + np.arange(k)[None, :, None], inverse_blocks.shape)
    cols = np.broadcast_to(offsets + np.arange(k)[None, None, :], inverse_blocks.shape)
    size = levels * k
    return sp.csr_matrix((inverse_blocks.ravel(), (rows.ravel(), cols.ravel())), shape=(size, size))


def _block_times(
    inverse_blocks: np.ndarray, block_inverse: sp.csr_matrix, matrix: sp.csr_matrix
) -> sp.csr_matrix:
    """C_dd⁻¹ · matrix; a row scaling when the blocks are 1 × 1."""
    if inverse_blocks.shape[1] == 1:
        scaled = matrix.copy()
        scaled.data = scaled.data * np.repeat(inverse_blocks[:, 0, 0], np.diff(matrix.indptr))
        return scaled
    return sp.csr_matrix(block_inverse @ matrix)


def _cho_inverse(chol: np.ndarray) -> np.ndarray:
    """(L L')⁻¹ from the lower Cholesky factor L (LAPACK dpotri)."""
    if not chol.size:
        return np.zeros((0, 0))
    inverse, info = la.lapack.dpotri(chol, lower=1)
    if info != 0:
        raise DataError("the Schur complement of the augmented system is singular")
    return np.tril(inverse) + np.tril(inverse, -1).T


def _cho_solve(chol: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    if not chol.size:
        return np.zeros_like(rhs)
    return la.cho_solve((chol, True), rhs, check_finite=False)
