"""The one atomic writer and the one artifact reader (snnlib.book.artifacts)."""

import json

import numpy as np
import pytest
import torch

from snnlib.book.artifacts import Artifact, atomic_write, atomic_write_json, read_artifact, torch_bytes


class Crash(Exception):
    pass


def test_atomic_write_cleans_up_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "x.npy"
    atomic_write(target, lambda s: s.write(b"old"))

    def writer(stream):
        stream.write(b"partial")
        raise Crash

    with pytest.raises(Crash):
        atomic_write(target, writer)
    assert [p.name for p in tmp_path.iterdir()] == ["x.npy"] and target.read_bytes() == b"old"


def test_atomic_write_json_leaves_old_file_when_the_value_cannot_be_written(tmp_path):
    path = tmp_path / "m.json"
    atomic_write_json(path, {"a": 1})
    with pytest.raises(TypeError):
        atomic_write_json(path, {"a": object()})
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_read_artifact_reads_what_was_written_and_can_skip_the_large_files(tmp_path):
    atomic_write_json(tmp_path / "metrics.json", {"metrics": {"acc": np.float32(0.5)},
                                                  "provenance": {"seed": 3, "inf": float("inf")}})
    buffer = __import__("io").BytesIO()
    np.savez_compressed(buffer, x=np.arange(3))
    atomic_write(tmp_path / "arrays.npz", lambda s: s.write(buffer.getvalue()))
    atomic_write(tmp_path / "weights.pt", lambda s: s.write(torch_bytes({"w": torch.ones(2)})))
    art = read_artifact(tmp_path)
    assert isinstance(art, Artifact) and art.metrics == {"acc": 0.5}
    assert art.provenance == {"seed": 3, "inf": "inf"}
    assert art.arrays["x"].tolist() == [0, 1, 2] and torch.equal(art.weights["w"], torch.ones(2))
    light = read_artifact(tmp_path, arrays=False, weights=False)
    assert light.arrays == {} and light.weights is None
    with pytest.raises(FileNotFoundError, match="metrics.json"):
        read_artifact(tmp_path / "missing")
