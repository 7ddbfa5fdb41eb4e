"""The example notebooks run end to end (nbclient) and are exactly what examples/_build.py writes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("matplotlib")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOTEBOOKS = sorted(p.name for p in EXAMPLES.glob("*.ipynb"))
NEEDS = {
    "02_m5_subset.ipynb": ["m5_tx3_foods3", "m5_wrmsse_reference"],
}
WITH_FIGURES = {"01_quickstart.ipynb", "02_m5_subset.ipynb", "04_replenishment.ipynb"}
NEEDS_MODULES = {"05_service.ipynb": ["fastapi", "duckdb", "httpx"]}


def _builder():
    spec = importlib.util.spec_from_file_location("examples_build", EXAMPLES / "_build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_notebook_is_built_by_the_script_with_outputs_cleared(tmp_path):
    build = _builder()
    assert sorted(build.NOTEBOOKS) == NOTEBOOKS
    assert len(NOTEBOOKS) == 5
    build.build(tmp_path)
    for name in NOTEBOOKS:
        committed = json.loads((EXAMPLES / name).read_text())
        fresh = json.loads((tmp_path / name).read_text())
        for cell in committed["cells"]:
            cell.pop("id", None)
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, name
        for cell in fresh["cells"]:
            cell.pop("id", None)
        assert committed["cells"] == fresh["cells"], f"{name} differs from examples/_build.py: re-run it"


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_end_to_end(name, real_data, monkeypatch):
    for folder in NEEDS.get(name, []):  # skips, naming the folder, when one is absent
        monkeypatch.setenv("PULLCAST_DATA", str(real_data(folder).parent))  # the kernel inherits it
    for module in NEEDS_MODULES.get(name, []):
        pytest.importorskip(module)
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(EXAMPLES)}},
        extra_arguments=["--HistoryManager.hist_file=:memory:"],
    )
    client.execute()  # raises CellExecutionError with the failing cell and its traceback
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    figures = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})
    ]
    if name in WITH_FIGURES:
        assert figures, f"{name} shows no figure"
