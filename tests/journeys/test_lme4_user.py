"""An lme4 user's first hour: sleepstudy and cbpp as in lme4's documentation, compared with
lme4's own fits (tests/references/lme4_references.R writes the JSON these tests read).

The posterior means under bayesml's default (weakly informative) priors sit near the (RE)ML
estimates: the fixed effects within half a posterior SD, the SDs within their posterior spread.
The h-likelihood fit of a Gaussian model is REML, so its fixed effects match lmer's closely.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import bayesml

REFERENCES = json.loads(
    (Path(__file__).resolve().parents[1] / "references" / "lme4_references.json").read_text()
)
QUICK = {"draws": 400, "tune": 400, "chains": 2, "random_seed": 20261207}


def _sample(model: bayesml.Model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bayesml.SamplingWarning)  # short chains
        return model.sample(**QUICK)


def _close_in_posterior_sd(posterior, name, label, reference, tolerance):
    draws = posterior[name].sel(coef=label) if label is not None else posterior[name]
    gap = abs(float(draws.mean()) - reference) / float(draws.std())
    assert gap < tolerance, f"{name}[{label}]: posterior mean {float(draws.mean()):.4g} vs {reference:.4g}"


@pytest.fixture(scope="module")
def sleepstudy():
    model = bayesml.Model("Reaction ~ Days + (Days | Subject)", "sleepstudy")
    return model, _sample(model)


@pytest.fixture(scope="module")
def cbpp():
    model = bayesml.Model(
        "cbind(incidence, size - incidence) ~ period + (1 | herd)", "cbpp", family="binomial"
    )
    return model, _sample(model)


def test_sleepstudy_posterior_sits_at_lmer(sleepstudy):
    model, result = sleepstudy
    reference = REFERENCES["sleepstudy"]
    posterior = result["posterior"]
    for label, lme4_label in (("Intercept", "(Intercept)"), ("Days", "Days")):
        _close_in_posterior_sd(posterior, "beta", label, reference["estimate"][lme4_label], 0.5)
    sd = posterior["sd_Subject"]
    for term, key in (("Intercept", "sd_intercept"), ("Days", "sd_days")):
        draws = sd.sel(Subject__term=term)
        low, high = np.quantile(draws, [0.03, 0.97])
        assert low < reference[key] < high, term
    _close_in_posterior_sd(posterior, "sigma", None, reference["sigma"], 1.0)
    summary = bayesml.summary(result)
    assert "beta[Days]" in summary.index


def test_sleepstudy_hlik_fixed_effects_are_lmer_reml(sleepstudy):
    model, _ = sleepstudy
    reference = REFERENCES["sleepstudy"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fit says it fits independent blocks
        fit = model.fit(method="hlik")
    # independent intercepts and slopes (the h-likelihood has no correlated slopes): lmer's
    # correlation is 0.07, so the estimates agree to a fraction of their SE
    for label, lme4_label in (("Intercept", "(Intercept)"), ("Days", "Days")):
        estimate = float(fit.fixef.loc[label, "estimate"])
        assert abs(estimate - reference["estimate"][lme4_label]) < 0.05 * reference["se"][lme4_label]


def test_cbpp_posterior_sits_at_glmer(cbpp):
    model, result = cbpp
    reference = REFERENCES["cbpp"]
    posterior = result["posterior"]
    labels = {"Intercept": "(Intercept)", "period[2]": "period2", "period[3]": "period3",
              "period[4]": "period4"}  # fmt: skip
    assert list(model.design.fixed.column_names) == list(labels)
    for label, lme4_label in labels.items():
        _close_in_posterior_sd(posterior, "beta", label, reference["estimate"][lme4_label], 0.5)
        posterior_sd = float(posterior["beta"].sel(coef=label).std())
        assert posterior_sd == pytest.approx(reference["se"][lme4_label], rel=0.35)
    low, high = np.quantile(posterior["sd_herd"], [0.03, 0.97])
    assert low < reference["sd_herd"] < high
