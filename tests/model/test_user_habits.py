"""Habits from bambi, lme4 and brms get a pointer, not a wall; a saved fit leads back to its model;
population-level predictions; a key set to None removes a prior."""

from __future__ import annotations

import numpy as np
import pytest

import bayesml
from bayesml.errors import ArgumentError, ArgumentTypeError, DataError, PriorError


@pytest.mark.parametrize(
    ("options", "pattern"),
    [
        ({"draws": 500}, r"^draws is an argument of sampling: the posterior is model\.sample\(draws=\.\.\.\)"),
        ({"draws": 5, "chains": 2},
         r"^chains, draws are arguments of sampling: the posterior is model\.sample\(chains=\.\.\.\)"),
        ({"sampler_kwargs": {}}, r"^sampler_kwargs is an argument of sampling"),
    ],
)  # fmt: skip
def test_fit_with_sampling_arguments_points_at_sample(hier_model, options, pattern):
    with pytest.raises(ArgumentError, match=pattern):
        hier_model.fit(**options)


def test_fit_with_a_sampling_method_points_at_sample(hier_model):
    with pytest.raises(ArgumentError, match=r"use Model\.sample\(method='nuts'\)"):
        hier_model.fit(method="nuts")


@pytest.mark.parametrize(
    ("keyword", "pattern"),
    [
        ("data", r"'data'; bayesml calls it new_data \(bambi: data=, lme4: newdata=\)$"),
        ("newdata", r"'newdata'; bayesml calls it new_data \(lme4's newdata=\)$"),
        ("include_group_specific", r"bayesml calls it include_random_effects"),
        ("re_formula", r"include_random_effects=False \(brms' re_formula = NA\)$"),
        ("thinning", r"unexpected keyword argument 'thinning'$"),
    ],
)
def test_predict_names_the_keyword_for_other_packages_habits(hier_model, hier_fit, keyword, pattern):
    with pytest.raises(ArgumentTypeError, match=pattern):
        hier_model.predict(hier_fit, **{keyword: None})


def test_population_level_predictions_need_no_group_columns(hier_model, hier_fit, hier_data):
    posterior = hier_fit["posterior"]
    new = hier_data.drop(columns=["g", "h"]).head(7)
    population = hier_model.predict(hier_fit, new, kind="linear", include_random_effects=False)
    fixed = hier_model.design.fixed.transform(new)
    expected = np.einsum("cdp,np->cdn", posterior["beta"].values, fixed)
    np.testing.assert_allclose(population.values, expected, rtol=1e-12)
    fitted = hier_model.predict(hier_fit, kind="linear", include_random_effects=False)
    expected_fitted = np.einsum("cdp,np->cdn", posterior["beta"].values, hier_model.design.fixed.matrix)
    np.testing.assert_allclose(fitted.values, expected_fitted, rtol=1e-12)
    with pytest.raises(ArgumentTypeError, match=r"include_random_effects must be True or False"):
        hier_model.predict(hier_fit, include_random_effects="no")


def test_a_result_leads_back_to_its_model(hier_model, hier_fit, hier_data, tmp_path):
    with pytest.raises(DataError, match=r"fitted on a DataFrame.*Model\.from_result\(result, data=frame\)"):
        bayesml.Model.from_result(hier_fit)
    model = bayesml.Model.from_result(hier_fit, data=hier_data)
    assert model.spec == hier_model.spec
    np.testing.assert_array_equal(
        model.predict(hier_fit, kind="linear").values,
        hier_model.predict(hier_fit, kind="linear").values,
    )
    with pytest.raises(DataError, match=r"the data do not match the result"):
        bayesml.Model.from_result(hier_fit, data=hier_data.head(20))
    path = tmp_path / "fit.nc"
    bayesml.save_result(hier_fit, path)
    reloaded = bayesml.Model.from_result(bayesml.load_result(path), data=hier_data)
    assert reloaded.spec == hier_model.spec
    with pytest.raises(ArgumentError, match=r"carries no bayesml spec"):
        bayesml.Model.from_result(hier_fit["posterior"])


def test_a_bundled_data_set_is_found_again():
    model = bayesml.Model("y ~ week + (1 | ID)", "bacteria", family="binomial")
    tree = model.sample_prior(draws=5, random_seed=1)
    tree["observed_data"] = model.sample(
        draws=5, tune=5, chains=1, random_seed=1, check=False, log_prior=False
    )["observed_data"].to_dataset()
    assert bayesml.Model.from_result(tree).spec == model.spec


def test_a_key_set_to_none_removes_the_prior():
    spec = bayesml.load_spec("models/radon.yaml")
    inverse_wishart = {"dist": "inverse_wishart", "nu": 3, "scale": 1}
    with pytest.raises(PriorError, match=r"applies to nothing; remove the key .*'sd': None"):
        bayesml.Model.from_spec(spec.replace(priors={**spec.priors, "cov": inverse_wishart}))
    variant = spec.replace(priors={**spec.priors, "cov": inverse_wishart, "sd": None})
    assert "sd" not in variant.priors
    model = bayesml.Model.from_spec(variant)
    assert model.priors.cov["county"].dist == "inverse_wishart"
    assert bayesml.Model(
        "log_radon ~ floor + (1 | county)", "radon", priors={"sigma": None}
    ).priors.sources["sigma"] == "default"
