"""Reproducibility (issue 16, item 5): the same seed gives the same draws on every sampling
backend, a saved fit reloads identical, a calibration run's NUTS ranks do not depend on the
number of workers, and the point-estimator path (``bayesml.coverage``) gives the same estimates
serially, in a process pool and on Dask.

The worker-count and Dask checks of the Gibbs path are in ``test_sbc.py``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import bayesml

TINY = {"draws": 150, "tune": 150, "chains": 2}


@pytest.fixture(scope="module")
def model() -> bayesml.Model:
    # the structure of test_sbc.py's model: NUTS reuses its compiled log density
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"g": np.repeat(list("abcde"), 4), "y": rng.normal(size=20)})
    return bayesml.Model(
        "y ~ 1 + (1 | g)",
        frame,
        priors={
            "intercept": {"dist": "normal", "mu": 0, "sigma": 2},
            "sd": {"dist": "half_normal", "sigma": 1},
            "sigma": {"dist": "half_normal", "sigma": 1},
        },
    )


def _sample(model, method, seed):
    # Gibbs chains one after another in this process (no worker processes to start)
    options = {"sampler_kwargs": {"cores": 1}} if method == "gibbs" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bayesml.SamplingWarning)
        return model.sample(method, random_seed=seed, progressbar=False, **TINY, **options)


@pytest.mark.parametrize("method", ["nuts", "gibbs"])
def test_same_seed_same_draws_and_a_saved_fit_reloads_identical(model, method, tmp_path):
    first = _sample(model, method, 5)
    again = _sample(model, method, 5)
    other = _sample(model, method, 6)
    xr.testing.assert_identical(
        first["posterior"].to_dataset().drop_attrs(), again["posterior"].to_dataset().drop_attrs()
    )
    assert not np.array_equal(
        first["posterior"]["sigma"].values, other["posterior"]["sigma"].values
    )

    path = bayesml.save_result(first, tmp_path / "fit.nc")
    loaded = bayesml.load_result(path)
    for group in first.children:
        saved = first[group].to_dataset().drop_attrs()
        reloaded = loaded[group].to_dataset().drop_attrs()
        # object variables (nutpie's divergence messages) are saved as text, as documented
        text = [name for name, values in saved.data_vars.items() if values.dtype == object]
        assert all(reloaded[name].dtype.kind == "U" for name in text)
        xr.testing.assert_identical(reloaded.drop_vars(text), saved.drop_vars(text))
    rebuilt = bayesml.Model.from_result(loaded, data=model.data)
    np.testing.assert_array_equal(
        rebuilt.predict(loaded, kind="mean").values, model.predict(first, kind="mean").values
    )


@pytest.mark.slow
def test_nuts_calibration_ranks_do_not_depend_on_the_workers_or_dask(model):
    def run(workers, **options):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", bayesml.SamplingWarning)
            return bayesml.sbc(
                model,
                n_simulations=4,
                max_workers=workers,
                **options,
                random_seed=9,
                progressbar=False,
                **TINY,
            )

    serial, pooled = run(1), run(2)
    pd.testing.assert_frame_equal(serial.ranks[serial.parameters], pooled.ranks[pooled.parameters])
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = run(None, executor=client.get_executor())
    pd.testing.assert_frame_equal(
        serial.ranks[serial.parameters], on_dask.ranks[on_dask.parameters]
    )


def _coverage(model, **options):
    return bayesml.coverage(
        model,
        true_values={"beta[Intercept]": 0.5, "sd_g[Intercept]": 0.8, "sigma": 1.0},
        n_simulations=6,
        method="laplace",
        random_seed=21,
        progressbar=False,
        **options,
    )


def test_point_estimates_do_not_depend_on_the_workers_or_dask(model):
    """The point-estimator path of the engine: the same seed gives the same simulated data sets
    and so the same estimates and SEs, serially, in a pool of 2 processes and on Dask."""
    distributed = pytest.importorskip("distributed")
    serial = _coverage(model)
    pooled = _coverage(model, max_workers=2)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = _coverage(model, executor=client.get_executor())
    names = ["beta[Intercept]", "sd_g[Intercept]", "sigma"]
    assert serial.estimates[names].notna().all().all()
    for other in (pooled, on_dask):  # the seconds each fit took differ, of course
        pd.testing.assert_frame_equal(other.estimates[names], serial.estimates[names])
        pd.testing.assert_frame_equal(other.standard_errors[names], serial.standard_errors[names])
