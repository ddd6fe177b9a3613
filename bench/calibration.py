"""Run bayesml's calibration suite and write ``docs/calibration.md`` with its ECDF plots.

``make calibration`` (or ``python bench/calibration.py``) runs every case of the suite
(``tests/calibration/cases.py``: NUTS on every family, the Gibbs samplers) with
``bayesml.sbc``, the deliberately wrong sampler, and two measurements of the pass criterion:

- its power against the wrong sampler: the wrong sampler is run with ``--power-n`` simulations
  and the check's ``WRONG_SIMULATIONS`` are subsampled from them (without replacement) many times;
  the power is the share of subsamples that fail at the suite's criterion;
- its false-alarm rate for a perfect sampler: suites of exactly uniform PIT values of the same
  size (entries × simulations) judged by the same criterion.

Each run is saved under ``--save-root`` (default ``.cache/calibration``) as it goes, so an
interrupted regeneration resumes. The document is rewritten whole; the plots are
``docs/calibration/<case>.png``.

Usage::

    python bench/calibration.py                 # the full suite (FULL_SIMULATIONS per case)
    python bench/calibration.py --quick         # the quick suite's cases and settings
    python bench/calibration.py --n 100         # more simulations per case
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
# bench/ off the path: its scripts' names (calibration, coverage) would shadow the package
# tests/calibration and the coverage module numba imports
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT / "tests"))

from calibration import cases as suite  # noqa: E402


def machine_info() -> dict[str, Any]:
    """bench/common.py's machine_info (loaded from its file: bench/ is off the path)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_common", ROOT / "bench" / "common.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module.machine_info()


DOC = ROOT / "docs" / "calibration.md"
PLOTS = ROOT / "docs" / "calibration"


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def run(case: suite.Case, n: int, seed: int, fit: dict[str, Any], root: Path, **options: Any):
    """One case, saved under ``root`` as it goes; returns the result and its wall time."""
    settings = f"n{n}_d{fit['draws']}_t{fit['tune']}_c{fit['chains']}_s{seed}"
    start = time.perf_counter()
    result = suite.run_case(
        case,
        n_simulations=n,
        seed=seed,
        fit=fit,
        save_dir=root / f"{slug(case.name)}_{settings}",
        **options,
    )
    wall = time.perf_counter() - start
    fits = float(result.ranks["seconds"].astype(float).sum())
    print(f"{case.name}: {wall:.0f} s (fits {fits:.0f} s), {result.n_failed} failed", flush=True)
    return result, fits


def plot(result, name: str) -> str:
    from bayesml.plots import figure_of

    PLOTS.mkdir(parents=True, exist_ok=True)
    figure = figure_of(result.plot())
    for axes in figure.axes:  # panels beyond the entries: hidden (ArviZ shades their band)
        if not axes.get_title():
            axes.set_visible(False)
    path = PLOTS / f"{slug(name)}.png"
    figure.savefig(path, dpi=70, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(figure)
    return str(path.relative_to(DOC.parent))


def power(wrong, n_check: int, subsamples: int, seed: int) -> tuple[float, int]:
    """Share of ``n_check``-simulation subsamples of the big wrong run that fail the criterion."""
    from arviz_stats.base import array_stats

    from bayesml.workflows.sbc_result import holm

    pit = wrong.pit()[wrong.parameters].dropna().to_numpy()  # simulations × entries
    rng = np.random.default_rng(seed)
    picks = np.stack([rng.choice(len(pit), n_check, replace=False) for _ in range(subsamples)])
    samples = np.moveaxis(pit[picks], 1, 2)  # subsamples × entries × n_check
    p = np.asarray(array_stats.uniformity_test(samples, axis=-1)[0], dtype=float)
    failed = [np.any(holm(row) < suite.FAMILY_ALPHA) for row in p]
    return float(np.mean(failed)), len(pit)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=None, help="simulations per case")
    parser.add_argument("--quick", action="store_true", help="the quick suite's cases and fits")
    parser.add_argument(
        "--quick-fits", action="store_true", help="every case, with the quick suite's fits"
    )
    parser.add_argument("--power-n", type=int, default=300)
    parser.add_argument("--subsamples", type=int, default=2000)
    parser.add_argument("--false-alarm-suites", type=int, default=1000)
    parser.add_argument("--save-root", type=Path, default=ROOT / ".cache" / "calibration")
    args = parser.parse_args()
    if args.quick:
        cases, fit = suite.cases_named(suite.QUICK_CASES), suite.QUICK_FIT
        n = args.n or suite.QUICK_SIMULATIONS
    else:
        cases, fit, n = list(suite.ALL_CASES), suite.FULL_FIT, args.n or suite.FULL_SIMULATIONS
        if args.quick_fits:
            fit = suite.QUICK_FIT
    started = time.perf_counter()
    results, walls = {}, {}
    for case in cases:
        seed = suite.case_seed(case)
        results[case.name], walls[case.name] = run(case, n, seed, fit, args.save_root)
    verdict = suite.suite_verdict(results)

    wrong_options = {
        "fit_model": suite.wrong_fit_model,
        "parameters": list(suite.WRONG_PARAMETERS),
    }
    check, check_wall = run(
        suite.WRONG_CASE,
        suite.WRONG_SIMULATIONS,
        suite.SEED,
        suite.QUICK_FIT,
        args.save_root,
        **wrong_options,
    )
    check_table = suite.suite_verdict({suite.WRONG_CASE.name: check})
    big, big_wall = run(
        suite.WRONG_CASE,
        args.power_n,
        suite.SEED + 1000,
        suite.QUICK_FIT,
        args.save_root,
        **wrong_options,
    )
    power_value, usable = power(big, suite.WRONG_SIMULATIONS, args.subsamples, suite.SEED)
    alarm_start = time.perf_counter()
    alarm, single = suite.false_alarm_rate(n, len(verdict), args.false_alarm_suites)
    alarm_wall = time.perf_counter() - alarm_start
    total = sum(walls.values()) + check_wall + big_wall
    print(f"this regeneration: {time.perf_counter() - started:.0f} s")

    point_start = time.perf_counter()
    points = {case.name: suite.run_point_case(case) for case in suite.POINT_CASES}
    point_wall = time.perf_counter() - point_start
    total += point_wall

    plots = {name: plot(result, name) for name, result in results.items()}
    plots[suite.WRONG_CASE.name] = plot(check, f"{suite.WRONG_CASE.name} (fails, as it should)")
    write_doc(
        results=results,
        walls=walls,
        verdict=verdict,
        plots=plots,
        n=n,
        fit=fit,
        quick=args.quick,
        wrong={
            "table": check_table,
            "wall": check_wall,
            "power": power_value,
            "usable": usable,
            "big_n": args.power_n,
            "big_wall": big_wall,
            "subsamples": args.subsamples,
        },
        alarm={
            "rate": alarm,
            "single": single,
            "suites": args.false_alarm_suites,
            "wall": alarm_wall,
        },
        total=total,
        points=(suite.point_verdict(points), point_wall),
    )
    print(f"wrote {DOC} in {total:.0f} s; suite passed: {bool(verdict['passed_suite'].all())}")


def _md(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = [
        "| " + " | ".join(str(value).replace("|", "\\|") for value in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([header, rule, *rows])


def _p(value: float) -> str:
    return "–" if not np.isfinite(value) else (f"{value:.3g}" if value >= 1e-4 else f"{value:.1e}")


def write_doc(
    *, results, walls, verdict, plots, n, fit, quick, wrong, alarm, total, points
) -> None:
    machine = machine_info()
    load = ", ".join(f"{v:.1f}" for v in machine["load_average"] or [])
    rows = []
    for name, result in results.items():
        entries = verdict[verdict["case"] == name]
        seconds = result.ranks["seconds"].astype(float)
        rows.append(
            {
                "case": name,
                "method": result.settings["method"],
                "entries": len(entries),
                "simulations": len(result.ranks),
                "failed": result.n_failed,
                "warned": result.n_warned,
                "smallest p": _p(entries["p_value"].min()),
                "its Holm p (suite)": _p(entries["p_suite"].min()),
                "passed": "yes" if entries["passed_suite"].all() else "**no**",
                "s / simulation": f"{seconds.mean():.2f}",
                "median fit (s)": f"{seconds.median():.2f}",
                "first fit (s)": f"{seconds.iloc[0]:.1f}",
            }
        )
    summary = pd.DataFrame(rows)
    entries = verdict[["case", "parameter", "n", "p_value", "p_suite", "mean_z", "contraction"]]
    entries = entries.assign(
        p_value=entries["p_value"].map(_p),
        p_suite=entries["p_suite"].map(_p),
        mean_z=entries["mean_z"].map(lambda v: f"{v:.2f}"),
        contraction=entries["contraction"].map(lambda v: f"{v:.2f}"),
    )
    wrong_table = wrong["table"][["parameter", "p_value", "p_suite", "passed_suite", "mean_z"]]
    wrong_table = wrong_table.assign(
        p_value=wrong_table["p_value"].map(_p),
        p_suite=wrong_table["p_suite"].map(_p),
        mean_z=wrong_table["mean_z"].map(lambda v: f"{v:.2f}"),
    )
    low = verdict["p_value"] < 0.01
    entries_low = entries.loc[low.to_numpy(), ["case", "parameter", "p_value", "p_suite", "mean_z"]]
    passed = bool(verdict["passed_suite"].all())
    settings = (
        "the quick suite's cases and settings"
        if quick
        else "every case of the full suite"
        + (" with the quick suite's fits" if fit == suite.QUICK_FIT else "")
    )
    images = "\n\n".join(f"### {name}\n\n![{name}]({path})" for name, path in plots.items())
    text = f"""# Calibration of bayesml's samplers

Generated by `python bench/calibration.py {" ".join(sys.argv[1:])}` (`make calibration`
runs the full suite's settings) on {dt.date.today().isoformat()}
with {settings}: {n} simulations per case, {fit["chains"]} chains × {fit["draws"]} draws after
{fit["tune"]} warm-up draws per fit, thinned to the smallest bulk ESS (`thin="auto"`). Machine:
{machine["cpu_count"]} CPUs ({machine["cpu_model"]}) shared with other jobs, load average {load}
at the end; the fits took {total / 60:.0f} min in all. The same cases and criterion run in the test
suite: `tests/calibration/` (a quick version in `make test`, all cases in `make test-slow`).

{n} simulations per case is modest: the test has little power against small miscalibration
(see the wrong sampler's power below for one that is not small). `--n 200` gives more.

**Suite verdict: {"passed" if passed else "FAILED"}** ({len(verdict)} entries in
{len(results)} cases).

## What is run

Each case is `bayesml.sbc` of a small hierarchical model, `y ~ x + (1 | g)` with 8 groups of 6 rows
(the correlated Gibbs cases `(1 + x | g)`), on one seeded design, with the family's default priors
except a half-normal(1) group-SD prior, gamma(2, 0.5) for the gamma(0.01, 0.01) default of a
shape or precision, and tighter coefficient and precision priors for the beta family (the
defaults put prior mass where simulated responses underflow to exactly 0 or 1, so every
simulation failed: `tests/calibration/cases.py` says which). Checked entries: every fixed effect,
SD, correlation, cutpoint and family parameter, and 5 random-effect levels drawn at random.
The point estimators (Laplace and h-likelihood: bias and Wald coverage at fixed true values,
`bayesml.coverage`) have their own section below.

## Pass criterion

Every entry gets a uniformity p-value of its randomised-PIT ranks (ArviZ's `pot_c`, as
`SBCResult.summary()`); the suite passes when Holm's step-down procedure across *all* entries of
*all* cases rejects none at family-wise level {suite.FAMILY_ALPHA}. Holm controls the family-wise
error whatever the dependence between entries, provided each p-value is valid, so a correct
sampler fails the suite with probability at most 0.1 %. Measured on {alarm["suites"]} suites of
exactly uniform PIT values of this size ({len(verdict)} entries × {n} simulations): false alarm
rate {alarm["rate"]:.4f} (each single p-value falls below the smallest Holm threshold
{suite.FAMILY_ALPHA / len(verdict):.1e} at rate {alarm["single"]:.1e}; {alarm["wall"]:.0f} s).
Failed fits are reported (column `failed`): their ranks are missing, so a case's check sees the
other simulations only, a selection that a high failure rate could bias. A separate slow test
requires at most 10 % failed fits per case (a robustness guard, not part of the 0.1 %); the
hurdle families are expected to miss it (`FAILING_STARTS` in `tests/calibration/test_calibration.py`:
their NUTS fits fail to start for some prior draws).

## Results

{_md(summary)}

Entries closest to failing (raw p-value below 0.01; they pass the suite's criterion, but are the
first to rerun with longer chains or more simulations):

{_md(entries_low) if len(entries_low) else "none"}

`s / simulation`: the mean time of a simulation's fit as recorded when it ran (each simulation's
`seconds`, saved with it: a resumed regeneration reports the original times; NUTS: one compilation
per model structure — centred or not, chosen from each simulated data set —, included; `first fit`
is the first simulation's). `warned`: fits whose sampler warned (divergences, R-hat, ESS), kept.

## A deliberately wrong sampler fails

{suite.WRONG_CASE.name}: simulations from the group-SD prior half-normal(1), fitted with
half-normal(0.5) (Gibbs, {suite.WRONG_SIMULATIONS} simulations of
{suite.QUICK_FIT["chains"]} × {suite.QUICK_FIT["draws"]} draws, fits {wrong["wall"]:.0f} s; the fast
test `test_a_wrong_sampler_fails`):

{_md(wrong_table)}

Power of this check at the suite's criterion: **{wrong["power"]:.3f}**, the share of
{wrong["subsamples"]} subsamples of {suite.WRONG_SIMULATIONS} simulations (without replacement)
from a wrong run of {wrong["usable"]} simulations (fits {wrong["big_wall"]:.0f} s) that fail.

{point_section(*points)}

## All entries

{_md(entries)}

## Rank ECDF plots

The rank ECDF minus the uniform CDF with the simultaneous 99 % band, one panel per entry.

{images}
"""
    DOC.write_text(text)


def point_section(verdict: pd.DataFrame, wall: float) -> str:
    """The point estimators' bias and Wald coverage table (``bayesml.coverage``)."""
    low, high = suite.POINT_COVERAGE_RANGE
    table = verdict.assign(
        passed=verdict["passed"].map({True: "yes", False: "**no**"}).fillna("not tested")
    )
    columns = ["case", "parameter", "true", "mean_estimate", "bias", "bias_mcse", "emp_sd",
               "mean_se", "coverage", "n_used", "n_failed", "n_singular", "band_low",
               "band_high", "passed"]  # fmt: skip
    table = table[columns].round(4)
    passed = bool(verdict.loc[verdict["tested"], "passed"].all())
    return f"""## Point estimators: bias and Wald coverage

`bayesml.coverage` of Laplace (ML, as lme4's `glmer`/`lmer`) and the h-likelihood fit on
`y ~ x + (1 | g)` with {suite.POINT_GROUPS} groups × {suite.POINT_PER_GROUP} rows, at fixed
true values ({", ".join(f"{k} = {v}" for k, v in suite.POINT_TRUTH.items())}, σ = 1 for the
gaussian), {suite.POINT_SIMULATIONS} simulations each ({wall:.0f} s in all). Criterion: each
fixed effect's number of covering 95 % intervals inside [`binom.ppf(a, n, {low})`,
`binom.isf(a, n, {high})`] with a = 0.001 / (2 × the number of fixed effects), so a correct
interval (true coverage anywhere in [{low}, {high}]) fails the check with probability below
0.1 %; the SDs are reported, not tested (Laplace gives no SE for them; small-sample Wald
intervals of SDs undercover). **Verdict: {"passed" if passed else "FAILED"}.**

{_md(table)}
"""


if __name__ == "__main__":
    main()
