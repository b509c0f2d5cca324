"""The S4NN authors' published 784-400-10 weights (``weights_pretrained.npy`` in SRKH/S4NN).

The file is not part of this repository: :func:`published_weights_path` downloads it on demand
(into the data cache, checked against :data:`PUBLISHED_WEIGHTS_SHA256`) or takes a local copy,
given as an explicit path or through ``$SNN_S4NN_WEIGHTS`` (checked the same way).  Offline and
without a copy it raises one :class:`~snnlib.book.data.DataError` saying what to do.

The file is a numpy object array of two CuPy arrays saved by ``S4NN.py`` (``np.save(...,
allow_pickle=True)``): hidden weights ``[400, 28, 28]`` and output weights ``[10, 400, 1]``, float64.
:func:`load_published_weights` unpickles it with an unpickler that rebuilds only numpy arrays
(CuPy's array constructor is read as ``numpy.asarray``) and refuses every other global.

``S4NN.py`` reorders the classes (``cats = [4, 1, 0, 7, 9, 2, 3, 5, 8, 6]``; a digit ``d`` is
trained as class ``cats.index(d)``), so output neuron ``k`` of the file stands for digit
``cats[k]``; the loader permutes the output rows so that row ``d`` is digit ``d``.
"""

from __future__ import annotations

import io
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from snnlib.book.data import DataError, data_root, download_verified

__all__ = ["PUBLISHED_WEIGHTS_URL", "PUBLISHED_WEIGHTS_SHA256", "PUBLISHED_WEIGHTS_ENV", "S4NN_CATS",
           "published_weights_path", "load_published_weights"]

PUBLISHED_WEIGHTS_COMMIT = "24400660339de19182e170e230220b61b3ad7822"
"""The SRKH/S4NN commit that last changed ``weights_pretrained.npy`` (2020-01-17)."""
PUBLISHED_WEIGHTS_URL = (f"https://raw.githubusercontent.com/SRKH/S4NN/{PUBLISHED_WEIGHTS_COMMIT}/"
                         "weights_pretrained.npy")
PUBLISHED_WEIGHTS_SHA256 = "79493d79e8e4315036c03f5423fbc8f29542bb45343538b6f366cafd23a19f67"
PUBLISHED_WEIGHTS_ENV = "SNN_S4NN_WEIGHTS"
"""A local copy of the file, used instead of the download (still checked)."""
S4NN_CATS = (4, 1, 0, 7, 9, 2, 3, 5, 8, 6)
"""``S4NN.py``'s class order: output neuron ``k`` is digit ``S4NN_CATS[k]``."""

_WHAT = "The S4NN authors' published weights (weights_pretrained.npy of SRKH/S4NN)"


def published_weights_path(path: str | Path | None = None) -> Path:
    """The checked file: ``path``, else ``$SNN_S4NN_WEIGHTS``, else the data cache
    (``<data root>/cache/s4nn/weights_pretrained.npy``, downloaded if missing)."""
    path = path or os.environ.get(PUBLISHED_WEIGHTS_ENV)
    if path:
        path = Path(path)
        if not path.exists():
            raise DataError(f"{_WHAT}: no file at {path}.")
    else:
        path = data_root() / "cache" / "s4nn" / "weights_pretrained.npy"
    try:
        return download_verified(PUBLISHED_WEIGHTS_URL, PUBLISHED_WEIGHTS_SHA256, path, what=_WHAT)
    except DataError as exc:
        raise DataError(f"{exc} A local copy is passed as `path` or through ${PUBLISHED_WEIGHTS_ENV}.") from exc


try:
    from numpy._core.multiarray import _reconstruct as _np_reconstruct
except ImportError:  # pragma: no cover - numpy < 2
    from numpy.core.multiarray import _reconstruct as _np_reconstruct


class _ArraysOnly(pickle.Unpickler):
    """Rebuilds numpy arrays (and CuPy arrays, as numpy arrays); refuses every other global."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"): _np_reconstruct,
               ("numpy._core.multiarray", "_reconstruct"): _np_reconstruct,
               ("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype,
               ("cupy.core.core", "array"): np.asarray, ("cupy._core.core", "array"): np.asarray}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.ALLOWED:
            raise DataError(f"{_WHAT}: refused to unpickle a reference to {module}.{name}")
        return self.ALLOWED[(module, name)]

    def persistent_load(self, pid: Any) -> Any:
        raise DataError(f"{_WHAT}: refused to unpickle a persistent id")


def load_published_weights(path: str | Path | None = None) -> list[Tensor]:
    """The published weights as ``[hidden [400, 784], output [10, 400]]`` float64 tensors, output
    rows in digit order (see the module docstring); ``path`` as in :func:`published_weights_path`."""
    raw = published_weights_path(path).read_bytes()
    stream = io.BytesIO(raw)
    version = np.lib.format.read_magic(stream)
    header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
              else np.lib.format.read_array_header_2_0)(stream)
    if header[0] != (2,) or header[2] != np.dtype(object):
        raise DataError(f"{_WHAT}: expected an object array of two layers, got shape {header[0]}, "
                        f"dtype {header[2]}")
    layers = _ArraysOnly(stream, encoding="latin1").load()
    hidden = np.asarray(layers[0], dtype=np.float64).reshape(400, 784)
    output = np.asarray(layers[1], dtype=np.float64).reshape(10, 400)
    by_digit = output[[S4NN_CATS.index(d) for d in range(10)]]
    return [torch.from_numpy(hidden.copy()), torch.from_numpy(by_digit.copy())]
