"""bayesml.compare: names line up across NUTS, Gibbs and h-likelihood fits of one model; the
h-likelihood λ and φ are mapped to SDs with the numbers of the fit; gaps are NaN; bad input fails
with a clear message."""

from __future__ import annotations

import warnings

import arviz_stats
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import bayesml
from bayesml.errors import SamplingWarning
from bayesml.workflows.compare import Comparison

FORMULA = "y ~ x + (1 + x | g)"
KEY_PARAMETERS = [
    "beta[Intercept]",
    "beta[x]",
    "sd_g[Intercept]",
    "sd_g[x]",
    "corr_g[Intercept, x]",
    "sigma",
]
Z94 = stats.norm.ppf(0.97)


def simulate(seed: int = 3, groups: int = 8, per_group: int = 10) -> pd.DataFrame:
    """A Gaussian model with a correlated random intercept and slope."""
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(groups), per_group)
    x = rng.normal(size=g.size)
    u = rng.normal(0.0, [0.8, 0.4], size=(groups, 2))
    y = 1.0 + 0.5 * x + u[g, 0] + u[g, 1] * x + rng.normal(0.0, 0.5, g.size)
    return pd.DataFrame({"y": y, "x": x, "g": [f"g{i}" for i in g]})


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return simulate()


@pytest.fixture(scope="module")
def model(data):
    return bayesml.Model(FORMULA, data)


@pytest.fixture(scope="module")
def fits(model):
    """One tiny run of each backend (the chains are short: only names and plumbing are checked)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        nuts = model.sample("nuts", draws=60, tune=100, chains=2, random_seed=5, log_prior=False)
        gibbs = model.sample(
            "gibbs",
            draws=60,
            tune=60,
            chains=2,
            random_seed=5,
            log_prior=False,
            sampler_kwargs={"cores": 1},
        )
    return {"nuts": nuts, "gibbs": gibbs, "hlik": model.fit(method="hlik")}


@pytest.fixture(scope="module")
def comparison(fits) -> Comparison:
    return bayesml.compare(fits["nuts"], fits["gibbs"], fits["hlik"])


# -- names line up --------------------------------------------------------------------------------
def test_rows_are_the_shared_names_for_every_backend(comparison):
    assert list(comparison.table.index) == KEY_PARAMETERS
    assert comparison.names == ("nuts", "gibbs", "hlik")
    assert comparison.methods == {"nuts": "nuts", "gibbs": "gibbs", "hlik": "hlik"}


def test_every_backend_fills_the_parameters_it_estimates(comparison):
    table = comparison.table
    for name, centre in (("nuts", "mean"), ("gibbs", "mean")):
        assert table[(name, centre)].notna().all(), name
    assert table[("hlik", "estimate")].drop("corr_g[Intercept, x]").notna().all()


def test_column_blocks_name_the_statistics(comparison):
    assert list(comparison.table["nuts"].columns) == ["mean", "sd", "ci_lower", "ci_upper"]
    assert list(comparison.table["hlik"].columns) == ["estimate", "se", "ci_lower", "ci_upper"]


def test_the_intervals_are_said_once_per_fit(comparison, fits):
    for table in (comparison.table, comparison.tidy):
        assert table.attrs["ci"] == "94% HDI (nuts, gibbs); 94% Wald (hlik)"
        assert table.attrs["ci_prob"] == 0.94
    assert repr(comparison.table).endswith("ci_lower, ci_upper: 94% HDI (nuts, gibbs); 94% Wald (hlik)")
    assert bayesml.compare(fits["gibbs"]).table.attrs["ci"] == "94% HDI"
    assert bayesml.compare(fits["hlik"]).tidy.attrs["ci"] == "94% Wald"


def test_tidy_table_has_a_row_per_fit_and_parameter(comparison):
    tidy = comparison.tidy
    assert len(tidy) == 3 * len(KEY_PARAMETERS)
    assert set(tidy["interval"]) == {"94% HDI", "94% Wald"}
    kinds = tidy.drop_duplicates("parameter").set_index("parameter")["kind"]
    assert kinds.to_dict() == {
        "beta[Intercept]": "fixed",
        "beta[x]": "fixed",
        "sd_g[Intercept]": "sd",
        "sd_g[x]": "sd",
        "corr_g[Intercept, x]": "corr",
        "sigma": "family",
    }


def test_bayesian_columns_are_posterior_mean_sd_and_hdi(comparison, fits):
    draws = fits["gibbs"]["posterior"]["sd_g"].sel({"g__term": "x"})
    row = comparison.table.loc["sd_g[x]", "gibbs"]
    hdi = arviz_stats.hdi(draws, prob=0.94).values
    assert row["mean"] == pytest.approx(float(draws.mean()))
    assert row["sd"] == pytest.approx(float(draws.std(ddof=1)))
    assert [row["ci_lower"], row["ci_upper"]] == pytest.approx(list(hdi))


def test_correlation_is_the_upper_triangle_entry(comparison, fits):
    corr = fits["nuts"]["posterior"]["corr_g"].sel({"g__term": "Intercept", "g__term_bis": "x"})
    assert comparison.table.loc["corr_g[Intercept, x]", ("nuts", "mean")] == pytest.approx(
        float(corr.mean())
    )


# -- h-likelihood mapping -------------------------------------------------------------------------
def test_fixed_effects_are_the_fit_with_wald_intervals(comparison, fits):
    fixef = fits["hlik"].fixef.loc["x"]
    row = comparison.table.loc["beta[x]", "hlik"]
    assert row["estimate"] == pytest.approx(fixef.estimate)
    assert row["se"] == pytest.approx(fixef.se)
    assert row["ci_lower"] == pytest.approx(fixef.estimate - Z94 * fixef.se)
    assert row["ci_upper"] == pytest.approx(fixef.estimate + Z94 * fixef.se)


@pytest.mark.parametrize(
    ("parameter", "dispersion"),
    [("sd_g[Intercept]", "g|Intercept"), ("sd_g[x]", "g|x"), ("sigma", "phi")],
)
def test_lambda_and_phi_map_to_square_roots(comparison, fits, parameter, dispersion):
    fit = fits["hlik"]
    estimate = fit.phi if dispersion == "phi" else fit.lambda_[dispersion]
    value = float(estimate.values[0])
    log_se = float(estimate.coef.loc["Intercept", "se"])
    row = comparison.table.loc[parameter, "hlik"]
    assert row["estimate"] == pytest.approx(np.sqrt(value))
    assert row["se"] == pytest.approx(0.5 * np.sqrt(value) * log_se)  # delta method
    assert row["ci_lower"] == pytest.approx(np.exp(0.5 * (np.log(value) - Z94 * log_se)))
    assert row["ci_upper"] == pytest.approx(np.exp(0.5 * (np.log(value) + Z94 * log_se)))


def test_mapped_values_say_so_in_the_note_column(comparison):
    notes = comparison.table["note"]
    assert notes["sd_g[x]"] == "hlik: sd = sqrt(lambda)"
    assert notes["sigma"] == "hlik: sigma = sqrt(phi)"
    assert notes["beta[x]"] == ""
    assert any("delta method" in note for note in comparison.notes)


def test_ci_prob_sets_both_interval_kinds(fits):
    narrow = bayesml.compare(fits["gibbs"], fits["hlik"], ci_prob=0.5)
    row = narrow.table.loc["beta[x]", "hlik"]
    se = fits["hlik"].fixef.loc["x", "se"]
    assert row["ci_upper"] - row["ci_lower"] == pytest.approx(2 * stats.norm.ppf(0.75) * se)
    draws = fits["gibbs"]["posterior"]["beta"].sel(coef="x")
    hdi = arviz_stats.hdi(draws, prob=0.5).values
    gibbs = narrow.table.loc["beta[x]", "gibbs"]
    assert [gibbs["ci_lower"], gibbs["ci_upper"]] == pytest.approx(list(hdi))
    assert narrow.ci_prob == 0.5
    assert narrow.table.attrs["ci"] == "50% HDI (gibbs); 50% Wald (hlik)"
    assert set(narrow.tidy["interval"]) == {"50% HDI", "50% Wald"}


def test_the_former_hdi_prob_still_works_with_a_future_warning(fits):
    with pytest.warns(FutureWarning, match=r"compare\(hdi_prob=\.\.\.\) is deprecated: the argument is now ci_prob") as record:
        former = bayesml.compare(fits["gibbs"], fits["hlik"], hdi_prob=0.5)
    assert record[0].filename == __file__
    current = bayesml.compare(fits["gibbs"], fits["hlik"], ci_prob=0.5)
    pd.testing.assert_frame_equal(former.table, current.table)
    with pytest.warns(FutureWarning, match=r"Comparison\.hdi_prob is deprecated: the attribute is now ci_prob"):
        assert former.hdi_prob == 0.5
    with pytest.raises(ValueError, match=r"give the interval probability once, as ci_prob; got ci_prob=0\.9 and hdi_prob=0\.5"):
        bayesml.compare(fits["hlik"], ci_prob=0.9, hdi_prob=0.5)
    with pytest.raises(TypeError, match=r"compare\(\) got an unexpected keyword argument 'prob'"):
        bayesml.compare(fits["hlik"], prob=0.5)


# -- gaps are NaN ---------------------------------------------------------------------------------
def test_correlation_missing_from_hlik_is_nan_with_a_note(comparison):
    row = comparison.table.loc["corr_g[Intercept, x]"]
    assert row["hlik"].isna().all()
    assert row["note"].item() == "hlik: not estimated"


def test_random_effects_only_on_request(fits):
    comparison = bayesml.compare(fits["nuts"], fits["hlik"], include_random_effects=True)
    table = comparison.table
    assert "u_g[g3, x]" in table.index
    ranef = fits["hlik"].ranef.loc[("g|x", "g3")]
    assert table.loc["u_g[g3, x]", ("hlik", "estimate")] == pytest.approx(ranef.estimate)
    assert table.loc["u_g[g3, x]", ("hlik", "se")] == pytest.approx(ranef.se)
    assert len(table) == len(KEY_PARAMETERS) + 16


def test_posterior_without_random_effects_leaves_them_nan(fits):
    posterior = fits["gibbs"].copy()
    posterior["posterior"] = posterior["posterior"].to_dataset().drop_vars("u_g")
    table = bayesml.compare(posterior, fits["hlik"], include_random_effects=True).table
    assert table.loc["u_g[g0, Intercept]", "gibbs"].isna().all()
    assert table["note"]["u_g[g0, Intercept]"] == "gibbs: not estimated"


# -- names ---------------------------------------------------------------------------------------
def test_repeated_methods_are_numbered(fits):
    comparison = bayesml.compare(fits["gibbs"], fits["hlik"], fits["gibbs"])
    assert comparison.names == ("gibbs", "hlik", "gibbs_2")


def test_user_names(fits):
    comparison = bayesml.compare(fits["nuts"], fits["hlik"], names=["bayes", "hglm"])
    assert list(comparison.table.columns.get_level_values(0).unique()) == ["bayes", "hglm", "note"]
    assert comparison.table["note"]["sigma"] == "hglm: sigma = sqrt(phi)"


def test_method_read_from_sample_stats_without_the_stamp(fits):
    for method in ("nuts", "gibbs"):
        bare = fits[method].copy()
        bare.attrs = {}
        assert bayesml.compare(bare).names == (method,)


# -- other families and terms ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def count_data() -> pd.DataFrame:
    rng = np.random.default_rng(21)
    g = np.repeat(np.arange(10), 12)
    x = rng.normal(size=g.size)
    eta = 0.3 + 0.4 * x + rng.normal(0, 0.5, 10)[g]
    positive = rng.gamma(4.0, np.exp(eta) / 4.0)
    counts = rng.poisson(np.exp(eta))
    return pd.DataFrame({"y": positive, "n": counts, "x": x, "g": g.astype(str)})


def test_gamma_phi_maps_to_alpha(count_data):
    fit = bayesml.hglm("y ~ x + (1 | g)", count_data, family="gamma", link="log")
    row = bayesml.compare(fit).table.loc["alpha"]
    phi = float(fit.phi.values[0])
    log_se = float(fit.phi.coef.loc["Intercept", "se"])
    assert row[("hlik", "estimate")] == pytest.approx(1 / phi)
    assert row[("hlik", "se")] == pytest.approx(log_se / phi)
    assert row[("hlik", "ci_lower")] == pytest.approx(np.exp(-np.log(phi) - Z94 * log_se))
    assert row["note"].item() == "hlik: alpha = 1/phi"


def test_quasi_likelihood_phi_is_left_out_with_a_note(count_data):
    fit = bayesml.hglm("n ~ x + (1 | g)", count_data, family="poisson")
    comparison = bayesml.compare(fit)
    assert list(comparison.table.index) == ["beta[Intercept]", "beta[x]", "sd_g[Intercept]"]
    assert any("quasi-likelihood" in note for note in comparison.notes)
    fixed = bayesml.compare(
        bayesml.hglm("n ~ x + (1 | g)", count_data, family="poisson", dispersion=1)
    )
    assert not any("quasi-likelihood" in note for note in fixed.notes)


def test_non_gaussian_random_effects_map_as_nuts_stores_them(count_data):
    """sd = sqrt(lambda) (lambda = var(u) of a gamma effect of mean 1) with the delta-method SE;
    u_g = v = log u, the linear-predictor scale of the NUTS backend's u_g, with hlik's SE of v."""
    fit = bayesml.hglm(
        "n ~ x + (1 | g)", count_data, family="poisson", random_family="gamma", dispersion=1
    )
    table = bayesml.compare(fit, include_random_effects=True).table
    lam = fit.lambda_["g"]
    log_se = float(lam.coef["se"].iloc[0])
    row = table.loc["sd_g[Intercept]"]
    assert row[("hlik", "estimate")] == pytest.approx(np.sqrt(lam.value))
    assert row[("hlik", "se")] == pytest.approx(0.5 * np.sqrt(lam.value) * log_se)
    assert "sd = sqrt(lambda), lambda of gamma(log) effects" in row["note"].item()
    level = fit.ranef.index[0][1]
    effect = table.loc[f"u_g[{level}, Intercept]"]
    assert effect[("hlik", "estimate")] == pytest.approx(np.log(fit.ranef["estimate"].iloc[0]))
    assert effect[("hlik", "se")] == pytest.approx(fit.ranef["se"].iloc[0])
    assert "v = link(u) of gamma(log) effects" in effect["note"].item()


def test_single_slope_term_is_labelled_from_the_formula(data):
    fit = bayesml.hglm("y ~ x + (0 + x | g)", data)
    assert "sd_g[x]" in bayesml.compare(fit).table.index


def test_phi_with_a_dispersion_model_is_not_mapped(data):
    fit = bayesml.hglm("y ~ x + (1 | g)", data, dispersion_formula="~ x")
    comparison = bayesml.compare(fit)
    assert np.isnan(comparison.table.loc["sigma", ("hlik", "estimate")])
    assert "not mapped: phi has a dispersion model" in comparison.table["note"]["sigma"]
    assert any("coefficients Intercept, x" in note for note in comparison.notes)


# -- presentation --------------------------------------------------------------------------------
def test_repr_and_html_show_the_table(comparison):
    text = repr(comparison)
    assert text.startswith(
        "Comparison of nuts (nuts), gibbs (gibbs), hlik (hlik); "
        "intervals: 94% HDI (nuts, gibbs); 94% Wald (hlik)\n"
    )
    assert "hlik: sd = sqrt(lambda)" in text
    html = comparison._repr_html_()
    assert "<table" in html and "corr_g[Intercept, x]" in html


def test_the_tables_show_four_significant_digits_and_keep_every_digit(comparison):
    value = comparison.table.loc["beta[x]", ("hlik", "estimate")]
    assert f"{value:.4g}" in repr(comparison) and f"{value:.4g}" in repr(comparison.table)
    assert repr(value) not in repr(comparison.table)
    assert comparison.tidy.set_index(["result", "parameter"]).loc[("hlik", "beta[x]"), "estimate"] == value


def test_plot_draws_a_panel_per_kind(comparison):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure = comparison.plot()
    try:
        titles = [ax.get_title(loc="left") for ax in figure.axes]
        assert titles == [
            "Fixed effects",
            "Random-effect SDs",
            "Random-effect correlations",
            "Family parameters",
        ]
        # one marker line per fit in each panel, plus one interval collection per fit
        assert len(figure.axes[0].lines) == 3 and len(figure.axes[0].collections) == 3
        assert [t.get_text() for t in figure.axes[1].get_yticklabels()] == [
            "sd_g[Intercept]",
            "sd_g[x]",
        ]
    finally:
        plt.close(figure)
    figure = comparison.plot(kinds=["sd"])
    try:
        assert len(figure.axes) == 1
    finally:
        plt.close(figure)
    with pytest.raises(
        ValueError, match=r"kinds must be a list of kinds in the table.*got \['u'\]"
    ):
        comparison.plot(kinds=["u"])


# -- errors --------------------------------------------------------------------------------------
def test_no_result():
    with pytest.raises(ValueError, match="compare needs at least one result; got none"):
        bayesml.compare()


def test_wrong_result_type(fits):
    with pytest.raises(TypeError, match=r"result 2 must be a posterior .* got DataFrame"):
        bayesml.compare(fits["hlik"], pd.DataFrame())


def test_result_without_posterior(fits):
    prior_only = fits["gibbs"].copy()
    del prior_only["posterior"]
    with pytest.raises(ValueError, match="result 1 has no posterior group"):
        bayesml.compare(prior_only)


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["a"], "names must be a sequence of 2 names, one per result; got \\['a'\\]"),
        ("ab", "names must be a sequence of 2 names"),
        (["a", "a"], "names must be distinct and not 'note'"),
        (["a", "note"], "names must be distinct and not 'note'"),
        (["a", ""], "names must be non-empty strings"),
    ],
)
def test_bad_names(fits, names, message):
    with pytest.raises(ValueError, match=message):
        bayesml.compare(fits["gibbs"], fits["hlik"], names=names)


@pytest.mark.parametrize("ci_prob", [0, 1, 1.5, "0.9", True])
def test_bad_ci_prob(fits, ci_prob):
    with pytest.raises(ValueError, match=r"ci_prob must be a number between 0 and 1 \(exclusive\), e\.g\. 0\.94; got"):
        bayesml.compare(fits["hlik"], ci_prob=ci_prob)


def test_different_fixed_effects_are_refused(fits, data):
    other = bayesml.hglm("y ~ 1 + (1 + x | g)", data)
    with pytest.raises(
        ValueError,
        match=r"fits of different models: their fixed-effect coefficients differ; "
        r"only in gibbs: \['beta\[x\]'\], only in hlik: \[\]",
    ):
        bayesml.compare(fits["gibbs"], other)


def test_different_random_terms_are_refused(fits, data):
    other = bayesml.hglm("y ~ x + (1 | g)", data)
    with pytest.raises(
        ValueError, match=r"random-effect SDs differ; only in nuts: \['sd_g\[x\]'\]"
    ):
        bayesml.compare(fits["nuts"], other)


def test_different_families_are_refused(fits, count_data):
    poisson = bayesml.hglm("n ~ x + (1 + x | g)", count_data, family="poisson", dispersion=1)
    with pytest.raises(
        ValueError,
        match=r"their families differ \(nuts: gaussian\(identity\), hlik: poisson\(log\)\)",
    ):
        bayesml.compare(fits["nuts"], poisson)
