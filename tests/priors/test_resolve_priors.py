"""resolve_priors: defaults per family, precedence of keys, sources, checks against the design."""

import math
import re
from types import MappingProxyType

import numpy as np
import pytest

from bayesml.errors import PriorError
from bayesml.families import get_family
from bayesml.priors import Prior, resolve_priors

# radon_like (conftest): y = [1, 2, 3, 4, 10]: median 3, mad = 1.4826 · 1, sd = sqrt(12.5);
# floor = 0..4: sd = sqrt(2.5); extract[Cucumber] = [0, 1, 1, 0, 1]: mean 0.6, sd = sqrt(0.3)
MAD_SCALE = 2.5 * 1.4826
SD_Y = math.sqrt(12.5)
SD_FLOOR = math.sqrt(2.5)
SD_EXTRACT = math.sqrt(0.3)
HALF_NORMAL = {"dist": "half_normal", "sigma": 1}


def same(prior, dist, **params):
    """``prior`` is ``dist`` with ``params`` (floats compared to 1e-12)."""
    assert prior.dist == dist
    assert prior.params == pytest.approx(params, rel=1e-12)
    return True


def test_gaussian_identity_defaults_are_data_scaled(radon_like):
    resolved = resolve_priors({}, radon_like, get_family("gaussian"))
    assert same(resolved.intercept, "student_t", nu=3, mu=3.0, sigma=MAD_SCALE)
    assert same(resolved.fixed["floor"], "normal", mu=0, sigma=2.5 * SD_Y / SD_FLOOR)
    assert same(resolved.fixed["extract[Cucumber]"], "normal", mu=0, sigma=2.5 * SD_Y / SD_EXTRACT)
    assert resolved.weakly_informative is None
    for group, labels in (("county", ("Intercept", "floor")), ("plate", ("Intercept",))):
        assert list(resolved.sd[group]) == list(labels)
        for prior in resolved.sd[group].values():
            assert same(prior, "half_t", nu=3, sigma=MAD_SCALE)
    assert resolved.cov == {"county": Prior("lkj", eta=1), "plate": None}
    assert list(resolved.aux) == ["sigma"]
    assert same(resolved.aux["sigma"], "half_t", nu=3, sigma=MAD_SCALE)
    assert set(resolved.sources.values()) == {"default"}
    assert list(resolved.sources) == [
        "beta[Intercept]",
        "beta[floor]",
        "beta[extract[Cucumber]]",
        "sd_county[Intercept]",
        "sd_county[floor]",
        "cov_county",
        "sd_plate[Intercept]",
        "sigma",
    ]


@pytest.mark.parametrize(
    ("y", "scale"),
    [
        ([1, 1, 1, 1, 5], 2.5 * math.sqrt(3.2)),  # mad 0: sd(y)
        ([2, 2, 2, 2, 2], 2.5),  # sd 0 too: 1
    ],
)
def test_zero_mad_falls_back_to_sd_then_one(make_design, y, scale):
    resolved = resolve_priors({}, make_design(y, {"x": [0, 1, 2, 3, 5]}), get_family("gaussian"))
    assert same(resolved.aux["sigma"], "half_t", nu=3, sigma=scale)


def test_constant_column_counts_as_unit_sd(make_design):
    design = make_design([1, 2, 3, 4, 10], {"c": [7, 7, 7, 7, 7]})
    resolved = resolve_priors({}, design, get_family("gaussian"))
    assert same(resolved.fixed["c"], "normal", mu=0, sigma=2.5 * SD_Y)
    resolved = resolve_priors({}, design, get_family("poisson"))
    assert same(resolved.fixed["c"], "normal", mu=0, sigma=2.5)


@pytest.mark.parametrize(
    ("family", "link", "aux"),
    [
        ("poisson", None, {}),
        ("negative_binomial", None, {"alpha": Prior("gamma", alpha=0.01, beta=0.01)}),
        ("gamma", None, {"alpha": Prior("gamma", alpha=0.01, beta=0.01)}),
        ("beta", None, {"kappa": Prior("gamma", alpha=0.01, beta=0.01)}),
        ("gaussian", "log", {"sigma": Prior("half_t", nu=3, sigma=MAD_SCALE)}),
        (
            "student_t",
            "log",
            {
                "sigma": Prior("half_t", nu=3, sigma=MAD_SCALE),
                "nu": Prior("gamma", alpha=2, beta=0.1),
            },
        ),
    ],
)
def test_unit_scale_defaults(radon_like, family, link, aux):
    resolved = resolve_priors(None, radon_like, get_family(family, link))
    assert resolved.intercept == Prior("student_t", nu=3, mu=0, sigma=2.5)
    assert same(resolved.fixed["floor"], "normal", mu=0, sigma=2.5 / SD_FLOOR)
    assert same(resolved.fixed["extract[Cucumber]"], "normal", mu=0, sigma=2.5 / SD_EXTRACT)
    assert resolved.sd["county"]["floor"] == Prior("half_t", nu=3, sigma=2.5)
    assert resolved.aux.keys() == aux.keys()
    for name, prior in aux.items():
        assert same(resolved.aux[name], prior.dist, **prior.params)
    assert resolved.weakly_informative is None


def test_student_t_identity_defaults(radon_like):
    resolved = resolve_priors({}, radon_like, get_family("student_t"))
    assert same(resolved.intercept, "student_t", nu=3, mu=3.0, sigma=MAD_SCALE)
    assert resolved.aux["nu"] == Prior("gamma", alpha=2, beta=0.1)


@pytest.mark.parametrize(("family", "link"), [("binomial", None), ("bernoulli", "probit")])
def test_binary_families_default_to_weakly_informative(radon_like, family, link):
    resolved = resolve_priors({}, radon_like, get_family(family, link))
    assert resolved.intercept == Prior("cauchy", mu=0, sigma=10)
    assert resolved.fixed == {
        "floor": Prior("weakly_informative"),
        "extract[Cucumber]": Prior("weakly_informative"),
    }
    scaling = resolved.weakly_informative
    assert scaling.column_names == ("floor", "extract[Cucumber]")
    assert scaling.centre == pytest.approx((2.0, 0.6))
    assert scaling.scale == pytest.approx((2 * SD_FLOOR, 1.0))
    assert resolved.sd["plate"]["Intercept"] == Prior("half_t", nu=3, sigma=2.5)
    assert resolved.aux == {}
    assert resolved.sources["beta[Intercept]"] == "default"


def test_binary_family_with_another_fixed_prior_drops_the_scaling(radon_like):
    resolved = resolve_priors(
        {"fixed": {"dist": "normal", "sigma": 1}}, radon_like, get_family("binomial")
    )
    assert resolved.weakly_informative is None
    assert resolved.intercept == Prior("student_t", nu=3, mu=0, sigma=2.5)
    assert resolved.fixed["floor"] == Prior("normal", mu=0, sigma=1)
    assert resolved.sources["beta[floor]"] == "priors.fixed"
    assert resolved.sources["beta[Intercept]"] == "default"


def test_weakly_informative_intercept_can_have_its_own_prior(radon_like):
    resolved = resolve_priors(
        {
            "intercept": {"dist": "normal", "sigma": 5},
            "beta[floor]": {"dist": "normal", "sigma": 1},
        },
        radon_like,
        get_family("bernoulli"),
    )
    assert resolved.intercept == Prior("normal", mu=0, sigma=5)
    assert resolved.sources["beta[Intercept]"] == "priors.intercept"
    assert resolved.fixed["floor"] == Prior("normal", mu=0, sigma=1)
    assert resolved.fixed["extract[Cucumber]"] == Prior("weakly_informative")
    assert resolved.weakly_informative is not None


def test_weakly_informative_asked_for_on_a_gaussian_model(radon_like):
    resolved = resolve_priors({"fixed": "weakly_informative"}, radon_like, get_family("gaussian"))
    assert resolved.intercept == Prior("cauchy", mu=0, sigma=10)
    assert resolved.sources["beta[Intercept]"] == "priors.fixed"
    assert resolved.sources["beta[floor]"] == "priors.fixed"
    assert resolved.weakly_informative.has_intercept


def test_weakly_informative_without_intercept_does_not_centre(make_design):
    design = make_design([0, 1, 1, 0], {"x": [1.0, 2.0, 3.0, 5.0]}, intercept=False)
    resolved = resolve_priors({}, design, get_family("bernoulli"))
    assert resolved.intercept is None
    assert resolved.weakly_informative.centre == (0.0,)
    assert "beta[Intercept]" not in resolved.sources


def test_sd_precedence_label_over_name_over_global(radon_like):
    resolved = resolve_priors(
        {
            "sd": HALF_NORMAL,
            "sd_county": {"dist": "exponential", "rate": 1},
            "sd_county[floor]": {"dist": "uniform", "upper": 10},
        },
        radon_like,
        get_family("gaussian"),
    )
    assert resolved.sd == {
        "county": {
            "Intercept": Prior("exponential", rate=1),
            "floor": Prior("uniform", upper=10),
        },
        "plate": {"Intercept": Prior("half_normal", sigma=1)},
    }
    assert resolved.sources["sd_county[Intercept]"] == "priors.sd_county"
    assert resolved.sources["sd_county[floor]"] == "priors.sd_county[floor]"
    assert resolved.sources["sd_plate[Intercept]"] == "priors.sd"


def test_coefficient_precedence(radon_like):
    resolved = resolve_priors(
        MappingProxyType(
            {
                "fixed": {"dist": "normal", "sigma": 1},
                "beta[floor]": {"dist": "cauchy", "sigma": 1},
                "intercept": "flat",
                "beta[Intercept]": {"dist": "normal", "mu": 5, "sigma": 1},
            }
        ),
        radon_like,
        get_family("gaussian"),
    )
    assert resolved.intercept == Prior("normal", mu=5, sigma=1)
    assert resolved.fixed == {
        "floor": Prior("cauchy", mu=0, sigma=1),
        "extract[Cucumber]": Prior("normal", mu=0, sigma=1),
    }
    assert resolved.sources["beta[Intercept]"] == "priors.beta[Intercept]"
    assert resolved.sources["beta[floor]"] == "priors.beta[floor]"
    assert resolved.sources["beta[extract[Cucumber]]"] == "priors.fixed"
    resolved = resolve_priors({"intercept": "flat"}, radon_like, get_family("gaussian"))
    assert resolved.intercept == Prior("flat")
    assert resolved.sources["beta[Intercept]"] == "priors.intercept"


def test_aux_priors_from_keys(radon_like):
    resolved = resolve_priors(
        {
            "sigma": {"dist": "scaled_inv_chi2", "nu": 1, "s": 1},
            "nu": {"dist": "exponential", "rate": 0.1},
        },
        radon_like,
        get_family("student_t"),
    )
    assert resolved.aux == {
        "sigma": Prior("scaled_inv_chi2", nu=1, s=1),
        "nu": Prior("exponential", rate=0.1),
    }
    assert resolved.sources["sigma"] == "priors.sigma"


def test_cov_priors(radon_like):
    resolved = resolve_priors(
        {"cov": {"dist": "lkj", "eta": 2}}, radon_like, get_family("gaussian")
    )
    assert resolved.cov == {"county": Prior("lkj", eta=2), "plate": None}
    assert resolved.sources["cov_county"] == "priors.cov"
    assert "cov_plate" not in resolved.sources


def test_inverse_wishart_group_has_no_sd_priors(radon_like):
    iw = Prior("inverse_wishart", nu=3, scale=[[1, 0], [0, 2]])
    resolved = resolve_priors(
        {"cov_county": iw, "sd": HALF_NORMAL}, radon_like, get_family("gaussian")
    )
    assert resolved.cov["county"] == iw
    assert "county" not in resolved.sd
    assert resolved.sd["plate"]["Intercept"] == Prior("half_normal", sigma=1)
    assert "sd_county[Intercept]" not in resolved.sources
    assert resolved.sources["cov_county"] == "priors.cov_county"


IW = {"dist": "inverse_wishart", "nu": 3, "scale": 1}
TERMS = r"the p = 2 terms of group 'county' \(Intercept, floor\)"

RESOLVE_ERRORS = [
    (
        {"sd_countyy": HALF_NORMAL},
        r"^priors\.sd_countyy: the model has no grouping factor 'countyy'; its groups: county, "
        r"plate \(did you mean 'county'\?\)$",
    ),
    (
        {"cov_countyy": IW},
        r"^priors\.cov_countyy: the model has no grouping factor 'countyy'; its groups: county, plate",
    ),
    (
        {"sd_county[flor]": HALF_NORMAL},
        r"^priors\.sd_county\[flor\]: group 'county' has no term 'flor'; its terms: Intercept, "
        r"floor \(did you mean 'floor'\?\)$",
    ),
    (
        {"beta[flor]": {"dist": "normal", "sigma": 1}},
        r"^priors\.beta\[flor\]: the model has no coefficient 'flor'; its coefficients: "
        r"Intercept, floor, extract\[Cucumber\] \(did you mean 'floor'\?\)$",
    ),
    (
        {"cov_plate": IW},
        r"^priors\.cov_plate: group 'plate' has no correlated terms \(a single term, or terms "
        r"separated with \|\|\), so a covariance prior does not apply; its SDs take priors from "
        r"sd_plate or sd$",
    ),
    (
        {"cov_plate": "lkj"},
        r"^priors\.cov_plate: group 'plate' has no correlated terms",
    ),
    (
        {"cov_county": {**IW, "nu": 1}},
        rf"^priors\.cov_county\.nu: inverse_wishart needs nu > p - 1 = 1 for {TERMS}, got 1$",
    ),
    (
        {"cov": {**IW, "nu": 0.5}},
        rf"^priors\.cov\.nu: inverse_wishart needs nu > p - 1 = 1 for {TERMS}, got 0\.5$",
    ),
    (
        {"cov_county": {**IW, "scale": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}},
        rf"^priors\.cov_county\.scale: expected a 2×2 scale matrix for {TERMS}, got 3×3$",
    ),
    (
        {"cov_county": IW, "sd_county": HALF_NORMAL},
        r"^priors\.sd_county: the SDs of group 'county' follow from its inverse_wishart prior "
        r"\(priors\.cov_county\); remove this key or use an lkj prior on the correlations, which "
        r"lets the SDs take their own priors$",
    ),
    (
        {"cov": IW, "sd_county[floor]": HALF_NORMAL},
        r"^priors\.sd_county\[floor\]: the SDs of group 'county' follow from its inverse_wishart "
        r"prior \(priors\.cov\)",
    ),
    (
        {"nu": {"dist": "gamma", "alpha": 2, "beta": 0.1}},
        r"^priors\.nu: the gaussian family has no 'nu' parameter; its auxiliary parameters: "
        r"sigma \('nu' is a parameter of student_t\), so this prior applies to nothing; remove "
        r"the key",
    ),
    (
        {"sd_county": {"dist": "half_normal", "sigma": -2}},
        r"^priors\.sd_county\.sigma: expected a positive number, got -2$",
    ),
]


@pytest.mark.parametrize(("mapping", "message"), RESOLVE_ERRORS)
def test_resolve_errors(radon_like, mapping, message):
    with pytest.raises(PriorError, match=message):
        resolve_priors(mapping, radon_like, get_family("gaussian"))


def test_sigma_on_a_family_without_sigma(radon_like):
    with pytest.raises(
        PriorError,
        match=r"^priors\.sigma: the poisson family has no 'sigma' parameter; its auxiliary "
        r"parameters: none \('sigma' is a parameter of gaussian, student_t, lognormal, "
        r"hurdle_lognormal\), so this prior applies to nothing; remove the key",
    ):
        resolve_priors({"sigma": HALF_NORMAL}, radon_like, get_family("poisson"))


def test_global_keys_that_apply_to_nothing(make_design):
    gaussian = get_family("gaussian")
    no_intercept = make_design([1, 2, 3], {"x": [1, 2, 4]}, intercept=False)
    with pytest.raises(
        PriorError,
        match=r"^priors\.intercept: the model has no intercept \(its formula removes it with 0 or "
        r"-1\), so this prior applies to nothing; remove the key",
    ):
        resolve_priors({"intercept": "flat"}, no_intercept, gaussian)
    with pytest.raises(
        PriorError,
        match=r"^priors\.beta\[Intercept\]: the model has no coefficient 'Intercept'; its coefficients: x$",
    ):
        resolve_priors({"beta[Intercept]": "flat"}, no_intercept, gaussian)
    intercept_only = make_design([1, 2, 3], blocks=[("g", ("Intercept",), False)])
    with pytest.raises(
        PriorError,
        match=r"^priors\.fixed: the model has no fixed-effect coefficients besides the intercept "
        r"\(whose prior goes under priors\.intercept\), so this prior applies to nothing; remove the key",
    ):
        resolve_priors({"fixed": {"dist": "normal", "sigma": 1}}, intercept_only, gaussian)
    with pytest.raises(
        PriorError,
        match=r"^priors\.cov: the model has no correlated random-effect terms \(such as "
        r"\(1 \+ x \| g\)\), so this prior applies to nothing; remove the key",
    ):
        resolve_priors({"cov": "lkj"}, intercept_only, gaussian)
    no_groups = make_design([1, 2, 3], {"x": [1, 2, 4]})
    with pytest.raises(
        PriorError,
        match=r"^priors\.sd: the model has no random effects, so this prior applies to nothing; remove the key",
    ):
        resolve_priors({"sd": HALF_NORMAL}, no_groups, gaussian)
    with pytest.raises(
        PriorError,
        match=r"^priors\.sd_g: the model has no grouping factor 'g'; it has no random effects$",
    ):
        resolve_priors({"sd_g": HALF_NORMAL}, no_groups, gaussian)
    only_iw = make_design([1, 2, 3], blocks=[("g", ("Intercept", "x"), True)])
    with pytest.raises(
        PriorError,
        match=r"^priors\.sd: every group's SDs follow from its inverse_wishart prior \(g\), so "
        r"this prior applies to nothing; remove the key \(a key set to None is removed: "
        r"spec\.replace\(priors=\{\*\*spec\.priors, 'sd': None\}\)\)$",
    ):
        resolve_priors({"sd": HALF_NORMAL, "cov": IW}, only_iw, gaussian)


def test_weakly_informative_applies_to_the_intercept_of_an_intercept_only_model(make_design):
    design = make_design([0, 1, 1])
    resolved = resolve_priors({"fixed": "weakly_informative"}, design, get_family("bernoulli"))
    assert resolved.intercept == Prior("cauchy", mu=0, sigma=10)
    assert resolved.fixed == {}


def test_aux_without_a_default(radon_like, make_family):
    family = make_family("fancy", "identity", aux=("phi",))
    with pytest.raises(
        PriorError,
        match=r"^priors: bayesml has no default prior for the auxiliary parameter 'phi' of the "
        r"fancy family$",
    ):
        resolve_priors({}, radon_like, family)


def test_unknown_family_gets_unit_scale_defaults(radon_like, make_family):
    resolved = resolve_priors({}, radon_like, make_family("fancy", "log"))
    assert resolved.intercept == Prior("student_t", nu=3, mu=0, sigma=2.5)


def test_describe_lists_every_prior_with_its_source(radon_like):
    resolved = resolve_priors(
        {"sd": HALF_NORMAL, "beta[floor]": {"dist": "normal", "sigma": 1}},
        radon_like,
        get_family("gaussian"),
    )
    assert resolved.describe().splitlines() == [
        "beta[Intercept]           student_t(nu=3, mu=3, sigma=3.7065)   (default)",
        "beta[floor]               normal(mu=0, sigma=1)                 (priors.beta[floor])",
        "beta[extract[Cucumber]]   normal(mu=0, sigma=16.1374)           (default)",
        "sd_county[Intercept]      half_normal(sigma=1)                  (priors.sd)",
        "sd_county[floor]          half_normal(sigma=1)                  (priors.sd)",
        "cov_county                lkj(eta=1)                            (default)",
        "sd_plate[Intercept]       half_normal(sigma=1)                  (priors.sd)",
        "sigma                     half_t(nu=3, sigma=3.7065)            (default)",
    ]


def test_describe_under_weakly_informative(radon_like):
    resolved = resolve_priors(
        {"beta[extract[Cucumber]]": {"dist": "normal", "sigma": 1}},
        radon_like,
        get_family("binomial"),
    )
    rows = [re.split(r"\s{3,}", line) for line in resolved.describe().splitlines()]
    assert rows[:3] == [
        [
            "beta[Intercept]",
            "cauchy(mu=0, sigma=10) on the intercept of the scaled inputs",
            "(default)",
        ],
        [
            "beta[floor]",
            "cauchy(mu=0, sigma=2.5) on the scaled input (centre 2, scale 3.162)",
            "(default)",
        ],
        [
            "beta[extract[Cucumber]]",
            "normal(mu=0, sigma=1)",
            "(priors.beta[extract[Cucumber]])",
        ],
    ]
    source_columns = {line.rindex("   (") for line in resolved.describe().splitlines()}
    assert len(source_columns) == 1  # the sources are aligned


def test_result_is_frozen(radon_like):
    resolved = resolve_priors({}, radon_like, get_family("gaussian"))
    with pytest.raises(AttributeError):
        resolved.intercept = None
    assert np.isclose(resolved.fixed["floor"]["sigma"], 2.5 * SD_Y / SD_FLOOR)
