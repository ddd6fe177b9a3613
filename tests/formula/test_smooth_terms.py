"""Smooth terms in formulas: mgcv/brms syntax, canonical text and errors with carets."""

from __future__ import annotations

import pytest

from bayesml.errors import FormulaError
from bayesml.formula import SmoothTerm, parse_formula, parse_predictor


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("y ~ s(x)", SmoothTerm("s", ("x",), ("tp",))),
        ('y ~ s(x, k=12, bs="cr")', SmoothTerm("s", ("x",), ("cr",), (12,))),
        ("y ~ s(x, z)", SmoothTerm("s", ("x", "z"), ("tp",))),
        ("y ~ t2(x, z)", SmoothTerm("t2", ("x", "z"), ("cr", "cr"))),
        ('y ~ t2(x, z, k=c(5, 6), bs="ps")', SmoothTerm("t2", ("x", "z"), ("ps", "ps"), (5, 6))),
        ("y ~ t2(x, z, k=7)", SmoothTerm("t2", ("x", "z"), ("cr", "cr"), (7, 7))),
        ("y ~ s(x, by=f)", SmoothTerm("s", ("x",), ("tp",), by="f")),
        ('y ~ s(h, bs="cc", knots=c(0, 24))', SmoothTerm("s", ("h",), ("cc",), knots=(0.0, 24.0))),
        ("y ~ s(log(dose))", SmoothTerm("s", ("log(dose)",), ("tp",))),
    ],
)
def test_smooth_syntax(text: str, expected: SmoothTerm) -> None:
    (smooth,) = parse_formula(text).smooth_terms
    assert smooth == expected
    # the canonical text reads back to the same smooth
    assert parse_formula(str(parse_formula(text))).smooth_terms == (expected,)


def test_labels_are_mgcvs() -> None:
    parsed = parse_formula("y ~ s(x) + s(x, z) + t2(u, v) + s(w, by=f) + z2")
    assert [s.label for s in parsed.smooth_terms] == ["s(x)", "s(x,z)", "t2(u,v)", "s(w):f"]
    assert [t.label for t in parsed.terms] == ["z2"]
    assert {"x", "z", "u", "v", "w", "f", "z2", "y"} == parsed.variables


def test_re_smooth_is_a_random_term() -> None:
    assert (
        parse_formula('y ~ x + s(g, bs="re")').random_terms
        == parse_formula("y ~ x + (1 | g)").random_terms
    )
    assert (
        parse_formula('y ~ s(x, g, bs="re")').random_terms
        == parse_formula("y ~ (0 + x | g)").random_terms
    )


@pytest.mark.parametrize(
    ("text", "message", "token"),
    [
        (
            'y ~ s(x, bs="gp")',
            r'unknown basis bs="gp" for s\(\); supported: "tp", "cr", "cc", "ps", "re"',
            '"gp"',
        ),
        (
            'y ~ t2(x, z, bs="re")',
            r'unknown basis bs="re" for t2\(\); supported: "cr", "cc", "ps"',
            '"re"',
        ),
        ("y ~ s(x, k=2)", "k= must be a whole number of at least 3", "2"),
        ("y ~ s(x, k=5.5)", "k= must be a whole number of at least 3", "5.5"),
        ("y ~ s(x, k=c(5, 6))", r"k= of s\(\) takes one whole number", "c(5, 6)"),
        ("y ~ t2(x, z, k=c(5, 6, 7))", r"k= of t2\(\) takes one number or 2", "c(5, 6, 7)"),
        ('y ~ s(x, z, bs="cr")', r"isotropic thin plate spline.*write t2\(x, z\)", '"cr"'),
        (
            "y ~ s(x, knots=c(0, 1))",
            r'knots= sets the ends of a cyclic smooth\'s cycle \(bs="cc"\)',
            "c(0, 1)",
        ),
        (
            'y ~ s(x, bs="cc", knots=c(3, 1))',
            "takes the two ends of the cycle, lower first",
            "c(3, 1)",
        ),
        ("y ~ s(x, by=1)", "by= must name a data column", "1"),
        ("y ~ s(x) + s(x)", r"the smooth s\(x\) appears twice", "s(x)"),
        ("y ~ s(x):z", r"s\(\) cannot be used in an interaction", "s"),
        ("y ~ log(s(x))", r"s\(\) cannot be used inside log\(\)", "s"),
        ("y ~ c(1, 2)", r"c\(\) cannot be used as a term", "c"),
        (
            "y ~ s(x, fx=1)",
            r"unknown keyword argument 'fx' for s\(\); allowed: k, bs, by, knots",
            "fx",
        ),
        ('y ~ s(g, k=4, bs="re")', r'random-effect smooth s\(..., bs="re"\) takes no k=', "4"),
    ],
)
def test_errors_point_at_the_token(text: str, message: str, token: str) -> None:
    with pytest.raises(FormulaError, match=message) as caught:
        parse_formula(text)
    caret_line = str(caught.value).splitlines()[-1]
    start = caret_line.index("^") - 4  # the formula is indented by 4
    assert text[start : start + len(token)] == token


def test_smooths_only_in_the_main_formula() -> None:
    with pytest.raises(FormulaError, match=r"supported in the main formula only"):
        parse_predictor("~ s(x)")
