"""Penalised spline bases for smooth terms, constructed exactly as mgcv constructs them.

One class per basis, looked up by mgcv's ``bs`` name in :data:`SMOOTH_BASES`:

* ``"cr"`` — :class:`CubicRegressionSpline`, mgcv's ``smooth.construct.cr.smooth.spec``: a natural
  cubic spline parameterised by its values at ``k`` knots (type-7 quantiles of the unique covariate
  values), penalty :math:`\\int f''(x)^2 dx = \\beta^\\top D^\\top B^{-1} D \\beta` (Wood 2017,
  §5.3.1), linear extrapolation beyond the end knots;
* ``"cc"`` — :class:`CyclicCubicSpline`, mgcv's ``cyclic.smooth``: the same with the two end knots
  identified (``k - 1`` coefficients), new values wrapped into the knot range;
* ``"ps"`` — :class:`PSpline`, mgcv's ``pspline.smooth`` with its default ``m = c(2, 2)``: cubic
  B-splines on ``k + 4`` equally spaced knots reaching three intervals past the (slightly widened)
  data range, second-order difference penalty, linear extrapolation beyond the basis' interval.

``fit(x, k)`` learns the knots, the unconstrained basis and penalty, mgcv's penalty scaling
(``smoothCon(scale.penalty = TRUE)``: the penalty divided by ``S_scale`` = ‖S‖₁ / ‖X‖²_∞) and the
sum-to-zero identifiability constraint ``C = 1ᵀX / n``, absorbed as mgcv absorbs it: with the Householder
QR of ``Cᵀ`` (LINPACK's convention, as R's ``qr``), ``Z`` = Q without its first column, the
constrained basis ``X Z`` and penalty ``Zᵀ S Z``. ``transform(new_x)`` evaluates the same constrained
basis at new values (mgcv's ``PredictMat``), so predictions use the basis of the fit.
:func:`mixed_model_form` turns a basis and its penalty into mgcv's ``smooth2random(type = 2)``
mixed-model form: fixed null-space columns and penalised columns scaled to unit variance.

The thin plate regression spline ``"tp"`` (mgcv's default) lives in
:mod:`bayesml.design.thin_plate` and registers itself here; tensor products ``t2`` in
:mod:`bayesml.design.tensor_smooths`. :mod:`bayesml.design.smooths` turns the ``s(...)`` terms of a
formula into the model's columns with these bases.

>>> import numpy as np
>>> from bayesml.design.smooth_bases import smooth_basis, mixed_model_form
>>> x = np.random.default_rng(1).uniform(size=50)
>>> basis = smooth_basis("cr").fit(x, k=6)
>>> basis.X.shape, basis.S.shape
((50, 5), (5, 5))
>>> bool(np.allclose(basis.X.sum(axis=0), 0.0))
True
>>> form = mixed_model_form(basis.X, basis.S, rank=basis.rank)
>>> form.fixed.shape, form.random.shape
((50, 1), (50, 4))
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.interpolate import BSpline

from bayesml.errors import ArgumentError, ArgumentTypeError

__all__ = [
    "SMOOTH_BASES",
    "CubicRegressionSpline",
    "CyclicCubicSpline",
    "MixedModelForm",
    "PSpline",
    "SmoothBasis",
    "mixed_model_form",
    "mixed_model_transform",
    "constraint_null_space",
    "penalty_rank",
    "smooth_basis",
]

Array = NDArray[np.float64]


def _as_covariate(x: ArrayLike, name: str) -> Array:
    """``x`` as a finite 1-D float array, or an error naming ``name``."""
    try:
        values = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as error:
        raise ArgumentTypeError(f"{name} must be numeric values, got {type(x).__name__}") from error
    if values.ndim != 1:
        raise ArgumentError(f"{name} must be one-dimensional, got an array of shape {values.shape}")
    if values.size == 0:
        raise ArgumentError(f"{name} must hold at least one value, got none")
    if not np.all(np.isfinite(values)):
        raise ArgumentError(
            f"{name} must be finite, got {int(np.sum(~np.isfinite(values)))} non-finite values"
        )
    return values


def _as_knots(knots: ArrayLike, lengths: tuple[int, ...], basis: str) -> Array:
    """Supplied knots as a strictly increasing float array of one of ``lengths``."""
    values = _as_covariate(knots, "knots")
    if values.size not in lengths:
        expected = " or ".join(str(n) for n in lengths)
        raise ArgumentError(
            f"knots of a {basis!r} basis must be {expected} values, got {values.size}"
        )
    if np.any(np.diff(values) <= 0):
        raise ArgumentError(f"knots must be strictly increasing, got {values.tolist()}")
    return values


def place_knots(x: Array, k: int) -> Array:
    """mgcv's ``place.knots``: ``k`` knots at the type-7 quantiles of the sorted unique values of ``x``.

    Parameters
    ----------
    x : ndarray
        The covariate values.
    k : int
        The number of knots (at most the number of unique values).

    Returns
    -------
    ndarray
        The ``k`` knots, the first and last at the smallest and largest value.
    """
    unique = np.unique(x)
    if k > unique.size:
        raise ArgumentError(
            f"k must be at most the number of unique covariate values ({unique.size}), got k = {k}"
        )
    return np.quantile(unique, np.linspace(0.0, 1.0, k), method="linear")


def constraint_null_space(C: Array) -> Array:
    """``Z``: the QR of ``Cᵀ`` (one constraint row) as R's LINPACK ``qr``, Q without its first column."""
    c = C.ravel()
    norm = np.linalg.norm(c)
    if norm == 0.0:
        raise ArgumentError(
            "the sum-to-zero constraint is zero: the basis columns sum to zero over x"
        )
    if c[0] != 0.0:
        norm = np.copysign(norm, c[0])
    u = c / norm
    u[0] += 1.0
    Q = np.eye(c.size) - np.outer(u, u) / u[0]
    return Q[:, 1:]


class SmoothBasis(ABC):
    """A penalised spline basis fitted to one covariate, with mgcv's sum-to-zero constraint absorbed.

    Attributes (set by :meth:`fit`)
    -------------------------------
    knots : ndarray
        The knots (mgcv's ``sm$xp`` for ``cr``/``cc``, ``sm$knots`` for ``ps``).
    X_unconstrained, S_unconstrained : ndarray
        The basis at the fitted values and its penalty (scaled by ``1 / S_scale``), before the
        constraint.
    constraint : ndarray
        The constraint row ``C`` (``1 × k``): the column means of ``X_unconstrained`` (mgcv's
        ``sm$C``; the constraint is that the smooth sums to zero over the fitted values).
    Z : ndarray
        The null space of ``C`` (``k × (k - 1)``) that maps constrained to unconstrained coefficients.
    S_scale : float
        mgcv's penalty scale: the raw penalty is divided by it.
    X, S : ndarray
        The constrained basis ``X_unconstrained @ Z`` and penalty ``Zᵀ S_unconstrained Z``.
    rank, null_space_dim : int
        The rank of ``S`` and the dimension of its null space (after the constraint).
    """

    name: ClassVar[str]
    min_k: ClassVar[int]

    def __init__(self) -> None:
        self.knots: Array | None = None

    def fit(self, x: ArrayLike, k: int = 10, knots: ArrayLike | None = None) -> SmoothBasis:
        """Learn the knots, the basis, its penalty and the constraint from covariate values ``x``.

        Parameters
        ----------
        x : array_like
            The covariate values (1-D, finite).
        k : int, default 10
            The basis dimension before the constraint (mgcv's ``k``).
        knots : array_like, optional
            Knots to use instead of mgcv's default placement (see each basis).

        Returns
        -------
        SmoothBasis
            ``self``, fitted.
        """
        values = _as_covariate(x, "x")
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise ArgumentTypeError(f"k must be an integer, got {type(k).__name__}")
        if k < self.min_k:
            raise ArgumentError(
                f"k of a {self.name!r} basis must be at least {self.min_k}, got {k}"
            )
        self.k = int(k)
        self.knots = self._learn_knots(values, self.k, knots)
        return self._absorb(self._basis(values), self._penalty())

    def _absorb(self, X: Array, raw_S: Array) -> SmoothBasis:
        """mgcv's ``smoothCon`` steps after the construction: the penalty scaled by ``S_scale``
        and the sum-to-zero constraint absorbed into the basis ``X`` and penalty ``raw_S``."""
        self.S_scale = float(np.linalg.norm(raw_S, 1) / np.linalg.norm(X, np.inf) ** 2)
        self.X_unconstrained = X
        self.S_unconstrained = raw_S / self.S_scale
        self.constraint = X.mean(axis=0, keepdims=True)
        self.Z = constraint_null_space(self.constraint)
        self.X = X @ self.Z
        S = self.Z.T @ self.S_unconstrained @ self.Z
        self.S = (S + S.T) / 2.0
        self.rank = min(self._penalty_rank(), self.X.shape[1])
        self.null_space_dim = self.X.shape[1] - self.rank
        return self

    def transform(self, new_x: ArrayLike) -> Array:
        """The constrained basis at new values, as mgcv's ``PredictMat`` evaluates it.

        Parameters
        ----------
        new_x : array_like
            Covariate values (1-D, finite).

        Returns
        -------
        ndarray
            ``len(new_x) × (k - 1)`` (``k - 2`` for ``cc``) basis matrix.
        """
        if self.knots is None:
            raise ArgumentError(
                f"the {self.name!r} basis is not fitted: call fit(x, k) before transform"
            )
        return self.transform_unconstrained(new_x) @ self.Z

    def transform_unconstrained(self, new_x: ArrayLike) -> Array:
        """The basis before the constraint at new values (see :meth:`transform`)."""
        if self.knots is None:
            raise ArgumentError(
                f"the {self.name!r} basis is not fitted: call fit(x, k) before transform"
            )
        return self._basis(_as_covariate(new_x, "new_x"))

    @abstractmethod
    def _learn_knots(self, x: Array, k: int, knots: ArrayLike | None) -> Array:
        """The knots from the data (or the supplied ones, checked)."""

    @abstractmethod
    def _basis(self, x: Array) -> Array:
        """The unconstrained basis at ``x``."""

    @abstractmethod
    def _penalty(self) -> Array:
        """The unconstrained, unscaled penalty."""

    @abstractmethod
    def _penalty_rank(self) -> int:
        """The rank of the unconstrained penalty."""


class _CubicSpline(SmoothBasis):
    """What the cubic regression splines share: the penalty DᵀB⁻¹D of their ``_matrices`` (D, B)
    (Wood 2017, §5.3.1), of rank ``k - 2``."""

    def _matrices(self) -> tuple[Array, Array]:
        raise NotImplementedError

    def _penalty(self) -> Array:
        D, B = self._matrices()
        S = D.T @ np.linalg.solve(B, D)
        return (S + S.T) / 2.0

    def _penalty_rank(self) -> int:
        return self.k - 2


class CubicRegressionSpline(_CubicSpline):
    """mgcv's ``bs = "cr"``: a natural cubic spline parameterised by its values at the knots.

    With knots :math:`x_1 < \\dots < x_k`, spacings :math:`h_j`, the second derivatives at the knots
    are :math:`\\delta = F\\beta`, :math:`F = [0; B^{-1}D; 0]`, and the penalty is
    :math:`D^\\top B^{-1} D` (Wood 2017, §5.3.1). Default knots: the type-7 quantiles of the unique
    covariate values; supplied ``knots`` must be ``k`` increasing values. Beyond the end knots the
    spline continues linearly (mgcv's ``PredictMat``).
    """

    name = "cr"
    min_k = 3

    def _learn_knots(self, x: Array, k: int, knots: ArrayLike | None) -> Array:
        if knots is None:
            return place_knots(x, k)
        return _as_knots(knots, (k,), self.name)

    def _matrices(self) -> tuple[Array, Array]:
        """``D`` ((k-2) × k) and ``B`` ((k-2) × (k-2)) of Wood (2017) §5.3.1."""
        h = np.diff(self.knots)
        k = self.knots.size
        D = np.zeros((k - 2, k))
        B = np.zeros((k - 2, k - 2))
        for i in range(k - 2):
            D[i, i] = 1.0 / h[i]
            D[i, i + 1] = -1.0 / h[i] - 1.0 / h[i + 1]
            D[i, i + 2] = 1.0 / h[i + 1]
            B[i, i] = (h[i] + h[i + 1]) / 3.0
            if i < k - 3:
                B[i, i + 1] = B[i + 1, i] = h[i + 1] / 6.0
        return D, B

    def _second_derivatives(self) -> Array:
        """``F``: the map from the values at the knots to the second derivatives there."""
        D, B = self._matrices()
        k = self.knots.size
        F = np.zeros((k, k))
        if k > 2:
            F[1:-1] = np.linalg.solve(B, D)
        return F

    def _basis(self, x: Array) -> Array:
        knots = self.knots
        k = knots.size
        h = np.diff(knots)
        F = self._second_derivatives()
        X = np.zeros((x.size, k))
        rows = np.arange(x.size)
        inside = (x >= knots[0]) & (x <= knots[-1])
        j = np.clip(np.searchsorted(knots, x, side="right") - 1, 0, k - 2)
        hj = h[j]
        right = knots[j + 1] - x
        left = x - knots[j]
        a_minus, a_plus = right / hj, left / hj
        c_minus = (right**3 / hj - hj * right) / 6.0
        c_plus = (left**3 / hj - hj * left) / 6.0
        interior = np.zeros((x.size, k))
        interior[rows, j] += a_minus
        interior[rows, j + 1] += a_plus
        interior += c_minus[:, None] * F[j] + c_plus[:, None] * F[j + 1]
        X[inside] = interior[inside]
        below = x < knots[0]
        if np.any(below):
            # f(x) = f(x_1) + (x - x_1) f'(x_1), f'(x_1) = (b_2 - b_1)/h_1 - h_1 (2 d_1 + d_2)/6
            slope = np.zeros(k)
            slope[0], slope[1] = -1.0 / h[0], 1.0 / h[0]
            slope -= h[0] / 3.0 * F[0] + h[0] / 6.0 * F[1]
            X[below] = np.eye(k)[0] + (x[below] - knots[0])[:, None] * slope
        above = x > knots[-1]
        if np.any(above):
            # f(x) = f(x_k) + (x - x_k) f'(x_k), f'(x_k) = (b_k - b_{k-1})/h + h (d_{k-1} + 2 d_k)/6
            slope = np.zeros(k)
            slope[-2], slope[-1] = -1.0 / h[-1], 1.0 / h[-1]
            slope += h[-1] / 6.0 * F[-2] + h[-1] / 3.0 * F[-1]
            X[above] = np.eye(k)[-1] + (x[above] - knots[-1])[:, None] * slope
        return X


class CyclicCubicSpline(_CubicSpline):
    """mgcv's ``bs = "cc"``: a cubic spline whose value and first two derivatives match at the ends.

    The ``k`` knots (default: type-7 quantiles of the unique values; or ``k`` supplied values, or two
    values giving the range to place them in) define ``k - 1`` coefficients, the first and last knot
    being the same point of the cycle. New values outside the knot range are wrapped into it.
    """

    name = "cc"
    min_k = 4

    def _learn_knots(self, x: Array, k: int, knots: ArrayLike | None) -> Array:
        if knots is None:
            return place_knots(x, k)
        supplied = _as_knots(knots, (2, k), self.name)
        if supplied[0] > x.min() or supplied[-1] < x.max():
            raise ArgumentError(
                f"the knots of a cyclic smooth must contain the data: the cycle runs over "
                f"[{supplied[0]:g}, {supplied[-1]:g}] but x runs over [{x.min():g}, {x.max():g}]; "
                "give the ends of the whole cycle, e.g. knots=c(0, 24) for the hour of the day"
            )
        if supplied.size == 2:
            return place_knots(np.concatenate([supplied, x]), k)
        return supplied

    def _matrices(self) -> tuple[Array, Array]:
        """The cyclic ``D`` and ``B`` ((k-1) × (k-1)) of mgcv's ``getBD``."""
        h = np.diff(self.knots)
        n = h.size
        B = np.zeros((n, n))
        D = np.zeros((n, n))
        for i in range(n):
            before, after = (i - 1) % n, (i + 1) % n
            h_before, h_at = h[i - 1] if i > 0 else h[n - 1], h[i]
            B[i, before] += h_before / 6.0
            B[i, i] += (h_before + h_at) / 3.0
            B[i, after] += h_at / 6.0
            D[i, before] += 1.0 / h_before
            D[i, i] += -(1.0 / h_before + 1.0 / h_at)
            D[i, after] += 1.0 / h_at
        return D, B

    def _basis(self, x: Array) -> Array:
        knots = self.knots
        low, high = knots[0], knots[-1]
        period = high - low
        x = x.copy()
        x[x > high] = low + np.mod(x[x > high] - high, period)
        x[x < low] = high - np.mod(low - x[x < low], period)
        D, B = self._matrices()
        BD = np.linalg.solve(B, D)
        n = knots.size - 1
        h = np.diff(knots)
        j = np.maximum(np.searchsorted(knots, x, side="left"), 1)
        j1 = j - 1
        jr = np.where(j == n, 0, j)
        hj = h[j1]
        right = knots[j1 + 1] - x
        left = x - knots[j1]
        identity = np.eye(n)
        return (
            BD[j1] * (right**3 / (6.0 * hj))[:, None]
            + BD[jr] * (left**3 / (6.0 * hj))[:, None]
            - BD[j1] * (hj * right / 6.0)[:, None]
            - BD[jr] * (hj * left / 6.0)[:, None]
            + identity[j1] * (right / hj)[:, None]
            + identity[jr] * (left / hj)[:, None]
        )


class PSpline(SmoothBasis):
    """mgcv's ``bs = "ps"`` with ``m = c(2, 2)``: cubic B-splines, second-order difference penalty.

    Default knots: ``k + 4`` equally spaced, the data range widened by 0.1 % at each end and
    extended by three knot intervals beyond it; supplied ``knots`` are either ``k + 4`` values or two
    values giving the range. Outside the basis' interval (the 4th to the ``k + 1``-th knot) the basis
    continues linearly (mgcv's ``PredictMat``).
    """

    name = "ps"
    min_k = 4
    degree: ClassVar[int] = 3
    difference_order: ClassVar[int] = 2

    def _learn_knots(self, x: Array, k: int, knots: ArrayLike | None) -> Array:
        m1 = self.degree - 1
        n_interior = k - m1
        total = n_interior + 2 * m1 + 2
        if knots is None:
            low, high = float(np.min(x)), float(np.max(x))
        else:
            supplied = _as_knots(knots, (2, total), self.name)
            if supplied.size == total:
                return supplied
            low, high = float(supplied[0]), float(supplied[1])
            if low > np.min(x) or high < np.max(x):
                raise ArgumentError(
                    f"knots of a 'ps' basis must span the data [{np.min(x)}, {np.max(x)}], got [{low}, {high}]"
                )
        width = high - low
        if width <= 0.0:
            raise ArgumentError("x of a 'ps' basis must hold at least two distinct values, got one")
        low, high = low - 0.001 * width, high + 0.001 * width
        step = (high - low) / (n_interior - 1)
        return np.linspace(low - step * (m1 + 1), high + step * (m1 + 1), total)

    def _splines(self, x: Array, derivative: int = 0) -> Array:
        """B-spline basis functions (or their derivative) at ``x`` inside the basis interval."""
        n_basis = self.knots.size - self.degree - 1
        spline = BSpline(self.knots, np.eye(n_basis), self.degree, extrapolate=False)
        if derivative:
            spline = spline.derivative(derivative)
        return spline(x)

    def _penalty(self) -> Array:
        D = np.diff(np.eye(self.k), n=self.difference_order, axis=0)
        return D.T @ D

    def _penalty_rank(self) -> int:
        return self.k - self.difference_order

    def _basis(self, x: Array) -> Array:
        low = self.knots[self.degree]
        high = self.knots[-self.degree - 1]
        X = np.zeros((x.size, self.knots.size - self.degree - 1))
        inside = (x >= low) & (x <= high)
        if np.any(inside):
            X[inside] = self._splines(x[inside])
        for end, mask in ((low, x < low), (high, x > high)):
            if np.any(mask):
                value = self._splines(np.array([end]))[0]
                slope = self._splines(np.array([end]), derivative=1)[0]
                X[mask] = value + (x[mask] - end)[:, None] * slope
        return X


SMOOTH_BASES: dict[str, type[SmoothBasis]] = {
    basis.name: basis for basis in (CubicRegressionSpline, CyclicCubicSpline, PSpline)
}
"""mgcv's ``bs`` name → the basis class."""


def smooth_basis(bs: str) -> SmoothBasis:
    """A new, unfitted basis of mgcv's type ``bs`` (a key of :data:`SMOOTH_BASES`).

    Parameters
    ----------
    bs : str
        ``"cr"``, ``"cc"``, ``"ps"`` or ``"tp"``.

    Returns
    -------
    SmoothBasis
        The unfitted basis; call its ``fit(x, k)``.
    """
    if not isinstance(bs, str):
        raise ArgumentTypeError(f"bs must be a string naming a basis, got {type(bs).__name__}")
    try:
        return SMOOTH_BASES[bs]()
    except KeyError:
        known = ", ".join(repr(name) for name in SMOOTH_BASES)
        raise ArgumentError(f"bs must be one of {known}, got {bs!r}") from None


class MixedModelForm(NamedTuple):
    """A smooth as mixed-model columns (mgcv's ``smooth2random(type = 2)``).

    Attributes
    ----------
    fixed : ndarray
        ``Xf``: the unpenalised (null-space) columns, fixed effects.
    random : ndarray
        ``Xr``: the penalised columns scaled to unit variance; their coefficients are iid
        ``N(0, sd²)``.
    """

    fixed: Array
    random: Array


def _eigen_penalty(S: ArrayLike, rank: int | None) -> tuple[Array, Array, int]:
    """Eigenvalues (decreasing), eigenvectors and the rank (checked, or found numerically) of ``S``."""
    penalty = np.asarray(S, dtype=float)
    if penalty.ndim != 2 or penalty.shape[0] != penalty.shape[1]:
        raise ArgumentError(f"S must be a square matrix, got shape {penalty.shape}")
    if not np.all(np.isfinite(penalty)):
        raise ArgumentError("S must be finite, got non-finite entries")
    values, vectors = np.linalg.eigh((penalty + penalty.T) / 2.0)
    values, vectors = values[::-1], vectors[:, ::-1]
    size = penalty.shape[0]
    if rank is None:
        tolerance = max(values[0], 0.0) * size * np.finfo(float).eps if size else 0.0
        rank = int(np.sum(values > tolerance))
    elif isinstance(rank, bool) or not isinstance(rank, (int, np.integer)):
        raise ArgumentTypeError(f"rank must be an integer, got {type(rank).__name__}")
    if not 0 <= rank <= size:
        raise ArgumentError(f"rank must be between 0 and {size} (the size of S), got {rank}")
    if rank and values[rank - 1] <= 0.0:
        raise ArgumentError(
            f"rank must not exceed the number of positive eigenvalues of S, got {rank}"
        )
    return values, vectors, int(rank)


def penalty_rank(S: ArrayLike) -> int:
    """The numerical rank of a penalty: its eigenvalues above ``max eigenvalue × p × eps``."""
    return _eigen_penalty(S, None)[2]


def mixed_model_transform(S: ArrayLike, rank: int | None = None) -> tuple[Array, Array]:
    """``U`` and ``D`` of mgcv's ``smooth2random`` (``trans.U``, ``trans.D``).

    Parameters
    ----------
    S : array_like
        The (symmetric, positive semi-definite) penalty.
    rank : int, optional
        The rank of ``S``; by default the number of eigenvalues above ``max eigenvalue × p × eps``.

    Returns
    -------
    U : ndarray
        The eigenvectors of ``S``, eigenvalues decreasing (signs are arbitrary, as LAPACK's).
    D : ndarray
        ``1/√eigenvalue`` for the first ``rank`` columns, 1 for the null space. The coefficients of
        the basis are ``U @ (D * b)`` for the mixed-model coefficients ``b`` (fixed after random).
    """
    values, vectors, rank = _eigen_penalty(S, rank)
    scales = np.ones(values.size)
    scales[:rank] = 1.0 / np.sqrt(values[:rank])
    return vectors, scales


def mixed_model_form(X: ArrayLike, S: ArrayLike, rank: int | None = None) -> MixedModelForm:
    """A penalised basis as fixed and random columns, as mgcv's ``smooth2random(type = 2)``.

    With ``S = U diag(λ) Uᵀ`` (eigenvalues decreasing), ``X U D`` with ``D = 1/√λ`` on the penalised
    directions (see :func:`mixed_model_transform`): its first ``rank`` columns are ``Xr`` (random
    effects with iid ``N(0, sd²)`` coefficients, the penalty ``βᵀSβ/sd²`` becoming ``bᵀb/sd²``) and
    the rest ``Xf`` (the fixed null space). Column signs are arbitrary (eigenvectors); ``Xr Xrᵀ`` and
    the span of ``Xf`` are not.

    Parameters
    ----------
    X : array_like
        ``n × p`` basis (e.g. :attr:`SmoothBasis.X`).
    S : array_like
        ``p × p`` penalty (e.g. :attr:`SmoothBasis.S`).
    rank : int, optional
        The rank of ``S`` (e.g. :attr:`SmoothBasis.rank`); by default found numerically.

    Returns
    -------
    MixedModelForm
        ``(fixed, random)``: ``Xf`` and ``Xr``.
    """
    basis = np.asarray(X, dtype=float)
    values, vectors, rank = _eigen_penalty(S, rank)
    if basis.ndim != 2 or basis.shape[1] != values.size:
        raise ArgumentError(
            f"X must be a matrix with {values.size} columns (as S), got shape {basis.shape}"
        )
    scales = np.ones(values.size)
    scales[:rank] = 1.0 / np.sqrt(values[:rank])
    columns = basis @ (vectors * scales)
    return MixedModelForm(fixed=columns[:, rank:], random=columns[:, :rank])
