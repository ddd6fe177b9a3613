"""Gibbs chains in a plain script without ``if __name__ == "__main__":`` (issue 15):
``method="auto"`` picks Gibbs for Gaussian models, so an unguarded script must work."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from bayesml.backends.gibbs import driver

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """\
import bayesml

model = bayesml.Model("Reaction ~ Days + (Days | Subject)", "sleepstudy")
result = model.sample("auto", draws=50, tune=50, chains=2, random_seed=3, check=False{extra})
print("METHOD", result.attrs["bayesml_method"], result["posterior"]["beta"].shape)
print("SECONDS", result["sample_stats"].attrs["sampling_seconds"] > 0)
"""


def _run(path: Path, *arguments: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CI": "true"}
    return subprocess.run(
        [sys.executable, *arguments, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=path.parent,
    )


def test_plain_unguarded_script_samples_with_gibbs(tmp_path):
    """A top-level ``Model(...).sample("auto")`` — Gibbs here, chains in parallel by default —
    runs to the end instead of failing in spawned workers that re-run the script."""
    script = tmp_path / "plain.py"
    script.write_text(SCRIPT.format(extra=""))
    done = _run(script)
    assert done.returncode == 0, done.stderr
    assert "METHOD gibbs (2, 50, 2)" in done.stdout
    assert "SECONDS True" in done.stdout
    assert "SamplingWarning" not in done.stderr  # no cores asked for: nothing to warn about


def test_unguarded_script_asking_for_cores_is_told(tmp_path):
    script = tmp_path / "cores.py"
    script.write_text(SCRIPT.format(extra=', sampler_kwargs={"cores": 2}'))
    done = _run(script)
    assert done.returncode == 0, done.stderr
    assert "METHOD gibbs" in done.stdout
    assert "cores=2 asks for Gibbs chains in 2 worker processes" in done.stderr
    assert 'if __name__ == "__main__":' in done.stderr


def test_guarded_script_uses_worker_processes(tmp_path):
    script = tmp_path / "guarded.py"
    body = textwrap.indent(SCRIPT.format(extra=', sampler_kwargs={"cores": 2}'), "    ")
    script.write_text(
        "import bayesml.backends.gibbs.driver as driver\n\n"
        'if __name__ == "__main__":\n'
        "    assert driver.workers_can_start()\n" + body
    )
    done = _run(script)
    assert done.returncode == 0, done.stderr
    assert "METHOD gibbs" in done.stdout
    assert "SamplingWarning" not in done.stderr


@pytest.mark.parametrize(
    ("source", "line", "guarded"),
    [
        ('import x\nif __name__ == "__main__":\n    x.run()\n', 3, True),
        ("import x\nif '__main__' == __name__:\n    x.run()\n", 3, True),
        ('import x\nx.run()\nif __name__ == "__main__":\n    pass\n', 2, False),
        ('if __name__ == "__main__":\n    pass\nelse:\n    run()\n', 4, False),
        ('if __name__ != "__main__":\n    run()\n', 2, False),
    ],
)
def test_guard_detection(tmp_path, source, line, guarded):
    path = tmp_path / "script.py"
    path.write_text(source)
    ranges = driver._guarded_lines(str(path), path.stat().st_mtime)
    assert any(start <= line <= end for start, end in ranges) is guarded


def test_unreadable_script_counts_as_unguarded(tmp_path):
    assert driver._guarded_lines(str(tmp_path / "missing.py"), 0.0) is None
    broken = tmp_path / "broken.py"
    broken.write_text("def (:\n")
    assert driver._guarded_lines(str(broken), broken.stat().st_mtime) is None


def test_workers_can_start_here():
    """Under pytest (a guarded ``__main__``, or none) the worker processes are used."""
    assert driver.workers_can_start()
    seen = []
    thread = threading.Thread(target=lambda: seen.append(driver.workers_can_start()))
    thread.start()
    thread.join()
    assert seen == [True]
