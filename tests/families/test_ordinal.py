"""The ordinal families' maths (cumulative, sratio, acat with the logit, probit and cloglog links).

* the numpy log-likelihood equals the PyMC graph's pointwise log-probability for every family and
  link, at a vector of cutpoints and at draws-shaped ones ``(chain, draw, 1, K − 1)``;
* for the cumulative logit and probit it equals an independent computation, differences of
  ``scipy.stats.logistic`` / ``scipy.stats.norm`` CDFs, P(y = k) = F(θ_k − η) − F(θ_{k−1} − η);
* the defining identities of sratio and acat hold (P(y = k | y ≥ k) = F(θ_k − η); with the logit
  link log P(y = k + 1)/P(y = k) = η − θ_k);
* ``draw`` gives each category with its probability (``expected_response``): over 200,000 draws
  each frequency is within 5 binomial standard errors sqrt(p(1 − p)/n) of p (the chance that
  one of the 54 frequencies checked strays that far is below 10⁻⁴; the draws are seeded).
"""

from __future__ import annotations

import itertools

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
import pytest
from scipy import stats

from bayesml.backends.pymc.likelihoods import add_likelihood
from bayesml.families import get_family
from bayesml.families.ordinal import category_bounds, level_text, threshold_labels

FAMILIES = ("cumulative", "sratio", "acat")
LINKS = ("logit", "probit", "cloglog")
#: thresholds per family: increasing for the cumulative family, any order for the others
CUTPOINTS = {
    "cumulative": np.array([-1.3, -0.1, 0.8, 2.2]),
    "sratio": np.array([-0.6, 0.9, 0.2, 1.4]),
    "acat": np.array([0.4, -0.9, 1.1, 0.3]),
}
ETA = np.array([-2.5, -0.7, 0.0, 0.3, 1.6, 3.1, -1.2, 0.9, 2.4, -3.0])
Y = np.array([1, 2, 3, 4, 5, 5, 1, 3, 2, 4], dtype=float)
K = 5


@pytest.fixture(scope="module")
def pymc_logp():
    """Pointwise logp of every family and link's observed variable, from one compiled PyMC
    graph with η and θ symbolic: ``pymc_logp(family, link, eta, cutpoints)``."""
    inputs = []
    with pm.Model() as model:
        for family_name, link in itertools.product(FAMILIES, LINKS):
            eta, theta = (
                pt.dvector(f"{family_name}_{link}_eta"),
                pt.dvector(f"{family_name}_{link}_t"),
            )
            add_likelihood(
                get_family(family_name, link),
                name=f"{family_name}_{link}",
                eta=eta,
                observed=Y,
                aux={"cutpoints": theta},
            )
            inputs += [eta, theta]
    outputs = model.logp(vars=model.observed_RVs, sum=False)
    function = pytensor.function(inputs, outputs, on_unused_input="raise")
    order = list(itertools.product(FAMILIES, LINKS))

    def evaluate(family_name, link, eta, cutpoints):
        values = []
        for other in order:
            values += (
                [eta, cutpoints] if other == (family_name, link) else [ETA, CUTPOINTS[other[0]]]
            )
        return function(*values)[order.index((family_name, link))]

    return evaluate


@pytest.mark.parametrize(
    ("link", "distribution"), [("logit", stats.logistic), ("probit", stats.norm)]
)
def test_cumulative_log_likelihood_is_a_difference_of_cdfs(link, distribution):
    """P(y = k) = F(θ_k − η) − F(θ_{k−1} − η) with θ₀ = −∞, θ_K = +∞ (clmm's and brms'
    convention), F the logistic or normal CDF of scipy."""
    family = get_family("cumulative", link)
    theta = CUTPOINTS["cumulative"]
    padded = np.concatenate([[-np.inf], theta, [np.inf]])
    k = Y.astype(int)
    expected = np.log(distribution.cdf(padded[k] - ETA) - distribution.cdf(padded[k - 1] - ETA))
    got = family.log_likelihood(Y, ETA, {"cutpoints": theta})
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    # a positive η moves the response up: P(y = K) grows, P(y = 1) falls
    probabilities = family.expected_response(np.array([-1.0, 0.0, 1.0]), {"cutpoints": theta})
    assert np.all(np.diff(probabilities[:, -1]) > 0) and np.all(np.diff(probabilities[:, 0]) < 0)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_cumulative_tails_stay_exact(link):
    """Far outside the thresholds the probabilities are below 10⁻³⁰⁰ or within 10⁻¹⁶ of 1: the
    log-likelihood is still log F(θ₁ − η) and log(1 − F(θ_{K−1} − η)), not −inf or 0."""
    distribution = {"logit": stats.logistic, "probit": stats.norm}[link]
    theta = CUTPOINTS["cumulative"]
    eta = np.array([40.0, -40.0, 40.0, -40.0])
    y = np.array([1.0, K, K, 1.0])
    got = get_family("cumulative", link).log_likelihood(y, eta, {"cutpoints": theta})
    expected = [
        distribution.logcdf(theta[0] - 40.0),
        distribution.logsf(theta[-1] + 40.0),
        distribution.logsf(theta[-1] - 40.0),
        distribution.logcdf(theta[0] + 40.0),
    ]
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-300)
    assert np.isfinite(got).all() and got[0] < -40


@pytest.mark.parametrize("link", LINKS)
def test_sratio_and_acat_satisfy_their_definitions(link):
    cdf = {"logit": stats.logistic.cdf, "probit": stats.norm.cdf, "cloglog": stats.gumbel_l.cdf}[
        link
    ]
    eta = np.array([-1.1, 0.2, 2.0])
    theta = CUTPOINTS["sratio"]
    p = get_family("sratio", link).expected_response(eta, {"cutpoints": theta})
    reached = 1.0 - np.concatenate([np.zeros((3, 1)), np.cumsum(p, axis=-1)[:, :-1]], axis=-1)
    # stopping ratio: P(y = k | y ≥ k) = F(θ_k − η), k < K
    np.testing.assert_allclose(p[:, :-1] / reached[:, :-1], cdf(theta - eta[:, None]), rtol=1e-10)
    theta = CUTPOINTS["acat"]
    p = get_family("acat", link).expected_response(eta, {"cutpoints": theta})
    # adjacent categories: P(y = k + 1 | y ∈ {k, k + 1}) = F(η − θ_k)
    np.testing.assert_allclose(
        p[:, 1:] / (p[:, 1:] + p[:, :-1]), cdf(eta[:, None] - theta), rtol=1e-10
    )
    if link == "logit":
        np.testing.assert_allclose(
            np.log(p[:, 1:] / p[:, :-1]), eta[:, None] - theta, rtol=1e-10, atol=1e-12
        )


@pytest.mark.parametrize(("family_name", "link"), list(itertools.product(FAMILIES, LINKS)))
def test_category_probabilities_are_the_likelihood_of_each_category(family_name, link):
    family = get_family(family_name, link)
    theta = CUTPOINTS[family_name]
    eta = np.array([-1.0, 0.5, 2.0])
    p = family.expected_response(eta, {"cutpoints": theta})
    assert p.shape == (3, K)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-12)
    for k in range(1, K + 1):
        log_p = family.log_likelihood(np.full(3, float(k)), eta, {"cutpoints": theta})
        np.testing.assert_allclose(np.exp(log_p), p[:, k - 1], rtol=1e-10)


@pytest.mark.parametrize(("family_name", "link"), list(itertools.product(FAMILIES, LINKS)))
def test_draws_have_the_category_probabilities(family_name, link):
    family = get_family(family_name, link)
    theta = CUTPOINTS[family_name]
    n = 200_000
    rng = np.random.default_rng(20261207)
    for eta in (-0.8, 1.3):
        p = family.expected_response(np.array([eta]), {"cutpoints": theta})[0]
        draws = family.draw(rng, np.full(n, eta), {"cutpoints": theta})
        assert set(np.unique(draws)) <= set(range(1, K + 1))
        frequency = np.bincount(draws.astype(int), minlength=K + 1)[1:] / n
        standard_error = np.sqrt(p * (1 - p) / n)
        assert np.all(np.abs(frequency - p) < 5 * standard_error + 1e-12), (eta, frequency, p)


def test_category_bounds_and_labels():
    lower, upper = category_bounds([1, 3, 5], [-1.0, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(lower, [-np.inf, 0.0, 2.0])
    np.testing.assert_array_equal(upper, [-1.0, 1.0, np.inf])
    assert threshold_labels(["low", "mid", "high"]) == ("low|mid", "mid|high")
    # whole numbers stored as floats (a column with missing values) are labelled as R does
    assert threshold_labels([1.0, 2.0, 3.0]) == ("1|2", "2|3")
    assert level_text(np.float64(4.0)) == "4" and level_text(2.5) == "2.5"
    labels = get_family("cumulative").dimension_labels([1.0, 2.0])
    assert labels == {"threshold": ("1|2",), "category": ("1", "2")}
