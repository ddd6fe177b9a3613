"""Keys of a priors mapping and validate_prior_mapping (no data)."""

from types import MappingProxyType

import pytest

from bayesml.errors import PriorError
from bayesml.priors import GLOBAL_KEYS, Prior, PriorKey, parse_prior_key, validate_prior_mapping

HALF_NORMAL = {"dist": "half_normal", "sigma": 1}

KEYS = {
    "sd": PriorKey("sd", "global", "sd"),
    "intercept": PriorKey("intercept", "global", "intercept"),
    "fixed": PriorKey("fixed", "global", "fixed"),
    "cov": PriorKey("cov", "global", "cov"),
    "sigma": PriorKey("sigma", "global", "sigma"),
    "nu": PriorKey("nu", "global", "nu"),
    "alpha": PriorKey("alpha", "global", "alpha"),
    "kappa": PriorKey("kappa", "global", "kappa"),
    "sd_county": PriorKey("sd_county", "sd", "sd", group="county"),
    "sd_county[floor]": PriorKey("sd_county[floor]", "sd", "sd", group="county", label="floor"),
    "sd_a:b[Intercept]": PriorKey("sd_a:b[Intercept]", "sd", "sd", group="a:b", label="Intercept"),
    "cov_county": PriorKey("cov_county", "cov", "cov", group="county"),
    "beta[week]": PriorKey("beta[week]", "beta", "fixed", label="week"),
    "beta[Intercept]": PriorKey("beta[Intercept]", "beta", "intercept", label="Intercept"),
    "beta[extract[Cucumber]]": PriorKey(
        "beta[extract[Cucumber]]", "beta", "fixed", label="extract[Cucumber]"
    ),
    'beta[extract[Cucumber]:I(seed == "O73")]': PriorKey(
        'beta[extract[Cucumber]:I(seed == "O73")]',
        "beta",
        "fixed",
        label='extract[Cucumber]:I(seed == "O73")',
    ),
    "sd_g[factor(Gr)[1]]": PriorKey(
        "sd_g[factor(Gr)[1]]", "sd", "sd", group="g", label="factor(Gr)[1]"
    ),
}


@pytest.mark.parametrize("key", sorted(KEYS))
def test_parse_prior_key(key):
    assert parse_prior_key(key) == KEYS[key]


def test_specificity_orders_label_over_name_over_global():
    assert [parse_prior_key(k).specificity for k in ("sd", "sd_county", "sd_county[floor]")] == [
        0,
        1,
        2,
    ]


# the global keys: the model's parts, then every family parameter of the registry
FORMS = (
    rf"accepted: global keys {', '.join(GLOBAL_KEYS)}; overrides "
    r"sd_<group>, sd_<group>\[<term>\], cov_<group>, beta\[<coefficient>\]"
)


def test_the_global_keys_are_the_models_parts_and_the_family_parameters():
    assert list(GLOBAL_KEYS)[:8] == ["intercept", "fixed", "sd", "cov", "sigma", "nu", "alpha", "kappa"]
    assert {"zi", "hu"} <= set(GLOBAL_KEYS)

KEY_ERRORS = [
    ("sdd", r"^priors\.sdd: unknown prior key 'sdd'; " + FORMS + r" \(did you mean 'sd'\?\)$"),
    ("beta", r"^priors\.beta: unknown prior key 'beta'; " + FORMS),
    ("sd_", r"^priors\.sd_: unknown prior key 'sd_'; " + FORMS),
    ("sigma[x]", r"^priors\.sigma\[x\]: the global key 'sigma' takes no \[label\]; " + FORMS + "$"),
    (
        "cov_county[x]",
        r"^priors\.cov_county\[x\]: cov_county takes no \[label\]: a covariance prior covers all "
        r"the terms of a group$",
    ),
    (
        "sd_county[floor",
        r"^priors\.sd_county\[floor: a label goes in brackets at the end of the key, e\.g\. "
        r"sd_county\[floor\] or beta\[week\]; got 'sd_county\[floor'$",
    ),
    ("beta[]", r"^priors\.beta\[\]: a label goes in brackets at the end of the key"),
    ("beta[x]y", r"^priors\.beta\[x\]y: a label goes in brackets at the end of the key"),
    (3, r"^priors: prior keys must be strings, got 3$"),
]


@pytest.mark.parametrize(("key", "message"), KEY_ERRORS)
def test_key_errors(key, message):
    with pytest.raises(PriorError, match=message):
        parse_prior_key(key)


def test_validate_returns_a_read_only_mapping_of_priors():
    validated = validate_prior_mapping(
        {
            "sd": HALF_NORMAL,
            "sd_county[floor]": Prior("exponential", rate=1),
            "fixed": "weakly_informative",
            "beta[Intercept]": {"dist": "flat"},
        }
    )
    assert validated == {
        "sd": Prior("half_normal", sigma=1),
        "sd_county[floor]": Prior("exponential", rate=1),
        "fixed": Prior("weakly_informative"),
        "beta[Intercept]": Prior("flat"),
    }
    with pytest.raises(TypeError):
        validated["sd"] = Prior("half_normal", sigma=2)


def test_validate_accepts_none_and_frozen_mappings():
    assert validate_prior_mapping(None) == {}
    frozen = MappingProxyType({"sd": MappingProxyType(HALF_NORMAL)})
    assert validate_prior_mapping(frozen)["sd"] == Prior("half_normal", sigma=1)


MAPPING_ERRORS = [
    (
        {"sd_county[floor]": {"dist": "half_normal", "sigma": -1}},
        r"^priors\.sd_county\[floor\]\.sigma: expected a positive number, got -1$",
    ),
    (
        {"beta[x]": "weakly_informative"},
        r"^priors\.beta\[x\]: weakly_informative rescales all the inputs at once, so it goes under "
        r"priors\.fixed, not on one coefficient$",
    ),
    (
        {"beta[Intercept]": "weakly_informative"},
        r"^priors\.beta\[Intercept\]: 'weakly_informative' is not a prior for the intercept",
    ),
    (
        {"intercept": {"dist": "half_normal", "sigma": 1}},
        r"^priors\.intercept\.dist: 'half_normal' is not a prior for the intercept",
    ),
    (
        {"nu": {"dist": "normal", "sigma": 1}},
        r"^priors\.nu\.dist: 'normal' is not a prior for the Student-t degrees of freedom nu",
    ),
    (
        {"cov_county": HALF_NORMAL},
        r"^priors\.cov_county\.dist: 'half_normal' is not a prior for a random-effect covariance",
    ),
    (
        {"sd": {"dist": "log_uniform"}},
        r"^priors\.sd\.dist: 'log_uniform' is an improper flat prior for an SD",
    ),
    ({"sdd": HALF_NORMAL}, r"^priors\.sdd: unknown prior key 'sdd'"),
    ([("sd", HALF_NORMAL)], r"^priors: expected a mapping of prior keys to priors, got \[\('sd', "),
]


@pytest.mark.parametrize(("mapping", "message"), MAPPING_ERRORS)
def test_validate_errors(mapping, message):
    with pytest.raises(PriorError, match=message):
        validate_prior_mapping(mapping)


def test_validate_uses_the_given_key_path():
    with pytest.raises(
        PriorError, match=r"^models\[0\]\.priors\.sd\.sigma: expected a positive number"
    ):
        validate_prior_mapping(
            {"sd": {"dist": "half_normal", "sigma": 0}}, key_path="models[0].priors"
        )
