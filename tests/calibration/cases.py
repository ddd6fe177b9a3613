"""The models of bayesml's own calibration suite (issue 16 item 4) and its pass criterion.

Shared by the tests (``tests/calibration/test_calibration.py``: a quick version in ``make test``,
the full suite in ``make test-slow``) and by ``bench/calibration.py``, which runs the full suite
and writes ``docs/calibration.md`` with its plots.

Every case is a small hierarchical model, ``y ~ x + (1 | g)`` with 8 groups of 6 rows (48 rows),
fitted with the family's default priors except two: a half-normal(1) on the group SD (the default
is scaled to the placeholder response), and gamma(2, 0.5) on the shape or precision of the gamma,
beta and negative binomial families (:data:`SHAPE_PRIOR`: their gamma(0.01, 0.01) default cannot
be simulated from in floating point); the beta family also has tighter coefficient priors and a
gamma(10, 0.5) precision (:data:`BETA_PRIORS`: with the defaults its draws are exactly 0 or 1). The design (x, g, trials) is fixed by ``SEED``; the placeholder response only sets the
data-scaled default priors (SBC simulates the responses).

Pass criterion (derived in :func:`suite_verdict`): every parameter entry of every case gets a
uniformity p-value of its randomised-PIT ranks (ArviZ's ``pot_c`` test, as
:meth:`bayesml.SBCResult.summary`); the suite passes when Holm's step-down procedure across *all*
entries of *all* cases run together rejects none at family-wise level ``FAMILY_ALPHA`` = 0.001.
Holm controls the family-wise error rate at that level whatever the dependence between the
p-values (entries of one model share simulations), provided each p-value is valid (uniform or
conservative for a correct sampler). So a correct sampler fails the suite with probability at most
0.1 %, up to the approximations the ranks rest on: the pot_c p-value's Cauchy combination is
exact only asymptotically (:func:`false_alarm_rate` measures it on exactly uniform PIT values:
the measured rate is printed by ``bench/calibration.py`` and checked by a fast test), and ranks
among draws thinned to the bulk ESS are uniform up to the draws' remaining autocorrelation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

import bayesml

#: seed of the design and of every SBC run (run i of the suite uses SEED + i)
SEED = 20261207
#: family-wise level of the whole suite (Holm across every entry of every case)
FAMILY_ALPHA = 0.001
GROUPS = 8
PER_GROUP = 6
#: proper prior for the group SD (the default is scaled to the placeholder response)
SD_PRIOR = {"sd": {"dist": "half_normal", "sigma": 1}}
#: in place of the gamma(0.01, 0.01) default (brms's) of a shape or precision: that prior puts
#: half its mass below 1e-30, where simulated gamma responses underflow to 0 and beta responses
#: to exactly 0 or 1 (every simulation of those families failed with it)
SHAPE_PRIOR = {"dist": "gamma", "alpha": 2, "beta": 0.5}


def design(seed: int = SEED) -> pd.DataFrame:
    """The fixed design: 8 groups × 6 rows, x ~ N(0, 1), 10 binomial trials per row, and a
    placeholder response per kind of family (only the data-scaled default priors read it)."""
    rng = np.random.default_rng(seed)
    n = GROUPS * PER_GROUP
    frame = pd.DataFrame(
        {"g": np.repeat([f"g{i}" for i in range(GROUPS)], PER_GROUP), "x": rng.normal(size=n)}
    )
    frame["y"] = rng.normal(size=n)
    frame["positive"] = rng.gamma(4.0, 0.5, size=n)
    frame["unit"] = rng.beta(4.0, 4.0, size=n)
    frame["binary"] = rng.binomial(1, 0.5, size=n)
    frame["trials"] = 10
    frame["successes"] = rng.binomial(10, 0.4, size=n)
    frame["count"] = rng.poisson(3.0, size=n)
    frame["zeros"] = np.where(rng.random(n) < 0.3, 0, rng.poisson(3.0, size=n))
    frame["positive0"] = np.where(rng.random(n) < 0.3, 0.0, frame["positive"])
    levels = ["low", "mid", "high", "top"]
    frame["ordered"] = pd.Categorical(rng.choice(levels, size=n), categories=levels, ordered=True)
    frame["choice"] = rng.choice(["a", "b", "c"], size=n)
    counts = rng.multinomial(8, [0.4, 0.3, 0.3], size=n)
    frame["na"], frame["nb"], frame["nc"] = counts.T
    return frame


@dataclass(frozen=True)
class Case:
    """One model and sampler of the suite.

    Attributes
    ----------
    name
        Row label in the results table (and the plot's file name).
    formula, family, priors
        The model (on :func:`design`).
    method
        ``"nuts"`` or ``"gibbs"``.
    model_options
        More keyword arguments of :class:`bayesml.Model` (link, ...).
    """

    name: str
    formula: str
    family: str = "gaussian"
    priors: Mapping[str, Any] = field(default_factory=lambda: dict(SD_PRIOR))
    method: str = "nuts"
    model_options: Mapping[str, Any] = field(default_factory=dict)

    def model(self, data: pd.DataFrame | None = None) -> bayesml.Model:
        return bayesml.Model(
            self.formula,
            design() if data is None else data,
            family=self.family,
            priors=dict(self.priors),
            **self.model_options,
        )


#: the beta family's coefficients: with the default student-t(3, 0, 2.5) intercept the mean
#: reaches 1e-4 or 1 - 1e-4 and a beta draw of shape mean × precision < 0.01 is exactly 0 or 1
#: in floating point (4 of 4 simulations failed)
BETA_PRIORS = {
    "intercept": {"dist": "normal", "mu": 0, "sigma": 1},
    "fixed": {"dist": "normal", "mu": 0, "sigma": 0.5},
    "kappa": {"dist": "gamma", "alpha": 10, "beta": 0.5},
}


def _case(
    family: str, response: str, shape: str | None = None, **priors: Mapping[str, Any]
) -> Case:
    priors = {**SD_PRIOR, **({shape: SHAPE_PRIOR} if shape else {}), **priors}
    return Case(family, f"{response} ~ x + (1 | g)", family=family, priors=priors)


#: NUTS on every family with its default priors
NUTS_CASES: tuple[Case, ...] = (
    _case("gaussian", "y"),
    _case("student_t", "y"),
    _case("lognormal", "positive"),
    _case("gamma", "positive", shape="alpha"),
    _case("beta", "unit", **BETA_PRIORS),
    _case("bernoulli", "binary"),
    _case("binomial", "cbind(successes, trials - successes)"),
    _case("poisson", "count"),
    _case("negative_binomial", "count", shape="alpha"),
    _case("zero_inflated_poisson", "zeros"),
    _case("zero_inflated_negative_binomial", "zeros", shape="alpha"),
    _case("zero_inflated_binomial", "cbind(successes, trials - successes)"),
    _case("hurdle_poisson", "zeros"),
    _case("hurdle_negative_binomial", "zeros", shape="alpha"),
    _case("hurdle_gamma", "positive0", shape="alpha"),
    _case("hurdle_lognormal", "positive0"),
    _case("cumulative", "ordered"),
    _case("sratio", "ordered"),
    _case("acat", "ordered"),
    _case("categorical", "choice"),
    _case("multinomial", "cbind(na, nb, nc)"),
)

#: the Gibbs samplers: gaussian with a correlated term under LKJ and inverse-Wishart priors,
#: probit and logit
GIBBS_CASES: tuple[Case, ...] = (
    Case(
        "gibbs gaussian (1 + x | g), LKJ",
        "y ~ x + (1 + x | g)",
        priors={**SD_PRIOR, "cov": {"dist": "lkj", "eta": 2}},
        method="gibbs",
    ),
    Case(
        "gibbs gaussian (1 + x | g), inverse-Wishart",
        "y ~ x + (1 + x | g)",
        priors={"cov": {"dist": "inverse_wishart", "nu": 4, "scale": 1}},
        method="gibbs",
    ),
    Case(
        "gibbs probit",
        "binary ~ x + (1 | g)",
        family="bernoulli",
        method="gibbs",
        model_options={"link": "probit"},
    ),
    Case("gibbs logit", "binary ~ x + (1 | g)", family="bernoulli", method="gibbs"),
)

ALL_CASES = NUTS_CASES + GIBBS_CASES

#: the full suite's fits and simulations per case (``make test-slow``, ``make calibration``)
FULL_FIT = {"draws": 500, "tune": 500, "chains": 2}
FULL_SIMULATIONS = 50
#: the quick suite in ``make test``
QUICK_FIT = {"draws": 200, "tune": 200, "chains": 2}
QUICK_SIMULATIONS = 20
QUICK_CASES = ("gaussian", "gibbs gaussian (1 + x | g), LKJ", "gibbs probit")

#: the deliberately wrong sampler: simulate the group SD from half-normal(1) (:data:`SD_PRIOR`),
#: fit with half-normal(0.5), a prior scale off by 2 (Gibbs, gaussian random intercepts)
WRONG_CASE = Case("gibbs gaussian, sd prior off by 2", "y ~ x + (1 | g)", method="gibbs")
WRONG_SD = {"sd": {"dist": "half_normal", "sigma": 0.5}}
WRONG_PARAMETERS = ("beta", "sd_g", "sigma")
#: simulations of the wrong-sampler check: its power at the suite's criterion, measured by
#: bench/calibration.py (docs/calibration.md; 2000 subsamples of a 300-simulation wrong run),
#: was 0.70 with 60 simulations and 0.98 with 100
WRONG_SIMULATIONS = 100


def wrong_fit_model(case: Case) -> bayesml.Model:
    """The model the wrong sampler fits: ``case``'s model with the SD prior scale halved."""
    return bayesml.Model(case.formula, design(), family=case.family, priors=WRONG_SD)


def case_seed(case: Case) -> int:
    """The seed of ``case``'s run: :data:`SEED` plus its position in :data:`ALL_CASES`."""
    return SEED + ALL_CASES.index(case)


def cases_named(names: Sequence[str]) -> list[Case]:
    """The cases of :data:`ALL_CASES` with these names, in that order."""
    cases = {case.name: case for case in ALL_CASES}
    return [cases[name] for name in names]


def run_case(
    case: Case,
    *,
    n_simulations: int,
    seed: int,
    fit: Mapping[str, Any],
    fit_model: Callable[[Case], bayesml.Model] | None = None,
    **options: Any,
) -> bayesml.SBCResult:
    """``bayesml.sbc`` of one case (``fit``: draws, chains, tune), serial, no progress bar;
    ``fit_model`` makes the model that fits the simulations (a deliberately wrong one)."""
    import warnings

    model = case.model()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bayesml.SamplingWarning)
        return bayesml.sbc(
            model,
            n_simulations=n_simulations,
            method=case.method,
            random_seed=seed,
            progressbar=False,
            fit_model=None if fit_model is None else fit_model(case),
            **fit,
            **options,
        )


def suite_verdict(results: Mapping[str, bayesml.SBCResult]) -> pd.DataFrame:
    """Every entry of every case, its p-value, the Holm-adjusted p-value across the whole suite and
    whether it passes at :data:`FAMILY_ALPHA` (the suite passes when all do)."""
    from bayesml.workflows.sbc_result import holm

    tables = []
    for name, result in results.items():
        table = result.summary().reset_index()
        table.insert(0, "case", name)
        tables.append(table)
    table = pd.concat(tables, ignore_index=True)
    table["p_suite"] = holm(table["p_value"].to_numpy(dtype=float))
    table["passed_suite"] = table["p_suite"] >= FAMILY_ALPHA
    return table


def false_alarm_rate(
    n_simulations: int, n_tests: int, repetitions: int, seed: int = SEED
) -> tuple[float, float]:
    """How often ``n_tests`` independent exactly-uniform PIT samples of ``n_simulations`` values
    fail Holm at :data:`FAMILY_ALPHA` (the suite's false alarm rate for a perfect sampler with
    independent entries), and the rate at which one pot_c p-value falls below the smallest Holm
    threshold ``FAMILY_ALPHA / n_tests`` (per-test size at that level, estimated from
    ``repetitions × n_tests`` p-values)."""
    from arviz_stats.base import array_stats

    rng = np.random.default_rng(seed)
    pit = rng.random((repetitions, n_tests, n_simulations))
    p = np.asarray(array_stats.uniformity_test(pit, axis=-1)[0], dtype=float)
    threshold = FAMILY_ALPHA / n_tests
    suite_failed = (p.min(axis=-1) < threshold).mean()  # Holm's first step decides a rejection
    return float(suite_failed), float((p < threshold).mean())


# -- point estimators: Wald coverage at fixed true values (bayesml.coverage) --------------------


@dataclass(frozen=True)
class PointCase:
    """One point estimator on the point design: ``bayesml.coverage`` at ``truth``."""

    name: str
    formula: str
    family: str
    method: str
    truth: Mapping[str, float]


#: 30 groups × 8 rows: Wald intervals are large-sample intervals, so the point cases use more
#: groups than the sampler cases (with 8 groups a z interval for the intercept undercovers)
POINT_GROUPS, POINT_PER_GROUP = 30, 8
POINT_SIMULATIONS = 200
POINT_TRUTH = {"beta[Intercept]": 0.3, "beta[x]": 0.5, "sd_g[Intercept]": 0.7}
#: the true coverage a correct 95 % Wald interval may have (z not t, estimated variances)
POINT_COVERAGE_RANGE = (0.92, 0.97)
POINT_CASES = [
    PointCase(
        f"{method} {family}",
        "y ~ x + (1 | g)",
        family,
        method,
        {**POINT_TRUTH, **({"sigma": 1.0} if family == "gaussian" else {})},
    )
    for method, family in (
        ("laplace", "gaussian"),
        ("laplace", "poisson"),
        ("laplace", "bernoulli"),
        ("hlik", "gaussian"),
        ("hlik", "poisson"),
    )
]


def point_design(seed: int = SEED) -> pd.DataFrame:
    """30 groups × 8 rows, x ~ N(0, 1), a placeholder response of each kind."""
    rng = np.random.default_rng(seed)
    n = POINT_GROUPS * POINT_PER_GROUP
    groups = np.repeat([f"g{i:02d}" for i in range(POINT_GROUPS)], POINT_PER_GROUP)
    return pd.DataFrame(
        {"g": groups, "x": rng.normal(size=n), "y": rng.binomial(1, 0.5, size=n).astype(float)}
    )


def run_point_case(case: PointCase, n: int = POINT_SIMULATIONS, **options: Any):
    """``bayesml.coverage`` of one point case, seeded by its position in :data:`POINT_CASES`."""
    model = bayesml.Model(case.formula, point_design(), family=case.family)
    return bayesml.coverage(
        model,
        true_values=dict(case.truth),
        n_simulations=n,
        method=case.method,
        random_seed=SEED + 100 + POINT_CASES.index(case),
        progressbar=False,
        **options,
    )


def point_verdict(results: Mapping[str, Any], alpha: float = FAMILY_ALPHA) -> pd.DataFrame:
    """Each fixed effect's Wald coverage against the band a correct interval lands in.

    k of n intervals cover the truth, k ~ Binomial(n, p) with p in POINT_COVERAGE_RANGE for a
    correct estimator; the band is [ppf(a, n, p_low), isf(a, n, p_high)] with a = alpha / (2 m)
    over the m fixed effects of all cases (Bonferroni), so a correct estimator fails the whole
    check with probability below ``alpha``. SDs are reported (bias, coverage where the method
    gives an SE) but not tested: their Wald intervals are known to undercover in small samples.
    """
    from scipy import stats

    rows = []
    for name, result in results.items():
        table = result.summary()
        for parameter, row in table.iterrows():
            rows.append({"case": name, "parameter": parameter, **row.to_dict()})
    frame = pd.DataFrame(rows)
    fixed = frame["parameter"].str.startswith("beta[")
    tail = alpha / (2 * int(fixed.sum()))
    low_p, high_p = POINT_COVERAGE_RANGE
    used = frame["n_used"].astype(int)
    frame["covered"] = (frame["coverage"] * used).round()
    frame["band_low"] = stats.binom.ppf(tail, used, low_p)
    frame["band_high"] = stats.binom.isf(tail, used, high_p)
    inside = (frame["covered"] >= frame["band_low"]) & (frame["covered"] <= frame["band_high"])
    frame["tested"] = fixed
    frame["passed"] = np.where(fixed, inside, pd.NA)
    return frame
