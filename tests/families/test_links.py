"""Link functions: round trips, derivatives against finite differences, safety at the edges."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from bayesml.errors import FamilyError
from bayesml.families import LINKS, get_link

EPS = np.finfo(float).eps

# μ values inside each link's domain, away from the clipping bounds.
MU_GRID = {
    "identity": np.array([-50.0, -1.5, 0.0, 0.3, 7.0, 1e4]),
    "log": np.array([1e-8, 0.01, 0.5, 1.0, 3.0, 1e6]),
    "inverse": np.array([1e-6, 0.01, 0.5, 1.0, 3.0, 1e6]),
    "logit": np.array([1e-10, 0.01, 0.3, 0.5, 0.9, 1 - 1e-10]),
    "probit": np.array([1e-10, 0.01, 0.3, 0.5, 0.9, 1 - 1e-10]),
    "cloglog": np.array([1e-10, 0.01, 0.3, 0.5, 0.9, 1 - 1e-10]),
}

# μ values where central finite differences of g' and g'' are accurate.
MU_FD = {
    "identity": np.array([-2.0, 0.3, 5.0]),
    "log": np.array([0.2, 1.0, 4.0]),
    "inverse": np.array([0.2, 1.0, 4.0]),
    "logit": np.array([0.1, 0.5, 0.8]),
    "probit": np.array([0.1, 0.5, 0.8]),
    "cloglog": np.array([0.1, 0.5, 0.8]),
}


def test_registry_holds_the_six_links():
    assert sorted(LINKS) == ["cloglog", "identity", "inverse", "log", "logit", "probit"]
    assert all(LINKS[name].name == name for name in LINKS)


@pytest.mark.parametrize("name", sorted(MU_GRID))
def test_inverse_undoes_link(name):
    link = get_link(name)
    mu = MU_GRID[name]
    np.testing.assert_allclose(link.inverse(link.link(mu)), mu, rtol=1e-9)


@pytest.mark.parametrize("name", sorted(MU_FD))
def test_link_undoes_inverse(name):
    link = get_link(name)
    eta = link.link(MU_FD[name])
    np.testing.assert_allclose(link.link(link.inverse(eta)), eta, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(MU_FD))
def test_dmu_deta_matches_finite_difference(name):
    link = get_link(name)
    eta, h = link.link(MU_FD[name]), 1e-6
    numeric = (link.inverse(eta + h) - link.inverse(eta - h)) / (2 * h)
    np.testing.assert_allclose(link.dmu_deta(eta), numeric, rtol=1e-6)


@pytest.mark.parametrize("name", sorted(MU_FD))
def test_deta_dmu_matches_finite_difference_and_is_reciprocal(name):
    link = get_link(name)
    mu, h = MU_FD[name], 1e-7
    numeric = (link.link(mu + h) - link.link(mu - h)) / (2 * h)
    np.testing.assert_allclose(link.deta_dmu(mu), numeric, rtol=1e-6)
    np.testing.assert_allclose(link.deta_dmu(mu) * link.dmu_deta(link.link(mu)), 1.0, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(MU_FD))
def test_d2eta_dmu2_matches_finite_difference(name):
    link = get_link(name)
    mu, h = MU_FD[name], 1e-6
    numeric = (link.deta_dmu(mu + h) - link.deta_dmu(mu - h)) / (2 * h)
    np.testing.assert_allclose(link.d2eta_dmu2(mu), numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize(
    ("name", "mu", "eta"),
    [
        ("identity", 2.5, 2.5),
        ("log", np.e, 1.0),
        ("inverse", 4.0, 0.25),
        ("logit", 0.5, 0.0),
        ("logit", 0.75, np.log(3.0)),
        ("probit", 0.975, 1.959963984540054),
        ("cloglog", 1.0 - np.exp(-1.0), 0.0),
    ],
)
def test_textbook_values(name, mu, eta):
    link = get_link(name)
    assert link.link(mu) == pytest.approx(eta, rel=1e-12, abs=1e-14)
    assert link.inverse(eta) == pytest.approx(mu, rel=1e-12)


@pytest.mark.parametrize("name", sorted(LINKS))
def test_extreme_arguments_stay_finite_without_warnings(name):
    link = get_link(name)
    mu = np.array([-1.0, 0.0, 1e-320, 0.5, 1.0, 2.0, 1e308])
    eta = np.array([-1e6, -800.0, -40.0, 0.0, 40.0, 800.0, 1e6])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        values = [
            link.link(mu if name == "identity" else np.abs(mu)),
            link.inverse(eta),
            link.dmu_deta(eta),
            link.deta_dmu(np.abs(mu)),
            link.d2eta_dmu2(np.abs(mu)),
        ]
    for value in values:
        assert np.all(np.isfinite(value))


@pytest.mark.parametrize("name", ["logit", "probit", "cloglog"])
def test_probability_links_clip_like_r(name):
    link = get_link(name)
    np.testing.assert_array_equal(link.inverse([-1e3, 1e3]), [EPS, 1 - EPS])
    assert link.dmu_deta(1e3) == EPS
    np.testing.assert_allclose(link.link([0.0, 1.0]), link.link([EPS, 1 - EPS]))


def test_probit_inverse_is_the_normal_cdf_in_the_tails():
    eta = np.array([-8.0, -3.0, 3.0])
    np.testing.assert_allclose(get_link("probit").inverse(eta), special.ndtr(eta), rtol=1e-14)


def test_cloglog_inverse_is_exact_for_small_exp_eta():
    # 1 - exp(-exp(-30)) computed naively is 0; -expm1 keeps the digits.
    assert get_link("cloglog").inverse(-30.0) == pytest.approx(np.exp(-30.0), rel=1e-12)


def test_get_link_is_case_insensitive():
    assert get_link(" Logit ") is LINKS["logit"]


@pytest.mark.parametrize(
    ("given", "pattern"),
    [
        (
            "logt",
            r"^unknown link 'logt'; expected one of \['cloglog', 'identity', 'inverse', 'log', "
            r"'logit', 'probit'\] \(did you mean 'logit'\?\)$",
        ),
        ("zzz", r"^unknown link 'zzz'; expected one of \[.*'probit'\]$"),
        (3, r"^link must be a string; got 3 \(int\)$"),
    ],
)
def test_get_link_errors(given, pattern):
    with pytest.raises(FamilyError, match=pattern):
        get_link(given)
