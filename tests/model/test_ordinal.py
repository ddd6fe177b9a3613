"""Ordinal models (cumulative, sratio, acat) end to end, as a brms/clmm user meets them.

* describe(), the absorbed intercept, levels= and the spec's ``levels:``;
* bad input, each a clear error naming the argument or column and what was expected;
* one short NUTS fit of the wine model (models/wine.yaml): the posterior's names and dims, the
  log_likelihood group against an independent computation, LOO, predict (category probabilities
  with a ``category`` dim, new judges, population level, response draws), posterior predictive
  draws, and a loose check against a long brms run (the tight ones are in the slow suite,
  tests/model/test_ordinal_references.py);
* in the slow suite, the coverage of 90 % intervals over repeated simulations.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import bayesml
from bayesml.errors import (
    ArgumentTypeError,
    DataError,
    FamilyError,
    FormulaError,
    PriorError,
    SamplingWarning,
    SpecError,
)
from bayesml.families import get_family

ROOT = Path(__file__).resolve().parents[2]
WINE_SPEC = ROOT / "models" / "wine.yaml"
BRMS = json.loads((ROOT / "tests" / "references" / "ordinal_brms.json").read_text())
FORMULA = "rating ~ temp + contact + (1 | judge)"
SCORES = {1: "awful", 2: "poor", 3: "fair", 4: "good", 5: "great"}


@pytest.fixture(scope="module")
def wine() -> pd.DataFrame:
    data = bayesml.datasets.load("wine")
    return data.assign(score=data["rating"].astype(int).map(SCORES))


# -- describe, intercept, levels ------------------------------------------------------------------
def test_describe_names_the_levels_thresholds_and_cutpoint_prior():
    text = bayesml.Model(FORMULA, "wine", family="cumulative").describe()
    assert "Family:  cumulative (link: logit)" in text
    assert "Levels:  1 < 2 < 3 < 4 < 5 (4 thresholds: 1|2, 2|3, 3|4, 4|5)" in text
    assert "Fixed effects (2): temp[warm], contact[yes]" in text
    assert "cutpoints             student_t(nu=3, mu=0, sigma=2.5) on each threshold" in text
    assert "Intercept" not in text.split("Group judge")[0]


@pytest.mark.parametrize(
    "formula",
    ["rating ~ temp + contact", "rating ~ 1 + temp + contact", "rating ~ temp + contact - 1",
     "rating ~ 0 + temp + contact"],
)  # fmt: skip
def test_an_intercept_is_absorbed_by_the_thresholds(formula):
    """As brms and clmm: the thresholds take the intercept's place, whether the formula asks for
    it, removes it, or says nothing; the coefficients are coded as with an intercept."""
    model = bayesml.Model(formula, "wine", family="sratio")
    assert model.design.fixed.column_names == ("temp[warm]", "contact[yes]")
    assert not model.design.fixed.has_intercept


def test_text_levels_from_levels_and_ordered_categoricals(wine):
    order = list(SCORES.values())
    by_levels = bayesml.Model("score ~ temp", wine, family="acat", levels=order)
    assert "Levels:  awful < poor < fair < good < great" in by_levels.describe()
    np.testing.assert_array_equal(
        by_levels.design.response.y, wine["rating"].astype(int).to_numpy()
    )
    ordered = wine.assign(score=pd.Categorical(wine["score"], categories=order, ordered=True))
    by_dtype = bayesml.Model("score ~ temp", ordered, family="acat")
    np.testing.assert_array_equal(by_dtype.design.response.y, by_levels.design.response.y)
    # whole numbers stored as floats (a column with missing values) read as R's levels
    two = bayesml.Model(
        "b ~ temp", wine.assign(b=wine["rating"].astype(int) > 3), family="cumulative"
    )
    assert "Levels:  False < True (1 threshold: False|True)" in two.describe()
    floats = bayesml.Model("r ~ temp", wine.assign(r=wine["rating"].astype(float)),
                           family="cumulative")  # fmt: skip
    assert "(4 thresholds: 1|2, 2|3, 3|4, 4|5)" in floats.describe()


def test_spec_levels_round_trip_and_fit_the_same_model():
    spec = bayesml.load_spec(WINE_SPEC)
    assert spec.family == "cumulative" and spec.levels == (1, 2, 3, 4, 5)
    assert bayesml.ModelSpec.from_yaml(spec.to_yaml(), base_dir=spec.base_dir) == spec
    text = bayesml.Model.from_spec(spec.replace(levels=["1", "2", "3", "4", "5"])).describe()
    assert "cutpoints             student_t(nu=3, mu=0, sigma=2.5) on each threshold   " \
           "(priors.cutpoints)" in text  # fmt: skip


# -- bad input ------------------------------------------------------------------------------------
def test_a_response_with_one_level_is_refused(wine):
    with pytest.raises(
        DataError,
        match=r"^response 'r' has a single level \('3'\) in the 72 rows used; an ordinal model "
        r"needs at least two$",
    ):
        bayesml.Model("r ~ temp", wine.assign(r=3), family="cumulative")
    # levels= that name more levels do not help: the data have one
    with pytest.raises(DataError, match=r"^response 'r' has a single level \('3'\)"):
        bayesml.Model("r ~ temp", wine.assign(r=3), family="cumulative", levels=[1, 2, 3])


def test_text_without_an_order_says_how_to_give_one(wine):
    pattern = (
        r"^response 'score' holds text \('awful', 'fair', 'good', 'great', 'poor'\) whose order "
        r"family 'cumulative' cannot know; give its 5 levels lowest first with levels=\[\.\.\.\] "
        r"\(R's factor\(y, levels = \.\.\.\)\), or make the column an ordered pandas Categorical: "
        r"pd\.Categorical\(values, categories=\[\.\.\.\], ordered=True\)$"
    )
    with pytest.raises(DataError, match=pattern):
        bayesml.Model("score ~ temp", wine, family="cumulative")
    unordered = wine.assign(score=wine["score"].astype("category"))
    with pytest.raises(DataError, match=r"^response 'score' holds an unordered categorical"):
        bayesml.Model("score ~ temp", unordered, family="cumulative")


def test_bad_levels(wine):
    with pytest.raises(
        DataError,
        match=r"^response 'score' has values not among levels=\['awful', 'poor', 'fair', 'good'\]: "
        r"'great' in rows 6, 7, 14, 20, 21 and 2 more; add them to levels \(lowest first\)$",
    ):
        bayesml.Model(
            "score ~ temp", wine, family="cumulative", levels=["awful", "poor", "fair", "good"]
        )
    with pytest.raises(
        SpecError,
        match=r"^levels: levels must be distinct; 'good' is given twice in levels=\['awful', "
        r"'poor', 'fair', 'good', 'good', 'great'\]$",
    ):
        bayesml.Model(
            "score ~ temp",
            wine,
            family="cumulative",
            levels=["awful", "poor", "fair", "good", "good", "great"],
        )
    with pytest.raises(
        ArgumentTypeError,
        match=r"^levels must be a list of the response's levels, lowest first \(e\.g\. "
        r"levels=\['low', 'mid', 'high'\]\); got levels='apfgg'$",
    ):
        bayesml.Model("score ~ temp", wine, family="cumulative", levels="apfgg")
    with pytest.raises(SpecError, match=r"^levels: only the families of a response with levels"):
        bayesml.Model("response ~ temp", wine, levels=[1, 2])


def test_numbers_that_are_not_whole_need_levels(wine):
    with pytest.raises(
        DataError,
        match=r"^response 'r' must hold integers or ordered levels for family 'cumulative'; got "
        r"2\.5, 3\.5, 4\.5, 5\.5, 1\.5 in rows 0, 1, 2, 3, 4 and 67 more \(give the levels in "
        r"order with levels=\[\.\.\.\] if these numbers are labels\)$",
    ):
        bayesml.Model("r ~ temp", wine.assign(r=wine["rating"].astype(float) + 0.5),
                      family="cumulative")  # fmt: skip


def test_cutpoints_prior_on_a_family_without_them():
    with pytest.raises(
        PriorError,
        match=r"^priors\.cutpoints: the gaussian family has no 'cutpoints' parameter; its "
        r"auxiliary parameters: sigma \('cutpoints' is a parameter of cumulative, sratio, acat\)",
    ):
        bayesml.Model(
            "response ~ temp", "wine", priors={"cutpoints": {"dist": "normal", "sigma": 1}}
        )
    with pytest.raises(  # checked before anything is fitted
        PriorError,
        match=r"^configuration 'cutpoints=n1': priors\.cutpoints: the gaussian family has no",
    ):
        bayesml.sensitivity(
            bayesml.Model("response ~ temp", "wine"),
            priors={"cutpoints": {"n1": {"dist": "normal", "mu": 0, "sigma": 1}}},
            max_workers=1,
        )


def test_priors_the_thresholds_replace():
    with pytest.raises(
        PriorError,
        match=r"^priors\.intercept: the cumulative family has no intercept: its thresholds take "
        r"the intercept's place \(their prior goes under priors\.cutpoints\)",
    ):
        bayesml.Model(FORMULA, "wine", family="cumulative",
                      priors={"intercept": {"dist": "normal", "sigma": 1}})  # fmt: skip
    with pytest.raises(
        PriorError,
        match=r"^priors\.cutpoints\.dist: 'half_normal' is not a prior for the thresholds "
        r"\(cutpoints\) of an ordinal model; valid: cauchy, normal, student_t",
    ):
        bayesml.Model(FORMULA, "wine", family="cumulative",
                      priors={"cutpoints": {"dist": "half_normal", "sigma": 1}})  # fmt: skip


def test_other_responses_and_methods_are_refused(wine):
    with pytest.raises(
        FormulaError,
        match=r"^family 'cumulative' needs one column of ordered outcomes as its response; got "
        r"cbind\(rating, rating\)",
    ):
        bayesml.Model("cbind(rating, rating) ~ temp", wine.assign(rating=wine["rating"].astype(int)),
                      family="cumulative")  # fmt: skip
    with pytest.raises(
        FamilyError,
        match=r"^method='hlik' \(h-likelihood, R's hglm\) does not support family 'cumulative' "
        r"with the logit link; .*use Model\.sample\(method='nuts'\) or Model\.fit\(method='laplace'\) "
        r"or Model\.fit\(method='agq'\)$",
    ):
        bayesml.Model(FORMULA, "wine", family="cumulative").fit()
    with pytest.raises(SpecError, match=r"^link: family 'sratio' does not support link 'log'"):
        bayesml.Model(FORMULA, "wine", family="sratio", link="log")


# -- one short fit of the wine model --------------------------------------------------------------
@pytest.fixture(scope="module")
def wine_model() -> bayesml.Model:
    return bayesml.Model.from_spec(WINE_SPEC)


@pytest.fixture(scope="module")
def wine_fit(wine_model):
    """2 chains × 400 draws of models/wine.yaml (the priors of tests/references/ordinal_brms.R)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)  # short chains; the ESS is checked below
        return wine_model.sample(
            draws=400, tune=400, chains=2, random_seed=20261207, posterior_predictive=True
        )


def test_posterior_names_and_dims(wine_fit):
    posterior = wine_fit["posterior"]
    assert list(posterior["beta"].coords["coef"].values) == ["temp[warm]", "contact[yes]"]
    cutpoints = posterior["cutpoints"]
    assert cutpoints.dims == ("chain", "draw", "rating__threshold")
    assert list(cutpoints.coords["rating__threshold"].values) == ["1|2", "2|3", "3|4", "4|5"]
    assert (np.diff(cutpoints.values, axis=-1) > 0).all()  # the cumulative family's order
    assert "Intercept" not in list(posterior["beta"].coords["coef"].values)
    table = bayesml.summary(wine_fit)
    assert list(table.index) == [
        "beta[temp[warm]]", "beta[contact[yes]]", "sd_judge[Intercept]",
        "cutpoints[1|2]", "cutpoints[2|3]", "cutpoints[3|4]", "cutpoints[4|5]",
    ]  # fmt: skip


def _eta(fit, data: pd.DataFrame, *, judges: bool = True) -> np.ndarray:
    """η = temp[warm] β₁ + contact[yes] β₂ (+ u_judge), computed from the draws by hand."""
    posterior = fit["posterior"]
    beta = posterior["beta"].transpose("chain", "draw", "coef").values
    warm = (data["temp"].astype(str) == "warm").to_numpy(float)
    contact = (data["contact"].astype(str) == "yes").to_numpy(float)
    eta = beta[..., :1] * warm + beta[..., 1:] * contact
    if judges:
        u = posterior["u_judge"].sel(judge__term="Intercept")
        index = [list(u.coords["judge__level"].values).index(str(j)) for j in data["judge"]]
        eta = eta + u.transpose("chain", "draw", "judge__level").values[..., index]
    return eta


def test_log_likelihood_is_a_difference_of_logistic_cdfs(wine_fit, wine_model):
    """The stored pointwise log-likelihood, against P(y = k) = F(θ_k − η) − F(θ_{k−1} − η) with
    scipy's logistic CDF (float32 storage: 1e-5 relative)."""
    data = wine_model.data
    eta = _eta(wine_fit, data)
    theta = wine_fit["posterior"]["cutpoints"].transpose("chain", "draw", ...).values
    infinite = np.full(theta.shape[:2] + (1,), np.inf)
    padded = np.concatenate([-infinite, theta, infinite], axis=-1)
    k = data["rating"].astype(int).to_numpy()
    upper = np.take_along_axis(padded, np.broadcast_to(k, eta.shape), axis=-1)
    lower = np.take_along_axis(padded, np.broadcast_to(k - 1, eta.shape), axis=-1)
    expected = np.log(stats.logistic.cdf(upper - eta) - stats.logistic.cdf(lower - eta))
    stored = wine_fit["log_likelihood"]["rating"].transpose("chain", "draw", "obs").values
    np.testing.assert_allclose(stored, expected, rtol=1e-5, atol=1e-6)


def test_loo(wine_fit):
    from arviz_stats import loo

    elpd = loo(wine_fit)
    assert -100 < elpd.elpd < -75  # brms' loo of the same model: elpd_loo ≈ -85


def test_predict_gives_category_probabilities_for_new_judges(wine_fit, wine_model):
    new = pd.DataFrame({"temp": ["cold", "warm"], "contact": ["no", "yes"], "judge": ["1", "10"]})
    mean = wine_model.predict(wine_fit, new, kind="mean", random_seed=1)
    assert mean.dims == ("chain", "draw", "obs", "category")
    assert list(mean.coords["category"].values) == ["1", "2", "3", "4", "5"]
    np.testing.assert_allclose(mean.sum("category").values, 1.0, rtol=1e-12)
    # judge 1 with its fitted effect: the cumulative-logit probabilities by hand
    theta = wine_fit["posterior"]["cutpoints"].transpose("chain", "draw", ...).values
    eta = _eta(wine_fit, new.iloc[:1])[..., 0]
    cumulative = stats.logistic.cdf(theta - eta[..., None])
    by_hand = np.diff(cumulative, prepend=0.0, append=1.0, axis=-1)
    np.testing.assert_allclose(mean.isel(obs=0).values, by_hand, rtol=1e-10, atol=1e-14)
    # warm, skin contact and a new judge: higher ratings, and more uncertain than judge 1's
    expected_rating = (mean * np.arange(1, 6)).sum("category")
    assert float(expected_rating.isel(obs=1).mean()) > float(expected_rating.isel(obs=0).mean())
    population = wine_model.predict(
        wine_fit, new[["temp", "contact"]], kind="mean", include_random_effects=False
    )
    eta = _eta(wine_fit, new, judges=False)
    by_hand = np.diff(
        stats.logistic.cdf(theta[..., None, :] - eta[..., None]),
        prepend=0.0, append=1.0, axis=-1,
    )  # fmt: skip
    np.testing.assert_allclose(population.values, by_hand, rtol=1e-10, atol=1e-14)
    draws = wine_model.predict(wine_fit, new, kind="response", random_seed=2)
    assert draws.dims == ("chain", "draw", "obs")
    assert set(np.unique(draws.values)) <= {1.0, 2.0, 3.0, 4.0, 5.0}


def test_posterior_predictive_draws_are_category_numbers(wine_fit):
    replicated = wine_fit["posterior_predictive"]["rating"].values
    assert set(np.unique(replicated)) == {1.0, 2.0, 3.0, 4.0, 5.0}
    observed = wine_fit["observed_data"]["rating"].values
    share = np.mean(replicated == 3.0, axis=(0, 1))
    assert abs(share.mean() - np.mean(observed == 3.0)) < 0.05


def test_close_to_a_long_brms_run(wine_fit):
    """A short run, so a loose tolerance: 0.35 posterior SD, with the MC error of an ESS of at
    least 100 (0.1 SD) included; the slow suite checks 0.15 SD with longer chains."""
    table = bayesml.summary(wine_fit)
    for name, reference in BRMS["cumulative"]["logit"]["parameters"].items():
        row = table.loc[name]
        assert row["ess_bulk"] > 100, name
        assert abs(row["mean"] - reference["mean"]) < 0.35 * reference["sd"], (name, row["mean"])


# -- recovery over repeated simulations (slow) ---------------------------------------------------
def simulate_ordinal(
    family_name: str, *, seed: int, groups: int = 12, per_group: int = 20
) -> tuple[pd.DataFrame, dict[str, float | np.ndarray]]:
    """Ratings 1..4 of ``family_name`` (logit) with η = 0.8 x + u_g, u_g ~ N(0, 0.7²)."""
    rng = np.random.default_rng(seed)
    truth = {"beta": 0.8, "sd": 0.7, "cutpoints": np.array([-1.0, 0.3, 1.4])}
    g = np.repeat(np.arange(groups), per_group)
    x = rng.normal(size=g.size)
    eta = truth["beta"] * x + rng.normal(0.0, truth["sd"], groups)[g]
    y = get_family(family_name, "logit").draw(rng, eta, {"cutpoints": truth["cutpoints"]})
    return pd.DataFrame({"y": y.astype(int), "x": x, "g": np.char.add("g", g.astype(str))}), truth


@pytest.mark.slow
@pytest.mark.parametrize("family_name", ["cumulative", "sratio"])
def test_90_percent_intervals_cover_the_truth(family_name):
    """20 simulated data sets (240 rows, 12 groups), 2 chains × 500 draws each: the central 90 %
    intervals of β, sd_g and the three cutpoints cover the truth. Over 20 × 5 = 100 intervals the
    number that cover is Binomial(100, 0.9) if they are calibrated (the intervals of one data set
    are dependent, which widens the spread a little): 90 ± 3, and 80 or more has probability
    above 0.999 (the bound also allows for that dependence). Each parameter alone: at least 14
    of 20 (P(Binomial(20, 0.9) < 14) = 0.002)."""
    covered: dict[str, list[bool]] = {"beta": [], "sd": [], "cutpoints": []}
    for seed in range(20):
        data, truth = simulate_ordinal(family_name, seed=100 + seed)
        model = bayesml.Model("y ~ x + (1 | g)", data, family=family_name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SamplingWarning)
            result = model.sample(draws=500, tune=500, chains=2, random_seed=seed)
        posterior = result["posterior"]
        for name, values, true in (
            ("beta", posterior["beta"].values[..., 0], truth["beta"]),
            ("sd", posterior["sd_g"].values[..., 0], truth["sd"]),
        ):
            low, high = np.quantile(values, [0.05, 0.95])
            covered[name].append(bool(low < true < high))
        low, high = np.quantile(posterior["cutpoints"].values, [0.05, 0.95], axis=(0, 1))
        covered["cutpoints"] += list((low < truth["cutpoints"]) & (truth["cutpoints"] < high))
    total = sum(sum(values) for values in covered.values())
    assert total >= 80, covered
    assert sum(covered["beta"]) >= 14 and sum(covered["sd"]) >= 14, covered
    assert sum(covered["cutpoints"]) >= 3 * 14, covered
