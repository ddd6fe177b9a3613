"""``sampler_kwargs={"cores": n}`` sets how many chains run at once (1: one after another)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayesml


@pytest.fixture(scope="module")
def small_model():
    rng = np.random.default_rng(11)
    data = pd.DataFrame({"y": rng.normal(1.0, 1.0, 30)})
    return bayesml.Model("y ~ 1", data, priors={"intercept": {"dist": "normal", "mu": 0, "sigma": 5}})


@pytest.mark.parametrize("cores", [0, -1, 1.5, True, "2"])
def test_bad_cores_is_refused(small_model, cores):
    with pytest.raises(ValueError, match=r"sampler_kwargs\['cores'\] must be an integer >= 1; got cores="):
        small_model.sample("nuts", draws=10, tune=10, chains=2, sampler_kwargs={"cores": cores})


def test_pymc_sampler_runs_chains_in_this_process_with_one_core(small_model):
    result = small_model.sample(
        "nuts",
        draws=200, tune=200, chains=2, random_seed=3, sampler_kwargs={"sampler": "pymc", "cores": 1}
    )
    assert result.posterior.sizes["chain"] == 2
    # the posterior mean of the intercept is the sample mean nearly (posterior sd about 0.18,
    # Monte Carlo error about 0.01 with 400 draws); the N(0, 5) prior moves it by < 0.002
    sample_mean = float(small_model.design.response.y.mean())
    assert abs(float(result.posterior["beta"].mean()) - sample_mean) < 0.06
