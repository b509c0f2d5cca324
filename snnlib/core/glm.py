r"""Generalised-linear (SRM) spiking neurons with a stochastic threshold, and what training them
by the variational information bottleneck needs (VDIB, Skatchkovsky, Simeone & Jang 2021; the
authors' code kclip/VDIB and kclip/snn).

* :func:`raised_cosine_basis` -- Pillow et al.'s (2008) raised-cosine temporal filters, as
  ``kclip/snn``'s ``raised_cosine_pillow_08`` builds them.
* :func:`filter_history` -- each of a signal's channels filtered by every basis function over
  its last ``L`` samples (the synaptic and feedback traces of an SRM neuron).
* :func:`bernoulli_kl` -- :math:`\mathrm{KL}(\mathrm{Bern}(p)\,\|\,\mathrm{Bern}(r))`, the
  per-spike rate regulariser of the VDIB loss against a rate-:math:`r` prior.
* :func:`score_function_surrogate` -- a scalar whose gradient is the score-function (REINFORCE)
  estimate :math:`(\ell - b)\,\nabla \log p(y)` of :math:`\nabla\,\mathbb E[\ell]`, for a learning
  signal :math:`\ell` and a baseline :math:`b` that carry no gradient.

The stochastic-threshold spike itself is
:func:`snnlib.core.neurons.stochastic_threshold_spike`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.nn import functional as F

__all__ = ["raised_cosine_basis", "filter_history", "bernoulli_kl", "score_function_surrogate"]


def raised_cosine_basis(length: int, n_basis: int, mu: float = 0.5, dtype: torch.dtype = torch.float32) -> Tensor:
    r"""``[n_basis, length]`` raised cosines on a logarithmic time axis (Pillow et al. 2008):

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


def filter_history(signal: Tensor, basis: Tensor) -> Tensor:
    r"""Traces ``[T, ..., K]`` of ``signal[T, ...]`` under ``basis[K, L]``: at step :math:`t`,

    .. math::  a_k(t) = \sum_{d=0}^{L-1} \phi_k(d)\, s(t - 1 - d)

    (only past samples, zero before the start), so a spike at step :math:`t'` contributes
    :math:`\phi_k(t - 1 - t')` to the later traces."""
    steps, length = signal.shape[0], basis.shape[1]
    flat = signal.reshape(steps, -1).T[:, None, :]  # [channels, 1, T]
    padded = F.pad(flat, (length, 0))[..., :-1]  # s(t - 1 - d) for d < L, zeros before the start
    traces = F.conv1d(padded, basis.flip(-1)[:, None, :].to(signal.dtype))  # [channels, K, T]
    return traces.permute(2, 0, 1).reshape(steps, *signal.shape[1:], basis.shape[0])


def bernoulli_kl(p: Tensor, r: float, eps: float = 1e-7) -> Tensor:
    r""":math:`\mathrm{KL}(\mathrm{Bern}(p)\,\|\,\mathrm{Bern}(r)) = p\log\frac{p}{r} + (1-p)\log\frac{1-p}{1-r}`,
    element-wise, with :math:`p` clamped to :math:`[\epsilon, 1 - \epsilon]`."""
    if not 0 < r < 1:
        raise ValueError(f"the prior rate must be in (0, 1), got {r}")
    p = p.clamp(eps, 1 - eps)
    return p * torch.log(p / r) + (1 - p) * torch.log((1 - p) / (1 - r))


def score_function_surrogate(log_prob: Tensor, learning_signal: Tensor, baseline: Tensor | float = 0.0) -> Tensor:
    r"""A scalar whose gradient is the score-function estimate of :math:`\nabla\,\mathbb E_{p}[\ell]`
    for one sample :math:`y \sim p`: :math:`(\ell - b)\,\nabla\log p(y)`.  ``log_prob`` is the
    sample's log-probability (differentiable, any shape: summed), ``learning_signal``
    :math:`\ell` and ``baseline`` :math:`b` are detached.  A baseline that does not depend on the
    sample leaves the estimate unbiased (:math:`\mathbb E[\nabla \log p] = 0`)."""
    signal = learning_signal.detach() - (baseline.detach() if isinstance(baseline, Tensor) else baseline)
    return (signal * log_prob).sum()
