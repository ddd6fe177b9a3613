"""The Gibbs sampler of ordinal probit models (``family="cumulative", link="probit"``).

Albert–Chib latent normals between the thresholds, Cowles' Metropolis–Hastings step for the
thresholds, the threshold shift and the probit scale move: each against its target (quadrature,
scipy, the joint density recomputed from scratch); whole runs against quadrature, ordinal::clmm
and, in the slow suite, NUTS on the wine data; the models the sampler refuses.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import bayesml
from bayesml.backends.gibbs import sample_gibbs
from bayesml.backends.gibbs.backend import GibbsBackend
from bayesml.backends.gibbs.kernels import LatentScaleKernel, OrdinalProbitKernel, expansion
from bayesml.backends.gibbs.kernels import ordinal as ordinal_kernels
from bayesml.backends.gibbs.kernels.ordinal import (
    ThresholdShiftKernel,
    latent_bounds,
    propose_cutpoints,
    shift_groups,
)
from bayesml.backends.gibbs.problem import build_problem
from bayesml.backends.gibbs.sampler import GibbsSampler
from bayesml.backends.gibbs.truncated_normal import log_normal_mass
from bayesml.errors import FamilyError
from bayesml.priors import prior_logpdf

from ._helpers import grouped_data

REFERENCES = Path(__file__).resolve().parents[1] / "references" / "ordinal_references.json"
WINE = "rating ~ temp + contact + (1 | judge)"


def _short_gibbs(model, *, random_seed: int):
    """2 chains × 1500 draws (300 warm-up) in this process, without log prior and likelihood."""
    return sample_gibbs(
        model.design, model.priors, model.family, draws=1500, tune=300, chains=2, cores=1,
        random_seed=random_seed, log_prior=False, log_likelihood=False,
    )  # fmt: skip


def _model(formula, data, **kwargs):
    return bayesml.Model(formula, data, family="cumulative", link="probit", **kwargs)


def _problem(model):
    return build_problem(model.design, model.priors, model.family)


def _simulated(n=40, seed=8, beta=0.8, thresholds=(-0.5, 0.6)) -> pd.DataFrame:
    """y ∈ {1, 2, 3} from P(y ≤ k) = Φ(θ_k − β x)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    latent = beta * x + rng.normal(size=n)
    return pd.DataFrame({"y": np.digitize(latent, thresholds) + 1, "x": x})


def _grouped_ordinal(seed=3) -> pd.DataFrame:
    data = grouped_data(seed=seed)
    return data.assign(r=np.digitize(data["y"], [0.5, 1.5]) + 1)


def _check(draws: np.ndarray, mean: float, sd: float) -> None:
    """Mean within 4 Monte Carlo SEs, SD within 10 %."""
    import arviz_stats

    mcse = float(arviz_stats.mcse(np.asarray(draws, dtype=float), method="mean"))
    values = np.asarray(draws).reshape(-1)
    assert abs(values.mean() - mean) < 4 * mcse, (values.mean(), mean, mcse)
    assert values.std() == pytest.approx(sd, rel=0.10)


# -- the latent normals ---------------------------------------------------------------------------
def test_each_category_gets_the_interval_between_its_thresholds():
    """P(y ≤ k) = Φ(θ_k − η): y = k exactly when θ_{k−1} < z ≤ θ_k."""
    lower, upper = latent_bounds(np.array([1, 2, 3, 2]), np.array([-0.5, 0.7]))
    assert lower.tolist() == [-np.inf, -0.5, 0.7, -0.5]
    assert upper.tolist() == [-0.5, 0.7, np.inf, 0.7]


def test_the_interval_convention_gives_the_familys_probabilities():
    """P(θ_{y−1} < η + ε ≤ θ_y) is the cumulative probit family's probability of y."""
    cutpoints = np.array([-0.5, 0.7, 1.1])
    codes = np.array([1, 2, 3, 4])
    eta = np.array([0.3, -1.0, 0.9, 2.0])
    lower, upper = latent_bounds(codes, cutpoints)
    family = bayesml.get_family("cumulative", "probit")
    expected = family.log_likelihood(codes.astype(float), eta, {"cutpoints": cutpoints})
    np.testing.assert_allclose(log_normal_mass(lower - eta, upper - eta), expected, rtol=1e-12)


def test_latent_draws_lie_between_their_thresholds_with_the_truncated_moments():
    """z | y = k is N(μ, 1) truncated to (θ_{k−1}, θ_k): scipy's truncnorm moments."""
    per_category = 20_000
    data = pd.DataFrame({"y": np.repeat([1, 2, 3], per_category)})
    kernel = OrdinalProbitKernel(_problem(_model("y ~ 1", data)))
    cutpoints, mean = np.array([-0.5, 0.7]), 0.3
    z = kernel.draw_latent(cutpoints, np.full(3 * per_category, mean), np.random.default_rng(4))
    lower, upper = latent_bounds(kernel.codes, cutpoints)
    assert np.all((z >= lower) & (z <= upper))
    for category in (1, 2, 3):
        rows = kernel.codes == category
        a, b = (np.r_[-np.inf, cutpoints, np.inf][[category - 1, category]] - mean).tolist()
        reference = stats.truncnorm(a, b, loc=mean)
        mcse = math.sqrt(reference.var() / per_category)
        assert abs(z[rows].mean() - reference.mean()) < 4 * mcse
        assert z[rows].var() == pytest.approx(reference.var(), rel=0.05)


# -- Cowles' step ---------------------------------------------------------------------------------
def test_the_proposal_is_increasing_and_its_hastings_ratio_is_that_of_the_truncated_normals():
    """log q(θ|θ*) − log q(θ*|θ) from scipy's truncated-normal densities, entry by entry."""
    rng = np.random.default_rng(2)
    for _ in range(50):
        current = np.sort(rng.normal(0, 2, size=4))
        steps = np.exp(rng.normal(-1, 0.7, size=4))
        proposal, log_ratio = propose_cutpoints(current, steps, rng)
        assert np.all(np.diff(proposal) > 0)

        def log_q(new, old, steps=steps):
            padded_new = np.r_[-np.inf, new, np.inf]
            padded_old = np.r_[-np.inf, old, np.inf]
            total = 0.0
            for k in range(1, len(new) + 1):
                s, centre = steps[k - 1], padded_old[k]
                a = (padded_new[k - 1] - centre) / s
                b = (padded_old[k + 1] - centre) / s
                total += stats.truncnorm.logpdf(padded_new[k], a, b, loc=centre, scale=s)
            return total

        assert log_ratio == pytest.approx(log_q(current, proposal) - log_q(proposal, current))


def _full_log_posterior(model):
    """log p(β, θ₁, θ₂ | y) of a fixed-effects ordinal probit model (vectorised over a grid)."""
    y = model.design.response.y.astype(int)
    x = model.design.fixed.matrix[:, 0]
    beta_prior = model.priors.fixed["x"]
    cut_prior = model.priors.aux["cutpoints"]

    def log_density(beta, first, second):
        eta = beta[..., None] * x
        padded = np.stack(
            [np.full_like(first, -np.inf), first, second, np.full_like(first, np.inf)], axis=-1
        )
        lower = padded[..., y - 1] - eta
        upper = padded[..., y] - eta
        with np.errstate(invalid="ignore"):
            loglik = np.sum(log_normal_mass(lower, upper), axis=-1)
        value = (
            loglik
            + prior_logpdf(beta_prior, beta)
            + prior_logpdf(cut_prior, first)
            + prior_logpdf(cut_prior, second)
        )
        return np.where(first < second, value, -np.inf)

    return log_density


def _grid_moments(log_density, centres, widths, points=41):
    """Means and SDs of each coordinate under exp(log_density) on a regular grid."""
    axes = [np.linspace(c - w, c + w, points) for c, w in zip(centres, widths, strict=True)]
    mesh = np.meshgrid(*axes, indexing="ij")
    values = log_density(*mesh)
    weights = np.exp(values - values.max())
    weights /= weights.sum()
    means = [float((weights * grid).sum()) for grid in mesh]
    sds = [
        math.sqrt(float((weights * (grid - m) ** 2).sum()))
        for grid, m in zip(mesh, means, strict=True)
    ]
    return means, sds


def test_cowles_step_leaves_the_thresholds_conditional_posterior_invariant():
    """Given μ, many Metropolis–Hastings steps (z integrated out) sample p(θ | μ, y), which a
    2-D grid gives; the thresholds stay increasing."""
    data = _simulated()
    model = _model("y ~ x", data)
    kernel = OrdinalProbitKernel(_problem(model))
    mean = 0.8 * data["x"].to_numpy()
    rng = np.random.default_rng(6)
    cutpoints = np.array([-1.0, 1.0])
    draws = np.empty((4000, 2))
    for i in range(-500, len(draws)):
        cutpoints, _ = kernel.move_cutpoints(cutpoints, mean, rng, tuning=i < 0)
        assert cutpoints[0] < cutpoints[1]
        if i >= 0:
            draws[i] = cutpoints
    log_density = _full_log_posterior(model)

    def given_beta(first, second):
        return log_density(np.full_like(first, 0.8), first, second)

    means, sds = _grid_moments(given_beta, [-0.5, 0.6], [2.5, 2.5], points=101)
    means, sds = _grid_moments(given_beta, means, [6 * sd for sd in sds], points=101)
    for k in range(2):
        _check(draws[None, :, k], means[k], sds[k])


def test_a_fixed_effects_ordinal_probit_run_matches_quadrature():
    """β, θ₁, θ₂ of a 40-row model: posterior means and SDs from a 3-D grid (a coarse grid
    finds the mass, a fine one ± 6 SD around it integrates it)."""
    data = _simulated()
    model = _model("y ~ x", data)
    log_density = _full_log_posterior(model)
    means, sds = _grid_moments(log_density, [0.8, -0.5, 0.6], [2.5, 2.5, 2.5], points=25)
    means, sds = _grid_moments(log_density, means, [6 * sd for sd in sds], points=35)
    result = _short_gibbs(model, random_seed=21)
    posterior = result["posterior"]
    _check(posterior["beta"].sel(coef="x").values, means[0], sds[0])
    for k, label in enumerate(["1|2", "2|3"]):
        _check(posterior["cutpoints"].sel(y__threshold=label).values, means[k + 1], sds[k + 1])


def test_a_level_without_rows_gets_wide_steps_and_the_right_posterior():
    """levels=[1, 2, 3] with no row in 3: the threshold 2|3 is bounded by the prior alone above.
    Warm-up widens its steps to its spread (about four times the other threshold's); the whole
    run matches a 2-D grid of p(θ₁, θ₂ | y) (a normal threshold prior: light tails)."""
    data = pd.DataFrame({"y": [1] * 12 + [2] * 18})
    model = _model(
        "y ~ 1",
        data,
        levels=[1, 2, 3],
        priors={"cutpoints": {"dist": "normal", "mu": 0, "sigma": 2}},
    )
    problem = _problem(model)
    sampler = GibbsSampler(problem)
    rng = np.random.default_rng(3)
    state = sampler.init(rng)
    kernel = next(k for k in sampler.kernels if isinstance(k, OrdinalProbitKernel))
    start = kernel.relative_steps[1] / kernel.relative_steps[0]
    for _ in range(300):
        sampler.sweep(state, rng, tuning=True)
    assert start < 1.5
    assert kernel.relative_steps[1] / kernel.relative_steps[0] > 2.5
    prior = problem.cutpoints.prior

    def log_density(first, second):
        with np.errstate(invalid="ignore"):
            value = (
                12 * log_normal_mass(-np.inf, first)
                + 18 * log_normal_mass(first, second)
                + prior_logpdf(prior, first)
                + prior_logpdf(prior, second)
            )
        return np.where(first < second, value, -np.inf)

    means, sds = _grid_moments(log_density, [-0.3, 4.0], [3.0, 8.0], points=201)
    means, sds = _grid_moments(log_density, means, [6 * sd for sd in sds], points=201)
    result = _short_gibbs(model, random_seed=4)
    cutpoints = result["posterior"]["cutpoints"]
    for k, label in enumerate(["1|2", "2|3"]):
        _check(cutpoints.sel(y__threshold=label).values, means[k], sds[k])


# -- the moves along weakly identified directions -------------------------------------------------
def _warm_state(problem, seed=5, sweeps=20):
    sampler = GibbsSampler(problem)
    rng = np.random.default_rng(seed)
    state = sampler.init(rng)
    for _ in range(sweeps):
        sampler.sweep(state, rng, tuning=True)
    return state, rng


def _record_latent(monkeypatch):
    recorded = {}
    draw = ordinal_kernels.truncated_normal_between

    def recording(mean, lower, upper, generator):
        recorded["z"] = draw(mean, lower, upper, generator)
        return recorded["z"]

    monkeypatch.setattr(ordinal_kernels, "truncated_normal_between", recording)
    return recorded


def test_the_threshold_shift_targets_its_conditional_and_keeps_the_state_consistent(monkeypatch):
    """θ + c, u + c, z + c: log p(c) equals the joint density recomputed from scratch (the
    cutpoints' prior, the intercepts' normal density; the latent normals' density is unchanged)."""
    data = _grouped_ordinal().assign(o=np.linspace(-0.3, 0.3, 40))
    problem = _problem(_model("r ~ x + offset(o) + (1 | g)", data))
    assert shift_groups(problem) == [0]
    state, rng = _warm_state(problem)
    recorded = _record_latent(monkeypatch)
    OrdinalProbitKernel(problem).step(state, rng, False)
    captured = []

    def fixed_move(log_density, x0, width, generator, **kwargs):
        captured.append(log_density)
        return 0.3, 4

    monkeypatch.setattr(ordinal_kernels, "slice_step", fixed_move)
    theta, cutpoints, sd = state.theta.copy(), state.cutpoints.copy(), math.sqrt(state.cov[0][0, 0])
    z, regression = recorded["z"], problem.regression
    ThresholdShiftKernel(problem, 0).step(state, rng, False)
    prior = problem.cutpoints.prior

    def reference(c):
        shifted = theta.copy()
        regression.effects(shifted, 0)[:, 0] += c
        eta = regression.times(shifted)
        latent = stats.norm.logpdf(z + c, problem.offset + eta, 1.0).sum()
        effects = stats.norm.logpdf(regression.effects(shifted, 0)[:, 0], 0.0, sd).sum()
        return latent + effects + float(np.sum(prior_logpdf(prior, cutpoints + c)))

    cs = [-0.4, 0.25, 0.7]
    got = [captured[0](c) - captured[0](0.0) for c in cs]
    np.testing.assert_allclose(got, [reference(c) - reference(0.0) for c in cs], rtol=1e-9)
    np.testing.assert_allclose(state.cutpoints, cutpoints + 0.3)
    np.testing.assert_allclose(state.eta, regression.times(state.theta))
    shifted_z = state.response_sums + problem.offset
    np.testing.assert_allclose(shifted_z, z + 0.3)
    lower, upper = latent_bounds(problem.y.astype(int), state.cutpoints)
    assert np.all((shifted_z > lower) & (shifted_z < upper))
    assert state.latent_sum_squares == pytest.approx(float(shifted_z @ shifted_z))


def test_the_probit_scale_move_rescales_the_thresholds_with_the_latent_normals(monkeypatch):
    """z, β, u, sd and θ times g: log p(x) equals the joint density recomputed from scratch,
    with the Jacobian g^(N + p + q + 1 + m)."""
    data = _grouped_ordinal(seed=4).assign(o=np.linspace(-0.5, 0.5, 40))
    problem = _problem(_model("r ~ x + offset(o) + (1 | g)", data))
    state, rng = _warm_state(problem)
    recorded = _record_latent(monkeypatch)
    OrdinalProbitKernel(problem).step(state, rng, False)
    captured = []

    def fixed_move(log_density, x0, width, generator, **kwargs):
        captured.append(log_density)
        return 0.2, 3

    monkeypatch.setattr(expansion, "slice_step", fixed_move)
    theta, cutpoints, z = state.theta.copy(), state.cutpoints.copy(), recorded["z"]
    sd, mixing = math.sqrt(state.cov[0][0, 0]), state.coef_mixing.copy()
    LatentScaleKernel(problem).step(state, rng, False)
    regression, priors = problem.regression, problem.coefficients
    sd_prior, cut_prior = problem.groups[0].sd_priors[0], problem.cutpoints.prior

    def reference(x):
        g = math.exp(x)
        eta = regression.times(g * theta)
        loglik = stats.norm.logpdf(g * z, problem.offset + eta, 1.0).sum()
        b, u = g * theta[: regression.p], regression.effects(g * theta, 0)[:, 0]
        coef = stats.norm.logpdf(b, priors.mean, priors.scale / np.sqrt(mixing)).sum()
        effects = stats.norm.logpdf(u, 0.0, g * sd).sum()
        thresholds = float(np.sum(prior_logpdf(cut_prior, g * cutpoints)))
        jacobian = (z.size + regression.p + u.size + 1 + cutpoints.size) * x
        return (
            loglik + coef + effects + float(prior_logpdf(sd_prior, g * sd)) + thresholds + jacobian
        )

    xs = [-0.3, 0.2, 0.6]
    got = [captured[0](x) - captured[0](0.0) for x in xs]
    np.testing.assert_allclose(got, [reference(x) - reference(0.0) for x in xs], rtol=1e-8)
    np.testing.assert_allclose(state.cutpoints, cutpoints * math.exp(0.2))
    scaled_z = state.response_sums + problem.offset
    lower, upper = latent_bounds(problem.y.astype(int), state.cutpoints)
    assert np.all((scaled_z > lower) & (scaled_z < upper))


def test_no_shift_move_without_a_random_intercept():
    data = _grouped_ordinal()
    assert shift_groups(_problem(_model("r ~ x", data))) == []
    assert shift_groups(_problem(_model("r ~ 1 + (0 + x | g)", data))) == []


# -- the wine data: the result, ordinal::clmm -----------------------------------------------------
@pytest.fixture(scope="module")
def wine_model():
    return _model(WINE, "wine")


@pytest.fixture(scope="module")
def wine_fit(wine_model):
    return wine_model.sample(
        method="gibbs",
        draws=1000,
        tune=500,
        chains=2,
        random_seed=17,
        posterior_predictive=True,
        check=False,
        sampler_kwargs={"cores": 1},
    )


def test_the_result_has_the_shared_names_and_dims(wine_fit):
    posterior = wine_fit["posterior"]
    assert list(posterior.data_vars) == ["beta", "sd_judge", "cutpoints", "u_judge"]
    assert posterior["cutpoints"].dims == ("chain", "draw", "rating__threshold")
    assert posterior["rating__threshold"].values.tolist() == ["1|2", "2|3", "3|4", "4|5"]
    assert posterior["beta"]["coef"].values.tolist() == ["temp[warm]", "contact[yes]"]
    assert posterior["u_judge"].dims == ("chain", "draw", "judge__level", "judge__term")
    cutpoints = posterior["cutpoints"].values
    assert np.all(np.diff(cutpoints, axis=-1) > 0)
    assert set(wine_fit.children) >= {
        "posterior",
        "sample_stats",
        "observed_data",
        "log_likelihood",
        "log_prior",
        "posterior_predictive",
    }
    accept = wine_fit["sample_stats"]["accept_cutpoints"].values
    assert 0.15 < accept.mean() < 0.5
    predicted = wine_fit["posterior_predictive"]["rating"].values
    assert set(np.unique(predicted)) <= {1.0, 2.0, 3.0, 4.0, 5.0}


def test_log_likelihood_and_log_prior_are_the_familys_and_the_priors(wine_fit, wine_model):
    posterior = wine_fit["posterior"]
    draw = posterior.isel(chain=1, draw=7)
    design, family = wine_model.design, wine_model.family
    eta = design.fixed.matrix @ draw["beta"].values
    eta += draw["u_judge"].values[design.random[0].group_index, 0]
    expected = family.log_likelihood(
        design.response.y, eta, {"cutpoints": draw["cutpoints"].values}
    )
    got = wine_fit["log_likelihood"]["rating"].isel(chain=1, draw=7).values
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    prior = wine_model.priors.aux["cutpoints"]
    np.testing.assert_allclose(
        wine_fit["log_prior"]["cutpoints"].isel(chain=1, draw=7).values,
        prior_logpdf(prior, draw["cutpoints"].values),
    )


def test_summary_predict_compare_and_loo_take_the_result(wine_fit, wine_model):
    import arviz_stats

    table = bayesml.summary(wine_fit)
    assert "cutpoints[1|2]" in table.index
    probabilities = wine_model.predict(wine_fit, kind="mean")
    assert probabilities.dims[-1] == "category"
    np.testing.assert_allclose(probabilities.sum("category").values, 1.0)
    compared = bayesml.compare(wine_fit, wine_fit, names=["a", "b"]).table
    assert "cutpoints[4|5]" in compared.index
    assert np.isfinite(arviz_stats.loo(wine_fit).elpd)


def test_wine_posterior_is_near_ordinal_clmm(wine_fit):
    """Loosely: ordinal::clmm's ML estimates (probit, 10-point adaptive Gauss–Hermite) are modes
    of a likelihood, the posterior means average over weak priors and a skewed sd_judge. Means
    of β and the thresholds within 0.5 posterior SD of the ML estimates (they differ by up to
    0.3 SD, the first threshold most), β's posterior SDs within 15 % of clmm's standard errors,
    clmm's sd_judge inside the central 60 % posterior interval."""
    reference = json.loads(REFERENCES.read_text())["clmm"]["probit"]
    posterior = wine_fit["posterior"]
    beta = posterior["beta"]
    for label, name in [("temp[warm]", "tempwarm"), ("contact[yes]", "contactyes")]:
        draws = beta.sel(coef=label)
        assert abs(float(draws.mean()) - reference["beta"][name]) < 0.5 * float(draws.std())
        assert float(draws.std()) == pytest.approx(reference["beta_se"][name], rel=0.15)
    for label, value in reference["cutpoints"].items():
        draws = posterior["cutpoints"].sel(rating__threshold=label)
        assert abs(float(draws.mean()) - value) < 0.5 * float(draws.std()), label
    sd = posterior["sd_judge"].values.reshape(-1)
    low, high = np.quantile(sd, [0.2, 0.8])
    assert low < reference["sd_judge"] < high


def test_the_same_seed_gives_the_same_draws(wine_model):
    kwargs = {"draws": 20, "tune": 20, "chains": 2, "random_seed": 3, "cores": 1}
    first = sample_gibbs(wine_model.design, wine_model.priors, wine_model.family, **kwargs)
    second = sample_gibbs(wine_model.design, wine_model.priors, wine_model.family, **kwargs)
    np.testing.assert_array_equal(
        first["posterior"]["cutpoints"].values, second["posterior"]["cutpoints"].values
    )


# -- refused before any work ----------------------------------------------------------------------
def _refusal_data() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 40
    return pd.DataFrame(
        {
            "r": rng.integers(1, 4, n),
            "count": rng.poisson(2, n),
            "c": rng.normal(size=n),
            "x": rng.normal(size=n),
            "z": rng.normal(size=n),
            "g": np.repeat(list("abcd"), 10),
        }
    )


REFUSED = [
    (
        "r ~ x + (1 | g)",
        {"family": "cumulative", "link": "logit"},
        "family 'cumulative' with the logit",
    ),
    ("r ~ x + (1 | g)", {"family": "cumulative", "link": "cloglog"}, "the cloglog link"),
    ("r ~ x + (1 | g)", {"family": "sratio", "link": "probit"}, "family 'sratio'"),
    ("r ~ x + (1 | g)", {"family": "acat", "link": "probit"}, "family 'acat'"),
    ("count ~ x + (1 | g)", {"family": "zero_inflated_poisson"}, "zero_inflated_poisson"),
    ("count ~ x + (1 | g)", {"family": "zero_inflated_poisson", "zi": "~ x"}, "zero_inflated"),
    ("count ~ x + (1 | g)", {"family": "hurdle_poisson", "hu": "~ x"}, "hurdle_poisson"),
    ("c ~ x + (1 | g)", {"dispersion_formula": "~ z"}, "formulas for family parameters"),
    (
        "r ~ x + (1 | g)",
        {"family": "cumulative", "link": "probit", "random_family": "gamma"},
        "gamma\\(log\\) random effects",
    ),
]


@pytest.mark.parametrize(("formula", "options", "message"), REFUSED, ids=lambda v: str(v)[:40])
def test_other_ordinal_and_new_issue_models_are_refused_before_any_work(
    formula, options, message, monkeypatch
):
    def never(*args, **kwargs):
        raise AssertionError("the Gibbs backend ran")

    monkeypatch.setattr(GibbsBackend, "run", never)
    model = bayesml.Model(formula, _refusal_data(), **options)
    with pytest.raises(FamilyError, match=rf"^method='gibbs' .*{message}.*method='nuts'"):
        model.sample(method="gibbs", draws=5, tune=5, chains=1)


# -- against NUTS ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_wine_gibbs_agrees_with_nuts(wine_model):
    """Posterior means of β, the thresholds and sd_judge within 0.15 posterior SD of NUTS's, SDs
    within 10 %; the same names, dims and coordinates in every group they share.

    Tolerance: Gibbs keeps 4 × 5000 draws (ESS about 6000–9600 for these parameters) and NUTS
    4 × 2500 (ESS about 2500–6800), so the Monte Carlo SE of the difference of the two means is
    about 0.02 posterior SD (0.016–0.024 in the run that set the tolerance, whose differences were
    at most 0.02 SD and whose SDs agreed within 1.5 %). The test checks that this SE is below
    0.15/4 SD for each parameter, so 0.15 SD is at least four Monte Carlo SEs: a chance failure
    is rare, and a bias of a sixth of a posterior SD is caught. (With tuned proposal steps the
    Hastings ratio of Cowles' proposal is close to 1, so a run cannot tell it from a symmetric
    one; the unit tests above check it and the invariance of the step exactly.)
    """
    import arviz_stats

    gibbs = wine_model.sample(
        method="gibbs", draws=5000, tune=1000, random_seed=31, check=False, log_prior=True
    )
    nuts = wine_model.sample(draws=2500, tune=1000, random_seed=32, check=False)
    for group in ("posterior", "log_likelihood", "log_prior"):
        first, second = gibbs[group].to_dataset(), nuts[group].to_dataset()
        assert list(first.data_vars) == list(second.data_vars), group
        for name in first.data_vars:
            assert first[name].dims == second[name].dims, (group, name)
        for dim in first.dims:
            if dim not in ("chain", "draw"):
                assert first[dim].values.tolist() == second[dim].values.tolist(), dim
    problems = []
    for name in ("beta", "cutpoints", "sd_judge"):
        a = gibbs["posterior"][name].values.reshape(4, 5000, -1)
        b = nuts["posterior"][name].values.reshape(4, 2500, -1)
        for k in range(a.shape[-1]):
            sd = b[..., k].std()
            mcse = math.hypot(
                float(arviz_stats.mcse(a[..., k], method="mean")),
                float(arviz_stats.mcse(b[..., k], method="mean")),
            )
            assert mcse < 0.15 / 4 * sd, (name, k, mcse / sd)
            difference = (a[..., k].mean() - b[..., k].mean()) / sd
            if abs(difference) > 0.15:
                problems.append(f"{name}[{k}]: mean differs by {difference:.3f} SD")
            if abs(a[..., k].std() / sd - 1) > 0.10:
                problems.append(f"{name}[{k}]: SDs {a[..., k].std():.4g} vs {sd:.4g}")
    assert not problems, "; ".join(problems)
