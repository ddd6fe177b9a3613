"""Fixtures of the Gibbs tests."""

from __future__ import annotations

import pandas as pd
import pytest

from ._helpers import grouped_data


@pytest.fixture(scope="session")
def small_data() -> pd.DataFrame:
    return grouped_data()
