"""Gaussian mixed models against lme4's REML fits: sleepstudy (published values) and radon (from
the spec file models/radon.yaml).

The REML reference is recomputed here (tests/model/_reference.py) and must reproduce lme4's
published sleepstudy numbers, which validates it for radon, where no published numbers come
with the bundled data. The Bayesian fits use proper priors, so they agree with REML only loosely:
posterior medians within one posterior SD for the fixed effects (and within two for the
variance parameters).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import bayesml

from ._reference import lmm_reml
from ._sampling import sample_recording

RADON_SPEC = Path(__file__).resolve().parents[2] / "models" / "radon.yaml"
LME4_SLEEPSTUDY = {"beta": [251.405, 10.467], "sd": [24.74, 5.92], "corr": 0.07, "sigma": 25.59}


def reml(name, response, slope, group):
    data = bayesml.datasets.load(name)
    X = np.column_stack([np.ones(len(data)), data[slope].to_numpy(float)])
    return lmm_reml(data[response].to_numpy(float), X, X, data[group].to_numpy())


def test_reml_reference_reproduces_lme4_on_sleepstudy():
    fit = reml("sleepstudy", "Reaction", "Days", "Subject")
    np.testing.assert_allclose(fit.beta, LME4_SLEEPSTUDY["beta"], atol=5e-4)
    np.testing.assert_allclose(fit.sd, LME4_SLEEPSTUDY["sd"], atol=5e-3)
    assert fit.corr == pytest.approx(LME4_SLEEPSTUDY["corr"], abs=5e-3)
    assert fit.sigma == pytest.approx(LME4_SLEEPSTUDY["sigma"], abs=5e-3)


def assert_close_to_reml(result, group, reference):
    posterior = result["posterior"]

    def median_and_sd(draws):
        return draws.median(("chain", "draw")).values, draws.std(("chain", "draw")).values

    median, sd = median_and_sd(posterior["beta"])
    np.testing.assert_array_less(np.abs(median - reference.beta), sd)
    median, sd = median_and_sd(posterior[f"sd_{group}"])
    np.testing.assert_array_less(np.abs(median - reference.sd), 2 * sd)
    corr = posterior[f"corr_{group}"].isel({f"{group}__term": 0, f"{group}__term_bis": 1})
    median, sd = median_and_sd(corr)
    assert abs(median - reference.corr) < 2 * sd
    median, sd = median_and_sd(posterior["sigma"])
    assert abs(median - reference.sigma) < 2 * sd


@pytest.mark.slow
def test_sleepstudy_with_default_priors_is_close_to_lme4():
    model = bayesml.Model("Reaction ~ Days + (Days | Subject)", "sleepstudy")
    result, warned = sample_recording(
        model, draws=1000, tune=1000, chains=4, random_seed=2, log_prior=False
    )
    # no R-hat or ESS warnings; a stray divergence (1 in 4000 draws at some seeds, depending even
    # on whether numba's cache is warm, which changes the floating-point path) is tolerated, more
    # would mean the default priors give a hard geometry
    assert [message for message in warned if "diverged" not in message] == []
    assert int(result["sample_stats"]["diverging"].sum()) <= 2
    reference = reml("sleepstudy", "Reaction", "Days", "Subject")
    assert_close_to_reml(result, "Subject", reference)


@pytest.mark.slow
def test_radon_spec_fits_close_to_reml_and_records_its_spec():
    model = bayesml.Model.from_spec(RADON_SPEC)
    result, warned = sample_recording(
        model, draws=1000, tune=1000, chains=4, random_seed=4, log_prior=False
    )
    assert warned == []
    assert_close_to_reml(result, "county", reml("radon", "log_radon", "floor", "county"))
    # the result carries its spec: rebuilding the model from it gives the same description
    stored = bayesml.ModelSpec.from_yaml(result.attrs["bayesml_spec"])
    assert bayesml.Model.from_spec(stored).describe() == model.describe()
