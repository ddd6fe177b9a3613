"""Formula parser: tokens → the response tree and the right-hand-side tree.

The *formula* grammar of the right-hand side extends the expression grammar
(:mod:`bayesml.formula.expressions`): names, ``0``/``1``, calls of allowed functions (their
arguments use the expression grammar), ``+ - * / : ^``, prefix ``-`` and, only directly inside
parentheses, the random-effects bars ``|`` and ``||``. The left-hand side is one expression.

Where a call or a bar may appear (added, interacted, removed) is checked when the tree is expanded
into terms (:mod:`bayesml.formula.terms`).
"""

from __future__ import annotations

from typing import Literal

from bayesml.errors import FormulaError
from bayesml.formula.expressions import ADD_MUL_INFIX, EXPRESSION_INFIX, ExpressionParser, describe
from bayesml.formula.nodes import BinaryOp, Expr, UnaryOp
from bayesml.formula.tokens import Token

__all__ = ["parse_sides", "parse_one_sided", "contains_bar", "BARS"]

BARS = ("|", "||")
# operator -> (left binding power, right binding power)
_FORMULA_INFIX = {**ADD_MUL_INFIX, ":": (30, 31), "^": (40, 41)}
_BAR_POWER = (2, 3)  # bars bind loosest: (1 + x | g) is ((1 + x) | g)
_FORMULA_PREFIX_POWER = 11  # the operand of "- x" stops at the next + or -

# where bars may appear: not at all, directly inside these parentheses, inside another bar
BarState = Literal["outside", "allowed", "nested"]


def contains_bar(node: Expr) -> bool:
    """Whether ``node`` (a right-hand-side tree) holds a ``|`` or ``||`` term anywhere."""
    match node:
        case BinaryOp(op=op, left=left, right=right):
            return op in BARS or contains_bar(left) or contains_bar(right)
        case UnaryOp(operand=operand):
            return contains_bar(operand)
    return False


class _FormulaParser(ExpressionParser):
    """The formula grammar on top of the expression grammar."""

    # -- formula grammar -----------------------------------------------------------------------
    def formula(self, min_power: int, bars: BarState) -> Expr:
        left = self.formula_prefix(bars)
        while True:
            token = self.peek()
            if token.kind == "op" and token.text in BARS:
                if _BAR_POWER[0] < min_power:
                    return left
                left = self.bar(left, token, bars)
                continue
            powers = _FORMULA_INFIX.get(token.text) if token.kind == "op" else None
            if powers is None:
                self.check_formula_follower(token)
                return left
            if powers[0] < min_power:
                return left
            self.advance()
            right = self.formula(powers[1], bars)
            left = BinaryOp(token.text, left, right, start=left.start, end=right.end)

    def bar(self, left: Expr, token: Token, bars: BarState) -> Expr:
        if bars == "outside":
            raise self.error(
                f"a random-effects term must be in parentheses, e.g. (1 {token.text} group)", token
            )
        if bars == "nested" or contains_bar(left):
            raise self.error(
                "random-effects terms cannot be nested: a second '|' in one term", token
            )
        self.advance()
        if self.peek().kind == "end" or self.at(")"):
            raise self.missing_operand("a grouping factor")
        group = self.formula(_BAR_POWER[1], "nested")
        return BinaryOp(token.text, left, group, start=left.start, end=group.end)

    def check_formula_follower(self, token: Token) -> None:
        """Refuse a token that can neither continue nor end a right-hand side."""
        if token.kind == "end" or self.at(")"):
            return
        if token.kind == "op" and token.text in EXPRESSION_INFIX:
            raise self.error(
                f"{token.text!r} is only allowed inside a function, e.g. I(x {token.text} 2)", token
            )
        if self.at("~"):
            raise self.error("a formula has only one '~'", token)
        raise self.error(
            f"expected an operator (+ - * / : ^) or the end of the formula, got {describe(token)}",
            token,
        )

    def formula_prefix(self, bars: BarState) -> Expr:
        token = self.peek()
        if token.kind == "op" and token.text == "-":
            self.advance()
            operand = self.formula(_FORMULA_PREFIX_POWER, bars)
            return UnaryOp("-", operand, start=token.start, end=operand.end)
        if token.kind == "op" and token.text == "(":
            inner_bars: BarState = "nested" if bars == "nested" else "allowed"
            return self.parenthesised(lambda: self.formula(0, inner_bars))
        if token.kind == "name" and self.peek(1).text == "(" and self.peek(1).kind == "op":
            return self.call()
        if token.kind == "string":
            raise self.error(
                'a quoted string is not a term; compare inside I(), e.g. I(x == "a")', token
            )
        return self.atom("a term (a variable, a function call, 1, 0 or '(')")

    # -- entry points --------------------------------------------------------------------------
    def sides(self) -> tuple[Expr, Expr]:
        if self.peek().kind == "end":
            raise FormulaError(
                "the formula is empty; expected 'response ~ terms', e.g. 'y ~ x + (1 | g)'",
                self.text,
                0,
                max(1, len(self.text)),
            )
        if not any(token.text == "~" and token.kind == "op" for token in self.tokens):
            raise FormulaError(
                "the formula has no '~'; expected 'response ~ terms', e.g. 'y ~ x + (1 | g)'",
                self.text,
                0,
                len(self.text),
            )
        if self.at("~"):
            raise self.error("expected a response before '~', e.g. 'y ~ x'", self.peek())
        lhs = self.expression()
        if not self.at("~"):
            raise self.error(
                f"expected '~' after the response, got {describe(self.peek())}", self.peek()
            )
        self.advance()
        if self.peek().kind == "end":
            raise self.error("the right-hand side is empty; expected terms after '~'", self.peek())
        rhs = self.formula(0, "outside")
        self.expect_end()
        return lhs, rhs

    def one_sided(self) -> Expr:
        """``~ terms`` (the ``~`` may be left out): the right-hand side only."""
        if self.at("~"):
            self.advance()
        tilde = next((t for t in self.tokens[self.pos :] if t.kind == "op" and t.text == "~"), None)
        if tilde is not None:
            raise self.error(
                "a one-sided formula has no response: write '~ x1 + x2', not 'y ~ x1 + x2'", tilde
            )
        if self.peek().kind == "end":
            raise self.error(
                "the one-sided formula has no terms; expected terms such as '~ x1 + x2'", self.peek()
            )
        rhs = self.formula(0, "outside")
        self.expect_end()
        return rhs


def parse_one_sided(text: str) -> Expr:
    """Parse a one-sided formula ``"~ x1 + x2"`` (or ``"x1 + x2"``) into its right-hand-side tree.

    Raises
    ------
    FormulaError
        For any syntax error, pointing at the token; for a response before ``~``.
    """
    return _FormulaParser(text).one_sided()


def parse_sides(text: str) -> tuple[Expr, Expr]:
    """Parse a formula into its response tree and its right-hand-side tree.

    Raises
    ------
    FormulaError
        For any syntax error, unknown function, bad arity or keyword, pointing at the token.
    """
    return _FormulaParser(text).sides()
