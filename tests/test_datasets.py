"""Bundled data sets: every file registered, row counts as in the data README, column types."""

from importlib import resources

import pandas as pd
import pytest

from bayesml.datasets import DATASETS, list_datasets, load, names
from bayesml.errors import DataError

# rows from /work/shared/data/README.md (header excluded), and bayesml's simulated choices
README_ROWS = {
    "bacteria": 220,
    "seeds": 21,
    "pump": 10,
    "semiconductor": 64,
    "salamander_mating": 360,
    "qtlmas": 1000,
    "lipcancer": 56,
    "lipcancer_neighbours": 56,
    "hglm_sim_seed1234": 100,
    "hglm_sim_seed911": 100,
    "rats": 150,
    "beetles": 8,
    "cbpp": 56,
    "sleepstudy": 180,
    "grouseticks": 403,
    "epil": 236,
    "radon": 919,
    "wine": 72,
    "salamanders": 644,
    "roaches": 262,
    "wells": 3020,
    "choices": 600,  # bayesml's own: simulated by tests/references/categorical_data.py
}

CATEGORICAL = {
    "bacteria": ["y", "ap", "hilo", "ID", "trt"],
    "sleepstudy": ["Subject"],
    "radon": ["county"],
    "cbpp": ["herd", "period"],
    "rats": ["rat"],
    "pump": ["System"],
    "seeds": ["plate", "seed", "extract"],
    "salamander_mating": ["Female", "Male", "TypeF", "TypeM"],
    "semiconductor": ["Device"],
    "grouseticks": ["BROOD", "INDEX", "LOCATION", "YEAR"],
    "choices": ["choice", "x2", "site"],
}

NUMERIC = {
    "bacteria": ["week"],
    "sleepstudy": ["Reaction", "Days"],
    "radon": ["floor", "log_radon", "log_uranium"],
    "cbpp": ["incidence", "size"],
    "rats": ["day", "weight"],
    "pump": ["S", "t", "Gr"],
    "seeds": ["r", "n"],
    "beetles": ["dose", "killed", "n"],
    "semiconductor": ["x1", "x3", "x5", "x6", "y"],
    "salamander_mating": ["Mate"],
}


def test_registry_matches_the_readme_and_the_files():
    assert set(DATASETS) == set(README_ROWS)
    files = {p.name for p in resources.files("bayesml.datasets").joinpath("data").iterdir()}
    assert {info.file for info in DATASETS.values()} == files - {"README.md"}


@pytest.mark.parametrize("name", sorted(README_ROWS))
def test_row_counts(name):
    assert len(load(name)) == README_ROWS[name] == DATASETS[name].rows


@pytest.mark.parametrize(("name", "columns"), sorted(CATEGORICAL.items()))
def test_grouping_and_string_columns_are_categories(name, columns):
    frame = load(name)
    for column in columns:
        assert isinstance(frame[column].dtype, pd.CategoricalDtype), column
        assert not frame[column].isna().any(), column


@pytest.mark.parametrize(("name", "columns"), sorted(NUMERIC.items()))
def test_numeric_columns_stay_numeric(name, columns):
    frame = load(name)
    for column in columns:
        assert pd.api.types.is_numeric_dtype(frame[column].dtype), column


def test_level_order_follows_r():
    bacteria = load("bacteria")
    assert list(bacteria["trt"].cat.categories) == ["placebo", "drug", "drug+"]
    assert list(bacteria["y"].cat.categories) == ["n", "y"]
    # numbers in numeric order, not as text (lme4's cbpp herd levels 1..15)
    assert list(load("cbpp")["herd"].cat.categories) == list(range(1, 16))
    # text with numbers in natural order
    assert list(load("salamanders")["site"].cat.categories[:3]) == ["R-1", "R-2", "R-3"]
    assert load("wine")["rating"].cat.ordered


def test_values_survive_the_conversion():
    sleep = load("sleepstudy")
    assert sleep["Subject"].nunique() == 18
    assert sleep["Reaction"].iloc[0] == pytest.approx(249.56)
    assert load("radon")["county"].nunique() == 85
    assert load("bacteria")["ID"].nunique() == 50


def test_headerless_matrix_and_compressed_file():
    neighbours = load("lipcancer_neighbours")
    assert neighbours.shape == (56, 56)
    assert (neighbours.to_numpy() == neighbours.to_numpy().T).all()
    qtl = load("qtlmas")
    assert {"P265", "Z1", "Z2025", "Z.marker1", "Z.marker90"} <= set(qtl.columns)


def test_list_datasets():
    table = list_datasets()
    assert list(table.columns) == ["name", "rows", "description"]
    assert list(table["name"]) == list(names())
    assert table.set_index("name").loc["rats", "rows"] == 150
    assert table["description"].str.len().gt(10).all()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("ratz", r"unknown data set 'ratz' \(did you mean 'rats'\?\); available: bacteria, "),
        ("zzz", r"unknown data set 'zzz'; available: .*sleepstudy"),
        (3, r"a data set name must be a string, got 3 \(int\)"),
    ],
)
def test_unknown_name(name, message):
    with pytest.raises(DataError, match=message):
        load(name)
