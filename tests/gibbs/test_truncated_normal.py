"""Truncated-normal draws against scipy's truncnorm: means and variances, far tails, both sides,
and intervals between two thresholds (the latent normals of an ordinal probit model)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from bayesml.backends.gibbs.truncated_normal import (
    log_normal_mass,
    standard_normal_above,
    standard_normal_between,
    truncated_normal,
    truncated_normal_between,
)
from bayesml.families.ordinal import log_interval_probability

N_DRAWS = 40_000
# means in SDs from the truncation point 0: deep inside the kept half-line, at it, and up to
# 40 SDs out in the cut-off half (the kept mass there is 10^-350: Φ underflows)
MEANS = [-40.0, -10.0, -3.0, -0.5, 0.0, 0.5, 3.0, 10.0]


def _mills_mean(a: float) -> float:
    """E[Z | Z > a] = φ(a)/Φ(−a), stable for large a through the scaled complementary erf."""
    return float(np.sqrt(2 / np.pi) / special.erfcx(a / np.sqrt(2)))


def _reference(mean: float, sd: float, positive: bool):
    lower, upper = (0.0, np.inf) if positive else (-np.inf, 0.0)
    return stats.truncnorm((lower - mean) / sd, (upper - mean) / sd, loc=mean, scale=sd)


@pytest.mark.parametrize("positive", [True, False], ids=["above-0", "below-0"])
@pytest.mark.parametrize("mean", MEANS)
def test_mean_and_variance_match_scipy(mean, positive):
    sd = 1.5
    # the same distance from the boundary on both sides: mirror the mean for the lower side
    location = mean * sd if positive else -mean * sd
    rng = np.random.default_rng(2024)
    draws = truncated_normal(np.full(N_DRAWS, location), np.full(N_DRAWS, positive), rng, sd=sd)
    assert np.all(draws > 0) if positive else np.all(draws < 0)
    reference = _reference(location, sd, positive)
    expected_mean, expected_var = float(reference.mean()), float(reference.var())
    if not np.isfinite(expected_mean):  # scipy gives up 40 SDs out: use the exact Mills ratio
        a = abs(location) / sd  # distance of the boundary in SDs
        excess = _mills_mean(a) - a  # E[Z | Z > a] − a
        expected_mean = (1 if positive else -1) * sd * excess
        expected_var = sd**2 * (1 + a * _mills_mean(a) - _mills_mean(a) ** 2)
    mcse = np.sqrt(expected_var / N_DRAWS)
    assert abs(draws.mean() - expected_mean) < 4 * mcse
    assert draws.var() == pytest.approx(expected_var, rel=0.05)


def test_draws_far_in_the_tail_stay_at_the_right_scale():
    """10 SDs past the boundary the excess over it is about Exponential(rate 10)."""
    draws = standard_normal_above(
        np.full(N_DRAWS, 10.0), np.random.default_rng(1).uniform(size=N_DRAWS)
    )
    excess = draws - 10.0
    assert np.all(excess >= 0)
    reference = stats.truncnorm(10.0, np.inf)
    assert excess.mean() == pytest.approx(reference.mean() - 10.0, rel=0.02)
    assert np.all(np.isfinite(draws))


def test_a_vector_of_different_means_and_sides_in_one_call():
    rng = np.random.default_rng(5)
    means = np.tile(np.array([-12.0, -2.0, 0.0, 2.0, 12.0]), 20_000)
    positive = np.tile(np.array([True, False]), means.size // 2)
    draws = truncated_normal(means, positive, rng)
    assert np.all((draws > 0) == positive)
    for mean in (-12.0, 0.0, 12.0):
        for side in (True, False):
            rows = (means == mean) & (positive == side)
            reference = _reference(mean, 1.0, side)
            mcse = np.sqrt(reference.var() / rows.sum())
            assert abs(draws[rows].mean() - reference.mean()) < 4 * mcse


def test_the_same_generator_state_gives_the_same_draws():
    means = np.linspace(-5, 5, 11)
    positive = means > 0
    first = truncated_normal(means, positive, np.random.default_rng(9))
    second = truncated_normal(means, positive, np.random.default_rng(9))
    np.testing.assert_array_equal(first, second)


def test_uniforms_of_one_give_the_truncation_point():
    draws = standard_normal_above([-3.0, 0.0, 20.0], [1.0, 1.0, 1.0])
    np.testing.assert_allclose(draws, [-3.0, 0.0, 20.0], rtol=1e-14, atol=1e-14)


# (lower, upper) in SDs from the mean: one-sided, straddling 0, narrow, and deep in either tail
INTERVALS = [
    (-np.inf, -1.0),
    (0.5, np.inf),
    (-1.0, 2.0),
    (-0.01, 0.02),
    (3.0, 3.5),
    (-8.0, -6.0),
    (6.0, 9.0),
    (-np.inf, np.inf),
]


@pytest.mark.parametrize(("lower", "upper"), INTERVALS)
def test_interval_draws_match_scipy(lower, upper):
    rng = np.random.default_rng(11)
    mean = 0.7
    draws = truncated_normal_between(
        np.full(N_DRAWS, mean), np.full(N_DRAWS, mean + lower), np.full(N_DRAWS, mean + upper), rng
    )
    assert np.all((draws >= mean + lower) & (draws <= mean + upper))
    reference = stats.truncnorm(lower, upper, loc=mean)
    mcse = np.sqrt(reference.var() / N_DRAWS)
    assert abs(draws.mean() - reference.mean()) < 4 * mcse
    assert draws.var() == pytest.approx(reference.var(), rel=0.05)


def test_interval_draws_are_the_inverse_cdf_of_the_uniforms():
    """Z = F⁻¹(V) for the truncated CDF F (F⁻¹(1 − V) for the intervals mirrored to the lower
    side, those with a + b > 0): scipy's truncnorm quantiles, either side of 0."""
    uniforms = np.array([0.01, 0.3, 0.5, 0.9, 0.999])
    for lower, upper in [(-2.0, 1.0), (1.0, 4.0), (-4.0, -1.0), (20.0, 21.0), (-21.0, -20.0)]:
        draws = standard_normal_between(lower, upper, uniforms)
        levels = 1.0 - uniforms if lower + upper > 0 else uniforms
        np.testing.assert_allclose(draws, stats.truncnorm(lower, upper).ppf(levels), rtol=1e-9)


def test_the_log_mass_of_an_interval_is_exact_in_the_tails():
    rng = np.random.default_rng(3)
    lower = rng.normal(0, 12, 2000)
    upper = lower + np.abs(rng.normal(0, 3, 2000))
    lower[:50], upper[50:100] = -np.inf, np.inf
    np.testing.assert_allclose(
        log_normal_mass(lower, upper), log_interval_probability("probit", lower, upper), rtol=1e-12
    )
    # 40 SDs out Φ underflows; log Φ(−40) = −804.608...
    assert log_normal_mass(40.0, np.inf) == pytest.approx(float(special.log_ndtr(-40.0)), rel=1e-14)
    assert log_normal_mass(-1.0, 1.0) == pytest.approx(np.log(stats.norm.cdf(1) - stats.norm.cdf(-1)))
