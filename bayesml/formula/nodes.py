"""The expression tree: small frozen node classes.

The parser builds these nodes for both grammars. Inside function calls and on the response side only
the expression operators occur (``+ - * / ^``, comparisons, unary ``-``/``+``); the right-hand side of
a formula also uses the formula operators (``+ - * / : ^ | ||``). The design layer evaluates
expression trees with its own interpreter; nothing here evaluates anything.

Every node carries the character span ``start``/``end`` of its source text. The span is not part of
equality or hashing, so ``Name("x")`` equals the ``x`` parsed from any position.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

__all__ = [
    "Name",
    "Number",
    "String",
    "Call",
    "BinaryOp",
    "UnaryOp",
    "Compare",
    "Expr",
    "ARITHMETIC_OPERATORS",
    "COMPARISON_OPERATORS",
    "UNARY_OPERATORS",
    "children",
    "walk",
    "names_in",
]

#: binary operators of expressions (``**`` is read as ``^``)
ARITHMETIC_OPERATORS: tuple[str, ...] = ("+", "-", "*", "/", "^")
#: comparison operators of expressions
COMPARISON_OPERATORS: tuple[str, ...] = ("==", "!=", "<", "<=", ">", ">=")
#: prefix operators of expressions
UNARY_OPERATORS: tuple[str, ...] = ("-", "+")


@dataclass(frozen=True)
class _Node:
    start: int = field(default=0, kw_only=True, compare=False, repr=False)
    end: int = field(default=0, kw_only=True, compare=False, repr=False)


@dataclass(frozen=True)
class Name(_Node):
    """A data column, by its name without backquotes (``Name("my col")`` for `` `my col` ``)."""

    name: str


@dataclass(frozen=True)
class Number(_Node):
    """A numeric literal: ``int`` when written without ``.`` or exponent, else ``float``."""

    value: int | float


@dataclass(frozen=True)
class String(_Node):
    """A quoted string literal, unescaped."""

    value: str


@dataclass(frozen=True)
class Call(_Node):
    """A call of an allowed function (see ``ALLOWED_FUNCTIONS``).

    ``kwargs`` holds ``(canonical keyword, value)`` pairs, e.g. ``(("ref", String("b")),)``.
    """

    func: str
    args: tuple[Expr, ...] = ()
    kwargs: tuple[tuple[str, Expr], ...] = ()

    def keyword(self, name: str, default: Expr | None = None) -> Expr | None:
        """The value of keyword argument ``name``, or ``default`` when it was not given."""
        return dict(self.kwargs).get(name, default)


@dataclass(frozen=True)
class BinaryOp(_Node):
    """``left op right`` for an arithmetic (or, on the right-hand side, formula) operator."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class UnaryOp(_Node):
    """``op operand`` for a prefix ``-`` or ``+``."""

    op: str
    operand: Expr


@dataclass(frozen=True)
class Compare(_Node):
    """``left op right`` for a comparison operator (``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``)."""

    op: str
    left: Expr
    right: Expr


Expr = Name | Number | String | Call | BinaryOp | UnaryOp | Compare


def children(node: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of ``node`` (call arguments, then keyword values)."""
    match node:
        case Call(args=args, kwargs=kwargs):
            return (*args, *(value for _, value in kwargs))
        case BinaryOp(left=left, right=right) | Compare(left=left, right=right):
            return (left, right)
        case UnaryOp(operand=operand):
            return (operand,)
    return ()


def walk(node: Expr) -> Iterator[Expr]:
    """Every node of the tree, parents before children, left to right."""
    yield node
    for child in children(node):
        yield from walk(child)


def names_in(node: Expr) -> tuple[str, ...]:
    """The column names referenced by ``node``, in order of first appearance, without repeats."""
    return tuple(dict.fromkeys(sub.name for sub in walk(node) if isinstance(sub, Name)))
