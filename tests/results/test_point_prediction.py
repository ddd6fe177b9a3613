"""Point predictions of point fits (``Model.predict`` with an h-likelihood fit; the results layer's
``predict_point`` with hand-made estimates), checked against hand computation."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

import bayesml
from bayesml.errors import ArgumentError, ArgumentTypeError, DataError, FamilyError
from bayesml.results.point import PointEstimates
from bayesml.results.point_prediction import predict_point

Z95 = stats.norm.ppf(0.975)


@pytest.fixture(scope="module")
def sleep():
    """sleepstudy with an intercept and a slope per subject (independent: hlik's fit)."""
    model = bayesml.Model("Reaction ~ Days + (Days || Subject)", "sleepstudy")
    return model, model.fit(method="hlik")


@pytest.fixture(scope="module")
def bacteria():
    model = bayesml.Model("y ~ week + (1 | ID)", "bacteria", family="binomial")
    return model, model.fit(method="hlik")


def _hand_eta(model, fit, frame):
    """Xβ + b0[subject] + Days·b1[subject] from the fit's fixef and ranef tables."""
    beta = fit.fixef["estimate"]
    b0 = fit.ranef.loc["Subject|Intercept", "estimate"]
    b1 = fit.ranef.loc["Subject|Days", "estimate"]
    subject = frame["Subject"].astype(str)
    return (
        beta["Intercept"]
        + beta["Days"] * frame["Days"].to_numpy()
        + b0.reindex(subject).fillna(0.0).to_numpy()
        + frame["Days"].to_numpy() * b1.reindex(subject).fillna(0.0).to_numpy()
    )


def test_hlik_point_estimates_in_the_design_layout(sleep):
    model, fit = sleep
    estimates = fit.point_estimates()
    block = model.design.random[0]
    assert estimates.random["Subject"].shape == (len(block.levels), 2)
    np.testing.assert_allclose(
        estimates.random["Subject"][:, 1],
        fit.ranef.loc["Subject|Days", "estimate"].loc[list(block.levels)],
    )
    np.testing.assert_allclose(np.sqrt(np.diag(estimates.beta_cov)), fit.fixef["se"], rtol=1e-12)
    np.testing.assert_allclose(estimates.beta_cov, estimates.beta_cov.T)
    assert estimates.family_parameters["sigma"] == pytest.approx(np.sqrt(float(fit.phi)))


def test_linear_predictions_of_the_fitted_rows(sleep):
    model, fit = sleep
    out = model.predict(fit, kind="linear")
    data = model.data
    assert list(out.columns) == ["estimate", "se", "lower", "upper"]
    assert out.index.equals(model.design.row_labels)
    np.testing.assert_allclose(out["estimate"], _hand_eta(model, fit, data), rtol=1e-10)
    np.testing.assert_allclose(out["estimate"], fit.linear_predictor, rtol=1e-10)
    X = np.column_stack([np.ones(len(data)), data["Days"]])
    se = np.sqrt(np.einsum("ij,jk,ik->i", X, fit.beta_cov, X))
    np.testing.assert_allclose(out["se"], se, rtol=1e-10)
    np.testing.assert_allclose(out["lower"], out["estimate"] - Z95 * se, rtol=1e-10)
    np.testing.assert_allclose(out["upper"], out["estimate"] + Z95 * se, rtol=1e-10)
    assert out.attrs == {"kind": "linear", "interval": "95% Wald"}
    mean = model.predict(fit)  # identity link: the mean is η
    np.testing.assert_allclose(mean.to_numpy(), out.to_numpy(), rtol=1e-12)


def test_new_rows_and_new_levels(sleep):
    model, fit = sleep
    new = pd.DataFrame({"Days": [0.0, 4.0, 9.0], "Subject": ["308", "999", 372]})
    new.index = ["a", "b", "c"]
    out = model.predict(fit, new, kind="linear")
    assert list(out.index) == ["a", "b", "c"]
    np.testing.assert_allclose(out["estimate"], _hand_eta(model, fit, new), rtol=1e-10)
    beta = fit.fixef["estimate"]
    # the unseen subject 999: population line, as lme4's allow.new.levels = TRUE
    assert out.loc["b", "estimate"] == pytest.approx(beta["Intercept"] + 4 * beta["Days"])
    population = model.predict(fit, new[["Days"]], include_random_effects=False)
    np.testing.assert_allclose(
        population["estimate"], beta["Intercept"] + beta["Days"] * new["Days"], rtol=1e-12
    )
    np.testing.assert_allclose(population["se"], out["se"], rtol=1e-12)
    fitted_population = model.predict(fit, include_random_effects=False)
    np.testing.assert_allclose(
        fitted_population["estimate"],
        beta["Intercept"] + beta["Days"] * model.data["Days"],
        rtol=1e-12,
    )


def test_binomial_mean_by_the_delta_method(bacteria):
    model, fit = bacteria
    eta = model.predict(fit, kind="linear")
    mean = model.predict(fit, kind="mean")
    np.testing.assert_allclose(eta["estimate"], fit.linear_predictor, rtol=1e-10)
    p = special.expit(eta["estimate"])
    np.testing.assert_allclose(mean["estimate"], p, rtol=1e-12)
    np.testing.assert_allclose(mean["estimate"], fit.fitted, rtol=1e-10)
    np.testing.assert_allclose(mean["se"], p * (1 - p) * eta["se"], rtol=1e-10)
    # the interval of η, transformed (it stays inside (0, 1))
    np.testing.assert_allclose(mean["lower"], special.expit(eta["lower"]), rtol=1e-12)
    np.testing.assert_allclose(mean["upper"], special.expit(eta["upper"]), rtol=1e-12)


def test_gamma_random_effects_and_offsets():
    """pump: Poisson with log(t) offset and gamma effects; v = log u enters η, a new system
    gets v at the mean of u (log 1 = 0)."""
    model = bayesml.Model(
        "S ~ factor(Gr) + (1 | System) + offset(log(t))",
        "pump",
        family="poisson",
        random_family="gamma",
    )
    fit = model.fit(method="hlik")
    estimates = fit.point_estimates()
    np.testing.assert_allclose(
        estimates.random["System"][:, 0],
        np.log(fit.ranef.loc["System", "estimate"].to_numpy()),
        rtol=1e-10,
    )
    mean = model.predict(fit)
    np.testing.assert_allclose(mean["estimate"], fit.fitted, rtol=1e-10)
    new = model.data.iloc[[0]].assign(System="new")
    out = model.predict(fit, new, kind="linear")
    x = model.design.fixed.transform(new)[0]
    expected = x @ fit.fixef["estimate"].to_numpy() + np.log(new["t"].iloc[0])
    assert out["estimate"].iloc[0] == pytest.approx(expected, rel=1e-12)


def test_inverse_gamma_inverse_effects_sit_at_one_for_new_levels():
    """inverse_gamma(inverse): v(E u) = 1/1 = 1, the shift the posterior path adds too."""
    data = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "x": [0.0, 1.0, 2.0, 3.0], "g": list("aabb")})
    model = bayesml.Model(
        "y ~ x + (1 | g)", data, family="gamma", link="inverse", random_family="inverse_gamma"
    )
    assert model.design.random[0].random_family.v_at_mean == 1.0
    estimates = PointEstimates(
        beta=np.array([0.5, 0.1]),
        beta_cov=np.diag([0.01, 0.001]),
        random={"g": np.array([[0.9], [1.2]])},
    )
    new = pd.DataFrame({"x": [1.0, 1.0], "g": ["b", "zz"]})
    out = predict_point(model.design, model.family, estimates, new, kind="linear")
    np.testing.assert_allclose(out["estimate"], [0.6 + 1.2, 0.6 + 1.0])
    population = predict_point(
        model.design,
        model.family,
        estimates,
        new[["x"]],
        kind="linear",
        include_random_effects=False,
    )
    np.testing.assert_allclose(population["estimate"], [1.6, 1.6])


def test_lognormal_mean_uses_the_family_mean():
    """E y = exp(μ + σ²/2); its se is E y · se(η) (dE/dη = E y), by the numerical derivative."""
    rng = np.random.default_rng(3)
    data = pd.DataFrame({"x": rng.normal(size=20), "g": np.repeat(list("abcd"), 5)})
    data["y"] = np.exp(0.5 + 0.3 * data["x"] + rng.normal(scale=0.4, size=20))
    model = bayesml.Model("y ~ x + (1 | g)", data, family="lognormal")
    cov = np.array([[0.02, 0.003], [0.003, 0.01]])
    estimates = PointEstimates(
        beta=np.array([0.5, 0.3]),
        beta_cov=cov,
        random={"g": np.array([[0.1], [-0.2], [0.05], [0.0]])},
        family_parameters={"sigma": 0.4},
    )
    new = pd.DataFrame({"x": [0.0, 1.5], "g": ["b", "new"]})
    out = predict_point(model.design, model.family, estimates, new, kind="mean")
    eta = np.array([0.5 - 0.2, 0.5 + 0.45])
    expected = np.exp(eta + 0.4**2 / 2)
    X = np.array([[1.0, 0.0], [1.0, 1.5]])
    se_eta = np.sqrt(np.einsum("ij,jk,ik->i", X, cov, X))
    np.testing.assert_allclose(out["estimate"], expected, rtol=1e-12)
    np.testing.assert_allclose(out["se"], expected * se_eta, rtol=1e-8)
    np.testing.assert_allclose(out["lower"], np.exp(eta - Z95 * se_eta + 0.08), rtol=1e-12)
    # a sigma per fitted row (a formula) does not extend to new rows
    per_row = dataclasses.replace(estimates, family_parameters={"sigma": np.full(20, 0.4)})
    with pytest.raises(DataError, match="sigma, which has a formula"):
        predict_point(model.design, model.family, per_row, new, kind="mean")
    fitted = predict_point(model.design, model.family, per_row, kind="mean")
    assert len(fitted) == 20
    linear = predict_point(model.design, model.family, per_row, new, kind="linear")
    np.testing.assert_allclose(linear["estimate"], eta, rtol=1e-12)


def test_point_predictions_refuse_bad_requests(sleep):
    model, fit = sleep
    with pytest.raises(ArgumentError, match="kind='response' draws new observations.*kind='mean'"):
        model.predict(fit, kind="response")
    with pytest.raises(ArgumentError, match=r"kind must be one of \['linear', 'mean'\].*'eta'"):
        model.predict(fit, kind="eta")
    with pytest.raises(ArgumentTypeError, match="new_data must be a pandas DataFrame; got dict"):
        model.predict(fit, {"Days": [1]})
    with pytest.raises(ArgumentTypeError, match="include_random_effects must be True or False"):
        model.predict(fit, include_random_effects="no")
    other = bayesml.Model("Reaction ~ 1 + (1 | Subject)", "sleepstudy")
    with pytest.raises(ArgumentError, match="does not belong to this model.*1 fixed-effect"):
        other.predict(fit)
    with pytest.raises(ArgumentError, match=r"refit it with Model.fit\(method='hlik'\)"):
        model.predict(dataclasses.replace(fit, beta_cov=None))
    with pytest.raises(DataError, match="Days"):
        model.predict(fit, pd.DataFrame({"Subject": ["308"]}))


def test_ordinal_mean_is_refused_and_linear_predicted():
    data = bayesml.datasets.load("wine")
    model = bayesml.Model("rating ~ temp + (1 | judge)", data, family="cumulative")
    p = model.design.fixed.matrix.shape[1]
    levels = len(model.design.random[0].levels)
    estimates = PointEstimates(
        beta=np.full(p, 0.5), beta_cov=np.eye(p) * 0.01, random={"judge": np.zeros((levels, 1))}
    )
    with pytest.raises(FamilyError, match="category probabilities.*kind='linear'"):
        predict_point(model.design, model.family, estimates, kind="mean")
    linear = predict_point(model.design, model.family, estimates, kind="linear")
    np.testing.assert_allclose(linear["estimate"], model.design.fixed.matrix @ np.full(p, 0.5))


@pytest.mark.slow
def test_point_prediction_agrees_with_the_posterior(sleep):
    """NUTS under the default (weakly informative, data-scaled) priors on sleepstudy: the
    posterior mean of η of new and fitted rows is close to the h-likelihood prediction, within
    a fraction of its posterior sd, and the standard errors are of the same size."""
    model, fit = sleep
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        posterior = model.sample(draws=1000, tune=1000, chains=2, random_seed=11)
    new = pd.DataFrame({"Days": [0.0, 4.5, 9.0, 2.0], "Subject": ["308", "335", "372", "999"]})
    draws = model.predict(posterior, new, kind="linear", random_seed=1)
    point = model.predict(fit, new, kind="linear")
    mean = draws.mean(("chain", "draw")).to_numpy()
    sd = draws.std(("chain", "draw")).to_numpy()
    assert np.all(np.abs(mean - point["estimate"].to_numpy()) < 0.35 * sd)
    population = model.predict(posterior, new, kind="linear", include_random_effects=False)
    point_population = model.predict(fit, new, kind="linear", include_random_effects=False)
    population_sd = population.std(("chain", "draw")).to_numpy()
    np.testing.assert_allclose(point_population["se"], population_sd, rtol=0.25)
    assert np.all(
        np.abs(population.mean(("chain", "draw")).to_numpy() - point_population["estimate"])
        < 0.2 * population_sd
    )
