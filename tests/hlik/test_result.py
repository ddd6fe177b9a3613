"""The result object: tables, diagnostics, summary and serialisation."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bayesml import hglm
from bayesml.backends.hlik import DispersionEstimate, HlikResult

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bacteria():
    return hglm("y ~ week + (1 | ID)", "bacteria", family="binomial")


@pytest.fixture(scope="module")
def pump():
    return hglm(
        "S ~ factor(Gr) + (1 | System) + offset(log(t))",
        "pump",
        family="poisson",
        random_family="gamma",
        dispersion=1,
    )


@pytest.fixture(scope="module")
def semiconductor():
    return hglm(
        "y ~ x1 + x3 + x5 + x6 + (1 | Device)",
        "semiconductor",
        family="gamma",
        link="log",
        dispersion_formula="~ x2 + x3",
    )


def test_fixef_table(bacteria):
    table = bacteria.fixef
    assert list(table.columns) == ["estimate", "se", "t", "p"]
    assert list(table.index) == ["Intercept", "week"]
    np.testing.assert_allclose(table["t"], table["estimate"] / table["se"])
    assert 0 < table.loc["week", "p"] < 0.01
    assert bacteria.df_residual == round(220 - bacteria.leverage[:220].sum())


def test_ranef_on_the_u_scale_with_v_scale_se(pump):
    table = pump.ranef
    assert table.index.names == ["block", "level"]
    assert list(table.index.get_level_values("level")) == [str(i) for i in range(1, 11)]
    np.testing.assert_allclose(table["estimate"], np.exp(pump.v))  # gamma random family: u = exp(v)
    assert np.all(table["se"] > 0)


def test_deviance_and_leverage_cover_all_rows(pump):
    n, q = pump.n_obs, pump.n_random
    assert pump.deviance.shape == pump.leverage.shape == (n + q,)
    u = pump.ranef["estimate"].to_numpy()
    np.testing.assert_allclose(pump.deviance[n:], 2 * (u - 1 - np.log(u)), rtol=1e-10)
    # the leverages are the diagonal of a hat matrix: they add up to p + q
    assert pump.leverage.sum() == pytest.approx(len(pump.fixef) + q, rel=1e-8)
    assert np.all((pump.leverage > 0) & (pump.leverage < 1))
    np.testing.assert_allclose(pump.deviance_residuals() ** 2, pump.deviance[:n])


def test_dispersion_estimates(bacteria, semiconductor, pump):
    phi = bacteria.phi
    assert isinstance(phi, DispersionEstimate) and not phi.fixed and phi.constant
    assert float(phi) == pytest.approx(np.exp(phi.coef.loc["Intercept", "estimate"]))
    assert pump.phi.fixed and pump.phi.coef is None and float(pump.phi) == 1.0
    varying = semiconductor.phi
    assert not varying.constant and varying.values.shape == (64,)
    np.testing.assert_allclose(
        np.log(varying.values),
        np.column_stack(
            [
                np.ones(64),
                *(np.asarray(s) for s in (semiconductor_column("x2"), semiconductor_column("x3"))),
            ]
        )
        @ varying.coef["estimate"].to_numpy(),
    )
    with pytest.raises(
        TypeError, match="phi varies across rows \\(a dispersion model\\); use .values"
    ):
        float(varying)
    assert "log-linear model with 3 coefficients, 64 fitted values in [" in repr(varying)


def semiconductor_column(name):
    from bayesml.datasets import load

    return load("semiconductor")[name].to_numpy(dtype=float)


def test_summary_has_hglms_sections(pump, semiconductor):
    text = str(pump.summary())
    for part in [
        "MEAN MODEL",
        "Summary of the fixed effects estimates:",
        "Estimate",
        "Std. Error",
        "t-value",
        "Pr(>|t|)",
        "Note: P-values are based on",
        "Summary of the random effects estimates",
        "DISPERSION MODEL",
        "Dispersion parameter held constant at: 1",
        "Dispersion parameter for the random effects:",
        "LOG-LIKELIHOODS",
        "h-likelihood: -30.72",
        "Conditional AIC: 51.47",
        "EQL estimation converged in 4 iterations.",
    ]:
        assert part in text, part
    text = str(semiconductor.summary())
    assert "Model estimates for the dispersion term:" in text and "x2" in text
    assert "Dispersion = 1 is used in Gamma model on deviances" in text
    assert repr(semiconductor.summary()) == text


def test_summary_shortens_long_random_effect_lists(bacteria):
    short = str(bacteria.summary())
    assert "X04" not in short and "print_ranef=True" in short
    assert "Z26" in str(bacteria.summary(print_ranef=True))
    assert "LOG-LIKELIHOODS" not in short  # a quasi-likelihood model has none


def test_to_dict_is_json_safe(bacteria, pump):
    for fit in (bacteria, pump):
        data = fit.to_dict()
        text = json.dumps(data, allow_nan=False)
        assert json.loads(text)["iterations"] == fit.iterations
    data = pump.to_dict()
    assert data["likelihoods"]["hlik"] == pytest.approx(pump.hlik)
    assert data["phi"]["fixed"] is True and data["lambda"]["System"]["coef"]["Intercept"]["se"] > 0
    assert len(data["deviance"]) == pump.n_obs + pump.n_random


def test_to_dataframe(semiconductor):
    table = semiconductor.to_dataframe()
    assert list(table.columns) == ["part", "block", "term", "estimate", "se"]
    assert table["part"].tolist() == ["fixed"] * 5 + ["dispersion"] * 3 + ["lambda"]
    full = semiconductor.to_dataframe(include_random=True)
    assert (full["part"] == "random").sum() == 16


def test_repr(bacteria):
    assert repr(bacteria) == (
        "<HlikResult EQL: binomial(logit), 2 fixed effects, 50 random effects in 1 block(s); "
        "converged in 14 iterations>"
    )
    assert isinstance(bacteria, HlikResult)


def test_plot_is_gone_and_names_its_replacement(pump):
    """The diagnostics are drawn by the plots layer, which the backends do not import."""
    assert not hasattr(pump, "plot")
    with pytest.raises(AttributeError, match=r"bayesml\.plots\.hlik_diagnostics\(fit\)"):
        pump.plot()
    with pytest.raises(AttributeError, match=r"^'HlikResult' object has no attribute 'plott'$"):
        pump.plott  # noqa: B018


def test_result_pickles(pump):
    copy = pickle.loads(pickle.dumps(pump))
    pd.testing.assert_frame_equal(copy.fixef, pump.fixef)
    assert copy.summary().text == pump.summary().text


def test_the_backend_imports_neither_pymc_nor_matplotlib():
    code = (
        "import sys\n"
        "from bayesml import hglm\n"
        "hglm('y ~ week + (1 | ID)', 'bacteria', family='binomial').summary()\n"
        "heavy = [m for m in ('pymc', 'pytensor', 'arviz', 'matplotlib') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_ranef_frame_is_a_dataframe(bacteria):
    assert isinstance(bacteria.ranef, pd.DataFrame)
    assert bacteria.ranef.loc["ID"].shape == (50, 2)


def test_diagnostics_label_every_augmented_row():
    fit = hglm("Reaction ~ Days + (Days | Subject)", "sleepstudy")
    table = fit.diagnostics()
    assert len(table) == 180 + 36
    assert table["row"].iloc[:180].eq("data").all()
    # the two blocks of (Days | Subject) alternate level by level in the random rows
    assert table["row"].iloc[180:184].tolist() == ["Subject|Intercept", "Subject|Days"] * 2
    v_days = fit.v[fit.random_blocks == "Subject|Days"]
    np.testing.assert_allclose(v_days, fit.ranef.loc["Subject|Days", "estimate"])
    np.testing.assert_allclose(
        table["deviance"].iloc[180:][table["row"].iloc[180:] == "Subject|Days"], v_days**2
    )
    np.testing.assert_allclose(table["fitted"].iloc[:180], fit.fitted)
    assert table["fitted"].iloc[180:].isna().all()
