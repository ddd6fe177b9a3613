"""The NUTS backend keeps nothing per draw and row that no result uses.

The latent probit form has one free variable per row (the magnitudes ``_latent_abs``): the samplers
do not store its draws (chains × draws × rows values). The prior draws skip PyMC's own prior
predictive draws of the response (the results layer draws them in chunks).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import pytest

import bayesml
from bayesml.backends.pymc.deterministics import add_deterministics
from bayesml.backends.pymc.sampling import sample_nuts, sample_prior_predictive, stored_names


def probit_data(seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(5), 8)
    x = rng.normal(size=40)
    eta = 0.3 + 0.8 * x + rng.normal(0, 0.6, 5)[g]
    return pd.DataFrame({"y": (eta + rng.normal(size=40) > 0).astype(int), "x": x, "g": g})


@pytest.fixture(scope="module")
def latent_model() -> bayesml.Model:
    return bayesml.Model(
        "y ~ x + (1 | g)", probit_data(), family="bernoulli", link="probit", probit="latent"
    )


def test_the_latent_magnitudes_are_not_stored(latent_model):
    graph, info = latent_model._nuts.sampling_graph(latent_model._inputs)
    assert info.row_variables == ("_latent_abs",)
    assert "_latent_abs" in {rv.name for rv in graph.free_RVs}
    free = stored_names(graph, info, deterministics=False)
    assert "_latent_abs" not in free
    assert set(free) == {rv.name for rv in graph.free_RVs} - {"_latent_abs"}
    assert {"beta", "sd_g", "u_g"} <= set(stored_names(graph, info, deterministics=True))
    tree = sample_nuts(graph, info, draws=20, tune=20, chains=1, random_seed=2, cores=1)
    posterior = tree["posterior"].to_dataset()
    assert "_latent_abs" not in posterior
    assert posterior["beta"].shape == (1, 20, 2)  # the Deterministics are computed without it


@pytest.mark.slow
def test_pymc_nuts_does_not_store_the_latent_magnitudes_either(latent_model):
    graph, info = latent_model._nuts.sampling_graph(latent_model._inputs)
    tree = sample_nuts(
        graph, info, draws=20, tune=20, chains=1, random_seed=2, cores=1, sampler="pymc"
    )
    posterior = tree["posterior"].to_dataset()
    assert "_latent_abs" not in posterior
    assert {"beta", "sd_g", "u_g"} <= set(posterior.data_vars)


def test_deterministics_that_need_a_missing_variable_are_refused():
    model = bayesml.Model("y ~ x + (1 | g)", probit_data(), random_effects="sampled")
    graph = model.pymc_model
    prior = pm.sample_prior_predictive(draws=5, model=graph, random_seed=1)["prior"].to_dataset()
    free = prior[[rv.name for rv in graph.free_RVs if rv.name != "_sd_g_0"]]
    with pytest.raises(
        ValueError, match=r"need the draws of \['_sd_g_0'\], which the posterior lacks"
    ):
        add_deterministics(free, graph, ["sd_g"])
    # a Deterministic that does not need it is computed
    assert "beta" in add_deterministics(free, graph, ["beta"])


def test_prior_draws_leave_the_response_to_the_results_layer():
    model = bayesml.Model("y ~ x + (1 | g)", probit_data(), family="bernoulli")
    graph, info = model._nuts.graph(model._inputs)
    tree = sample_prior_predictive(graph, info, draws=6, random_seed=3)
    assert "prior_predictive" not in tree.children
    assert "y" not in tree["prior"]
    prior = model.sample_prior(draws=6, random_seed=3)
    assert prior["prior_predictive"]["y"].shape == (1, 6, 40)
    with bayesml.results.chunks.chunk_budget(8 * 40 * 2):
        chunked = model.sample_prior(draws=6, random_seed=3)
    np.testing.assert_array_equal(chunked["prior_predictive"]["y"], prior["prior_predictive"]["y"])
