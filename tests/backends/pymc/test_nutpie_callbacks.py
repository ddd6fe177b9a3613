"""The fast nutpie callbacks give what nutpie's own give: values, gradients, return codes, draws."""

from __future__ import annotations

import ctypes

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import pytest

nutpie = pytest.importorskip("nutpie")

import bayesml  # noqa: E402
from bayesml.backends.pymc import nutpie_callbacks  # noqa: E402
from bayesml.backends.pymc.nutpie_callbacks import CHECKED_VERSIONS, fast_callbacks  # noqa: E402


def test_they_apply_exactly_to_the_checked_nutpie_versions():
    import nutpie.compile_pymc as compile_module

    checked = nutpie.__version__.startswith(CHECKED_VERSIONS)
    assert nutpie_callbacks.applies(nutpie, compile_module) == checked


def test_nutpie_is_restored_after_the_block_even_on_error():
    import nutpie.compile_pymc as compile_module

    originals = compile_module._make_c_logp_func, compile_module._make_c_expand_func
    with pytest.raises(RuntimeError, match="inside"), fast_callbacks():
        raise RuntimeError("inside")
    assert (compile_module._make_c_logp_func, compile_module._make_c_expand_func) == originals


def awkward_model() -> pm.Model:
    """Finite, infinite and NaN log densities and gradients, depending on x."""
    with pm.Model() as model:
        x = pm.Normal("x", 0.0, 1.0)
        w = pm.Normal("w", 0.0, 1.0, shape=2)
        pm.Potential("cut", pt.switch(x > 2.0, -np.inf, 0.0))
        pm.Potential("root", pt.switch(x < -2.0, pt.sqrt(x), 0.0) + pt.sum(w * x))
        pm.Deterministic("both", pt.concatenate([x[None], w * 2.0]))
    return model


def call_logp(compiled, point: np.ndarray) -> tuple[int, float, np.ndarray]:
    function = compiled.compiled_logp_func
    n_dim = point.size
    x = np.ascontiguousarray(point, dtype=np.float64)
    gradient = np.zeros(n_dim)
    logp = np.zeros(1)
    pointer = ctypes.POINTER(ctypes.c_double)
    code = function.ctypes(
        n_dim,
        x.ctypes.data_as(pointer),
        gradient.ctypes.data_as(pointer),
        logp.ctypes.data_as(pointer),
        ctypes.c_void_p(compiled.user_data.ctypes.data),
    )
    return code, float(logp[0]), gradient


def call_expand(compiled, point: np.ndarray) -> tuple[int, np.ndarray]:
    function = compiled.compiled_expand_func
    x = np.ascontiguousarray(point, dtype=np.float64)
    out = np.zeros(compiled.n_expanded)
    pointer = ctypes.POINTER(ctypes.c_double)
    code = function.ctypes(
        point.size,
        compiled.n_expanded,
        x.ctypes.data_as(pointer),
        out.ctypes.data_as(pointer),
        ctypes.c_void_p(compiled.user_data.ctypes.data),
    )
    return code, out


def test_callbacks_return_what_nutpies_own_return(monkeypatch):
    model = awkward_model()
    with fast_callbacks() as used:
        fast = nutpie.compile_pymc_model(model)
    own = nutpie.compile_pymc_model(model)
    assert used == nutpie.__version__.startswith(CHECKED_VERSIONS)
    codes = set()
    for x in (0.3, 2.5, -3.0):
        point = np.array([x, 0.4, -1.2])
        fast_code, fast_logp, fast_gradient = call_logp(fast, point)
        own_code, own_logp, own_gradient = call_logp(own, point)
        assert fast_code == own_code
        codes.add(fast_code)
        if fast_code == 0:
            assert fast_logp == own_logp
            np.testing.assert_array_equal(fast_gradient, own_gradient)
        assert call_expand(fast, point)[0] == call_expand(own, point)[0] == 0
        np.testing.assert_array_equal(call_expand(fast, point)[1], call_expand(own, point)[1])
    assert codes == {0, 3, 4}  # finite; NaN gradient; infinite log density


def test_draws_are_identical_with_and_without_them(monkeypatch):
    data = bayesml.datasets.load("bacteria")
    kwargs = dict(draws=100, tune=100, chains=2, random_seed=9, check=False, log_prior=False)

    def fit():
        model = bayesml.Model("y ~ week + (1 | ID)", data, family="bernoulli", success="y")
        return model.sample("nuts", **kwargs)["posterior"]

    fast = fit()
    monkeypatch.setattr(nutpie_callbacks, "applies", lambda *args: False)
    own = fit()
    for name in ("beta", "sd_ID", "u_ID"):
        np.testing.assert_array_equal(fast[name].values, own[name].values)
