"""bayesml.plots.smooths and bayesml.plots.conditional_effects: panels, labels, bands, rugs and
the numbers behind them (the smooth curves of bayesml.results.smooths, Model.predict)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import bayesml
from bayesml.errors import ArgumentError, SamplingWarning
from bayesml.results.point import PointEstimates
from bayesml.results.smooths import (
    _normal_matrix,
    point_coefficients,
    smooth_curves,
    smooth_matrix,
    smooth_surfaces,
)

pytest.importorskip("matplotlib")

from matplotlib.collections import LineCollection, PolyCollection  # noqa: E402
from matplotlib.contour import QuadContourSet  # noqa: E402

SMOOTH_FORMULA = 'y ~ s(x0, bs="cr") + s(x2) + z + f + (1 | g)'


def _simulate(n: int = 120, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = pd.DataFrame(
        {
            "x0": rng.uniform(0, 1, n),
            "x2": rng.uniform(0, 1, n),
            "z": rng.normal(size=n),
            "f": rng.choice(["a", "b", "c"], n),
            "g": rng.choice([f"g{i}" for i in range(5)], n),
        }
    )
    effect_f = data["f"].map({"a": 0.0, "b": 0.6, "c": 1.2})
    data["y"] = (
        np.sin(2 * np.pi * data["x0"])
        + 4 * (data["x2"] - 0.5) ** 2
        + 0.4 * data["z"]
        + effect_f
        + rng.normal(0, 0.3, n)
    )
    return data


class _PointFit:
    """A point fit at given estimates (what a backend's result hands to the plots)."""

    def __init__(self, estimates: PointEstimates) -> None:
        self.estimates = estimates

    def point_estimates(self) -> PointEstimates:
        return self.estimates


def _point_fit(model: bayesml.Model, sd: float = 1.0, sigma: float = 0.3) -> _PointFit:
    """The gaussian mixed-model solution at the given SDs and residual SD (every block ``sd``)."""
    design = model.design
    weights = np.full(design.n_obs, 1.0 / sigma**2)
    sds = {block.name: np.array([sd]) for block in design.random}
    columns = sp.hstack([sp.csr_matrix(design.fixed.matrix), *(b.Z for b in design.random)])
    normal = _normal_matrix(design, weights, sds)
    coefficients = spla.spsolve(normal, columns.tocsr().T @ (weights * design.response.y))
    p = len(design.fixed.column_names)
    covariance = np.linalg.inv(normal.toarray())[:p, :p]
    random, start = {}, p
    for block in design.random:
        size = block.n_levels * block.n_terms
        random[block.name] = coefficients[start : start + size].reshape(block.n_levels, -1)
        start += size
    return _PointFit(PointEstimates(coefficients[:p], covariance, random, {"sigma": sigma}, sds))


def _gibbs(model: bayesml.Model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)
        return model.sample(
            "gibbs",
            draws=60,
            tune=60,
            chains=2,
            random_seed=3,
            log_prior=False,
            sampler_kwargs={"cores": 1},
        )


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return _simulate()


@pytest.fixture(scope="module")
def smooth_model(data) -> bayesml.Model:
    return bayesml.Model(SMOOTH_FORMULA, data)


@pytest.fixture(scope="module")
def smooth_posterior(smooth_model):
    return _gibbs(smooth_model)


@pytest.fixture(scope="module")
def plain_model(data) -> bayesml.Model:
    return bayesml.Model("y ~ z * f + (1 | g)", data)


# -- smooths -----------------------------------------------------------------------------------
def _bands(ax) -> list[PolyCollection]:
    return [c for c in ax.collections if type(c) is PolyCollection or "Fill" in type(c).__name__]


def test_smooths_of_a_posterior(smooth_model, smooth_posterior, data) -> None:
    figure = bayesml.plots.smooths(smooth_posterior, model=smooth_model, draws=5)
    axes = figure.axes
    assert len(axes) == 2
    assert [ax.get_xlabel() for ax in axes] == ["x0", "x2"]
    for ax, label in zip(axes, ["s(x0)", "s(x2)"], strict=True):
        assert ax.get_ylabel().startswith(f"{label}, edf ")
        edf = float(ax.get_ylabel().rsplit(" ", 1)[1])
        assert 1.0 < edf < 10.0
        assert len(_bands(ax)) == 1
        (rug,) = [c for c in ax.collections if isinstance(c, LineCollection)]
        assert len(rug.get_segments()) == len(data)
    legend = [text.get_text() for text in axes[0].get_legend().get_texts()]
    assert legend == ["94% interval", "posterior draws", "posterior mean"]
    # the mean line is smooth_curves' posterior mean; five thin draws sit under it
    (curve, _) = smooth_curves(smooth_model.design, smooth_model.family, smooth_posterior)
    lines = axes[0].get_lines()
    assert len([line for line in lines if line.get_linewidth() == 0.5]) == 5
    mean_line = next(line for line in lines if line.get_label() == "posterior mean")
    np.testing.assert_allclose(mean_line.get_ydata(), curve.estimate)
    np.testing.assert_allclose(mean_line.get_xdata(), curve.x)


def test_smooths_of_a_point_fit_label_their_interval(smooth_model) -> None:
    fit = _point_fit(smooth_model)
    figure = bayesml.plots.smooths(fit, model=smooth_model, smooth="s(x2)", ci_prob=0.95, rug=False)
    (ax,) = figure.axes
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == ["95% CI (±1.96 SE)", "estimate"]
    assert not [c for c in ax.collections if isinstance(c, LineCollection)]
    (band,) = _bands(ax)
    (curve,) = smooth_curves(
        smooth_model.design, smooth_model.family, fit, smooth="s(x2)", ci_prob=0.95
    )
    vertices = band.get_paths()[0].vertices
    assert vertices[:, 1].min() == pytest.approx(curve.lower.min())
    assert vertices[:, 1].max() == pytest.approx(curve.upper.max())
    figure = bayesml.plots.smooths(fit, model=smooth_model, smooth="s(x2)", ci_prob=0.8)
    assert figure.axes[0].get_legend().get_texts()[0].get_text() == "80% CI (±1.28 SE)"


def test_smooths_with_a_factor_by_and_a_tensor_product() -> None:
    rng = np.random.default_rng(5)
    n = 150
    data = pd.DataFrame(
        {
            "x": rng.uniform(0, 1, n),
            "w": rng.uniform(0, 1, n),
            "v": rng.normal(size=n),
            "h": rng.choice(["lo", "hi"], n),
        }
    )
    data["y"] = (
        np.where(data["h"] == "lo", np.sin(5 * data["x"]), data["x"])
        + np.sin(3 * data["w"] * data["v"])
        + rng.normal(0, 0.3, n)
    )
    model = bayesml.Model("y ~ h + s(x, by=h) + t2(w, v)", data)
    figure = bayesml.plots.smooths(_point_fit(model), model=model, n_points=20)
    panels = [ax for ax in figure.axes if ax.get_label() != "<colorbar>"]
    assert [ax.get_title() for ax in panels[:2]] == ["s(x):hhi", "s(x):hlo"]
    assert panels[0].get_ylabel().startswith("s(x):hhi, edf ")
    # each level's rug holds that level's rows only
    for ax, level in zip(panels[:2], ["hi", "lo"], strict=True):
        (rug,) = [c for c in ax.collections if isinstance(c, LineCollection)]
        assert len(rug.get_segments()) == int((data["h"] == level).sum())
    surface = panels[2]
    assert surface.get_title().startswith("t2(w,v), edf ")
    assert (surface.get_xlabel(), surface.get_ylabel()) == ("w", "v")
    assert any(isinstance(c, QuadContourSet) for c in surface.collections) or any(
        isinstance(a, QuadContourSet) for a in surface.get_children()
    )
    points = surface.get_lines()[0]
    np.testing.assert_allclose(points.get_xdata(), data["w"])
    assert len(figure.axes) == 4  # three panels and the surface's colour bar
    (computed,) = smooth_surfaces(model.design, model.family, _point_fit(model), n_points=20)
    assert computed.estimate.shape == (20, 20)
    assert computed.x[0] == pytest.approx(data["w"].min())
    assert computed.z[-1] == pytest.approx(data["v"].max())
    # estimate[i, j] is the smooth at (x[j], z[i]): evaluate one grid point by itself
    (fitted,) = [s for s in model.design.smooths if s.label == "t2(w,v)"]
    row = computed.grid.iloc[[0]].assign(w=computed.x[7], v=computed.z[3])
    matrix, positions = smooth_matrix(model.design, fitted, row)
    coefficients = point_coefficients(model.design, _point_fit(model).point_estimates())
    assert computed.estimate[3, 7] == pytest.approx((matrix @ coefficients[positions])[0])


def test_smooths_refuse_bad_input(smooth_model, smooth_posterior, plain_model) -> None:
    with pytest.raises(ArgumentError, match=r"pass model= \(the bayesml.Model"):
        bayesml.plots.smooths(smooth_posterior)
    with pytest.raises(
        ArgumentError, match=r"no smooth 's\(x1\)'; its smooths: 's\(x0\)', 's\(x2\)'"
    ):
        bayesml.plots.smooths(smooth_posterior, model=smooth_model, smooth="s(x1)")
    with pytest.raises(ArgumentError, match="draws=3 overlays posterior curves.*point fit"):
        bayesml.plots.smooths(_point_fit(smooth_model), model=smooth_model, draws=3)
    with pytest.raises(ArgumentError, match=r"draws must be an integer ≥ 0; got -1"):
        bayesml.plots.smooths(smooth_posterior, model=smooth_model, draws=-1)
    with pytest.raises(ArgumentError, match="ci_prob"):
        bayesml.plots.smooths(smooth_posterior, model=smooth_model, ci_prob=1.5)
    with pytest.raises(ArgumentError, match="no smooth terms"):
        bayesml.plots.smooths(_point_fit(plain_model), model=plain_model)


# -- conditional effects -----------------------------------------------------------------------
def test_conditional_effects_of_a_model_without_smooths(plain_model, data) -> None:
    fit = bayesml.hglm("y ~ z * f + (1 | g)", data)
    figure = bayesml.plots.conditional_effects(fit, model=plain_model, ci_prob=0.95)
    assert [ax.get_title() for ax in figure.axes] == ["z", "f", "z:f"]
    z_panel, f_panel, interaction = figure.axes
    assert z_panel.get_ylabel() == "E(y)" and z_panel.get_xlabel() == "z"
    # the line is Model.predict on a grid of z with f at its first level; the band its 95% CI
    grid = pd.DataFrame(
        {
            "z": np.linspace(data["z"].min(), data["z"].max(), 100),
            "f": "a",
            "g": "g0",
            "x0": data["x0"].mean(),
            "x2": data["x2"].mean(),
            "y": data["y"].mean(),
        }
    )
    expected = plain_model.predict(fit, grid, include_random_effects=False)
    line = next(line for line in z_panel.get_lines() if line.get_linewidth() == 1.8)
    np.testing.assert_allclose(line.get_ydata(), expected["estimate"])
    (band,) = _bands(z_panel)
    vertices = band.get_paths()[0].vertices
    assert vertices[:, 1].min() == pytest.approx(expected["lower"].min())
    assert vertices[:, 1].max() == pytest.approx(expected["upper"].max())
    # data points on the numeric panel
    points = next(line for line in z_panel.get_lines() if line.get_marker() == ".")
    np.testing.assert_allclose(points.get_xdata(), data["z"])
    # the factor: a point with an error bar per level
    assert [tick.get_text() for tick in f_panel.get_xticklabels()] == ["a", "b", "c"]
    assert len(f_panel.get_lines()) >= 1
    legend = [text.get_text() for text in f_panel.get_legend().get_texts()]
    assert legend == ["95% CI (Wald)"]
    # the interaction: one line per level of f
    labels = [text.get_text() for text in interaction.get_legend().get_texts()]
    assert labels == ["f = a", "f = b", "f = c"]
    assert len([line for line in interaction.get_lines() if line.get_linewidth() == 1.8]) == 3


def test_conditional_effects_of_a_posterior(smooth_model, smooth_posterior) -> None:
    figure = bayesml.plots.conditional_effects(
        smooth_posterior, model=smooth_model, effects=["f", "x0:f"], kind="linear"
    )
    f_panel, interaction = figure.axes
    assert f_panel.get_ylabel() == "linear predictor (identity link)"
    legend = [text.get_text() for text in f_panel.get_legend().get_texts()]
    assert legend == ["94% interval"]
    assert interaction.get_legend().get_title().get_text() == "94% interval"
    lines = [line for line in interaction.get_lines() if line.get_linewidth() == 1.8]
    assert len(lines) == 3
    # the lines of the levels differ by f's coefficients: parallel curves
    gap = lines[1].get_ydata() - lines[0].get_ydata()
    np.testing.assert_allclose(gap, gap[0], atol=1e-10)


def test_conditional_effects_of_a_smooth_follow_its_curve(smooth_model) -> None:
    fit = _point_fit(smooth_model)
    figure = bayesml.plots.conditional_effects(fit, model=smooth_model, effects="x0", kind="linear")
    line = next(line for line in figure.axes[0].get_lines() if line.get_linewidth() == 1.8)
    (curve,) = smooth_curves(smooth_model.design, smooth_model.family, fit, smooth="s(x0)")
    shift = line.get_ydata() - curve.estimate  # the rest of η at typical values: a constant
    np.testing.assert_allclose(shift, shift[0], atol=1e-8)


def test_population_predictions_of_a_posterior_keep_the_smooths(
    smooth_model, smooth_posterior, data
) -> None:
    """A smooth is population-level: include_random_effects=False leaves out (1 | g), not s(x0)."""
    figure = bayesml.plots.conditional_effects(
        smooth_posterior, model=smooth_model, effects="x0", kind="linear"
    )
    line = next(line for line in figure.axes[0].get_lines() if line.get_linewidth() == 1.8)
    (curve,) = smooth_curves(
        smooth_model.design, smooth_model.family, smooth_posterior, smooth="s(x0)"
    )
    shift = line.get_ydata() - curve.estimate
    np.testing.assert_allclose(shift, shift[0], atol=1e-8)
    # the fitted rows and the same rows as new data agree
    fitted = smooth_model.predict(smooth_posterior, kind="linear", include_random_effects=False)
    new = smooth_model.predict(
        smooth_posterior, data.drop(columns="g"), kind="linear", include_random_effects=False
    )
    np.testing.assert_allclose(fitted.values, new.values, rtol=1e-10)
    beta = smooth_posterior["posterior"]["beta"].mean(("chain", "draw"))
    fixed_only = smooth_model.design.fixed.matrix @ beta.values
    assert np.abs(fitted.mean(("chain", "draw")).values - fixed_only).max() > 0.3


def test_conditional_effects_a_numeric_second_covariate_takes_mean_and_sd(
    plain_model, data
) -> None:
    fit = _point_fit(plain_model)
    figure = bayesml.plots.conditional_effects(fit, model=plain_model, effects=["f:z"])
    labels = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    mean, sd = data["z"].mean(), data["z"].std()
    assert labels == [f"z = {value:.3g}" for value in (mean - sd, mean, mean + sd)]


def test_conditional_effects_refuse_bad_input(plain_model) -> None:
    fit = _point_fit(plain_model)
    with pytest.raises(ArgumentError, match="pass model="):
        bayesml.plots.conditional_effects(fit)
    with pytest.raises(
        ArgumentError, match=r"effects must name covariates of the model \(z, f\).*got 'x9'"
    ):
        bayesml.plots.conditional_effects(fit, model=plain_model, effects=["x9"])
    with pytest.raises(ArgumentError, match=r"got 'g'"):
        bayesml.plots.conditional_effects(fit, model=plain_model, effects="g")
    with pytest.raises(ArgumentError, match=r"kind must be one of \['mean', 'linear'\]"):
        bayesml.plots.conditional_effects(fit, model=plain_model, kind="response")


@pytest.mark.parametrize("method", ["hlik", "laplace"])
def test_smooths_of_real_point_fits(smooth_model, method) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a singular (1 | g) or a slow EQL is not the point here
        fit = smooth_model.fit(method=method)
    figure = bayesml.plots.smooths(fit, model=smooth_model, ci_prob=0.95)
    assert [ax.get_ylabel().split(",")[0] for ax in figure.axes] == ["s(x0)", "s(x2)"]
    for ax in figure.axes:
        assert 1.0 < float(ax.get_ylabel().rsplit(" ", 1)[1]) < 10.0
        (band,) = _bands(ax)
        assert np.ptp(band.get_paths()[0].vertices[:, 1]) > 0.0
    assert figure.axes[0].get_legend().get_texts()[0].get_text() == "95% CI (±1.96 SE)"
