"""Resuming a ``save_dir`` sensitivity run (issue 16 item 3): saved fits are read back, not
refitted; failed and unreached configurations are fitted; other settings are refused.

Tiny Gibbs fits of a Gaussian model (no compilation), in this process.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import bayesml
from bayesml.errors import ArgumentError, SamplingWarning
from bayesml.workflows import sensitivity_io, sensitivity_run

TINY = {"draws": 100, "tune": 100, "chains": 2, "random_seed": 7}
GRID = {
    "sigma": {
        "tight": {"dist": "half_normal", "sigma": 0.1},
        "mid": {"dist": "half_normal", "sigma": 1},
        "wide": {"dist": "half_normal", "sigma": 10},
    }
}
#: a coefficient prior so tight that the Gibbs sampler's precision matrix is not finite
BROKEN = {"beta[x]": {"dist": "normal", "mu": 0, "sigma": 1e-300}}
LABELS = ["sigma=tight", "sigma=mid", "sigma=wide"]


def simulate(seed: int = 0, groups: int = 5, per_group: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(groups), per_group)
    x = rng.normal(size=g.size)
    y = 1.0 + x + rng.normal(0, 0.5, groups)[g] + rng.normal(size=g.size)
    return pd.DataFrame({"y": y, "x": x, "g": [f"g{i}" for i in g]})


@pytest.fixture(scope="module")
def model() -> bayesml.Model:
    return bayesml.Model("y ~ x + (1 | g)", simulate())


def run(model, *args, **kwargs):
    """A serial Gibbs run with the short chains' warnings silenced."""
    kwargs = {"method": "gibbs", "max_workers": 1, "prior_predictive": 50, **TINY, **kwargs}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        return bayesml.sensitivity(model, *args, **kwargs)


@pytest.fixture(scope="module")
def uninterrupted(model):
    return run(model, GRID)


@pytest.fixture
def fitted(monkeypatch):
    """The labels fitted (``sensitivity_run._fit`` calls), in order."""
    labels: list[str] = []
    fit = sensitivity_run._fit

    def counting(task):
        labels.append(task.label)
        return fit(task)

    monkeypatch.setattr(sensitivity_run, "_fit", counting)
    return labels


def test_run_interrupted_after_one_fit_resumes_to_the_uninterrupted_result(
    model, uninterrupted, tmp_path, monkeypatch, fitted
):
    add_fit = sensitivity_io.SensitivityWriter.add_fit

    def add_then_interrupt(self, label, result):
        add_fit(self, label, result)
        raise KeyboardInterrupt  # Ctrl-C right after the first fit was saved

    monkeypatch.setattr(sensitivity_io.SensitivityWriter, "add_fit", add_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        run(model, GRID, save_dir=tmp_path)
    assert fitted == LABELS[:1]
    monkeypatch.setattr(sensitivity_io.SensitivityWriter, "add_fit", add_fit)

    resumed = run(model, GRID, save_dir=tmp_path)
    assert fitted == LABELS  # the saved fit was read back, the other two fitted
    pd.testing.assert_frame_equal(resumed.table, uninterrupted.table)
    pd.testing.assert_frame_equal(resumed.prior_predictive, uninterrupted.prior_predictive)
    index = json.loads((tmp_path / "index.json").read_text())
    assert [entry["file"] for entry in index["configurations"]] == [
        f"fits/fit_{i:03d}.nc" for i in range(3)
    ]
    pd.testing.assert_frame_equal(bayesml.load_sensitivity(tmp_path).table, uninterrupted.table)


def test_a_finished_run_is_read_back_whole_and_a_deleted_fit_is_refitted(
    model, uninterrupted, tmp_path, fitted
):
    run(model, GRID, save_dir=tmp_path)
    assert fitted == LABELS
    again = run(model, GRID, save_dir=tmp_path)
    assert fitted == LABELS  # nothing refitted
    pd.testing.assert_frame_equal(again.table, uninterrupted.table)

    (tmp_path / "fits" / "fit_001.nc").unlink()
    (tmp_path / "fits" / "fit_002.nc").write_bytes(b"not a netCDF file")
    repaired = run(model, GRID, save_dir=tmp_path)
    assert fitted == [*LABELS, "sigma=mid", "sigma=wide"]
    pd.testing.assert_frame_equal(repaired.table, uninterrupted.table)


def test_failed_configurations_are_fitted_again_on_resume(model, tmp_path, fitted):
    configurations = {"ok": {"sigma": GRID["sigma"]["mid"]}, "broken": BROKEN}
    first = run(model, configurations=configurations, save_dir=tmp_path)
    assert list(first.errors) == ["broken"]
    resumed = run(model, configurations=configurations, save_dir=tmp_path)
    assert fitted == ["ok", "broken", "broken"]  # the failure is retried, the fit kept
    assert list(resumed.results) == ["ok"]
    assert list(resumed.errors) == ["broken"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"draws": 50}, "fit argument draws was 100, now 50"),
        ({"random_seed": 8}, "fit argument random_seed was 7, now 8"),
        ({"prior_predictive": False}, "prior_draws was 50, now 0"),
        (
            {"priors": {"sigma": {"tight": GRID["sigma"]["tight"]}}},
            "saved configurations not given now: 'sigma=mid', 'sigma=wide'",
        ),
        (
            {"priors": {"sigma": {**GRID["sigma"], "mid": {"dist": "half_normal", "sigma": 2}}}},
            "configurations with other priors: 'sigma=mid'",
        ),
    ],
)
def test_a_run_of_other_settings_is_refused_naming_what_differs(
    model, tmp_path, fitted, change, message
):
    run(model, GRID, save_dir=tmp_path, prior_predictive=50)
    fitted.clear()
    arguments = {"priors": GRID, **change}
    with pytest.raises(ArgumentError, match=f"other settings: .*{message}"):
        run(model, arguments.pop("priors"), save_dir=tmp_path, **arguments)
    assert fitted == []


def test_another_model_data_or_method_is_refused(model, tmp_path):
    one = {"sigma": {"mid": GRID["sigma"]["mid"]}}
    run(model, one, save_dir=tmp_path)
    with pytest.raises(ArgumentError, match=r"method was 'gibbs', now 'nuts'"):
        run(model, one, save_dir=tmp_path, method="nuts")
    other_formula = bayesml.Model("y ~ 1 + (1 | g)", model.data)
    with pytest.raises(ArgumentError, match=r"the model's formula was 'y ~ x \+ \(1 \| g\)'"):
        run(other_formula, one, save_dir=tmp_path)
    other_data = bayesml.Model("y ~ x + (1 | g)", simulate(seed=1))
    with pytest.raises(ArgumentError, match="the data differ"):
        run(other_data, one, save_dir=tmp_path)


def test_a_file_as_save_dir_is_refused(model, tmp_path):
    path = tmp_path / "a-file"
    path.write_text("")
    with pytest.raises(ArgumentError, match="save_dir must be a directory; got the file"):
        run(model, GRID, save_dir=path)
