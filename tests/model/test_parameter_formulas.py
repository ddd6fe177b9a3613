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
    fit = model.fit(convergence="hglm")  # hglm's stopping rule, bayesml.hglm's default
    hglm = bayesml.hglm(
        "y ~ x1 + x3 + x5 + x6 + (1 | Device)", "semiconductor", family="gamma", dispersion_formula="~ x2 + x3"
    )
    np.testing.assert_allclose(fit.phi.coef["estimate"], hglm.phi.coef["estimate"], rtol=1e-8)
    with pytest.raises(bayesml.ArgumentError, match=r"the model has a dispersion formula"):
        model.fit(dispersion_formula="~ x2")
    with_random = model.replace(formulas={"dispersion": "~ x2 + (1 | Device)"})
    with pytest.raises(FamilyError, match=r"dispersion model of fixed terms .* has random terms"):
        with_random.fit()


#: hglm 2.2-1 (EQL) on semiconductor, the tight fixed point of ../shared/docs/references.md:
#: y ~ x1 + x3 + x5 + x6, random = ~ 1 | Device, Gamma(log), disp = ~ x2 + x3
HGLM_SEMICONDUCTOR = {
    "beta": {"Intercept": -4.7116012, "x1": 0.2099367, "x3": 0.3290348, "x5": -0.1730377,
             "x6": -0.3568647},
    "log_phi": {"Intercept": -2.5882920, "x2": -0.6860015, "x3": -0.5025771},
    "lambda": 0.0484715,
}  # fmt: skip


def test_semiconductor_dispersion_model_agrees_with_hglm():
    """hglm's semiconductor model in the Bayesian path. The gamma's φ is 1/α, so hglm's model
    for log φ is the dispersion formula's model for log α with the signs changed.

    Tolerances, from a run of 4 × 1500 draws: the mean-model coefficients lie within 0.15
    posterior SD of hglm's (allowed 0.3), the dispersion-model coefficients within 0.31 SD
    (allowed 0.5: hglm estimates φ's model by EQL's REML-like adjusted profile, the posterior
    averages over β and λ), √λ = 0.220 inside the 94 % HDI of sd_Device. The posterior SDs of the
    mean-model coefficients are 10-20 % above hglm's SEs (which treat λ and φ as known) and those
    of the dispersion model within 5 % of them (allowed 0.9-1.35)."""
    model = bayesml.Model(
        "y ~ x1 + x3 + x5 + x6 + (1 | Device)", "semiconductor", family="gamma", dispersion_formula="~ x2 + x3"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bayesml.SamplingWarning)  # the ESS is checked below
        result = model.sample(draws=500, tune=500, chains=4, random_seed=2)
    table = bayesml.summary(result)
    # hglm's stopping rule reproduces hglm's numbers and SEs (tests/hlik/test_model_fit.py)
    fit = model.fit(convergence="hglm")
    for prefix, key, sign, tolerance, errors in (
        ("beta", "beta", 1.0, 0.3, fit.fixef["se"]),
        ("beta_alpha", "log_phi", -1.0, 0.5, fit.phi.coef["se"]),
    ):
        for label, estimate in HGLM_SEMICONDUCTOR[key].items():
            row = table.loc[f"{prefix}[{label}]"]
            assert row["ess_bulk"] > 400, label
            assert abs(row["mean"] - sign * estimate) < tolerance * row["sd"], (prefix, label, row["mean"])
            assert 0.9 < row["sd"] / errors[label] < 1.35, (prefix, label, row["sd"], errors[label])
    sd_device = table.loc["sd_Device[Intercept]"]
    assert sd_device["ci_lower"] < np.sqrt(HGLM_SEMICONDUCTOR["lambda"]) < sd_device["ci_upper"]
    # at hglm's default tolerance and rule (the fit's), λ is hglm's printed 0.0486
    assert fit.lambda_["Device"].value == pytest.approx(0.0486, rel=2e-3)


def test_gaussian_sigma_formula_and_the_hlik_dispersion_model(data):
    """The h-likelihood fit of a gaussian model with a sigma formula models log φ = 2 log σ: its
    coefficients are twice the formula's."""
    model = bayesml.Model("y ~ x + (1 | g)", data, dispersion_formula="~ z")
    fit = model.fit()
    np.testing.assert_allclose(
        fit.phi.coef["estimate"], [2 * TRUE["sigma_Intercept"], 2 * TRUE["sigma_z"]], atol=0.25
    )
    alias = bayesml.Model("y ~ x + (1 | g)", data).fit(dispersion_formula="~ z")
    np.testing.assert_allclose(alias.phi.coef["estimate"], fit.phi.coef["estimate"], rtol=1e-10)
    fixed = bayesml.Model("y ~ x + (1 | g)", data).fit(dispersion=0.25)
    assert fixed.phi.value == 0.25 and fixed.phi.fixed
    with pytest.raises(SpecError, match=r"a fixed dispersion \(dispersion=<number>\) takes no dispersion model"):
        model.fit(dispersion=0.25)


def test_negative_binomial_alpha_formula_recovers_the_simulated_shapes():
    """log α = 0.5 + 0.8 z: the NB's shape by row (its variance μ + μ²/α), from 600 rows."""
    rng = np.random.default_rng(20261208)
    n = 600
    x, z = rng.normal(size=n), rng.normal(size=n)
    mu, alpha = np.exp(1.0 + 0.5 * x), np.exp(0.5 + 0.8 * z)
    counts = rng.negative_binomial(alpha, alpha / (alpha + mu))
    data = pd.DataFrame({"y": counts, "x": x, "z": z})
    model = bayesml.Model("y ~ x", data, family="negative_binomial", dispersion_formula="~ z")
    assert model.design.predictors["alpha"].link == "log"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bayesml.SamplingWarning)
        result = model.sample(draws=400, tune=400, chains=2, random_seed=4)
    posterior = result["posterior"]
    assert "alpha" not in posterior
    for name, dim, label, truth in (
        ("beta", "coef", "Intercept", 1.0), ("beta", "coef", "x", 0.5),
        ("beta_alpha", "coef_alpha", "Intercept", 0.5), ("beta_alpha", "coef_alpha", "z", 0.8),
    ):  # fmt: skip
        draws = posterior[name].sel({dim: label})
        assert abs(float(draws.mean()) - truth) < 3 * float(draws.std()), (name, label)
    # the stored log-likelihood uses each row's shape
    beta, beta_alpha = posterior["beta"].values, posterior["beta_alpha"].values
    eta = beta[..., :1] + beta[..., 1:2] * x
    shape = np.exp(beta_alpha[..., :1] + beta_alpha[..., 1:2] * z)
    expected = stats.nbinom.logpmf(counts, shape, shape / (shape + np.exp(eta)))
    np.testing.assert_allclose(result["log_likelihood"]["y"].values, expected, rtol=2e-6, atol=2e-6)
