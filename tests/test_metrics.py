"""Tests for the spike and latency counters in snnlib.core.metrics (hand-computed values)."""

from __future__ import annotations

import pytest
import torch

from snnlib.core.coding import times_to_spikes
from snnlib.core.metrics import (
    count_spikes,
    decision_time,
    firing_fraction,
    spikes_until,
    ttfs_spikes_until,
)

# Hidden layer: T = 4 steps, B = 3 samples, 2 neurons.
HIDDEN = torch.tensor(
    [
        [[1, 0], [0, 0], [1, 1]],  # t = 0
        [[0, 1], [1, 0], [0, 0]],  # t = 1
        [[1, 1], [0, 0], [0, 1]],  # t = 2
        [[0, 0], [1, 1], [0, 0]],  # t = 3
    ],
    dtype=torch.uint8,
)
# Output layer: T = 4, B = 3, 2 outputs. Sample 0 decides at t = 2, sample 1 never, sample 2 at t = 0.
OUTPUT = torch.tensor(
    [
        [[0, 0], [0, 0], [0, 1]],
        [[0, 0], [0, 0], [0, 0]],
        [[1, 0], [0, 0], [1, 0]],
        [[0, 1], [0, 0], [0, 0]],
    ],
    dtype=torch.uint8,
)


def test_count_spikes_sums_time_neurons_and_layers_per_sample():
    # HIDDEN per sample: 4, 3, 3; OUTPUT per sample: 2, 0, 2.
    assert torch.equal(count_spikes(HIDDEN), torch.tensor([4, 3, 3]))
    assert torch.equal(count_spikes(HIDDEN, OUTPUT), torch.tensor([6, 3, 5]))
    # Neuron-less [T, B] layer and float spikes.
    assert torch.allclose(count_spikes(HIDDEN[:, :, 0].float()), torch.tensor([2.0, 2.0, 1.0]))


def test_count_spikes_rejects_mismatched_batches():
    with pytest.raises(ValueError):
        count_spikes(HIDDEN, OUTPUT[:, :2])


def test_decision_time_is_first_step_any_output_fires():
    assert torch.equal(decision_time(OUTPUT), torch.tensor([2, 4, 0]))


def test_spikes_until_counts_up_to_and_including_t_stop():
    # Per-sample stops [2, 4, 0] (the decision times):
    # sample 0: hidden t<=2: 1+1+2 = 4, output t<=2: 1 -> 5
    # sample 1: never decided -> everything: 3 + 0 = 3
    # sample 2: hidden t=0: 2, output t=0: 1 -> 3
    stops = decision_time(OUTPUT)
    assert torch.equal(spikes_until([HIDDEN, OUTPUT], stops), torch.tensor([5, 3, 3]))
    # A scalar stop applies to every sample: t <= 1 -> hidden 2, 1, 2; output 0, 0, 1.
    assert torch.equal(spikes_until([HIDDEN, OUTPUT], 1), torch.tensor([2, 1, 3]))
    # A single tensor is accepted; t_stop >= T - 1 counts everything.
    assert torch.equal(spikes_until(HIDDEN, 3), count_spikes(HIDDEN))


def test_spikes_until_rejects_wrong_t_stop_shape():
    with pytest.raises(ValueError):
        spikes_until([HIDDEN], torch.tensor([1, 2]))


def test_firing_fraction_per_sample():
    spikes = torch.zeros(5, 3, 2, 2)
    spikes[0, 0, 0, 0] = 1
    spikes[4, 0, 1, 1] = 1
    spikes[2, 0, 1, 1] = 1  # same neuron twice still counts once
    spikes[:, 2] = 1
    assert torch.allclose(firing_fraction(spikes), torch.tensor([0.5, 0.0, 1.0]))


def test_ttfs_spikes_until_hand_values_and_dense_equivalent():
    # t_max = 6; times >= 6 are silent.  Stops [2, 6]:
    # sample 0: layer A {0, 2} (5 silent) -> 2; layer B {1} (3 > 2) -> 1 => 3
    # sample 1: stop 6 counts every real spike: A {4, 5} -> 2; B {0, 6 silent} -> 1 => 3
    layer_a = torch.tensor([[0, 2, 6], [4, 5, 9]])
    layer_b = torch.tensor([[1, 3], [0, 6]])
    counts = ttfs_spikes_until([layer_a, layer_b], torch.tensor([2, 6]), t_max=6)
    assert torch.equal(counts, torch.tensor([3, 3]))
    # The same count from dense spike trains [T, B, n] (a time >= T never spikes).
    dense = [times_to_spikes(layer, 6) for layer in (layer_a, layer_b)]
    assert torch.equal(spikes_until(dense, torch.tensor([2, 5])), counts)
    assert torch.equal(ttfs_spikes_until([layer_a], 0, t_max=6), torch.tensor([1, 0]))
