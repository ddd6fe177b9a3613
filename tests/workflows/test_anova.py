"""bayesml.anova: likelihood-ratio tests of nested maximum-likelihood fits against lme4's anova()
(tests/references/anova_references.R writes the JSON), and its refusals."""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import bayesml
from bayesml.errors import ArgumentError, ArgumentTypeError
from bayesml.workflows.anova import COLUMNS, AnovaTable

REFERENCES = json.loads(
    (Path(__file__).resolve().parents[1] / "references" / "anova_references.json").read_text()
)


def _fit(formula, data, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # singular-fit or convergence notes are not tested here
        return bayesml.Model(formula, data).fit(method="laplace", **options)


@pytest.fixture(scope="module")
def sleep_fits():
    formulas = {m["name"]: m["formula"] for m in REFERENCES["sleepstudy_three"]["models"]}
    return {name: _fit(formula, "sleepstudy") for name, formula in formulas.items()}


@pytest.fixture(scope="module")
def cbpp_fits():
    formulas = {m["name"]: m["formula"] for m in REFERENCES["cbpp_laplace"]["models"]}
    return {
        name: bayesml.Model(formula, "cbpp", family="binomial").fit(method="laplace")
        for name, formula in formulas.items()
    }


def _check_against(table: AnovaTable, reference: dict, *, loglik_shift: float = 0.0) -> None:
    np.testing.assert_array_equal(table["npar"], reference["npar"])
    np.testing.assert_allclose(
        table["logLik"], np.array(reference["logLik"]) + loglik_shift, atol=1e-3
    )
    np.testing.assert_allclose(
        table["deviance"], np.array(reference["deviance"]) - 2 * loglik_shift, atol=2e-3
    )
    np.testing.assert_allclose(
        table["AIC"], np.array(reference["AIC"]) - 2 * loglik_shift, atol=2e-3
    )
    np.testing.assert_allclose(
        table["BIC"], np.array(reference["BIC"]) - 2 * loglik_shift, atol=2e-3
    )
    assert np.isnan(table["Chisq"].iloc[0]) and np.isnan(table["Pr(>Chisq)"].iloc[0])
    np.testing.assert_allclose(table["Chisq"].iloc[1:], reference["Chisq"][1:], atol=2e-3)
    np.testing.assert_array_equal(table["Df"].iloc[1:], reference["Df"][1:])
    np.testing.assert_allclose(table["Pr(>Chisq)"].iloc[1:], reference["p"][1:], rtol=1e-3)


def test_sleepstudy_pair_matches_lme4(sleep_fits):
    reference = REFERENCES["sleepstudy_pair"]
    # given in the other order: anova sorts by the number of parameters, as lme4
    table = bayesml.anova(sleep_fits["correlated"], sleep_fits["intercept"])
    assert isinstance(table, AnovaTable)
    assert tuple(table.columns) == COLUMNS
    assert list(table.index) == ["fit2", "fit1"]
    _check_against(table, reference)
    assert table.attrs["models"]["fit2"] == str(sleep_fits["intercept"].description)
    text = repr(table)
    assert text.startswith("Models:\nfit2: ")
    assert "Pr(>Chisq)" in text and "7.072e-10" in text


def test_sleepstudy_three_models_with_names(sleep_fits):
    reference = REFERENCES["sleepstudy_three"]
    table = bayesml.anova(
        [sleep_fits["correlated"], sleep_fits["intercept"], sleep_fits["independent"]],
        names=["correlated", "intercept", "independent"],
    )
    assert list(table.index) == [m["name"] for m in reference["models"]]
    _check_against(table, reference)


def test_cbpp_period_matches_glmer(cbpp_fits):
    reference = REFERENCES["cbpp_laplace"]
    table = bayesml.anova(cbpp_fits["with_period"], cbpp_fits["without_period"])
    _check_against(table, reference)


def test_cbpp_period_at_25_nodes_matches_glmer():
    """nAGQ = 25: bayesml's log-likelihood keeps the binomial constant that lme4's AGQ logLik
    leaves out (the saturated log-likelihood, the same for both fits): the columns differ by it,
    Chisq and p do not."""
    reference = REFERENCES["cbpp_agq25"]
    fits = [
        bayesml.Model(model["formula"], "cbpp", family="binomial").fit(method="agq", n_nodes=25)
        for model in reference["models"]
    ]
    table = bayesml.anova(*fits[::-1])
    _check_against(table, reference, loglik_shift=reference["saturated_logLik"])


def _result(loglik: float, npar: int, nobs: int, description: str, **changes):
    """An MLResult carrying lme4's log-likelihood and number of parameters (the rest unused)."""
    from bayesml.backends.laplace.result import MLResult

    values = {
        "method": "laplace",
        "n_nodes": 1,
        "reml": False,
        "loglik": loglik,
        "n_parameters": npar,
        "nobs": nobs,
        "description": description,
        "family": "gaussian",
        "link": "identity",
        "response": "Reaction",
        "converged": True,
    } | changes
    required = [
        f.name
        for f in dataclasses.fields(MLResult)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    return MLResult(**{name: values.get(name) for name in required})


@pytest.mark.parametrize("key", ["sleepstudy_three", "cbpp_laplace", "cbpp_agq25"])
def test_the_table_arithmetic_is_lme4s(key):
    """With lme4's log-likelihoods and parameter counts, every column is lme4's (to rounding)."""
    reference = REFERENCES[key]
    nobs = 180 if key.startswith("sleepstudy") else 56
    fits = [
        _result(loglik, npar, nobs, model["formula"])
        for loglik, npar, model in zip(
            reference["logLik"], reference["npar"], reference["models"], strict=True
        )
    ]
    names = [model["name"] for model in reference["models"]]
    table = bayesml.anova(*fits[::-1], names=names[::-1])
    assert list(table.index) == names
    np.testing.assert_allclose(table["AIC"], reference["AIC"], rtol=1e-12)
    np.testing.assert_allclose(table["BIC"], reference["BIC"], rtol=1e-12)
    np.testing.assert_allclose(table["deviance"], reference["deviance"], rtol=1e-12)
    np.testing.assert_allclose(table["Chisq"].iloc[1:], reference["Chisq"][1:], rtol=1e-10)
    np.testing.assert_allclose(table["Pr(>Chisq)"].iloc[1:], reference["p"][1:], rtol=1e-8)
    np.testing.assert_array_equal(table["Df"].iloc[1:], reference["Df"][1:])


def test_refusals(sleep_fits):
    fit = sleep_fits["intercept"]
    with pytest.raises(ArgumentError, match="two or more nested maximum-likelihood fits.*got 1"):
        bayesml.anova(fit)
    with pytest.raises(ArgumentError, match="got 0"):
        bayesml.anova()
    hlik = bayesml.Model("Reaction ~ Days + (1 | Subject)", "sleepstudy").fit(method="hlik")
    with pytest.raises(ArgumentTypeError, match=r"fit 2 is an h-likelihood fit.*method='laplace'"):
        bayesml.anova(fit, hlik)
    with pytest.raises(ArgumentTypeError, match=r"fit 1 is a posterior.*arviz_stats.compare"):
        bayesml.anova(xr.DataTree(), fit)
    with pytest.raises(ArgumentTypeError, match="fit 2 is a dict"):
        bayesml.anova(fit, {"loglik": 1.0})
    reml = _fit("Reaction ~ Days + (Days | Subject)", "sleepstudy", reml=True)
    with pytest.raises(
        ArgumentError, match=r"REML.*refit with Model.fit\(method='laplace', reml=False\)"
    ):
        bayesml.anova(fit, reml)
    data = bayesml.datasets.load("sleepstudy")
    fewer = _fit("Reaction ~ Days + (Days | Subject)", data[data["Days"] > 0])
    with pytest.raises(ArgumentError, match=r"numbers of rows differ \(fit1: 180, fit2: 162\)"):
        bayesml.anova(fit, fewer)
    logged = _fit("log(Reaction) ~ Days + (Days | Subject)", "sleepstudy")
    with pytest.raises(ArgumentError, match="different responses"):
        bayesml.anova(fit, logged)
    with pytest.raises(ArgumentError, match="names must be a sequence of 2 names"):
        bayesml.anova(fit, sleep_fits["correlated"], names=["a"])
    with pytest.raises(ArgumentError, match="distinct"):
        bayesml.anova(fit, sleep_fits["correlated"], names=["a", "a"])


def test_same_number_of_parameters_warns_with_df_zero(sleep_fits):
    """Not nested: lme4 prints Df 0 and no p-value; so does anova, with a warning."""
    other = _fit("Reaction ~ 1 + (Days || Subject)", "sleepstudy")  # 4 parameters, as (1 | Subject)
    assert other.n_parameters == sleep_fits["intercept"].n_parameters
    with pytest.warns(UserWarning, match="same number of parameters.*AIC or BIC"):
        table = bayesml.anova(sleep_fits["intercept"], other)
    assert table["Df"].iloc[1] == 0 and np.isnan(table["Pr(>Chisq)"].iloc[1])
    assert table["Chisq"].iloc[1] >= 0.0


def test_anova_is_a_public_lazy_name():
    assert "anova" in bayesml.__all__
    assert bayesml.anova is __import__("bayesml.workflows.anova", fromlist=["anova"]).anova


def test_a_chisq_of_rounding_size_prints_as_zero():
    from bayesml.workflows.anova import _decimals, _shown

    values = np.array([np.nan, 1.2e-11])
    decimals = _decimals(values, "Chisq")
    assert _shown(values[1], "Chisq", decimals) == "0.0000"
    assert _shown(42.139, "Chisq", _decimals(np.array([42.139]), "Chisq")) == "42.139"
