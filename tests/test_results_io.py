"""Saving and loading results as netCDF."""

import numpy as np
import pytest
import xarray as xr
from arviz_base import from_dict

from bayesml import __version__
from bayesml.errors import DataError
from bayesml.results_io import load_result, result_spec, save_result
from bayesml.spec import ModelSpec


@pytest.fixture
def result():
    rng = np.random.default_rng(20240611)
    return from_dict(
        {
            "posterior": {
                "beta": rng.normal(size=(2, 50, 2)),
                "sd_rat": rng.gamma(2.0, size=(2, 50, 1)),
                "sigma": rng.gamma(2.0, size=(2, 50)),
            },
            "sample_stats": {
                "diverging": rng.random((2, 50)) < 0.1,
                "tree_depth": rng.integers(1, 6, size=(2, 50)),
            },
            "observed_data": {"y": rng.normal(size=10)},
        },
        dims={"beta": ["coef"], "sd_rat": ["rat__term"], "y": ["obs"]},
        coords={"coef": ["Intercept", "day"], "rat__term": ["Intercept"]},
    )


@pytest.fixture
def spec():
    return ModelSpec("weight ~ day + (1 | rat)", data="rats", options={"seed": 3})


def test_round_trip_gives_identical_numbers(tmp_path, result, spec):
    path = save_result(result, tmp_path / "fit.nc", spec=spec)
    loaded = load_result(path)
    for group in ("posterior", "sample_stats", "observed_data"):
        xr.testing.assert_identical(
            loaded[group].to_dataset().drop_attrs(), result[group].to_dataset().drop_attrs()
        )
    assert loaded["sample_stats"]["diverging"].dtype == bool
    assert list(loaded["posterior"]["coef"].values) == ["Intercept", "day"]
    assert loaded["posterior"].attrs["creation_library"] == "ArviZ"


def test_root_attributes_hold_spec_and_version(tmp_path, result, spec):
    loaded = load_result(save_result(result, tmp_path / "fit.nc", spec=spec))
    assert loaded.attrs["bayesml_version"] == __version__
    assert loaded.attrs["bayesml_spec"] == spec.to_yaml()
    assert result_spec(loaded) == spec


def test_without_spec_keeps_a_stamped_spec(tmp_path, result, spec):
    result.attrs["bayesml_spec"] = spec.to_yaml()
    loaded = load_result(save_result(result, tmp_path / "fit.nc"))
    assert result_spec(loaded) == spec
    result.attrs.pop("bayesml_spec")
    assert result_spec(load_result(save_result(result, tmp_path / "bare.nc"))) is None


def test_object_variables_are_saved_as_strings(tmp_path, result):
    # nutpie's divergence_message mixes None and text; other objects must not break saving
    messages = np.array([[None, "divergence at step 3", 7, {"a": 1}, None] * 10] * 2, dtype=object)
    result["sample_stats"]["divergence_message"] = xr.DataArray(messages, dims=("chain", "draw"))
    result.attrs["settings"] = {"target_accept": 0.9}
    result.attrs["progressbar"] = False
    loaded = load_result(save_result(result, tmp_path / "fit.nc"))
    saved = loaded["sample_stats"]["divergence_message"].values
    assert list(saved[0, :4]) == ["", "divergence at step 3", "7", "{'a': 1}"]
    assert loaded.attrs["settings"] == '{"target_accept": 0.9}'
    assert loaded.attrs["progressbar"] == 0
    # the result given is left alone
    assert result["sample_stats"]["divergence_message"].dtype == object
    assert result.attrs["progressbar"] is False
    assert "bayesml_version" not in result.attrs


def test_loaded_file_is_closed(tmp_path, result):
    path = tmp_path / "fit.nc"
    loaded = load_result(save_result(result, path))
    save_result(result, path)  # overwriting fails while a reader holds the file open
    assert loaded["posterior"]["sigma"].shape == (2, 50)


def test_errors_name_the_file(tmp_path, result):
    with pytest.raises(DataError, match="result file not found: .*missing.nc"):
        load_result(tmp_path / "missing.nc")
    with pytest.raises(DataError, match="directory .*nowhere does not exist"):
        save_result(result, tmp_path / "nowhere" / "fit.nc")
    bad = tmp_path / "bad.nc"
    bad.write_text("not netCDF")
    with pytest.raises(DataError, match="cannot read result file .*bad.nc"):
        load_result(bad)
