"""Predictive checks for each kind of response: the check ppc picks, the numbers the calibration
plot draws (against the data and against ArviZ's PAVA), the rootogram, and prior predictive checks
on the data's scale."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("arviz_plots")

from bayesml import plots  # noqa: E402
from bayesml.plots.predictive import calibration_points  # noqa: E402
from tests.plots._helpers import panels, texts  # noqa: E402


def _observed(tree) -> np.ndarray:
    (values,) = tree["observed_data"].to_dataset().data_vars.values()
    return np.asarray(values.values, dtype=float)


def _replicated(tree, group="posterior_predictive") -> np.ndarray:
    (values,) = tree[group].to_dataset().data_vars.values()
    return np.asarray(values.values, dtype=float).reshape(-1, values.shape[-1])


# -- which kind, which check ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fixture", "kind", "title"),
    [
        ("binary_result", "binary", "Calibration of b, PAVA"),
        ("binomial_result", "proportion", "Calibration of s, PAVA"),
        ("count_result", "count", "y"),
        ("result", "continuous", "y"),
    ],
)
def test_ppc_picks_the_check_of_the_response(request, binomial_model, fixture, kind, title):
    tree = request.getfixturevalue(fixture)
    model = binomial_model if kind == "proportion" else None  # its trials: fitted on a DataFrame
    assert plots.response_kind(tree, model=model) == kind
    pc = plots.ppc(tree, model=model)
    assert len(panels(pc)) == 1
    figure = plots.figure_of(pc)
    assert figure.axes[0].get_title() == title
    assert figure.legends  # what the colours mean, outside the panel
    assert not [text for text in texts(figure) if "__" in text]


@pytest.mark.filterwarnings("ignore:Variables b in:UserWarning")  # ArviZ: "look binary"
def test_ppc_check_names_a_check(binary_result):
    pc = plots.ppc(binary_result, check="density", num_samples=5)
    assert len(plots.figure_of(pc).axes[0].lines) == 5 + 1  # 5 replicated, the observed
    with pytest.raises(ValueError, match=r"check must be one of \['auto', 'density', .*got 'pava'"):
        plots.ppc(binary_result, check="pava")


def test_density_check_of_continuous_data(result):
    pc = plots.ppc(result, num_samples=10)
    figure = plots.figure_of(pc)
    assert len(figure.axes[0].lines) == 10 + 1
    assert figure.axes[0].get_xlabel() == "y"
    assert [t.get_text() for t in figure.legends[0].get_texts()] == [
        "observed",
        "posterior predictive data sets",
    ]


def test_a_result_without_a_spec_is_judged_by_its_values(binary_result, count_result, result):
    for tree, kind in ((binary_result, "binary"), (count_result, "count"), (result, "continuous")):
        bare = tree.copy()
        bare.attrs = {}
        assert plots.response_kind(bare) == kind


def test_binomial_with_single_trials_is_binary(proportions):
    import bayesml

    model = bayesml.Model("b ~ x", proportions, family="binomial", link="probit")
    tree = model.sample_prior(draws=20, random_seed=1)
    assert plots.response_kind(tree, model=model) == "binary"


# -- calibration ----------------------------------------------------------------------------------
def test_binned_calibration_shows_the_data(binomial_result, binomial_model):
    y = _observed(binomial_result)
    trials = binomial_model.design.response.trials
    pc = plots.calibration(binomial_result, model=binomial_model, method="bins", bins=4)
    ax = plots.figure_of(pc).axes[0]
    observed = next(line for line in ax.lines if line.get_label() == "observed")
    replicated = _replicated(binomial_result)
    table = calibration_points(y, replicated, trials, method="bins", bins=4)
    np.testing.assert_allclose(observed.get_ydata(), table["observed"])
    # each bin's observed proportion is the data's: successes over trials of its rows
    predicted = (replicated / trials).mean(axis=0)
    order = np.argsort(predicted, kind="stable")
    share = (np.cumsum(trials[order]) - trials[order]) / trials.sum()
    bins = np.empty(y.size, int)
    bins[order] = (share * 4).astype(int)
    expected = sorted(
        (
            (trials[bins == b] * predicted[bins == b]).sum() / trials[bins == b].sum(),
            y[bins == b].sum() / trials[bins == b].sum(),
        )
        for b in range(4)
    )
    np.testing.assert_allclose(table[["predicted", "observed"]].to_numpy(), expected)
    assert table["trials"].sum() == trials.sum() and table["rows"].sum() == y.size
    # about equal numbers of trials per bin
    assert table["trials"].max() - table["trials"].min() <= 2 * trials.max()


def test_calibration_by_group_column(binomial_result, binomial_model, proportions):
    pc = plots.calibration(binomial_result, groups="g", model=binomial_model)
    ax = plots.figure_of(pc).axes[0]
    assert ax.get_title() == "Calibration of s, by g"
    assert sorted(t.get_text() for t in ax.texts) == [f"g g{i}" for i in range(6)]
    table = calibration_points(
        _observed(binomial_result),
        _replicated(binomial_result),
        proportions["n"].to_numpy(),
        method="groups",
        groups=proportions["g"].to_numpy(),
    )
    by_group = proportions.groupby("g")[["s", "n"]].sum()
    expected = (by_group["s"] / by_group["n"]).reindex(table["label"]).to_numpy()
    np.testing.assert_allclose(table["observed"], expected)
    assert ((table["lower"] <= table["upper"]) & (table["lower"] >= 0)).all()


def test_pava_of_binary_data_matches_arviz():
    """With single trials and distinct predictions the weighted PAVA is ArviZ's plot_ppc_pava
    (arviz_stats.isotonic_fit)."""
    import xarray as xr
    from arviz_stats.helper_stats import isotonic_fit

    rng = np.random.default_rng(8)
    p = rng.uniform(0.05, 0.95, 30)
    replicated = rng.binomial(1, p, size=(2, 500, 30))
    y = rng.binomial(1, p)
    assert np.unique(replicated.mean(axis=(0, 1))).size == 30  # no ties
    tree = xr.DataTree.from_dict(
        {
            "posterior_predictive": xr.Dataset({"b": (("chain", "draw", "obs"), replicated)}),
            "observed_data": xr.Dataset({"b": ("obs", y)}),
        }
    )
    table = calibration_points(y, replicated.reshape(1000, 30), ci_prob=0.9)
    forecast, cep, lower, upper = isotonic_fit(tree, None, "posterior_predictive", 0.9)["b"].values
    np.testing.assert_allclose(table["predicted"], forecast)
    np.testing.assert_allclose(table["observed"], cep)
    np.testing.assert_allclose(table["lower"], lower)
    np.testing.assert_allclose(table["upper"], upper)


def test_pava_pools_equal_predictions(binary_result):
    y, replicated = _observed(binary_result), _replicated(binary_result)
    table = calibration_points(y, replicated)
    predicted = replicated.mean(axis=0)
    assert table["predicted"].tolist() == sorted(set(predicted))
    assert table["rows"].sum() == y.size
    first = predicted == table["predicted"].iloc[0]
    assert table["trials"].iloc[0] == first.sum()
    assert np.all(np.diff(table["observed"]) >= -1e-12)  # monotone
    assert ((table["lower"] <= table["upper"]) & (table["upper"] <= 1)).all()


def test_weighted_pava_equals_pava_of_the_expanded_trials():
    """A binomial row of n trials counts as n Bernoulli rows with the same prediction."""
    from scipy.optimize import isotonic_regression

    rng = np.random.default_rng(3)
    trials = rng.integers(1, 6, size=12).astype(float)
    p = np.sort(rng.uniform(0.1, 0.9, 12))
    y = rng.binomial(trials.astype(int), p).astype(float)
    replicated = rng.binomial(trials.astype(int), p, size=(2000, 12)).astype(float)
    table = calibration_points(y, replicated, trials)
    predicted = (replicated / trials).mean(axis=0)
    assert np.unique(predicted).size == 12
    order = np.argsort(predicted)
    expanded = np.concatenate(
        [np.r_[np.ones(int(y[i])), np.zeros(int(trials[i] - y[i]))] for i in order]
    )
    fit = isotonic_regression(expanded).x
    ends = np.cumsum(trials[order]).astype(int) - 1
    np.testing.assert_allclose(table["observed"], fit[ends])


def test_calibration_refuses_other_responses(result, count_result):
    with pytest.raises(
        ValueError, match=r"calibration draws binary and binomial.*'y' is continuous"
    ):
        plots.calibration(result)
    with pytest.raises(ValueError, match=r"'y' is count"):
        plots.ppc(count_result, check="calibration")


def test_binomial_without_trials_asks_for_the_model(binomial_result, binomial_model):
    with pytest.raises(ValueError, match=r"needs its numbers of trials.*pass model="):
        plots.calibration(binomial_result)  # fitted on a DataFrame: the spec names no data
    pc = plots.calibration(binomial_result, model=binomial_model)
    assert panels(pc) == {"s": 1}


def test_calibration_argument_errors(binomial_result, binomial_model):
    with pytest.raises(ValueError, match="bins must be a positive integer; got 0"):
        plots.calibration(binomial_result, model=binomial_model, method="bins", bins=0)
    with pytest.raises(ValueError, match=r"groups='herd' is not a column of the model's data"):
        plots.calibration(binomial_result, model=binomial_model, groups="herd")
    with pytest.raises(ValueError, match=r"a label per row \(48\); got shape \(3,\)"):
        plots.calibration(binomial_result, model=binomial_model, groups=["a", "b", "c"])
    with pytest.raises(ValueError, match=r"method must be 'pava', 'bins' or 'groups'"):
        plots.calibration(binomial_result, model=binomial_model, method="isotonic")


def test_calibration_of_a_bundled_data_set_needs_no_model():
    """A spec that names its data (here cbpp) gives the trials by itself."""
    import xarray as xr

    import bayesml

    model = bayesml.Model.from_spec("models/cbpp.yaml")
    trials = model.design.response.trials
    rng = np.random.default_rng(0)
    replicated = rng.binomial(trials.astype(int), 0.1, size=(1, 30, trials.size))
    tree = xr.DataTree.from_dict(
        {
            "posterior_predictive": xr.Dataset(
                {"incidence": (("chain", "draw", "obs"), replicated)}
            ),
            "observed_data": xr.Dataset({"incidence": ("obs", model.design.response.y)}),
        }
    )
    tree.attrs["bayesml_spec"] = model.spec.to_yaml()
    assert plots.response_kind(tree) == "proportion"
    assert panels(plots.ppc(tree)) == {"incidence": 1}


# -- rootogram ------------------------------------------------------------------------------------
def test_rootogram_of_counts(count_result):
    pc = plots.rootogram(count_result, ci_prob=0.8)
    figure = plots.figure_of(pc)
    ax = figure.axes[0]
    assert ax.get_xlabel() == "y (count)"
    assert "square-root" in ax.get_ylabel()
    assert [t.get_text() for t in figure.legends[0].get_texts()] == [
        "observed",
        "predicted, 80% interval",
    ]


def test_rootogram_refuses_non_counts(result):
    with pytest.raises(ValueError, match=r"rootogram draws counts"):
        plots.rootogram(result)


# -- prior predictive checks ----------------------------------------------------------------------
def test_prior_predictive_check_of_continuous_data_is_on_the_data_scale(result):
    pc = plots.prior_predictive_check(result)
    assert panels(pc) == {"y": 1, "mean(y)": 1}
    figure = plots.figure_of(pc)
    values, means = figure.axes
    y = _observed(result)
    spread = y.max() - y.min()
    assert values.get_xlim() == pytest.approx((y.min() - spread / 2, y.max() + spread / 2))
    replicated = _replicated(result, "prior_predictive")
    outside = np.mean((replicated < y.min() - spread / 2) | (replicated > y.max() + spread / 2))
    label = values.get_xlabel().replace("\n", " ")
    assert f"{100 * outside:.0f}% of prior predictive values lie outside" in label
    assert "axis clipped to the observed range ± 50 %" in label
    # the observed histogram (the black steps): the data's share per bin over the bin widths
    heights, edges, _ = values.patches[-1].get_data()
    np.testing.assert_allclose(heights, np.histogram(y, edges)[0] / (y.size * np.diff(edges)))
    assert means.lines[0].get_xdata()[0] == pytest.approx(y.mean())
    assert figure._suptitle.get_text() == "Prior predictive check of y"


def test_prior_predictive_check_of_counts_clips_and_logs(count_result):
    pc = plots.prior_predictive_check(count_result)
    values, means = plots.figure_of(pc).axes
    y = _observed(count_result)
    low, high = values.get_xlim()
    assert low == pytest.approx(-0.5) and high <= y.max() * 1.5 + 5
    assert means.get_xscale() == "log"  # means from e^-16 to e^24: a log axis
    assert "log axis: 1st–99th percentile" in means.get_xlabel().replace("\n", " ")


def test_prior_predictive_check_of_binary_and_binomial(
    binary_result, binomial_result, binomial_model
):
    pc = plots.prior_predictive_check(binary_result)
    assert panels(pc) == {"proportion(b)": 1}
    ax = plots.figure_of(pc).axes[0]
    assert ax.get_xlim() == (0.0, 1.0)
    assert ax.lines[0].get_xdata()[0] == pytest.approx(_observed(binary_result).mean())
    pc = plots.prior_predictive_check(binomial_result, model=binomial_model)
    assert panels(pc) == {"s": 1, "proportion(s)": 1}
    trials = binomial_model.design.response.trials
    total = plots.figure_of(pc).axes[1]
    assert total.lines[0].get_xdata()[0] == pytest.approx(
        _observed(binomial_result).sum() / trials.sum()
    )


def test_prior_predictive_check_ci_prob(result):
    with pytest.raises(ValueError, match=r"ci_prob must be a number between 0 and 1.*got 0"):
        plots.prior_predictive_check(result, ci_prob=0)
    pc = plots.prior_predictive_check(result, ci_prob=0.5)
    legend = [t.get_text() for t in plots.figure_of(pc).legends[0].get_texts()]
    assert "50% of prior predictive data sets" in legend
