"""What ``Model.sample`` returns: the backend result contract (groups, the shared posterior names
and dims, the log-likelihood and log-prior values), checked for every method (``nuts`` and
``gibbs``) on the same model; then the NUTS backend's own groups, reproducibility and argument
errors (the Gibbs backend's own are in ``tests/gibbs/test_sample_gibbs.py``).

The numbers are checked against scipy densities evaluated by hand from the data frame's columns,
not against bayesml's own design matrices.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from scipy import special, stats

import bayesml
from bayesml.errors import MissingDependencyError, SamplingWarning

from ._hier import eta_by_hand

CHAINS, DRAWS = 2, 200  # of the shared ``hier_fit`` (tests/model/conftest.py) and the Gibbs fit


# -- the backend result contract: every sampling method ------------------------------------------

METHODS = ("nuts", "gibbs")


@pytest.fixture(scope="module")
def gibbs_hier_fit(hier_model):
    """The Gibbs sampler on the model of ``hier_fit``, as long a run."""
    return hier_model.sample(
        method="gibbs", draws=DRAWS, tune=200, chains=CHAINS, random_seed=11, check=False,
        sampler_kwargs={"cores": 1},
    )  # fmt: skip


@pytest.fixture(params=METHODS)
def backend_fit(request):
    """The shared model's fit by each method (``hier_fit`` is the NUTS one)."""
    return request.getfixturevalue("hier_fit" if request.param == "nuts" else "gibbs_hier_fit")


def test_result_has_the_groups_of_every_backend(backend_fit):
    expected = {"posterior", "sample_stats", "observed_data", "log_likelihood", "log_prior"}
    assert expected <= set(backend_fit.children)
    assert backend_fit.attrs["bayesml_method"] in METHODS


def test_posterior_variables_and_dims_follow_the_contract(backend_fit):
    posterior = backend_fit["posterior"].to_dataset()
    expected_dims = {
        "beta": ("chain", "draw", "coef"),
        "sd_g": ("chain", "draw", "g__term"),
        "corr_g": ("chain", "draw", "g__term", "g__term_bis"),
        "u_g": ("chain", "draw", "g__level", "g__term"),
        "sd_h": ("chain", "draw", "h__term"),
        "u_h": ("chain", "draw", "h__level", "h__term"),
        "sigma": ("chain", "draw"),
    }
    assert {name: posterior[name].dims for name in posterior.data_vars} == expected_dims
    assert posterior.sizes["chain"] == CHAINS and posterior.sizes["draw"] == DRAWS
    coords = {dim: [str(v) for v in posterior.coords[dim].values] for dim in posterior.dims}
    assert coords["coef"] == ["Intercept", "x", "f[b]", "f[c]"]
    assert coords["g__term"] == coords["g__term_bis"] == ["Intercept", "x"]
    assert coords["g__level"] == [f"g{i}" for i in range(6)]
    assert coords["h__term"] == ["Intercept"]
    assert coords["h__level"] == [f"h{i}" for i in range(4)]
    hidden = [name for name in [*posterior.variables, *posterior.dims] if str(name).startswith("_")]
    assert hidden == []


def test_corr_draws_are_correlation_matrices_and_sd_positive(backend_fit):
    corr = backend_fit["posterior"]["corr_g"].values
    np.testing.assert_allclose(corr[..., 0, 0], 1.0, atol=1e-12)
    np.testing.assert_allclose(corr[..., 1, 1], 1.0, atol=1e-12)
    np.testing.assert_allclose(corr[..., 0, 1], corr[..., 1, 0], atol=1e-12)
    assert np.all(np.abs(corr[..., 0, 1]) < 1)
    assert np.all(backend_fit["posterior"]["sd_g"].values > 0)


def test_observed_data_holds_the_response(backend_fit, hier_data):
    observed = backend_fit["observed_data"]["y"]
    assert observed.dims == ("obs",)
    np.testing.assert_array_equal(observed.values, hier_data["y"].to_numpy())


def test_posterior_variables_are_in_the_shared_order(backend_fit):
    # beta, sd_*, corr_*, family parameters, u_*: the same for every backend
    order = ["beta", "sd_g", "sd_h", "corr_g", "sigma", "u_g", "u_h"]
    assert list(backend_fit["posterior"].data_vars) == order
    table = bayesml.summary(backend_fit)
    assert [label.split("[")[0] for label in table.index] == [
        "beta", "beta", "beta", "beta", "sd_g", "sd_g", "sd_h", "corr_g", "sigma",
    ]  # fmt: skip


def test_summary_lists_the_shared_names_without_random_effects(backend_fit):
    table = bayesml.summary(backend_fit)
    assert {
        "beta[Intercept]",
        "beta[f[c]]",
        "sd_g[x]",
        "sd_h[Intercept]",
        "sigma",
        "corr_g[Intercept, x]",
    } <= set(table.index)
    assert not any(label.startswith("u_") for label in table.index)


@pytest.mark.parametrize(("chain", "draw"), [(0, 0), (1, 137)])
def test_log_likelihood_matches_scipy_at_one_draw(backend_fit, hier_data, chain, draw):
    posterior = backend_fit["posterior"].to_dataset().isel(chain=[chain], draw=[draw])
    eta = eta_by_hand(posterior, hier_data)[0, 0]
    sigma = posterior["sigma"].values.item()
    expected = stats.norm.logpdf(hier_data["y"].to_numpy(), eta, sigma)
    stored = backend_fit["log_likelihood"]["y"]
    assert stored.dims == ("chain", "draw", "obs")
    assert stored.dtype == np.float32  # float32 where ArviZ accepts it: rounding only
    np.testing.assert_allclose(stored.isel(chain=chain, draw=draw).values, expected, rtol=1e-6)


def test_log_prior_of_sigma_matches_scipy(backend_fit, hier_model):
    prior = hier_model.priors.aux["sigma"]
    assert prior.dist == "half_t"
    sigma = backend_fit["posterior"]["sigma"].values
    # half-t density: twice the Student-t density on σ > 0
    expected = np.log(2) + stats.t.logpdf(sigma, df=prior["nu"], scale=prior["sigma"])
    np.testing.assert_allclose(backend_fit["log_prior"]["sigma"].values, expected, atol=1e-7)


@pytest.mark.filterwarnings("ignore:Estimated shape parameter of Pareto:UserWarning")
def test_loo_runs_and_is_consistent_with_the_pointwise_density(backend_fit):
    import arviz_stats

    loo = arviz_stats.loo(backend_fit)
    log_lik = backend_fit["log_likelihood"]["y"].values.reshape(CHAINS * DRAWS, -1)
    lppd = float(np.sum(special.logsumexp(log_lik, axis=0) - np.log(log_lik.shape[0])))
    assert np.isfinite(loo.elpd)
    assert loo.n_data_points == 72
    # elpd_loo = lppd − p_loo, 0 < p_loo < the 25 parameters (4 β, 3 SDs, 1 correlation, 16 u, σ)
    assert 0 < lppd - loo.elpd < 25


# -- NUTS only ---------------------------------------------------------------------------------


def test_nuts_result_has_the_predictive_groups_on_request(hier_fit):
    assert {"posterior_predictive", "prior", "prior_predictive"} <= set(hier_fit.children)
    assert hier_fit.attrs["bayesml_method"] == "nuts"
    assert hier_fit.attrs["bayesml_sampler"] == "nutpie"


def test_prior_group_hides_internal_variables(hier_fit):
    prior = hier_fit["prior"].to_dataset()
    assert set(prior.data_vars) == {"beta", "sd_g", "corr_g", "u_g", "sd_h", "u_h", "sigma"}


def test_pymc_model_is_a_pymc_model(hier_model):
    import pymc as pm

    assert isinstance(hier_model.pymc_model, pm.Model)


# -- predictive groups -------------------------------------------------------------------------


def test_posterior_predictive_draws_follow_the_posterior(hier_fit, hier_data):
    """(ỹ − η)/σ over all draws and rows should be standard normal."""
    predictive = hier_fit["posterior_predictive"]["y"]
    assert predictive.dims == ("chain", "draw", "obs")
    assert predictive.shape == (CHAINS, DRAWS, 72)
    posterior = hier_fit["posterior"].to_dataset()
    z = (predictive.values - eta_by_hand(posterior, hier_data)) / posterior["sigma"].values[
        ..., None
    ]
    assert abs(z.mean()) < 4 / np.sqrt(z.size)
    assert abs(z.std() - 1) < 0.03


def test_prior_predictive_draws_follow_the_prior(hier_fit, hier_data):
    prior = hier_fit["prior"]
    predictive = hier_fit["prior_predictive"]["y"]
    assert prior["beta"].shape == (1, DRAWS, 4)
    assert predictive.shape == (1, DRAWS, 72)
    z = (predictive.values - eta_by_hand(prior.to_dataset(), hier_data)) / prior["sigma"].values[
        ..., None
    ]
    assert abs(z.mean()) < 4 / np.sqrt(z.size)
    assert abs(z.std() - 1) < 0.03


# -- reproducibility -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_model(hier_data):
    return bayesml.Model("y ~ x", hier_data)


@pytest.mark.parametrize("sampler", ["nutpie", "pymc"])
def test_same_seed_gives_identical_draws(small_model, sampler):
    def run(seed):
        return small_model.sample(
            draws=30,
            tune=30,
            chains=2,
            random_seed=seed,
            sampler_kwargs={"sampler": sampler},
            check=False,
            log_prior=False,
        )

    first, second = run(5), run(5)
    assert first.attrs["bayesml_sampler"] == sampler
    np.testing.assert_array_equal(
        first["posterior"]["beta"].values, second["posterior"]["beta"].values
    )
    # predictive groups only on request
    assert not {"prior", "prior_predictive", "posterior_predictive"} & set(first.children)


def test_another_seed_gives_other_draws(small_model):
    # PyMC's sampler: its compiled model is cached on disk, so extra runs are cheap
    def run(seed):
        result = small_model.sample(
            draws=30,
            tune=30,
            chains=2,
            random_seed=seed,
            sampler_kwargs={"sampler": "pymc"},
            check=False,
            log_prior=False,
        )
        return result["posterior"]["beta"].values

    assert not np.array_equal(run(5), run(6))


# -- argument errors and warnings ----------------------------------------------------------------


def test_numpyro_sampler_without_numpyro_names_the_extra(small_model, monkeypatch):
    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        return (
            None
            if name.split(".")[0] in ("numpyro", "jax")
            else real_find_spec(name, *args, **kwargs)
        )

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(MissingDependencyError, match=r"pip install 'bayesml\[numpyro\]'"):
        small_model.sample(
            draws=10, tune=10, chains=1, random_seed=1, sampler_kwargs={"sampler": "numpyro"}
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"sampler_kwargs": {"sampler": "stan"}},
            r"sampler must be one of \['numpyro', 'nutpie', 'pymc'\]; got sampler='stan'",
        ),
        (
            {"method": "gibbs_typo"},
            r"method must be one of \[.*'nuts'.*\]; got method='gibbs_typo'",
        ),
        ({"draws": 0}, r"draws must be an integer >= 1; got draws=0"),
        ({"draws": 2.5}, r"draws must be an integer >= 1; got draws=2.5"),
        ({"chains": 0}, r"chains must be an integer >= 1; got chains=0"),
        ({"tune": -1}, r"tune must be an integer >= 0; got tune=-1"),
    ],
)
def test_bad_sampling_arguments_are_refused(small_model, kwargs, message):
    arguments = {"draws": 10, "tune": 10, "chains": 1, "random_seed": 1} | kwargs
    with pytest.raises(ValueError, match=message):
        small_model.sample(**arguments)


def test_too_short_run_warns_with_counts(small_model):
    # 2 chains × 10 draws cannot reach 100 effective draws per chain
    with pytest.warns(
        SamplingWarning,
        match=r"effective sample size below 200 \(100 per chain\) for [1-9]\d* parameters "
        r"\(min bulk ESS \d+, min tail ESS \d+\)",
    ):
        small_model.sample(draws=10, tune=0, chains=2, random_seed=1, log_prior=False)


def test_check_false_does_not_warn(small_model, recwarn):
    small_model.sample(draws=10, tune=0, chains=2, random_seed=1, log_prior=False, check=False)
    assert not [w for w in recwarn if issubclass(w.category, SamplingWarning)]


@pytest.mark.slow
def test_numpyro_sampler_gives_the_same_result_structure_and_posterior(small_model):
    """The numpyro path (extra `numpyro`), when installed: same groups and names, and the same
    posterior as nutpie within Monte Carlo error."""
    pytest.importorskip("numpyro")
    kwargs = dict(draws=500, tune=500, chains=2, random_seed=4, check=False)
    by_numpyro = small_model.sample(sampler_kwargs={"sampler": "numpyro"}, **kwargs)
    by_nutpie = small_model.sample(sampler_kwargs={"sampler": "nutpie"}, **kwargs)
    assert by_numpyro.attrs["bayesml_sampler"] == "numpyro"
    assert set(by_numpyro.children) == set(by_nutpie.children)
    assert set(by_numpyro["posterior"].data_vars) == set(by_nutpie["posterior"].data_vars)
    for name in ("beta", "sigma"):
        a, b = by_numpyro["posterior"][name], by_nutpie["posterior"][name]
        sd = b.std(("chain", "draw"))
        # 2 × 500 draws of a well-behaved posterior each: Monte Carlo error well under 0.15 sd
        assert np.all(np.abs(a.mean(("chain", "draw")) - b.mean(("chain", "draw"))) < 0.15 * sd)
