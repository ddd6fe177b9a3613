"""Smooth terms against gamm4: the design (mgcv's bases in smooth2random form), EDF and the
smooths' Bayesian covariance, evaluated at gamm4's own variance estimates.

At gamm4's SDs and residual SD the mixed-model solution is determined, so these tests check the
whole design layer (knots, bases, constraint, penalty scaling, mixed-model transform, predict on
new rows) and :mod:`bayesml.results.smooths` without any fitting backend: the smooths at the
reference grid, their standard errors and EDFs must be gamm4's to rounding.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse.linalg as spla

from bayesml.design.design import build_design
from bayesml.errors import ArgumentError, SmoothExtrapolationWarning
from bayesml.families import get_family
from bayesml.formula import parse_formula
from bayesml.results.smooths import (
    coefficient_matrix,
    find_smooth,
    fitted_edf,
    joint_covariance,
    smooth_edf,
    smooth_grid,
    smooth_matrix,
)

REFERENCES = json.loads(
    (Path(__file__).parents[1] / "references" / "gamm4_references.json").read_text()
)
DATA = pd.DataFrame(REFERENCES["data"])


def _at_gamm4(key: str):
    fit = REFERENCES["fits"][key]
    design = build_design(
        parse_formula(fit["formula_bayesml"]), DATA, family=get_family("gaussian")
    )
    weights = np.full(len(DATA), 1.0 / fit["sigma"] ** 2)
    sds = {"g": np.array([fit["sd_random"]["g"]["Intercept"]])}
    sds |= {label: np.array([sd]) for label, sd in fit["sd_smooth"].items()}
    return fit, design, weights, sds


def _solution(design, weights, sds) -> np.ndarray:
    """The mixed-model coefficients (fixed and random) at the given variances."""
    from bayesml.results.smooths import _normal_matrix

    columns = coefficient_matrix(design)
    right = columns.T @ (weights * DATA["y"].to_numpy())
    return spla.spsolve(_normal_matrix(design, weights, sds), right)


def _grid(covariate: str) -> pd.DataFrame:
    grid = pd.DataFrame({name: [value] * 25 for name, value in REFERENCES["typical"].items()})
    grid[covariate] = REFERENCES["grid"][covariate]
    return grid


@pytest.mark.parametrize("key", ["gaussian_cr", "gaussian_tp"])
def test_edf_is_gamm4s(key: str) -> None:
    fit, design, weights, sds = _at_gamm4(key)
    edf = smooth_edf(design, weights, sds)
    for label, expected in fit["edf"].items():
        assert edf[label] == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize("key", ["gaussian_cr", "gaussian_tp"])
@pytest.mark.parametrize("covariate", ["x0", "x2"])
def test_smooth_and_its_standard_error_are_gamm4s(key: str, covariate: str) -> None:
    fit, design, weights, sds = _at_gamm4(key)
    coefficients = _solution(design, weights, sds)
    (smooth,) = find_smooth(design, f"s({covariate})")
    matrix, positions = smooth_matrix(design, smooth, _grid(covariate))
    estimate = matrix @ coefficients[positions]
    covariance = joint_covariance(design, weights, sds, positions)
    se = np.sqrt(np.einsum("ij,jk,ik->i", matrix, covariance, matrix))
    reference = fit["smooth_grid"][f"s({covariate})"]
    np.testing.assert_allclose(estimate, reference["fit"], atol=1e-8 * np.min(reference["se"]))
    np.testing.assert_allclose(se, reference["se"], rtol=1e-8)


def test_grid_spans_the_fitted_range_with_typical_values() -> None:
    _, design, _, _ = _at_gamm4("gaussian_cr")
    (smooth,) = find_smooth(design, "s(x0)")
    grid = smooth_grid(smooth, DATA, design, n_points=7)
    assert len(grid) == 7
    assert grid["x0"].iloc[0] == DATA["x0"].min() and grid["x0"].iloc[-1] == DATA["x0"].max()
    assert grid["z"].nunique() == 1 and grid["z"].iloc[0] == pytest.approx(DATA["z"].mean())
    assert (grid["g"] == "g01").all()


def test_unknown_smooth_is_named() -> None:
    _, design, _, _ = _at_gamm4("gaussian_cr")
    with pytest.raises(
        ArgumentError, match=r"no smooth 's\(x1\)'; its smooths: 's\(x0\)', 's\(x2\)'"
    ):
        find_smooth(design, "s(x1)")


T2 = json.loads((Path(__file__).parents[1] / "references" / "mgcv_t2_references.json").read_text())
#: our t2 blocks (named after the covariates whose wiggly part they hold) and gamm4's lmer groups
T2_BLOCKS = {"t2(x,z)_x:z": "Xr", "t2(x,z)_z": "Xr.0", "t2(x,z)_x": "Xr.1"}


def test_t2_tensor_product_is_gamm4s() -> None:
    data = pd.DataFrame(T2["data"])
    fit = T2["gamm4_fit"]
    design = build_design(
        parse_formula("y ~ t2(x, z) + (1 | g)"), data, family=get_family("gaussian")
    )
    assert {block.name for block in design.random} == {"g", *T2_BLOCKS}
    weights = np.full(len(data), 1.0 / float(fit["sigma"]) ** 2)
    sds = {"g": np.array([fit["sd"]["g"]])}
    sds |= {ours: np.array([fit["sd"][theirs]]) for ours, theirs in T2_BLOCKS.items()}
    assert smooth_edf(design, weights, sds)["t2(x,z)"] == pytest.approx(float(fit["edf"]), rel=1e-6)
    columns = coefficient_matrix(design)
    from bayesml.results.smooths import _normal_matrix

    coefficients = spla.spsolve(
        _normal_matrix(design, weights, sds), columns.T @ (weights * data["y"].to_numpy())
    )
    grid = pd.DataFrame(fit["grid"]).assign(g=data["g"].iloc[0], y=0.0)
    (smooth,) = find_smooth(design, "t2(x,z)")
    with pytest.warns(SmoothExtrapolationWarning, match="outside the fitted range"):
        matrix, positions = smooth_matrix(design, smooth, grid)  # the grid runs over [0, 1]
    eta = coefficients[0] + matrix @ coefficients[positions]
    np.testing.assert_allclose(eta, fit["eta"], atol=1e-6 * np.min(fit["eta_se"]))


class _PointFit:
    """A point fit at given estimates (what a backend's result hands to prediction)."""

    def __init__(self, estimates) -> None:
        self.estimates = estimates

    def point_estimates(self):
        return self.estimates


def test_curves_of_a_point_fit_are_gamm4s_at_its_estimates() -> None:
    from bayesml.results.point import PointEstimates
    from bayesml.results.smooths import smooth_curves

    fit, design, weights, sds = _at_gamm4("gaussian_cr")
    coefficients = _solution(design, weights, sds)
    p = len(design.fixed.column_names)
    random, start = {}, p
    for block in design.random:
        size = block.n_levels * block.n_terms
        random[block.name] = coefficients[start : start + size].reshape(block.n_levels, -1)
        start += size
    estimates = PointEstimates(coefficients[:p], np.eye(p), random, {"sigma": fit["sigma"]}, sds)
    family = get_family("gaussian")
    curves = smooth_curves(design, family, _PointFit(estimates), n_points=25, ci_prob=0.95)
    assert [curve.label for curve in curves] == ["s(x0)", "s(x2)"]
    for curve in curves:
        reference = fit["smooth_grid"][curve.label]
        np.testing.assert_allclose(curve.x, reference["x"], rtol=1e-12)
        np.testing.assert_allclose(curve.estimate, reference["fit"], atol=1e-8)
        half_width = (curve.upper - curve.lower) / 2.0
        np.testing.assert_allclose(half_width, 1.959963985 * np.array(reference["se"]), rtol=1e-7)
    edf = fitted_edf(design, family, _PointFit(estimates))
    assert edf == pytest.approx(fit["edf"], rel=1e-8)


def test_point_predictions_of_a_smooth_model_are_gamm4s_with_its_standard_errors() -> None:
    """predict(include_random_effects=False) on an hlik (REML) fit: gamm4's
    predict(fit$gam, se.fit = TRUE) — the smooths kept, their uncertainty in the SE."""
    import warnings

    import bayesml

    fit = REFERENCES["fits"]["gaussian_cr"]
    model = bayesml.Model(fit["formula_bayesml"], data=DATA)
    result = model.fit("hlik")
    for covariate in ("x0", "x2"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the grid is inside the fitted range
            table = model.predict(
                result, _grid(covariate), kind="linear", include_random_effects=False
            )
        reference = fit["smooth_grid"][f"s({covariate})"]
        se = np.array(reference["link_se"])
        np.testing.assert_allclose(table["estimate"], reference["link_fit"], atol=1e-3 * se.min())
        np.testing.assert_allclose(table["se"], se, rtol=1e-4)
    assert "edf 4.50" in model.describe(result) and "edf 8.77" in model.describe(result)


def test_poisson_laplace_fit_gives_gamm4s_edf_and_population_predictions() -> None:
    import warnings

    import bayesml

    fit = REFERENCES["fits"]["poisson_cr"]
    model = bayesml.Model(fit["formula_bayesml"], data=DATA, family="poisson")
    result = model.fit("laplace")
    edf = fitted_edf(model.design, model.family, result)
    assert edf == pytest.approx(fit["edf"], rel=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = model.predict(result, _grid("x0"), kind="linear", include_random_effects=False)
    reference = fit["smooth_grid"]["s(x0)"]
    se = np.array(reference["link_se"])
    np.testing.assert_allclose(table["estimate"], reference["link_fit"], atol=0.01 * se.min())
    np.testing.assert_allclose(table["se"], se, rtol=1e-3)
