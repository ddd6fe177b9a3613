"""The random-effects design of one grouping factor: its columns of Z, built once.

A grouping factor with ``L`` levels and ``k`` terms (``(1 + x | g)``: k = 2) has ``L·k`` columns
in Z, level-major: ``Z[i, level_i · k + t] = term_matrix[i, t]``. Each row touches the ``k``
columns of its own level only, so Z'WZ is block diagonal with one ``k × k`` block per level
(:meth:`GroupedColumns.level_products`) and Z·u is a gather (:meth:`GroupedColumns.times`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

__all__ = ["GroupedColumns"]


@dataclass(frozen=True, eq=False)
class GroupedColumns:
    """The columns of one grouping factor: ``Z[i, level_i · k + t] = term_matrix[i, t]``.

    Attributes
    ----------
    group_index
        Each row's level (0 … ``n_levels`` − 1).
    term_matrix
        ``n × k`` values of the terms (a column of ones for an intercept).
    n_levels
        Number of levels.
    """

    group_index: np.ndarray
    term_matrix: np.ndarray
    n_levels: int

    @property
    def n_terms(self) -> int:
        """k, the number of terms (effects per level)."""
        return int(self.term_matrix.shape[1])

    @property
    def n_columns(self) -> int:
        """Number of columns of Z, ``n_levels · k``."""
        return self.n_levels * self.n_terms

    @cached_property
    def matrix(self) -> sp.csr_matrix:
        """Z as a sparse CSR matrix (n × levels·k, level-major columns)."""
        return self._build_matrix()

    @cached_property
    def matrix_transpose(self) -> sp.csr_matrix:
        """Z' as a sparse CSR matrix (levels·k × n); built without keeping :attr:`matrix`."""
        return self._build_matrix().T.tocsr()

    def _build_matrix(self) -> sp.csr_matrix:
        n, k = self.term_matrix.shape
        rows = np.repeat(np.arange(n), k)
        columns = (self.group_index[:, None] * k + np.arange(k)[None, :]).reshape(-1)
        return sp.csr_matrix(
            (self.term_matrix.reshape(-1), (rows, columns)), shape=(n, self.n_columns), dtype=float
        )

    def transpose_times(self, values: np.ndarray) -> np.ndarray:
        """Z'·values for a vector (n,) or a matrix (n, m) of row values."""
        return self.matrix_transpose @ values

    def times(self, effects: np.ndarray) -> np.ndarray:
        """Z·u for the effects u as a (levels, k) array (or its level-major flattening)."""
        effects = effects.reshape(self.n_levels, self.n_terms)
        return np.einsum("ik,ik->i", self.term_matrix, effects[self.group_index])

    def level_products(self, weights: np.ndarray) -> np.ndarray:
        """The diagonal blocks of Z'WZ for row weights W: one k × k block per level.

        Parameters
        ----------
        weights
            The weight of every row (length n).

        Returns
        -------
        numpy.ndarray
            Shape (levels, k, k); block l is Σ_{i in level l} w_i t_i t_iᵀ with t_i the row's terms.
        """
        k, levels, index = self.n_terms, self.n_levels, self.group_index
        weighted_terms = self.term_matrix * weights[:, None]
        if levels == 1:  # a smooth's penalised block (r terms): one BLAS product, not r² bincounts
            block = weighted_terms.T @ self.term_matrix
            return (0.5 * (block + block.T))[None]
        blocks = np.empty((levels, k, k))
        for a in range(k):
            for b in range(a, k):
                sums = np.bincount(
                    index, weights=weighted_terms[:, a] * self.term_matrix[:, b], minlength=levels
                )
                blocks[:, a, b] = blocks[:, b, a] = sums
        return blocks

    @classmethod
    def from_matrix(cls, matrix: np.ndarray | sp.spmatrix) -> GroupedColumns | None:
        """The one-term grouped form of a sparse Z whose rows have at most one non-zero.

        A row without a non-zero gets level 0 and term value 0. Returns ``None`` for a dense
        matrix or a row with two or more non-zeros.
        """
        if not sp.issparse(matrix):
            return None
        csr = sp.csr_matrix(matrix, copy=True)  # eliminate_zeros works in place
        csr.eliminate_zeros()
        counts = np.diff(csr.indptr)
        if counts.size == 0 or counts.max() > 1:
            return None
        group = np.zeros(csr.shape[0], dtype=np.int64)
        value = np.zeros(csr.shape[0])
        rows = np.flatnonzero(counts)
        group[rows] = csr.indices
        value[rows] = csr.data
        return cls(group, value[:, None], csr.shape[1])
