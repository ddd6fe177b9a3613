"""The zero-inflated and hurdle families' numpy maths: normalised densities, per-row zi/hu, exact
draws of the zero-truncated counts, E(y), and the checks of their responses."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from bayesml.errors import DataError, FamilyError
from bayesml.families import get_family
from bayesml.families.hurdle import log1mexp

ZERO_INFLATED = (
    "zero_inflated_poisson",
    "zero_inflated_negative_binomial",
    "zero_inflated_binomial",
)
HURDLE_COUNTS = ("hurdle_poisson", "hurdle_negative_binomial")
HURDLE_CONTINUOUS = ("hurdle_gamma", "hurdle_lognormal")

# family -> (μ of two rows, the other parameters, trials)
ROWS = {
    "zero_inflated_poisson": ([0.4, 6.0], {}, None),
    "zero_inflated_negative_binomial": ([0.4, 6.0], {"alpha": 1.7}, None),
    "zero_inflated_binomial": ([0.1, 0.8], {}, [4, 12]),
    "hurdle_poisson": ([0.4, 6.0], {}, None),
    "hurdle_negative_binomial": ([0.4, 6.0], {"alpha": 1.7}, None),
    "hurdle_gamma": ([0.4, 6.0], {"alpha": 2.5}, None),
    "hurdle_lognormal": ([-0.5, 1.2], {"sigma": 0.6}, None),
}


def _zero_name(family_name: str) -> str:
    return "zi" if family_name.startswith("zero_inflated") else "hu"


@pytest.mark.parametrize("name", ZERO_INFLATED + HURDLE_COUNTS)
def test_count_probabilities_sum_to_one(name):
    mu, params, trials = ROWS[name]
    family = get_family(name)
    y = np.arange(400.0)[:, None]
    n = None if trials is None else np.broadcast_to(trials, (400, 2))
    y = np.minimum(y, n) if n is not None else y
    probabilities = np.exp(
        family.log_likelihood(y, mu, {**params, _zero_name(name): 0.3}, trials=n)
    )
    if n is not None:  # y was clipped at n: count each support point once
        probabilities = np.where(np.arange(400)[:, None] <= n, probabilities, 0.0)
    np.testing.assert_allclose(probabilities.sum(axis=0), 1.0, rtol=1e-10)


@pytest.mark.parametrize("name", HURDLE_CONTINUOUS)
def test_continuous_hurdles_put_hu_at_zero_and_the_rest_above(name):
    (mu, _), params, _ = ROWS[name]
    family = get_family(name)
    params = {**params, "hu": 0.3}
    at_zero = np.exp(family.log_likelihood([0.0], [mu], params))[0]
    density = lambda y: np.exp(family.log_likelihood([y], [mu], params))[0]  # noqa: E731
    above, _ = integrate.quad(density, 0.0, np.inf, limit=200)
    assert at_zero == pytest.approx(0.3, rel=1e-12)
    assert above == pytest.approx(0.7, rel=1e-7)


@pytest.mark.parametrize("name", list(ROWS))
def test_a_zero_probability_per_row_is_the_rows_own_value(name):
    """A per-row zi/hu (what a formula for it gives) broadcasts like any parameter, against a
    chain × draw × row array of means too."""
    mu, params, trials = ROWS[name]
    family = get_family(name)
    zero = _zero_name(name)
    y = [0.0, 3.0] if not name.endswith(("gamma", "lognormal")) else [0.0, 2.5]
    per_row = family.log_likelihood(y, mu, {**params, zero: [0.2, 0.7]}, trials=trials)
    for row, value in enumerate((0.2, 0.7)):
        one = family.log_likelihood(y, mu, {**params, zero: value}, trials=trials)[row]
        assert per_row[row] == pytest.approx(one, rel=1e-13)
    draws_shaped = family.log_likelihood(
        y, np.broadcast_to(mu, (2, 3, 2)), {**params, zero: np.full((2, 3, 2), [0.2, 0.7])},
        trials=trials,
    )  # fmt: skip
    np.testing.assert_allclose(draws_shaped, np.broadcast_to(per_row, (2, 3, 2)), rtol=1e-13)
    mean = family.expected_response(mu, {**params, zero: [0.2, 0.7]})
    for row, value in enumerate((0.2, 0.7)):
        assert mean[row] == pytest.approx(
            family.expected_response(mu, {**params, zero: value})[row]
        )
    rng = np.random.default_rng(7)
    draws = family.draw(
        rng,
        np.broadcast_to(mu, (20_000, 2)),
        {**params, zero: [0.05, 0.9]},
        trials=None if trials is None else np.broadcast_to(trials, (20_000, 2)),
    )
    zeros = (draws == 0).mean(axis=0)
    assert zeros[1] > 0.85 and zeros[0] < zeros[1]


@pytest.mark.parametrize("name", list(ROWS))
def test_expected_response_is_the_mean_of_the_distribution(name):
    """E(y) against the distribution itself: a sum over the counts, an integral otherwise."""
    mu, params, trials = ROWS[name]
    family = get_family(name)
    params = {**params, _zero_name(name): 0.35}
    expected = family.expected_response(mu, params)
    for row, m in enumerate(mu):
        if name in HURDLE_CONTINUOUS:
            density = lambda y, m=m: y * np.exp(family.log_likelihood([y], [m], params))[0]  # noqa: E731
            mean, _ = integrate.quad(density, 0.0, np.inf, limit=200)
        else:
            y = np.arange(0.0, 400.0 if trials is None else trials[row] + 1)
            n = None if trials is None else np.full(y.size, trials[row])
            mean = np.sum(
                y * np.exp(family.log_likelihood(y, np.full(y.size, m), params, trials=n))
            )
            mean /= 1.0 if trials is None else trials[row]  # E(y) per trial for the binomial
        assert expected[row] == pytest.approx(mean, rel=1e-7)


def test_the_hurdle_and_zero_inflated_means_have_the_documented_forms():
    mu = np.array([0.5, 3.0])
    assert get_family("zero_inflated_poisson").expected_response(mu, {"zi": 0.25}) == pytest.approx(
        0.75 * mu
    )
    hurdle = get_family("hurdle_poisson").expected_response(mu, {"hu": 0.25})
    np.testing.assert_allclose(hurdle, 0.75 * mu / (1 - np.exp(-mu)), rtol=1e-14)
    nb = get_family("hurdle_negative_binomial").expected_response(mu, {"alpha": 2.0, "hu": 0.25})
    np.testing.assert_allclose(nb, 0.75 * mu / (1 - (2.0 / (2.0 + mu)) ** 2.0), rtol=1e-14)
    gamma = get_family("hurdle_gamma").expected_response(mu, {"alpha": 2.0, "hu": 0.25})
    np.testing.assert_allclose(gamma, 0.75 * mu, rtol=1e-14)
    lognormal = get_family("hurdle_lognormal").expected_response(mu, {"sigma": 0.5, "hu": 0.25})
    np.testing.assert_allclose(lognormal, 0.75 * np.exp(mu + 0.125), rtol=1e-14)


@pytest.mark.parametrize(
    ("name", "mu", "params"),
    [
        ("hurdle_poisson", 0.02, {}),  # P₀ ≈ 0.98: the positive part is almost always 1
        ("hurdle_poisson", 3.0, {}),
        ("hurdle_negative_binomial", 0.05, {"alpha": 0.2}),  # P₀ ≈ 0.97: the inverse-CDF path
        ("hurdle_negative_binomial", 2.0, {"alpha": 1.5}),  # the rejection path
    ],
)
def test_positive_draws_follow_the_zero_truncated_distribution(name, mu, params):
    family = get_family(name)
    rng = np.random.default_rng(2026)
    n = 40_000
    draws = family.draw(rng, np.full(n, mu), {**params, "hu": 1e-9})
    assert (draws >= 1).all() and (draws == np.floor(draws)).all()
    support = np.arange(1.0, 300.0)
    expected = n * np.exp(
        family.log_likelihood(support, np.full(support.size, mu), {**params, "hu": 1e-9})
    )
    # cells 1, 2, ... while each expects at least 5 draws, then one cell for the rest
    cut = int(np.argmax(expected < 5)) if (expected < 5).any() else support.size
    if n - expected[:cut].sum() < 5:
        cut -= 1
    observed = np.append([(draws == k).sum() for k in support[:cut]], (draws >= support[cut]).sum())
    expected = np.append(expected[:cut], n - expected[:cut].sum())
    statistic = np.sum((observed - expected) ** 2 / expected)
    assert stats.chi2.sf(statistic, observed.size - 1) > 1e-4, (observed, expected)


def test_draws_keep_their_seed():
    family = get_family("hurdle_negative_binomial")
    mu, params = np.full(500, 0.1), {"alpha": 0.3, "hu": 0.4}
    first = family.draw(np.random.default_rng(5), mu, params)
    again = family.draw(np.random.default_rng(5), mu, params)
    np.testing.assert_array_equal(first, again)


def test_log1mexp_is_accurate_at_both_ends():
    # near 0: log(−x) + x/2 + x²/24; in the tail: −eˣ − e²ˣ/2 (both exact to double precision)
    small = np.array([-1e-20, -1e-9, -1e-5])
    np.testing.assert_allclose(
        log1mexp(small), np.log(-small) + small / 2 + small**2 / 24, rtol=1e-15
    )
    large = np.array([-40.0, -50.0, -700.0])
    np.testing.assert_allclose(log1mexp(large), -np.exp(large) - np.exp(2 * large) / 2, rtol=1e-15)
    middle = np.array([-0.5, -5.0])
    np.testing.assert_allclose(log1mexp(middle), np.log(1 - np.exp(middle)), rtol=1e-14)


def test_hurdle_lognormal_default_priors_come_from_the_positive_rows():
    family = get_family("hurdle_lognormal")
    np.testing.assert_allclose(family.prior_response([0.0, np.e, 1.0, 0.0]), [1.0, 0.0])


@pytest.mark.parametrize(
    ("name", "y", "trials", "pattern"),
    [
        ("zero_inflated_poisson", [0, -2, 3], None,
         r"^response 'count' must be non-negative integer counts for family "
         r"'zero_inflated_poisson'; got -2 in 1 row \(row position 1\)$"),
        ("hurdle_negative_binomial", [0, 1.5, 3], None,
         r"^response 'count' must be non-negative integer counts for family "
         r"'hurdle_negative_binomial'; got 1\.5 in 1 row \(row position 1\)$"),
        ("hurdle_gamma", [0.0, -0.3, 2.0, -1.0], None,
         r"^response 'count' must be non-negative \(y >= 0\) for family 'hurdle_gamma'; got "
         r"-0\.3, -1 in 2 rows \(row positions 1, 3\)$"),
        ("hurdle_lognormal", [0.0, np.inf], None,
         r"^response 'count' must be finite numbers \(no NaN or inf\); got inf"),
        ("zero_inflated_binomial", [0, 5], [3, 3],
         r"^response 'count' counts successes, which must not exceed the trials; got 5 of 3"),
        ("zero_inflated_binomial", [0, 1], None,
         r"^family 'zero_inflated_binomial' needs the number of trials for response 'count'"),
    ],
)  # fmt: skip
def test_responses_are_checked(name, y, trials, pattern):
    with pytest.raises(DataError, match=pattern):
        get_family(name).validate_response(y, trials=trials, name="count")


def test_zeros_are_valid_for_every_new_family():
    for name in ROWS:
        trials = [2, 2] if name == "zero_inflated_binomial" else None
        get_family(name).validate_response([0.0, 1.0], trials=trials, name="y")


@pytest.mark.parametrize("value", [0.0, 1.0, 1.5, -0.1])
def test_the_zero_probability_must_lie_strictly_inside_the_unit_interval(value):
    with pytest.raises(
        FamilyError,
        match=r"^auxiliary parameter 'zi' of family 'zero_inflated_poisson' must be strictly "
        r"between 0 and 1; got",
    ):
        get_family("zero_inflated_poisson").log_likelihood([0.0], [1.0], {"zi": value})
