"""An applied Bayesian's LKJ vs inverse-Wishart sensitivity run on radon, from the README's own
code (the README block is extracted and run, with short chains)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import bayesml

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_block(marker: str) -> str:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)
    return next(block for block in blocks if marker in block)


def test_lkj_versus_inverse_wishart_from_the_readme(monkeypatch):
    source = _readme_block('"iw": {"cov"')
    source = source.replace("draws=500", "draws=150, tune=150")
    monkeypatch.chdir(README.parent)
    namespace: dict = {"bayesml": bayesml}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bayesml.SamplingWarning)
        exec(compile(source, "README.md", "exec"), namespace)
    run = namespace["run"]
    table = run.configurations.set_index("label")
    assert table.loc["lkj", "cov"] == "lkj(eta=2)"
    assert table.loc["lkj", "sd"] == "half_normal(sigma=1)"
    assert table.loc["iw", "cov"] == "inverse_wishart(nu=3, scale=1)"
    assert table.loc["iw", "sd"] == "implied by inverse_wishart"
    assert set(table["status"]) == {"ok"}
    sds = run.table[run.table["parameter"].str.startswith("sd_county")]
    assert set(sds["configuration"]) == {"lkj", "iw"}
    # both priors give a county intercept SD near the data's (Gelman & Hill: about 0.3-0.35)
    intercept_sd = sds[sds["parameter"] == "sd_county[Intercept]"].set_index("configuration")["mean"]
    assert all(0.15 < value < 0.6 for value in intercept_sd)
