"""Power-scaling prior/likelihood sensitivity (bayesml.power_sensitivity) on small Gibbs fits."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import bayesml
from bayesml.errors import DataError, SamplingWarning

FIT = {"draws": 500, "tune": 200, "chains": 2, "random_seed": 1, "sampler_kwargs": {"cores": 1}}


def regression_data(seed: int = 3, n: int = 30) -> pd.DataFrame:
    """y = 1 + x + e: the slope is 1 and its least-squares SE about 0.2."""
    rng = np.random.default_rng(seed)
    data = pd.DataFrame({"x": rng.normal(size=n)})
    data["y"] = 1.0 + data["x"] + rng.normal(size=n)
    data["g"] = [f"g{i % 5}" for i in range(n)]
    return data


def fit(formula: str, priors: dict | None = None, **kwargs) -> object:
    model = bayesml.Model(formula, regression_data(), priors=priors)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        return model.sample("gibbs", **{**FIT, **kwargs})


SLOPE_PRIORS = {
    # N(0, 0.05²) where the data say 1 ± 0.2: prior and likelihood both pull
    "conflicting": {"dist": "normal", "mu": 0, "sigma": 0.05},
    # N(1, 0.05²): agrees with the data, but is four times as precise
    "informative": {"dist": "normal", "mu": 1, "sigma": 0.05},
    "vague": {"dist": "normal", "mu": 0, "sigma": 100},
}


@pytest.fixture(scope="module")
def slope_tables() -> dict[str, pd.DataFrame]:
    return {
        name: bayesml.power_sensitivity(fit("y ~ x", {"beta[x]": prior})).set_index("parameter")
        for name, prior in SLOPE_PRIORS.items()
    }


def test_table_is_tidy(slope_tables):
    table = slope_tables["vague"].reset_index()
    assert list(table.columns) == [
        "parameter",
        "prior_sensitivity",
        "likelihood_sensitivity",
        "diagnosis",
    ]
    assert list(table["parameter"]) == ["beta[Intercept]", "beta[x]", "sigma"]


def test_vague_prior_is_not_flagged(slope_tables):
    table = slope_tables["vague"]
    assert table.loc["beta[x]", "prior_sensitivity"] < 0.01
    assert table.loc["beta[x]", "likelihood_sensitivity"] > 0.05
    assert set(table["diagnosis"]) == {"-"}


def test_informative_prior_is_flagged_as_strong_prior_weak_likelihood(slope_tables):
    informative, vague = slope_tables["informative"], slope_tables["vague"]
    assert informative.loc["beta[x]", "prior_sensitivity"] > 0.05
    assert (
        informative.loc["beta[x]", "prior_sensitivity"]
        > 10 * vague.loc["beta[x]", "prior_sensitivity"]
    )
    assert informative.loc["beta[x]", "diagnosis"] == "potential strong prior / weak likelihood"
    # the intercept's prior did not change: it stays unflagged
    assert informative.loc["beta[Intercept]", "diagnosis"] == "-"


def test_conflicting_prior_is_flagged_as_prior_data_conflict(slope_tables):
    conflicting = slope_tables["conflicting"]
    assert conflicting.loc["beta[x]", "prior_sensitivity"] > 0.05
    assert conflicting.loc["beta[x]", "likelihood_sensitivity"] > 0.05
    assert conflicting.loc["beta[x]", "diagnosis"] == "potential prior-data conflict"


def test_threshold_changes_the_diagnosis(slope_tables):
    result = fit("y ~ x", {"beta[x]": SLOPE_PRIORS["informative"]})
    table = bayesml.power_sensitivity(result, threshold=10.0).set_index("parameter")
    assert table.loc["beta[x]", "diagnosis"] == "-"
    np.testing.assert_allclose(
        table["prior_sensitivity"], slope_tables["informative"]["prior_sensitivity"]
    )


def test_correlations_are_reported_without_the_diagonal():
    result = fit("y ~ x + (1 + x | g)", draws=200)
    table = bayesml.power_sensitivity(result)
    parameters = list(table["parameter"])
    assert "corr_g[Intercept, x]" in parameters
    assert "sd_g[Intercept]" in parameters and "sd_g[x]" in parameters
    assert not any(p.startswith("corr_g[Intercept, Intercept]") for p in parameters)
    assert table[["prior_sensitivity", "likelihood_sensitivity"]].notna().all().all()


def test_random_effect_densities_are_not_scaled():
    """A NUTS result's log_prior holds the standardised effects ``_z_<group>``; they are not a
    prior, so adding them must not change the answer."""
    result = fit("y ~ x + (1 | g)", draws=200)
    plain = bayesml.power_sensitivity(result)
    with_z = result.copy()
    log_prior = with_z["log_prior"].to_dataset()
    rng = np.random.default_rng(0)
    log_prior["_z_g"] = (("chain", "draw", "g__level"), rng.normal(0, 50, (2, 200, 5)))
    with_z["log_prior"] = log_prior
    pd.testing.assert_frame_equal(bayesml.power_sensitivity(with_z), plain)
    # named explicitly, it is scaled and the answer changes
    scaled = bayesml.power_sensitivity(with_z, prior_var_names=["_z_g", "sigma"])
    assert not np.allclose(scaled["prior_sensitivity"], plain["prior_sensitivity"])


def test_sensitivity_result_gives_one_block_per_configuration():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        run = bayesml.sensitivity(
            bayesml.Model("y ~ x", regression_data()),
            {
                "beta[x]": {
                    "informative": SLOPE_PRIORS["informative"],
                    "vague": SLOPE_PRIORS["vague"],
                }
            },
            method="gibbs",
            max_workers=1,
            prior_predictive=False,
            draws=500,
            tune=200,
            chains=2,
            random_seed=1,
        )
    table = bayesml.power_sensitivity(run, var_names=["beta"])
    assert list(table.columns)[:2] == ["configuration", "parameter"]
    diagnosis = table.set_index(["configuration", "parameter"])["diagnosis"]
    assert diagnosis["beta[x]=informative", "beta[x]"] == "potential strong prior / weak likelihood"
    assert diagnosis["beta[x]=vague", "beta[x]"] == "-"


@pytest.mark.parametrize(
    ("group", "pattern"),
    [
        ("log_prior", r"needs the 'log_prior' group, which the result lacks: sample with"),
        ("log_likelihood", r"needs the 'log_likelihood' group, which the result lacks"),
        ("posterior", r"needs the 'posterior' group"),
    ],
)
def test_missing_group_is_named(group, pattern):
    result = fit("y ~ x", draws=100).copy()
    del result[group]
    with pytest.raises(DataError, match=pattern):
        bayesml.power_sensitivity(result)


def test_result_sampled_without_log_prior_is_refused():
    result = fit("y ~ x", draws=100, log_prior=False)
    with pytest.raises(DataError, match=r"needs the 'log_prior' group"):
        bayesml.power_sensitivity(result)


def test_unknown_variable_is_named():
    result = fit("y ~ x", draws=100)
    with pytest.raises(DataError, match=r"the posterior group has no variable 'sd_g'; it has"):
        bayesml.power_sensitivity(result, var_names=["sd_g"])
    with pytest.raises(DataError, match=r"the log_prior group has no variable 'nope'"):
        bayesml.power_sensitivity(result, prior_var_names=["nope"])


def test_wrong_input_type_is_refused():
    with pytest.raises(TypeError, match=r"result must be an xarray.DataTree .*; got dict"):
        bayesml.power_sensitivity({"posterior": None})
