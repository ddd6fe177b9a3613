"""Checks on the values of prior parameters: each constraint converts a value or says what it expected.

A constraint turns a user's value (from YAML or Python) into the canonical, hashable form that a
:class:`~bayesml.priors.Prior` stores: a Python ``int`` or ``float`` for numbers, a tuple of tuples of
floats for a matrix. Booleans and strings are never numbers.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Constraint",
    "ConstraintViolation",
    "POSITIVE",
    "REAL",
    "ZERO",
    "POSITIVE_OR_SPD_MATRIX",
    "format_value",
    "show_value",
]

Value = int | float | tuple[tuple[float, ...], ...]


class ConstraintViolation(ValueError):
    """A value breaks a constraint; the message completes ``"expected ..., got ..."``."""


@dataclass(frozen=True)
class Constraint:
    """What a parameter accepts.

    Attributes
    ----------
    expected
        Noun phrase for messages: ``"a positive number"``.
    convert
        Returns the canonical value or raises :class:`ConstraintViolation` (whose text, when not
        empty, is added to the message after the value that was got).
    """

    expected: str
    convert: Callable[[object], Value]


def _as_number(value: object) -> int | float:
    """A finite Python int or float from a number (numpy scalars included, booleans excluded)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise ConstraintViolation("")
    number = int(value) if isinstance(value, numbers.Integral) else float(value)
    if not math.isfinite(number):
        raise ConstraintViolation("")
    return number


def _positive(value: object) -> int | float:
    number = _as_number(value)
    if number <= 0:
        raise ConstraintViolation("")
    return number


def _zero(value: object) -> int | float:
    number = _as_number(value)
    if number != 0:
        raise ConstraintViolation("")
    return number


def _matrix(value: object) -> tuple[tuple[float, ...], ...]:
    """A symmetric positive-definite matrix given as a list of lists (or nested tuples, an array)."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ConstraintViolation("")
    rows = [row for row in value]
    if not rows or any(isinstance(row, str) or not isinstance(row, Sequence) for row in rows):
        raise ConstraintViolation("")
    try:
        entries = [[_as_number(entry) for entry in row] for row in rows]
    except ConstraintViolation:
        raise ConstraintViolation("(the matrix has an entry that is not a finite number)") from None
    size = len(entries)
    if any(len(row) != size for row in entries):
        shape = f"{size} rows of lengths {[len(row) for row in entries]}"
        raise ConstraintViolation(f"(not square: {shape})")
    matrix = np.array(entries, dtype=float)
    if not np.allclose(matrix, matrix.T, rtol=1e-10, atol=1e-12 * np.abs(matrix).max()):
        raise ConstraintViolation("(not symmetric)")
    if np.linalg.eigvalsh(matrix).min() <= 0:
        raise ConstraintViolation("(not positive definite)")
    return tuple(tuple(float(entry) for entry in row) for row in matrix)


def _positive_or_matrix(value: object) -> Value:
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, numbers.Real) or isinstance(value, bool | np.bool_):
        return _positive(value)
    return _matrix(value)


POSITIVE = Constraint("a positive number", _positive)
REAL = Constraint("a finite number", _as_number)
ZERO = Constraint("0 (the prior is on the interval from 0 to upper)", _zero)
POSITIVE_OR_SPD_MATRIX = Constraint(
    "a positive number s (for s·I) or a symmetric positive-definite matrix as a list of lists",
    _positive_or_matrix,
)


def format_value(value: Value) -> str:
    """Short text of a canonical value: ``1``, ``2.5``, ``37.0652``, ``[[1, 0], [0, 1]]``."""
    if isinstance(value, tuple):
        return "[" + ", ".join("[" + ", ".join(map(format_value, row)) + "]" for row in value) + "]"
    if isinstance(value, int):
        return str(value)
    return format(value, ".6g")


def show_value(value: object) -> str:
    """Text of a value as the user gave it, for ``got ...`` in messages."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        return repr(value.tolist())
    return repr(value)
