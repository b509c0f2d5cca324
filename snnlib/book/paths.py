"""Where the book's files live: the project root, the data directory and the results root.

Every path is taken from an environment variable or from the project root, never from where the
``snnlib`` package happens to be installed:

* ``SNN_PROJECT_ROOT`` -- the book's checkout; by default the nearest folder, from the current
  working directory upwards, that holds both ``pyproject.toml`` and ``chapters/`` (chapters run
  with ``chapters/`` as their working directory, tests and tools from the root);
* ``SNN_DATA_DIR`` -- datasets and their cache (default ``<project root>/data``);
* ``SNN_RESULTS_DIR`` -- every chapter's artifacts (default ``<project root>/data/results``).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["ProjectNotFound", "project_root", "data_root", "results_root", "chapters_dir", "chapter_title"]


class ProjectNotFound(RuntimeError):
    """Raised when no project root can be found."""


def _marks_project(folder: Path) -> bool:
    return (folder / "pyproject.toml").is_file() and (folder / "chapters").is_dir()


def project_root() -> Path:
    """``$SNN_PROJECT_ROOT``, or the nearest folder at or above the working directory that holds
    ``pyproject.toml`` and ``chapters/``."""
    env = os.environ.get("SNN_PROJECT_ROOT")
    if env:
        return Path(env).expanduser().absolute()
    here = Path.cwd().absolute()
    for folder in (here, *here.parents):
        if _marks_project(folder):
            return folder
    raise ProjectNotFound(
        f"no snn-companion checkout at or above {here} (a folder with pyproject.toml and "
        "chapters/); run from inside the checkout or set SNN_PROJECT_ROOT to it")


def data_root() -> Path:
    """``$SNN_DATA_DIR`` if set, else ``<project root>/data``."""
    env = os.environ.get("SNN_DATA_DIR")
    return Path(env).expanduser().absolute() if env else project_root() / "data"


def results_root() -> Path:
    """``$SNN_RESULTS_DIR`` if set, else ``<project root>/data/results``."""
    env = os.environ.get("SNN_RESULTS_DIR")
    return Path(env).expanduser().absolute() if env else project_root() / "data" / "results"


def chapters_dir() -> Path:
    """The chapters' sources: ``<project root>/chapters``."""
    return project_root() / "chapters"


def chapter_title(stem: str) -> str:
    """The title of chapter ``stem``: the first level-1 heading of ``chapters/<stem>.py``."""
    for line in (chapters_dir() / f"{stem}.py").read_text().splitlines():
        if line.startswith("# # "):
            return line[4:].strip()
    raise ValueError(f"chapters/{stem}.py has no level-1 heading")
