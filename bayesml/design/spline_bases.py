"""Unpenalised spline bases as fixed-effect terms: R's ``splines::bs`` and ``splines::ns``.

``bs(x, df=5)`` is the B-spline basis of R's ``bs``: degree 3 unless ``degree=`` says otherwise,
interior knots at quantiles of ``x`` (R's default quantile, type 7) when ``df=`` is given, or the
``knots=`` written, boundary knots at the range of ``x`` (or ``Boundary.knots=``), and no intercept
column (the first B-spline is dropped), so ``df`` columns. ``ns(x, df=4)`` is R's natural cubic
spline: the cubic B-spline basis whose second derivative vanishes at both boundary knots, made as
R makes it (the two constraint rows' QR decomposition; the basis is projected on the orthogonal
complement of the constraints).

The B-splines come from :class:`scipy.interpolate.BSpline`. Outside the boundary knots R's ``bs``
continues each end's polynomial piece (a Taylor expansion of degree ``degree`` about a point inside
the outer knot interval, which is that piece itself) and warns; ``ns`` continues linearly from the
boundary knots, without a warning. Both are done here the same way, and the fitted knots are kept
so that new data (``predict``) get the fitted basis, as R's ``makepredictcall`` arranges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import BSpline

from bayesml.errors import DataError, FormulaError, warn

__all__ = ["SplineBasis", "fit_spline_basis"]


@dataclass(frozen=True)
class SplineBasis:
    """A fitted ``bs``/``ns`` basis: what is needed to evaluate it on any values.

    Attributes
    ----------
    kind
        ``"bs"`` (B-splines) or ``"ns"`` (natural cubic splines).
    degree
        The polynomial degree (3 for ``ns``).
    knots
        The interior knots, increasing.
    boundary_knots
        The two boundary knots.
    """

    kind: str
    degree: int
    knots: tuple[float, ...]
    boundary_knots: tuple[float, float]

    @property
    def all_knots(self) -> np.ndarray:
        """The full knot sequence: each boundary knot repeated ``degree + 1`` times."""
        order = self.degree + 1
        lower, upper = self.boundary_knots
        return np.concatenate([np.full(order, lower), self.knots, np.full(order, upper)])

    @property
    def n_columns(self) -> int:
        """How many columns the basis has (its ``df``)."""
        n_splines = len(self.knots) + self.degree + 1
        return n_splines - 1 if self.kind == "bs" else n_splines - 3

    def _splines(self, x: np.ndarray, derivative: int = 0) -> np.ndarray:
        """All B-splines (or their ``derivative``), continuing the end pieces beyond the knots."""
        t = self.all_knots
        n_splines = len(t) - self.degree - 1
        spline = BSpline(t, np.eye(n_splines), self.degree, extrapolate=True)
        return np.asarray(spline(x, nu=derivative)).reshape(len(x), n_splines)

    def evaluate(self, x: np.ndarray, *, what: str) -> np.ndarray:
        """The basis at ``x`` (an ``n × df`` matrix); values beyond the boundary knots are
        extrapolated as R does (``bs`` with a :class:`UserWarning` naming ``what``)."""
        x = np.asarray(x, dtype=float)
        lower, upper = self.boundary_knots
        outside = (x < lower) | (x > upper)
        if self.kind == "bs":
            if outside.any():
                warn(
                    f"{what}: {int(outside.sum())} value(s) beyond the boundary knots "
                    f"[{lower:g}, {upper:g}]; the basis continues the end polynomials there "
                    "(R's bs warns: 'some x values beyond boundary knots may cause "
                    "ill-conditioned bases')"
                )
            return self._splines(x)[:, 1:]
        basis = self._splines(np.clip(x, lower, upper))
        for edge, side in ((lower, x < lower), (upper, x > upper)):
            if side.any():
                at = np.array([edge])
                value, slope = self._splines(at), self._splines(at, 1)
                basis[side] = value + (x[side] - edge)[:, None] * slope
        constraints = self._splines(np.array([lower, upper]), 2)[:, 1:]
        q, _ = np.linalg.qr(constraints.T, mode="complete")
        return (basis[:, 1:] @ q)[:, 2:]


def _quantiles(x: np.ndarray, count: int) -> np.ndarray:
    """R's ``quantile(x, seq(0, 1, length = count + 2))[-c(1, count + 2)]`` (type 7)."""
    probabilities = np.linspace(0.0, 1.0, count + 2)[1:-1]
    return np.quantile(x, probabilities) if count else np.zeros(0)


def fit_spline_basis(
    kind: str,
    x: np.ndarray,
    *,
    df: float | None,
    knots: tuple[float, ...] | None,
    degree: float | None,
    boundary_knots: tuple[float, ...] | None,
    text: str,
) -> SplineBasis:
    """Learn a ``bs``/``ns`` basis from the fitting values ``x`` as R's ``bs``/``ns`` do.

    Parameters
    ----------
    kind
        ``"bs"`` or ``"ns"``.
    x
        The fitting values (finite numbers).
    df, knots
        The number of columns (interior knots at quantiles of ``x``) or the interior knots; one
        of them, or neither (no interior knots).
    degree
        The degree of ``bs`` (default 3); ``ns`` is cubic.
    boundary_knots
        Two numbers; default the range of ``x``.
    text
        The term text, for messages.

    Raises
    ------
    FormulaError
        For ``df`` and ``knots`` both given, a ``df`` too small for the degree, a degree that is
        not a whole number >= 1, knots not strictly inside the boundary knots, or boundary knots
        that are not two increasing numbers.
    DataError
        When ``x`` has fewer than two distinct values.
    """
    if kind == "ns" or degree is None:
        degree = 3
    elif degree != int(degree) or degree < 1:
        raise FormulaError(f"{text}: degree must be a whole number >= 1, got {degree:g}")
    degree = int(degree)
    if boundary_knots is None:
        if np.unique(x).size < 2:
            raise DataError(
                f"{text} needs at least two distinct values of its covariate to place the "
                f"boundary knots; got the single value {x[0]:g}"
            )
        lower, upper = float(np.min(x)), float(np.max(x))
    else:
        if len(boundary_knots) != 2 or not boundary_knots[0] < boundary_knots[1]:
            raise FormulaError(
                f"{text}: Boundary.knots must be two increasing numbers, e.g. "
                f"Boundary.knots=c(0, 1); got {', '.join(f'{b:g}' for b in boundary_knots)}"
            )
        lower, upper = float(boundary_knots[0]), float(boundary_knots[1])
    if df is not None and knots is not None:
        raise FormulaError(f"{text}: give df= or knots=, not both (as R's {kind})")
    if knots is not None:
        interior = np.sort(np.asarray(knots, dtype=float))
        inside = (interior > lower) & (interior < upper)
        if not inside.all():
            bad = ", ".join(f"{k:g}" for k in interior[~inside])
            raise FormulaError(
                f"{text}: knots must lie strictly inside the boundary knots [{lower:g}, {upper:g}] "
                f"(the range of the data unless Boundary.knots= is given); got {bad}"
            )
    elif df is not None:
        smallest = degree if kind == "bs" else 1
        if df != int(df) or df < smallest:
            raise FormulaError(
                f"{text}: df must be a whole number >= {smallest}"
                + (f" (the degree, {degree})" if kind == "bs" else "")
                + f", got {df:g}"
            )
        count = int(df) - degree if kind == "bs" else int(df) - 1
        within = x[(x >= lower) & (x <= upper)]
        interior = _quantiles(within, count)
    else:
        interior = np.zeros(0)
    return SplineBasis(kind, degree, tuple(float(k) for k in interior), (lower, upper))
