"""What maximum likelihood refuses, and the warnings it gives (issue 13's bad inputs)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayesml
from bayesml.backends.laplace.backend import SingularFitWarning
from bayesml.errors import ArgumentError


@pytest.fixture(scope="module")
def sleep():
    return bayesml.datasets.load("sleepstudy")


def test_a_model_without_random_terms_is_refused(sleep):
    model = bayesml.Model("Reaction ~ Days", sleep)
    with pytest.raises(ArgumentError, match=r"has no random terms: add one, e.g. \(1 \| group\)"):
        model.fit(method="laplace")


@pytest.mark.parametrize("n_nodes", [0, 51, 2.5, True])
def test_n_nodes_outside_1_to_50_is_refused(sleep, n_nodes):
    model = bayesml.Model("Reaction ~ Days + (1 | Subject)", sleep)
    with pytest.raises(ArgumentError, match=r"n_nodes must be an integer from 1 to 50 .*nAGQ"):
        model.fit(method="agq", n_nodes=n_nodes)


def test_laplace_takes_no_n_nodes(sleep):
    model = bayesml.Model("Reaction ~ Days + (1 | Subject)", sleep)
    with pytest.raises(ArgumentError, match=r"method='laplace' has no option 'n_nodes'"):
        model.fit(method="laplace", n_nodes=5)


def test_agq_refuses_crossed_factors_and_more_than_three_terms():
    rng = np.random.default_rng(1)
    data = pd.DataFrame(
        {
            "y": rng.poisson(2.0, 200),
            "a": rng.integers(0, 10, 200).astype(str),
            "b": rng.integers(0, 8, 200).astype(str),
            "x1": rng.normal(size=200),
            "x2": rng.normal(size=200),
            "x3": rng.normal(size=200),
        }
    )
    crossed = bayesml.Model("y ~ 1 + (1 | a) + (1 | b)", data, family="poisson")
    with pytest.raises(
        ArgumentError,
        match=r"one grouping factor .*has 2 \(a, b\): use "
        r"Model.fit\(method='laplace'\)",
    ):
        crossed.fit(method="agq", n_nodes=5)
    wide = bayesml.Model("y ~ 1 + (1 + x1 + x2 + x3 | a)", data, family="poisson")
    with pytest.raises(ArgumentError, match=r"at most 3 random terms per level .*has 4"):
        wide.fit(method="agq", n_nodes=5)


def test_reml_is_for_gaussian_identity_models_only():
    data = bayesml.datasets.load("cbpp")
    model = bayesml.Model(
        "cbind(incidence, size - incidence) ~ period + (1 | herd)", data, family="binomial"
    )
    with pytest.raises(
        ArgumentError,
        match=r"reml=True is for a gaussian response .*family "
        r"'binomial' .*glmer has no REML",
    ):
        model.fit(method="laplace", reml=True)
    with pytest.raises(ArgumentError, match=r"reml must be True or False; got reml='yes'"):
        model.fit(method="laplace", reml="yes")


def test_quadrature_counts_a_categorical_models_effects_per_category():
    data = bayesml.datasets.load("sleepstudy").assign(
        level=lambda d: pd.cut(d["Reaction"], 3, labels=["low", "mid", "high"]).astype(str)
    )
    model = bayesml.Model("level ~ Days + (1 + Days | Subject)", data, family="categorical")
    with pytest.raises(
        ArgumentError,
        match=r"at most 3 random terms per level .*\(Intercept \+ Days \| Subject\) has 4 "
        r"\(one per term and non-reference category: 2 × 2\).*method='laplace'",
    ):
        model.fit(method="agq", n_nodes=5)


def test_a_singular_fit_is_warned_about_naming_the_term():
    rng = np.random.default_rng(3)
    groups = np.repeat(np.arange(20), 10)
    data = pd.DataFrame({"y": rng.normal(size=200), "g": groups.astype(str)})
    model = bayesml.Model("y ~ 1 + (1 | g)", data)
    with pytest.warns(SingularFitWarning, match=r"the SD of \(Intercept \| g\) is estimated at 0"):
        fit = model.fit(method="laplace")
    assert fit.is_singular
    assert "boundary (singular) fit" in str(fit.summary())


def test_non_convergence_is_warned_about_naming_the_stage():
    from bayesml.errors import ConvergenceWarning

    data = bayesml.datasets.load("cbpp")
    model = bayesml.Model(
        "cbind(incidence, size - incidence) ~ period + (1 | herd)", data, family="binomial"
    )
    with pytest.warns(
        ConvergenceWarning,
        match=r"maximum likelihood: the second stage did not converge .*raise max_evaluations",
    ):
        fit = model.fit(method="laplace", max_evaluations=10)
    assert not fit.converged
    assert "Optimiser did not converge" in str(fit.summary())


def test_a_correlation_at_one_is_a_singular_fit():
    rng = np.random.default_rng(5)
    groups = np.repeat(np.arange(12), 15)
    x = rng.normal(size=groups.size)
    intercepts = rng.normal(size=12)
    y = 1 + 0.5 * x + intercepts[groups] * (1 + 0.5 * x) + rng.normal(size=groups.size) * 0.5
    data = pd.DataFrame({"y": y, "x": x, "g": groups.astype(str)})
    with pytest.warns(
        SingularFitWarning,
        match=r"covariance matrix of \(Intercept \+ x \| g\) "
        r"is singular \(a correlation at ±1\)",
    ):
        fit = bayesml.Model("y ~ x + (1 + x | g)", data).fit(method="laplace")
    assert fit.is_singular
    assert fit.varcorr["corr"].dropna().item() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("options", "hint"),
    [
        ({"REML": True}, r"write reml=True for lme4's REML = TRUE$"),
        ({"nAGQ": 25}, r"write Model.fit\(method='agq', n_nodes=\.\.\.\) for lme4's nAGQ$"),
        (
            {"control": {}},
            r"write tol= and max_evaluations= \(the optimiser is scipy's L-BFGS-B\)$",
        ),
    ],
)
def test_lme4_argument_names_get_bayesmls(sleep, options, hint):
    model = bayesml.Model("Reaction ~ Days + (1 | Subject)", sleep)
    with pytest.raises(ArgumentError, match=rf"^method='laplace' has no option .*; {hint}"):
        model.fit(method="laplace", **options)
