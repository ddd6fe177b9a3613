"""Build the notebooks from their sources and execute them.

Each notebook is written as a plain Python file in ``notebooks/src/`` ("percent" format: a line
``# %%`` starts a code cell, ``# %% [markdown]`` a Markdown cell whose lines are comments), which
reads well in review and diffs cleanly. This script turns every source into ``notebooks/<name>.ipynb``
and runs it, so that the committed notebooks carry their outputs::

    python notebooks/build.py                 # build and execute every notebook (full draws)
    python notebooks/build.py 03-separation   # only the named ones
    python notebooks/build.py --no-execute    # only rebuild the cells
    python notebooks/build.py --check         # exit 1 if a notebook's cells differ from its source

``make notebooks`` runs the first form. ``make test`` re-executes each notebook in quick mode
(``BAYESML_QUICK=1``: fewer draws) through ``tests/test_notebooks.py``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parent
SOURCES = NOTEBOOKS / "src"
CELL_TIMEOUT_S = 1800


def read_cells(source: Path) -> list[tuple[str, str]]:
    """Split a percent-format source into ``(kind, text)`` cells, kind "code" or "markdown"."""
    cells: list[tuple[str, list[str]]] = []
    for line in source.read_text(encoding="utf-8").splitlines():
        if line.startswith("# %%"):
            kind = "markdown" if "[markdown]" in line else "code"
            cells.append((kind, []))
        elif cells:
            kind, lines = cells[-1]
            if kind == "markdown":
                if line and not line.startswith("#"):
                    raise ValueError(f"{source.name}: a Markdown cell line must start with '#': {line!r}")
                line = line[2:] if line.startswith("# ") else line[1:]
            lines.append(line)
        elif line.strip():
            raise ValueError(f"{source.name}: text before the first '# %%' cell marker: {line!r}")
    return [(kind, "\n".join(lines).strip("\n")) for kind, lines in cells]


def build_notebook(source: Path) -> nbformat.NotebookNode:
    """A new notebook (no outputs) with the cells of ``source``."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    for kind, text in read_cells(source):
        maker = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        notebook.cells.append(maker(text))
    return notebook


def cells_match(source: Path, notebook_path: Path) -> bool:
    """Whether the notebook's cells are exactly those of its source."""
    notebook = nbformat.read(notebook_path, as_version=4)
    built = [(cell.cell_type, cell.source) for cell in notebook.cells]
    return built == read_cells(source)


def execute(notebook: nbformat.NotebookNode, *, quick: bool) -> nbformat.NotebookNode:
    """Run every cell in ``notebooks/`` as working directory; raise on the first error."""
    from nbclient import NotebookClient

    # figures must go inline into the notebook, whatever backend the calling shell selected
    env = {
        **os.environ,
        "BAYESML_QUICK": "1" if quick else "0",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute(env=env)
    return notebook


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("names", nargs="*", help="notebook names (default: all in notebooks/src)")
    parser.add_argument("--no-execute", action="store_true", help="build the cells only")
    parser.add_argument("--quick", action="store_true", help="execute with BAYESML_QUICK=1")
    parser.add_argument("--check", action="store_true", help="fail if a notebook differs from its source")
    args = parser.parse_args(argv)
    sources = sorted(SOURCES.glob("*.py"))
    if args.names:
        sources = [SOURCES / f"{name.removesuffix('.py')}.py" for name in args.names]
        missing = [str(path) for path in sources if not path.exists()]
        if missing:
            parser.error(f"no notebook source {', '.join(missing)}")
    if args.check:
        stale = [s.stem for s in sources if not cells_match(s, NOTEBOOKS / f"{s.stem}.ipynb")]
        for name in stale:
            print(f"{name}.ipynb differs from src/{name}.py: run python notebooks/build.py {name}")
        return 1 if stale else 0
    for source in sources:
        notebook = build_notebook(source)
        if not args.no_execute:
            print(f"executing {source.stem} ...", flush=True)
            execute(notebook, quick=args.quick)
        nbformat.write(notebook, NOTEBOOKS / f"{source.stem}.ipynb")
        print(f"wrote notebooks/{source.stem}.ipynb")
    return 0


if __name__ == "__main__":
    sys.exit(main())
