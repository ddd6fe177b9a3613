"""A grouping factor's columns of Z against a dense Z built entry by entry."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from bayesml.linalg.grouped import GroupedColumns


def _columns(seed=0, n=40, levels=6):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, levels, n)
    terms = np.column_stack([np.ones(n), rng.normal(size=n)])
    return GroupedColumns(group, terms, levels), rng


def _dense(columns):
    n, k = columns.term_matrix.shape
    Z = np.zeros((n, columns.n_columns))
    for i in range(n):
        for t in range(k):
            Z[i, columns.group_index[i] * k + t] = columns.term_matrix[i, t]
    return Z


def test_z_and_its_products_match_the_dense_matrix():
    columns, rng = _columns()
    Z = _dense(columns)
    assert (columns.n_terms, columns.n_columns) == (2, 12)
    np.testing.assert_array_equal(columns.matrix.toarray(), Z)
    np.testing.assert_array_equal(columns.matrix_transpose.toarray(), Z.T)
    effects = rng.normal(size=(6, 2))
    np.testing.assert_allclose(columns.times(effects), Z @ effects.reshape(-1))
    np.testing.assert_allclose(columns.times(effects.reshape(-1)), Z @ effects.reshape(-1))
    values = rng.normal(size=(40, 3))
    np.testing.assert_allclose(columns.transpose_times(values), Z.T @ values)


def test_level_products_are_the_diagonal_blocks_of_z_wz():
    columns, rng = _columns(seed=1)
    Z = _dense(columns)
    weights = rng.uniform(0.5, 2.0, 40)
    full = Z.T @ (weights[:, None] * Z)
    blocks = columns.level_products(weights)
    for level in range(6):
        rows = slice(2 * level, 2 * level + 2)
        np.testing.assert_allclose(blocks[level], full[rows, rows])
    off_diagonal = full.copy()
    for level in range(6):
        off_diagonal[2 * level : 2 * level + 2, 2 * level : 2 * level + 2] = 0.0
    assert not off_diagonal.any()  # each row touches one level only


def test_a_sparse_indicator_matrix_has_a_grouped_form():
    columns, _ = _columns(seed=2)
    one_term = GroupedColumns(columns.group_index, columns.term_matrix[:, 1:], 6)
    matrix = sp.csr_matrix(one_term.matrix, copy=True)
    matrix.data[3] = 0.0  # an explicit zero (row 3), left in the caller's matrix
    nnz = matrix.nnz
    grouped = GroupedColumns.from_matrix(matrix)
    assert grouped is not None and grouped.n_levels == 6
    np.testing.assert_array_equal(grouped.matrix.toarray(), matrix.toarray())
    assert matrix.nnz == nnz


def test_no_grouped_form_for_a_dense_matrix_or_two_non_zeros_in_a_row():
    columns, _ = _columns(seed=3)
    assert GroupedColumns.from_matrix(columns.matrix) is None  # intercept and slope per row
    assert GroupedColumns.from_matrix(np.eye(3)) is None
