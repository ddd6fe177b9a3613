"""Model.fit(method="hlik"): the same model object as the Bayesian backends, hglm's numbers."""

import numpy as np
import pytest

import bayesml


def test_model_fit_reproduces_hglm_on_bacteria():
    """references.md: hglm 2.2-1 EQL, dispersion estimated, default tolerance and stopping rule
    (hglm's; Model.fit's are dispersion="auto" and the fixed point,
    tests/hlik/test_fit_defaults.py and test_convergence.py)."""
    model = bayesml.Model("y ~ week + (1 | ID)", "bacteria", family="binomial")
    fit = model.fit(method="hlik", dispersion="estimate", convergence="hglm")
    np.testing.assert_allclose(fit.fixef["estimate"], [2.30216, -0.13510], rtol=2e-3)
    np.testing.assert_allclose(fit.fixef["se"], [0.33627, 0.04127], rtol=2e-3)
    assert fit.phi.value == pytest.approx(0.7581, rel=2e-3)
    assert fit.lambda_["ID"].value == pytest.approx(1.613, rel=2e-3)
    assert fit.iterations == 14 and fit.converged


def test_model_fit_with_a_dispersion_formula_matches_hglm_on_semiconductor():
    model = bayesml.Model(
        "y ~ x1 + x3 + x5 + x6 + (1 | Device)", "semiconductor", family="gamma", link="log"
    )
    fit = model.fit(dispersion_formula="~ x2 + x3")
    np.testing.assert_allclose(
        fit.fixef["estimate"], [-4.71168, 0.20979, 0.32893, -0.17314, -0.35690], rtol=2e-3
    )
    np.testing.assert_allclose(
        fit.phi.coef["estimate"], [-2.5887, -0.6861, -0.5024], rtol=2e-3
    )


def test_model_fit_and_hglm_agree():
    formula = "S ~ factor(Gr) + (1 | System) + offset(log(t))"
    options = dict(random_family="gamma", dispersion=1)
    by_model = bayesml.Model(formula, "pump", family="poisson").fit(**options)
    by_hglm = bayesml.hglm(formula, "pump", family="poisson", convergence="fixed_point", **options)
    np.testing.assert_allclose(by_model.fixef["estimate"], by_hglm.fixef["estimate"], rtol=1e-12)
    assert by_model.hlik == pytest.approx(-30.72315, rel=2e-3)


def test_model_fit_refuses_unknown_methods():
    model = bayesml.Model("y ~ week + (1 | ID)", "bacteria", family="binomial")
    with pytest.raises(ValueError, match=r"method must be one of \['agq', 'hlik', 'laplace'\]; got method='reml'"):
        model.fit(method="reml")


def test_model_fit_does_not_import_pymc():
    import subprocess
    import sys

    code = (
        "import sys, bayesml\n"
        "bayesml.Model('y ~ week + (1 | ID)', 'bacteria', family='binomial').fit()\n"
        "print('pymc' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
