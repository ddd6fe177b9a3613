"""The cumulative wine model by ``method="agq", n_nodes=10`` against ``ordinal::clmm(nAGQ = 10)``.

tests/references/ordinal_references.R fits ``rating ~ temp + contact + (1 | judge)`` (ordinal
2022.11.16, logit and probit links). clmm, brms and bayesml share the convention
P(rating ≤ k) = F(θ_k − η): the coefficients and the thresholds compare without a sign change.
Both maximise the same adaptive Gauss–Hermite approximation with 10 nodes, so the estimates agree
to the optimisers' tolerance: coefficients and thresholds to 1e-4 (absolute or relative), the
judges' SD to 1e-3 relative, the log-likelihood to 1e-3.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

import bayesml

CLMM = json.loads(
    (Path(__file__).resolve().parents[1] / "references" / "ordinal_references.json").read_text()
)["clmm"]
LABELS = {"tempwarm": "temp[warm]", "contactyes": "contact[yes]"}


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_wine_agq_10_equals_clmm(link):
    reference = CLMM[link]
    model = bayesml.Model(
        "rating ~ temp + contact + (1 | judge)", "wine", family="cumulative", link=link
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = model.fit(method="agq", n_nodes=10)
    assert result.method == "agq" and result.n_nodes == 10
    for r_name, estimate in reference["beta"].items():
        row = result.fixef.loc[LABELS[r_name]]
        assert row["estimate"] == pytest.approx(estimate, rel=1e-4, abs=1e-4), r_name
        assert row["se"] == pytest.approx(reference["beta_se"][r_name], rel=2e-3), r_name
    cutpoints = result.family_parameters["cutpoints"]
    assert list(cutpoints) == pytest.approx(list(reference["cutpoints"].values()), abs=1e-4)
    assert result.varcorr.loc[0, "sd"] == pytest.approx(reference["sd_judge"], rel=1e-3)
    assert result.loglik == pytest.approx(reference["logLik"], abs=1e-3)
