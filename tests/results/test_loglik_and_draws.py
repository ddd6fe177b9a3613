"""The numpy log-likelihoods must equal the PyMC likelihoods' logp (same parameterisation), and the
response draws must have the family's mean and variance."""

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import pytest

from bayesml.backends.pymc.likelihoods import LIKELIHOODS, add_likelihood
from bayesml.families import FAMILIES, get_family
from bayesml.results.loglik import pointwise_log_likelihood

# family, link, y, eta, aux, trials, weights
CASES = {
    "gaussian": ("identity", [0.3, -1.2, 2.0], [0.1, -0.5, 1.0], {"sigma": 0.7}, None, None),
    "gaussian_weighted": ("identity", [0.3, -1.2, 2.0], [0.1, -0.5, 1.0], {"sigma": 0.7}, None, [1.0, 2.0, 4.0]),
    "student_t": ("identity", [0.3, -1.2, 2.0], [0.1, -0.5, 1.0], {"sigma": 0.7, "nu": 4.0}, None, None),
    "lognormal": ("identity", [0.3, 1.2, 7.0], [0.1, -0.5, 1.0], {"sigma": 0.7}, None, None),
    "bernoulli": ("logit", [0, 1, 1], [0.2, -1.0, 2.5], {}, None, None),
    "binomial": ("probit", [3, 0, 7], [0.2, -1.0, 1.5], {}, [5, 4, 9], None),
    "poisson": ("log", [0, 3, 12], [0.2, 1.0, 2.3], {}, None, None),
    "negative_binomial": ("log", [0, 3, 12], [0.2, 1.0, 2.3], {"alpha": 2.5}, None, None),
    "gamma": ("log", [0.5, 2.0, 7.0], [0.2, 1.0, 1.5], {"alpha": 3.0}, None, None),
    "beta": ("logit", [0.2, 0.5, 0.9], [-1.0, 0.3, 1.5], {"kappa": 8.0}, None, None),
    "zero_inflated_poisson": ("log", [0, 3, 12], [0.2, 1.0, 2.3], {"zi": 0.3}, None, None),
    "zero_inflated_negative_binomial": ("log", [0, 3, 12], [0.2, 1.0, 2.3], {"alpha": 2.5, "zi": 0.3}, None, None),
    "zero_inflated_binomial": ("probit", [0, 0, 7], [0.2, -1.0, 1.5], {"zi": 0.2}, [5, 4, 9], None),
    "hurdle_poisson": ("log", [0, 3, 12], [0.2, 1.0, 2.3], {"hu": 0.4}, None, None),
    "hurdle_negative_binomial": ("log", [0, 3, 12], [0.2, 1.0, 2.3], {"alpha": 2.5, "hu": 0.4}, None, None),
    "hurdle_gamma": ("log", [0.0, 2.0, 7.0], [0.2, 1.0, 1.5], {"alpha": 3.0, "hu": 0.4}, None, None),
    "hurdle_lognormal": ("identity", [0.3, 0.0, 7.0], [0.1, -0.5, 1.0], {"sigma": 0.7, "hu": 0.4}, None, None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_numpy_loglik_equals_pymc_logp(case):
    family_name = case.removesuffix("_weighted")
    link, y, eta, aux, trials, weights = CASES[case]
    family = get_family(family_name, link)
    y = np.array(y, dtype=float)
    eta = np.array(eta)
    trials = None if trials is None else np.array(trials)
    weights = None if weights is None else np.array(weights)
    with pm.Model() as model:
        aux_inputs = {name: pt.dscalar(name) for name in aux}
        eta_input = pt.dvector("eta")
        add_likelihood(
            family, name="y", eta=eta_input, observed=y, aux=aux_inputs, trials=trials, weights=weights
        )
    observed = model.observed_RVs[0]
    logp = model.logp(vars=[observed], sum=False)[0]
    expected = logp.eval({eta_input: eta, **{aux_inputs[k]: v for k, v in aux.items()}})
    got = pointwise_log_likelihood(
        family_name, y, family.link.inverse(eta), aux, trials=trials, weights=weights
    )
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-10)


def _hurdle_moments(mu, hu, second_moment, zero_probability, **aux):
    """(mu, aux, trials, mean, variance) of a hurdle count family from the untruncated family's
    E(y²) and P(y = 0)."""
    positive = 1.0 - zero_probability
    mean = (1.0 - hu) * mu / positive
    return mu, {**aux, "hu": hu}, None, mean, (1.0 - hu) * second_moment / positive - mean**2


MOMENTS = {
    # family: (mu, aux, trials, mean, variance)
    "gaussian": (1.5, {"sigma": 2.0}, None, 1.5, 4.0),
    "student_t": (1.5, {"sigma": 2.0, "nu": 5.0}, None, 1.5, 4.0 * 5 / 3),
    # exp(μ + σ²/2) and (exp(σ²) − 1) exp(2μ + σ²)
    "lognormal": (0.5, {"sigma": 0.4}, None, np.exp(0.58), np.expm1(0.16) * np.exp(1.16)),
    "bernoulli": (0.3, {}, None, 0.3, 0.21),
    "binomial": (0.3, {}, 10, 3.0, 2.1),
    "poisson": (4.0, {}, None, 4.0, 4.0),
    "negative_binomial": (4.0, {"alpha": 2.0}, None, 4.0, 4.0 + 16.0 / 2.0),
    "gamma": (4.0, {"alpha": 2.0}, None, 4.0, 16.0 / 2.0),
    "beta": (0.3, {"kappa": 9.0}, None, 0.3, 0.21 / 10.0),
    # zero-inflated: mixture of 0 and the count part, E = (1 − zi)μ, Var = (1 − zi)(v + μ²) − E²
    "zero_inflated_poisson": (4.0, {"zi": 0.3}, None, 0.7 * 4.0, 0.7 * (4.0 + 16.0) - 2.8**2),
    "zero_inflated_negative_binomial": (
        4.0, {"alpha": 2.0, "zi": 0.3}, None, 2.8, 0.7 * (4.0 + 8.0 + 16.0) - 2.8**2
    ),
    "zero_inflated_binomial": (
        0.3, {"zi": 0.25}, 10, 0.75 * 3.0, 0.75 * (2.1 + 9.0) - 2.25**2
    ),
    # hurdle counts: E = (1 − hu)·E⁺, E⁺ = μ/(1 − P₀), E⁺(y²) = E(y²)/(1 − P₀)
    "hurdle_poisson": _hurdle_moments(2.0, 0.4, 2.0 + 4.0, np.exp(-2.0)),
    "hurdle_negative_binomial": _hurdle_moments(
        2.0, 0.4, 2.0 + 4.0 / 1.5 + 4.0, (1.5 / 3.5) ** 1.5, alpha=1.5
    ),
    # hurdle continuous: E = (1 − hu)m, E(y²) = (1 − hu)(v + m²)
    "hurdle_gamma": (4.0, {"alpha": 2.0, "hu": 0.3}, None, 2.8, 0.7 * (8.0 + 16.0) - 2.8**2),
    "hurdle_lognormal": (
        0.5, {"sigma": 0.4, "hu": 0.3}, None, 0.7 * np.exp(0.58),
        0.7 * np.exp(1.0 + 0.32) - (0.7 * np.exp(0.58)) ** 2,
    ),
}


def test_every_family_is_tested_and_has_a_pymc_likelihood():
    assert set(FAMILIES) == set(MOMENTS) == set(LIKELIHOODS)
    assert {case.removesuffix("_weighted") for case in CASES} == set(FAMILIES)


@pytest.mark.parametrize("family_name", sorted(MOMENTS))
def test_response_draws_have_the_family_moments(family_name):
    mu, aux, trials, mean, variance = MOMENTS[family_name]
    n = 200_000
    rng = np.random.default_rng(20261121)
    trials_array = None if trials is None else np.full(n, trials)
    family = get_family(family_name)
    draws = family.draw(rng, np.full(n, mu), aux, trials=trials_array)
    expected_mean = family.expected_response(np.full(1, mu), aux)[0] * (trials or 1)
    assert expected_mean == pytest.approx(mean)
    standard_error = np.sqrt(variance / n)
    assert abs(draws.mean() - mean) < 5 * standard_error
    assert draws.var() == pytest.approx(variance, rel=0.05)
