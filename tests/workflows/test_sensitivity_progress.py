"""One progress bar over the configurations of a sensitivity run, none per fit."""

from __future__ import annotations

import functools
import io
import sys
from contextlib import contextmanager

import pytest

import bayesml
from bayesml.workflows import sensitivity as sensitivity_module
from bayesml.workflows.sensitivity_run import FitOutcome, configuration_progress


def test_rich_bar_counts_the_configurations():
    pytest.importorskip("rich")
    with configuration_progress(True, 3) as advance:
        for index, label in enumerate(["a", "b", "c"]):
            advance(FitOutcome(index, label))


def test_silent_bar():
    with configuration_progress(False, 2) as advance:
        advance(FitOutcome(0, "a"))


def test_sensitivity_shows_one_bar_and_no_bar_per_fit(monkeypatch):
    seen: dict[str, list] = {"shown": [], "advanced": [], "per_fit": []}

    @contextmanager
    def spy(show, total):
        seen["shown"].append((show, total))
        yield lambda outcome: seen["advanced"].append(outcome.label)

    real_sample = bayesml.Model.sample

    @functools.wraps(real_sample)  # sensitivity() reads Model.sample's signature
    def sample(self, *args, **kwargs):
        seen["per_fit"].append(kwargs.get("progressbar"))
        return real_sample(self, *args, **kwargs)

    monkeypatch.setattr(sensitivity_module, "configuration_progress", spy)
    monkeypatch.setattr(bayesml.Model, "sample", sample)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # not a terminal: the default is off
    model = bayesml.Model("Reaction ~ Days + (1 | Subject)", "sleepstudy")
    configurations = {
        "hn10": {"sd": {"dist": "half_normal", "sigma": 10}},
        "hn50": {"sd": {"dist": "half_normal", "sigma": 50}},
    }
    kwargs = {"draws": 20, "tune": 20, "chains": 1, "random_seed": 1, "check": False}
    bayesml.sensitivity(
        model, configurations=configurations, method="gibbs", max_workers=1,
        prior_predictive=False, **kwargs,
    )  # fmt: skip
    bayesml.sensitivity(
        model, configurations=configurations, method="gibbs", max_workers=1,
        prior_predictive=False, progressbar=True, **kwargs,
    )  # fmt: skip
    assert seen["shown"] == [(False, 2), (True, 2)]
    assert sorted(seen["advanced"]) == ["hn10", "hn10", "hn50", "hn50"]
    assert seen["per_fit"] == [False] * 4
