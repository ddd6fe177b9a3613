"""The functions a formula may call, as a registry of small objects.

Each :class:`Transform` takes evaluated arguments and returns a value. Transforms that learn
from the data (``scale``, ``center``, ``factor``, ``C``, and the knots of ``bs``/``ns``) store
what they learned in the design's
:class:`~bayesml.design.encodings.EncodingStore`, so new data are transformed the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from bayesml.design.convert import EvalContext, as_factor, as_numeric
from bayesml.design.spline_bases import SplineBasis, fit_spline_basis
from bayesml.design.validate import check_finite, describe_rows
from bayesml.design.values import BasisValue, ConstantValue, NumericValue, Value
from bayesml.errors import DataError, FormulaError

__all__ = ["TRANSFORMS", "CallInput", "Transform"]

_VALUES_SHOWN = 5


@dataclass(frozen=True, eq=False)
class CallInput:
    """One call being evaluated: its text (``"log(t)"``), evaluated arguments and context."""

    text: str
    args: tuple[Value, ...]
    kwargs: Mapping[str, Value]
    context: EvalContext


@dataclass(frozen=True)
class Transform:
    """An allowed function: how many positional arguments, which keywords, what it does."""

    name: str
    apply: Callable[[CallInput], Value]
    description: str
    keywords: tuple[str, ...] = field(default=())
    n_args: int = 1


def _numeric(call: CallInput) -> np.ndarray:
    return as_numeric(call.args[0], call.context, what=call.text)


def _elementwise(
    function: Callable[[np.ndarray], np.ndarray],
    in_domain: Callable[[np.ndarray], np.ndarray] | None = None,
    expected: str = "",
) -> Callable[[CallInput], Value]:
    """A transform applying ``function`` after checking every value is ``in_domain``."""

    def apply(call: CallInput) -> Value:
        x = _numeric(call)
        if in_domain is not None:
            bad = ~in_domain(x)
            if bad.any():
                shown = ", ".join(f"{v:g}" for v in x[bad][:_VALUES_SHOWN])
                raise DataError(
                    f"{call.text} needs {expected}; got {shown}"
                    f"{', ...' if bad.sum() > _VALUES_SHOWN else ''} at "
                    f"{describe_rows(call.context.index, bad)}"
                )
        with np.errstate(all="ignore"):
            return NumericValue(function(x))

    return apply


def _mean_sd(call: CallInput, x: np.ndarray) -> tuple[float, float]:
    if x.size < 2:
        raise DataError(f"{call.text} needs at least 2 rows to learn a standard deviation; got {x.size}")
    sd = float(np.std(x, ddof=1))
    if not sd > 0:
        raise DataError(
            f"{call.text}: the values are constant (standard deviation 0), so they cannot be scaled"
        )
    return float(np.mean(x)), sd


def _scale(call: CallInput) -> Value:
    x = _numeric(call)
    mean, sd = call.context.store.state("scale", call.text, lambda: _mean_sd(call, x))
    return NumericValue((x - mean) / sd)


def _center(call: CallInput) -> Value:
    x = _numeric(call)
    mean = call.context.store.state("center", call.text, lambda: float(np.mean(x)))
    return NumericValue(x - mean)


def _identity(call: CallInput) -> Value:
    return call.args[0]


def _factor(call: CallInput) -> Value:
    reference = call.kwargs.get("ref")
    if reference is not None and not isinstance(reference, ConstantValue):
        raise FormulaError(
            f"{call.text}: ref must be a level written as a constant, e.g. ref=\"b\" or ref=1",
            call.context.formula,
        )
    explicit = reference.value if reference is not None else None
    return as_factor(call.args[0], call.context, key=call.text, explicit_reference=explicit)


def _keyword_numbers(call: CallInput, key: str, *, vector: bool) -> tuple[float, ...] | None:
    """The numbers of keyword ``key`` (``df=5``, ``knots=c(0.3, 0.6)``), or None when not given."""
    given = call.kwargs.get(key)
    if given is None:
        return None
    value = given.value if isinstance(given, ConstantValue) else None
    numbers = value if isinstance(value, tuple) else (value,)
    if not all(isinstance(n, int | float) and not isinstance(n, bool) for n in numbers) or (
        not vector and len(numbers) != 1
    ):
        example = f"{key}=c(0.3, 0.6)" if vector else f"{key}=4"
        raise FormulaError(
            f"{call.text}: {key}= must be {'numbers' if vector else 'a number'}, e.g. {example}",
            call.context.formula,
        )
    return tuple(float(n) for n in numbers)


def _spline_basis(kind: str) -> Callable[[CallInput], Value]:
    """The transform of ``bs`` or ``ns``: the basis learned when fitting, kept in the store."""
    return lambda call: _evaluate_basis(kind, call)


def _evaluate_basis(kind: str, call: CallInput) -> Value:
    x = _numeric(call)
    check_finite(x, call.context.index, what=call.text)

    def learn() -> SplineBasis:
        df = _keyword_numbers(call, "df", vector=False)
        degree = _keyword_numbers(call, "degree", vector=False)
        return fit_spline_basis(
            kind,
            x,
            df=df[0] if df else None,
            knots=_keyword_numbers(call, "knots", vector=True),
            degree=degree[0] if degree else None,
            boundary_knots=_keyword_numbers(call, "Boundary.knots", vector=True),
            text=call.text,
        )

    basis = call.context.store.state("spline", call.text, learn)
    return BasisValue(basis.evaluate(x, what=call.text))


_ALL = (
    Transform("log", _elementwise(np.log, lambda x: x > 0, "positive values"), "natural logarithm"),
    Transform(
        "log1p", _elementwise(np.log1p, lambda x: x > -1, "values above -1"), "log(1 + x)"
    ),
    Transform("exp", _elementwise(np.exp), "exponential"),
    Transform(
        "sqrt", _elementwise(np.sqrt, lambda x: x >= 0, "non-negative values"), "square root"
    ),
    Transform("abs", _elementwise(np.abs), "absolute value"),
    Transform("scale", _scale, "(x - mean) / sd, with the fitting data's mean and sd"),
    Transform("center", _center, "x - mean, with the fitting data's mean"),
    Transform("I", _identity, "arithmetic and comparisons as written, e.g. I(x^2), I(a == 'b')"),
    Transform("factor", _factor, "treat as categorical"),
    Transform("C", _factor, "categorical with a chosen reference level: C(x, ref='b')",
              keywords=("ref",)),
    Transform("bs", _spline_basis("bs"), "B-spline basis (R's splines::bs)",
              keywords=("df", "knots", "degree", "Boundary.knots")),
    Transform("ns", _spline_basis("ns"), "natural cubic spline basis (R's splines::ns)",
              keywords=("df", "knots", "Boundary.knots")),
)

TRANSFORMS: Mapping[str, Transform] = MappingProxyType({t.name: t for t in _ALL})
"""Every function a formula expression may call, by name."""
