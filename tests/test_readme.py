"""Every code block of README.md runs, in quick mode, so that an example cannot rot.

The Python blocks run in order in one namespace (the README is one story: later blocks use the
``model`` and ``fit`` of earlier ones), as ``__main__``, in a scratch directory that sees the
repository's ``models/``. Quick mode caps the draws, warm-up and chains of every fit (and runs
sensitivity fits in this process), so the numbers the comments quote are not checked here — the
tests of each feature check them. YAML blocks must be valid specs; the ``bayesml`` command lines of
shell blocks run with the same caps. The ``make`` and ``jupyter`` lines of shell blocks build and
test the project itself and are not run from inside its test suite.
"""

from __future__ import annotations

import functools
import re
import shlex
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml

import bayesml
from bayesml.spec import ModelSpec

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
QUICK = {"draws": 60, "tune": 60, "chains": 2}
_FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.DOTALL | re.MULTILINE)


def code_blocks(language: str) -> list[tuple[int, str]]:
    """(line number, text) of every fenced block of ``language`` in the README."""
    text = README.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, match.start()) + 1, match.group(2))
        for match in _FENCE.finditer(text)
        if match.group(1) == language
    ]


def _capped(kwargs: dict[str, Any]) -> dict[str, Any]:
    out = dict(kwargs)
    for name, cap in QUICK.items():
        out[name] = min(out.get(name, cap), cap)
    return out


@pytest.fixture
def quick_mode(monkeypatch, tmp_path):
    """Cap every fit, run sensitivity fits in this process, work in a scratch directory."""
    real_sample = bayesml.Model.sample
    real_sensitivity = bayesml.sensitivity

    @functools.wraps(real_sample)  # sensitivity() reads Model.sample's signature
    def sample(self, method="nuts", **kwargs):
        kwargs = _capped(kwargs)
        kwargs.setdefault("check", False)
        return real_sample(self, method, **kwargs)

    def sensitivity(model_or_spec, **kwargs):
        kwargs = _capped(kwargs) | {"max_workers": 1}
        return real_sensitivity(model_or_spec, **kwargs)

    monkeypatch.setattr(bayesml.Model, "sample", sample)
    monkeypatch.setattr(bayesml, "sensitivity", sensitivity)
    (tmp_path / "models").symlink_to(ROOT / "models")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_readme_has_code_to_run():
    assert len(code_blocks("python")) >= 6
    assert code_blocks("yaml") and code_blocks("bash")


def test_every_python_block_runs(quick_mode):
    namespace: dict[str, Any] = {"__name__": "__main__"}
    for line, source in code_blocks("python"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", bayesml.SamplingWarning)
            try:
                exec(compile(source, f"README.md:{line}", "exec"), namespace)
            except Exception as error:  # pragma: no cover - the message is the point
                pytest.fail(f"the README block at line {line} fails: {type(error).__name__}: {error}")
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.mark.parametrize(("line", "source"), code_blocks("yaml"))
def test_every_yaml_block_is_a_valid_spec(line, source):
    spec = ModelSpec.from_dict(yaml.safe_load(source))
    assert spec.formula


def _cli_lines() -> list[tuple[int, str]]:
    lines = []
    for line, source in code_blocks("bash"):
        for offset, command in enumerate(source.splitlines()):
            command = command.split("#", 1)[0].strip()
            if command.startswith("bayesml "):
                lines.append((line + 1 + offset, command))
    return lines


@pytest.mark.parametrize(("line", "command"), _cli_lines())
def test_every_command_line_runs(quick_mode, line, command):
    words = shlex.split(command)
    for flag, cap in (("--draws", QUICK["draws"]), ("--chains", QUICK["chains"])):
        if flag in words:
            position = words.index(flag) + 1
            words[position] = str(min(int(words[position]), cap))
    if words[1] == "fit" and "--tune" not in words:
        words += ["--tune", str(QUICK["tune"])]
    executable = Path(sys.executable).with_name("bayesml")
    completed = subprocess.run(
        [str(executable), *words[1:]], capture_output=True, text=True, timeout=600
    )
    assert completed.returncode == 0, f"README.md:{line}: {command}\n{completed.stderr}"
