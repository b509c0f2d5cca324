"""Paper 001's (VDIB) mechanisms in the core: the raised-cosine basis by hand, the traces it
filters, the Bernoulli KL regulariser against a closed form, and the score-function estimator
against exact enumeration of a tiny stochastic-threshold model."""

import itertools
import math

import pytest
import torch
from torch.nn import functional as F
from torch.distributions import Bernoulli, kl_divergence

from snnlib.core.glm import (GLMParams, GLMStep, bernoulli_kl, filter_history, glm_init_state, glm_log_prob_grads,
                             glm_readout_sequence, glm_readout_step, log_ratio_to_prior, raised_cosine_basis,
                             score_function_surrogate, snnsgd_update)

F64 = torch.float64


def test_raised_cosine_basis_by_hand():
    """eq-001-raised-cosine. L = 10, three functions: b = 1, log-time log(t + 1), centres 0, log(10)/2, log(10) with spacing
    log(10)/2; at mu = 1/2 the phase is (log(t + 1) - c_k) * pi / log(10)."""
    phi = raised_cosine_basis(10, 3, mu=0.5, dtype=F64)
    assert phi.shape == (3, 10)
    assert phi[0, 0].item() == pytest.approx(1.0)  # phase 0
    assert phi[1, 0].item() == pytest.approx(0.5)  # phase -pi/2
    assert phi[2, 9].item() == pytest.approx(1.0)  # log(10) - log(10)
    assert phi[0, 9].item() == pytest.approx(0.0, abs=1e-15)  # phase pi
    t = 3
    expected = 0.5 * (1 + math.cos((math.log(t + 1) - math.log(10) / 2) * math.pi / math.log(10)))
    assert phi[1, t].item() == pytest.approx(expected)
    assert torch.all((phi >= 0) & (phi <= 1))


def test_filter_history_places_each_spike_at_the_following_lags():
    basis = torch.tensor([[1.0, 0.5, 0.25], [0.0, 1.0, 2.0]], dtype=F64)
    signal = torch.zeros(8, 2, dtype=F64)
    signal[2, 0] = 1.0  # channel 0: one spike at step 2
    signal[0, 1] = signal[1, 1] = 1.0  # channel 1: spikes at steps 0 and 1
    now = filter_history(signal, basis)  # delay 0: the spike counts from its own step
    assert now.shape == (8, 2, 2)
    assert now[:, 0, 0].tolist() == [0, 0, 1.0, 0.5, 0.25, 0, 0, 0]
    assert now[:, 0, 1].tolist() == [0, 0, 0.0, 1.0, 2.0, 0, 0, 0]
    assert now[:, 1, 0].tolist() == [1.0, 1.5, 0.75, 0.25, 0, 0, 0, 0]
    later = filter_history(signal, basis, delay=1)  # only earlier samples
    assert later[:, 0, 0].tolist() == [0, 0, 0, 1.0, 0.5, 0.25, 0, 0]
    assert later[:, 1, 0].tolist() == [0, 1.0, 1.5, 0.75, 0.25, 0, 0, 0]


def test_bernoulli_kl_matches_the_closed_form():
    """eq-001-kl against torch.distributions' closed form."""
    p = torch.tensor([0.01, 0.2, 0.5, 0.93], dtype=F64)
    for r in (0.2, 0.3):
        torch.testing.assert_close(bernoulli_kl(p, r), kl_divergence(Bernoulli(probs=p), Bernoulli(probs=torch.full_like(p, r))))
    assert bernoulli_kl(torch.tensor([0.3], dtype=F64), 0.3).item() == pytest.approx(0.0, abs=1e-15)
    with pytest.raises(ValueError):
        bernoulli_kl(p, 1.0)


def test_score_function_estimate_is_the_exact_gradient_in_expectation():
    """Two stochastic-threshold neurons, u = W x, y_i ~ Bern(sigmoid(u_i)), any loss l(y): the
    expectation over all four outcomes of the estimate, with or without a constant baseline, is
    the gradient of E[l] computed exactly."""
    torch.manual_seed(0)
    x = torch.tensor([0.7, -1.2, 0.4], dtype=F64)
    w = torch.randn(2, 3, dtype=F64, requires_grad=True)
    loss = {y: torch.tensor(v, dtype=F64) for y, v in zip(itertools.product((0.0, 1.0), repeat=2), (0.3, 2.0, -1.0, 0.8))}
    p1 = torch.sigmoid(w @ x)
    exact = sum(torch.prod(torch.where(torch.tensor(y, dtype=F64) > 0, p1, 1 - p1)) * l for y, l in loss.items())
    (want,) = torch.autograd.grad(exact, w)
    for baseline in (0.0, torch.tensor(0.9, dtype=F64)):
        estimate = torch.zeros_like(w)
        for y, l in loss.items():
            u = w @ x
            y_t = torch.tensor(y, dtype=F64)
            log_prob = y_t * torch.nn.functional.logsigmoid(u) + (1 - y_t) * torch.nn.functional.logsigmoid(-u)
            prob = torch.exp(log_prob.sum()).detach()
            (g,) = torch.autograd.grad(score_function_surrogate(log_prob, l, baseline), w)
            estimate += prob * g
        torch.testing.assert_close(estimate, want, rtol=1e-12, atol=1e-12)


def test_log_ratio_to_prior_is_the_kl_in_expectation():
    """The VDIB code's encoder loss: E_y[log p(y|u) - log q(y)] = KL(Bern(sigmoid(u)) || Bern(r))."""
    u = torch.tensor([-2.0, 0.0, 1.3], dtype=F64)
    p = torch.sigmoid(u)
    expected = p * log_ratio_to_prior(torch.ones(3, dtype=F64), u, 0.3) + (1 - p) * log_ratio_to_prior(
        torch.zeros(3, dtype=F64), u, 0.3)
    torch.testing.assert_close(expected, bernoulli_kl(p, 0.3))


def test_glm_readout_membrane_by_hand_with_feedback():
    """One input spiking at step 0; a readout with ff basis [1, 0.5], fb basis [2], ff weight 1,
    fb weight -1: the input reaches u in its own step (lag 0: 1, lag 1: 0.5), the own spikes one
    step later.  Bias 0.5: u_0 = 1.5, u_1 = 1.0 - 2 y_0, u_2 = 0.5 - 2 y_1.  With bias 30 every
    step spikes: u = 31, 30.5 - 2, 30 - 2."""
    inputs = torch.zeros(3, 1, 1, dtype=F64)
    inputs[0] = 1.0
    ff_basis, fb_basis = torch.tensor([[1.0, 0.5]], dtype=F64), torch.tensor([[2.0]], dtype=F64)
    w, v = torch.ones(1, 1, 1, dtype=F64), -torch.ones(1, 1, dtype=F64)
    out = glm_readout_sequence(inputs, w, v, torch.tensor([0.5], dtype=F64), ff_basis, fb_basis,
                               generator=torch.Generator().manual_seed(0))
    y = out.spikes[:, 0, 0].tolist()
    assert out.u[:, 0, 0].tolist() == [1.5, 1.0 - 2 * y[0], 0.5 - 2 * y[1]]
    always = glm_readout_sequence(inputs, w, v, torch.tensor([30.0], dtype=F64), ff_basis, fb_basis)
    assert always.spikes.flatten().tolist() == [1.0, 1.0, 1.0]
    assert always.u.flatten().tolist() == [31.0, 30.5 - 2.0, 30.0 - 2.0]
    torch.testing.assert_close(out.log_prob, torch.where(out.spikes > 0, torch.nn.functional.logsigmoid(out.u),
                                                         torch.nn.functional.logsigmoid(-out.u)))


def _random_glm(streams, n_in, n_out, k_ff, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return GLMParams(0.5 * torch.randn(streams, n_out, n_in, k_ff, generator=gen, dtype=F64),
                     -torch.rand(streams, n_out, 1, generator=gen, dtype=F64),
                     0.5 * torch.randn(streams, n_out, generator=gen, dtype=F64))


def test_glm_readout_step_follows_the_sequence_version():
    """eq-001-srm. Stream by stream, the online step gives the membrane of glm_readout_sequence when it is made
    to draw the same spikes (uniform 0 where the sequence spiked, 1 where it did not)."""
    steps, streams, n_in, n_out = 12, 3, 4, 2
    ff_basis, fb_basis = raised_cosine_basis(5, 3, dtype=F64), raised_cosine_basis(4, 1, dtype=F64)
    params = _random_glm(streams, n_in, n_out, 3)
    inputs = (torch.rand(steps, streams, n_in, generator=torch.Generator().manual_seed(1)) < 0.4).to(F64)
    state = glm_init_state(streams, n_in, n_out, 5, 4, dtype=F64)
    for m in range(streams):
        ref = glm_readout_sequence(inputs[:, m:m + 1], params.ff[m], params.fb[m], params.bias[m], ff_basis, fb_basis,
                                   generator=torch.Generator().manual_seed(m))
        assert 0 < ref.spikes.sum() < ref.spikes.numel()
        st = glm_init_state(1, n_in, n_out, 5, 4, dtype=F64)
        one = GLMParams(*(p[m:m + 1] for p in params))
        for t in range(steps):
            out, st = glm_readout_step(inputs[t, m:m + 1], st, one, ff_basis, fb_basis, 1 - ref.spikes[t])
            torch.testing.assert_close(out.u, ref.u[t])
            assert torch.equal(out.spikes, ref.spikes[t])
    assert state.inputs.shape == (streams, 5, n_in)


def test_glm_log_prob_grads_match_autograd():
    """eq-001-score-function's eligibility, The closed-form gradient of sum_i c_i log p(y_i | u_i), every stream at once, against autograd
    through the membrane; the sampled spikes held fixed."""
    streams, n_in, n_out = 3, 4, 5
    ff_basis, fb_basis = raised_cosine_basis(6, 2, dtype=F64), raised_cosine_basis(6, 1, dtype=F64)
    params = GLMParams(*(p.requires_grad_() for p in _random_glm(streams, n_in, n_out, 2, seed=3)))
    gen = torch.Generator().manual_seed(4)
    state = glm_init_state(streams, n_in, n_out, 6, 6, dtype=F64)
    for _ in range(4):  # some history, so that every trace is non-zero
        x = (torch.rand(streams, n_in, generator=gen) < 0.5).to(F64)
        out, state = glm_readout_step(x, state, params, ff_basis, fb_basis, torch.rand(streams, n_out, generator=gen, dtype=F64))
    weight = torch.rand(streams, 1, generator=gen, dtype=F64)
    assert 0 < out.spikes.sum() < out.spikes.numel() and out.fb_traces.abs().sum() > 0
    log_p = out.spikes * F.logsigmoid(out.u) + (1 - out.spikes) * F.logsigmoid(-out.u)
    expected = torch.autograd.grad((weight * log_p).sum(), params)
    got = glm_log_prob_grads(GLMStep(*(t.detach() for t in out)), weight)
    for e, g in zip(expected, got):
        torch.testing.assert_close(g, e)


def test_snnsgd_update_by_hand():
    """eq-001-score-function as kclip/snn's SNNSGD applies it (2da2eaa), two steps by hand with
    d = 0.01: g = 2, l = 3 gives averages 3, N = 12, D = 4 and a direction 2 (3 - 12/4) = 0 (up to
    the 1e-7); then g = 1, l = 1: l_avg = 0.03 + 0.99 = 1.02, N = 0.12 + 0.99 * 1.02 = 1.1298,
    D = 0.04 + 0.99 = 1.03, direction 1.02 - 1.1298 / 1.03.  Without baseline: g l, no state."""
    g1, g2 = torch.tensor([2.0], dtype=F64), torch.tensor([1.0], dtype=F64)
    d1, st = snnsgd_update(g1, torch.tensor(3.0, dtype=F64), None)
    assert d1.item() == pytest.approx(0.0, abs=1e-6)
    assert (st.signal.item(), st.num.item(), st.den.item()) == pytest.approx((3.0, 12.0, 4.0))
    d2, st = snnsgd_update(g2, torch.tensor(1.0, dtype=F64), st)
    assert d2.item() == pytest.approx(1.02 - 1.1298 / 1.03, abs=1e-6)
    plain, none = snnsgd_update(g1, torch.tensor(3.0, dtype=F64), None, baseline=False)
    assert plain.item() == 6.0 and none is None
