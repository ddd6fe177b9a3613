"""Each kernel against its analytic full conditional."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from scipy import integrate, stats

import bayesml
from bayesml.backends.gibbs.kernels import (
    CoefficientKernel,
    CoefficientMixingKernel,
    InverseWishartKernel,
    LatentProbitKernel,
    LKJCovarianceKernel,
    PolyaGammaKernel,
)
from bayesml.backends.gibbs.kernels.variances import ScaleUpdate
from bayesml.backends.gibbs.problem import build_problem
from bayesml.backends.gibbs.sampler import GibbsSampler
from bayesml.priors import Prior

from ._helpers import ZeroNormals, grouped_data


def _problem(formula, data, **kwargs):
    model = bayesml.Model(formula, data, **kwargs)
    return build_problem(model.design, model.priors, model.family)


# -- scale parameters ------------------------------------------------------------------------


def test_conjugate_scale_update_draws_the_inverse_gamma_conditional():
    update = ScaleUpdate(Prior("inverse_gamma", alpha=3.0, beta=2.0))
    rng = np.random.default_rng(0)
    count, sum_squares = 10.0, 7.0
    variances = np.array(
        [update.draw(1.0, count, sum_squares, rng, False)[0] ** 2 for _ in range(40_000)]
    )
    reference = stats.invgamma(3.0 + count / 2, scale=2.0 + sum_squares / 2)
    assert abs(variances.mean() - reference.mean()) < 4 * reference.std() / np.sqrt(len(variances))
    assert variances.var() == pytest.approx(reference.var(), rel=0.08)


def test_scaled_inverse_chi2_is_the_matching_inverse_gamma():
    update = ScaleUpdate(Prior("scaled_inv_chi2", nu=4.0, s=1.5))
    assert (update.alpha, update.beta) == (2.0, 4.0 * 1.5**2 / 2)


def _slice_chain(prior, count, sum_squares, n=20_000, seed=1):
    update = ScaleUpdate(prior)
    rng = np.random.default_rng(seed)
    sigma, draws = update.start(1.0), np.empty(n)
    for i in range(n):
        sigma, _ = update.draw(sigma, count, sum_squares, rng, tuning=i < 500)
        draws[i] = sigma
    return draws[500:]


def _conditional_moments(prior, count, sum_squares, upper=np.inf):
    def density(sigma):
        return np.exp(prior.logpdf(sigma) - count * np.log(sigma) - sum_squares / (2 * sigma**2))

    total = integrate.quad(density, 0, upper, limit=200)[0]
    mean = integrate.quad(lambda s: s * density(s), 0, upper, limit=200)[0] / total
    second = integrate.quad(lambda s: s**2 * density(s), 0, upper, limit=200)[0] / total
    return mean, np.sqrt(second - mean**2)


@pytest.mark.parametrize(
    "prior",
    [
        Prior("half_normal", sigma=0.5),
        Prior("half_cauchy", sigma=1.0),
        Prior("half_t", nu=3, sigma=2.0),
        Prior("exponential", rate=2.0),
        Prior("gamma", alpha=2.0, beta=3.0),
        Prior("uniform", upper=0.9),
    ],
    ids=str,
)
def test_slice_scale_update_samples_the_conditional(prior):
    count, sum_squares = 6.0, 3.0
    draws = _slice_chain(prior, count, sum_squares)
    upper = float(prior["upper"]) if prior.dist == "uniform" else np.inf
    mean, sd = _conditional_moments(prior, count, sum_squares, upper)
    ess = len(draws) / 4  # slice steps on a 1-d conditional are nearly independent
    assert abs(draws.mean() - mean) < 4 * sd / np.sqrt(ess)
    assert draws.std() == pytest.approx(sd, rel=0.06)
    assert np.all(draws < upper)


def test_slice_step_refuses_a_start_outside_the_support():
    from bayesml.backends.gibbs.slice_sampling import slice_step

    with pytest.raises(ValueError, match=r"slice_step must start inside the support"):
        slice_step(lambda x: -np.inf, 0.0, 1.0, np.random.default_rng(0))


# -- covariance matrices ---------------------------------------------------------------------


def _correlated_state(problem, effects, seed=0):
    sampler = GibbsSampler(problem)
    state = sampler.init(np.random.default_rng(seed))
    problem.regression.effects(state.theta, 0)[:] = effects
    return state


def test_inverse_wishart_kernel_draws_the_conjugate_conditional(small_data):
    problem = _problem(
        "y ~ x + (1 + x | g)",
        small_data,
        priors={"cov": {"dist": "inverse_wishart", "nu": 4, "scale": [[2.0, 0.3], [0.3, 1.0]]}},
    )
    effects = np.random.default_rng(3).normal(size=(8, 2)) * [1.0, 0.4]
    state = _correlated_state(problem, effects)
    kernel = InverseWishartKernel(problem, 0)
    rng = np.random.default_rng(4)
    draws = []
    for _ in range(20_000):
        kernel.step(state, rng, False)
        draws.append(state.cov[0])
    draws = np.array(draws)
    psi = np.array([[2.0, 0.3], [0.3, 1.0]]) + effects.T @ effects
    reference = stats.invwishart(df=4 + 8, scale=psi)
    np.testing.assert_allclose(draws.mean(0), reference.mean(), rtol=0.03)
    # a diagonal element of IW(ν, Ψ) in K dimensions is InvGamma((ν − K + 1)/2, Ψ_ii/2)
    for i in range(2):
        marginal = stats.invgamma((12 - 2 + 1) / 2, scale=psi[i, i] / 2)
        assert stats.kstest(draws[:, i, i], marginal.cdf).pvalue > 0.001


def _lkj_conditional_moments(effects, eta, sd_prior_sigma):
    """Posterior means of (sd1, sd2, r) given U under LKJ(η) and half-normal SD priors, on a grid."""
    sd = np.linspace(1e-3, 3.0, 140)
    r = np.linspace(-0.995, 0.995, 141)
    s1, s2, rr = np.meshgrid(sd, sd, r, indexing="ij")
    scatter = effects.T @ effects
    levels = effects.shape[0]
    det = (s1 * s2) ** 2 * (1 - rr**2)
    # tr(Σ⁻¹ S) for Σ = [[s1², r s1 s2], [r s1 s2, s2²]]
    inv11, inv22, inv12 = s2**2 / det, s1**2 / det, -rr * s1 * s2 / det
    trace = inv11 * scatter[0, 0] + inv22 * scatter[1, 1] + 2 * inv12 * scatter[0, 1]
    log_post = (
        -0.5 * levels * np.log(det)
        - 0.5 * trace
        + (eta - 1) * np.log1p(-(rr**2))
        - (s1**2 + s2**2) / (2 * sd_prior_sigma**2)
    )
    weights = np.exp(log_post - log_post.max())
    weights /= weights.sum()
    return np.array([(weights * s1).sum(), (weights * s2).sum(), (weights * rr).sum()])


@pytest.mark.parametrize("levels", [30, 2], ids=["independence-and-walk", "walk-only"])
def test_lkj_kernel_samples_the_conditional_of_sd_and_correlation(levels):
    rng = np.random.default_rng(11)
    problem = _problem(
        "y ~ x + (1 + x | g)",
        grouped_data(groups=levels),
        priors={"cov": {"dist": "lkj", "eta": 2.0}, "sd": {"dist": "half_normal", "sigma": 1.0}},
    )
    assert len(problem.groups[0].levels) == levels
    effects = rng.multivariate_normal([0, 0], [[0.8, 0.3], [0.3, 0.5]], size=levels)
    state = _correlated_state(problem, effects)
    kernel = LKJCovarianceKernel(problem, 0)
    assert kernel.independence == (levels >= 3)
    draws = []
    for i in range(7_000):
        kernel.step(state, rng, tuning=i < 1000)
        cov = state.cov[0]
        sd = np.sqrt(np.diag(cov))
        draws.append([sd[0], sd[1], cov[0, 1] / (sd[0] * sd[1])])
    draws = np.array(draws[1000:])
    expected = _lkj_conditional_moments(effects, 2.0, 1.0)
    # Monte Carlo error with a generous allowance for autocorrelation
    bound = 4 * draws.std(0) / np.sqrt(len(draws) / 20)
    assert np.all(np.abs(draws.mean(0) - expected) < bound), (draws.mean(0), expected)


# -- coefficients ----------------------------------------------------------------------------


def test_coefficient_kernel_mean_includes_the_prior_mean(small_data):
    problem = _problem(
        "y ~ x",
        small_data,
        priors={
            "intercept": {"dist": "normal", "mu": 3.0, "sigma": 0.2},
            "fixed": {"dist": "normal", "mu": -1.0, "sigma": 0.5},
        },
    )
    state = GibbsSampler(problem).init(np.random.default_rng(0))
    state.sigma2, state.data_precision = 0.64, 1 / 0.64
    kernel = CoefficientKernel(problem)
    kernel.init(state, None)
    kernel.step(state, ZeroNormals(), False)
    X = np.column_stack([np.ones(len(small_data)), small_data["x"]])
    precision = X.T @ X / 0.64 + np.diag([1 / 0.2**2, 1 / 0.5**2])
    rhs = X.T @ small_data["y"].to_numpy() / 0.64 + np.array([3.0 / 0.2**2, -1.0 / 0.5**2])
    np.testing.assert_allclose(state.theta, np.linalg.solve(precision, rhs), rtol=1e-10)
    np.testing.assert_allclose(state.eta, X @ state.theta, rtol=1e-10)


def test_mixing_kernel_draws_the_gamma_conditional(small_data):
    problem = _problem(
        "y ~ x",
        small_data,
        priors={"fixed": {"dist": "student_t", "nu": 3, "mu": 1.0, "sigma": 2.0}},
    )
    state = GibbsSampler(problem).init(np.random.default_rng(0))
    state.theta[:] = [0.0, 4.0]
    kernel = CoefficientMixingKernel(problem)
    assert kernel.index.tolist() == [0, 1]  # the default intercept prior is a Student-t too
    rng = np.random.default_rng(2)
    draws = np.array(
        [(kernel.step(state, rng, False), state.coef_mixing[1])[1] for _ in range(30_000)]
    )
    z = (4.0 - 1.0) / 2.0
    reference = stats.gamma(a=(3 + 1) / 2, scale=2 / (3 + z**2))
    assert abs(draws.mean() - reference.mean()) < 4 * reference.std() / np.sqrt(len(draws))


# -- latent variables ------------------------------------------------------------------------


def test_latent_probit_kernel_sums_truncated_normal_trials():
    import pandas as pd

    data = pd.DataFrame({"r": [2, 0, 3], "n": [3, 2, 3], "x": [0.0, 1.0, 2.0]})
    problem = _problem("r/n ~ x", data, family="binomial", link="probit", weights="n")
    state = GibbsSampler(problem).init(np.random.default_rng(0))
    state.eta = np.array([0.3, -1.0, 2.5])
    kernel = LatentProbitKernel(problem)
    kernel.init(state, None)
    rng = np.random.default_rng(1)
    sums = np.array(
        [(kernel.step(state, rng, False), state.response_sums.copy())[1] for _ in range(20_000)]
    )
    up = [stats.truncnorm(-m, np.inf, loc=m).mean() for m in state.eta]
    down = [stats.truncnorm(-np.inf, -m, loc=m).mean() for m in state.eta]
    expected = np.array([2 * up[0] + down[0], 2 * down[1], 3 * up[2]])
    np.testing.assert_allclose(sums.mean(0), expected, atol=0.02)
    np.testing.assert_array_equal(state.weights, [3.0, 2.0, 3.0])


def test_polya_gamma_kernel_has_the_pg_mean(small_data):
    pytest.importorskip("polyagamma")
    problem = _problem("b ~ x", small_data, family="bernoulli")
    state = GibbsSampler(problem).init(np.random.default_rng(0))
    state.eta = np.linspace(-3, 3, len(small_data))
    kernel = PolyaGammaKernel(problem)
    rng = np.random.default_rng(3)
    omega = np.array(
        [(kernel.step(state, rng, False), state.weights.copy())[1] for _ in range(4000)]
    )
    z = state.eta
    expected = np.tanh(z / 2) / (2 * z)  # E[PG(1, z)]
    np.testing.assert_allclose(omega.mean(0), expected, rtol=0.05)
    np.testing.assert_allclose(state.response_sums, small_data["b"] - 0.5)


# -- parameter expansion -----------------------------------------------------------------------


def _expansion_setup(cov_prior):
    """A correlated two-term group after a few sweeps (a realistic state)."""
    problem = _problem(
        "y ~ x + (1 + x | g)",
        grouped_data(seed=9, groups=6, per_group=6),
        priors={"cov": cov_prior},
    )
    sampler = GibbsSampler(problem)
    rng = np.random.default_rng(4)
    state = sampler.init(rng)
    for _ in range(20):
        sampler.sweep(state, rng, tuning=True)
    return problem, state


def _working_loglik(problem, state, eta):
    """s·(rᵀη − ½ Σ w η²): the log-likelihood up to a constant."""
    return state.data_precision * (state.response_sums @ eta - 0.5 * np.sum(state.weights * eta**2))


IW_PRIOR = {"dist": "inverse_wishart", "nu": 4, "scale": [[1.0, 0.2], [0.2, 0.5]]}
LKJ_PRIOR = {"dist": "lkj", "eta": 2.0}


@pytest.mark.parametrize("cov_prior", [IW_PRIOR, LKJ_PRIOR], ids=["inverse-wishart", "lkj"])
def test_scale_moves_target_the_expanded_conditional(cov_prior, monkeypatch):
    """Each term's slice target equals log L + log prior + Jacobian recomputed from scratch."""
    import math

    from bayesml.backends.gibbs.kernels import ScaleExpansionKernel, expansion
    from bayesml.priors import prior_logpdf

    problem, state = _expansion_setup(cov_prior)
    group = problem.groups[0]
    regression = problem.regression
    captured, moves = [], [math.log(1.3), math.log(0.8)]

    def fixed_move(log_density, x0, width, rng, **kwargs):
        captured.append(log_density)
        return moves[len(captured) - 1], 3

    monkeypatch.setattr(expansion, "slice_step", fixed_move)
    theta, cov = state.theta.copy(), state.cov[0].copy()
    ScaleExpansionKernel(problem, 0).step(state, np.random.default_rng(0), False)

    def reference(term, theta_now, cov_now, x):
        """log p of scaling term `term` by e^x from the state (theta_now, cov_now)."""
        g = math.exp(x)
        scaled = theta_now.copy()
        regression.effects(scaled, 0)[:, term] *= g
        scale_matrix = np.eye(2)
        scale_matrix[term, term] = g
        new_cov = scale_matrix @ cov_now @ scale_matrix
        loglik = _working_loglik(problem, state, regression.times(scaled))
        if group.cov_prior.dist == "inverse_wishart":
            prior = float(prior_logpdf(group.cov_prior, new_cov)) + 3 * x  # Jacobian g^(K+1)
        else:
            sd = math.sqrt(new_cov[term, term])
            prior = float(prior_logpdf(group.sd_priors[term], sd)) + x
        return loglik + prior

    intermediate = theta.copy()
    regression.effects(intermediate, 0)[:, 0] *= 1.3
    cov_mid = np.diag([1.3, 1.0]) @ cov @ np.diag([1.3, 1.0])
    for term, (start_theta, start_cov) in enumerate([(theta, cov), (intermediate, cov_mid)]):
        xs = [-0.4, 0.1, 0.5]
        got = [captured[term](x) - captured[term](0.0) for x in xs]
        want = [
            reference(term, start_theta, start_cov, x)
            - reference(term, start_theta, start_cov, 0.0)
            for x in xs
        ]
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-8)
    # the state after both moves: effects, Σ and η consistent
    final = theta.copy()
    regression.effects(final, 0)[:] *= [1.3, 0.8]
    np.testing.assert_allclose(state.theta, final)
    np.testing.assert_allclose(state.cov[0], np.diag([1.3, 0.8]) @ cov @ np.diag([1.3, 0.8]))
    np.testing.assert_allclose(state.eta, regression.times(state.theta))


class _ConstantNormal:
    def __init__(self, value):
        self.value = value

    def standard_normal(self):
        return self.value


@pytest.mark.parametrize("cov_prior", [IW_PRIOR, LKJ_PRIOR], ids=["inverse-wishart", "lkj"])
def test_shear_move_targets_the_expanded_conditional(cov_prior, monkeypatch):
    """log p(c) = log L(u_1 + c u_0) + log p_Σ(AΣAᵀ) (det A = 1): the slice target, or the mean
    and precision of the exact normal draw under the inverse-Wishart prior."""
    from bayesml.backends.gibbs.kernels import ShearExpansionKernel, expansion
    from bayesml.priors import prior_logpdf

    problem, state = _expansion_setup(cov_prior)
    group = problem.groups[0]
    regression = problem.regression
    theta, cov = state.theta.copy(), state.cov[0].copy()

    def reference(c):
        sheared = theta.copy()
        effects = regression.effects(sheared, 0)
        effects[:, 1] += c * effects[:, 0]
        shear = np.array([[1.0, 0.0], [c, 1.0]])
        new_cov = shear @ cov @ shear.T
        if group.cov_prior.dist == "inverse_wishart":
            prior = float(prior_logpdf(group.cov_prior, new_cov))
        else:
            sd = np.sqrt(np.diag(new_cov))
            corr = new_cov / np.outer(sd, sd)
            prior = float(prior_logpdf(group.cov_prior, corr)) + sum(
                float(prior_logpdf(p, s)) for p, s in zip(group.sd_priors, sd, strict=True)
            )
            prior -= float(np.log(2.0 * sd[0] * 2.0 * sd[1] * sd[0] * sd[1]))  # dΣ = |J| d(sd, r)
        return _working_loglik(problem, state, regression.times(sheared)) + prior

    kernel = ShearExpansionKernel(problem, 0)
    cs = np.array([-0.3, 0.05, 0.4])
    want = np.array([reference(c) - reference(0.0) for c in cs])
    if group.cov_prior.dist == "inverse_wishart":
        # the kernel's draw is mean + z/√precision: run it with z = 0 and z = 1
        draws = []
        for z in (0.0, 1.0):
            trial = copy.deepcopy(state)
            ShearExpansionKernel(problem, 0).step(trial, _ConstantNormal(z), False)
            draws.append((trial.cov[0][1, 0] - cov[1, 0]) / cov[0, 0])  # Σ'_10 = Σ_10 + c Σ_00
        mean, precision = draws[0], (draws[1] - draws[0]) ** -2
        # the target is quadratic in c: its maximum and curvature
        h = 0.2
        left, centre, right = (reference(mean + d) for d in (-h, 0.0, h))
        assert left == pytest.approx(right, rel=1e-9, abs=1e-9)
        assert -(left - 2 * centre + right) / h**2 == pytest.approx(precision, rel=1e-6)
        kernel.step(state, _ConstantNormal(0.0), False)
    else:
        captured = []

        def fixed_move(log_density, x0, width, rng, **kwargs):
            captured.append(log_density)
            return 0.25, 3

        monkeypatch.setattr(expansion, "slice_step", fixed_move)
        kernel.step(state, np.random.default_rng(0), False)
        got = np.array([captured[0](c) - captured[0](0.0) for c in cs])
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-8)
        shear = np.array([[1.0, 0.0], [0.25, 1.0]])
        np.testing.assert_allclose(state.cov[0], shear @ cov @ shear.T)
    np.testing.assert_allclose(state.eta, regression.times(state.theta))


def test_latent_scale_move_targets_the_expanded_conditional(monkeypatch):
    """log p(x) from the latent normals themselves: Σ_t log N(g z_t | offset + g η_t, 1) + the
    priors of g·b, g·u (given g·sd) and g·sd + (N + p + q + 1) x for the Jacobian."""
    import math

    from bayesml.backends.gibbs.kernels import LatentScaleKernel, expansion, latent
    from bayesml.priors import prior_logpdf

    data = grouped_data(seed=3).assign(o=np.linspace(-0.5, 0.5, 40))
    problem = _problem("b ~ x + offset(o) + (1 | g)", data, family="bernoulli", link="probit")
    sampler = GibbsSampler(problem)
    rng = np.random.default_rng(5)
    state = sampler.init(rng)
    for _ in range(10):
        sampler.sweep(state, rng, tuning=True)
    recorded = {}
    draw = latent.truncated_normal

    def recording(mean, positive, generator):
        recorded["z"] = draw(mean, positive, generator)
        return recorded["z"]

    monkeypatch.setattr(latent, "truncated_normal", recording)
    LatentProbitKernel(problem).step(state, rng, False)
    captured = []

    def fixed_move(log_density, x0, width, generator, **kwargs):
        captured.append(log_density)
        return 0.2, 3

    monkeypatch.setattr(expansion, "slice_step", fixed_move)
    theta, cov, z = state.theta.copy(), state.cov[0].copy(), recorded["z"]
    mixing = state.coef_mixing.copy()
    LatentScaleKernel(problem).step(state, rng, False)
    regression, priors = problem.regression, problem.coefficients
    offset = problem.offset  # Bernoulli rows: one per observation
    sd, sd_prior = math.sqrt(cov[0, 0]), problem.groups[0].sd_priors[0]

    def reference(x):
        g = math.exp(x)
        eta = regression.times(g * theta)
        loglik = stats.norm.logpdf(g * z, offset + eta, 1.0).sum()
        b, u = g * theta[: regression.p], regression.effects(g * theta, 0)[:, 0]
        coef = stats.norm.logpdf(b, priors.mean, priors.scale / np.sqrt(mixing)).sum()
        effects = stats.norm.logpdf(u, 0.0, g * sd).sum()
        jacobian = (z.size + regression.p + u.size + 1) * x
        return loglik + coef + effects + float(prior_logpdf(sd_prior, g * sd)) + jacobian

    xs = [-0.3, 0.2, 0.6]
    got = [captured[0](x) - captured[0](0.0) for x in xs]
    want = [reference(x) - reference(0.0) for x in xs]
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-8)
    g = math.exp(0.2)
    np.testing.assert_allclose(state.theta, g * theta)
    np.testing.assert_allclose(state.cov[0], g * g * cov)
    np.testing.assert_allclose(state.response_sums, g * z - offset)
    np.testing.assert_allclose(state.latent_sum_squares, g * g * float(z @ z))
