"""The known-result checks of ``bayesml.coverage`` at 1000 simulations (README "Point estimators:
bias and Wald coverage"; the fast versions are tests/workflows/test_sbc_point.py).

1. A balanced one-way Gaussian model (30 groups of 5, intercept 2, SD 0.5, σ 1) fitted by ML and
   REML (``laplace``, lmer's two criteria) and by ``hlik``: the fixed effect's Wald coverage is
   near 0.95; ML's SD is biased low (E σ̂_b² ≈ σ_b² − (σ_b² + σ²/n)/a untruncated), REML less.
2. A Poisson GLMM (40 groups of 6, intercept 0.5, slope 0.3, SD 0.4) by ``laplace`` and ``hlik``:
   the fixed effects' Wald coverage near 0.95.

Usage::

    python bench/point_coverage.py            # about 4 minutes on 2 cores
    python bench/point_coverage.py --n 200    # fewer simulations
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

import bayesml

COLUMNS = [
    "true",
    "mean_estimate",
    "bias",
    "bias_mcse",
    "emp_sd",
    "mean_se",
    "coverage",
    "coverage_mcse",
    "n_used",
    "n_singular",
]


def one_way() -> bayesml.Model:
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(30), 5)
    data = pd.DataFrame({"y": rng.normal(size=150), "g": [f"g{i:02d}" for i in groups]})
    return bayesml.Model("y ~ 1 + (1 | g)", data)


def poisson() -> bayesml.Model:
    rng = np.random.default_rng(1)
    groups = np.repeat(np.arange(40), 6)
    data = pd.DataFrame(
        {
            "y": rng.poisson(2, size=240),
            "x": rng.normal(size=240),
            "g": [f"g{i:02d}" for i in groups],
        }
    )
    return bayesml.Model("y ~ x + (1 | g)", data, family="poisson")


CASES = [
    (
        "one-way Gaussian, ML (laplace)",
        one_way,
        {"beta[Intercept]": 2.0, "sd_g[Intercept]": 0.5, "sigma": 1.0},
        "laplace",
        {},
        11,
    ),
    (
        "one-way Gaussian, REML (laplace, reml=True)",
        one_way,
        {"beta[Intercept]": 2.0, "sd_g[Intercept]": 0.5, "sigma": 1.0},
        "laplace",
        {"reml": True},
        11,
    ),
    (
        "one-way Gaussian, hlik",
        one_way,
        {"beta[Intercept]": 2.0, "sd_g[Intercept]": 0.5, "sigma": 1.0},
        "hlik",
        {},
        11,
    ),
    (
        "Poisson GLMM, laplace",
        poisson,
        {"beta[Intercept]": 0.5, "beta[x]": 0.3, "sd_g[Intercept]": 0.4},
        "laplace",
        {},
        12,
    ),
    (
        "Poisson GLMM, hlik",
        poisson,
        {"beta[Intercept]": 0.5, "beta[x]": 0.3, "sd_g[Intercept]": 0.4},
        "hlik",
        {},
        12,
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="simulations per case")
    arguments = parser.parse_args()
    warnings.simplefilter("ignore")
    pd.set_option("display.width", 200)
    for title, build, truth, method, options, seed in CASES:
        start = time.perf_counter()
        run = bayesml.coverage(
            build(),
            true_values=truth,
            method=method,
            n_simulations=arguments.n,
            random_seed=seed,
            progressbar=False,
            **options,
        )
        seconds = time.perf_counter() - start
        print(f"\n{title}: {arguments.n} simulations, {seconds:.1f} s, seed {seed}")
        print(run.summary()[COLUMNS].round(4).to_string())
        if "sd_g[Intercept]" in run.parameters:
            variance = run.statistic("estimate")["sd_g[Intercept]"] ** 2
            print(f"mean sd_g^2 {variance.mean():.4f} (true {truth['sd_g[Intercept]'] ** 2})")


if __name__ == "__main__":
    main()
