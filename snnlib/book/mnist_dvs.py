r"""MNIST-DVS (Serrano-Gotarredona & Linares-Barranco 2015): MNIST digits moved on a monitor in front
of a 128 x 128 dynamic vision sensor, 1 000 recordings per digit and scale, as VDIB's section 6.3
uses it (the authors' ``kclip/neurodata`` preprocessing): the ``scale4`` recordings, pixels 48-73 in
both directions (2 x 26 x 26 with polarity), recordings 1-900 of each digit for training and
901-1000 for testing, events binned into steps of ``dt`` microseconds (a step holds a 1 where a
pixel had at least one event of that polarity).

The recordings are ten zip files (one per digit, about 1 GB in all) on the authors' server; this
machine has no internet, so the chapter runs on event streams synthesised from MNIST instead
(:mod:`snnlib.papers.p001_vdib.dvs`).  :func:`load_mnist_dvs` downloads, checks (MD5 sums as a
public downloader lists them; not checked against the server from here), parses and caches them
for a user who is online, and raises one :class:`~snnlib.book.data.DataError` saying what to do
when it cannot.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import zipfile
from pathlib import Path

import numpy as np

from snnlib.book.data import DataError, _cache_dir, _downloaded, _file_digest

__all__ = ["MNIST_DVS_URL", "MNIST_DVS_MD5", "CROP", "SIDE", "parse_aedat", "bin_events", "load_mnist_dvs"]

MNIST_DVS_URL = "http://www2.imse-cnm.csic.es/caviar/MNIST_DVS/grabbed_data{digit}.zip"
MNIST_DVS_MD5 = ("451c1d2f6b195ce96d1dd478ee8aaf6e", "22259ae8871800b5eecf9e0eb8146ea5", "6d3ad96939b702f095d027ce89f1297c",
                 "e4833915a1514598c4ae046e5e09cf93", "e183266a0b670b5336ba4d39d4bd30ae", "abf900993c268a763639c3074b6f92bb",
                 "971db9a99e95b408837518c7727a223c", "a3cb115f19a736f4fc3590f36012bc87", "fe5da6c6f559abf397a32439a6c1cd3f",
                 "73a3007c1c1ab4bfad9ce07ea76d540d")
"""MD5 of ``grabbed_data<digit>.zip``, as listed by a public downloader of the dataset (the
dataset's site publishes none)."""
CROP = (48, 73)  # inclusive pixel range kept in x and y (neurodata's min/max_pxl_value)
SIDE = CROP[1] - CROP[0] + 1  # 26


def parse_aedat(raw: bytes) -> np.ndarray:
    """Events ``[n, 4]`` (timestamp in us, x, y, polarity; int64) of an AEDAT-2 recording of the
    DVS128: header lines start with ``#``, then big-endian pairs of 32-bit address and timestamp;
    :math:`x = 127 - (\\text{addr} \\mathbin{\\&} \\text{0xfe}) / 2`, :math:`y = (\\text{addr}
    \\mathbin{\\&} \\text{0x7f00}) / 256`, polarity = bit 0.  Only events inside :data:`CROP`
    are kept, with coordinates relative to its corner."""
    start = 0
    while raw.startswith(b"#", start):
        end = raw.find(b"\n", start)
        start = len(raw) if end < 0 else end + 1
    body = np.frombuffer(raw[start:start + (len(raw) - start) // 8 * 8], dtype=">u4").reshape(-1, 2).astype(np.int64)
    addr, ts = body[:, 0], body[:, 1]
    x, y, pol = 127 - ((addr & 0xFE) >> 1), (addr & 0x7F00) >> 8, addr & 1
    keep = (x >= CROP[0]) & (x <= CROP[1]) & (y >= CROP[0]) & (y <= CROP[1])
    return np.stack([ts[keep], x[keep] - CROP[0], y[keep] - CROP[0], pol[keep]], axis=1)


def bin_events(events: np.ndarray, dt_us: int, steps: int) -> np.ndarray:
    """``[steps, 2 * 26 * 26]`` uint8 of ``events`` (:func:`parse_aedat`): step ``i`` holds the
    events with :math:`i\\,dt \\le t - t_0 < (i + 1)\\,dt`, :math:`t_0` the first event's time (ours:
    neurodata bins the raw timestamps), at index ``polarity * 676 + x * 26 + y``, 1 where there
    was at least one event; later events are dropped."""
    out = np.zeros((steps, 2 * SIDE * SIDE), dtype=np.uint8)
    if len(events):
        step = (events[:, 0] - events[0, 0]) // dt_us
        keep = step < steps
        e = events[keep]
        out[step[keep], e[:, 3] * SIDE * SIDE + e[:, 1] * SIDE + e[:, 2]] = 1
    return out


def _prepare(path: Path, dt_us: int, steps: int) -> None:
    arrays = {"train_events": [], "train_labels": [], "test_events": [], "test_labels": []}
    for digit, md5 in enumerate(MNIST_DVS_MD5):
        local = path.parent / f"grabbed_data{digit}.zip"  # put there by hand, or downloaded now
        if local.exists() and _file_digest(local, "md5") != md5:
            raise DataError(f"{local} has MD5 {_file_digest(local, 'md5')}, expected {md5}; delete or replace it")
        source = (contextlib.nullcontext(local) if local.exists()
                  else _downloaded(MNIST_DVS_URL.format(digit=digit), md5, path.parent))
        with source as tmp, zipfile.ZipFile(tmp) as archive:
            for name in sorted(archive.namelist()):
                found = re.search(rf"scale4/mnist_{digit}_scale04_(\d{{4}})\.aedat$", name)
                if found is None:
                    continue
                split = "train" if int(found.group(1)) <= 900 else "test"
                binned = bin_events(parse_aedat(archive.read(name)), dt_us, steps)
                arrays[f"{split}_events"].append(np.packbits(binned, axis=1))
                arrays[f"{split}_labels"].append(digit)
    buffer = io.BytesIO()
    np.savez(buffer, **{k: np.array(v, dtype=np.uint8) for k, v in arrays.items()})
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(buffer.getvalue())
    os.replace(tmp, path)


def load_mnist_dvs(split: str, dt_us: int = 25_000, steps: int = 80) -> tuple[np.ndarray, np.ndarray]:
    """``(events [n, steps, 1352] uint8, labels [n])`` of the ``"train"`` (9 000) or ``"test"``
    (1 000) recordings binned at ``dt_us``; downloaded and cached on first use."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    path = _cache_dir("mnist-dvs") / f"mnist_dvs_scale4_dt{dt_us}_T{steps}.npz"
    if not path.exists():
        try:
            _prepare(path, dt_us, steps)
        except (DataError, zipfile.BadZipFile, OSError) as exc:
            raise DataError(f"MNIST-DVS is not cached at {path} and could not be prepared ({exc}). It needs the "
                            f"internet: connect and rerun, or put grabbed_data0.zip ... grabbed_data9.zip from "
                            f"{MNIST_DVS_URL.format(digit='<d>')} in {path.parent} yourself.") from exc
    with np.load(path) as data:
        events = np.unpackbits(data[f"{split}_events"], axis=2)[..., :2 * SIDE * SIDE]
        return events, data[f"{split}_labels"].astype(np.int64)
