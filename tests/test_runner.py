"""The experiment runner: resumable loops, atomic artifacts with provenance, config matching."""

import json
import subprocess

import numpy as np
import pytest
import torch

from snnlib.book import runner
from snnlib.book.runner import Experiment


def _train(exp, total, crash_at=None):
    """A tiny SGD run whose result depends on every step and on the random stream."""
    gen = torch.Generator().manual_seed(exp.seed)
    model = torch.nn.Linear(3, 1)
    torch.nn.init.zeros_(model.weight)
    torch.nn.init.zeros_(model.bias)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    state = {"model": model, "opt": opt, "gen": gen, "losses": []}
    for step in exp.steps(total, state, every=4, progress=False):
        if step == crash_at:
            raise KeyboardInterrupt("simulated kill")
        x = torch.randn(8, 3, generator=gen)
        loss = ((model(x) - x.sum(1, keepdim=True)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        state["losses"] = state["losses"] + [loss.item()]
    return model.weight.detach().clone(), state["losses"]


def test_resume_after_kill_gives_the_uninterrupted_result(tmp_path):
    cfg = {"lr": 0.1}
    straight_w, straight_losses = _train(Experiment("ch", "a", cfg, "quick", 1, tmp_path), 13)
    exp = Experiment("ch", "b", cfg, "quick", 1, tmp_path)
    with pytest.raises(KeyboardInterrupt):
        _train(exp, 13, crash_at=10)
    saved = torch.load(exp.checkpoint_path, weights_only=True)
    assert saved["step"] == 8  # checkpoints every 4 completed steps
    resumed_w, resumed_losses = _train(Experiment("ch", "b", cfg, "quick", 1, tmp_path), 13)
    assert torch.equal(resumed_w, straight_w)
    assert resumed_losses == straight_losses
    assert len(resumed_losses) == 13


def test_resumed_run_records_where_each_stretch_ran(tmp_path):
    exp = Experiment("ch", "s", {"lr": 0.1}, "quick", 1, tmp_path)
    with pytest.raises(KeyboardInterrupt):
        _train(exp, 13, crash_at=10)
    saved = torch.load(exp.checkpoint_path, weights_only=True)
    assert [seg["steps"] for seg in saved["segments"]] == [[0, 8]]
    resumed = Experiment("ch", "s", {"lr": 0.1}, "quick", 1, tmp_path)
    _train(resumed, 13)
    prov = resumed.finish({"done": 1}).provenance
    assert [seg["steps"] for seg in prov["segments"]] == [[0, 8], [8, 13]]
    assert all(seg["packages"]["torch"] == prov["packages"]["torch"] for seg in prov["segments"])
    straight = Experiment("ch", "t", {"lr": 0.1}, "quick", 1, tmp_path)
    _train(straight, 13)
    assert "segments" not in straight.finish({"done": 1}).provenance  # one stretch: nothing to add


def test_a_stretch_reads_its_environment_once(tmp_path, monkeypatch):
    calls = []

    def fake_environment():
        calls.append(1)
        return {"git_commit": f"commit-{len(calls)}", "packages": {}, "machine": {}}

    monkeypatch.setattr(runner, "environment", fake_environment)
    exp = Experiment("ch", "e", {"lr": 0.1}, "quick", 1, tmp_path)
    with pytest.raises(KeyboardInterrupt):
        _train(exp, 30, crash_at=22)  # five checkpoints in this stretch
    assert len(calls) == 1
    saved = torch.load(exp.checkpoint_path, weights_only=True)
    assert saved["segments"] == [{"steps": [0, 20], "git_commit": "commit-1", "packages": {},
                                  "machine": {}}]
    resumed = Experiment("ch", "e", {"lr": 0.1}, "quick", 1, tmp_path)
    _train(resumed, 30)
    prov = resumed.finish({"done": 1}).provenance  # the second stretch and the final record
    assert len(calls) == 3
    assert [(seg["steps"], seg["git_commit"]) for seg in prov["segments"]] == [
        ([0, 20], "commit-1"), ([20, 30], "commit-2")]


def test_a_commit_made_during_a_run_is_recorded(tmp_path, monkeypatch):
    commits = iter(["start-commit", "finish-commit"])
    monkeypatch.setattr(runner, "environment",
                        lambda: {"git_commit": next(commits), "packages": {}, "machine": {}})
    exp = Experiment("ch", "c", {"lr": 0.1}, "quick", 1, tmp_path)
    _train(exp, 13)  # never interrupted, but HEAD moved before it finished
    prov = exp.finish({"done": 1}).provenance
    assert prov["git_commit"] == "finish-commit"
    assert [(seg["steps"], seg["git_commit"]) for seg in prov["segments"]] == [([0, 13], "start-commit")]


def test_checkpoint_without_segment_records_is_marked(tmp_path):
    exp = Experiment("ch", "o", {"lr": 0.1}, "quick", 1, tmp_path)
    with pytest.raises(KeyboardInterrupt):
        _train(exp, 13, crash_at=10)
    saved = torch.load(exp.checkpoint_path, weights_only=True)
    del saved["segments"]  # as written before segments were recorded
    torch.save(saved, exp.checkpoint_path)
    resumed = Experiment("ch", "o", {"lr": 0.1}, "quick", 1, tmp_path)
    _train(resumed, 13)
    first, second = resumed.finish({"done": 1}).provenance["segments"]
    assert first["steps"] == [0, 8] and "before segments were recorded" in first["note"]
    assert second["steps"] == [8, 13] and "git_commit" in second


def test_checkpoint_of_another_config_is_ignored(tmp_path):
    exp = Experiment("ch", "c", {"lr": 0.1}, "quick", 0, tmp_path)
    with pytest.raises(KeyboardInterrupt):
        _train(exp, 10, crash_at=5)
    other = Experiment("ch", "c", {"lr": 0.2}, "quick", 0, tmp_path)
    assert next(iter(other.steps(10, {}, progress=False))) == 0


def test_finish_writes_artifacts_with_provenance_and_load_reads_them(tmp_path):
    exp = Experiment("ch", "run", {"epochs": 2, "sizes": (1, 2)}, "full", 7, tmp_path)
    exp.checkpoint_path.parent.mkdir(parents=True)
    exp.checkpoint_path.write_bytes(b"stale")
    exp.finish({"acc": np.float32(0.5), "curve": torch.tensor([1.0, 2.0])},
               arrays={"trace": torch.arange(4.0)}, weights={"w": torch.ones(2)})
    assert not exp.checkpoint_path.exists()
    again = Experiment("ch", "run", {"epochs": 2, "sizes": [1, 2]}, "full", 7, tmp_path)
    assert again.is_complete()
    art = again.load()
    assert art.metrics == {"acc": 0.5, "curve": [1.0, 2.0]}
    np.testing.assert_array_equal(art.arrays["trace"], [0, 1, 2, 3])
    assert torch.equal(art.weights["w"], torch.ones(2))
    prov = art.provenance
    assert prov["seed"] == 7 and prov["profile"] == "full"
    assert prov["config"] == {"epochs": 2, "sizes": [1, 2]}
    assert prov["packages"]["torch"].startswith("2.13.0")
    assert prov["wall_time_s"] >= 0
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=runner.project_root(),
                          capture_output=True, text=True)
    expected = head.stdout.strip() if head.returncode == 0 else "unknown"
    assert prov["git_commit"].split("-")[0] == expected


def test_changed_config_or_seed_is_not_complete(tmp_path):
    Experiment("ch", "run", {"epochs": 2}, "full", 0, tmp_path).finish({"acc": 1.0})
    assert not Experiment("ch", "run", {"epochs": 3}, "full", 0, tmp_path).is_complete()
    assert not Experiment("ch", "run", {"epochs": 2}, "full", 1, tmp_path).is_complete()
    with pytest.raises(FileNotFoundError, match="profile='full'"):
        Experiment("ch", "run", {"epochs": 3}, "full", 0, tmp_path).load()


def test_interrupted_finish_does_not_look_complete(tmp_path, monkeypatch):
    exp = Experiment("ch", "run", {}, "quick", 0, tmp_path)

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(runner, "provenance", explode)
    with pytest.raises(OSError):
        exp.finish({"acc": 1.0}, arrays={"x": np.zeros(2)})
    assert not exp.is_complete()
    assert not list(exp.directory.glob(".*.tmp"))


def test_profiles_and_seeding():
    profiles = {"quick": {"n": 1}, "full": {"n": 100}}
    assert runner.select_profile(profiles, "full") == {"n": 100}
    with pytest.raises(ValueError, match="unknown profile"):
        runner.select_profile(profiles, "medium")
    with pytest.raises(ValueError):
        Experiment("ch", "x", {}, "medium")
    a = runner.seed_everything(3)
    first = torch.rand(2, generator=a), torch.rand(2), np.random.rand()
    b = runner.seed_everything(3)
    second = torch.rand(2, generator=b), torch.rand(2), np.random.rand()
    assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])
    assert first[2] == second[2]


def test_non_finite_config_values_are_stored_and_matched(tmp_path):
    cfg = {"wmin": float("-inf"), "wmax": 0.0}
    Experiment("ch", "inf", cfg, "full", 0, tmp_path).finish({"sd": float("nan")})
    again = Experiment("ch", "inf", dict(cfg), "full", 0, tmp_path)
    assert again.is_complete()
    assert again.load().provenance["config"]["wmin"] == "-inf"
    assert again.load().metrics == {"sd": "nan"}


def test_wants_training_patterns():
    from snnlib.book.runner import wants_training

    assert wants_training(True, "anything") and not wants_training(False, "anything")
    assert not wants_training("", "clf400_s4nn")
    assert wants_training("clf400_*, norm_pilot", "clf400_s4nn")
    assert wants_training("clf400_*, norm_pilot", "norm_pilot")
    assert not wants_training("clf400_*,norm_pilot", "clf1000_aggressive")


def test_run_context_runs_reads_back_or_lists_as_pending(tmp_path):
    calls = []

    def body(exp):
        calls.append(exp.name)
        gen = exp.generator()
        return exp.finish({"draw": torch.rand(1, generator=gen).item()})

    ctx = runner.RunContext("ch", "full", train="clf1000_*", seed=4, root=tmp_path)
    assert ctx.experiment("clf400_s4nn", {"a": 1}, body) is None
    assert ctx.pending == ["clf400_s4nn"] and calls == []
    ctx = runner.RunContext("ch", "full", train="clf400_*", seed=4, root=tmp_path)
    made = ctx.experiment("clf400_s4nn", {"a": 1}, body)
    assert calls == ["clf400_s4nn"] and made.metrics["draw"] == torch.rand(
        1, generator=torch.Generator().manual_seed(4)).item()
    again = runner.RunContext("ch", "full", train=False, seed=4, root=tmp_path)
    assert again.experiment("clf400_s4nn", {"a": 1}, body).metrics == made.metrics
    assert calls == ["clf400_s4nn"] and again.pending == []  # read back, not re-run
    assert again.experiment("clf400_s4nn", {"a": 2}, body) is None  # other settings: not done
    assert again.pending == ["clf400_s4nn"]
    assert again.recorded("clf400_s4nn").metrics == made.metrics
    assert again.recorded("clf400_s4nn", {"a": 2}) is None and again.recorded("bench") is None


def test_code_fingerprint_covers_the_imported_library_code_but_not_the_infrastructure():
    modules = runner.code_modules(["snnlib.papers.p002_competition"])
    assert "snnlib.papers.p002_competition.network" in modules  # a package stands for its modules
    assert "snnlib.core.neurons" in modules and "snnlib.core.surrogate" in modules  # imported
    assert "snnlib.core.temporal" not in modules  # not imported by paper 002's code
    assert not any(m.startswith("snnlib.papers.p003") for m in modules)
    assert not set(modules) & runner.INFRASTRUCTURE


def test_code_status_names_the_modules_that_changed(tmp_path):
    exp = Experiment("ch", "x", {}, "full", 0, tmp_path, code=("snnlib.core.stdp",))
    prov = exp.finish({"x": 1}).provenance
    assert runner.code_status(prov) == "unchanged"
    assert runner.code_status({}) == "not recorded"
    edited = {**prov["code"], "sha256": "0", "modules": {**prov["code"]["modules"],
                                                          "snnlib.core.stdp": "0"}}
    assert runner.code_status({"code": edited}) == "changed: `stdp`"
    assert "| unchanged |" in runner.provenance_table("full", tmp_path)



OLD_MODULE = '''"""A module."""
import math

RATE = 0.5


def f(x):
    """Doc."""
    return x * RATE  # a comment


def g(x):
    return math.exp(x)
'''


def test_changed_definitions_ignore_comments_docstrings_and_additions():
    edited = (OLD_MODULE.replace('"""Doc."""', '"""Another doc."""').replace("# a comment", "")
              .replace('"""A module."""', '"""Renamed."""') + "\n\ndef h(x):\n    return x\n")
    assert runner.changed_definitions(OLD_MODULE, edited) == []
    assert set(runner.definitions(edited)) - set(runner.definitions(OLD_MODULE)) == {"h"}
    edited = OLD_MODULE.replace("x * RATE", "x * RATE * 2").replace("RATE = 0.5", "RATE = 0.25")
    assert runner.changed_definitions(OLD_MODULE, edited) == ["RATE", "f"]
    edited = OLD_MODULE.replace("import math", "import math as m").split("def g")[0]
    assert runner.changed_definitions(OLD_MODULE, edited) == ["g", runner.MODULE_LEVEL]


def test_code_status_names_the_definitions_that_changed(tmp_path, monkeypatch):
    """Where the recorded version is in the git history (here: handed in), the status says which
    of its definitions changed."""
    module, path, real = "snnlib.core.stdp", tmp_path / "stdp.py", runner._module_file
    monkeypatch.setattr(runner, "_module_file", lambda name: path if name == module else real(name))
    monkeypatch.setattr(runner, "recorded_source", lambda name, sha: OLD_MODULE if name == module else None)
    path.write_text(OLD_MODULE)
    recorded = runner.code_fingerprint([module])

    def status(text):
        path.write_text(text)
        return runner.code_status({"code": recorded})

    assert status(OLD_MODULE) == "unchanged"
    assert status(OLD_MODULE.replace("x * RATE", "x * RATE * 2")) == "changed: `stdp` (`f`)"
    assert status(OLD_MODULE + "\n\ndef h(x):\n    return x\n") == "changed: `stdp` (additions only)"
    assert status(OLD_MODULE.replace("# a comment", "# another")) == "changed: `stdp` (comments and docstrings only)"
    everything = (OLD_MODULE.replace("x * RATE", "-x").replace("0.5", "1").replace("exp", "log")
                  .replace("import math", "import math, os"))
    assert status(everything) == "changed: `stdp` (`RATE`, `f`, `g`, +1 more)"
    monkeypatch.setattr(runner, "recorded_source", lambda name, sha: None)  # not in the history
    assert status(everything) == "changed: `stdp`"


def test_committed_versions_are_found_by_their_sha256(tmp_path):
    import hashlib
    import subprocess

    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run(git + ["init", "-q"], cwd=tmp_path, check=True)
    path = tmp_path / "pkg" / "mod.py"
    path.parent.mkdir()
    texts = ["x = 1\n", "x = 2\n"]
    for text in texts:
        path.write_text(text)
        subprocess.run(git + ["add", "."], cwd=tmp_path, check=True)
        subprocess.run(git + ["commit", "-qm", "v"], cwd=tmp_path, check=True)
    path.write_text("x = 3\n")  # not committed: not found
    versions = runner._committed_versions(path)
    assert versions == {hashlib.sha256(t.encode()).hexdigest(): t for t in texts}
    assert runner._committed_versions(tmp_path.parent / "mod.py") == {}  # outside a repository


def test_an_experiment_can_name_its_own_code_instead_of_the_contexts(tmp_path):
    ctx = runner.RunContext("ch", "full", True, root=tmp_path, code=("snnlib.papers.p002_competition",))

    def body(exp):
        return exp.finish({"x": 1})

    own = ctx.experiment("own", {}, body, code=("snnlib.core.stdp",)).provenance["code"]
    shared = ctx.experiment("shared", {}, body).provenance["code"]
    assert own["roots"] == ["snnlib.core.stdp"] and "snnlib.core.stdp" in own["modules"]
    assert "snnlib.papers.p002_competition.network" not in own["modules"]  # not the context's
    assert "snnlib.papers.p002_competition.network" in shared["modules"]

def test_git_commit_is_dirty_for_code_changes_not_for_results(tmp_path):
    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path,
                       check=True, capture_output=True)

    (tmp_path / "data" / "results").mkdir(parents=True)
    (tmp_path / "data" / "results" / "checkpoint.pt").write_text("step 1")
    (tmp_path / "code.py").write_text("x = 1")
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "start")
    clean = runner.git_commit(tmp_path)
    assert len(clean) == 40 and not clean.endswith("-dirty")
    (tmp_path / "data" / "results" / "checkpoint.pt").write_text("step 2")  # a run in progress
    assert runner.git_commit(tmp_path) == clean
    (tmp_path / "code.py").write_text("x = 2")
    assert runner.git_commit(tmp_path) == clean + "-dirty"


def test_git_commit_outside_a_checkout(tmp_path, monkeypatch):
    monkeypatch.delenv("SNN_SOURCE_COMMIT", raising=False)
    assert runner.git_commit(tmp_path) == "unknown"
    monkeypatch.setenv("SNN_SOURCE_COMMIT", "abc123")
    assert runner.git_commit(tmp_path) == "abc123 (copy outside git)"


def test_provenance_table_lists_artifacts_and_stretches(tmp_path):
    plain = Experiment("ch1", "plain", {"a": 1}, "full", 0, tmp_path)
    plain.finish({"x": 1})
    resumed = Experiment("ch2", "resumed", {"lr": 0.1}, "full", 1, tmp_path)
    with pytest.raises(KeyboardInterrupt):
        _train(resumed, 13, crash_at=10)
    again = Experiment("ch2", "resumed", {"lr": 0.1}, "full", 1, tmp_path)
    _train(again, 13)
    again.finish({"x": 2})
    Experiment("ch1", "quick_one", {}, "quick", 0, tmp_path).finish({"x": 3})
    text = runner.provenance_table("full", tmp_path)
    first, second = text.split("\n\n**ch2**\n\n")
    assert first.startswith("**ch1**\n\n| experiment | finished, wall time | git commit |")
    rows = [line for line in text.splitlines() if line.startswith("| <code>")]
    assert len(rows) == 2  # the quick artifact is not listed
    assert rows[0].startswith("| <code>plain</code> |") and "steps" not in rows[0]
    assert rows[1].startswith("| <code>resumed</code> |") and rows[1] in second
    # a long experiment name may break after its underscores
    Experiment("ch1", "table2_row5_refrac2", {}, "full", 0, tmp_path).finish({"x": 4})
    assert "| <code>table2_<wbr>row5_<wbr>refrac2</code> |" in runner.provenance_table("full", tmp_path)
    assert "steps 0–8: " in rows[1] and "<br>steps 8–13: " in rows[1]
    assert f"torch {torch.__version__}" in rows[1]


def test_provenance_summary_states_machines_dirty_commits_and_code_status(tmp_path, monkeypatch):
    env = runner.environment()
    monkeypatch.setattr(runner, "environment", lambda: {**env, "git_commit": "abc"})
    Experiment("ch", "a", {}, "full", 0, tmp_path, code=("snnlib.core.stdp",)).finish({"x": 1})
    monkeypatch.setattr(runner, "environment", lambda: {**env, "git_commit": "abc-dirty",
                                                        "machine": {**env["machine"], "cpu_count": 16,
                                                                    "cpu": "Some CPU"}})
    Experiment("ch", "b", {}, "full", 0, tmp_path).finish({"x": 2})
    text = runner.provenance_summary("full", tmp_path)
    assert text.startswith("* 2 artifacts, made on machines with ")
    assert "16 CPUs (Some CPU), torch " in text and "(1 run)" in text
    assert "* 1 of 2 were made from a commit with uncommitted changes" in text
    assert "1 not recorded, 1 unchanged" in text
    assert runner.provenance_summary("quick", tmp_path) == "No quick-profile artifact is committed yet."


def test_cpu_model_is_read_from_cpuinfo():
    info = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9R14\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 9R14\n"
    assert runner.cpu_model(info) == "AMD EPYC 9R14"
    assert runner.cpu_model("processor\t: 0\n") == (runner.platform.processor() or "unknown")
    assert runner._where({"machine": {"cpu_count": 2}, "packages": {"torch": "2.13"}}) == "2 CPUs, torch 2.13"
    assert runner._where({"machine": {"cpu_count": 2, "cpu": "X"}, "packages": {"torch": "2.13"}}) == "2 CPUs (X), torch 2.13"


def test_check_parameters_names_the_valid_values():
    runner.check_parameters("quick", True)
    runner.check_parameters("full", "clf400_*")
    with pytest.raises(ValueError, match=r"\['quick', 'full'\], not 'bogus'"):
        runner.check_parameters("bogus")
    with pytest.raises(ValueError, match="not 'quick'"):
        runner.check_parameters("quick", allowed=("full",))
    with pytest.raises(TypeError, match="train must be"):
        runner.check_parameters("quick", 3)


def test_cost_table_sums_wall_time_per_chapter(tmp_path, monkeypatch):
    clock = iter([0.0, 3600.0, 10.0, 1810.0])  # two runs: 1 h and 0.5 h
    monkeypatch.setattr(runner.time, "perf_counter", lambda: next(clock))
    Experiment("ch", "long", {}, "full", 0, tmp_path).finish({"x": 1})
    Experiment("ch", "short", {}, "full", 0, tmp_path).finish({"x": 1})
    rows = runner.cost_table("full", tmp_path).splitlines()
    assert rows[2] == "| ch | 2 | 1.5 h | 1.0 h (`long`) |"


def test_benchmark_record_times_the_script_from_its_start(tmp_path, monkeypatch):
    """A benchmark's record is created before it measures, so its wall time spans the script."""
    import argparse

    monkeypatch.setattr(runner, "results_root", lambda: tmp_path)
    clock = iter([100.0, 142.5])
    monkeypatch.setattr(runner.time, "perf_counter", lambda: next(clock))
    assert runner.benchmark_record("ch", "bench", argparse.Namespace(record=False, batch=4)) is None
    recording = runner.benchmark_record("ch", "bench", argparse.Namespace(record=True, batch=4), seed=3)
    artifact = recording.finish({"ratio": 2.0})
    assert artifact.provenance["wall_time_s"] == 42.5
    assert artifact.provenance["config"] == {"batch": 4} and artifact.provenance["seed"] == 3
    assert recording.directory == tmp_path / "ch" / "full" / "bench"


def test_one_thread_sets_one_intraop_thread_and_restores_the_callers_count_even_on_error():
    saved = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        with runner.one_thread():
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
        with pytest.raises(RuntimeError), runner.one_thread():
            raise RuntimeError("inside")
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(saved)
