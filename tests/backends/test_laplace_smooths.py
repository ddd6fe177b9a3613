"""Smooth terms fitted by maximum likelihood (``Model.fit(method="laplace")``) against gamm4.

gamm4 fits a GAMM as a mixed model: each smooth's penalised part is one lme4 random effect with
ONE variance (θ² I, one θ per smooth), its null space fixed effects. The references
(tests/references/gamm4_references.R → gamm4_references.json) are gamm4's glmer fit of the
Poisson cr model (its ``tight_refit``: lme4's Laplace deviance minimised again at tight
tolerances, the optimum to ~1e-9) and the lmer REML fit of the Gaussian cr model. Issue 14's
tolerances: smoothing SDs 1e-3 relative, the smooths at the 25-point grids within 1 % of gamm4's
standard errors.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bayesml
from bayesml.backends.laplace.backend import SingularFitWarning
from bayesml.backends.laplace.objective import LaplaceDeviance
from bayesml.backends.laplace.problem import MLProblem
from bayesml.errors import ArgumentError

REFERENCES = json.loads(
    (Path(__file__).parents[1] / "references" / "gamm4_references.json").read_text()
)
FITS = REFERENCES["fits"]
DATA = pd.DataFrame(REFERENCES["data"])
SMOOTHS = ("s(x0)", "s(x2)")


def _model(key: str) -> bayesml.Model:
    reference = FITS[key]
    return bayesml.Model(reference["formula_bayesml"], DATA, family=reference["family"])


@pytest.fixture(scope="module")
def poisson():
    model = _model("poisson_cr")
    with warnings.catch_warnings():
        warnings.simplefilter("error", SingularFitWarning)
        return model, model.fit(method="laplace")


@pytest.fixture(scope="module")
def gaussian_reml():
    model = _model("gaussian_cr")
    return model, model.fit(method="laplace", reml=True)


def _sds(fit) -> dict[str, float]:
    varcorr = fit.varcorr.set_index(["group", "term"])["sd"]
    return {group: float(varcorr[(group, term)]) for group, term in varcorr.index}


def smooth_at_grid(model: bayesml.Model, fit, label: str) -> tuple[np.ndarray, np.ndarray]:
    """The smooth term alone (null-space part plus Xr b) at the reference grid, other
    covariates at their typical values, and its SE from ``fit.smooth_cov`` (mgcv's Vp)."""
    grid = FITS["poisson_cr"]["smooth_grid"][label]  # every fit uses the same grid
    frame = pd.DataFrame(
        {name: np.full(len(grid["x"]), value) for name, value in REFERENCES["typical"].items()}
    )
    frame[grid["covariate"]] = grid["x"]
    (smooth,) = [s for s in model.design.smooths if s.label == label]
    fixed, (random,) = smooth.transform(frame)
    vector = pd.DataFrame(0.0, index=frame.index, columns=fit.smooth_cov.columns)
    vector[list(smooth.fixed_labels)] = fixed
    vector[[f"{label}[b{j + 1}]" for j in range(random.shape[1])]] = random
    modes = [
        pd.Series(
            fit.ranef.loc[name]["mode"].to_numpy(),
            index=[f"{name}[{term}]" for term in fit.ranef.loc[name].index.get_level_values(1)],
        )
        for name in fit.smooths
    ]
    coefficients = pd.concat([fit.fixef["estimate"], *modes])
    values = vector.to_numpy() @ coefficients[vector.columns].to_numpy()
    covariance = fit.smooth_cov.to_numpy()
    se = np.sqrt(np.einsum("ij,jk,ik->i", vector.to_numpy(), covariance, vector.to_numpy()))
    return values, se


# -- the Poisson cr model against glmer (gamm4) --------------------------------------------------
def test_poisson_smoothing_sds_and_random_sd_match_gamm4_to_1e3(poisson):
    _, fit = poisson
    tight = FITS["poisson_cr"]["tight_refit"]
    sds = _sds(fit)
    for label in SMOOTHS:
        assert sds[label] == pytest.approx(tight["sd_smooth"][label], rel=1e-3)
    assert sds["g"] == pytest.approx(tight["sd_random"]["g"]["Intercept"], rel=1e-3)


def test_poisson_loglik_df_and_fixed_effects_match_gamm4(poisson):
    _, fit = poisson
    reference = FITS["poisson_cr"]
    tight = reference["tight_refit"]
    assert fit.loglik == pytest.approx(tight["logLik"], abs=1e-4)
    assert fit.n_parameters == reference["df"]  # one variance per smooth: 4 β + 3 θ
    estimates = fit.fixef["estimate"]
    assert estimates["Intercept"] == pytest.approx(tight["fixef_mer"]["(Intercept)"], abs=1e-4)
    assert estimates["z"] == pytest.approx(tight["fixef_mer"]["z"], abs=1e-4)
    for label in SMOOTHS:  # the null-space column is an eigenvector: its sign is LAPACK's
        ours = abs(estimates[f"{label}_fixed1"])
        assert ours == pytest.approx(abs(tight["fixef_mer"][f"{label}Fx1"]), abs=1e-4)
    ses = fit.fixef["se"]
    assert ses["Intercept"] == pytest.approx(reference["se_mer"]["(Intercept)"], rel=1e-2)
    assert ses["z"] == pytest.approx(reference["se_mer"]["z"], rel=1e-2)


@pytest.mark.parametrize("label", SMOOTHS)
def test_poisson_smooths_at_the_grid_within_one_percent_of_gamm4s_se(poisson, label):
    model, fit = poisson
    grid = FITS["poisson_cr"]["smooth_grid"][label]
    values, se = smooth_at_grid(model, fit, label)
    reference_se = np.asarray(grid["se"])
    assert np.max(np.abs(values - np.asarray(grid["fit"])) / reference_se) < 0.01
    np.testing.assert_allclose(se, reference_se, rtol=0.01)


def test_summary_prints_one_sd_row_per_smooth(poisson):
    _, fit = poisson
    varcorr = fit.varcorr
    for label in SMOOTHS:
        rows = varcorr[varcorr["group"] == label]
        assert list(rows["term"]) == ["(smooth)"]
    assert fit.smooths == {"s(x0)": 8, "s(x2)": 8}
    assert fit.groups == {"g": 30}
    assert fit.theta.size == 3
    text = str(fit.summary())
    assert "s(x0)  (smooth)" in text and "s(x2)  (smooth)" in text
    assert "Number of obs: 600, groups:  g, 30" in text
    assert "Smooth terms (penalised coefficients): s(x0), 8; s(x2), 8" in text
    assert not fit.linear_smooths and not fit.is_singular


# -- the Gaussian cr model by REML against lmer (gamm4) ----------------------------------------
def test_gaussian_reml_sds_sigma_and_criterion_match_gamm4(gaussian_reml):
    _, fit = gaussian_reml
    reference = FITS["gaussian_cr"]
    sds = _sds(fit)
    for label in SMOOTHS:
        assert sds[label] == pytest.approx(reference["sd_smooth"][label], rel=1e-3)
    assert sds["g"] == pytest.approx(reference["sd_random"]["g"]["Intercept"], rel=1e-3)
    assert fit.sigma == pytest.approx(reference["sigma"], rel=1e-4)
    assert fit.loglik == pytest.approx(reference["logLik"], abs=1e-4)


@pytest.mark.parametrize("label", SMOOTHS)
def test_gaussian_reml_smooths_at_the_grid_within_one_percent_of_gamm4s_se(gaussian_reml, label):
    model, fit = gaussian_reml
    grid = FITS["gaussian_cr"]["smooth_grid"][label]
    values, se = smooth_at_grid(model, fit, label)
    reference_se = np.asarray(grid["se"])
    assert np.max(np.abs(values - np.asarray(grid["fit"])) / reference_se) < 0.01
    np.testing.assert_allclose(se, reference_se, rtol=0.01)


# -- a smooth at its bound, quadrature, the exact gradient -------------------------------------
def _linear_data(seed: int = 1) -> pd.DataFrame:
    """y linear in x (its smooth's REML SD is at 0 for this seed), count smooth in x."""
    rng = np.random.default_rng(seed)
    n, groups = 300, 15
    g = rng.integers(0, groups, n)
    x = rng.uniform(0, 1, n)
    y = 1.0 + 2.0 * x + rng.normal(0, 0.7, groups)[g] + rng.normal(0, 0.5, n)
    count = rng.poisson(np.exp(0.3 + np.sin(2 * np.pi * x) + rng.normal(0, 0.3, groups)[g]))
    return pd.DataFrame({"y": y, "count": count, "x": x, "g": g.astype(str)})


def test_a_smooth_at_sd_zero_is_a_linear_fit_not_a_singular_fit():
    model = bayesml.Model('y ~ s(x, bs="cr", k=8) + (1 | g)', _linear_data())
    with warnings.catch_warnings():
        warnings.simplefilter("error", SingularFitWarning)
        fit = model.fit(method="laplace", reml=True)
    assert fit.linear_smooths == ("s(x)",)
    assert not fit.is_singular
    assert _sds(fit)["s(x)"] < 1e-4
    assert "s(x): SD estimated at 0 (not a singular fit)" in str(fit.summary())
    assert "reduced to its penalty's null space, a linear fit" in str(fit.summary())


def test_agq_refuses_a_smooth_naming_the_reason():
    model = bayesml.Model('count ~ s(x, bs="cr", k=8) + (1 | g)', _linear_data(), family="poisson")
    with pytest.raises(
        ArgumentError,
        match=r"quadrature cannot fit smooth terms: the penalised part of s\(x\) is one random "
        r"effect of 6 dimensions.*single scalar random effect per group.*method='laplace'",
    ):
        model.fit(method="agq", n_nodes=5)


def test_exact_gradient_with_a_smooth_block_equals_central_differences():
    model = bayesml.Model('count ~ s(x, bs="cr", k=8)', _linear_data(), family="poisson")
    problem = MLProblem.of(model._inputs)
    (block,) = problem.random.covariance.blocks
    assert block.shared and block.n_theta == 1
    deviance = LaplaceDeviance(problem, joint=True, beta_start=problem.start_beta())
    assert deviance.has_gradient
    x = np.concatenate([[0.6], problem.start_beta() + 0.05])
    _, gradient = deviance.value_and_gradient(x)
    differences = np.empty_like(x)
    for position in range(x.size):
        step = np.zeros_like(x)
        step[position] = 1e-5
        differences[position] = (deviance(x + step) - deviance(x - step)) / 2e-5
    np.testing.assert_allclose(gradient, differences, rtol=1e-6, atol=1e-5)


def test_compare_names_a_smooths_sd_as_the_posterior_does(poisson):
    _, fit = poisson
    parameters = set(bayesml.compare(fit).table.index)
    assert {"sd_s(x0)", "sd_s(x2)", "sd_g[Intercept]"} <= parameters
    assert not any(name.startswith("sd_s(x0)[") for name in parameters)
