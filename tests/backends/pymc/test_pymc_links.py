"""PyTensor inverse links agree with the numpy links and stay finite in the tails."""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from scipy import special

from bayesml.backends.pymc.links import (
    INVERSE_LINKS,
    LOG_ODDS,
    inverse_link,
    log_normal_cdf,
    log_odds,
)
from bayesml.errors import FamilyError
from bayesml.families import LINKS, get_link

ETA = {
    "identity": np.array([-3.0, 0.0, 2.5]),
    "log": np.array([-3.0, 0.0, 2.5]),
    "logit": np.array([-6.0, -0.7, 0.0, 3.0]),
    "probit": np.array([-6.0, -0.7, 0.0, 3.0]),
    "cloglog": np.array([-6.0, -0.7, 0.0, 2.0]),
    "inverse": np.array([0.2, 1.0, 4.0]),
}
TAILS = np.array([-1e3, -60.0, -38.0, -10.0, -1.0, 0.0, 1.0, 10.0, 38.0, 60.0, 1e3])


def _evaluate(build, values):
    x = pt.dvector("x")
    out = build(x)
    function = pytensor.function([x], [out, pytensor.grad(out.sum(), x)])
    return function(values)


def test_registry_covers_every_numpy_link():
    assert set(INVERSE_LINKS) == set(LINKS)
    assert set(LOG_ODDS) == {"logit", "probit", "cloglog"}


@pytest.mark.parametrize("name", sorted(ETA))
def test_inverse_link_matches_numpy(name):
    value, _ = _evaluate(lambda x: inverse_link(name, x), ETA[name])
    np.testing.assert_allclose(value, get_link(name).inverse(ETA[name]), rtol=1e-13)


def test_probit_keeps_its_lower_tail():
    value, _ = _evaluate(lambda x: inverse_link("probit", x), np.array([-30.0, -10.0]))
    np.testing.assert_allclose(value, special.ndtr([-30.0, -10.0]), rtol=1e-12)
    assert value[0] > 0


def test_cloglog_is_exact_where_exp_eta_is_small():
    value, _ = _evaluate(lambda x: inverse_link("cloglog", x), np.array([-40.0]))
    np.testing.assert_allclose(value, np.exp(-40.0), rtol=1e-12)


def test_log_normal_cdf_matches_scipy_with_finite_gradient():
    value, grad = _evaluate(log_normal_cdf, TAILS)
    np.testing.assert_allclose(value, special.log_ndtr(TAILS), rtol=1e-12, atol=1e-300)
    assert np.all(np.isfinite(grad))


@pytest.mark.parametrize("name", sorted(LOG_ODDS))
def test_log_odds_matches_numpy_and_has_finite_gradients(name):
    eta = ETA[name]
    mu = get_link(name).inverse(eta)
    value, _ = _evaluate(lambda x: log_odds(name, x), eta)
    np.testing.assert_allclose(value, np.log(mu) - np.log1p(-mu), rtol=1e-10, atol=1e-12)
    tail_value, tail_grad = _evaluate(lambda x: log_odds(name, x), TAILS[1:-1])
    assert np.all(np.isfinite(tail_value))
    assert np.all(np.isfinite(tail_grad))


def test_probit_log_odds_is_odd_and_right_in_the_tails():
    value, _ = _evaluate(lambda x: log_odds("probit", x), np.array([-40.0, 40.0]))
    np.testing.assert_allclose(value, [special.log_ndtr(-40.0), -special.log_ndtr(-40.0)])


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (
            lambda: inverse_link("logt", pt.dvector()),
            r"^unknown link 'logt'; expected one of \['cloglog', 'identity', 'inverse', 'log', "
            r"'logit', 'probit'\] \(did you mean 'logit'\?\)$",
        ),
        (
            lambda: log_odds("log", pt.dvector()),
            r"^unknown link of a probability 'log'; expected one of \['cloglog', 'logit', "
            r"'probit'\]",
        ),
    ],
)
def test_unknown_link_errors(call, pattern):
    with pytest.raises(FamilyError, match=pattern):
        call()
