"""Prior log densities against scipy, and the matrix densities against independent references."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from bayesml.priors import DISTRIBUTIONS, Prior, prior_logpdf

VALUES = np.array([0.05, 0.7, 2.0, 13.0])

# prior -> scipy density of the same parameter (σ for the priors on σ²)
SCALAR_CASES = {
    "half_normal": (Prior("half_normal", sigma=2.0), stats.halfnorm(scale=2.0).logpdf),
    "half_cauchy": (Prior("half_cauchy", sigma=0.5), stats.halfcauchy(scale=0.5).logpdf),
    "half_t": (
        Prior("half_t", nu=3, sigma=1.5),
        lambda v: np.log(2.0) + stats.t(df=3, scale=1.5).logpdf(v),
    ),
    "exponential": (Prior("exponential", rate=0.4), stats.expon(scale=2.5).logpdf),
    "uniform": (Prior("uniform", upper=5.0), stats.uniform(0, 5.0).logpdf),
    "gamma": (Prior("gamma", alpha=2.0, beta=0.5), stats.gamma(a=2.0, scale=2.0).logpdf),
    # σ² ~ InvGamma(α, β): p(σ) = p_σ²(σ²)·2σ
    "inverse_gamma": (
        Prior("inverse_gamma", alpha=3.0, beta=2.0),
        lambda v: stats.invgamma(3.0, scale=2.0).logpdf(v**2) + np.log(2 * v),
    ),
    # scaled-inv-χ²(ν, s²) = InvGamma(ν/2, ν s²/2)
    "scaled_inv_chi2": (
        Prior("scaled_inv_chi2", nu=4.0, s=1.5),
        lambda v: stats.invgamma(2.0, scale=4.0 * 1.5**2 / 2).logpdf(v**2) + np.log(2 * v),
    ),
    "normal": (Prior("normal", mu=1.0, sigma=2.0), stats.norm(1.0, 2.0).logpdf),
    "student_t": (Prior("student_t", nu=3, mu=-1, sigma=0.5), stats.t(3, -1, 0.5).logpdf),
    "cauchy": (Prior("cauchy", mu=0, sigma=2.5), stats.cauchy(0, 2.5).logpdf),
}


@pytest.mark.parametrize("name", sorted(SCALAR_CASES))
def test_scalar_densities_match_scipy(name):
    prior, reference = SCALAR_CASES[name]
    np.testing.assert_allclose(prior_logpdf(prior, VALUES), reference(VALUES), rtol=1e-10)


@pytest.mark.parametrize(
    "name", [n for n in sorted(SCALAR_CASES) if DISTRIBUTIONS[n].roles[0] in ("sd", "sigma", "nu")]
)
def test_positive_densities_are_minus_infinity_off_the_support(name):
    prior, _ = SCALAR_CASES[name]
    assert np.all(prior_logpdf(prior, [-1.0, 0.0]) == -np.inf)


def test_positive_densities_integrate_to_one():
    for name in ("half_t", "inverse_gamma", "scaled_inv_chi2", "uniform"):
        prior, _ = SCALAR_CASES[name]
        total, _ = integrate.quad(
            lambda v, prior=prior: np.exp(prior_logpdf(prior, v)), 0, np.inf, limit=200
        )
        assert total == pytest.approx(1.0, abs=1e-6), name


def test_uniform_is_minus_infinity_above_its_upper_bound():
    assert prior_logpdf(Prior("uniform", upper=5.0), 5.5) == -np.inf


def test_flat_is_zero_everywhere():
    np.testing.assert_array_equal(prior_logpdf(Prior("flat"), [-1e6, 0.0, 3.0]), 0.0)


def test_weakly_informative_has_no_density_of_its_own():
    with pytest.raises(ValueError, match=r"weakly_informative has no density of its own"):
        prior_logpdf(Prior("weakly_informative"), 0.5)


def test_logpdf_method_is_prior_logpdf():
    prior = Prior("half_normal", sigma=3)
    np.testing.assert_array_equal(prior.logpdf(VALUES), prior_logpdf(prior, VALUES))


# -- matrix priors ------------------------------------------------------------------------------


def _corr2(r):
    return np.array([[1.0, r], [r, 1.0]])


@pytest.mark.parametrize("eta", [0.5, 1.0, 2.0, 7.0])
def test_lkj_of_two_terms_is_a_normalised_density_of_the_correlation(eta):
    """For K = 2 the correlation r has density ∝ (1 − r²)^(η − 1) on (−1, 1)."""
    prior = Prior("lkj", eta=eta)
    total, _ = integrate.quad(lambda r: np.exp(prior_logpdf(prior, _corr2(r))), -1, 1)
    assert total == pytest.approx(1.0, abs=1e-6)
    ratio = prior_logpdf(prior, _corr2(0.6)) - prior_logpdf(prior, _corr2(0.0))
    assert ratio == pytest.approx((eta - 1) * np.log(1 - 0.36))


def test_lkj_of_three_terms_integrates_to_one_by_monte_carlo():
    """E_uniform[density] · volume = 1, with the volume of 3 × 3 correlation matrices π²/2."""
    rng = np.random.default_rng(3)
    r = rng.uniform(-1, 1, size=(400_000, 3))
    corr = np.broadcast_to(np.eye(3), (len(r), 3, 3)).copy()
    corr[:, 0, 1] = corr[:, 1, 0] = r[:, 0]
    corr[:, 0, 2] = corr[:, 2, 0] = r[:, 1]
    corr[:, 1, 2] = corr[:, 2, 1] = r[:, 2]
    density = np.exp(prior_logpdf(Prior("lkj", eta=2.0), corr))  # 0 off the PD set
    assert density.mean() * 8.0 == pytest.approx(1.0, abs=0.02)
    # with eta = 1 the density is 1/volume on the PD set
    uniform = np.exp(prior_logpdf(Prior("lkj", eta=1.0), corr))
    assert np.unique(uniform[uniform > 0]).round(12).tolist() == [round(2 / np.pi**2, 12)]


def test_lkj_is_vectorised_over_leading_axes():
    corr = np.stack([_corr2(0.1), _corr2(-0.5), _corr2(0.9)]).reshape(3, 1, 2, 2)
    out = prior_logpdf(Prior("lkj", eta=2.0), corr)
    assert out.shape == (3, 1)


@pytest.mark.parametrize(("nu", "scale"), [(3.0, 2.0), (5.5, ((200.0, 2.0), (2.0, 0.2)))])
def test_inverse_wishart_matches_scipy(nu, scale):
    psi = np.array(scale) if isinstance(scale, tuple) else scale * np.eye(2)
    reference = stats.invwishart(df=nu, scale=psi)
    draws = reference.rvs(size=5, random_state=np.random.default_rng(1))
    expected = [reference.logpdf(d) for d in draws]
    prior = Prior("inverse_wishart", nu=nu, scale=scale)
    np.testing.assert_allclose(prior_logpdf(prior, draws), expected, rtol=1e-10)


def test_inverse_wishart_is_minus_infinity_for_a_matrix_that_is_not_positive_definite():
    prior = Prior("inverse_wishart", nu=3, scale=1.0)
    assert prior_logpdf(prior, [[1.0, 2.0], [2.0, 1.0]]) == -np.inf
