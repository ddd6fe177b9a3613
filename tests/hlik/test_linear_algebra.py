"""The sparse augmented-system solver against dense linear algebra on the full T'WT.

The shared elimination under :class:`AugmentedSystem` has its own tests in ``tests/linalg``.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from bayesml.backends.hlik.linear_algebra import AugmentedSystem
from bayesml.backends.hlik.problem import MatrixColumns
from bayesml.errors import DataError
from bayesml.linalg import elimination
from bayesml.linalg.grouped import GroupedColumns

N = 240
RNG = np.random.default_rng(20240611)
X = np.column_stack([np.ones(N), RNG.normal(size=N)])
SLOPES = GroupedColumns(
    RNG.integers(0, 12, N), np.column_stack([np.ones(N), RNG.normal(size=N)]), 12
)
CROSSED = GroupedColumns(RNG.integers(0, 7, N), np.ones((N, 1)), 7)
DENSE = MatrixColumns(RNG.normal(size=(N, 5)))
INDICATOR = MatrixColumns(CROSSED.matrix.copy())

LAYOUTS = {
    "one factor, two terms": [SLOPES],
    "crossed, large first": [SLOPES, CROSSED],
    "crossed, small first": [CROSSED, SLOPES],
    "dense Z only": [DENSE],
    "factor and dense Z": [SLOPES, DENSE],
    "three terms": [CROSSED, DENSE, SLOPES],
    "sparse indicator matrix": [INDICATOR],
    "factor and sparse indicator": [SLOPES, INDICATOR],
}


@pytest.fixture(params=["dense", "sparse"])
def cross(request, monkeypatch):
    """C_dr kept dense (these layouts are narrow) or, with the limit at 0, sparse."""
    if request.param == "sparse":
        monkeypatch.setattr(elimination, "DENSE_CROSS_LIMIT", 0)
    return request.param


def _dense_z(columns):
    return columns.matrix.toarray() if sp.issparse(columns.matrix) else columns.matrix


def _setup(terms, X=X):
    q = sum(t.n_columns for t in terms)
    starts = np.cumsum([0] + [t.n_columns for t in terms])[:-1]
    system = AugmentedSystem(X, list(zip(starts, terms, strict=True)), q)
    Z = np.hstack([_dense_z(t) for t in terms])
    p = X.shape[1]
    T = np.block([[X, Z], [np.zeros((q, p)), np.eye(q)]])
    rng = np.random.default_rng(7)
    w1, w2 = rng.uniform(0.2, 2.0, N), rng.uniform(0.5, 3.0, q)
    weights = np.concatenate([w1, w2])
    C = T.T @ (weights[:, None] * T)
    return system, system.factorize(w1, w2), T, weights, C, Z


@pytest.mark.parametrize("layout", LAYOUTS)
def test_solve_diagonal_and_logdets_match_dense(layout, cross):
    system, factorization, T, weights, C, Z = _setup(LAYOUTS[layout])
    rhs = np.random.default_rng(3).normal(size=C.shape[0])
    np.testing.assert_allclose(factorization.solve(rhs), np.linalg.solve(C, rhs), atol=1e-12)
    np.testing.assert_allclose(
        factorization.inverse_diagonal(), np.diag(np.linalg.inv(C)), atol=1e-12
    )
    np.testing.assert_allclose(factorization.logdet(), np.linalg.slogdet(C)[1], rtol=1e-12)
    p = X.shape[1]
    np.testing.assert_allclose(
        factorization.logdet_random(), np.linalg.slogdet(C[p:, p:])[1], rtol=1e-12
    )


@pytest.mark.parametrize("layout", LAYOUTS)
def test_leverages_are_the_hat_diagonal(layout, cross):
    system, factorization, T, weights, C, Z = _setup(LAYOUTS[layout])
    root = np.sqrt(weights)
    hat = (root[:, None] * T) @ np.linalg.solve(C, (root[:, None] * T).T)
    np.testing.assert_allclose(factorization.leverages(), np.diag(hat), atol=1e-12)
    assert abs(factorization.leverages().sum() - C.shape[0]) < 1e-9  # trace = p + q


def test_products_with_z():
    terms = LAYOUTS["three terms"]
    system, _, _, _, _, Z = _setup(terms)
    v = np.random.default_rng(5).normal(size=Z.shape[1])
    values = np.random.default_rng(6).normal(size=N)
    np.testing.assert_allclose(system.z_times(v), Z @ v, atol=1e-12)
    np.testing.assert_allclose(system.z_transpose(values), Z.T @ values, atol=1e-12)


def test_without_fixed_effects_factorises_h():
    terms = LAYOUTS["crossed, large first"]
    system, _, _, _, C, Z = _setup(terms, X=np.zeros((N, 0)))
    w1 = np.full(N, 0.7)
    w2 = np.full(Z.shape[1], 1.3)
    H = Z.T @ (w1[:, None] * Z) + np.diag(w2)
    factorization = system.factorize(w1, w2)
    forms = factorization.data_quadratic_forms()
    np.testing.assert_allclose(forms, np.einsum("ij,ij->i", Z @ np.linalg.inv(H), Z), atol=1e-12)


def test_collinear_fixed_effects_are_refused():
    collinear = np.column_stack([np.ones(N), np.ones(N)])
    system = AugmentedSystem(collinear, [(0, CROSSED)], CROSSED.n_columns)
    with pytest.raises(DataError, match="not positive definite: the fixed effects are collinear"):
        system.factorize(np.ones(N), np.ones(CROSSED.n_columns))


def test_too_large_dense_block_is_refused(monkeypatch):
    import bayesml.backends.hlik.linear_algebra as module

    monkeypatch.setattr(module, "MAX_DENSE_ENTRIES", 100)
    with pytest.raises(DataError, match=r"dense block of .* entries .* more than the limit of 100"):
        AugmentedSystem(
            X, [(0, SLOPES), (SLOPES.n_columns, CROSSED)], SLOPES.n_columns + CROSSED.n_columns
        )


def test_a_random_effect_without_weight_is_refused():
    group = GroupedColumns(np.zeros(N, dtype=np.int64), np.ones((N, 1)), 2)  # level 1 has no rows
    system = AugmentedSystem(X, [(0, group)], 2)
    with pytest.raises(DataError, match="singular: a random effect has no weight"):
        system.factorize(np.ones(N), np.zeros(2))


def test_collinear_terms_within_a_level_are_refused():
    terms = np.column_stack([np.ones(N), np.ones(N)])  # intercept and a constant "slope"
    group = GroupedColumns(np.arange(N) % 4, terms, 4)
    system = AugmentedSystem(X[:, 1:], [(0, group)], 8)
    with pytest.raises(
        DataError, match="random terms of one grouping factor are collinear within a level"
    ):
        system.factorize(np.ones(N), np.zeros(8))
