"""Shared data and fits of the model-level tests.

Sampling compiles a model (several seconds), so fitted results are shared: ``hier_fit`` is one
short, seeded NUTS run of a small hierarchical Gaussian model with every kind of term (a numeric
and a categorical fixed effect, a correlated and an uncorrelated random block), used by the
structure and prediction tests.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from ._hier import HIER_FORMULA, simulate_hierarchical


@pytest.fixture(scope="session")
def hier_data() -> pd.DataFrame:
    return simulate_hierarchical()


@pytest.fixture(scope="session")
def hier_model(hier_data):
    import bayesml

    return bayesml.Model(HIER_FORMULA, hier_data)


@pytest.fixture(scope="session")
def hier_fit(hier_model):
    """A short run (2 chains × 200 draws): enough for structure and prediction checks."""
    from bayesml.errors import SamplingWarning

    with warnings.catch_warnings():
        # short chains: low ESS is expected and irrelevant to what these tests check
        warnings.simplefilter("ignore", SamplingWarning)
        return hier_model.sample(
            method="nuts",
            draws=200,
            tune=300,
            chains=2,
            random_seed=11,
            prior_predictive=True,
            posterior_predictive=True,
        )
