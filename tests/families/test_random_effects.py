"""Random families: links, deviances and densities, checked against scipy.stats and calculus."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from bayesml.errors import FamilyError
from bayesml.families import get_random_family, supported_random_families

LAMBDA = 0.4
U_VALUES = {
    "gaussian": np.array([-1.3, -0.2, 0.0, 0.7, 2.1]),
    "gamma": np.array([0.2, 0.6, 1.0, 1.7, 3.0]),
    "beta": np.array([0.05, 0.3, 0.5, 0.8, 0.97]),
    "inverse_gamma": np.array([0.3, 0.8, 1.0, 1.6, 2.5]),
}
ALL = [(name, link) for name, link in (s[:-1].split("(") for s in supported_random_families())]


def test_supported_combinations():
    assert supported_random_families() == [
        "beta(logit)",
        "gamma(log)",
        "gaussian(identity)",
        "inverse_gamma(inverse)",
        "inverse_gamma(log)",
    ]


@pytest.mark.parametrize(("name", "link"), ALL)
def test_link_inverse_and_derivative(name, link):
    family = get_random_family(name, link)
    u = U_VALUES[name]
    v = family.v_of_u(u)
    np.testing.assert_allclose(family.u_of_v(v), u, rtol=1e-12)
    step = 1e-6
    numeric = (family.u_of_v(v + step) - family.u_of_v(v - step)) / (2 * step)
    np.testing.assert_allclose(family.du_dv(v), numeric, rtol=1e-6)


@pytest.mark.parametrize(("name", "link"), ALL)
def test_deviance_is_zero_at_psi_and_positive_elsewhere(name, link):
    family = get_random_family(name, link)
    assert family.deviance(np.array([family.psi]))[0] == pytest.approx(0.0, abs=1e-14)
    others = U_VALUES[name][U_VALUES[name] != family.psi]
    assert np.all(family.deviance(others) > 0)


@pytest.mark.parametrize("name", ["gaussian", "gamma", "beta", "inverse_gamma"])
def test_log_density_of_v_is_minus_half_deviance_over_lambda(name):
    # with the canonical link the h-likelihood kernel of v is −d(ψ, u)/(2λ) + a function of λ
    family = get_random_family(name)
    u = U_VALUES[name]
    v = family.v_of_u(u)
    kernel = family.log_density(u, np.full(u.size, LAMBDA)) + family.log_abs_du_dv(v)
    constant = kernel + family.deviance(u) / (2 * LAMBDA)
    np.testing.assert_allclose(constant, constant[0], rtol=1e-10)


SCIPY = {
    "gaussian": stats.norm(0.0, np.sqrt(LAMBDA)),
    "gamma": stats.gamma(1 / LAMBDA, scale=LAMBDA),
    "beta": stats.beta(1 / (2 * LAMBDA), 1 / (2 * LAMBDA)),
    "inverse_gamma": stats.invgamma(1 + 1 / LAMBDA, scale=1 / LAMBDA),
}


@pytest.mark.parametrize("name", SCIPY)
def test_log_density_matches_scipy_with_mean_psi(name):
    family = get_random_family(name)
    u = U_VALUES[name]
    np.testing.assert_allclose(
        family.log_density(u, np.full(u.size, LAMBDA)), SCIPY[name].logpdf(u), rtol=1e-10
    )
    assert SCIPY[name].mean() == pytest.approx(family.psi)
    density = lambda x: np.exp(family.log_density(np.array([x]), np.array([LAMBDA]))[0])  # noqa: E731
    lower, upper = SCIPY[name].support()
    assert integrate.quad(density, max(lower, -50), min(upper, 200))[0] == pytest.approx(
        1.0, abs=1e-6
    )


def test_variance_functions():
    u = np.array([0.2, 0.5, 2.0])
    np.testing.assert_allclose(get_random_family("gaussian").variance(u), 1.0)
    np.testing.assert_allclose(get_random_family("gamma").variance(u), u)
    np.testing.assert_allclose(get_random_family("inverse_gamma").variance(u), u**2)
    np.testing.assert_allclose(get_random_family("beta").variance(u[:2]), u[:2] * (1 - u[:2]))


def test_r_spellings_and_default_links():
    assert get_random_family("Gamma").label == "gamma(log)"
    assert get_random_family("Beta").label == "beta(logit)"
    assert get_random_family("inverse.gamma").label == "inverse_gamma(inverse)"
    assert get_random_family("inverse.gamma", "log").label == "inverse_gamma(log)"
    family = get_random_family("normal")
    assert get_random_family(family) is family


def test_unknown_random_family_lists_the_supported_ones():
    with pytest.raises(
        FamilyError,
        match=r"unknown random family 'poisson'; supported random families \(link\): \['beta\(logit\)'",
    ):
        get_random_family("poisson")


def test_unsupported_link_lists_the_supported_ones():
    with pytest.raises(
        FamilyError,
        match=r"random family 'gamma' does not support link 'identity'; supported random families \(link\): \[.*'gamma\(log\)'",
    ):
        get_random_family("gamma", "identity")
