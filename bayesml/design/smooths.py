"""Smooth terms in mixed-model form: fixed null-space columns and penalised random blocks.

A penalised smooth ``f(x) = B(x) β`` with penalty ``βᵀSβ / sd²`` is, after mgcv's
``smooth2random`` (Wood 2004; Wood 2017 §7.7), ``Xf βf + Xr b`` with ``b ~ N(0, sd² I)``: the
penalty's null space ``Xf`` (a linear trend for cr/tp/ps) joins the fixed effects, and the
penalised part is a random effect with one SD. This is what makes a smooth available to every
backend: each penalised part is a :class:`~bayesml.design.random.RandomBlock` with one level and
``r`` terms sharing one SD (``shared_sd``); the backends treat it as any other random block.

:class:`FittedSmooth` keeps the fitted basis, constraint and transformation, so new data
(``predict``) are evaluated on the same basis (mgcv's ``PredictMat``): values outside the fitted
range are extrapolated as mgcv's bases extrapolate (linearly for cr/ps/tp, wrapped for cc), with a
warning.

Names (see the README's names table): the fixed columns of ``s(x)`` are ``s(x)_fixed1``, … in
``beta``; its penalised block is the grouping factor ``s(x)`` (posterior ``u_s(x)``, SD
``sd_s(x)``); a ``by=f`` smooth has one block per level, ``s(x):fa``, ``s(x):fb``, …; a ``t2`` smooth
one block per penalty, ``t2(x,z)_<margin>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bayesml.design.convert import EvalContext, check_seen_levels
from bayesml.design.expressions import evaluate_design_value, expression_columns
from bayesml.design.random import RandomBlock, level_major_z
from bayesml.design.smooth_bases import (
    SmoothBasis,
    constraint_null_space,
    mixed_model_transform,
    penalty_rank,
    smooth_basis,
)
from bayesml.design.terms import new_data_context
from bayesml.design.thin_plate import default_penalty_order, null_space_dimension
from bayesml.design.values import FactorValue
from bayesml.errors import ArgumentError, DataError, SmoothExtrapolationWarning, warn
from bayesml.formula import SmoothTerm
from bayesml.formula.smooth_terms import T2_DEFAULT_K

__all__ = [
    "FittedSmooth",
    "SmoothColumnsEncoder",
    "SmoothExtrapolationWarning",
    "build_smooths",
    "default_k",
]


def default_k(bs: str, dimension: int) -> int:
    """mgcv's default basis dimension: for a thin plate spline of ``d`` covariates ``M + 8``,
    ``M + 27`` or ``M + 100`` for d = 1, 2, ≥ 3 (M the null-space dimension: 10, 30 and 110 for
    d = 1, 2, 3); 10 for the one-covariate bases."""
    if bs != "tp":
        return 10
    null_space = null_space_dimension(dimension, default_penalty_order(dimension))
    return null_space + (8, 27)[dimension - 1] if dimension <= 2 else null_space + 100


def basis_dimensions(term: SmoothTerm) -> tuple[int, ...]:
    """A smooth's ``k`` as written, or mgcv's default (one per margin of a ``t2``: 5 each)."""
    if term.k is not None:
        return term.k
    if term.kind == "t2":
        return (T2_DEFAULT_K,) * len(term.covariates)
    return (default_k(term.bs[0], len(term.covariates)),)


@dataclass(frozen=True, eq=False)
class _Piece:
    """One penalised smooth of a term: the whole term, or one level of a factor ``by``.

    ``level`` is the factor level (``None`` without a factor ``by``); ``transform`` maps the
    unconstrained basis to ``[random | fixed]`` columns (constraint, then ``U D``); ``rank`` is the
    number of random columns.
    """

    name: str
    level: int | None
    transform: np.ndarray
    rank: int


@dataclass(frozen=True, eq=False)
class FittedSmooth:
    """A smooth term fitted to data, with what it needs to evaluate new rows.

    Attributes
    ----------
    term
        The parsed smooth.
    fixed_labels
        Labels of its fixed (null-space) columns, e.g. ``("s(x)_fixed1",)``.
    block_names
        The grouping-factor names of its penalised blocks, e.g. ``("s(x)",)``.
    ranges
        The fitted range (min, max) of each covariate.
    """

    term: SmoothTerm
    fixed_labels: tuple[str, ...]
    block_names: tuple[str, ...]
    ranges: tuple[tuple[float, float], ...]
    basis: object = field(repr=False)
    pieces: tuple[_Piece, ...] = field(repr=False)
    context: EvalContext = field(repr=False)

    @property
    def label(self) -> str:
        """mgcv's label of the term (``"s(x)"``, ``"s(x):f"``, ``"t2(x,z)"``)."""
        return self.term.label

    @property
    def k(self) -> tuple[int, ...]:
        """The basis dimension (one per margin of a ``t2``): as written, or mgcv's default."""
        return basis_dimensions(self.term)

    @property
    def columns(self) -> tuple[str, ...]:
        """The data columns the smooth reads (covariates and ``by``)."""
        texts = [c for text in self.term.covariates for c in expression_columns(text)]
        if self.term.by is not None:
            texts.append(self.term.by)
        return tuple(dict.fromkeys(texts))

    def evaluate(
        self, context: EvalContext, covariates: np.ndarray | None = None
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        """The fixed columns and each penalised block's columns on the rows of ``context``
        (``covariates``: the smooth's covariates there, when already evaluated)."""
        if covariates is None:
            covariates = _covariates(self.term, context)
        if self.term.kind == "t2":
            form = self.basis.mixed_form([covariates[:, j] for j in range(covariates.shape[1])])
            return form.fixed, tuple(form.random)
        values = covariates[:, 0] if covariates.shape[1] == 1 else covariates
        unconstrained = self.basis.transform_unconstrained(values)
        multiplier = _by_values(self.term, context)
        fixed, random = [], []
        for piece in self.pieces:
            rows = multiplier if piece.level is None else (multiplier == piece.level).astype(float)
            columns = (unconstrained * rows[:, None]) @ piece.transform
            random.append(columns[:, : piece.rank])
            fixed.append(columns[:, piece.rank :])
        return np.hstack(fixed), tuple(random)

    def transform(self, new_data: pd.DataFrame) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        """:meth:`evaluate` on new rows, warning when a covariate leaves the fitted range."""
        context = new_data_context(new_data, self.columns, self.context)
        covariates = _covariates(self.term, context)
        for j, (low, high) in enumerate(self.ranges):
            outside = (covariates[:, j] < low) | (covariates[:, j] > high)
            if outside.any() and self.term.bs[min(j, len(self.term.bs) - 1)] != "cc":
                warn(
                    f"{self.label}: {int(outside.sum())} new value(s) of "
                    f"{self.term.covariates[j]} lie outside the fitted range [{low:g}, {high:g}]; "
                    "the smooth is extrapolated as mgcv extrapolates it (linearly beyond the "
                    "range), which is a guess, not an estimate",
                    SmoothExtrapolationWarning,
                )
        return self.evaluate(context, covariates)


@dataclass(frozen=True, eq=False)
class SmoothColumnsEncoder:
    """Evaluates one penalised block of a smooth on new rows (the ``encoder`` of its block)."""

    smooth: FittedSmooth
    position: int

    def encode(self, new_data: pd.DataFrame) -> np.ndarray:
        """The block's columns (``n × r``) on ``new_data`` (the fixed design warns about new
        values outside the fitted range, once per smooth)."""
        context = new_data_context(new_data, self.smooth.columns, self.smooth.context)
        return self.smooth.evaluate(context)[1][self.position]


@dataclass(frozen=True, eq=False)
class SmoothBlock(RandomBlock):
    """The penalised part of a smooth as a random block: one level, ``r`` terms, one SD."""

    def transform(self, new_data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
        """The block's columns on new rows, every row in the single level."""
        matrix = self.encoder.encode(new_data)
        return matrix, np.zeros(matrix.shape[0], dtype=np.int64), ()


def build_smooths(
    smooths: tuple[SmoothTerm, ...], context: EvalContext
) -> tuple[tuple[FittedSmooth, ...], np.ndarray, tuple[str, ...], tuple[SmoothBlock, ...]]:
    """Fit every smooth of a formula.

    Returns
    -------
    (fitted, fixed_matrix, fixed_labels, blocks)
        The fitted smooths; their fixed columns side by side (``n × f``) with labels; and their
        penalised blocks.

    Raises
    ------
    DataError
        For a categorical covariate, ``k`` above the number of unique covariate values, a ``cc``
        cycle that does not contain the data, or a basis that cannot be built from the data.
    """
    fitted, fixed, labels, blocks = [], [], [], []
    for term in smooths:
        smooth = _fit(term, context)
        fixed_columns, random_columns = smooth.evaluate(context)
        fitted.append(smooth)
        fixed.append(fixed_columns)
        labels += smooth.fixed_labels
        blocks += [
            _block(name, columns, SmoothColumnsEncoder(smooth, position))
            for position, (name, columns) in enumerate(
                zip(smooth.block_names, random_columns, strict=True)
            )
        ]
    matrix = np.hstack(fixed) if fixed else np.zeros((context.n, 0))
    return tuple(fitted), matrix, tuple(labels), tuple(blocks)


def _block(name: str, columns: np.ndarray, encoder: SmoothColumnsEncoder) -> SmoothBlock:
    index = np.zeros(columns.shape[0], dtype=np.int64)
    return SmoothBlock(
        name=name,
        term_labels=tuple(f"b{j + 1}" for j in range(columns.shape[1])),
        correlated=False,
        levels=(name,),
        group_index=index,
        term_matrix=columns,
        Z=level_major_z(columns, index, 1),
        encoder=encoder,  # type: ignore[arg-type]
        grouping=None,  # type: ignore[arg-type]
        shared_sd=True,
    )


def _fit(term: SmoothTerm, context: EvalContext) -> FittedSmooth:
    covariates = _covariates(term, context)
    _check_unique(term, covariates)
    ranges = tuple((float(c.min()), float(c.max())) for c in covariates.T)
    if term.kind == "t2":
        return _fit_tensor(term, covariates, ranges, context)
    bs = term.bs[0]
    (k,) = basis_dimensions(term)
    values = covariates[:, 0] if covariates.shape[1] == 1 else covariates
    basis = _fitted_basis(term, bs, values, k)
    by = _by_values(term, context)
    pieces = _pieces(term, basis, by, context)
    fixed_labels = tuple(
        f"{piece.name}_fixed{j + 1}"
        for piece in pieces
        for j in range(piece.transform.shape[1] - piece.rank)
    )
    names = tuple(piece.name for piece in pieces)
    return FittedSmooth(term, fixed_labels, names, ranges, basis, pieces, context)


def _fitted_basis(term: SmoothTerm, bs: str, values: np.ndarray, k: int) -> SmoothBasis:
    try:
        return smooth_basis(bs).fit(values, k=k, knots=term.knots)
    except ArgumentError as error:
        raise DataError(f"{term}: {error}") from None


def _pieces(
    term: SmoothTerm, basis: SmoothBasis, by: np.ndarray, context: EvalContext
) -> tuple[_Piece, ...]:
    """The penalised smooths of a term: one, or one per level of a factor ``by``."""
    if term.by is None:
        return (_piece(term.label, None, basis.Z, basis.S, basis.rank),)
    by_value = evaluate_design_value(term.by, context)
    if not isinstance(by_value, FactorValue):  # varying coefficient f(x)·by: no constraint
        identity = np.eye(basis.S_unconstrained.shape[0])
        return (_piece(term.label, None, identity, basis.S_unconstrained, None),)
    pieces = []
    for level, level_label in enumerate(by_value.encoding.labels):
        rows = (by == level).astype(float)
        constraint = (basis.X_unconstrained * rows[:, None]).mean(axis=0, keepdims=True)
        null_space = constraint_null_space(constraint)
        penalty = null_space.T @ basis.S_unconstrained @ null_space
        name = f"{term.label}{level_label}"  # s(x):f + level: mgcv's s(x):fa
        pieces.append(_piece(name, level, null_space, (penalty + penalty.T) / 2, basis.rank))
    return tuple(pieces)


def _piece(name: str, level: int | None, null_space, penalty, rank: int | None) -> _Piece:
    rank = penalty_rank(penalty) if rank is None else rank
    vectors, scales = mixed_model_transform(penalty, rank)
    return _Piece(name, level, null_space @ (vectors * scales), rank)


def _fit_tensor(term, covariates, ranges, context) -> FittedSmooth:
    from bayesml.design.tensor_smooths import TensorProductT2

    if term.by is not None:
        raise DataError(f"{term}: by= is not supported for t2() smooths yet; use s(x, by=...)")
    k = basis_dimensions(term)
    try:
        basis = TensorProductT2().fit(
            list(covariates.T), bs=term.bs, k=k, names=list(term.covariates)
        )
    except ArgumentError as error:
        raise DataError(f"{term}: {error}") from None
    form = basis.mixed_form(None)
    fixed_labels = tuple(f"{term.label}_fixed{j + 1}" for j in range(form.fixed.shape[1]))
    names = tuple(f"{term.label}_{label}" for label in form.labels)
    return FittedSmooth(term, fixed_labels, names, ranges, basis, (), context)


def _covariates(term: SmoothTerm, context: EvalContext) -> np.ndarray:
    columns = []
    for text in term.covariates:
        value = evaluate_design_value(text, context)
        if isinstance(value, FactorValue):
            raise DataError(
                f"{term}: the covariate {text} is categorical (levels "
                f"{', '.join(map(repr, value.encoding.labels[:4]))}"
                f"{', ...' if len(value.encoding.labels) > 4 else ''}); a smooth needs a numeric "
                f"covariate. For one smooth per level write s(<numeric>, by={text}); for a random "
                f'effect of {text}, s({text}, bs="re") or (1 | {text})'
            )
        columns.append(np.asarray(value.values, dtype=float))
    return np.column_stack(columns)


def _check_unique(term: SmoothTerm, covariates: np.ndarray) -> None:
    unique = len(np.unique(covariates, axis=0))
    if term.kind == "t2":
        k = basis_dimensions(term)
        for j, (text, size) in enumerate(zip(term.covariates, k, strict=True)):
            n = len(np.unique(covariates[:, j]))
            if size > n:
                raise DataError(
                    f"{term}: k = {size} for the margin {text}, but {text} has only {n} unique "
                    f"values; choose k <= {n}"
                )
        return
    (k,) = basis_dimensions(term)
    if k > unique:
        what = (
            term.covariates[0]
            if len(term.covariates) == 1
            else "(" + ", ".join(term.covariates) + ")"
        )
        raise DataError(
            f"{term}: k = {k} but {what} has only {unique} unique value(s); a smooth cannot have "
            f"more basis functions than distinct covariate values (mgcv refuses it too): choose "
            f"k <= {unique}, or treat {what} as categorical"
        )


def _by_values(term: SmoothTerm, context: EvalContext) -> np.ndarray:
    """The ``by`` multiplier of each row: its numeric value, a factor's level code, or ones."""
    if term.by is None:
        return np.ones(context.n)
    value = evaluate_design_value(term.by, context)
    if isinstance(value, FactorValue):
        check_seen_levels(value, context, what=f"{term}: by={term.by}")
        return np.asarray(value.codes, dtype=float)
    return np.asarray(value.values, dtype=float)
