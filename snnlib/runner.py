"""Experiment runner shared by the chapters.

A chapter describes its experiments with *named profiles* (``quick`` for CI, ``full`` for the
paper's settings or the largest run feasible here) and runs each experiment through an
:class:`Experiment`, which gives it

* seeding (:func:`seed_everything`),
* a progress bar and checkpoints that resume after a kill (:meth:`Experiment.steps`),
* artifacts -- metrics JSON, figure arrays (``.npz``) and small weights -- written atomically
  together with their provenance: config, seed, git commit, package versions and wall time
  (:meth:`Experiment.finish`),
* a cheap reload of finished artifacts (:meth:`Experiment.load`), so that plotting never has to
  re-run an expensive experiment (the CEBRA-figures split of expensive runs from cheap plotting).

Layout: ``<results root>/<chapter>/<profile>/<experiment>/`` holding ``metrics.json``,
``arrays.npz``, ``weights.pt`` and, while a run is in progress, ``checkpoint.pt``.  The results
root is ``data/results`` in the repository (``SNN_RESULTS_DIR`` overrides it); quick-profile
results are git-ignored, full-profile results are committed.
"""

from __future__ import annotations

import fnmatch
import io
import json
import math
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np
import torch
from tqdm.auto import tqdm

REPO_ROOT = Path(__file__).resolve().parent.parent
PROFILES = ("quick", "full")
PROVENANCE_PACKAGES = ("torch", "numpy", "scikit-learn", "matplotlib", "snnlib")


def results_root() -> Path:
    """Directory that holds every chapter's results (``SNN_RESULTS_DIR`` or ``data/results``)."""
    return Path(os.environ.get("SNN_RESULTS_DIR", REPO_ROOT / "data" / "results"))


def select_profile(profiles: Mapping[str, Mapping[str, Any]], name: str) -> dict[str, Any]:
    """Return a copy of the settings of profile ``name``, refusing unknown names."""
    if name not in profiles:
        raise ValueError(f"unknown profile {name!r}; this chapter defines {sorted(profiles)}")
    return dict(profiles[name])


def wants_training(train: bool | str, name: str) -> bool:
    """A chapter's ``train`` parameter applied to one experiment: ``True`` trains everything,
    ``False`` (or ``""``) nothing, and a string of comma-separated shell patterns (e.g.
    ``"clf400_*,norm_pilot"``) the experiments whose name matches one of them."""
    if isinstance(train, bool):
        return train
    return any(fnmatch.fnmatchcase(name, pattern.strip()) for pattern in str(train).split(",")
               if pattern.strip())


def artifact_or_pending(exp: "Experiment", train: bool | str,
                        pending: list[str]) -> tuple["Artifact | None", bool]:
    """The opening of every chapter experiment: ``(artifact, False)`` when a finished artifact
    with this config exists; ``(None, False)`` when none exists and ``train`` (see
    :func:`wants_training`) leaves this experiment out, after appending its name to
    ``pending``; ``(None, True)`` when it is to be trained now."""
    if exp.is_complete():
        return exp.load(), False
    if not wants_training(train, exp.name):
        pending.append(exp.name)
        return None, False
    return None, True


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch, and return a fresh ``torch.Generator`` seeded with ``seed``.

    Chapters pass the returned generator explicitly to every random draw they make.
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def git_commit(repo: Path = REPO_ROOT) -> str:
    """The checked-out commit, with ``-dirty`` appended when tracked files other than results
    (``data/results``, where running experiments rewrite their committed checkpoints) have changes.

    Outside a git checkout (a copy of the tree on another machine) it is ``unknown``, or the
    commit the copy was made from if ``SNN_SOURCE_COMMIT`` names it (then marked as a copy).
    """
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                                ":(exclude)data/results"], cwd=repo,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        source = os.environ.get("SNN_SOURCE_COMMIT")
        return f"{source} (copy outside git)" if source else "unknown"
    return head + ("-dirty" if dirty else "")


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PROVENANCE_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def environment() -> dict:
    """Where code runs now: git commit, package versions and machine."""
    return {
        "git_commit": git_commit(),
        "packages": package_versions(),
        "machine": {"platform": platform.platform(), "processor": platform.machine(),
                    "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads()},
    }


def provenance(config: Mapping[str, Any], seed: int, profile: str, wall_time_s: float,
               segments: list[dict] | None = None) -> dict:
    """Everything needed to say where an artifact came from.

    ``segments`` lists which steps ran where: ``{"steps": [start, stop], **environment()}`` per
    stretch between a start or resume and the last checkpoint or finish.  ``Experiment.finish``
    passes none and adds them only for a resumed run, or for a run whose environment at its start
    differs from the one above, which is read at the finish.
    """
    prov = {
        "config": _jsonable(config),
        "seed": seed,
        "profile": profile,
        **environment(),
        "wall_time_s": round(float(wall_time_s), 3),
        "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if segments:
        prov["segments"] = _jsonable(segments)
    return prov


def _where(env: Mapping[str, Any]) -> str:
    """One line for an environment record: machine, CPUs, threads and torch version."""
    machine = env.get("machine", {})
    cpus = machine.get("cpu_count")
    return (f"{machine.get('platform', '?')}"
            + (f", {cpus} CPUs" if cpus else "")
            + f", {machine.get('torch_threads', '?')} torch threads"
            + f", torch {env.get('packages', {}).get('torch', '?')}")


def _short_commit(commit: str) -> str:
    head, _, rest = commit.partition("-")
    return head[:7] + (f"-{rest}" if rest else "") if len(head) == 40 else commit


def provenance_table(profile: str = "full", root: Path | None = None) -> str:
    """A Markdown table of every finished artifact of ``profile`` under the results root: when
    and where it was made (commit, machine, torch) and its wall time; a resumed run, or one whose
    commit changed while it ran, lists each stretch of steps (see :func:`provenance`)."""
    root = Path(root) if root is not None else results_root()
    lines = ["| chapter | experiment | finished (UTC) | wall time | git commit | where |",
             "|---|---|---|---|---|---|"]
    for path in sorted(root.glob(f"*/{profile}/*/metrics.json")):
        prov = json.loads(path.read_text())["provenance"]
        segments = prov.get("segments")
        if segments:
            where = "<br>".join(
                f"steps {a:,}–{b:,}: " + (seg["note"] if "note" in seg else
                                          f"{_where(seg)} (commit {_short_commit(seg['git_commit'])})")
                for seg in segments for a, b in [seg["steps"]])
        else:
            where = _where(prov)
        lines.append(f"| {path.parts[-4]} | `{path.parts[-2]}` | {prov.get('finished_utc', '?')} "
                     f"| {prov.get('wall_time_s', 0) / 60:,.1f} min | {_short_commit(prov.get('git_commit', '?'))} "
                     f"| {where} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- atomic writes

def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either the old file or the whole new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, obj: Any) -> None:
    text = json.dumps(_jsonable(obj), indent=2, sort_keys=False, allow_nan=False) + "\n"
    atomic_write_bytes(path, text.encode())


def _torch_bytes(obj: Any) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def _jsonable(obj: Any) -> Any:
    """Convert tensors, arrays, numpy scalars, tuples, paths and non-finite floats to JSON values."""
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, torch.Tensor):
        return _jsonable(obj.detach().cpu().tolist())
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return _jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)  # JSON has no infinities: "inf", "-inf", "nan"
    if isinstance(obj, Path):
        return str(obj)
    return obj


# --------------------------------------------------------------------------- experiments

@dataclass
class Artifact:
    """A finished experiment as read back from disk."""

    metrics: dict[str, Any]
    arrays: dict[str, np.ndarray]
    provenance: dict[str, Any]
    weights: dict[str, Any] | None = None


@dataclass
class Experiment:
    """One named experiment of a chapter under one profile and seed.

    ``config`` is everything that determines the result; a stored artifact is reused only if its
    recorded config and seed equal the current ones, so changing a setting re-runs the
    experiment instead of silently showing stale numbers.
    """

    chapter: str
    name: str
    config: Mapping[str, Any]
    profile: str
    seed: int = 0
    root: Path | None = None
    _started: float = field(default=0.0, init=False, repr=False)
    _resumed_wall: float = field(default=0.0, init=False, repr=False)
    _segments: list = field(default_factory=list, init=False, repr=False)  # earlier stretches
    _segment_start: int = field(default=0, init=False, repr=False)
    _last_step: int = field(default=0, init=False, repr=False)
    _stretch_env: dict = field(default_factory=dict, init=False, repr=False)  # where this stretch runs

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {PROFILES}, not {self.profile!r}")
        self._started = time.perf_counter()

    @property
    def directory(self) -> Path:
        root = Path(self.root) if self.root is not None else results_root()
        return root / self.chapter / self.profile / self.name

    @property
    def checkpoint_path(self) -> Path:
        return self.directory / "checkpoint.pt"

    # ---- finished artifacts
    def is_complete(self) -> bool:
        """True when a finished artifact with this exact config and seed is on disk."""
        path = self.directory / "metrics.json"
        if not path.exists():
            return False
        stored = json.loads(path.read_text())["provenance"]
        return stored["config"] == _jsonable(self.config) and stored["seed"] == self.seed

    def load(self) -> Artifact:
        if not self.is_complete():
            raise FileNotFoundError(
                f"no finished artifact for {self.chapter}/{self.profile}/{self.name} with this "
                f"config and seed under {self.directory}; run the chapter with "
                f"profile={self.profile!r} to produce it")
        doc = json.loads((self.directory / "metrics.json").read_text())
        arrays: dict[str, np.ndarray] = {}
        if (self.directory / "arrays.npz").exists():
            with np.load(self.directory / "arrays.npz", allow_pickle=False) as npz:
                arrays = {key: npz[key] for key in npz.files}
        weights = None
        if (self.directory / "weights.pt").exists():
            weights = torch.load(self.directory / "weights.pt", weights_only=True)
        return Artifact(doc["metrics"], arrays, doc["provenance"], weights)

    def finish(self, metrics: Mapping[str, Any], arrays: Mapping[str, Any] | None = None,
               weights: Mapping[str, Any] | None = None) -> Artifact:
        """Write the artifact (arrays and weights first, metrics.json last) and drop the checkpoint.

        ``metrics.json`` is the completion marker: it is written only after everything else is in
        place, so an interrupted ``finish`` never looks finished.
        """
        wall = self._resumed_wall + time.perf_counter() - self._started
        arrays = {k: np.asarray(v.detach().cpu() if isinstance(v, torch.Tensor) else v)
                  for k, v in (arrays or {}).items()}
        (self.directory / "metrics.json").unlink(missing_ok=True)
        for stale in ("arrays.npz", "weights.pt"):
            (self.directory / stale).unlink(missing_ok=True)
        if arrays:
            buffer = io.BytesIO()
            np.savez_compressed(buffer, **arrays)
            atomic_write_bytes(self.directory / "arrays.npz", buffer.getvalue())
        if weights:
            atomic_write_bytes(self.directory / "weights.pt", _torch_bytes(dict(weights)))
        prov = provenance(self.config, self.seed, self.profile, wall)
        # Record the stretches when more than one environment was involved: a resumed run, or one
        # whose commit (or packages, machine) changed between its start and its finish.
        moved = any(prov[key] != value for key, value in self._stretch_env.items())
        if self._segments or moved:
            prov["segments"] = _jsonable(self._segments + [self._segment(self._last_step)])
        atomic_write_json(self.directory / "metrics.json",
                          {"metrics": _jsonable(metrics), "provenance": prov})
        self.checkpoint_path.unlink(missing_ok=True)
        return Artifact(_jsonable(dict(metrics)), arrays, prov,
                        dict(weights) if weights else None)

    # ---- resumable loops
    def steps(self, total: int, state: dict[str, Any], *, every: int = 100,
              desc: str | None = None, progress: bool = True) -> Iterator[int]:
        """Iterate over step indices ``0..total-1``, resuming from the last checkpoint.

        ``state`` is a dict of everything that evolves during the loop: ``nn.Module`` and
        optimiser objects (restored with ``load_state_dict``), ``torch.Generator`` objects
        (restored with ``set_state``), and plain values (tensors, numbers, lists, dicts), which
        are replaced in the dict.  A checkpoint is written atomically after every ``every``
        completed steps; a step counts as completed when the loop body returns to the iterator.
        """
        start = self._restore(state)
        self._stretch_env = environment()  # once per stretch, not per checkpoint
        bar = tqdm(total=total, initial=start, desc=desc or self.name, disable=not progress,
                   dynamic_ncols=True, mininterval=1.0)
        try:
            for step in range(start, total):
                yield step
                bar.update(1)
                done = self._last_step = step + 1
                if done % every == 0 and done < total:
                    self._save(state, done)
        finally:
            bar.close()

    def _save(self, state: Mapping[str, Any], done: int) -> None:
        packed = {}
        for key, value in state.items():
            if isinstance(value, torch.Generator):
                packed[key] = value.get_state()
            elif hasattr(value, "state_dict"):
                packed[key] = value.state_dict()
            else:
                packed[key] = value
        wall = self._resumed_wall + time.perf_counter() - self._started
        segments = self._segments + [self._segment(done)]
        payload = {"step": done, "state": packed, "wall_time_s": wall,
                   "config": _jsonable(self.config), "seed": self.seed, "segments": segments}
        atomic_write_bytes(self.checkpoint_path, _torch_bytes(payload))

    def _segment(self, stop: int) -> dict:
        """This stretch (from the start or resume to ``stop``) and where it ran."""
        return {"steps": [self._segment_start, stop], **self._stretch_env}

    def _restore(self, state: dict[str, Any]) -> int:
        if not self.checkpoint_path.exists():
            return 0
        payload = torch.load(self.checkpoint_path, weights_only=True)
        if payload["config"] != _jsonable(self.config) or payload["seed"] != self.seed:
            print(f"[runner] ignoring checkpoint {self.checkpoint_path}: it was written for "
                  f"another config or seed", file=sys.stderr)
            return 0
        for key, saved in payload["state"].items():
            current = state.get(key)
            if isinstance(current, torch.Generator):
                current.set_state(saved)
            elif hasattr(current, "load_state_dict"):
                current.load_state_dict(saved)
            else:
                state[key] = saved
        self._resumed_wall = payload["wall_time_s"]
        self._segments = list(payload.get("segments") or [
            {"steps": [0, payload["step"]], "note": "checkpoint written before segments were recorded"}])
        self._segment_start = self._last_step = payload["step"]
        self._started = time.perf_counter()
        print(f"[runner] resumed {self.chapter}/{self.profile}/{self.name} at step "
              f"{payload['step']}", file=sys.stderr)
        return payload["step"]
