"""The functions a formula may call, and where each may appear.

Formulas are data (they come from spec files), so only the functions listed in
:data:`ALLOWED_FUNCTIONS` can be written; every other name followed by ``(`` is refused when the
formula is parsed. Each function has a *role*:

``transform``
    numeric value → numeric value (``log``, ``I``, ``scale``, ...): allowed anywhere a value is.
``categorical``
    marks a term as categorical (``C``, ``factor``): allowed only as a whole factor of a term on the
    right-hand side, e.g. ``C(x, ref="b")`` or ``factor(Gr):x``.
``offset``
    ``offset(expr)``: allowed only when added to the right-hand side.
``response``
    ``cbind(successes, failures)`` (binomial) or ``cbind(n1, n2, ...)`` (multinomial counts):
    allowed only as the whole left-hand side.
``smooth``
    ``s(x)``, ``s(x, z, k=20)``, ``t2(x, z)``: a penalised smooth term (mgcv/brms syntax), allowed
    only when added to the right-hand side of the main formula (see
    :mod:`bayesml.formula.smooth_terms`).
``basis``
    ``bs(x, df=5)``, ``ns(x, knots=c(0.3, 0.6))``: an unpenalised spline basis (R's ``splines::bs``
    and ``splines::ns``), several columns of fixed effects; allowed, like ``C()``, only as a whole
    factor of a term (``bs(x, df=3):f``).
``vector``
    ``c(0, 24)``: numbers, allowed only as a keyword value of a smooth (``knots=c(0, 24)``,
    ``k=c(5, 6)``) or of a spline basis (``knots=c(0.3, 0.6)``, ``Boundary.knots=c(0, 1)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from bayesml.errors import FormulaError
from bayesml.formula.nodes import Call, Expr, walk

__all__ = ["FunctionSpec", "ALLOWED_FUNCTIONS", "get_function", "misplaced", "require_transforms"]

Role = Literal["transform", "categorical", "offset", "response", "smooth", "basis", "vector"]


@dataclass(frozen=True)
class FunctionSpec:
    """What a formula function accepts.

    Attributes
    ----------
    name
        The function name as written in a formula.
    role
        ``"transform"``, ``"categorical"``, ``"offset"`` or ``"response"`` (see the module docs).
    n_args
        The number of positional arguments: exactly, or at least (``more_args``).
    more_args
        Whether more than ``n_args`` positional arguments are accepted (``cbind(n1, n2, n3)``).
    keywords
        Accepted keyword → canonical keyword (``{"ref": "ref", "reference": "ref"}`` for ``C``).
    description
        One line for messages and documentation.
    """

    name: str
    role: Role
    description: str
    n_args: int = 1
    more_args: bool = False
    keywords: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "keywords", MappingProxyType(dict(self.keywords)))


def _registry(*specs: FunctionSpec) -> Mapping[str, FunctionSpec]:
    return MappingProxyType({spec.name: spec for spec in specs})


#: function name -> :class:`FunctionSpec`, for every function a formula may call
ALLOWED_FUNCTIONS: Mapping[str, FunctionSpec] = _registry(
    FunctionSpec("log", "transform", "natural logarithm"),
    FunctionSpec("log1p", "transform", "log(1 + x)"),
    FunctionSpec("exp", "transform", "exponential"),
    FunctionSpec("sqrt", "transform", "square root"),
    FunctionSpec("abs", "transform", "absolute value"),
    FunctionSpec("scale", "transform", "centre on the mean and divide by the SD of the data"),
    FunctionSpec("center", "transform", "subtract the mean of the data"),
    FunctionSpec("I", "transform", "arithmetic and comparisons as written, e.g. I(x^2), I(x > 0)"),
    FunctionSpec(
        "C",
        "categorical",
        'categorical term, optionally with its reference level: C(x, ref="b")',
        keywords={"ref": "ref", "reference": "ref"},
    ),
    FunctionSpec("factor", "categorical", "treat a numeric column as categorical"),
    FunctionSpec("offset", "offset", "a term with coefficient fixed at 1, e.g. offset(log(t))"),
    FunctionSpec(
        "cbind",
        "response",
        "binomial response cbind(successes, failures), or multinomial counts cbind(n1, n2, n3)",
        n_args=2,
        more_args=True,
    ),
    FunctionSpec(
        "s",
        "smooth",
        'penalised smooth of one or more covariates, e.g. s(x), s(x, k=20, bs="cr"), s(x, by=f)',
        more_args=True,
        keywords={"k": "k", "bs": "bs", "by": "by", "knots": "knots"},
    ),
    FunctionSpec(
        "t2",
        "smooth",
        'tensor product smooth in mixed-model form (mgcv t2), e.g. t2(x, z), t2(x, z, k=c(5, 6))',
        n_args=2,
        more_args=True,
        keywords={"k": "k", "bs": "bs", "by": "by"},
    ),
    FunctionSpec(
        "bs",
        "basis",
        "B-spline basis as fixed effects (R's splines::bs), e.g. bs(x, df=5), "
        "bs(x, df=5, degree=2), bs(x, knots=c(0.3, 0.6))",
        keywords={
            "df": "df",
            "knots": "knots",
            "degree": "degree",
            "Boundary.knots": "Boundary.knots",
            "boundary_knots": "Boundary.knots",
        },
    ),
    FunctionSpec(
        "ns",
        "basis",
        "natural cubic spline basis as fixed effects (R's splines::ns), e.g. ns(x, df=4)",
        keywords={
            "df": "df",
            "knots": "knots",
            "Boundary.knots": "Boundary.knots",
            "boundary_knots": "Boundary.knots",
        },
    ),
    FunctionSpec(
        "c",
        "vector",
        "numbers, as a keyword value of a smooth or a spline basis: knots=c(0, 24), k=c(5, 6)",
        more_args=True,
    ),
)

_WHERE = {
    "categorical": "only as a term on the right-hand side, e.g. y ~ {name}(x)",
    "offset": "only added to the right-hand side, e.g. y ~ x + offset(log(t))",
    "response": "only as the whole response, e.g. cbind(successes, failures) ~ x",
    "smooth": "only added to the right-hand side of the main formula, e.g. y ~ s(x) + (1 | g)",
    "basis": "only as a term (or a factor of an interaction) on the right-hand side, "
    "e.g. y ~ {name}(x, df=4) + (1 | g)",
    "vector": "only as a keyword value of a smooth or a spline basis, "
    "e.g. s(x, bs=\"cc\", knots=c(0, 24)) or bs(x, knots=c(0.3, 0.6))",
}


def get_function(name: str, formula: str, start: int, end: int) -> FunctionSpec:
    """The spec of function ``name``.

    Raises
    ------
    FormulaError
        When ``name`` is not an allowed function; the message lists the allowed ones.
    """
    spec = ALLOWED_FUNCTIONS.get(name)
    if spec is None:
        allowed = ", ".join(sorted(ALLOWED_FUNCTIONS, key=str.lower))
        raise FormulaError(
            f"unknown function {name!r}; allowed functions: {allowed}", formula, start, end
        )
    return spec


def misplaced(call: Call, formula: str, where: str) -> FormulaError:
    """The error for ``call`` used where its role does not allow it (``where``: e.g. "inside log()")."""
    role = ALLOWED_FUNCTIONS[call.func].role
    hint = _WHERE[role].format(name=call.func)
    return FormulaError(
        f"{call.func}() cannot be used {where}; it is allowed {hint}",
        formula,
        call.start,
        call.start + len(call.func),
    )


def require_transforms(expr: Expr, formula: str, where: str) -> None:
    """Check that every call in ``expr`` is a transform (``log``, ``I``, ...).

    Raises
    ------
    FormulaError
        At the first ``C``, ``factor``, ``offset`` or ``cbind`` call, saying where it is allowed.
    """
    for node in walk(expr):
        if isinstance(node, Call) and ALLOWED_FUNCTIONS[node.func].role != "transform":
            raise misplaced(node, formula, where)
