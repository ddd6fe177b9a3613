"""Prior-sensitivity runs: configurations, argument checks, failures, saving, executors, numbers.

The fits are tiny Gibbs runs of Gaussian models (no compilation); the NUTS path is marked slow.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import bayesml
from bayesml.errors import PriorError, SamplingWarning
from bayesml.priors import Prior
from bayesml.workflows.sensitivity_grid import (
    describe_prior,
    explicit_configurations,
    grid_configurations,
)

HALF_NORMAL_1 = {"dist": "half_normal", "sigma": 1}
TIGHT_SIGMA = {"dist": "half_normal", "sigma": 0.1}
WIDE_SIGMA = {"dist": "half_normal", "sigma": 10}
#: a coefficient prior so tight that the Gibbs sampler's precision matrix is not finite
BROKEN = {"dist": "normal", "mu": 0, "sigma": 1e-300}
FLAT = {"dist": "flat"}
TINY = {"draws": 100, "tune": 100, "chains": 2, "random_seed": 7}


def simulate(seed: int = 0, groups: int = 5, per_group: int = 6) -> pd.DataFrame:
    """y = 1 + x + u_g + e with u_g ~ N(0, 0.5²), e ~ N(0, 1)."""
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(groups), per_group)
    x = rng.normal(size=g.size)
    y = 1.0 + x + rng.normal(0, 0.5, groups)[g] + rng.normal(size=g.size)
    return pd.DataFrame({"y": y, "x": x, "g": [f"g{i}" for i in g]})


@pytest.fixture(scope="module")
def model() -> bayesml.Model:
    return bayesml.Model("y ~ x + (1 | g)", simulate())


def quiet_run(*args, **kwargs):
    """sensitivity() with the short chains' convergence warnings silenced."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=".*(R-hat|effective sample size|diverged)", category=SamplingWarning
        )
        return bayesml.sensitivity(*args, **kwargs)


# -- configurations (pure) -------------------------------------------------------------------


def test_grid_is_the_product_of_the_alternatives_in_order():
    grid = grid_configurations(
        {
            "sigma": {"hn": HALF_NORMAL_1, "sic2": {"dist": "scaled_inv_chi2", "nu": 1, "s": 1}},
            "cov": {
                "lkj1": {"dist": "lkj", "eta": 1},
                "lkj4": Prior("lkj", eta=4),
                "iw": {"dist": "inverse_wishart", "nu": 3, "scale": 1},
            },
        }
    )
    assert [c.label for c in grid] == [
        "sigma=hn, cov=lkj1",
        "sigma=hn, cov=lkj4",
        "sigma=hn, cov=iw",
        "sigma=sic2, cov=lkj1",
        "sigma=sic2, cov=lkj4",
        "sigma=sic2, cov=iw",
    ]
    last = grid[-1]
    assert last.priors["sigma"] == Prior("scaled_inv_chi2", nu=1, s=1)
    assert last.priors["cov"] == Prior("inverse_wishart", nu=3, scale=1)
    assert dict(last.choices) == {"sigma": "sic2", "cov": "iw"}


def test_grid_accepts_override_keys():
    grid = grid_configurations(
        {"sd_g[Intercept]": {"a": HALF_NORMAL_1}, "beta[x]": {"n": {"dist": "normal", "sigma": 1}}}
    )
    assert [c.label for c in grid] == ["sd_g[Intercept]=a, beta[x]=n"]


def test_explicit_list_is_labelled_by_its_priors_and_empty_mapping_is_the_base():
    configurations = explicit_configurations([{}, {"sigma": HALF_NORMAL_1}])
    assert [c.label for c in configurations] == ["base priors", "sigma=half_normal(sigma=1)"]
    assert dict(configurations[0].priors) == {}


def test_explicit_mapping_keeps_the_labels():
    configurations = explicit_configurations(
        {"tight": {"sigma": TIGHT_SIGMA}, "wide": {"sigma": WIDE_SIGMA}}
    )
    assert [c.label for c in configurations] == ["tight", "wide"]
    assert configurations[1].priors["sigma"] == Prior("half_normal", sigma=10)


def test_configuration_round_trips_through_plain_data():
    (configuration,) = grid_configurations(
        {"cov": {"iw": {"dist": "inverse_wishart", "nu": 3, "scale": [[1, 0], [0, 2]]}}}
    )
    text = json.dumps(configuration.to_dict())
    assert type(configuration).from_dict(json.loads(text)) == configuration



def test_a_grid_over_the_nested_priors_of_a_formula():
    """A parameter with a formula (zi=, dispersion_formula=) takes a nested priors mapping; a grid
    names alternatives of it as of any key, and they are labelled, saved and read back."""
    narrow = {"intercept": {"dist": "normal", "mu": -2, "sigma": 0.5}}
    configurations = grid_configurations(
        {"zi": {"wide": {"intercept": {"dist": "normal", "mu": 0, "sigma": 5}}, "narrow": narrow}}
    )
    assert [c.label for c in configurations] == ["zi=wide", "zi=narrow"]
    assert dict(configurations[1].priors["zi"]) == {"intercept": Prior("normal", mu=-2, sigma=0.5)}
    assert describe_prior(configurations[1].priors["zi"]) == "intercept=normal(mu=-2, sigma=0.5)"
    text = json.dumps(configurations[1].to_dict())
    again = type(configurations[1]).from_dict(json.loads(text))
    assert dict(again.priors["zi"]) == dict(configurations[1].priors["zi"])
    with pytest.raises(PriorError, match=r"^priors\.zi\.narrow\.intercept\.dist: unknown prior 'normall'"):
        grid_configurations({"zi": {"narrow": {"intercept": {"dist": "normall", "sigma": 1}}}})

BAD_ARGUMENTS = {
    "neither": ({}, ValueError, r"give priors= .* or configurations= .*; got neither"),
    "both": (
        {"priors": {"sigma": {"a": HALF_NORMAL_1}}, "configurations": [{}]},
        ValueError,
        r"give either priors= .* or configurations= .*, not both",
    ),
    "unknown key": (
        {"priors": {"sigmaa": {"a": HALF_NORMAL_1}}},
        PriorError,
        r"priors.sigmaa: unknown prior key 'sigmaa'.*did you mean 'sigma'",
    ),
    "no alternatives": (
        {"priors": {"sigma": {}}},
        ValueError,
        r"priors\['sigma'\] has no alternatives",
    ),
    "empty grid": ({"priors": {}}, ValueError, r"priors is empty"),
    "unnamed prior": (
        {"priors": {"sigma": HALF_NORMAL_1}},
        TypeError,
        r"priors\['sigma'\] must map alternative names to priors.*give it a name",
    ),
    "bad prior": (
        {"priors": {"sigma": {"a": {"dist": "half_normal", "sigma": -1}}}},
        PriorError,
        r"priors\.sigma\.a",
    ),
    "wrong role": (
        {"priors": {"sigma": {"a": {"dist": "lkj", "eta": 1}}}},
        PriorError,
        r"priors\.sigma\.a",
    ),
    "empty list": ({"configurations": []}, ValueError, r"configurations is empty"),
    "string list": (
        {"configurations": "sigma"},
        TypeError,
        r"configurations must be a list of prior mappings",
    ),
    "not a mapping": (
        {"configurations": [["sigma"]]},
        TypeError,
        r"configurations\[0\] must be a prior mapping; got list",
    ),
    "bad key in list": (
        {"configurations": [{"sd_": HALF_NORMAL_1}]},
        PriorError,
        r"configurations\[0\]\.sd_: unknown prior key",
    ),
    "duplicate labels": (
        {"configurations": [{"sigma": HALF_NORMAL_1}, {"sigma": HALF_NORMAL_1}]},
        ValueError,
        r"labels must be unique; repeated: 'sigma=half_normal\(sigma=1\)'",
    ),
    "bad method": (
        {"priors": {"sigma": {"a": HALF_NORMAL_1}}, "method": "hmc"},
        ValueError,
        r"method must be one of \['gibbs', 'nuts'\]; got method='hmc'",
    ),
    "unknown fit argument": (
        {"priors": {"sigma": {"a": HALF_NORMAL_1}}, "drawz": 10},
        TypeError,
        r"unknown fit argument\(s\) 'drawz'; it passes draws, tune",
    ),
    "bad prior_predictive": (
        {"priors": {"sigma": {"a": HALF_NORMAL_1}}, "prior_predictive": -3},
        ValueError,
        r"prior_predictive must be True, False or a number of draws >= 0; got prior_predictive=-3",
    ),
    "bad max_workers": (
        {"priors": {"sigma": {"a": HALF_NORMAL_1}}, "max_workers": 0},
        ValueError,
        r"max_workers must be an integer >= 1; got max_workers=0",
    ),
    "max_workers and executor": (
        {"priors": {"sigma": {"a": HALF_NORMAL_1}}, "max_workers": 2, "executor": object()},
        ValueError,
        r"max_workers sizes the default process pool",
    ),
    "key not in the model": (
        {"priors": {"sd_county": {"a": HALF_NORMAL_1}}},
        PriorError,
        r"configuration 'sd_county=a': priors.sd_county: the model has no grouping factor "
        r"'county'; its groups: g",
    ),
    "covariance of a single term": (
        {"configurations": {"iw": {"cov": {"dist": "inverse_wishart", "nu": 3, "scale": 1}}}},
        PriorError,
        r"configuration 'iw': priors.cov: the model has no correlated random-effect terms",
    ),
}


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
def test_bad_arguments_are_refused_before_fitting(model, case):
    kwargs, error, pattern = BAD_ARGUMENTS[case]
    with pytest.raises(error, match=pattern):
        bayesml.sensitivity(model, method=kwargs.pop("method", "gibbs"), **kwargs)


def test_model_or_spec_of_the_wrong_type_is_refused():
    with pytest.raises(
        TypeError,
        match=r"model_or_spec must be a bayesml.Model, a ModelSpec or the path of a YAML spec; "
        r"got dict",
    ):
        bayesml.sensitivity({"formula": "y ~ x"}, {"sigma": {"a": HALF_NORMAL_1}})


# -- a serial run with a failure, prior predictive checks, save and reload ------------------


@pytest.fixture(scope="module")
def run_with_failure(model):
    configurations = {
        "tight": {"sigma": TIGHT_SIGMA},
        "wide": {"sigma": WIDE_SIGMA},
        "flat": {"fixed": FLAT},
        "broken": {"beta[x]": BROKEN},
    }
    with pytest.warns(SamplingWarning) as record:
        result = quiet_run(
            model,
            configurations=configurations,
            method="gibbs",
            max_workers=1,
            prior_predictive=200,
            **TINY,
        )
    return result, [str(w.message) for w in record]


def test_failed_configuration_is_recorded_and_the_others_kept(run_with_failure):
    result, messages = run_with_failure
    assert list(result.results) == ["tight", "wide", "flat"]
    assert list(result.errors) == ["broken"]
    assert result.errors["broken"].startswith("DataError: the precision matrix")
    assert "Traceback" in result.tracebacks["broken"]
    assert any(m.startswith("1 of 4 configurations failed: 'broken' (DataError") for m in messages)
    assert list(result.configurations["status"]) == ["ok", "ok", "ok", "failed"]


def test_configurations_table_shows_the_prior_in_force(run_with_failure):
    table = run_with_failure[0].configurations
    assert list(table.columns) == ["label", "sigma", "fixed", "beta[x]", "status"]
    assert table.loc[0, "sigma"] == "half_normal(sigma=0.1)"
    assert table.loc[0, "fixed"] == "default"
    assert table.loc[2, "fixed"] == "flat"


def test_table_is_tidy_with_one_row_per_configuration_and_parameter(run_with_failure):
    table = run_with_failure[0].table
    assert list(table.columns) == [
        "configuration",
        "parameter",
        "mean",
        "sd",
        "ci_lower",
        "ci_upper",
        "ess_bulk",
        "ess_tail",
        "r_hat",
    ]
    assert list(table.loc[table["configuration"] == "tight", "parameter"]) == [
        "beta[Intercept]",
        "beta[x]",
        "sd_g[Intercept]",
        "sigma",
    ]
    assert table.groupby("configuration").size().to_dict() == {"flat": 4, "tight": 4, "wide": 4}
    assert (table["ci_lower"] < table["mean"]).all() and (table["mean"] < table["ci_upper"]).all()
    assert table.attrs == {"ci": "94% HDI", "ci_prob": 0.94}
    assert repr(table).endswith("\nci_lower, ci_upper: 94% HDI")


def test_summary_interval_probability_is_configurable(run_with_failure):
    result = run_with_failure[0]
    narrow = result.summary(ci_prob=0.5, var_names=["sigma"])
    wide = result.summary(ci_prob=0.94, var_names=["sigma"])
    assert (
        (narrow["ci_upper"] - narrow["ci_lower"]) < (wide["ci_upper"] - wide["ci_lower"])
    ).all()
    assert narrow.attrs == {"ci": "50% HDI", "ci_prob": 0.5}


def test_prior_predictive_checks_follow_the_prior(run_with_failure, model):
    result, messages = run_with_failure
    checks = result.prior_predictive
    assert list(checks["configuration"].unique()) == ["tight", "wide"]  # none for the flat prior
    assert set(checks["statistic"]) == {"mean", "sd", "min", "max"}
    observed_sd = float(np.std(model.data["y"], ddof=1))
    assert np.allclose(checks.loc[checks["statistic"] == "sd", "observed"], observed_sd)
    sd_rows = checks[checks["statistic"] == "sd"].set_index("configuration")
    # replicated data spread more with sigma ~ half-normal(10) than with half-normal(0.1)
    assert sd_rows.loc["wide", "q50"] > 2 * sd_rows.loc["tight", "q50"]
    assert sd_rows.loc["wide", "q95"] > sd_rows.loc["tight", "q95"]
    assert "flat" in result.prior_predictive_errors
    assert "needs proper priors" in result.prior_predictive_errors["flat"]
    assert any(m.startswith("no prior predictive draws for configuration 'flat'") for m in messages)


def test_save_and_reload_give_the_same_numbers(run_with_failure, tmp_path):
    result = run_with_failure[0]
    directory = result.save(tmp_path / "run")
    assert {p.name for p in directory.iterdir()} == {
        "index.json",
        "fits",
        "configurations.csv",
        "table.csv",
        "prior_predictive.csv",
    }
    loaded = bayesml.load_sensitivity(directory)
    pd.testing.assert_frame_equal(loaded.table, result.table)
    pd.testing.assert_frame_equal(loaded.prior_predictive, result.prior_predictive)
    pd.testing.assert_frame_equal(loaded.configurations, result.configurations)
    assert loaded.errors == result.errors and loaded.tracebacks == result.tracebacks
    assert loaded.prior_predictive_errors == result.prior_predictive_errors
    assert loaded.method == "gibbs" and loaded.spec == result.spec
    csv = pd.read_csv(directory / "table.csv")
    np.testing.assert_allclose(csv["mean"], result.table["mean"])


def test_loading_a_directory_without_a_run_is_an_error(tmp_path):
    with pytest.raises(
        bayesml.DataError, match=r"holds no saved sensitivity run: index.json not found"
    ):
        bayesml.load_sensitivity(tmp_path)


def test_forest_plot_has_one_interval_per_configuration(run_with_failure):
    import arviz_stats
    import matplotlib.pyplot as plt

    result = run_with_failure[0]
    figure = result.plot(var_names=["sigma"], ci_prob=0.8)
    try:
        (ax,) = figure.axes
        # per configuration: one marker (its mean) and one interval (its 80% HDI)
        assert len(ax.lines) == len(ax.collections) == len(result.results)
        for line, segments, tree in zip(
            ax.lines, ax.collections, result.results.values(), strict=True
        ):
            draws = tree["posterior"]["sigma"]
            np.testing.assert_allclose(line.get_xdata(), [float(draws.mean())])
            np.testing.assert_allclose(
                segments.get_segments()[0][:, 0], arviz_stats.hdi(draws, prob=0.8).values.ravel()
            )
        legend_texts = [t.get_text() for t in figure.legends[0].get_texts()]
        assert legend_texts == list(result.results)
        assert figure.legends[0].get_title().get_text() == "configuration"
    finally:
        plt.close(figure)


def test_forest_plot_shows_each_correlation_once(model):
    import matplotlib.pyplot as plt

    correlated = model.replace(formula="y ~ x + (1 + x | g)")
    result = quiet_run(
        correlated,
        configurations={
            "lkj1": {"cov": {"dist": "lkj", "eta": 1}},
            "lkj4": {"cov": {"dist": "lkj", "eta": 4}},
        },
        method="gibbs",
        max_workers=1,
        prior_predictive=False,
        **TINY,
    )
    figure = result.plot()
    try:
        rows = [t.get_text() for ax in figure.axes for t in ax.get_yticklabels()]
        assert rows.count("corr_g[Intercept, x]") == 1  # not the 2 x 2 matrix with its ones
        assert not [row for row in rows if "__" in row]
        assert {"beta[Intercept]", "beta[x]", "sd_g[Intercept]", "sd_g[x]", "sigma"} <= set(rows)
        assert "Random-effect correlations" in [ax.get_title(loc="left") for ax in figure.axes]
    finally:
        plt.close(figure)


def test_plot_without_fits_is_an_error(model):
    with pytest.warns(SamplingWarning, match="1 of 1 configurations failed"):
        result = bayesml.sensitivity(
            model, {"beta[x]": {"broken": BROKEN}}, method="gibbs", prior_predictive=False, **TINY
        )
    with pytest.raises(ValueError, match="no configuration was fitted"):
        result.plot()


# -- numbers ---------------------------------------------------------------------------------


def test_tighter_coefficient_prior_shrinks_the_posterior_towards_its_mean():
    rng = np.random.default_rng(5)
    data = pd.DataFrame({"x": rng.normal(size=40)})
    data["y"] = 0.5 + 1.0 * data["x"] + rng.normal(size=40)
    result = quiet_run(
        bayesml.Model("y ~ x", data),
        {
            "beta[x]": {
                "vague": {"dist": "normal", "sigma": 100},
                "tight": {"dist": "normal", "sigma": 0.1},
            }
        },
        method="gibbs",
        max_workers=1,
        prior_predictive=False,
        draws=400,
        tune=100,
        chains=2,
        random_seed=3,
    )
    slope = result.table[result.table["parameter"] == "beta[x]"].set_index("configuration")
    least_squares = np.polyfit(data["x"], data["y"], 1)[0]
    assert slope.loc["beta[x]=vague", "mean"] == pytest.approx(least_squares, abs=0.05)
    # prior N(0, 0.1²) against a likelihood with SE ≈ 0.16: the mean moves most of the way to 0
    assert slope.loc["beta[x]=tight", "mean"] < 0.5 * slope.loc["beta[x]=vague", "mean"]
    assert slope.loc["beta[x]=tight", "sd"] < 0.7 * slope.loc["beta[x]=vague", "sd"]


# -- other inputs and executors --------------------------------------------------------------


def test_yaml_spec_path_is_accepted(tmp_path):
    simulate().to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "model.yaml").write_text(
        "formula: y ~ x + (1 | g)\ndata: data.csv\npriors:\n  sd: {dist: half_normal, sigma: 2}\n"
    )
    result = quiet_run(
        tmp_path / "model.yaml",
        {"sigma": {"hn": HALF_NORMAL_1}},
        method="gibbs",
        prior_predictive=False,
        **TINY,
    )
    assert list(result.results) == ["sigma=hn"]
    assert result.configurations.loc[0, "sigma"] == "half_normal(sigma=1)"
    spec = bayesml.ModelSpec.from_yaml(result.results["sigma=hn"].attrs["bayesml_spec"])
    assert dict(spec.priors["sigma"]) == HALF_NORMAL_1
    assert dict(spec.priors["sd"]) == {"dist": "half_normal", "sigma": 2}


GRID = {"sigma": {"tight": TIGHT_SIGMA, "wide": WIDE_SIGMA}}


@pytest.fixture(scope="module")
def serial_grid(model):
    return quiet_run(model, GRID, method="gibbs", max_workers=1, prior_predictive=False, **TINY)


def test_default_process_pool_gives_the_serial_draws_and_saves_as_it_goes(
    model, serial_grid, tmp_path
):
    pooled = quiet_run(
        model,
        GRID,
        method="gibbs",
        max_workers=2,
        prior_predictive=False,
        save_dir=tmp_path,
        **TINY,
    )
    pd.testing.assert_frame_equal(pooled.table, serial_grid.table)
    reloaded = bayesml.load_sensitivity(tmp_path)
    pd.testing.assert_frame_equal(reloaded.table, serial_grid.table)
    index = json.loads((tmp_path / "index.json").read_text())
    assert [entry["file"] for entry in index["configurations"]] == [
        "fits/fit_000.nc",
        "fits/fit_001.nc",
    ]


def test_dask_executor_spreads_the_fits(model, serial_grid):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        result = quiet_run(
            model,
            GRID,
            method="gibbs",
            executor=client.get_executor(),
            prior_predictive=False,
            **TINY,
        )
        workers = client.run(lambda: 1)
    assert len(workers) == 2
    pd.testing.assert_frame_equal(result.table, serial_grid.table)


@pytest.mark.slow
def test_nuts_method_in_a_process_pool(model):
    result = quiet_run(
        model,
        GRID,
        method="nuts",
        max_workers=2,
        prior_predictive=False,
        draws=200,
        tune=200,
        chains=2,
        random_seed=1,
    )
    assert list(result.results) == ["sigma=tight", "sigma=wide"]
    assert result.results["sigma=tight"].attrs["bayesml_method"] == "nuts"
    assert set(result.table["configuration"]) == {"sigma=tight", "sigma=wide"}
