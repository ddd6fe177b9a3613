"""An hglm user's first hour: the hglm vignette's seeds and semiconductor models, called as in
R's hglm, checked against the vignette's numbers (references.md; tight values in
tests/hlik/test_references.py), and their summaries say what was fitted."""

from __future__ import annotations

import numpy as np
import pytest

import bayesml


def test_seeds_with_beta_random_effects():
    seeds = bayesml.hglm(
        fixed="r/n ~ extract * I(seed == 'O73')",
        random="~ 1 | plate",
        data="seeds",
        family="binomial",
        random_family="beta",
        dispersion=1,
    )
    published = [-0.54240, 1.33916, 0.07651, -0.82567]
    np.testing.assert_allclose(seeds.fixef["estimate"].to_numpy(), published, atol=2e-3)
    assert seeds.lambda_values["plate"] == pytest.approx(0.02442, abs=5e-4)
    text = str(seeds.summary())
    assert "beta(logit)" in text
    assert seeds.cAIC == pytest.approx(110.55274, rel=2e-3)


def test_semiconductor_with_a_dispersion_model_and_what_eql1_does():
    semi = bayesml.hglm(
        "y ~ x1 + x3 + x5 + x6 + (1 | Device)",
        "semiconductor",
        family="gamma",
        link="log",
        dispersion_formula="~ x2 + x3",
    )
    published = [-4.71168, 0.20979, 0.32893, -0.17314, -0.35690]
    np.testing.assert_allclose(semi.fixef["estimate"].to_numpy(), published, atol=2e-3)
    np.testing.assert_allclose(semi.phi.coef["estimate"].to_numpy(), [-2.5887, -0.6861, -0.5024], atol=2e-3)
    assert "log-linear model with 3 coefficients" in repr(semi.phi)
    eql1 = bayesml.hglm(
        "y ~ x1 + x3 + x5 + x6 + (1 | Device)",
        "semiconductor",
        family="gamma",
        link="log",
        dispersion_formula="~ x2 + x3",
        estimation="EQL1",
    )
    np.testing.assert_allclose(eql1.fixef["estimate"], semi.fixef["estimate"], rtol=1e-8)
    assert any("HL(1,1)" in note or "EQL1" in note for note in eql1.notes)
