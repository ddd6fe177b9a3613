"""PyMC constructions of the priors: densities against scipy, prior draws against analytic moments.

No MCMC except the one test marked slow; draws come from ``pm.draw`` with fixed seeds, and the
tolerances are multiples of the Monte Carlo standard error.
"""

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import pytest
from scipy import stats

from bayesml.backends.pymc.priors import (
    POSITIVE_BUILDERS,
    coefficient_scalars,
    covariance_factor,
    original_scale_coefficients,
    positive_variable,
    sd_scalars,
)
from bayesml.priors import Prior, WeaklyInformativeScaling, sampled_coefficient_priors

Z = 4.0  # allowed |estimate − truth| in Monte Carlo standard errors
VALUES = np.array([0.3, 1.0, 2.7, 7.5])


def _sqrt_invgamma_logpdf(alpha, beta):
    return lambda v: stats.invgamma(alpha, scale=beta).logpdf(v**2) + np.log(2 * v)


POSITIVE_REFERENCES = {
    "half_normal": (Prior("half_normal", sigma=2), stats.halfnorm(scale=2).logpdf),
    "half_cauchy": (Prior("half_cauchy", sigma=1.5), stats.halfcauchy(scale=1.5).logpdf),
    "half_t": (Prior("half_t", nu=3, sigma=2), lambda v: np.log(2) + stats.t(3, scale=2).logpdf(v)),
    "exponential": (Prior("exponential", rate=0.5), stats.expon(scale=2).logpdf),
    "uniform": (Prior("uniform", upper=10), stats.uniform(0, 10).logpdf),
    "gamma": (Prior("gamma", alpha=2, beta=0.1), stats.gamma(2, scale=10).logpdf),
    "inverse_gamma": (Prior("inverse_gamma", alpha=1.5, beta=2), _sqrt_invgamma_logpdf(1.5, 2)),
    # σ² ~ scaled-inv-χ²(ν=4, s²=1.5²) = InvGamma(2, 4 · 2.25 / 2)
    "scaled_inv_chi2": (Prior("scaled_inv_chi2", nu=4, s=1.5), _sqrt_invgamma_logpdf(2, 4.5)),
}


def test_references_cover_every_positive_builder():
    assert set(POSITIVE_REFERENCES) == set(POSITIVE_BUILDERS)


@pytest.mark.parametrize("dist", sorted(POSITIVE_REFERENCES))
def test_positive_variable_density_matches_scipy(dist):
    prior, reference = POSITIVE_REFERENCES[dist]
    with pm.Model() as model:
        rv = positive_variable("s", prior, shape=len(VALUES))
    np.testing.assert_allclose(pm.logp(rv, VALUES).eval(), reference(VALUES), rtol=1e-7)
    # NUTS-ready: finite log density and gradient at the initial point
    point = model.initial_point()
    assert np.isfinite(model.compile_logp()(point))
    assert np.all(np.isfinite(model.compile_dlogp()(point)))


@pytest.mark.parametrize(
    "prior", [Prior("scaled_inv_chi2", nu=1, s=1), Prior("inverse_gamma", alpha=0.01, beta=0.01)]
)
def test_variance_priors_are_on_sigma_and_zero_below_zero(prior):
    with pm.Model():
        rv = positive_variable("sigma", prior, dims=None)
    assert pm.logp(rv, -1.0).eval() == -np.inf
    assert np.isfinite(pm.logp(rv, 0.5).eval())


def test_scaled_inv_chi2_draws_of_sigma_squared():
    nu, s = 10, 1.5
    with pm.Model():
        rv = positive_variable("sigma", Prior("scaled_inv_chi2", nu=nu, s=s))
    sigma2 = pm.draw(rv, draws=20_000, random_seed=11) ** 2
    mean = nu * s**2 / (nu - 2)
    assert abs(sigma2.mean() - mean) < Z * sigma2.std() / np.sqrt(sigma2.size)
    reference = stats.invgamma(nu / 2, scale=nu * s**2 / 2)
    assert stats.kstest(sigma2, reference.cdf).pvalue > 1e-3


def test_positive_variable_refuses_other_priors():
    with (
        pm.Model(),
        pytest.raises(
            ValueError, match=r"^normal\(mu=0, sigma=1\) is not a prior for a positive parameter"
        ),
    ):
        positive_variable("s", Prior("normal", sigma=1))


# -- sd_scalars --------------------------------------------------------------------------


def test_sd_scalars_are_one_variable_per_term_stacked_as_sd():
    with pm.Model(coords={"g__term": ["Intercept", "x"]}) as model:
        sd = sd_scalars("sd_g", [Prior("half_normal", sigma=1)] * 2, dims="g__term")
    assert [rv.name for rv in model.free_RVs] == ["_sd_g_0", "_sd_g_1"]
    assert [rv.name for rv in model.deterministics] == ["sd_g"]
    assert model.named_vars_to_dims["sd_g"] == ("g__term",)
    assert [rv.name for rv in sd] == ["_sd_g_0", "_sd_g_1"]
    expected = stats.halfnorm(scale=1).logpdf([0.4, 2.0])
    np.testing.assert_allclose(
        [pm.logp(rv, value).eval() for rv, value in zip(sd, [0.4, 2.0], strict=True)],
        expected,
        rtol=1e-12,
    )


def test_sd_scalars_with_several_priors_keep_the_term_order():
    small, large = Prior("half_normal", sigma=1), Prior("exponential", rate=0.1)
    with pm.Model(coords={"g__term": ["a", "b", "c"]}) as model:
        sd_scalars("sd_g", [small, large, small], dims="g__term")
    assert [rv.name for rv in model.free_RVs] == ["_sd_g_0", "_sd_g_1", "_sd_g_2"]
    assert [rv.name for rv in model.deterministics] == ["sd_g"]
    draws = pm.draw(model["sd_g"], draws=4000, random_seed=3)
    means = np.array([np.sqrt(2 / np.pi), 10.0, np.sqrt(2 / np.pi)])
    sds = np.array([np.sqrt(1 - 2 / np.pi), 10.0, np.sqrt(1 - 2 / np.pi)])
    assert np.all(np.abs(draws.mean(axis=0) - means) < Z * sds / np.sqrt(4000))


def test_sd_scalars_need_a_term():
    with pm.Model(), pytest.raises(ValueError, match=r"^sd_g: a group needs at least one term$"):
        sd_scalars("sd_g", [], dims=None)


# -- coefficients ------------------------------------------------------------------------


def _beta(labels, *, intercept_prior, fixed_priors, scaling=None):
    """The sampled coefficients and ``beta`` on the original scale, as the model builder adds them."""
    sampled_priors = sampled_coefficient_priors(
        labels, intercept_prior=intercept_prior, fixed_priors=fixed_priors, scaling=scaling
    )
    sampled = coefficient_scalars(sampled_priors, scaled=scaling is not None)
    beta = pm.Deterministic(
        "beta", original_scale_coefficients(pt.stack(sampled), labels, scaling), dims="coef"
    )
    return sampled, beta


def test_coefficient_scalars_are_one_variable_per_column():
    priors = {"x": Prior("normal", sigma=2), "z": Prior("normal", mu=1, sigma=0.5)}
    with pm.Model(coords={"coef": ["Intercept", "x", "z"]}) as model:
        sampled, _ = _beta(
            ["Intercept", "x", "z"],
            intercept_prior=Prior("normal", mu=3, sigma=10),
            fixed_priors=priors,
        )
    assert [rv.name for rv in model.free_RVs] == ["_beta_0", "_beta_1", "_beta_2"]
    assert model.named_vars_to_dims["beta"] == ("coef",)
    value = np.array([1.0, -2.0, 0.7])
    expected = stats.norm([3, 0, 1], [10, 2, 0.5]).logpdf(value)
    logp = [pm.logp(rv, v).eval() for rv, v in zip(sampled, value, strict=True)]
    np.testing.assert_allclose(logp, expected, rtol=1e-12)


def test_coefficients_with_mixed_distributions_keep_the_column_order():
    priors = {"x": Prior("normal", mu=-5, sigma=0.01), "z": Prior("cauchy", mu=7, sigma=0.001)}
    with pm.Model(coords={"coef": ["x", "Intercept", "z"]}) as model:
        _, beta = _beta(
            ["x", "Intercept", "z"],
            intercept_prior=Prior("student_t", nu=3, mu=100, sigma=0.01),
            fixed_priors=priors,
        )
    assert [rv.name for rv in model.free_RVs] == ["_beta_0", "_beta_1", "_beta_2_uniform"]
    assert model.named_vars_to_dims["beta"] == ("coef",)
    np.testing.assert_allclose(
        np.median(pm.draw(beta, draws=200, random_seed=5), axis=0), [-5, 100, 7], atol=0.05
    )


def test_flat_priors():
    with pm.Model(coords={"coef": ["Intercept", "x"]}) as model:
        sampled, _ = _beta(
            ["Intercept", "x"], intercept_prior=Prior("flat"), fixed_priors={"x": Prior("flat")}
        )
    assert [rv.name for rv in model.free_RVs] == ["_beta_0", "_beta_1"]
    assert [pm.logp(rv, v).eval() for rv, v in zip(sampled, [1e6, -3.0], strict=True)] == [0, 0]
    with pm.Model(coords={"coef": ["Intercept", "x"]}) as model:
        sampled, _ = _beta(
            ["Intercept", "x"],
            intercept_prior=Prior("flat"),
            fixed_priors={"x": Prior("normal", sigma=1)},
        )
    assert [rv.name for rv in model.free_RVs] == ["_beta_0", "_beta_1"]
    assert pm.logp(sampled[0], 1e6).eval() == 0.0
    assert pm.logp(sampled[1], 1.0).eval() == pytest.approx(stats.norm.logpdf(1.0), rel=1e-12)


@pytest.fixture
def wi_design():
    rng = np.random.default_rng(2008)
    n = 40
    matrix = np.column_stack([np.ones(n), rng.normal(10, 3, n), rng.random(n) < 0.4])
    labels = ["Intercept", "x", "d"]
    return matrix, labels, WeaklyInformativeScaling.from_matrix(matrix, labels, has_intercept=True)


def test_weakly_informative_samples_scaled_coefficients(wi_design):
    matrix, labels, scaling = wi_design
    weak = Prior("weakly_informative")
    with pm.Model(coords={"coef": labels}) as model:
        sampled, beta = _beta(
            labels,
            intercept_prior=Prior("cauchy", mu=0, sigma=10),
            fixed_priors={"x": weak, "d": weak},
            scaling=scaling,
        )
    assert [rv.name for rv in model.free_RVs] == [f"_beta_scaled_{j}_uniform" for j in range(3)]
    assert [v.name for v in model.deterministics] == [
        "_beta_scaled_0",
        "_beta_scaled_1",
        "_beta_scaled_2",
        "beta",
    ]
    prior_draws = pm.draw(pt.stack(sampled), draws=4000, random_seed=0)
    for column, scale in enumerate([10, 2.5, 2.5]):
        assert stats.kstest(prior_draws[:, column], stats.cauchy(0, scale).cdf).pvalue > 0.01
    scaled, original = pm.draw([pt.stack(sampled), beta], draws=50, random_seed=8)
    slopes, intercept = scaling.to_original(scaled[:, 1:], scaled[:, 0])
    np.testing.assert_allclose(original[:, 1:], slopes, rtol=1e-12)
    np.testing.assert_allclose(original[:, 0], intercept, rtol=1e-12)
    # the linear predictor is the same on both scales
    np.testing.assert_allclose(
        matrix @ original.T,
        scaling.to_scaled(matrix[:, 1:]) @ scaled[:, 1:].T + scaled[:, 0],
        rtol=1e-9,
    )


def test_own_coefficient_prior_under_weakly_informative_is_on_the_original_scale(wi_design):
    _, labels, scaling = wi_design
    with pm.Model(coords={"coef": labels}) as model:
        _, beta = _beta(
            labels,
            intercept_prior=Prior("cauchy", mu=0, sigma=10),
            fixed_priors={"x": Prior("normal", mu=2, sigma=1), "d": Prior("weakly_informative")},
            scaling=scaling,
        )
    assert [rv.name for rv in model.free_RVs] == [
        "_beta_scaled_0_uniform",
        "_beta_scaled_1",
        "_beta_scaled_2_uniform",
    ]
    slope = pm.draw(beta, draws=4000, random_seed=9)[:, 1]
    assert abs(slope.mean() - 2) < Z / np.sqrt(4000)
    assert abs(slope.std() - 1) < Z / np.sqrt(2 * 4000)


def test_weakly_informative_without_intercept():
    matrix = np.array([[1.0], [2.0], [4.0], [7.0]])
    scaling = WeaklyInformativeScaling.from_matrix(matrix, ["x"], has_intercept=False)
    with pm.Model(coords={"coef": ["x"]}):
        sampled, beta = _beta(
            ["x"],
            intercept_prior=None,
            fixed_priors={"x": Prior("weakly_informative")},
            scaling=scaling,
        )
    scaled, original = pm.draw([pt.stack(sampled), beta], draws=20, random_seed=1)
    np.testing.assert_allclose(original, scaled / scaling.scale[0])


def test_no_columns_adds_nothing():
    with pm.Model() as model:
        sampled = coefficient_scalars([])
    assert sampled == []
    assert model.named_vars == {}


def test_coefficient_scalars_refuse_other_priors():
    with pm.Model(), pytest.raises(ValueError, match=r"^half_normal is not a coefficient prior$"):
        coefficient_scalars([Prior("half_normal", sigma=1)])


# -- inverse-Wishart ---------------------------------------------------------------------

IW_CASES = {
    2: (13, np.array([[2.0, 0.3], [0.3, 1.0]])),
    3: (14, np.array([[2.0, 0.5, 0.1], [0.5, 1.0, 0.2], [0.1, 0.2, 1.5]])),
}
N_DRAWS = 20_000


@pytest.fixture(scope="module", params=sorted(IW_CASES))
def iw_draws(request):
    p = request.param
    nu, scale = IW_CASES[p]
    labels = [f"t{i}" for i in range(p)]
    with pm.Model() as model:
        factor = covariance_factor(
            "g", labels, cov_prior=Prior("inverse_wishart", nu=nu, scale=scale.tolist())
        )
        cov = factor @ factor.T
    sigma, sd, corr = pm.draw(
        [cov, model["sd_g"], model["corr_g"]], draws=N_DRAWS, random_seed=100 + p
    )
    return nu, scale, sigma, sd, corr


def test_inverse_wishart_mean(iw_draws):
    nu, scale, sigma, _, _ = iw_draws
    p = len(scale)
    error = sigma.std(axis=0) / np.sqrt(N_DRAWS)
    assert np.all(np.abs(sigma.mean(axis=0) - scale / (nu - p - 1)) < Z * error)


def test_inverse_wishart_variance(iw_draws):
    nu, psi, sigma, _, _ = iw_draws
    p = len(psi)
    diag = np.diag(psi)
    expected = ((nu - p + 1) * psi**2 + (nu - p - 1) * np.outer(diag, diag)) / (
        (nu - p) * (nu - p - 1) ** 2 * (nu - p - 3)
    )
    centred = sigma - sigma.mean(axis=0)
    variance = (centred**2).mean(axis=0)
    error = np.sqrt(((centred**4).mean(axis=0) - variance**2) / N_DRAWS)
    assert np.all(np.abs(variance - expected) < Z * error)


def test_inverse_wishart_matches_scipy(iw_draws):
    nu, scale, sigma, _, _ = iw_draws
    reference = stats.invwishart(df=nu, scale=scale).rvs(N_DRAWS, random_state=7)
    for i, j in zip(*np.triu_indices(len(scale)), strict=True):
        assert stats.ks_2samp(sigma[:, i, j], reference[:, i, j]).pvalue > 1e-3, (i, j)


def test_inverse_wishart_sd_and_corr_follow_sigma(iw_draws):
    _, _, sigma, sd, corr = iw_draws
    np.testing.assert_allclose(sd**2, np.diagonal(sigma, axis1=1, axis2=2), rtol=1e-10)
    np.testing.assert_allclose(
        corr * sd[:, :, None] * sd[:, None, :], sigma, rtol=1e-10, atol=1e-14
    )


def test_inverse_wishart_scalar_scale_is_a_multiple_of_identity():
    with pm.Model():
        factor = covariance_factor(
            "g", ["a", "b"], cov_prior=Prior("inverse_wishart", nu=10, scale=3)
        )
    sigma = pm.draw(factor @ factor.T, draws=5000, random_seed=4)
    error = sigma.std(axis=0) / np.sqrt(5000)
    assert np.all(np.abs(sigma.mean(axis=0) - 3 * np.eye(2) / 7) < Z * error)


# -- LKJ ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("p", "eta"), [(2, 1.0), (3, 2.0)])
def test_lkj_correlation_marginal_is_beta(p, eta):
    labels = [f"t{i}" for i in range(p)]
    with pm.Model() as model:
        covariance_factor(
            "g",
            labels,
            cov_prior=Prior("lkj", eta=eta),
            sd_priors=[Prior("half_normal", sigma=1)] * p,
        )
    corr = pm.draw(model["corr_g"], draws=N_DRAWS, random_seed=21)
    np.testing.assert_allclose(np.diagonal(corr, axis1=1, axis2=2), 1.0, rtol=1e-12)
    a = eta - 1 + p / 2
    r = corr[:, 0, 1]
    variance = 1 / (2 * a + 1)  # of r = 2 B − 1 with B ~ Beta(a, a)
    assert abs(r.mean()) < Z * np.sqrt(variance / N_DRAWS)
    fourth = ((r - r.mean()) ** 4).mean()
    assert abs(r.var() - variance) < Z * np.sqrt((fourth - r.var() ** 2) / N_DRAWS)
    for i, j in zip(*np.triu_indices(p, 1), strict=True):
        assert stats.kstest((corr[:, i, j] + 1) / 2, stats.beta(a, a).cdf).pvalue > 1e-3


def test_lkj_sds_follow_their_priors_and_factor_is_diag_sd_chol():
    with pm.Model(coords={"g__term": ["a", "b"], "g__term_bis": ["a", "b"]}) as model:
        factor = covariance_factor(
            "g",
            ["a", "b"],
            cov_prior=Prior("lkj", eta=1.5),
            sd_priors=[Prior("half_normal", sigma=2), Prior("exponential", rate=1)],
        )
    assert model.named_vars_to_dims["sd_g"] == ("g__term",)
    assert model.named_vars_to_dims["corr_g"] == ("g__term", "g__term_bis")
    L, sd, corr = pm.draw([factor, model["sd_g"], model["corr_g"]], draws=5000, random_seed=12)
    assert stats.kstest(sd[:, 0], stats.halfnorm(scale=2).cdf).pvalue > 1e-3
    assert stats.kstest(sd[:, 1], stats.expon().cdf).pvalue > 1e-3
    expected = sd[:, :, None] * corr * sd[:, None, :]
    np.testing.assert_allclose(L @ np.swapaxes(L, 1, 2), expected, rtol=1e-10, atol=1e-14)
    assert np.all(L[:, 0, 1] == 0)


def test_covariance_factor_adds_missing_coords_and_accepts_dims():
    with pm.Model() as model:
        covariance_factor(
            "g", ["Intercept", "x"], cov_prior=Prior("inverse_wishart", nu=3, scale=1)
        )
        covariance_factor(
            "h",
            ["Intercept", "x"],
            cov_prior=Prior("lkj"),
            sd_priors=[Prior("half_normal", sigma=1)] * 2,
            dims=("terms", "terms2"),
        )
    assert model.coords["g__term"] == ("Intercept", "x")
    assert model.coords["g__term_bis"] == ("Intercept", "x")
    assert model.named_vars_to_dims["corr_h"] == ("terms", "terms2")


def test_covariance_factor_errors():
    with (
        pm.Model(),
        pytest.raises(
            ValueError, match=r"^the lkj prior of group 'g' needs one SD prior per term$"
        ),
    ):
        covariance_factor("g", ["a", "b"], cov_prior=Prior("lkj"))
    with (
        pm.Model(),
        pytest.raises(
            ValueError,
            match=r"^half_normal\(sigma=1\) is not a covariance prior; expected lkj or inverse_wishart$",
        ),
    ):
        covariance_factor("g", ["a", "b"], cov_prior=Prior("half_normal", sigma=1))


@pytest.mark.slow
def test_nuts_samples_the_inverse_wishart_construction():
    nu, scale = 8, np.array([[1.0, 0.4], [0.4, 2.0]])
    with pm.Model():
        factor = covariance_factor(
            "g", ["a", "b"], cov_prior=Prior("inverse_wishart", nu=nu, scale=scale.tolist())
        )
        pm.Deterministic("cov", factor @ factor.T)
        idata = pm.sample(
            draws=1000,
            tune=1000,
            chains=2,
            random_seed=13,
            progressbar=False,
            compute_convergence_checks=False,
        )
    posterior = idata.posterior if hasattr(idata, "posterior") else idata["posterior"]
    draws = posterior["cov"].values.reshape(-1, 2, 2)
    assert int(np.asarray(idata.sample_stats["diverging"]).sum()) == 0
    np.testing.assert_allclose(draws.mean(axis=0), scale / (nu - 3), atol=0.06)


def test_cauchy_coefficients_follow_the_cauchy_distribution():
    """Cauchy priors are sampled as μ + σ·tan(π(v − ½)), v ~ U(0, 1): the same law as scipy's."""
    with pm.Model(coords={"coef": ["a", "b"]}):
        _, beta = _beta(
            ["a", "b"],
            intercept_prior=None,
            fixed_priors={
                "a": Prior("cauchy", mu=1, sigma=2.5),
                "b": Prior("cauchy", mu=-3, sigma=0.5),
            },
        )
    draws = pm.draw(beta, draws=4000, random_seed=0)
    for column, (mu, sigma) in enumerate([(1, 2.5), (-3, 0.5)]):
        assert stats.kstest(draws[:, column], stats.cauchy(mu, sigma).cdf).pvalue > 0.01
