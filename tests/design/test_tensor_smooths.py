"""mgcv's t2 tensor product smooths against tests/references/mgcv_t2_references.json.

The JSON (written by tests/references/mgcv_t2_references.R, mgcv 1.8 with R's reference LAPACK)
holds ``smoothCon(t2(...), absorb.cons = TRUE)`` and ``smooth2random(type = 2)`` for five margin
choices on seeded data, the unconstrained model matrix and ``PredictMat`` at new points, and a
gamm4 fit of ``y ~ t2(x, z)`` with a random intercept. Column signs are arbitrary in mgcv, so the
columns are compared after aligning each column's sign (and the fixed part up to a rotation).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from bayesml.design.tensor_smooths import (
    T2_MARGIN_BASES,
    SmoothColumns,
    TensorProductT2,
    natural_parameterisation,
)
from bayesml.errors import ArgumentError, ArgumentTypeError, BayesmlError

REFERENCES = Path(__file__).resolve().parents[1] / "references" / "mgcv_t2_references.json"
ROWS = 60  # the data rows the JSON writes out
CASES: dict[str, tuple[tuple[str, ...], Any, Any]] = {
    "cr_cr": (("x", "z"), "cr", 5),
    "cr_ps": (("x", "z"), ("cr", "ps"), (5, 6)),
    "cc_cr": (("x", "z"), ("cc", "cr"), (5, 4)),
    "cc_cc": (("x", "z"), "cc", 5),
    "cr_cr_cr": (("x", "z", "w"), "cr", 4),
}


@pytest.fixture(scope="module")
def references() -> dict[str, Any]:
    """The committed mgcv/gamm4 t2 references."""
    with REFERENCES.open() as handle:
        return json.load(handle)


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def _matrix(rows: list[list[float]], n_rows: int) -> np.ndarray:
    matrix = np.asarray(rows, dtype=float)
    return matrix.reshape(n_rows, -1) if matrix.size else np.zeros((n_rows, 0))


def _fit(case: str, references: dict[str, Any]) -> TensorProductT2:
    names, bs, k = CASES[case]
    data = _frame(references["data"])
    return TensorProductT2().fit([data[name] for name in names], bs=bs, k=k)


def _signs(mine: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """The column signs that align ``mine`` with ``theirs``."""
    return np.sign(np.sum(mine * theirs, axis=0))


def _projector(columns: np.ndarray) -> np.ndarray:
    q, _ = np.linalg.qr(columns)
    return q @ q.T


def _unconstrained(smooth: TensorProductT2, columns: list[np.ndarray]) -> np.ndarray:
    """The t2 model matrix before the constraint (mgcv's Predict.matrix.t2.smooth)."""
    form = smooth.mixed_form(columns)
    random = np.hstack(form.random) / smooth.random_scale
    transformed = [
        basis.transform_unconstrained(x) @ P
        for basis, x, P in zip(smooth.margins, columns, smooth.P, strict=True)
    ]
    null = np.ones((len(columns[0]), 1))
    for X, rank in zip(transformed, smooth.ranks, strict=True):
        if X.shape[1] == rank:
            return random
        null = (null[:, :, None] * X[:, None, rank:]).reshape(null.shape[0], -1)
    return np.hstack([random, null])


@pytest.mark.parametrize("case", CASES)
def test_blocks_match_mgcv(case: str, references: dict[str, Any]) -> None:
    reference = references["cases"][case]
    smooth = _fit(case, references)
    form = smooth.mixed_form()
    assert isinstance(form, SmoothColumns)
    assert smooth.penalty_labels == tuple(reference["p_lab"])
    assert list(smooth.block_sizes) == reference["sub_cols"]
    assert len(form.random) == len(reference["rand_names"]) == len(form.labels)
    for mine, rows in zip(form.random, reference["rand"], strict=True):
        theirs = _matrix(rows, ROWS)
        block = mine[:ROWS]
        # the prior covariance of each block, free of the arbitrary column signs
        np.testing.assert_allclose(block @ block.T, theirs @ theirs.T, rtol=0, atol=1e-12)
        # and the columns themselves, each up to its sign
        np.testing.assert_allclose(block * _signs(block, theirs), theirs, rtol=0, atol=1e-10)
    fixed = _matrix(reference["Xf"], ROWS)
    assert form.fixed.shape == (len(references["data"]), fixed.shape[1])
    if fixed.shape[1]:
        np.testing.assert_allclose(
            _projector(form.fixed[:ROWS]), _projector(fixed), rtol=0, atol=1e-10
        )
        np.testing.assert_allclose(
            form.fixed[:ROWS] @ form.fixed[:ROWS].T, fixed @ fixed.T, rtol=0, atol=1e-10
        )
        # the constraint: the fixed part sums to zero over the data
        np.testing.assert_allclose(form.fixed.sum(axis=0), 0.0, atol=1e-10)


def test_margin_knots_match_mgcv(references: dict[str, Any]) -> None:
    for case in CASES:
        smooth = _fit(case, references)
        for basis, margin in zip(smooth.margins, references["cases"][case]["margins"], strict=True):
            if basis.name != "ps":  # mgcv's ps margin stores its knots elsewhere
                np.testing.assert_allclose(basis.knots, margin["knots"], rtol=0, atol=1e-14)
        assert smooth.ranks == [m["rank"] for m in references["cases"][case]["margins"]]


@pytest.mark.parametrize("case", CASES)
def test_new_data_match_mgcv(case: str, references: dict[str, Any]) -> None:
    reference = references["cases"][case]
    names = CASES[case][0]
    smooth = _fit(case, references)
    new = _frame(references["new"])
    columns = [new[name].to_numpy() for name in names]
    n_new = len(new)
    # the unconstrained model matrix, column by column up to sign
    T_new = _unconstrained(smooth, columns)
    theirs_T = _matrix(reference["T_new"], n_new)
    signs = _signs(T_new, theirs_T)
    np.testing.assert_allclose(T_new * signs, theirs_T, rtol=0, atol=1e-10)
    # the fitting parameterisation at the new points
    form = smooth.mixed_form(columns)
    for mine, rows in zip(form.random, reference["rand_new"], strict=True):
        theirs = _matrix(rows, n_new)
        np.testing.assert_allclose(mine @ mine.T, theirs @ theirs.T, rtol=0, atol=1e-12)
    fixed = _matrix(reference["Xf_new"], n_new)
    np.testing.assert_allclose(form.fixed @ form.fixed.T, fixed @ fixed.T, rtol=0, atol=1e-10)
    # mgcv's PredictMat: the prediction constraint (the whole smooth sums to zero over the data)
    data = _frame(references["data"])
    T_data = _unconstrained(smooth, [data[name].to_numpy() for name in names]) * signs
    q, _ = np.linalg.qr(T_data.sum(axis=0)[:, None], mode="complete")
    Z = q[:, 1:]  # spans the same space as R's; compare the projections onto it
    predict_mat = _matrix(reference["PredictMat"], n_new)
    np.testing.assert_allclose(
        predict_mat @ predict_mat.T, theirs_T @ Z @ Z.T @ theirs_T.T, rtol=0, atol=1e-10
    )


def test_gamm4_fit_reproduced_from_columns(references: dict[str, Any]) -> None:
    """gamm4's coefficients on our columns give gamm4's smooth (centred as mgcv centres it)."""
    fit = references["gamm4_fit"]
    reference = references["cases"]["cr_cr"]
    smooth = _fit("cr_cr", references)
    data = _frame(references["data"])
    form = smooth.mixed_form()
    grid = _frame(fit["grid"])
    at_grid = smooth.mixed_form([grid["x"].to_numpy(), grid["z"].to_numpy()])
    values = np.zeros(len(grid))
    values_data = np.zeros(len(data))
    for name, mine, mine_grid, rows in zip(
        ("Xr", "Xr.0", "Xr.1"), form.random, at_grid.random, reference["rand"], strict=True
    ):
        signs = _signs(mine[:ROWS], _matrix(rows, ROWS))
        b = np.asarray(fit["ranef_t2"][name]) * signs
        values += mine_grid @ b
        values_data += mine @ b
    theirs_fixed = _matrix(reference["Xf"], ROWS)
    rotation = np.linalg.lstsq(form.fixed[:ROWS], theirs_fixed, rcond=None)[0]
    beta = rotation @ np.asarray([fit["fixef_mer"][f"Xt2(x,z)Fx{j}"] for j in (1, 2, 3)])
    values += at_grid.fixed @ beta
    values_data += form.fixed @ beta
    # mgcv's term = the fitting-parameterisation smooth minus its mean over the data
    np.testing.assert_allclose(values - values_data.mean(), fit["t2"], rtol=0, atol=1e-9)


def test_columns_span_the_tensor_product(references: dict[str, Any]) -> None:
    smooth = _fit("cr_cr", references)
    form = smooth.mixed_form()
    everything = np.hstack([np.ones((form.fixed.shape[0], 1)), form.fixed, *form.random])
    # 5 × 5 tensor product basis: 25 columns (24 of the smooth plus the intercept), full rank
    assert everything.shape[1] == 25
    assert np.linalg.matrix_rank(everything) == 25


def test_labels_and_names() -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.uniform(size=(80, 3)), columns=["age", "dose", "time"])
    smooth = TensorProductT2().fit([frame["age"], frame["dose"]])
    assert smooth.mixed_form().labels == ("age:dose", "dose", "age")
    three = TensorProductT2().fit([frame["age"], frame["dose"], frame["time"]], k=4)
    assert three.penalty_labels == ("rrr", "nrr", "rnr", "nnr", "rrn", "nrn", "rnn")
    assert three.labels == (
        "age:dose:time",
        "dose:time",
        "age:time",
        "time",
        "age:dose",
        "dose",
        "age",
    )
    unnamed = TensorProductT2().fit([frame["age"].to_numpy(), frame["dose"].to_numpy()])
    assert unnamed.labels == ("x1:x2", "x2", "x1")
    named = TensorProductT2().fit(
        [frame["age"].to_numpy(), frame["dose"].to_numpy()], names=("a", "d")
    )
    assert named.labels == ("a:d", "d", "a")


def test_defaults_are_mgcv_defaults() -> None:
    rng = np.random.default_rng(4)
    x, z = rng.uniform(size=(2, 100))
    default = TensorProductT2().fit([x, z])
    explicit = TensorProductT2().fit([x, z], bs=("cr", "cr"), k=(5, 5))
    assert [basis.name for basis in default.margins] == ["cr", "cr"]
    assert [basis.k for basis in default.margins] == [5, 5]
    for a, b in zip(default.mixed_form().random, explicit.mixed_form().random, strict=True):
        np.testing.assert_array_equal(a, b)


def test_natural_parameterisation_maps_the_basis() -> None:
    rng = np.random.default_rng(5)
    smooth = TensorProductT2().fit([rng.uniform(size=120), rng.uniform(size=120)])
    basis = smooth.margins[0]
    X, P = natural_parameterisation(basis.X_unconstrained, basis.S_unconstrained, basis.rank)
    np.testing.assert_allclose(basis.X_unconstrained @ P, X, atol=1e-12)
    # the penalty becomes the identity on the range space and zero on the null space
    S = P.T @ basis.S_unconstrained @ P
    scale = S[0, 0]
    np.testing.assert_allclose(S / scale, np.diag([1.0, 1.0, 1.0, 0.0, 0.0]), atol=1e-10)
    # the constant is the first null-space column
    np.testing.assert_allclose(np.ptp(X[:, 3]), 0.0, atol=1e-12)


def test_bad_input() -> None:
    rng = np.random.default_rng(6)
    x, z = rng.uniform(size=(2, 50))
    smooth = TensorProductT2()
    with pytest.raises(ArgumentError, match=r"k must have one entry per margin \(2\), got 3"):
        smooth.fit([x, z], k=(5, 5, 5))
    with pytest.raises(ArgumentError, match=r"bs must have one entry per margin \(2\), got 1"):
        smooth.fit([x, z], bs=("cr",))
    with pytest.raises(ArgumentTypeError, match=r"bs must be a string or a sequence"):
        smooth.fit([x, z], bs=3)
    known = ", ".join(repr(name) for name in T2_MARGIN_BASES)
    with pytest.raises(
        ArgumentError, match=rf"bs of margin 2 \(x2\) must be one of {known}, got 'xx'"
    ):
        smooth.fit([x, z], bs=("cr", "xx"))
    with pytest.raises(
        ArgumentError, match=r"margin 1 \(x1\).*k of a 'cr' basis must be at least 3, got 2"
    ):
        smooth.fit([x, z], k=(2, 5))
    with pytest.raises(
        ArgumentError, match=r"margin 2 \(x2\).*'cc' basis must be at least 4, got 3"
    ):
        smooth.fit([x, z], bs="cc", k=(5, 3))
    with pytest.raises(ArgumentError, match=r"margin 1 \(x1\).*at most the number of unique"):
        smooth.fit([np.repeat([0.0, 1.0, 2.0], 10), z[:30]], k=5)
    with pytest.raises(
        ArgumentTypeError, match=r"k of margin 1 \(x1\) must be an integer, got 4.5"
    ):
        smooth.fit([x, z], k=(4.5, 5))
    with pytest.raises(
        ArgumentTypeError,
        match=r"k must be an integer or a sequence with one entry per margin, got float",
    ):
        smooth.fit([x, z], k=5.0)
    with pytest.raises(
        ArgumentError, match=r"columns must all have the same length, got lengths \[50, 40\]"
    ):
        smooth.fit([x, z[:40]])
    with pytest.raises(ArgumentError, match="at least one covariate"):
        smooth.fit([])
    with pytest.raises(ArgumentTypeError, match=r"columns\[1\] must be numeric"):
        smooth.fit([x, ["a", "b"]])
    with pytest.raises(ArgumentError, match="not fitted"):
        TensorProductT2().mixed_form()
    fitted = TensorProductT2().fit([x, z])
    with pytest.raises(ArgumentError, match=r"one covariate per margin \(2\), got 3"):
        fitted.mixed_form([x, z, z])
    with pytest.raises(ArgumentError, match="names must hold one name per margin"):
        TensorProductT2().fit([x, z], names=("a",))
    with pytest.raises(BayesmlError, match="names must be distinct"):
        TensorProductT2().fit([x, z], names=("a", "a"))
