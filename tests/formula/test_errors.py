"""parse_formula refuses bad formulas with a FormulaError that points at the offending token."""

from __future__ import annotations

import ast
import builtins
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

import bayesml.formula
from bayesml.errors import FormulaError
from bayesml.formula import parse_formula

# formula -> (message regex, the text the caret is under)
ERRORS = {
    # the overall shape
    "": (r"the formula is empty; expected 'response ~ terms'", ""),
    "y x": (r"the formula has no '~'; expected 'response ~ terms'", "y x"),
    "x1 * x2 + (1 | g)": (r"the formula has no '~'", "x1 * x2 + (1 | g)"),
    "~ x": (r"expected a response before '~'", "~"),
    "y ~": (r"the right-hand side is empty; expected terms after '~'", "~"),
    "y ~ x ~ z": (r"a formula has only one '~'", "~"),
    "y z ~ x": (r"expected an operator, got 'z'", "z"),
    # dangling operators and parentheses
    "y ~ x +": (
        r"expected a term \(a variable, a function call, 1, 0 or '\('\) after '\+', got the end",
        "+",
    ),
    "y ~ x + * z": (r"expected a term .* after '\+', got '\*'", "*"),
    "y ~ + x": (r"expected a term .* after '~', got '\+'", "+"),
    "y ~ (x + z": (r"this '\(' is never closed; expected '\)'", "("),
    "y ~ x)": (r"unmatched '\)'", ")"),
    "y ~ ()": (r"expected a term .* after '\(', got '\)'", ")"),
    "y ~ log(x": (r"'log\(' is never closed; expected '\)'", "log("),
    "y ~ log(x,": (r"expected an argument after ',', got the end of the formula", ","),
    "y ~ log(x,)": (r"expected an argument after ',', got '\)'", ")"),
    "y ~ log(x y)": (r"expected an operator, got 'y'", "y"),
    "y ~ x, z": (
        r"expected an operator \(\+ - \* / : \^\) or the end of the formula, got ','",
        ",",
    ),
    "y ~ x + (1 | g) (1 | h)": (r"expected an operator .* got '\('", "("),
    "y ~ x == 1": (r"'==' is only allowed inside a function, e.g. I\(x == 2\)", "=="),
    "y ~ x ** 2": (r"'\*\*' is only allowed inside a function", "**"),
    'y ~ "a"': (r"a quoted string is not a term; compare inside I\(\)", '"a"'),
    # bars
    "y ~ x | g": (r"a random-effects term must be in parentheses, e.g. \(1 \| group\)", "|"),
    "y ~ x || g": (r"must be in parentheses, e.g. \(1 \|\| group\)", "||"),
    "y ~ (1 | (x | g))": (r"random-effects terms cannot be nested", "|"),
    "y ~ ((1 | g) | h)": (r"random-effects terms cannot be nested", "|"),
    "y ~ (1 | g | h)": (r"random-effects terms cannot be nested", "|"),
    "y ~ (x | )": (r"expected a grouping factor after '\|', got '\)'", ")"),
    "y ~ ( | g)": (r"expected a term .* after '\(', got '\|'", "|"),
    "y ~ (1 | factor(g))": (
        r"the grouping factor must be a column or an interaction of columns, e\.g\. \(1 \| g\), \(1 \| a:b\) or \(1 \| a/b\); got 'factor\(g\)'",
        "factor(g)",
    ),
    "y ~ (1 | a + b)": (r"the grouping factor must be .*; got 'a \+ b'", "a + b"),
    "y ~ (1 | 1)": (r"the grouping factor must be", "1"),
    "y ~ (1 | a:a)": (r"column 'a' appears twice in the grouping factor", "a:a"),
    "y ~ (1 | a/(b/c))": (
        r"write nested grouping factors left to right, e\.g\. \(1 \| a/b/c\)",
        "(b/c)",
    ),
    "y ~ (1 | (a/b):c)": (r"nesting \('/'\) cannot be inside an interaction \(':'\)", "(a/b):c"),
    "y ~ (0 | g)": (r"this random-effects term has no terms", "0"),
    "y ~ x * (1 | g)": (
        r"a random-effects term \(\.\.\. \| group\) can only be added to the formula",
        "(1 | g)",
    ),
    "y ~ x - (1 | g)": (
        r"can only be added to the formula, not interacted, nested or removed",
        "(1 | g)",
    ),
    "y ~ (1 | g) + (1 | g)": (r"'Intercept' appears twice for grouping factor 'g'", "(1 | g)"),
    "y ~ (1 | g) + (x || g)": (r"'Intercept' appears twice for grouping factor 'g'", "(x || g)"),
    "y ~ (1 | a/b) + (1 | a)": (r"'Intercept' appears twice for grouping factor 'a'", "(1 | a)"),
    "y ~ (1 + x | g) + (0 + z | g)": (
        r"grouping factor 'g' appears in 2 random-effects terms and at least one of them is a "
        r"correlated block; one grouping factor may carry only one correlated block: combine them "
        r"as \(1 \+ x \+ z \| g\), or make every effect uncorrelated with \(1 \+ x \+ z \|\| g\)",
        "(0 + z | g)",
    ),
    "y ~ (1 | g) + (x | g)": (r"combine them as \(1 \+ x \| g\)", "(x | g)"),
    "y ~ x + (offset(t) | g)": (
        r"offset\(\) cannot be used inside a random-effects term",
        "offset",
    ),
    # the term algebra
    "y ~ 2": (
        r"a number in a formula can only be 1 \(add the intercept\) or 0 \(remove it\), got 2; write arithmetic inside I\(\), e\.g\. I\(x \* 2\)",
        "2",
    ),
    "y ~ x:1": (
        r"1 and 0 can only be added or removed \('\+ 1', '0 \+', '- 1'\); they cannot be used with ':'",
        "1",
    ),
    "y ~ 0*x": (r"they cannot be used with '\*'", "0"),
    "y ~ (1 + x)^2": (
        r"1 and 0 can only be added or removed; they cannot be raised to a power",
        "(1 + x)",
    ),
    "y ~ x^y": (r"expected a whole number >= 1 after '\^', e\.g\. \(a \+ b \+ c\)\^2", "y"),
    "y ~ (a + b)^0": (r"expected a whole number >= 1 after '\^'", "0"),
    "y ~ (a + b)^1.5": (r"expected a whole number >= 1 after '\^'", "1.5"),
    "y ~ x - z": (r"cannot remove 'z': it is not a term of the formula before the '-'", "z"),
    "y ~ -x": (r"cannot remove 'x'", "x"),
    "y ~ a*b - a:c": (r"cannot remove 'a:c'", "a:c"),
    "y ~ 0": (r"the model has no terms: the intercept is removed and nothing else is left", "0"),
    "y ~ x - x - 1": (r"the model has no terms", "x - x - 1"),
    "y ~ (a+b+c+d+e+f+g+h+i+j+k+l+m+n+o)^15": (
        r"this expands to more than 10000 terms",
        "(a+b+c+d+e+f+g+h+i+j+k+l+m+n+o)^15",
    ),
    # functions
    "y ~ foo(x)": (
        r"unknown function 'foo'; allowed functions: abs, bs, C, c, cbind, center, exp, factor, I, log, log1p, ns, offset, s, scale, sqrt, t2",
        "foo",
    ),
    "y ~ poly(x, 2)": (r"unknown function 'poly'", "poly"),
    "y ~ log()": (r"log\(\) takes 1 positional argument, got 0", "log()"),
    "y ~ log(x, 2)": (r"log\(\) takes 1 positional argument, got 2", "log(x, 2)"),
    "cbind(a) ~ x": (r"cbind\(\) takes 2 or more positional arguments, got 1", "cbind(a)"),
    "y ~ log(x, base=2)": (
        r"log\(\) takes no keyword arguments \(to compare, use '=='\), got 'base'",
        "base",
    ),
    "y ~ I(x = 1)": (r"I\(\) takes no keyword arguments \(to compare, use '=='\)", "x"),
    "y ~ C(x, levels=1)": (
        r"unknown keyword argument 'levels' for C\(\); allowed: ref, reference",
        "levels",
    ),
    "y ~ C(x, ref=b)": (r'ref= must be a quoted string or a number, e\.g\. C\(x, ref="b"\)', "b"),
    "y ~ C(x, reference=log(b))": (r"reference= must be a quoted string or a number", "log(b)"),
    'y ~ C(ref="a", x)': (r"positional arguments must come before keyword arguments", "x"),
    'y ~ C(x, ref="a", reference="b")': (
        r"keyword argument 'reference' is given twice",
        "reference",
    ),
    "y ~ cbind(a, b)": (
        r"cbind\(\) cannot be used on the right-hand side; it is allowed only as the whole response, e\.g\. cbind\(successes, failures\) ~ x",
        "cbind",
    ),
    "cbind(a, b) + 1 ~ x": (
        r"cbind\(\) cannot be used within the response; it is allowed only as the whole response",
        "cbind",
    ),
    "log(cbind(a, b)) ~ x": (r"cbind\(\) cannot be used inside log\(\)", "cbind"),
    "y ~ x:offset(t)": (
        r"offset\(\) cannot be used in an interaction or removed; it is allowed only added to the right-hand side, e\.g\. y ~ x \+ offset\(log\(t\)\)",
        "offset",
    ),
    "y ~ x - offset(t)": (r"offset\(\) cannot be used in an interaction or removed", "offset"),
    "y ~ log(offset(t))": (r"offset\(\) cannot be used inside log\(\)", "offset"),
    "offset(y) ~ x": (r"offset\(\) cannot be used within the response", "offset"),
    "factor(y) ~ x": (
        r"factor\(\) cannot be used within the response; it is allowed only as a term on the right-hand side, e\.g\. y ~ factor\(x\)",
        "factor",
    ),
    "y ~ I(factor(x))": (r"factor\(\) cannot be used inside I\(\)", "factor"),
    "y ~ I(C(x) + 1)": (r"C\(\) cannot be used inside I\(\)", "C"),
    "y ~ offset(t) + offset(t)": (
        r"offset\(t\) appears twice; the offsets of a formula are added, so write it once \(or I\(2 \* t\) if that is what you mean\)",
        "offset(t)",
    ),
    # the response
    "1 ~ x": (r"the response must use a data column, e\.g\. 'y ~ x'; got no column name", "1"),
    "y | g ~ x": (
        r"operator '\|' is not allowed in an expression; allowed operators: \+ - \* / \^ \*\* == != < <= > >=",
        "|",
    ),
    # expressions inside functions
    "y ~ I(a < b < c)": (
        r"comparisons cannot be chained; use parentheses, e\.g\. \(a < b\) == c",
        "<",
    ),
    "y ~ I(x | z)": (r"operator '\|' is not allowed in an expression", "|"),
    "y ~ I(a:b)": (r"operator ':' is not allowed in an expression", ":"),
    "y ~ I(~x)": (r"expected an expression after '\(', got '~'", "~"),
    # characters and names
    "y ~ .": (r"'\.' \(all remaining columns\) is not supported; list the columns by name", "."),
    "y ~ a %in% b": (r"unexpected character '%': %-operators such as %in% are not supported", "%"),
    "y ~ I(x[0])": (r"unexpected character '\[': subscripts \(x\[\.\.\.\]\) are not allowed", "["),
    "y ~ x$a": (r"unexpected character '\$': attribute access \(\$\) is not allowed", "$"),
    "y ~ I(x & z)": (r"unexpected character '&': logical operators are not supported", "&"),
    "y ~ x # comment": (r"comments are not allowed in a formula", "#"),
    "y ~ x; z ~ w": (r"a formula is a single expression; ';' is not allowed", ";"),
    "y ~ x ? z": (
        r"unexpected character '\?': expected a name, a number, a quoted string or an operator",
        "?",
    ),
    "y ~ `unterminated": (r"unterminated backquoted name: expected a closing `", "`unterminated"),
    "y ~ ``": (r"empty backquoted name", "``"),
    'y ~ I("abc)': (r'unterminated string: expected a closing "', '"abc)'),
    'y ~ I("a\\q")': (r"unknown escape '\\q'; allowed escapes: ", "\\q"),
    "y ~ 1e999": (r"the number 1e999 is too large", "1e999"),
    "y ~ __x": (r"names starting with '__' are not allowed, got '__x'", "__x"),
    "y ~ `__x`": (r"names starting with '__' are not allowed, got '__x'", "`__x`"),
}


@pytest.mark.parametrize(("text", "expected"), ERRORS.items(), ids=list(ERRORS))
def test_error_message_and_caret(text: str, expected: tuple[str, str]) -> None:
    message, token = expected
    with pytest.raises(FormulaError, match=message) as caught:
        parse_formula(text)
    error = caught.value
    assert error.formula == text
    assert error.start is not None and error.end is not None
    assert text[error.start : error.end] == token


def test_message_shows_the_formula_with_a_caret_under_the_token() -> None:
    with pytest.raises(FormulaError) as caught:
        parse_formula("y ~ x + foo(z)")
    assert str(caught.value).endswith("\n    y ~ x + foo(z)\n            ^^^")
    assert caught.value.reason.startswith("unknown function 'foo'")


def test_dangling_operator_points_at_the_operator_not_past_the_end() -> None:
    with pytest.raises(FormulaError) as caught:
        parse_formula("y ~ x *")
    assert (caught.value.start, caught.value.end) == (6, 7)


def test_formula_must_be_a_string() -> None:
    with pytest.raises(FormulaError, match=r"a formula must be a string, got list: \['y ~ x'\]"):
        parse_formula(["y ~ x"])  # type: ignore[arg-type]


def test_deep_nesting_is_a_formula_error() -> None:
    with pytest.raises(FormulaError, match="the formula is nested too deeply"):
        parse_formula("y ~ " + "(" * 3000 + "x" + ")" * 3000)


def test_formula_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown function"):
        parse_formula("y ~ foo(x)")


# --- safety: a formula is data, never code -------------------------------------------------------

HOSTILE = {
    'y ~ I(__import__("os").system("echo hacked"))': "__import__",
    "y ~ I(x.__class__)": "x.__class__",
    "y ~ I(().__class__.__bases__)": ".__class__.__bases__",
    "y ~ I(x).real": ".real",
    'y ~ getattr(x, "a")': "getattr",
    'y ~ eval("1 + 1")': "eval",
    'y ~ exec("import os")': "exec",
    'y ~ open("/etc/passwd")': "open",
    "y ~ __builtins__": "__builtins__",
    "y ~ I(lambda: 0)": ":",
    "y ~ I(x if z else w)": "if",
    "y ~ I([c for c in x])": "[",
    "y ~ I({})": "{",
    "y ~ I(*args)": "*",
    "y ~ I(**kwargs)": "**",
    "y ~ I(x)[0]": "[",
    "y ~ I(x)(z)": "(",
    "y ~ os.system(x)": "os.system",
    'y ~ C(x, ref=__import__("os"))': "__import__",
    "y ~ log(x, __class__=1)": "__class__",
    'y ~ I(f"{x}")': '"{x}"',
}


@pytest.mark.parametrize(("text", "token"), HOSTILE.items(), ids=list(HOSTILE))
def test_code_is_refused_at_the_token(text: str, token: str) -> None:
    with pytest.raises(FormulaError) as caught:
        parse_formula(text)
    assert text[caught.value.start : caught.value.end] == token


def test_import_attempt_is_refused_and_nothing_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple] = []

    def record(*args: object, **kwargs: object) -> None:
        calls.append(args)

    for module, name in [(os, "system"), (os, "popen"), (subprocess, "run"), (subprocess, "Popen")]:
        monkeypatch.setattr(module, name, record)
    for name in ("eval", "exec", "__import__"):
        monkeypatch.setattr(builtins, name, record)
    try:
        with pytest.raises(FormulaError, match="names starting with '__' are not allowed"):
            parse_formula('y ~ I(__import__("os").system("echo hacked"))')
    finally:
        monkeypatch.undo()
    assert calls == []


FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "getattr", "setattr", "import_module"}


def _called_names(tree: ast.AST) -> set[str]:
    """Names of the functions called in ``tree`` (``f(...)`` and ``obj.f(...)``), but re.compile."""
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name):
            names.add(node.func.id)
        elif isinstance(node.func, ast.Attribute):
            is_regex = isinstance(node.func.value, ast.Name) and node.func.value.id == "re"
            if not is_regex:
                names.add(node.func.attr)
    return names


def _imported(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.update([node.module or "", *(alias.name for alias in node.names)])
    return names


@pytest.mark.parametrize(
    "path",
    sorted(Path(bayesml.formula.__file__).parent.glob("*.py")),
    ids=lambda path: path.name,
)
def test_the_parser_never_evaluates_code(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert not _called_names(tree) & FORBIDDEN_CALLS
    assert not _imported(tree) & {"importlib", "builtins", "subprocess", "os"}


FUZZ_PIECES = (
    "y", "x", "g", "a", "~", "+", "-", "*", "/", ":", "^", "|", "||", "(", ")", "0", "1", "2",
    "log(", "I(", "C(", "offset(", "cbind(", "factor(", ",", "ref=", '"s"', "==", "<", "**", " ",
    "`q q`", "=", ".", "1.5",
)  # fmt: skip


def test_random_input_gives_a_formula_or_a_formula_error() -> None:
    rng = random.Random(20240611)
    parsed_count = 0
    for _ in range(3000):
        text = "y ~ " + "".join(rng.choice(FUZZ_PIECES) for _ in range(rng.randint(1, 10)))
        try:
            parsed = parse_formula(text)
        except FormulaError as error:
            assert error.start is not None and 0 <= error.start <= len(text)
            continue
        parsed_count += 1
        again = parse_formula(str(parsed))
        assert str(again) == str(parse_formula(str(again)))
    assert parsed_count > 20  # the generator does produce valid formulas


def test_importing_the_formula_package_is_pure_python() -> None:
    code = (
        "import sys, bayesml.formula; "
        "heavy = {'numpy', 'pandas', 'pymc', 'pytensor'} & set(sys.modules); "
        "sys.exit(','.join(sorted(heavy)) or 0)"
    )
    root = Path(bayesml.formula.__file__).parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
