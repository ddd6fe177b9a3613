"""The result of parsing a formula: frozen, hashable descriptions of its parts.

These are the objects of the formula contract (see CONTRIBUTING.md). Factor, response and offset
expressions are canonical texts; :func:`bayesml.formula.parse_expression` gives their trees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bayesml.errors import ArgumentError
from bayesml.formula.expressions import parse_expression
from bayesml.formula.nodes import BinaryOp, names_in
from bayesml.formula.render import quote_name, to_text

__all__ = [
    "Term",
    "RandomTerm",
    "SmoothTerm",
    "Response",
    "ParsedFormula",
    "RightHandSide",
    "INTERCEPT_LABEL",
]

INTERCEPT_LABEL = "Intercept"

ResponseKind = Literal["single", "cbind", "ratio"]
#: response kind -> number of expressions it holds
_RESPONSE_SIZES: dict[str, int] = {"single": 1, "cbind": 2, "ratio": 2}
#: the response kinds that may hold more expressions than that (multinomial counts)
_MORE_EXPRESSIONS = frozenset({"cbind"})


@dataclass(frozen=True)
class Term:
    """An interaction of zero or more factors; ``Term(())`` is the intercept.

    Attributes
    ----------
    factors
        Canonical expression texts, e.g. ``("x1",)`` or ``("extract", 'I(seed == "O73")')``.
    """

    factors: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``"x1:x2"``; ``"Intercept"`` for the intercept."""
        return ":".join(self.factors) if self.factors else INTERCEPT_LABEL

    @property
    def is_intercept(self) -> bool:
        """Whether this is the intercept ``Term(())``."""
        return not self.factors

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class RandomTerm:
    """The random effects of one grouping factor.

    Attributes
    ----------
    terms
        The expanded left-hand side of the bar, ``Term(())`` first when the intercept is in.
    group
        Column names (no backquotes) of the grouping factor: ``("county",)``, ``("a", "b")`` for
        ``a:b``.
    correlated
        ``False`` for ``||`` (or pieces merged from separate bars) and when there is one term only.
    """

    terms: tuple[Term, ...]
    group: tuple[str, ...]
    correlated: bool

    @property
    def name(self) -> str:
        """The grouping factor's name: ``"county"``, ``"a:b"``."""
        return ":".join(self.group)

    @property
    def term_labels(self) -> tuple[str, ...]:
        """The labels of :attr:`terms`, e.g. ``("Intercept", "floor")``."""
        return tuple(term.label for term in self.terms)

    def __str__(self) -> str:
        has_intercept = any(term.is_intercept for term in self.terms)
        parts = ["1" if has_intercept else "0"]
        parts += [term.label for term in self.terms if not term.is_intercept]
        bar = "|" if self.correlated or len(self.terms) == 1 else "||"
        group = ":".join(quote_name(name) for name in self.group)
        return f"({' + '.join(parts)} {bar} {group})"


@dataclass(frozen=True)
class SmoothTerm:
    """A penalised smooth term, ``s(...)`` or ``t2(...)`` (see :mod:`bayesml.formula.smooth_terms`).

    Attributes
    ----------
    kind
        ``"s"`` or ``"t2"``.
    covariates
        Canonical expression texts of the covariates: ``("x",)``, ``("x", "z")``, ``("log(dose)",)``.
    bs
        The basis: one name for ``s`` (``("tp",)``), one per margin for ``t2`` (``("cr", "cr")``).
    k
        The basis dimension (one per margin for ``t2``), or ``None`` for mgcv's default.
    by
        The ``by=`` column, or ``None``.
    knots
        The ends of a cyclic smooth's cycle (``knots=c(0, 24)``), or ``None``.
    """

    kind: Literal["s", "t2"]
    covariates: tuple[str, ...]
    bs: tuple[str, ...]
    k: tuple[int, ...] | None = None
    by: str | None = None
    knots: tuple[float, ...] | None = None

    @property
    def label(self) -> str:
        """mgcv's label: ``"s(x)"``, ``"s(x,z)"``, ``"t2(x,z)"``, ``"s(x):f"`` with ``by=f``."""
        label = f"{self.kind}({','.join(self.covariates)})"
        return f"{label}:{self.by}" if self.by is not None else label

    def __str__(self) -> str:
        parts = list(self.covariates)
        default_bs = ("tp",) if self.kind == "s" else ("cr",) * len(self.covariates)
        if self.k is not None:
            k = self.k if self.kind == "t2" and len(set(self.k)) > 1 else self.k[:1]
            parts.append(f"k={k[0]}" if len(k) == 1 else f"k=c({', '.join(map(str, k))})")
        if self.bs != default_bs:
            parts.append(f'bs="{self.bs[0]}"')
        if self.knots is not None:
            parts.append(f"knots=c({', '.join(repr(v) for v in self.knots)})")
        if self.by is not None:
            parts.append(f"by={quote_name(self.by)}")
        return f"{self.kind}({', '.join(parts)})"


@dataclass(frozen=True)
class Response:
    """The left-hand side of a formula.

    Attributes
    ----------
    kind
        ``"single"`` (``y``, ``log(y)``), ``"cbind"`` (``cbind(successes, failures)``) or
        ``"ratio"`` (``r/n``: ``r`` successes out of ``n`` trials).
    expressions
        Canonical expression texts: ``("y",)``, ``("incidence", "size - incidence")``, ``("r", "n")``.
    """

    kind: ResponseKind
    expressions: tuple[str, ...]

    def __post_init__(self) -> None:
        expected = _RESPONSE_SIZES.get(self.kind)
        if expected is None:
            raise ArgumentError(
                f"Response kind must be one of {sorted(_RESPONSE_SIZES)}, got {self.kind!r}"
            )
        n = len(self.expressions)
        if n < expected or (n > expected and self.kind not in _MORE_EXPRESSIONS):
            more = " or more" if self.kind in _MORE_EXPRESSIONS else ""
            raise ArgumentError(
                f"a {self.kind!r} response holds {expected}{more} expression(s), "
                f"got {len(self.expressions)}: {self.expressions!r}"
            )

    def __str__(self) -> str:
        if self.kind == "cbind":
            return f"cbind({', '.join(self.expressions)})"
        if self.kind == "ratio":
            left, right = (parse_expression(text) for text in self.expressions)
            return to_text(BinaryOp("/", left, right))
        return self.expressions[0]


@dataclass(frozen=True)
class ParsedFormula:
    """A parsed lme4-style formula.

    Attributes
    ----------
    text
        The formula as given.
    response
        The left-hand side.
    intercept
        Whether the fixed part has an intercept (``False`` after ``0 +`` or ``- 1``).
    terms
        Fixed terms, intercept excluded, in R's order: by degree, then by first appearance.
    random_terms
        One :class:`RandomTerm` per grouping factor, in order of first appearance.
    offsets
        Canonical texts of the expressions inside ``offset(...)``.
    smooth_terms
        The smooths ``s(...)``, ``t2(...)`` in order of appearance.
    """

    text: str
    response: Response
    intercept: bool
    terms: tuple[Term, ...]
    random_terms: tuple[RandomTerm, ...]
    offsets: tuple[str, ...] = ()
    smooth_terms: tuple[SmoothTerm, ...] = ()

    @property
    def variables(self) -> frozenset[str]:
        """Every data column the formula references: response, terms, groups and offsets."""
        texts = [*self.response.expressions, *self.offsets]
        texts += [factor for term in self.terms for factor in term.factors]
        texts += [f for random in self.random_terms for term in random.terms for f in term.factors]
        texts += [covariate for smooth in self.smooth_terms for covariate in smooth.covariates]
        columns = {name for text in texts for name in names_in(parse_expression(text))}
        columns.update(name for random in self.random_terms for name in random.group)
        columns.update(smooth.by for smooth in self.smooth_terms if smooth.by is not None)
        return frozenset(columns)

    def __str__(self) -> str:
        """The formula in canonical form, e.g. ``"y ~ x1 + x2 + x1:x2 + (1 | g)"``.

        Parsing it gives the same terms; as in R, the factors of an interaction may come out in
        another order when a removal changed which factor appears first (``a*b - a`` prints as
        ``b + a:b``, which reads back as ``b:a``).
        """
        some_terms = self.terms or self.smooth_terms
        parts = [] if self.intercept and some_terms else ["1" if self.intercept else "0"]
        parts += [term.label for term in self.terms]
        parts += [str(smooth) for smooth in self.smooth_terms]
        parts += [str(random) for random in self.random_terms]
        parts += [f"offset({offset})" for offset in self.offsets]
        return f"{self.response} ~ {' + '.join(parts)}"

    def __repr__(self) -> str:
        return f"ParsedFormula({self.text!r}, canonical={str(self)!r})"


@dataclass(frozen=True)
class RightHandSide:
    """A parsed one-sided formula (``"~ x2 + x3"``, ``"~ spp + (1 | site)"``), e.g. the model of
    a zero-inflation probability or of a dispersion.

    Attributes
    ----------
    text
        The formula as given.
    intercept
        Whether the intercept is in (``False`` after ``0 +`` or ``- 1``).
    terms
        Fixed terms, intercept excluded, in R's order.
    random_terms
        Random terms (only from :func:`~bayesml.formula.parse_predictor`; ``parse_rhs`` refuses
        them).
    """

    text: str
    intercept: bool
    terms: tuple[Term, ...]
    random_terms: tuple[RandomTerm, ...] = ()

    @property
    def variables(self) -> frozenset[str]:
        """The data columns the terms reference."""
        texts = [factor for term in self.terms for factor in term.factors]
        return frozenset(name for text in texts for name in names_in(parse_expression(text)))

    def __str__(self) -> str:
        parts = (
            []
            if self.intercept and (self.terms or self.random_terms)
            else ["1" if self.intercept else "0"]
        )
        parts += [term.label for term in self.terms]
        parts += [str(term) for term in self.random_terms]
        return f"~ {' + '.join(parts)}"
