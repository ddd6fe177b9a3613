"""Maximum likelihood (Laplace) of categorical and multinomial mixed models.

The fit rotates each row's K − 1 linear predictors to scalar pseudo-rows
(:mod:`bayesml.backends.laplace.categories`); it is checked against the bernoulli fit of a
two-level response, against a dense brute-force Laplace approximation of the vector model, the
multinomial counts against the categorical rows they count, and against NUTS under vague priors
(slow).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.special import gammaln, logsumexp

import bayesml
from bayesml.backends.laplace.categories import CategoryProblem
from bayesml.backends.laplace.objective import LaplaceDeviance, QuadratureDeviance
from bayesml.families import get_family

CATEGORICAL = "categorical"
MULTINOMIAL = "multinomial"


def _binary() -> pd.DataFrame:
    rng = np.random.default_rng(20261207)
    n, groups = 400, 25
    g = rng.integers(0, groups, n)
    x = rng.normal(size=n)
    intercepts = rng.normal(0.0, 0.8, groups)
    slopes = rng.normal(0.0, 0.4, groups)
    eta = -0.3 + 0.7 * x + intercepts[g] + slopes[g] * x
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(int)
    return pd.DataFrame(
        {"y": y, "answer": np.where(y == 1, "yes", "no"), "x": x, "g": [f"g{i:02d}" for i in g]}
    )


def _three_levels() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n, groups = 240, 12
    g = rng.integers(0, groups, n)
    x = rng.normal(size=n)
    eta = np.column_stack(
        [
            0.2 + 0.8 * x + rng.normal(0, 0.7, groups)[g] + rng.normal(0, 0.3, groups)[g] * x,
            -0.4 - 0.5 * x + rng.normal(0, 0.5, groups)[g],
        ]
    )
    p = np.exp(np.column_stack([np.zeros(n), eta]))
    p /= p.sum(axis=1, keepdims=True)
    codes = (rng.random(n)[:, None] > np.cumsum(p, axis=1)[:, :-1]).sum(axis=1)
    labels = np.array(["stay", "move", "quit"])
    return pd.DataFrame({"choice": labels[codes], "x": x, "g": [f"s{i:02d}" for i in g]})


def _fit(model, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(method="laplace", **options)


@pytest.mark.parametrize("formula", ["{} ~ x + (1 | g)", "{} ~ x + (1 + x | g)"])
def test_two_levels_are_the_bernoulli_fit(formula):
    data = _binary()
    bernoulli = _fit(bayesml.Model(formula.format("y"), data, family="bernoulli"))
    categorical = _fit(
        bayesml.Model(formula.format("answer"), data, family=CATEGORICAL, reference="no")
    )
    assert list(categorical.fixef.index) == [f"{label}, yes" for label in bernoulli.fixef.index]
    np.testing.assert_allclose(
        categorical.fixef["estimate"].to_numpy(), bernoulli.fixef["estimate"].to_numpy(), atol=1e-5
    )
    np.testing.assert_allclose(
        categorical.fixef["se"].to_numpy(), bernoulli.fixef["se"].to_numpy(), rtol=1e-4
    )
    np.testing.assert_allclose(
        categorical.varcorr[["sd", "corr"]].to_numpy(dtype=float),
        bernoulli.varcorr[["sd", "corr"]].to_numpy(dtype=float),
        atol=1e-5,
    )
    assert categorical.loglik == pytest.approx(bernoulli.loglik, abs=1e-6)
    np.testing.assert_allclose(
        categorical.ranef["mode"].to_numpy(), bernoulli.ranef["mode"].to_numpy(), atol=1e-4
    )


def _dense_laplace(problem: CategoryProblem, theta, beta) -> float:
    """−2 × the Laplace approximation of the vector model with dense matrices: Newton on u with
    the full block-diagonal curvature (no rotation), then log det(ΛᵀZᵀWZΛ + I)."""
    z = np.hstack([columns.matrix.toarray() for columns in problem.random.columns])
    factors = problem.random.covariance.factors(theta)
    scale = np.zeros((z.shape[1], z.shape[1]))
    start = 0
    for columns, factor in zip(problem.random.columns, factors, strict=True):
        size = columns.n_columns
        scale[start : start + size, start : start + size] = np.kron(
            np.eye(columns.n_levels), factor
        )
        start += size
    a = z @ scale
    fixed = problem.offset + problem.fixed @ beta
    c, n = problem.predictors_per_row, problem.n_obs
    u = np.zeros(a.shape[1])
    for _ in range(50):
        eta = fixed + a @ u
        gradient, curvature = problem.derivatives(eta, {})
        weights = np.zeros((n * c, n * c))
        for i in range(n):
            weights[i * c : (i + 1) * c, i * c : (i + 1) * c] = curvature[i]
        hessian = a.T @ weights @ a + np.eye(a.shape[1])
        step = np.linalg.solve(hessian, a.T @ gradient.reshape(-1) - u)
        u += step
        if np.max(np.abs(step)) < 1e-12:
            break
    eta = fixed + a @ u
    _, curvature = problem.derivatives(eta, {})
    weights = np.zeros((n * c, n * c))
    for i in range(n):
        weights[i * c : (i + 1) * c, i * c : (i + 1) * c] = curvature[i]
    hessian = a.T @ weights @ a + np.eye(a.shape[1])
    log_likelihood = float(np.sum(problem.log_likelihood(eta, {})))
    return -2.0 * log_likelihood + float(u @ u) + float(np.linalg.slogdet(hessian)[1])


def test_the_laplace_deviance_is_the_dense_vector_models():
    data = _three_levels().assign(h=lambda d: np.where(d["x"] > 0, "hi", "lo"))
    model = bayesml.Model(
        "choice ~ x + (1 + x | g) + (1 | h)", data, family=CATEGORICAL, reference="stay"
    )
    problem = CategoryProblem.of(model._inputs)
    covariance = problem.random.covariance
    rng = np.random.default_rng(1)
    theta = covariance.start + rng.uniform(-0.3, 0.3, covariance.size)
    theta[covariance.diagonal] = np.abs(theta[covariance.diagonal])
    beta = rng.normal(0.0, 0.5, problem.n_fixed)
    deviance = LaplaceDeviance(problem, joint=True, beta_start=beta)
    value = deviance(np.concatenate([theta, beta]))
    assert value == pytest.approx(_dense_laplace(problem, theta, beta), abs=1e-8)


@pytest.mark.parametrize("name", [CATEGORICAL, MULTINOMIAL])
def test_the_family_derivatives_are_central_differences(name):
    family = get_family(name)
    rng = np.random.default_rng(5)
    eta = rng.normal(size=(6, 3))
    y = rng.integers(1, 5, 6).astype(float) if name == CATEGORICAL else rng.poisson(3, (6, 4))
    gradient, curvature = family.category_derivatives(y, eta)
    step = 1e-5
    for c in range(3):
        up, down = eta.copy(), eta.copy()
        up[:, c] += step
        down[:, c] -= step
        slope = (family.log_likelihood_eta(y, up) - family.log_likelihood_eta(y, down)) / (2 * step)
        np.testing.assert_allclose(gradient[:, c], slope, atol=1e-7)
        second = (
            family.category_derivatives(y, up)[0] - family.category_derivatives(y, down)[0]
        ) / (2 * step)
        np.testing.assert_allclose(-curvature[:, :, c], second, atol=1e-7)


def test_multinomial_counts_are_the_categorical_rows():
    choices = bayesml.datasets.load("choices")
    counts = pd.crosstab([choices["x2"], choices["site"]], choices["choice"])
    counts = counts[["stay", "move", "quit"]].reset_index()
    counted = _fit(
        bayesml.Model("cbind(stay, move, quit) ~ x2 + (1 | site)", counts, family=MULTINOMIAL)
    )
    rows = _fit(
        bayesml.Model("choice ~ x2 + (1 | site)", choices, family=CATEGORICAL, reference="stay")
    )
    assert list(counted.fixef.index) == list(rows.fixef.index)
    np.testing.assert_allclose(
        counted.fixef["estimate"].to_numpy(), rows.fixef["estimate"].to_numpy(), atol=1e-5
    )
    np.testing.assert_allclose(counted.varcorr["sd"], rows.varcorr["sd"], atol=1e-5)
    n = counts[["stay", "move", "quit"]].to_numpy(dtype=float)
    constant = float(np.sum(gammaln(n.sum(axis=1) + 1) - gammaln(n + 1).sum(axis=1)))
    assert counted.loglik - constant == pytest.approx(rows.loglik, abs=1e-6)
    assert counted.nobs == len(counts)
    assert rows.nobs == len(choices)


def test_the_result_names_each_category():
    model = bayesml.Model(
        "choice ~ x + (1 + x | g)", _three_levels(), family=CATEGORICAL, reference="stay"
    )
    fit = _fit(model)
    assert list(fit.fixef.index) == ["Intercept, move", "Intercept, quit", "x, move", "x, quit"]
    assert list(fit.varcorr["term"]) == [
        "Intercept, move",
        "Intercept, quit",
        "x, move",
        "x, quit",
        "Intercept, move:x, move",
        "Intercept, quit:x, quit",
    ]
    assert fit.theta.size == 6  # one 2 × 2 lower-triangular factor per category
    levels = sorted(set(_three_levels()["g"]))
    assert fit.ranef.shape[0] == len(levels) * 4
    assert fit.ranef.index[1] == ("g", levels[0], "Intercept, quit")
    assert fit.linear_predictor.shape == (240, 2)
    assert fit.nobs == 240 and fit.n_parameters == 6 + 4
    text = str(fit.summary())
    assert "Family: categorical" in text and "x, quit" in text
    assert np.all(np.isfinite(fit.fixef["se"]))


@pytest.mark.slow
def test_laplace_estimates_are_the_posterior_under_vague_priors():
    model = bayesml.Model(
        "choice ~ x1 + x2 + (1 | site)",
        "choices",
        family=CATEGORICAL,
        reference="stay",
        priors={
            "fixed": {"dist": "normal", "mu": 0, "sigma": 100},
            "intercept": {"dist": "normal", "mu": 0, "sigma": 100},
            "sd": {"dist": "half_normal", "sigma": 10},
        },
    )
    fit = _fit(model)
    posterior = model.sample(
        method="nuts", draws=1000, tune=1000, chains=2, random_seed=3
    ).posterior
    beta = posterior["beta"]
    category_dim = next(dim for dim in beta.dims if dim.endswith("__category"))
    for label in fit.fixef.index:
        coefficient, category = label.rsplit(", ", 1)
        draws = beta.sel({"coef": coefficient, category_dim: category}).values.ravel()
        estimate = fit.fixef.loc[label, "estimate"]
        assert abs(draws.mean() - estimate) < 0.2 * draws.std(), label


def test_quadrature_of_one_node_is_laplace_and_two_levels_are_the_bernoulli():
    model = bayesml.Model(
        "choice ~ x + (1 | g)", _three_levels(), family=CATEGORICAL, reference="stay"
    )
    laplace, one_node = _fit(model), _fit_agq(model, 1)
    assert one_node.loglik == pytest.approx(laplace.loglik, abs=1e-8)
    data = _binary()
    bernoulli = _fit_agq(bayesml.Model("y ~ x + (1 | g)", data, family="bernoulli"), 9)
    categorical = _fit_agq(
        bayesml.Model("answer ~ x + (1 | g)", data, family=CATEGORICAL, reference="no"), 9
    )
    assert categorical.loglik == pytest.approx(bernoulli.loglik, abs=1e-6)
    np.testing.assert_allclose(
        categorical.fixef["estimate"].to_numpy(), bernoulli.fixef["estimate"].to_numpy(), atol=1e-5
    )


def _fit_agq(model, n_nodes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(method="agq", n_nodes=n_nodes)


def test_quadrature_integrates_each_levels_two_effects():
    """The adaptive rule's deviance at a fixed point against a dense grid over each level's two
    effects (one per non-reference category)."""
    data = _three_levels()
    model = bayesml.Model("choice ~ x + (1 | g)", data, family=CATEGORICAL, reference="stay")
    problem = CategoryProblem.of(model._inputs)
    theta, beta = np.array([0.8, 0.5]), np.array([0.3, -0.5, 0.7, -0.6])
    deviance = QuadratureDeviance(problem, joint=True, beta_start=beta, n_nodes=15)
    value = deviance(np.concatenate([theta, beta]))
    family = get_family(CATEGORICAL)
    fixed = problem.row_predictors(problem.offset + problem.fixed @ beta)
    levels = problem.row_levels(problem.random.columns[0])
    grid = np.linspace(-7.0, 7.0, 141)
    u1, u2 = np.meshgrid(grid, grid, indexing="ij")
    u = np.column_stack([u1.ravel(), u2.ravel()])
    total = 0.0
    for level in range(problem.random.columns[0].n_levels):
        rows = levels == level
        eta = fixed[rows][None, :, :] + (u * theta)[:, None, :]
        y = np.broadcast_to(problem.y[rows], eta.shape[:2])
        log_density = family.log_likelihood_eta(y, eta).sum(axis=1) - 0.5 * np.sum(u**2, axis=1)
        step = grid[1] - grid[0]
        total += logsumexp(log_density) + np.log(step**2 / (2.0 * np.pi))
    assert value == pytest.approx(-2.0 * total, abs=1e-6)


def test_compare_names_the_estimates_as_the_posterior():
    model = bayesml.Model(
        "choice ~ x + (1 + x | g)", _three_levels(), family=CATEGORICAL, reference="stay"
    )
    table = bayesml.compare(_fit(model)).table
    parameters = list(table.index)
    for label in ("beta[x, quit]", "sd_g[Intercept, move]", "corr_g[Intercept, x, quit]"):
        assert label in parameters


def test_a_prior_weight_of_two_is_the_row_twice():
    choices = bayesml.datasets.load("choices")
    weighted = choices.assign(w=np.where(np.arange(len(choices)) % 2 == 0, 2.0, 1.0))
    repeated = pd.concat([choices, choices.iloc[::2]])
    formula = "choice ~ x1 + (1 | site)"
    by_weight = _fit(
        bayesml.Model(formula, weighted, family=CATEGORICAL, reference="stay", weights="w")
    )
    by_rows = _fit(bayesml.Model(formula, repeated, family=CATEGORICAL, reference="stay"))
    assert by_weight.loglik == pytest.approx(by_rows.loglik, abs=1e-6)
    np.testing.assert_allclose(
        by_weight.fixef["estimate"].to_numpy(), by_rows.fixef["estimate"].to_numpy(), atol=1e-6
    )
