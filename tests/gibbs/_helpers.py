"""Data and stand-ins shared by the Gibbs tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def grouped_data(
    seed: int = 0, groups: int = 8, per_group: int = 5, sd_group: float = 0.5
) -> pd.DataFrame:
    """y = 1 + 0.5 x + u_g + e, e ~ N(0, 1), with a binary outcome ``b`` from the same η."""
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(groups), per_group)
    x = rng.normal(size=g.size)
    u = rng.normal(0, sd_group, groups)
    eta = 1.0 + 0.5 * x + u[g]
    y = eta + rng.normal(size=g.size)
    b = (eta - 1.0 + rng.normal(size=g.size) > 0).astype(int)
    return pd.DataFrame({"y": y, "x": x, "g": [f"g{i}" for i in g], "b": b})


class ZeroNormals:
    """A generator stand-in whose normal draws are zero: the coefficient kernel then returns the
    conditional mean."""

    def standard_normal(self, size=None):
        return np.zeros(size)
