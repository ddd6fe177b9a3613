"""Counts drawn at means numpy's samplers refuse (prior predictive draws under vague priors on the
log scale reach e^40): the normal approximation of the Poisson, the gamma-Poisson mixture of the
negative binomial; numpy's own draws, unchanged, below the threshold."""

from __future__ import annotations

import numpy as np
import pytest

from bayesml.families import get_family
from bayesml.families.counts import LARGE_MEAN, poisson_draws


def test_below_the_threshold_the_draws_are_numpys():
    mu = np.array([0.5, 3.0, 1e6, 1e14])
    np.testing.assert_array_equal(
        poisson_draws(np.random.default_rng(1), mu), np.random.default_rng(1).poisson(mu)
    )
    nb = get_family("negative_binomial")
    alpha = np.full(mu.size, 2.0)
    np.testing.assert_array_equal(
        nb.draw(np.random.default_rng(2), mu, {"alpha": 2.0}),
        np.random.default_rng(2).negative_binomial(alpha, alpha / (alpha + mu)),
    )


@pytest.mark.parametrize("family", ["poisson", "negative_binomial"])
def test_huge_and_infinite_means(family):
    mu = np.array([2.0, 1e19, 1e30, np.inf])
    params = {"alpha": 5.0} if family == "negative_binomial" else None
    draws = get_family(family).draw(np.random.default_rng(3), mu, params)
    assert draws[0] == np.floor(draws[0]) and draws[0] >= 0
    assert draws[3] == np.inf
    if family == "poisson":  # sd √μ: relative error below 1e-8
        np.testing.assert_allclose(draws[1:3], mu[1:3], rtol=1e-8)
    else:  # gamma(5, μ/5) mixing: within a factor 10 with overwhelming probability
        assert np.all((draws[1:3] > mu[1:3] / 10) & (draws[1:3] < mu[1:3] * 10))


def test_normal_approximation_moments():
    rng = np.random.default_rng(4)
    draws = poisson_draws(rng, np.full(20_000, 4 * LARGE_MEAN))
    mean, sd = 4 * LARGE_MEAN, np.sqrt(4 * LARGE_MEAN)
    assert abs(draws.mean() - mean) < 4 * sd / np.sqrt(draws.size)
    assert draws.std() == pytest.approx(sd, rel=0.03)
    assert np.all(draws == np.round(draws))
