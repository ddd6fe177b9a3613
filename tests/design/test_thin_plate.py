"""mgcv's thin plate regression spline basis (``bs = "tp"``) against mgcv's own construction.

References: ``gamm4_references.json`` → ``bases.tp`` (``smoothCon(s(x0, bs = "tp", k = 10))`` on the
simulated data of gamm4_references.R) and ``mgcv_tp2d_references.json`` (mgcv_tp2d_references.R:
two and three covariates, mgcv's default ``k``, supplied knots, ``m = 3``, the no-eigen-step case).
Eigenvector signs are arbitrary, so bases are compared up to the signs of their columns (found from
the data) and penalties up to the same flips; ``Xr Xrᵀ`` of the mixed-model form is sign-free. The
tolerances are those of mgcv's Lanczos eigen-solver (relative ``eps^0.7``), which the 1-D and 3-D
references show most.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bayesml.design.smooth_bases import SMOOTH_BASES, mixed_model_form, smooth_basis
from bayesml.design.thin_plate import (
    ThinPlateSpline,
    default_penalty_order,
    null_space_dimension,
)
from bayesml.errors import ArgumentError, ArgumentTypeError

REFERENCES = Path(__file__).resolve().parents[1] / "references"


@pytest.fixture(scope="module")
def gamm4_references() -> dict[str, Any]:
    """The committed gamm4/mgcv references (1-D bases)."""
    with (REFERENCES / "gamm4_references.json").open() as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def tp_references() -> dict[str, Any]:
    """The committed references of mgcv_tp2d_references.R."""
    with (REFERENCES / "mgcv_tp2d_references.json").open() as handle:
        return json.load(handle)


def _matrix(rows: list[list[float]]) -> np.ndarray:
    return np.asarray(rows, dtype=float)


def _signs(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """The column signs that align ``ours`` with ``theirs`` (eigenvector signs are arbitrary)."""
    return np.sign(np.sum(ours * theirs, axis=0))


def _projector(columns: np.ndarray) -> np.ndarray:
    """The orthogonal projector onto the column space of ``columns``."""
    q, _ = np.linalg.qr(columns)
    return q @ q.T


def _compare(
    basis: ThinPlateSpline, reference: dict[str, Any], new: np.ndarray, atol: float, rtol: float
) -> None:
    """Every entry of a smoothCon reference against ``basis``, up to column signs."""
    rows = np.asarray(reference["X_first20"]).shape[0]
    assert basis.k == reference["bs_dim"]
    assert (basis.rank, basis.null_space_dim) == (reference["rank"], reference["null_space_dim"])
    np.testing.assert_allclose(basis.S_scale, reference["S_scale"], rtol=rtol)
    unconstrained = reference["unconstrained"]
    X_raw = _matrix(unconstrained["X_first20"])
    signs = _signs(basis.X_unconstrained[:rows], X_raw)
    np.testing.assert_allclose(basis.X_unconstrained[:rows] * signs, X_raw, rtol=0, atol=atol)
    S_raw = _matrix(unconstrained["S"])
    np.testing.assert_allclose(
        basis.S_unconstrained * np.outer(signs, signs),
        S_raw,
        rtol=0,
        atol=rtol * np.abs(S_raw).max(),
    )
    np.testing.assert_allclose(
        basis.constraint * signs, _matrix(unconstrained["constraint"]), rtol=0, atol=atol
    )
    X = _matrix(reference["X_first20"])
    signs = _signs(basis.X[:rows], X)
    np.testing.assert_allclose(basis.X[:rows] * signs, X, rtol=0, atol=atol)
    S = _matrix(reference["S"])
    np.testing.assert_allclose(
        basis.S * np.outer(signs, signs), S, rtol=0, atol=rtol * np.abs(S).max()
    )
    np.testing.assert_allclose(basis.X.sum(axis=0) * signs, reference["X_colsums"], atol=1e-10)
    np.testing.assert_allclose(
        basis.transform(new) * signs, _matrix(reference["X_new"]), rtol=0, atol=atol
    )
    form = mixed_model_form(basis.X, basis.S, rank=basis.rank)
    mixed = reference["smooth2random"]
    Xr = _matrix(mixed["Xr_first20"])
    np.testing.assert_allclose(form.random[:rows] @ form.random[:rows].T, Xr @ Xr.T, atol=atol)
    np.testing.assert_allclose(np.sum(form.random**2, axis=0), mixed["Xr_colsums_sq"], rtol=rtol)
    np.testing.assert_allclose(
        np.linalg.eigvalsh(basis.S)[::-1],
        mixed["eigenvalues_S"],
        rtol=0,
        atol=rtol * max(mixed["eigenvalues_S"]),
    )
    # the fixed columns: eigenvectors of a repeated (zero) eigenvalue when M - 1 > 1, so compare
    # the space they span
    np.testing.assert_allclose(
        _projector(form.fixed[:rows]), _projector(_matrix(mixed["Xf_first20"])), atol=atol
    )


def test_registered_under_mgcv_name() -> None:
    assert SMOOTH_BASES["tp"] is ThinPlateSpline
    assert isinstance(smooth_basis("tp"), ThinPlateSpline)


def test_one_covariate_as_mgcv(gamm4_references: dict[str, Any]) -> None:
    reference = gamm4_references["bases"]["tp"]
    x0 = np.asarray(gamm4_references["data"]["x0"], dtype=float)
    basis = smooth_basis("tp").fit(x0, k=10)
    assert basis.knots.shape == (reference["tp"]["n_unique"], 1)
    assert basis.UZ.shape == tuple(reference["tp"]["UZ_dim"])
    np.testing.assert_allclose(basis.shift, [reference["tp"]["shift"]], rtol=1e-14)
    _compare(basis, reference, np.asarray(reference["new_x"]), atol=1e-9, rtol=1e-8)


def _covariates(rows: list[dict[str, float]], names: list[str]) -> np.ndarray:
    return np.array([[row[name] for name in names] for row in rows])


@pytest.mark.parametrize(
    ("key", "atol", "rtol"),
    [
        ("k12", 1e-11, 1e-11),
        ("default", 1e-11, 1e-11),
        ("xzw_k20", 5e-9, 1e-8),
        ("knots_k12", 1e-11, 1e-11),
        ("x_pure_knot", 1e-11, 1e-11),
        ("x_m3_k10", 1e-9, 1e-9),
    ],
)
def test_as_mgcv(key: str, atol: float, rtol: float, tp_references: dict[str, Any]) -> None:
    reference = tp_references["bases"][key]
    terms = reference["term"] if isinstance(reference["term"], list) else [reference["term"]]
    x = _covariates(tp_references["data"][: reference["rows"]], terms)
    new = _covariates(tp_references["new"], terms)
    options: dict[str, Any] = {"m": reference["p_order"] or None}
    if key == "knots_k12":
        options["knots"] = x[:40]
    k = None if key == "default" else reference["bs_dim"]
    basis = ThinPlateSpline().fit(x if len(terms) > 1 else x[:, 0], k=k, **options)
    assert basis.knots.shape[0] == reference["n_unique"]
    np.testing.assert_allclose(basis.shift, reference["shift"], rtol=1e-14, atol=1e-15)
    _compare(basis, reference, new if len(terms) > 1 else new[:, 0], atol=atol, rtol=rtol)


def test_mgcv_defaults() -> None:
    assert [default_penalty_order(d) for d in (1, 2, 3, 4, 5)] == [2, 2, 3, 3, 4]
    # mgcv's null.space.dimension(d, m)
    assert [null_space_dimension(d, default_penalty_order(d)) for d in (1, 2, 3, 4)] == [
        2,
        3,
        10,
        15,
    ]
    assert null_space_dimension(1, 3) == 3
    rng = np.random.default_rng(3)
    for d, k in ((1, 10), (2, 30), (3, 110)):
        basis = ThinPlateSpline().fit(rng.uniform(size=(150, d)))
        assert basis.k == k
        assert basis.X.shape == (150, k - 1)
        assert basis.rank == k - null_space_dimension(d, default_penalty_order(d))


def test_null_space_holds_the_polynomials() -> None:
    """The unpenalised functions are the polynomials of degree < m: 1, x, z for s(x, z)."""
    rng = np.random.default_rng(4)
    xz = rng.uniform(size=(80, 2))
    basis = ThinPlateSpline().fit(xz, k=15)
    null = basis.X_unconstrained[:, basis.rank :]
    polynomials = np.column_stack([np.ones(80), xz])
    fit, *_ = np.linalg.lstsq(null, polynomials, rcond=None)
    np.testing.assert_allclose(null @ fit, polynomials, atol=1e-12)
    assert np.allclose(basis.S_unconstrained[basis.rank :], 0.0)


def test_transform_at_the_data_is_the_basis() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=60)
    basis = ThinPlateSpline().fit(np.concatenate([x, x[:5]]), k=12)
    np.testing.assert_allclose(basis.transform(np.concatenate([x, x[:5]])), basis.X, atol=1e-10)
    np.testing.assert_allclose(basis.X.sum(axis=0), 0.0, atol=1e-10)
    np.testing.assert_allclose(basis.X[-5:], basis.X[:5])


def test_more_unique_points_than_max_knots_subsample_with_a_seed() -> None:
    rng = np.random.default_rng(6)
    xz = rng.uniform(size=(300, 2))
    first = ThinPlateSpline().fit(xz, k=20, max_knots=100)
    again = ThinPlateSpline().fit(xz, k=20, max_knots=100)
    other = ThinPlateSpline().fit(xz, k=20, max_knots=100, seed=2)
    assert first.knots.shape == (100, 2)
    np.testing.assert_array_equal(first.knots, again.knots)
    np.testing.assert_array_equal(first.X, again.X)
    assert not np.array_equal(first.knots, other.knots)
    # the knots are data points; the basis is evaluated at all the data and constrained over it
    assert {tuple(row) for row in first.knots + first.shift} <= {tuple(row) for row in xz}
    np.testing.assert_allclose(first.X.sum(axis=0), 0.0, atol=1e-10)
    np.testing.assert_allclose(first.transform(xz), first.X, atol=1e-10)
    assert first.rank == 17
    # at or below max_knots the data are the knots
    assert ThinPlateSpline().fit(xz, k=20, max_knots=300).knots.shape == (300, 2)


def test_k_below_the_null_space_is_an_error() -> None:
    x = np.linspace(0.0, 1.0, 30)
    with pytest.raises(
        ArgumentError, match=r"k of a 'tp' basis .* at least M \+ 1 = 3 .*got k = 2"
    ):
        ThinPlateSpline().fit(x, k=2)
    with pytest.raises(ArgumentError, match=r"at least M \+ 1 = 4 .*got k = 3"):
        ThinPlateSpline().fit(np.column_stack([x, x**2]), k=3)
    with pytest.raises(ArgumentTypeError, match="k must be an integer, got float"):
        ThinPlateSpline().fit(x, k=5.0)


def test_k_above_the_unique_values_is_an_error() -> None:
    x = np.repeat(np.arange(8.0), 3)
    with pytest.raises(ArgumentError, match="k = 12 but x has only 8 unique values"):
        ThinPlateSpline().fit(x, k=12)
    xz = np.column_stack([x, x % 2])
    with pytest.raises(
        ArgumentError, match="k = 12 but x has only 8 unique covariate combinations"
    ):
        ThinPlateSpline().fit(xz, k=12)
    with pytest.raises(ArgumentError, match="k = 12 but knots has only 5 unique values"):
        ThinPlateSpline().fit(np.arange(20.0), k=12, knots=np.arange(5.0))


def test_bad_covariates_are_errors() -> None:
    with pytest.raises(ArgumentError, match="x must be finite, got 1 non-finite values"):
        ThinPlateSpline().fit(np.array([0.1, np.nan, 0.3, 0.4]), k=3)
    with pytest.raises(ArgumentError, match="x must be finite, got 2 non-finite values"):
        ThinPlateSpline().fit(np.array([[0.1, np.inf], [0.2, 0.3], [-np.inf, 1.0]]), k=4)
    with pytest.raises(ArgumentTypeError, match="x must be numeric values, got list"):
        ThinPlateSpline().fit(["a", "b", "c"], k=3)
    with pytest.raises(ArgumentError, match=r"x must be one-dimensional .* shape \(2, 2, 2\)"):
        ThinPlateSpline().fit(np.zeros((2, 2, 2)), k=3)
    with pytest.raises(
        ArgumentError, match=r"m of a 'tp' basis of 2 covariate\(s\) must satisfy 2m > d"
    ):
        ThinPlateSpline().fit(np.random.default_rng(7).uniform(size=(20, 2)), k=10, m=1)
    with pytest.raises(ArgumentError, match=r"knots must have 2 column\(s\) \(as x\)"):
        ThinPlateSpline().fit(
            np.random.default_rng(7).uniform(size=(20, 2)), k=5, knots=np.arange(8.0)
        )


def test_transform_checks_its_input() -> None:
    with pytest.raises(ArgumentError, match="not fitted"):
        ThinPlateSpline().transform(np.arange(3.0))
    basis = ThinPlateSpline().fit(np.random.default_rng(8).uniform(size=(20, 2)), k=5)
    with pytest.raises(ArgumentError, match=r"new_x must have 2 column\(s\) \(as the fitted x\)"):
        basis.transform(np.arange(3.0))
    with pytest.raises(ArgumentError, match="new_x must be finite"):
        basis.transform(np.array([[0.1, np.nan]]))
