"""The simulated event camera (snnlib.core.event_camera) by hand, and the MNIST-DVS reader
(snnlib.book.mnist_dvs) on a recording written here in the AEDAT-2 format."""

import math

import numpy as np
import pytest
import torch

from snnlib.book import mnist_dvs
from snnlib.book.data import DataError
from snnlib.core.event_camera import dvs_events, saccade_frames


def test_dvs_events_by_hand():
    """eq-001-dvs. C = 0.2, eps = 0: log-intensities 0, 0.25, 0.6, 0.1 give no event at the first frame, then 1 ON
    (reference 0.2), 2 ON (reference 0.6), 2 OFF (reference 0.2); a dark pixel that stays dark gives nothing."""
    log_i = torch.tensor([[0.0, -1.0], [0.25, -1.0], [0.6, -1.0], [0.1, -1.0]], dtype=torch.float64)
    events = dvs_events(torch.exp(log_i), 0.2, eps=0.0)
    assert events.shape == (4, 2, 2)
    assert events[:, 1, 0].tolist() == [0, 1, 2, 0] and events[:, 0, 0].tolist() == [0, 0, 0, 2]
    assert events[:, :, 1].sum() == 0
    with pytest.raises(ValueError):
        dvs_events(torch.ones(2, 1), 0.0)


def test_saccade_frames_move_the_image_along_its_path_and_a_still_image_is_silent():
    """An image that does not move emits no event; with amplitude 2 and one cycle over 8 steps, a one-pixel dot's
    centre of mass at step 2 sits 2 sin(pi/2 + phase) pixels from where it started (bilinear interpolation keeps
    the centre of mass), and the moving dot emits events."""
    image = torch.zeros(1, 7, 7)
    image[0, 3, 3] = 1.0
    phases = torch.rand(2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 2 * math.pi
    frames = saccade_frames(image, 4, 0.0, 1.0, [torch.Generator().manual_seed(0)])  # amplitude 0: no motion
    assert torch.allclose(frames[:, 0], image.expand(4, 7, 7), atol=1e-6)
    assert dvs_events(frames, 0.2).sum() == 0
    moved = saccade_frames(image, 8, 2.0, 1.0, [torch.Generator().manual_seed(0)])
    shift_x = 2.0 * math.sin(2 * math.pi * 2 / 8 + float(phases[0]))
    centre_x = (moved[2, 0].sum(0) * torch.arange(7)).sum() / moved[2, 0].sum()
    assert float(centre_x) == pytest.approx(3 + shift_x, abs=1e-4)
    assert dvs_events(moved, 0.2).sum() > 0


def _aedat(events):
    """An AEDAT-2 file: a header line, then big-endian (address, timestamp) pairs of DVS128 events
    (x stored mirrored as 127 - x in bits 1-7, y in bits 8-14, polarity in bit 0)."""
    body = b"".join(np.array([((127 - x) << 1) | (y << 8) | p, ts], dtype=">u4").tobytes() for ts, x, y, p in events)
    return b"#!AER-DAT2.0\r\n# a comment\r\n" + body


def test_aedat_events_are_cropped_and_binned_as_the_authors_layout():
    raw = _aedat([(1000, 48, 48, 1), (1500, 73, 50, 0), (30000, 60, 61, 1), (31000, 47, 60, 1), (90000, 50, 50, 0)])
    events = mnist_dvs.parse_aedat(raw)
    assert events.tolist() == [[1000, 0, 0, 1], [1500, 25, 2, 0], [30000, 12, 13, 1], [90000, 2, 2, 0]]
    binned = mnist_dvs.bin_events(events, 25_000, 3)
    assert binned.shape == (3, 1352) and binned.sum() == 3  # the event at 89 ms after the first is past 3 steps
    assert binned[0, 676 + 0] == 1 and binned[0, 25 * 26 + 2] == 1 and binned[1, 676 + 12 * 26 + 13] == 1


def test_mnist_dvs_offline_gives_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist_dvs, "_cache_dir", lambda name: tmp_path)
    monkeypatch.setattr("snnlib.book.data._urlopen", lambda url, timeout: (_ for _ in ()).throw(OSError("offline")))
    with pytest.raises(DataError, match="needs the internet"):
        mnist_dvs.load_mnist_dvs("train")
    assert list(tmp_path.iterdir()) == []  # nothing half-written
