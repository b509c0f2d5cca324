"""Every chapter has an nbval reference notebook executed from its current source.

The reference notebooks in tests/notebooks/ are the chapters executed by papermill in the quick
profile (`make reference`); pytest --nbval-lax re-executes them and compares the outputs of the
cells marked NBVAL_CHECK_OUTPUT. This test makes sure the reference still holds the chapter's
current code, so that nbval checks what the book actually runs.
"""

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import execute_chapters  # noqa: E402

CHAPTERS = execute_chapters.chapter_sources()


def _code_cells(nb):
    return [c.source for c in nb.cells
            if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])]


@pytest.mark.parametrize("source", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_reference_notebook_matches_chapter_source(source):
    reference = ROOT / "tests" / "notebooks" / f"{source.stem}.ipynb"
    assert reference.exists(), f"no nbval reference for {source.name}: run `make reference`"
    executed = nbformat.read(reference, as_version=4)
    assert executed.metadata["snn_companion"]["profile"] == "quick"
    assert _code_cells(executed) == _code_cells(execute_chapters.to_notebook(source)), \
        f"{reference.name} was executed from an older {source.name}: run `make reference`"
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and 'profile = "quick"' in injected[0].source


@pytest.mark.parametrize("source", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_has_profile_parameter_and_checked_outputs(source):
    nb = execute_chapters.to_notebook(source)
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and "profile =" in params[0].source
    assert any("# NBVAL_CHECK_OUTPUT" in c.source for c in nb.cells if c.cell_type == "code"), \
        f"{source.name} marks no output for nbval to check"
