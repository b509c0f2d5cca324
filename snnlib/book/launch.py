"""Run a chapter's experiments as independent jobs: in-process, on a capped local process pool, or
as one SLURM job array through submitit.

    python -m snnlib.book.launch 002_competition --profile full --executor local --max-parallel 2
    python -m snnlib.book.launch 003_spiking_gan --executor slurm --partition gpu --gpus 1
    python -m snnlib.book.launch 002_competition --list            # what is still to run
    python -m snnlib.book.launch 002_competition --stale           # what ran on code changed since

**What runs.**  A chapter's paper package (``snnlib.papers.<pkg>``, found by its ``CHAPTER``)
runs every protocol of the chapter in ``experiments.run_all(ctx)``; with ``ctx.train = False``
nothing trains, and ``ctx.pending`` lists the experiments that have no artifact yet
(:func:`pending_experiments`).  Each pending experiment becomes one job
(:func:`run_job`), which does the same with ``train`` set to that one name: it trains that
experiment and reads every other one back.  An experiment that needs another's result (a GAN
configured by a pilot's artifact) is not pending until that result exists, so the launcher works
in *waves*: run what is pending, enumerate again, until nothing is pending or a wave makes no
progress.  A job writes its artifact exactly as a chapter run does (same folder, identity and
provenance, plus the executor, host and job id); a killed or timed-out job leaves the runner's
checkpoint, and the job that runs it again resumes there.  Collecting results into the claims
file stays the chapter's work (run it afterwards, e.g. ``make book``).

**Executors.**  ``debug``: one job after the other in this process (submitit's debug executor).
``local``: a process pool of ``max_parallel`` workers (submitit's own local executor starts every
job at once), each job with ``threads`` torch threads (1 by default: one process per core is
what a 2-core machine wants).  ``slurm``: ``map_array`` submits one job array with at most
``max_parallel`` tasks running; jobs are :class:`submitit.helpers.Checkpointable`, so SLURM
requeues a preempted or timed-out job and it resumes from its checkpoint.  The job folder
(``folder``) must be on a file system the nodes share.

**Devices.**  With ``gpus > 0`` a job's run context gets ``device = "cuda"`` when CUDA is
available; protocols that can use a GPU put their tensors on ``ctx.device``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import fnmatch
import glob
import importlib
import multiprocessing
import os
import pkgutil
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Sequence

import submitit
import torch

from snnlib.book.runner import LAUNCH_VARIABLES, RunContext, code_status, denormals_flushed

__all__ = ["CheckpointableJob", "Job", "LaunchReport", "paper_package", "pending_experiments", "stale_experiments",
           "run_job", "launch", "sbatch_script"]

PAPERS = "snnlib.papers"
EXECUTORS = ("debug", "local", "slurm")


def paper_package(chapter: str, papers: str = PAPERS) -> ModuleType:
    """The package under ``papers`` whose ``CHAPTER`` is ``chapter`` (imported by name: the book
    layer does not import paper packages statically)."""
    namespace = importlib.import_module(papers)
    found = []
    for info in pkgutil.iter_modules(namespace.__path__):
        module = importlib.import_module(f"{papers}.{info.name}")
        if getattr(module, "CHAPTER", None) == chapter:
            return module
        found.append(getattr(module, "CHAPTER", info.name))
    raise ValueError(f"no paper package for chapter {chapter!r}; chapters: {sorted(found)}")


def _run_all(package: ModuleType, ctx: RunContext) -> None:
    importlib.import_module(f"{package.__name__}.experiments").run_all(ctx)


def pending_experiments(package: ModuleType, profile: str) -> list[str]:
    """The experiments of the package's chapter that have no artifact for ``profile`` yet (those
    whose settings depend on a missing artifact are not among them until it exists)."""
    ctx = package.run_context(profile, False)
    _run_all(package, ctx)
    return list(dict.fromkeys(ctx.pending))


def stale_experiments(package: ModuleType, profile: str) -> dict[str, str]:
    """The finished experiments of the package's chapter whose library code has changed since
    they ran, with what changed (:func:`~snnlib.book.runner.code_status`).  The launcher does not
    rerun them (its settings and seed still match); deleting an artifact's folder makes it
    pending again."""
    ctx = package.run_context(profile, False)
    _run_all(package, ctx)
    status = {name: code_status(prov) for name, prov in ctx.found.items()}
    return {name: s for name, s in status.items() if s.startswith("changed")}


@dataclass(frozen=True)
class Job:
    """One experiment of a chapter to run: everything a worker needs, and picklable."""

    package: str
    profile: str
    name: str
    executor: str = "local"
    threads: int = 1
    gpus: int = 0


def _job_id() -> str:
    try:
        return str(submitit.JobEnvironment().job_id)
    except RuntimeError:  # not inside a submitit job
        return f"pid-{os.getpid()}"


def run_job(job: Job) -> str:
    """Run one experiment (in a worker): train it through the chapter's protocols, with the
    executor, host and job id in its provenance.  Returns its name; raises if no artifact results.
    Subnormal floats are flushed to zero while it runs (:func:`~snnlib.book.runner.denormals_flushed`
    says why; provenance records it).  The launch variables, thread count and flush setting are
    restored afterwards (the debug executor runs jobs in the caller's process)."""
    saved_env = {var: os.environ.get(var) for var in LAUNCH_VARIABLES.values()}
    saved_threads = torch.get_num_threads()
    saved_flush = denormals_flushed()
    torch.set_flush_denormal(True)
    os.environ[LAUNCH_VARIABLES["executor"]] = job.executor
    os.environ[LAUNCH_VARIABLES["job_id"]] = _job_id()
    torch.set_num_threads(job.threads)
    try:
        package = importlib.import_module(job.package)
        ctx = package.run_context(job.profile, glob.escape(job.name))  # this experiment only
        if job.gpus and torch.cuda.is_available():
            ctx.device = "cuda"
        _run_all(package, ctx)
        if not (ctx.artifact_directory(job.name) / "metrics.json").exists():
            raise RuntimeError(f"{job.name}: the protocols ran but wrote no artifact")
        return job.name
    finally:
        torch.set_num_threads(saved_threads)
        torch.set_flush_denormal(saved_flush)
        for var, value in saved_env.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value


class CheckpointableJob(submitit.helpers.Checkpointable):
    """:func:`run_job` as a submitit ``Checkpointable``: on preemption or time-out SLURM requeues
    the same job, which resumes from the runner's checkpoint."""

    def __call__(self, job: Job) -> str:
        return run_job(job)


@dataclass
class LaunchReport:
    """What a launch did: the experiments finished, failed (with the error) and still pending."""

    finished: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)
    waves: int = 0


def _select(names: Sequence[str], only: str | None) -> list[str]:
    if not only:
        return list(names)
    patterns = [p.strip() for p in only.split(",") if p.strip()]
    return [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns)]


def _run_local(jobs: list[Job], max_parallel: int) -> dict[str, str | None]:
    """Run ``jobs`` on a pool of at most ``max_parallel`` processes; ``{name: None or error}``.
    A worker that dies (killed, out of memory) fails its job and the jobs beside it; they are
    pending again in the next wave and resume from their checkpoints."""
    outcome: dict[str, str | None] = {}
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=max_parallel, mp_context=context) as pool:
        futures = {pool.submit(run_job, job): job.name for job in jobs}
        for future in concurrent.futures.as_completed(futures):
            try:
                future.result()
                outcome[futures[future]] = None
            except Exception as exc:  # noqa: BLE001 - reported, retried in the next wave
                outcome[futures[future]] = f"{type(exc).__name__}: {exc}"
    return outcome


def _submitit_executor(kind: str, folder: Path, max_parallel: int, threads: int, gpus: int,
                       partition: str | None, timeout_min: int):
    executor = submitit.AutoExecutor(folder=folder, cluster=kind)
    if kind == "slurm":
        executor.update_parameters(timeout_min=timeout_min, cpus_per_task=threads,
                                   gpus_per_node=gpus or None, slurm_partition=partition,
                                   slurm_array_parallelism=max_parallel, name="snn-companion")
    return executor


def _run_submitit(jobs: list[Job], executor) -> dict[str, str | None]:
    outcome: dict[str, str | None] = {}
    submitted = executor.map_array(CheckpointableJob(), jobs)
    for job, handle in zip(jobs, submitted):
        try:
            handle.result()
            outcome[job.name] = None
        except Exception as exc:  # noqa: BLE001 - reported, retried in the next wave
            outcome[job.name] = f"{type(exc).__name__}: {exc}"
    return outcome


def launch(chapter: str, profile: str = "full", executor: str = "local", *, max_parallel: int = 2,
           only: str | None = None, threads: int = 1, gpus: int = 0, folder: Path | str = ".build/launch",
           partition: str | None = None, timeout_min: int = 24 * 60, max_attempts: int = 3,
           papers: str = PAPERS) -> LaunchReport:
    """Run every pending experiment of ``chapter`` (those matching ``only``, comma-separated shell
    patterns) on ``executor``, wave after wave, each at most ``max_attempts`` times (a job that
    failed, e.g. because its worker was killed, runs again and resumes from its checkpoint); see
    the module docstring."""
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {EXECUTORS}, not {executor!r}")
    package = paper_package(chapter, papers)
    report = LaunchReport()
    submitit_executor = None
    if executor != "local":
        submitit_executor = _submitit_executor(executor, Path(folder), max_parallel, threads, gpus,
                                               partition, timeout_min)
    attempts: dict[str, int] = {}
    while True:
        names = [n for n in _select(pending_experiments(package, profile), only)
                 if attempts.get(n, 0) < max_attempts]
        if not names:
            break
        for name in names:
            attempts[name] = attempts.get(name, 0) + 1
        report.waves += 1
        jobs = [Job(package.__name__, profile, name, executor, threads, gpus) for name in names]
        print(f"[launch] wave {report.waves}: {len(jobs)} experiment(s) of {chapter} on {executor}: "
              + ", ".join(names), file=sys.stderr)
        outcome = (_run_local(jobs, max_parallel) if executor == "local"
                   else _run_submitit(jobs, submitit_executor))
        done = [name for name, error in outcome.items() if error is None]
        report.finished += done
        for name, error in outcome.items():
            if error is not None:
                report.failed[name] = error
        for name in done:
            report.failed.pop(name, None)
    report.pending = _select(pending_experiments(package, profile), only)
    return report


def sbatch_script(chapter: str, n_jobs: int, *, max_parallel: int = 8, threads: int = 1,
                  gpus: int = 0, partition: str | None = None, timeout_min: int = 24 * 60,
                  folder: Path | str = ".build/launch") -> str:
    """The sbatch script submitit writes for a job array of ``n_jobs`` experiments of ``chapter``
    (for checking a SLURM set-up without submitting anything)."""
    from submitit.slurm import slurm  # its script builder (private API; checked by a test)

    return slurm._make_sbatch_string(
        command="python -u -m submitit.core._submit", folder=str(folder), job_name="snn-companion",
        partition=partition, time=timeout_min, cpus_per_task=threads, gpus_per_node=gpus or None,
        array_parallelism=max_parallel, map_count=n_jobs,
        comment=f"snn-companion {chapter}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m snnlib.book.launch", description=__doc__.splitlines()[0])
    parser.add_argument("chapter")
    parser.add_argument("--profile", choices=("quick", "full"), default="full")
    parser.add_argument("--executor", choices=EXECUTORS, default="local")
    parser.add_argument("--max-parallel", type=int, default=2, help="jobs running at once")
    parser.add_argument("--only", help="comma-separated shell patterns of experiment names")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per job")
    parser.add_argument("--gpus", type=int, default=0, help="GPUs per job (slurm), CUDA when present")
    parser.add_argument("--partition", help="SLURM partition")
    parser.add_argument("--timeout-min", type=int, default=24 * 60, help="SLURM time limit per job")
    parser.add_argument("--folder", default=".build/launch", help="submitit's job folder (shared)")
    parser.add_argument("--list", action="store_true", help="only list the pending experiments")
    parser.add_argument("--stale", action="store_true",
                        help="only list the finished experiments whose code changed since they ran")
    args = parser.parse_args(argv)
    if args.list:
        for name in _select(pending_experiments(paper_package(args.chapter), args.profile), args.only):
            print(name)
        return 0
    if args.stale:
        stale = stale_experiments(paper_package(args.chapter), args.profile)
        for name in _select(list(stale), args.only):
            print(f"{name}: {stale[name]}")
        return 0
    try:
        report = launch(args.chapter, args.profile, args.executor, max_parallel=args.max_parallel,
                        only=args.only, threads=args.threads, gpus=args.gpus, folder=args.folder,
                        partition=args.partition, timeout_min=args.timeout_min)
    except Exception:  # noqa: BLE001 - one readable error for the command line
        traceback.print_exc()
        return 2
    print(f"finished: {len(report.finished)}, failed: {len(report.failed)}, still pending: "
          f"{len(report.pending)} ({report.waves} waves)")
    for name, error in report.failed.items():
        print(f"  failed {name}: {error}")
    return 0 if not report.pending else 1


if __name__ == "__main__":
    sys.exit(main())
