"""Expansion of a right-hand-side tree into terms, with R's term algebra.

``a + b`` unites, ``a - b`` removes, ``a:b`` interacts, ``a * b`` is ``a + b + a:b``, ``a / b`` is
``a + a:b`` (``b`` nested in every factor of ``a``), ``(a + b)^2`` keeps interactions up to order 2,
``1``/``0`` add or remove the intercept. Random-effects bars, ``offset()`` calls and smooths
(``s()``, ``t2()``) are collected where they are *added* to the formula; anywhere else they are an
error.

Terms come out in R's order: by degree, then by first appearance; the factors inside an interaction
are ordered by the first appearance of each factor in the expanded part (so ``b + a:b`` gives
``b:a``), as ``terms.formula`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bayesml.errors import FormulaError
from bayesml.formula.functions import ALLOWED_FUNCTIONS, misplaced
from bayesml.formula.nodes import BinaryOp, Call, Expr, Number, UnaryOp
from bayesml.formula.parsed import Term
from bayesml.formula.render import to_text
from bayesml.formula.syntax import BARS

__all__ = ["TermSet", "Expander", "MAX_TERMS"]

#: the roles of calls that are not term factors (see :mod:`bayesml.formula.functions`)
_SPECIAL_ROLES = ("offset", "response", "smooth", "vector")

#: the most terms an interaction may expand to (``(a + ... + z)^26`` would be 67 million)
MAX_TERMS = 10_000


@dataclass
class TermSet:
    """Terms (as sets of factor texts, in order of appearance) and what was said of the intercept.

    ``intercept`` is ``True`` after ``+ 1``, ``False`` after ``0`` or ``- 1``, ``None`` when not
    mentioned.
    """

    terms: list[frozenset[str]] = field(default_factory=list)
    intercept: bool | None = None

    def union(self, other: TermSet) -> TermSet:
        """``self + other``: the terms of both, and ``other``'s word on the intercept if any."""
        merged = _distinct(self.terms + other.terms)
        intercept = other.intercept if other.intercept is not None else self.intercept
        return TermSet(merged, intercept)


def _distinct(terms: list[frozenset[str]]) -> list[frozenset[str]]:
    return list(dict.fromkeys(terms))


class Expander:
    """Expand one right-hand side (or one bar's left-hand side) into a :class:`TermSet`.

    Parameters
    ----------
    text
        The whole formula, for error messages.

    Attributes
    ----------
    bars
        The random-effects bar nodes met in added positions, in order.
    offsets
        The ``offset(...)`` calls met in added positions, in order.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.bars: list[BinaryOp] = []
        self.offsets: list[Call] = []
        self.smooths: list[Call] = []
        self._order: dict[str, int] = {}
        self._operators: dict[str, Callable[[BinaryOp, bool], TermSet]] = {
            "+": self._sum,
            "-": self._sum,
            ":": self._colon,
            "*": self._star,
            "/": self._nest,
            "^": self._power,
        }

    def error(self, message: str, node: Expr) -> FormulaError:
        return FormulaError(message, self.text, node.start, node.end)

    # -- the algebra ---------------------------------------------------------------------------
    def expand(self, node: Expr, added: bool = True) -> TermSet:
        """Expand ``node``; ``added`` is whether it sits where bars and offsets may be added."""
        match node:
            case BinaryOp(op=op) if op in BARS:
                if not added:
                    raise self.error(
                        "a random-effects term (... | group) can only be added to the formula, "
                        "not interacted, nested or removed",
                        node,
                    )
                self.bars.append(node)
                return TermSet()
            case BinaryOp(op=op):
                return self._operators[op](node, added)
            case UnaryOp(operand=operand):
                return self._remove(TermSet(), operand)
            case Number():
                return self._number(node)
            case Call(func=func) if ALLOWED_FUNCTIONS[func].role in _SPECIAL_ROLES:
                return self._special_call(node, added)
        return TermSet([frozenset({self._factor(node)})])

    def _factor(self, node: Expr) -> str:
        text = to_text(node)
        self._order.setdefault(text, len(self._order))
        return text

    def _number(self, node: Number) -> TermSet:
        if node.value in (0, 1):
            return TermSet(intercept=node.value == 1)
        raise self.error(
            f"a number in a formula can only be 1 (add the intercept) or 0 (remove it), "
            f"got {node.value!r}; write arithmetic inside I(), e.g. I(x * {node.value!r})",
            node,
        )

    def _special_call(self, node: Call, added: bool) -> TermSet:
        role = ALLOWED_FUNCTIONS[node.func].role
        if role == "offset" and added:
            self.offsets.append(node)
            return TermSet()
        if role == "smooth" and added:
            self.smooths.append(node)
            return TermSet()
        where = {
            "response": "on the right-hand side",
            "vector": "as a term",
        }.get(role, "in an interaction or removed")
        raise misplaced(node, self.text, where)

    def _sum(self, node: BinaryOp, added: bool) -> TermSet:
        """Fold a chain ``a + b - c + ...`` from the left (iteratively: chains can be long)."""
        chain: list[tuple[str, Expr]] = []
        current: Expr = node
        while isinstance(current, BinaryOp) and current.op in ("+", "-"):
            chain.append((current.op, current.right))
            current = current.left
        first = self.expand(current, added)
        terms, intercept = dict.fromkeys(first.terms), first.intercept
        for op, operand in reversed(chain):
            if op == "+":
                part = self.expand(operand, added)
                terms.update(dict.fromkeys(part.terms))
            else:
                part = self._remove(TermSet(list(terms), intercept), operand)
                terms = dict.fromkeys(part.terms)
            intercept = intercept if part.intercept is None else part.intercept
        return TermSet(list(terms), intercept)

    def _remove(self, kept: TermSet, node: Expr) -> TermSet:
        removed = self.expand(node, added=False)
        present = set(kept.terms)
        for term in removed.terms:
            if term not in present:
                label = ":".join(sorted(term, key=self._order.__getitem__))
                raise self.error(
                    f"cannot remove {label!r}: it is not a term of the formula before the '-'", node
                )
        intercept = kept.intercept if removed.intercept is None else not removed.intercept
        gone = set(removed.terms)
        return TermSet([term for term in kept.terms if term not in gone], intercept)

    def _operands(self, node: BinaryOp) -> tuple[TermSet, TermSet]:
        """Both sides of an interaction-like operator; 0 and 1 are refused there."""
        sides = self.expand(node.left, added=False), self.expand(node.right, added=False)
        for side, child in zip(sides, (node.left, node.right), strict=True):
            if side.intercept is not None:
                raise self.error(
                    f"1 and 0 can only be added or removed ('+ 1', '0 +', '- 1'); "
                    f"they cannot be used with {node.op!r}",
                    child,
                )
        return sides

    def _interact(self, left: TermSet, right: TermSet, node: BinaryOp) -> TermSet:
        if len(left.terms) * len(right.terms) > MAX_TERMS:
            raise self.error(f"this expands to more than {MAX_TERMS} terms", node)
        return TermSet(_distinct([a | b for a in left.terms for b in right.terms]))

    def _colon(self, node: BinaryOp, added: bool) -> TermSet:
        return self._interact(*self._operands(node), node)

    def _star(self, node: BinaryOp, added: bool) -> TermSet:
        left, right = self._operands(node)
        return left.union(right).union(self._interact(left, right, node))

    def _nest(self, node: BinaryOp, added: bool) -> TermSet:
        left, right = self._operands(node)
        outer = TermSet([frozenset().union(*left.terms)])
        return left.union(self._interact(outer, right, node))

    def _power(self, node: BinaryOp, added: bool) -> TermSet:
        exponent = node.right
        if not (
            isinstance(exponent, Number) and isinstance(exponent.value, int) and exponent.value >= 1
        ):
            raise self.error("expected a whole number >= 1 after '^', e.g. (a + b + c)^2", exponent)
        base = self.expand(node.left, added=False)
        if base.intercept is not None:
            raise self.error(
                "1 and 0 can only be added or removed; they cannot be raised to a power", node.left
            )
        result = base
        for _ in range(exponent.value - 1):
            grown = result.union(self._interact(result, base, node))
            if len(grown.terms) == len(result.terms):  # every interaction is already in
                break
            result = grown
        return result

    # -- the result ----------------------------------------------------------------------------
    def to_terms(self, term_set: TermSet) -> tuple[Term, ...]:
        """``term_set``'s terms (intercept excluded) in R's order, factors ordered by appearance."""
        ordered = sorted(term_set.terms, key=len)  # stable: first appearance within a degree
        return tuple(Term(tuple(sorted(term, key=self._order.__getitem__))) for term in ordered)
