"""mgcv's thin plate regression spline basis, ``bs = "tp"`` (Wood 2003), for one or more covariates.

This is mgcv's ``smooth.construct.tp.smooth.spec`` (R/smooth.r) and the C routines it calls
(``construct_tprs``, ``tprs_setup``, ``predict_tprs`` in src/tprs.c, ``QT`` in src/matrix.c), with
smoothCon's penalty scaling and sum-to-zero constraint as the other bases of
:mod:`bayesml.design.smooth_bases` apply them. In words:

1. The covariates are centred (``shift``: the column means of ``x``) and reduced to their unique
   points ``x_u`` (rows of a ``d``-column matrix, sorted lexicographically as mgcv's ``msort``).
2. The full thin plate spline of penalty order ``m`` (default: the smallest ``m`` with
   ``2m ≥ d + 2``, i.e. 2 for one or two covariates, 3 for three or four) has the radial basis
   ``E_ij = η(‖x_i − x_j‖)`` with ``η(r) = c r^(2m−d)`` for odd ``d`` and
   ``c r^(2m−d) log r`` for even ``d`` (mgcv's ``eta_const`` gives ``c``), and a null space of the
   ``M = choose(m + d − 1, d)`` monomials of degree below ``m`` (``T``, in mgcv's order:
   ``1, x, x², …`` for one covariate, ``1, x, z`` for two with ``m = 2``).
3. The truncation (Wood 2003): the ``k`` eigenvalues of ``E`` largest in magnitude (either sign)
   and their eigenvectors ``U``, ordered by decreasing eigenvalue, as mgcv's Lanczos routine returns
   them (here LAPACK's full symmetric eigendecomposition, which finds the same eigenpairs).
4. The constraint ``Tᵀ U δ = 0`` of the thin plate spline is absorbed with mgcv's Householder
   ``QT`` factorisation ``(TᵀU) Q = [0, B]``: its first ``k − M`` columns ``Z`` span the
   constraint's null space. The basis is ``[U diag(λ) Z, T]`` (at data rows; at other points
   ``[E(x, x_u) U Z, T(x)]``), the penalty ``Zᵀ diag(λ) Z`` padded with ``M`` zero rows and columns
   (rank ``k − M``), then every column is scaled to root mean square one over the data rows (and the
   penalty with it), as ``tprs_setup`` does.
5. smoothCon's ``scale.penalty`` and sum-to-zero constraint follow (see
   :class:`~bayesml.design.smooth_bases.SmoothBasis`): after them the basis has ``k − 1`` columns,
   rank ``k − M`` and a null space of dimension ``M − 1`` (the linear function for one covariate).

Eigenvectors have arbitrary signs. The Householder factorisation is equivariant to them, so the
basis matches mgcv's up to the signs of its columns (and the penalty up to the same flips): fitted
values, ``X S⁻ Xᵀ`` and the mixed-model form's ``Xr Xrᵀ`` are sign-free.

Where this differs from mgcv:

* Above ``max_knots`` (default 2000, mgcv's ``xt = list(max.knots = 2000)``) unique covariate
  points, mgcv builds the basis on ``max_knots`` of them drawn with R's random number generator
  (``set.seed(1)``); R's draws cannot be reproduced here, so the subsample is drawn with
  ``numpy.random.default_rng(seed)`` (``seed = 1`` by default) and the basis then differs from mgcv's
  (it spans a comparable space, and is the same from run to run).
* Where mgcv warns and carries on (``k`` below ``M + 1`` raised to ``M + 1``; knots ignored when
  fewer than ``k`` or more than the data; ``m`` with ``2m ≤ d`` reset to the default), this module
  raises an :class:`~bayesml.errors.ArgumentError` instead.

>>> import numpy as np
>>> from bayesml.design.smooth_bases import smooth_basis
>>> rng = np.random.default_rng(1)
>>> basis = smooth_basis("tp").fit(rng.uniform(size=(100, 2)))  # s(x, z): mgcv's default k = 30
>>> basis.X.shape, basis.rank, basis.null_space_dim
((100, 29), 27, 2)
"""

from __future__ import annotations

from math import comb

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.linalg import eigsh

from bayesml.design.smooth_bases import SMOOTH_BASES, SmoothBasis
from bayesml.errors import ArgumentError, ArgumentTypeError

__all__ = ["ThinPlateSpline", "default_penalty_order", "null_space_dimension"]

Array = NDArray[np.float64]

_DEFAULT_RANGE_DIMENSION = (8, 27, 100)
"""mgcv's ``def.k``: the default ``k − M`` for one, two and three or more covariates."""

_CHUNK_ROWS = 4096
"""Rows of new points evaluated at a time (bounds the memory of the radial basis)."""


def default_penalty_order(d: int) -> int:
    """mgcv's default penalty order: the smallest ``m`` with ``2m ≥ d + 2``.

    Parameters
    ----------
    d : int
        The number of covariates.

    Returns
    -------
    int
        2 for ``d`` of 1 or 2, 3 for 3 or 4, and so on.
    """
    return (d + 3) // 2


def null_space_dimension(d: int, m: int) -> int:
    """``M = choose(m + d − 1, d)``: the number of monomials of degree below ``m`` in ``d`` variables.

    Parameters
    ----------
    d : int
        The number of covariates.
    m : int
        The penalty order.

    Returns
    -------
    int
        The dimension of the thin plate penalty's null space.
    """
    return comb(m + d - 1, d)


def _polynomial_powers(d: int, m: int) -> NDArray[np.int64]:
    """mgcv's ``gen_tps_poly_powers``: the ``M × d`` exponents of the null-space monomials."""
    M = null_space_dimension(d, m)
    powers = np.zeros((M, d), dtype=np.int64)
    index = [0] * d
    for row in range(M):
        powers[row] = index
        total = sum(index)
        if total < m - 1:
            index[0] += 1
        else:
            total -= index[0]
            index[0] = 0
            for j in range(1, d):
                index[j] += 1
                total += 1
                if total == m:
                    total -= index[j]
                    index[j] = 0
                else:
                    break
    return powers


def _eta_constant(m: int, d: int) -> float:
    """mgcv's ``eta_const``: the constant ``c`` of the radial function ``η``."""
    f: float
    d2 = d // 2
    if d % 2 == 0:
        f = -1.0 if (m + 1 + d2) % 2 else 1.0
        f /= 2.0 ** (2 * m - 1)
        f /= np.pi**d2
        for i in range(2, m):
            f /= i
        for i in range(2, m - d2 + 1):
            f /= i
    else:
        half = np.sqrt(np.pi)
        f = half
        for i in range(m - (d - 1) // 2):
            f /= -0.5 - i
        f /= 4.0**m
        f /= np.pi**d2
        f /= half
        for i in range(2, m):
            f /= i
    return float(f)


class ThinPlateSpline(SmoothBasis):
    """mgcv's ``bs = "tp"``: a thin plate regression spline of one or more covariates (Wood 2003).

    ``fit(x, k)`` takes ``x`` of shape ``(n,)`` (``s(x)``) or ``(n, d)`` (the isotropic
    ``s(x, z, ...)``); see the module docstring for the construction and where it differs from
    mgcv. Beyond the data the spline continues as the thin plate spline does (its radial functions
    and polynomials evaluated there).

    Attributes (set by :meth:`fit`, beside those of :class:`SmoothBasis`)
    ----------------------------------------------------------------------
    knots : ndarray
        The unique covariate points the basis is built on (``n_u × d``, centred: mgcv's ``sm$Xu``).
    shift : ndarray
        The column means of ``x`` subtracted before anything else (mgcv's ``sm$shift``).
    dimension, order, null_space_size : int
        ``d``, the penalty order ``m`` (mgcv's ``p.order``) and ``M``.
    UZ : ndarray
        ``(n_u + M) × k``: the map from basis coefficients to the full thin plate spline's
        (mgcv's ``sm$UZ``, column scaling included).
    column_scale : ndarray
        The root mean squares the columns were divided by.
    """

    name = "tp"
    min_k = 3
    """The smallest ``k`` of one covariate with the default ``m`` (``M + 1``; more for more)."""

    def fit(
        self,
        x: ArrayLike,
        k: int | None = None,
        knots: ArrayLike | None = None,
        *,
        m: int | None = None,
        max_knots: int = 2000,
        seed: int = 1,
    ) -> ThinPlateSpline:
        """Learn the basis, its penalty and the sum-to-zero constraint from covariate values ``x``.

        Parameters
        ----------
        x : array_like
            ``(n,)`` values of one covariate or ``(n, d)`` values of ``d`` covariates (finite).
        k : int, optional
            The basis dimension before the constraint (mgcv's ``k``); at least ``M + 1`` and at most
            the number of unique covariate points. Default as mgcv: ``M + 8`` for one covariate (10),
            ``M + 27`` for two (30), ``M + 100`` for more.
        knots : array_like, optional
            ``(n_k,)`` or ``(n_k, d)`` points to build the basis on instead of the data (mgcv's
            ``knots``); at least ``k`` unique points and at most ``n``.
        m : int, optional
            The penalty order (mgcv's ``m``): the order of the derivatives penalised, with
            ``2m > d``. Default (``None``, or 0 as in mgcv): the smallest ``m`` with ``2m ≥ d + 2``.
        max_knots : int, default 2000
            Above this many unique covariate points (and without ``knots``), the basis is built on a
            random subsample of this many (mgcv's ``xt$max.knots``).
        seed : int, default 1
            Seed of ``numpy.random.default_rng`` for that subsample (mgcv's ``xt$seed``; the draws
            differ from R's).

        Returns
        -------
        ThinPlateSpline
            ``self``, fitted.
        """
        values = _as_points(x, "x")
        n, d = values.shape
        order = self._order(m, d)
        M = null_space_dimension(d, order)
        if k is None:
            k = M + _DEFAULT_RANGE_DIMENSION[min(d, len(_DEFAULT_RANGE_DIMENSION)) - 1]
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise ArgumentTypeError(f"k must be an integer, got {type(k).__name__}")
        k = int(k)
        if k < M + 1:
            raise ArgumentError(
                f"k of a 'tp' basis of {d} covariate(s) with penalty order m = {order} must be at "
                f"least M + 1 = {M + 1} (M = {M} null-space polynomials), got k = {k}"
            )
        for name, value in (("max_knots", max_knots), ("seed", seed)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ArgumentTypeError(f"{name} must be an integer, got {type(value).__name__}")
        if max_knots < k:
            raise ArgumentError(f"max_knots must be at least k = {k}, got {max_knots}")
        self.k, self.dimension, self.order, self.null_space_size = k, d, order, M
        self.shift = values.mean(axis=0)
        centred = values - self.shift
        self._max_knots, self._seed = int(max_knots), int(seed)
        self.knots = self._learn_knots(centred, k, knots)
        self._construct(centred)
        return self._absorb(self._raw_X, self._penalty())

    @staticmethod
    def _order(m: int | None, d: int) -> int:
        """The penalty order: ``m`` checked, or mgcv's default for ``d`` covariates."""
        if m is None or (not isinstance(m, bool) and isinstance(m, (int, np.integer)) and m == 0):
            return default_penalty_order(d)
        if isinstance(m, bool) or not isinstance(m, (int, np.integer)):
            raise ArgumentTypeError(f"m must be an integer, got {type(m).__name__}")
        if 2 * m <= d:
            raise ArgumentError(
                f"m of a 'tp' basis of {d} covariate(s) must satisfy 2m > d (m > {d / 2:g}), got "
                f"m = {m}"
            )
        return int(m)

    def _learn_knots(self, x: Array, k: int, knots: ArrayLike | None) -> Array:
        """The (centred) unique points the basis is built on: the data's, the supplied ``knots``, or
        ``max_knots`` of the data's drawn at random (see :meth:`fit`)."""
        n, d = x.shape
        data_unique = np.unique(x, axis=0)
        if knots is not None:
            knot_points = _as_points(knots, "knots")
            if knot_points.shape[1] != d:
                raise ArgumentError(
                    f"knots must have {d} column(s) (as x), got shape {knot_points.shape}"
                )
            if knot_points.shape[0] > n:
                raise ArgumentError(
                    f"knots must be at most as many as the data ({n} rows), "
                    f"got {knot_points.shape[0]}"
                )
            unique = np.unique(knot_points - self.shift, axis=0)
            source = "knots"
        elif data_unique.shape[0] > self._max_knots:
            rng = np.random.default_rng(self._seed)
            chosen = rng.choice(data_unique.shape[0], size=self._max_knots, replace=False)
            unique = data_unique[np.sort(chosen)]
            source = "x"
        else:
            unique = data_unique
            source = "x"
        if unique.shape[0] < k:
            raise ArgumentError(
                f"k = {k} but {source} has only {unique.shape[0]} unique {_points_word(d)}: "
                "k must be at most that"
            )
        return unique

    def _construct(self, centred: Array) -> None:
        """``tprs_setup``: the truncated basis at the data, its penalty, ``UZ`` and the scaling."""
        k, M, m, d = self.k, self.null_space_size, self.order, self.dimension
        unique = self.knots
        data_unique, data_index = np.unique(centred, axis=0, return_inverse=True)
        on_data = data_unique.shape == unique.shape and np.array_equal(data_unique, unique)
        E = self._radial(unique, unique)
        T = _polynomials(unique, _polynomial_powers(d, m))
        n_unique = unique.shape[0]
        if n_unique == k:  # mgcv's "pure knot" case: no eigen step
            U = np.eye(k)
            penalty_core = E
        else:
            eigenvalues, eigenvectors = _largest_eigenpairs(E, k)
            U = eigenvectors
            penalty_core = np.diag(eigenvalues)
        Q = _qt_factor(T.T @ U)
        Z = Q[:, : k - M]
        UZ = np.zeros((n_unique + M, k))
        UZ[:n_unique, : k - M] = U @ Z
        UZ[n_unique:, k - M :] = np.eye(M)
        S = np.zeros((k, k))
        S[: k - M, : k - M] = Z.T @ penalty_core @ Z
        self.UZ = UZ
        if on_data and n_unique != k:
            at_unique = np.empty((n_unique, k))
            at_unique[:, : k - M] = (U * np.diag(penalty_core)) @ Z
            at_unique[:, k - M :] = T
            X = at_unique[data_index.ravel()]
        else:
            X = self._evaluate(centred)
        scale = np.sqrt(np.mean(X**2, axis=0))
        self.column_scale = scale
        self.UZ = UZ / scale
        S = S / scale[:, None] / scale[None, :]
        self._raw_X = X / scale
        self._raw_penalty = (S + S.T) / 2.0

    def _radial(self, points: Array, centres: Array) -> Array:
        """``η(‖p_i − c_j‖)`` (mgcv's ``fast_eta`` of the squared distance)."""
        m, d = self.order, self.dimension
        r2 = np.zeros((points.shape[0], centres.shape[0]))
        for j in range(d):
            r2 += (points[:, j, None] - centres[None, :, j]) ** 2
        constant = _eta_constant(m, d)
        positive = r2 > 0.0
        safe = np.where(positive, r2, 1.0)
        if d % 2 == 0:
            values = constant * np.log(safe) * 0.5 * safe ** (m - d // 2)
        else:
            values = constant * safe ** (m - d // 2 - 1) * np.sqrt(safe)
        return np.where(positive, values, 0.0)

    def _evaluate(self, centred: Array) -> Array:
        """``predict_tprs``: ``[E(x, x_u), T(x)] UZ`` at centred points, before the column scaling
        when called from :meth:`_construct` (``UZ`` not yet scaled), after it otherwise."""
        powers = _polynomial_powers(self.dimension, self.order)
        out = np.empty((centred.shape[0], self.k))
        n_unique = self.knots.shape[0]
        for start in range(0, centred.shape[0], _CHUNK_ROWS):
            rows = centred[start : start + _CHUNK_ROWS]
            out[start : start + rows.shape[0]] = (
                self._radial(rows, self.knots) @ self.UZ[:n_unique]
                + _polynomials(rows, powers) @ self.UZ[n_unique:]
            )
        return out

    def transform_unconstrained(self, new_x: ArrayLike) -> Array:
        """The basis before the constraint at new points (mgcv's ``Predict.matrix.tprs.smooth``).

        Parameters
        ----------
        new_x : array_like
            ``(n,)`` or ``(n, d)`` covariate values (finite; as many columns as the fit's ``x``).

        Returns
        -------
        ndarray
            ``n × k`` basis matrix.
        """
        if self.knots is None:
            raise ArgumentError("the 'tp' basis is not fitted: call fit(x, k) before transform")
        points = _as_points(new_x, "new_x")
        if points.shape[1] != self.dimension:
            raise ArgumentError(
                f"new_x must have {self.dimension} column(s) (as the fitted x), got shape "
                f"{np.shape(new_x)}"
            )
        return self._evaluate(points - self.shift)

    def _basis(self, x: Array) -> Array:
        """The unconstrained basis at (uncentred) points ``x`` (``n × d``, or ``n`` for one covariate)."""
        return self._evaluate(_as_points(x, "x") - self.shift)

    def _penalty(self) -> Array:
        """The unconstrained penalty before smoothCon's scaling (after ``tprs_setup``'s)."""
        return self._raw_penalty

    def _penalty_rank(self) -> int:
        return self.k - self.null_space_size


def _largest_eigenpairs(E: Array, k: int) -> tuple[Array, Array]:
    """The ``k`` eigenpairs of the symmetric ``E`` largest in magnitude, eigenvalues decreasing.

    As mgcv, by Lanczos iteration (ARPACK through :func:`scipy.sparse.linalg.eigsh`, to machine
    precision) when ``E`` is much larger than ``k``: a full decomposition of the 2,000 × 2,000
    ``E`` of ``max_knots`` points costs seconds, the Lanczos one a tenth of a second. Small
    matrices take LAPACK's full decomposition on one BLAS thread (many threads on a loaded
    machine made a 600 × 600 one take seconds).
    """
    from threadpoolctl import threadpool_limits

    size = E.shape[0]
    with threadpool_limits(1, "blas"):
        if size > 4 * k + 50:
            start = np.ones(size) / np.sqrt(size)  # a fixed start: the same basis every run
            values, vectors = eigsh(E, k=k, which="LM", v0=start, tol=0.0)
        else:
            values, vectors = np.linalg.eigh(E)
            keep = np.argsort(-np.abs(values), kind="stable")[:k]
            values, vectors = values[keep], vectors[:, keep]
    order = np.argsort(-values, kind="stable")
    return values[order], vectors[:, order]


def _points_word(d: int) -> str:
    return "values" if d == 1 else "covariate combinations"


def _as_points(x: ArrayLike, name: str) -> Array:
    """``x`` as a finite ``n × d`` float array (a 1-D ``x`` is one column), or an error naming it."""
    try:
        values = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as error:
        raise ArgumentTypeError(f"{name} must be numeric values, got {type(x).__name__}") from error
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2:
        raise ArgumentError(
            f"{name} must be one-dimensional (one covariate) or an n × d matrix (d covariates), "
            f"got an array of shape {values.shape}"
        )
    if values.shape[0] == 0 or values.shape[1] == 0:
        raise ArgumentError(f"{name} must hold at least one value, got shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ArgumentError(
            f"{name} must be finite, got {int(np.sum(~np.isfinite(values)))} non-finite values"
        )
    return values


def _polynomials(points: Array, powers: NDArray[np.int64]) -> Array:
    """mgcv's ``tpsT``: the null-space monomials ``∏_j x_j^powers[l, j]`` at each point."""
    out = np.ones((points.shape[0], powers.shape[0]))
    for column, exponents in enumerate(powers):
        for j, power in enumerate(exponents):
            for _ in range(power):
                out[:, column] *= points[:, j]
    return out


def _qt_factor(A: Array) -> Array:
    """mgcv's ``QT(Q, A, fullQ = 1)``: orthogonal ``Q`` with ``A Q = [0, R]``, ``R`` reverse lower
    triangular, from Householder reflections (row ``i`` rotated into column ``c − i − 1``, the sign
    of the reflection that of that element, as mgcv chooses it)."""
    A = A.copy()
    rows, cols = A.shape
    Q = np.eye(cols)
    for i in range(rows):
        last = cols - i
        p = A[i, :last].copy()
        scale = np.max(np.abs(p))
        if scale:
            p /= scale
        norm = np.sqrt(np.sum(p**2))
        if p[last - 1] < 0.0:
            norm = -norm
        p[last - 1] += norm
        g = 1.0 / (norm * p[last - 1]) if norm else 0.0
        if i + 1 < rows:
            A[i + 1 :, :last] -= g * np.outer(A[i + 1 :, :last] @ p, p)
        Q[:, :last] -= g * np.outer(Q[:, :last] @ p, p)
        A[i, :last] = 0.0
        A[i, last - 1] = -norm * scale
    return Q


SMOOTH_BASES[ThinPlateSpline.name] = ThinPlateSpline
