"""Every spec in models/ runs end to end with `bayesml fit` (short chains; slow: compiles each)."""

from pathlib import Path

import numpy as np
import pytest

from bayesml.cli import main
from bayesml.results_io import load_result

MODELS = sorted((Path(__file__).resolve().parents[1] / "models").glob("*.yaml"))


@pytest.mark.slow
@pytest.mark.parametrize("spec", MODELS, ids=[path.stem for path in MODELS])
def test_every_model_spec_fits(spec, tmp_path, capsys):
    out_file = tmp_path / f"{spec.stem}.nc"
    argv = ["fit", str(spec), "--draws", "100", "--tune", "200", "--chains", "2", "--seed", "3"]
    status = main([*argv, "--out", str(out_file)])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "beta[" in out  # an ordinal model (wine) has cutpoints in place of an intercept
    result = load_result(out_file)
    beta = result["posterior"]["beta"].values
    assert beta.shape[:2] == (2, 100)
    assert np.isfinite(beta).all()
    assert "log_likelihood" in result.children
