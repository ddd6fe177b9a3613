"""The joint (β, u) draw: mean and covariance against a dense reference built by hand.

The shared elimination under :class:`BlockSolver` has its own tests in ``tests/linalg``.
"""

from __future__ import annotations

import numpy as np
import pytest

from bayesml.backends.gibbs.linear_algebra import (
    BlockSolver,
    DenseSolver,
    PriorPrecision,
    Regression,
    make_solver,
)
from bayesml.errors import DataError
from bayesml.linalg import elimination
from bayesml.linalg.grouped import GroupedColumns


def _problem(seed=0, n=60, g_levels=7, h_levels=4, crossed=True):
    """X (intercept, x), a correlated factor g (intercept, x) crossed with h (intercept only);
    g alone when ``crossed`` is false."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    X = np.column_stack([np.ones(n), x])
    g = rng.integers(0, g_levels, n)
    g[:g_levels] = np.arange(g_levels)
    h = rng.integers(0, h_levels, n)
    h[:h_levels] = np.arange(h_levels)
    parts = [
        GroupedColumns(g, np.column_stack([np.ones(n), x]), g_levels),
        GroupedColumns(h, np.ones((n, 1)), h_levels),
    ]
    weights = rng.uniform(0.5, 2.0, n)
    sigma_g = np.array([[1.5, 0.4], [0.4, 0.7]])
    prior = PriorPrecision(
        coefficients=np.array([0.0, 0.25]),  # flat intercept, normal(·, 2) slope
        blocks=(np.linalg.inv(sigma_g), np.array([[1 / 0.3]])),
    )
    if not crossed:
        parts, prior = parts[:1], PriorPrecision(prior.coefficients, prior.blocks[:1])
    return X, parts, weights, prior, rng


def _dense_reference(X, parts, weights, prior, scale):
    """A built entry by entry: T column by column, P block by block."""
    n = X.shape[0]
    columns = [X]
    for part in parts:
        k = part.n_terms
        Z = np.zeros((n, part.n_levels * k))
        for i in range(n):
            for t in range(k):
                Z[i, part.group_index[i] * k + t] = part.term_matrix[i, t]
        columns.append(Z)
    T = np.hstack(columns)
    blocks = [np.diag(prior.coefficients)]
    for part, block in zip(parts, prior.blocks, strict=True):
        blocks.append(np.kron(np.eye(part.n_levels), block))
    P = np.zeros((T.shape[1], T.shape[1]))
    start = 0
    for block in blocks:
        size = block.shape[0]
        P[start : start + size, start : start + size] = block
        start += size
    return scale * T.T @ (weights[:, None] * T) + P, T


SOLVER_CASES = {
    "dense": (DenseSolver, {}, None),
    "block": (BlockSolver, {}, None),
    "block, sparse cross block": (BlockSolver, {}, 0),
    "block, one-term factor eliminated": (BlockSolver, {"g_levels": 3, "h_levels": 10}, None),
    "block, only the fixed effects left (closed form)": (BlockSolver, {"crossed": False}, None),
}


@pytest.mark.parametrize("case", list(SOLVER_CASES))
def test_mean_and_covariance_match_the_dense_reference(case, monkeypatch):
    solver_class, sizes, dense_rest = SOLVER_CASES[case]
    if dense_rest is not None:
        monkeypatch.setattr(elimination, "DENSE_CROSS_LIMIT", dense_rest)
    X, parts, weights, prior, rng = _problem(**sizes)
    regression = Regression(X, parts)
    solver = solver_class(regression)
    solver.set_weights(weights)
    scale = 1 / 0.8
    A, _ = _dense_reference(X, parts, weights, prior, scale)
    rhs = rng.normal(size=regression.dim)
    mean = solver.draw(scale, prior, rhs, np.zeros(regression.dim))
    np.testing.assert_allclose(mean, np.linalg.solve(A, rhs), rtol=1e-9, atol=1e-12)
    # the draw is linear in the normals: its matrix M must satisfy M Mᵀ = A⁻¹
    M = np.column_stack([solver.draw(scale, prior, rhs, e) - mean for e in np.eye(regression.dim)])
    np.testing.assert_allclose(M @ M.T, np.linalg.inv(A), rtol=1e-8, atol=1e-12)


def test_block_solver_eliminates_the_largest_factor():
    X, parts, *_ = _problem()
    solver = BlockSolver(Regression(X, parts))
    assert solver.eliminated == 0  # g has 14 columns, h 4
    assert solver.m == 2 + 4
    X, parts, *_ = _problem(g_levels=3, h_levels=10)
    assert BlockSolver(Regression(X, parts)).eliminated == 1  # h has 10 columns, g 6


def test_regression_products_match_the_dense_matrix():
    X, parts, weights, prior, rng = _problem(seed=3)
    regression = Regression(X, parts)
    _, T = _dense_reference(X, parts, weights, prior, 1.0)
    theta = rng.normal(size=regression.dim)
    values = rng.normal(size=X.shape[0])
    np.testing.assert_allclose(regression.times(theta), T @ theta)
    np.testing.assert_allclose(regression.transpose_times(values), T.T @ values)
    np.testing.assert_allclose(regression.matrix.toarray(), T)


def test_draws_have_the_right_empirical_moments():
    """A plain Monte Carlo check of the whole path, normals from a generator."""
    X, parts, weights, prior, rng = _problem(seed=5, n=30)
    regression = Regression(X, parts)
    solver = BlockSolver(regression)
    solver.set_weights(weights)
    A, _ = _dense_reference(X, parts, weights, prior, 2.0)
    rhs = rng.normal(size=regression.dim)
    draws = np.array(
        [solver.draw(2.0, prior, rhs, rng.standard_normal(regression.dim)) for _ in range(4000)]
    )
    covariance = np.linalg.inv(A)
    mcse = np.sqrt(np.diag(covariance) / len(draws))
    assert np.all(np.abs(draws.mean(0) - np.linalg.solve(A, rhs)) < 4.5 * mcse)
    np.testing.assert_allclose(draws.var(0), np.diag(covariance), rtol=0.12)


def test_make_solver_chooses_by_size():
    X, parts, *_ = _problem()
    regression = Regression(X, parts)
    assert isinstance(make_solver(regression), DenseSolver)
    assert isinstance(make_solver(regression, dense_limit=10), BlockSolver)
    assert isinstance(make_solver(Regression(X, []), dense_limit=0), DenseSolver)


@pytest.mark.parametrize("solver_class", [DenseSolver, BlockSolver])
def test_a_singular_precision_is_a_data_error(solver_class):
    X, parts, weights, prior, _ = _problem()
    X = np.column_stack([X, np.zeros(len(X))])  # a column with no information, flat prior
    regression = Regression(X, parts)
    solver = solver_class(regression)
    solver.set_weights(weights)
    flat = PriorPrecision(np.zeros(3), prior.blocks)
    with pytest.raises(DataError, match=r"not positive definite: the fixed effects are collinear"):
        solver.draw(1.0, flat, np.ones(regression.dim), np.zeros(regression.dim))


def test_a_singular_precision_is_a_data_error_in_the_closed_form_path():
    X, parts, weights, prior, _ = _problem(crossed=False)
    regression = Regression(np.zeros((len(X), 1)), parts)  # one column with no information
    solver = BlockSolver(regression)
    assert solver.m == 1
    solver.set_weights(weights)
    flat = PriorPrecision(np.zeros(1), prior.blocks)
    with pytest.raises(DataError, match=r"not positive definite: the fixed effects are collinear"):
        solver.draw(1.0, flat, np.ones(regression.dim), np.zeros(regression.dim))


def test_drawing_before_setting_weights_is_refused():
    X, parts, _, prior, _ = _problem()
    regression = Regression(X, parts)
    for solver in (DenseSolver(regression), BlockSolver(regression)):
        with pytest.raises(RuntimeError, match=r"set_weights must be called before drawing"):
            solver.draw(1.0, prior, np.ones(regression.dim), np.zeros(regression.dim))


def test_inverse_wishart_closed_form_for_two_terms_is_the_bartlett_draw():
    from bayesml.backends.gibbs.matrices import inverse_wishart_draw
    from bayesml.linalg.lapack import cholesky_lower, lower_inverse

    psi = np.array([[3.0, 0.7], [0.7, 0.5]])
    drawn = inverse_wishart_draw(5.0, psi, np.random.default_rng(3))
    rng = np.random.default_rng(3)  # the same draws, through the general construction
    diagonal = np.sqrt(rng.chisquare(5.0 - np.arange(2)))
    bartlett = np.array([[diagonal[0], 0.0], [rng.standard_normal(), diagonal[1]]])
    factor = cholesky_lower(psi) @ lower_inverse(bartlett).T
    np.testing.assert_allclose(drawn, factor @ factor.T, rtol=1e-12)
