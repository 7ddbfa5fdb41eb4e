"""Write the example notebooks (outputs cleared) from ``_cells_*.py``: ``python examples/_build.py``.

The notebooks are generated so that their code is reviewable here as plain Python; edit those files,
re-run this script, and commit both. ``tests/examples`` executes every notebook end to end with nbclient.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))  # the cell modules sit next to this script

from _cells_forecasting import M5, QUICKSTART, SIGNALS  # noqa: E402
from _cells_operations import REPLENISH, SERVICE  # noqa: E402

Cell = tuple[str, str]  # ("md" | "py", source)


def _notebook(cells: list[Cell]) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    for k, (kind, src) in enumerate(cells):
        src = src.strip("\n")
        cell = new_markdown_cell(src) if kind == "md" else new_code_cell(src)
        cell.id = f"cell-{k:02d}"  # stable ids: rebuilding gives no diff
        nb.cells.append(cell)
    return nb


NOTEBOOKS = {
    "01_quickstart.ipynb": QUICKSTART,
    "02_m5_subset.ipynb": M5,
    "03_signals.ipynb": SIGNALS,
    "04_replenishment.ipynb": REPLENISH,
    "05_service.ipynb": SERVICE,
}


def build(out_dir: Path = HERE) -> list[Path]:
    """Write every notebook into ``out_dir``, format their code with ruff, and return their paths."""
    paths = []
    for name, cells in NOTEBOOKS.items():
        path = out_dir / name
        nbformat.write(_notebook(cells), path)
        paths.append(path)
    ruff = Path(sys.executable).with_name("ruff")
    config = HERE.parent / "pyproject.toml"
    subprocess.run([str(ruff), "format", "--quiet", "--config", str(config), *map(str, paths)], check=True)
    return paths


if __name__ == "__main__":
    for p in build():
        print("wrote", p)
