"""mgcv's ``t2`` tensor product smooths in the mixed-model form gamm4 fits.

:class:`TensorProductT2` builds ``t2(x, z, ...)`` as mgcv's ``smoothCon(t2(...), absorb.cons = TRUE)``
followed by ``smooth2random`` (Wood, Scheipl & Faraway 2013, *Statistics and Computing* 23, 341–360;
mgcv's ``smooth.construct.t2.smooth.spec``, ``t2.model.matrix``, ``nat.param``): one
unpenalised block of fixed columns and one block of random-effect columns per penalty, each block's
coefficients iid ``N(0, sd_j²)`` with its own SD. This is the tensor product that keeps a plain
mixed-model form (``te()`` does not: its penalties overlap).

Construction, margin by margin (mgcv's defaults ``bs = "cr"``, ``k = 5``, ``full = FALSE``):

1. each margin is one covariate (mgcv's default ``d = 1``) with an unconstrained basis ``X_i`` of
   :mod:`bayesml.design.smooth_bases` (``cr``, ``cc``, ``ps``: :data:`T2_MARGIN_BASES`; a ``tp``
   margin would be added there) and its penalty ``S_i`` of rank ``r_i`` (mgcv's
   ``smooth.construct``, no sum-to-zero constraint on a margin);
2. ``nat.param(X_i, S_i, rank = r_i, type = 3, unit.fnorm = TRUE)``: ``X_i`` reparameterised
   so that its penalty is ``diag(1, …, 1, 0, …, 0)``: ``r_i`` range-space columns ``R_i`` and the
   null space ``N_i`` (for ``cr``/``ps`` the linear functions: the constant first, then the
   centred direction; for ``cc`` the constant), each part scaled to mean square 1;
3. the row-wise Kronecker products of the parts (``t2.model.matrix``): for two margins the blocks
   ``R_x⊗R_z`` (mgcv's label ``"rr"``), ``N_x⊗R_z`` (``"nr"``), ``R_x⊗N_z`` (``"rn"``) each with its
   own identity penalty, and the unpenalised ``N_x⊗N_z`` (``"nn"``); for more margins every
   pattern of ``r``/``n`` in mgcv's order;
4. the identifiability constraint only on the unpenalised block (its columns sum to zero over the
   data), absorbed as ``smoothCon`` absorbs it (Householder QR of the column sums: one column
   fewer; a one-column null block is dropped; no constraint without a null space);
5. ``smooth2random``: the penalised blocks become random effects, scaled by ``1 / ‖T‖_∞`` (the
   maximum absolute row sum of the unconstrained model matrix ``T``; smoothCon's penalty scaling),
   the constrained null block is the fixed part ``Xf``.

Labels. :attr:`SmoothColumns.labels` names each random block by the covariates whose *wiggly*
(range-space) part it holds: for ``t2(x, z)`` mgcv's blocks ``"rr"``, ``"nr"``, ``"rn"`` (gamm4's
random terms ``Xr``, ``Xr.0``, ``Xr.1``, in that order) are labelled ``"x:z"``, ``"z"``, ``"x"``:
``"z"`` is the smooth main effect of ``z`` (varying linearly in ``x`` for a ``cr`` margin of
``x``), ``"x:z"`` the smooth interaction. :attr:`TensorProductT2.penalty_labels` keeps mgcv's
labels.

Two things users of mgcv's numbers should know:

* **Null-space basis.** With ``full = FALSE`` the random blocks that mix a null space and a range
  space (``"nr"``, ``"rn"``) depend on *which* basis of a margin's two-dimensional null space
  step 2 starts from (Wood et al. 2013 note this "element of arbitrariness"), and mgcv takes it
  from LAPACK's eigenvectors of a repeated zero eigenvalue. R's reference LAPACK (CRAN's Windows
  and Debian builds) returns the null vector whose first coefficient is exactly zero and its
  orthogonal complement; this module constructs that basis explicitly, so it reproduces mgcv
  there to rounding (tests/references/mgcv_t2_references.R). An R linked to OpenBLAS, MKL or
  Accelerate may return another basis and so different ``"nr"``/``"rn"`` blocks and SDs (the
  same model space, a slightly different prior). Column signs are arbitrary in mgcv; here they are
  fixed (each range eigenvector's largest entry positive).
* **Centring of predictions.** :meth:`TensorProductT2.mixed_form` at new data uses the *fitting*
  parameterisation, so the coefficients of a fit apply. mgcv's ``predict(type = "terms")`` and
  ``PredictMat`` use t2's prediction constraint instead (the whole smooth sums to zero over the
  data): they equal this smooth minus its mean over the fitting data (the intercept absorbs the
  difference; the linear predictor is the same).

>>> import numpy as np
>>> from bayesml.design.tensor_smooths import TensorProductT2
>>> rng = np.random.default_rng(1)
>>> x, z = rng.uniform(size=100), rng.uniform(size=100)
>>> smooth = TensorProductT2().fit([x, z], names=("x", "z"))
>>> columns = smooth.mixed_form()
>>> columns.fixed.shape, [block.shape[1] for block in columns.random], columns.labels
((100, 3), [9, 6, 6], ('x:z', 'z', 'x'))
>>> smooth.penalty_labels
('rr', 'nr', 'rn')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bayesml.design.smooth_bases import SMOOTH_BASES, SmoothBasis, constraint_null_space
from bayesml.errors import ArgumentError, ArgumentTypeError

__all__ = ["T2_MARGIN_BASES", "SmoothColumns", "TensorProductT2", "natural_parameterisation"]

Array = NDArray[np.float64]

T2_MARGIN_BASES: tuple[str, ...] = ("cr", "cc", "ps")
"""The ``bs`` names a margin of :class:`TensorProductT2` may have."""


class SmoothColumns(NamedTuple):
    """A smooth term as mixed-model columns.

    Attributes
    ----------
    fixed : ndarray
        ``(n, f)`` unpenalised columns (fixed effects, mgcv's ``Xf``); ``f`` may be 0.
    random : tuple of ndarray
        One ``(n, r_j)`` block per penalty (mgcv's ``Xr``, ``Xr.0``, …); the coefficients of block
        ``j`` are iid ``N(0, sd_j²)``.
    labels : tuple of str
        One short name per random block (see the module docstring: the covariates whose wiggly part
        the block holds, e.g. ``("x:z", "z", "x")`` for ``t2(x, z)``).
    """

    fixed: Array
    random: tuple[Array, ...]
    labels: tuple[str, ...]


def _null_basis(vectors: Array) -> Array:
    """The echelon basis of the span of ``vectors`` (``p × m``, orthonormal columns).

    Column ``j`` (``j = 0, …, m - 2``) is the unit vector of the span whose first ``m - 1 - j``
    coefficients vanish and that is orthogonal to the columns before it; the last column completes
    the orthonormal basis. For ``m = 2`` this is the pair R's reference LAPACK returns for mgcv's
    ``cr``/``ps`` penalties: the null vector with a zero first coefficient, and its complement.
    """
    m = vectors.shape[1]
    if m < 2:
        return vectors.copy()
    chosen: list[Array] = []
    for zeros in range(m - 1, 0, -1):
        constraints = [vectors[:zeros]]
        if chosen:
            constraints.append(np.array(chosen))
        _, _, vt = np.linalg.svd(np.vstack(constraints))
        coefficients = vt[-1]
        chosen.append(coefficients / np.linalg.norm(coefficients))
    _, _, vt = np.linalg.svd(np.array(chosen))
    chosen.append(vt[-1])
    return vectors @ np.array(chosen).T


def natural_parameterisation(X: Array, S: Array, rank: int) -> tuple[Array, Array]:
    """mgcv's ``nat.param(X, S, rank, type = 3, unit.fnorm = TRUE)`` for one t2 margin.

    Parameters
    ----------
    X : ndarray
        ``n × p`` unconstrained marginal basis at the data.
    S : ndarray
        ``p × p`` penalty of rank ``rank`` (its scale does not matter).
    rank : int
        The rank of ``S``.

    Returns
    -------
    X_new : ndarray
        ``n × p``: the first ``rank`` columns penalised by an identity, the rest unpenalised
        (for a null space of dimension ≥ 2 the constant column first among them); each part scaled
        to mean square 1.
    P : ndarray
        ``p × p``: the map from the original basis, ``X_new ≈ X @ P``; new data are ``X_new_data @ P``.
    """
    p = X.shape[1]
    values, vectors = np.linalg.eigh((S + S.T) / 2.0)
    values, vectors = values[::-1], vectors[:, ::-1].copy()
    # deterministic signs: each range eigenvector's largest entry positive
    for j in range(rank):
        if vectors[np.argmax(np.abs(vectors[:, j])), j] < 0:
            vectors[:, j] = -vectors[:, j]
    vectors[:, rank:] = _null_basis(vectors[:, rank:])
    E = np.ones(p)
    E[:rank] = np.sqrt(values[:rank])
    X_new = X @ vectors
    column_norms = np.sum(X_new**2, axis=0) / E**2
    average = np.mean(column_norms[:rank])
    E[rank:] = np.sqrt(column_norms[rank:] / average)
    P = vectors / E
    X_new = X_new / E
    if p - rank >= 2:
        # mgcv's type 3: rotate the null space so that the constant is its first column
        null = X_new[:, rank:]
        centred = null - null.mean(axis=0)
        _, rotation = np.linalg.eigh(centred.T @ centred)
        rotation = rotation[:, ::-1]
        X_new[:, rank:] = (null @ rotation)[:, ::-1]
        P[:, rank:] = (P[:, rank:] @ rotation)[:, ::-1]
    scale = 1.0 / np.sqrt(np.mean(X_new[:, :rank] ** 2))
    X_new[:, :rank] *= scale
    P[:rank] *= scale  # mgcv scales rows of P here; the two scales agree, so X_new = X P holds
    if p > rank:
        scale_null = 1.0 / np.sqrt(np.mean(X_new[:, rank:] ** 2))
        X_new[:, rank:] *= scale_null
        P[rank:] *= scale_null
    return X_new, P


def _row_kronecker(A: Array, B: Array) -> Array:
    """Row-wise Kronecker product, columns ``A[:, j] * B[:, l]`` with ``j`` outer (mgcv's order)."""
    return (A[:, :, None] * B[:, None, :]).reshape(A.shape[0], A.shape[1] * B.shape[1])


def _t2_blocks(parts: Sequence[tuple[Array, Array | None]]) -> list[tuple[str, Array]]:
    """mgcv's ``t2.model.matrix(full = FALSE)``: the labelled column blocks, in mgcv's order.

    ``parts`` holds each margin's (range columns, null columns or None).
    """
    first_range, first_null = parts[0]
    blocks = [("r", first_range)]
    if first_null is not None:
        blocks.append(("n", first_null))
    for range_columns, null_columns in parts[1:]:
        previous = blocks
        blocks = [(label + "r", _row_kronecker(B, range_columns)) for label, B in previous]
        if null_columns is not None:
            blocks += [(label + "n", _row_kronecker(B, null_columns)) for label, B in previous]
    return blocks


_KIND_NAMES = {str: "a string", int: "an integer", type(None): "None"}


def _margin_option(value: object, n_margins: int, name: str, kind: type) -> list:
    """One entry of a per-margin option for each margin (a single value applies to all)."""
    single = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if single or (kind is int and isinstance(value, np.integer)):
        return [value] * n_margins
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ArgumentTypeError(
            f"{name} must be {_KIND_NAMES[kind]} or a sequence with one entry per margin, "
            f"got {type(value).__name__}"
        )
    values = list(value)
    if len(values) != n_margins:
        raise ArgumentError(
            f"{name} must have one entry per margin ({n_margins}), got {len(values)}: {values!r}"
        )
    return values


class TensorProductT2:
    """mgcv's ``t2`` tensor product smooth, as fixed and random columns (see the module docstring).

    Attributes (set by :meth:`fit`)
    -------------------------------
    names : tuple of str
        The covariate names (used in the labels).
    margins : list of SmoothBasis
        The fitted marginal bases (their ``X_unconstrained``/``transform_unconstrained`` are used).
    P : list of ndarray
        Each margin's :func:`natural_parameterisation` map.
    ranks : list of int
        Each margin's penalty rank.
    penalty_labels : tuple of str
        mgcv's labels of the penalised blocks (``"rr"``, ``"nr"``, ``"rn"``, … : ``r`` the range
        space, ``n`` the null space of each margin in order).
    block_sizes : tuple of int
        The columns of each penalised block (mgcv's ``sub.cols``).
    null_space_dim : int
        The columns of the unpenalised block before the constraint.
    random_scale : float
        ``1 / ‖T‖_∞`` of the unconstrained model matrix at the data: the scaling of the random
        blocks (mgcv's ``smooth2random`` after smoothCon's penalty scaling).
    """

    def __init__(self) -> None:
        self.margins: list[SmoothBasis] | None = None

    def fit(
        self,
        columns: Sequence[ArrayLike],
        bs: str | Sequence[str] = "cr",
        k: int | Sequence[int] = 5,
        *,
        names: Sequence[str] | None = None,
        knots: Sequence[ArrayLike | None] | None = None,
    ) -> TensorProductT2:
        """Learn the marginal bases, their reparameterisation and the constraint from data.

        Parameters
        ----------
        columns : sequence of array_like
            One covariate per margin (each 1-D, numeric, finite, all of the same length).
        bs : str or sequence of str, default "cr"
            The basis of each margin (one name for all): ``"cr"``, ``"cc"`` or ``"ps"``.
        k : int or sequence of int, default 5
            The basis dimension of each margin (one value for all), mgcv's ``k``; at least 3 for
            ``cr`` and 4 for ``cc`` and ``ps``.
        names : sequence of str, optional
            The covariate names for the labels; by default each column's ``name`` (a pandas
            Series) or ``x1``, ``x2``, ….
        knots : sequence of (array_like or None), optional
            Knots per margin, as each basis' ``fit`` takes them (e.g. a ``cc`` margin's period).

        Returns
        -------
        TensorProductT2
            ``self``, fitted.
        """
        values = self._as_columns(columns, "columns")
        n_margins = len(values)
        bases = _margin_option(bs, n_margins, "bs", str)
        dims = _margin_option(k, n_margins, "k", int)
        margin_knots = (
            [None] * n_margins
            if knots is None
            else _margin_option(knots, n_margins, "knots", type(None))
        )
        self.names = self._names(columns, names, n_margins)
        margins: list[SmoothBasis] = []
        for index, (basis_name, dim, x, margin_knot) in enumerate(
            zip(bases, dims, values, margin_knots, strict=True)
        ):
            where = f"margin {index + 1} ({self.names[index]})"
            if not isinstance(basis_name, str) or basis_name not in T2_MARGIN_BASES:
                known = ", ".join(repr(name) for name in T2_MARGIN_BASES)
                raise ArgumentError(f"bs of {where} must be one of {known}, got {basis_name!r}")
            if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
                raise ArgumentTypeError(f"k of {where} must be an integer, got {dim!r}")
            basis = SMOOTH_BASES[basis_name]()
            try:
                basis.fit(x, k=int(dim), knots=margin_knot)
            except ArgumentError as error:
                raise ArgumentError(f"t2 {where}: {error}") from error
            margins.append(basis)
        self.margins = margins
        self.ranks = [basis.rank for basis in margins]
        reparameterised = [
            natural_parameterisation(basis.X_unconstrained, basis.S_unconstrained, rank)
            for basis, rank in zip(margins, self.ranks, strict=True)
        ]
        self.P = [P for _, P in reparameterised]
        blocks = _t2_blocks(self._parts([X for X, _ in reparameterised]))
        self.has_null_space = all(
            basis.X_unconstrained.shape[1] > rank
            for basis, rank in zip(margins, self.ranks, strict=True)
        )
        penalised = blocks[:-1] if self.has_null_space else blocks
        self.penalty_labels = tuple(label for label, _ in penalised)
        self.block_sizes = tuple(B.shape[1] for _, B in penalised)
        self.null_space_dim = blocks[-1][1].shape[1] if self.has_null_space else 0
        T = np.hstack([B for _, B in blocks])
        self.random_scale = float(1.0 / np.linalg.norm(T, np.inf))
        self._null_constraint = None
        if self.null_space_dim >= 2:
            sums = blocks[-1][1].sum(axis=0)
            constrained = np.flatnonzero(sums != 0.0)
            self._null_constraint = (constrained, constraint_null_space(sums[constrained]))
        self._fitted_blocks = blocks
        return self

    def mixed_form(self, columns: Sequence[ArrayLike] | None = None) -> SmoothColumns:
        """The fixed and random columns at the fitting data or at new values.

        Parameters
        ----------
        columns : sequence of array_like, optional
            New covariate values, one per margin in the order of :meth:`fit`; by default the data
            of the fit. New values are evaluated on the fitted bases (mgcv's ``PredictMat``:
            ``cr``/``ps`` extrapolate linearly, ``cc`` wraps into its period), in the fitting
            parameterisation (see the module docstring on centring).

        Returns
        -------
        SmoothColumns
            ``fixed`` (``n × f``), one random block per penalty, and their labels.
        """
        if self.margins is None:
            raise ArgumentError("the t2 smooth is not fitted: call fit(columns) before mixed_form")
        if columns is None:
            blocks = self._fitted_blocks
        else:
            values = self._as_columns(columns, "columns")
            if len(values) != len(self.margins):
                raise ArgumentError(
                    f"columns must hold one covariate per margin ({len(self.margins)}), "
                    f"got {len(values)}"
                )
            transformed = [
                basis.transform_unconstrained(x) @ P
                for basis, x, P in zip(self.margins, values, self.P, strict=True)
            ]
            blocks = _t2_blocks(self._parts(transformed))
        n_penalised = len(self.block_sizes)
        random = tuple(B * self.random_scale for _, B in blocks[:n_penalised])
        n = blocks[0][1].shape[0]
        if self._null_constraint is None:
            fixed = np.zeros((n, 0))
        else:
            null = blocks[-1][1]
            constrained, Z = self._null_constraint
            fixed = null.copy()
            n_kept = constrained.size - 1
            fixed[:, constrained[:n_kept]] = null[:, constrained] @ Z
            fixed = np.delete(fixed, constrained[n_kept:], axis=1)
        return SmoothColumns(fixed=fixed, random=random, labels=self.labels)

    @property
    def labels(self) -> tuple[str, ...]:
        """The label of each random block: the names at the ``r`` positions of mgcv's label."""
        return tuple(
            ":".join(name for name, part in zip(self.names, label, strict=True) if part == "r")
            for label in self.penalty_labels
        )

    def _parts(self, reparameterised: Sequence[Array]) -> list[tuple[Array, Array | None]]:
        """Each margin's range and null columns (None without a null space)."""
        parts: list[tuple[Array, Array | None]] = []
        for X, rank in zip(reparameterised, self.ranks, strict=True):
            parts.append((X[:, :rank], X[:, rank:] if X.shape[1] > rank else None))
        return parts

    @staticmethod
    def _as_columns(columns: Sequence[ArrayLike], name: str) -> list[Array]:
        """The covariates as 1-D float arrays of one length, or an error naming ``name``."""
        if isinstance(columns, (str, bytes, np.ndarray)) and np.ndim(columns) < 2:
            raise ArgumentTypeError(
                f"{name} must be a sequence of covariates, one per margin, got {type(columns).__name__}"
            )
        values = []
        for index, column in enumerate(columns):
            try:
                array = np.asarray(column, dtype=float)
            except (TypeError, ValueError) as error:
                raise ArgumentTypeError(
                    f"{name}[{index}] must be numeric values, got {type(column).__name__}"
                ) from error
            if array.ndim != 1:
                raise ArgumentError(
                    f"{name}[{index}] must be one-dimensional, got shape {array.shape}"
                )
            values.append(array)
        if not values:
            raise ArgumentError(f"{name} must hold at least one covariate, got none")
        lengths = {array.size for array in values}
        if len(lengths) != 1:
            raise ArgumentError(
                f"{name} must all have the same length, got lengths {[a.size for a in values]}"
            )
        return values

    @staticmethod
    def _names(
        columns: Sequence[ArrayLike], names: Sequence[str] | None, n_margins: int
    ) -> tuple[str, ...]:
        """The covariate names: given, or the columns' ``name`` attributes, or x1, x2, …."""
        if names is None:
            found = [getattr(column, "name", None) for column in columns]
            if (
                all(isinstance(name, str) and name for name in found)
                and len(set(found)) == n_margins
            ):
                return tuple(found)
            return tuple(f"x{index + 1}" for index in range(n_margins))
        if isinstance(names, str) or len(names) != n_margins:
            raise ArgumentError(f"names must hold one name per margin ({n_margins}), got {names!r}")
        if len(set(names)) != n_margins:
            raise ArgumentError(f"names must be distinct, got {list(names)!r}")
        return tuple(str(name) for name in names)
