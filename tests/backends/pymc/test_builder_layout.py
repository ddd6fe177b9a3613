"""The layout of the PyMC graph the builder writes, and the results layer that reads it back.

The graph is written for numba (scalar coefficients and SDs, one vector of standardised effects
and one column of effects per term); these tests pin that layout, that ``u_<group>`` stacked from
its columns is the model's own ``u_<group>``, and that the numpy ``log_prior`` group is the log
density of each prior at the draws (scipy, and PyMC's own densities of the old vector variables).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import pytest
import xarray as xr
from scipy import stats

import bayesml
from bayesml.backends.pymc import sample_prior_predictive
from bayesml.backends.pymc.builder import derived_names
from bayesml.backends.pymc.results import log_prior_dataset, with_effect_stacks
from bayesml.priors import Prior
from bayesml.results.log_prior import GroupPriors
from bayesml.results.log_prior import log_prior_dataset as shared_log_prior_dataset

DRAWS = 40


def grouped_data(seed: int = 5, n_groups: int = 6, per_group: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat([f"G{i}" for i in range(n_groups)], per_group)
    x = rng.normal(size=g.size)
    h = rng.choice(["a", "b", "c"], size=g.size)
    y = 1.0 + 0.5 * x + rng.normal(size=g.size)
    return pd.DataFrame({"y": y, "x": x, "g": g, "h": h, "k": rng.integers(0, 5, g.size)})


LKJ_PRIORS = {
    "intercept": {"dist": "normal", "mu": 1, "sigma": 10},
    "fixed": {"dist": "normal", "mu": 0, "sigma": 2},
    "sd": {"dist": "half_normal", "sigma": 1.5},
    "sd_h": {"dist": "exponential", "rate": 2},
    "cov": {"dist": "lkj", "eta": 2},
    "sigma": {"dist": "half_normal", "sigma": 3},
}


@pytest.fixture(scope="module")
def lkj_model():
    return bayesml.Model("y ~ x + (1 + x | g) + (1 | h)", grouped_data(), priors=LKJ_PRIORS)


def prior_draws(model) -> xr.Dataset:
    """Every variable of the PyMC model (helpers included) drawn from the prior, as a posterior."""
    pymc_model, info = model._nuts.graph(model._inputs)
    tree = sample_prior_predictive(pymc_model, info, draws=DRAWS, random_seed=3)
    return tree["prior"].to_dataset()


@pytest.fixture(scope="module")
def lkj_draws(lkj_model):
    return prior_draws(lkj_model)


# -- layout ------------------------------------------------------------------------------


def test_coefficients_sds_and_effects_are_scalars_and_per_term_vectors(lkj_model):
    pymc_model = lkj_model.pymc_model
    shapes = {rv.name: tuple(rv.shape.eval()) for rv in pymc_model.free_RVs}
    assert shapes == {
        "_beta_0": (),
        "_beta_1": (),
        "_z_g_0": (6,),
        "_z_g_1": (6,),
        "_sd_g_0": (),
        "_sd_g_1": (),
        "_corr_g_beta": (),
        "_z_h_0": (3,),
        "_sd_h_0": (),
        "sigma": (),
    }
    dims = pymc_model.named_vars_to_dims
    assert dims["beta"] == ("coef",)
    assert dims["sd_g"] == ("g__term",)
    assert dims["corr_g"] == ("g__term", "g__term_bis")
    assert dims["u_g"] == ("g__level", "g__term")
    assert dims["_u_g_1"] == ("g__level",)


def test_deterministics_computed_after_sampling_are_the_columns_not_the_stacks(lkj_model):
    pymc_model, info = lkj_model._nuts.graph(lkj_model._inputs)
    names = derived_names(pymc_model, info)
    assert "u_g" not in names and "u_h" not in names
    assert {"_u_g_0", "_u_g_1", "_u_h_0", "beta", "sd_g", "corr_g"} <= set(names)
    assert "sigma" not in names  # a free variable, stored by the sampler
    assert info.effect_columns == {"u_g": ("_u_g_0", "_u_g_1"), "u_h": ("_u_h_0",)}


def test_effects_stacked_from_the_columns_are_the_models_own(lkj_model, lkj_draws):
    _, info = lkj_model._nuts.graph(lkj_model._inputs)
    without = lkj_draws.drop_vars(["u_g", "u_h"])
    stacked = with_effect_stacks(without, info)
    for name in ("u_g", "u_h"):
        assert stacked[name].dims == lkj_draws[name].dims
        np.testing.assert_array_equal(stacked[name].values, lkj_draws[name].values)
    # a posterior that has u_<group> already is left as it is
    assert with_effect_stacks(lkj_draws, info) is lkj_draws


def test_intercept_only_model_has_a_linear_predictor_per_row():
    data = grouped_data()
    model = bayesml.Model("y ~ 1", data, priors={"sigma": {"dist": "half_normal", "sigma": 1}})
    draws = prior_draws(model)
    assert draws["beta"].shape == (1, DRAWS, 1)
    assert model.pymc_model["y"].shape.eval().tolist() == [len(data)]


def test_eta_matches_the_design_under_weakly_informative_scaling():
    """The scaled columns times the scaled coefficients give Xβ with β on the original scale."""
    data = grouped_data()
    model = bayesml.Model("y ~ x + k", data, priors={"fixed": {"dist": "weakly_informative"}})
    pymc_model, _ = model._nuts.graph(model._inputs)
    with pymc_model:
        mu = pymc_model["y"].owner.inputs[2]  # Normal(rng, size, mu, sigma)
        beta, eta = pm.draw([pymc_model["beta"], mu], draws=5, random_seed=1)
    np.testing.assert_allclose(eta, beta @ model.design.fixed.matrix.T, rtol=1e-10)


# -- log prior ---------------------------------------------------------------------------


def test_log_prior_holds_the_priors_only(lkj_model, lkj_draws):
    _, info = lkj_model._nuts.graph(lkj_model._inputs)
    log_prior = log_prior_dataset(lkj_draws, info)
    assert set(log_prior.data_vars) == {"beta", "sd_g", "corr_g", "sd_h", "sigma"}
    assert log_prior["beta"].dims == ("chain", "draw", "coef")
    assert log_prior["sd_g"].dims == ("chain", "draw", "g__term")
    assert log_prior["corr_g"].dims == ("chain", "draw")


def test_log_prior_matches_scipy(lkj_model, lkj_draws):
    _, info = lkj_model._nuts.graph(lkj_model._inputs)
    log_prior = log_prior_dataset(lkj_draws, info)
    beta = lkj_draws["beta"].values
    expected_beta = np.stack(
        [stats.norm(1, 10).logpdf(beta[..., 0]), stats.norm(0, 2).logpdf(beta[..., 1])], axis=-1
    )
    np.testing.assert_allclose(log_prior["beta"].values, expected_beta, rtol=1e-12)
    np.testing.assert_allclose(
        log_prior["sd_g"].values, stats.halfnorm(scale=1.5).logpdf(lkj_draws["sd_g"].values)
    )
    np.testing.assert_allclose(
        log_prior["sd_h"].values, stats.expon(scale=0.5).logpdf(lkj_draws["sd_h"].values)
    )
    np.testing.assert_allclose(
        log_prior["sigma"].values, stats.halfnorm(scale=3).logpdf(lkj_draws["sigma"].values)
    )


def test_log_prior_matches_pymcs_densities_of_the_sampled_variables(lkj_model, lkj_draws):
    """The old log_prior was PyMC's density of each free variable: the same numbers, where the
    variable is the parameter itself; for the LKJ correlation ρ = 2B − 1 it is the density of B
    less log 2 (the Jacobian of ρ ↦ B)."""
    _, info = lkj_model._nuts.graph(lkj_model._inputs)
    log_prior = log_prior_dataset(lkj_draws, info)
    sd = lkj_draws["sd_g"].values
    old_sd = pm.logp(pm.HalfNormal.dist(sigma=np.float64(1.5)), sd).eval()
    np.testing.assert_allclose(log_prior["sd_g"].values, old_sd, rtol=1e-12)
    b = lkj_draws["_corr_g_beta"].values
    old_corr = pm.logp(pm.Beta.dist(alpha=np.float64(2), beta=np.float64(2)), b).eval()
    np.testing.assert_allclose(log_prior["corr_g"].values, old_corr - np.log(2.0), rtol=1e-10)
    rho = lkj_draws["corr_g"].values[..., 0, 1]
    np.testing.assert_allclose(rho, 2 * b - 1, rtol=1e-12)


def test_weakly_informative_log_prior_is_the_cauchy_of_the_scaled_coefficients():
    data = grouped_data()
    model = bayesml.Model("y ~ x", data, priors={"fixed": {"dist": "weakly_informative"}})
    draws = prior_draws(model)
    _, info = model._nuts.graph(model._inputs)
    assert info.priors.coefficient_names == ("_beta_scaled_0", "_beta_scaled_1")
    log_prior = log_prior_dataset(draws, info)
    intercept_prior = model.priors.intercept
    expected = np.stack(
        [
            stats.cauchy(intercept_prior["mu"], intercept_prior["sigma"]).logpdf(
                draws["_beta_scaled_0"].values
            ),
            stats.cauchy(0, 2.5).logpdf(draws["_beta_scaled_1"].values),
        ],
        axis=-1,
    )
    np.testing.assert_allclose(log_prior["beta"].values, expected, rtol=1e-10)


def test_inverse_wishart_log_prior_is_the_density_of_sigma():
    scale = [[1.0, 0.2], [0.2, 0.5]]
    model = bayesml.Model(
        "y ~ x + (1 + x | g)",
        grouped_data(),
        priors={"cov": {"dist": "inverse_wishart", "nu": 5, "scale": scale}},
    )
    draws = prior_draws(model)
    _, info = model._nuts.graph(model._inputs)
    log_prior = log_prior_dataset(draws, info)
    assert "sd_g" not in log_prior and "corr_g" not in log_prior
    sd, corr = draws["sd_g"].values, draws["corr_g"].values
    cov = sd[..., :, None] * corr * sd[..., None, :]
    expected = [
        stats.invwishart(df=5, scale=np.array(scale)).logpdf(c) for c in cov.reshape(-1, 2, 2)
    ]
    np.testing.assert_allclose(log_prior["cov_g"].values.ravel(), expected, rtol=1e-8)


def test_shared_log_prior_rejects_mismatched_coefficients():
    posterior = xr.Dataset(coords={"chain": [0], "draw": [0, 1]})
    with pytest.raises(
        ValueError,
        match=r"^coefficients has 2 columns but coefficient_priors has 1 priors; "
        r"expected one prior per coefficient$",
    ):
        shared_log_prior_dataset(
            posterior,
            coefficients=np.zeros((1, 2, 2)),
            coefficient_priors=[Prior("normal", mu=0, sigma=1)],
            groups=[],
            aux_priors={},
        )


def test_shared_log_prior_of_uncorrelated_group_has_sds_only():
    sd = np.array([[[0.5, 1.0], [2.0, 0.1]]])
    posterior = xr.Dataset(
        {"sd_g": (("chain", "draw", "g__term"), sd)}, coords={"chain": [0], "draw": [0, 1]}
    )
    group = GroupPriors("g", ("a", "b"), (Prior("half_normal", sigma=1),) * 2, None)
    log_prior = shared_log_prior_dataset(
        posterior, coefficients=None, coefficient_priors=[], groups=[group], aux_priors={}
    )
    assert list(log_prior.data_vars) == ["sd_g"]
    assert list(log_prior["g__term"].values) == ["a", "b"]
    np.testing.assert_allclose(log_prior["sd_g"].values, stats.halfnorm.logpdf(sd))
