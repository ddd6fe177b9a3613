"""Family.log_likelihood_eta: the log-likelihood at μ = g⁻¹(η), computed from η."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from bayesml.families import FAMILIES, get_family

ETA = np.array([-2.0, -0.3, 0.4, 1.7])


def _case(name: str):
    family = get_family(name)
    rng = np.random.default_rng(7)
    kwargs, params = {}, {}
    if family.uses_trials:
        kwargs["trials"] = np.array([5.0, 3.0, 8.0, 1.0])
    for parameter in family.aux_params:
        if parameter.shape:  # the thresholds of an ordinal family
            params[parameter.name] = np.array([-1.0, 0.5, 1.5])
        elif parameter.constraint == "unit_interval":
            params[parameter.name] = 0.3
        else:
            params[parameter.name] = 1.7
    mu = family.mu_from_eta(ETA)
    if family.response_kind == "ordinal":
        y = np.array([1.0, 2.0, 4.0, 3.0])
    else:
        y = family.draw(rng, mu, params or None, **kwargs)
    return family, y, params or None, kwargs


SINGLE = [name for name in FAMILIES if get_family(name).has_eta_derivatives]


@pytest.mark.parametrize("name", SINGLE)
def test_equals_log_likelihood_at_the_mean(name):
    family, y, params, kwargs = _case(name)
    for link in family.links:
        linked = family.with_link(link)
        expected = linked.log_likelihood(y, linked.mu_from_eta(ETA), params, **kwargs)
        got = linked.log_likelihood_eta(y, ETA, params, **kwargs)
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("link", ["logit", "probit", "cloglog"])
def test_binary_families_are_exact_where_the_mean_rounds_to_one(link):
    family = get_family("binomial").with_link(link)
    eta = np.array([-40.0, 12.0, 40.0])
    trials = np.array([4.0, 4.0, 4.0])
    y = np.array([1.0, 3.0, 3.0])  # an unlikely success count far in each tail
    got = family.log_likelihood_eta(y, eta, trials=trials)
    assert np.all(np.isfinite(got))
    # far in the upper tail, log P(y = 3 of 4) = log 4 + 3 log F(η) + log(1 − F(η))
    if link == "logit":
        expected = np.log(4.0) + 3 * -np.logaddexp(0, -eta[2]) - np.logaddexp(0, eta[2])
        np.testing.assert_allclose(got[2], expected, rtol=1e-12)
    if link == "probit":
        expected = np.log(4.0) + 3 * stats.norm.logcdf(eta[1]) + stats.norm.logsf(eta[1])
        np.testing.assert_allclose(got[1], expected, rtol=1e-12)


def test_poisson_is_unclipped():
    family = get_family("poisson")
    y = np.array([0.0, 2.0])
    eta = np.array([-800.0, 1.0])
    expected = y * eta - np.exp(eta) - np.array([0.0, np.log(2.0)])
    np.testing.assert_allclose(family.log_likelihood_eta(y, eta), expected, rtol=1e-14)


@pytest.mark.parametrize(
    ("name", "link", "params"),
    [
        ("bernoulli", "logit", None),
        ("binomial", "logit", None),
        ("binomial", "probit", None),
        ("poisson", "log", None),
        ("negative_binomial", "log", {"alpha": 2.5}),
        ("gamma", "log", {"alpha": 1.7}),
    ],
)
def test_third_derivative_is_the_slope_of_the_second(name, link, params):
    family = get_family(name).with_link(link)
    trials = np.array([5.0, 3.0, 8.0, 1.0]) if family.uses_trials else None
    y = np.array([2.0, 1.0, 7.0, 1.0]) if family.uses_trials else np.array([0.0, 1.0, 3.0, 1.0])
    if name == "gamma":
        y = np.array([0.5, 1.2, 3.0, 0.9])
    step = 1e-4
    upper = family.eta_derivatives(y, ETA + step, params, trials)[1]
    lower = family.eta_derivatives(y, ETA - step, params, trials)[1]
    expected = (upper - lower) / (2 * step)
    got = family.eta_third_derivative(y, ETA, params, trials)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)
