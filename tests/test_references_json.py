"""The reference JSONs under tests/references/ that the R scripts there write.

Every R script has its JSON beside it, naming the script that wrote it; and the maximum-likelihood
references of lme4 (ml_references.json, issue 13) are keyed by the names bayesml gives the same
model: its coefficient labels, grouping factors, terms and level order, so a test compares
numbers without translating names.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bayesml.datasets import load
from bayesml.design import build_design
from bayesml.families import get_family
from bayesml.formula import parse_formula

REFERENCES = Path(__file__).resolve().parent / "references"
SCRIPTS = sorted(REFERENCES.glob("*.R"))
ML = json.loads((REFERENCES / "ml_references.json").read_text())


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_every_r_script_has_its_json(script: Path):
    written = json.loads(script.with_suffix(".json").read_text())
    assert written["generated_by"] == f"tests/references/{script.name}"


def ml_data(name: str) -> pd.DataFrame:
    """The data of a fit as a bayesml user has them (lme4's own data sets from the JSON)."""
    if name in ML["data"]:
        return pd.DataFrame(ML["data"][name])
    data = load(name)
    if name == "epil":  # the row id of the observation-level effect, obs = 0, 1, ...
        data = data.assign(obs=np.arange(len(data)))
    return data


@pytest.mark.parametrize("key", sorted(ML["fits"]))
def test_ml_references_use_bayesml_names(key: str):
    fit = ML["fits"][key]
    design = build_design(
        parse_formula(fit["formula_bayesml"]),
        ml_data(fit["data"]),
        family=get_family(fit["family"]),
    )
    assert design.n_obs == fit["nobs"]
    assert list(fit["fixef"]["estimate"]) == list(design.fixed.column_names)
    assert set(fit["fixef"]["se"]) == set(design.fixed.column_names)
    blocks = {block.name: block for block in design.random}
    assert set(fit["sd"]) == set(blocks) == set(fit["ngrps"]) == set(fit["ranef"])
    for name, block in blocks.items():
        assert set(fit["sd"][name]) == set(block.term_labels)
        assert fit["ngrps"][name] == len(block.levels)
        assert fit["ranef"][name]["levels"] == [str(level) for level in block.levels[:5]]
        assert set(fit["ranef"][name]["mode"]) == set(block.term_labels)
    for name, pairs in fit["corr"].items():
        for pair in pairs:
            assert set(pair.split(":")) <= set(blocks[name].term_labels)
    assert fit["convergence"]["code"] == 0 and not fit["convergence"]["warnings"]
    assert (fit["sigma"] is not None) == (fit["family"] == "gaussian")


def test_ml_references_agq_loglik_relation():
    """At nAGQ > 1 lme4 leaves the saturated binomial log-likelihood out of logLik; with it added
    back it is the marginal log-likelihood that integrate() gives at the same estimates."""
    for key in ("bacteria_agq25", "cbpp_agq25"):
        fit = ML["fits"][key]
        assert fit["logLik_full"] == pytest.approx(fit["logLik"] + fit["saturated_logLik"])
        assert fit["logLik_full"] == pytest.approx(fit["logLik_integrate"], abs=1e-6)
    assert ML["fits"]["bacteria_agq25"]["saturated_logLik"] == 0.0  # 0/1 data
    assert ML["fits"]["cbpp_agq25"]["logLik_full"] == pytest.approx(-91.98337, abs=1e-5)
