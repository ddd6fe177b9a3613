"""Point predictions of maximum-likelihood fits (``Model.fit(method="laplace")``) against lme4:
η of the fitted rows is Xβ + Zb with lme4's estimates and conditional modes
(tests/references/ml_references.json), and the se of a row with x = (1, 0, ...) is lme4's SE of
the intercept."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import special

import bayesml

ML = json.loads(
    (Path(__file__).resolve().parents[1] / "references" / "ml_references.json").read_text()
)


def _rows_of_first_levels(model, group, reference):
    """Positions of the fitted rows whose level is among the reference's first five, and the
    reference's mode of each such row (per term)."""
    block = next(b for b in model.design.random if b.name == group)
    levels = reference["ranef"][group]["levels"]
    labels = np.array([str(block.levels[i]) for i in block.group_index])
    rows = np.flatnonzero(np.isin(labels, levels))
    position = {level: i for i, level in enumerate(levels)}
    modes = {
        term: np.array(values)[[position[label] for label in labels[rows]]]
        for term, values in reference["ranef"][group]["mode"].items()
    }
    return rows, modes


def test_sleepstudy_linear_predictor_is_lme4s():
    reference = ML["fits"]["sleepstudy_ml"]
    model = bayesml.Model(reference["formula_bayesml"], "sleepstudy")
    fit = model.fit(method="laplace")
    out = model.predict(fit, kind="linear")
    rows, modes = _rows_of_first_levels(model, "Subject", reference)
    beta = reference["fixef"]["estimate"]
    days = model.data["Days"].to_numpy()[rows]
    expected = beta["Intercept"] + modes["Intercept"] + days * (beta["Days"] + modes["Days"])
    np.testing.assert_allclose(out["estimate"].to_numpy()[rows], expected, atol=2e-3)
    at_zero = model.data["Days"].to_numpy() == 0
    np.testing.assert_allclose(out["se"][at_zero], reference["fixef"]["se"]["Intercept"], rtol=1e-3)


def test_bacteria_mean_is_lme4s():
    reference = ML["fits"]["bacteria_laplace"]
    model = bayesml.Model(reference["formula_bayesml"], "bacteria", family="binomial")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(method="laplace")
    out = model.predict(fit)
    rows, modes = _rows_of_first_levels(model, "ID", reference)
    beta = reference["fixef"]["estimate"]
    week = model.data["week"].to_numpy()[rows]
    expected = special.expit(beta["Intercept"] + beta["week"] * week + modes["Intercept"])
    np.testing.assert_allclose(out["estimate"].to_numpy()[rows], expected, atol=1e-4)
    p = out["estimate"].to_numpy()
    eta = model.predict(fit, kind="linear")
    np.testing.assert_allclose(out["se"], p * (1 - p) * eta["se"], rtol=1e-10)


def test_reml_prediction_equals_the_h_likelihood_one():
    """Gaussian: EQL is REML, so REML and h-likelihood fits predict the same rows."""
    model = bayesml.Model("Reaction ~ Days + (Days || Subject)", "sleepstudy")
    ml = model.predict(model.fit(method="laplace", reml=True), kind="linear")
    hlik = model.predict(model.fit(method="hlik", tol=1e-10), kind="linear")
    np.testing.assert_allclose(ml["estimate"], hlik["estimate"], rtol=1e-4)
    np.testing.assert_allclose(ml["se"], hlik["se"], rtol=1e-3)


@pytest.mark.parametrize("kind", ["linear", "mean"])
def test_new_levels_are_at_zero(kind):
    model = bayesml.Model("Reaction ~ Days + (Days | Subject)", "sleepstudy")
    fit = model.fit(method="laplace")
    new = model.data.iloc[[0, 1]].assign(Subject="new")
    out = model.predict(fit, new, kind=kind)
    population = model.predict(fit, new[["Days"]], kind=kind, include_random_effects=False)
    np.testing.assert_allclose(out.to_numpy(), population.to_numpy(), rtol=1e-12)
