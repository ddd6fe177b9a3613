"""Random effects integrated out of the NUTS graph (``random_effects="integrated"``).

The marginal log-likelihood is checked against the dense multivariate normal density of the
response, the effects drawn back against their exact conditional posterior (computed densely),
the posterior against the graph that samples the effects, and the choice of graph and its errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import stats

import bayesml
from bayesml.backends.pymc.marginal import (
    build_marginal_model,
    draw_random_effects,
    group_statistics,
)
from bayesml.errors import FamilyError, SpecError


def grouped_data(seed: int = 3, n_groups: int = 7, per_group: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat([f"G{i}" for i in range(n_groups)], per_group)
    n = g.size
    x, z = rng.normal(size=n), rng.normal(size=n)
    effects = rng.normal(0, [0.9, 0.5, 0.3], size=(n_groups, 3))
    level = np.repeat(np.arange(n_groups), per_group)
    y = (
        40.0  # far from zero: the statistics are taken about a least-squares fit
        + 0.5 * x
        - 0.3 * z
        + effects[level, 0]
        + effects[level, 1] * x
        + effects[level, 2] * z
        + rng.normal(0, 0.6, n)
    )
    return pd.DataFrame(
        {
            "y": y,
            "x": x,
            "z": z,
            "g": g,
            "w": rng.uniform(0.5, 2.0, n),
            "t": rng.uniform(1.0, 3.0, n),
            "f": rng.choice(["a", "b"], n),
        }
    )


PRIORS = {"intercept": {"dist": "normal", "mu": 40, "sigma": 10}}

CASES = {
    "lkj, two terms": ("y ~ x + (1 + x | g)", {}, {}),
    "lkj, three terms": ("y ~ x + z + (1 + x + z | g)", {}, {}),
    "inverse-wishart": (
        "y ~ x + (1 + x | g)",
        {"cov": {"dist": "inverse_wishart", "nu": 4, "scale": [[1, 0.3], [0.3, 2]]}},
        {},
    ),
    "uncorrelated, weakly informative": (
        "y ~ x + f + (1 + x || g)",
        {"fixed": {"dist": "weakly_informative"}},
        {},
    ),
    "one term, weights and offset": (
        "y ~ x + offset(log(t)) + (1 | g)",
        {},
        {"weights": "w"},
    ),
    "no fixed effects": ("y ~ 0 + (1 + x | g)", {}, {}),
}


def dense_log_likelihood(model: bayesml.Model, values: dict[str, np.ndarray]) -> float:
    """log N(y | Xβ + offset, σ² W⁻¹ + Z (I ⊗ Σ) Zᵀ), densely."""
    design = model.design
    (block,) = design.random
    sd = np.atleast_1d(values[f"sd_{block.name}"])
    corr = values.get(f"corr_{block.name}", np.eye(sd.size))
    covariance = sd[:, None] * corr * sd[None, :]
    weights = design.response.weights
    weights = np.ones(design.n_obs) if weights is None else weights
    Z = block.Z.toarray()
    V = (
        np.diag(values["sigma"] ** 2 / weights)
        + Z @ np.kron(np.eye(block.n_levels), covariance) @ Z.T
    )
    mean = design.offset + (
        design.fixed.matrix @ values["beta"] if design.fixed.column_names else 0.0
    )
    return stats.multivariate_normal(mean, V).logpdf(design.response.y)


@pytest.mark.parametrize("case", list(CASES))
def test_marginal_log_likelihood_is_the_dense_normal_density(case):
    formula, priors, options = CASES[case]
    if "~ 0" not in formula:  # an intercept prior needs an intercept
        priors = PRIORS | priors
    model = bayesml.Model(formula, grouped_data(), priors=priors, **options)
    graph, _ = build_marginal_model(model.design, model.priors, model.family)
    potential = graph.compile_fn(graph.logp(sum=False)[-1], point_fn=True)
    values = graph.compile_fn(graph.unobserved_value_vars, point_fn=True)
    names = [var.name for var in graph.unobserved_value_vars]
    rng = np.random.default_rng(8)
    for _ in range(3):
        point = {
            name: value + rng.normal(0, 0.4, np.shape(value))
            for name, value in graph.initial_point().items()
        }
        expected = dense_log_likelihood(model, dict(zip(names, values(point), strict=True)))
        assert float(potential(point)) == pytest.approx(expected, rel=1e-10)


def conditional_posterior(model, beta, covariance, sigma):
    """Mean and covariance of u | β, Σ, σ, y, densely (u level-major, as the columns of Z)."""
    design = model.design
    (block,) = design.random
    Z = block.Z.toarray()
    weights = design.response.weights
    weights = np.ones(design.n_obs) if weights is None else weights
    residual = design.response.y - design.offset - design.fixed.matrix @ beta
    precision = (
        np.kron(np.eye(block.n_levels), np.linalg.inv(covariance))
        + Z.T @ (weights[:, None] * Z) / sigma**2
    )
    cov = np.linalg.inv(precision)
    return cov @ (Z.T @ (weights * residual)) / sigma**2, cov


def test_effects_drawn_back_follow_their_exact_conditional_posterior():
    model = bayesml.Model("y ~ x + (1 + x | g)", grouped_data(), weights="w")
    beta, sd, rho, sigma = np.array([39.5, 0.7]), np.array([0.8, 0.4]), 0.35, 0.7
    corr = np.array([[1.0, rho], [rho, 1.0]])
    n_draws = 20_000

    def repeated(value, *dims, coords=None):
        value = np.broadcast_to(value, (1, n_draws, *np.shape(value)))
        return xr.DataArray(value, dims=("chain", "draw", *dims), coords=coords)

    posterior = xr.Dataset(
        {
            "beta": repeated(beta, "coef"),
            "sd_g": repeated(sd, "g__term"),
            "corr_g": repeated(corr, "g__term", "g__term_bis"),
            "sigma": repeated(sigma),
        },
        coords={"chain": [0], "draw": np.arange(n_draws)},
    )
    effects = draw_random_effects(posterior, model.design, np.random.default_rng(2))
    assert effects.dims == ("chain", "draw", "g__level", "g__term")
    assert list(effects.coords["g__term"].values) == ["Intercept", "x"]
    draws = effects.values.reshape(n_draws, -1)  # level-major, as Z's columns
    mean, cov = conditional_posterior(model, beta, sd[:, None] * corr * sd[None, :], sigma)
    standard_error = np.sqrt(np.diag(cov) / n_draws)
    np.testing.assert_array_less(np.abs(draws.mean(axis=0) - mean), 4.5 * standard_error)
    np.testing.assert_allclose(np.cov(draws, rowvar=False), cov, atol=0.05 * np.max(np.diag(cov)))


def test_statistics_are_taken_about_a_least_squares_fit():
    model = bayesml.Model("y ~ x + (1 | g)", grouped_data())
    stats_ = group_statistics(model.design, model.design.fixed.matrix)
    # the residuals are orthogonal to the columns, so their scale is the data's noise, not 40
    np.testing.assert_allclose(model.design.fixed.matrix.T @ stats_.residual, 0.0, atol=1e-9)
    assert np.abs(stats_.residual).max() < 5
    assert stats_.cross.shape == (7, 1, 1)
    np.testing.assert_allclose(stats_.cross[:, 0, 0], 6.0)


# -- the posterior ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sleepstudy_fits():
    kwargs = dict(draws=1000, tune=1000, chains=2, random_seed=3)
    fits = {}
    for choice in ("integrated", "sampled"):
        model = bayesml.Model(
            "Reaction ~ Days + (Days | Subject)",
            "sleepstudy",
            random_effects=choice,
            # against the non-centred sampled graph (auto centres sleepstudy's informative levels)
            parameterization="noncentered",
        )
        fits[choice] = model.sample("nuts", **kwargs)
    return fits


@pytest.mark.parametrize("name", ["beta", "sd_Subject", "corr_Subject", "sigma", "u_Subject"])
def test_integrated_and_sampled_graphs_give_the_same_posterior(sleepstudy_fits, name):
    import arviz_stats

    integrated = sleepstudy_fits["integrated"]["posterior"][name]
    sampled = sleepstudy_fits["sampled"]["posterior"][name]
    assert integrated.dims == sampled.dims
    difference = np.abs(integrated.mean(("chain", "draw")) - sampled.mean(("chain", "draw")))
    error = np.hypot(arviz_stats.mcse(integrated), arviz_stats.mcse(sampled))
    finite = np.isfinite(error.values) & (error.values > 0)  # corr's diagonal is constant
    np.testing.assert_array_less(difference.values[finite], 4.5 * error.values[finite])
    spread = integrated.std(("chain", "draw")) / sampled.std(("chain", "draw"))
    np.testing.assert_allclose(spread.values[finite], 1.0, atol=0.12)


def test_integrated_fit_mixes_the_sds_better(sleepstudy_fits):
    import arviz_stats

    def min_ess(result):
        posterior = result["posterior"].to_dataset()[["sd_Subject", "sigma"]]
        return min(float(v.min()) for v in arviz_stats.ess(posterior).data_vars.values())

    assert min_ess(sleepstudy_fits["integrated"]) > 1.5 * min_ess(sleepstudy_fits["sampled"])


def test_integrated_result_has_the_shared_contract(sleepstudy_fits):
    result = sleepstudy_fits["integrated"]
    posterior = result["posterior"]
    assert not [name for name in posterior.data_vars if name.startswith("_")]
    assert posterior["u_Subject"].dims == ("chain", "draw", "Subject__level", "Subject__term")
    assert list(posterior["Subject__level"].values)[:2] == ["308", "309"]
    assert {"log_likelihood", "log_prior", "observed_data"} <= set(result.children)
    assert result["log_likelihood"]["Reaction"].shape == (2, 1000, 180)


def test_same_seed_draws_the_same_effects_back():
    model = bayesml.Model("y ~ x + (1 + x | g)", grouped_data())
    kwargs = dict(draws=30, tune=30, chains=1, random_seed=4, check=False, log_prior=False)
    first, second = model.sample("nuts", **kwargs), model.sample("nuts", **kwargs)
    np.testing.assert_array_equal(
        first["posterior"]["u_g"].values, second["posterior"]["u_g"].values
    )


# -- choosing the graph ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "family", "options", "expected"),
    [
        ("y ~ x + (1 + x | g)", "gaussian", {}, "integrated"),
        ("y ~ x + (1 | g) + (1 | f)", "gaussian", {}, "sampled"),
        ("y ~ x", "gaussian", {}, "sampled"),
        ("y ~ x + (1 | g)", "gaussian", {"link": "log"}, "sampled"),
        ("y ~ x + (1 | g)", "gaussian", {"random_effects": "sampled"}, "sampled"),
        ("y ~ x + (1 | g)", "gaussian", {"random_effects": "integrated"}, "integrated"),
        ("y ~ x + (1 | g)", "student_t", {}, "sampled"),
    ],
)
def test_auto_integrates_exactly_where_it_can(formula, family, options, expected):
    model = bayesml.Model(formula, grouped_data(), family=family, **options)
    assert model.random_effects == expected
    free = {var.name for var in model.sampling_pymc_model.free_RVs}
    # sampled effects: standardised (_z_, non-centred) or themselves (_u_, centred)
    assert any(name.startswith(("_z_", "_u_")) for name in free) == (
        expected == "sampled" and "|" in formula
    )
    # pymc_model always samples the effects, for users who extend it
    assert "|" not in formula or any(
        var.name.startswith(("_z_", "_u_")) for var in model.pymc_model.free_RVs
    )


@pytest.mark.parametrize(
    ("formula", "family", "message"),
    [
        ("y ~ x + (1 | g) + (1 | f)", "gaussian", r"exactly one grouping factor .* 2: g, f"),
        ("y ~ x", "gaussian", "has no random effects"),
        ("y ~ x + (1 | g)", "student_t", "family='student_t', link='identity'"),
    ],
)
def test_integrated_where_it_cannot_apply_says_why(formula, family, message):
    with pytest.raises(FamilyError, match=rf"random_effects='integrated': .*{message}"):
        bayesml.Model(formula, grouped_data(), family=family, random_effects="integrated")


def test_latent_probit_cannot_integrate():
    data = grouped_data().assign(yes=lambda d: (d.y > 40).astype(int))
    with pytest.raises(FamilyError, match="latent probit form samples its latent variables"):
        bayesml.Model(
            "yes ~ x + (1 | g)",
            data,
            family="bernoulli",
            link="probit",
            probit="latent",
            random_effects="integrated",
        )


def test_unknown_choice_is_refused():
    with pytest.raises(
        ValueError, match="random_effects: expected one of 'auto', 'sampled', 'integrated'"
    ):
        bayesml.Model("y ~ x + (1 | g)", grouped_data(), random_effects="marginal")


def test_spec_option_is_validated_and_round_trips():
    spec = {
        "formula": "Reaction ~ Days + (Days | Subject)",
        "data": "sleepstudy",
        "options": {"random_effects": "sampled"},
    }
    model = bayesml.Model.from_spec(spec)
    assert model.random_effects == "sampled"
    assert model.spec.to_dict()["options"] == {"random_effects": "sampled"}
    with pytest.raises(SpecError, match="options.random_effects"):
        bayesml.Model.from_spec(spec | {"options": {"random_effects": "marginal"}})


@pytest.mark.parametrize("sampler", ["pymc", "numpyro"])
def test_other_samplers_draw_the_effects_back_too(sampler):
    if sampler == "numpyro":
        pytest.importorskip("numpyro")
    model = bayesml.Model("y ~ x + (1 + x | g)", grouped_data())
    result = model.sample(
        draws=50, tune=50, chains=2, random_seed=1, check=False, log_prior=False,
        sampler_kwargs={"sampler": sampler},
    )
    posterior = result["posterior"]
    assert posterior["u_g"].dims == ("chain", "draw", "g__level", "g__term")
    assert posterior["u_g"].shape == (2, 50, 7, 2)
    assert np.all(np.isfinite(posterior["u_g"].values))
    assert not [name for name in posterior.data_vars if name.startswith("_")]
