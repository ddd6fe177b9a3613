"""Centred and non-centred random effects: the choice, the graphs, the initial points, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayesml
from bayesml.backends.pymc.builder import build_pymc_model, coefficient_columns
from bayesml.backends.pymc.start import (
    Start,
    check_parameterization,
    choose_parameterization,
    data_share,
    initial_values,
    linear_predictor_at,
    nested_with_another,
)
from bayesml.errors import ArgumentError, ArgumentTypeError, SpecError
from bayesml.results.point import PointEstimates


def _counts(n_per_level: int, mean: float, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(12), n_per_level)
    effects = rng.normal(0.0, 0.5, 12)
    y = rng.poisson(mean * np.exp(effects[groups]))
    return pd.DataFrame({"y": y, "g": pd.Categorical(groups.astype(str))})


def _start(model: bayesml.Model, sd: float) -> Start:
    design = model.design
    block = design.random[0]
    y = np.asarray(design.response.y, dtype=float)
    beta = np.array([np.log(y.mean() + 0.5)])
    estimates = PointEstimates(
        beta=beta,
        beta_cov=np.eye(1) * 0.01,
        random={block.name: np.zeros((block.n_levels, 1))},
        sds={block.name: np.array([sd])},
    )
    return Start(estimates, linear_predictor_at(design, estimates), "laplace")


def test_informative_levels_are_centred_and_weak_ones_not():
    rich = bayesml.Model("y ~ 1 + (1 | g)", _counts(40, 20.0), family="poisson")
    poor = bayesml.Model("y ~ 1 + (1 | g)", _counts(2, 0.3), family="poisson")
    assert choose_parameterization("auto", rich.design, rich.family, _start(rich, 0.5)) == {
        "g": "centered"
    }
    assert choose_parameterization("auto", poor.design, poor.family, _start(poor, 0.5)) == {
        "g": "noncentered"
    }
    # the share is I sd² / (1 + I sd²), I = Σ μ_i over the level's rows for a Poisson log link
    block = rich.design.random[0]
    start = _start(rich, 0.5)
    mu = np.exp(start.eta)
    info = np.bincount(block.group_index, mu)
    expected = np.mean(info * 0.25 / (1 + info * 0.25))
    share = data_share(block, rich.family, rich.design.response.y, start.eta, np.array([0.5]))
    assert share == pytest.approx([expected])


def test_explicit_choices_and_no_fit():
    model = bayesml.Model("y ~ 1 + (1 | g)", _counts(2, 0.3), family="poisson")
    assert choose_parameterization("centered", model.design, model.family, None) == {
        "g": "centered"
    }
    # without a point fit "auto" keeps the non-centred form
    assert choose_parameterization("auto", model.design, model.family, None) == {"g": "noncentered"}
    assert choose_parameterization({"g": "centered"}, model.design, model.family, None) == {
        "g": "centered"
    }


def test_bad_parameterization_is_refused():
    data = _counts(2, 1.0)
    with pytest.raises(ArgumentError, match="parameterization must be one of"):
        check_parameterization("centred")
    with pytest.raises(ArgumentTypeError, match="got int"):
        check_parameterization(3)
    with pytest.raises(ArgumentError, match=r"grouping factor 'h'.*the factors are \['g'\]"):
        bayesml.Model("y ~ 1 + (1 | g)", data, family="poisson", parameterization={"h": "centered"})
    with pytest.raises(SpecError, match="parameterization"):
        bayesml.Model("y ~ 1 + (1 | g)", data, family="poisson", parameterization="centred")
    with pytest.raises(SpecError, match="parameterization"):
        bayesml.Model("y ~ 1 + (1 | g)", data, family="poisson", parameterization={"g": "sideways"})


def _logp(model, point):
    fn = model.compile_logp(jacobian=True)
    start = model.initial_point(0)
    values = {}
    for var in model.free_RVs:
        value_name = model.rvs_to_values[var].name
        if var.name in point:
            value = np.asarray(point[var.name], dtype=float)
            values[value_name] = np.log(value) if value_name.endswith("_log__") else value
        else:
            values[value_name] = start[value_name]
    return float(fn(values))


@pytest.mark.parametrize("formula", ["y ~ 1 + (1 | g)", "y ~ x + (x | g)"])
def test_centred_and_noncentred_graphs_have_one_posterior(formula):
    """log p_centred(u, sd) = log p_noncentred(z = L⁻¹u, sd) − levels · log|L| (the Jacobian of
    u = L z): the same posterior for the same (β, sd, u)."""
    rng = np.random.default_rng(3)
    data = _counts(5, 3.0)
    data["x"] = rng.normal(size=len(data))
    model = bayesml.Model(formula, data, family="poisson")
    design, priors, family = model.design, model.priors, model.family
    block = design.random[0]
    n_terms = len(block.term_labels)
    centred, _ = build_pymc_model(design, priors, family, parameterization={"g": "centered"})
    noncentred, _ = build_pymc_model(design, priors, family, parameterization={"g": "noncentered"})
    sds = np.array([0.7, 0.4])[:n_terms]
    u = rng.normal(0.0, 0.5, size=(block.n_levels, n_terms))
    point = {f"_beta_{j}": 0.2 for j in range(len(design.fixed.column_names))}
    point.update({f"_sd_g_{k}": sds[k] for k in range(n_terms)})
    if n_terms == 1:
        chol = np.diag(sds)
        centred_point = {**point, "_u_g_0": u[:, 0]}
    else:
        free = {var.name for var in centred.free_RVs}
        assert "_u_g" in free and not any(name.startswith("_z_g") for name in free)
        chol = np.diag(sds)
        centred_point = {**point, "_u_g": u}
    z = np.linalg.solve(chol, u.T).T
    noncentred_point = {**point, **{f"_z_g_{k}": z[:, k] for k in range(n_terms)}}
    jacobian = block.n_levels * np.log(np.abs(np.linalg.det(chol)))
    if n_terms > 1:
        # L comes from the LKJ variables at their initial point, shared by both graphs: compare
        # the change of the log density between two values of u (the Jacobian cancels)
        u2 = u * 1.3
        z2 = np.linalg.solve(chol, u2.T).T
        d_centred = _logp(centred, {**centred_point, "_u_g": u2}) - _logp(centred, centred_point)
        d_noncentred = _logp(
            noncentred, {**noncentred_point, **{f"_z_g_{k}": z2[:, k] for k in range(n_terms)}}
        ) - _logp(noncentred, noncentred_point)
        assert d_centred == pytest.approx(d_noncentred, rel=1e-8, abs=1e-8)
        return
    assert _logp(centred, centred_point) == pytest.approx(
        _logp(noncentred, noncentred_point) - jacobian, rel=1e-10
    )


def test_initial_values_reproduce_the_fit_around_its_spread():
    model = bayesml.Model("y ~ 1 + (1 | g)", _counts(5, 3.0), family="poisson")
    start = _start(model, 0.6)
    columns, names = coefficient_columns(model.design, model.priors)
    draws = [
        initial_values(
            start, model.design, {"g": "noncentered"}, columns, names, np.random.default_rng(s)
        )
        for s in range(200)
    ]
    assert set(draws[0]) == {*names, "_sd_g_0", "_z_g_0"}
    # the sampled coefficients give Xβ of the drawn β; β is N(β̂, vcov)
    intercepts = np.array([columns @ np.atleast_1d([d[n] for n in names]) for d in draws])[:, 0]
    assert np.mean(intercepts) == pytest.approx(start.estimates.beta[0], abs=0.03)
    assert np.std(intercepts) == pytest.approx(0.1, rel=0.25)
    sds = np.array([d["_sd_g_0"] for d in draws])
    assert np.median(sds) == pytest.approx(0.6, rel=0.1)
    centred = initial_values(
        start, model.design, {"g": "centered"}, columns, names, np.random.default_rng(0)
    )
    assert "_u_g_0" in centred and "_z_g_0" not in centred
    # same seed, same start
    again = initial_values(
        start, model.design, {"g": "centered"}, columns, names, np.random.default_rng(0)
    )
    assert all(np.array_equal(centred[k], again[k]) for k in centred)


def test_model_graph_follows_the_option():
    data = _counts(3, 2.0)
    model = bayesml.Model("y ~ 1 + (1 | g)", data, family="poisson", parameterization="centered")
    names = {var.name for var in model.pymc_model.free_RVs}
    assert "_u_g_0" in names and "_z_g_0" not in names
    model = bayesml.Model("y ~ 1 + (1 | g)", data, family="poisson", parameterization="noncentered")
    names = {var.name for var in model.pymc_model.free_RVs}
    assert "_z_g_0" in names and "_u_g_0" not in names


def test_nested_factors_stay_noncentred():
    """An observation-level effect is nested in its group: both stay non-centred under auto,
    however informative the data; a lone factor with the same data is centred."""
    data = _counts(40, 20.0)
    data["obs"] = pd.Categorical(np.arange(len(data)).astype(str))
    model = bayesml.Model("y ~ 1 + (1 | g) + (1 | obs)", data, family="poisson")
    assert all(nested_with_another(block, model.design) for block in model.design.random)
    design = model.design
    estimates = PointEstimates(
        beta=np.array([np.log(20.0)]),
        beta_cov=np.eye(1) * 0.01,
        random={block.name: np.zeros((block.n_levels, 1)) for block in design.random},
        sds={block.name: np.array([0.5]) for block in design.random},
    )
    start = Start(estimates, linear_predictor_at(design, estimates), "laplace")
    assert choose_parameterization("auto", design, model.family, start) == {
        "g": "noncentered",
        "obs": "noncentered",
    }
    data["h"] = pd.Categorical((np.arange(len(data)) % 7).astype(str))
    crossed = bayesml.Model("y ~ 1 + (1 | g) + (1 | h)", data, family="poisson")
    assert not any(nested_with_another(block, crossed.design) for block in crossed.design.random)
