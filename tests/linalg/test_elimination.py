"""The block elimination against dense linear algebra on the whole matrix C = s·T'WT + P."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from bayesml.linalg import elimination
from bayesml.linalg.batched import level_block_indices
from bayesml.linalg.elimination import (
    BlockElimination,
    CrossProducts,
    NotPositiveDefinite,
    cross_block,
    cross_products,
)
from bayesml.linalg.grouped import GroupedColumns
from bayesml.linalg.lapack import cholesky_solve

SCALE = 1.7


def _problem(seed=0, n=80, levels=9, k=2, crossed=True, p=2):
    """Z_d (levels × k, eliminated) and a rest R = [X, Z_h] with a crossed one-term factor h."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, levels, n)
    group[:levels] = np.arange(levels)
    terms = np.column_stack([np.ones(n), rng.normal(size=(n, k - 1))])
    eliminated = GroupedColumns(group, terms, levels)
    pieces = [rng.normal(size=(n, p))]
    if crossed:
        h = rng.integers(0, 4, n)
        h[:4] = np.arange(4)
        pieces.append(GroupedColumns(h, np.ones((n, 1)), 4).matrix.toarray())
    rest = np.hstack(pieces)
    weights = rng.uniform(0.5, 2.0, n)
    m = rest.shape[1]
    root = rng.normal(size=(k, k))
    level_precision = root @ root.T + np.eye(k)
    rest_diagonal = np.concatenate([np.full(p, 0.1), np.full(m - p, 2.0)])
    return eliminated, rest, weights, level_precision, rest_diagonal, rng


def _dense_matrix(eliminated, rest, weights, level_precision, rest_diagonal):
    T = np.hstack([eliminated.matrix.toarray(), rest])
    P = np.zeros((T.shape[1], T.shape[1]))
    q_d = eliminated.n_columns
    P[:q_d, :q_d] = np.kron(np.eye(eliminated.n_levels), level_precision)
    P[q_d:, q_d:] = np.diag(rest_diagonal)
    return SCALE * T.T @ (weights[:, None] * T) + P


def _eliminate(eliminated, rest, weights, level_precision, rest_diagonal, rhs_d=None):
    cross = cross_products(eliminated, sp.csr_matrix(rest), weights)
    m = rest.shape[1]
    return BlockElimination(cross).eliminate(
        scale=SCALE,
        level_precision=level_precision,
        rest_precision=[(np.arange(m) * (m + 1), rest_diagonal)],
        rhs_d=rhs_d,
    )


@pytest.fixture(params=["dense", "sparse"])
def cross(request, monkeypatch):
    """C_dr kept dense (these problems are narrow) or, with the limit at 0, sparse."""
    if request.param == "sparse":
        monkeypatch.setattr(elimination, "DENSE_CROSS_LIMIT", 0)
    return request.param


CASES = {
    "two terms, crossed rest": {},
    "one term": {"k": 1},
    "three terms": {"k": 3},
    "fixed effects only": {"crossed": False},
    "no rest": {"crossed": False, "p": 0},
}


@pytest.mark.parametrize("case", CASES)
def test_solve_logdet_and_inverse_blocks_match_dense(case, cross):
    problem = _problem(**CASES[case])
    eliminated, rest, weights, level_precision, rest_diagonal, rng = problem
    C = _dense_matrix(*problem[:-1])
    result = _eliminate(*problem[:-1])
    dense = cross == "dense" or not rest.shape[1]  # no rest: nothing to keep sparse
    assert isinstance(result.whitened, np.ndarray) == dense
    q_d = eliminated.n_columns
    rhs = rng.normal(size=C.shape[0])
    x_d, x_r = result.solve(rhs[:q_d], rhs[q_d:])
    np.testing.assert_allclose(np.concatenate([x_d, x_r]), np.linalg.solve(C, rhs), atol=1e-12)
    np.testing.assert_allclose(result.logdet(), np.linalg.slogdet(C)[1], rtol=1e-12)
    np.testing.assert_allclose(
        result.logdet_levels(), np.linalg.slogdet(C[:q_d, :q_d])[1], rtol=1e-12
    )
    inverse = np.linalg.inv(C)
    np.testing.assert_allclose(result.schur_inverse, inverse[q_d:, q_d:], atol=1e-12)
    np.testing.assert_allclose(result.cross_inverse, inverse[:q_d, q_d:], atol=1e-12)
    k = eliminated.n_terms
    rows, cols = level_block_indices(0, eliminated.n_levels, k)
    np.testing.assert_allclose(
        result.level_inverse_blocks.reshape(-1), inverse[rows, cols], atol=1e-12
    )


@pytest.mark.parametrize("case", CASES)
def test_the_draw_has_mean_c_inverse_rhs_and_covariance_c_inverse(case, cross):
    problem = _problem(**CASES[case])
    eliminated, rest, weights, level_precision, rest_diagonal, rng = problem
    C = _dense_matrix(*problem[:-1])
    q_d, dim = eliminated.n_columns, C.shape[0]
    rhs = rng.normal(size=dim)
    result = _eliminate(*problem[:-1], rhs_d=rhs[:q_d])
    whitened, projected = result.whiten(rhs[:q_d])
    np.testing.assert_allclose(result.whitened_rhs, whitened, atol=1e-14)
    np.testing.assert_allclose(result.projected_rhs, projected, atol=1e-12)

    def draw(normals):
        # x_r from N(S⁻¹(c_r − Wᵀv), S⁻¹), then x_d = F⁻ᵀ(v + ε_d − W x_r)
        x_r = cholesky_solve(result.schur_factor, rhs[q_d:] - result.projected_rhs, normals[q_d:])
        x_d = result.back_substitute(result.whitened_rhs + normals[:q_d], x_r)
        return np.concatenate([x_d, x_r])

    mean = draw(np.zeros(dim))
    np.testing.assert_allclose(mean, np.linalg.solve(C, rhs), atol=1e-12)
    M = np.column_stack([draw(e) - mean for e in np.eye(dim)])
    np.testing.assert_allclose(M @ M.T, np.linalg.inv(C), atol=1e-12)


def test_back_substitution_writes_into_the_given_array():
    problem = _problem()
    result = _eliminate(*problem[:-1])
    levels, k, m = result.shape
    out = np.empty((levels, k, 1))
    x_d = result.back_substitute(np.ones(levels * k), np.ones(m), out=out)
    np.testing.assert_array_equal(out.reshape(-1), x_d)


def test_nothing_to_eliminate_leaves_the_rest_whole():
    rng = np.random.default_rng(4)
    rest = rng.normal(size=(30, 3))
    C = rest.T @ rest + np.eye(3)
    cross = CrossProducts(np.zeros((0, 1, 1)), cross_block(np.zeros((0, 3)), 0, 1), C)
    result = BlockElimination(cross).eliminate()
    rhs = rng.normal(size=3)
    x_d, x_r = result.solve(np.zeros(0), rhs)
    assert x_d.shape == (0,)
    np.testing.assert_allclose(x_r, np.linalg.solve(C, rhs))
    np.testing.assert_allclose(result.logdet(), np.linalg.slogdet(C)[1])


def test_a_level_block_that_is_not_positive_definite_is_named():
    eliminated, rest, weights, level_precision, rest_diagonal, _ = _problem()
    with pytest.raises(NotPositiveDefinite) as raised:
        _eliminate(eliminated, rest, weights, -10.0 * level_precision, rest_diagonal)
    assert raised.value.part == "levels"


def test_a_schur_complement_that_is_not_positive_definite_is_named():
    eliminated, rest, weights, level_precision, rest_diagonal, _ = _problem(crossed=False)
    uninformed = np.column_stack([rest[:, 0], np.zeros(len(rest))])  # and no precision
    result = _eliminate(eliminated, uninformed, weights, level_precision, np.zeros(2))
    with pytest.raises(NotPositiveDefinite) as raised:
        _ = result.schur_factor
    assert raised.value.part == "schur"
    assert isinstance(raised.value, np.linalg.LinAlgError)


def test_dropping_s_keeps_its_factor_for_solves_and_determinants():
    problem = _problem()
    C = _dense_matrix(*problem[:-1])
    result = _eliminate(*problem[:-1])
    logdet = result.logdet()
    result.drop_schur()
    assert result.schur is None
    q_d = problem[0].n_columns
    rhs = np.ones(C.shape[0])
    x_d, x_r = result.solve(rhs[:q_d], rhs[q_d:])
    np.testing.assert_allclose(np.concatenate([x_d, x_r]), np.linalg.solve(C, rhs), atol=1e-12)
    assert result.logdet() == logdet
