"""One compiled log density per model structure: prior and data values are its inputs."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

nutpie = pytest.importorskip("nutpie")

import bayesml  # noqa: E402
from bayesml.backends.pymc import compile_cache  # noqa: E402
from bayesml.backends.pymc.compile_cache import CACHE, compile_nutpie, lift_values  # noqa: E402
from bayesml.backends.pymc.nutpie_callbacks import fast_callbacks  # noqa: E402

SHORT = {"draws": 30, "tune": 30, "chains": 1, "random_seed": 3, "method": "nuts"}


def frame(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = np.repeat(np.arange(6), 8)
    x = rng.normal(size=group.size)
    y = 1.0 + 0.5 * x + rng.normal(size=6)[group] + rng.normal(size=group.size)
    return pd.DataFrame({"y": y, "x": x, "g": [f"g{k}" for k in group]})


def model(sd: dict | None = None, data: pd.DataFrame | None = None, **priors) -> bayesml.Model:
    sd = sd or {"dist": "half_normal", "sigma": 1.0}
    return bayesml.Model(
        "y ~ x + (1 | g)",
        frame() if data is None else data,
        priors={"sd": sd, "fixed": {"dist": "normal", "mu": 0, "sigma": 3.0}, **priors},
    )


def call_logp(compiled, point: np.ndarray) -> tuple[int, float, np.ndarray]:
    """nutpie's C log density callback at ``point``: (return code, log density, gradient)."""
    x = np.ascontiguousarray(point, dtype=np.float64)
    gradient = np.zeros(point.size)
    logp = np.zeros(1)
    pointer = ctypes.POINTER(ctypes.c_double)
    code = compiled.compiled_logp_func.ctypes(
        point.size,
        x.ctypes.data_as(pointer),
        gradient.ctypes.data_as(pointer),
        logp.ctypes.data_as(pointer),
        ctypes.c_void_p(compiled.user_data.ctypes.data),
    )
    return code, float(logp[0]), gradient


def stored(pymc_model) -> list[str]:
    return [var.name for var in pymc_model.free_RVs]


def plain_compile(pymc_model):
    with fast_callbacks():
        return nutpie.compile_pymc_model(pymc_model, var_names=stored(pymc_model))


def cached_compile(pymc_model):
    with fast_callbacks():
        return compile_nutpie(pymc_model, var_names=stored(pymc_model))


@pytest.fixture(autouse=True)
def empty_cache():
    compile_cache.clear_cache()
    yield
    compile_cache.clear_cache()


def same_log_density(first, second, n_dim: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(5):
        point = rng.normal(scale=0.7, size=n_dim)
        code_a, logp_a, grad_a = call_logp(first, point)
        code_b, logp_b, grad_b = call_logp(second, point)
        assert code_a == code_b == 0
        np.testing.assert_allclose(logp_a, logp_b, rtol=1e-10)
        np.testing.assert_allclose(grad_a, grad_b, rtol=1e-9, atol=1e-12)


def test_a_second_fit_with_other_prior_scales_reuses_the_compiled_function():
    model().sample(**SHORT)
    assert (CACHE.stats.hits, CACHE.stats.misses) == (0, 1)
    other = model({"dist": "half_normal", "sigma": 5.0}, fixed={"dist": "normal", "sigma": 0.5})
    other.sample(**SHORT)
    assert (CACHE.stats.hits, CACHE.stats.misses) == (1, 1)


def test_another_prior_family_compiles_anew():
    model().sample(**SHORT)
    model({"dist": "half_cauchy", "sigma": 1.0}).sample(**SHORT)
    assert (CACHE.stats.hits, CACHE.stats.misses) == (0, 2)


def test_new_data_of_the_same_shape_reuse_it_and_another_shape_does_not():
    model().sample(**SHORT)
    model(data=frame(seed=1)).sample(**SHORT)
    assert (CACHE.stats.hits, CACHE.stats.misses) == (1, 1)
    model(data=frame(seed=1).iloc[:-5]).sample(**SHORT)
    assert CACHE.stats.misses == 2


@pytest.mark.parametrize(
    "sd",
    [
        {"dist": "half_normal", "sigma": 2.5},
        {"dist": "half_t", "nu": 4, "sigma": 0.3},
        {"dist": "scaled_inv_chi2", "nu": 3, "s": 2.0},
        {"dist": "exponential", "rate": 0.4},
    ],
)
def test_a_reused_function_has_the_new_models_log_density_and_start(sd):
    first = dict(sd)
    for key in first:
        if key != "dist":
            first[key] = first[key] * 2.0
    cached_compile(model(first).sampling_pymc_model)
    pymc_model = model(sd, data=frame(seed=2)).sampling_pymc_model
    reused = cached_compile(pymc_model)
    assert CACHE.stats.hits == 1
    fresh = plain_compile(pymc_model)
    same_log_density(reused, fresh, fresh.n_dim)
    # the initial points come from the new prior values (same seed: same jitter)
    np.testing.assert_allclose(reused.initial_point_func(7), fresh.initial_point_func(7))


def test_the_lifted_model_keeps_the_log_density_of_a_correlated_model():
    data = frame()
    data["z"] = np.random.default_rng(4).normal(size=len(data))
    pymc_model = bayesml.Model(
        "y ~ x + (1 + z | g)", data, priors={"cov": {"dist": "lkj", "eta": 3.0}}
    ).sampling_pymc_model
    lifted = lift_values(pymc_model)
    assert lifted is not None and lifted.shared
    fresh = plain_compile(pymc_model)
    same_log_density(cached_compile(pymc_model), fresh, fresh.n_dim)


def test_a_model_with_initial_values_is_compiled_without_the_cache():
    pymc_model = model().sampling_pymc_model
    first = pymc_model.free_RVs[0]
    pymc_model.set_initval(first, np.zeros(first.type.shape) + 0.1)
    assert lift_values(pymc_model) is None
    cached_compile(pymc_model)
    assert (CACHE.stats.uncached, CACHE.stats.misses) == (1, 0)


def test_same_seed_and_model_give_the_same_draws_hit_or_miss():
    first = model({"dist": "half_normal", "sigma": 2.0}).sample(**SHORT)
    model().sample(**SHORT)  # the cache now holds the compiled function with other values
    again = model({"dist": "half_normal", "sigma": 2.0}).sample(**SHORT)
    assert CACHE.stats.hits == 2
    np.testing.assert_array_equal(
        first["posterior"]["sd_g"].values, again["posterior"]["sd_g"].values
    )


SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np, pandas as pd
    import bayesml
    from bayesml.backends.pymc.compile_cache import CACHE
    rng = np.random.default_rng(0)
    group = np.repeat(np.arange(6), 8)
    x = rng.normal(size=group.size)
    frame = pd.DataFrame({{"y": x + rng.normal(size=group.size), "x": x, "g": group.astype(str)}})
    prior = {{"sd": {{"dist": "half_normal", "sigma": float(sys.argv[1])}}}}
    model = bayesml.Model("y ~ x + (1 | g)", frame, priors=prior)
    draws = model.sample(draws=30, tune=30, chains=1, random_seed=3, method="nuts")
    print(json.dumps({{**vars(CACHE.stats), "sd": draws["posterior"]["sd_g"].values.tolist()}}))
    """
)


def test_a_second_process_loads_the_compiled_log_density_from_disk(tmp_path):
    script = tmp_path / "fit.py"
    script.write_text(SCRIPT.format())
    env = dict(os.environ)
    env["PYTENSOR_FLAGS"] = f"base_compiledir={tmp_path / 'pytensor'}"
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba")
    env.pop("BAYESML_CACHE_DIR", None)
    counts = []
    # the second process fits other prior values; the third the first one's again; the fourth
    # too, without bayesml's disk cache
    for scale, folder in (("1.0", None), ("4.0", None), ("1.0", None), ("1.0", "")):
        if folder is not None:
            env["BAYESML_CACHE_DIR"] = folder
        done = subprocess.run(
            [sys.executable, str(script), scale],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        counts.append(json.loads(done.stdout.strip().splitlines()[-1]))
    assert counts[0]["misses"] == 1 and counts[0]["disk_hits"] == 0
    assert counts[1]["misses"] == 1 and counts[1]["disk_hits"] == 1
    # the rewritten functions come from bayesml's disk cache, and give the same draws
    assert counts[0]["file_hits"] == 0
    assert counts[1]["file_hits"] == counts[2]["file_hits"] == 1
    assert counts[3]["file_hits"] == 0 and counts[3]["disk_hits"] == 1
    assert len(disk_files(tmp_path / "pytensor" / "bayesml")) == 1
    # (the first process's numba code, compiled rather than loaded from numba's cache, can give
    # draws that differ in the last digits)
    assert counts[2]["sd"] == counts[3]["sd"]
    assert counts[1]["sd"] != counts[2]["sd"]


# -- the disk cache of the rewritten functions ------------------------------------------------


def disk_files(folder) -> list:
    return sorted(folder.glob(f"nutpie-v{compile_cache.DISK_FORMAT}-*.pkl"))


def sd_draws(sd: dict | None = None) -> np.ndarray:
    compile_cache.clear_cache()
    return model(sd).sample(**SHORT)["posterior"]["sd_g"].values


def test_the_disk_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("BAYESML_CACHE_DIR", str(tmp_path / "mine"))
    assert compile_cache.disk_cache_dir() == tmp_path / "mine"
    monkeypatch.setenv("BAYESML_CACHE_DIR", "")
    assert compile_cache.disk_cache_dir() is None
    monkeypatch.delenv("BAYESML_CACHE_DIR")
    import pytensor

    assert compile_cache.disk_cache_dir() == (
        compile_cache.Path(pytensor.config.base_compiledir) / "bayesml"
    )


def test_the_disk_cache_gives_the_same_draws_and_a_bad_file_falls_back(monkeypatch, tmp_path):
    monkeypatch.setenv("BAYESML_CACHE_DIR", "")
    reference = sd_draws()
    assert CACHE.stats.file_hits == 0
    monkeypatch.setenv("BAYESML_CACHE_DIR", str(tmp_path))
    np.testing.assert_array_equal(sd_draws(), reference)  # compiled, and written
    (written,) = disk_files(tmp_path)
    np.testing.assert_array_equal(sd_draws(), reference)  # read back
    assert CACHE.stats.file_hits == 1
    good = written.read_bytes()
    for bad in (b"not a pickle", good[: len(good) // 2]):
        written.write_bytes(bad)
        np.testing.assert_array_equal(sd_draws(), reference)
        assert (CACHE.stats.misses, CACHE.stats.file_hits) == (1, 0)
        np.testing.assert_array_equal(sd_draws(), reference)  # rewritten by the fall-back
        assert CACHE.stats.file_hits == 1
    # another structure's file under this structure's name is never used
    cauchy = {"dist": "half_cauchy", "sigma": 1.0}
    cauchy_reference = sd_draws(cauchy)
    (cauchy_file,) = [path for path in disk_files(tmp_path) if path != written]
    cauchy_file.write_bytes(good)
    np.testing.assert_array_equal(sd_draws(cauchy), cauchy_reference)
    assert CACHE.stats.file_hits == 0


# -- prior draws from one compiled forward sampler per structure ---------------------------------


def prior_draws(sd: dict, seed: int = 5):
    from bayesml.backends.pymc.sampling import sample_prior_predictive

    fitted = model(sd)
    pymc_model, info = fitted._nuts.graph(fitted._inputs, probit_form="marginal")
    return pymc_model, sample_prior_predictive(pymc_model, info, draws=40, random_seed=seed)


def test_prior_draws_are_pymcs_and_reuse_the_sampler_across_prior_values():
    import pymc as pm

    from bayesml.backends.pymc import sampling

    sampling._FORWARD.clear()
    wide = {"dist": "half_normal", "sigma": 4.0}
    for sd in ({"dist": "half_normal", "sigma": 1.0}, wide, {"dist": "half_cauchy", "sigma": 1.0}):
        pymc_model, tree = prior_draws(sd)
        names = list(tree["prior"].data_vars)
        reference = pm.sample_prior_predictive(
            draws=40, model=pymc_model, random_seed=5, var_names=names
        )
        for name in names:
            np.testing.assert_array_equal(
                tree["prior"][name].values, reference["prior"][name].values
            )
    # the half-normal scales share a compiled sampler; the half-Cauchy has its own
    assert len(sampling._FORWARD) == 2
    _, narrow = prior_draws({"dist": "half_normal", "sigma": 1.0})
    _, again = prior_draws(wide)
    assert (
        np.abs(again["prior"]["sd_g"].values).mean()
        > 2 * np.abs(narrow["prior"]["sd_g"].values).mean()
    )
