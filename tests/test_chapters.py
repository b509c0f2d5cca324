"""Chapters and their committed records.

* Every chapter has one papermill ``parameters`` cell with a ``profile`` (quick by default, the
  profile nbval runs under `make test`).
* Every paper package re-derives its committed claims file from the committed full-profile
  artifacts, identically: the book's comparison tables come from code, never from hand edits, and
  a refactoring that changed an experiment's identity or a number would fail here.
"""

import importlib
import pkgutil
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

import snnlib.papers
from snnlib.book.claims import _stored, read_claims

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import execute_chapters  # noqa: E402

CHAPTERS = execute_chapters.chapter_sources()
PAPERS = sorted(info.name for info in pkgutil.iter_modules(snnlib.papers.__path__) if info.ispkg)


@pytest.mark.parametrize("source", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_has_one_parameters_cell_with_a_profile(source):
    nb = execute_chapters.to_notebook(source)
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and "profile = " in params[0].source


def test_every_paper_package_has_a_chapter():
    assert len(PAPERS) >= 2
    stems = {p.stem for p in CHAPTERS}
    for name in PAPERS:
        assert importlib.import_module(f"snnlib.papers.{name}").CHAPTER in stems


def drifted(package, pending):
    """The pending experiments that have a committed artifact: their folder exists but its identity
    (settings, seed) no longer matches the code's.  Experiments with no artifact yet (full-profile
    runs still to be made, which the chapter lists as not run) are allowed."""
    root = ROOT / "data" / "results" / package.CHAPTER / "full"
    return [name for name in pending if (root / name / "metrics.json").exists()]


@pytest.mark.parametrize("name", PAPERS)
def test_committed_claims_are_rederived_from_the_committed_artifacts(name):
    package = importlib.import_module(f"snnlib.papers.{name}")
    claims = importlib.import_module(f"snnlib.papers.{name}.claims")
    ctx = package.run_context("full")
    rederived = claims.build_claims(ctx)
    paper, committed = read_claims(package.CHAPTER, "full")
    assert drifted(package, ctx.pending) == []  # every committed experiment was found by its identity
    assert paper == package.PAPER
    assert [_floats_rounded(asdict(c)) for c in rederived] == [_floats_rounded(asdict(c)) for c in committed]


def _floats_rounded(claim: dict) -> dict:
    """A claim as claims.json stores it (floats to its significant digits): re-deriving a metric
    on another CPU (an inception score through the classifier, say) moves its 8th digit."""
    return {k: _stored(v) for k, v in claim.items()}


@pytest.mark.parametrize("source", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_file_carries_its_kernel(source):
    """So that a notebook converted by plain `jupytext --to notebook` runs under papermill."""
    import jupytext

    kernel = jupytext.read(source, fmt="py:percent").metadata.get("kernelspec", {})
    assert kernel.get("name") == "python3" and kernel.get("language") == "python"


def test_papermill_runs_a_chapter_converted_by_jupytext_without_extra_flags(tmp_path):
    import subprocess

    bin_dir = Path(sys.executable).parent
    notebook, executed = tmp_path / "reproduction.ipynb", tmp_path / "out.ipynb"
    subprocess.run([bin_dir / "jupytext", "--to", "notebook", ROOT / "chapters" / "reproduction.py",
                    "-o", notebook], check=True, capture_output=True)
    run = subprocess.run([bin_dir / "papermill", notebook, executed, "--cwd", ROOT / "chapters"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Reproduction record" in executed.read_text()


@pytest.mark.parametrize("name", PAPERS)
def test_run_all_reaches_every_committed_experiment_and_trains_nothing(name, monkeypatch):
    """The launcher enumerates a chapter's experiments through `experiments.run_all`: it must reach
    every committed full-profile artifact (a benchmark's record, made outside the chapter, aside)."""
    from snnlib.book.runner import RunContext

    package = importlib.import_module(f"snnlib.papers.{name}")
    experiments = importlib.import_module(f"snnlib.papers.{name}.experiments")
    requested = []
    original = RunContext.experiment

    def recording(self, experiment_name, settings, body, **options):
        requested.append(experiment_name)
        return original(self, experiment_name, settings, body, **options)

    monkeypatch.setattr(RunContext, "experiment", recording)
    ctx = package.run_context("full")
    experiments.run_all(ctx)
    assert drifted(package, ctx.pending) == []
    committed = {p.parent.name for p in (ROOT / "data" / "results" / package.CHAPTER / "full").glob("*/metrics.json")}
    # benchmark records (benchmarks/*.py --record) are made outside the chapter
    assert {n for n in committed - set(requested) if not n.endswith("_benchmark")} == set()
