"""Smooth terms on the NUTS backend: one SD per smooth (``shared_sd``).

A smooth's penalised part is a one-level random block whose r coefficients are iid N(0, sd²): the
graph has ONE scalar ``sd_<smooth>`` and non-centred effects ``u_<smooth> = sd · z``, z of shape
(1, r). Checked here: the graph's layout and linear predictor, the prior and log prior, the
marginal likelihood of the integrated graph against the dense normal density and the effects drawn
back against their exact conditional posterior, a nutpie run through summary, predict, LOO and
compare, and the posterior means of the smooths at gamm4's grids
(``tests/references/gamm4_references.json``, ``fits.gaussian_cr``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pymc as pm
import pytest
import xarray as xr
from scipy import stats

import bayesml
from bayesml.backends.pymc.marginal import build_marginal_model, draw_random_effects
from bayesml.backends.pymc.results import log_prior_dataset
from bayesml.backends.pymc.sampling import sample_prior_predictive

REFERENCES = json.loads(
    (Path(__file__).parents[1] / "references" / "gamm4_references.json").read_text()
)
GAUSSIAN_CR = REFERENCES["fits"]["gaussian_cr"]
DATA = pd.DataFrame(REFERENCES["data"])
SMOOTHS = ("s(x0)", "s(x2)")
PRIORS = {
    "sd": {"dist": "half_normal", "sigma": 1.5},
    "sd_s(x2)": {"dist": "exponential", "rate": 2},
    "sigma": {"dist": "half_normal", "sigma": 3},
}
ONE_SMOOTH = 'y ~ s(x2, bs="cr", k=10) + z'


@pytest.fixture(scope="module")
def gamm_model():
    return bayesml.Model(GAUSSIAN_CR["formula_bayesml"], DATA, priors=PRIORS)


@pytest.fixture(scope="module")
def gamm_prior(gamm_model):
    """Every variable of the sampled graph (helpers included) drawn from the prior."""
    graph, info = gamm_model._nuts.graph(gamm_model._inputs)
    return sample_prior_predictive(graph, info, draws=400, random_seed=3)["prior"].to_dataset()


# -- the graph --------------------------------------------------------------------------------


def test_one_scalar_sd_per_smooth(gamm_model):
    graph = gamm_model.pymc_model
    shapes = {rv.name: tuple(rv.shape.eval()) for rv in graph.free_RVs}
    for smooth in SMOOTHS:
        assert shapes[f"sd_{smooth}"] == ()  # the free variable itself: no term dimension
        assert shapes[f"_z_{smooth}"] == (1, 8)  # k = 10: 9 after the constraint, 1 fixed
        assert graph.named_vars_to_dims[f"_z_{smooth}"] == (f"{smooth}__level", f"{smooth}__term")
        assert graph.named_vars_to_dims[f"u_{smooth}"] == (f"{smooth}__level", f"{smooth}__term")
        assert not [name for name in shapes if name.startswith(f"_sd_{smooth}")]
    sds = sorted(name for name in shapes if "sd_" in name)
    assert sds == ["_sd_g_0", "sd_s(x0)", "sd_s(x2)"]  # (1 | g) keeps its per-term layout


def test_linear_predictor_is_fixed_part_plus_smooth_columns_times_effects(gamm_model):
    graph, _ = gamm_model._nuts.graph(gamm_model._inputs)
    design = gamm_model.design
    with graph:
        mu = graph["y"].owner.inputs[2]  # Normal(rng, size, mu, sigma)
        draws = pm.draw(
            [mu, graph["beta"], graph["u_g"], graph["u_s(x0)"], graph["u_s(x2)"]],
            draws=4,
            random_seed=2,
        )
    eta, beta, u_g, u_x0, u_x2 = draws
    blocks = {block.name: block for block in design.random}
    expected = (
        beta @ design.fixed.matrix.T
        + u_g[:, blocks["g"].group_index, 0]
        + u_x0[:, 0] @ blocks["s(x0)"].term_matrix.T
        + u_x2[:, 0] @ blocks["s(x2)"].term_matrix.T
    )
    np.testing.assert_allclose(eta, expected, rtol=1e-10, atol=1e-10)


def test_prior_draws_one_sd_and_effects_sd_times_standard_normals(gamm_prior):
    sd = gamm_prior["sd_s(x2)"]
    assert sd.dims == ("chain", "draw")
    # exponential(rate = 2) as asked; the other smooth takes the general sd prior
    assert stats.kstest(sd.values.ravel(), stats.expon(scale=0.5).cdf).pvalue > 1e-3
    assert (
        stats.kstest(gamm_prior["sd_s(x0)"].values.ravel(), stats.halfnorm(0, 1.5).cdf).pvalue
        > 1e-3
    )
    u = gamm_prior["u_s(x2)"]
    assert u.dims == ("chain", "draw", "s(x2)__level", "s(x2)__term")
    np.testing.assert_allclose(
        u.values, sd.values[..., None, None] * gamm_prior["_z_s(x2)"].values, rtol=1e-12
    )


def test_prior_predictive_on_the_datas_scale(gamm_model):
    tree = gamm_model.sample_prior(draws=200, random_seed=4)
    prior = tree["prior"]
    assert prior["sd_s(x0)"].dims == ("chain", "draw")
    assert prior["u_s(x0)"].sizes["s(x0)__term"] == 8
    y = tree["prior_predictive"]["y"].values
    assert y.shape[-1] == len(DATA) and np.isfinite(y).all()
    # weak priors: the prior predictive covers the data without being absurdly wide
    low, high = np.quantile(y, [0.01, 0.99])
    assert low < DATA["y"].min() and high > DATA["y"].max()
    assert high - low < 1000 * DATA["y"].std()


def test_log_prior_has_one_density_per_smooth(gamm_model, gamm_prior):
    _, info = gamm_model._nuts.graph(gamm_model._inputs)
    groups = {group.name: group for group in info.priors.groups}
    assert len(groups["s(x2)"].sd_priors) == 1
    assert groups["s(x2)"].sd_priors[0] == gamm_model.priors.sd["s(x2)"]["b1"]
    log_prior = log_prior_dataset(gamm_prior, info)
    assert log_prior["sd_s(x2)"].dims == ("chain", "draw")
    np.testing.assert_allclose(
        log_prior["sd_s(x2)"].values,
        stats.expon(scale=0.5).logpdf(gamm_prior["sd_s(x2)"].values),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        log_prior["sd_s(x0)"].values,
        stats.halfnorm(scale=1.5).logpdf(gamm_prior["sd_s(x0)"].values),
        rtol=1e-12,
    )
    assert log_prior["sd_g"].dims == ("chain", "draw", "g__term")
    assert "s(x2)__term" not in log_prior.coords


# -- the smooth integrated out ----------------------------------------------------------------


def test_marginal_likelihood_of_a_smooth_is_the_dense_normal_density():
    model = bayesml.Model(ONE_SMOOTH, DATA, priors=PRIORS)
    assert model.random_effects == "integrated"
    design = model.design
    (block,) = design.random
    graph, info = build_marginal_model(design, model.priors, model.family)
    assert info.integrated_group == "s(x2)"
    assert tuple(graph["sd_s(x2)"].shape.eval()) == ()
    potential = graph.compile_fn(graph.logp(sum=False)[-1], point_fn=True)
    values = graph.compile_fn(graph.unobserved_value_vars, point_fn=True)
    names = [var.name for var in graph.unobserved_value_vars]
    rng = np.random.default_rng(8)
    for _ in range(3):
        point = {
            name: value + rng.normal(0, 0.4, np.shape(value))
            for name, value in graph.initial_point().items()
        }
        value = dict(zip(names, values(point), strict=True))
        covariance = (
            value["sigma"] ** 2 * np.eye(design.n_obs)
            + value["sd_s(x2)"] ** 2 * block.term_matrix @ block.term_matrix.T
        )
        expected = stats.multivariate_normal(design.fixed.matrix @ value["beta"], covariance)
        assert float(potential(point)) == pytest.approx(
            expected.logpdf(design.response.y), rel=1e-10
        )


def test_smooth_effects_drawn_back_follow_their_exact_conditional_posterior():
    model = bayesml.Model(ONE_SMOOTH, DATA)
    design = model.design
    (block,) = design.random
    beta, sd, sigma = np.array([4.6, 0.5, 3.8]), 0.9, 1.4
    n_draws = 20_000
    posterior = xr.Dataset(
        {
            "beta": (("chain", "draw", "coef"), np.broadcast_to(beta, (1, n_draws, 3))),
            "sd_s(x2)": (("chain", "draw"), np.full((1, n_draws), sd)),
            "sigma": (("chain", "draw"), np.full((1, n_draws), sigma)),
        },
        coords={"chain": [0], "draw": np.arange(n_draws)},
    )
    effects = draw_random_effects(posterior, design, np.random.default_rng(2))
    assert effects.dims == ("chain", "draw", "s(x2)__level", "s(x2)__term")
    draws = effects.values.reshape(n_draws, -1)
    Xr = block.term_matrix
    precision = np.eye(Xr.shape[1]) / sd**2 + Xr.T @ Xr / sigma**2
    cov = np.linalg.inv(precision)
    mean = cov @ Xr.T @ (design.response.y - design.fixed.matrix @ beta) / sigma**2
    error = np.sqrt(np.diag(cov) / n_draws)
    np.testing.assert_array_less(np.abs(draws.mean(axis=0) - mean), 4.5 * error)
    np.testing.assert_allclose(np.cov(draws, rowvar=False), cov, atol=0.05 * np.max(np.diag(cov)))


# -- sampling ---------------------------------------------------------------------------------


def test_nutpie_run_through_summary_predict_loo_and_compare():
    import arviz_stats

    model = bayesml.Model(ONE_SMOOTH, DATA, priors=PRIORS)
    result = model.sample("nuts", draws=300, tune=300, chains=2, random_seed=5)
    assert result.attrs["bayesml_sampler"] == "nutpie"
    posterior = result["posterior"]
    assert posterior["sd_s(x2)"].dims == ("chain", "draw")
    assert posterior["u_s(x2)"].dims == ("chain", "draw", "s(x2)__level", "s(x2)__term")
    assert list(posterior.data_vars) == ["beta", "sd_s(x2)", "sigma", "u_s(x2)"]
    table = bayesml.summary(result)
    assert list(table.index) == [
        "beta[Intercept]", "beta[z]", "beta[s(x2)_fixed1]", "sd_s(x2)", "sigma"
    ]  # fmt: skip
    assert 0.3 < table.loc["sd_s(x2)", "mean"] < 2.0
    assert result["log_prior"]["sd_s(x2)"].dims == ("chain", "draw")
    new = pd.DataFrame({"x2": [0.1, 0.5, 0.9], "z": [0.0, 0.0, 1.0]})
    predicted = model.predict(result, new, kind="mean")
    assert predicted.shape == (2, 300, 3)
    # by hand: Xβ + Xr u on the new rows
    (smooth,) = model.design.smooths
    fixed, (random,) = smooth.transform(new)
    beta = posterior["beta"].values
    u = posterior["u_s(x2)"].values[:, :, 0]
    by_hand = beta[..., 0] [..., None] + beta[..., 1:2] * new["z"].values + (
        beta[..., 2:3] * fixed[:, 0] + u @ random.T
    )  # fmt: skip
    np.testing.assert_allclose(np.asarray(predicted), by_hand, rtol=1e-8)
    loo = arviz_stats.loo(result)
    assert np.isfinite(loo.elpd)
    comparison = bayesml.compare(result, result, names=["a", "b"])
    assert "sd_s(x2)" in comparison.table.index


def smooth_grid_deviation(model: bayesml.Model, result) -> dict[str, np.ndarray]:
    """(posterior mean − gamm4's fit) / posterior SD of each smooth at its 25-point grid."""
    posterior = result["posterior"]
    beta = posterior["beta"].stack(sample=("chain", "draw")).transpose("coef", "sample")
    deviations = {}
    for smooth in model.design.smooths:
        reference = GAUSSIAN_CR["smooth_grid"][smooth.label]
        grid = pd.DataFrame({reference["covariate"]: reference["x"]})
        fixed, (random,) = smooth.transform(grid)
        u = posterior[f"u_{smooth.label}"].isel({f"{smooth.label}__level": 0})
        u = u.stack(sample=("chain", "draw")).transpose(..., "sample").values
        values = fixed @ beta.sel(coef=list(smooth.fixed_labels)).values + random @ u
        deviations[smooth.label] = (values.mean(axis=1) - reference["fit"]) / values.std(axis=1)
    return deviations


def check_against_gamm4(draws: int, seed: int) -> None:
    model = bayesml.Model(GAUSSIAN_CR["formula_bayesml"], DATA)  # default (weak) priors
    result = model.sample(
        draws=draws,
        tune=draws,
        chains=4,
        random_seed=seed,
        check=False,
        sampler_kwargs={"target_accept": 0.9},
    )
    deviations = smooth_grid_deviation(model, result)
    for label, deviation in deviations.items():
        assert np.abs(deviation).max() < 0.3, (label, np.round(deviation, 3))


def test_smooths_at_the_grid_agree_with_gamm4_quick():
    """4 chains of 300 draws: max |mean − gamm4| / posterior SD was 0.20 (s(x0)), 0.04 (s(x2))."""
    check_against_gamm4(draws=300, seed=2)


@pytest.mark.slow
def test_smooths_at_the_grid_agree_with_gamm4():
    """4 chains of 1000 draws: max |mean − gamm4| / posterior SD was 0.14 (s(x0)), 0.05 (s(x2))."""
    check_against_gamm4(draws=1000, seed=2)


@pytest.mark.slow
def test_pymc_sampler_on_the_sampled_graph_agrees_with_the_integrated_one():
    kwargs = dict(draws=1000, tune=1000, chains=2, random_seed=7, check=False)
    integrated = bayesml.Model(ONE_SMOOTH, DATA, priors=PRIORS).sample("nuts", **kwargs)
    sampled = bayesml.Model(ONE_SMOOTH, DATA, priors=PRIORS, random_effects="sampled").sample(
        **kwargs, sampler_kwargs={"sampler": "pymc", "target_accept": 0.95}
    )
    import arviz_stats

    for name in ("beta", "sd_s(x2)", "sigma", "u_s(x2)"):
        a, b = integrated["posterior"][name], sampled["posterior"][name]
        assert a.dims == b.dims
        difference = np.abs(a.mean(("chain", "draw")) - b.mean(("chain", "draw")))
        error = np.hypot(arviz_stats.mcse(a), arviz_stats.mcse(b))
        np.testing.assert_array_less(difference.values, 4.5 * error.values)
