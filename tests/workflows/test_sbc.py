"""Simulation-based calibration (bayesml.sbc): the engine, reproducibility, resuming, bad input.

The fast tests use a tiny Gaussian model (5 groups × 4 rows) with 2 chains × 200 draws: Gibbs
fits (no compilation) for the process-pool, Dask and resume tests, NUTS (one compilation, then
compile-cache hits) for the NUTS path and the correct/wrong-prior check.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import bayesml
from bayesml.errors import ArgumentError, ArgumentTypeError, DataError, PriorError
from bayesml.workflows.sbc_result import DIAGNOSTIC_COLUMNS, holm

TINY = {"draws": 200, "tune": 200, "chains": 2}


def tiny_data(seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"g": np.repeat(list("abcde"), 4), "x": rng.normal(size=20)})
    frame["y"] = rng.normal(size=20)
    return frame


@pytest.fixture(scope="module")
def model() -> bayesml.Model:
    return bayesml.Model(
        "y ~ 1 + (1 | g)",
        tiny_data(),
        priors={
            "intercept": {"dist": "normal", "mu": 0, "sigma": 2},
            "sd": {"dist": "half_normal", "sigma": 1},
            "sigma": {"dist": "half_normal", "sigma": 1},
        },
    )


def quiet_sbc(*args, **kwargs) -> bayesml.SBCResult:
    kwargs.setdefault("progressbar", False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bayesml.SamplingWarning)
        return bayesml.sbc(*args, **kwargs)


@pytest.fixture(scope="module")
def gibbs_serial(model) -> bayesml.SBCResult:
    return quiet_sbc(model, n_simulations=6, method="gibbs", max_workers=1, random_seed=3, **TINY)


# -- the engine -------------------------------------------------------------------------------
def test_gibbs_ranks_table(model, gibbs_serial):
    ranks = gibbs_serial.ranks
    parameters = ["beta[Intercept]", "sd_g[Intercept]", "sigma"] + [
        f"u_g[{level}, Intercept]" for level in "abcde"
    ]
    assert gibbs_serial.parameters == parameters
    assert list(ranks.columns) == parameters + list(DIAGNOSTIC_COLUMNS)
    assert ranks.index.name == "simulation" and len(ranks) == 6
    assert ranks["failure"].isna().all()
    kept = ranks["max_rank"].to_numpy(dtype=int)
    assert np.all(kept >= 2) and np.all(kept <= 400)
    values = ranks[parameters].to_numpy(dtype=int)
    assert np.all(values >= 0) and np.all(values <= kept[:, None])
    # the true values are the prior draws of sample_prior with the run's seed
    prior = model.sample_prior(draws=6, random_seed=3)["prior"]
    np.testing.assert_allclose(gibbs_serial.truths["sigma"].to_numpy(), prior["sigma"].values[0])
    table = gibbs_serial.summary()
    assert list(table.columns) == ["n", "p_value", "p_adjusted", "passed", "mean_z", "contraction"]
    assert table["n"].tolist() == [6] * len(parameters)
    assert table.attrs["correction"] == "holm"
    pit = gibbs_serial.pit()
    assert ((pit > 0) & (pit < 1)).all().all()
    means = gibbs_serial.statistic("mean")
    assert means.shape == (6, len(parameters)) and means.notna().all().all()
    with pytest.raises(ArgumentError, match=r"statistic must be one of \['mean', 'rank', 'sd'\]"):
        gibbs_serial.statistic("coverage")


def test_nuts_refits_hit_the_compile_cache_and_a_fixed_thin(model):
    from bayesml.backends.pymc.compile_cache import CACHE

    before = CACHE.stats.misses + CACHE.stats.uncached
    result = quiet_sbc(model, n_simulations=5, thin=4, random_seed=11, **TINY)
    assert CACHE.stats.misses + CACHE.stats.uncached - before <= 1
    assert result.ranks["thin"].tolist() == [4] * 5
    assert result.ranks["max_rank"].tolist() == [100] * 5  # 2 chains × 200 draws / 4
    assert result.n_failed == 0
    assert result.settings["method"] == "nuts"


def test_parameters_and_random_effect_sample(model):
    result = quiet_sbc(
        model,
        n_simulations=2,
        method="gibbs",
        max_workers=1,
        random_seed=1,
        parameters=["sigma", "beta"],
        **TINY,
    )
    assert result.parameters == ["sigma", "beta[Intercept]"]
    sampled = quiet_sbc(
        model,
        n_simulations=2,
        method="gibbs",
        max_workers=1,
        random_seed=1,
        n_random_effects=2,
        **TINY,
    )
    effects = [p for p in sampled.parameters if p.startswith("u_")]
    assert len(effects) == 2 and set(effects) < {f"u_g[{g}, Intercept]" for g in "abcde"}


def test_failed_fit_is_recorded_and_the_run_goes_on(model, monkeypatch):
    import bayesml.workflows.sbc_run as sbc_run

    original = sbc_run.ANALYSES["sampling"]

    def flaky(fitted, task):
        if task.index == 1:
            raise FloatingPointError("simulated breakdown")
        return original(fitted, task)

    monkeypatch.setitem(sbc_run.ANALYSES, "sampling", flaky)
    with pytest.warns(bayesml.SamplingWarning, match="1 of 3 fits failed"):
        result = bayesml.sbc(
            model,
            n_simulations=3,
            method="gibbs",
            max_workers=1,
            random_seed=2,
            progressbar=False,
            **TINY,
        )
    assert result.n_failed == 1
    assert result.ranks.loc[1, "failure"] == "FloatingPointError: simulated breakdown"
    assert result.ranks.loc[1, "sigma"] is pd.NA
    assert result.failures.loc[1, "type"] == "FloatingPointError"
    assert result.summary()["n"].tolist() == [2] * len(result.parameters)


# -- correctness: a correct posterior passes, a wrong one fails --------------------------------
def _conjugate(sigma: float) -> bayesml.Model:
    # 2 rows and a wide residual-SD prior: the prior dominates the posterior of the intercept,
    # so a prior scale off by 2 shows at once
    frame = pd.DataFrame({"y": [-0.3, 0.3]})
    return bayesml.Model(
        "y ~ 1",
        frame,
        priors={
            "intercept": {"dist": "normal", "mu": 0, "sigma": sigma},
            "sigma": {"dist": "half_normal", "sigma": 3},
        },
    )


def test_correct_prior_passes_and_a_prior_scale_off_by_two_fails():
    simulating = _conjugate(1.0)
    options = {"n_simulations": 30, "method": "gibbs", "max_workers": 1, "random_seed": 7, **TINY}
    right = quiet_sbc(simulating, **options)
    wrong = quiet_sbc(simulating, fit_model=_conjugate(0.5), **options)
    assert right.summary()["passed"].all()
    table = wrong.summary()
    assert not table.loc["beta[Intercept]", "passed"]
    assert table.loc["beta[Intercept]", "p_adjusted"] < 1e-4
    # posteriors too narrow: too many true values beyond the draws (a U-shaped histogram)
    pit = wrong.pit()["beta[Intercept]"]
    assert ((pit < 0.1) | (pit > 0.9)).mean() > 0.4


def test_holm_adjustment():
    np.testing.assert_allclose(
        holm(np.array([0.01, 0.04, np.nan, 0.03])), [0.03, 0.06, np.nan, 0.06]
    )


# -- reproducibility --------------------------------------------------------------------------
def test_process_pool_gives_the_serial_ranks(model, gibbs_serial):
    pooled = quiet_sbc(model, n_simulations=6, method="gibbs", max_workers=2, random_seed=3, **TINY)
    parameters = gibbs_serial.parameters
    pd.testing.assert_frame_equal(pooled.ranks[parameters], gibbs_serial.ranks[parameters])
    pd.testing.assert_frame_equal(pooled.truths, gibbs_serial.truths)


def test_dask_executor_gives_the_serial_ranks(model, gibbs_serial):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        result = quiet_sbc(
            model,
            n_simulations=6,
            method="gibbs",
            executor=client.get_executor(),
            random_seed=3,
            **TINY,
        )
    parameters = gibbs_serial.parameters
    pd.testing.assert_frame_equal(result.ranks[parameters], gibbs_serial.ranks[parameters])


# -- saving and resuming ----------------------------------------------------------------------
class Interrupted(Exception):
    pass


def test_interrupted_run_resumes_to_the_uninterrupted_result(model, gibbs_serial, tmp_path):
    finished = []

    def stop_after_three(outcome):
        finished.append(outcome.index)
        if len(finished) == 3:
            raise Interrupted

    with pytest.raises(Interrupted):
        quiet_sbc(
            model,
            n_simulations=6,
            method="gibbs",
            max_workers=1,
            random_seed=3,
            save_dir=tmp_path,
            on_simulation=stop_after_three,
            **TINY,
        )
    saved = sorted(p.name for p in (tmp_path / "simulations").iterdir())
    assert saved == [f"simulation_{i:05d}.json" for i in range(3)]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["random_seed"] == 3 and manifest["n_simulations"] == 6

    refitted = []
    resumed = quiet_sbc(
        model,
        n_simulations=6,
        method="gibbs",
        max_workers=1,
        random_seed=3,
        save_dir=tmp_path,
        on_simulation=lambda o: refitted.append(o.index),
        **TINY,
    )
    assert refitted == [3, 4, 5]
    parameters = gibbs_serial.parameters
    pd.testing.assert_frame_equal(resumed.ranks[parameters], gibbs_serial.ranks[parameters])
    pd.testing.assert_frame_equal(resumed.summary(), gibbs_serial.summary())

    # deleted files are fitted again; the seed comes from the manifest when none is given
    for index in (0, 4):
        (tmp_path / "simulations" / f"simulation_{index:05d}.json").unlink()
    refitted.clear()
    again = quiet_sbc(
        model,
        n_simulations=6,
        method="gibbs",
        max_workers=1,
        save_dir=tmp_path,
        on_simulation=lambda o: refitted.append(o.index),
        **TINY,
    )
    assert refitted == [0, 4] and again.random_seed == 3
    pd.testing.assert_frame_equal(again.ranks[parameters], gibbs_serial.ranks[parameters])


def test_save_dir_of_other_settings_is_refused(model, tmp_path):
    quiet_sbc(
        model,
        n_simulations=2,
        method="gibbs",
        max_workers=1,
        random_seed=3,
        save_dir=tmp_path,
        **TINY,
    )
    with pytest.raises(ArgumentError, match="other settings: n_simulations was 2, now 3"):
        quiet_sbc(
            model,
            n_simulations=3,
            method="gibbs",
            max_workers=1,
            random_seed=3,
            save_dir=tmp_path,
            **TINY,
        )
    with pytest.raises(ArgumentError, match="other settings: random_seed was 3, now 4"):
        quiet_sbc(
            model,
            n_simulations=2,
            method="gibbs",
            max_workers=1,
            random_seed=4,
            save_dir=tmp_path,
            **TINY,
        )


# -- bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        (
            {"n_simulations": 0},
            ArgumentError,
            r"n_simulations must be an integer >= 1; got n_simulations=0",
        ),
        (
            {"n_simulations": "10"},
            ArgumentError,
            r"n_simulations must be an integer >= 1; got n_simulations='10'",
        ),
        (
            {"method": "hlik"},
            ArgumentError,
            r"method must be one of \['gibbs', 'nuts'\]; got method='hlik' \('hlik' gives point estimates",
        ),
        (
            {"method": "mcmc"},
            ArgumentError,
            r"method must be one of \['gibbs', 'nuts'\]; got method='mcmc'",
        ),
        ({"thin": 0}, ArgumentError, r"thin must be 'auto' or an integer >= 1; got thin=0"),
        (
            {"thin": "every"},
            ArgumentError,
            r"thin must be 'auto' or an integer >= 1; got thin='every'",
        ),
        (
            {"parameters": ["beta", "tau"]},
            ArgumentError,
            r"parameters: 'tau' is neither a parameter",
        ),
        ({"save_dir": 3}, ArgumentTypeError, r"save_dir must be a directory path"),
        ({"iterations": 3}, ArgumentTypeError, r"sbc\(\) got unknown argument\(s\) 'iterations'"),
        (
            {"method": "gibbs", "sampler_kwargs": {"depth": 3}},
            ArgumentError,
            r"method='gibbs' has no option 'depth' in sampler_kwargs",
        ),
        ({"fit_model": "model"}, ArgumentTypeError, r"fit_model must be a bayesml.Model"),
    ],
)
def test_bad_arguments_are_refused(model, arguments, error, message):
    with pytest.raises(error, match=message):
        bayesml.sbc(model, **{"n_simulations": 2, "random_seed": 1, **arguments})


def test_save_dir_that_is_a_file_or_a_foreign_directory_is_refused(model, tmp_path):
    path = tmp_path / "file.txt"
    path.write_text("x")
    with pytest.raises(ArgumentError, match="save_dir must be a directory; got the file"):
        bayesml.sbc(model, n_simulations=2, random_seed=1, save_dir=path)
    with pytest.raises(ArgumentError, match="is not empty and holds no calibration run"):
        bayesml.sbc(model, n_simulations=2, random_seed=1, save_dir=tmp_path)


def test_flat_prior_is_refused_naming_the_parameter():
    flat = bayesml.Model("y ~ 1 + x", tiny_data(), priors={"fixed": {"dist": "flat"}})
    with pytest.raises(PriorError, match=r"beta\[x\] has a flat prior; give it a proper prior"):
        bayesml.sbc(flat, n_simulations=2, random_seed=1)


def test_method_that_does_not_fit_the_family_is_refused():
    frame = tiny_data()
    frame["count"] = np.arange(20) % 4
    poisson = bayesml.Model("count ~ 1 + (1 | g)", frame, family="poisson")
    with pytest.raises(bayesml.FamilyError, match="gibbs"):
        bayesml.sbc(poisson, n_simulations=2, method="gibbs", random_seed=1)


# -- the simulated response in the design -------------------------------------------------------
def test_with_response_keeps_the_design_and_the_priors(model):
    y = np.linspace(-1, 1, 20)
    other = model._with_response(y)
    np.testing.assert_array_equal(other.design.response.y, y)
    assert other.design.fixed is model.design.fixed and other.priors is model.priors
    np.testing.assert_array_equal(model.design.response.y, tiny_data()["y"].to_numpy())
    with pytest.raises(DataError, match=r"shape of 'y', \(20,\); got shape \(3,\)"):
        model._with_response(np.zeros(3))


def test_with_response_checks_a_binomial_response():
    frame = pd.DataFrame({"s": [1, 2, 0, 3], "n": [3, 3, 3, 3], "g": list("aabb")})
    binomial = bayesml.Model("cbind(s, n - s) ~ 1 + (1 | g)", frame, family="binomial")
    other = binomial._with_response([0, 3, 3, 1])
    np.testing.assert_array_equal(other.design.response.trials, [3, 3, 3, 3])
    with pytest.raises(DataError):
        binomial._with_response([0, 4, 3, 1])


# -- plots ------------------------------------------------------------------------------------
def test_plots(gibbs_serial, tmp_path):
    pytest.importorskip("arviz_plots")
    from bayesml.plots import figure_of

    collection = gibbs_serial.plot(parameters=["beta[Intercept]", "sigma"])
    figure_of(collection).savefig(tmp_path / "ecdf.png")
    figure = gibbs_serial.plot("hist")
    figure.savefig(tmp_path / "hist.png")
    assert len([ax for ax in figure.axes if ax.get_visible()]) == len(gibbs_serial.parameters)
    with pytest.raises(ArgumentError, match=r"kind must be one of \['ecdf_diff', 'hist'\]"):
        gibbs_serial.plot("bars")
    with pytest.raises(ArgumentError, match=r"parameters: \['tau'\] are not checked"):
        gibbs_serial.plot(parameters=["tau"])


# -- response encodings (slow: one compilation per model) ---------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize(
    ("formula", "options"),
    [
        ("cbind(s, t - s) ~ x + (1 | g)", {"family": "binomial"}),
        ("o ~ x + (1 | g)", {"family": "cumulative"}),
        ("k ~ x + (1 | g)", {"family": "categorical"}),
        ("y ~ x + (1 + x | g)", {}),
    ],
)
def test_every_response_encoding_runs_and_ranks_the_posterior_names(formula, options):
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"g": np.repeat(list("abcdef"), 4), "x": rng.normal(size=24)})
    frame["y"] = rng.normal(size=24)
    frame["s"], frame["t"] = rng.binomial(5, 0.4, size=24), 5
    frame["o"] = pd.Categorical(
        rng.choice(["lo", "mid", "hi"], size=24), categories=["lo", "mid", "hi"], ordered=True
    )
    frame["k"] = rng.choice(["p", "q", "r"], size=24)
    model = bayesml.Model(
        formula, frame, priors={"sd": {"dist": "half_normal", "sigma": 1}}, **options
    )
    result = quiet_sbc(model, n_simulations=3, random_seed=1, n_random_effects=1, **TINY)
    # every checked entry was found in every fit's posterior (else the fit would have failed)
    assert result.n_failed == 0, result.failures["message"].tolist()
    assert result.ranks[result.parameters].notna().all().all()
