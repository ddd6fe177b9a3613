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
from bayesml.errors import DataError, FamilyError, PriorError, SamplingWarning, SpecError
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


#: the zero part's formula in the tests of zi= / hu= formulas: logit zi = -0.5 + 1.0 w
ZERO_FORMULA_TRUTH = (-0.5, 1.0)


def zero_part(name: str) -> str:
    return "zi" if name.startswith("zero_inflated") else "hu"


def simulate_zero_formula(
    name: str, *, n: int, seed: int, groups: int = 0, sd_group: float = 0.4, sd_zero: float = 0.0
) -> pd.DataFrame:
    """Rows of ``name`` whose zero probability follows logit p = -0.5 + w (+ a random intercept
    of SD ``sd_zero`` per group), the count part η = β₀ + β₁x (+ one of SD ``sd_group``)."""
    link, params, (intercept, slope), trials = TRUTH[name]
    family = get_family(name, link)
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=n), rng.normal(size=n)
    g = np.arange(n) % max(groups, 1)
    eta = intercept + slope * x + (rng.normal(0.0, sd_group, groups)[g] if groups else 0.0)
    logit = ZERO_FORMULA_TRUTH[0] + ZERO_FORMULA_TRUTH[1] * w
    if groups and sd_zero:
        logit = logit + rng.normal(0.0, sd_zero, groups)[g]
    per_row = {**params, zero_part(name): 1.0 / (1.0 + np.exp(-logit))}
    n_trials = None if trials is None else np.full(n, trials)
    y = family.draw(rng, family.link.inverse(eta), per_row, trials=n_trials)
    data = pd.DataFrame({"x": x, "w": w, "g": np.char.add("g", g.astype(str)), "y": y})
    if n_trials is not None:
        data["failures"] = n_trials - data["y"]
    return data


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


@pytest.mark.parametrize(
    ("family", "argument", "pattern"),
    [
        ("poisson", "zi",
         r"^formulas\.zi: family 'poisson' has no parameter 'zi' to model with a formula; the "
         r"parameters it can model: none \('zi' is a parameter of zero_inflated_poisson, "
         r"zero_inflated_negative_binomial, zero_inflated_binomial\)$"),
        ("zero_inflated_poisson", "hu",
         r"^formulas\.hu: family 'zero_inflated_poisson' has no parameter 'hu' to model with a "
         r"formula; the parameters it can model: zi \('hu' is a parameter of hurdle_poisson, "
         r"hurdle_negative_binomial, hurdle_gamma, hurdle_lognormal\)$"),
        ("hurdle_negative_binomial", "zi",
         r"^formulas\.zi: family 'hurdle_negative_binomial' has no parameter 'zi' .*; the "
         r"parameters it can model: alpha, hu \('zi' is a parameter of zero_inflated_poisson, "),
    ],
)  # fmt: skip
def test_a_zero_formula_on_a_family_without_that_part_names_the_families_with_one(
    family, argument, pattern
):
    data = simulate("zero_inflated_poisson", n=50, seed=2)
    with pytest.raises(SpecError, match=pattern):
        bayesml.Model("y ~ x", data, family=family, **{argument: "~ x"})


@pytest.mark.parametrize(
    ("arguments", "pattern"),
    [
        ({"zi": "~ x + w2"},
         r"^formulas\.zi: data has no column 'w2' \(for 'w2' did you mean 'w'\?\); available "
         r"columns: 'x', 'w', 'g', 'y'\n    ~ x \+ w2\n          \^\^$"),
        ({"zi": "~ x + (1 | site)"},
         r"^formulas\.zi: data has no column 'site'; available columns: 'x', 'w', 'g', 'y'\n"
         r"    ~ x \+ \(1 \| site\)\n               \^\^\^\^$"),
        ({"dispersion_formula": "~ log(ww)"},
         r"^formulas\.dispersion: data has no column 'ww' \(for 'ww' did you mean 'w'\?\); "
         r"available columns: .*\n    ~ log\(ww\)\n          \^\^$"),
    ],
)  # fmt: skip
def test_a_zero_formula_naming_a_missing_column_points_at_it(arguments, pattern):
    data = simulate_zero_formula("zero_inflated_negative_binomial", n=50, seed=2, groups=5)
    with pytest.raises(DataError, match=pattern):
        bayesml.Model("y ~ x + (1 | g)", data, family="zero_inflated_negative_binomial",
                      **arguments)  # fmt: skip


def test_a_prior_of_a_zero_formula_names_what_that_formula_has():
    data = simulate_zero_formula("zero_inflated_poisson", n=50, seed=2, groups=5)
    half_normal = {"dist": "half_normal", "sigma": 1}
    with pytest.raises(
        PriorError,
        match=r"^priors\.zi\.sd_g: the zi formula has no grouping factor 'g'; it has no random "
        r"effects",
    ):
        bayesml.Model("y ~ x + (1 | g)", data, family="zero_inflated_poisson", zi="~ w",
                      priors={"zi": {"sd_g": half_normal}})  # fmt: skip
    with pytest.raises(PriorError, match=r"^priors\.zi\.beta\[x\]: the zi formula has no "
                       r"coefficient 'x'; its coefficients: Intercept, w"):  # fmt: skip
        bayesml.Model("y ~ x", data, family="zero_inflated_poisson", zi="~ w",
                      priors={"zi": {"beta[x]": {"dist": "normal", "sigma": 1}}})  # fmt: skip
    model = bayesml.Model("y ~ x + (1 | g)", data, family="zero_inflated_poisson",
                          zi="~ w + (1 | g)", priors={"zi": {"sd_zi_g": half_normal}})  # fmt: skip
    assert model.priors.predictors["zi"].sources["sd_zi_g[Intercept]"] == "priors.zi.sd_zi_g"


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


# -- a zero part with its own formula, end to end ------------------------------------------------
_FORMULA_FITS: dict[str, tuple[bayesml.Model, object]] = {}


def formula_fit(name: str = "zero_inflated_poisson"):
    """(model, result) of ``name`` with ``zi``/``hu`` = ~ w + (1 | g) on 400 simulated rows."""
    if name not in _FORMULA_FITS:
        data = simulate_zero_formula(name, n=400, seed=20261209, groups=20, sd_zero=0.6)
        model = bayesml.Model(formula(name, random=True), data, family=name, link=TRUTH[name][0],
                              **{zero_part(name): "~ w + (1 | g)"})  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SamplingWarning)
            result = model.sample(
                draws=300, tune=300, chains=2, random_seed=6, posterior_predictive=True
            )
        _FORMULA_FITS[name] = (model, result)
    return _FORMULA_FITS[name]


def test_a_zi_formula_with_a_random_term_end_to_end():
    """Names and dims, recovery, the stored log-likelihood (by hand: zi per row from beta_zi and
    u_zi_g), LOO, predictions for new rows with a new group, and describe()."""
    model, result = formula_fit()
    posterior = result["posterior"]
    assert "zi" not in posterior
    assert posterior["beta_zi"].dims == ("chain", "draw", "coef_zi")
    assert list(posterior["beta_zi"].coords["coef_zi"].values) == ["Intercept", "w"]
    assert {"sd_zi_g", "u_zi_g", "sd_g", "u_g"} <= set(posterior.data_vars)
    for label, truth in zip(("Intercept", "w"), ZERO_FORMULA_TRUTH, strict=True):
        draws = posterior["beta_zi"].sel(coef_zi=label)
        assert abs(float(draws.mean()) - truth) < 3.5 * float(draws.std()), label
    text = model.describe()
    assert "Formula (zi, logit link): ~ w + (1 | g)" in text and "sd_zi_g[Intercept]" in text

    design, zi_design = model.design, model.design.predictors["zi"]
    eta = bayesml.results.linear_predictor_draws(
        posterior, design.fixed.matrix, [(b.name, b.term_matrix, b.group_index) for b in design.random]
    )
    eta_zi = bayesml.results.linear_predictor_draws(
        posterior,
        zi_design.fixed.matrix,
        [(b.name, b.term_matrix, b.group_index) for b in zi_design.random],
        coefficient_name="beta_zi",
    )
    zi, mu, y = 1.0 / (1.0 + np.exp(-eta_zi)), np.exp(eta), design.response.y
    expected = np.where(
        y == 0, np.log(zi + (1 - zi) * np.exp(-mu)), np.log1p(-zi) + stats.poisson.logpmf(y, mu)
    )
    np.testing.assert_allclose(result["log_likelihood"]["y"].values, expected, rtol=2e-6, atol=2e-6)
    import arviz_stats

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Pareto k of short chains
        assert np.isfinite(arviz_stats.loo(result).elpd)

    new = pd.DataFrame({"x": [0.0, 1.0], "w": [-1.0, 2.0], "g": ["g0", "a new group"]})
    mean = model.predict(result, new, kind="mean", random_seed=1)
    assert mean.shape == (2, 300, 2) and np.isfinite(mean.values).all()
    drawn = model.predict(result, new, kind="response", random_seed=1).values
    assert (drawn >= 0).all() and (drawn == np.floor(drawn)).all()
    # population level: E y = (1 - zi) μ with the effects of both formulas at 0
    population = model.predict(result, new.drop(columns="g"), include_random_effects=False)
    beta, beta_zi = posterior["beta"].values, posterior["beta_zi"].values
    mu_new = np.exp(beta[..., :1] + beta[..., 1:2] * new["x"].values)
    zi_new = 1.0 / (1.0 + np.exp(-(beta_zi[..., :1] + beta_zi[..., 1:2] * new["w"].values)))
    np.testing.assert_allclose(population.values, (1 - zi_new) * mu_new, rtol=1e-10)


def test_checks_and_comparisons_of_zero_models():
    """The rootogram of a hurdle model (whose replicated counts are floats) shows the zeros;
    bayesml.compare refuses fits of different families and names arviz_stats.compare, which
    ranks them by LOO."""
    import arviz_stats
    import matplotlib.pyplot as plt

    from bayesml import plots

    _, hurdle = short_fit("hurdle_poisson")
    _, zero_inflated = short_fit("zero_inflated_poisson")
    assert plots.response_kind(hurdle) == "count"
    figure = plots.figure_of(plots.ppc(hurdle))
    assert figure.axes
    plt.close(figure)
    with pytest.raises(
        bayesml.ArgumentError,
        match=r"their families differ \(hurdle: hurdle_poisson\(log\), zip: "
        r"zero_inflated_poisson\(log\)\); compare puts fits of one model side by side; to "
        r"compare models by LOO, use arviz_stats\.compare",
    ):
        bayesml.compare(hurdle, zero_inflated, names=["hurdle", "zip"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ranks = arviz_stats.compare({"hurdle": hurdle, "zip": zero_inflated})
    assert set(ranks.index) == {"hurdle", "zip"}


# -- coverage over repeated simulations (slow) ----------------------------------------------------
SIMULATIONS = 20


def _covered(truth: dict) -> float:
    """The share of ``truth``'s (draws, value) pairs whose 90 % central interval holds the value."""
    hits = []
    for draws, value in truth.values():
        lower, upper = np.quantile(draws.values.ravel(), [0.05, 0.95])
        hits.append(lower <= value <= upper)
    return float(np.mean(hits))


def _check_coverage(name: str, shares: list[float]) -> None:
    """Replicates are the independent units — the intervals of one replicate share its data
    (and its draws of the random effects), so they miss together — so the mean share covered over
    the replicates is tested against 0.9 with the spread between replicates (one-sample t-test,
    level 0.001), and must exceed 0.75. (A binomial test over all intervals, which takes them as
    independent, rejected hurdle_gamma at p = 0.0003 on replicates whose intervals covered
    90 % on the next 20: the same replicates give p = 0.003 here.)"""
    shares = np.asarray(shares)
    mean = float(shares.mean())
    if shares.std() == 0.0:
        assert mean >= 0.9, (name, mean)
        return
    p_value = stats.ttest_1samp(shares, 0.9).pvalue
    assert p_value > 0.001, (name, mean, p_value)
    assert mean > 0.75, (name, mean)


def _coverage_shares(name: str) -> list[float]:
    """Per replicate, the share of the 90 % central intervals of every parameter (β, sd_g, the
    family's) that cover the truth, over SIMULATIONS simulated data sets with a random
    intercept."""
    shares = []
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
        shares.append(_covered(truth))
    return shares


@pytest.mark.slow
@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_ninety_percent_intervals_cover_the_truth_at_the_expected_rate(name):
    """Each replicate draws new random effects, so sd_g's truth is the SD they were drawn
    with; 20 replicates × 4–5 parameters, tested as :func:`_check_coverage` says.

    hurdle_gamma covers least: 0.78 on these replicates, 0.90 on the next 20 (0.84 over 40).
    Its shape α is estimated high with about 140 positive rows and 11 mean parameters (posterior
    means 3.25 on average against 3; the ML fits of the same data do the same), which makes every
    interval a little too narrow."""
    _check_coverage(name, _coverage_shares(name))


def _formula_coverage_shares(name: str) -> list[float]:
    """As :func:`_coverage_shares`, for ``name`` with zi/hu = ~ w (and a random intercept in the
    count part): β, sd_g, the other family parameters and the two coefficients of the zero part."""
    zero = zero_part(name)
    shares = []
    for replicate in range(SIMULATIONS):
        data = simulate_zero_formula(name, n=200, seed=2000 + replicate, groups=10, sd_group=0.4)
        model = bayesml.Model(formula(name, random=True), data, family=name, link=TRUTH[name][0],
                              **{zero: "~ w"})  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SamplingWarning)
            result = model.sample(draws=500, tune=500, chains=2, random_seed=replicate)
        posterior = result["posterior"]
        _, params, (intercept, slope), _ = TRUTH[name]
        coefficients = posterior[f"beta_{zero}"]
        truth = {
            "Intercept": (posterior["beta"].sel(coef="Intercept"), intercept),
            "x": (posterior["beta"].sel(coef="x"), slope),
            "sd_g": (posterior["sd_g"], 0.4),
            "zero Intercept": (coefficients.sel({f"coef_{zero}": "Intercept"}), ZERO_FORMULA_TRUTH[0]),
            "zero w": (coefficients.sel({f"coef_{zero}": "w"}), ZERO_FORMULA_TRUTH[1]),
            **{key: (posterior[key], value) for key, value in params.items() if key != zero},
        }
        shares.append(_covered(truth))
    return shares


@pytest.mark.slow
@pytest.mark.parametrize("name", ["zero_inflated_poisson", "zero_inflated_negative_binomial", "hurdle_gamma"])
def test_ninety_percent_intervals_cover_the_truth_with_a_zero_formula(name):
    """The coverage test of a zero part with its own formula (logit p = -0.5 + w): 20 replicates
    × 5–6 parameters, tested as :func:`_check_coverage` says."""
    _check_coverage(name, _formula_coverage_shares(name))
