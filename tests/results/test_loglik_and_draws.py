"""The numpy log-likelihoods must equal the PyMC likelihoods' logp (same parameterisation), and the
response draws must have the family's mean and variance."""

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import pytest
from scipy import stats

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
    # ordinal: category numbers 1..K; mu is η itself (Family.mu_from_eta)
    "cumulative": ("logit", [1, 3, 4, 2], [0.1, -0.5, 1.0, 2.0], {"cutpoints": [-1.0, 0.4, 1.5]}, None, None),
    "sratio": ("probit", [1, 3, 4, 2], [0.1, -0.5, 1.0, 2.0], {"cutpoints": [-1.0, 0.8, 0.4]}, None, None),
    "acat": ("cloglog", [1, 3, 4, 2], [0.1, -0.5, 1.0, 2.0], {"cutpoints": [0.5, -1.0, 1.5]}, None, None),
    # one linear predictor per non-reference category: η of shape (rows, K − 1)
    "categorical": ("logit", [1, 3, 2], [[0.3, -1.2], [2.0, 0.5], [-0.7, 0.4]], {}, None, None),
    "multinomial": ("logit", [[3, 0, 2], [1, 4, 1], [0, 0, 0]], [[0.3, -1.2], [2.0, 0.5], [-0.7, 0.4]], {}, [5, 6, 0], None),
}

#: families whose draws are vectors of categories (their moments are tested in
#: tests/model/test_categorical.py and tests/model/test_multinomial.py)
CATEGORY_FAMILIES = {name for name, family in FAMILIES.items() if family.category_predictors}


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
        aux_inputs = {
            name: (pt.dvector if np.ndim(value) else pt.dscalar)(name) for name, value in aux.items()
        }
        eta_input = (pt.dmatrix if eta.ndim == 2 else pt.dvector)("eta")
        add_likelihood(
            family, name="y", eta=eta_input, observed=y, aux=aux_inputs, trials=trials, weights=weights
        )
    observed = model.observed_RVs[0]
    logp = model.logp(vars=[observed], sum=False)[0]
    expected = logp.eval({eta_input: eta, **{aux_inputs[k]: v for k, v in aux.items()}})
    # the family object, with its link: an ordinal family's link acts inside the likelihood
    got = pointwise_log_likelihood(
        family, y, family.mu_from_eta(eta), aux, trials=trials, weights=weights
    )
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-10)


def _hurdle_moments(mu, hu, second_moment, zero_probability, **aux):
    """(mu, aux, trials, mean, variance) of a hurdle count family from the untruncated family's
    E(y²) and P(y = 0)."""
    positive = 1.0 - zero_probability
    mean = (1.0 - hu) * mu / positive
    return mu, {**aux, "hu": hu}, None, mean, (1.0 - hu) * second_moment / positive - mean**2


def _category_moments(name, link, eta, cutpoints):
    """(mu, aux, trials, mean, variance) of the category number of an ordinal family, from the
    category probabilities written with scipy's CDFs (logistic, normal, gumbel_l = 1 − exp(−eˣ))."""
    cdf = {"logit": stats.logistic.cdf, "probit": stats.norm.cdf, "cloglog": stats.gumbel_l.cdf}[link]
    theta = np.asarray(cutpoints, dtype=float)
    if name == "cumulative":  # P(y ≤ k) = F(θ_k − η)
        p = np.diff(np.concatenate([[0.0], cdf(theta - eta), [1.0]]))
    elif name == "sratio":  # P(y = k | y ≥ k) = F(θ_k − η)
        stop = cdf(theta - eta)
        p = np.append(stop, 1.0) * np.concatenate([[1.0], np.cumprod(1.0 - stop)])
    else:  # acat: P(y = k + 1 | y ∈ {k, k + 1}) = F(η − θ_k)
        q = cdf(eta - theta)
        p = np.array([np.prod(q[:k]) * np.prod(1.0 - q[k:]) for k in range(theta.size + 1)])
        p /= p.sum()
    k = np.arange(1, p.size + 1)
    mean = np.sum(k * p)
    return eta, {"cutpoints": theta}, None, mean, np.sum(k**2 * p) - mean**2


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
    # ordinal: the category number 1..K (its mean and variance from the category probabilities)
    "cumulative": _category_moments("cumulative", "logit", 0.4, [-1.0, 0.5, 2.0]),
    "sratio": _category_moments("sratio", "logit", 0.4, [-1.0, 0.5, 0.2]),
    "acat": _category_moments("acat", "logit", 0.4, [0.3, -0.5, 1.0]),
}


def test_every_family_is_tested_and_has_a_pymc_likelihood():
    assert set(FAMILIES) - CATEGORY_FAMILIES == set(MOMENTS)
    assert set(FAMILIES) == set(LIKELIHOODS)
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
    if np.ndim(expected_mean):  # an ordinal family's category probabilities: E(y) = Σ k p_k
        expected_mean = np.sum(np.arange(1, expected_mean.size + 1) * expected_mean)
    assert expected_mean == pytest.approx(mean)
    standard_error = np.sqrt(variance / n)
    assert abs(draws.mean() - mean) < 5 * standard_error
    assert draws.var() == pytest.approx(variance, rel=0.05)
