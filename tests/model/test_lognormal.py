"""The lognormal family end to end: a family added in families/ and the NUTS translation table.

log y ~ N(η, σ²) with the default priors of a gaussian model of log y, so the lognormal model of y
and the gaussian model of log y have the same posterior (their likelihoods differ by the constant
Jacobian −Σ log y) and LOO sees densities of y that differ by exactly that Jacobian.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayesml
from bayesml.errors import FamilyError

TRUE = {"Intercept": 1.0, "x": 0.5, "sd_g": 0.4, "sigma": 0.3}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(20261207)
    groups, per_group = 25, 12
    g = np.repeat(np.arange(groups), per_group)
    x = rng.normal(size=g.size)
    u = rng.normal(0.0, TRUE["sd_g"], groups)
    log_y = TRUE["Intercept"] + TRUE["x"] * x + u[g] + rng.normal(0.0, TRUE["sigma"], g.size)
    return pd.DataFrame({"y": np.exp(log_y), "log_y": log_y, "x": x, "g": g.astype(str)})


@pytest.fixture(scope="module")
def fits(data):
    kwargs = dict(draws=400, tune=400, chains=2, random_seed=11, check=False)
    lognormal = bayesml.Model("y ~ x + (1 | g)", data, family="lognormal")
    gaussian = bayesml.Model("log_y ~ x + (1 | g)", data, random_effects="sampled")
    return {
        "lognormal_model": lognormal,
        "lognormal": lognormal.sample(**kwargs),
        "gaussian": gaussian.sample(**kwargs),
    }


def test_defaults_are_the_gaussian_defaults_on_log_y(data):
    lognormal = bayesml.Model("y ~ x + (1 | g)", data, family="lognormal")
    gaussian = bayesml.Model("log_y ~ x + (1 | g)", data)
    assert lognormal.priors.intercept == gaussian.priors.intercept
    assert lognormal.priors.fixed == gaussian.priors.fixed
    assert lognormal.priors.sd == gaussian.priors.sd
    assert lognormal.priors.aux == gaussian.priors.aux
    assert "Family:  lognormal (link: identity)" in lognormal.describe()


def test_recovers_the_simulated_parameters(fits):
    posterior = fits["lognormal"]["posterior"]
    estimates = {
        "Intercept": float(posterior["beta"].sel(coef="Intercept").mean()),
        "x": float(posterior["beta"].sel(coef="x").mean()),
        "sd_g": float(posterior["sd_g"].mean()),
        "sigma": float(posterior["sigma"].mean()),
    }
    tolerances = {"Intercept": 0.25, "x": 0.06, "sd_g": 0.15, "sigma": 0.04}
    for name, value in estimates.items():
        assert abs(value - TRUE[name]) < tolerances[name], (name, value)


def test_same_posterior_as_a_gaussian_model_of_log_y(fits):
    for name in ("beta", "sd_g", "sigma"):
        ours, theirs = fits["lognormal"]["posterior"][name], fits["gaussian"]["posterior"][name]
        sd = theirs.std(("chain", "draw"))
        gap = np.abs(ours.mean(("chain", "draw")) - theirs.mean(("chain", "draw"))) / sd
        assert float(gap.max()) < 0.25, name


def test_log_likelihood_is_a_density_of_y(fits, data):
    model, result = fits["lognormal_model"], fits["lognormal"]
    posterior = result["posterior"]
    eta = bayesml.results.linear_predictor_draws(
        posterior,
        model.design.fixed.matrix,
        [(b.name, b.term_matrix, b.group_index) for b in model.design.random],
    )
    sigma = posterior["sigma"].values[..., None]
    log_y = np.log(data["y"].to_numpy())
    expected = -0.5 * ((log_y - eta) / sigma) ** 2 - np.log(sigma * np.sqrt(2 * np.pi)) - log_y
    # stored as float32
    np.testing.assert_allclose(result["log_likelihood"]["y"].values, expected, rtol=1e-6)


def test_mean_predictions_are_exp_mu_plus_half_sigma_squared(fits):
    model, result = fits["lognormal_model"], fits["lognormal"]
    linear = model.predict(result, kind="linear")
    mean = model.predict(result, kind="mean")
    sigma = result["posterior"]["sigma"]
    np.testing.assert_allclose(mean.values, np.exp(linear + sigma**2 / 2).values, rtol=1e-12)
    draws = model.predict(result, kind="response", random_seed=1)
    assert (draws.values > 0).all()


def test_a_non_positive_response_is_refused(data):
    with pytest.raises(
        bayesml.DataError, match=r"response 'y' must be positive \(y > 0\) for family 'lognormal'"
    ):
        bayesml.Model("y ~ x", data.assign(y=data["y"] - 3.0), family="lognormal")


@pytest.mark.parametrize(
    ("call", "method"),
    [(lambda m: m.sample(method="gibbs", draws=5, tune=5, chains=1), "gibbs"),
     (lambda m: m.fit(method="hlik"), "hlik")],
)  # fmt: skip
def test_gibbs_and_hlik_refuse_it_and_point_to_nuts_and_ml(data, call, method):
    model = bayesml.Model("y ~ x + (1 | g)", data, family="lognormal")
    with pytest.raises(
        FamilyError,
        match=rf"^method='{method}' .* does not support family 'lognormal' with the identity "
        r"link; it supports .*; use Model.sample\(method='nuts'\) or Model.fit\(method='laplace'\) "
        r"or Model.fit\(method='agq'\)$",
    ):
        call(model)
