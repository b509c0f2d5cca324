"""Tests for snnlib.core.temporal (IF/TTFS networks and S4NN temporal backprop).

Hand-worked values, an independent dense time-loop forward, a dense re-statement of
the S4NN per-image update on MNIST (the training loop is tested in test_s4nn.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import snnlib.core.temporal as temporal
from snnlib.core.coding import ttfs_encode
from snnlib.core.temporal import (
    FAKE,
    REAL,
    S4NN_T_MAX,
    S4NN_THRESHOLD,
    aggressive_ttfs_targets,
    dynamic_targets,
    gan_discriminator_targets,
    gan_generator_targets,
    if_layer_forward,
    membrane_potential,
    reinit_dead_neurons,
    s4nn_backward,
    s4nn_forward,
    s4nn_init_weights,
    s4nn_relative_targets,
    temporal_error,
    temporal_mse_loss,
)

# --------------------------------------------------------------------------------------
# Forward
# --------------------------------------------------------------------------------------

# 3 inputs -> 2 neurons, t_max = 8, thresholds 2 (strict: V must exceed 2).
W_HAND = torch.tensor([[1.0, 1.0, 1.0], [2.0, 0.5, 3.0]])
T_IN_HAND = torch.tensor(
    [
        [0, 2, 5],  # A
        [1, 1, 7],  # B: two inputs in one step; third input in the last step t_max - 1
        [8, 8, 3],  # C: two silent (black) inputs at t_max
    ]
)


def test_if_layer_hand_worked_three_inputs_two_neurons():
    # pins eq-003-if (chapter 003): strict crossing, one step of delay, t_max = no spike
    out = if_layer_forward(T_IN_HAND, W_HAND, 2.0, t_max=8)
    # A: n0 V = 1 (tau 0..1), 2 (2..4, not > 2), 3 (5..) -> crosses at 5 -> t = 6.
    #    n1 V = 2 at tau 0 (not > 2), 2.5 at tau 2 -> t = 3.
    # B: n0 V = 2 at tau 1, 3 at tau 7 = t_max - 1 -> t = min(8, 8) = 8 (looks silent).
    #    n1 V = 2.5 at tau 1 -> t = 2.
    # C: n0 V = 1 from tau 3 (black inputs never count) -> never -> t_max = 8.
    #    n1 V = 3 at tau 3 -> t = 4.
    assert torch.equal(out.times, torch.tensor([[6, 3], [8, 2], [8, 4]]))
    assert out.times.dtype == torch.long
    # Probe at t_max - 3 = 5: inputs with t <= 5.
    assert torch.allclose(out.v_probe, torch.tensor([[3.0, 5.5], [2.0, 2.5], [1.0, 3.0]]))
    # V(t_j - 1): the crossing value; V(t_max - 1) for C's silent n0.
    assert torch.allclose(out.v_spike, torch.tensor([[3.0, 2.5], [3.0, 2.5], [1.0, 3.0]]))
    # Per-neuron thresholds: n0 at 0.5 fires after input 0 (t = 1); n1 at 10 never fires.
    out = if_layer_forward(T_IN_HAND, W_HAND, torch.tensor([0.5, 10.0]), t_max=8)
    assert torch.equal(out.times, torch.tensor([[1, 8], [2, 8], [4, 8]]))


def test_if_layer_waits_for_all_inputs_of_a_step():
    # Inputs 0 and 1 arrive together: partial sum 3 > 2, full sum 3 - 2 = 1 < 2 -> no spike then.
    times = torch.tensor([[1, 1, 4]])
    weight = torch.tensor([[3.0, -2.0, 5.0], [-2.0, 3.0, 0.0]])
    out = if_layer_forward(times, weight, 2.0, t_max=10)
    assert torch.equal(out.times, torch.tensor([[5, 10]]))


def test_one_step_delay_per_layer_and_silent_propagation():
    # Input 0 fires at 0 and drives everything over threshold at once: hidden at 1, output at 2.
    weights = [torch.tensor([[5.0, 0.0], [0.0, 5.0]]), torch.tensor([[5.0, 0.0], [0.0, 5.0]])]
    fwd = s4nn_forward(torch.tensor([[0, 8]]), weights, [1.0, 1.0], t_max=8)
    assert torch.equal(fwd.times[0], torch.tensor([[1, 8]]))
    assert torch.equal(fwd.times[1], torch.tensor([[2, 8]]))  # silent hidden -> silent output


def dense_time_loop(t_in: torch.Tensor, weight: torch.Tensor, thr: torch.Tensor, t_max: int):
    """Naive reference: step through t = 0..t_max-1, integrate, fire one step after V > thr."""
    batch, n_out = t_in.shape[0], weight.shape[0]
    times = torch.full((batch, n_out), t_max, dtype=torch.long)
    for b in range(batch):
        v = torch.zeros(n_out, dtype=weight.dtype)
        for t in range(t_max):
            v = v + weight @ (t_in[b] == t).to(weight.dtype)
            newly = (v > thr) & (times[b] == t_max)
            times[b][newly] = min(t + 1, t_max)
    return times


@pytest.mark.parametrize("chunk", [1 << 22, 50])
def test_event_driven_forward_matches_dense_time_loop(monkeypatch, chunk):
    monkeypatch.setattr(temporal, "_CHUNK_ELEMENTS", chunk)  # 50 forces one-sample chunks
    gen = torch.Generator().manual_seed(3)
    t_max = 20
    t_in = torch.randint(0, t_max + 3, (16, 30), generator=gen)  # some inputs past the window
    weight = torch.rand(12, 30, generator=gen, dtype=torch.float64) * 3 - 0.5  # some negative
    thr = torch.rand(12, generator=gen, dtype=torch.float64) * 40 + 5
    out = if_layer_forward(t_in, weight, thr, t_max)
    expected = dense_time_loop(t_in, weight, thr, t_max)
    assert torch.equal(out.times, expected)
    assert 0 < (expected < t_max).float().mean() < 1  # both fired and silent neurons occur
    assert torch.allclose(out.v_probe, membrane_potential(t_in, weight, t_max - 3))


# --------------------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------------------


def test_s4nn_relative_targets_hand_values():
    # pins eq-003-s4nn-targets (chapter 003)
    out = torch.tensor([[5, 6, 9, 10], [10, 10, 10, 10], [9, 10, 10, 10], [5, 6, 9, 10]])
    labels = torch.tensor([2, 1, 0, 0])
    # Row 0: t_min 5; 5 and 6 are within gamma = 3 -> 8; 9, 10 keep; label 2 -> 5.
    # Row 1: silent -> all t_max, label -> t_max - gamma = 7.
    # Row 2: t_min 9; 9, 10 within gamma -> min(12, 10) = 10; label 0 -> 9.
    # Row 3: label is the winner: 5 -> 5, 6 -> 8.
    expected = torch.tensor([[8, 8, 5, 10], [10, 7, 10, 10], [9, 10, 10, 10], [5, 8, 9, 10]])
    assert torch.equal(s4nn_relative_targets(out, labels, t_max=10, gamma=3), expected)


def test_dynamic_and_aggressive_targets_hand_values():
    # pins eq-003-aggressive (chapter 003)
    out = torch.tensor([[5, 6, 9, 10], [10, 10, 10, 10]])
    expected = torch.tensor([[10, 10, 5, 10], [10, 0, 10, 10]])  # silent -> t_min := 0
    assert torch.equal(aggressive_ttfs_targets(out, torch.tensor([2, 1]), t_max=10), expected)
    assert torch.equal(dynamic_targets(out, torch.tensor([2, 1]), t_max=10), expected)


@pytest.mark.parametrize("reading,expected", [
    # label 1 of [[5, 10], [10, 10], [4, 6]]: winner 5 / silent layer / label 6 behind winner 4
    ("aggressive", [[10, 5], [10, 0], [10, 4]]),
    ("aggressive_label_silent", [[10, 0], [10, 0], [10, 4]]),  # label silent in row 0
    ("aggressive_margin", [[10, 2], [10, 0], [10, 1]]),  # max(t_min - 3, 0)
    ("aggressive_zero", [[10, 0], [10, 0], [10, 0]]),
])
def test_aggressive_readings_hand_values(reading, expected):
    out = torch.tensor([[5, 10], [10, 10], [4, 6]])
    ours = aggressive_ttfs_targets(out, 1, t_max=10, reading=reading, gamma=3)
    assert ours.tolist() == expected
    for row, want in zip(out.numpy(), expected):  # the fast path's numpy targets agree
        assert temporal._np_targets(row, 1, 10, reading, 3).tolist() == want
    with pytest.raises(ValueError, match="unknown reading"):
        aggressive_ttfs_targets(out, 1, t_max=10, reading="eager")


def test_gan_targets_hand_values():
    assert (FAKE, REAL) == (0, 1)
    d_out = torch.tensor([[7, 4], [10, 10], [3, 3]])
    assert torch.equal(gan_discriminator_targets(d_out, real=True, t_max=10),
                       torch.tensor([[10, 4], [10, 0], [10, 3]]))
    assert torch.equal(gan_discriminator_targets(d_out, real=False, t_max=10),
                       torch.tensor([[4, 10], [0, 10], [3, 10]]))
    # G flips the label: it wants D's "real" neuron first on fakes.
    assert torch.equal(gan_generator_targets(d_out, t_max=10),
                       torch.tensor([[10, 4], [10, 0], [10, 3]]))


def test_temporal_error_and_loss_hand_values():
    # pins eq-003-loss (chapter 003)
    out, target = torch.tensor([[5, 10]]), torch.tensor([[10, 5]])
    assert torch.allclose(temporal_error(out, target, 10), torch.tensor([[-0.5, 0.5]]))
    assert torch.allclose(temporal_mse_loss(out, target, 10), torch.tensor([0.25]))


# --------------------------------------------------------------------------------------
# Backward: a two-layer example worked by hand
# --------------------------------------------------------------------------------------
# Inputs t = [0, 3]; hidden W1 = [[2, 1], [0.5, 2]], theta 1.5; output W2 = [[1, 1], [0.2, 0.3]],
# theta 1.5; t_max = 10.
#   h0: V(0) = 2 > 1.5 -> t = 1.         h1: V(0) = 0.5, V(3) = 2.5 -> t = 4.
#   o0: V(1) = 1, V(4) = 2 > 1.5 -> t = 5.  o1: V <= 0.5 -> silent, t = 10.
# Label 1, aggressive targets: T = [10, 5]; raw delta_o = (t - T)/10 = [-0.5, 0.5].
# Contribution masks 1[t_in < t_out]: output: o0 (5) sees h (1, 4): [1, 1]; o1 (10): [1, 1].
#                                     hidden: h0 (1) sees x (0, 3): [1, 0]; h1 (4): [1, 1].
T_X = torch.tensor([[0, 3]])
W1 = torch.tensor([[2.0, 1.0], [0.5, 2.0]], dtype=torch.float64)
W2 = torch.tensor([[1.0, 1.0], [0.2, 0.3]], dtype=torch.float64)
LABEL = torch.tensor([1])


def hand_network():
    fwd = s4nn_forward(T_X, [W1, W2], 1.5, t_max=10)
    targets = aggressive_ttfs_targets(fwd.times[-1], LABEL, t_max=10)
    return fwd, temporal_error(fwd.times[-1], targets, 10, dtype=torch.float64)


def f64(rows):
    return torch.tensor(rows, dtype=torch.float64)


def test_hand_network_forward():
    fwd, error = hand_network()
    assert torch.equal(fwd.times[0], torch.tensor([[1, 4]]))
    assert torch.equal(fwd.times[1], torch.tensor([[5, 10]]))
    assert torch.allclose(error, f64([[-0.5, 0.5]]))


def test_two_layer_backward_hand_worked_l1():
    # pins eq-003-backprop (chapter 003): strict mask, per-layer normalisation, delta_w
    fwd, error = hand_network()
    back = s4nn_backward(T_X, fwd.times, [W1, W2], error, lr=0.2, weight_decay=0.0, norm="l1",
                         input_delta=True)
    # Output delta: |-0.5| + |0.5| = 1 -> unchanged.
    assert torch.allclose(back.deltas[1], f64([[-0.5, 0.5]]))
    # dL/dw_kj = -delta_k * mask: [[0.5, 0.5], [-0.5, -0.5]]; delta_w = -0.2 * grad.
    assert torch.allclose(back.grads[1], f64([[0.5, 0.5], [-0.5, -0.5]]))
    assert torch.allclose(back.delta_w[1], f64([[-0.1, -0.1], [0.1, 0.1]]))
    # Hidden: h0 = -0.5*1 + 0.5*0.2 = -0.4; h1 = -0.5*1 + 0.5*0.3 = -0.35; L1 = 0.75.
    assert torch.allclose(back.deltas[0], f64([[-8 / 15, -7 / 15]]))
    # dL/dw_ji = -delta_j * mask: [[8/15, 0], [7/15, 7/15]].
    assert torch.allclose(back.grads[0], f64([[8 / 15, 0.0], [7 / 15, 7 / 15]]))
    assert torch.allclose(back.delta_w[0], -0.2 * f64([[8 / 15, 0.0], [7 / 15, 7 / 15]]))
    # Input (e.g. a generator's output layer): x0 (t 0) feeds h0, h1: -8/15*2 - 7/15*0.5 = -19.5/15;
    # x1 (t 3) feeds only h1: -7/15*2 = -14/15; L1 = 33.5/15.
    assert torch.allclose(back.input_delta, f64([[-39 / 67, -28 / 67]]))


def test_two_layer_backward_l2_norm_and_weight_decay():
    fwd, error = hand_network()
    lr, lam = 0.2, 0.5
    back = s4nn_backward(T_X, fwd.times, [W1, W2], error, lr=lr, weight_decay=lam, norm="l2")
    r = 1 / math.sqrt(2)
    assert torch.allclose(back.deltas[1], f64([[-r, r]]))
    # Hidden raw: [-r + 0.2 r, -r + 0.3 r] = r * [-0.8, -0.7] -> L2-normalised [-0.8, -0.7]/sqrt(1.13).
    s = math.sqrt(1.13)
    assert torch.allclose(back.deltas[0], f64([[-0.8 / s, -0.7 / s]]))
    grad2 = f64([[r, r], [-r, -r]])
    grad1 = f64([[0.8 / s, 0.0], [0.7 / s, 0.7 / s]])
    assert torch.allclose(back.grads[1], grad2)
    assert torch.allclose(back.grads[0], grad1)
    # S4NN order: W <- W - lr*grad, then W <- W - lr*lam*W.
    for weight, grad, update in ((W2, grad2, back.delta_w[1]), (W1, grad1, back.delta_w[0])):
        stepped = weight - lr * grad
        assert torch.allclose(weight + update, stepped - lr * lam * stepped)
    assert back.input_delta is None


def test_backward_through_updated_weights_is_s4nn_order():
    fwd, error = hand_network()
    back = s4nn_backward(T_X, fwd.times, [W1, W2], error, lr=0.2, weight_decay=0.0, norm="l1",
                         backprop_weights="updated")
    # Updated W2 = [[0.9, 0.9], [0.3, 0.4]]: h0 = -0.45 + 0.15 = -0.3, h1 = -0.45 + 0.2 = -0.25.
    assert torch.allclose(back.deltas[0], f64([[-6 / 11, -5 / 11]]))


def test_backward_mask_is_strict_for_simultaneous_spikes():
    # Hidden h0 and output o0 both at t = 5: h0 did not cause o0's spike -> no gradient.
    times = [torch.tensor([[5, 2]]), torch.tensor([[5]])]
    back = s4nn_backward(torch.tensor([[0, 0]]), times, [torch.ones(2, 2), torch.ones(1, 2)],
                         torch.tensor([[1.0]]), lr=1.0, weight_decay=0.0, norm=None)
    assert torch.equal(back.grads[1], torch.tensor([[0.0, -1.0]]))
    assert torch.equal(back.deltas[0], torch.tensor([[0.0, 1.0]]))


def test_backward_batch_mean_is_average_of_single_sample_updates():
    gen = torch.Generator().manual_seed(0)
    t_in = torch.randint(0, 12, (5, 7), generator=gen)
    weights = s4nn_init_weights([7, 6, 3], bounds=[(0, 3), (0, 4)], generator=gen,
                                dtype=torch.float64)
    fwd = s4nn_forward(t_in, weights, 4.0, t_max=12)
    error = temporal_error(fwd.times[-1], aggressive_ttfs_targets(fwd.times[-1], 0, 12), 12,
                           dtype=torch.float64)
    batch = s4nn_backward(t_in, fwd.times, weights, error, weight_decay=0.0)
    singles = [
        s4nn_backward(t_in[b:b + 1], [t[b:b + 1] for t in fwd.times], weights, error[b:b + 1],
                      weight_decay=0.0)
        for b in range(5)
    ]
    for layer in range(2):
        mean = torch.stack([s.delta_w[layer] for s in singles]).mean(0)
        assert torch.allclose(batch.delta_w[layer], mean)
        assert batch.delta_w[layer].abs().sum() > 0


def s4nn_per_image_update(t_img, label, weights, thr=100.0, t_max=256, lr=0.2, lam=1e-6, gamma=3):
    """Dense re-statement (numpy, float64) of one S4NN.py training iteration on one image:
    spike arrays with t_max + 1 slots, cumulative voltage with a forced fake spike in the last
    slot, relative targets, L2-normalised deltas, output weights updated (and decayed) before the
    hidden delta is computed from them."""
    weights = [w.copy() for w in weights]
    layer_in, times = t_img, []
    for w in weights:
        spikes = np.zeros((len(layer_in), t_max + 1))
        spikes[np.arange(len(layer_in)), layer_in] = 1
        volt = np.cumsum(w @ spikes, axis=1)
        volt[:, t_max] = thr + 1
        layer_in = np.minimum(np.argmax(volt > thr, axis=1) + 1, t_max)
        times.append(layer_in)
    out, t_min = times[-1], times[-1].min()
    if t_min == t_max:
        target = np.full(out.shape, t_max)
        target[label] = t_max - gamma
    else:
        target = out.copy()
        target[(out - t_min) < gamma] = min(t_min + gamma, t_max)
        target[label] = t_min
    minus_delta = (target - out) / t_max
    if np.linalg.norm(minus_delta):
        minus_delta = minus_delta / np.linalg.norm(minus_delta)
    for layer in (1, 0):
        t_pre = times[0] if layer == 1 else t_img
        fired_before = t_pre[None, :] < times[layer][:, None]
        weights[layer] -= lr * minus_delta[:, None] * fired_before
        weights[layer] -= lr * lam * weights[layer]
        if layer == 1:
            minus_delta = (minus_delta[:, None] * fired_before * weights[1]).sum(0)
            if np.linalg.norm(minus_delta):
                minus_delta = minus_delta / np.linalg.norm(minus_delta)
    return weights, times


def test_matches_s4nn_per_image_update_on_mnist(mnist_train_small):
    images, labels = mnist_train_small
    t_in = ttfs_encode(images[:30].flatten(1))
    weights = s4nn_init_weights([784, 40, 10], generator=torch.Generator().manual_seed(1),
                                dtype=torch.float64)
    reference = [w.numpy().copy() for w in weights]
    for i in range(30):
        fwd = s4nn_forward(t_in[i:i + 1], weights, S4NN_THRESHOLD, S4NN_T_MAX)
        targets = s4nn_relative_targets(fwd.times[-1], labels[i:i + 1], S4NN_T_MAX)
        error = temporal_error(fwd.times[-1], targets, S4NN_T_MAX, dtype=torch.float64)
        back = s4nn_backward(t_in[i:i + 1], fwd.times, weights, error, backprop_weights="updated")
        weights = [w + d for w, d in zip(weights, back.delta_w)]
        reference, ref_times = s4nn_per_image_update(t_in[i].numpy(), int(labels[i]), reference)
        for ours, theirs in zip(fwd.times, ref_times):
            assert np.array_equal(ours[0].numpy(), theirs)
    for ours, theirs in zip(weights, reference):
        assert np.allclose(ours.numpy(), theirs, rtol=0, atol=1e-10)
    assert not np.allclose(reference[0], s4nn_init_weights(
        [784, 40, 10], generator=torch.Generator().manual_seed(1), dtype=torch.float64)[0].numpy())


# --------------------------------------------------------------------------------------
# Initialisation and dead neurons
# --------------------------------------------------------------------------------------


def test_init_uses_s4nn_bounds():
    w_hidden, w_out = s4nn_init_weights([784, 400, 10], generator=torch.Generator().manual_seed(0))
    assert w_hidden.shape == (400, 784) and w_out.shape == (10, 400)
    assert 0 <= w_hidden.min() and w_hidden.max() <= 5 and w_hidden.max() > 4.9
    assert 0 <= w_out.min() and w_out.max() <= 48 and w_out.max() > 47


def test_reinit_dead_neurons_redraws_only_rare_firers():
    weight = torch.full((3, 4), -1.0)
    # 2000 samples: threshold 0.001 * 2000 = 2 firings; 1 < 2 dead, 2 alive (strict), 50 alive.
    reset = reinit_dead_neurons(weight, torch.tensor([1, 2, 50]), 2000,
                                generator=torch.Generator().manual_seed(0))
    assert torch.equal(reset.dead, torch.tensor([True, False, False]))
    assert bool((reset.weight[0] >= 0).all() and (reset.weight[0] <= 5).all())
    assert torch.equal(reset.weight[1:], weight[1:])
    assert torch.equal(weight, torch.full((3, 4), -1.0))  # input untouched


# --------------------------------------------------------------------------------------
# MNIST images for the S4NN re-statement test
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mnist_train_small():
    from snnlib.book.data import load_mnist

    images, labels = load_mnist("train")
    return images[:1000], labels[:1000]


def test_silent_pairs_option_lets_a_silent_layer_receive_error():
    # One silent input (t = t_max = 8) into one silent neuron; the output error is 1.
    # Strict mask (S4NN code): nothing contributed -> no gradient, no error below.
    # silent_pairs_at = t_max: the pair counts -> dL/dw = -1, delta_w = +lr, input delta w = 2.
    t_in, t_out = torch.tensor([[8]]), torch.tensor([[8]])
    weight = torch.tensor([[2.0]], dtype=torch.float64)
    delta = torch.tensor([[1.0]], dtype=torch.float64)
    strict = s4nn_backward(t_in, [t_out], [weight], delta, lr=0.5, weight_decay=0.0,
                           norm=None, input_delta=True)
    assert float(strict.grads[0]) == 0 and float(strict.input_delta) == 0
    silent = s4nn_backward(t_in, [t_out], [weight], delta, lr=0.5, weight_decay=0.0,
                           norm=None, input_delta=True, silent_pairs_at=8)
    assert float(silent.grads[0]) == -1 and float(silent.delta_w[0]) == 0.5
    assert float(silent.input_delta) == 2.0
    # A silent input of a neuron that fired still does not count.
    fired = s4nn_backward(t_in, [torch.tensor([[5]])], [weight], delta, lr=0.5,
                          weight_decay=0.0, norm=None, silent_pairs_at=8)
    assert float(fired.grads[0]) == 0


# --------------------------------------------------------------------------------------
# Fast paths: s4nn_forward_times and the in-place training kernel s4nn_train_image_
# --------------------------------------------------------------------------------------


def test_fast_forward_times_hand_worked_and_waits_for_all_inputs_of_a_step():
    # pins eq-003-if for the sorted-input kernel: the hand values of the first test above
    fast = temporal.s4nn_forward_times(T_IN_HAND, [W_HAND], 2.0, t_max=8)
    assert torch.equal(fast.times[0], torch.tensor([[6, 3], [8, 2], [8, 4]]))
    assert torch.allclose(fast.output_probe, torch.tensor([[3.0, 5.5], [2.0, 2.5], [1.0, 3.0]]))
    fast = temporal.s4nn_forward_times(T_IN_HAND, [W_HAND], [torch.tensor([0.5, 10.0])], t_max=8)
    assert torch.equal(fast.times[0], torch.tensor([[1, 8], [2, 8], [4, 8]]))
    # partial sum of a step crosses (3 > 2) but the full step does not (3 - 2 = 1): no spike then
    weight = torch.tensor([[3.0, -2.0, 5.0], [-2.0, 3.0, 0.0]])
    fast = temporal.s4nn_forward_times(torch.tensor([[1, 1, 4]]), [weight], 2.0, t_max=10)
    assert torch.equal(fast.times[0], torch.tensor([[5, 10]]))
    # all inputs silent, and no inputs spiking inside the window at all
    fast = temporal.s4nn_forward_times(torch.tensor([[8, 9, 8]]), [W_HAND], 0.0, t_max=8)
    assert torch.equal(fast.times[0], torch.tensor([[8, 8]]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fast_forward_times_match_dense_time_loop_and_s4nn_forward(seed):
    gen = torch.Generator().manual_seed(seed)
    t_max = 12  # 40 inputs over 12 steps: many inputs share a step
    t_in = torch.randint(0, t_max + 3, (20, 40), generator=gen)
    t_in[0] = t_max  # a silent image
    t_in[1, :35] = 3  # nearly all inputs in one step
    weights = [torch.rand(25, 40, generator=gen, dtype=torch.float64) * 3 - 0.7,
               torch.rand(6, 25, generator=gen, dtype=torch.float64) * 4 - 1.0]
    thr = [torch.rand(25, generator=gen, dtype=torch.float64) * 10 + 2, 5.0]
    fast = temporal.s4nn_forward_times(t_in, weights, thr, t_max)
    slow = s4nn_forward(t_in, weights, thr, t_max)
    hidden = dense_time_loop(t_in, weights[0], thr[0], t_max)
    assert torch.equal(fast.times[0], hidden)
    assert torch.equal(fast.times[1], dense_time_loop(hidden, weights[1], torch.tensor(5.0,
                                                      dtype=torch.float64), t_max))
    for ours, theirs in zip(fast.times, slow.times):
        assert torch.equal(ours, theirs)
    assert 0 < (hidden < t_max).float().mean() < 1 and 0 < (fast.times[1] < t_max).float().mean() < 1
    assert torch.allclose(fast.output_probe, slow.v_probe[-1], rtol=0, atol=1e-12)


def test_numpy_targets_hand_values():
    out = np.array([5, 6, 9, 10])
    assert temporal._np_targets(out, 2, 10, "s4nn", 3).tolist() == [8, 8, 5, 10]
    assert temporal._np_targets(np.full(4, 10), 1, 10, "s4nn", 3).tolist() == [10, 7, 10, 10]
    assert temporal._np_targets(np.array([7, 4]), 1, 10, "aggressive", 3).tolist() == [10, 4]
    assert temporal._np_targets(np.array([10, 10]), 1, 10, "aggressive", 3).tolist() == [10, 0]


def _torch_path_update(weights, t_in, label, t_max, loss, norm, backprop, lr, decay):
    fwd = s4nn_forward(t_in, weights, [4.0, 6.0], t_max)
    if loss == "s4nn":
        targets = s4nn_relative_targets(fwd.times[-1], label, t_max)
    else:
        targets = aggressive_ttfs_targets(fwd.times[-1], label, t_max, reading=loss)
    error = temporal_error(fwd.times[-1], targets, t_max, dtype=weights[0].dtype)
    back = s4nn_backward(t_in, fwd.times, weights, error, lr=lr, weight_decay=decay, norm=norm,
                         backprop_weights=backprop)
    return [w + d for w, d in zip(weights, back.delta_w)], fwd.times


@pytest.mark.parametrize("loss,norm,backprop,lr,decay", [
    ("s4nn", "l2", "updated", [0.2, 0.2], [1e-3, 1e-3]),
    ("aggressive", "l1", "current", [0.5, 0.1], [0.0, 1e-2]),
    ("aggressive_margin", "l2", "updated", [0.2, 0.2], [1e-3, 1e-3]),
    ("aggressive_label_silent", "l2", "updated", [0.2, 0.2], [1e-3, 1e-3]),
    ("s4nn", None, "current", [0.0, 0.3], [0.0, 0.0]),  # frozen first layer
])
def test_train_image_kernel_matches_torch_path(loss, norm, backprop, lr, decay):
    gen = torch.Generator().manual_seed(7)
    t_max = 16
    weights = [torch.rand(30, 50, generator=gen, dtype=torch.float64) * 1.5 - 0.3,
               torch.rand(4, 30, generator=gen, dtype=torch.float64) * 2 - 0.4]
    weights_t = [np.array(w.numpy().T, order="C") for w in weights]
    t_all = torch.randint(0, t_max + 4, (40, 50), generator=gen)
    labels = torch.randint(0, 4, (40,), generator=gen)
    fired = 0
    for i in range(40):
        weights, times = _torch_path_update(weights, t_all[i:i + 1], labels[i:i + 1], t_max, loss,
                                            norm, backprop, lr, decay)
        ours = temporal.s4nn_train_image_(
            weights_t, t_all[i].numpy(), int(labels[i]), thresholds=[4.0, 6.0], t_max=t_max,
            lr=lr, weight_decay=decay, norm=norm, loss=loss, backprop_weights=backprop)
        for mine, theirs in zip(ours, times):
            assert np.array_equal(mine, theirs[0].numpy())
        fired += int((times[-1] < t_max).sum())
        for mine, theirs in zip(weights_t, weights):
            assert np.allclose(mine.T, theirs.numpy(), rtol=0, atol=1e-12)
    assert fired > 0  # the outputs fired, so the errors were not all of silent networks
    if lr[0] == 0 and decay[0] == 0:
        assert np.array_equal(weights_t[0].T, weights[0].numpy())


def test_train_image_kernel_is_bit_identical_to_s4nn_py_restatement(mnist_train_small):
    # Same spike times -> same floating-point operations as S4NN.py: the weights agree bit for bit.
    images, labels = mnist_train_small
    t_in = ttfs_encode(images[:30].flatten(1)).numpy()
    start = s4nn_init_weights([784, 40, 10], generator=torch.Generator().manual_seed(1),
                              dtype=torch.float64)
    reference = [w.numpy().copy() for w in start]
    weights_t = [np.array(w.numpy().T, order="C") for w in start]
    settings = dict(thresholds=[S4NN_THRESHOLD] * 2, t_max=S4NN_T_MAX, lr=[0.2, 0.2],
                    weight_decay=[1e-6, 1e-6])
    for i in range(30):
        reference, ref_times = s4nn_per_image_update(t_in[i], int(labels[i]), reference)
        ours = temporal.s4nn_train_image_(weights_t, t_in[i], int(labels[i]), **settings)
        for mine, theirs in zip(ours, ref_times):
            assert np.array_equal(mine, theirs)
    for mine, theirs in zip(weights_t, reference):
        assert np.array_equal(mine.T, theirs)
    assert not np.array_equal(weights_t[0].T, start[0].numpy())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_blockwise_weight_decay_rounds_as_the_whole_array_expression(dtype):
    # 781 rows of 400: several blocks and a short last one; S4NN.py's W -= lr*lamda*W, bit for bit
    w = (np.random.default_rng(3).standard_normal((781, 400)) * 5).astype(dtype)
    expected = w - dtype(0.2 * 1e-6) * w if dtype is np.float32 else w - (0.2 * 1e-6) * w
    temporal._decay_in_place(w, 0.2 * 1e-6)
    assert w.shape[0] > 2 * (temporal._DECAY_CHUNK_BYTES // (400 * w.itemsize))
    assert np.array_equal(w, expected) and not np.array_equal(w, expected / (1 - 0.2 * 1e-6))


def test_train_image_kernel_float32_matches_torch_path_times():
    gen = torch.Generator().manual_seed(11)
    weights = [torch.rand(30, 50, generator=gen) * 1.5 - 0.3, torch.rand(4, 30, generator=gen) * 2]
    weights_t = [np.array(w.numpy().T, order="C") for w in weights]
    t_all = torch.randint(0, 20, (20, 50), generator=gen)
    for i in range(20):
        weights, times = _torch_path_update(weights, t_all[i:i + 1], i % 4, 16, "s4nn", "l2",
                                            "updated", [0.2, 0.2], [1e-6, 1e-6])
        ours = temporal.s4nn_train_image_(weights_t, t_all[i].numpy(), i % 4,
                                          thresholds=[4.0, 6.0], t_max=16, lr=[0.2, 0.2],
                                          weight_decay=[1e-6, 1e-6])
        assert all(np.array_equal(m, t[0].numpy()) for m, t in zip(ours, times))
    assert all(w.dtype == np.float32 for w in weights_t)
    for mine, theirs in zip(weights_t, weights):
        assert np.allclose(mine.T, theirs.numpy(), rtol=1e-5, atol=1e-5)
