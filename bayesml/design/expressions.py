"""A safe interpreter of formula expressions over a data frame.

Expressions come from formula text, which may come from a spec file, so they are never handed to
``eval``: each node of the tree (``bayesml.formula`` nodes) is evaluated by a small function of
this module, and calls are looked up in the :data:`~bayesml.design.transforms.TRANSFORMS`
registry. Column lookup, arithmetic (``+ - * / ^``), unary ``-``/``+``, comparisons and the
allowed transforms are all there is.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import numpy as np
import pandas as pd

from bayesml.design.convert import (
    EvalContext,
    as_factor,
    as_numeric,
    comparable,
    describe_kind,
)
from bayesml.design.transforms import TRANSFORMS, CallInput
from bayesml.design.validate import check_finite
from bayesml.design.values import (
    BasisValue,
    ColumnValue,
    ConstantValue,
    FactorValue,
    NumericValue,
    Value,
    is_numeric_column,
)
from bayesml.errors import DataError, FormulaError
from bayesml.formula import (
    BinaryOp,
    Call,
    Compare,
    Expr,
    Name,
    Number,
    String,
    UnaryOp,
    names_in,
    parse_expression,
    to_text,
)

__all__ = ["evaluate", "evaluate_design_value", "evaluate_numeric", "expression_columns"]

_ARITHMETIC: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.divide,
    "^": np.power,
}
_COMPARISONS: dict[str, Callable] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ORDERING = {"<", "<=", ">", ">="}
_UNARY: dict[str, Callable[[np.ndarray], np.ndarray]] = {"-": np.negative, "+": np.positive}


def expression_columns(text: str) -> tuple[str, ...]:
    """The data columns an expression text reads, in order of first appearance."""
    return names_in(parse_expression(text))


def evaluate(node: Expr, context: EvalContext) -> Value:
    """Evaluate an expression tree over ``context.data``."""
    evaluator = _NODE_EVALUATORS.get(type(node))
    if evaluator is None:
        raise FormulaError(f"cannot evaluate {type(node).__name__} node {node!r}", context.formula)
    return evaluator(node, context)


def evaluate_numeric(text: str, context: EvalContext, *, what: str) -> np.ndarray:
    """Evaluate expression ``text`` as a finite float vector (offsets, response parts)."""
    values = as_numeric(evaluate(parse_expression(text), context), context, what=what)
    check_finite(values, context.index, what=what)
    return values


def evaluate_design_value(
    text: str, context: EvalContext
) -> NumericValue | FactorValue | BasisValue:
    """Evaluate a term factor: a finite numeric column, a factor or a spline basis.

    Whether ``text`` is numeric or categorical is decided once, when fitting (text and pandas
    categorical columns and ``factor()``/``C()`` are categorical; numbers and booleans numeric),
    and kept, so new data are read the same way. ``bs()``/``ns()`` give several columns.
    """
    value = evaluate(parse_expression(text), context)
    if isinstance(value, BasisValue):
        return value
    kind = context.store.state("kind", text, lambda: _kind_of(value, text))
    if kind == "factor":
        return as_factor(value, context, key=text)
    values = as_numeric(value, context, what=text)
    check_finite(values, context.index, what=text)
    return NumericValue(values, boolean=isinstance(value, NumericValue) and value.boolean)


def _kind_of(value: Value, text: str) -> str:
    match value:
        case FactorValue():
            return "factor"
        case ColumnValue(series=series):
            return "numeric" if is_numeric_column(series) else "factor"
        case ConstantValue(value=str()):
            raise DataError(f"{text}: a text constant cannot be a term of the model")
    return "numeric"


def _name(node: Name, context: EvalContext) -> Value:
    if node.name not in context.data.columns:
        raise DataError(f"data has no column {node.name!r}")
    return ColumnValue(node.name, context.data[node.name])


def _call(node: Call, context: EvalContext) -> Value:
    transform = TRANSFORMS.get(node.func)
    if transform is None:
        allowed = ", ".join(sorted(TRANSFORMS, key=str.lower))
        raise FormulaError(
            f"function {node.func!r} cannot be evaluated in a design; allowed functions: {allowed}",
            context.formula,
        )
    text = to_text(node)
    unknown = [key for key, _ in node.kwargs if key not in transform.keywords]
    if len(node.args) != transform.n_args or unknown:
        raise FormulaError(
            f"{text}: {node.func}() takes {transform.n_args} argument(s)"
            f"{' and keywords ' + ', '.join(transform.keywords) if transform.keywords else ''}; "
            f"got {len(node.args)} argument(s){' and keywords ' + ', '.join(unknown) if unknown else ''}",
            context.formula,
        )
    args = tuple(evaluate(arg, context) for arg in node.args)
    kwargs = {key: _keyword_value(value, context) for key, value in node.kwargs}
    return transform.apply(CallInput(text, args, kwargs, context))


def _keyword_value(node: Expr, context: EvalContext) -> Value:
    """A keyword argument's value: a literal (``-1`` included) or ``c(...)`` of numbers as a
    :class:`ConstantValue`, anything else evaluated."""
    match node:
        case Call(func="c", args=args):
            return ConstantValue(tuple(_literal_number(arg, context) for arg in args))
        case UnaryOp(op="-", operand=Number(value=value)):
            return ConstantValue(-value)
    return evaluate(node, context)


def _literal_number(node: Expr, context: EvalContext) -> float:
    value = _keyword_value(node, context)
    if isinstance(value, ConstantValue) and isinstance(value.value, int | float):
        return value.value
    raise FormulaError(f"c() takes numbers, got {to_text(node)}", context.formula)


def _binary(node: BinaryOp, context: EvalContext) -> Value:
    function = _ARITHMETIC.get(node.op)
    text = to_text(node)
    if function is None:
        raise FormulaError(
            f"{text}: operator {node.op!r} is not arithmetic; inside an expression only "
            f"{' '.join(_ARITHMETIC)} are allowed",
            context.formula,
        )
    left = as_numeric(evaluate(node.left, context), context, what=text)
    right = as_numeric(evaluate(node.right, context), context, what=text)
    with np.errstate(all="ignore"):
        return NumericValue(function(left, right))


def _unary(node: UnaryOp, context: EvalContext) -> Value:
    function = _UNARY[node.op]
    return NumericValue(function(as_numeric(evaluate(node.operand, context), context, what=to_text(node))))


def _compare(node: Compare, context: EvalContext) -> Value:
    text = to_text(node)
    left, right = evaluate(node.left, context), evaluate(node.right, context)
    if node.op in _ORDERING:
        result = _COMPARISONS[node.op](
            as_numeric(left, context, what=text), as_numeric(right, context, what=text)
        )
    else:
        _check_comparable(left, right, text)
        result = _COMPARISONS[node.op](comparable(left), comparable(right))
    return NumericValue(np.asarray(result, dtype=float), boolean=True)


def _check_comparable(left: Value, right: Value, text: str) -> None:
    """Refuse comparing text with a number, which would silently be false everywhere."""
    kinds = {_comparison_kind(left), _comparison_kind(right)}
    if kinds == {"text", "number"}:
        which = left if _comparison_kind(left) == "text" else right
        raise DataError(f"{text} compares text with a number; {describe_kind(which)}")


def _comparison_kind(value: Value) -> str:
    match value:
        case ConstantValue(value=str()):
            return "text"
        case ConstantValue() | NumericValue():
            return "number"
        case ColumnValue(series=series) if isinstance(series.dtype, pd.CategoricalDtype):
            numeric = pd.api.types.is_numeric_dtype(series.cat.categories.dtype)
            return "number" if numeric else "text"
        case ColumnValue(series=series):
            return "number" if is_numeric_column(series) else "text"
    return "other"


_NODE_EVALUATORS: dict[type, Callable[[Expr, EvalContext], Value]] = {
    Name: _name,
    Number: lambda node, context: ConstantValue(node.value),
    String: lambda node, context: ConstantValue(node.value),
    Call: _call,
    BinaryOp: _binary,
    UnaryOp: _unary,
    Compare: _compare,
}
