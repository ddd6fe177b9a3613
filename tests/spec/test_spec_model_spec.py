"""ModelSpec: immutability, replace, dict and YAML round trips, and validation messages."""

import dataclasses
from pathlib import Path

import pytest

from bayesml.errors import FormulaError, PriorError, SpecError
from bayesml.spec import FrozenMapping, ModelSpec

FULL = {
    "name": "radon",
    "description": "Minnesota radon.\nVarying intercepts and slopes.\n",
    "data": "radon",
    "formula": "log_radon ~ floor + (1 + floor | county)",
    "family": "gaussian",
    "link": "identity",
    "weights": "w",
    "priors": {
        "intercept": {"dist": "normal", "mu": 0, "sigma": 10},
        "sd": {"dist": "half_normal", "sigma": 1},
        "cov": {"dist": "inverse_wishart", "nu": 3, "scale": [[2.0, 0.5], [0.5, 1.0]]},
    },
    "options": {
        "missing": "drop",
        "reference_levels": {"county": "AITKIN"},
        "sampler": "nutpie",
        "draws": 200,
        "tune": 0,
        "chains": 2,
        "seed": 11,
    },
}


@pytest.fixture
def spec():
    return ModelSpec.from_dict(FULL)


def test_defaults():
    spec = ModelSpec("y ~ x")
    assert (spec.family, spec.link, spec.data, spec.success, spec.weights) == (
        "gaussian",
        None,
        None,
        None,
        None,
    )
    assert spec.priors == {} and spec.options == {}
    assert spec.base_dir is None


def test_fields_after_formula_are_keyword_only():
    with pytest.raises(TypeError):
        ModelSpec("y ~ x", "poisson")


def test_spec_is_immutable_deeply(spec):
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.family = "poisson"
    with pytest.raises(TypeError):
        spec.priors["sd"] = {"dist": "half_normal", "sigma": 2}
    with pytest.raises(TypeError):
        spec.priors["sd"]["sigma"] = 2
    assert isinstance(spec.priors["cov"]["scale"], tuple)
    assert isinstance(spec.options["reference_levels"], FrozenMapping)


def test_input_mappings_are_copied():
    priors = {"sd": {"dist": "half_normal", "sigma": 1}}
    spec = ModelSpec("y ~ x + (1 | g)", priors=priors)
    priors["sd"]["sigma"] = 5
    assert spec.priors["sd"]["sigma"] == 1


def test_spec_is_hashable_and_compares_by_value(spec):
    same = ModelSpec.from_dict(FULL)
    assert spec == same and hash(spec) == hash(same)
    assert len({spec, same, spec.replace(family="student_t")}) == 2


def test_replace_validates_and_keeps_other_fields(spec):
    sensitive = spec.replace(priors={"sd": {"dist": "half_normal", "sigma": 5}})
    assert sensitive.priors == {"sd": {"dist": "half_normal", "sigma": 5}}
    assert sensitive.formula == spec.formula and sensitive.options == spec.options
    assert spec.priors["sd"]["sigma"] == 1
    with pytest.raises(SpecError, match="^family: expected a string, got list"):
        spec.replace(family=["gaussian"])


def test_replace_unknown_field_suggests():
    with pytest.raises(
        SpecError, match=r"^prior: unknown spec field 'prior' \(did you mean 'priors'\?\)"
    ):
        ModelSpec("y ~ x").replace(prior={})


def test_with_options_updates_and_removes(spec):
    changed = spec.with_options(draws=50, seed=None, random_seed=4)
    assert changed.options["draws"] == 50 and changed.options["random_seed"] == 4
    assert "seed" not in changed.options
    assert changed.options["sampler"] == "nutpie"


def test_dict_round_trip(spec):
    assert spec.to_dict() == FULL
    assert list(spec.to_dict()) == list(FULL)


def test_to_dict_writes_only_what_is_set():
    assert ModelSpec("y ~ x").to_dict() == {"formula": "y ~ x", "family": "gaussian"}
    falsy = ModelSpec("y ~ x", family="bernoulli", success=0).to_dict()
    assert falsy["success"] == 0


def test_yaml_round_trip(spec):
    text = spec.to_yaml()
    again = ModelSpec.from_yaml(text)
    assert again == spec
    assert again.to_yaml() == text
    assert ModelSpec.from_yaml(again.to_yaml()) == spec
    assert "description: |" in text  # multi-line text as a literal block


def test_yaml_round_trip_of_quoted_formula():
    spec = ModelSpec(
        'r/n ~ extract * I(seed == "O73") + (1 | plate)', family="binomial", weights="n"
    )
    assert ModelSpec.from_yaml(spec.to_yaml()) == spec


def test_prior_objects_serialise_as_plain_data():
    from bayesml.priors import Prior

    spec = ModelSpec("y ~ x + (1 | g)", priors={"sd": Prior("half_normal", sigma=2)})
    assert hash(spec) == hash(
        ModelSpec("y ~ x + (1 | g)", priors={"sd": Prior("half_normal", sigma=2)})
    )
    assert spec.to_dict()["priors"] == {"sd": {"dist": "half_normal", "sigma": 2}}
    assert ModelSpec.from_yaml(spec.to_yaml()).to_dict() == spec.to_dict()


def test_path_data_and_base_dir_are_normalised(tmp_path):
    spec = ModelSpec("y ~ x", data=Path("data/x.csv"), base_dir=str(tmp_path))
    assert spec.data == "data/x.csv"
    assert spec.base_dir == tmp_path
    assert "base_dir" not in spec.to_dict()


# -- errors -------------------------------------------------------------------------------------

ERRORS = {
    "not a mapping": (
        ["y ~ x"],
        r"^a spec must be a mapping of keys such as formula and family, got list",
    ),
    "unknown key": (
        {"formula": "y ~ x", "familly": "poisson"},
        r"^familly: unknown key 'familly' \(did you mean 'family'\?\); valid keys: name, "
        r"description, data, formula, formulas, family, random_family, link, success, levels, weights, priors, options$",
    ),
    "missing formula": ({"family": "poisson"}, r"^formula: missing; every spec needs a formula"),
    "formula type": ({"formula": 3}, r"^formula: expected a string, got integer 3$"),
    "family type": (
        {"formula": "y ~ x", "family": ["gaussian", "poisson"]},
        r"^family: expected a string, got list \['gaussian', 'poisson'\]$",
    ),
    "family null": ({"formula": "y ~ x", "family": None}, r"^family: expected a string, got null$"),
    "link type": ({"formula": "y ~ x", "link": 1.5}, r"^link: expected a string, got number 1.5$"),
    "data type": ({"formula": "y ~ x", "data": {"a": 1}}, r"^data: expected a string, got mapping"),
    "weights type": (
        {"formula": "y ~ x", "weights": True},
        r"^weights: expected a string, got boolean",
    ),
    "name type": ({"formula": "y ~ x", "name": 1}, r"^name: expected a string, got integer"),
    "success type": (
        {"formula": "y ~ x", "family": "bernoulli", "success": ["y"]},
        r"^success: expected a string, number or boolean, got list",
    ),
    "priors type": (
        {"formula": "y ~ x", "priors": ["sd"]},
        r"^priors: expected a mapping, got list",
    ),
    "options type": (
        {"formula": "y ~ x", "options": "fast"},
        r"^options: expected a mapping, got string",
    ),
    "unknown family": (
        {"formula": "y ~ x", "family": "poison"},
        r"^family: unknown family 'poison'.*did you mean 'poisson'",
    ),
    "link not for family": (
        {"formula": "y ~ x", "family": "poisson", "link": "logit"},
        r"^link: .*'logit'",
    ),
    "success without levels": (
        {"formula": "y ~ x", "success": "yes"},
        r"^success: only binary and binomial families have a success level; family is 'gaussian'$",
    ),
}


@pytest.mark.parametrize(("data", "message"), ERRORS.values(), ids=ERRORS.keys())
def test_from_dict_errors(data, message):
    with pytest.raises(SpecError, match=message):
        ModelSpec.from_dict(data)


OPTION_ERRORS = {
    "unknown": (
        {"draw": 10},
        r"^options.draw: unknown option 'draw' \(did you mean 'draws'\?\); valid keys: missing, ",
    ),
    "missing choice": (
        {"missing": "omit"},
        r"^options.missing: expected one of 'raise', 'drop', got string 'omit'$",
    ),
    "probit choice": (
        {"probit": "exact"},
        r"^options.probit: expected one of 'marginal', 'latent'",
    ),
    "sampler choice": (
        {"sampler": "stan"},
        r"^options.sampler: expected one of 'pymc', 'nutpie', 'numpyro'",
    ),
    "draws type": ({"draws": "100"}, r"^options.draws: expected an integer, got string '100'$"),
    "draws bool": ({"draws": True}, r"^options.draws: expected an integer, got boolean True$"),
    "draws float": ({"draws": 10.0}, r"^options.draws: expected an integer, got number 10.0$"),
    "draws zero": ({"draws": 0}, r"^options.draws: expected an integer >= 1, got 0$"),
    "tune negative": ({"tune": -1}, r"^options.tune: expected an integer >= 0, got -1$"),
    "chains zero": ({"chains": 0}, r"^options.chains: expected an integer >= 1, got 0$"),
    "seed negative": ({"seed": -3}, r"^options.seed: expected an integer >= 0, got -3$"),
    "random_seed type": ({"random_seed": 1.5}, r"^options.random_seed: expected an integer"),
    "both seeds": (
        {"seed": 1, "random_seed": 2},
        r"^options: give either seed or random_seed, not both$",
    ),
    "reference levels type": (
        {"reference_levels": ["county"]},
        r"^options.reference_levels: expected a mapping, got list",
    ),
    "reference level value": (
        {"reference_levels": {"county": ["A"]}},
        r"^options.reference_levels.county: expected a string, number or boolean, got list",
    ),
}


@pytest.mark.parametrize(("options", "message"), OPTION_ERRORS.values(), ids=OPTION_ERRORS.keys())
def test_option_errors(options, message):
    with pytest.raises(SpecError, match=message):
        ModelSpec("y ~ x", options=options)


def test_valid_options_pass():
    options = {
        "missing": "raise",
        "probit": "latent",
        "sampler": "numpyro",
        "random_seed": 0,
        "reference_levels": {"extract": "Bean", "floor": 0},
    }
    assert ModelSpec("y ~ x", options=options).options == options


def test_formula_error_keeps_key_path_and_caret():
    with pytest.raises(SpecError) as caught:
        ModelSpec.from_dict({"formula": "y ~ x +"})
    error = caught.value
    assert error.key_path == "formula"
    assert isinstance(error.__cause__, FormulaError)
    lines = str(error).splitlines()
    assert lines[0].startswith("formula: expected a term")
    assert lines[1].strip() == "y ~ x +"
    assert lines[2].index("^") == lines[1].index("+")


def test_prior_errors_name_the_prior_key():
    with pytest.raises(PriorError, match=r"^priors\.sd"):
        ModelSpec("y ~ x + (1 | g)", priors={"sd": {"dist": "half_normal", "sigma": -1}})


def test_from_dict_key_path_prefixes_errors():
    with pytest.raises(
        SpecError, match=r"^models\.rats\.options\.draws: expected an integer"
    ) as caught:
        ModelSpec.from_dict({"formula": "y ~ x", "options": {"draws": "x"}}, key_path="models.rats")
    assert caught.value.key_path == "models.rats.options.draws"
    assert caught.value.reason == "expected an integer, got string 'x'"
    with pytest.raises(SpecError, match=r"^models\.rats\.familly: unknown key"):
        ModelSpec.from_dict({"formula": "y ~ x", "familly": "x"}, key_path="models.rats")
    with pytest.raises(PriorError, match=r"^models\.rats\.priors\.sd"):
        ModelSpec.from_dict(
            {"formula": "y ~ x", "priors": {"sd": {"dist": "half_normal", "sigma": -1}}},
            key_path="models.rats",
        )
