"""Response kinds: how a family's response is validated and encoded, with errors that name rows.

A :class:`ResponseKind` says what values a response may take (rules checked after the finiteness
check), whether a two-level column may be encoded as 0/1 (``levelled``: the success being a level
of the column) and whether each row carries a number of trials.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bayesml.errors import DataError

__all__ = [
    "RESPONSE_KINDS",
    "RESPONSE_RULES",
    "ResponseKind",
    "as_vector",
    "check_response",
    "check_weights",
    "describe_rows",
]

Array = NDArray[np.float64]
Mask = NDArray[np.bool_]

_SHOWN = 5  # how many offending rows/values a message shows


@dataclass(frozen=True)
class ResponseRule:
    """A condition on response values: ``is_bad`` flags the rows that break ``expected``."""

    expected: str
    is_bad: Callable[[Array], Mask]


def _not_integer(y: Array) -> Mask:
    return y != np.floor(y)


RESPONSE_RULES: dict[str, tuple[ResponseRule, ...]] = {
    "real": (),
    "binary": (ResponseRule("must be 0 or 1", lambda y: (y != 0) & (y != 1)),),
    "binomial": (
        ResponseRule(
            "must be non-negative integer counts of successes",
            lambda y: (y < 0) | _not_integer(y),
        ),
    ),
    "count": (
        ResponseRule("must be non-negative integer counts", lambda y: (y < 0) | _not_integer(y)),
    ),
    "positive": (ResponseRule("must be positive (y > 0)", lambda y: y <= 0),),
    "non_negative": (ResponseRule("must be non-negative (y >= 0)", lambda y: y < 0),),
    "unit_interval": (
        ResponseRule("must lie strictly between 0 and 1", lambda y: (y <= 0) | (y >= 1)),
    ),
    "ordinal": (
        ResponseRule(
            "must be category numbers 1, 2, ..., K (the position of each row's level)",
            lambda y: (y < 1) | _not_integer(y),
        ),
    ),
    "categorical": (
        ResponseRule(
            "must be category numbers 1, 2, ..., K (the position of each row's level; 1 is the "
            "reference)",
            lambda y: (y < 1) | _not_integer(y),
        ),
    ),
    "multinomial": (
        ResponseRule(
            "must be non-negative integer counts of each category",
            lambda y: (y < 0) | _not_integer(y),
        ),
    ),
}
"""Checks applied to the response after the finiteness check, by ``Family.response_kind``."""


def as_vector(values: ArrayLike, *, what: str) -> Array:
    """Return ``values`` as a 1-D float array, or raise :class:`DataError` naming ``what``."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as error:
        kind = np.asarray(values).dtype
        raise DataError(f"{what} must be numeric; got values of dtype {kind}") from error
    if array.ndim != 1:
        raise DataError(f"{what} must be one-dimensional; got an array of shape {array.shape}")
    return array


def describe_rows(mask: Mask, row_labels: Sequence[object] | None = None) -> str:
    """Describe the flagged rows: ``"2 rows (row positions 4, 9)"`` or ``"1 row (row 'a')"``."""
    positions = np.flatnonzero(mask)
    count = positions.size
    shown = positions[:_SHOWN]
    if row_labels is None:
        where = "row position" + ("s" if count > 1 else "")
        items = [str(int(i)) for i in shown]
    else:
        where = "row" + ("s" if count > 1 else "")
        items = [repr(row_labels[int(i)]) for i in shown]
    if count > _SHOWN:
        items.append("...")
    noun = "row" if count == 1 else "rows"
    return f"{count} {noun} ({where} {', '.join(items)})"


def _format_values(values: Array) -> str:
    text = ", ".join(f"{v:g}" for v in values[:_SHOWN])
    return text + (", ..." if values.size > _SHOWN else "")


def _raise_bad(
    mask: Mask, values: Array, *, subject: str, expected: str, row_labels: Sequence[object] | None
) -> None:
    if mask.any():
        raise DataError(
            f"{subject} {expected}; got {_format_values(values[mask])} "
            f"in {describe_rows(mask, row_labels)}"
        )


def _check_trials(
    trials: ArrayLike | None,
    y: Array,
    *,
    family: str,
    name: str,
    row_labels: Sequence[object] | None,
) -> Array:
    if trials is None:
        raise DataError(
            f"family {family!r} needs the number of trials for response {name!r}; got trials=None"
        )
    n = as_vector(trials, what=f"trials of response {name!r}")
    if n.shape != y.shape:
        raise DataError(
            f"trials of response {name!r} must have one value per row ({y.size}); got {n.size}"
        )
    subject = f"trials of response {name!r}"
    _raise_bad(
        ~np.isfinite(n),
        n,
        subject=subject,
        expected="must be finite numbers",
        row_labels=row_labels,
    )
    _raise_bad(
        (n < 1) | _not_integer(n),
        n,
        subject=subject,
        expected="must be positive integers",
        row_labels=row_labels,
    )
    return n


def check_response(
    y: ArrayLike,
    response: ResponseKind,
    family: str,
    trials: ArrayLike | None,
    name: str,
    row_labels: Sequence[object] | None,
) -> None:
    """Raise :class:`DataError` unless ``y`` is a valid ``response`` of the family named
    ``family``; see :meth:`bayesml.families.Family.validate_response`."""
    kind, uses_trials = response.name, response.uses_trials
    values = as_vector(y, what=f"response {name!r}")
    if row_labels is not None and len(row_labels) != values.size:
        raise DataError(
            f"row_labels must have one label per row of response {name!r} ({values.size}); "
            f"got {len(row_labels)}"
        )
    subject = f"response {name!r}"
    _raise_bad(
        ~np.isfinite(values),
        values,
        subject=subject,
        expected="must be finite numbers (no NaN or inf)",
        row_labels=row_labels,
    )
    for rule in RESPONSE_RULES[kind]:
        _raise_bad(
            rule.is_bad(values),
            values,
            subject=subject,
            expected=f"{rule.expected} for family {family!r}",
            row_labels=row_labels,
        )
    if uses_trials:
        n = _check_trials(trials, values, family=family, name=name, row_labels=row_labels)
        too_many = values > n
        if too_many.any():
            pairs = [f"{s:g} of {t:g}" for s, t in zip(values[too_many], n[too_many], strict=True)]
            shown = ", ".join(pairs[:_SHOWN]) + (", ..." if len(pairs) > _SHOWN else "")
            raise DataError(
                f"{subject} counts successes, which must not exceed the trials; got {shown} "
                f"in {describe_rows(too_many, row_labels)}"
            )
    elif trials is not None:
        raise DataError(
            f"family {family!r} takes no trials; got trials for response {name!r} "
            "(use family 'binomial' for successes out of trials)"
        )


def check_weights(weights: ArrayLike, *, size: int) -> Array:
    """Return prior weights as a float vector after checking they are finite and >= 0."""
    w = as_vector(weights, what="weights")
    if w.size != size:
        raise DataError(f"weights must have one value per row ({size}); got {w.size}")
    _raise_bad(
        ~np.isfinite(w) | (w < 0),
        w,
        subject="weights",
        expected="must be finite and non-negative",
        row_labels=None,
    )
    return w


@dataclass(frozen=True)
class ResponseKind:
    """What a family's response is: its checks and how the data encode it.

    Attributes
    ----------
    name
        A key of :data:`RESPONSE_RULES` (``"real"``, ``"binary"``, ``"binomial"``, ``"count"``,
        ``"positive"``, ``"non_negative"`` (positive values and zeros: the hurdle families of
        a continuous response), ``"unit_interval"``, ``"ordinal"`` and ``"categorical"`` (category
        numbers 1, …, K), ``"multinomial"`` (a matrix of counts, one column per category)).
    levelled
        Whether a two-level column may be the response, encoded 0/1 with one level counted as
        success (the ``success`` argument means something).
    uses_trials
        Whether each row has a number of trials (successes out of trials).
    ordered
        Whether the response is one of K ordered levels (an ordered categorical, integers, or
        labels with ``levels=``), given to the family as category numbers 1, …, K.
    categorical
        Whether the response is one of K unordered levels (any column; ``levels=`` orders them,
        ``reference=`` picks the reference), given to the family as category numbers 1, …, K
        with the reference first.
    category_counts
        Whether the response is a matrix of counts with one column per category (rows × K, the
        first column the reference; ``cbind(n1, n2, n3)``), each row's trials being its total.
    """

    name: str
    levelled: bool = False
    uses_trials: bool = False
    ordered: bool = False
    categorical: bool = False
    category_counts: bool = False

    @property
    def has_levels(self) -> bool:
        """Whether the response is one of K levels (ordered or not) coded 1, …, K."""
        return self.ordered or self.categorical


RESPONSE_KINDS: dict[str, ResponseKind] = {
    "real": ResponseKind("real"),
    "binary": ResponseKind("binary", levelled=True),
    "binomial": ResponseKind("binomial", levelled=True, uses_trials=True),
    "count": ResponseKind("count"),
    "positive": ResponseKind("positive"),
    "non_negative": ResponseKind("non_negative"),
    "unit_interval": ResponseKind("unit_interval"),
    "ordinal": ResponseKind("ordinal", ordered=True),
    "categorical": ResponseKind("categorical", categorical=True),
    "multinomial": ResponseKind("multinomial", uses_trials=True, category_counts=True),
}
"""The response kinds by name."""
