"""NUTS at its defaults on hard crossed and nested GLMMs (issue 15, item 3).

Targets: R-hat ≤ 1.01 and bulk ESS ≥ 400 for every hyperparameter and fixed effect, at most
0.1 % divergent draws, 4 chains × 1000 draws after 1000 of warm-up, the default parameterisation
("auto") and the default start (draws around the Laplace fit).
"""

from __future__ import annotations

import warnings

import arviz as az
import numpy as np
import pandas as pd
import pytest

import bayesml

pytestmark = pytest.mark.slow


def _with_obs(name: str) -> pd.DataFrame:
    data = bayesml.datasets.load(name).copy()
    data["obs"] = pd.Categorical(np.arange(len(data)).astype(str))
    return data


CASES = {
    "grouseticks": dict(
        formula="TICKS ~ YEAR + cHEIGHT + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION)",
        data=lambda: bayesml.datasets.load("grouseticks"),
        family="poisson",
    ),
    "salamander_mating": dict(
        formula="Mate ~ TypeF * TypeM + (1 | Female) + (1 | Male)",
        data=lambda: bayesml.datasets.load("salamander_mating"),
        family="bernoulli",
    ),
    "cbpp_obs": dict(
        formula="incidence / size ~ period + (1 | herd) + (1 | obs)",
        data=lambda: _with_obs("cbpp"),
        family="binomial",
    ),
    "epil_obs": dict(
        formula="y ~ lbase * trt + lage + V4 + (1 | subject) + (1 | obs)",
        data=lambda: _with_obs("epil"),
        family="poisson",
    ),
}

#: cases that do not reach the targets yet, with what they reach (2026-12-07, nutpie, load 4-8 on
#: 2 cores). Reached (seed 1): salamander_mating (Female centred, Male non-centred: their shares
#: with the other factor's effects integrated out are 0.52 and 0.49) R-hat 1.007, min bulk ESS
#: 731 (seeds 2, 3: 1.007 / 521, 1.003 / 499; both centred, before the crossed rule: 1.015 /
#: 315), no divergence; cbpp_obs (non-centred) R-hat 1.006, ESS 694, 0.025 % divergent; epil_obs
#: (subject hierarchically centred on the subject-level fixed effects, obs non-centred) R-hat
#: 1.003, ESS 1232, no divergence, 37 s (seed 2: 1.004, 1127)
KNOWN_SHORT = {
    "grouseticks": "R-hat 1.015-1.037, min bulk ESS 148-293 (sd_LOCATION) over seeds 1-3, no "
    "divergence, with BROOD hierarchically centred on LOCATION (it was R-hat 1.029, ESS 111, "
    "0.15 % divergent with all three non-centred, R-hat 1.6, ESS 6 from nutpie's start): "
    "sd_LOCATION's posterior reaches down to 0.02 (1 % quantile; median 0.55) and its log "
    "correlates -0.5 with sd_BROOD's, which a diagonal mass matrix does not follow. 2026-12-07 "
    "(load 3-9): 1.015 / 162 and 1.023 / 192 at seeds 1 and 2; prototypes of a joint (total "
    "variance, share) SD parameterisation, a signed LOCATION scale, polar SDs and per-brood "
    "centring reached ESS 153-346, none 400 (README)",
}


def diagnostics(result) -> tuple[float, float, float]:
    """Max R-hat and min bulk ESS over β and the SDs, and the share of divergent draws."""
    names = [
        name for name in result.posterior.data_vars if name == "beta" or name.startswith("sd_")
    ]
    summary = az.summary(result, var_names=names, kind="diagnostics")
    divergent = float(np.mean(result.sample_stats["diverging"].values))
    return float(summary["r_hat"].max()), float(summary["ess_bulk"].min()), divergent


@pytest.mark.parametrize("case", sorted(CASES))
def test_nuts_mixes_at_defaults(case):
    if case in KNOWN_SHORT:
        pytest.xfail(f"{case} short of the targets at defaults: {KNOWN_SHORT[case]}")
    spec = CASES[case]
    model = bayesml.Model(spec["formula"], spec["data"](), family=spec["family"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = model.sample(method="nuts", random_seed=1)
    r_hat, ess, divergent = diagnostics(result)
    assert r_hat <= 1.01, (case, r_hat)
    assert ess >= 400, (case, ess)
    assert divergent <= 0.001, (case, divergent)
