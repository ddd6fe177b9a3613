"""Progress bars where a person watches (``progressbar=None``), and the time spent compiling vs
sampling in ``sample_stats`` (issue 15, item 4)."""

from __future__ import annotations

import io
import sys
import types

import pytest

import bayesml
from bayesml.backends import seam
from bayesml.errors import ArgumentTypeError

SHORT = {"draws": 30, "tune": 30, "chains": 2, "random_seed": 2, "check": False}


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def no_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)


def test_terminal_is_watched(monkeypatch, no_ci):
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert seam.watched()
    assert seam.resolve_progressbar(None) is True


def test_pipe_is_not_watched(monkeypatch, no_ci):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert not seam.watched()
    monkeypatch.setattr(sys, "stderr", None)
    assert not seam.watched()


def test_notebook_is_watched(monkeypatch, no_ci):
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a kernel's stderr is no terminal
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    assert seam.watched()


@pytest.mark.parametrize("value", ["true", "1", "yes"])
def test_ci_is_not_watched(monkeypatch, no_ci, value):
    monkeypatch.setattr(sys, "stderr", _Terminal())
    monkeypatch.setenv("CI", value)
    assert not seam.watched()


@pytest.mark.parametrize("value", ["", "0", "false"])
def test_ci_switched_off_is_watched(monkeypatch, no_ci, value):
    monkeypatch.setattr(sys, "stderr", _Terminal())
    monkeypatch.setenv("CI", value)
    assert seam.watched()


def test_explicit_values_win(monkeypatch, no_ci):
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert seam.resolve_progressbar(False) is False
    monkeypatch.setenv("CI", "true")
    assert seam.resolve_progressbar(True) is True


def test_bad_progressbar():
    with pytest.raises(
        ArgumentTypeError,
        match=r"progressbar must be True, False or None .*; got progressbar='yes'",
    ):
        seam.resolve_progressbar("yes")
    model = bayesml.Model("Reaction ~ Days + (1 | Subject)", "sleepstudy")
    with pytest.raises(ArgumentTypeError, match=r"got progressbar=1"):
        model.sample("gibbs", progressbar=1, **SHORT)


def test_gibbs_bars_follow_the_terminal(monkeypatch, no_ci):
    """progressbar=None: the Gibbs chains draw their bars on a terminal (here a fake one)."""
    from bayesml.backends.gibbs import driver

    shown = []
    real = driver.chain_progress

    def spy(show, chains, total):
        shown.append(show)
        return real(False, chains, total)

    monkeypatch.setattr(driver, "chain_progress", spy)
    model = bayesml.Model("Reaction ~ Days + (1 | Subject)", "sleepstudy")
    monkeypatch.setattr(sys, "stderr", _Terminal())
    model.sample("gibbs", sampler_kwargs={"cores": 1}, **SHORT)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    model.sample("gibbs", sampler_kwargs={"cores": 1}, **SHORT)
    assert shown == [True, False]


def _timings(result) -> tuple[float, float]:
    attrs = result["sample_stats"].attrs
    return attrs["compile_seconds"], attrs["sampling_seconds"]


def test_gibbs_timings():
    model = bayesml.Model("Reaction ~ Days + (Days | Subject)", "sleepstudy")
    compile_seconds, sampling_seconds = _timings(model.sample("gibbs", **SHORT))
    assert 0 <= compile_seconds < sampling_seconds


@pytest.mark.parametrize("sampler", ["nutpie", "pymc"])
def test_nuts_timings_compile_once(sampler):
    """The first fit compiles; a refit of the same model reuses the compiled graph (nutpie) or
    at least the built graph, and reports its own sampling time."""
    pytest.importorskip(sampler)
    model = bayesml.Model("Reaction ~ Days + (1 | Subject)", "sleepstudy")
    options = {"sampler": sampler, "cores": 1}
    first = _timings(model.sample("nuts", sampler_kwargs=options, **SHORT))
    second = _timings(model.sample("nuts", sampler_kwargs=options, **SHORT))
    assert first[0] > 0 and first[1] > 0 and second[1] > 0
    if sampler == "nutpie":
        assert second[0] < 0.5 * first[0]


def test_record_timings_makes_sample_stats():
    import xarray as xr

    tree = xr.DataTree()
    seam.record_timings(tree, compile_seconds=1.5, sampling_seconds=-1e-9)
    assert dict(tree["sample_stats"].attrs) == {"compile_seconds": 1.5, "sampling_seconds": 0.0}


def test_pymc_users_callback_still_sees_every_draw():
    """The first-draw clock wraps a user's ``callback`` (PyMC's per-draw hook), never replaces it."""
    pytest.importorskip("pymc")
    model = bayesml.Model("Reaction ~ Days + (1 | Subject)", "sleepstudy")
    draws = []
    options = {"sampler": "pymc", "cores": 1, "callback": lambda trace, draw: draws.append(draw)}
    result = model.sample("nuts", sampler_kwargs=options, **SHORT)
    assert len(draws) == SHORT["chains"] * (SHORT["draws"] + SHORT["tune"])
    assert result["sample_stats"].attrs["compile_seconds"] > 0
