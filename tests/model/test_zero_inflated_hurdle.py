"""Zero-inflated and hurdle families end to end: priors and describe(), bad input, the backends
that refuse them, recovery of simulated parameters (one short fit per family) and, in the slow
suite, the coverage of 90 % intervals over repeated simulations."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import bayesml
from bayesml.errors import DataError, FamilyError, PriorError, SamplingWarning
from bayesml.families import get_family

# family -> (link, true parameters beyond β, β: Intercept and x, trials per row)
TRUTH = {
    "zero_inflated_poisson": ("log", {"zi": 0.3}, (0.8, 0.5), None),
    "zero_inflated_negative_binomial": ("log", {"alpha": 3.0, "zi": 0.3}, (0.8, 0.5), None),
    "zero_inflated_binomial": ("logit", {"zi": 0.3}, (-0.2, 0.7), 8),
    "hurdle_poisson": ("log", {"hu": 0.3}, (0.8, 0.5), None),
    "hurdle_negative_binomial": ("log", {"alpha": 3.0, "hu": 0.3}, (0.8, 0.5), None),
    "hurdle_gamma": ("log", {"alpha": 3.0, "hu": 0.3}, (0.8, 0.5), None),
    "hurdle_lognormal": ("identity", {"sigma": 0.6, "hu": 0.3}, (0.5, 0.5), None),
}
FAMILY_NAMES = sorted(TRUTH)


def simulate(
    name: str, *, n: int, seed: int, groups: int = 0, sd_group: float = 0.4
) -> pd.DataFrame:
    """Rows of ``name`` with η = β₀ + β₁x (+ a random intercept of ``groups`` levels)."""
    link, params, (intercept, slope), trials = TRUTH[name]
    family = get_family(name, link)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    eta = intercept + slope * x
    data = {"x": x}
    if groups:
        g = np.arange(n) % groups
        eta = eta + rng.normal(0.0, sd_group, groups)[g]
        data["g"] = np.char.add("g", g.astype(str))
    n_trials = None if trials is None else np.full(n, trials)
    data["y"] = family.draw(rng, family.link.inverse(eta), params, trials=n_trials)
    if n_trials is not None:
        data["failures"] = n_trials - data["y"]
    return pd.DataFrame(data)


def formula(name: str, random: bool = False) -> str:
    response = "cbind(y, failures)" if TRUTH[name][3] is not None else "y"
    return f"{response} ~ x" + (" + (1 | g)" if random else "")


# -- priors, describe and bad input ---------------------------------------------------------------
def test_describe_prints_the_zero_probability_and_its_default_prior():
    model = bayesml.Model(formula("hurdle_gamma"), simulate("hurdle_gamma", n=50, seed=1),
                          family="hurdle_gamma")  # fmt: skip
    lines = model.describe().splitlines()
    assert any(line.split() == ["alpha", "gamma(alpha=0.01,", "beta=0.01)", "(default)"]
               for line in lines)  # fmt: skip
    assert any(line.split() == ["hu", "beta(alpha=1,", "beta=1)", "(default)"] for line in lines)
    assert str(model.priors.aux["hu"]) == "beta(alpha=1, beta=1)"


def test_a_zi_prior_is_used_and_reported():
    data = simulate("zero_inflated_poisson", n=50, seed=2)
    model = bayesml.Model("y ~ x", data, family="zero_inflated_poisson",
                          priors={"zi": {"dist": "Beta", "alpha": 2, "beta": 8}})  # fmt: skip
    assert str(model.priors.aux["zi"]) == "beta(alpha=2, beta=8)"
    assert model.priors.sources["zi"] == "priors.zi"
    assert re.search(r"^\s*zi\s+beta\(alpha=2, beta=8\)\s+\(priors\.zi\)$", model.describe(), re.M)
    prior = model.sample_prior(draws=4000, random_seed=3)
    zi = prior["prior"]["zi"].values.ravel()
    assert zi.mean() == pytest.approx(0.2, abs=0.01)


def test_a_zi_prior_on_a_poisson_model_is_refused():
    data = simulate("zero_inflated_poisson", n=50, seed=2)
    with pytest.raises(
        PriorError,
        match=r"^priors\.zi: the poisson family has no 'zi' parameter; its auxiliary parameters: "
        r"none \('zi' is a parameter of zero_inflated_poisson, zero_inflated_negative_binomial, "
        r"zero_inflated_binomial\), so this prior applies to nothing; remove the key",
    ):
        bayesml.Model("y ~ x", data, family="poisson",
                      priors={"zi": {"dist": "beta", "alpha": 1, "beta": 1}})  # fmt: skip


def test_a_hu_prior_must_be_a_beta_prior():
    data = simulate("hurdle_poisson", n=50, seed=2)
    with pytest.raises(
        PriorError,
        match=r"^priors\.hu\.dist: 'half_normal' is not a prior for the hurdle probability hu; "
        r"valid: beta$",
    ):
        bayesml.Model("y ~ x", data, family="hurdle_poisson",
                      priors={"hu": {"dist": "half_normal", "sigma": 1}})  # fmt: skip


@pytest.mark.parametrize(
    ("name", "values", "pattern"),
    [
        ("zero_inflated_poisson", [0, 2, -1, 3],
         r"^response 'y' must be non-negative integer counts for family 'zero_inflated_poisson'; "
         r"got -1 in 1 row \(row 2\)$"),
        ("hurdle_poisson", [0, 2.5, 1, 3],
         r"^response 'y' must be non-negative integer counts for family 'hurdle_poisson'; got 2\.5 "
         r"in 1 row \(row 1\)$"),
        ("zero_inflated_negative_binomial", [0, 0.5, 1, -3],
         r"^response 'y' must be non-negative integer counts for family "
         r"'zero_inflated_negative_binomial'; got 0\.5, -3 in 2 rows \(rows 1, 3\)$"),
        ("hurdle_gamma", [0.0, 1.5, -0.2, 3.0],
         r"^response 'y' must be non-negative \(y >= 0\) for family 'hurdle_gamma'; got -0\.2 in "
         r"1 row \(row 2\)$"),
    ],
)  # fmt: skip
def test_bad_responses_are_refused_with_the_rows(name, values, pattern):
    data = pd.DataFrame({"y": values, "x": [0.1, 0.2, 0.3, 0.4]})
    with pytest.raises(DataError, match=pattern):
        bayesml.Model("y ~ x", data, family=name)


def test_the_gamma_family_still_refuses_zeros_and_the_hurdle_gamma_takes_them():
    data = pd.DataFrame({"y": [0.0, 1.5, 0.7, 3.0], "x": [0.1, 0.2, 0.3, 0.4]})
    with pytest.raises(DataError, match=r"must be positive \(y > 0\) for family 'gamma'"):
        bayesml.Model("y ~ x", data, family="gamma")
    bayesml.Model("y ~ x", data, family="hurdle_gamma")


@pytest.mark.parametrize("method", ["gibbs"])
def test_gibbs_refuses_them_before_sampling(method):
    data = simulate("zero_inflated_poisson", n=40, seed=4, groups=4)
    model = bayesml.Model("y ~ x + (1 | g)", data, family="zero_inflated_poisson")
    with pytest.raises(FamilyError, match=r"method='nuts'"):
        model.sample(method=method, draws=5, tune=5, chains=1)


def test_hlik_refuses_them():
    data = simulate("hurdle_poisson", n=40, seed=4, groups=4)
    model = bayesml.Model("y ~ x + (1 | g)", data, family="hurdle_poisson")
    with pytest.raises(FamilyError, match=r"method='nuts'"):
        model.fit(method="hlik")


# -- recovery: one short fit per family -----------------------------------------------------------
def _interval_checks(result, name: str) -> dict[str, tuple[float, float, float]]:
    """parameter -> (truth, posterior mean, posterior sd)."""
    _, params, (intercept, slope), _ = TRUTH[name]
    posterior = result["posterior"]
    truth = {"beta[Intercept]": intercept, "beta[x]": slope, **params}
    draws = {
        "beta[Intercept]": posterior["beta"].sel(coef="Intercept"),
        "beta[x]": posterior["beta"].sel(coef="x"),
        **{key: posterior[key] for key in params},
    }
    return {key: (truth[key], float(draws[key].mean()), float(draws[key].std())) for key in truth}


_FITS: dict[str, tuple[bayesml.Model, object]] = {}


def short_fit(name: str):
    """(model, result) of one short seeded fit of 400 simulated rows, shared by the tests."""
    if name not in _FITS:
        data = simulate(name, n=400, seed=20261207)
        model = bayesml.Model(formula(name), data, family=name, link=TRUTH[name][0])
        with warnings.catch_warnings():
            # short chains: an R-hat of 1.02 is expected and irrelevant to these checks
            warnings.simplefilter("ignore", SamplingWarning)
            result = model.sample(
                draws=400, tune=400, chains=2, random_seed=5, posterior_predictive=True
            )
        _FITS[name] = (model, result)
    return _FITS[name]


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_recovers_the_simulated_parameters(name):
    model, result = short_fit(name)
    for key, (truth, mean, sd) in _interval_checks(result, name).items():
        assert abs(mean - truth) < 3.5 * sd, (key, truth, mean, sd)
    # the stored log-likelihood is the family's, the replicated data have the observed zeros
    loglik = result["log_likelihood"][model.design.observed_name].values.sum(axis=-1)
    assert np.isfinite(loglik).all()
    replicated = result["posterior_predictive"][model.design.observed_name].values
    assert (replicated >= 0).all()
    observed_zeros = float((model.design.response.y == 0).mean())
    assert float((replicated == 0).mean()) == pytest.approx(observed_zeros, abs=0.05)


def test_predicted_means_are_the_familys_mean():
    model, result = short_fit("zero_inflated_poisson")
    new = pd.DataFrame({"x": [-1.0, 0.0, 2.0]})
    mean = model.predict(result, new, kind="mean")
    posterior = result["posterior"]
    beta, zi = posterior["beta"], posterior["zi"]
    mu = np.exp(beta.sel(coef="Intercept").values[..., None] + beta.sel(coef="x").values[..., None]
                * new["x"].values)  # fmt: skip
    np.testing.assert_allclose(np.asarray(mean), (1 - zi.values[..., None]) * mu, rtol=1e-10)


# -- coverage over repeated simulations (slow) ----------------------------------------------------
SIMULATIONS = 20


def _coverage_counts(name: str) -> tuple[int, int]:
    """(intervals covering the truth, intervals) of the 90 % central intervals of every parameter
    (β, sd_g, the family's) over SIMULATIONS simulated data sets with a random intercept."""
    covered = total = 0
    for replicate in range(SIMULATIONS):
        data = simulate(name, n=200, seed=1000 + replicate, groups=10, sd_group=0.4)
        model = bayesml.Model(formula(name, random=True), data, family=name, link=TRUTH[name][0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SamplingWarning)
            result = model.sample(draws=500, tune=500, chains=2, random_seed=replicate)
        posterior = result["posterior"]
        _, params, (intercept, slope), _ = TRUTH[name]
        truth = {
            "Intercept": (posterior["beta"].sel(coef="Intercept"), intercept),
            "x": (posterior["beta"].sel(coef="x"), slope),
            "sd_g": (posterior["sd_g"], 0.4),
            **{key: (posterior[key], value) for key, value in params.items()},
        }
        for draws, value in truth.values():
            lower, upper = np.quantile(draws.values.ravel(), [0.05, 0.95])
            covered += int(lower <= value <= upper)
            total += 1
    return covered, total


@pytest.mark.slow
@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_ninety_percent_intervals_cover_the_truth_at_the_expected_rate(name):
    """Each replicate draws new random effects, so sd_g's truth is the SD they were drawn
    with; 20 replicates × 4–5 parameters: a two-sided binomial test of rate 0.9 at level 0.001
    (intervals of one replicate are not independent, which widens the spread a little)."""
    covered, total = _coverage_counts(name)
    p_value = stats.binomtest(covered, total, 0.9).pvalue
    assert p_value > 0.001, (name, covered, total)
    assert covered / total > 0.75, (name, covered, total)
