"""Shared helpers for the design tests."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from bayesml.design import ModelDesign, build_design
from bayesml.families import get_family
from bayesml.formula import parse_formula


@pytest.fixture
def build() -> Callable[..., ModelDesign]:
    """``build(formula, data, family="gaussian", **kwargs)`` → :class:`ModelDesign`."""

    def _build(formula: str, data: pd.DataFrame, family: str = "gaussian", **kwargs) -> ModelDesign:
        return build_design(parse_formula(formula), data, family=get_family(family), **kwargs)

    return _build


@pytest.fixture
def factors_frame() -> pd.DataFrame:
    """Two crossed factors (3 × 2 levels, one row per cell), a covariate and a response."""
    return pd.DataFrame(
        {
            "a": ["a1", "a2", "a3", "a1", "a2", "a3"],
            "b": ["b1", "b1", "b1", "b2", "b2", "b2"],
            "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "y": [0.3, 1.2, 0.8, 2.0, 1.1, 0.4],
        },
        index=[10, 11, 12, 13, 14, 15],
    )
