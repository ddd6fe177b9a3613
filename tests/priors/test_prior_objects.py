"""Prior objects: construction, validation, printing, round trips; parse_prior."""

import pickle
import re
from types import MappingProxyType

import numpy as np
import pytest

from bayesml.errors import PriorError, SpecError
from bayesml.priors import DISTRIBUTIONS, ROLES, Prior, dists_for_role, parse_prior

# one valid prior per registry entry: (role, spec data, str, describe)
EXAMPLES = {
    "half_normal": ("sd", {"sigma": 1}, "half_normal(sigma=1)", "σ ~ half-normal(σ=1)"),
    "half_cauchy": ("sd", {"sigma": 2.5}, "half_cauchy(sigma=2.5)", "σ ~ half-Cauchy(σ=2.5)"),
    "half_t": (
        "sd",
        {"nu": 3, "sigma": 2},
        "half_t(nu=3, sigma=2)",
        "σ ~ half-Student-t(ν=3, σ=2)",
    ),
    "exponential": ("sigma", {"rate": 0.5}, "exponential(rate=0.5)", "σ ~ exponential(rate=0.5)"),
    "uniform": (
        "sd",
        {"upper": 100},
        "uniform(lower=0, upper=100)",
        "σ ~ uniform(lower=0, upper=100)",
    ),
    "gamma": (
        "nu",
        {"alpha": 2, "beta": 0.1},
        "gamma(alpha=2, beta=0.1)",
        "θ ~ gamma(α=2, β=0.1) (shape α, rate β)",
    ),
    "scaled_inv_chi2": (
        "sd",
        {"nu": 4, "s": 1.5},
        "scaled_inv_chi2(nu=4, s=1.5)",
        "σ² ~ scaled-inv-χ²(ν=4, s=1.5) (scale s²)",
    ),
    "inverse_gamma": (
        "sigma",
        {"alpha": 0.01, "beta": 0.01},
        "inverse_gamma(alpha=0.01, beta=0.01)",
        "σ² ~ inverse-gamma(α=0.01, β=0.01) (shape α, scale β)",
    ),
    "beta": ("zi", {"alpha": 2, "beta": 8}, "beta(alpha=2, beta=8)", "p ~ beta(α=2, β=8) (mean α/(α + β))"),
    "lkj": ("cov", {"eta": 2}, "lkj(eta=2)", "R ~ LKJ(η=2)"),
    "inverse_wishart": (
        "cov",
        {"nu": 3, "scale": [[2, 0.5], [0.5, 1]]},
        "inverse_wishart(nu=3, scale=[[2, 0.5], [0.5, 1]])",
        "Σ ~ inverse-Wishart(ν=3, S=[[2, 0.5], [0.5, 1]])",
    ),
    "flat": ("intercept", {}, "flat", "β ~ flat (improper, uniform on the real line)"),
    "normal": ("fixed", {"mu": 1, "sigma": 2}, "normal(mu=1, sigma=2)", "β ~ normal(μ=1, σ=2)"),
    "student_t": (
        "intercept",
        {"nu": 3, "mu": 0, "sigma": 2.5},
        "student_t(nu=3, mu=0, sigma=2.5)",
        "β ~ Student-t(ν=3, μ=0, σ=2.5)",
    ),
    "cauchy": ("fixed", {"sigma": 2.5}, "cauchy(mu=0, sigma=2.5)", "β ~ Cauchy(μ=0, σ=2.5)"),
    "weakly_informative": (
        "fixed",
        {},
        "weakly_informative",
        "β ~ weakly informative: Cauchy(0, 2.5) on inputs scaled to mean 0 and sd 0.5 "
        "(binary inputs only centred), Cauchy(0, 10) on the intercept (Gelman et al. 2008)",
    ),
}


def test_examples_cover_the_registry():
    assert set(EXAMPLES) == set(DISTRIBUTIONS)


@pytest.mark.parametrize("dist", sorted(EXAMPLES))
def test_str_describe_and_round_trip(dist):
    role, params, text, description = EXAMPLES[dist]
    prior = parse_prior({"dist": dist, **params}, role=role, key_path="priors.x")
    assert str(prior) == text
    assert prior.describe() == description
    again = parse_prior(prior.to_dict(), role=role, key_path="priors.x")
    assert again == prior
    assert hash(again) == hash(prior)
    assert eval(repr(prior), {"Prior": Prior}) == prior


def test_defaults_are_filled_in_and_printed():
    assert Prior("normal", sigma=2).params == {"mu": 0, "sigma": 2}
    assert Prior("lkj").params == {"eta": 1}
    assert Prior("uniform", upper=10) == Prior("uniform", lower=0, upper=10)
    assert Prior("normal", sigma=2).to_dict() == {"dist": "normal", "mu": 0, "sigma": 2}


def test_alias_resolves_to_canonical_name():
    prior = Prior("half_student_t", nu=3, sigma=1)
    assert prior.dist == "half_t"
    assert prior == Prior("half_t", nu=3, sigma=1)


def test_equality_and_hash_ignore_int_float_and_numpy_types():
    a = Prior("half_normal", sigma=1)
    b = Prior("half_normal", sigma=np.float64(1.0))
    assert a == b and hash(a) == hash(b)
    assert type(b["sigma"]) is float
    assert type(Prior("half_normal", sigma=np.int64(2))["sigma"]) is int
    assert a != Prior("half_normal", sigma=2)
    assert a != Prior("half_cauchy", sigma=1)
    assert a != {"dist": "half_normal", "sigma": 1}
    assert len({a, b, Prior("half_normal", sigma=2)}) == 2


def test_prior_is_immutable_and_pickles():
    prior = Prior("inverse_wishart", nu=4, scale=[[1, 0], [0, 1]])
    with pytest.raises(AttributeError, match="Prior is immutable; cannot set 'dist'"):
        prior.dist = "lkj"
    with pytest.raises(AttributeError, match="Prior is immutable; cannot set '_params'"):
        prior._params = ()
    params = prior.params
    params["nu"] = 100
    assert prior["nu"] == 4
    assert pickle.loads(pickle.dumps(prior)) == prior


def test_matrix_is_stored_as_tuples_and_written_as_lists():
    prior = Prior("inverse_wishart", nu=4, scale=np.array([[2.0, 0.3], [0.3, 1.0]]))
    assert prior["scale"] == ((2.0, 0.3), (0.3, 1.0))
    assert prior.to_dict()["scale"] == [[2.0, 0.3], [0.3, 1.0]]
    assert Prior("inverse_wishart", nu=4, scale=((2, 0.3), (0.3, 1))) == prior


def test_describe_with_a_symbol_and_scalar_scale():
    assert (
        Prior("gamma", alpha=2, beta=0.1).describe("ν") == "ν ~ gamma(α=2, β=0.1) (shape α, rate β)"
    )
    assert Prior("inverse_gamma", alpha=1, beta=2).describe("sd_county").startswith("sd_county² ~ ")
    assert Prior("inverse_wishart", nu=3, scale=2).describe() == "Σ ~ inverse-Wishart(ν=3, S=2·I)"


def test_long_floats_print_with_six_significant_digits():
    prior = Prior("half_t", nu=3, sigma=37.06521739130435)
    assert str(prior) == "half_t(nu=3, sigma=37.0652)"
    assert prior["sigma"] == 37.06521739130435


CONSTRUCTION_ERRORS = [
    (("half_normal",), {"sigma": -1}, r"^half_normal\.sigma: expected a positive number, got -1$"),
    (("half_normal",), {"sigma": 0}, r"^half_normal\.sigma: expected a positive number, got 0$"),
    (
        ("half_normal",),
        {"sigma": float("nan")},
        r"^half_normal\.sigma: expected a positive number, got nan$",
    ),
    (("half_normal",), {"sigma": float("inf")}, r"expected a positive number, got inf$"),
    (
        ("half_normal",),
        {"sigma": True},
        r"^half_normal\.sigma: expected a positive number, got True$",
    ),
    (
        ("half_normal",),
        {"sigma": "1"},
        r"^half_normal\.sigma: expected a positive number, got '1'$",
    ),
    (("normal",), {"mu": None, "sigma": 1}, r"^normal\.mu: expected a finite number, got None$"),
    (
        ("half_normal",),
        {"sigm": 1},
        r"^half_normal\.sigm: unknown parameter 'sigm' of half_normal; its parameters are: sigma "
        r"\(did you mean 'sigma'\?\)$",
    ),
    (
        ("flat",),
        {"sigma": 1},
        r"^flat\.sigma: unknown parameter 'sigma' of flat; its parameters are: none$",
    ),
    (
        ("half_t",),
        {"sigma": 1},
        r"^half_t needs the parameter 'nu'; its parameters are: nu, sigma$",
    ),
    (
        ("uniform",),
        {"lower": 1, "upper": 3},
        r"^uniform\.lower: expected 0 \(the prior is on the interval from 0 to upper\), got 1$",
    ),
    (
        ("half_normel",),
        {"sigma": 1},
        r"^dist: unknown prior distribution 'half_normel'; valid: beta, cauchy, exponential, flat, gamma, "
        r"half_cauchy, half_normal, half_student_t, half_t, .*weakly_informative "
        r"\(did you mean 'half_normal'\?\)$",
    ),
    ((3,), {}, r"^dist: expected a distribution name \(a string\), got 3$"),
]


@pytest.mark.parametrize(("args", "params", "message"), CONSTRUCTION_ERRORS)
def test_construction_errors_name_the_parameter(args, params, message):
    with pytest.raises(PriorError, match=message):
        Prior(*args, **params)


SCALE_ERRORS = [
    ([[1, 2], [2, 1]], r"\(not positive definite\)$"),
    ([[1, 0.2], [0.3, 1]], r"\(not symmetric\)$"),
    ([[1, 0], [0]], r"\(not square: 2 rows of lengths \[2, 1\]\)$"),
    ([[1, 0, 0], [0, 1, 0]], r"\(not square: 2 rows of lengths \[3, 3\]\)$"),
    ([[1, "a"], ["a", 1]], r"\(the matrix has an entry that is not a finite number\)$"),
    ([], r"got \[\]$"),
    ("identity", r"got 'identity'$"),
    (-1, r"got -1$"),
]


@pytest.mark.parametrize(("scale", "message"), SCALE_ERRORS)
def test_inverse_wishart_scale_errors(scale, message):
    full = (
        r"^priors\.cov\.scale: expected a positive number s \(for s·I\) or a symmetric "
        r"positive-definite matrix as a list of lists, got .*"
    )
    with pytest.raises(PriorError) as info:
        parse_prior(
            {"dist": "inverse_wishart", "nu": 3, "scale": scale}, role="cov", key_path="priors.cov"
        )
    assert re.search(full, str(info.value))
    assert re.search(message, str(info.value))
    assert info.value.key_path == "priors.cov.scale"


def test_prior_error_is_a_spec_error_with_key_path_and_reason():
    with pytest.raises(SpecError) as info:
        parse_prior({"dist": "half_normal", "sigma": -1}, role="sd", key_path="priors.sd")
    assert str(info.value) == "priors.sd.sigma: expected a positive number, got -1"
    assert info.value.key_path == "priors.sd.sigma"
    assert info.value.reason == "expected a positive number, got -1"


def test_parse_prior_accepts_mappings_priors_and_bare_names():
    frozen = MappingProxyType({"dist": "half_normal", "sigma": 2})
    assert parse_prior(frozen, role="sd") == Prior("half_normal", sigma=2)
    prior = Prior("cauchy", sigma=1)
    assert parse_prior(prior, role="intercept") is prior
    assert parse_prior("weakly_informative", role="fixed") == Prior("weakly_informative")
    assert parse_prior("flat", role="intercept") == Prior("flat")
    assert parse_prior("lkj", role="cov") == Prior("lkj", eta=1)
    assert (
        parse_prior({"dist": "half_student_t", "nu": 3, "sigma": 1}, role="sigma").dist == "half_t"
    )


SD_VALID = (
    "exponential, gamma, half_cauchy, half_normal, half_t, inverse_gamma, scaled_inv_chi2, uniform"
)
IMPROPER_SD = (
    r"is an improper flat prior for an SD: a flat prior on log σ makes the posterior improper "
    r"\(the hierarchical variance case, Gelman 2006\); use a proper prior such as half_normal, "
    r"half_cauchy, half_t or uniform \(flat on σ from 0 to upper\)$"
)

PARSE_ERRORS = [
    (
        {"dist": "normal", "sigma": 1},
        "sd",
        r"^priors\.x\.dist: 'normal' is not a prior for a random-effect SD; valid: "
        + re.escape(SD_VALID)
        + r" \(did you mean 'half_normal'\?\)$",
    ),
    (
        {"dist": "halfnromal", "sigma": 1},
        "sd",
        r"^priors\.x\.dist: unknown prior 'halfnromal' for a random-effect SD; valid: "
        + re.escape(SD_VALID)
        + r" \(did you mean 'half_normal'\?\)$",
    ),
    ({"dist": "log_uniform"}, "sd", r"^priors\.x\.dist: 'log_uniform' " + IMPROPER_SD),
    ({"dist": "jeffreys"}, "sd", r"^priors\.x\.dist: 'jeffreys' " + IMPROPER_SD),
    ({"dist": "flat_log"}, "sd", r"^priors\.x\.dist: 'flat_log' " + IMPROPER_SD),
    ({"dist": "flat"}, "sd", r"^priors\.x\.dist: 'flat' " + IMPROPER_SD),
    ("flat", "sd", r"^priors\.x: 'flat' " + IMPROPER_SD),
    (
        {"dist": "log_uniform"},
        "sigma",
        r"^priors\.x\.dist: 'log_uniform' is an improper prior, which bayesml does not offer for "
        r"the residual SD sigma; use a proper prior such as exponential, gamma, half_cauchy, ",
    ),
    (
        {"dist": "inverse_gamma", "alpha": 1, "beta": 1},
        "nu",
        r"^priors\.x\.dist: 'inverse_gamma' is not a prior for the Student-t degrees of freedom nu; "
        r"valid: exponential, gamma, half_cauchy, half_normal, half_t, uniform$",
    ),
    (
        "weakly_informative",
        "intercept",
        r"^priors\.x: 'weakly_informative' is not a prior for the intercept; valid: cauchy, flat, "
        r"normal, student_t; weakly_informative is given under priors\.fixed and then covers the "
        r"intercept too$",
    ),
    (
        {"dist": "half_normal", "sigma": 1},
        "cov",
        r"^priors\.x\.dist: 'half_normal' is not a prior for a random-effect covariance matrix; "
        r"valid: inverse_wishart, lkj$",
    ),
    (
        {"dist": "half_normal", "sigma": 1},
        "fixed",
        r"^priors\.x\.dist: 'half_normal' is not a prior for a fixed-effect coefficient; valid: "
        r"cauchy, flat, normal, student_t, weakly_informative \(did you mean 'normal'\?\)$",
    ),
    (
        {"sigma": 1},
        "sd",
        r"^priors\.x: a prior needs a 'dist' key naming the distribution, e\.g\. "
        r"\{dist: half_normal, sigma: 1\}; got keys: sigma$",
    ),
    (
        3,
        "sd",
        r"^priors\.x: expected a prior: a mapping with a 'dist' key such as "
        r"\{dist: half_normal, sigma: 1\}, a Prior or the name of a distribution without "
        r"parameters; got 3 \(int\)$",
    ),
    (
        "half_normal",
        "sd",
        r"^priors\.x: half_normal needs the parameter\(s\) sigma; write it as a mapping, e\.g\. "
        r"\{dist: half_normal, sigma: \.\.\.\}$",
    ),
    (
        {"dist": "half_normal", 1: 2},
        "sd",
        r"^priors\.x: parameter names must be strings, got 1$",
    ),
    (
        {"dist": ["half_normal"], "sigma": 1},
        "sd",
        r"^priors\.x\.dist: expected a distribution name \(a string\), got \['half_normal'\]$",
    ),
    (
        {"dist": "half_normal"},
        "sd",
        r"^priors\.x: half_normal needs the parameter 'sigma'; its parameters are: sigma$",
    ),
    (
        Prior("normal", sigma=1),
        "sd",
        r"^priors\.x: 'normal' is not a prior for a random-effect SD",
    ),
]


@pytest.mark.parametrize(("value", "role", "message"), PARSE_ERRORS)
def test_parse_prior_errors(value, role, message):
    with pytest.raises(PriorError, match=message):
        parse_prior(value, role=role, key_path="priors.x")


def test_parse_prior_rejects_an_unknown_role():
    with pytest.raises(
        ValueError,
        match=rf"^role must be one of {', '.join(ROLES)}; got 'beta'$",
    ):
        parse_prior({"dist": "flat"}, role="beta")


def test_roles_of_the_registry():
    assert dists_for_role("cov") == ("inverse_wishart", "lkj")
    assert "weakly_informative" not in dists_for_role("intercept")
    assert "scaled_inv_chi2" not in dists_for_role("kappa")
    assert "gamma" in dists_for_role("sd")
