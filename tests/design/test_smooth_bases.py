"""mgcv's smooth bases (cr, cc, ps) against the committed references of gamm4_references.R.

The JSON's ``bases`` entry holds mgcv 1.8's ``smoothCon(s(x0, bs = ..., k = 10), absorb.cons = TRUE)``
on the simulated ``data`` and gamm4's ``smooth2random(type = 2)`` of it; see its ``notes``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bayesml.design.smooth_bases import (
    SMOOTH_BASES,
    CubicRegressionSpline,
    CyclicCubicSpline,
    PSpline,
    SmoothBasis,
    mixed_model_form,
    mixed_model_transform,
    smooth_basis,
)
from bayesml.errors import ArgumentError, ArgumentTypeError

REFERENCES = Path(__file__).resolve().parents[1] / "references" / "gamm4_references.json"
BASES = ("cr", "cc", "ps")


@pytest.fixture(scope="module")
def references() -> dict[str, Any]:
    """The committed gamm4/mgcv references."""
    with REFERENCES.open() as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def x0(references: dict[str, Any]) -> np.ndarray:
    """The covariate the reference bases were built on."""
    return np.asarray(references["data"]["x0"], dtype=float)


def _matrix(rows: list[list[float]]) -> np.ndarray:
    return np.asarray(rows, dtype=float)


def _fitted(bs: str, x0: np.ndarray) -> SmoothBasis:
    return smooth_basis(bs).fit(x0, k=10)


def _projector(columns: np.ndarray) -> np.ndarray:
    """The orthogonal projector onto the column space of ``columns``."""
    q, _ = np.linalg.qr(columns)
    return q @ q.T


def test_registry_names_mgcv_bases() -> None:
    assert {name: SMOOTH_BASES[name] for name in BASES} == {
        "cr": CubicRegressionSpline, "cc": CyclicCubicSpline, "ps": PSpline
    }
    assert set(SMOOTH_BASES) == {"cr", "cc", "ps", "tp"}  # tp: tests/design/test_thin_plate.py
    assert isinstance(smooth_basis("ps"), PSpline)


@pytest.mark.parametrize("bs", BASES)
def test_knots_as_mgcv(bs: str, references: dict[str, Any], x0: np.ndarray) -> None:
    basis = _fitted(bs, x0)
    np.testing.assert_allclose(basis.knots, references["bases"][bs]["knots"], rtol=0, atol=1e-12)


@pytest.mark.parametrize("bs", BASES)
def test_unconstrained_basis_penalty_and_constraint(
    bs: str, references: dict[str, Any], x0: np.ndarray
) -> None:
    reference = references["bases"][bs]
    basis = _fitted(bs, x0)
    unconstrained = reference["unconstrained"]
    np.testing.assert_allclose(basis.S_scale, reference["S_scale"], rtol=1e-12)
    np.testing.assert_allclose(
        basis.X_unconstrained[:20], _matrix(unconstrained["X_first20"]), atol=1e-8
    )
    np.testing.assert_allclose(basis.S_unconstrained, _matrix(unconstrained["S"]), atol=1e-8)
    np.testing.assert_allclose(basis.constraint, _matrix(unconstrained["constraint"]), atol=1e-12)


@pytest.mark.parametrize("bs", BASES)
def test_constrained_basis_as_mgcv(bs: str, references: dict[str, Any], x0: np.ndarray) -> None:
    reference = references["bases"][bs]
    basis = _fitted(bs, x0)
    assert basis.X.shape == (x0.size, reference["df"])
    assert (basis.rank, basis.null_space_dim) == (reference["rank"], reference["null_space_dim"])
    # mgcv's Householder QR of C' fixes the columns' signs: compare directly
    np.testing.assert_allclose(basis.X[:20], _matrix(reference["X_first20"]), atol=1e-8)
    np.testing.assert_allclose(basis.S, _matrix(reference["S"]), atol=1e-8)
    np.testing.assert_allclose(basis.X.sum(axis=0), 0.0, atol=1e-10)
    np.testing.assert_allclose(reference["X_colsums"], 0.0, atol=1e-10)


@pytest.mark.parametrize("bs", BASES)
def test_transform_is_predictmat(bs: str, references: dict[str, Any], x0: np.ndarray) -> None:
    reference = references["bases"][bs]
    basis = _fitted(bs, x0)
    np.testing.assert_allclose(
        basis.transform(reference["new_x"]), _matrix(reference["X_new"]), atol=1e-8
    )
    np.testing.assert_allclose(basis.transform(x0[:20]), basis.X[:20], atol=1e-12)


@pytest.mark.parametrize("bs", BASES)
def test_mixed_model_form_as_smooth2random(
    bs: str, references: dict[str, Any], x0: np.ndarray
) -> None:
    reference = references["bases"][bs]
    expected = reference["smooth2random"]
    basis = _fitted(bs, x0)
    form = mixed_model_form(basis.X, basis.S, rank=basis.rank)
    xr = _matrix(expected["Xr_first20"])
    # eigenvector signs are LAPACK's choice: compare sign-free quantities
    np.testing.assert_allclose(form.random[:20] @ form.random[:20].T, xr @ xr.T, atol=1e-8)
    np.testing.assert_allclose((form.random**2).sum(axis=0), expected["Xr_colsums_sq"], rtol=1e-8)
    for column, reference_column in zip(form.random[:20].T, xr.T, strict=True):
        sign = np.sign(column @ reference_column)
        np.testing.assert_allclose(sign * column, reference_column, atol=1e-8)
    xf = _matrix(expected["Xf_first20"]).reshape(20, -1)
    assert form.fixed.shape == (x0.size, xf.shape[1])
    if xf.shape[1]:
        np.testing.assert_allclose(_projector(form.fixed[:20]), _projector(xf), atol=1e-8)
    U, D = mixed_model_transform(basis.S, rank=basis.rank)
    np.testing.assert_allclose(D, expected["trans_D"], rtol=1e-8)
    np.testing.assert_allclose(
        np.abs(U.T @ _matrix(expected["trans_U"])), np.eye(U.shape[0]), atol=1e-8
    )
    # the numerical rank is mgcv's
    assert mixed_model_form(basis.X, basis.S).random.shape[1] == basis.rank


@pytest.mark.parametrize("bs", BASES)
def test_basis_outside_the_knots(bs: str, x0: np.ndarray) -> None:
    """cr and ps continue linearly beyond their end knots (PredictMat); cc wraps around."""
    basis = _fitted(bs, x0)
    low, high = (
        (basis.knots[0], basis.knots[-1]) if bs != "ps" else (basis.knots[3], basis.knots[-4])
    )
    if bs == "cc":
        period = high - low
        inside = np.array([low + 0.1, high - 0.2, 0.5])
        np.testing.assert_allclose(
            basis.transform(inside + period), basis.transform(inside), atol=1e-10
        )
        np.testing.assert_allclose(
            basis.transform(inside - 2 * period), basis.transform(inside), atol=1e-10
        )
        return
    for end, direction in ((low, -1.0), (high, 1.0)):
        steps = end + direction * np.array([0.0, 0.5, 1.0, 2.0])
        values = basis.transform(steps)
        np.testing.assert_allclose(values[2] - values[1], values[1] - values[0], atol=1e-10)
        np.testing.assert_allclose(values[3] - values[2], 2 * (values[1] - values[0]), atol=1e-10)
        # continuous and smooth at the end: the slope just inside matches the slope outside
        eps = 1e-6
        inner = basis.transform(np.array([end - direction * eps, end]))
        np.testing.assert_allclose(
            (inner[1] - inner[0]) / eps, (values[1] - values[0]) / 0.5, atol=1e-4
        )


def test_supplied_knots_are_used(x0: np.ndarray) -> None:
    knots = np.linspace(0.0, 1.0, 6)
    assert np.array_equal(smooth_basis("cr").fit(x0, k=6, knots=knots).knots, knots)
    ps = smooth_basis("ps").fit(x0, k=6, knots=[0.0, 1.0])
    assert ps.knots.size == 10
    np.testing.assert_allclose(np.diff(ps.knots), 1.002 / 3)


def test_bad_input_is_refused(x0: np.ndarray) -> None:
    with pytest.raises(ArgumentError, match=r"bs must be one of 'cr', 'cc', 'ps', 'tp', got 'ts'"):
        smooth_basis("ts")
    with pytest.raises(ArgumentTypeError, match="k must be an integer, got float"):
        smooth_basis("cr").fit(x0, k=5.0)
    with pytest.raises(ArgumentError, match="k of a 'cc' basis must be at least 4, got 3"):
        smooth_basis("cc").fit(x0, k=3)
    with pytest.raises(
        ArgumentError, match=r"k must be at most the number of unique covariate values \(3\)"
    ):
        smooth_basis("cr").fit([0.1, 0.2, 0.3, 0.2], k=4)
    with pytest.raises(ArgumentError, match="x must be finite, got 1 non-finite values"):
        smooth_basis("cr").fit(np.append(x0, np.nan), k=5)
    with pytest.raises(ArgumentError, match=r"knots of a 'cr' basis must be 5 values, got 3"):
        smooth_basis("cr").fit(x0, k=5, knots=[0.0, 0.5, 1.0])
    with pytest.raises(ArgumentError, match="knots must be strictly increasing"):
        smooth_basis("cr").fit(x0, k=3, knots=[0.0, 1.0, 0.5])
    with pytest.raises(ArgumentError, match="not fitted: call fit"):
        smooth_basis("ps").transform([0.5])
    with pytest.raises(
        ArgumentError, match=r"X must be a matrix with 3 columns \(as S\), got shape \(4, 2\)"
    ):
        mixed_model_form(np.ones((4, 2)), np.eye(3))
    with pytest.raises(ArgumentError, match="rank must be between 0 and 3"):
        mixed_model_form(np.ones((4, 3)), np.eye(3), rank=4)
