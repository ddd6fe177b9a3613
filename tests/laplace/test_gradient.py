"""The exact gradient of the Laplace deviance (one grouping factor) against central differences."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayesml
from bayesml.backends.laplace.objective import LaplaceDeviance
from bayesml.backends.laplace.problem import MLProblem


def _data(seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n, groups = 600, 30
    g = rng.integers(0, groups, n)
    x1 = rng.normal(size=n)
    effects = rng.normal(size=(groups, 2)) * [0.8, 0.4]
    eta = 0.2 + 0.5 * x1 + effects[g, 0] + effects[g, 1] * x1
    return pd.DataFrame(
        {
            "binary": rng.binomial(1, 1 / (1 + np.exp(-eta))),
            "count": rng.poisson(np.exp(eta)),
            "x1": x1,
            "g": g.astype(str),
        }
    )


CASES = [
    ("binary ~ x1 + (1 + x1 | g)", "bernoulli"),  # correlated, canonical
    ("count ~ x1 + (1 + x1 | g)", "poisson"),
    ("count ~ x1 + (1 + x1 || g)", "poisson"),  # diagonal T
    ("count ~ x1 + (1 | g)", "negative_binomial"),  # observed curvature, a family parameter
]


@pytest.mark.parametrize(("formula", "family"), CASES)
def test_exact_gradient_equals_central_differences(formula, family):
    problem = MLProblem.of(bayesml.Model(formula, _data(), family=family)._inputs)
    deviance = LaplaceDeviance(problem, joint=True, beta_start=problem.start_beta())
    assert deviance.has_gradient
    covariance = problem.random.covariance
    x = np.concatenate(
        [0.7 * covariance.start + 0.05, problem.start_beta() + 0.1, problem.start_parameters()]
    )
    _, gradient = deviance.value_and_gradient(x)
    differences = np.empty_like(x)
    for position in range(x.size):
        step = np.zeros_like(x)
        step[position] = 1e-5
        differences[position] = (deviance(x + step) - deviance(x - step)) / 2e-5
    np.testing.assert_allclose(gradient, differences, rtol=1e-6, atol=1e-5)


def test_no_exact_gradient_for_crossed_factors_or_expected_curvature_of_other_links():
    data = _data().assign(h=lambda d: (d.index % 7).astype(str))
    crossed = MLProblem.of(
        bayesml.Model("count ~ x1 + (1 | g) + (1 | h)", data, family="poisson")._inputs
    )
    probit = MLProblem.of(
        bayesml.Model("binary ~ x1 + (1 | g)", data, family="bernoulli", link="probit")._inputs
    )
    for problem in (crossed, probit):
        deviance = LaplaceDeviance(problem, joint=True, beta_start=problem.start_beta())
        assert not deviance.has_gradient
