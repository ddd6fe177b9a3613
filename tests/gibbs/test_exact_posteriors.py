"""Whole Gibbs runs against posteriors computed by quadrature (one unknown each).

Each model has one parameter whose marginal posterior can be integrated numerically; the residual
SD, where there is one, is pinned at 1 by a scaled-inv-χ² prior with ν = 10⁶. Means must agree
within 4 Monte Carlo standard errors and SDs within 10 %.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

import bayesml
from bayesml.backends.gibbs import sample_gibbs

from ._helpers import grouped_data

PINNED_SIGMA = {"dist": "scaled_inv_chi2", "nu": 1e6, "s": 1.0}


def _sample(model, **kwargs):
    options = {"draws": 1500, "tune": 300, "chains": 2, "cores": 1, "log_prior": False} | kwargs
    return sample_gibbs(model.design, model.priors, model.family, random_seed=7, **options)


def _posterior_moments(log_density, lower, upper, points=20_001):
    """Mean and SD of a scalar posterior from its log density on a fine grid."""
    grid = np.linspace(lower, upper, points)
    values = log_density(grid)
    weights = np.exp(values - values.max())
    weights /= weights.sum()
    mean = float((weights * grid).sum())
    return mean, float(np.sqrt((weights * (grid - mean) ** 2).sum()))


def _check(draws, expected_mean, expected_sd):
    import arviz_stats

    mcse = float(arviz_stats.mcse(draws, method="mean"))
    values = draws.values.reshape(-1)
    assert abs(values.mean() - expected_mean) < 4 * mcse, (values.mean(), expected_mean, mcse)
    assert values.std() == pytest.approx(expected_sd, rel=0.10)


def _one_way_log_posterior(data: pd.DataFrame, sd_prior_sigma: float):
    """log p(σ_u | y) for y = μ + u_g + e, e ~ N(0, 1), flat μ, σ_u ~ half-normal."""
    y = data["y"].to_numpy()
    groups = pd.factorize(data["g"])[0]
    Z = np.eye(groups.max() + 1)[groups]
    ones = np.ones(len(y))

    def log_density(grid):
        out = np.empty_like(grid)
        for position, sd in enumerate(grid):
            V = np.eye(len(y)) + sd**2 * Z @ Z.T
            Vinv = np.linalg.inv(V)
            information = ones @ Vinv @ ones
            mu = (ones @ Vinv @ y) / information
            residual = y - mu
            _, logdet = np.linalg.slogdet(V)
            out[position] = -0.5 * (logdet + np.log(information) + residual @ Vinv @ residual)
        return out + stats.halfnorm(scale=sd_prior_sigma).logpdf(grid)

    return log_density


@pytest.mark.parametrize(
    "expansion", [True, False, "auto"], ids=["with-expansion", "without", "chosen-in-warm-up"]
)
def test_one_way_random_effects_sd_matches_quadrature(expansion):
    data = grouped_data(seed=4, groups=8, per_group=5, sd_group=0.4)
    model = bayesml.Model(
        "y ~ 1 + (1 | g)",
        data,
        priors={
            "intercept": {"dist": "flat"},
            "sd": {"dist": "half_normal", "sigma": 1.0},
            "sigma": PINNED_SIGMA,
        },
    )
    draws = 3000 if expansion is True else 6000  # the centred chain mixes more slowly
    tune = 600 if expansion == "auto" else 300  # long enough to compare
    result = _sample(model, draws=draws, tune=tune, expansion=expansion)
    mean, sd = _posterior_moments(_one_way_log_posterior(data, 1.0), 1e-4, 3.0, points=601)
    _check(result["posterior"]["sd_g"].isel(g__term=0), mean, sd)


def _binary_data(n=60, seed=2):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"b": (rng.uniform(size=n) < 0.3).astype(int)})


@pytest.mark.parametrize("expansion", [True, False], ids=["with-expansion", "without"])
def test_probit_intercept_matches_quadrature(expansion):
    data = _binary_data()
    model = bayesml.Model(
        "b ~ 1",
        data,
        family="bernoulli",
        link="probit",
        priors={"intercept": {"dist": "normal", "mu": 0, "sigma": 2}},
    )
    successes, n = data["b"].sum(), len(data)

    def log_density(beta):
        return (
            successes * special.log_ndtr(beta)
            + (n - successes) * special.log_ndtr(-beta)
            + stats.norm(0, 2).logpdf(beta)
        )

    mean, sd = _posterior_moments(log_density, -4, 4)
    _check(_sample(model, expansion=expansion)["posterior"]["beta"].isel(coef=0), mean, sd)


def test_logit_intercept_with_a_cauchy_prior_matches_quadrature():
    pytest.importorskip("polyagamma")
    data = _binary_data(seed=3)
    model = bayesml.Model(
        "b ~ 1",
        data,
        family="bernoulli",
        priors={"intercept": {"dist": "cauchy", "mu": 0, "sigma": 1}},
    )
    successes, n = data["b"].sum(), len(data)

    def log_density(beta):
        return (
            successes * -np.logaddexp(0, -beta)
            + (n - successes) * -np.logaddexp(0, beta)
            + stats.cauchy(0, 1).logpdf(beta)
        )

    mean, sd = _posterior_moments(log_density, -6, 6)
    _check(_sample(model)["posterior"]["beta"].isel(coef=0), mean, sd)


def test_binomial_probit_rows_are_expanded_to_trials():
    data = pd.DataFrame({"r": [3, 7, 1], "n": [10, 12, 9]})
    model = bayesml.Model(
        "cbind(r, n - r) ~ 1",
        data,
        family="binomial",
        link="probit",
        priors={"intercept": {"dist": "flat"}},
    )
    successes, trials = data["r"].sum(), data["n"].sum()

    def log_density(beta):
        return successes * special.log_ndtr(beta) + (trials - successes) * special.log_ndtr(-beta)

    mean, sd = _posterior_moments(log_density, -3, 3)
    _check(_sample(model)["posterior"]["beta"].isel(coef=0), mean, sd)


def test_student_t_slope_prior_matches_quadrature():
    data = grouped_data(seed=6, groups=4, per_group=3)
    model = bayesml.Model(
        "y ~ 0 + x",
        data,
        priors={
            "fixed": {"dist": "student_t", "nu": 3, "mu": 0, "sigma": 0.2},
            "sigma": PINNED_SIGMA,
        },
    )
    x, y = data["x"].to_numpy(), data["y"].to_numpy()

    def log_density(beta):
        residual = y[None, :] - beta[:, None] * x[None, :]
        return -0.5 * (residual**2).sum(1) + stats.t(3, 0, 0.2).logpdf(beta)

    mean, sd = _posterior_moments(log_density, -3, 4)
    _check(_sample(model)["posterior"]["beta"].isel(coef=0), mean, sd)


def test_quadrature_reference_integrates_to_the_closed_form_for_a_normal_prior():
    """The grid helper itself: a normal-normal posterior (known mean and SD)."""
    mean, sd = _posterior_moments(
        lambda b: stats.norm(1.0, 0.5).logpdf(b) + stats.norm(0.0, 1.0).logpdf(b), -5, 5
    )
    precision = 1 / 0.25 + 1.0
    assert mean == pytest.approx((1.0 / 0.25) / precision, abs=1e-8)
    assert sd == pytest.approx(precision**-0.5, abs=1e-8)


def test_offsets_and_prior_weights_match_the_conjugate_posterior():
    """y_i ~ N(β x_i + o_i, 1/w_i) with σ pinned at 1 and β ~ N(0.5, 2²): a normal posterior."""
    rng = np.random.default_rng(8)
    x, o, w = rng.normal(size=30), rng.normal(size=30), rng.uniform(0.5, 3.0, 30)
    y = 0.8 * x + o + rng.normal(size=30) / np.sqrt(w)
    data = pd.DataFrame({"y": y, "x": x, "o": o, "w": w})
    model = bayesml.Model(
        "y ~ 0 + x + offset(o)",
        data,
        weights="w",
        priors={"fixed": {"dist": "normal", "mu": 0.5, "sigma": 2.0}, "sigma": PINNED_SIGMA},
    )
    precision = np.sum(w * x**2) + 1 / 4
    mean = (np.sum(w * x * (y - o)) + 0.5 / 4) / precision
    _check(_sample(model)["posterior"]["beta"].isel(coef=0), mean, precision**-0.5)


def test_binomial_logit_rows_use_polya_gamma_with_their_trials():
    pytest.importorskip("polyagamma")
    data = pd.DataFrame({"r": [3, 7, 1], "n": [10, 12, 9]})
    model = bayesml.Model(
        "cbind(r, n - r) ~ 1", data, family="binomial", priors={"intercept": {"dist": "flat"}}
    )
    successes, trials = data["r"].sum(), data["n"].sum()

    def log_density(beta):
        return -successes * np.logaddexp(0, -beta) - (trials - successes) * np.logaddexp(0, beta)

    mean, sd = _posterior_moments(log_density, -4, 3)
    _check(_sample(model)["posterior"]["beta"].isel(coef=0), mean, sd)


def test_a_model_without_fixed_effects_samples_the_random_effects_only():
    model = bayesml.Model("y ~ 0 + (1 | g)", grouped_data())
    result = _sample(model, draws=50, tune=20)
    assert set(result["posterior"].data_vars) == {"sd_g", "u_g", "sigma"}
