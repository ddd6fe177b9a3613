"""``parse_formula``: formula text → :class:`ParsedFormula` (tokens → tree → terms)."""

from __future__ import annotations

from functools import lru_cache

from bayesml.errors import FormulaError
from bayesml.formula.expressions import unless_too_deep
from bayesml.formula.nodes import Call, Expr
from bayesml.formula.parsed import ParsedFormula, RightHandSide
from bayesml.formula.random_terms import random_terms
from bayesml.formula.render import to_text
from bayesml.formula.response import build_response
from bayesml.formula.smooth_terms import smooth_terms
from bayesml.formula.syntax import parse_one_sided, parse_sides
from bayesml.formula.terms import Expander

__all__ = ["parse_formula", "parse_predictor", "parse_rhs"]


def parse_formula(text: str) -> ParsedFormula:
    """Parse an lme4-style formula.

    Parameters
    ----------
    text
        E.g. ``"y ~ x1 * x2 + (1 | g)"``, ``"cbind(incidence, size - incidence) ~ period + (1 | herd)"``,
        ``"r/n ~ extract * I(seed == 'O73') + (1 | plate)"``, ``"S ~ factor(Gr) + offset(log(t))"``.

    Returns
    -------
    ParsedFormula
        Response, intercept, fixed terms in R's order, random terms (one per grouping factor) and
        offsets, with every expression in its canonical spelling.

    Raises
    ------
    FormulaError
        With the formula and a caret under the offending token, for a syntax error, a function that
        is not allowed (see ``ALLOWED_FUNCTIONS``) or a term that cannot be expanded.

    Examples
    --------
    >>> parsed = parse_formula("y ~ x1 * x2 + (1 | g)")
    >>> [term.label for term in parsed.terms]
    ['x1', 'x2', 'x1:x2']
    >>> parsed.random_terms[0].name
    'g'
    """
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be a string, got {type(text).__name__}: {text!r}")
    return _parse_formula(text)


@lru_cache(maxsize=512)
def _parse_formula(text: str) -> ParsedFormula:
    return unless_too_deep(_build, text, "formula")


def _build(text: str) -> ParsedFormula:
    lhs, rhs = parse_sides(text)
    response = build_response(lhs, text)
    expander = Expander(text)
    fixed = expander.expand(rhs)
    smooths, smooth_bars = smooth_terms(expander.smooths, text)
    parsed = ParsedFormula(
        text=text,
        response=response,
        intercept=fixed.intercept is not False,
        terms=expander.to_terms(fixed),
        random_terms=random_terms(expander.bars + smooth_bars, text),
        offsets=_offsets(expander.offsets, text),
        smooth_terms=smooths,
    )
    if not (
        parsed.intercept
        or parsed.terms
        or parsed.random_terms
        or parsed.offsets
        or parsed.smooth_terms
    ):
        raise _no_terms(rhs, text)
    return parsed


def parse_rhs(text: str) -> RightHandSide:
    """Parse a one-sided formula of fixed terms, such as a dispersion model ``"~ x2 + x3"``.

    Parameters
    ----------
    text
        ``"~ x2 + x3"``; the ``~`` may be left out. R's term algebra applies (``a * b``, ``- 1``).

    Returns
    -------
    RightHandSide
        The intercept flag and the fixed terms in R's order.

    Raises
    ------
    FormulaError
        For a syntax error, a response (``y ~ x``), a random-effects term or an ``offset()``,
        pointing at the token.

    Examples
    --------
    >>> rhs = parse_rhs("~ x2 * x3")
    >>> [term.label for term in rhs.terms]
    ['x2', 'x3', 'x2:x3']
    """
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be a string, got {type(text).__name__}: {text!r}")
    return _parse_rhs(text)


@lru_cache(maxsize=128)
def _parse_rhs(text: str) -> RightHandSide:
    return _one_sided(text, random=False)


def parse_predictor(text: str) -> RightHandSide:
    """Parse a one-sided formula with fixed and random terms, such as the model of a
    zero-inflation probability ``"~ spp + mined + (1 | site)"``.

    Parameters
    ----------
    text
        ``"~ spp + (1 | site)"``; the ``~`` may be left out.

    Returns
    -------
    RightHandSide
        The intercept flag, the fixed terms in R's order and the random terms.

    Raises
    ------
    FormulaError
        For a syntax error, a response (``y ~ x``) or an ``offset()``, pointing at the token.

    Examples
    --------
    >>> predictor = parse_predictor("~ spp + (1 | site)")
    >>> [term.label for term in predictor.terms], predictor.random_terms[0].name
    (['spp'], 'site')
    """
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be a string, got {type(text).__name__}: {text!r}")
    return _parse_predictor(text)


@lru_cache(maxsize=128)
def _parse_predictor(text: str) -> RightHandSide:
    return _one_sided(text, random=True)


def _one_sided(text: str, *, random: bool) -> RightHandSide:
    tree = parse_one_sided(text)
    expander = Expander(text)
    fixed = expander.expand(tree)
    if not random:
        for bar in expander.bars:
            raise FormulaError(
                "a one-sided formula of fixed terms cannot have random-effects terms",
                text,
                bar.start,
                bar.end,
            )
    for call in expander.smooths:
        raise FormulaError(
            f"{call.func}() smooth terms are supported in the main formula only, not in the "
            "formula of a family parameter (zi, hu, sigma, ...)",
            text,
            call.start,
            call.end,
        )
    for call in expander.offsets:
        kind = "" if random else "of fixed terms "
        raise FormulaError(
            f"a one-sided formula {kind}cannot have offset()", text, call.start, call.end
        )
    rhs = RightHandSide(
        text=text,
        intercept=fixed.intercept is not False,
        terms=expander.to_terms(fixed),
        random_terms=random_terms(expander.bars, text) if random else (),
    )
    if not (rhs.intercept or rhs.terms or rhs.random_terms):
        raise _no_terms(tree, text)
    return rhs


def _offsets(calls: list[Call], text: str) -> tuple[str, ...]:
    offsets: list[str] = []
    for call in calls:
        expression = to_text(call.args[0])
        if expression in offsets:
            raise FormulaError(
                f"offset({expression}) appears twice; the offsets of a formula are added, so "
                f"write it once (or I(2 * {expression}) if that is what you mean)",
                text,
                call.start,
                call.end,
            )
        offsets.append(expression)
    return tuple(offsets)


def _no_terms(rhs: Expr, text: str) -> FormulaError:
    return FormulaError(
        "the model has no terms: the intercept is removed and nothing else is left; "
        "add a term, or 1 for the intercept",
        text,
        rhs.start,
        rhs.end,
    )
