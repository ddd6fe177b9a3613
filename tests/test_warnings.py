"""Every warning bayesml issues points at the user's line (bayesml.errors.warn), and reads right."""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bayesml
from bayesml.errors import PACKAGE_DIR, ConvergenceWarning, SamplingWarning, warn
from bayesml.families import get_family

PACKAGE = Path(bayesml.__file__).resolve().parent


def _small_data() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    group = np.repeat(np.arange(5), 6)
    x = rng.normal(size=30)
    y = 1 + x + rng.normal(size=5)[group] + rng.normal(size=30)
    return pd.DataFrame({"y": y, "x": x, "g": [f"g{i}" for i in group]})


def _warn_calls(path: Path) -> list[int]:
    """Lines of ``warnings.warn(...)`` / ``warnings.warn_explicit(...)`` calls in a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("warn", "warn_explicit")
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "warnings"
    ]


def test_every_warning_goes_through_the_helper():
    direct = {
        str(path.relative_to(PACKAGE)): lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "errors.py" and (lines := _warn_calls(path))
    }
    assert direct == {}, f"use bayesml.errors.warn, not warnings.warn: {direct}"


def test_the_helper_skips_every_frame_of_the_package():
    assert PACKAGE_DIR == f"{PACKAGE}/"
    with pytest.warns(UserWarning, match="^plain$") as record:
        warn("plain")
    assert record[0].filename == __file__


def test_a_sampling_warning_of_model_sample_names_the_callers_file_and_line():
    model = bayesml.Model("y ~ x + (1 | g)", _small_data())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.sample(method="gibbs", draws=30, tune=30, chains=2, random_seed=1)
    sampling = [w for w in caught if issubclass(w.category, SamplingWarning)]
    assert sampling, "30 draws of two chains should fall short of the ESS threshold"
    assert {w.filename for w in sampling} == {__file__}
    source = Path(__file__).read_text(encoding="utf-8").splitlines()
    assert {source[w.lineno - 1].strip()[:13] for w in sampling} == {"model.sample("}


def test_dropped_rows_warn_at_the_models_construction():
    data = _small_data()
    data.loc[3, "x"] = np.nan
    with pytest.warns(UserWarning, match=r"^dropped 1 of 30 rows with missing values") as record:
        bayesml.Model("y ~ x + (1 | g)", data, missing="drop")
    assert record[0].filename == __file__


def test_a_renamed_keyword_warns_at_the_callers_line():
    family = get_family("gamma")
    with pytest.warns(FutureWarning, match=r"variance\(aux=\.\.\.\) is deprecated: the argument is now params") as record:
        family.variance(np.ones(3), aux={"alpha": 2.0})
    assert record[0].filename == __file__


def test_a_convergence_warning_of_model_fit_names_the_callers_file():
    model = bayesml.Model("y ~ x + (1 | g)", _small_data())
    with pytest.warns(ConvergenceWarning, match="did not converge in 1 iteration:") as record:
        model.fit(method="hlik", max_iter=1)
    assert record[0].filename == __file__
