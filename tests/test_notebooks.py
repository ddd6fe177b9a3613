"""The notebooks: built from their sources, committed with outputs, and runnable.

``make test`` executes every notebook in quick mode (``BAYESML_QUICK=1``: short chains) and fails
on any error, so a notebook that a newcomer opens from the README runs top to bottom.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
EXPECTED = [
    "01-quickstart",
    "02-hyperpriors-and-sensitivity",
    "03-separation",
    "04-probit-gibbs-vs-nuts",
    "05-hglm-gallery",
    "06-counts-zeros-and-ordered-ratings",
    "07-smooth-effects-with-random-effects",
]


def _build_module():
    spec = importlib.util.spec_from_file_location("notebooks_build", NOTEBOOKS / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _build_module()


def test_every_notebook_has_a_source():
    assert sorted(path.stem for path in (NOTEBOOKS / "src").glob("*.py")) == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_matches_its_source_and_carries_outputs(name):
    path = NOTEBOOKS / f"{name}.ipynb"
    assert build.cells_match(NOTEBOOKS / "src" / f"{name}.py", path), (
        f"{name}.ipynb differs from src/{name}.py: run `python notebooks/build.py {name}`"
    )
    code_cells = [cell for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]
    assert code_cells and all(cell.execution_count is not None for cell in code_cells)
    errors = [output for cell in code_cells for output in cell.outputs if output.output_type == "error"]
    assert errors == []


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_runs_in_quick_mode(name):
    notebook = build.build_notebook(NOTEBOOKS / "src" / f"{name}.py")
    build.execute(notebook, quick=True)  # raises CellExecutionError on the first failing cell
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code_cells)


def test_the_source_reader_rejects_bad_markdown(tmp_path):
    source = tmp_path / "bad.py"
    source.write_text("# %% [markdown]\n# fine\nnot a comment\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.py: a Markdown cell line must start with '#'"):
        build.read_cells(source)


def test_the_source_reader_splits_cells(tmp_path):
    source = tmp_path / "ok.py"
    source.write_text("# %% [markdown]\n# # Title\n#\n# text\n\n# %%\nx = 1\n\n# %%\nx\n", encoding="utf-8")
    assert build.read_cells(source) == [("markdown", "# Title\n\ntext"), ("code", "x = 1"), ("code", "x")]
