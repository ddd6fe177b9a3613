"""Random-effects terms: expansion of each ``(lhs | group)`` and merging by grouping factor.

lme4 semantics: the intercept is implicit on the left of a bar unless ``0 +`` or ``- 1`` removes it;
``||`` makes the effects uncorrelated; ``(x | a/b)`` is ``(x | a) + (x | a:b)``. A grouping factor
that appears in several bars is merged into one :class:`RandomTerm` when every piece is uncorrelated
or has a single term (exactly what lme4's expansion of ``||`` produces); one grouping factor cannot
carry two correlated blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bayesml.errors import FormulaError
from bayesml.formula.functions import misplaced
from bayesml.formula.nodes import BinaryOp, Expr, Name
from bayesml.formula.parsed import RandomTerm, Term
from bayesml.formula.terms import Expander

__all__ = ["random_terms"]

_GROUP_HINT = "a column or an interaction of columns, e.g. (1 | g), (1 | a:b) or (1 | a/b)"


@dataclass(frozen=True)
class _Piece:
    """One bar's contribution for one grouping factor, before merging."""

    terms: tuple[Term, ...]
    group: tuple[str, ...]
    correlated: bool
    node: BinaryOp = field(compare=False)


def random_terms(bars: list[BinaryOp], text: str) -> tuple[RandomTerm, ...]:
    """The random terms of a formula, one per grouping factor, in order of first appearance.

    Parameters
    ----------
    bars
        The ``|``/``||`` nodes of the right-hand side, in order.
    text
        The whole formula, for error messages.

    Raises
    ------
    FormulaError
        For an empty left-hand side, a grouping factor that is not a column or an interaction of
        columns, a term repeated for one grouping factor, or two correlated blocks of one factor.
    """
    by_group: dict[frozenset[str], list[_Piece]] = {}
    for bar in bars:
        for piece in _expand_bar(bar, text):
            by_group.setdefault(frozenset(piece.group), []).append(piece)
    return tuple(_merge(pieces, text) for pieces in by_group.values())


def _expand_bar(bar: BinaryOp, text: str) -> list[_Piece]:
    expander = Expander(text)
    lhs = expander.expand(bar.left)
    if expander.offsets:
        raise misplaced(expander.offsets[0], text, "inside a random-effects term")
    intercept = (Term(),) if lhs.intercept is not False else ()
    terms = intercept + expander.to_terms(lhs)
    if not terms:
        raise FormulaError(
            "this random-effects term has no terms; keep the intercept, e.g. (1 | g), "
            "or name a term, e.g. (0 + x | g)",
            text,
            bar.left.start,
            bar.left.end,
        )
    correlated = bar.op == "|" and len(terms) > 1
    return [_Piece(terms, group, correlated, bar) for group in _groups(bar.right, text)]


def _groups(node: Expr, text: str) -> list[tuple[str, ...]]:
    """The grouping factors named by ``node``: ``a/b`` gives ``[("a",), ("a", "b")]``."""
    match node:
        case Name(name=name):
            return [(name,)]
        case BinaryOp(op=":", left=left, right=right):
            outer, inner = _groups(left, text), _groups(right, text)
            if len(outer) > 1 or len(inner) > 1:
                raise FormulaError(
                    f"nesting ('/') cannot be inside an interaction (':') of a grouping factor; "
                    f"expected {_GROUP_HINT}",
                    text,
                    node.start,
                    node.end,
                )
            return [_distinct_columns(outer[0] + inner[0], node, text)]
        case BinaryOp(op="/", left=left, right=right):
            outer, inner = _groups(left, text), _groups(right, text)
            if len(inner) > 1:
                raise FormulaError(
                    "write nested grouping factors left to right, e.g. (1 | a/b/c)",
                    text,
                    right.start,
                    right.end,
                )
            return [*outer, _distinct_columns(outer[-1] + inner[0], node, text)]
    raise FormulaError(
        f"the grouping factor must be {_GROUP_HINT}; got {text[node.start : node.end]!r}",
        text,
        node.start,
        node.end,
    )


def _distinct_columns(group: tuple[str, ...], node: Expr, text: str) -> tuple[str, ...]:
    repeated = [name for name in dict.fromkeys(group) if group.count(name) > 1]
    if repeated:
        raise FormulaError(
            f"column {repeated[0]!r} appears twice in the grouping factor",
            text,
            node.start,
            node.end,
        )
    return group


def _merge(pieces: list[_Piece], text: str) -> RandomTerm:
    first = pieces[0]
    if len(pieces) == 1:
        return RandomTerm(first.terms, first.group, first.correlated)
    terms = tuple(dict.fromkeys(term for piece in pieces for term in piece.terms))
    ordered = tuple(sorted(terms, key=lambda term: not term.is_intercept))
    if any(piece.correlated for piece in pieces):
        raise _two_blocks(pieces, ordered, text)
    seen: set[Term] = set()
    for piece in pieces:
        repeated = [term for term in piece.terms if term in seen]
        if repeated:
            raise FormulaError(
                f"{repeated[0].label!r} appears twice for grouping factor {':'.join(first.group)!r}",
                text,
                piece.node.start,
                piece.node.end,
            )
        seen.update(piece.terms)
    return RandomTerm(ordered, first.group, correlated=False)


def _two_blocks(pieces: list[_Piece], terms: tuple[Term, ...], text: str) -> FormulaError:
    group = pieces[0].group
    combined = RandomTerm(terms, group, correlated=True)
    uncorrelated = RandomTerm(terms, group, correlated=False)
    return FormulaError(
        f"grouping factor {':'.join(group)!r} appears in {len(pieces)} random-effects terms and "
        f"at least one of them is a correlated block; one grouping factor may carry only one "
        f"correlated block: combine them as {combined}, or make every effect uncorrelated "
        f"with {uncorrelated}",
        text,
        pieces[1].node.start,
        pieces[1].node.end,
    )
