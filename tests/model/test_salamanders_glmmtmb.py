"""Salamanders with a constant zero probability, against glmmTMB's maximum-likelihood fits.

tests/references/glmmtmb_references.R fits ``count ~ spp + mined + (1 | site)`` with
``ziformula = ~ 1`` (glmmTMB 1.1.5: family poisson and nbinom2 — zero-inflated — and
truncated_poisson and truncated_nbinom2 — hurdle) and writes the JSON read here. bayesml samples
the same models under its default priors.

How close a posterior mean should be to an ML estimate: with 644 rows the likelihood dominates the
weakly informative default priors, and the posteriors of the coefficients and of zi/hu are close
to normal, so their means sit a small fraction of a posterior SD from the MLE (≤ 0.06 SD for the
zero-inflated Poisson in a run of 4 × 1000 draws, ≤ 0.2 SD for the hurdle models). The tests allow
0.25 SD (0.3 for the hurdle models): that gap plus the Monte Carlo error of the shorter runs here
(an ESS of 200 puts the mean within 0.07 SD). The SDs are skewed: the posterior mean of sd_site
(23 sites) lies above the ML estimate, which is biased low (0.64 posterior SD above it in that
run), so for sd_site — and for the NB shape alpha — the test asks that the ML estimate lie in the
94 % HDI. The posterior SDs of the coefficients must be within 25 % of glmmTMB's standard errors.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import bayesml
from bayesml.errors import SamplingWarning

REFERENCES = json.loads(
    (Path(__file__).resolve().parents[1] / "references" / "glmmtmb_references.json").read_text()
)
FORMULA = "count ~ spp + mined + (1 | site)"


def bayesml_label(r_name: str) -> str:
    """glmmTMB's coefficient name -> bayesml's: ``sppPR`` -> ``spp[PR]``, ``minedno`` ->
    ``mined[no]``."""
    if r_name == "(Intercept)":
        return "Intercept"
    for factor in ("spp", "mined"):
        if r_name.startswith(factor):
            return f"{factor}[{r_name[len(factor) :]}]"
    raise AssertionError(r_name)


def fit(family: str, *, draws: int):
    model = bayesml.Model(FORMULA, "salamanders", family=family)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)  # checked below through the ESS
        result = model.sample(draws=draws, tune=draws, chains=4, random_seed=20261207)
    return bayesml.summary(result)


def check_against_glmmtmb(table, reference: dict, zero: str, tolerance: float) -> None:
    estimates = reference["conditional"]["estimate"]
    errors = reference["conditional"]["se"]
    for r_name, estimate in estimates.items():
        row = table.loc[f"beta[{bayesml_label(r_name)}]"]
        assert row["ess_bulk"] > 150, r_name
        assert abs(row["mean"] - estimate) < tolerance * row["sd"], (r_name, row["mean"], estimate)
        assert 0.8 < row["sd"] / errors[r_name] < 1.25, (r_name, row["sd"], errors[r_name])
    sd_site = table.loc["sd_site[Intercept]"]
    assert sd_site["ci_lower"] < reference["sd_site"] < sd_site["ci_upper"]
    if "alpha" in reference:
        alpha = table.loc["alpha"]
        assert alpha["ci_lower"] < reference["alpha"] < alpha["ci_upper"]
    if reference["zi"] > 1e-3:  # glmmTMB's zi of the NB model is at the boundary 0
        row = table.loc[zero]
        assert abs(row["mean"] - reference["zi"]) < tolerance * row["sd"], (row["mean"], reference)


def test_zero_inflated_poisson_is_near_glmmtmb():
    table = fit("zero_inflated_poisson", draws=500)
    check_against_glmmtmb(table, REFERENCES["zipoisson_constant"], "zi", 0.25)
    assert table.loc["zi", "mean"] == pytest.approx(0.29, abs=0.02)


@pytest.mark.slow
def test_zero_inflated_negative_binomial_is_near_glmmtmb():
    """glmmTMB puts zi at 0 (7e-8): with NB counts the zeros need no inflation. The posterior
    under the uniform prior piles up near 0 instead."""
    table = fit("zero_inflated_negative_binomial", draws=1000)
    reference = REFERENCES["zinbinom2_constant"]
    assert reference["zi"] < 1e-6
    check_against_glmmtmb(table, reference, "zi", 0.25)
    zi = table.loc["zi"]
    assert zi["ci_lower"] < 1e-2 and zi["ci_upper"] < 0.2


@pytest.mark.slow
@pytest.mark.parametrize(
    ("family", "key"),
    [
        ("hurdle_poisson", "hurdle_poisson_constant"),
        ("hurdle_negative_binomial", "hurdle_nbinom2_constant"),
    ],
)
def test_hurdle_models_are_near_glmmtmb(family, key):
    """glmmTMB's truncated families with a ziformula are hurdle models: its zi is bayesml's hu,
    here the share of zero rows (the zero part has no covariates)."""
    table = fit(family, draws=1000)
    reference = REFERENCES[key]
    check_against_glmmtmb(table, reference, "hu", 0.3)
    share_of_zeros = float(np.mean(bayesml.datasets.load("salamanders")["count"] == 0))
    assert reference["zi"] == pytest.approx(share_of_zeros, abs=1e-4)
