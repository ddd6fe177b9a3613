"""The response: values, trials and weights, read according to the family.

- ``y`` (``single``): numbers; for a bernoulli or binomial family a two-level column is mapped to
  0/1, the success being ``success`` or else the second level in order (R's ``glm``: for
  bacteria's ``"n"``/``"y"`` the success is ``"y"``);
- ``cbind(s, f)``: ``y = s``, ``trials = s + f`` (binomial);
- ``cbind(n1, n2, n3)`` with the multinomial family: ``y`` the rows × K matrix of counts,
  ``trials`` the row totals, the column texts the levels (the first the reference category);
- ``r/n``: binomial ``y = r``, ``trials = n`` (``weights="n"`` as in R is accepted and checked to
  equal the trials); for any other family just the number ``r / n``;
- an ordinal family's ``y``: the category number 1, …, K of each row in the order of its levels
  (:mod:`bayesml.design.ordered`: ``levels=``, an ordered categorical, or integers).

The family's ``validate_response`` then checks the values (0/1, counts, positivity, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bayesml.design.categories import categorical_response
from bayesml.design.convert import EvalContext, as_numeric, raw_values
from bayesml.design.expressions import evaluate, evaluate_numeric, expression_columns
from bayesml.design.ordered import ordered_response
from bayesml.design.validate import check_finite, describe_rows
from bayesml.design.values import (
    ColumnValue,
    ConstantValue,
    NumericValue,
    Value,
    is_numeric_column,
    level_label,
    sorted_levels,
)
from bayesml.errors import DataError, FormulaError
from bayesml.families import Family, family_names
from bayesml.formula import Response, parse_expression
from bayesml.formula.render import quote_name

__all__ = ["ResponseData", "ResponseRequest", "build_response", "response_name", "response_trials"]


@dataclass(frozen=True, eq=False)
class ResponseData:
    """The validated response.

    Attributes
    ----------
    y
        Float vector: the values, 0/1 for a bernoulli response, successes for a binomial one; for
        a multinomial response the rows × K matrix of counts.
    trials
        Trials per row for a binomial or multinomial response (a multinomial row's total), else
        ``None``.
    weights
        Prior weights per row (``weights=`` column), else ``None``.
    name
        The response as written in the formula: ``"y"``, ``"cbind(incidence, size - incidence)"``,
        ``"r/n"``.
    success_level
        The value counted as success when a two-level response was mapped to 0/1, else ``None``.
    levels
        The levels of an ordinal response, lowest first (``y`` holds category numbers 1, …, K
        into them), or of a categorical one (the reference first); a multinomial response's
        column texts (the columns of ``y``). Else ``None``.
    """

    y: np.ndarray
    trials: np.ndarray | None
    weights: np.ndarray | None
    name: str
    success_level: Any = None
    levels: tuple[Any, ...] | None = None


@dataclass(frozen=True, eq=False)
class ResponseRequest:
    """What :func:`build_response` needs besides the data."""

    response: Response
    family: Family
    success: Any = None
    weights: str | None = None
    levels: Any = None
    reference: Any = None


def _ordered() -> str:
    """The ordinal families, quoted: ``'cumulative', 'sratio' or 'acat'``."""
    names = [repr(name) for name in family_names(lambda family: family.response.ordered)]
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else "".join(names)


def _categorical() -> str:
    """The families of an unordered response with levels, quoted: ``'categorical'``."""
    return _listed([repr(name) for name in family_names(lambda f: f.response.categorical)], "or")


def _levelled() -> list[str]:
    """The families whose response may be a two-level column."""
    return family_names(lambda family: family.response.levelled)


def _with_trials() -> str:
    """The families whose rows are successes out of trials, quoted: ``'binomial'``."""
    return _listed(
        [
            repr(name)
            for name in family_names(
                lambda family: family.uses_trials and not family.response.category_counts
            )
        ],
        "or",
    )


def _with_counts() -> str:
    """The families of a matrix of counts per category, quoted: ``'multinomial'``."""
    return _listed(
        [repr(name) for name in family_names(lambda f: f.response.category_counts)], "or"
    )


def _listed(words: list[str], conjunction: str) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(words) <= 2:
        return f" {conjunction} ".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def response_name(response: Response) -> str:
    """The response as written in a formula, e.g. ``"cbind(incidence, size - incidence)"``."""
    return str(response)


def build_response(request: ResponseRequest, context: EvalContext) -> ResponseData:
    """Evaluate, map and validate the response of ``request`` on the fitting rows.

    Raises
    ------
    DataError
        For values the family does not accept (from ``Family.validate_response``), a response
        that cannot be mapped to 0/1, bad weights, or ``success`` given for a family without
        successes.
    FormulaError
        For ``cbind(...)`` with a family other than the binomial, or ``r/n`` with the bernoulli.
    """
    family = request.family
    if request.success is not None and not family.response.levelled:
        raise DataError(
            f"success={request.success!r} applies only to {_listed(_levelled(), 'and')} responses; "
            f"got family {family.name!r}"
        )
    if request.levels is not None and not family.response.has_levels:
        raise DataError(
            f"levels= gives the order of an ordinal response (family {_ordered()}) or the levels "
            f"of a categorical one; got family {family.name!r}"
        )
    if request.reference is not None and family.response.category_counts:
        raise DataError(
            f"reference={request.reference!r}: the reference category of a {family.name} "
            "response is its first cbind() column; write that column first instead"
        )
    if request.reference is not None and not family.response.categorical:
        raise DataError(
            f"reference={request.reference!r} names the reference category of a categorical "
            f"response (family 'categorical'); got family {family.name!r} (for a predictor's "
            "reference level use reference_levels={column: level})"
        )
    if family.response.has_levels and request.response.kind != "single":
        outcomes = "ordered outcomes" if family.response.ordered else "categories"
        raise FormulaError(
            f"family {family.name!r} needs one column of {outcomes} as its response; got "
            f"{response_name(request.response)}",
            context.formula,
        )
    if family.response.category_counts and request.response.kind != "cbind":
        raise FormulaError(
            f"family {family.name!r} needs the counts of each category as its response, "
            f"cbind(n1, n2, n3) (the first column is the reference category); got "
            f"{response_name(request.response)}",
            context.formula,
        )
    weights = _weights(request.weights, context)
    builder = _BUILDERS[request.response.kind]
    data = builder(request, context, weights)
    family.validate_response(data.y, trials=data.trials, name=data.name, row_labels=context.index)
    return data


def _weights(column: str | None, context: EvalContext) -> np.ndarray | None:
    if column is None:
        return None
    series = context.data[column]
    if not is_numeric_column(series):
        raise DataError(
            f"weights={column!r} must be a numeric column; got {series.dtype} values such as "
            f"{', '.join(map(repr, pd.unique(series)[:3].tolist()))}"
        )
    values = series.to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        raise DataError(
            f"weights={column!r} must be finite and non-negative; got "
            f"{', '.join(f'{v:g}' for v in values[bad][:5])} at {describe_rows(context.index, bad)}"
        )
    return values


def _single(request: ResponseRequest, context: EvalContext, weights: np.ndarray | None) -> ResponseData:
    text = request.response.expressions[0]
    response = request.family.response
    value = evaluate(parse_expression(text), context)
    if response.ordered:
        codes, levels = ordered_response(value, text, request.levels, context, request.family.name)
        return ResponseData(codes, None, weights, text, levels=levels)
    if response.categorical:
        codes, levels = categorical_response(value, text, request.levels, request.reference, context)
        return ResponseData(codes, None, weights, text, levels=levels)
    if not response.levelled:
        y = as_numeric(value, context, what=f"response {text!r}")
        check_finite(y, context.index, what=f"response {text!r}")
        return ResponseData(y, None, weights, text)
    y, success_level = _zero_one(value, text, request.success, context)
    if not response.uses_trials:
        return ResponseData(y, None, weights, text, success_level)
    if weights is None:
        return ResponseData(y, np.ones_like(y), None, text, success_level)
    successes = y * weights
    fractional = np.abs(successes - np.round(successes)) > 1e-8
    if fractional.any():
        raise DataError(
            f"response {text!r} with weights={request.weights!r} is read as a proportion of "
            f"weights trials (R's binomial convention), but proportion * weights is not a whole "
            f"number at {describe_rows(context.index, fractional)}"
        )
    return ResponseData(np.round(successes), weights, None, text, success_level)


def _zero_one(
    value: Value, text: str, success: Any, context: EvalContext
) -> tuple[np.ndarray, Any]:
    """A two-level response as 0/1 and the success level; numbers pass through unchanged."""
    if isinstance(value, ConstantValue):
        raise DataError(f"response {text!r} is a constant; a column of outcomes is needed")
    numeric = isinstance(value, NumericValue) or (
        isinstance(value, ColumnValue) and is_numeric_column(value.series)
    )
    if numeric and success is None:
        y = as_numeric(value, context, what=f"response {text!r}")
        check_finite(y, context.index, what=f"response {text!r}")
        return y, None
    raw = raw_values(value)
    levels = sorted_levels(raw)
    shown = ", ".join(repr(level) for level in levels[:10]) + (", ..." if len(levels) > 10 else "")
    if len(levels) > 2:
        raise DataError(
            f"response {text!r} must have two values (or be 0/1) for a bernoulli or binomial "
            f"family; got {len(levels)} values: {shown}"
        )
    if success is None:
        if len(levels) < 2:
            raise DataError(
                f"response {text!r} has the single value {levels[0]!r}; pass success= to say "
                "whether it counts as a success"
            )
        success_level = levels[1]
    else:
        matches = [level for level in levels if level == success or level_label(level) == str(success)]
        if not matches:
            raise DataError(f"success={success!r} is not a value of response {text!r}; its values: {shown}")
        success_level = matches[0]
    raw_array = raw.to_numpy(dtype=object) if isinstance(raw, pd.Series) else np.asarray(raw, dtype=object)
    return (raw_array == success_level).astype(float), success_level


def _cbind(request: ResponseRequest, context: EvalContext, weights: np.ndarray | None) -> ResponseData:
    name = response_name(request.response)
    if request.family.response.category_counts:
        return _category_counts(request, context, weights)
    columns = len(request.response.expressions)
    if columns > 2:
        raise FormulaError(
            f"{name} has {columns} columns: the counts of {columns} categories, a multinomial "
            f"response; it needs family {_with_counts()}, got family {request.family.name!r} "
            "(a binomial response is cbind(successes, failures))",
            context.formula,
        )
    if not request.family.uses_trials:
        raise FormulaError(
            f"{name} is a binomial response (successes, failures); it needs family "
            f"{_with_trials()}, got family {request.family.name!r}",
            context.formula,
        )
    successes_text, failures_text = request.response.expressions
    successes = evaluate_numeric(successes_text, context, what=f"successes {successes_text!r} of {name}")
    failures = evaluate_numeric(failures_text, context, what=f"failures {failures_text!r} of {name}")
    negative = failures < 0
    if negative.any():
        raise DataError(
            f"failures {failures_text!r} of {name} must be non-negative; got "
            f"{', '.join(f'{v:g}' for v in failures[negative][:5])} at "
            f"{describe_rows(context.index, negative)}"
        )
    return ResponseData(successes, successes + failures, weights, name)


def _category_counts(
    request: ResponseRequest, context: EvalContext, weights: np.ndarray | None
) -> ResponseData:
    """A multinomial response ``cbind(n1, n2, n3)``: the rows × K counts, the row totals as
    trials, the column texts as levels (the first the reference category). Rows with no trials
    (all counts 0) are kept: they add nothing to the likelihood (as Stan's ``multinomial``, which
    brms uses)."""
    name = response_name(request.response)
    texts = request.response.expressions
    repeated = sorted({text for text in texts if texts.count(text) > 1})
    if repeated:
        raise FormulaError(
            f"{name} names column {', '.join(repeated)} twice; each category needs its own column",
            context.formula,
        )
    columns = []
    for text in texts:
        counts = evaluate_numeric(text, context, what=f"counts {text!r} of {name}")
        check_finite(counts, context.index, what=f"counts {text!r} of {name}")
        bad = (counts < 0) | (counts != np.floor(counts))
        if bad.any():
            raise DataError(
                f"counts {text!r} of {name} must be non-negative integers for family "
                f"{request.family.name!r}; got {', '.join(f'{v:g}' for v in counts[bad][:5])} at "
                f"{describe_rows(context.index, bad)}"
            )
        columns.append(counts)
    y = np.column_stack(columns)
    return ResponseData(y, y.sum(axis=1), weights, name, levels=tuple(texts))


def _ratio(request: ResponseRequest, context: EvalContext, weights: np.ndarray | None) -> ResponseData:
    name = response_name(request.response)
    top_text, bottom_text = request.response.expressions
    top = evaluate_numeric(top_text, context, what=f"numerator {top_text!r} of {name}")
    bottom = evaluate_numeric(bottom_text, context, what=f"denominator {bottom_text!r} of {name}")
    response = request.family.response
    if response.levelled and not response.uses_trials:
        raise FormulaError(
            f"{name} is successes out of trials; it needs family {_with_trials()}, not "
            f"{request.family.name!r}",
            context.formula,
        )
    if not response.uses_trials:
        with np.errstate(all="ignore"):
            y = top / bottom
        check_finite(y, context.index, what=f"response {name}")
        return ResponseData(y, None, weights, name)
    if weights is not None:
        differ = ~np.isclose(weights, bottom)
        if differ.any():
            raise DataError(
                f"weights={request.weights!r} must equal the trials {bottom_text!r} of the binomial "
                f"response {name} (as R's glm(r/n ~ ..., weights = n)); they differ at "
                f"{describe_rows(context.index, differ)}"
            )
    return ResponseData(top, bottom, None, name)


_BUILDERS: dict[str, Callable[[ResponseRequest, EvalContext, np.ndarray | None], ResponseData]] = {
    "single": _single,
    "cbind": _cbind,
    "ratio": _ratio,
}


def response_trials(
    request: ResponseRequest, data: pd.DataFrame, context: EvalContext
) -> np.ndarray | None:
    """Trials of new rows of a binomial model, when ``data`` holds the columns they come from.

    ``cbind(s, f)``: ``s + f``; ``r/n``: ``n``; a single response: ones, or the ``weights``
    column when the response is a proportion of ``weights`` trials. ``None`` for families
    without trials or when a needed column is absent.
    """
    if not request.family.uses_trials:
        return None
    texts = request.response.expressions
    parts = {
        "cbind": texts,
        "ratio": texts[1:],
        "single": (quote_name(request.weights),) if request.weights is not None else (),
    }[request.response.kind]
    if not parts:
        return np.ones(len(data))
    if any(column not in data.columns for text in parts for column in expression_columns(text)):
        return None
    new_context = EvalContext(data, context.store, context.formula)
    values = [evaluate_numeric(text, new_context, what=f"trials {text!r} in new data") for text in parts]
    return np.sum(values, axis=0)
