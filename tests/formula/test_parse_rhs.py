"""One-sided formulas of fixed terms (``"~ x2 + x3"``), e.g. for a dispersion model."""

from __future__ import annotations

import pytest

from bayesml.errors import FormulaError
from bayesml.formula import RightHandSide, parse_formula, parse_rhs

CASES = {
    "~ x2 + x3": (True, ["x2", "x3"]),
    "x2 + x3": (True, ["x2", "x3"]),
    "~ x2 * x3": (True, ["x2", "x3", "x2:x3"]),
    "~ 0 + x2": (False, ["x2"]),
    "~ x2 - 1": (False, ["x2"]),
    "~ 1": (True, []),
    "~ (a + b + c)^2 - a:b": (True, ["a", "b", "c", "a:c", "b:c"]),
    "~ log(x) + I(z > 1)": (True, ["log(x)", "I(z > 1)"]),
}


@pytest.mark.parametrize("text", CASES)
def test_terms_follow_r_term_algebra(text):
    intercept, labels = CASES[text]
    rhs = parse_rhs(text)
    assert isinstance(rhs, RightHandSide)
    assert rhs.intercept is intercept
    assert [term.label for term in rhs.terms] == labels


def test_same_terms_as_the_right_hand_side_of_a_formula():
    rhs = parse_rhs("~ extract * I(seed == 'O73')")
    parsed = parse_formula("y ~ extract * I(seed == 'O73')")
    assert rhs.terms == parsed.terms and rhs.intercept == parsed.intercept


def test_variables_and_text():
    rhs = parse_rhs("~ x2 * log(x3)")
    assert rhs.variables == frozenset({"x2", "x3"})
    assert str(rhs) == "~ x2 + log(x3) + x2:log(x3)"
    assert str(parse_rhs("~ 0 + x")) == "~ 0 + x"


ERRORS = {
    "y ~ x2": r"a one-sided formula has no response: write '~ x1 \+ x2', not 'y ~ x1 \+ x2'",
    "~": r"the one-sided formula has no terms; expected terms such as '~ x1 \+ x2'",
    "": r"the one-sided formula has no terms",
    "~ x + (1 | g)": r"a one-sided formula of fixed terms cannot have random-effects terms",
    "~ x + offset(z)": r"a one-sided formula of fixed terms cannot have offset\(\)",
    "~ 0": r"the model has no terms: the intercept is removed and nothing else is left",
    "~ x +": r"expected a term .* after '\+', got the end of the formula",
}


@pytest.mark.parametrize("text", ERRORS)
def test_errors_point_at_the_token(text):
    with pytest.raises(FormulaError, match=ERRORS[text]):
        parse_rhs(text)


def test_error_caret_marks_the_response():
    with pytest.raises(FormulaError) as info:
        parse_rhs("y ~ x2")
    assert (info.value.start, info.value.end) == (2, 3)


def test_non_string_is_refused():
    with pytest.raises(FormulaError, match="a formula must be a string, got int: 3"):
        parse_rhs(3)


def test_parse_predictor_takes_random_terms():
    from bayesml.formula import parse_predictor

    predictor = parse_predictor("~ spp + mined + (1 | site)")
    assert [term.label for term in predictor.terms] == ["spp", "mined"]
    assert [term.name for term in predictor.random_terms] == ["site"]
    assert str(predictor) == "~ spp + mined + (1 | site)"
    assert str(parse_predictor("1")) == "~ 1"
    with pytest.raises(FormulaError, match=r"^a one-sided formula cannot have offset\(\)"):
        parse_predictor("~ x + offset(z)")
    with pytest.raises(FormulaError, match=r"one-sided formula"):
        parse_predictor("y ~ x")
