"""Experiment runner shared by the chapters.

A chapter describes its experiments with *named profiles* (``quick`` for CI, ``full`` for the
paper's settings or the largest run feasible here).  It opens one :class:`RunContext` (chapter,
profile, train selector, seed, results root) and runs every experiment through its one entry
point, :meth:`RunContext.experiment`: a finished artifact with the same settings is read back, an
experiment that ``train`` leaves out is listed as pending, and anything else is run by the
protocol function passed in, which receives an :class:`Experiment` giving it

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

Provenance also holds a *code fingerprint* (:func:`code_fingerprint`): a hash of the source of
the library modules that compute the experiment's numbers, so that the book can mark an artifact
made by code that has changed since (:func:`provenance_table`).
"""

from __future__ import annotations

import ast
import contextlib
import fnmatch
import functools
import io
import hashlib
import json
import os
import platform
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

import numpy as np
import torch
from tqdm.auto import tqdm

from snnlib.book.artifacts import (
    Artifact,
    atomic_write_bytes,
    atomic_write_json,
    read_artifact,
    to_jsonable,
    torch_bytes,
)
from snnlib.book.paths import project_root, results_root
from snnlib.book.tables import markdown_table

PROFILES = ("quick", "full")
PROVENANCE_PACKAGES = ("torch", "numpy", "scikit-learn", "matplotlib", "snnlib")


def select_profile(profiles: Mapping[str, Mapping[str, Any]], name: str) -> dict[str, Any]:
    """Return a copy of the settings of profile ``name``, refusing unknown names."""
    if name not in profiles:
        raise ValueError(f"unknown profile {name!r}; this chapter defines {sorted(profiles)}")
    return dict(profiles[name])


def check_parameters(profile: str, train: bool | str = False,
                     allowed: tuple[str, ...] = PROFILES) -> None:
    """Validate a chapter's papermill parameters: ``profile`` one of ``allowed`` (ValueError),
    ``train`` a bool or a string of patterns (TypeError; see :func:`wants_training`)."""
    if profile not in allowed:
        raise ValueError(f"profile must be one of {list(allowed)}, not {profile!r}")
    if not isinstance(train, (bool, str)):
        raise TypeError(f"train must be True, False or a string of experiment-name patterns, "
                        f"not {train!r}")


def wants_training(train: bool | str, name: str) -> bool:
    """A chapter's ``train`` parameter applied to one experiment: ``True`` trains everything,
    ``False`` (or ``""``) nothing, and a string of comma-separated shell patterns (e.g.
    ``"clf400_*,norm_pilot"``) the experiments whose name matches one of them."""
    if isinstance(train, bool):
        return train
    return any(fnmatch.fnmatchcase(name, pattern.strip()) for pattern in str(train).split(",")
               if pattern.strip())


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch, and return a fresh ``torch.Generator`` seeded with ``seed``.

    Chapters pass the returned generator explicitly to every random draw they make.
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def git_commit(repo: Path | None = None) -> str:
    """The checked-out commit, with ``-dirty`` appended when tracked files other than results
    (``data/results``, where running experiments rewrite their committed checkpoints) have changes.

    Outside a git checkout (a copy of the tree on another machine) it is ``unknown``, or the
    commit the copy was made from if ``SNN_SOURCE_COMMIT`` names it (then marked as a copy).
    """
    repo = project_root() if repo is None else repo
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


LAUNCH_VARIABLES = {"executor": "SNN_LAUNCH_EXECUTOR", "job_id": "SNN_LAUNCH_JOB_ID"}
"""Set by :mod:`snnlib.book.launch` in each job it runs, and recorded in the job's provenance."""


def denormals_flushed() -> bool:
    """Whether the CPU now flushes subnormal floats to zero (``torch.set_flush_denormal``), probed
    by one multiplication: long runs set it because decaying traces and Adam moments that sink
    below ~1e-38 otherwise slow float arithmetic several-fold, and it changes numbers only there."""
    return torch.tensor([1e-39], dtype=torch.float32).mul(1.0).item() == 0.0


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run a block on one torch intra-op thread, restoring the caller's count afterwards: for loops
    of operations far too small to gain from parallelism (with several threads each parallel one
    pays a thread wake-up), and for a timing whose identity must not depend on the reading
    process's thread count."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def cpu_model(cpuinfo: str | None = None) -> str:
    """The CPU's model name: the first ``model name`` of ``cpuinfo`` (default: ``/proc/cpuinfo``),
    else :func:`platform.processor`, else ``"unknown"``.  Float kernels differ between CPU
    families, so the last bits of a result, and through them a long training's trajectory, can
    depend on it (chapter 000's longer pair and chapter 001's quick accuracies moved with it)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            cpuinfo = ""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and value.strip():
            return value.strip()
    return platform.processor() or "unknown"


def environment() -> dict:
    """Where code runs now: git commit, package versions and machine; for a job started by the
    launcher (:mod:`snnlib.book.launch`) also its executor, host and job id."""
    env = {
        "git_commit": git_commit(),
        "packages": package_versions(),
        "machine": {"platform": platform.platform(), "processor": platform.machine(), "cpu": cpu_model(),
                    "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "flush_denormal": denormals_flushed()},
    }
    if os.environ.get(LAUNCH_VARIABLES["executor"]):
        env["launcher"] = {"host": platform.node(),
                           **{key: os.environ.get(var) for key, var in LAUNCH_VARIABLES.items()}}
    return env


def provenance(config: Mapping[str, Any], seed: int, profile: str, wall_time_s: float,
               segments: list[dict] | None = None) -> dict:
    """Everything needed to say where an artifact came from.

    ``segments`` lists which steps ran where: ``{"steps": [start, stop], **environment()}`` per
    stretch between a start or resume and the last checkpoint or finish.  ``Experiment.finish``
    passes none and adds them only for a resumed run, or for a run whose environment at its start
    differs from the one above, which is read at the finish.
    """
    prov = {
        "config": to_jsonable(config),
        "seed": seed,
        "profile": profile,
        **environment(),
        "wall_time_s": round(float(wall_time_s), 3),
        "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if segments:
        prov["segments"] = to_jsonable(segments)
    return prov


def _where(env: Mapping[str, Any]) -> str:
    """A short line for an environment record: the machine's CPU count and model (where recorded)
    and the torch version (the full platform string and thread count stay in the artifact's
    provenance)."""
    machine = env.get("machine", {})
    cpus, model = machine.get("cpu_count"), machine.get("cpu")
    return ((f"{cpus} CPUs" if cpus else "CPU count not recorded") + (f" ({model})" if model else "")
            + f", torch {env.get('packages', {}).get('torch', '?')}")


def short_commit(commit: str) -> str:
    """A commit as its first 7 hex digits, keeping a ``-dirty`` suffix."""
    head, _, rest = commit.partition("-")
    return head[:7] + (f"-{rest}" if rest else "") if len(head) == 40 else commit


def committed_provenance(profile: str = "full", root: Path | None = None
                         ) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(chapter, experiment, provenance)`` of every finished ``profile`` artifact under the
    results root, in path order (the one reader behind the provenance and cost tables)."""
    root = Path(root) if root is not None else results_root()
    for path in sorted(root.glob(f"*/{profile}/*/metrics.json")):
        yield (path.parts[-4], path.parts[-2],
               read_artifact(path.parent, arrays=False, weights=False).provenance)


def provenance_table(profile: str = "full", root: Path | None = None) -> str:
    """Markdown: for each chapter, a table of its finished ``profile`` artifacts: when (the date,
    UTC) and where each was made (machine, torch), by which commit, its wall time, and whether the
    code that computed it is unchanged (see :func:`code_status`); a resumed run, or one whose commit
    changed while it ran, lists each stretch of steps (see :func:`provenance`)."""
    chapters: dict[str, list[list[str]]] = {}
    for chapter, name, prov in committed_provenance(profile, root):
        segments = prov.get("segments")
        if segments:
            where = "<br>".join(
                f"steps {a:,}–{b:,}: " + (seg["note"] if "note" in seg else
                                          f"{_where(seg)} (commit {short_commit(seg['git_commit'])})")
                for seg in segments for a, b in [seg["steps"]])
        else:
            where = _where(prov)
        chapters.setdefault(chapter, []).append(
            [f"<code>{name.replace('_', '_<wbr>')}</code>",  # a long name may break after an underscore
             f"{prov.get('finished_utc', '?')[:10]}, {prov.get('wall_time_s', 0) / 60:,.1f} min",
             short_commit(prov.get("git_commit", "?")), code_status(prov), where])
    return "\n\n".join(f"**{chapter}**\n\n" + markdown_table(
        ["experiment", "finished, wall time", "git commit", "code", "where"], rows)
        for chapter, rows in chapters.items())


def provenance_summary(profile: str = "full", root: Path | None = None) -> str:
    """Markdown bullets stating, from the artifacts' provenance, where the ``profile`` results were
    made: each machine size (CPU count) and torch version with the number of artifacts (or
    stretches of resumed runs) made there, how many were made from a commit with uncommitted
    changes (``-dirty``), and how many were computed by library code that has changed since
    (:func:`code_status`)."""
    places: dict[str, int] = {}
    dirty, total = 0, 0
    status: dict[str, int] = {}
    for _, _, prov in committed_provenance(profile, root):
        total += 1
        stretches = prov.get("segments") or [prov]
        for stretch in stretches:
            if "note" not in stretch:
                places[_where(stretch)] = places.get(_where(stretch), 0) + 1
        dirty += any(str(s.get("git_commit", "")).endswith("-dirty") for s in [prov, *stretches])
        code = code_status(prov).split(":")[0]
        status[code] = status.get(code, 0) + 1
    if not total:
        return f"No {profile}-profile artifact is committed yet."
    lines = [f"* {total} artifacts, made on machines with " + "; ".join(
        f"{where} ({n} {'run' if n == 1 else 'runs or stretches'})" for where, n in
        sorted(places.items(), key=lambda item: -item[1])) + "."]
    lines.append(f"* {dirty} of {total} were made from a commit with uncommitted changes (marked "
                 "`-dirty` in the table below)." if dirty else
                 f"* All {total} were made from committed code.")
    lines.append("* Library code behind them: " + ", ".join(
        f"{n} {name}" for name, n in sorted(status.items())) + " (see the *code* column).")
    return "\n".join(lines)


def cost_table(profile: str = "full", root: Path | None = None) -> str:
    """A Markdown table of what each chapter's ``profile`` artifacts cost to make, from their
    provenance: how many, their summed wall time, and the longest one (the least wall time a
    cluster running every experiment at once would need)."""
    chapters: dict[str, list[tuple[float, str]]] = {}
    for chapter, name, prov in committed_provenance(profile, root):
        chapters.setdefault(chapter, []).append((prov.get("wall_time_s", 0.0), name))
    rows = [[chapter, len(runs), f"{sum(t for t, _ in runs) / 3600:,.1f} h",
             f"{max(runs)[0] / 3600:,.1f} h (`{max(runs)[1]}`)"] for chapter, runs in chapters.items()]
    return markdown_table(["chapter", "artifacts", "wall time, summed", "longest artifact"], rows, "lrrl")


# --------------------------------------------------------------------------- code fingerprints

# Book infrastructure: it stores and presents numbers but computes none, so a change in it does
# not make an artifact stale.
INFRASTRUCTURE = frozenset({"snnlib", "snnlib.book", "snnlib.book.artifacts", "snnlib.book.claims",
                            "snnlib.book.paths", "snnlib.book.runner", "snnlib.book.tables"})


_LIBRARY = Path(__file__).resolve().parent.parent  # the snnlib package, for its own sources


def _module_file(name: str) -> Path | None:
    """The source file of library module ``name`` (``None`` if it names no module)."""
    base = _LIBRARY.parent.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def snnlib_imports(name: str, source: str) -> set[str]:
    """The ``snnlib`` modules (and packages) that module ``name``, with this ``source``, imports,
    absolute or relative; ``from package import module`` names the module too."""
    found: set[str] = set()
    is_package = _module_file(name) is not None and _module_file(name).name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return {m for m in found if m.split(".")[0] == "snnlib" and _module_file(m) is not None}


def code_modules(roots: Iterable[str]) -> list[str]:
    """The library modules reachable by imports from ``roots`` (a package stands for all its
    modules), less the book infrastructure."""
    seen: set[str] = set()
    todo = []
    for root in roots:
        path = _module_file(root)
        todo.append(root)
        if path.name == "__init__.py":  # a package given as a root stands for all its modules
            todo.extend(f"{root}.{p.stem}" for p in path.parent.glob("*.py") if p.stem != "__init__")
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(snnlib_imports(name, _module_file(name).read_text()) - seen)
    return sorted(seen - INFRASTRUCTURE)


def code_fingerprint(roots: Iterable[str]) -> dict:
    """``{"sha256": ..., "modules": {module: sha256 of its source}}`` over :func:`code_modules`."""
    modules = {name: hashlib.sha256(_module_file(name).read_bytes()).hexdigest()
               for name in code_modules(roots)}
    total = hashlib.sha256(json.dumps(modules, sort_keys=True).encode()).hexdigest()
    return {"roots": sorted(roots), "sha256": total, "modules": modules}


MODULE_LEVEL = "module level"  # the top-level statements that define no name (imports, say)


def _without_docstrings(node: ast.AST) -> ast.AST:
    """``node`` with every bare string statement (docstrings) removed from its bodies."""
    for child in ast.walk(node):
        for name in ("body", "orelse", "finalbody"):
            body = getattr(child, name, None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                kept = [s for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
                                                and isinstance(s.value.value, str))]
                setattr(child, name, kept or [ast.Pass()])
    return node


def definitions(source: str) -> dict[str, str]:
    """A module's top-level statements by the name each defines (a function, class or assigned
    name; :data:`MODULE_LEVEL` for the rest), each as its syntax tree without docstrings, so that
    comments, docstrings and layout do not count as a change."""
    out: dict[str, list[str]] = {}
    for node in _without_docstrings(ast.parse(source)).body:
        if isinstance(node, ast.Pass):
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = node.name
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name = node.target.id
        else:
            name = MODULE_LEVEL
        out.setdefault(name, []).append(ast.dump(node))
    return {name: "\n".join(dumps) for name, dumps in out.items()}


def changed_definitions(old: str, new: str) -> list[str]:
    """The top-level names (see :func:`definitions`) of the old version of a module that the new
    one defines differently or no longer defines, in name order: the only edits that can change
    what old code computed (a name added is new code; ``__all__`` only lists names)."""
    return _changed_names(definitions(old), definitions(new))


def _changed_names(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    return sorted(name for name in before.keys() - {"__all__"} if before[name] != after.get(name))


@functools.lru_cache(maxsize=None)
def _committed_versions(path: Path) -> dict[str, str]:
    """Every committed version of file ``path`` in its git repository, by the sha256 of its bytes
    (empty outside a git checkout); read once per process."""
    try:
        log = subprocess.run(["git", "log", "--all", "--format=", "--raw", "--no-abbrev", "--no-renames", "--",
                              str(path)], cwd=path.parent, capture_output=True, text=True, check=True).stdout
        blobs = sorted({line.split()[3] for line in log.splitlines() if line.startswith(":")} - {"0" * 40})
        if not blobs:
            return {}
        raw = subprocess.run(["git", "cat-file", "--batch"], cwd=path.parent, input="\n".join(blobs).encode() + b"\n",
                             capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    versions, at = {}, 0
    while at < len(raw):
        header_end = raw.index(b"\n", at)
        size = int(raw[at:header_end].split()[2])
        content = raw[header_end + 1:header_end + 1 + size]
        versions[hashlib.sha256(content).hexdigest()] = content.decode()
        at = header_end + 1 + size + 1
    return versions


def recorded_source(module: str, sha256: str) -> str | None:
    """The source of library module ``module`` whose sha256 a fingerprint recorded, found among
    the module's committed versions (``None``: not committed, e.g. a run from a ``-dirty`` tree,
    or no git history here)."""
    path = _module_file(module)
    if path is None:
        return None
    return _committed_versions(path).get(sha256)


def _changed_module(name: str, recorded_sha: str | None, shown: int = 3) -> str:
    """One changed module for :func:`code_status`: its short name and, where the recorded version
    is in the git history, which of its definitions changed (at most ``shown``)."""
    label = f"`{name.rpartition('.')[2]}`"
    old = recorded_source(name, recorded_sha) if recorded_sha else None
    path = _module_file(name)
    if old is None or path is None:
        return label
    before, after = definitions(old), definitions(path.read_text())
    names = _changed_names(before, after)
    if not names:
        return f"{label} ({'additions' if after.keys() - before.keys() else 'comments and docstrings'} only)"
    listed = [n if n == MODULE_LEVEL else f"`{n}`" for n in names[:shown]]
    more = f", +{len(names) - shown} more" if len(names) > shown else ""
    return f"{label} ({', '.join(listed)}{more})"


def code_status(prov: Mapping[str, Any]) -> str:
    """"unchanged", "changed: <modules>" or "not recorded" for an artifact's provenance, comparing
    its code fingerprint with the current sources.  A changed module whose recorded version is in
    the git history says which of its top-level definitions changed
    (:func:`changed_definitions`), so that a reader can tell an edit to the code that made the
    numbers from one elsewhere in the same file."""
    recorded = prov.get("code")
    if not recorded:
        return "not recorded"
    now = code_fingerprint(recorded["roots"])
    if now["sha256"] == recorded["sha256"]:
        return "unchanged"
    changed = sorted(name for name in now["modules"].keys() | recorded["modules"].keys()
                     if now["modules"].get(name) != recorded["modules"].get(name))
    return "changed: " + ", ".join(_changed_module(name, recorded["modules"].get(name)) for name in changed)


# --------------------------------------------------------------------------- experiments

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
    code: tuple[str, ...] = ()  # the modules whose source the code fingerprint covers
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
    def _matches(self, stored: Mapping[str, Any]) -> bool:
        """Whether a stored provenance was made with this experiment's config and seed."""
        return stored["config"] == to_jsonable(self.config) and stored["seed"] == self.seed

    def is_complete(self) -> bool:
        """True when a finished artifact with this exact config and seed is on disk."""
        if not (self.directory / "metrics.json").exists():
            return False
        return self._matches(read_artifact(self.directory, arrays=False, weights=False).provenance)

    def generator(self) -> torch.Generator:
        """Seed everything with this experiment's seed; the seeded generator (:func:`seed_everything`)."""
        return seed_everything(self.seed)

    def load(self) -> Artifact:
        """The finished artifact with this config and seed (metrics, arrays and weights read once)."""
        artifact = (read_artifact(self.directory) if (self.directory / "metrics.json").exists()
                    else None)
        if artifact is None or not self._matches(artifact.provenance):
            raise FileNotFoundError(
                f"no finished artifact for {self.chapter}/{self.profile}/{self.name} with this "
                f"config and seed under {self.directory}; run the chapter with "
                f"profile={self.profile!r} to produce it")
        return artifact

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
            atomic_write_bytes(self.directory / "weights.pt", torch_bytes(dict(weights)))
        prov = provenance(self.config, self.seed, self.profile, wall)
        if self.code:
            prov["code"] = code_fingerprint(self.code)
        # Record the stretches when more than one environment was involved: a resumed run, or one
        # whose commit (or packages, machine) changed between its start and its finish.
        moved = any(prov[key] != value for key, value in self._stretch_env.items())
        if self._segments or moved:
            prov["segments"] = to_jsonable(self._segments + [self._segment(self._last_step)])
        atomic_write_json(self.directory / "metrics.json",
                          {"metrics": to_jsonable(metrics), "provenance": prov})
        self.checkpoint_path.unlink(missing_ok=True)
        return Artifact(to_jsonable(dict(metrics)), arrays, prov,
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
                   "config": to_jsonable(self.config), "seed": self.seed, "segments": segments}
        atomic_write_bytes(self.checkpoint_path, torch_bytes(payload))

    def _segment(self, stop: int) -> dict:
        """This stretch (from the start or resume to ``stop``) and where it ran."""
        return {"steps": [self._segment_start, stop], **self._stretch_env}

    def _restore(self, state: dict[str, Any]) -> int:
        if not self.checkpoint_path.exists():
            return 0
        payload = torch.load(self.checkpoint_path, weights_only=True)
        if payload["config"] != to_jsonable(self.config) or payload["seed"] != self.seed:
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


# --------------------------------------------------------------------------- run context

@dataclass
class RunContext:
    """Everything a chapter's experiments share: chapter, profile, the ``train`` selector (see
    :func:`wants_training`), seed, results root and the library code behind its numbers (module
    names for the code fingerprint, normally the chapter's paper package).  ``pending`` collects
    the experiments that have no artifact and were not to be trained, ``found`` the provenance of
    the finished ones it read.

    Protocols are functions of a context (and their own arguments) that call
    :meth:`experiment`, so a chapter passes the context in instead of sharing globals.
    """

    chapter: str
    profile: str
    train: bool | str = True
    seed: int = 0
    root: Path | None = None
    code: tuple[str, ...] = ()
    device: str = "cpu"  # protocols that can use a GPU put their tensors here
    pending: list[str] = field(default_factory=list)
    found: dict[str, dict] = field(default_factory=dict)  # finished artifacts read: name -> provenance

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {PROFILES}, not {self.profile!r}")
        self.code = tuple(self.code)

    def artifact_directory(self, name: str, profile: str | None = None) -> Path:
        """Where experiment ``name`` of this chapter keeps its artifact (for ``profile``, by default
        the context's)."""
        return self._experiment(name, {}, profile).directory

    def _experiment(self, name: str, settings: Mapping[str, Any], profile: str | None,
                    code: Iterable[str] | None = None) -> Experiment:
        return Experiment(self.chapter, name, settings, profile or self.profile, seed=self.seed,
                          root=self.root, code=self.code if code is None else tuple(code))

    def experiment(self, name: str, settings: Mapping[str, Any],
                   body: Callable[[Experiment], Artifact], code: Iterable[str] | None = None
                   ) -> Artifact | None:
        """The one entry point of every experiment.

        Returns the finished artifact of ``name`` with these ``settings`` and this seed if one is
        on disk; otherwise, if ``train`` selects ``name``, runs ``body(experiment)`` (which
        iterates ``experiment.steps`` and ends with ``experiment.finish``) and returns its
        artifact; otherwise appends ``name`` to :attr:`pending` and returns ``None``.  ``code``,
        if given, replaces the context's modules in this experiment's code fingerprint: a chapter
        with several independent protocols names the module behind each, so that work on one
        does not mark the others' artifacts as made by changed code.
        """
        exp = self._experiment(name, settings, None, code)
        if exp.is_complete():
            art = exp.load()
            self.found[name] = art.provenance
            return art
        if not wants_training(self.train, name):
            self.pending.append(name)
            return None
        return body(exp)

    def recorded(self, name: str, settings: Mapping[str, Any] | None = None, *,
                 profile: str | None = None) -> Artifact | None:
        """A finished artifact that this chapter does not produce itself (a benchmark's record,
        or another profile's): ``None`` if absent; with ``settings`` only if they match."""
        exp = self._experiment(name, settings or {}, profile)
        if settings is None:
            path = exp.directory / "metrics.json"
            return read_artifact(exp.directory) if path.exists() else None
        return exp.load() if exp.is_complete() else None


def paper_run_context(package: str, chapter: str, profile: str, train: bool | str = False) -> RunContext:
    """The run context of paper package ``package``'s chapter: seed 0, and a code fingerprint over
    the protocols in ``<package>.experiments`` and the library code they import (not the package's
    figures, analysis or claims, which compute nothing stored in an artifact)."""
    return RunContext(chapter, profile, train, seed=0, code=(f"{package}.experiments",))


def benchmark_record(chapter: str, name: str, args: Any, seed: int = 0) -> Experiment | None:
    """The full-profile artifact a benchmark script writes when run with ``--record`` (``None``
    without it): created before the measurement starts, so its provenance carries the script's
    wall time; its config is the script's arguments other than ``record``."""
    if not args.record:
        return None
    settings = {k: v for k, v in vars(args).items() if k != "record"}
    return Experiment(chapter, name, settings, "full", seed=seed)
