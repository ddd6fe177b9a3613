"""Deterministics computed in numpy after sampling equal the graph's own values.

nutpie stores only the free variables (bayesml.backends.pymc.deterministics); the Deterministics
are evaluated afterwards, vectorised over the draws. Reference: PyMC's prior draws, which hold
every Deterministic computed by PyMC itself at the same free-variable values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import pytest

import bayesml
from bayesml.backends.pymc.deterministics import add_deterministics


def data(seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 60
    return pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "x": rng.normal(size=n),
            "z": rng.normal(size=n),
            "g": rng.choice([f"g{i}" for i in range(5)], n),
            "h": rng.choice(["a", "b", "c"], n),
        }
    )


CASES = {
    "lkj, three terms": ("y ~ x + z + (1 + x + z | g)", {}),
    "inverse-wishart": (
        "y ~ x + (1 + x | g) + (1 | h)",
        {"cov": {"dist": "inverse_wishart", "nu": 4, "scale": [[1, 0.2], [0.2, 1]]}},
    ),
    "weakly informative (cauchy), lkj": (
        "y ~ x + z + (1 + x | g)",
        {
            "fixed": {"dist": "weakly_informative"},
            "intercept": {"dist": "cauchy", "mu": 0, "sigma": 10},
        },
    ),
    "mixed sd priors": (
        "y ~ x + (1 + x || g) + (1 | h)",
        {"sd_g[x]": {"dist": "exponential", "rate": 3}},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_deterministics_equal_pymc_values(case):
    formula, priors = CASES[case]
    model = bayesml.Model(formula, data(), priors=priors, random_effects="sampled")
    graph = model.pymc_model
    prior = pm.sample_prior_predictive(draws=50, model=graph, random_seed=4)["prior"].to_dataset()
    names = [var.name for var in graph.deterministics]
    free = prior[[rv.name for rv in graph.free_RVs]]
    computed = add_deterministics(free, graph, names)
    for name in names:
        expected = prior[name]
        assert computed[name].dims == expected.dims, name
        np.testing.assert_allclose(computed[name].values, expected.values, rtol=1e-10, atol=1e-12)


def test_names_already_present_are_kept():
    model = bayesml.Model("y ~ x + (1 | g)", data(), random_effects="sampled")
    graph = model.pymc_model
    prior = pm.sample_prior_predictive(draws=5, model=graph, random_seed=1)["prior"].to_dataset()
    assert add_deterministics(prior, graph, ["beta"]) is prior
