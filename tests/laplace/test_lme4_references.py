"""Maximum likelihood against lme4 (tests/references/ml_references.R → ml_references.json).

glmer's Laplace fits of bacteria, cbpp (cbind), epil (an observation-level effect) and grouseticks
(three grouping factors); nAGQ = 25 on bacteria and cbpp; lmer's REML and ML on sleepstudy
(correlated intercepts and slopes), REML on Pastes (nested) and Dyestuff. The references are lme4
at tight bobyqa tolerances; the issue's tolerances: fixed effects to 1e-4, SDs and correlations
to 1e-3 relative, log-likelihoods to 1e-3 (the full one at nAGQ > 1, which lme4's logLik omits
the saturated binomial part of).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import bayesml
from tests.test_references_json import ml_data

ML = json.loads((Path(__file__).parents[1] / "references" / "ml_references.json").read_text())
FITS = ML["fits"]
SLOW = {"grouseticks_laplace"}


def _fit(key: str):
    reference = FITS[key]
    model = bayesml.Model(
        reference["formula_bayesml"], ml_data(reference["data"]), family=reference["family"]
    )
    if reference["family"] == "gaussian":
        return model.fit(method="laplace", reml=bool(reference["REML"]))
    n_nodes = int(reference["nAGQ"])
    if n_nodes == 1:
        return model.fit(method="laplace")
    return model.fit(method="agq", n_nodes=n_nodes)


@pytest.fixture(scope="module")
def fits():
    return {}


def _cached(fits, key):
    if key not in fits:
        fits[key] = _fit(key)
    return fits[key]


PARAMS = [pytest.param(key, marks=pytest.mark.slow) if key in SLOW else key for key in sorted(FITS)]


@pytest.mark.parametrize("key", PARAMS)
def test_fixed_effects_and_standard_errors(fits, key):
    reference, fit = FITS[key], _cached(fits, key)
    estimate = reference["fixef"]["estimate"]
    assert list(fit.fixef.index) == list(estimate)
    np.testing.assert_allclose(fit.fixef["estimate"], list(estimate.values()), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(
        fit.fixef["se"], [reference["fixef"]["se"][k] for k in estimate], rtol=1e-3
    )
    assert fit.converged


@pytest.mark.parametrize("key", PARAMS)
def test_sds_correlations_sigma_and_loglik(fits, key):
    reference, fit = FITS[key], _cached(fits, key)
    varcorr = fit.varcorr
    for group, terms in reference["sd"].items():
        for term, sd in terms.items():
            row = varcorr[(varcorr["group"] == group) & (varcorr["term"] == term)]
            np.testing.assert_allclose(row["sd"].item(), sd, rtol=1e-3)
    for group, pairs in reference["corr"].items():
        for pair, corr in pairs.items():
            row = varcorr[(varcorr["group"] == group) & (varcorr["term"] == pair)]
            np.testing.assert_allclose(row["corr"].item(), corr, rtol=1e-3)
    if reference["sigma"] is not None:
        np.testing.assert_allclose(fit.sigma, reference["sigma"], rtol=1e-4)
    loglik = reference.get("logLik_full") or reference["logLik"]
    np.testing.assert_allclose(fit.loglik, loglik, atol=1e-3)
    assert fit.n_parameters == reference["df"]
    np.testing.assert_allclose(fit.aic - fit.deviance, 2 * reference["df"])
    assert fit.nobs == reference["nobs"] and fit.groups == reference["ngrps"] | fit.groups
    assert fit.is_singular == reference["isSingular"]


@pytest.mark.parametrize("key", PARAMS)
def test_conditional_modes_and_sds(fits, key):
    reference, fit = FITS[key], _cached(fits, key)
    for group, values in reference["ranef"].items():
        for term, modes in values["mode"].items():
            ours = fit.ranef.loc[group].xs(term, level="term").loc[values["levels"]]
            np.testing.assert_allclose(ours["mode"], modes, rtol=2e-3, atol=1e-4)
            np.testing.assert_allclose(ours["sd"], values["condsd"][term], rtol=2e-3)


def test_agq_with_one_node_is_the_laplace_fit():
    data = ml_data("cbpp")
    model = bayesml.Model(
        "cbind(incidence, size - incidence) ~ period + (1 | herd)", data, family="binomial"
    )
    laplace, agq = model.fit(method="laplace"), model.fit(method="agq", n_nodes=1)
    np.testing.assert_allclose(agq.fixef["estimate"], laplace.fixef["estimate"], rtol=1e-7)
    np.testing.assert_allclose(agq.loglik, laplace.loglik, rtol=1e-10)
    assert agq.method == "agq" and agq.n_nodes == 1


def test_summary_and_to_dict_read_like_lme4(fits):
    fit = _cached(fits, "sleepstudy_reml")
    text = str(fit.summary())
    assert text.startswith("Linear mixed model fit by REML")
    assert "REML criterion at convergence: 1743.6" in text
    assert "Number of obs: 180, groups:  Subject, 18" in text
    glmm = str(_cached(fits, "bacteria_laplace").summary())
    assert "maximum likelihood (Laplace Approximation)" in glmm
    assert "Family: binomial  ( logit )" in glmm
    json.dumps(fit.to_dict())
    assert fit.to_dict()["varcorr"][-1]["group"] == "Residual"
