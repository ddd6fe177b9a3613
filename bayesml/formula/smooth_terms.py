"""Smooth terms: ``s(...)`` and ``t2(...)`` calls → :class:`~bayesml.formula.parsed.SmoothTerm`.

mgcv's (and brms') syntax, checked where it is written so that errors point at the token:

* ``s(x)`` — a thin plate regression spline of ``x`` (mgcv's default ``bs = "tp"``), ``k = 10``;
* ``s(x, k=20, bs="cr")`` — another basis (:data:`SMOOTH_BASIS_NAMES`) or dimension;
* ``s(x, z)`` — an isotropic thin plate spline of two or more covariates;
* ``t2(x, z)`` — a tensor product in mixed-model form (mgcv's ``t2``: ``cr`` margins, ``k = 5`` each
  by default; ``k=c(5, 6)`` and ``bs="ps"`` set them);
* ``s(x, by=f)`` — one smooth per level of the factor ``f``, each with its own SD; with a numeric
  ``by`` column, a varying-coefficient term ``f(x) · by`` (no sum-to-zero constraint, as mgcv);
* ``s(hour, bs="cc", knots=c(0, 24))`` — a cyclic smooth whose cycle runs over the given range;
* ``s(g, bs="re")`` — mgcv's spelling of the random intercept ``(1 | g)``; ``s(x, g, bs="re")`` is
  ``(0 + x | g)``. These become random terms, not smooths.
"""

from __future__ import annotations

from bayesml.errors import FormulaError
from bayesml.formula.nodes import BinaryOp, Call, Expr, Name, Number, String, UnaryOp
from bayesml.formula.parsed import SmoothTerm
from bayesml.formula.render import to_text

__all__ = ["SMOOTH_BASIS_NAMES", "TENSOR_MARGIN_NAMES", "smooth_terms"]

#: the ``bs`` names of ``s()``: mgcv's bases we construct (``"re"`` becomes a random term)
SMOOTH_BASIS_NAMES = ("tp", "cr", "cc", "ps", "re")
#: the ``bs`` names of a ``t2()`` margin
TENSOR_MARGIN_NAMES = ("cr", "cc", "ps")
#: mgcv's default basis dimension per margin of ``t2`` (``k = 5``)
T2_DEFAULT_K = 5


def smooth_terms(calls: list[Call], text: str) -> tuple[tuple[SmoothTerm, ...], list[BinaryOp]]:
    """The smooth terms of a formula, and the random-effects bars that ``bs="re"`` smooths stand for.

    Parameters
    ----------
    calls
        The ``s()``/``t2()`` calls added to the right-hand side, in order.
    text
        The whole formula, for error messages.

    Raises
    ------
    FormulaError
        With a caret under the offending token: an unknown ``bs`` (listing the supported ones), a
        ``k`` that is not a whole number ≥ 3, ``knots=`` on a basis other than ``cc``, ``by=`` that
        is not a column name, ``s(x, z)`` with a basis other than ``tp``, or the same smooth twice.
    """
    smooths: list[SmoothTerm] = []
    bars: list[BinaryOp] = []
    for call in calls:
        if call.func == "s" and _basis_names(call, text) == ("re",):
            bars.append(_random_bar(call, text))
            continue
        smooth = _smooth(call, text)
        if smooth.label in {known.label for known in smooths}:
            raise FormulaError(
                f"the smooth {smooth.label} appears twice; write it once",
                text,
                call.start,
                call.end,
            )
        smooths.append(smooth)
    return tuple(smooths), bars


def _smooth(call: Call, text: str) -> SmoothTerm:
    covariates = tuple(to_text(arg) for arg in call.args)
    if len(set(covariates)) < len(covariates):
        raise FormulaError(
            f"{call.func}() names a covariate twice: {', '.join(covariates)}",
            text,
            call.start,
            call.end,
        )
    bs = _basis_names(call, text)
    if call.func == "s" and len(covariates) > 1 and bs != ("tp",):
        value = call.keyword("bs")
        raise _error(
            f"a smooth of several covariates, s({', '.join(covariates)}), is an isotropic thin "
            f'plate spline (bs="tp"), got bs={bs[0]!r}; for a tensor product write '
            f"t2({', '.join(covariates)})",
            value if value is not None else call,
            text,
        )
    if call.func == "t2":
        bs = bs * len(covariates) if len(bs) == 1 else bs
    return SmoothTerm(
        kind=call.func,
        covariates=covariates,
        bs=bs,
        k=_k(call, len(covariates), text),
        by=_by(call, text),
        knots=_knots(call, bs, text),
    )


def _basis_names(call: Call, text: str) -> tuple[str, ...]:
    value = call.keyword("bs")
    supported = SMOOTH_BASIS_NAMES if call.func == "s" else TENSOR_MARGIN_NAMES
    if value is None:
        return ("tp",) if call.func == "s" else ("cr",)
    if not isinstance(value, String):
        raise _error(
            f'bs= must be a quoted basis name, e.g. bs="cr"; got {to_text(value)}', value, text
        )
    if value.value not in supported:
        listed = ", ".join(f'"{name}"' for name in supported)
        raise _error(
            f'unknown basis bs="{value.value}" for {call.func}(); supported: {listed}', value, text
        )
    return (value.value,)


def _k(call: Call, n_covariates: int, text: str) -> tuple[int, ...] | None:
    value = call.keyword("k")
    if value is None:
        return None
    numbers = value.args if isinstance(value, Call) else (value,)
    if isinstance(value, Call) and (call.func == "s" or len(numbers) != n_covariates):
        expected = (
            "one whole number"
            if call.func == "s"
            else f"one number or {n_covariates} (one per margin)"
        )
        raise _error(f"k= of {call.func}() takes {expected}, got {to_text(value)}", value, text)
    out = []
    for number in numbers:
        k = number.value if isinstance(number, Number) else None
        if isinstance(number, UnaryOp) or not isinstance(k, int) or k < 3:
            raise _error(
                f"k= must be a whole number of at least 3 (the basis dimension), got {to_text(number)}",
                number,
                text,
            )
        out.append(k)
    if call.func == "t2" and len(out) == 1:
        out *= n_covariates
    return tuple(out)


def _by(call: Call, text: str) -> str | None:
    value = call.keyword("by")
    if value is None:
        return None
    if not isinstance(value, Name):
        raise _error(
            f"by= must name a data column (a factor: one smooth per level; a number: a varying "
            f"coefficient), got {to_text(value)}",
            value,
            text,
        )
    return value.name


def _knots(call: Call, bs: tuple[str, ...], text: str) -> tuple[float, ...] | None:
    value = call.keyword("knots")
    if value is None:
        return None
    if bs != ("cc",):
        raise _error(
            f'knots= sets the ends of a cyclic smooth\'s cycle (bs="cc"); this smooth has '
            f'bs="{bs[0]}", whose knots are placed from the data as mgcv places them',
            value,
            text,
        )
    numbers = value.args if isinstance(value, Call) else (value,)
    out = tuple(float(_number(number)) for number in numbers)
    if len(out) != 2 or not out[0] < out[1]:
        raise _error(
            f"knots= of a cyclic smooth takes the two ends of the cycle, lower first, e.g. "
            f"knots=c(0, 24); got {to_text(value)}",
            value,
            text,
        )
    return out


def _number(node: Expr) -> float:
    if isinstance(node, UnaryOp):
        return -float(node.operand.value)  # type: ignore[union-attr]
    return float(node.value)  # type: ignore[union-attr]


def _random_bar(call: Call, text: str) -> BinaryOp:
    """``s(g, bs="re")`` as ``(1 | g)``; ``s(x, g, bs="re")`` as ``(0 + x | g)``."""
    extra = [key for key, _ in call.kwargs if key != "bs"]
    if extra:
        raise _error(
            f'a random-effect smooth s(..., bs="re") takes no {extra[0]}=; it is the random term '
            f"(1 | {to_text(call.args[-1])})",
            call.keyword(extra[0]),
            text,
        )
    group = call.args[-1]
    if not isinstance(group, Name):
        raise _error(
            f'the last argument of s(..., bs="re") is the grouping column, got {to_text(group)}',
            group,
            text,
        )
    if len(call.args) > 2:
        raise _error(
            's(..., bs="re") takes a grouping column, or one covariate and the grouping column '
            '(s(x, g, bs="re") is (0 + x | g))',
            call,
            text,
        )
    span = {"start": call.start, "end": call.end}
    left: Expr = (
        Number(1, **span)
        if len(call.args) == 1
        else BinaryOp("+", Number(0, **span), call.args[0], **span)
    )
    return BinaryOp("|", left, group, **span)


def _error(message: str, node: Expr, text: str) -> FormulaError:
    return FormulaError(message, text, node.start, node.end)
