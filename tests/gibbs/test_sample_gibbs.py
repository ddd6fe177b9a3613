"""``sample_gibbs``: what only the Gibbs result has (sample_stats, its log_prior), probit results,
reproducibility, thinning, worker processes and arguments. The backend result contract shared
with NUTS is tested in ``tests/model/test_result_structure.py``."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from scipy import special, stats

import bayesml
from bayesml.backends.gibbs import sample_gibbs
from tests.model._hier import HIER_FORMULA, simulate_hierarchical

CHAINS, DRAWS = 2, 150


@pytest.fixture(scope="module")
def hier_data():
    return simulate_hierarchical()


@pytest.fixture(scope="module")
def hier_model(hier_data):
    return bayesml.Model(HIER_FORMULA, hier_data)


def _run(model, **kwargs):
    options = {"draws": DRAWS, "tune": 100, "chains": CHAINS, "random_seed": 3, "cores": 1} | kwargs
    return sample_gibbs(model.design, model.priors, model.family, **options)


@pytest.fixture(scope="module")
def hier_fit(hier_model):
    return _run(hier_model)


# -- groups and names ----------------------------------------------------------------------------


def test_result_is_marked_as_a_gibbs_result(hier_fit):
    """(The groups, names and values every backend shares are checked for both methods in
    tests/model/test_result_structure.py.)"""
    assert hier_fit.attrs["bayesml_sampler"] == "gibbs"
    assert hier_fit["posterior"].attrs["sampling_time"] > 0


def test_sample_stats_record_the_slice_steps(hier_fit):
    stats_group = hier_fit["sample_stats"].to_dataset()
    # default priors: half-t SDs and sigma (slice steps), LKJ on g (Metropolis)
    assert stats_group["accept_corr_g"].dims == ("chain", "draw")
    assert np.all(
        (stats_group["accept_corr_g"].values >= 0) & (stats_group["accept_corr_g"].values <= 1)
    )
    assert stats_group["slice_evals_sd_h"].dims == ("chain", "draw", "h__term")
    assert stats_group["slice_evals_sigma"].values.min() >= 2
    assert stats_group["expansion_evals_g"].dims == ("chain", "draw", "g__term")
    assert stats_group["shear_evals_g"].dims == ("chain", "draw")


# -- values --------------------------------------------------------------------------------------


def test_log_prior_matches_scipy(hier_fit, hier_model):
    log_prior = hier_fit["log_prior"]
    assert set(log_prior.data_vars) == {"beta", "sd_g", "corr_g", "sd_h", "sigma"}
    sigma_prior = hier_model.priors.aux["sigma"]
    sigma = hier_fit["posterior"]["sigma"].values
    expected = np.log(2) + stats.t.logpdf(sigma, df=sigma_prior["nu"], scale=sigma_prior["sigma"])
    np.testing.assert_allclose(log_prior["sigma"].values, expected, rtol=1e-10)
    # LKJ(1) on a 2 × 2 correlation matrix: uniform correlation on (−1, 1)
    np.testing.assert_allclose(log_prior["corr_g"].values, np.log(0.5))
    slope_prior = hier_model.priors.fixed["x"]
    beta_x = hier_fit["posterior"]["beta"].sel(coef="x").values
    expected = stats.norm.logpdf(beta_x, slope_prior["mu"], slope_prior["sigma"])
    np.testing.assert_allclose(log_prior["beta"].sel(coef="x").values, expected, rtol=1e-10)


def test_log_prior_can_be_left_out(hier_model):
    assert "log_prior" not in _run(hier_model, draws=5, tune=5, log_prior=False).children


def test_probit_result_has_no_sigma_and_a_bernoulli_log_likelihood(hier_data):
    data = hier_data.assign(b=(hier_data["y"] > hier_data["y"].median()).astype(int))
    model = bayesml.Model("b ~ x + (1 | g)", data, family="bernoulli", link="probit")
    result = _run(model, draws=40, tune=40)
    posterior = result["posterior"].to_dataset()
    assert set(posterior.data_vars) == {"beta", "sd_g", "u_g"}
    beta = posterior["beta"].values[0, 5]
    u = posterior["u_g"].values[0, 5, :, 0]
    levels = [str(v) for v in posterior.coords["g__level"].values]
    eta = beta[0] + beta[1] * data["x"].to_numpy() + u[[levels.index(g) for g in data["g"]]]
    expected = np.where(data["b"] == 1, special.log_ndtr(eta), special.log_ndtr(-eta))
    # stored as float32
    np.testing.assert_allclose(result["log_likelihood"]["b"].values[0, 5], expected, rtol=1e-6)


# -- reproducibility -----------------------------------------------------------------------------


def test_same_seed_gives_identical_draws_and_another_seed_other_draws(hier_model):
    first, second = _run(hier_model, draws=20, tune=20), _run(hier_model, draws=20, tune=20)
    third = _run(hier_model, draws=20, tune=20, random_seed=4)
    for name in ("beta", "u_g", "sd_g", "corr_g", "sigma"):
        np.testing.assert_array_equal(
            first["posterior"][name].values, second["posterior"][name].values
        )
    assert not np.array_equal(first["posterior"]["beta"].values, third["posterior"]["beta"].values)
    # chains start apart and run apart
    beta = first["posterior"]["beta"].values
    assert not np.array_equal(beta[0], beta[1])


def test_parallel_processes_give_the_draws_of_one_process(hier_model):
    serial = _run(hier_model, draws=30, tune=20, cores=1)
    parallel = _run(hier_model, draws=30, tune=20, cores=2)
    for name in ("beta", "u_g", "u_h", "sigma"):
        np.testing.assert_array_equal(
            serial["posterior"][name].values, parallel["posterior"][name].values
        )


def test_thinning_keeps_every_thin_th_sweep(hier_model):
    full = _run(hier_model, draws=40, tune=20)
    thinned = _run(hier_model, draws=20, tune=20, thin=2)
    np.testing.assert_array_equal(
        thinned["posterior"]["beta"].values, full["posterior"]["beta"].values[:, 1::2]
    )


def test_progress_bar_does_not_change_the_draws(hier_model):
    quiet = _run(hier_model, draws=10, tune=10)
    shown = _run(hier_model, draws=10, tune=10, progressbar=True)
    np.testing.assert_array_equal(
        quiet["posterior"]["beta"].values, shown["posterior"]["beta"].values
    )


def test_model_sample_with_method_gibbs_is_sample_gibbs(hier_model):
    result = hier_model.sample(
        method="gibbs", draws=20, tune=20, chains=2, random_seed=3,
        sampler_kwargs={"cores": 1, "thin": 2}, check=False,
    )  # fmt: skip
    direct = _run(hier_model, draws=20, tune=20, thin=2)
    assert result.attrs["bayesml_method"] == "gibbs"
    np.testing.assert_array_equal(
        result["posterior"]["u_g"].values, direct["posterior"]["u_g"].values
    )


def test_the_gibbs_backend_does_not_import_pymc():
    code = textwrap.dedent(
        """
        import sys
        import bayesml
        from bayesml.backends.gibbs import sample_gibbs
        model = bayesml.Model("weight ~ day + (1 + day | rat)", "rats")
        sample_gibbs(model.design, model.priors, model.family, draws=5, tune=5, chains=1)
        assert "pymc" not in sys.modules and "pytensor" not in sys.modules, "PyMC imported"
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(_root()))


def _root():
    from pathlib import Path

    return Path(__file__).resolve().parents[2]


# -- arguments -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"draws": 0}, r"draws must be an integer >= 1; got draws=0"),
        ({"tune": -1}, r"tune must be an integer >= 0; got tune=-1"),
        ({"chains": 1.5}, r"chains must be an integer >= 1; got chains=1\.5"),
        ({"thin": 0}, r"thin must be an integer >= 1; got thin=0"),
        ({"cores": 0}, r"cores must be an integer >= 1; got cores=0"),
        ({"random_seed": -3}, r"random_seed must be an integer >= 0; got random_seed=-3"),
        ({"draws": True}, r"draws must be an integer >= 1; got draws=True"),
        (
            {"probit_form": "joint"},
            r"probit_form must be 'marginal' or 'latent'; got probit_form='joint'",
        ),
    ],
)
def test_bad_arguments_are_refused(hier_model, options, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        _run(hier_model, **options)


# -- worker processes ------------------------------------------------------------------------------


def _problem(model):
    from bayesml.backends.gibbs.problem import build_problem

    return build_problem(model.design, model.priors, model.family)


def _chains(problem, cores=2):
    from bayesml.backends.gibbs.driver import run_chains
    from bayesml.backends.gibbs.sampler import SamplerOptions

    return run_chains(
        problem, draws=5, tune=5, chains=2, thin=1, random_seed=1, cores=cores,
        progressbar=False, options=SamplerOptions(),
    )  # fmt: skip


def test_worker_processes_are_kept_for_the_next_fit_and_can_be_stopped(hier_model):
    from bayesml.backends.gibbs import driver

    problem = _problem(hier_model)
    _chains(problem)
    pool = driver._POOL._pool
    assert pool is not None
    _chains(problem)
    assert driver._POOL._pool is pool
    driver.shutdown_workers()
    assert driver._POOL._pool is None


def test_an_error_in_a_worker_reaches_the_caller(hier_model):
    import dataclasses

    from bayesml.backends.gibbs.linear_algebra import Regression
    from bayesml.errors import DataError

    problem = _problem(
        bayesml.Model(
            "y ~ x",
            hier_model.data,
            priors={"intercept": {"dist": "flat"}, "fixed": {"dist": "flat"}},
        )
    )
    broken = dataclasses.replace(
        problem,
        regression=Regression(np.column_stack([problem.regression.X[:, 0], np.zeros(72)]), []),
    )
    with pytest.raises(DataError, match=r"not positive definite"):
        _chains(broken)
    assert len(_chains(problem)) == 2  # a fresh pool afterwards
