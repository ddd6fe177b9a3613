"""Gaussian models against exact posteriors.

* Known mean (``y ~ 0 + offset(m)``) with σ² ~ scaled-inv-χ²(ν, s²): the posterior of σ² is
  inverse-gamma (conjugate; BDA3 §2.6), so every quantile of σ is known exactly. This also checks
  the σ-scale parameterisation of priors given on σ² (density and Jacobian) and a model without
  fixed effects.
* ``y ~ 1`` with an informative normal prior on the intercept and a half-normal prior on σ: μ is
  integrated out in closed form and σ by adaptive quadrature (tests/model/_reference.py).

Posterior means must agree within 4 Monte Carlo standard errors and SDs within 10 %.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special

import bayesml

from ._reference import normal_mean_posterior, sigma_known_mean_posterior
from ._sampling import flat, mcse, sample_recording

RUN = {"draws": 2000, "tune": 1000, "chains": 4}


@pytest.fixture(scope="module")
def known_mean():
    rng = np.random.default_rng(20240601)
    data = pd.DataFrame({"y": rng.normal(1.5, 2.0, 30), "m": 1.5})
    nu, s = 4.0, 1.0
    model = bayesml.Model(
        "y ~ 0 + offset(m)", data, priors={"sigma": {"dist": "scaled_inv_chi2", "nu": nu, "s": s}}
    )
    result, warned = sample_recording(model, random_seed=5, **RUN)
    reference = sigma_known_mean_posterior(data["y"] - data["m"], nu, s)
    return result, warned, reference


def test_known_mean_fit_samples_cleanly(known_mean):
    result, warned, _ = known_mean
    assert warned == []
    assert set(result["posterior"].data_vars) == {"sigma"}


def test_sigma_with_known_mean_matches_the_conjugate_posterior(known_mean):
    result, _, variance_posterior = known_mean
    sigma = result["posterior"]["sigma"]
    a, scale = variance_posterior.kwds["a"], variance_posterior.kwds["scale"]
    # E[σ] and E[σ²] of σ² ~ Inv-Gamma(a, scale)
    mean = np.sqrt(scale) * np.exp(special.gammaln(a - 0.5) - special.gammaln(a))
    sd = np.sqrt(scale / (a - 1) - mean**2)
    assert abs(flat(sigma).mean() - mean) < 4 * mcse(sigma)
    assert flat(sigma).std() == pytest.approx(sd, rel=0.10)


@pytest.mark.parametrize("prob", [0.05, 0.5, 0.95])
def test_sigma_quantiles_with_known_mean(known_mean, prob):
    result, _, variance_posterior = known_mean
    sigma = result["posterior"]["sigma"]
    exact = np.sqrt(variance_posterior.ppf(prob))
    assert abs(np.quantile(flat(sigma), prob) - exact) < 4 * mcse(sigma, "quantile", prob)


@pytest.fixture(scope="module")
def unknown_mean():
    rng = np.random.default_rng(17)
    data = pd.DataFrame({"y": rng.normal(1.0, 2.0, 50)})
    # an informative prior on μ (it pulls the mean from ȳ ≈ 1 towards 0) and on σ
    m0, s0, tau = 0.0, 0.5, 1.5
    model = bayesml.Model(
        "y ~ 1",
        data,
        priors={
            "intercept": {"dist": "normal", "mu": m0, "sigma": s0},
            "sigma": {"dist": "half_normal", "sigma": tau},
        },
    )
    result, warned = sample_recording(model, random_seed=8, **RUN)
    return result, warned, normal_mean_posterior(data["y"].to_numpy(), m0, s0, tau)


def test_unknown_mean_fit_samples_cleanly(unknown_mean):
    _, warned, _ = unknown_mean
    assert warned == []


@pytest.mark.parametrize("parameter", ["mu", "sigma"])
def test_normal_model_matches_quadrature_posterior(unknown_mean, parameter):
    result, _, reference = unknown_mean
    posterior = result["posterior"]
    draws = posterior["beta"].sel(coef="Intercept") if parameter == "mu" else posterior["sigma"]
    assert abs(flat(draws).mean() - reference.mean[parameter]) < 4 * mcse(draws)
    assert flat(draws).std() == pytest.approx(reference.sd[parameter], rel=0.10)


def test_prior_on_the_intercept_is_in_force(unknown_mean):
    """The reference posterior mean sits well away from ȳ, so an ignored prior would be caught."""
    result, _, reference = unknown_mean
    ybar = float(result["observed_data"]["y"].mean())
    assert ybar - reference.mean["mu"] > 5 * mcse(result["posterior"]["beta"].sel(coef="Intercept"))
