"""``Model.sample(log_likelihood=...)``: stored, skipped, ``"auto"`` at its limit, added later."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import bayesml
from bayesml.errors import ArgumentError
from bayesml.results import loglik

CHAINS, DRAWS = 2, 30


@pytest.fixture(scope="module")
def model() -> bayesml.Model:
    rng = np.random.default_rng(21)
    g = np.repeat(np.arange(6), 5)
    x = rng.normal(size=30)
    y = 1 + 0.5 * x + rng.normal(0, 0.7, 6)[g] + rng.normal(size=30)
    return bayesml.Model("y ~ x + (1 | g)", pd.DataFrame({"y": y, "x": x, "g": g}))


def _sample(model: bayesml.Model, method: str, **options):
    kwargs = {"sampler_kwargs": {"cores": 1}}
    return model.sample(
        method,
        draws=DRAWS,
        tune=DRAWS,
        chains=CHAINS,
        random_seed=3,
        check=False,
        **kwargs,
        **options,
    )


@pytest.mark.parametrize("method", ["gibbs", "nuts"])
def test_a_skipped_group_is_added_later_with_the_same_numbers(model, method):
    stored = _sample(model, method, log_likelihood=True)
    skipped = _sample(model, method, log_likelihood=False)
    assert "log_likelihood" in stored.children
    assert "log_likelihood" not in skipped.children
    assert {"posterior", "log_prior", "observed_data"} <= set(skipped.children)
    bayesml.add_log_likelihood(skipped, model)
    np.testing.assert_array_equal(
        skipped["log_likelihood"]["y"].values, stored["log_likelihood"]["y"].values
    )
    assert skipped["log_likelihood"]["y"].dtype == np.float32


def test_auto_stores_the_group_up_to_its_limit_and_says_how_to_get_it_above(model, monkeypatch):
    size = CHAINS * DRAWS * model.design.n_obs
    monkeypatch.setattr(loglik, "AUTO_LOG_LIKELIHOOD_LIMIT", size)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        at_limit = _sample(model, "gibbs")
    assert "log_likelihood" in at_limit.children
    monkeypatch.setattr(loglik, "AUTO_LOG_LIKELIHOOD_LIMIT", size - 1)
    with pytest.warns(
        UserWarning,
        match=r"^the log_likelihood group was not stored: 2 chains × 30 draws × 30 rows = 1\.8e\+03 "
        r"values \(0\.0 GB as float32\) is above log_likelihood='auto''s limit of 1\.8e\+03\. Add it "
        r"when you need it \(arviz_stats\.loo, bayesml\.power_sensitivity\) with "
        r"bayesml\.add_log_likelihood\(result, model\), or sample with log_likelihood=True$",
    ) as record:
        above = _sample(model, "gibbs")
    assert record[0].filename == __file__
    assert "log_likelihood" not in above.children
    # True and False are obeyed whatever the size
    assert "log_likelihood" in _sample(model, "gibbs", log_likelihood=True).children


def test_the_default_limit_is_documented_and_bad_settings_are_refused(model):
    assert loglik.AUTO_LOG_LIKELIHOOD_LIMIT == 50_000_000
    assert loglik.resolve_log_likelihood("auto", chains=4, draws=1000, n_obs=12_500) is True
    with pytest.warns(
        UserWarning, match=r"4 chains × 1000 draws × 100,000 rows = 4e\+08 values \(1\.6 GB"
    ):
        assert loglik.resolve_log_likelihood("auto", chains=4, draws=1000, n_obs=100_000) is False
    for bad in ("yes", None, 1, "Auto"):
        with pytest.raises(
            ArgumentError,
            match=r"^log_likelihood must be True, False or 'auto'; got log_likelihood=",
        ):
            model.sample("gibbs", log_likelihood=bad)


def test_power_sensitivity_names_add_log_likelihood_when_the_group_is_missing(model):
    result = _sample(model, "gibbs", log_likelihood=False)
    with pytest.raises(
        bayesml.DataError,
        match=r"needs the 'log_likelihood' group, which the result lacks: add it with "
        r"bayesml\.add_log_likelihood\(result, model\)",
    ):
        bayesml.power_sensitivity(result)
    table = bayesml.power_sensitivity(bayesml.add_log_likelihood(result, model))
    assert np.isfinite(table["likelihood_sensitivity"]).all()


def test_add_log_likelihood_refuses_a_result_of_other_data(model):
    result = _sample(model, "gibbs", log_likelihood=False)
    data = model.data.assign(y=model.data["y"] + 1.0)
    other = bayesml.Model("y ~ x + (1 | g)", data)
    with pytest.raises(
        bayesml.DataError,
        match=r"^result was not sampled from this model: its observed 'y' \(30 rows\) differs",
    ):
        bayesml.add_log_likelihood(result, other)
