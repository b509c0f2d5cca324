r"""Section 6.3's data (naturalising MNIST-DVS, reconstructed from the authors'
``mnistdvs_reconstruction.py``): event streams of handwritten digits, and as the decoder's target
one fixed MNIST image per digit class, the first training image of that class.

The recordings (:func:`snnlib.book.mnist_dvs.load_mnist_dvs`) need the internet; this book runs
on streams **synthesised** from MNIST instead (:class:`SyntheticDVS`, stated as a substitute): each
digit, shrunk to the 26 x 26 pixels the authors crop, moves along its own smooth random path while
a simulated sensor (:func:`snnlib.core.event_camera.dvs_events`) reports its ON and OFF events.
Both sources give :func:`~.reconstruction.train_reconstruction` what it reads: inputs, target
images, labels, and input spikes ``[T, B, 2 * 26 * 26]`` in the authors' layout (polarity, x, y).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import torch
from torch import Tensor
from torch.nn import functional as F

from snnlib.book.data import load_mnist
from snnlib.book.mnist_dvs import SIDE, load_mnist_dvs
from snnlib.core.event_camera import dvs_events, saccade_frames
from snnlib.papers.p001_vdib.reconstruction import ReconstructionData

__all__ = ["class_templates", "per_class", "SyntheticDVS", "dvs_data"]


def class_templates(images: Tensor, labels: Tensor) -> Tensor:
    """``[10, 784]``: the first image of each digit class (the authors' ``targets_per_digit``)."""
    return torch.stack([images[int(torch.nonzero(labels == c)[0])] for c in range(10)])


def per_class(labels: Tensor, count: int) -> Tensor:
    """Indices of the first ``count`` examples of each class, class by class (as MNIST-DVS holds
    recordings 1-900 of every digit for training and 901-1000 for testing)."""
    return torch.cat([torch.nonzero(labels == c).flatten()[:count] for c in range(10)])


@dataclass
class SyntheticDVS:
    """MNIST images ``[n, 784]`` seen by a simulated event sensor (module docstring): the
    ``*_inputs`` are the images, the ``*_targets`` their class templates, and :meth:`spikes`
    records each image moving by ``amplitude`` pixels over ``cycles`` cycles (its phases from the
    example's generator), at contrast threshold ``threshold``."""

    train_inputs: Tensor
    train_targets: Tensor
    test_inputs: Tensor
    test_targets: Tensor
    test_labels: Tensor
    amplitude: float
    cycles: float
    threshold: float

    def spikes(self, inputs: Tensor, gens: Sequence[torch.Generator], steps: int) -> Tensor:
        """Input spikes ``[steps, B, 1352]``: 1 where a pixel had an event of that polarity."""
        small = F.interpolate(inputs.reshape(-1, 1, 28, 28), size=(SIDE, SIDE), mode="bilinear", align_corners=False,
                              antialias=True)[:, 0]
        frames = saccade_frames(small, steps + 1, self.amplitude, self.cycles, gens)
        events = dvs_events(frames.clamp(min=0), self.threshold)[1:] > 0  # [T, 2, B, H(y), W(x)]
        return events.permute(0, 2, 1, 4, 3).reshape(steps, len(inputs), -1).float()


def dvs_data(settings: Mapping[str, Any]) -> "SyntheticDVS | ReconstructionData":
    """The data of section 6.3 for ``settings["dvs_source"]``: ``"synthetic"`` (MNIST's first
    ``dvs_train_per_class`` training and ``dvs_test_per_class`` test images of each digit through
    :class:`SyntheticDVS`) or ``"recorded"`` (MNIST-DVS, binned at ``dvs_dt_us`` into ``T``
    steps; needs the internet once).  Targets: :func:`class_templates` of MNIST's training set."""
    train, train_labels = load_mnist("train_full", as_float=True)
    templates = class_templates(train.flatten(1), train_labels)
    if settings["dvs_source"] == "recorded":
        (x, y), (xt, yt) = (load_mnist_dvs(s, settings["dvs_dt_us"], settings["T"]) for s in ("train", "test"))
        y, yt = torch.from_numpy(y), torch.from_numpy(yt)
        return ReconstructionData(torch.from_numpy(x), templates[y], torch.from_numpy(xt), templates[yt], yt, "events")
    if settings["dvs_source"] != "synthetic":
        raise ValueError(f"dvs_source must be 'synthetic' or 'recorded', got {settings['dvs_source']!r}")
    test, test_labels = load_mnist("test", as_float=True)
    tr, te = per_class(train_labels, settings["dvs_train_per_class"]), per_class(test_labels, settings["dvs_test_per_class"])
    return SyntheticDVS(train.flatten(1)[tr], templates[train_labels[tr]], test.flatten(1)[te], templates[test_labels[te]],
                        test_labels[te], settings["dvs_amplitude"], settings["dvs_cycles"], settings["dvs_threshold"])
