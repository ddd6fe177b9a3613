"""What the Gibbs sampler accepts: families, priors, the weakly informative scaling; error messages."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import bayesml
from bayesml.backends.gibbs import polya_gamma
from bayesml.backends.gibbs.problem import build_problem
from bayesml.errors import FamilyError, MissingDependencyError, PriorError
from bayesml.priors import Prior


def _build(model):
    return build_problem(model.design, model.priors, model.family)


@pytest.mark.parametrize(
    ("formula", "family", "link"),
    [("y ~ x", "poisson", None), ("y ~ x", "gaussian", "log"), ("b ~ x", "bernoulli", "cloglog")],
)
def test_an_unsupported_family_names_the_supported_ones_and_suggests_nuts(
    small_data, formula, family, link
):
    data = small_data.assign(y=np.round(np.abs(small_data["y"]) * 3) + 1)
    model = bayesml.Model(formula, data, family=family, link=link)
    with pytest.raises(
        FamilyError,
        match=(
            rf"^method='gibbs' \(blocked Gibbs sampler\) does not support family '{family}' with "
            r"the \w+ link; it supports gaussian\(identity\), bernoulli\(probit, logit\), "
            r"binomial\(probit, logit\), cumulative\(probit\); use Model.sample\(method='nuts'\)$"
        ),
    ):
        _build(model)


def test_prior_weights_on_a_binary_model_are_refused(small_data):
    model = bayesml.Model(
        "b ~ x", small_data.assign(w=2.0), family="bernoulli", link="probit", weights="w"
    )
    with pytest.raises(
        FamilyError,
        match=r"takes prior weights for the gaussian family only; the bernoulli model has weights",
    ):
        _build(model)


def test_logit_without_polyagamma_names_the_extra(small_data, monkeypatch):
    monkeypatch.setattr(polya_gamma.importlib.util, "find_spec", lambda name: None)
    model = bayesml.Model("b ~ x", small_data, family="bernoulli")
    with pytest.raises(
        MissingDependencyError,
        match=r"polyagamma package, which is not installed; install it with: pip install 'bayesml\[polyagamma\]'",
    ):
        _build(model)


def test_a_prior_without_a_gibbs_update_is_named(small_data):
    model = bayesml.Model("y ~ x + (1 | g)", small_data)
    priors = dataclasses.replace(model.priors, sd={"g": {"Intercept": Prior("normal", sigma=1)}})
    with pytest.raises(
        PriorError,
        match=(
            r"^the Gibbs sampler has no update for the prior normal\(mu=0, sigma=1\) of "
            r"sd_g\[Intercept\]; it supports inverse_gamma, scaled_inv_chi2, half_normal, "
            r"half_cauchy, half_t, exponential, uniform, gamma there\. Change the prior or use "
            r"method=\"nuts\" for this model$"
        ),
    ):
        build_problem(model.design, priors, model.family)


def test_every_default_prior_has_an_update(small_data):
    """Defaults: Student-t intercept, normal or weakly informative slopes, half-t SDs, LKJ."""
    for formula, family, link in [
        ("y ~ x + (1 + x | g)", "gaussian", None),
        ("b ~ x + (1 | g)", "bernoulli", "probit"),
    ]:
        problem = _build(bayesml.Model(formula, small_data, family=family, link=link))
        assert problem.coefficients.priors


def test_weakly_informative_coefficients_are_sampled_on_the_scaled_inputs(small_data):
    model = bayesml.Model("b ~ x + y", small_data, family="bernoulli", link="probit")
    assert model.priors.weakly_informative is not None
    problem = _build(model)
    assert [str(p) for p in problem.coefficients.priors] == [
        "cauchy(mu=0, sigma=10)",
        "cauchy(mu=0, sigma=2.5)",
        "cauchy(mu=0, sigma=2.5)",
    ]
    scaled = problem.regression.X
    np.testing.assert_allclose(scaled[:, 1:].mean(0), 0.0, atol=1e-12)
    np.testing.assert_allclose(scaled[:, 1:].std(0, ddof=1), 0.5)
    # the same linear predictor on both scales
    sampled = np.random.default_rng(0).normal(size=(5, 3))
    original = problem.coefficients_on_original_scale(sampled)
    np.testing.assert_allclose(
        original @ model.design.fixed.matrix.T, sampled @ scaled.T, atol=1e-10
    )


def test_binomial_trials_and_gaussian_weights_are_kept(small_data):
    import pandas as pd

    data = pd.DataFrame({"r": [1, 4, 2], "n": [3, 5, 4], "x": [0.0, 1.0, 2.0]})
    problem = _build(bayesml.Model("cbind(r, n - r) ~ x", data, family="binomial", link="probit"))
    np.testing.assert_array_equal(problem.trials, [3, 5, 4])
    problem = _build(bayesml.Model("y ~ x", small_data.assign(w=2.0), weights="w"))
    np.testing.assert_array_equal(problem.weights, 2.0)
    assert problem.trials is None
