"""The launcher (snnlib.book.launch) on a tiny stand-in paper package (tests/launch_papers)."""

import os

import pytest
import submitit
import torch

from snnlib.book import launch, runner
from snnlib.book.artifacts import read_artifact

PAPERS = "launch_papers"
CHAPTER = "999_tiny"


@pytest.fixture
def results(tmp_path, monkeypatch):
    monkeypatch.setenv("SNN_RESULTS_DIR", str(tmp_path / "results"))
    return tmp_path / "results" / CHAPTER / "quick"


def test_pending_experiments_follow_the_chapters_protocols(results):
    package = launch.paper_package(CHAPTER, PAPERS)
    assert launch.pending_experiments(package, "quick") == ["count_a", "count_b"]
    with pytest.raises(ValueError, match="no paper package for chapter 'nope'"):
        launch.paper_package("nope", PAPERS)


def test_debug_executor_runs_the_grid_in_process_wave_after_wave(results, tmp_path):
    report = launch.launch(CHAPTER, "quick", "debug", folder=tmp_path / "jobs", papers=PAPERS)
    assert sorted(report.finished) == ["after_a", "count_a", "count_b"] and report.waves == 2
    assert report.failed == {} and report.pending == []
    art = read_artifact(results / "count_a")
    assert art.metrics == {"total": 21}  # 1 + 2 + ... + 6
    assert read_artifact(results / "after_a").metrics == {"double": 42}
    assert art.provenance["launcher"]["executor"] == "debug"
    assert art.provenance["launcher"]["host"] and art.provenance["launcher"]["job_id"]
    assert "SNN_LAUNCH_EXECUTOR" not in os.environ  # the in-process jobs leave no trace behind
    assert art.provenance["machine"]["flush_denormal"] is True  # set while the job ran ...
    assert not runner.denormals_flushed()  # ... and restored afterwards
    again = launch.launch(CHAPTER, "quick", "debug", folder=tmp_path / "jobs", papers=PAPERS)
    assert again.waves == 0 and again.finished == []  # finished experiments are skipped


def test_stale_lists_finished_experiments_whose_code_changed(results, tmp_path):
    import json

    launch.launch(CHAPTER, "quick", "debug", only="count_*", folder=tmp_path / "jobs", papers=PAPERS)
    package = launch.paper_package(CHAPTER, PAPERS)
    assert launch.stale_experiments(package, "quick") == {}
    path = results / "count_b" / "metrics.json"
    doc = json.loads(path.read_text())
    code = doc["provenance"]["code"]
    code["sha256"], code["modules"] = "0", {"snnlib.core.stdp": "0"}  # ran on code that has changed
    path.write_text(json.dumps(doc))
    stale = launch.stale_experiments(package, "quick")
    assert stale == {"count_b": "changed: `stdp`"}
    assert launch.pending_experiments(package, "quick") == ["after_a"]  # count_b is not rerun


def test_local_pool_survives_a_killed_job_which_resumes_from_its_checkpoint(results, tmp_path, monkeypatch):
    monkeypatch.setenv("TINY_KILL_AT", "count_a:3")
    monkeypatch.setenv("TINY_KILL_MARKER", str(tmp_path / "killed"))
    report = launch.launch(CHAPTER, "quick", "local", max_parallel=2, papers=PAPERS)
    assert (tmp_path / "killed").exists()  # the worker running count_a died once
    assert report.pending == [] and report.failed == {}
    assert sorted(set(report.finished)) == ["after_a", "count_a", "count_b"] and report.waves >= 3
    art = read_artifact(results / "count_a")
    assert art.metrics == {"total": 21}  # the same as an uninterrupted run
    assert [s["steps"] for s in art.provenance["segments"]] == [[0, 2], [2, 6]]  # resumed at step 2
    assert art.provenance["launcher"]["executor"] == "local"


def test_only_selects_experiments_by_pattern(results, tmp_path):
    report = launch.launch(CHAPTER, "quick", "debug", only="count_b", folder=tmp_path / "jobs",
                           papers=PAPERS)
    assert report.finished == ["count_b"] and report.pending == []
    assert not (results / "count_a").exists()


def test_slurm_job_array_script(tmp_path, monkeypatch):
    text = launch.sbatch_script("002_competition", 12, max_parallel=4, threads=1, gpus=1,
                                partition="gpu", timeout_min=90, folder=tmp_path)
    assert "#SBATCH --array=0-11%4" in text and "#SBATCH --partition=gpu" in text
    assert "#SBATCH --gpus-per-node=1" in text and "#SBATCH --cpus-per-task=1" in text
    assert "#SBATCH --time=90" in text

    # map_array through submitit's SLURM executor builds the same kind of array (sbatch faked)
    written = []

    def fake_sbatch(self):
        script = self.command[-1]
        written.append(open(script).read())
        return "Submitted batch job 4242"

    monkeypatch.setattr(submitit.core.utils.CommandFunction, "__call__", fake_sbatch)
    fake_bin = tmp_path / "bin"  # submitit looks for srun on PATH before it will submit
    fake_bin.mkdir()
    (fake_bin / "srun").write_text("#!/bin/sh\nexit 1\n")
    (fake_bin / "srun").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_bin}:{os.environ['PATH']}")
    executor = launch._submitit_executor("slurm", tmp_path, 3, 1, 0, "cpu", 60)
    jobs = [launch.Job("snnlib.papers.p002_competition", "full", f"table2_row{r}", "slurm") for r in (2, 3, 5)]
    handles = executor.map_array(launch.CheckpointableJob(), jobs)
    assert [h.job_id for h in handles] == ["4242_0", "4242_1", "4242_2"]
    assert "#SBATCH --array=0-2%3" in written[0] and "#SBATCH --partition=cpu" in written[0]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")
def test_cpu_and_gpu_paths_agree_on_a_tiny_model():
    from snnlib.core.neurons import LIFParams, lif_sequence

    gen = torch.Generator().manual_seed(0)
    weight = torch.randn(8, 5, generator=gen, dtype=torch.float64)
    inputs = torch.rand(12, 3, 5, generator=gen, dtype=torch.float64)
    results = []
    for device in ("cpu", "cuda"):
        w = weight.to(device).requires_grad_()
        spikes, _ = lif_sequence(inputs.to(device) @ w.T, LIFParams(beta=0.9, threshold=0.5))
        spikes.sum().backward()
        results.append((spikes.cpu(), w.grad.cpu()))
    assert torch.equal(results[0][0], results[1][0])
    torch.testing.assert_close(results[0][1], results[1][1])


def test_flushing_denormals_zeroes_subnormal_products_and_is_probed():
    tiny = torch.tensor([1e-39], dtype=torch.float32)  # below float32's smallest normal, 1.18e-38
    assert (tiny * 1.0).item() > 0 and not runner.denormals_flushed()
    torch.set_flush_denormal(True)
    try:
        assert (tiny * 1.0).item() == 0.0 and runner.denormals_flushed()
        assert runner.environment()["machine"]["flush_denormal"] is True
        assert (torch.tensor([1e-30]) * 1.0).item() > 0  # normal numbers are untouched
    finally:
        torch.set_flush_denormal(False)
