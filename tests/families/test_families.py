"""Families: registry, lookup errors, variance, deviance and response validation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from bayesml.errors import DataError, FamilyError
from bayesml.families import FAMILIES, AuxParam, Family, get_family, get_link

ROOT = Path(__file__).resolve().parents[2]

# name: (links, default link, canonical link, response kind, aux names, has dispersion)
TABLE = {
    "gaussian": (("identity", "log"), "identity", "identity", "real", ("sigma",), True),
    "student_t": (("identity", "log"), "identity", None, "real", ("sigma", "nu"), True),
    "bernoulli": (("logit", "probit", "cloglog"), "logit", "logit", "binary", (), False),
    "binomial": (("logit", "probit", "cloglog"), "logit", "logit", "binomial", (), False),
    "poisson": (("log",), "log", "log", "count", (), False),
    "negative_binomial": (("log",), "log", None, "count", ("alpha",), False),
    "gamma": (("log", "inverse"), "log", "inverse", "positive", ("alpha",), True),
    "beta": (("logit",), "logit", None, "unit_interval", ("kappa",), True),
    "lognormal": (("identity",), "identity", None, "positive", ("sigma",), False),
    "zero_inflated_poisson": (("log",), "log", None, "count", ("zi",), False),
    "zero_inflated_negative_binomial": (("log",), "log", None, "count", ("alpha", "zi"), False),
    "zero_inflated_binomial": (
        ("logit", "probit", "cloglog"), "logit", None, "binomial", ("zi",), False
    ),
    "hurdle_poisson": (("log",), "log", None, "count", ("hu",), False),
    "hurdle_negative_binomial": (("log",), "log", None, "count", ("alpha", "hu"), False),
    "hurdle_gamma": (("log",), "log", None, "non_negative", ("alpha", "hu"), False),
    "hurdle_lognormal": (("identity",), "identity", None, "non_negative", ("sigma", "hu"), False),
    "cumulative": (("logit", "probit", "cloglog"), "logit", None, "ordinal", ("cutpoints",), False),
    "sratio": (("logit", "probit", "cloglog"), "logit", None, "ordinal", ("cutpoints",), False),
    "acat": (("logit", "probit", "cloglog"), "logit", None, "ordinal", ("cutpoints",), False),
    "categorical": (("logit",), "logit", None, "categorical", (), False),
    "multinomial": (("logit",), "logit", None, "multinomial", (), False),
}


@pytest.mark.parametrize("name", sorted(TABLE))
def test_registry_table(name):
    links, default, canonical, kind, aux, dispersion = TABLE[name]
    family = FAMILIES[name]
    assert family.name == name
    assert family.links == links
    assert family.default_link == default
    assert family.link is get_link(default)
    assert family.canonical_link == canonical
    assert family.response_kind == kind
    assert family.aux_names == aux
    assert all(isinstance(param, AuxParam) and param.description for param in family.aux_params)
    assert family.has_dispersion is dispersion
    assert family.uses_trials is (name in ("binomial", "zero_inflated_binomial", "multinomial"))


def test_registry_has_exactly_the_documented_families():
    assert sorted(FAMILIES) == sorted(TABLE)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("normal", "gaussian"),
        ("Gaussian", "gaussian"),
        ("negbin", "negative_binomial"),
        ("negativebinomial", "negative_binomial"),
        ("negative-binomial", "negative_binomial"),
        ("student", "student_t"),
        ("Gamma", "gamma"),
        ("zip", "zero_inflated_poisson"),
        ("zero-inflated negbinomial", "zero_inflated_negative_binomial"),
        ("ZINB", "zero_inflated_negative_binomial"),
        ("hurdle_negbinomial", "hurdle_negative_binomial"),
    ],
)
def test_aliases_and_spellings(given, expected):
    assert get_family(given).name == expected


def test_get_family_with_link_returns_a_copy():
    probit = get_family("bernoulli", link="probit")
    assert probit.link.name == "probit"
    assert not probit.is_canonical
    assert FAMILIES["bernoulli"].link.name == "logit"
    assert FAMILIES["bernoulli"].is_canonical
    assert probit == get_family("bernoulli", get_link("probit"))
    assert probit != FAMILIES["bernoulli"]
    assert repr(probit) == "Family('bernoulli', link='probit')"


@pytest.mark.parametrize(
    ("name", "link", "pattern"),
    [
        (
            "poison",
            None,
            r"^unknown family 'poison'; expected one of \[.*'bernoulli', 'beta', 'binomial', .*"
            r"'gamma', 'gaussian', 'hurdle_gamma', 'hurdle_lognormal', 'hurdle_negative_binomial', "
            r"'hurdle_poisson', 'lognormal', .*'negative_binomial', 'poisson', .*'student_t', "
            r"'zero_inflated_binomial', 'zero_inflated_negative_binomial', "
            r"'zero_inflated_poisson'\] \(did you mean 'poisson'\?\)$",
        ),
        ("weibull", None, r"^unknown family 'weibull'; expected one of \[.*'student_t'.*\]$"),
        (None, None, r"^family must be a string; got None \(NoneType\)$"),
        (
            "poisson",
            "logit",
            r"^family 'poisson' does not support link 'logit'; supported links: \['log'\]$",
        ),
        (
            "gamma",
            "identity",
            r"^family 'gamma' does not support link 'identity'; supported links: \['log', 'inverse'\]$",
        ),
        (
            "bernoulli",
            "lgit",
            r"^unknown link 'lgit' for family 'bernoulli'; expected one of \['cloglog', 'logit', "
            r"'probit'\] \(did you mean 'logit'\?\)$",
        ),
    ],
)
def test_get_family_errors(name, link, pattern):
    with pytest.raises(FamilyError, match=pattern):
        get_family(name, link)


# ----------------------------------------------------------------------------- variance

MU = np.array([0.1, 0.5, 0.8])


@pytest.mark.parametrize(
    ("name", "aux", "expected"),
    [
        ("gaussian", None, np.ones(3)),
        ("student_t", None, np.ones(3)),
        ("bernoulli", None, MU * (1 - MU)),
        ("binomial", None, MU * (1 - MU)),
        ("poisson", None, MU),
        ("negative_binomial", {"alpha": 2.0}, MU + MU**2 / 2.0),
        ("gamma", None, MU**2),
        ("beta", {"kappa": 5.0}, MU * (1 - MU)),
    ],
)
def test_variance_function(name, aux, expected):
    np.testing.assert_allclose(get_family(name).variance(MU, params=aux), expected, rtol=1e-15)


def test_negative_binomial_variance_matches_scipy():
    mu, alpha = 3.0, 1.7
    expected = stats.nbinom(n=alpha, p=alpha / (alpha + mu)).var()
    assert get_family("negbin").variance(mu, params={"alpha": alpha}) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("name", "aux", "pattern"),
    [
        (
            "negative_binomial",
            None,
            r"^family 'negative_binomial' needs aux values for \['alpha'\] to compute the variance; "
            r"got \[\]$",
        ),
        (
            "poisson",
            {"sigma": 1.0},
            r"^unknown auxiliary parameter\(s\) \['sigma'\] for family 'poisson'; it has \[\]$",
        ),
        (
            "negative_binomial",
            {"alpha": -1.0},
            r"^auxiliary parameter 'alpha' of family 'negative_binomial' must be finite and "
            r"positive; got -1$",
        ),
    ],
)
def test_aux_errors(name, aux, pattern):
    with pytest.raises(FamilyError, match=pattern):
        get_family(name).variance(MU, params=aux)


# ----------------------------------------------------------------------------- deviance


@pytest.mark.parametrize(
    ("name", "y", "mu", "kwargs", "expected"),
    [
        # R: poisson()$dev.resids(y, mu, 1) = 2 * (y * log(y / mu) - (y - mu)), 0 log 0 = 0
        ("poisson", [0, 1, 3], [0.5, 2, 2], {}, [1.0, 0.6137056388801094, 0.4327906486489863]),
        # R: binomial()$dev.resids(2/5, 0.3, 5)
        ("binomial", [2], [0.3], {"trials": [5]}, [0.2258242108435733]),
        # R: binomial()$dev.resids(c(1, 0), 0.8, 1) = -2 log(0.8), -2 log(0.2)
        ("bernoulli", [1, 0], [0.8, 0.8], {}, [0.4462871026284194, 3.218875824868201]),
        # R: Gamma()$dev.resids(y, mu, 1) = -2 * (log(y / mu) - (y - mu) / mu)
        ("gamma", [2, 0.5], [1, 2], {}, [0.6137056388801094, 1.2725887222397811]),
        # MASS: negative.binomial(2)$dev.resids(c(3, 0), 1.5, 1)
        ("negative_binomial", [3, 0], [1.5, 1.5], {"params": {"alpha": 2.0}},
         [0.5921336439723475, 2.238463151741691]),
        ("gaussian", [1.0, -2.0], [0.5, 0.0], {}, [0.25, 4.0]),
    ],
)  # fmt: skip
def test_unit_deviance_matches_hand_computed_r_values(name, y, mu, kwargs, expected):
    family = get_family(name)
    np.testing.assert_allclose(family.unit_deviance(y, mu, **kwargs), expected, rtol=1e-12)


RNG = np.random.default_rng(20240601)
N_Y = np.array([1, 4, 10, 7])
Y_COUNTS = np.array([0, 2, 5, 11])
Y_SUCCESSES = np.array([0, 2, 10, 3])


@pytest.mark.parametrize(
    ("name", "y", "mu", "kwargs", "scale", "logpdf", "saturated_mu"),
    [
        ("gaussian", RNG.normal(size=4), RNG.normal(size=4), {}, 1.3**2,
         lambda y, m: stats.norm.logpdf(y, m, 1.3), None),
        ("student_t", RNG.normal(size=4), RNG.normal(size=4), {"params": {"sigma": 1.3, "nu": 4.0}},
         1.3**2, lambda y, m: stats.t.logpdf(y, 4.0, m, 1.3), None),
        ("bernoulli", np.array([0, 1, 1, 0]), RNG.uniform(size=4), {}, 1.0,
         stats.bernoulli.logpmf, None),
        ("binomial", Y_SUCCESSES, RNG.uniform(size=4), {"trials": N_Y}, 1.0,
         lambda y, m: stats.binom.logpmf(y, N_Y, m), Y_SUCCESSES / N_Y),
        ("poisson", Y_COUNTS, RNG.gamma(3.0, size=4), {}, 1.0, stats.poisson.logpmf, None),
        ("negative_binomial", Y_COUNTS, RNG.gamma(3.0, size=4), {"params": {"alpha": 2.5}}, 1.0,
         lambda y, m: stats.nbinom.logpmf(y, 2.5, 2.5 / (2.5 + m)), None),
        ("gamma", RNG.gamma(2.0, size=4), RNG.gamma(2.0, size=4), {}, 1 / 3.0,
         lambda y, m: stats.gamma.logpdf(y, 3.0, scale=m / 3.0), None),
        ("beta", RNG.uniform(0.05, 0.95, size=4), RNG.uniform(0.05, 0.95, size=4),
         {"params": {"kappa": 6.0}}, 1.0,
         lambda y, m: stats.beta.logpdf(y, m * 6.0, (1 - m) * 6.0), None),
    ],
)  # fmt: skip
def test_unit_deviance_is_twice_the_loglik_gap_to_the_saturated_model(
    name, y, mu, kwargs, scale, logpdf, saturated_mu
):
    """d(y, μ) = φ · 2[ℓ(y; μ_sat) − ℓ(y; μ)], φ the dispersion (σ², 1/α; 1 otherwise).

    μ_sat is y itself, or y/n for binomial successes out of n trials.
    """
    deviance = get_family(name).unit_deviance(y, mu, **kwargs)
    saturated = y if saturated_mu is None else saturated_mu
    expected = scale * 2 * (logpdf(y, saturated) - logpdf(y, mu))
    if name == "beta":  # betareg's |·|: μ = y need not maximise the beta likelihood
        expected = np.abs(expected)
    np.testing.assert_allclose(deviance, expected, rtol=1e-9)


def test_unit_deviance_broadcasts_over_posterior_draws():
    family = get_family("negative_binomial")
    y = np.array([0.0, 3.0, 8.0])
    mu = np.array([[1.0, 2.0, 5.0], [0.5, 4.0, 9.0]])  # (draw, row)
    alpha = np.array([[1.5], [6.0]])  # one value per draw
    together = family.unit_deviance(y, mu, params={"alpha": alpha})
    one_by_one = [family.unit_deviance(y, mu[i], params={"alpha": alpha[i, 0]}) for i in range(2)]
    np.testing.assert_allclose(together, np.stack(one_by_one), rtol=1e-14)


def test_deviance_residuals_carry_sign_weights_and_sum_to_the_deviance():
    family = get_family("poisson")
    y, mu, w = np.array([0.0, 1.0, 3.0]), np.array([0.5, 2.0, 2.0]), np.array([1.0, 2.0, 0.5])
    residuals = family.deviance_residuals(y, mu, weights=w)
    unit = family.unit_deviance(y, mu)
    np.testing.assert_allclose(residuals, np.sign(y - mu) * np.sqrt(w * unit))
    assert family.deviance(y, mu, weights=w) == pytest.approx(np.sum(residuals**2))
    assert family.deviance(y, mu) == pytest.approx(np.sum(unit))


def test_binomial_residual_sign_compares_successes_with_expected_successes():
    # 2 of 10 against μ = 0.3 is below expectation although y = 2 > μ.
    residual = get_family("binomial").deviance_residuals([2], [0.3], trials=[10])
    assert residual[0] < 0


@pytest.mark.parametrize(
    ("name", "kwargs", "error", "pattern"),
    [
        ("binomial", {}, DataError, r"^family 'binomial' needs trials; got trials=None$"),
        (
            "poisson",
            {"trials": [2, 2]},
            DataError,
            r"^family 'poisson' takes no trials; got trials for 2 rows$",
        ),
        (
            "student_t",
            {"params": {"sigma": 1.0}},
            FamilyError,
            r"^family 'student_t' needs aux values for \['nu'\] to compute the deviance; "
            r"got \['sigma'\]$",
        ),
        (
            "gaussian",
            {"weights": [1.0, -1.0]},
            DataError,
            r"^weights must be finite and non-negative; got -1 in 1 row \(row position 1\)$",
        ),
        (
            "gaussian",
            {"weights": [1.0]},
            DataError,
            r"^weights must have one value per row \(2\); got 1$",
        ),
    ],
)
def test_deviance_argument_errors(name, kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        get_family(name).deviance([1.0, 1.0], [0.5, 0.5], **kwargs)


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("name", "y", "trials"),
    [
        ("gaussian", [-1.5, 0.0, 2e10], None),
        ("bernoulli", [True, False, True], None),
        ("binomial", [0, 3, 5], [5, 5, 5]),
        ("poisson", [0, 3, 12], None),
        ("negative_binomial", [0.0, 7.0], None),
        ("gamma", [0.1, 3.0], None),
        ("beta", [0.01, 0.99], None),
    ],
)
def test_valid_responses_pass(name, y, trials):
    get_family(name).validate_response(y, trials=trials)


@pytest.mark.parametrize(
    ("name", "y", "trials", "pattern"),
    [
        ("gaussian", [1.0, np.nan, np.inf], None,
         r"^response 'y' must be finite numbers \(no NaN or inf\); got nan, inf in 2 rows "
         r"\(row positions 1, 2\)$"),
        ("bernoulli", [0, 1, 2, 1, 0.5], None,
         r"^response 'y' must be 0 or 1 for family 'bernoulli'; got 2, 0.5 in 2 rows "
         r"\(row positions 2, 4\)$"),
        ("poisson", [1, -1, 2.5], None,
         r"^response 'y' must be non-negative integer counts for family 'poisson'; got -1, 2.5 "
         r"in 2 rows \(row positions 1, 2\)$"),
        ("negative_binomial", [0.5], None,
         r"^response 'y' must be non-negative integer counts for family 'negative_binomial'"),
        ("gamma", [1.0, 0.0, -2.0], None,
         r"^response 'y' must be positive \(y > 0\) for family 'gamma'; got 0, -2 in 2 rows"),
        ("beta", [0.5, 1.0, 0.0], None,
         r"^response 'y' must lie strictly between 0 and 1 for family 'beta'; got 1, 0 in 2 rows "
         r"\(row positions 1, 2\)$"),
        ("binomial", [1, 6, 3], [5, 5, 2],
         r"^response 'y' counts successes, which must not exceed the trials; got 6 of 5, 3 of 2 "
         r"in 2 rows \(row positions 1, 2\)$"),
        ("binomial", [1, -1], [5, 5],
         r"^response 'y' must be non-negative integer counts of successes for family 'binomial'; "
         r"got -1 in 1 row \(row position 1\)$"),
        ("binomial", [1, 1], None,
         r"^family 'binomial' needs the number of trials for response 'y'; got trials=None$"),
        ("binomial", [1, 1], [2, 0],
         r"^trials of response 'y' must be positive integers; got 0 in 1 row \(row position 1\)$"),
        ("binomial", [1, 1], [2.5, 2],
         r"^trials of response 'y' must be positive integers; got 2.5 in 1 row"),
        ("binomial", [1, 1], [2],
         r"^trials of response 'y' must have one value per row \(2\); got 1$"),
        ("bernoulli", [1, 0], [1, 1],
         r"^family 'bernoulli' takes no trials; got trials for response 'y' \(use family "
         r"'binomial' for successes out of trials\)$"),
        ("gaussian", ["a", "b"], None, r"^response 'y' must be numeric; got values of dtype <U1$"),
        ("gaussian", [[1.0, 2.0]], None,
         r"^response 'y' must be one-dimensional; got an array of shape \(1, 2\)$"),
    ],
)  # fmt: skip
def test_invalid_responses_name_rows_and_expectation(name, y, trials, pattern):
    with pytest.raises(DataError, match=pattern):
        get_family(name).validate_response(y, trials=trials)


def test_validation_names_the_response_and_shortens_long_row_lists():
    y = -np.arange(1.0, 9.0)
    pattern = (
        r"^response 'count' must be non-negative integer counts for family 'poisson'; "
        r"got -1, -2, -3, -4, -5, \.\.\. in 8 rows \(row positions 0, 1, 2, 3, 4, \.\.\.\)$"
    )
    with pytest.raises(DataError, match=pattern):
        get_family("poisson").validate_response(y, name="count")


def test_validation_shows_row_labels_when_given():
    pattern = r"^response 'y' must be 0 or 1 for family 'bernoulli'; got 3 in 1 row \(row 'b'\)$"
    with pytest.raises(DataError, match=pattern):
        get_family("bernoulli").validate_response([0, 3], row_labels=["a", "b"])
    with pytest.raises(DataError, match=r"^row_labels must have one label per row of response"):
        get_family("bernoulli").validate_response([0, 3], row_labels=["a"])


def test_families_are_immutable_and_hashable():
    family = get_family("gaussian")
    assert isinstance(family, Family)
    assert {family, get_family("normal")} == {family}
    with pytest.raises(AttributeError):
        family.name = "poisson"  # type: ignore[misc]


def test_importing_families_does_not_import_pymc():
    code = (
        "import sys; import bayesml.families; "
        "bad = [m for m in ('pymc', 'pytensor', 'arviz') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_aux_the_former_name_of_params_still_works_with_a_warning():
    family = get_family("negative_binomial")
    with pytest.warns(FutureWarning, match=r"variance\(aux=\.\.\.\) is deprecated"):
        old = family.variance(MU, aux={"alpha": 2.0})
    np.testing.assert_array_equal(old, family.variance(MU, {"alpha": 2.0}))
    with pytest.raises(FamilyError, match="not also aux="):
        family.variance(MU, {"alpha": 2.0}, aux={"alpha": 2.0})
