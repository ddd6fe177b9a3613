"""The model classes hglm handles, checked by consistency between forms and against direct maths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from bayesml import hglm
from bayesml.backends.hlik import fit_hlik
from bayesml.datasets import load
from bayesml.design import build_design
from bayesml.families import get_family
from bayesml.formula import parse_formula


def _estimates(fit):
    return np.concatenate([fit.fixef["estimate"], list(fit.lambda_values.values())])


def test_random_slopes_are_independent_blocks_as_in_the_matrix_form():
    data = load("sleepstudy")
    fit = hglm("Reaction ~ Days + (1 + Days | Subject)", data)
    assert list(fit.lambda_) == ["Subject|Intercept", "Subject|Days"]
    design = build_design(
        parse_formula("Reaction ~ Days + (1 + Days | Subject)"), data, family=get_family("gaussian")
    )
    Z = design.random[0].Z.toarray()
    matrix_fit = hglm(
        y=data["Reaction"],
        X=design.fixed.matrix,
        Z=np.hstack([Z[:, 0::2], Z[:, 1::2]]),
        z_blocks=[18, 18],
    )
    np.testing.assert_allclose(_estimates(matrix_fit), _estimates(fit), rtol=1e-9)
    assert matrix_fit.iterations == fit.iterations


def test_crossed_factors_match_the_matrix_form_with_a_list_of_z():
    data = load("salamander_mating")
    formula = "Mate ~ TypeF * TypeM + (1 | Female) + (1 | Male)"
    fit = hglm(formula, data, family="binomial")
    design = build_design(parse_formula(formula), data, family=get_family("binomial"))
    matrix_fit = hglm(
        y=design.response.y,
        X=design.fixed.matrix,
        Z=[block.Z for block in design.random],
        family="binomial",
    )
    np.testing.assert_allclose(_estimates(matrix_fit), _estimates(fit), rtol=1e-9)


def test_nested_factors():
    rng = np.random.default_rng(4)
    school = np.repeat(np.arange(8), 30)
    klass = np.repeat(np.arange(48), 5)
    y = 2.0 + rng.normal(0, 0.8, 8)[school] + rng.normal(0, 0.5, 48)[klass] + rng.normal(0, 1, 240)
    frame = pd.DataFrame({"y": y, "school": school.astype(str), "klass": klass.astype(str)})
    fit = hglm("y ~ 1 + (1 | school / klass)", frame)
    assert set(fit.lambda_) == {"school", "school:klass"}
    assert fit.converged and all(value > 0 for value in fit.lambda_values.values())


def test_binomial_proportions_with_weights_match_counts():
    data = load("seeds")
    formula_fit = hglm(
        'r/n ~ extract * I(seed == "O73") + (1 | plate)',
        data,
        family="binomial",
        weights="n",
        random_family="beta",
        dispersion=1,
    )
    design = build_design(
        parse_formula('r/n ~ extract * I(seed == "O73") + (1 | plate)'),
        data,
        family=get_family("binomial"),
    )
    matrix_fit = hglm(
        y=data["r"] / data["n"],
        X=design.fixed.matrix,
        Z=design.random[0].Z,
        weights=data["n"],
        family="binomial",
        random_family="beta",
        dispersion=1,
    )
    np.testing.assert_allclose(_estimates(matrix_fit), _estimates(formula_fit), rtol=1e-9)
    np.testing.assert_allclose(matrix_fit.hlik, formula_fit.hlik, rtol=1e-9)


def test_bernoulli_is_binomial_with_one_trial():
    binomial = hglm("y ~ week + (1 | ID)", "bacteria", family="binomial", dispersion=1)
    bernoulli = hglm("y ~ week + (1 | ID)", "bacteria", family="bernoulli", dispersion=1)
    np.testing.assert_allclose(_estimates(bernoulli), _estimates(binomial), rtol=1e-12)
    np.testing.assert_allclose(bernoulli.hlik, binomial.hlik, rtol=1e-12)


def test_offset_argument_equals_formula_offset():
    data = load("pump")
    in_formula = hglm(
        "S ~ factor(Gr) + (1 | System) + offset(log(t))",
        data,
        family="poisson",
        random_family="gamma",
        dispersion=1,
    )
    as_argument = hglm(
        "S ~ factor(Gr) + (1 | System)",
        data,
        family="poisson",
        random_family="gamma",
        dispersion=1,
        offset=np.log(data["t"]),
    )
    np.testing.assert_allclose(_estimates(as_argument), _estimates(in_formula), rtol=1e-12)


def test_gaussian_prior_weights_scale_the_dispersion():
    data = load("sleepstudy").assign(w=2.0)
    plain = hglm("Reaction ~ Days + (1 | Subject)", data, tol=1e-12)
    weighted = hglm("Reaction ~ Days + (1 | Subject)", data, weights="w", tol=1e-12)
    np.testing.assert_allclose(weighted.phi.value, 2 * plain.phi.value, rtol=1e-8)
    np.testing.assert_allclose(_estimates(weighted), _estimates(plain), rtol=1e-8)


@pytest.mark.parametrize("link", ["probit", "cloglog"])
def test_binary_links(link):
    logit = hglm("y ~ week + (1 | ID)", "bacteria", family="binomial", dispersion=1)
    fit = hglm("y ~ week + (1 | ID)", "bacteria", family="binomial", link=link, dispersion=1)
    assert fit.converged and fit.family == f"binomial({link})"
    # the week effect keeps its sign and is smaller on the probit / cloglog scales
    assert -0.14 < fit.fixef.loc["week", "estimate"] < -0.05 > logit.fixef.loc["week", "estimate"]
    assert np.isfinite(fit.hlik)


def test_gamma_inverse_link_and_inverse_gamma_random_effects():
    fit = hglm(
        "y ~ x1 + x3 + x5 + x6 + (1 | Device)", "semiconductor", family="gamma", link="inverse"
    )
    assert fit.converged and fit.fixef.loc["Intercept", "estimate"] > 0  # 1/μ is positive
    for link in ["inverse", "log"]:
        pump = hglm(
            "S ~ factor(Gr) + (1 | System) + offset(log(t))",
            "pump",
            family="poisson",
            random_family=f"inverse_gamma({link})",
            dispersion=1,
        )
        assert pump.converged and pump.random_families == {"System": f"inverse_gamma({link})"}
        assert np.all(pump.ranef["estimate"] > 0)  # u on its own scale


def test_random_family_per_term_by_name():
    rng = np.random.default_rng(9)
    g, h = rng.integers(0, 10, 300), rng.integers(0, 8, 300)
    y = rng.poisson(np.exp(0.5 + rng.normal(0, 0.4, 10)[g]) * rng.gamma(5, 0.2, 8)[h])
    frame = pd.DataFrame({"y": y, "g": g.astype(str), "h": h.astype(str)})
    fit = hglm(
        "y ~ 1 + (1 | g) + (1 | h)",
        frame,
        family="poisson",
        dispersion=1,
        random_family={"h": "gamma"},
    )
    assert fit.random_families == {"g": "gaussian(identity)", "h": "gamma(log)"}
    same = hglm(
        "y ~ 1 + (1 | g) + (1 | h)",
        frame,
        family="poisson",
        dispersion=1,
        random_family=["gaussian", "gamma"],
    )
    np.testing.assert_allclose(_estimates(same), _estimates(fit), rtol=1e-12)


def test_fit_hlik_takes_a_model_design():
    family = get_family("binomial")
    design = build_design(parse_formula("y ~ week + (1 | ID)"), load("bacteria"), family=family)
    fit = fit_hlik(design, family, dispersion="estimate", convergence="hglm")
    np.testing.assert_allclose(fit.fixef["estimate"], [2.30216, -0.13510], rtol=5e-5)
    assert fit.description == "y ~ week + (1 | ID)"
    # its default is Model.fit's, dispersion="auto": phi = 1 for the binomial
    assert fit_hlik(design, family).phi.fixed


# -- correlated random effects ----------------------------------------------------------------
def test_identity_covariance_is_the_iid_model_and_scaling_it_scales_lambda():
    data = load("pump")
    formula = "S ~ factor(Gr) + (1 | System) + offset(log(t))"
    iid = hglm(formula, data, family="poisson", dispersion=1, tol=1e-10)
    identity = hglm(
        formula, data, family="poisson", dispersion=1, tol=1e-10, covariance={"System": np.eye(10)}
    )
    doubled = hglm(
        formula,
        data,
        family="poisson",
        dispersion=1,
        tol=1e-10,
        covariance={"System": 2 * np.eye(10)},
    )
    np.testing.assert_allclose(identity.fixef["estimate"], iid.fixef["estimate"], rtol=1e-10)
    # the scaled model starts elsewhere, so it meets the same fixed point along another path
    np.testing.assert_allclose(doubled.fixef["estimate"], iid.fixef["estimate"], rtol=1e-5)
    np.testing.assert_allclose(
        doubled.lambda_values["System"], iid.lambda_values["System"] / 2, rtol=1e-5
    )
    np.testing.assert_allclose(
        doubled.ranef["estimate"], iid.ranef["estimate"], rtol=1e-5, atol=1e-8
    )
    np.testing.assert_allclose(doubled.ranef["se"], iid.ranef["se"], rtol=1e-5)


def test_covariance_given_as_a_labelled_frame_is_reordered_by_level():
    data = load("pump")
    rng = np.random.default_rng(1)
    a = rng.normal(size=(10, 10))
    cov = a @ a.T / 10 + np.eye(10)
    labels = [str(level) for level in range(1, 11)]
    frame = pd.DataFrame(cov, index=labels, columns=labels)
    shuffled = frame.iloc[::-1, ::-1]
    formula = "S ~ factor(Gr) + (1 | System) + offset(log(t))"
    fit_array = hglm(formula, data, family="poisson", dispersion=1, covariance={"System": cov})
    fit_frame = hglm(formula, data, family="poisson", dispersion=1, covariance={"System": shuffled})
    np.testing.assert_allclose(_estimates(fit_frame), _estimates(fit_array), rtol=1e-10)


@pytest.fixture(scope="module")
def lipcancer():
    labels = [str(i) for i in range(1, 57)]
    data = load("lipcancer").assign(district=labels)
    neighbours = load("lipcancer_neighbours").to_numpy(dtype=float)
    # string levels sort as "1", "10", "11", ...: label the matrix so it is matched by level
    frame = pd.DataFrame(neighbours, index=labels, columns=labels)
    fit = hglm(
        "O ~ Paff + (1 | district) + offset(log(E))",
        data,
        family="poisson",
        dispersion=1,
        car={"district": frame},
        tol=1e-10,
    )
    return data, neighbours, fit


def test_car_lambda_follows_tau_and_rho(lipcancer):
    _, neighbours, fit = lipcancer
    delta = np.sort(np.linalg.eigvalsh(neighbours))[::-1]
    tau, rho = fit.car["district"]["tau"], fit.car["district"]["rho"]
    np.testing.assert_allclose(
        1 / fit.lambda_["district"].values, (1 - rho * delta) / tau, rtol=1e-10
    )
    assert 0 < rho < 1 / delta.max() and tau > 0
    assert list(fit.lambda_["district"].coef.index) == ["1/tau", "-rho/tau"]


def test_car_fit_is_the_penalised_fit_with_the_car_covariance(lipcancer):
    data, neighbours, fit = lipcancer
    tau, rho = fit.car["district"]["tau"], fit.car["district"]["rho"]
    precision = (np.eye(56) - rho * neighbours) / tau
    X = np.column_stack([np.ones(56), data["Paff"]])
    offset, y = np.log(data["E"].to_numpy()), data["O"].to_numpy()
    beta, u = np.zeros(2), np.zeros(56)
    for _ in range(50):  # Newton on Σ [y η − exp η] − u'Qu/2
        mu = np.exp(X @ beta + u + offset)
        gradient = np.concatenate([X.T @ (y - mu), (y - mu) - precision @ u])
        T = np.hstack([X, np.eye(56)])
        hessian = T.T @ (mu[:, None] * T)
        hessian[2:, 2:] += precision
        step = np.linalg.solve(hessian, gradient)
        beta, u = beta + step[:2], u + step[2:]
    np.testing.assert_allclose(fit.fixef["estimate"], beta, rtol=1e-5)
    # (β, u) come from the last solve, at the (τ, ρ) one dispersion update before the reported ones
    np.testing.assert_allclose(
        fit.ranef.loc["district", "estimate"].loc[[str(i) for i in range(1, 57)]], u, atol=5e-5
    )


def test_matrix_form_sparse_and_dense_z_agree():
    data = load("hglm_sim_seed1234")
    Z = np.eye(5)[data["cluster"].cat.codes.to_numpy()]
    dense = hglm(y=data["y"], Z=Z)
    sparse = hglm(y=data["y"], Z=sp.csr_matrix(Z))
    frame = hglm(y=data["y"], Z=pd.DataFrame(Z, columns=[f"c{i}" for i in range(5)]))
    np.testing.assert_allclose(_estimates(sparse), _estimates(dense), rtol=1e-12)
    np.testing.assert_allclose(_estimates(frame), _estimates(dense), rtol=1e-12)
    assert list(frame.ranef.index.get_level_values("level")) == [f"c{i}" for i in range(5)]


def test_fit_hlik_with_a_dispersion_design_from_a_one_sided_formula():
    from bayesml.design import one_sided_design

    data = load("semiconductor")
    family = get_family("gamma", "log")
    design = build_design(
        parse_formula("y ~ x1 + x3 + x5 + x6 + (1 | Device)"), data, family=family
    )
    disp = one_sided_design("~ x2 + x3", data, row_labels=design.row_labels)
    assert disp.column_names == ("Intercept", "x2", "x3")
    fit = fit_hlik(design, family, dispersion_design=disp)
    reference = hglm(
        "y ~ x1 + x3 + x5 + x6 + (1 | Device)",
        data,
        family="gamma",
        link="log",
        dispersion_formula="~ x2 + x3",
        convergence="fixed_point",
    )
    np.testing.assert_allclose(_estimates(fit), _estimates(reference), rtol=1e-12)
    np.testing.assert_allclose(fit.phi.coef["estimate"], reference.phi.coef["estimate"], rtol=1e-12)
