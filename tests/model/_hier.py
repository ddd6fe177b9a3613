"""The small hierarchical data set shared by the structure and prediction tests, and its linear
predictor computed by hand from the data columns (independently of bayesml's design matrices)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

HIER_FORMULA = "y ~ x + f + (1 + x | g) + (1 | h)"


def simulate_hierarchical(seed: int = 7) -> pd.DataFrame:
    """72 rows: 6 levels of ``g`` (intercept and slope), 4 of ``h``, a 3-level factor ``f``."""
    rng = np.random.default_rng(seed)
    n = 72
    g = rng.integers(0, 6, n)
    h = rng.integers(0, 4, n)
    f = rng.choice(np.array(["a", "b", "c"]), n)
    x = rng.normal(size=n)
    u_g = rng.normal(0, [0.8, 0.4], size=(6, 2))
    u_h = rng.normal(0, 0.5, 4)
    effect_f = pd.Series({"a": 0.0, "b": 0.8, "c": -0.5})[f].to_numpy()
    y = 1.0 + 0.5 * x + effect_f + u_g[g, 0] + u_g[g, 1] * x + u_h[h] + rng.normal(0, 0.5, n)
    return pd.DataFrame(
        {"y": y, "x": x, "f": f, "g": [f"g{i}" for i in g], "h": [f"h{i}" for i in h]}
    )


def _level_positions(draws: xr.DataArray, dim: str, labels) -> np.ndarray:
    levels = [str(v) for v in draws.coords[dim].values]
    return np.array([levels.index(str(label)) for label in labels])


def fixed_part_by_hand(draws: xr.Dataset, data: pd.DataFrame) -> np.ndarray:
    """β₀ + β_x x + β_f[b] 1[f = b] + β_f[c] 1[f = c], shape (chain, draw, rows)."""
    beta = draws["beta"]

    def coef(label):
        return beta.sel(coef=label).values[..., None]

    x = data["x"].to_numpy()[None, None, :]
    is_b = (data["f"] == "b").to_numpy()[None, None, :]
    is_c = (data["f"] == "c").to_numpy()[None, None, :]
    return coef("Intercept") + coef("x") * x + coef("f[b]") * is_b + coef("f[c]") * is_c


def eta_by_hand(draws: xr.Dataset, data: pd.DataFrame) -> np.ndarray:
    """η of ``HIER_FORMULA`` for every draw and row of ``data`` (seen levels only)."""
    u_g, u_h = draws["u_g"], draws["u_h"]
    g = _level_positions(u_g, "g__level", data["g"])
    h = _level_positions(u_h, "h__level", data["h"])
    g_terms = [str(v) for v in u_g.coords["g__term"].values]
    g_intercept = u_g.values[:, :, g, g_terms.index("Intercept")]
    g_slope = u_g.values[:, :, g, g_terms.index("x")]
    h_intercept = u_h.values[:, :, h, 0]
    x = data["x"].to_numpy()[None, None, :]
    return fixed_part_by_hand(draws, data) + g_intercept + g_slope * x + h_intercept
