r"""Threshold-dependent batch normalisation (tdBN; Zheng et al., AAAI 2021, eqs. 5-6 and 9-10).

For spiking layers whose pre-activations have a time axis, ``x[T, N, C, ...]``, tdBN normalises
each channel :math:`k` with statistics taken over time, batch and space together,

.. math::

    \hat x_k = \frac{\alpha\,V_{th}\,(x_k - \mathbb E[x_k])}{\sqrt{\operatorname{Var}[x_k] + \epsilon}},
    \qquad y_k = \lambda_k \hat x_k + \beta_k ,

so that the normalised input is on the scale of the firing threshold :math:`V_{th}`;
:math:`\alpha = 1` in general and :math:`1/\sqrt 2` on the two branches that meet at a residual
addition (:math:`1/\sqrt n` for :math:`n` branches).  :math:`\lambda = 1`, :math:`\beta = 0`
initially.  At inference the running statistics replace the batch ones, and the normalisation
folds into the preceding convolution (:func:`fuse_into_conv`).

* :func:`td_batch_norm` -- the pure function: ``(x, params, state, training) -> (y, state)`` with
  explicit running statistics (:class:`TdBNState`).
* :class:`TdBN` -- a thin ``nn.Module`` holding :math:`\lambda`, :math:`\beta` and the running
  statistics.

SpikingJelly's ``ThresholdDependentBatchNorm2d`` reaches the same function differently: an
ordinary batch norm over the merged ``T * N`` axis whose weight is *initialised* to
:math:`\alpha V_{th}` (our :math:`\lambda \alpha V_{th}` with :math:`\lambda = 1`); the two agree
at initialisation and differ only in how the learned scale is parameterised.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn
from torch.nn import functional as F

__all__ = ["TdBNParams", "TdBNState", "td_batch_norm", "tdbn_init_state", "fuse_into_conv", "TdBN"]


class TdBNParams(NamedTuple):
    """Parameters of :func:`td_batch_norm`: per-channel ``weight`` (:math:`\\lambda`) and ``bias``
    (:math:`\\beta`), ``alpha``, the neurons' ``threshold`` (:math:`V_{th}`), ``eps`` and the
    running statistics' ``momentum`` (PyTorch's convention: ``new = (1 - m) old + m batch``)."""

    weight: Tensor
    bias: Tensor
    alpha: float = 1.0
    threshold: float = 1.0
    eps: float = 1e-5
    momentum: float = 0.1


class TdBNState(NamedTuple):
    """Running per-channel mean and variance (the variance unbiased, as PyTorch keeps it)."""

    running_mean: Tensor
    running_var: Tensor


def tdbn_init_state(channels: int, *, dtype: torch.dtype = torch.float32) -> TdBNState:
    """Running mean 0 and variance 1 for ``channels`` channels."""
    return TdBNState(torch.zeros(channels, dtype=dtype), torch.ones(channels, dtype=dtype))


def td_batch_norm(x: Tensor, params: TdBNParams, state: TdBNState, training: bool = True
                  ) -> tuple[Tensor, TdBNState]:
    """tdBN of ``x[T, N, C, ...]`` (eq-004-tdbn): in training, with the mean and the biased
    variance of each channel over every axis but ``C``, and the running statistics updated; in
    evaluation, with the running statistics (returned unchanged)."""
    if x.ndim < 3:
        raise ValueError(f"x must be [T, N, C, ...], got shape {tuple(x.shape)}")
    # Statistics over (T, N, ...) per channel are those of an ordinary batch norm over the T * N
    # frames; its weight is lambda * alpha * V_th.  F.batch_norm updates the running statistics
    # in place (unbiased variance), so it works on copies: the state passed in is not modified.
    running_mean, running_var = state.running_mean.clone(), state.running_var.clone()
    y = F.batch_norm(x.reshape(x.shape[0] * x.shape[1], *x.shape[2:]), running_mean, running_var,
                     params.weight * (params.alpha * params.threshold), params.bias, training,
                     params.momentum, params.eps)
    return y.view(x.shape), (TdBNState(running_mean, running_var) if training else state)


def fuse_into_conv(weight: Tensor, bias: Tensor | None, params: TdBNParams, state: TdBNState
                   ) -> tuple[Tensor, Tensor]:
    r"""The convolution ``(weight, bias)`` followed by tdBN in evaluation mode, as one convolution
    (tdBN eqs. 9-10, eq-004-tdbn-fusion):

    .. math::  W' = \frac{\lambda\,\alpha V_{th}}{\sqrt{\sigma^2_{inf} + \epsilon}}\,W, \qquad
               B' = \frac{\lambda\,\alpha V_{th}\,(B - \mu_{inf})}{\sqrt{\sigma^2_{inf} + \epsilon}} + \beta,

    per output channel (``weight`` is ``[C_out, ...]``; ``bias`` ``None`` means 0)."""
    scale = params.weight * params.alpha * params.threshold / torch.sqrt(state.running_var + params.eps)
    b = torch.zeros_like(state.running_mean) if bias is None else bias
    return weight * scale.view(-1, *([1] * (weight.ndim - 1))), scale * (b - state.running_mean) + params.bias


class TdBN(nn.Module):
    """tdBN over ``x[T, N, C, ...]``: a thin wrapper of :func:`td_batch_norm` with learnable
    :math:`\\lambda` (init 1), :math:`\\beta` (init 0) and running statistics as buffers; the
    module's ``training`` flag picks batch or running statistics."""

    def __init__(self, channels: int, alpha: float = 1.0, threshold: float = 1.0, eps: float = 1e-5,
                 momentum: float = 0.1) -> None:
        super().__init__()
        self.alpha, self.threshold, self.eps, self.momentum = alpha, threshold, eps, momentum
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        state = tdbn_init_state(channels)
        self.register_buffer("running_mean", state.running_mean)
        self.register_buffer("running_var", state.running_var)

    def params(self) -> TdBNParams:
        return TdBNParams(self.weight, self.bias, self.alpha, self.threshold, self.eps, self.momentum)

    def state(self) -> TdBNState:
        return TdBNState(self.running_mean, self.running_var)

    def forward(self, x: Tensor) -> Tensor:
        y, state = td_batch_norm(x, self.params(), self.state(), self.training)
        if self.training:
            self.running_mean.copy_(state.running_mean)
            self.running_var.copy_(state.running_var)
        return y
