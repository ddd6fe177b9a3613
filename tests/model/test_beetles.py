"""Bliss's beetles with flat priors against maximum likelihood and the exact posterior.

With flat priors the posterior is the normalised likelihood. Three references, all computed here
(tests/model/_reference.py), none from bayesml:

* the maximum likelihood fit by IRLS, which must reproduce the published logit fit
  α = −60.72, β = 34.27;
* the exact posterior mean and SD by quadrature on a fine grid;
* closeness of the posterior mean to the MLE. The likelihood is skewed, so under flat priors the
  posterior mean is *not* the MLE: quadrature puts it 0.12 (logit), 0.07 (probit) and 0.10
  (cloglog) posterior SDs away. The sampled mean is therefore checked against the quadrature
  mean within 4 MCSE, and against the MLE within 0.2 posterior SD.

The intercept and slope have posterior correlation −0.999; nutpie's low-rank mass matrix
adaptation (``sampler_kwargs``) gives an ESS of several thousand, so the MCSE is about 0.01 SD.
"""

from __future__ import annotations

import numpy as np
import pytest

import bayesml

from ._reference import binomial_loglik, binomial_mle, grid_medians_2d, grid_posterior_2d
from ._sampling import mcse, sample_recording

FLAT = {"intercept": {"dist": "flat"}, "fixed": {"dist": "flat"}}
LINKS = [
    "logit",
    pytest.param("probit", marks=pytest.mark.slow),
    pytest.param("cloglog", marks=pytest.mark.slow),
]


def beetle_arrays():
    data = bayesml.datasets.load("beetles")
    X = np.column_stack([np.ones(len(data)), data["dose"].to_numpy(float)])
    return X, data["killed"].to_numpy(float), data["n"].to_numpy(float)


def test_irls_reproduces_the_published_logit_fit():
    X, y, n = beetle_arrays()
    beta, _ = binomial_mle(X, y, n, "logit", start=np.zeros(2))
    np.testing.assert_allclose(beta, [-60.72, 34.27], atol=0.005)


@pytest.fixture(scope="module", params=LINKS)
def beetles(request):
    link = request.param
    X, y, n = beetle_arrays()
    mle, cov = binomial_mle(X, y, n, link, start=np.array([-35.0, 20.0]))
    log_density = lambda b: binomial_loglik(b, X, y, n, link)  # noqa: E731
    exact_mean, exact_sd = grid_posterior_2d(log_density, mle, cov)
    exact_median = grid_medians_2d(log_density, mle, cov)
    model = bayesml.Model(
        "cbind(killed, n - killed) ~ dose", "beetles", family="binomial", link=link, priors=FLAT
    )
    result, warned = sample_recording(
        model,
        draws=2000,
        tune=1000,
        chains=4,
        random_seed=3,
        log_prior=False,
        sampler_kwargs={"sampler": "nutpie", "nuts": {"adaptation": "low_rank"}},
    )
    return {
        "result": result,
        "warned": warned,
        "mle": mle,
        "mean": exact_mean,
        "sd": exact_sd,
        "median": exact_median,
    }


def test_flat_prior_fit_samples_cleanly_with_enough_ess(beetles):
    import arviz_stats

    assert beetles["warned"] == []
    ess = np.asarray(arviz_stats.ess(beetles["result"]["posterior"]["beta"]))
    assert np.all(ess > 1000)


def test_posterior_mean_and_sd_match_quadrature(beetles):
    beta = beetles["result"]["posterior"]["beta"]
    mean = beta.mean(("chain", "draw")).values
    sd = beta.std(("chain", "draw")).values
    assert np.all(np.abs(mean - beetles["mean"]) < 4 * mcse(beta))
    np.testing.assert_allclose(sd, beetles["sd"], rtol=0.10)


def test_posterior_mean_is_close_to_the_mle(beetles):
    beta = beetles["result"]["posterior"]["beta"]
    mean = beta.mean(("chain", "draw")).values
    sd = beta.std(("chain", "draw")).values
    # the exact offset of the mean from the MLE (skewness), then the sampled one
    assert np.all(np.abs(beetles["mean"] - beetles["mle"]) < 0.15 * beetles["sd"])
    assert np.all(np.abs(mean - beetles["mle"]) < 0.2 * sd)


def test_posterior_median_is_within_a_tenth_of_an_sd_of_the_mle(beetles):
    """The issue's check, on the median: under flat priors the mean sits 0.07–0.12 SD from the MLE
    because the likelihood is skewed (see the module docstring), the median nearer the mode —
    0.089 SD (logit), 0.056 (probit), 0.074 (cloglog) by quadrature. That exact median is within
    0.1 SD of the MLE; the sampled one is checked against it within 4 MCSE (its Monte Carlo
    error, ~0.02 SD, is larger than the logit case's 0.011 SD margin to the 0.1 bound)."""
    beta = beetles["result"]["posterior"]["beta"]
    median = beta.median(("chain", "draw")).values
    assert np.all(np.abs(beetles["median"] - beetles["mle"]) < 0.1 * beetles["sd"])
    assert np.all(np.abs(median - beetles["median"]) < 4 * mcse(beta, method="median"))
