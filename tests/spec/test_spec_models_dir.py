"""Every spec in models/ validates and names a bundled data set."""

from pathlib import Path

import pytest

from bayesml.datasets import names
from bayesml.spec import ModelSpec, load_spec

MODELS = Path(__file__).resolve().parents[2] / "models"
SPEC_FILES = sorted(MODELS.glob("*.yaml"))


def test_models_folder_has_the_documented_specs():
    expected = {
        "rats",
        "bacteria",
        "beetles_logit",
        "beetles_probit",
        "beetles_cloglog",
        "radon",
        "sleepstudy",
        "cbpp",
        "seeds",
        "pump",
        "semiconductor",
        "wine",
    }
    assert expected <= {path.stem for path in SPEC_FILES}


@pytest.mark.parametrize("path", SPEC_FILES, ids=[path.stem for path in SPEC_FILES])
def test_spec_validates(path):
    spec = load_spec(path)
    assert spec.data in names()
    assert spec.description and spec.name == path.stem
    assert ModelSpec.from_yaml(spec.to_yaml(), base_dir=spec.base_dir) == spec


def test_radon_priors_are_the_documented_block():
    assert load_spec(MODELS / "radon.yaml").to_dict()["priors"] == {
        "intercept": {"dist": "normal", "mu": 0, "sigma": 10},
        "fixed": {"dist": "normal", "mu": 0, "sigma": 10},
        "sd": {"dist": "half_normal", "sigma": 1},
        "cov": {"dist": "lkj", "eta": 2},
        "sigma": {"dist": "half_normal", "sigma": 1},
    }


def test_rats_uses_an_inverse_wishart_with_the_bugs_scale():
    cov = load_spec(MODELS / "rats.yaml").priors["cov"]
    assert cov["dist"] == "inverse_wishart"
    assert cov["scale"] == ((200, 0), (0, 0.2))
