"""Tests of snnlib.core.stdp: nearest-spike traces, BindsNET PostPre, normalisation (hand-worked values)."""

import math

import pytest
import torch

from snnlib.core.stdp import (
    clamp_weights,
    normalize_incoming,
    nu_from_paper_amplitudes,
    paper_amplitudes_from_nu,
    post_pre_delta_w,
    post_pre_depress_,
    post_pre_potentiate_,
    post_pre_update_,
    post_pre_window,
    subtractive_weight_decay,
    trace_decay,
    trace_sequence,
    trace_step,
)


def f32(x: float) -> float:
    return float(torch.tensor(x, dtype=torch.float32))


def test_trace_decay_is_bindsnets_float32_value():
    # BindsNET: torch.exp(-dt / tc) with tc a float32 tensor.
    assert trace_decay(20.0) == float(torch.exp(-1.0 / torch.tensor(20.0)))
    assert trace_decay(20.0) == f32(math.exp(-1 / 20))
    assert trace_decay(10.0, dt=0.5) == float(torch.exp(-0.5 / torch.tensor(10.0)))
    with pytest.raises(ValueError):
        trace_decay(0.0)


def test_trace_step_decays_then_sets_to_one():
    d = trace_decay(20.0)
    spikes = [1, 0, 0, 1, 1, 0]
    trace = torch.zeros(1)
    got = []
    for s in spikes:
        trace = trace_step(trace, torch.tensor([float(s)]), 20.0)
        got.append(float(trace))
    # nearest spike: a spike resets the trace to 1 (it does not add), float32 products
    d2 = f32(d * d)
    assert got == [1.0, d, d2, 1.0, 1.0, d]


def test_trace_sequence_equals_stepwise_bitwise():
    g = torch.Generator().manual_seed(0)
    spikes = (torch.rand(80, 3, 7, generator=g) < 0.1).to(torch.uint8)
    seq = trace_sequence(spikes, 13.7)
    trace = torch.zeros(3, 7)
    for t in range(80):
        trace = trace_step(trace, spikes[t], 13.7)
        assert torch.equal(seq[t], trace)
    # never-spiking elements stay at 0
    assert float(trace_sequence(torch.zeros(5, 2), 20.0).abs().sum()) == 0.0


def run_pair(pre_times, post_times, nu, tau_pre, tau_post, steps=12):
    """Total PostPre dw of one synapse, step by step with BindsNET's order."""
    x_pre = torch.zeros(1)
    x_post = torch.zeros(1)
    total = torch.zeros(1, 1)
    for t in range(steps):
        s_pre = torch.tensor([1.0 if t in pre_times else 0.0])
        s_post = torch.tensor([1.0 if t in post_times else 0.0])
        x_pre = trace_step(x_pre, s_pre, tau_pre)
        x_post = trace_step(x_post, s_post, tau_post)
        total += post_pre_delta_w(s_pre, s_post, x_pre, x_post, nu)
    return float(total)


def test_post_pre_hand_worked_pairs():
    # pins eq-002-stdp by hand: potentiation A+ e^{-dt/tau+} after a pre spike, depression before
    nu = (0.1, 0.2)
    d_pre, d_post = trace_decay(10.0), trace_decay(20.0)
    # pre at 2, post at 5: potentiation by the pre trace after 3 steps (depression at 2 sees x_post = 0)
    assert run_pair({2}, {5}, nu, 10.0, 20.0) == pytest.approx(0.2 * d_pre**3, rel=1e-6)
    # post at 2, pre at 5: depression by the post trace after 3 steps
    assert run_pair({5}, {2}, nu, 10.0, 20.0) == pytest.approx(-0.1 * d_post**3, rel=1e-6)
    # simultaneous: both terms with traces = 1
    assert run_pair({4}, {4}, nu, 10.0, 20.0) == pytest.approx(0.2 - 0.1, rel=1e-6)
    # nearest spike: two pre spikes before the post spike count only the last one
    assert run_pair({1, 3}, {5}, nu, 10.0, 20.0) == pytest.approx(0.2 * d_pre**2, rel=1e-6)
    # anti-STDP = flipped signs of nu
    assert run_pair({2}, {5}, (-0.1, -0.2), 10.0, 20.0) == pytest.approx(-0.2 * d_pre**3, rel=1e-6)


def test_post_pre_window_matches_pair_simulation():
    # pins eq-002-stdp (chapter 002, paper 002 Eq. 4): the pair window against a step-by-step run
    nu = (0.05, -0.3)
    for delta in range(-5, 6):
        pre, post = (5, 5 + delta)
        expected = run_pair({pre}, {post}, nu, 7.0, 15.0, steps=15)
        assert float(post_pre_window(delta, nu, 7.0, 15.0)) == pytest.approx(expected, rel=1e-5)


def test_post_pre_delta_w_is_batched_outer_product():
    g = torch.Generator().manual_seed(1)
    pre_s = (torch.rand(2, 3, generator=g) < 0.5).float()
    post_s = (torch.rand(2, 4, generator=g) < 0.5).float()
    pre_x, post_x = torch.rand(2, 3, generator=g), torch.rand(2, 4, generator=g)
    dw = post_pre_delta_w(pre_s, post_s, pre_x, post_x, (0.3, 0.7))
    assert dw.shape == (2, 3, 4)
    for b in range(2):
        for i in range(3):
            for j in range(4):
                expected = -0.3 * pre_s[b, i] * post_x[b, j] + 0.7 * pre_x[b, i] * post_s[b, j]
                assert float(dw[b, i, j]) == pytest.approx(float(expected), rel=1e-6, abs=1e-7)


def test_post_pre_update_reproduces_bindsnet_order_bitwise():
    g = torch.Generator().manual_seed(2)
    w = torch.rand(5, 6, 8, generator=g)
    pre_s = (torch.rand(5, 1, 6, generator=g) < 0.5).float()
    post_s = (torch.rand(5, 1, 8, generator=g) < 0.5).float()
    pre_x, post_x = torch.rand(5, 1, 6, generator=g), torch.rand(5, 1, 8, generator=g)
    nu = (1e-4, 1e-2)
    # BindsNET PostPre._connection_update: w -= nu0 * (s_pre x_post); w += nu1 * (x_pre s_post)
    expected = w.clone()
    expected -= nu[0] * torch.bmm(pre_s.transpose(1, 2), post_x)
    expected += nu[1] * torch.bmm(pre_x.transpose(1, 2), post_s)
    got = post_pre_update_(w.clone(), pre_s, post_s, pre_x, post_x, nu)
    assert torch.equal(got, expected)
    # and agrees with w + delta_w up to rounding
    delta = post_pre_delta_w(pre_s[:, 0], post_s[:, 0], pre_x[:, 0], post_x[:, 0], nu)
    assert torch.allclose(got, w + delta, atol=1e-7)
    # the halves
    half = post_pre_depress_(w.clone(), pre_s, post_x, nu[0])
    assert torch.allclose(half, w - nu[0] * pre_s.transpose(1, 2) * post_x, atol=1e-7)
    half = post_pre_potentiate_(w.clone(), pre_x, post_s, nu[1])
    assert torch.allclose(half, w + nu[1] * pre_x.transpose(1, 2) * post_s, atol=1e-7)


def test_post_pre_update_sums_over_shared_locations():
    # weight sharing: M locations feed the same [I, J] kernel; updates add up (Conv2d PostPre)
    g = torch.Generator().manual_seed(3)
    w = torch.rand(2, 4, 3, generator=g)
    pre_s = (torch.rand(2, 5, 4, generator=g) < 0.5).float()
    post_s = (torch.rand(2, 5, 3, generator=g) < 0.5).float()
    pre_x, post_x = torch.rand(2, 5, 4, generator=g), torch.rand(2, 5, 3, generator=g)
    got = post_pre_update_(w.clone(), pre_s, post_s, pre_x, post_x, (0.2, 0.5))
    expected = w + post_pre_delta_w(pre_s, post_s, pre_x, post_x, (0.2, 0.5)).sum(1)
    assert torch.allclose(got, expected, atol=1e-6)


def test_weight_decay_and_clamp():
    w = torch.tensor([[-0.5, 0.2], [1.5, 0.0]])
    assert torch.equal(subtractive_weight_decay(w, 0.0), w)
    assert torch.allclose(subtractive_weight_decay(w, 0.1), torch.tensor([[-0.6, 0.1], [1.4, -0.1]]))
    assert torch.equal(clamp_weights(w, 0.0, 1.0), torch.tensor([[0.0, 0.2], [1.0, 0.0]]))
    assert torch.equal(clamp_weights(w), w)  # infinite bounds: no clamping
    assert torch.equal(clamp_weights(w, wmax=0.0), torch.tensor([[-0.5, 0.0], [0.0, 0.0]]))


def test_normalize_incoming_hand_worked():
    w = torch.tensor([[1.0, 2.0], [3.0, 2.0]])  # [pre, post]
    got = normalize_incoming(w, 2.0, dim=0)
    assert torch.allclose(got, torch.tensor([[0.5, 1.0], [1.5, 1.0]]))
    assert torch.allclose(got.sum(0), torch.tensor([2.0, 2.0]))
    # Connection.normalize: sums of |w|, zero columns left alone
    w = torch.tensor([[-1.0, 0.0], [3.0, 0.0]])
    got = normalize_incoming(w, 2.0, dim=0, absolute=True)
    assert torch.allclose(got, torch.tensor([[-0.5, 0.0], [1.5, 0.0]]))
    # several dims, batched: [R, L, K, C] normalised over K
    w = torch.rand(2, 3, 5, 4)
    assert torch.allclose(normalize_incoming(w, 1.6, dim=-2).sum(-2), torch.full((2, 3, 4), 1.6))


def test_paper_amplitude_mapping():
    # paper 002 "strong" anti-STDP: A+ = -1.6, A- = 0.1  ->  code nu = [A_pos, A_neg] = [-0.1, -1.6]
    assert nu_from_paper_amplitudes(-1.6, 0.1) == (-0.1, -1.6)
    assert paper_amplitudes_from_nu((-0.0556, -1.626)) == (-1.626, 0.0556)
    # ordinary STDP (A+ > 0 > A-) gives BindsNET's positive nu
    assert nu_from_paper_amplitudes(1e-2, -1e-4) == (1e-4, 1e-2)
