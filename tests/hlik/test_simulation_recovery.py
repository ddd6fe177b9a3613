"""Simulation recovery: over repeated seeded simulations the estimates centre on the truth.

40 data sets of 40 groups × 10 rows per model: a Gaussian LMM, a Poisson–gamma HGLM and a
binomial (10 trials) GLMM. The mean of the fixed-effect estimates lies within 3 Monte Carlo
standard errors (and half a typical SE) of the truth, the SEs match the spread of the estimates,
and λ is recovered (EQL shrinks the binomial λ a little).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayesml import hglm

REPLICATES = 40
GROUPS, PER_GROUP = 40, 10


def _lmm(rng, g, x):
    y = 1.0 + 0.5 * x + rng.normal(0, np.sqrt(0.5), GROUPS)[g] + rng.normal(0, 1, g.size)
    return hglm("y ~ x + (1 | g)", pd.DataFrame({"y": y, "x": x, "g": g.astype(str)}))


def _poisson_gamma(rng, g, x):
    u = rng.gamma(1 / 0.3, 0.3, GROUPS)  # mean 1, variance 0.3
    y = rng.poisson(np.exp(0.5 + 0.3 * x) * u[g])
    frame = pd.DataFrame({"y": y, "x": x, "g": g.astype(str)})
    return hglm("y ~ x + (1 | g)", frame, family="poisson", random_family="gamma", dispersion=1)


def _binomial(rng, g, x):
    eta = -0.5 + 0.8 * x + rng.normal(0, np.sqrt(0.5), GROUPS)[g]
    s = rng.binomial(10, 1 / (1 + np.exp(-eta)))
    frame = pd.DataFrame({"s": s, "f": 10 - s, "x": x, "g": g.astype(str)})
    return hglm("cbind(s, f) ~ x + (1 | g)", frame, family="binomial", dispersion=1)


MODELS = {
    # name: (simulate-and-fit, true β, true λ, allowed relative bias of λ beyond Monte Carlo error)
    "gaussian LMM": (_lmm, [1.0, 0.5], 0.5, 0.0),
    "poisson-gamma": (_poisson_gamma, [0.5, 0.3], 0.3, 0.0),
    "binomial GLMM": (_binomial, [-0.5, 0.8], 0.5, 0.10),  # EQL's shrinkage for binomial data
}


@pytest.fixture(scope="module", params=list(MODELS))
def replicates(request):
    fit_one, beta, lam, lam_tolerance = MODELS[request.param]
    rng = np.random.default_rng(20240607)
    g = np.repeat(np.arange(GROUPS), PER_GROUP)
    fits = [fit_one(rng, g, rng.normal(size=g.size)) for _ in range(REPLICATES)]
    assert all(fit.converged for fit in fits)
    estimates = np.array([fit.fixef["estimate"].to_numpy() for fit in fits])
    ses = np.array([fit.fixef["se"].to_numpy() for fit in fits])
    lambdas = np.array([fit.lambda_values["g"] for fit in fits])
    return np.array(beta), lam, lam_tolerance, estimates, ses, lambdas


def test_fixed_effects_centre_on_the_truth(replicates):
    beta, _, _, estimates, ses, _ = replicates
    bias = estimates.mean(axis=0) - beta
    monte_carlo_se = estimates.std(axis=0, ddof=1) / np.sqrt(REPLICATES)
    assert np.all(np.abs(bias) < 3 * monte_carlo_se)
    assert np.all(np.abs(bias) < ses.mean(axis=0) / 2)


def test_standard_errors_match_the_spread(replicates):
    _, _, _, estimates, ses, _ = replicates
    ratio = estimates.std(axis=0, ddof=1) / ses.mean(axis=0)
    assert np.all((ratio > 0.75) & (ratio < 1.33))


def test_lambda_is_recovered(replicates):
    _, lam, tolerance, _, _, lambdas = replicates
    monte_carlo_se = lambdas.std(ddof=1) / np.sqrt(REPLICATES)
    assert abs(lambdas.mean() - lam) < 3 * monte_carlo_se + tolerance * lam
