"""Formulas for family parameters (distributional models): the dispersion of a gaussian or gamma
response modelled by its own linear predictor, in the design, the priors, NUTS, the results and
the h-likelihood fit; the errors of formulas a family cannot take."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import bayesml
from bayesml.errors import FamilyError, PriorError, SpecError

TRUE = {"Intercept": 1.0, "x": 0.5, "sigma_Intercept": -0.7, "sigma_z": 0.6}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(20261207)
    n, groups = 400, 20
    g = rng.integers(0, groups, n)
    x, z = rng.normal(size=n), rng.normal(size=n)
    u = rng.normal(0.0, 0.5, groups)
    sigma = np.exp(TRUE["sigma_Intercept"] + TRUE["sigma_z"] * z)
    y = TRUE["Intercept"] + TRUE["x"] * x + u[g] + rng.normal(0.0, sigma)
    return pd.DataFrame({"y": y, "x": x, "z": z, "g": [f"g{i}" for i in g]})


@pytest.fixture(scope="module")
def fitted(data):
    model = bayesml.Model("y ~ x + (1 | g)", data, dispersion_formula="~ z")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bayesml.SamplingWarning)
        result = model.sample(draws=400, tune=400, chains=2, random_seed=3)
    return model, result


def test_the_design_and_the_description(data):
    model = bayesml.Model("y ~ x + (1 | g)", data, dispersion_formula="~ z + (1 | g)")
    predictor = model.design.predictors["sigma"]
    assert predictor.link == "log"
    assert predictor.fixed.column_names == ("Intercept", "z")
    assert [block.name for block in predictor.random] == ["sigma_g"]
    text = model.describe()
    assert "Formula (sigma, log link): ~ z + (1 | g)" in text
    assert "beta_sigma[z]" in text and "sd_sigma_g[Intercept]" in text
    assert "\n  sigma " not in text  # sigma has a formula: no prior of its own
    assert model.random_effects == "sampled"  # nothing integrates out with a dispersion formula
    assert model.spec.formulas == {"dispersion": "~ z + (1 | g)"}


def test_rows_with_missing_values_in_a_formula_are_handled_with_the_model(data):
    holey = data.assign(z=data["z"].where(data.index % 50 != 0))
    with pytest.raises(bayesml.DataError, match=r"'z'"):
        bayesml.Model("y ~ x", holey, dispersion_formula="~ z")
    model = bayesml.Model("y ~ x", holey, dispersion_formula="~ z", missing="drop")
    assert model.design.n_obs == len(data) - 8
    assert model.design.predictors["sigma"].fixed.matrix.shape == (len(data) - 8, 2)


def test_recovers_the_simulated_dispersion_model(fitted):
    _, result = fitted
    posterior = result["posterior"]
    beta_sigma = posterior["beta_sigma"]
    assert beta_sigma.dims == ("chain", "draw", "coef_sigma")
    for label, key in (("Intercept", "sigma_Intercept"), ("z", "sigma_z")):
        draws = beta_sigma.sel(coef_sigma=label)
        assert abs(float(draws.mean()) - TRUE[key]) < 3 * float(draws.std()), label
    assert "sigma" not in posterior
    assert {"beta_sigma[Intercept]", "beta_sigma[z]"} <= set(bayesml.summary(result).index)


def test_the_log_likelihood_uses_each_rows_sigma(fitted, data):
    model, result = fitted
    posterior = result["posterior"]
    eta = bayesml.results.linear_predictor_draws(
        posterior,
        model.design.fixed.matrix,
        [(b.name, b.term_matrix, b.group_index) for b in model.design.random],
    )
    sigma = np.exp(
        np.einsum("cdp,np->cdn", posterior["beta_sigma"].values, model.design.predictors["sigma"].fixed.matrix)
    )
    expected = stats.norm.logpdf(data["y"].to_numpy(), eta, sigma)
    np.testing.assert_allclose(result["log_likelihood"]["y"].values, expected, rtol=2e-6, atol=2e-6)
    assert set(result["log_prior"].data_vars) >= {"beta", "beta_sigma", "sd_g"}


def test_predictions_for_new_rows(fitted):
    model, result = fitted
    new = pd.DataFrame({"x": [0.0, 1.0], "z": [-1.0, 2.0], "g": ["g0", "new"]})
    draws = model.predict(result, new, kind="response", random_seed=1)
    assert draws.shape == (2, 400, 2)
    # the second row's sigma is exp(-0.7 + 1.2) ≈ 1.6, the first's exp(-1.3) ≈ 0.27
    spread = draws.std(("chain", "draw")).values
    assert spread[1] > 3 * spread[0]
    population = model.predict(result, new.drop(columns="g"), include_random_effects=False)
    assert population.shape == (2, 400, 2)


def test_nested_priors_of_a_formula():
    model = bayesml.Model(
        "y ~ x1 + x3 + (1 | Device)",
        "semiconductor",
        family="gamma",
        dispersion_formula="~ x2 + x3",
        priors={"alpha": {"intercept": {"dist": "normal", "mu": 0, "sigma": 3}}},
    )
    resolved = model.priors.predictors["alpha"]
    assert str(resolved.intercept) == "normal(mu=0, sigma=3)"
    assert resolved.sources["beta_alpha[Intercept]"] == "priors.alpha.intercept"
    assert resolved.sources["beta_alpha[x2]"] == "default"
    with pytest.raises(PriorError, match=r"^priors\.alpha: alpha has a formula \(~ x2 \+ x3\)"):
        model.replace(priors={"alpha": {"dist": "gamma", "alpha": 1, "beta": 1}})
    with pytest.raises(PriorError, match=r"^priors\.alpha: alpha has no formula in this model"):
        bayesml.Model(
            "y ~ x1", "semiconductor", family="gamma", priors={"alpha": {"intercept": {"dist": "normal", "sigma": 1}}}
        )


@pytest.mark.parametrize(
    ("family", "arguments", "pattern"),
    [
        ("gaussian", {"zi": "~ x1"}, r"^formulas\.zi: family 'gaussian' has no parameter 'zi' to model"),
        ("poisson", {"dispersion_formula": "~ x1"},
         r"^formulas\.dispersion: family 'poisson' has no dispersion parameter to model"),
    ],
)  # fmt: skip
def test_a_formula_the_family_cannot_take(family, arguments, pattern):
    data = bayesml.datasets.load("semiconductor").assign(y=lambda d: np.round(d["y"] * 100))
    with pytest.raises(SpecError, match=pattern):
        bayesml.Model("y ~ x1", data, family=family, **arguments)


def test_a_formula_that_does_not_parse_points_at_the_token():
    with pytest.raises(SpecError, match=r"formulas\.dispersion: expected a term"):
        bayesml.Model("y ~ x1", "semiconductor", family="gamma", dispersion_formula="~ x2 +")


def test_gibbs_refuses_and_names_nuts(data):
    model = bayesml.Model("y ~ x + (1 | g)", data, dispersion_formula="~ z")
    with pytest.raises(
        FamilyError,
        match=r"^method='gibbs' .* does not fit formulas for family parameters; this model has "
        r"dispersion_formula= \(sigma\); use Model\.sample\(method='nuts'\)",
    ):
        model.sample(method="gibbs", draws=5, tune=5, chains=1)


def test_the_hlik_fit_uses_the_models_dispersion_formula():
    model = bayesml.Model(
        "y ~ x1 + x3 + x5 + x6 + (1 | Device)", "semiconductor", family="gamma", dispersion_formula="~ x2 + x3"
    )
    fit = model.fit()
    hglm = bayesml.hglm(
        "y ~ x1 + x3 + x5 + x6 + (1 | Device)", "semiconductor", family="gamma", dispersion_formula="~ x2 + x3"
    )
    np.testing.assert_allclose(fit.phi.coef["estimate"], hglm.phi.coef["estimate"], rtol=1e-8)
    with pytest.raises(bayesml.ArgumentError, match=r"the model has a dispersion formula"):
        model.fit(dispersion_formula="~ x2")
    with_random = model.replace(formulas={"dispersion": "~ x2 + (1 | Device)"})
    with pytest.raises(FamilyError, match=r"dispersion model of fixed terms .* has random terms"):
        with_random.fit()


@pytest.mark.slow
def test_semiconductor_dispersion_model_agrees_with_hglm():
    """hglm's semiconductor model in the Bayesian path: log α = −log φ, so the coefficients of the
    dispersion formula are hglm's dispersion-model coefficients with the sign changed."""
    model = bayesml.Model(
        "y ~ x1 + x3 + x5 + x6 + (1 | Device)", "semiconductor", family="gamma", dispersion_formula="~ x2 + x3"
    )
    result = model.sample(draws=1500, tune=1500, chains=4, random_seed=2)
    fit = model.fit()
    posterior = result["posterior"]
    for label, estimate in fit.fixef["estimate"].items():
        draws = posterior["beta"].sel(coef=label)
        assert abs(float(draws.mean()) - estimate) < 0.5 * float(draws.std()), label
    for label, estimate in fit.phi.coef["estimate"].items():
        draws = posterior["beta_alpha"].sel(coef_alpha=label)
        assert abs(float(draws.mean()) + estimate) < 1.0 * float(draws.std()), label
