"""parse_formula on valid formulas: fixed terms, random terms, responses, offsets, canonical texts."""

from __future__ import annotations

import dataclasses
import time

import pytest

import bayesml.formula as formula_pkg
from bayesml.formula import (
    ALLOWED_FUNCTIONS,
    ParsedFormula,
    RandomTerm,
    Response,
    Term,
    parse_formula,
)

# formula -> (intercept, fixed term labels in order)
FIXED = {
    "y ~ x": (True, ["x"]),
    "y~x": (True, ["x"]),
    "y ~ x +\n    z": (True, ["x", "z"]),
    "y ~ x1 * x2 + (1 | g)": (True, ["x1", "x2", "x1:x2"]),
    "y ~ a*b*c": (True, ["a", "b", "c", "a:b", "a:c", "b:c", "a:b:c"]),
    "y ~ a*b + c": (True, ["a", "b", "c", "a:b"]),
    "y ~ (a + b)^2": (True, ["a", "b", "a:b"]),
    "y ~ (a + b + c)^2": (True, ["a", "b", "c", "a:b", "a:c", "b:c"]),
    "y ~ (a + b + c)^3": (True, ["a", "b", "c", "a:b", "a:c", "b:c", "a:b:c"]),
    "y ~ (a + b + c)^1": (True, ["a", "b", "c"]),
    "y ~ (a + b)^100": (True, ["a", "b", "a:b"]),
    "y ~ a^2": (True, ["a"]),
    "y ~ a:b": (True, ["a:b"]),
    "y ~ a:b:c": (True, ["a:b:c"]),
    "y ~ a:a": (True, ["a"]),
    "y ~ (a + b):c": (True, ["a:c", "b:c"]),
    "y ~ a/b": (True, ["a", "a:b"]),
    "y ~ a/b/c": (True, ["a", "a:b", "a:b:c"]),
    "y ~ (a + b)/c": (True, ["a", "b", "a:b:c"]),
    "y ~ a/(b + c)": (True, ["a", "a:b", "a:c"]),
    "y ~ a*b - a": (True, ["b", "a:b"]),
    "y ~ a*b - a:b": (True, ["a", "b"]),
    "y ~ (a + b + c)^2 - a:b": (True, ["a", "b", "c", "a:c", "b:c"]),
    "y ~ a*b*c - (a:b + b:c)": (True, ["a", "b", "c", "a:c", "a:b:c"]),
    "y ~ a + b - a + a": (True, ["b", "a"]),
    "y ~ 0 + x": (False, ["x"]),
    "y ~ x + 0": (False, ["x"]),
    "y ~ x - 1": (False, ["x"]),
    "y ~ -1 + x": (False, ["x"]),
    "y ~ x + -1": (False, ["x"]),
    "y ~ 0 + x + 1": (True, ["x"]),
    "y ~ x - 1 - 0": (True, ["x"]),
    "y ~ 1 + x": (True, ["x"]),
    "y ~ 1": (True, []),
    "y ~ x + x": (True, ["x"]),
    "y ~ x:z + z:x": (True, ["x:z"]),
    "y ~ a:b + a": (True, ["a", "a:b"]),
    # factors inside an interaction follow their first appearance, as in R's terms()
    "y ~ b + a:b": (True, ["b", "b:a"]),
    "y ~ log(x) + log( x )": (True, ["log(x)"]),
    "y ~ I(x^2) + I(x ** 2) + I( x^2 )": (True, ["I(x^2)"]),
    "y ~ extract * I(seed == 'O73')": (
        True,
        ["extract", 'I(seed == "O73")', 'extract:I(seed == "O73")'],
    ),
    'y ~ C(x, ref="b")': (True, ['C(x, ref="b")']),
    "y ~ C(x, reference='b') + C(x, ref=\"b\")": (True, ['C(x, ref="b")']),
    "y ~ C(x, ref=2)": (True, ["C(x, ref=2)"]),
    "y ~ factor(Gr):x": (True, ["factor(Gr):x"]),
    "y ~ Z.marker1 + Z.marker2": (True, ["Z.marker1", "Z.marker2"]),
    "y ~ `my col` + `x`": (True, ["`my col`", "x"]),
    "y ~ scale(x) + center(z) + log1p(w) + exp(v) + sqrt(u) + abs(t)": (
        True,
        ["scale(x)", "center(z)", "log1p(w)", "exp(v)", "sqrt(u)", "abs(t)"],
    ),
    "y ~ I(log(x) / 2)": (True, ["I(log(x)/2)"]),
    "y ~ (x + (1 | g))": (True, ["x"]),
    "y ~ x + (1 | g) - 1": (False, ["x"]),
    "y ~ (1 | g)": (True, []),
    "y ~ 0 + (1 | g)": (False, []),
}


@pytest.mark.parametrize(("text", "expected"), FIXED.items(), ids=list(FIXED))
def test_fixed_terms(text: str, expected: tuple[bool, list[str]]) -> None:
    parsed = parse_formula(text)
    intercept, labels = expected
    assert parsed.intercept is intercept
    assert [term.label for term in parsed.terms] == labels


def test_interaction_factors_are_canonical_texts() -> None:
    parsed = parse_formula("r/n ~ extract * I(seed=='O73') + (1 | plate)")
    assert parsed.terms[2] == Term(("extract", 'I(seed == "O73")'))
    assert parsed.terms[2].label == 'extract:I(seed == "O73")'


# formula -> [(group name, group tuple, term labels, correlated)]
RANDOM = {
    "y ~ (1 | g)": [("g", ("g",), ("Intercept",), False)],
    "y ~ (1 + x | g)": [("g", ("g",), ("Intercept", "x"), True)],
    "y ~ (x | g)": [("g", ("g",), ("Intercept", "x"), True)],
    "y ~ (x || g)": [("g", ("g",), ("Intercept", "x"), False)],
    "y ~ (1 + x || g)": [("g", ("g",), ("Intercept", "x"), False)],
    "y ~ (0 + x | g)": [("g", ("g",), ("x",), False)],
    "y ~ (-1 + x | g)": [("g", ("g",), ("x",), False)],
    "y ~ (x - 1 | g)": [("g", ("g",), ("x",), False)],
    "y ~ (0 + x + z | g)": [("g", ("g",), ("x", "z"), True)],
    "y ~ (0 + x + z || g)": [("g", ("g",), ("x", "z"), False)],
    "y ~ (a*b | g)": [("g", ("g",), ("Intercept", "a", "b", "a:b"), True)],
    "y ~ (z:x + x | g)": [("g", ("g",), ("Intercept", "x", "z:x"), True)],
    "y ~ (log(x) | g)": [("g", ("g",), ("Intercept", "log(x)"), True)],
    "y ~ (1 | a) + (1 | b)": [
        ("a", ("a",), ("Intercept",), False),
        ("b", ("b",), ("Intercept",), False),
    ],
    "y ~ (1 | a/b)": [
        ("a", ("a",), ("Intercept",), False),
        ("a:b", ("a", "b"), ("Intercept",), False),
    ],
    "y ~ (x | a/b/c)": [
        ("a", ("a",), ("Intercept", "x"), True),
        ("a:b", ("a", "b"), ("Intercept", "x"), True),
        ("a:b:c", ("a", "b", "c"), ("Intercept", "x"), True),
    ],
    "y ~ (1 | a:b/c)": [
        ("a:b", ("a", "b"), ("Intercept",), False),
        ("a:b:c", ("a", "b", "c"), ("Intercept",), False),
    ],
    "y ~ (1 | a:b)": [("a:b", ("a", "b"), ("Intercept",), False)],
    "y ~ (1 | g) + (0 + x | g)": [("g", ("g",), ("Intercept", "x"), False)],
    "y ~ (0 + x | g) + (1 | g)": [("g", ("g",), ("Intercept", "x"), False)],
    "y ~ (x || g) + (0 + z | g)": [("g", ("g",), ("Intercept", "x", "z"), False)],
    "y ~ (1 | g) + x + (0 + x | g) + (1 | h)": [
        ("g", ("g",), ("Intercept", "x"), False),
        ("h", ("h",), ("Intercept",), False),
    ],
    "y ~ (1 | a/b) + (0 + x | b:a)": [
        ("a", ("a",), ("Intercept",), False),
        ("a:b", ("a", "b"), ("Intercept", "x"), False),
    ],
    "y ~ (1 | `my group`)": [("my group", ("my group",), ("Intercept",), False)],
    "y ~ ((1 | g))": [("g", ("g",), ("Intercept",), False)],
}


@pytest.mark.parametrize(("text", "expected"), RANDOM.items(), ids=list(RANDOM))
def test_random_terms(text: str, expected: list[tuple[str, tuple, tuple, bool]]) -> None:
    parsed = parse_formula(text)
    got = [(r.name, r.group, r.term_labels, r.correlated) for r in parsed.random_terms]
    assert got == expected


def test_random_term_intercept_comes_first_as_empty_term() -> None:
    (random,) = parse_formula("y ~ (1 + days | subject)").random_terms
    assert random == RandomTerm((Term(()), Term(("days",))), ("subject",), correlated=True)
    assert random.terms[0].is_intercept and not random.terms[1].is_intercept


# formula -> (kind, expressions)
RESPONSES = {
    "y ~ x": ("single", ("y",)),
    "log(y) ~ x": ("single", ("log(y)",)),
    "I(y/2) ~ x": ("single", ("I(y/2)",)),
    "y == 'yes' ~ x": ("single", ('y == "yes"',)),
    "`my y` ~ x": ("single", ("`my y`",)),
    "cbind(incidence, size - incidence) ~ period + (1 | herd)": (
        "cbind",
        ("incidence", "size - incidence"),
    ),
    "cbind( s,f ) ~ x": ("cbind", ("s", "f")),
    "cbind(stay, move, quit) ~ x": ("cbind", ("stay", "move", "quit")),
    "r/n ~ x": ("ratio", ("r", "n")),
    "(r)/(n) ~ x": ("ratio", ("r", "n")),
    "log(r + 1)/n ~ x": ("ratio", ("log(r + 1)", "n")),
    "(a + b)/n ~ x": ("ratio", ("a + b", "n")),
}


@pytest.mark.parametrize(("text", "expected"), RESPONSES.items(), ids=list(RESPONSES))
def test_response(text: str, expected: tuple[str, tuple[str, ...]]) -> None:
    assert parse_formula(text).response == Response(*expected)


# formula -> (offsets, fixed labels, intercept)
OFFSETS = {
    "S ~ factor(Gr) + (1 | System) + offset(log(t))": (("log(t)",), ["factor(Gr)"], True),
    "y ~ offset(log(t)) + x": (("log(t)",), ["x"], True),
    "y ~ offset(a) + x + offset(log( b ))": (("a", "log(b)"), ["x"], True),
    "y ~ 0 + offset(log(E))": (("log(E)",), [], False),
    "y ~ x + (offset(a))": (("a",), ["x"], True),
    "y ~ x + offset(I(2 * a)) - 1": (("I(2 * a)",), ["x"], False),
    "y ~ x": ((), ["x"], True),
}


@pytest.mark.parametrize(("text", "expected"), OFFSETS.items(), ids=list(OFFSETS))
def test_offsets(text: str, expected: tuple[tuple[str, ...], list[str], bool]) -> None:
    parsed = parse_formula(text)
    offsets, labels, intercept = expected
    assert parsed.offsets == offsets
    assert [term.label for term in parsed.terms] == labels
    assert parsed.intercept is intercept


VARIABLES = {
    "y ~ x": {"y", "x"},
    "cbind(incidence, size - incidence) ~ period + (1 | herd)": {
        "incidence",
        "size",
        "period",
        "herd",
    },
    "r/n ~ extract * I(seed == 'O73') + (1 | plate)": {"r", "n", "extract", "seed", "plate"},
    "S ~ factor(Gr) + (1 | System) + offset(log(t))": {"S", "Gr", "System", "t"},
    "log(y) ~ C(x, ref='a') + (z || a/b)": {"y", "x", "z", "a", "b"},
    "`my y` ~ `my col` + Z.marker1 + (1 | `my group`)": {"my y", "my col", "Z.marker1", "my group"},
    "y ~ I(x > 0) + (1 | g:h)": {"y", "x", "g", "h"},
}


@pytest.mark.parametrize(("text", "expected"), VARIABLES.items(), ids=list(VARIABLES))
def test_variables(text: str, expected: set[str]) -> None:
    variables = parse_formula(text).variables
    assert isinstance(variables, frozenset)
    assert variables == expected


# formula -> str(parsed)
CANONICAL = {
    "y~x1*x2+(1|g)": "y ~ x1 + x2 + x1:x2 + (1 | g)",
    "y ~ 0 + x": "y ~ 0 + x",
    "y ~ 1": "y ~ 1",
    "y ~ (1|g)": "y ~ 1 + (1 | g)",
    "y ~ -1 + (1|g)": "y ~ 0 + (1 | g)",
    "y ~ (x||g)": "y ~ 1 + (1 + x || g)",
    "y ~ (0 + x|g) + (1|g)": "y ~ 1 + (1 + x || g)",
    "y ~ (0 + x|g)": "y ~ 1 + (0 + x | g)",
    "y ~ (1|a/b)": "y ~ 1 + (1 | a) + (1 | a:b)",
    "y ~ (1|`my group`)": "y ~ 1 + (1 | `my group`)",
    "cbind(s,f) ~ x": "cbind(s, f) ~ x",
    "r/n ~ x": "r/n ~ x",
    "(a+b)/n ~ x": "(a + b)/n ~ x",
    "S ~ factor(Gr) + offset(log(t))": "S ~ factor(Gr) + offset(log(t))",
    "y ~ C(x,reference='b')": 'y ~ C(x, ref="b")',
}


@pytest.mark.parametrize(("text", "expected"), CANONICAL.items(), ids=list(CANONICAL))
def test_str_is_canonical(text: str, expected: str) -> None:
    assert str(parse_formula(text)) == expected


def _structure(parsed: ParsedFormula) -> tuple:
    """Everything but the text; interactions as factor sets (their order follows the text, as in R)."""

    def factor_sets(terms: tuple[Term, ...]) -> tuple[frozenset[str], ...]:
        return tuple(frozenset(term.factors) for term in terms)

    random = tuple((factor_sets(r.terms), r.group, r.correlated) for r in parsed.random_terms)
    return (parsed.response, parsed.intercept, factor_sets(parsed.terms), random, parsed.offsets)


ALL_FORMULAS = sorted({*FIXED, *RANDOM, *RESPONSES, *OFFSETS, *VARIABLES, *CANONICAL})


@pytest.mark.parametrize("text", ALL_FORMULAS)
def test_str_parses_back_to_the_same_structure(text: str) -> None:
    parsed = parse_formula(text)
    again = parse_formula(str(parsed))
    assert _structure(again) == _structure(parsed)
    assert str(parse_formula(str(again))) == str(again)


def test_factor_order_follows_the_text_like_r() -> None:
    # after removing a, "b + a:b" is what is left; written that way, b comes first
    assert str(parse_formula("y ~ a*b - a")) == "y ~ b + a:b"
    assert parse_formula("y ~ b + a:b").terms[1] == Term(("b", "a"))


def test_parsed_formula_is_frozen_hashable_and_readable() -> None:
    text = "y ~ x1 * x2 + (1 | g)"
    parsed = parse_formula(text)
    rebuilt = ParsedFormula(
        text=text,
        response=parsed.response,
        intercept=True,
        terms=(Term(("x1",)), Term(("x2",)), Term(("x1", "x2"))),
        random_terms=(RandomTerm((Term(()),), ("g",), correlated=False),),
        offsets=(),
    )
    assert rebuilt == parsed
    assert hash(rebuilt) == hash(parsed)
    assert len({parsed, rebuilt, parse_formula("y ~ x")}) == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.intercept = False  # type: ignore[misc]
    assert repr(parsed) == (
        "ParsedFormula('y ~ x1 * x2 + (1 | g)', canonical='y ~ x1 + x2 + x1:x2 + (1 | g)')"
    )
    assert str(parsed.random_terms[0]) == "(1 | g)"
    assert "Term(factors=('x1', 'x2'))" in repr(parsed.terms)


def test_text_is_kept_as_given() -> None:
    assert parse_formula("  y~x  ").text == "  y~x  "


LABELS = {
    Term(()): "Intercept",
    Term(("x",)): "x",
    Term(("extract", 'I(seed == "O73")')): 'extract:I(seed == "O73")',
}


@pytest.mark.parametrize(("term", "label"), LABELS.items(), ids=list(LABELS.values()))
def test_term_label(term: Term, label: str) -> None:
    assert term.label == label
    assert str(term) == label


def test_random_term_name_joins_the_group() -> None:
    random = RandomTerm((Term(()),), ("a", "b"), correlated=False)
    assert random.name == "a:b"
    assert random.term_labels == ("Intercept",)


@pytest.mark.parametrize(
    ("kind", "expressions", "message"),
    [
        (
            "bogus",
            ("y",),
            r"Response kind must be one of \['cbind', 'ratio', 'single'\], got 'bogus'",
        ),
        ("cbind", ("y",), r"a 'cbind' response holds 2 or more expression\(s\), got 1"),
        ("ratio", ("a", "b", "c"), r"a 'ratio' response holds 2 expression\(s\), got 3"),
        ("single", ("a", "b"), r"a 'single' response holds 1 expression\(s\), got 2"),
    ],
)
def test_response_checks_its_shape(kind: str, expressions: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Response(kind, expressions)  # type: ignore[arg-type]


def test_long_formulas_parse_quickly() -> None:
    columns = [f"Z.marker{i}" for i in range(3000)]
    text = "y ~ " + " + ".join(columns) + " - Z.marker7 + (1 | g)"
    start = time.perf_counter()
    parsed = parse_formula(text)
    assert time.perf_counter() - start < 2.0
    assert len(parsed.terms) == 2999
    assert "Z.marker7" not in [term.label for term in parsed.terms]
    assert len(parsed.variables) == 3001  # y, g and the 2999 markers kept


def test_parse_formula_is_cached() -> None:
    assert parse_formula("y ~ a + b") is parse_formula("y ~ a + b")


EXAMPLE_USE = {
    "transform": "y ~ {name}(x)",
    "categorical": "y ~ {name}(x)",
    "offset": "y ~ x + {name}(t)",
    "response": "{name}(s, f) ~ x",
    "smooth": "y ~ {name}(x, z)",
    "basis": "y ~ {name}(x, df=4):f",
    "vector": 'y ~ s(x, bs="cc", knots={name}(0, 24))',
}


@pytest.mark.parametrize("name", sorted(ALLOWED_FUNCTIONS))
def test_every_allowed_function_parses_where_its_role_allows(name: str) -> None:
    spec = ALLOWED_FUNCTIONS[name]
    assert spec.name == name
    parsed = parse_formula(EXAMPLE_USE[spec.role].format(name=name))
    assert name in str(parsed)


def test_allowed_functions_are_the_documented_ones() -> None:
    assert set(ALLOWED_FUNCTIONS) == {
        "log", "log1p", "exp", "sqrt", "abs", "scale", "center", "I", "C", "factor", "offset",
        "cbind", "s", "t2", "c", "bs", "ns",
    }  # fmt: skip
    with pytest.raises(TypeError):
        ALLOWED_FUNCTIONS["eval"] = ALLOWED_FUNCTIONS["log"]  # type: ignore[index]


def test_public_names_are_exported() -> None:
    for name in formula_pkg.__all__:
        assert hasattr(formula_pkg, name), name
    for name in ("parse_formula", "ParsedFormula", "Term", "RandomTerm", "Response",
                 "ALLOWED_FUNCTIONS", "parse_expression"):  # fmt: skip
        assert name in formula_pkg.__all__
