"""Tests for snnlib.core.neurons: hand-computed trajectories and gradients vs autograd."""

import math

import pytest
import torch
from torch.nn import functional as F

from snnlib.core import surrogate as surrogates
from snnlib.core.neurons import (
    LIF,
    AdaptiveLIF,
    AdaptiveLIFParams,
    AdaptiveLIFState,
    DecolleLIFParams,
    LIFParams,
    LIFState,
    adaptive_lif_init_state,
    adaptive_lif_step,
    decolle_lif_init_state,
    decolle_lif_step,
    if_params,
    lif_init_state,
    lif_sequence,
    lif_step,
    scan,
    stochastic_threshold_spike,
)

F64 = torch.float64


def run_lif_steps(inputs, params, mem0=0.0):
    """Loop lif_step over a list of scalar inputs for one neuron; return (spikes, mems, counts)."""
    state = lif_init_state((1,), dtype=F64)
    state = state._replace(mem=torch.full((1,), mem0, dtype=F64))
    spikes, mems, counts = [], [], []
    for x in inputs:
        s, state = lif_step(torch.tensor([x], dtype=F64), state, params)
        spikes.append(s.item())
        mems.append(state.mem.item())
        counts.append(state.refractory_count.item())
    return spikes, mems, counts


# ----------------------------------------------------------------------------- LIF golden values


def test_lif_subtract_hand_trajectory():
    # pins eq-lif-subtract and eq-spike (toolkit chapter)
    params = LIFParams(beta=0.5, threshold=1.0, reset_mechanism="subtract")
    spikes, mems, _ = run_lif_steps([0.8, 0.8, 0.8, 0.0, 1.5], params)
    expected_mems = [
        0.8,  # 0.5*0   + 0.8          (R=H(0-1)=0)
        1.2,  # 0.5*0.8 + 0.8          -> spike (1.2 > 1)
        0.4,  # 0.5*1.2 + 0.8 - 1*1    (R=H(1.2-1)=1: reset from the previous membrane)
        0.2,  # 0.5*0.4 + 0
        1.6,  # 0.5*0.2 + 1.5          -> spike
    ]
    assert mems == pytest.approx(expected_mems, abs=1e-12)
    assert spikes == [0.0, 1.0, 0.0, 0.0, 1.0]


def test_lif_zero_reset_keeps_input_hand_trajectory():
    # pins eq-lif-zero (toolkit chapter)
    params = LIFParams(beta=0.5, threshold=1.0, reset_mechanism="zero")
    spikes, mems, _ = run_lif_steps([0.8, 0.8, 0.8, 0.0, 1.5], params)
    expected_mems = [
        0.8,  # 0.5*0 + 0.8
        1.2,  # 0.5*0.8 + 0.8 -> spike
        0.8,  # 0.5*(1-1)*1.2 + 0.8   (snnTorch >= 0.8: membrane zeroed, input kept)
        0.4,  # 0.5*0.8 + 0
        1.7,  # 0.5*0.4 + 1.5 -> spike
    ]
    assert mems == pytest.approx(expected_mems, abs=1e-12)
    assert spikes == [0.0, 1.0, 0.0, 0.0, 1.0]


def test_if_threshold_is_strict_and_beta_clipped():
    # IF (beta = 1): 0.5 + 0.5 = 1.0 == threshold -> no spike; + 0.25 = 1.25 -> spike
    spikes, mems, _ = run_lif_steps([0.5, 0.5, 0.25], if_params(threshold=1.0))
    assert mems == [0.5, 1.0, 1.25]
    assert spikes == [0.0, 0.0, 1.0]
    # beta = 1.5 is clipped to 1 as in snnTorch: same trajectory as IF
    _, mems_clipped, _ = run_lif_steps([0.5, 0.5, 0.25], LIFParams(beta=1.5))
    assert mems_clipped == mems


def test_lif_refractory_hand_trajectory():
    # IF, threshold 1, constant input 2, refractory r = 2 steps
    params = if_params(threshold=1.0, refractory=2)
    spikes, mems, counts = run_lif_steps([2.0] * 7, params)
    expected_mems = [
        2.0,  # 0 + 2                 -> spike, count = 2
        1.0,  # 2 + 0(ignored) - 1    refractory; reset for the spike at step 1
        1.0,  # 1 + 0(ignored)        refractory; at threshold anyway, but cannot spike
        3.0,  # 1 + 2                 -> spike
        2.0,  # 3 + 0 - 1             refractory, above threshold but silent
        2.0,  # 2 + 0                 refractory, silent; no reset (no spike at step 5)
        4.0,  # 2 + 2                 -> spike
    ]
    assert mems == expected_mems
    assert spikes == [1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0]
    assert counts == [2, 1, 0, 2, 1, 0, 2]


@pytest.mark.parametrize("refractory", [0, 1, 2, 3, 5])
@pytest.mark.parametrize("reset_mechanism", ["subtract", "zero"])
@pytest.mark.parametrize("beta", [1.0, 0.9])
def test_constant_strong_input_fires_every_r_plus_1_steps(refractory, reset_mechanism, beta):
    params = LIFParams(beta=beta, threshold=1.0, reset_mechanism=reset_mechanism, refractory=refractory)
    num_steps = 60
    currents = torch.full((num_steps, 1), 1.5, dtype=F64)
    spikes, _ = lif_sequence(currents, params)
    spike_times = torch.nonzero(spikes[:, 0]).flatten().tolist()
    assert spike_times == list(range(0, num_steps, refractory + 1))


def test_lif_validates_params():
    state = lif_init_state((2,))
    with pytest.raises(ValueError):
        lif_step(torch.zeros(2), state, LIFParams(reset_mechanism="soft"))
    with pytest.raises(ValueError):
        lif_step(torch.zeros(2), state, LIFParams(refractory=-1))


# ----------------------------------------------------------------------------- lif_sequence


def loop_lif(currents, params, state):
    spikes = []
    for current in currents:
        s, state = lif_step(current, state, params)
        spikes.append(s)
    return torch.stack(spikes), state


@pytest.mark.parametrize("detach_reset", [True, False], ids=["detached_reset", "reset_gradient"])
@pytest.mark.parametrize("reset_mechanism", ["subtract", "zero", "none"])
@pytest.mark.parametrize("beta", [0.0, 0.5, 0.95, 1.0])
@pytest.mark.parametrize(
    "surrogate", [surrogates.fast_sigmoid(25.0), surrogates.atan(2.0), surrogates.rectangular(1.0)],
    ids=["fast_sigmoid", "atan", "rectangular"]
)
def test_lif_sequence_matches_lif_step_loop(reset_mechanism, beta, surrogate, detach_reset):
    """The hand-written backward against autograd through the lif_step loop; with the gradient
    through the reset (STBP's backpropagation through time, eq-004-bptt) as well as without."""
    seed = 1000 * ["subtract", "zero", "none"].index(reset_mechanism) + int(100 * beta)
    generator = torch.Generator().manual_seed(seed)
    params = LIFParams(beta=beta, threshold=1.0, reset_mechanism=reset_mechanism, surrogate=surrogate,
                       detach_reset=detach_reset)
    currents = 0.8 * torch.randn(30, 4, 5, dtype=F64, generator=generator) + 0.3
    mem0 = torch.randn(4, 5, dtype=F64, generator=generator) + 0.5
    upstream_spikes = torch.randn(30, 4, 5, dtype=F64, generator=generator)
    upstream_mem = torch.randn(4, 5, dtype=F64, generator=generator)

    results = []
    for simulate in (loop_lif, lif_sequence):
        c = currents.clone().requires_grad_(True)
        m = mem0.clone().requires_grad_(True)
        spikes, final = simulate(c, params, LIFState(m, torch.zeros(4, 5, dtype=torch.long)))
        loss = (spikes * upstream_spikes).sum() + (final.mem * upstream_mem).sum()
        grads = torch.autograd.grad(loss, (c, m))
        results.append((spikes.detach(), final.mem.detach(), *grads))

    (s_ref, m_ref, gc_ref, gm_ref), (s_seq, m_seq, gc_seq, gm_seq) = results
    assert 0.05 < s_ref.mean() < 0.95  # the comparison exercises spikes and resets
    assert torch.equal(s_seq, s_ref)
    assert torch.equal(m_seq, m_ref)
    torch.testing.assert_close(gc_seq, gc_ref, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(gm_seq, gm_ref, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("reset_mechanism", ["subtract", "zero"])
def test_lif_sequence_per_neuron_beta_threshold_and_float32(reset_mechanism):
    generator = torch.Generator().manual_seed(3)
    beta = torch.tensor([0.3, 0.8, 1.0])
    threshold = torch.tensor([0.5, 1.0, 1.5])
    params = LIFParams(beta=beta, threshold=threshold, reset_mechanism=reset_mechanism)
    currents = torch.rand(40, 2, 3, generator=generator)
    results = []
    for simulate in (loop_lif, lif_sequence):
        c = currents.clone().requires_grad_(True)
        spikes, final = simulate(c, params, lif_init_state((2, 3)))
        (grad,) = torch.autograd.grad(spikes.sum() + final.mem.sum(), c)
        results.append((spikes, final.mem, grad))
    assert torch.equal(results[0][0], results[1][0])  # bitwise-identical float32 forward
    assert torch.equal(results[0][1], results[1][1])
    torch.testing.assert_close(results[1][2], results[0][2], rtol=1e-5, atol=1e-6)


def test_lif_sequence_subtract_gradient_by_hand():
    # One neuron, beta = 0.5, rectangular surrogate of width 2 (derivative 1/2 inside |x| < 1).
    # currents 0.8, 0.8 -> U1 = 0.8, U2 = 1.2 (spike). L = S1 + S2.
    # dL/dU2 = sg'(0.2) = 0.5 ; dL/dU1 = sg'(-0.2) + beta * dL/dU2 = 0.5 + 0.5*0.5 = 0.75
    # dL/dU0 = beta * dL/dU1 = 0.375
    params = LIFParams(beta=0.5, threshold=1.0, surrogate=surrogates.rectangular(2.0))
    currents = torch.tensor([[0.8], [0.8]], dtype=F64, requires_grad=True)
    mem0 = torch.zeros(1, dtype=F64, requires_grad=True)
    spikes, _ = lif_sequence(currents, params, LIFState(mem0, torch.zeros(1, dtype=torch.long)))
    grad_currents, grad_mem0 = torch.autograd.grad(spikes.sum(), (currents, mem0))
    assert spikes.flatten().tolist() == [0.0, 1.0]
    assert grad_currents.flatten().tolist() == [0.75, 0.5]
    assert grad_mem0.tolist() == [0.375]


@pytest.mark.parametrize("reset_mechanism", ["subtract", "zero"])
def test_lif_sequence_final_membrane_gradcheck(reset_mechanism):
    # The final membrane is piecewise linear in (currents, U0) with detached resets, so its true
    # derivative (finite differences) must equal the hand-written backward.
    generator = torch.Generator().manual_seed(7)
    params = LIFParams(beta=0.8, threshold=1.0, reset_mechanism=reset_mechanism)
    currents = (0.7 * torch.randn(12, 3, dtype=F64, generator=generator) + 0.4).requires_grad_(True)
    mem0 = torch.randn(3, dtype=F64, generator=generator).requires_grad_(True)
    zeros = torch.zeros(3, dtype=torch.long)

    def final_membrane(c, m):
        return lif_sequence(c, params, LIFState(m, zeros))[1].mem

    assert torch.autograd.gradcheck(final_membrane, (currents, mem0), eps=1e-6, atol=1e-7)


def test_lif_sequence_second_backward_gives_the_same_gradient():
    # the first backward reuses the membrane buffer; a retained graph must recompute it
    currents = torch.rand(6, 3, generator=torch.Generator().manual_seed(2), requires_grad=True)
    params = LIFParams(beta=0.9, threshold=0.5, reset_mechanism="zero")
    spikes, final = lif_sequence(currents, params)
    loss = spikes.sum() + final.mem.sum()
    (first,) = torch.autograd.grad(loss, currents, retain_graph=True)
    (second,) = torch.autograd.grad(loss, currents)
    assert first.abs().sum() > 0
    assert torch.equal(first, second)


def test_lif_sequence_with_refractory_falls_back_and_keeps_gradients():
    params = LIFParams(beta=0.9, refractory=2)
    currents = torch.full((9, 1), 1.5, dtype=F64, requires_grad=True)
    spikes, final = lif_sequence(currents, params)
    assert spikes.flatten().tolist() == [1, 0, 0, 1, 0, 0, 1, 0, 0]
    assert final.refractory_count.tolist() == [0]
    (grad,) = torch.autograd.grad(spikes.sum(), currents)
    assert grad[1:3].abs().sum() == 0  # input ignored while refractory -> no gradient
    assert grad[0].abs().sum() > 0


def test_lif_module_wraps_lif_sequence_and_returns_spikes_and_state():
    layer = LIF(beta=0.9, threshold=0.5)
    currents = torch.rand(10, 2, 3, generator=torch.Generator().manual_seed(0))
    expected, expected_state = lif_sequence(currents, layer.params)
    spikes, state = layer(currents)
    assert torch.equal(spikes, expected) and torch.equal(state.mem, expected_state.mem)
    # no hidden state: a second call gives the same result
    assert torch.equal(layer(currents)[0], expected)


def test_scan_runs_a_step_function_over_time():
    def step(x, total, scale, offset):  # a running sum, output = scale * sum + offset
        total = total + x
        return scale * total + offset, total

    outputs, final = scan(step, torch.tensor([[1.0], [2.0], [3.0]]), torch.zeros(1), 2.0, 1.0)
    assert outputs.flatten().tolist() == [3.0, 7.0, 13.0] and final.tolist() == [6.0]
    empty, same = scan(step, torch.zeros(0, 2), torch.ones(2), 2.0, 1.0)
    assert empty.shape == (0, 2) and same.tolist() == [1.0, 1.0]


# ----------------------------------------------------------------------------- adaptive LIF

DECAY = 0.951229424500714  # exp(-1/20)
THETA_DECAY = 0.9999990000005  # exp(-1/1e6)


def test_adaptive_lif_constants():
    assert DECAY == pytest.approx(math.exp(-1 / 20), abs=1e-15)
    assert THETA_DECAY == pytest.approx(math.exp(-1e-6), abs=1e-15)


def test_adaptive_lif_hand_trajectory():
    # pins eq-alif (toolkit chapter) and eq-002-alif (chapter 002, paper 002 Eqs. 1-3)
    params = AdaptiveLIFParams()  # rest -65, reset -65, thresh -52, tc 20, refrac 2, theta+ 0.05
    state = adaptive_lif_init_state((1,), (1,), params, dtype=F64)
    inputs = [10.0, 5.0, 100.0, 100.0, 13.03, 1.0]
    spikes, voltages, thetas, counts = [], [], [], []
    for x in inputs:
        s, state = adaptive_lif_step(torch.tensor([[x]], dtype=F64), state, params, learning=True)
        spikes.append(s.item())
        voltages.append(state.v.item())
        thetas.append(state.theta.item())
        counts.append(state.refrac_count.item())

    expected_v = [
        -55.0,  # DECAY*(-65+65) - 65 + 10 = -55 ; -55 < -52
        -65.0,  # DECAY*10 - 65 + 5 = 9.51229 - 60 = -50.4877 >= -52 -> spike, v = reset
        -65.0,  # refrac_count 2 -> input 100 ignored, count -> 1
        -65.0,  # refrac_count 1 -> input 100 ignored, count -> 0
        -51.97,  # -65 + 13.03 = -51.97: >= -52 but < -52 + theta (= -51.95) -> no spike
        -65.0,  # DECAY*13.03 - 65 + 1 = 12.39452 - 64 = -51.6055 >= -51.95 -> spike
    ]
    expected_theta = [
        0.0,
        0.05,  # 0*THETA_DECAY + 0.05
        0.05 * THETA_DECAY,
        0.05 * THETA_DECAY**2,
        0.05 * THETA_DECAY**3,
        0.05 * THETA_DECAY**4 + 0.05,
    ]
    assert spikes == [0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    assert voltages == pytest.approx(expected_v, abs=1e-12)
    assert thetas == pytest.approx(expected_theta, abs=1e-15)
    assert counts == [0.0, 2.0, 1.0, 0.0, 0.0, 2.0]


def test_adaptive_lif_step_values_before_reset():
    # Check the leak arithmetic on a non-spiking neuron: v=-60 -> DECAY*(5) - 65 + 2 = -58.243852877...
    params = AdaptiveLIFParams()
    state = AdaptiveLIFState(
        v=torch.tensor([[-60.0]], dtype=F64), theta=torch.zeros(1, dtype=F64),
        refrac_count=torch.zeros(1, 1, dtype=F64),
    )
    _, state = adaptive_lif_step(torch.tensor([[2.0]], dtype=F64), state, params)
    assert state.v.item() == pytest.approx(DECAY * 5.0 - 65.0 + 2.0, abs=1e-12)
    assert state.v.item() == pytest.approx(-58.24385287749643, abs=1e-12)


def test_adaptive_lif_threshold_is_inclusive():
    # BindsNET tests v >= thresh + theta: -65 + 13 = -52 exactly -> spike; -65 + 12.5 = -52.5 -> none
    params = AdaptiveLIFParams()
    state = adaptive_lif_init_state((1,), (2,), params, dtype=F64)
    spikes, _ = adaptive_lif_step(torch.tensor([[13.0, 12.5]], dtype=F64), state, params)
    assert spikes.tolist() == [[1.0, 0.0]]


def test_adaptive_lif_learning_false_freezes_theta():
    params = AdaptiveLIFParams()
    state = adaptive_lif_init_state((1,), (2,), params, theta=torch.tensor([0.3, 0.0]), dtype=torch.float32)
    spikes, new_state = adaptive_lif_step(torch.tensor([[20.0, 20.0]]), state, params, learning=False)
    assert spikes.tolist() == [[1.0, 1.0]]  # -45 >= -52 + 0.3
    assert torch.equal(new_state.theta, state.theta)  # no decay and no increment


def test_adaptive_lif_batch_theta_shared_vs_replicas():
    params = AdaptiveLIFParams(tc_theta_decay=float("inf"))  # no theta decay: exact sums
    x = torch.tensor([[20.0, 0.0], [20.0, 20.0], [0.0, 0.0]])  # batch 3, 2 neurons
    # shared theta [N] (BindsNET: theta += theta_plus * s.sum(0)): neuron 0 spiked twice, neuron 1 once
    shared = adaptive_lif_init_state((3,), (2,), params)
    spikes, state = adaptive_lif_step(x, shared, params)
    assert spikes.tolist() == [[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]
    assert state.theta.tolist() == pytest.approx([0.1, 0.05])  # 2*0.05, 1*0.05
    # replicas theta [R, N]: each row updated by its own spikes
    replicas = adaptive_lif_init_state((3,), (2,), params, theta=torch.zeros(3, 2))
    _, state = adaptive_lif_step(x, replicas, params)
    expected = torch.tensor([[0.05, 0.0], [0.05, 0.05], [0.0, 0.0]])
    torch.testing.assert_close(state.theta, expected)


def test_adaptive_lif_module_returns_state_and_keeps_none():
    layer = AdaptiveLIF((2,))
    inputs = torch.tensor([[[20.0, 0.0]], [[0.0, 0.0]], [[0.0, 0.0]], [[20.0, 5.0]]])  # [T=4, B=1, N=2]
    spikes, state = layer(inputs)
    # neuron 0: spike at t=0, refractory at t=1,2 (input 0 anyway), spike again at t=3
    assert spikes[:, 0, 0].tolist() == [1.0, 0.0, 0.0, 1.0]
    assert spikes[:, 0, 1].sum() == 0
    assert state.theta[0].item() == pytest.approx(0.1, abs=1e-6)
    # calling again without a state starts from theta = 0 (nothing hidden in the module)
    _, state_again = layer(inputs)
    assert state_again.theta[0].item() == pytest.approx(0.1, abs=1e-6)
    assert not any(b.numel() for b in layer.buffers())


# ----------------------------------------------------------------------------- stochastic readout


def test_stochastic_threshold_rate_matches_sigmoid():
    generator = torch.Generator().manual_seed(1234)
    u = torch.tensor([-2.0, 0.0, 1.5]).repeat(20000, 1)  # 20000 samples per potential
    spikes, _ = stochastic_threshold_spike(u, generator=generator)
    rate = spikes.mean(0)
    expected = torch.sigmoid(torch.tensor([-2.0, 0.0, 1.5]))  # 0.1192, 0.5, 0.8176
    # standard error <= sqrt(0.25/20000) = 0.0035; allow ~4.5 sigma
    assert (rate - expected).abs().max() < 0.016
    assert set(spikes.unique().tolist()) <= {0.0, 1.0}


def test_stochastic_threshold_log_prob_and_gradient():
    # pins eq-stochastic-threshold (toolkit chapter)
    generator = torch.Generator().manual_seed(0)
    u = torch.tensor([-3.0, -0.5, 0.0, 0.7, 4.0, 100.0, -100.0], dtype=F64, requires_grad=True)
    spikes, log_prob = stochastic_threshold_spike(u, generator=generator)
    p = torch.sigmoid(u.detach())
    expected = spikes * torch.log(p) + (1 - spikes) * torch.log1p(-p)
    finite = u.detach().abs() < 50
    torch.testing.assert_close(log_prob.detach()[finite], expected[finite])
    assert torch.isfinite(log_prob).all()
    (grad,) = torch.autograd.grad(log_prob.sum(), u)
    torch.testing.assert_close(grad, spikes - p)
    # a hand value: log p(s=0 | u=0) = log(1/2)
    s0, lp0 = stochastic_threshold_spike(torch.zeros(1, dtype=F64), torch.Generator().manual_seed(5))
    assert lp0.item() == pytest.approx(math.log(0.5))


def test_decolle_lif_hand_trajectory_and_inclusive_threshold():
    """VDIB's hidden neuron (paper-version gains): alpha 0.5, beta 0.5 (tau_m = tau_s = 2),
    alpha_rp 0.5; one input spiking at steps 0 and 1, weight 1, bias -1.5.
    t0: Q = 2, P = 0, R = 0, U = -1.5, no spike.  t1: Q = 0.5*2 + 2 = 3, P = 0 + 2*2 = 4, U = 2.5,
    spike.  t2: Q = 1.5, P = 2 + 2*3 = 8, R = -1, U = 5.5, spike.  t3: Q = 0.75, P = 4 + 3 = 7,
    R = -0.5 - 1 = -1.5, U = 4.0, spike."""
    params = DecolleLIFParams(alpha=0.5, beta=0.5, alpha_rp=0.5)
    state = decolle_lif_init_state(1, 1, 1, dtype=F64)
    w, b = torch.ones(1, 1, dtype=F64), torch.tensor([-1.5], dtype=F64)
    us, spikes = [], []
    for x in (1.0, 1.0, 0.0, 0.0):
        s, state = decolle_lif_step(torch.tensor([[x]], dtype=F64), state, w, b, params)
        us.append(float(F.linear(state.p, w, b) + state.r))
        spikes.append(float(s))
    assert us == [-1.5, 2.5, 5.5, 4.0]
    assert spikes == [0.0, 1.0, 1.0, 1.0]
    # U = 0 spikes (inclusive threshold) and the gradient is the surrogate's at U
    u = torch.tensor([0.0, -0.3, 0.7], dtype=F64, requires_grad=True)
    s = 1.0 - params.surrogate(-u)
    assert s.tolist() == [1.0, 0.0, 1.0]
    (g,) = torch.autograd.grad(s.sum(), u)
    assert g.tolist() == [1.0, 1.0, 0.0]
