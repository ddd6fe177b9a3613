"""A YAML spec file to a model: every prior of models/radon.yaml appears in ``describe()``, and
replacing the priors changes it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import bayesml

RADON_SPEC = Path(__file__).resolve().parents[2] / "models" / "radon.yaml"


@pytest.fixture(scope="module")
def radon():
    return bayesml.Model.from_spec(RADON_SPEC)


def prior_line(parameter: str, prior: str, source: str) -> re.Pattern:
    return re.compile(
        rf"^\s*{re.escape(parameter)}\s+{re.escape(prior)}\s+\({re.escape(source)}\)$", re.MULTILINE
    )


RADON_PRIORS = [
    ("beta[Intercept]", "normal(mu=0, sigma=10)", "priors.intercept"),
    ("beta[floor]", "normal(mu=0, sigma=10)", "priors.fixed"),
    ("sd_county[Intercept]", "half_normal(sigma=1)", "priors.sd"),
    ("sd_county[floor]", "half_normal(sigma=1)", "priors.sd"),
    ("cov_county", "lkj(eta=2)", "priors.cov"),
    ("sigma", "half_normal(sigma=1)", "priors.sigma"),
]


def test_radon_spec_describes_the_model(radon):
    text = radon.describe()
    assert "Formula: log_radon ~ floor + (1 + floor | county)" in text
    assert "Family:  gaussian (link: identity)" in text
    assert "Data:    919 observations" in text
    assert "Group county: 85 levels; terms Intercept, floor (correlated)" in text
    assert "NUTS:    random effects integrated out of the sampled graph" in text
    sampled = radon.replace(options={"random_effects": "sampled"}).describe()
    assert "integrated" not in sampled


@pytest.mark.parametrize(("parameter", "prior", "source"), RADON_PRIORS)
def test_radon_spec_describes_every_prior(radon, parameter, prior, source):
    assert prior_line(parameter, prior, source).search(radon.describe())


def test_exactly_the_spec_priors_are_listed(radon):
    lines = radon.describe().split("Priors:\n", 1)[1].splitlines()
    assert len(lines) == len(RADON_PRIORS)
    assert "(default)" not in radon.describe()


@pytest.mark.parametrize("replace", ["spec", "model"])
def test_replacing_the_priors_changes_the_description(radon, replace):
    priors = {"sd": {"dist": "exponential", "rate": 2}, "cov": {"dist": "lkj", "eta": 4}}
    if replace == "spec":
        model = bayesml.Model.from_spec(radon.spec.replace(priors=priors))
    else:
        model = radon.replace(priors=priors)
    text = model.describe()
    assert prior_line("sd_county[floor]", "exponential(rate=2)", "priors.sd").search(text)
    assert prior_line("cov_county", "lkj(eta=4)", "priors.cov").search(text)
    assert "half_normal(sigma=1)" not in text
    # the priors not given again fall back to the defaults
    assert re.search(r"^\s*sigma\s+half_t\(nu=3, sigma=[\d.]+\)\s+\(default\)$", text, re.MULTILINE)
    assert radon.describe() != text
    assert prior_line("cov_county", "lkj(eta=2)", "priors.cov").search(radon.describe())
