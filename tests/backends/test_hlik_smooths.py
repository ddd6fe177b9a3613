"""Smooth terms fitted by h-likelihood against gamm4 (issue 14).

A smooth's penalised part is one random block of ``r`` coefficients with ONE dispersion
λ = sd² (``shared_sd``): the λ update pools the block's ``r`` deviances and leverages, as hglm
fits one random term with ``r`` levels. For a Gaussian response the fixed point of EQL is the
REML fit, so the fit must be gamm4's (``tests/references/gamm4_references.json``, written by
``gamm4_references.R``): smoothing SDs, the random intercept's SD and σ to 1e-3 relative, the
smooths at the 25-point grids within 1 % of gamm4's standard errors, the fixed effects within
1 % of their standard errors, and the REML log-likelihood (the profile likelihood pbvh).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bayesml import Model, compare
from bayesml.design.smooth_bases import SMOOTH_BASES
from bayesml.errors import FamilyError

REFERENCES = Path(__file__).parents[1] / "references" / "gamm4_references.json"
SD_RTOL = 1e-3
SE_FRACTION = 0.01
CASES = ["gaussian_cr", "gaussian_tp"]


@cache
def _references() -> dict:
    return json.loads(REFERENCES.read_text())


def _data() -> pd.DataFrame:
    return pd.DataFrame(_references()["data"])


@cache
def _fitted(case: str):
    if case.endswith("_tp") and "tp" not in SMOOTH_BASES:
        pytest.skip("the thin plate basis (bs='tp') is not available yet")
    reference = _references()["fits"][case]
    model = Model(reference["formula_bayesml"], data=_data(), family="gaussian")
    return model, model.fit(method="hlik"), reference


def _grid(reference: dict, label: str) -> pd.DataFrame:
    """gamm4's grid of one smooth: its covariate varies, the others at their typical values."""
    typical = _references()["typical"]
    grid = reference["smooth_grid"][label]
    frame = pd.DataFrame({column: [value] * len(grid["x"]) for column, value in typical.items()})
    frame[grid["covariate"]] = grid["x"]
    return frame


def _smooth_at(model: Model, fit, label: str, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The smooth alone (null-space part + Xr b) on ``rows`` and its standard error from the
    fit's ``smooth_cov`` (mgcv's Bayesian covariance Vp)."""
    (smooth,) = [s for s in model.design.smooths if s.label == label]
    fixed, random = smooth.transform(rows)
    (block,) = smooth.block_names
    coefficients = list(smooth.fixed_labels) + [
        f"{block}[b{j + 1}]" for j in range(fit.smooths[block])
    ]
    estimates = pd.concat(
        [
            fit.fixef["estimate"],
            fit.ranef.loc[block, "estimate"].rename(lambda level: f"{block}[{level}]"),
        ]
    )
    matrix = np.hstack([fixed, *random])
    value = matrix @ estimates[coefficients].to_numpy()
    covariance = fit.smooth_cov.loc[coefficients, coefficients].to_numpy()
    return value, np.sqrt(np.einsum("ij,jk,ik->i", matrix, covariance, matrix))


def _dense_joint_covariance(model: Model, fit) -> np.ndarray:
    """(C'C/φ + diag(0, 1/λ))⁻¹ over [β, every block's effects], formed densely."""
    design = model.design
    blocks = design.random
    C = np.hstack([design.fixed.matrix, *(block.Z.toarray() for block in blocks)])
    precision = np.concatenate(
        [np.zeros(design.fixed.matrix.shape[1])]
        + [np.full(block.Z.shape[1], 1.0 / fit.lambda_values[block.name]) for block in blocks]
    )
    return np.linalg.inv(C.T @ C / fit.phi.value + np.diag(precision))


@pytest.mark.parametrize("case", CASES)
def test_dispersions_are_gamm4s_reml_fit(case):
    _, fit, reference = _fitted(case)
    assert fit.converged and fit.convergence == "fixed_point"
    assert fit.iterations <= 15  # 9 (cr) and 8 (tp) at the defaults
    assert list(fit.lambda_) == ["g", "s(x0)", "s(x2)"]  # one λ per smooth
    assert list(fit.smooths) == ["s(x0)", "s(x2)"]
    for label, sd in reference["sd_smooth"].items():
        assert np.sqrt(fit.lambda_values[label]) == pytest.approx(sd, rel=SD_RTOL)
    sd_g = reference["sd_random"]["g"]["Intercept"]
    assert np.sqrt(fit.lambda_values["g"]) == pytest.approx(sd_g, rel=SD_RTOL)
    assert np.sqrt(fit.phi.value) == pytest.approx(reference["sigma"], rel=SD_RTOL)
    # the profile likelihood over β and v is the REML log-likelihood lmer reports
    assert fit.pbvh == pytest.approx(reference["logLik"], abs=1e-3)


@pytest.mark.parametrize("case", CASES)
def test_fixed_effects_are_gamm4s(case):
    _, fit, reference = _fitted(case)
    names = {
        "Intercept": "(Intercept)",
        "z": "z",
        "s(x0)_fixed1": "s(x0)Fx1",
        "s(x2)_fixed1": "s(x2)Fx1",
    }
    for ours, theirs in names.items():
        estimate, se = fit.fixef.loc[ours, ["estimate", "se"]]
        expected, expected_se = reference["fixef_mer"][theirs], reference["se_mer"][theirs]
        if ours.endswith("_fixed1"):  # an eigenvector's column: its sign is LAPACK's choice
            estimate = abs(estimate)
            expected = abs(expected)
        assert abs(estimate - expected) < SE_FRACTION * expected_se, ours
        assert se == pytest.approx(expected_se, rel=SD_RTOL), ours


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("label", ["s(x0)", "s(x2)"])
def test_smooths_at_the_grid_are_gamm4s(case, label):
    model, fit, reference = _fitted(case)
    grid = reference["smooth_grid"][label]
    value, se = _smooth_at(model, fit, label, _grid(reference, label))
    expected, expected_se = np.asarray(grid["fit"]), np.asarray(grid["se"])
    assert np.max(np.abs(value - expected) / expected_se) < SE_FRACTION
    assert se == pytest.approx(expected_se, rel=SE_FRACTION)


@pytest.mark.parametrize("label", ["s(x0)", "s(x2)"])
def test_population_predictions_keep_the_smooths(label):
    model, fit, reference = _fitted("gaussian_cr")
    grid = reference["smooth_grid"][label]
    rows = _grid(reference, label).drop(columns="g")
    predicted = model.predict(fit, rows, kind="linear", include_random_effects=False)
    error = (predicted["estimate"].to_numpy() - np.asarray(grid["link_fit"])) / np.asarray(
        grid["link_se"]
    )
    assert np.max(np.abs(error)) < SE_FRACTION


def test_smooth_cov_is_the_joint_inverse():
    model, fit, _ = _fitted("gaussian_cr")
    assert fit.smooths == {"s(x0)": 8, "s(x2)": 8}
    labels = list(fit.fixef.index) + [f"s(x{i})[b{j}]" for i in (0, 2) for j in range(1, 9)]
    assert list(fit.smooth_cov.index) == labels == list(fit.smooth_cov.columns)
    p, q_g = len(fit.fixef), 30
    positions = list(range(p)) + list(range(p + q_g, p + q_g + 16))  # blocks: g, s(x0), s(x2)
    dense = _dense_joint_covariance(model, fit)[np.ix_(positions, positions)]
    np.testing.assert_allclose(fit.smooth_cov.to_numpy(), dense, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(np.diag(dense)[:p], fit.fixef["se"] ** 2, rtol=1e-8)


def test_point_estimates_and_fitted_predictions():
    model, fit, _ = _fitted("gaussian_cr")
    estimates = fit.point_estimates()
    for block in model.design.random:
        assert estimates.random[block.name].shape == (block.n_levels, block.n_terms)
    assert estimates.random["s(x0)"].shape == (1, 8)
    np.testing.assert_allclose(
        estimates.random["s(x0)"][0], fit.ranef.loc["s(x0)", "estimate"].to_numpy()
    )
    predicted = model.predict(fit, kind="linear")
    np.testing.assert_allclose(predicted["estimate"], fit.linear_predictor, rtol=1e-10)


def test_summary_prints_one_sd_row_per_smooth():
    _, fit, reference = _fitted("gaussian_cr")
    text = str(fit.summary())
    sd = reference["sd_smooth"]["s(x0)"]
    assert "Summary of the random effects estimates (s(x0), smooth, gaussian(identity)):" in text
    assert "s(x0): 0.004637" in text  # λ, hglm's line
    rows = [line.split() for line in text.splitlines() if "(smooth)" in line]
    assert [row[:2] for row in rows] == [["s(x0)", "(smooth)"], ["s(x2)", "(smooth)"]]
    assert float(rows[0][2]) == pytest.approx(sd, rel=1e-3)
    assert "Std.Dev." in text and "converged to its fixed point" in text
    assert "s(x0)|b1" not in text
    assert fit.to_dict()["smooths"] == {"s(x0)": 8, "s(x2)": 8}
    assert "3 block(s)" in repr(fit)


def test_compare_names_one_sd_per_smooth():
    _, fit, reference = _fitted("gaussian_cr")
    table = compare(fit, include_random_effects=True).table
    rows = [str(label) for label in table.index]
    assert "sd_s(x0)" in rows and "sd_s(x2)" in rows
    assert not any(row.startswith("sd_s(x0)[") for row in rows)
    assert "u_s(x0)[s(x0), b1]" in rows and "u_g[g01, Intercept]" in rows
    estimate = table.loc["sd_s(x2)"].iloc[0]
    assert float(estimate) == pytest.approx(reference["sd_smooth"]["s(x2)"], rel=SD_RTOL)


def test_a_smooth_takes_gaussian_effects_only():
    reference = _references()["fits"]["gaussian_cr"]
    model = Model(reference["formula_bayesml"], data=_data(), family="gaussian")
    with pytest.raises(FamilyError, match=r"smooth 's\(x0\)' are gaussian.*got 'gamma"):
        model.fit(method="hlik", random_family={"s(x0)": "gamma"})
