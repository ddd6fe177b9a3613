"""The LAPACK wrappers against numpy, empty matrices included."""

from __future__ import annotations

import numpy as np
import pytest

from bayesml.linalg.lapack import (
    cholesky_inverse,
    cholesky_lower,
    cholesky_solve,
    lower_inverse,
    solve_lower,
)


def _spd(size, seed=0):
    root = np.random.default_rng(seed).normal(size=(size, size))
    return root @ root.T + size * np.eye(size)


def test_cholesky_solve_inverse_and_triangular_helpers_match_numpy():
    matrix = _spd(5)
    factor = cholesky_lower(matrix)
    np.testing.assert_allclose(factor, np.linalg.cholesky(matrix), rtol=1e-12)
    rhs = np.random.default_rng(1).normal(size=5)
    np.testing.assert_allclose(cholesky_solve(factor, rhs), np.linalg.solve(matrix, rhs))
    np.testing.assert_allclose(cholesky_inverse(factor), np.linalg.inv(matrix), atol=1e-14)
    np.testing.assert_allclose(lower_inverse(factor), np.linalg.inv(factor), atol=1e-14)
    np.testing.assert_allclose(
        solve_lower(factor, rhs, transpose=True), np.linalg.solve(factor.T, rhs)
    )


def test_the_draw_adds_the_whitened_normals():
    matrix = _spd(4, seed=2)
    factor = cholesky_lower(matrix)
    rhs, normals = np.ones(4), np.random.default_rng(3).normal(size=4)
    expected = np.linalg.solve(matrix, rhs) + np.linalg.solve(factor.T, normals)
    np.testing.assert_allclose(cholesky_solve(factor, rhs, normals), expected)


def test_empty_matrices():
    empty = np.zeros((0, 0))
    assert cholesky_lower(empty).shape == (0, 0)
    assert cholesky_solve(empty, np.zeros(0)).shape == (0,)
    assert cholesky_inverse(empty).shape == (0, 0)


@pytest.mark.parametrize("matrix", [[[1.0, 2.0], [2.0, 1.0]], [[np.nan, 0.0], [0.0, 1.0]]])
def test_cholesky_refuses_a_matrix_that_is_not_positive_definite(matrix):
    with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
        cholesky_lower(np.array(matrix))
