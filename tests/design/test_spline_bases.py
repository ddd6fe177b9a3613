"""bs() and ns() as fixed-effect terms against R's splines::bs and splines::ns.

The reference numbers come from tests/references/spline_bases_references.R (R 4.2's splines,
stats::lm and lme4::lmer), written to the JSON next to it.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bayesml.design.convert import EvalContext
from bayesml.design.encodings import EncodingStore
from bayesml.design.terms import TermEncoder
from bayesml.errors import DataError, FormulaError
from bayesml.formula import parse_formula

REFERENCES = json.loads(
    (Path(__file__).parents[1] / "references" / "spline_bases_references.json").read_text()
)
X = np.asarray(REFERENCES["x"])
NEW = np.asarray(REFERENCES["new"])
VARIANTS = {variant["formula"]: variant for variant in REFERENCES["bases"]}


def _r_name(name: str) -> str:
    """Our label as R writes it: ``f[a]:bs(x, df=3)[1]`` → ``fa:bs(x, df = 3)1``."""
    name = re.sub(r"df=(\d+)\)\[(\d+)\]", r"df = \1)\2", name)
    return re.sub(r"(\w+)\[(\w+)\]", r"\1\2", name).replace("Intercept", "(Intercept)")


def _fit(terms: list[tuple[str, ...]], data: pd.DataFrame, intercept: bool = False):
    context = EvalContext(data, EncodingStore(), "y ~ ...")
    encoder, matrix = TermEncoder.fit(terms, intercept=intercept, context=context)
    context.store.freeze()
    return encoder, matrix


@pytest.mark.parametrize("text", list(VARIANTS))
def test_basis_and_prediction_match_r(text: str) -> None:
    reference = VARIANTS[text]
    encoder, matrix = _fit([(text,)], pd.DataFrame({"x": X}))
    np.testing.assert_allclose(matrix, np.asarray(reference["basis"]), rtol=0, atol=1e-10)
    df = len(reference["basis"][0])
    assert encoder.column_names == tuple(f"{text}[{j}]" for j in range(1, df + 1))
    basis = encoder.context.store.state("spline", text, lambda: None)
    np.testing.assert_allclose(basis.knots, reference["knots"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(basis.boundary_knots, reference["boundary_knots"], rtol=0, atol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        predicted = encoder.encode(pd.DataFrame({"x": NEW}))
    np.testing.assert_allclose(predicted, np.asarray(reference["predict"]), rtol=0, atol=1e-10)


def test_bs_warns_beyond_the_boundary_knots_and_ns_does_not() -> None:
    data = pd.DataFrame({"x": X})
    bs_encoder, _ = _fit([("bs(x, df=5)",)], data)
    ns_encoder, _ = _fit([("ns(x, df=4)",)], data)
    outside = pd.DataFrame({"x": [X.max() + 0.5, 0.5]})
    with pytest.warns(UserWarning, match=r"bs\(x, df=5\): 1 value\(s\) beyond the boundary knots"):
        bs_encoder.encode(outside)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ns_encoder.encode(outside)
        bs_encoder.encode(pd.DataFrame({"x": [X.min(), X.max()]}))  # the boundary is inside


def test_the_fitted_knots_are_reused_for_new_data() -> None:
    encoder, matrix = _fit([("bs(x, df=5)",)], pd.DataFrame({"x": X}))
    # a new frame with other quantiles: its rows must match the fitted basis, not a refitted one
    np.testing.assert_allclose(encoder.encode(pd.DataFrame({"x": X[:7]})), matrix[:7], atol=1e-14)


def test_interaction_with_a_factor_matches_r_model_matrix() -> None:
    reference = REFERENCES["interaction"]
    data = pd.DataFrame({"x": X, "f": reference["f"]})
    parsed = parse_formula("y ~ f + bs(x, df=3):f")
    encoder, matrix = _fit([term.factors for term in parsed.terms], data, intercept=True)
    np.testing.assert_allclose(matrix, np.asarray(reference["matrix"]), rtol=0, atol=1e-10)
    # R: fa:bs(x, df = 3)1; ours: bracketed levels and basis columns
    assert [_r_name(name) for name in encoder.column_names] == reference["columns"]
    assert encoder.column_names[2] == "f[a]:bs(x, df=3)[1]"


def test_least_squares_on_the_design_matches_r_lm() -> None:
    from bayesml.datasets import load

    reference = REFERENCES["lm"]
    sleep = load("sleepstudy")
    encoder, matrix = _fit([("bs(Days, df=5)",)], sleep, intercept=True)
    beta = np.linalg.lstsq(matrix, sleep["Reaction"].to_numpy(float), rcond=None)[0]
    np.testing.assert_allclose(beta, reference["coefficients"], rtol=1e-10)
    assert [_r_name(name) for name in encoder.column_names] == reference["names"]
    with pytest.warns(UserWarning, match="beyond the boundary knots"):
        new = encoder.encode(pd.DataFrame({"Days": reference["new_days"]}))
    np.testing.assert_allclose(new @ beta, reference["predict"], rtol=1e-12)


def test_lmer_fit_with_ns_matches_lme4() -> None:
    import bayesml

    reference = REFERENCES["lmer"]
    model = bayesml.Model("Reaction ~ ns(Days, df=3) + (1 | Subject)", "sleepstudy")
    fit = model.fit(method="laplace", reml=True)
    assert list(fit.fixef.index) == ["Intercept", "ns(Days, df=3)[1]", "ns(Days, df=3)[2]",
                                     "ns(Days, df=3)[3]"]
    np.testing.assert_allclose(fit.fixef["estimate"], reference["fixef"], rtol=1e-10)
    np.testing.assert_allclose(fit.fixef["se"], reference["se"], rtol=1e-6)
    new_days = pd.DataFrame({"Days": reference["new_days"]})
    predicted = model.predict(fit, new_days, kind="linear", include_random_effects=False)
    np.testing.assert_allclose(predicted["estimate"], reference["predict"], rtol=1e-10)


@pytest.mark.parametrize(
    ("formula", "error", "match"),
    [
        ("y ~ log(bs(x, df=4))", FormulaError, r"bs\(\) cannot be used inside log\(\); it is allowed only as a term"),
        ("y ~ s(ns(x))", FormulaError, r"ns\(\) cannot be used inside s\(\)"),
        ("y ~ bs(x, df=4) | g", FormulaError, r"random-effects term must be in parentheses"),
        ("y ~ bs(x, knots=c(0.3, \"a\"))", FormulaError, r"knots= must be a quoted string or a number"),
        ("y ~ bs(x, spar=2)", FormulaError, r"unknown keyword argument 'spar' for bs\(\); allowed: df, knots, degree"),
        ("y ~ ns(x, degree=2)", FormulaError, r"unknown keyword argument 'degree' for ns\(\)"),
        ("y ~ x + c(1, 2)", FormulaError, r"c\(\) cannot be used as a term; it is allowed only as a keyword value of a smooth or a spline basis"),
    ],
)
def test_misplaced_or_malformed_calls_are_refused_at_parse_time(
    formula: str, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        parse_formula(formula)


@pytest.mark.parametrize(
    ("text", "error", "match"),
    [
        ("bs(x, df=2)", FormulaError, r"bs\(x, df=2\): df must be a whole number >= 3 \(the degree, 3\), got 2"),
        ("bs(x, df=3, degree=4)", FormulaError, r"df must be a whole number >= 4 \(the degree, 4\), got 3"),
        ("bs(x, df=4.5)", FormulaError, r"df must be a whole number >= 3 \(the degree, 3\), got 4.5"),
        ("ns(x, df=0)", FormulaError, r"ns\(x, df=0\): df must be a whole number >= 1, got 0"),
        ("bs(x, df=4, degree=0)", FormulaError, r"degree must be a whole number >= 1, got 0"),
        ("bs(x, knots=c(0.3, 1.5))", FormulaError, r"knots must lie strictly inside the boundary knots \[0.0365\d*, 0.96\d*\] .*; got 1.5"),
        ("ns(x, knots=c(-1, 0.5))", FormulaError, r"knots must lie strictly inside the boundary knots.*got -1"),
        ("bs(x, df=5, knots=c(0.5))", FormulaError, r"give df= or knots=, not both"),
        ("ns(x, df=3, Boundary.knots=c(1, 0))", FormulaError, r"Boundary.knots must be two increasing numbers"),
        ("bs(x, df=\"5\")", FormulaError, r"df= must be a number, e.g. df=4"),
        ("bs(f, df=4)", DataError, r"bs\(f, df=4\) needs numbers, but column 'f' holds"),
        ("ns(factor(x), df=4)", FormulaError, r"factor\(\) cannot be used inside ns\(\)"),
        ("ns(z, df=2)", DataError, r"needs at least two distinct values"),
    ],
)
def test_bad_arguments_and_data_are_refused(text: str, error: type, match: str) -> None:
    data = pd.DataFrame({"x": X, "f": ["a", "b"] * 15, "z": 1.0})
    with pytest.raises(error, match=match):
        _fit([(text,)], data)


def test_canonical_text_of_basis_terms() -> None:
    parsed = parse_formula("y ~ bs(x, knots = c(0.3,.6), boundary_knots=c(0, 1)) + ns(x,df=2):f")
    assert [term.label for term in parsed.terms] == [
        "bs(x, knots=c(0.3, 0.6), Boundary.knots=c(0, 1))",
        "ns(x, df=2):f",
    ]
