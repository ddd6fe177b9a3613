"""Expression parser: tokens → expression trees, and ``parse_expression``.

The *expression* grammar is used on the response side and for every function argument: names,
numbers, strings, calls of allowed functions, ``+ - * / ^ **``, comparisons ``== != < <= > >=``
(not chained) and prefix ``-``/``+``. It is a Pratt parser (precedence climbing); the formula
grammar of the right-hand side (:mod:`bayesml.formula.syntax`) extends it.

The parser checks what it can see locally (allowed functions, arity, keywords); where a call may
appear is checked when the tree is used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import lru_cache

from bayesml.errors import FormulaError
from bayesml.formula.functions import (
    ALLOWED_FUNCTIONS,
    get_function,
    misplaced,
    require_transforms,
)
from bayesml.formula.nodes import BinaryOp, Call, Compare, Expr, Name, Number, String, UnaryOp
from bayesml.formula.tokens import Token, tokenize

__all__ = [
    "ExpressionParser",
    "parse_expression",
    "describe",
    "ADD_MUL_INFIX",
    "EXPRESSION_INFIX",
    "COMPARISONS",
    "unless_too_deep",
]

COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
# operator -> (left binding power, right binding power); right < left makes it right-associative.
# + - * / bind alike in expressions and formulas (R's precedence); ^ does not.
ADD_MUL_INFIX = {"+": (10, 11), "-": (10, 11), "*": (20, 21), "/": (20, 21)}
EXPRESSION_INFIX = {
    **dict.fromkeys(COMPARISONS, (5, 6)),
    **ADD_MUL_INFIX,
    "^": (41, 40),
    "**": (41, 40),
}
_EXPRESSION_PREFIX_POWER = 30  # -x^2 is -(x^2); -a * b is (-a) * b
_EXPRESSION_OPERATORS = "+ - * / ^ ** == != < <= > >="


def describe(token: Token) -> str:
    """How a token is named in messages: ``'x'``, or "the end of the formula"."""
    return "the end of the formula" if token.kind == "end" else repr(token.text)


class ExpressionParser:
    """Precedence climbing over a token list: the expression grammar and calls."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

    # -- token helpers -------------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.peek()
        self.pos += 1
        return token

    def at(self, text: str) -> bool:
        token = self.peek()
        return token.kind == "op" and token.text == text

    def error(self, message: str, token: Token) -> FormulaError:
        if token.kind == "end" and self.pos > 0:  # point at what dangles, not past the end
            token = self.tokens[self.pos - 1]
        return FormulaError(message, self.text, token.start, token.end)

    def missing_operand(self, what: str) -> FormulaError:
        token = self.peek()
        after = f" after {self.tokens[self.pos - 1].text!r}" if self.pos > 0 else ""
        return self.error(f"expected {what}{after}, got {describe(token)}", token)

    # -- expression grammar ----------------------------------------------------------------------
    def expression(self, min_power: int = 0) -> Expr:
        left = self.expression_prefix()
        compared = False
        while True:
            token = self.peek()
            powers = EXPRESSION_INFIX.get(token.text) if token.kind == "op" else None
            if powers is None:
                self.check_expression_follower(token)
                return left
            left_power, right_power = powers
            if left_power < min_power:
                return left
            self.advance()
            if token.text in COMPARISONS:
                if compared:
                    raise self.error(
                        "comparisons cannot be chained; use parentheses, e.g. (a < b) == c", token
                    )
                compared = True
            right = self.expression(right_power)
            node_type = Compare if token.text in COMPARISONS else BinaryOp
            op = "^" if token.text == "**" else token.text
            left = node_type(op, left, right, start=left.start, end=right.end)

    def check_expression_follower(self, token: Token) -> None:
        """Refuse a token that can neither continue nor end an expression."""
        if token.kind == "op" and token.text in ("|", "||", ":"):
            raise self.error(
                f"operator {token.text!r} is not allowed in an expression; "
                f"allowed operators: {_EXPRESSION_OPERATORS}",
                token,
            )
        if token.kind == "op" and token.text == "=":
            raise self.error(
                "'=' only names a keyword argument, e.g. C(x, ref=\"b\"); to compare use '=='",
                token,
            )
        if token.kind in ("name", "number", "string") or self.at("("):
            raise self.error(f"expected an operator, got {describe(token)}", token)

    def expression_prefix(self) -> Expr:
        token = self.peek()
        if token.kind == "op" and token.text in ("-", "+"):
            self.advance()
            operand = self.expression(_EXPRESSION_PREFIX_POWER)
            return UnaryOp(token.text, operand, start=token.start, end=operand.end)
        if token.kind == "op" and token.text == "(":
            return self.parenthesised(self.expression)
        if token.kind == "name" and self.peek(1).text == "(" and self.peek(1).kind == "op":
            return self.call()
        return self.atom("an expression")

    def atom(self, what: str) -> Expr:
        token = self.peek()
        node_types = {"name": Name, "number": Number, "string": String}
        if token.kind not in node_types:
            raise self.missing_operand(what)
        self.advance()
        return node_types[token.kind](token.value, start=token.start, end=token.end)

    def parenthesised(self, inner: Callable[[], Expr]) -> Expr:
        opening = self.advance()
        node = inner()
        if not self.at(")"):
            if self.peek().kind == "end":
                raise FormulaError(
                    "this '(' is never closed; expected ')'", self.text, opening.start, opening.end
                )
            raise self.error(f"expected ')', got {describe(self.peek())}", self.peek())
        closing = self.advance()
        return replace(node, start=opening.start, end=closing.end)  # the span covers the ( )

    # -- calls ---------------------------------------------------------------------------------
    def call(self) -> Call:
        name = self.advance()
        spec = get_function(str(name.value), self.text, name.start, name.end)
        self.advance()  # "("
        args: list[Expr] = []
        kwargs: dict[str, Expr] = {}
        while not self.at(")"):
            self.argument_start(name, first=not (args or kwargs))
            if (
                self.peek().kind == "name"
                and self.peek(1).text == "="
                and self.peek(1).kind == "op"
            ):
                key, value = self.keyword_argument(spec.name, spec.keywords, kwargs)
                kwargs[key] = value
            elif kwargs:
                raise self.error(
                    "positional arguments must come before keyword arguments", self.peek()
                )
            else:
                value = self.expression()
                require_transforms(value, self.text, f"inside {spec.name}()")
                args.append(value)
        closing = self.advance()
        call = Call(
            spec.name, tuple(args), tuple(kwargs.items()), start=name.start, end=closing.end
        )
        if len(args) < spec.n_args or (len(args) > spec.n_args and not spec.more_args):
            plural = "argument" if spec.n_args == 1 and not spec.more_args else "arguments"
            count = f"{spec.n_args} or more" if spec.more_args else str(spec.n_args)
            raise FormulaError(
                f"{spec.name}() takes {count} positional {plural}, got {len(args)}",
                self.text,
                call.start,
                call.end,
            )
        return call

    def argument_start(self, name: Token, *, first: bool) -> None:
        """Check the call is still open and, after the first argument, consume the ','."""
        if self.peek().kind == "end":
            raise FormulaError(
                f"'{name.text}(' is never closed; expected ')'", self.text, name.start, name.end + 1
            )
        if first:
            return
        if not self.at(","):
            raise self.error(f"expected ',' or ')', got {describe(self.peek())}", self.peek())
        self.advance()
        if self.at(")") or self.peek().kind == "end":
            raise self.error(
                f"expected an argument after ',', got {describe(self.peek())}", self.peek()
            )

    def keyword_argument(
        self, func: str, keywords: Mapping[str, str], given: dict[str, Expr]
    ) -> tuple[str, Expr]:
        key = self.advance()
        if not keywords:
            raise self.error(
                f"{func}() takes no keyword arguments (to compare, use '=='), got {key.text!r}", key
            )
        if key.value not in keywords:
            raise self.error(
                f"unknown keyword argument {key.text!r} for {func}(); "
                f"allowed: {', '.join(keywords)}",
                key,
            )
        canonical = keywords[str(key.value)]
        if canonical in given:
            raise self.error(f"keyword argument {key.text!r} is given twice", key)
        self.advance()  # "="
        value = self.expression()
        if spec_role(func) in ("smooth", "basis") and _is_smooth_keyword_value(canonical, value):
            return canonical, value
        if not _is_literal(value):
            raise FormulaError(
                f'{key.text}= must be a quoted string or a number, e.g. {func}(x, {key.text}="b")',
                self.text,
                value.start,
                value.end,
            )
        return canonical, value

    def expect_end(self) -> None:
        token = self.peek()
        if token.kind != "end":
            message = "unmatched ')'" if self.at(")") else f"unexpected {describe(token)}"
            raise self.error(message, token)


def spec_role(func: str) -> str:
    """The role of allowed function ``func`` (see :mod:`bayesml.formula.functions`)."""
    return ALLOWED_FUNCTIONS[func].role


def _is_smooth_keyword_value(keyword: str, node: Expr) -> bool:
    """Whether ``node`` may be the value of a smooth's (or a spline basis') keyword beyond a
    literal: a column name for ``by=``, ``c(numbers...)`` for ``k=``, ``knots=`` and
    ``Boundary.knots=``."""
    if keyword == "by":
        return isinstance(node, Name)
    if keyword in ("k", "knots", "Boundary.knots") and isinstance(node, Call) and node.func == "c":
        return all(_is_literal(arg) and not isinstance(arg, String) for arg in node.args)
    return False


def _is_literal(node: Expr) -> bool:
    match node:
        case String() | Number():
            return True
        case UnaryOp(op="-", operand=Number()):
            return True
    return False


def unless_too_deep[T](parse: Callable[[str], T], text: str, what: str) -> T:
    """``parse(text)``, where running out of Python's recursion limit is a :class:`FormulaError`
    over the whole text (``the <what> is nested too deeply``)."""
    try:
        return parse(text)
    except RecursionError:
        raise FormulaError(f"the {what} is nested too deeply", text, 0, len(text)) from None


@lru_cache(maxsize=4096)
def _parse_expression(text: str) -> Expr:
    return unless_too_deep(_expression, text, "expression")


def _expression(text: str) -> Expr:
    parser = ExpressionParser(text)
    if parser.peek().kind == "end":
        raise FormulaError("the expression is empty", text, 0, max(1, len(text)))
    node = parser.expression()
    parser.expect_end()
    role = ALLOWED_FUNCTIONS[node.func].role if isinstance(node, Call) else "transform"
    if role in ("categorical", "basis"):  # C(x), factor(x), bs(x) are whole factors of a term
        return node
    if isinstance(node, Call) and role != "transform":
        raise misplaced(node, text, "in an expression")
    require_transforms(node, text, "inside an expression")
    return node


def parse_expression(text: str) -> Expr:
    """Parse one expression: a term factor, a response or an offset expression.

    This is how the design layer gets the tree of a canonical expression text (``Term.factors``,
    ``Response.expressions``, ``ParsedFormula.offsets``) to evaluate with its own interpreter.

    Parameters
    ----------
    text
        E.g. ``'I(seed == "O73")'``, ``"log(t)"``, ``'C(x, ref="b")'``, ``"size - incidence"``.

    Returns
    -------
    Expr
        A tree of :class:`Name`, :class:`Number`, :class:`String`, :class:`Call`,
        :class:`BinaryOp`, :class:`UnaryOp` and :class:`Compare` nodes.

    Raises
    ------
    FormulaError
        When ``text`` is not a single allowed expression. ``C()``/``factor()`` are accepted only as
        the whole expression; ``offset()`` and ``cbind()`` are never accepted.

    Examples
    --------
    >>> parse_expression("log(t)")
    Call(func='log', args=(Name(name='t'),), kwargs=())
    """
    if not isinstance(text, str):
        raise FormulaError(f"an expression must be a string, got {type(text).__name__}")
    return _parse_expression(text)
