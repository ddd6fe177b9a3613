"""The dispersion defaults: ``Model.fit`` fits the model's own likelihood (``dispersion="auto"``:
φ = 1 for binomial and Poisson, as glmer), ``bayesml.hglm`` keeps R hglm's (φ estimated).

References: hglm 2.2-1 (references.md: bacteria with ``fix.disp = 1`` and with φ estimated, at
the tight fixed point) and lme4's Laplace fits (bacteria in references.md; cbpp below), reproduced
first by the independent Laplace code of ``_glmer_laplace.py``.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bayesml
from bayesml import hglm
from bayesml.datasets import load
from bayesml.errors import SpecError
from tests.hlik._glmer_laplace import glmer_laplace

#: lme4 1.1-31's own output (tests/references/lme4_references.R)
LME4 = json.loads(
    (Path(__file__).resolve().parents[1] / "references" / "lme4_references.json").read_text()
)
TIGHT = 1e-10
BACTERIA = "y ~ week + (1 | ID)"
CBPP = "cbind(incidence, size - incidence) ~ period + (1 | herd)"
PUMP = "S ~ factor(Gr) + (1 | System) + offset(log(t))"

# lme4 1.1 glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial),
# Laplace, at the exact optimum: fixed effects, their SEs from the Hessian of the deviance over
# (β, θ) (lme4's golden values as quoted by other GLMM implementations, and what _glmer_laplace
# gives), herd variance, log-likelihood. The SEs lme4 1.1-31 prints (LME4 below: 0.2312, 0.3032,
# 0.3228, 0.4220) are 0.6-1.3 % smaller.
CBPP_GLMER = {
    "beta": [-1.39853, -0.99232, -1.12866, -1.58032],
    "se": [0.23247, 0.30664, 0.32664, 0.42744],
    "variance": 0.64227**2,
    "loglik": -92.02628,
}


def _bacteria_arrays():
    data = load("bacteria")
    X = np.column_stack([np.ones(len(data)), data["week"].to_numpy(dtype=float)])
    y = (data["y"] == "y").to_numpy(dtype=float)
    return X, y, np.ones(len(data)), pd.factorize(data["ID"])[0]


def _cbpp_arrays():
    data = load("cbpp")
    period = pd.get_dummies(data["period"], drop_first=True).to_numpy(dtype=float)
    X = np.column_stack([np.ones(len(data)), period])
    return (
        X,
        data["incidence"].to_numpy(dtype=float),
        data["size"].to_numpy(dtype=float),
        pd.factorize(data["herd"])[0],
    )


@pytest.fixture(scope="module")
def cbpp_laplace():
    return glmer_laplace(*_cbpp_arrays())


def test_the_laplace_reference_reproduces_glmer():
    bacteria = glmer_laplace(*_bacteria_arrays())
    # references.md: glmer(y ~ week + (1 | ID), bacteria, binomial), Laplace
    np.testing.assert_allclose(bacteria.beta, [2.55486, -0.14369], rtol=1e-4)
    assert bacteria.variance == pytest.approx(1.6545, rel=3e-4)
    assert bacteria.loglik == pytest.approx(-101.1023, abs=1e-3)
    lme4 = LME4["bacteria"]
    np.testing.assert_allclose(bacteria.se, list(lme4["se"].values()), rtol=1e-3)


def test_the_laplace_reference_reproduces_glmer_on_cbpp(cbpp_laplace):
    np.testing.assert_allclose(cbpp_laplace.beta, CBPP_GLMER["beta"], rtol=1e-4)
    np.testing.assert_allclose(cbpp_laplace.se, CBPP_GLMER["se"], rtol=1e-4)
    assert cbpp_laplace.variance == pytest.approx(CBPP_GLMER["variance"], rel=1e-4)
    assert cbpp_laplace.loglik == pytest.approx(CBPP_GLMER["loglik"], abs=1e-4)


# -- Model.fit: the model's own likelihood ------------------------------------------------------
def test_model_fit_of_a_binomial_fixes_phi_at_one_as_hglm_fix_disp_1():
    """references.md, bacteria with fix.disp = 1, "tight": hglm at conv = 1e-10 (26
    iterations), which is still 6e-5 short of the fixed point in λ (1.0262891); hence
    ``convergence="hglm"`` here and the fixed point below."""
    model = bayesml.Model(BACTERIA, "bacteria", family="binomial")
    fit = model.fit(tol=TIGHT, convergence="hglm")
    assert fit.phi.fixed and float(fit.phi) == 1.0
    np.testing.assert_allclose(fit.fixef["estimate"], [2.1251793, -0.1228260], rtol=1e-5)
    assert fit.lambda_values["ID"] == pytest.approx(1.0262271, rel=1e-5)
    np.testing.assert_allclose(
        [fit.hlik, fit.pvh, fit.pbvh, fit.cAIC],
        [-136.18298, -101.68625, -104.40063, 201.58296],
        rtol=1e-5,
    )
    assert "Dispersion parameter held constant at: 1" in str(fit.summary())
    # the default iterates to the fixed point: hglm's rule reaches it at conv = 1e-16 (R's hglm
    # 2.2-1, hglm2(..., fix.disp = 1, conv = 1e-16): λ 1.0262890792 in 45 iterations); the default
    # gets there to 1e-8 in about a dozen
    at_fixed_point = model.fit()
    by_hglm = hglm(BACTERIA, "bacteria", family="binomial", dispersion=1, tol=1e-16, max_iter=100)
    assert at_fixed_point.lambda_values["ID"] == pytest.approx(1.0262891, rel=1e-7)
    np.testing.assert_allclose(
        at_fixed_point.lambda_values["ID"], by_hglm.lambda_values["ID"], rtol=1e-7
    )
    columns = ["estimate", "se"]
    np.testing.assert_allclose(at_fixed_point.fixef[columns], by_hglm.fixef[columns], rtol=1e-7)
    assert at_fixed_point.iterations < 20 < by_hglm.iterations


def test_model_fit_of_cbpp_has_glmers_standard_errors(cbpp_laplace):
    """φ = 1 gives glmer's SEs within 1 % (0.6-1.0 %); hglm's estimated φ (1.80) inflates
    them by up to a third (the period effects: by about √φ, the herd variance being smaller)."""
    fit = bayesml.Model(CBPP, "cbpp", family="binomial").fit(tol=TIGHT)
    assert fit.phi.fixed
    np.testing.assert_allclose(fit.fixef["se"], CBPP_GLMER["se"], rtol=0.0125)
    # EQL's estimates sit within 3 % of the Laplace ones
    np.testing.assert_allclose(fit.fixef["estimate"], cbpp_laplace.beta, rtol=0.03)
    # and within 1 % of the SEs lme4 1.1-31 prints (0.6 % for period4)
    np.testing.assert_allclose(fit.fixef["se"], list(LME4["cbpp"]["se"].values()), rtol=0.01)
    quasi = hglm(CBPP, "cbpp", family="binomial", tol=TIGHT)
    assert float(quasi.phi) == pytest.approx(1.8045, rel=1e-3)
    ratio = quasi.fixef["se"].to_numpy() / np.asarray(CBPP_GLMER["se"])
    assert np.all(ratio[1:] > 1.3) and ratio[0] > 1.04


def test_model_fit_of_a_poisson_fixes_phi_and_matches_hglm_fix_disp_1():
    model = bayesml.Model(PUMP, "pump", family="poisson")
    fit = model.fit(random_family="gamma", tol=TIGHT)
    same = hglm(
        PUMP, "pump", family="poisson", random_family="gamma", dispersion=1, tol=TIGHT,
        convergence="fixed_point",
    )  # fmt: skip
    np.testing.assert_allclose(fit.fixef["estimate"], same.fixef["estimate"], rtol=1e-12)
    # references.md: pump, fix.disp = 1, tight
    assert fit.hlik == pytest.approx(-30.72315, rel=1e-5)


@pytest.mark.parametrize(
    ("formula", "data", "family", "link"),
    [
        ("Reaction ~ Days + (1 | Subject)", "sleepstudy", "gaussian", None),
        ("y ~ x1 + x3 + x5 + x6 + (1 | Device)", "semiconductor", "gamma", "log"),
    ],
)
def test_model_fit_estimates_phi_of_a_family_with_a_dispersion(formula, data, family, link):
    fit = bayesml.Model(formula, data, family=family, link=link).fit()
    same = hglm(formula, data, family=family, link=link, convergence="fixed_point")
    assert not fit.phi.fixed
    np.testing.assert_allclose(fit.fixef["estimate"], same.fixef["estimate"], rtol=1e-12)
    assert float(fit.phi) == float(same.phi)


def test_model_fit_estimate_is_hglms_default():
    """references.md: bacteria, φ estimated, "tight" (hglm at conv = 1e-10: hglm's rule)."""
    model = bayesml.Model(BACTERIA, "bacteria", family="binomial")
    fit = model.fit(dispersion="estimate", tol=TIGHT, convergence="hglm")
    np.testing.assert_allclose(fit.fixef["estimate"], [2.3042973, -0.1352402], rtol=1e-5)
    np.testing.assert_allclose(fit.fixef["se"], [0.336668, 0.041279], atol=5e-7)  # 6 decimals
    assert float(fit.phi) == pytest.approx(0.7577016, rel=1e-5)
    by_hglm = hglm(BACTERIA, "bacteria", family="binomial", tol=TIGHT)
    np.testing.assert_allclose(fit.fixef["se"], by_hglm.fixef["se"], rtol=1e-12)


def test_hglm_takes_model_fits_default_as_auto():
    auto = hglm(
        BACTERIA, "bacteria", family="binomial", dispersion="auto", convergence="fixed_point"
    )
    by_model = bayesml.Model(BACTERIA, "bacteria", family="binomial").fit()
    np.testing.assert_allclose(auto.fixef["se"], by_model.fixef["se"], rtol=1e-12)
    assert auto.phi.fixed


def test_auto_with_a_dispersion_model_estimates_phi():
    model = bayesml.Model(BACTERIA, "bacteria", family="binomial")
    fit = model.fit(dispersion_formula="~ trt")
    assert not fit.phi.fixed and len(fit.phi.coef) == 3  # Intercept and two trt contrasts


def test_dispersion_none_is_estimate_with_a_future_warning():
    with pytest.warns(
        FutureWarning,
        match=r"^dispersion=None is deprecated: it estimates phi \(R hglm's fix.disp = NULL\); "
        r"write dispersion='estimate' for that",
    ) as record:
        fit = bayesml.Model(BACTERIA, "bacteria", family="binomial").fit(dispersion=None)
    assert record[0].filename == __file__
    assert not fit.phi.fixed


def test_model_fit_refuses_an_unknown_dispersion_word():
    model = bayesml.Model(BACTERIA, "bacteria", family="binomial")
    with pytest.raises(
        SpecError,
        match=r"^dispersion must be 'auto' \(the family's own: fixed at 1 for a family without a "
        r"dispersion parameter — bernoulli, binomial, poisson — estimated otherwise\), 'estimate' "
        r".*; got dispersion='fix'$",
    ):
        model.fit(dispersion="fix")


def test_compare_of_a_fit_with_phi_fixed_has_no_quasi_likelihood_note():
    fit = bayesml.Model(BACTERIA, "bacteria", family="binomial").fit()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        comparison = bayesml.compare(fit)
    assert list(comparison.table.index) == ["beta[Intercept]", "beta[week]", "sd_ID[Intercept]"]
    assert not any("quasi-likelihood" in note for note in comparison.notes)
    quasi = bayesml.compare(hglm(BACTERIA, "bacteria", family="binomial"))
    assert any("quasi-likelihood" in note for note in quasi.notes)
