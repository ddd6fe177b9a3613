"""Prior distribution names are read as family names are: case, '-' and spaces do not matter."""

from __future__ import annotations

import pytest

from bayesml import Prior
from bayesml.errors import PriorError
from bayesml.priors import parse_prior
from bayesml.priors._registry import DIST_ALIASES, DISTRIBUTIONS, canonical_name


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("Normal", "normal"),
        ("NORMAL", "normal"),
        ("Half_Normal", "half_normal"),
        ("half-normal", "half_normal"),
        ("Half Normal", "half_normal"),
        ("HalfNormal", "half_normal"),  # PyMC's name
        ("HalfCauchy", "half_cauchy"),
        ("HalfStudentT", "half_t"),  # PyMC's name of the alias half_student_t
        ("Half-Student-t", "half_t"),
        ("StudentT", "student_t"),
        ("InverseGamma", "inverse_gamma"),
        ("Inverse-Wishart", "inverse_wishart"),
        ("LKJ", "lkj"),
        ("Weakly informative", "weakly_informative"),
        (" half_normal ", "half_normal"),
    ],
)
def test_spellings_of_a_distribution_give_its_canonical_name(given, canonical):
    assert canonical_name(given) == canonical


def test_every_name_without_underscores_is_unambiguous():
    squashed = [name.replace("_", "") for name in [*DISTRIBUTIONS, *DIST_ALIASES]]
    clashes = {s for s in squashed if squashed.count(s) > 1} - {"halft", "halfstudentt"}
    assert clashes == set()


def test_a_prior_keeps_the_canonical_name():
    prior = parse_prior({"dist": "Half_Normal", "sigma": 2}, role="sd", key_path="priors.sd")
    assert prior == Prior("half_normal", sigma=2)
    assert prior.to_dict() == {"dist": "half_normal", "sigma": 2}
    assert Prior("StudentT", nu=3, sigma=2.5).dist == "student_t"
    assert parse_prior("LKJ", role="cov") == Prior("lkj", eta=1)


def test_a_misspelt_name_still_gets_a_suggestion_and_echoes_what_was_written():
    with pytest.raises(
        PriorError,
        match=r"^priors\.sd\.dist: unknown prior 'Half_Nromal' for a random-effect SD; valid: .*"
        r"\(did you mean 'half_normal'\?\)$",
    ):
        parse_prior({"dist": "Half_Nromal", "sigma": 1}, role="sd", key_path="priors.sd")
    with pytest.raises(
        PriorError, match=r"^dist: unknown prior distribution 'Half-Nromal'; .*\(did you mean 'half_normal'\?\)$"
    ):
        Prior("Half-Nromal", sigma=1)


def test_a_flat_prior_on_an_sd_is_refused_whatever_its_case():
    with pytest.raises(PriorError, match=r"^priors\.sd: 'Flat' is an improper flat prior for an SD"):
        parse_prior("Flat", role="sd", key_path="priors.sd")


def test_a_name_for_the_wrong_role_is_refused_in_any_case():
    with pytest.raises(PriorError, match=r"^priors\.sd\.dist: 'Normal' is not a prior for a random-effect SD"):
        parse_prior({"dist": "Normal", "sigma": 1}, role="sd", key_path="priors.sd")
