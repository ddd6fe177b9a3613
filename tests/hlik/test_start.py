"""Starting values: the GLM without random effects and hglm's φ₀, λ₀."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from bayesml.backends.hlik import DivergenceError
from bayesml.backends.hlik.rows import DataRows
from bayesml.backends.hlik.start import StartingGLM, fit_starting_glm, starting_dispersions
from bayesml.errors import DataError
from bayesml.families import get_family

RNG = np.random.default_rng(5)
N = 200
X = np.column_stack([np.ones(N), RNG.normal(size=N)])


def _rows(family, y, weights=None):
    return DataRows(y, np.ones(N) if weights is None else weights, get_family(family), np.zeros(N))


def test_poisson_glm_solves_the_score_equations():
    y = RNG.poisson(np.exp(0.3 + 0.5 * X[:, 1])).astype(float)
    glm = fit_starting_glm(_rows("poisson", y), X)
    mu = np.exp(X @ glm.coef)
    np.testing.assert_allclose(X.T @ (y - mu), 0.0, atol=1e-8)
    assert glm.df_residual == N - 2
    assert glm.deviance == pytest.approx(
        float(np.sum(2 * (special.xlogy(y, y / mu) - (y - mu))))
    )


def test_binomial_glm_with_trials_in_the_prior_weights():
    trials = RNG.integers(1, 20, N).astype(float)
    successes = RNG.binomial(trials.astype(int), 1 / (1 + np.exp(-(-0.2 + 0.8 * X[:, 1]))))
    glm = fit_starting_glm(_rows("binomial", successes / trials, trials), X)
    p = 1 / (1 + np.exp(-(X @ glm.coef)))
    np.testing.assert_allclose(X.T @ (successes - trials * p), 0.0, atol=1e-7)


def test_starting_dispersions_follow_hglm():
    glm = StartingGLM(np.zeros(2), deviance=50.0, df_residual=100)
    phi, lam = starting_dispersions(glm, n_terms=2)
    assert phi == pytest.approx(0.3) and lam == pytest.approx(0.66 * 0.3 / 2)
    tiny = StartingGLM(np.zeros(2), deviance=1e-9, df_residual=100)
    assert starting_dispersions(tiny, 1) == (0.1, 0.1)


def test_collinear_design_is_refused():
    y = RNG.normal(size=N)
    with pytest.raises(
        DataError, match=r"fixed-effects design matrix is rank deficient \(X'WX is singular\)"
    ):
        fit_starting_glm(_rows("gaussian", y), np.column_stack([np.ones(N), np.ones(N)]))


def test_nan_is_a_divergence_of_the_starting_glm():
    y = RNG.normal(size=N)
    y[4] = np.nan
    with pytest.raises(
        DivergenceError,
        match=r"the starting GLM \(no random effects\) diverged \(NaN\) at its IWLS iteration 1",
    ):
        fit_starting_glm(_rows("gaussian", y), X)
