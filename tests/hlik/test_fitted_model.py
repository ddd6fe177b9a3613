"""A fit says what it fitted: correlated terms fitted as independent blocks warn and show the
model fitted; an EQL1 fit that is the EQL fit says why; ``hglm`` takes R hglm's ``fixed=`` and
``random=``; the estimation method is ``estimation=`` everywhere."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import bayesml
from bayesml import hglm
from bayesml.backends.hlik import fit_hlik
from bayesml.design import build_design
from bayesml.errors import (
    ArgumentError,
    ArgumentTypeError,
    ConvergenceWarning,
    ModelChangeWarning,
    SpecError,
)
from bayesml.families import get_family
from bayesml.formula import parse_formula

SLEEP = "Reaction ~ Days + (Days | Subject)"
SLEEP_FITTED = "Reaction ~ Days + (1 + Days || Subject)"
CORRELATED_WARNING = (
    r"^the h-likelihood backend fits no correlated random effects: \(1 \+ Days \| Subject\) was "
    r"fitted as \(1 \| Subject\) \+ \(0 \+ Days \| Subject\), independent effects each with its "
    r"own lambda \(lme4's \(1 \+ Days \|\| Subject\)\); the summary shows the model fitted\. "
    r"Write \(1 \+ Days \|\| Subject\) to fit it without this warning, or sample the correlated "
    r"model with Model\.sample\(\)$"
)
BACTERIA = "y ~ week + (1 | ID)"
SEMICONDUCTOR = "y ~ x1 + x3 + x5 + x6 + (1 | Device)"


def _quiet(call):
    """``call()`` with every warning an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return call()


# -- correlated random terms ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "fit",
    [
        lambda: bayesml.Model(SLEEP, "sleepstudy").fit(method="hlik"),
        lambda: hglm(SLEEP, "sleepstudy"),
    ],
    ids=["Model.fit", "hglm"],
)
def test_a_correlated_term_warns_and_the_summary_shows_the_model_fitted(fit):
    with pytest.warns(ModelChangeWarning, match=CORRELATED_WARNING) as record:
        result = fit()
    assert len(record) == 1 and record[0].filename == __file__  # the user's line
    assert result.description == SLEEP_FITTED
    assert result.notes == (
        "(1 + Days | Subject) was fitted as (1 + Days || Subject) = (1 | Subject) + "
        "(0 + Days | Subject): independent effects, each with its own lambda (the h-likelihood "
        "backend fits no correlations)",
    )
    lines = str(result.summary()).splitlines()
    assert lines[:4] == [
        "Call:",
        f"  {SLEEP_FITTED}",
        "  family = gaussian(identity); random families: Subject: gaussian(identity); "
        "estimation = EQL",
        f"Note: {result.notes[0]}",
    ]
    assert result.to_dict()["notes"] == list(result.notes)


def test_independent_terms_fit_the_same_model_without_a_warning():
    with pytest.warns(ModelChangeWarning):
        correlated = hglm(SLEEP, "sleepstudy")
    independent = _quiet(lambda: hglm("Reaction ~ Days + (Days || Subject)", "sleepstudy"))
    written_out = _quiet(
        lambda: bayesml.Model(
            "Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)", "sleepstudy"
        ).fit()
    )
    for fit in (independent, written_out):
        assert fit.description == SLEEP_FITTED and fit.notes == ()
        assert "was fitted as" not in str(fit.summary())
        np.testing.assert_allclose(fit.fixef["estimate"], correlated.fixef["estimate"], rtol=1e-12)


def test_only_the_correlated_term_of_several_is_named():
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(
        {
            "y": rng.normal(size=60),
            "x": rng.normal(size=60),
            "g": np.repeat(list("abcdef"), 10),
            "h": np.tile(list("pqr"), 20),
        }
    )
    with pytest.warns(
        ModelChangeWarning, match=r"^the h-likelihood backend .*: \(1 \+ x \| g\) "
    ) as record:
        fit = hglm("y ~ x + (1 + x | g) + (1 | h)", frame)
    assert len(record) == 1
    assert fit.description == "y ~ x + (1 + x || g) + (1 | h)"
    assert len(fit.notes) == 1 and fit.notes[0].startswith("(1 + x | g) was fitted as")


# -- EQL1 that is EQL -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("formula", "data", "family", "link", "options", "response"),
    [
        (SEMICONDUCTOR, "semiconductor", "gamma", "log", {"dispersion_formula": "~ x2 + x3"},
         "gamma(log)"),
        ("Reaction ~ Days + (1 | Subject)", "sleepstudy", "gaussian", None, {},
         "gaussian(identity)"),
    ],
    ids=["semiconductor", "sleepstudy"],
)  # fmt: skip
def test_eql1_on_a_response_whose_weights_do_not_depend_on_the_mean_says_why(
    formula, data, family, link, options, response
):
    model = bayesml.Model(formula, data, family=family, link=link)
    eql = model.fit(tol=1e-12, **options)
    eql1 = _quiet(lambda: model.fit(estimation="EQL1", tol=1e-12, **options))
    np.testing.assert_allclose(eql1.fixef["estimate"], eql.fixef["estimate"], rtol=1e-9)
    note = (
        f"estimation='EQL1' gives the EQL fit here: the HL(1,1) correction is zero for a "
        f"{response} response, whose IWLS weights (dmu/deta)^2/V(mu) do not depend on the mean"
    )
    assert eql1.notes == (note,) and eql.notes == ()
    assert f"Note: {note}" in str(eql1.summary())


def test_eql1_that_stops_before_its_correction_warns():
    with pytest.warns(
        ModelChangeWarning,
        match=r"^estimation='EQL1' gave the EQL fit: it converged after 2 iterations, before the "
        r"HL\(1,1\) correction was applied \(from iteration 4 on with the dispersion estimated, "
        r"as in R's hglm\); lower tol to apply it$",
    ) as record:
        fit = hglm(BACTERIA, "bacteria", family="binomial", estimation="EQL1", tol=0.5)
    assert record[0].filename == __file__
    assert fit.converged and fit.iterations == 2 and len(fit.notes) == 1
    with pytest.warns(
        ModelChangeWarning, match=r"it stopped after 2 iterations, .* raise max_iter"
    ):
        with pytest.warns(ConvergenceWarning):
            hglm(BACTERIA, "bacteria", family="binomial", estimation="EQL1", max_iter=2)


def test_eql1_that_corrects_has_no_note():
    fit = _quiet(
        lambda: bayesml.Model(BACTERIA, "bacteria", family="binomial").fit(estimation="EQL1")
    )
    assert fit.notes == () and fit.estimation == "EQL1"


# -- hglm(fixed=, random=) ------------------------------------------------------------------------
def test_hglm_takes_rs_fixed_and_random():
    by_formula = hglm(BACTERIA, "bacteria", family="binomial")
    by_parts = hglm(fixed="y ~ week", random="~ 1 | ID", data="bacteria", family="binomial")
    np.testing.assert_allclose(by_parts.fixef, by_formula.fixef, rtol=1e-12)
    assert by_parts.description == BACTERIA
    crossed = hglm(
        fixed="Mate ~ TypeF * TypeM",
        random="~ (1 | Female) + (1 | Male)",
        data="salamander_mating",
        family="binomial",
    )
    same = hglm("Mate ~ TypeF * TypeM + (1 | Female) + (1 | Male)", "salamander_mating",
                family="binomial")  # fmt: skip
    np.testing.assert_allclose(crossed.fixef, same.fixef, rtol=1e-12)
    independent = _quiet(lambda: hglm(fixed="Reaction ~ Days", random="~ Days || Subject",
                                      data="sleepstudy"))  # fmt: skip
    assert independent.description == SLEEP_FITTED


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        (
            {"formula": BACTERIA, "fixed": "y ~ week", "random": "~ 1 | ID"},
            ArgumentError,
            r"^give the model either as formula= \(lme4 style, as R's hglm2\) or as fixed= and "
            r"random= \(as R's hglm\), not both; got formula='y ~ week \+ \(1 \| ID\)' and fixed= "
            r"and random=$",
        ),
        (
            {"formula": BACTERIA, "random": "~ 1 | ID"},
            ArgumentError,
            r"not both; got formula='y ~ week \+ \(1 \| ID\)' and random=$",
        ),
        (
            {"fixed": "y ~ week"},
            ArgumentError,
            r"^fixed= needs random= \(R hglm's form: fixed='y ~ week', random='~ 1 \| ID'\); got "
            r"fixed= without random=$",
        ),
        (
            {"random": "~ 1 | ID"},
            ArgumentError,
            r"^random= needs fixed= .*; got random= without fixed=$",
        ),
        (
            {"fixed": "y ~ week + (1 | ID)", "random": "~ 1 | ID"},
            ArgumentError,
            r"^fixed= is the fixed part of the model; give the random terms in random=; got "
            r"fixed='y ~ week \+ \(1 \| ID\)' with \(1 \| ID\)$",
        ),
        (
            {"fixed": "y ~ week", "random": "1 | ID"},
            ArgumentError,
            r"^random must be a one-sided formula of random terms such as '~ 1 \| ID' or "
            r"'~ \(1 \| a\) \+ \(1 \| b\)'; got random='1 \| ID'$",
        ),
        (
            {"fixed": "y ~ week", "random": "~ trt + (1 | ID)"},
            ArgumentError,
            r"^random= holds the random terms only \(such as '~ 1 \| ID'\); give fixed terms in "
            r"fixed=; got random='~ trt \+ \(1 \| ID\)'$",
        ),
        (
            {"fixed": "y ~ week", "random": "~ 1 | "},
            ArgumentError,
            r"^random='~ 1 \| ' is not a one-sided formula of random terms such as '~ 1 \| ID' or "
            r"'~ \(1 \| a\) \+ \(1 \| b\)': ",
        ),
        (
            {"fixed": "y ~ week", "random": 3},
            ArgumentTypeError,
            r"^random must be a formula string such as '~ 1 \| ID'; got int$",
        ),
        (
            {"fixed": "y ~ week", "random": "~ 1 | ID", "y": np.ones(3), "Z": np.eye(3)},
            SpecError,
            r"^give either a formula or the matrices, not both; got fixed= and random= and "
            r"\['y', 'Z'\]$",
        ),
        (
            {"formula": BACTERIA, "estimation": "EQL", "method": "EQL1"},
            ArgumentError,
            r"^hglm takes the estimation method as estimation=; method= is its former name\. Give "
            r"one of them; got estimation='EQL' and method='EQL1'$",
        ),
    ],
)
def test_hglm_refuses_mixed_model_forms(arguments, error, message):
    arguments.setdefault("data", "bacteria")
    if "y" in arguments:
        arguments.pop("data")
    with pytest.raises(error, match=message):
        hglm(family="binomial", **arguments)


# -- estimation=, the one name of EQL / EQL1 ----------------------------------------------------
def test_hglm_method_is_the_former_name_of_estimation():
    with pytest.warns(
        FutureWarning,
        match=r"^hglm\(method=\.\.\.\) is deprecated: the estimation method \(EQL or EQL1\) is now "
        r"estimation=, the name Model\.fit uses; write estimation='EQL1'$",
    ) as record:
        old = hglm(BACTERIA, "bacteria", family="binomial", dispersion=1, method="EQL1")
    assert record[0].filename == __file__
    new = _quiet(lambda: hglm(BACTERIA, "bacteria", family="binomial", dispersion=1,
                              estimation="EQL1"))  # fmt: skip
    np.testing.assert_allclose(old.fixef, new.fixef, rtol=1e-12)
    assert new.estimation == "EQL1" and new.to_dict()["estimation"] == "EQL1"
    with pytest.warns(
        FutureWarning,
        match=r"^HlikResult\.method is deprecated: the estimation method \(EQL or EQL1\) is now "
        r"HlikResult\.estimation",
    ):
        assert new.method == "EQL1"
    assert repr(new).startswith("<HlikResult EQL1: binomial(logit)")


def test_fit_hlik_and_fit_matrices_take_estimation_too():
    family = get_family("binomial")
    design = build_design(parse_formula(BACTERIA), bayesml.datasets.load("bacteria"), family=family)
    new = fit_hlik(design, family, estimation="EQL1")
    with pytest.warns(FutureWarning, match=r"^fit_hlik\(method=\.\.\.\) is deprecated"):
        old = fit_hlik(design, family, method="EQL1")
    np.testing.assert_allclose(old.fixef, new.fixef, rtol=1e-12)
    y = np.random.default_rng(0).normal(size=30)
    Z = np.eye(3)[np.arange(30) % 3]
    with pytest.warns(FutureWarning, match=r"^fit_matrices\(method=\.\.\.\) is deprecated"):
        from bayesml.backends.hlik import fit_matrices

        assert fit_matrices(y, Z=Z, family=get_family("gaussian"), method="EQL").estimation == "EQL"


def test_model_fit_names_estimation_in_its_errors():
    model = bayesml.Model(BACTERIA, "bacteria", family="binomial")
    with pytest.raises(
        SpecError, match=r"^estimation must be one of \['EQL', 'EQL1'\]; got estimation='EQL2'$"
    ):
        model.fit(estimation="EQL2")
