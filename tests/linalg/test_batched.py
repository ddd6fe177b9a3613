"""Stacks of small blocks: batched Cholesky inverses, closed forms, block-diagonal placement."""

from __future__ import annotations

import numpy as np
import pytest

from bayesml.linalg.batched import (
    block_diagonal,
    diagonal_stack,
    inverse_cholesky,
    level_block_indices,
    small_gaussian_draw,
    small_inverse,
)
from bayesml.linalg.lapack import cholesky_solve


@pytest.mark.parametrize("k", [1, 2, 3])
def test_batched_inverse_cholesky_matches_numpy(k):
    rng = np.random.default_rng(k)
    roots = rng.normal(size=(5, k, k))
    blocks = roots @ roots.transpose(0, 2, 1) + 0.1 * np.eye(k)
    inverse = inverse_cholesky(blocks)
    np.testing.assert_allclose(
        inverse, np.linalg.inv(np.linalg.cholesky(blocks)), rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(small_inverse(blocks[0]) @ blocks[0], np.eye(k), atol=1e-10)


def test_batched_inverse_cholesky_of_no_blocks_is_empty():
    assert inverse_cholesky(np.zeros((0, 2, 2))).shape == (0, 2, 2)


@pytest.mark.parametrize("k", [1, 2])
@pytest.mark.parametrize("bad", [-1.0, np.inf, np.nan])
def test_batched_inverse_cholesky_refuses_a_block_that_is_not_positive_definite(k, bad):
    blocks = np.stack([np.eye(k), np.diag(np.full(k, bad))])
    with pytest.raises(np.linalg.LinAlgError, match=r"not positive definite or not finite"):
        inverse_cholesky(blocks)


@pytest.mark.parametrize("k", [2, 3])
def test_a_relative_tolerance_refuses_a_block_singular_to_working_precision(k):
    terms = np.column_stack([np.ones(60), np.ones(60), np.arange(60.0)])[:, :k]
    singular = (terms.T @ terms)[None]  # a constant "slope" next to the intercept
    with pytest.raises(np.linalg.LinAlgError, match=r"singular to working precision"):
        inverse_cholesky(singular, rtol=8 * np.finfo(float).eps)
    regular = singular + np.eye(k) * 1e-6
    np.testing.assert_allclose(
        inverse_cholesky(regular, rtol=8 * np.finfo(float).eps), inverse_cholesky(regular)
    )


@pytest.mark.parametrize("size", [1, 2])
def test_small_gaussian_draw_is_the_lapack_draw(size):
    rng = np.random.default_rng(size)
    root = rng.normal(size=(size, size))
    precision = root @ root.T + 0.5 * np.eye(size)
    rhs, normals = rng.normal(size=size), rng.normal(size=size)
    expected = cholesky_solve(np.linalg.cholesky(precision), rhs, normals)
    np.testing.assert_allclose(small_gaussian_draw(precision, rhs, normals), expected, rtol=1e-12)


@pytest.mark.parametrize("matrix", [[[-1.0]], [[1.0, 2.0], [2.0, 1.0]], [[np.nan, 0], [0, 1.0]]])
def test_small_gaussian_draw_refuses_a_matrix_that_is_not_positive_definite(matrix):
    size = len(matrix)
    with pytest.raises(np.linalg.LinAlgError, match=r"not positive definite"):
        small_gaussian_draw(np.array(matrix), np.zeros(size), np.zeros(size))


def test_small_gaussian_draw_refuses_a_larger_matrix():
    with pytest.raises(ValueError, match=r"takes a 1 x 1 or 2 x 2 matrix; got 3 x 3"):
        small_gaussian_draw(np.eye(3), np.zeros(3), np.zeros(3))


@pytest.mark.parametrize("k", [1, 2, 3])
def test_block_diagonal_places_the_blocks_level_major(k):
    blocks = np.random.default_rng(k).normal(size=(4, k, k))
    expected = np.zeros((4 * k, 4 * k))
    for level in range(4):
        expected[level * k : (level + 1) * k, level * k : (level + 1) * k] = blocks[level]
    np.testing.assert_array_equal(block_diagonal(blocks).toarray(), expected)
    rows, cols = level_block_indices(2, 4, k)
    padded = np.zeros((2 + 4 * k, 2 + 4 * k))
    padded[rows, cols] = blocks.reshape(-1)
    np.testing.assert_array_equal(padded[2:, 2:], expected)


def test_diagonal_stack():
    values = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(
        diagonal_stack(values), [np.diag([1.0, 2.0]), np.diag([3.0, 4.0])]
    )
