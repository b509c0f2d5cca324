"""Artifacts on disk: the one atomic writer and the one reader of finished experiments.

An experiment's artifact folder holds ``metrics.json`` (``{"metrics": ..., "provenance": ...}``,
written last: it marks the artifact complete), and optionally ``arrays.npz`` (figure data) and
``weights.pt`` (small weights).  :func:`read_artifact` reads such a folder; :func:`atomic_write`
is the only way this library writes a file that a reader may see half-written otherwise (the
runner's artifacts and checkpoints, the claims files, the dataset cache).
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Callable, Mapping

import numpy as np
import torch

__all__ = ["Artifact", "read_artifact", "atomic_write", "atomic_write_bytes", "atomic_write_json",
           "torch_bytes", "to_jsonable"]


# --------------------------------------------------------------------------- atomic writes

def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write ``path`` through ``write(stream)`` so that readers see either the old file or the
    whole new one: a temporary ``.<name>.*.tmp`` file in the same folder, fsync, ``os.replace``
    and an fsync of the folder.  On any error the temporary file is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    atomic_write(path, lambda stream: stream.write(data))


def atomic_write_json(path: Path, obj: Any) -> None:
    text = json.dumps(to_jsonable(obj), indent=2, sort_keys=False, allow_nan=False) + "\n"
    atomic_write_bytes(path, text.encode())


def torch_bytes(obj: Any) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def to_jsonable(obj: Any) -> Any:
    """Convert tensors, arrays, numpy scalars, tuples, paths and non-finite floats to JSON values."""
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, torch.Tensor):
        return to_jsonable(obj.detach().cpu().tolist())
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return to_jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)  # JSON has no infinities: "inf", "-inf", "nan"
    if isinstance(obj, Path):
        return str(obj)
    return obj


# --------------------------------------------------------------------------- reading

@dataclass
class Artifact:
    """A finished experiment as read back from disk."""

    metrics: dict[str, Any]
    arrays: dict[str, np.ndarray]
    provenance: dict[str, Any]
    weights: dict[str, Any] | None = None


def read_artifact(directory: Path, *, arrays: bool = True, weights: bool = True) -> Artifact:
    """The artifact in ``directory``; ``arrays``/``weights`` false skip loading those files.

    Raises ``FileNotFoundError`` when ``metrics.json`` (the completion marker) is missing."""
    directory = Path(directory)
    path = directory / "metrics.json"
    if not path.exists():
        raise FileNotFoundError(f"no finished artifact in {directory} (no metrics.json)")
    doc = json.loads(path.read_text())
    loaded: dict[str, np.ndarray] = {}
    if arrays and (directory / "arrays.npz").exists():
        with np.load(directory / "arrays.npz", allow_pickle=False) as npz:
            loaded = {key: npz[key] for key in npz.files}
    state = None
    if weights and (directory / "weights.pt").exists():
        state = torch.load(directory / "weights.pt", weights_only=True)
    return Artifact(doc["metrics"], loaded, doc["provenance"], state)
