r"""Generalised-linear (SRM) spiking neurons with a stochastic threshold, and what training them
by the variational information bottleneck needs (VDIB, Skatchkovsky, Simeone & Jang 2021; the
authors' code kclip/VDIB and kclip/snn).

* :func:`raised_cosine_basis` -- Pillow et al.'s (2008) raised-cosine temporal filters, as
  ``kclip/snn``'s ``raised_cosine_pillow_08`` builds them.
* :func:`filter_history` -- each of a signal's channels filtered by every basis function over
  its last ``L`` samples (the synaptic and feedback traces of an SRM neuron).
* :func:`bernoulli_kl` -- :math:`\mathrm{KL}(\mathrm{Bern}(p)\,\|\,\mathrm{Bern}(r))`, the
  per-spike rate regulariser of the VDIB loss against a rate-:math:`r` prior.
* :func:`log_ratio_to_prior` -- :math:`\log p(y \mid u) - \log q(y)` of sampled spikes, whose
  expectation is that KL (the VDIB code's encoder loss).
* :func:`glm_readout_sequence` -- a layer of SRM neurons with a stochastic threshold: raised-cosine
  feed-forward filters of the input, a feedback filter of the neuron's own spikes, a bias, and
  :math:`y_t \sim \mathrm{Bern}(\sigma(u_t))`.
* :func:`glm_readout_step` and :func:`glm_log_prob_grads` -- the same layer one step at a time,
  one set of weights per stream (independent models simulated side by side), with the gradient of
  :math:`\log p(y_t \mid u_t)` in closed form: what online score-function training needs.
* :func:`snnsgd_update` -- the authors' optimiser for such neurons (kclip/snn's ``SNNSGD``): the
  gradient of :math:`\log p` times a moving average of the learning signal, less an elementwise
  baseline.
* :func:`score_function_surrogate` -- a scalar whose gradient is the score-function (REINFORCE)
  estimate :math:`(\ell - b)\,\nabla \log p(y)` of :math:`\nabla\,\mathbb E[\ell]`, for a learning
  signal :math:`\ell` and a baseline :math:`b` that carry no gradient.

The stochastic-threshold spike itself is
:func:`snnlib.core.neurons.stochastic_threshold_spike`.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Optional

import torch
from torch import Tensor
from torch.nn import functional as F

__all__ = ["raised_cosine_basis", "filter_history", "bernoulli_kl", "log_ratio_to_prior", "score_function_surrogate",
           "GLMReadout", "glm_readout_sequence", "GLMParams", "GLMState", "GLMStep", "glm_init_state",
           "glm_readout_step", "glm_log_prob_grads", "SNNSGDState", "snnsgd_update"]


def raised_cosine_basis(length: int, n_basis: int, mu: float = 0.5, dtype: torch.dtype = torch.float32) -> Tensor:
    r"""``[n_basis, length]`` raised cosines on a logarithmic time axis (Pillow et al. 2008;
    eq-001-raised-cosine):

    .. math::
        \phi_k(t) = \tfrac12\Big(1 + \cos\big(\mathrm{clip}_{[-\pi, \pi]}\,
                    \tfrac{\mu\pi}{\Delta}(\log(t + b) - c_k)\big)\Big), \qquad t = 0, \dots, L - 1,

    with :math:`b = L/10`, centres :math:`c_k` evenly spaced from :math:`\log b` to
    :math:`\log(L - 1 + b)` and :math:`\Delta` their spacing (the whole range for one function);
    a smaller :math:`\mu` widens the bumps.  Index :math:`t` is the lag after the spike
    (:func:`filter_history`)."""
    if length < 2 or n_basis < 1:
        raise ValueError(f"need length >= 2 and n_basis >= 1, got {length}, {n_basis}")
    b = length / 10
    log_t = torch.log(torch.arange(length, dtype=torch.float64) + b)
    start, end = math.log(b), math.log(length - 1 + b)
    spacing = (end - start) / max(n_basis - 1, 1)
    centres = start + spacing * torch.arange(n_basis, dtype=torch.float64)
    phase = ((log_t[None, :] - centres[:, None]) * mu * math.pi / spacing).clamp(-math.pi, math.pi)
    return ((torch.cos(phase) + 1) / 2).to(dtype)


def filter_history(signal: Tensor, basis: Tensor, delay: int = 0) -> Tensor:
    r"""Traces ``[T, ..., K]`` of ``signal[T, ...]`` under ``basis[K, L]``: at step :math:`t`,

    .. math::  a_k(t) = \sum_{d=0}^{L-1} \phi_k(d)\, s(t - \text{delay} - d)

    (zero before the start).  kclip/snn's SRM layer filters its input with ``delay=0`` (the input
    of step :math:`t` reaches the membrane of step :math:`t`, weighted by :math:`\phi_k(0)`) and
    its own spikes with ``delay=1``."""
    if delay < 0:
        raise ValueError(f"delay must be >= 0, got {delay}")
    steps, length = signal.shape[0], basis.shape[1]
    flat = signal.reshape(steps, -1).T[:, None, :]  # [channels, 1, T]
    padded = F.pad(flat, (length - 1 + delay, 0))[..., :steps + length - 1]
    traces = F.conv1d(padded, basis.flip(-1)[:, None, :].to(signal.dtype))  # [channels, K, T]
    return traces.permute(2, 0, 1).reshape(steps, *signal.shape[1:], basis.shape[0])


def bernoulli_kl(p: Tensor, r: float, eps: float = 1e-7) -> Tensor:
    r""":math:`\mathrm{KL}(\mathrm{Bern}(p)\,\|\,\mathrm{Bern}(r)) = p\log\frac{p}{r} + (1-p)\log\frac{1-p}{1-r}`
    (eq-001-kl), element-wise, with :math:`p` clamped to :math:`[\epsilon, 1 - \epsilon]`."""
    if not 0 < r < 1:
        raise ValueError(f"the prior rate must be in (0, 1), got {r}")
    p = p.clamp(eps, 1 - eps)
    return p * torch.log(p / r) + (1 - p) * torch.log((1 - p) / (1 - r))


def log_ratio_to_prior(spikes: Tensor, u: Tensor, r: float) -> Tensor:
    r""":math:`\log\frac{p(y \mid u)}{q(y)} = y\log\frac{\sigma(u)}{r} + (1-y)\log\frac{1-\sigma(u)}{1-r}`
    element-wise, for spikes :math:`y` drawn with probability :math:`\sigma(u)` and the rate-:math:`r`
    prior :math:`q`: a one-sample estimate of :func:`bernoulli_kl` (its expectation over :math:`y`),
    differentiable in ``u``; computed with ``logsigmoid`` (finite for any ``u``)."""
    if not 0 < r < 1:
        raise ValueError(f"the prior rate must be in (0, 1), got {r}")
    return spikes * (F.logsigmoid(u) - math.log(r)) + (1 - spikes) * (F.logsigmoid(-u) - math.log(1 - r))


def score_function_surrogate(log_prob: Tensor, learning_signal: Tensor, baseline: Tensor | float = 0.0) -> Tensor:
    r"""A scalar whose gradient is the score-function estimate (eq-001-score-function) of :math:`\nabla\,\mathbb E_{p}[\ell]`
    for one sample :math:`y \sim p`: :math:`(\ell - b)\,\nabla\log p(y)`.  ``log_prob`` is the
    sample's log-probability (differentiable, any shape: summed), ``learning_signal``
    :math:`\ell` and ``baseline`` :math:`b` are detached.  A baseline that does not depend on the
    sample leaves the estimate unbiased (:math:`\mathbb E[\nabla \log p] = 0`)."""
    signal = learning_signal.detach() - (baseline.detach() if isinstance(baseline, Tensor) else baseline)
    return (signal * log_prob).sum()


class GLMReadout(NamedTuple):
    """Output of :func:`glm_readout_sequence`, each ``[T, batch, neurons]``: the sampled
    ``spikes``, their ``log_prob`` (differentiable in the weights) and the membrane ``u``."""

    spikes: Tensor
    log_prob: Tensor
    u: Tensor


def glm_readout_sequence(inputs: Tensor, ff_weight: Tensor, fb_weight: Tensor, bias: Tensor,
                         ff_basis: Tensor, fb_basis: Tensor,
                         generator: Optional[torch.Generator] = None) -> GLMReadout:
    r"""SRM neurons with a stochastic threshold over ``inputs[T, batch, n_in]``:

    .. math::
        u_{i,t} = \sum_{j,k} W_{ijk}\, a_{jk}(t) + \sum_k V_{ik}\, f_{ik}(t) + \gamma_i, \qquad
        y_{i,t} \sim \mathrm{Bern}\big(\sigma(u_{i,t})\big),

    with :math:`a_{jk}` the input's traces under ``ff_basis``, the present input included, and
    :math:`f_{ik}` the traces of the neuron's own earlier spikes under ``fb_basis``
    (:func:`filter_history` with delays 0 and 1, as in kclip/snn's SRM layer).
    ``ff_weight`` is ``[n_out, n_in, K_ff]``, ``fb_weight`` ``[n_out, K_fb]``, ``bias`` ``[n_out]``.
    The feed-forward part is computed for all steps at once; the feedback runs step by step,
    because it depends on the spikes just drawn."""
    steps, batch = inputs.shape[:2]
    ff = torch.einsum("tbjk,ijk->tbi", filter_history(inputs, ff_basis, delay=0), ff_weight) + bias
    length = fb_basis.shape[1]
    history = inputs.new_zeros(length, batch, ff_weight.shape[0])  # own spikes, most recent first
    spikes, log_probs, us = [], [], []
    for t in range(steps):
        fb_traces = torch.einsum("dbi,kd->bik", history, fb_basis)  # f_ik(t) = sum_d phi_k(d) y(t-1-d)
        u = ff[t] + (fb_traces * fb_weight).sum(-1)
        y = torch.bernoulli(torch.sigmoid(u.detach()), generator=generator)
        spikes.append(y)
        log_probs.append(y * F.logsigmoid(u) + (1 - y) * F.logsigmoid(-u))
        us.append(u)
        history = torch.cat([y[None], history[:-1]])
    return GLMReadout(torch.stack(spikes), torch.stack(log_probs), torch.stack(us))


class GLMParams(NamedTuple):
    """Weights of :func:`glm_readout_step`, one set per stream: ``ff`` ``[M, n_out, n_in, K_ff]``,
    ``fb`` ``[M, n_out, K_fb]``, ``bias`` ``[M, n_out]``."""

    ff: Tensor
    fb: Tensor
    bias: Tensor


class GLMState(NamedTuple):
    r"""The histories :func:`glm_readout_step` filters, most recent first: ``inputs``
    ``[M, L_ff, n_in]`` (the present input included once the step has run) and the neurons' own
    ``spikes`` ``[M, L_fb, n_out]``."""

    inputs: Tensor
    spikes: Tensor


class GLMStep(NamedTuple):
    r"""One step's ``spikes`` and ``prob`` :math:`\sigma(u)` ``[M, n_out]``, the membrane ``u``,
    and the traces it was built from: ``ff_traces`` ``[M, n_in, K_ff]`` and ``fb_traces``
    ``[M, n_out, K_fb]``."""

    spikes: Tensor
    prob: Tensor
    u: Tensor
    ff_traces: Tensor
    fb_traces: Tensor


def glm_init_state(streams: int, n_in: int, n_out: int, ff_length: int, fb_length: int,
                   dtype: torch.dtype = torch.float32) -> GLMState:
    """Empty histories (no input, no spike)."""
    return GLMState(torch.zeros(streams, ff_length, n_in, dtype=dtype), torch.zeros(streams, fb_length, n_out, dtype=dtype))


def glm_readout_step(x: Tensor, state: GLMState, params: GLMParams, ff_basis: Tensor, fb_basis: Tensor,
                     uniform: Tensor) -> tuple[GLMStep, GLMState]:
    r"""One step of :func:`glm_readout_sequence`'s neurons (eq-001-srm) for input ``x`` ``[M, n_in]``,
    each stream with its own weights: :math:`u_{i,t} = \sum_{j,k} W_{ijk} a_{jk}(t) + \sum_k V_{ik}
    f_{ik}(t) + \gamma_i` with :math:`a_{jk}(t) = \sum_{d \ge 0} \phi_k(d)\, x_{j,t-d}` and
    :math:`f_{ik}(t) = \sum_{d \ge 0} \psi_k(d)\, y_{i,t-1-d}`; the spike is
    :math:`y = \mathbb 1[\text{uniform} < \sigma(u)]`, so ``uniform`` ``[M, n_out]`` (i.i.d.
    :math:`U(0, 1)`) makes it a draw from :math:`\mathrm{Bern}(\sigma(u))` that the caller controls.
    No autograd is needed: :func:`glm_log_prob_grads` gives the gradient."""
    inputs = torch.cat([x[:, None], state.inputs[:, :-1]], dim=1)
    ff_traces = torch.matmul(inputs.transpose(1, 2), ff_basis.T)  # [M, n_in, K_ff]
    fb_traces = torch.matmul(state.spikes.transpose(1, 2), fb_basis.T)  # [M, n_out, K_fb]
    m, n_out = params.bias.shape
    u = torch.baddbmm(params.bias[:, :, None], params.ff.reshape(m, n_out, -1), ff_traces.reshape(m, -1, 1))[..., 0]
    u = u + (params.fb * fb_traces).sum(-1)
    prob = torch.sigmoid(u)
    spikes = (uniform < prob).to(x.dtype)
    new_state = GLMState(inputs, torch.cat([spikes[:, None], state.spikes[:, :-1]], dim=1))
    return GLMStep(spikes, prob, u, ff_traces, fb_traces), new_state


def glm_log_prob_grads(step: GLMStep, weight: Optional[Tensor] = None) -> GLMParams:
    r"""The gradient of :math:`\sum_i c_i \log p(y_{i,t} \mid u_{i,t})` (eq-001-score-function) for one step of
    :func:`glm_readout_step`, per stream: the error :math:`e_i = c_i\,(y_i - \sigma(u_i))` times
    the traces -- :math:`e_i a_{jk}` for ``ff``, :math:`e_i f_{ik}` for ``fb``, :math:`e_i` for
    ``bias`` (the local eligibility of the stochastic-threshold neuron).  ``weight`` :math:`c`
    broadcasts to ``[M, n_out]`` (default 1)."""
    error = step.spikes - step.prob
    if weight is not None:
        error = error * weight
    return GLMParams(error[:, :, None, None] * step.ff_traces[:, None], error[..., None] * step.fb_traces, error)


class SNNSGDState(NamedTuple):
    """The moving averages :func:`snnsgd_update` keeps for one parameter: the learning signal
    ``signal`` and the baseline's numerator ``num`` and denominator ``den``."""

    signal: Tensor
    num: Tensor
    den: Tensor


def snnsgd_update(grad: Tensor, signal: Tensor, state: Optional[SNNSGDState], baseline: bool = True,
                  dampening: float = 0.01) -> tuple[Tensor, Optional[SNNSGDState]]:
    r"""The step direction of kclip/snn's ``SNNSGD`` (at commit 2da2eaa, the version VDIB pins) for
    one parameter with gradient :math:`g = \nabla_\theta \log p` (eq-001-score-function) and
    learning signal :math:`\ell` (broadcast to ``grad``): the parameter moves by
    :math:`-\eta \cdot` the returned direction.

    With ``baseline`` (the image experiments),

    .. math::
        \bar\ell \leftarrow d\,\bar\ell + (1-d)\,\ell, \quad
        N \leftarrow d\,N + (1-d)\,g^2\bar\ell, \quad
        D \leftarrow d\,D + (1-d)\,g^2, \quad
        \text{direction} = g\,\big(\bar\ell - N / (10^{-7} + D)\big),

    each average starting at its first value (so the first direction is close to 0), with
    dampening :math:`d = 0.01`.  Without it (the predictive-coding script) ``SNNSGD`` never stores
    its average, so the direction is :math:`g\,\ell` and no state is kept (``None`` returned).
    (On its first step ``SNNSGD`` stores one signal tensor shared by all parameters and then
    updates it in place once per parameter per step; with :math:`d = 0.01` the difference is below
    :math:`10^{-4}` relative and is not reproduced.)"""
    if not baseline:
        return grad * signal, None
    signal = signal.expand_as(grad) if signal.dim() else signal.expand(grad.shape)
    if state is None:
        avg, num, den = signal, grad.pow(2) * signal, grad.pow(2)
    else:
        avg = dampening * state.signal + (1 - dampening) * signal
        num = dampening * state.num + (1 - dampening) * grad.pow(2) * avg
        den = dampening * state.den + (1 - dampening) * grad.pow(2)
    return grad * (avg - num / (1e-7 + den)), SNNSGDState(avg, num, den)
