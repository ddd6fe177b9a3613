"""Centred and non-centred random effects: the choice, the graphs, the initial points, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayesml
from bayesml.backends.pymc.builder import build_pymc_model, coefficient_columns
from bayesml.backends.pymc.start import (
    Start,
    chain_shares,
    check_parameterization,
    choose_parameterization,
    crossed_variance,
    data_share,
    first_rows,
    initial_values,
    level_constant_columns,
    linear_predictor_at,
    nested_with_another,
    nesting_chains,
    parent_levels,
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


def _nested(n_sites: int, plots: int, rows: int, mean: float, seed: int = 2) -> pd.DataFrame:
    """Counts of rows within plots within sites, a site-level covariate and a crossed factor."""
    rng = np.random.default_rng(seed)
    site = np.repeat(np.arange(n_sites), plots * rows)
    plot = np.repeat(np.arange(n_sites * plots), rows)
    height = rng.normal(size=n_sites)[site]
    eta = (
        np.log(mean)
        + 0.3 * height
        + rng.normal(0.0, 0.5, n_sites)[site]
        + rng.normal(0.0, 0.5, n_sites * plots)[plot]
        + rng.normal(0.0, 0.3, len(site))
    )
    return pd.DataFrame(
        {
            "y": rng.poisson(np.exp(eta)),
            "height": height,
            "site": pd.Categorical([f"{j:03d}" for j in site]),
            "plot": pd.Categorical([f"{j:03d}" for j in plot]),
            "obs": pd.Categorical([f"{j:03d}" for j in range(len(site))]),
            "day": pd.Categorical((np.arange(len(site)) % 5).astype(str)),
        }
    )


NESTED = "y ~ height + (1 | site) + (1 | plot) + (1 | obs) + (1 | day)"


def _point(model, sd: float = 0.5) -> Start:
    design = model.design
    estimates = PointEstimates(
        beta=np.array([np.log(np.mean(design.response.y) + 0.5), 0.3]),
        beta_cov=np.eye(2) * 0.01,
        random={block.name: np.zeros((block.n_levels, 1)) for block in design.random},
        sds={block.name: np.array([sd]) for block in design.random},
    )
    return Start(estimates, linear_predictor_at(design, estimates), "laplace")


def test_nesting_chains_follow_the_design():
    model = bayesml.Model(NESTED, _nested(6, 3, 4, 5.0), family="poisson")
    chains = nesting_chains(model.design)
    # obs is nested in plot, plot in site; day is crossed with all three
    assert [[block.name for block in chain] for chain in chains] == [["site", "plot", "obs"]]
    site, plot, obs = chains[0]
    assert np.array_equal(parent_levels(plot, site), np.repeat(np.arange(6), 3))
    assert nested_with_another(plot, model.design)
    # a factor that is the parent of two nested factors heads no chain: plot and a second
    # observation-level factor both nested in site, not in each other
    data = _nested(6, 3, 4, 5.0)
    data["obs2"] = data["obs"]
    two = bayesml.Model("y ~ 1 + (1 | site) + (1 | obs) + (1 | obs2)", data, family="poisson")
    assert nesting_chains(two.design) == []


def test_chain_shares_choose_the_hierarchical_centring_from_the_data():
    """Bottom up: the finest level's information is Σ w_i; a coarser level's is the sum over
    its child levels of 1 / (sd_child² + 1 / I_child); centred where the mean share is > ½."""
    rich = bayesml.Model(NESTED, _nested(6, 3, 4, 40.0), family="poisson")
    start = _point(rich)
    chosen = choose_parameterization("auto", rich.design, rich.family, start)
    assert chosen == {"site": "centered", "plot": "centered", "obs": "centered", "day": "noncentered"}
    site, plot, obs = nesting_chains(rich.design)[0]
    mu = np.exp(start.eta)
    info_obs = np.bincount(obs.group_index, mu, minlength=obs.n_levels)
    info_plot = np.bincount(parent_levels(obs, plot), 1 / (0.25 + 1 / info_obs))
    info_site = np.bincount(parent_levels(plot, site), 1 / (0.25 + 1 / info_plot))
    shares = chain_shares((site, plot, obs), mu, {"site": 0.5, "plot": 0.5, "obs": 0.5})
    for name, info in [("obs", info_obs), ("plot", info_plot), ("site", info_site)]:
        assert shares[name] == pytest.approx(np.mean(info * 0.25 / (1 + info * 0.25)))
    # sparse counts: each observation says little about its own effect (non-centred) while
    # the sites, with 12 rows each, are still well informed
    poor = bayesml.Model(NESTED, _nested(6, 3, 4, 0.5), family="poisson")
    chosen = choose_parameterization("auto", poor.design, poor.family, _point(poor))
    assert chosen["obs"] == "noncentered" and chosen["site"] == "centered"


@pytest.mark.parametrize(
    "chosen",
    [
        {"site": "noncentered", "plot": "centered", "obs": "noncentered"},
        {"site": "centered", "plot": "noncentered", "obs": "centered"},
        {"site": "centered", "plot": "centered", "obs": "centered"},
    ],
)
def test_hierarchical_centring_keeps_the_posterior(chosen):
    """log p_hierarchical(β, sd, v) = log p_noncentred(β, sd, z) − Σ_centred levels · log sd
    where u = v − (the parent's total and the absorbed fixed effects) and z = u / sd: the
    shifts have Jacobian 1, the same posterior for the same (β, sd, u)."""
    rng = np.random.default_rng(5)
    model = bayesml.Model(NESTED, _nested(5, 3, 3, 4.0), family="poisson")
    design, priors, family = model.design, model.priors, model.family
    chosen = {**chosen, "day": "noncentered"}
    hierarchical, _ = build_pymc_model(design, priors, family, parameterization=chosen)
    plain, _ = build_pymc_model(
        design, priors, family, parameterization=dict.fromkeys(chosen, "noncentered")
    )
    free = {var.name for var in hierarchical.free_RVs}
    columns, names = coefficient_columns(design, priors)
    blocks = {block.name: block for block in design.random}
    sds = {"site": 0.6, "plot": 0.4, "obs": 0.3, "day": 0.5}
    u = {name: rng.normal(0.0, sds[name], blocks[name].n_levels) for name in sds}
    point = {name: rng.normal(0.0, 0.3) for name in names}
    point.update({f"_sd_{name}_0": sd for name, sd in sds.items()})
    plain_point = {**point, **{f"_z_{name}_0": u[name] / sds[name] for name in sds}}
    # the hierarchical free variables: the totals down the chain, the intercept and the
    # site-level height absorbed by the coarsest centred block
    coefficients = np.array([point[name] for name in names])
    chain = nesting_chains(design)[0]
    absorbing = next(block for block in chain if chosen[block.name] == "centered")
    absorbed = level_constant_columns(columns, absorbing)
    assert absorbed.all()  # the intercept and height are constant within sites and plots
    hierarchical_point = dict(point)
    total = None
    for depth, block in enumerate(chain):
        total = u[block.name] if depth == 0 else total[parent_levels(block, chain[depth - 1])]
        if depth > 0:
            total = total + u[block.name]
        if block is absorbing:
            total = total + (columns @ coefficients)[first_rows(block)]
        if chosen[block.name] == "noncentered":
            hierarchical_point[f"_z_{block.name}_0"] = u[block.name] / sds[block.name]
        elif f"_v_{block.name}_0" in free:
            hierarchical_point[f"_v_{block.name}_0"] = total
        else:
            hierarchical_point[f"_u_{block.name}_0"] = u[block.name]
    hierarchical_point["_z_day_0"] = u["day"] / sds["day"]
    assert set(hierarchical_point) >= free
    jacobian = sum(blocks[n].n_levels * np.log(sds[n]) for n, c in chosen.items() if c == "centered")
    assert _logp(hierarchical, hierarchical_point) == pytest.approx(
        _logp(plain, plain_point) - jacobian, rel=1e-10
    )


def test_initial_values_of_the_hierarchical_totals():
    """A centred block's initial total is its drawn effect plus its ancestors' and the
    absorbed fixed effects: the effects implied by the initial values are the drawn ones."""
    model = bayesml.Model(NESTED, _nested(5, 3, 3, 4.0), family="poisson")
    design = model.design
    start = _point(model)
    start.estimates.random.update(
        {
            block.name: np.random.default_rng(1).normal(0, 0.3, (block.n_levels, 1))
            for block in design.random
        }
    )
    chosen = {"site": "noncentered", "plot": "centered", "obs": "centered", "day": "noncentered"}
    columns, names = coefficient_columns(design, model.priors)
    values = initial_values(start, design, chosen, columns, names, np.random.default_rng(0))
    assert {"_z_site_0", "_v_plot_0", "_v_obs_0", "_z_day_0"} <= set(values)
    site, plot, obs = nesting_chains(design)[0]
    fixed = (columns @ np.array([values[name] for name in names]))[first_rows(plot)]
    site_u = values["_z_site_0"] * values["_sd_site_0"]
    plot_u = values["_v_plot_0"] - site_u[parent_levels(plot, site)] - fixed
    obs_u = values["_v_obs_0"] - values["_v_plot_0"][parent_levels(obs, plot)]
    # no conditional SDs in the start: the effects are the point fit's
    assert plot_u == pytest.approx(start.estimates.random["plot"][:, 0])
    assert obs_u == pytest.approx(start.estimates.random["obs"][:, 0])


def test_a_lone_factor_is_not_a_chain():
    data = _counts(40, 20.0)
    data["h"] = pd.Categorical((np.arange(len(data)) % 7).astype(str))
    crossed = bayesml.Model("y ~ 1 + (1 | g) + (1 | h)", data, family="poisson")
    assert not any(nested_with_another(block, crossed.design) for block in crossed.design.random)
    assert nesting_chains(crossed.design) == []


def _crossed() -> tuple[bayesml.Model, Start]:
    """Factor a (6 levels × 4 rows) crossed with b (12 levels × 2 rows, in two levels of a),
    Poisson counts with μ = 1 at the point fit, sd_a = 0.581 and a large sd_b."""
    rows = np.arange(24)
    rng = np.random.default_rng(3)
    data = pd.DataFrame(
        {
            "y": rng.poisson(1.0, 24),
            "a": pd.Categorical((rows // 4).astype(str)),
            "b": pd.Categorical((rows % 12).astype(str)),
        }
    )
    model = bayesml.Model("y ~ 1 + (1 | a) + (1 | b)", data, family="poisson")
    design = model.design
    estimates = PointEstimates(
        beta=np.zeros(1),
        beta_cov=np.eye(1) * 0.01,
        random={block.name: np.zeros((block.n_levels, 1)) for block in design.random},
        sds={"a": np.array([0.581]), "b": np.array([10.0])},
    )
    return model, Start(estimates, linear_predictor_at(design, estimates), "laplace")


def test_crossed_factors_count_each_others_uncertainty():
    """A factor crossed with another is centred only where its data dominate with the other
    factor's effects unknown: each row informs it by 1 / (1 / w_i + Σ_k x_ik² c_l), c_l the
    other factor's conditional variance 1 / (I_l + 1 / sd²) at the row's level."""
    model, start = _crossed()
    design = model.design
    a, b = (next(block for block in design.random if block.name == name) for name in "ab")
    w = np.ones(24)  # Poisson, log link, μ = 1
    # b's levels hold 2 rows each: c = 1 / (2 + 1 / 10²) on every row
    variance = crossed_variance(a, design, w, start.estimates.sds)
    assert variance == pytest.approx(np.full(24, 1 / (2 + 0.01)))
    # a's levels hold 4 rows: c = 1 / (4 + 1 / 0.581²) on every row
    assert crossed_variance(b, design, w, start.estimates.sds) == pytest.approx(
        np.full(24, 1 / (4 + 1 / 0.581**2))
    )
    y = design.response.y
    plain = data_share(a, model.family, y, start.eta, np.array([0.581]))
    ratio = 4 * 0.581**2
    assert plain == pytest.approx([ratio / (1 + ratio)])  # 0.574: centred without b
    diluted = data_share(a, model.family, y, start.eta, np.array([0.581]), other_variance=variance)
    ratio = 4 / (1 + 1 / 2.01) * 0.581**2
    assert diluted == pytest.approx([ratio / (1 + ratio)])  # 0.474
    assert choose_parameterization("auto", design, model.family, start) == {
        "a": "noncentered",
        "b": "centered",
    }
    # a lone factor has nothing crossed with it: its share is unchanged
    lone = bayesml.Model("y ~ 1 + (1 | a)", model.data, family="poisson")
    block = lone.design.random[0]
    assert crossed_variance(block, lone.design, w, {"a": np.array([0.581])}) == pytest.approx(
        np.zeros(24)
    )
    # a block without a positive SD at the fit adds nothing
    assert crossed_variance(a, design, w, {"b": np.array([0.0])}) == pytest.approx(np.zeros(24))
