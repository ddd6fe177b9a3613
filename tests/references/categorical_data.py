"""Write bayesml/datasets/data/choices.csv (the bundled data set ``choices``): a simulated unordered
response for the categorical family's examples and tests (tests/references/categorical_references.R
fits nnet::multinom to it).

600 rows, three categories (``stay`` — the reference — ``move`` and ``quit``), a continuous input
``x1``, a three-level factor ``x2`` and a grouping factor ``site`` (20 levels) with random
intercepts of SD 0.6 (move) and 0.9 (quit). Run from the repository root:
``python tests/references/categorical_data.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

TRUTH = {
    "move": {"Intercept": -0.4, "x1": 0.8, "x2[b]": 0.5, "x2[c]": -0.3, "sd_site": 0.6},
    "quit": {"Intercept": -1.0, "x1": -0.6, "x2[b]": 0.2, "x2[c]": 0.9, "sd_site": 0.9},
}


def simulate(seed: int = 20261207, n: int = 600, n_sites: int = 20) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.choice(["a", "b", "c"], size=n)
    site = rng.integers(0, n_sites, size=n)
    eta = []
    for truth in TRUTH.values():
        effects = rng.normal(0.0, truth["sd_site"], size=n_sites)
        eta.append(
            truth["Intercept"]
            + truth["x1"] * x1
            + truth["x2[b]"] * (x2 == "b")
            + truth["x2[c]"] * (x2 == "c")
            + effects[site]
        )
    logits = np.column_stack([np.zeros(n), *eta])
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    uniform = rng.random(n)
    codes = (probabilities.cumsum(axis=1) < uniform[:, None]).sum(axis=1)
    labels = np.array(["stay", *TRUTH])[codes]
    return pd.DataFrame(
        {"choice": labels, "x1": x1.round(6), "x2": x2, "site": [f"s{i:02d}" for i in site]}
    )


if __name__ == "__main__":
    target = Path(__file__).resolve().parents[2] / "bayesml" / "datasets" / "data" / "choices.csv"
    simulate().to_csv(target, index=False)
