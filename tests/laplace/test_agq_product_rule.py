"""Adaptive Gauss–Hermite quadrature beyond lme4: one grouping factor with 2 and 3 correlated
effects (the product rule), checked against brute force.

* Each level's integral ∫ exp(Σᵢ ℓᵢ(η(u))) φ_k(u) du at fixed parameters, by the quadrature
  deviance (:class:`~bayesml.backends.laplace.objective.QuadratureDeviance`), equals
  ``scipy.integrate.nquad`` on a tiny data set (1e-7 absolute on the log scale) with enough
  nodes; the
  approximation error falls as the nodes grow (n = 40 and 30 agree to 1e-10 for k = 2).
* ``n_nodes=1`` is the Laplace approximation: the fit equals ``method="laplace"`` (estimates and
  log-likelihood to 1e-8); the fitted log-likelihood converges as ``n_nodes`` grows.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from scipy.special import expit

import bayesml
from bayesml.backends.laplace.objective import LaplaceDeviance, QuadratureDeviance
from bayesml.backends.laplace.problem import MLProblem


def tiny_data(k: int, *, groups: int = 2, rows: int = 5, seed: int = 20261207) -> pd.DataFrame:
    """Bernoulli rows with a random intercept and k − 1 random slopes per group."""
    rng = np.random.default_rng(seed)
    n = groups * rows
    data = pd.DataFrame(
        {
            "g": np.repeat([f"g{i}" for i in range(groups)], rows),
            "x": np.round(rng.normal(size=n), 3),
            "z": np.round(rng.normal(size=n), 3),
        }
    )
    effects = rng.normal(scale=0.8, size=(groups, 3))[np.repeat(np.arange(groups), rows)]
    eta = 0.3 + 0.5 * data["x"] + effects[:, 0] + effects[:, 1] * data["x"]
    if k == 3:
        eta = eta + effects[:, 2] * data["z"]
    data["y"] = rng.binomial(1, expit(eta))
    return data


FORMULAS = {2: "y ~ x + (1 + x | g)", 3: "y ~ x + (1 + x + z | g)"}
#: fixed (θ, β) at which the integrals are compared: T lower triangular with a correlation
THETA = {2: [0.9, 0.3, 0.6], 3: [0.9, 0.3, -0.2, 0.6, 0.1, 0.5]}
BETA = [0.2, 0.4]


def problem_and_point(k: int) -> tuple[MLProblem, np.ndarray]:
    model = bayesml.Model(FORMULAS[k], tiny_data(k), family="bernoulli")
    problem = MLProblem.of(model._inputs)
    assert problem.random.covariance.size == len(THETA[k])
    return problem, np.array(THETA[k] + BETA)


def brute_force_log_integrals(problem: MLProblem, x: np.ndarray, k: int) -> np.ndarray:
    """log ∫ Π_{i in l} p(yᵢ | η(u)) φ_k(u) du of each level by nquad over [−8, 8]^k."""
    covariance = problem.random.covariance
    theta, beta = x[: covariance.size], x[covariance.size :]
    factor = covariance.factors(theta)[0]
    columns = problem.random.columns[0]
    fixed = problem.offset + problem.fixed @ beta
    terms = columns.term_matrix
    out = []
    for level in range(columns.n_levels):
        rows = np.flatnonzero(columns.group_index == level)

        def integrand(*u, rows=rows):
            u = np.asarray(u)
            eta = fixed + terms @ (factor @ u)  # the other levels' rows are left out below
            log_lik = np.sum(problem.log_likelihood(eta, {})[rows])
            return np.exp(log_lik - 0.5 * u @ u) / (2 * np.pi) ** (k / 2)

        value, _ = integrate.nquad(
            integrand, [(-8.0, 8.0)] * k, opts={"epsabs": 1e-12, "epsrel": 1e-9}
        )
        out.append(np.log(value))
    return np.array(out)


def quadrature_log_integrals(problem: MLProblem, x: np.ndarray, n_nodes: int) -> np.ndarray:
    deviance = QuadratureDeviance(problem, joint=True, beta_start=x[-len(BETA) :], n_nodes=n_nodes)
    modes = deviance.modes(x)
    theta, _, free = deviance.split(x)
    values = problem.parameters.values(free)
    return deviance.level_log_integrals(modes, theta, values)


def test_two_correlated_effects_equal_brute_force_integration():
    problem, x = problem_and_point(2)
    exact = brute_force_log_integrals(problem, x, 2)
    errors = [
        np.max(np.abs(quadrature_log_integrals(problem, x, n) - exact)) for n in (1, 3, 7, 15)
    ]
    assert errors[-1] < 1e-7
    assert errors[0] > errors[1] > errors[-1]  # the Laplace approximation is the coarsest
    high = quadrature_log_integrals(problem, x, 40)
    np.testing.assert_allclose(high, quadrature_log_integrals(problem, x, 30), atol=1e-10)
    np.testing.assert_allclose(high, exact, atol=1e-7)


@pytest.mark.slow  # nquad in three dimensions: minutes
def test_three_correlated_effects_equal_brute_force_integration():
    problem, x = problem_and_point(3)
    exact = brute_force_log_integrals(problem, x, 3)
    errors = [np.max(np.abs(quadrature_log_integrals(problem, x, n) - exact)) for n in (1, 4, 11)]
    assert errors[-1] < 1e-6
    assert errors[0] > errors[1] > errors[-1]


def test_the_quadrature_deviance_is_minus_twice_the_sum_of_the_levels():
    problem, x = problem_and_point(2)
    deviance = QuadratureDeviance(problem, joint=True, beta_start=x[-2:], n_nodes=5)
    total = np.sum(quadrature_log_integrals(problem, x, 5))
    assert deviance(x) == pytest.approx(-2.0 * total, rel=1e-12)
    # one node: the Laplace deviance at the same point
    one = QuadratureDeviance(problem, joint=True, beta_start=x[-2:], n_nodes=1)
    laplace = LaplaceDeviance(problem, joint=True, beta_start=x[-2:])
    assert one(x) == pytest.approx(laplace(x), rel=1e-10)


def simulated_slopes(seed: int = 7) -> pd.DataFrame:
    """Poisson counts, 30 groups × 8 rows, a correlated random intercept and slope."""
    rng = np.random.default_rng(seed)
    groups, rows = 30, 8
    g = np.repeat(np.arange(groups), rows)
    x = np.round(rng.normal(size=groups * rows), 3)
    covariance = np.array([[0.36, 0.12], [0.12, 0.16]])
    effects = rng.multivariate_normal(np.zeros(2), covariance, size=groups)[g]
    y = rng.poisson(np.exp(0.5 + 0.3 * x + effects[:, 0] + effects[:, 1] * x))
    return pd.DataFrame({"y": y, "x": x, "g": [f"s{i:02d}" for i in g]})


def test_one_node_equals_the_laplace_fit():
    model = bayesml.Model("y ~ x + (1 + x | g)", simulated_slopes(), family="poisson")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        laplace = model.fit(method="laplace")
        agq = model.fit(method="agq", n_nodes=1)
    assert agq.loglik == pytest.approx(laplace.loglik, abs=1e-8)
    np.testing.assert_allclose(agq.fixef["estimate"], laplace.fixef["estimate"], atol=1e-8)
    np.testing.assert_allclose(agq.theta, laplace.theta, atol=1e-8)


@pytest.mark.slow
def test_the_fitted_log_likelihood_converges_with_the_nodes():
    """Four AGQ fits with k = 2 (25, 49 and 144 nodes per group). The error is not monotone in
    the smallest rules (3 nodes was further from the limit than Laplace here: -418.560 against
    -418.492, the limit -418.4237), so the test asks it of 5, 7 and 12."""
    model = bayesml.Model("y ~ x + (1 + x | g)", simulated_slopes(), family="poisson")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fits = {n: model.fit(method="agq", n_nodes=n) for n in (1, 5, 7, 12)}
    steps = [abs(fits[n].loglik - fits[12].loglik) for n in (1, 5, 7)]
    assert steps[0] > steps[1] > steps[2]
    assert steps[2] < 1e-4
    np.testing.assert_allclose(fits[7].fixef["estimate"], fits[12].fixef["estimate"], atol=1e-5)
    np.testing.assert_allclose(fits[7].theta, fits[12].theta, rtol=1e-4)
