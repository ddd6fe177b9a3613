"""How an h-likelihood fit shows itself: the dispersions' repr and the summary in IPython/Jupyter."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import pytest

from bayesml import hglm
from bayesml.backends.hlik import DispersionEstimate


@pytest.fixture(scope="module")
def semiconductor():
    return hglm(
        "y ~ x1 + x3 + x5 + x6 + (1 | Device)",
        "semiconductor",
        family="gamma",
        link="log",
        dispersion_formula="~ x2 + x3",
    )


def test_a_dispersion_model_says_what_it_holds(semiconductor):
    phi = semiconductor.phi
    low, high = phi.values.min(), phi.values.max()
    assert repr(phi) == (
        f"DispersionEstimate(phi, log-linear model with 3 coefficients, 64 fitted values in "
        f"[{low:.4g}, {high:.4g}])"
    )


def test_a_constant_dispersion_shows_its_value_and_whether_it_was_estimated(semiconductor):
    (block,) = semiconductor.lambda_
    value = float(semiconductor.lambda_[block].values[0])
    assert repr(semiconductor.lambda_[block]) == f"DispersionEstimate(Device, {value:.6g}, estimated)"
    fixed = DispersionEstimate("phi", np.ones(5), None, fixed=True)
    assert repr(fixed) == "DispersionEstimate(phi, 1, fixed)"


def test_an_inverse_link_model_is_named_by_its_link():
    coef = pd.DataFrame({"estimate": [0.5, 0.1], "se": [0.1, 0.05]}, index=["Intercept", "car"])
    lam = DispersionEstimate("region", np.array([0.5, 2.0, 1.0]), coef, link="inverse")
    assert repr(lam) == (
        "DispersionEstimate(region, inverse-link model with 2 coefficients, 3 fitted values in "
        "[0.5, 2])"
    )


def test_a_bare_summary_shows_its_text_in_ipython_and_jupyter(semiconductor):
    from IPython.lib.pretty import pretty

    summary = semiconductor.summary()
    assert pretty(summary) == summary.text == str(summary)
    shown = summary._repr_html_()
    assert shown.startswith("<pre>") and shown.endswith("</pre>")
    assert "Pr(&gt;|t|)" in shown and "Pr(>|t|)" not in shown  # escaped
    assert html.unescape(shown.removeprefix("<pre>").removesuffix("</pre>")) == summary.text
