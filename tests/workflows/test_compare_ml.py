"""bayesml.compare with maximum-likelihood fits (MLResult): the shared names, lme4's numbers
(tests/references/ml_references.json), NaN SEs for the variance components, and beside an
h-likelihood fit."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import bayesml

ML = json.loads(
    (Path(__file__).resolve().parents[1] / "references" / "ml_references.json").read_text()
)


@pytest.fixture(scope="module")
def sleep_ml():
    reference = ML["fits"]["sleepstudy_ml"]
    model = bayesml.Model(reference["formula_bayesml"], "sleepstudy")
    return model.fit(method="laplace"), reference


def test_ml_fit_under_the_posterior_names(sleep_ml):
    fit, reference = sleep_ml
    comparison = bayesml.compare(fit, include_random_effects=True)
    assert comparison.names == ("laplace",)
    table = comparison.table
    z = stats.norm.ppf(0.97)
    for label in ("Intercept", "Days"):
        row = table.loc[f"beta[{label}]"]
        estimate, se = reference["fixef"]["estimate"][label], reference["fixef"]["se"][label]
        assert row[("laplace", "estimate")] == pytest.approx(estimate, rel=1e-4)
        assert row[("laplace", "se")] == pytest.approx(se, rel=1e-3)
        assert row[("laplace", "ci_lower")] == pytest.approx(
            row[("laplace", "estimate")] - z * row[("laplace", "se")], rel=1e-12
        )
    for term, sd in reference["sd"]["Subject"].items():
        row = table.loc[f"sd_Subject[{term}]"]
        assert row[("laplace", "estimate")] == pytest.approx(sd, rel=1e-3)
        assert np.isnan(row[("laplace", "se")]) and np.isnan(row[("laplace", "ci_lower")])
    corr = table.loc["corr_Subject[Intercept, Days]"]
    assert corr[("laplace", "estimate")] == pytest.approx(
        reference["corr"]["Subject"]["Intercept:Days"], abs=1e-3
    )
    assert table.loc["sigma", ("laplace", "estimate")] == pytest.approx(
        reference["sigma"], rel=1e-3
    )
    assert "no SE" in table.loc["sigma", "note"]
    u = table.loc["u_Subject[309, Intercept]"]
    assert u[("laplace", "estimate")] == pytest.approx(
        reference["ranef"]["Subject"]["mode"]["Intercept"][1], abs=1e-2
    )
    assert u[("laplace", "se")] == pytest.approx(
        reference["ranef"]["Subject"]["condsd"]["Intercept"][1], rel=1e-3
    )
    assert any("no standard errors" in note for note in comparison.notes)
    kinds = list(dict.fromkeys(comparison.tidy["kind"]))
    assert kinds == ["fixed", "sd", "corr", "family", "random"]


def test_ml_beside_an_h_likelihood_fit():
    model = bayesml.Model("Reaction ~ Days + (Days || Subject)", "sleepstudy")
    ml = model.fit(method="laplace", reml=True)
    hlik = model.fit(method="hlik", tol=1e-10)
    comparison = bayesml.compare(ml, hlik)
    assert comparison.names == ("laplace", "hlik")
    table = comparison.table
    # Gaussian: EQL = REML, so the two agree
    for parameter in (
        "beta[Intercept]",
        "beta[Days]",
        "sd_Subject[Intercept]",
        "sd_Subject[Days]",
        "sigma",
    ):
        assert table.loc[parameter, ("laplace", "estimate")] == pytest.approx(
            table.loc[parameter, ("hlik", "estimate")], rel=1e-3
        )
    assert any(note.startswith("h-likelihood fits:") for note in comparison.notes)


def test_agq_fit_and_a_fit_of_another_model_refused():
    cbpp = bayesml.Model(
        "cbind(incidence, size - incidence) ~ period + (1 | herd)", "cbpp", family="binomial"
    )
    agq = cbpp.fit(method="agq", n_nodes=9)
    laplace = cbpp.fit(method="laplace")
    comparison = bayesml.compare(laplace, agq)
    assert comparison.names == ("laplace", "agq")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        other = bayesml.Model(
            "cbind(incidence, size - incidence) ~ 1 + (1 | herd)", "cbpp", family="binomial"
        ).fit(method="laplace")
    with pytest.raises(bayesml.ArgumentError, match="fits of different models"):
        bayesml.compare(laplace, other)
