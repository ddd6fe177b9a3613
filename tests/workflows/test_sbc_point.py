"""bayesml.coverage: bias and Wald coverage of point estimators over simulations from fixed truth.

Pass criteria on coverage: a run of n simulations covers the truth k times, k ~ Binomial(n, p)
with p the estimator's true coverage. A correct Wald interval at 0.95 has p near, not at, 0.95
(z instead of t, estimated variance components), so the accepted range is the one a correct
estimator with p anywhere in [P_LOW, P_HIGH] lands in with probability > 99.9 %: k >=
binom.ppf(0.0005, n, P_LOW) and k <= binom.isf(0.0005, n, P_HIGH) (each tail < 0.05 %). The runs
are seeded, so each test is deterministic; the bound says how unlikely a seed that fails a
correct estimator is. Bias checks use the run's Monte Carlo SE (empirical SD / sqrt(n)) with
z = 3.29 (two-sided 0.1 %).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import bayesml
from bayesml.errors import ArgumentError, ArgumentTypeError, ConvergenceWarning
from bayesml.workflows import sbc_run
from bayesml.workflows.sbc_point_truth import fixed_truth, simulate_at_truth

#: the range of true coverage a correct Wald interval at 0.95 is allowed (see the docstring)
P_LOW, P_HIGH = 0.92, 0.97
#: two-sided 0.1 % normal quantile, for the bias checks
Z_999 = 3.29

ONE_WAY_TRUTH = {"beta[Intercept]": 2.0, "sd_g[Intercept]": 0.5, "sigma": 1.0}


def _coverage_ok(covered: pd.Series) -> tuple[bool, str]:
    values = covered.dropna().astype(bool)
    n, k = len(values), int(values.sum())
    low = stats.binom.ppf(0.0005, n, P_LOW)
    high = stats.binom.isf(0.0005, n, P_HIGH)
    return bool(low <= k <= high), f"{k} of {n} covered; accepted [{low:.0f}, {high:.0f}]"


@pytest.fixture(scope="module")
def one_way() -> bayesml.Model:
    """A balanced one-way design: 30 groups of 5 (the response is replaced by the simulations)."""
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(30), 5)
    data = pd.DataFrame({"y": rng.normal(size=150), "g": [f"g{i:02d}" for i in groups]})
    return bayesml.Model("y ~ 1 + (1 | g)", data)


@pytest.fixture(scope="module")
def one_way_runs(one_way):
    """ML and REML (lmer's two criteria) on the same 100 simulated data sets."""
    runs = {}
    for label, options in (("ML", {}), ("REML", {"reml": True})):
        runs[label] = bayesml.coverage(
            one_way,
            true_values=ONE_WAY_TRUTH,
            n_simulations=100,
            method="laplace",
            random_seed=11,
            progressbar=False,
            **options,
        )
    return runs


# -- known results --------------------------------------------------------------------------
def test_one_way_estimates_are_the_closed_forms(one_way, one_way_runs):
    """Balanced one-way ANOVA (Searle, Casella & McCulloch 1992, sec. 3.7): REML is σ² = MSW,
    σ_b² = (MSB − MSW)/n; ML is σ² = MSW, σ_b² = ((1 − 1/a)·MSB − MSW)/n, when positive. Every
    interior simulation's estimates are these (the simulated responses are those the run's
    seed gives); a fit stuck at SD 0 would show here."""
    truth = fixed_truth(one_way, ONE_WAY_TRUTH, random_seed=11)
    responses = simulate_at_truth(one_way, truth, 100, random_seed=11)
    a, n = 30, 5
    by_group = responses.reshape(100, a, n)  # rows are grouped g00 x5, g01 x5, ...
    msb = n * by_group.mean(axis=2).var(axis=1, ddof=1)
    msw = by_group.var(axis=2, ddof=1).mean(axis=1)
    closed = {
        "REML": ((msb - msw) / n, msw),
        "ML": (((1 - 1 / a) * msb - msw) / n, msw),
    }
    for label, (variance, residual) in closed.items():
        estimates = one_way_runs[label].estimates
        interior = variance > 1e-3
        assert interior.sum() > 95
        np.testing.assert_allclose(
            estimates["sd_g[Intercept]"].to_numpy()[interior] ** 2,
            variance[interior],
            rtol=1e-5,
            err_msg=label,
        )
        np.testing.assert_allclose(
            estimates["sigma"].to_numpy()[interior] ** 2, residual[interior], rtol=1e-5
        )
        assert not estimates["singular"].to_numpy()[interior].any()


def test_one_way_fixed_effect_coverage_is_nominal(one_way_runs):
    for label, run in one_way_runs.items():
        ok, text = _coverage_ok(run.covered()["beta[Intercept]"])
        assert ok, f"{label}: {text}"
        table = run.summary()
        row = table.loc["beta[Intercept]"]
        assert abs(row["bias"]) < Z_999 * row["bias_mcse"]
        # the model SE estimates the spread of the estimates (within 15 %)
        assert row["mean_se"] == pytest.approx(row["emp_sd"], rel=0.15)
        assert table.attrs["level"] == 0.95
        assert table["n_used"].eq(100).all()


def test_ml_sd_is_biased_low_and_reml_less(one_way_runs):
    """A known fact: ML variance components are biased downwards (no degrees of freedom for the
    fixed effects); REML less. For the balanced one-way model the expectations are exact (Searle
    et al. 1992, sec. 3.7; the estimates' truncation at 0 touches 1 % of these simulations):
    E σ̂_b²(REML) = σ_b², E σ̂_b²(ML) = σ_b² − (σ_b² + σ²/n)/a. The two runs fit the same
    simulated data sets."""
    a, n, sd, sigma = 30, 5, 0.5, 1.0
    expected = {"REML": sd**2, "ML": sd**2 - (sd**2 + sigma**2 / n) / a}
    for label, mean in expected.items():
        variance = one_way_runs[label].estimates["sd_g[Intercept]"] ** 2
        mcse = variance.std(ddof=1) / np.sqrt(variance.size)
        assert abs(variance.mean() - mean) < Z_999 * mcse, label
    name = "sd_g[Intercept]"
    ml_sd = one_way_runs["ML"].estimates[name].to_numpy()
    reml_sd = one_way_runs["REML"].estimates[name].to_numpy()
    # the same data: ML's SD is never above REML's, and below it on average by far more than
    # the Monte Carlo error of the paired difference
    assert np.all(reml_sd >= ml_sd - 1e-8)
    difference = ml_sd - reml_sd
    assert difference.mean() + Z_999 * difference.std(ddof=1) / np.sqrt(difference.size) < 0
    ml, reml = one_way_runs["ML"].summary(), one_way_runs["REML"].summary()
    assert ml.loc[name, "bias"] < reml.loc[name, "bias"] < 0  # the SD: Jensen adds to both
    # lme4 gives no SE for an SD: no coverage, said by a missing value
    assert np.isnan(ml.loc[name, "coverage"]) and np.isnan(ml.loc[name, "mean_se"])


@pytest.mark.filterwarnings("ignore::bayesml.ConvergenceWarning")
def test_poisson_glmm_laplace_coverage_is_nominal():
    rng = np.random.default_rng(1)
    groups = np.repeat(np.arange(40), 6)
    data = pd.DataFrame(
        {
            "y": rng.poisson(2, size=240),
            "x": rng.normal(size=240),
            "g": [f"g{i:02d}" for i in groups],
        }
    )
    model = bayesml.Model("y ~ x + (1 | g)", data, family="poisson")
    truth = {"beta[Intercept]": 0.5, "beta[x]": 0.3, "sd_g[Intercept]": 0.4}
    run = bayesml.coverage(
        model, true_values=truth, n_simulations=60, random_seed=12, progressbar=False
    )
    assert run.n_failed == 0
    covered = run.covered()
    for name in ("beta[Intercept]", "beta[x]"):
        ok, text = _coverage_ok(covered[name])
        assert ok, f"{name}: {text}"
        row = run.summary().loc[name]
        assert abs(row["bias"]) < Z_999 * row["bias_mcse"]


def test_hlik_gives_sd_standard_errors_and_log_scale_intervals(one_way):
    run = bayesml.coverage(
        one_way,
        true_values=ONE_WAY_TRUTH,
        n_simulations=60,
        method="hlik",
        random_seed=5,
        progressbar=False,
    )
    se = run.standard_errors
    assert se.notna().all().all()  # fixed effects, sd (from log λ) and sigma (from log φ)
    lower, upper = run.intervals(0.95)
    estimates = run.statistic("estimate")
    for name in ("sd_g[Intercept]", "sigma"):
        assert (lower[name] > 0).all()
        # the Wald interval of the log, transformed back: its ends' geometric mean is the estimate
        np.testing.assert_allclose(np.sqrt(lower[name] * upper[name]), estimates[name])
    np.testing.assert_allclose(
        upper["beta[Intercept]"] - estimates["beta[Intercept]"],
        stats.norm.ppf(0.975) * se["beta[Intercept]"],
    )
    table = run.summary()
    assert table["coverage"].notna().all()
    assert (
        run.summary(level=0.5).loc["beta[Intercept]", "coverage"]
        < table.loc["beta[Intercept]", "coverage"]
    )
    assert table.loc["beta[Intercept]", "coverage_mcse"] == pytest.approx(
        np.sqrt(
            table.loc["beta[Intercept]", "coverage"]
            * (1 - table.loc["beta[Intercept]", "coverage"])
            / 60
        )
    )


# -- true values ----------------------------------------------------------------------------
def test_true_values_from_a_fit_from_the_prior_and_whole_variables(one_way):
    fit = one_way.fit("laplace")
    run = bayesml.coverage(
        one_way, true_values=fit, n_simulations=3, random_seed=2, progressbar=False
    )
    assert run.settings["true_values_source"] == "fit"
    assert run.truths["beta[Intercept]"] == pytest.approx(fit.fixef.loc["Intercept", "estimate"])
    assert run.truths["sigma"] == pytest.approx(fit.sigma)

    drawn = bayesml.coverage(one_way, n_simulations=2, random_seed=2, progressbar=False)
    again = bayesml.coverage(one_way, n_simulations=2, random_seed=2, progressbar=False)
    assert drawn.settings["true_values_source"] == "prior"
    pd.testing.assert_series_equal(drawn.truths, again.truths)
    pd.testing.assert_frame_equal(
        drawn.estimates.drop(columns="seconds"), again.estimates.drop(columns="seconds")
    )

    whole = bayesml.coverage(
        one_way,
        true_values={"beta": [2.0], "sd_g": [0.5], "sigma": 1.0},
        n_simulations=2,
        random_seed=2,
        progressbar=False,
    )
    by_entry = bayesml.coverage(
        one_way, true_values=ONE_WAY_TRUTH, n_simulations=2, random_seed=2, progressbar=False
    )
    pd.testing.assert_frame_equal(whole.statistic("estimate"), by_entry.statistic("estimate"))


def test_ordinal_cutpoints_match_the_posterior_names():
    """An ML fit numbers its cutpoints by position; they are matched to the posterior's
    ``cutpoints[1|2]``, ... (true values from the fit, and every simulation's estimates)."""
    rng = np.random.default_rng(6)
    groups = np.repeat(np.arange(15), 8)
    data = pd.DataFrame(
        {
            "y": pd.Categorical(rng.integers(1, 4, size=120), ordered=True),
            "x": rng.normal(size=120),
            "g": [f"g{i}" for i in groups],
        }
    )
    model = bayesml.Model("y ~ x + (1 | g)", data, family="cumulative")
    fit = model.fit("laplace")
    run = bayesml.coverage(
        model, true_values=fit, n_simulations=3, random_seed=1, progressbar=False
    )
    cutpoints = np.asarray(fit.family_parameters["cutpoints"], dtype=float)
    np.testing.assert_allclose(run.truths[["cutpoints[1|2]", "cutpoints[2|3]"]], cutpoints)
    assert run.statistic("estimate")[["cutpoints[1|2]", "cutpoints[2|3]"]].notna().all().all()


def test_correlated_slopes_simulate_with_the_given_correlation():
    """(1 + x | g) at a correlation of 0.6: the simulated effects follow N(0, Σ) — the ML
    estimates recover SDs and correlation on average."""
    rng = np.random.default_rng(3)
    groups = np.repeat(np.arange(40), 8)
    data = pd.DataFrame(
        {"y": rng.normal(size=320), "x": rng.normal(size=320), "g": [f"g{i}" for i in groups]}
    )
    model = bayesml.Model("y ~ x + (1 + x | g)", data)
    truth = {
        "beta[Intercept]": 1.0,
        "beta[x]": -0.5,
        "sd_g[Intercept]": 0.8,
        "sd_g[x]": 0.5,
        "corr_g[Intercept, x]": 0.6,
        "sigma": 0.7,
    }
    run = bayesml.coverage(
        model, true_values=truth, n_simulations=40, random_seed=4, progressbar=False
    )
    table = run.summary()
    assert run.n_failed == 0
    for name in truth:
        row = table.loc[name]
        # ML's small downward bias of the SDs is well inside 4 Monte Carlo SEs at 40 groups
        assert abs(row["bias"]) < 4 * row["bias_mcse"] + 0.05, name


# -- the engine: failures, convergence, saving ------------------------------------------------
def test_a_failed_fit_is_recorded_and_the_run_goes_on(one_way, monkeypatch):
    original = sbc_run.ANALYSES["fitting"]

    def failing(model, task):
        if task.index == 1:
            raise RuntimeError("optimiser exploded")
        return original(model, task)

    monkeypatch.setitem(sbc_run.ANALYSES, "fitting", failing)
    with pytest.warns(ConvergenceWarning, match=r"1 of 4 fits failed .*optimiser exploded"):
        run = bayesml.coverage(
            one_way, true_values=ONE_WAY_TRUTH, n_simulations=4, random_seed=1, progressbar=False
        )
    assert run.n_failed == 1
    assert run.failures.loc[1, "message"] == "optimiser exploded"
    assert run.estimates.loc[1, ["beta[Intercept]", "sigma"]].isna().all()
    table = run.summary()
    assert table["n_used"].eq(3).all() and table["n_failed"].eq(1).all()
    assert table["excluded"].eq("failed (1)").all()


def test_nonconverged_fits_are_counted_and_left_out_by_default(one_way):
    with pytest.warns(ConvergenceWarning, match=r"of 3 fits, 3 did not converge"):
        run = bayesml.coverage(
            one_way,
            true_values=ONE_WAY_TRUTH,
            n_simulations=3,
            random_seed=1,
            progressbar=False,
            max_evaluations=10,
            tol=1e-14,
        )
    assert run.n_nonconverged == 3 and not run.estimates["converged"].any()
    table = run.summary()
    assert table["n_used"].eq(0).all()
    assert table["excluded"].eq("non-converged (3)").all()
    kept = run.summary(exclude=())
    assert kept["n_used"].eq(3).all() and kept["excluded"].eq("none").all()


def test_save_dir_resumes_to_the_uninterrupted_result(one_way, tmp_path):
    arguments = {
        "true_values": ONE_WAY_TRUTH,
        "n_simulations": 5,
        "method": "hlik",
        "random_seed": 8,
        "progressbar": False,
    }
    whole = bayesml.coverage(one_way, **arguments)
    first = bayesml.coverage(one_way, save_dir=tmp_path / "run", **arguments)
    saved = sorted((tmp_path / "run" / "simulations").iterdir())
    assert len(saved) == 5
    for path in saved[1:3]:
        path.unlink()
    seen = []
    resumed = bayesml.coverage(
        one_way,
        save_dir=tmp_path / "run",
        on_simulation=lambda o: seen.append(o.index),
        **arguments,
    )
    assert sorted(seen) == [1, 2]
    for run in (first, resumed):
        pd.testing.assert_frame_equal(run.statistic("estimate"), whole.statistic("estimate"))
        pd.testing.assert_frame_equal(run.standard_errors, whole.standard_errors)
    with pytest.raises(ArgumentError, match=r"holds a calibration run with other settings: "):
        bayesml.coverage(
            one_way,
            save_dir=tmp_path / "run",
            **{**arguments, "true_values": {**ONE_WAY_TRUTH, "sigma": 2.0}},
        )


# -- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        (
            {"true_values": {"beta[Intercept]": 2.0, "sd_g[Intercept]": 0.5}},
            ArgumentError,
            r"true_values is missing 'sigma'; give every one \(e\.g\. "
            r"true_values=model\.fit\('laplace'\) takes them from a fit\)\. The parameters are "
            r"\['beta\[Intercept\]', 'sd_g\[Intercept\]', 'sigma'\]",
        ),
        (
            {"true_values": {**ONE_WAY_TRUTH, "sd_group[Intercept]": 0.5}},
            ArgumentError,
            r"true_values: 'sd_group\[Intercept\]' is not a parameter of the model; did you mean "
            r"'sd_g\[Intercept\]'",
        ),
        (
            {"true_values": {**ONE_WAY_TRUTH, "u_g[g01, Intercept]": 0.5}},
            ArgumentError,
            r"'u_g\[g01, Intercept\]' is not a parameter of the model.*random effects \(u_\.\.\.\) "
            r"are drawn afresh in every simulation",
        ),
        (
            {"true_values": {**ONE_WAY_TRUTH, "sd_g[Intercept]": -1.0}},
            ArgumentError,
            r"true_values\['sd_g\[Intercept\]'\] is an SD: it must be >= 0; got -1\.0",
        ),
        (
            {"true_values": {**ONE_WAY_TRUTH, "sigma": "one"}},
            ArgumentTypeError,
            r"true_values\['sigma'\] must be a number; got 'one'",
        ),
        (
            {"true_values": {"beta": [1.0, 2.0], "sd_g": [0.5], "sigma": 1.0}},
            ArgumentError,
            r"true_values\['beta'\] must have shape \(1,\) \(dims \['coef'\]\); got shape \(2,\)",
        ),
        (
            {"true_values": [2.0, 0.5, 1.0]},
            ArgumentTypeError,
            r"true_values must be a mapping of parameter names to values .* got list",
        ),
        (
            {"true_values": ONE_WAY_TRUTH, "method": "nuts"},
            ArgumentError,
            r"method must be one of \['agq', 'hlik', 'laplace'\]; got method='nuts' \('nuts' "
            r"samples a posterior: bayesml\.sbc\(model, method='nuts'\)",
        ),
        (
            {"true_values": ONE_WAY_TRUTH, "method": "ml"},
            ArgumentError,
            r"method must be one of \['agq', 'hlik', 'laplace'\]; got method='ml'$",
        ),
        (
            {"true_values": ONE_WAY_TRUTH, "n_simulations": 0},
            ArgumentError,
            r"n_simulations must be an integer >= 1; got n_simulations=0",
        ),
        (
            {"true_values": ONE_WAY_TRUTH, "level": 95},
            ArgumentError,
            r"level must be a number between 0 and 1; got level=95",
        ),
        (
            {"true_values": ONE_WAY_TRUTH, "method": "hlik", "reml": True},
            ArgumentError,
            r"reml",
        ),
    ],
)
def test_bad_input_is_refused(one_way, arguments, error, message):
    with pytest.raises(error, match=message):
        bayesml.coverage(one_way, n_simulations=arguments.pop("n_simulations", 2), **arguments)


def test_summary_refuses_bad_arguments(one_way):
    run = bayesml.coverage(
        one_way, true_values=ONE_WAY_TRUTH, n_simulations=2, random_seed=1, progressbar=False
    )
    with pytest.raises(ArgumentError, match=r"exclude must be a list of \['nonconverged', "):
        run.summary(exclude=["failed"])
    with pytest.raises(ArgumentError, match=r"level must be a number between 0 and 1"):
        run.summary(level=1.0)
    with pytest.raises(ArgumentError, match=r"statistic must be one of \['estimate', "):
        run.statistic("rank")
    assert "CoverageResult: 2 simulations of 3 parameter entries by 'laplace'" in repr(run)


def test_sbc_points_a_point_estimator_to_coverage(one_way):
    with pytest.raises(ArgumentError, match=r"bayesml\.coverage\(model, method='laplace'"):
        bayesml.sbc(one_way, method="laplace", n_simulations=2)
