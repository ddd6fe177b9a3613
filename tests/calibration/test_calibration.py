"""bayesml's own calibration suite (issue 16 item 4): simulation-based calibration of the samplers.

The models, the seeds and the pass criterion are in :mod:`.cases` (its docstring derives the
criterion: Holm across every entry of every case at family-wise level 0.001, so a correct
sampler fails with probability below 0.1 %). ``bench/calibration.py`` (``make calibration``)
runs the full suite and writes ``docs/calibration.md``.

- Fast (``make test``): NUTS on gaussian, Gibbs on gaussian with an LKJ-correlated term and on
  probit, 20 simulations each at 2 chains × 200 draws; a deliberately wrong sampler
  (the group SD fitted with a prior scale half the one simulated from) fails; the pot_c test's
  size on exactly uniform PIT values; Laplace (ML) on a gaussian model: the fixed effects' Wald
  coverage over 200 simulations at fixed true values inside its band (:func:`.cases.point_verdict`),
  and intervals half as wide shown to fail it.
- Slow (``make test-slow``): every case of :data:`.cases.ALL_CASES` (NUTS on every family, the
  Gibbs samplers) with :data:`FULL_SIMULATIONS` simulations each; the point estimators
  (Laplace on gaussian, poisson, bernoulli; h-likelihood on gaussian, poisson) at
  :data:`.cases.POINT_SIMULATIONS` simulations.
"""

from __future__ import annotations

import numpy as np
import pytest

from .cases import (
    ALL_CASES,
    FAMILY_ALPHA,
    FULL_FIT,
    FULL_SIMULATIONS,
    POINT_CASES,
    QUICK_CASES,
    QUICK_FIT,
    QUICK_SIMULATIONS,
    SD_PRIOR,
    SEED,
    WRONG_CASE,
    WRONG_PARAMETERS,
    WRONG_SIMULATIONS,
    case_seed,
    cases_named,
    false_alarm_rate,
    point_verdict,
    run_case,
    run_point_case,
    suite_verdict,
    wrong_fit_model,
)


@pytest.fixture(scope="module")
def quick_suite():
    return {
        case.name: run_case(
            case, n_simulations=QUICK_SIMULATIONS, seed=case_seed(case), fit=QUICK_FIT
        )
        for case in cases_named(QUICK_CASES)
    }


def test_quick_suite_passes(quick_suite):
    table = suite_verdict(quick_suite)
    for name, result in quick_suite.items():
        assert result.n_failed == 0, (name, result.failures["message"].tolist())
    failing = table.loc[~table["passed_suite"], ["case", "parameter", "p_value", "p_suite"]]
    assert failing.empty, failing.to_string()
    # every family parameter, fixed effect, SD and correlation is among the entries
    gaussian = set(table.loc[table["case"] == "gibbs gaussian (1 + x | g), LKJ", "parameter"])
    assert {"beta[Intercept]", "beta[x]", "sd_g[Intercept]", "sd_g[x]", "sigma"} <= gaussian
    assert any(name.startswith("corr_g") for name in gaussian)


def test_a_wrong_sampler_fails():
    assert WRONG_CASE.priors == SD_PRIOR
    wrong = run_case(
        WRONG_CASE,
        n_simulations=WRONG_SIMULATIONS,
        seed=SEED,
        fit=QUICK_FIT,
        fit_model=wrong_fit_model,
        parameters=list(WRONG_PARAMETERS),
    )
    table = suite_verdict({WRONG_CASE.name: wrong}).set_index("parameter")
    assert not table.loc["sd_g[Intercept]", "passed_suite"], table.to_string()
    # the fitted prior is too narrow: the true SDs rank high among the draws
    pit = wrong.pit()["sd_g[Intercept]"]
    assert pit.mean() > 0.6


def test_uniformity_test_size_on_uniform_pit():
    # 20,000 p-values of exactly uniform PIT samples of the quick suite's size: at the level
    # 0.001 about 20 fall below (P(more than 45) < 1e-6 for a valid test)
    suite, single = false_alarm_rate(QUICK_SIMULATIONS, n_tests=100, repetitions=200)
    assert single * 20_000 <= 45
    assert suite <= 0.02  # 200 simulated suites of 100 entries


# -- the full suite (slow) --------------------------------------------------------------------
@pytest.fixture(scope="module")
def full_suite():
    return {
        case.name: run_case(
            case, n_simulations=FULL_SIMULATIONS, seed=case_seed(case), fit=FULL_FIT
        )
        for case in ALL_CASES
    }


@pytest.fixture(scope="module")
def full_verdict(full_suite):
    return suite_verdict(full_suite)


@pytest.mark.slow
@pytest.mark.parametrize("case", [case.name for case in ALL_CASES])
def test_full_suite_case_passes(case, full_suite, full_verdict):
    result = full_suite[case]
    rows = full_verdict[full_verdict["case"] == case]
    assert len(rows) == len(result.parameters)
    failing = rows.loc[~rows["passed_suite"], ["parameter", "p_value", "p_suite"]]
    assert failing.empty, f"{case} fails at family-wise {FAMILY_ALPHA}:\n{failing.to_string()}"
    assert np.isfinite(rows["p_value"]).all()


#: hurdle models whose NUTS fits fail to start for some prior draws ("All initialization points
#: failed": invalid initial point or gradient), measured with 2 x 200 draws, 20 simulations per
#: case (docs/calibration.md): hurdle_poisson, hurdle_negative_binomial, hurdle_gamma 2 of 20,
#: hurdle_lognormal 4 of 20. Their ranks are missing, so the calibration check above sees the
#: other simulations only
FAILING_STARTS = {
    "hurdle_poisson",
    "hurdle_negative_binomial",
    "hurdle_gamma",
    "hurdle_lognormal",
}


@pytest.mark.slow
@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            case.name,
            marks=pytest.mark.xfail(
                reason="some prior draws give hurdle data whose NUTS fit cannot start", strict=False
            ),
        )
        if case.name in FAILING_STARTS
        else case.name
        for case in ALL_CASES
    ],
)
def test_full_suite_fits_rarely_fail(case, full_suite):
    # a robustness guard, not part of the 0.1 % criterion: at most 10 % of the fits fail
    result = full_suite[case]
    assert result.n_failed <= 0.1 * FULL_SIMULATIONS, result.failures["message"].tolist()


# -- point estimators: Wald coverage at fixed true values ---------------------------------------


@pytest.fixture(scope="module")
def laplace_gaussian():
    return run_point_case(POINT_CASES[0])


def test_quick_point_case_covers(laplace_gaussian):
    """lmer-style ML on 30 groups × 8 rows: every fixed effect's 95 % Wald interval covers at
    a rate inside the band of :func:`.cases.point_verdict` (200 simulations)."""
    verdict = point_verdict({POINT_CASES[0].name: laplace_gaussian})
    tested = verdict[verdict["tested"]]
    assert len(tested) == 2 and tested["passed"].all(), tested.to_string()
    assert (verdict["n_failed"] == 0).all()


def test_intervals_half_as_wide_fail_the_point_check(laplace_gaussian):
    """The check's power: Wald intervals from SEs halved (a deliberately wrong estimator)
    cover about 68 % and fall below the band."""
    names = ["beta[Intercept]", "beta[x]"]
    estimates = laplace_gaussian.estimates[names]
    errors = laplace_gaussian.standard_errors[names] / 2
    truth = np.array([POINT_CASES[0].truth[name] for name in names])
    covered = (np.abs(estimates - truth) <= 1.959964 * errors).sum()
    verdict = point_verdict({POINT_CASES[0].name: laplace_gaussian})
    band_low = verdict.set_index("parameter").loc[names, "band_low"]
    assert (covered.to_numpy() < band_low.to_numpy()).all(), (covered, band_low)


@pytest.mark.slow
def test_point_estimators_cover():
    """Laplace (gaussian, poisson, bernoulli) and h-likelihood (gaussian, poisson): every fixed
    effect inside its band, Bonferroni over all of them at family-wise 0.001."""
    results = {case.name: run_point_case(case) for case in POINT_CASES}
    verdict = point_verdict(results)
    tested = verdict[verdict["tested"]]
    assert tested["passed"].all(), tested.to_string()
