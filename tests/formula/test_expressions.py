"""Expression trees, canonical texts and the tokenizer."""

from __future__ import annotations

import pytest

from bayesml.errors import FormulaError
from bayesml.formula import (
    BinaryOp,
    Call,
    Compare,
    Name,
    Number,
    String,
    UnaryOp,
    names_in,
    parse_expression,
    to_text,
)
from bayesml.formula.tokens import tokenize

x, y, a, b, c = (Name(name) for name in "xyabc")

# text -> tree
TREES = {
    "x": x,
    "`my col`": Name("my col"),
    "Z.marker1": Name("Z.marker1"),
    ".hidden": Name(".hidden"),
    "höhe": Name("höhe"),
    "1": Number(1),
    "2.5": Number(2.5),
    ".5": Number(0.5),
    "1e-3": Number(0.001),
    '"a"': String("a"),
    "'a'": String("a"),
    "log(t)": Call("log", (Name("t"),)),
    "I(x^2)": Call("I", (BinaryOp("^", x, Number(2)),)),
    "I(x ** 2)": Call("I", (BinaryOp("^", x, Number(2)),)),
    "-x^2": UnaryOp("-", BinaryOp("^", x, Number(2))),
    "(-x)^2": BinaryOp("^", UnaryOp("-", x), Number(2)),
    "-a * b": BinaryOp("*", UnaryOp("-", a), b),
    "a * -b": BinaryOp("*", a, UnaryOp("-", b)),
    "+x": UnaryOp("+", x),
    "a - b - c": BinaryOp("-", BinaryOp("-", a, b), c),
    "a / b / c": BinaryOp("/", BinaryOp("/", a, b), c),
    "a^b^c": BinaryOp("^", a, BinaryOp("^", b, c)),
    "a * b + c": BinaryOp("+", BinaryOp("*", a, b), c),
    "a + b * c": BinaryOp("+", a, BinaryOp("*", b, c)),
    "(a + b) * c": BinaryOp("*", BinaryOp("+", a, b), c),
    "a + b == c": Compare("==", BinaryOp("+", a, b), c),
    "(a < b) == c": Compare("==", Compare("<", a, b), c),
    "seed == 'O73'": Compare("==", Name("seed"), String("O73")),
    "I(x != 0)": Call("I", (Compare("!=", x, Number(0)),)),
    "I(x >= 1)": Call("I", (Compare(">=", x, Number(1)),)),
    'C(x, ref="b")': Call("C", (x,), (("ref", String("b")),)),
    "C(x, reference='b')": Call("C", (x,), (("ref", String("b")),)),
    "C(x, ref=-1)": Call("C", (x,), (("ref", UnaryOp("-", Number(1))),)),
    "factor(Gr)": Call("factor", (Name("Gr"),)),
    "scale(log(x))": Call("scale", (Call("log", (x,)),)),
    "size - incidence": BinaryOp("-", Name("size"), Name("incidence")),
}


@pytest.mark.parametrize(("text", "tree"), TREES.items(), ids=list(TREES))
def test_parse_expression_tree(text: str, tree: object) -> None:
    assert parse_expression(text) == tree


# text -> canonical text
CANONICAL = {
    "I(seed=='O73')": 'I(seed == "O73")',
    "log( t )": "log(t)",
    "I(x**2)": "I(x^2)",
    "I(x ^ 2)": "I(x^2)",
    "I(a/b)": "I(a/b)",
    "I(a*b)": "I(a * b)",
    "I((a+b)*c)": "I((a + b) * c)",
    "I(a-(b-c))": "I(a - (b - c))",
    "I((a-b)-c)": "I(a - b - c)",
    "I(a/(b*c))": "I(a/(b * c))",
    "I((a^b)^c)": "I((a^b)^c)",
    "I(a^(b^c))": "I(a^b^c)",
    "I(-(x))": "I(-x)",
    "I(-(a+b))": "I(-(a + b))",
    "I((-x)^2)": "I((-x)^2)",
    "I(-x^2)": "I(-x^2)",
    "I(2^-x)": "I(2^(-x))",
    "I(a - -b)": "I(a - -b)",
    "I((a < b) == c)": "I((a < b) == c)",
    "I(a < (b + c))": "I(a < b + c)",
    "`x`": "x",
    "`my col`": "`my col`",
    "`a\\`b`": "`a\\`b`",
    "`1st`": "`1st`",
    "I(s == 'say \"hi\"')": 'I(s == "say \\"hi\\"")',
    "I(s == 'tab\\there')": 'I(s == "tab\\there")',
    "C(x,reference='b')": 'C(x, ref="b")',
    "I(1.50)": "I(1.5)",
    "I(1e3)": "I(1000.0)",
    "I(007)": "I(7)",
}


@pytest.mark.parametrize(("text", "canonical"), CANONICAL.items(), ids=list(CANONICAL))
def test_canonical_text(text: str, canonical: str) -> None:
    tree = parse_expression(text)
    assert to_text(tree) == canonical
    assert parse_expression(canonical) == tree  # the canonical text parses back to the same tree


def test_spans_are_not_part_of_equality() -> None:
    assert Name("x", start=4, end=5) == Name("x")
    assert hash(Name("x", start=4, end=5)) == hash(Name("x"))
    assert "start" not in repr(Name("x", start=4, end=5))


def test_spans_locate_the_source_text() -> None:
    text = "I(x + log(t))"
    call = parse_expression(text)
    assert isinstance(call, Call)
    inner = call.args[0]
    assert isinstance(inner, BinaryOp)
    assert text[inner.start : inner.end] == "x + log(t)"
    assert text[inner.right.start : inner.right.end] == "log(t)"


def test_call_keyword_lookup() -> None:
    call = parse_expression('C(x, reference="b")')
    assert isinstance(call, Call)
    assert call.keyword("ref") == String("b")
    assert call.keyword("missing") is None


NAMES = {
    "I(a + b * a)": ("a", "b"),
    'C(x, ref="b")': ("x",),
    "log(1 + 2)": (),
    "I(`my col` > y)": ("my col", "y"),
}


@pytest.mark.parametrize(("text", "names"), NAMES.items(), ids=list(NAMES))
def test_names_in(text: str, names: tuple[str, ...]) -> None:
    assert names_in(parse_expression(text)) == names


EXPRESSION_ERRORS = {
    "": r"the expression is empty",
    "offset(x)": r"offset\(\) cannot be used in an expression",
    "cbind(a, b)": r"cbind\(\) cannot be used in an expression",
    "factor(x) + 1": r"factor\(\) cannot be used inside an expression; it is allowed only as a term",
    "x + ": r"expected an expression after '\+', got the end of the formula",
    "x y": r"expected an operator, got 'y'",
    "x)": r"unmatched '\)'",
    "foo(x)": r"unknown function 'foo'",
    "x ~ y": r"unexpected '~'",
}


@pytest.mark.parametrize(
    ("text", "message"), EXPRESSION_ERRORS.items(), ids=list(EXPRESSION_ERRORS)
)
def test_parse_expression_errors(text: str, message: str) -> None:
    with pytest.raises(FormulaError, match=message):
        parse_expression(text)


def test_parse_expression_needs_a_string() -> None:
    with pytest.raises(FormulaError, match="an expression must be a string, got int"):
        parse_expression(3)  # type: ignore[arg-type]


def test_tokens_carry_kinds_values_and_spans() -> None:
    tokens = tokenize("y ~ log(`my t`) + 2.5*'s'")
    got = [(t.kind, t.text, t.start, t.end, t.value) for t in tokens]
    assert got == [
        ("name", "y", 0, 1, "y"),
        ("op", "~", 2, 3, None),
        ("name", "log", 4, 7, "log"),
        ("op", "(", 7, 8, None),
        ("name", "`my t`", 8, 14, "my t"),
        ("op", ")", 14, 15, None),
        ("op", "+", 16, 17, None),
        ("number", "2.5", 18, 21, 2.5),
        ("op", "*", 21, 22, None),
        ("string", "'s'", 22, 25, "s"),
        ("end", "", 25, 25, None),
    ]


OPERATOR_TOKENS = {
    "a||b": ["a", "||", "b"],
    "a|b": ["a", "|", "b"],
    "a**b": ["a", "**", "b"],
    "a<=b": ["a", "<=", "b"],
    "a!=b": ["a", "!=", "b"],
    "x.1-1": ["x.1", "-", "1"],
    "1.5e+3x": ["1.5e+3", "x"],
}


@pytest.mark.parametrize(("text", "texts"), OPERATOR_TOKENS.items(), ids=list(OPERATOR_TOKENS))
def test_tokenizer_splits_operators_longest_first(text: str, texts: list[str]) -> None:
    assert [t.text for t in tokenize(text)][:-1] == texts


def test_integer_and_float_literals_keep_their_type() -> None:
    assert isinstance(tokenize("12")[0].value, int)
    assert isinstance(tokenize("12.0")[0].value, float)
    assert isinstance(tokenize("1e2")[0].value, float)
