"""Metrics for spiking networks.

Spike and latency counters
    All inputs are time-major spike tensors ``[T, B, *neurons]`` (``T`` steps,
    ``B`` samples, any number of neuron dims, possibly none); every counter returns
    one value per sample, shape ``[B]``.  They implement the cost measures that the
    chapters compare, e.g. Spiking-GAN's "decision time" (first output spike) and
    "spikes to decision" (all spikes emitted up to that step).

(Image-quality metrics such as the inception score belong in a later section of
this module.)
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from snnlib.coding import first_spike_time

__all__ = [
    "count_spikes",
    "decision_time",
    "spikes_until",
    "firing_fraction",
]


# --------------------------------------------------------------------------------------
# Spike and latency counters
# --------------------------------------------------------------------------------------


def _check_time_batch(spikes: Tensor) -> None:
    if spikes.dim() < 2:
        raise ValueError(f"expected a time-major [T, B, ...] tensor, got shape {tuple(spikes.shape)}")


def _spikes_per_sample(spikes: Tensor) -> Tensor:
    """``sum over t and neurons`` of a ``[T, B, ...]`` tensor -> ``[B]``."""
    _check_time_batch(spikes)
    return spikes.sum(dim=(0, *range(2, spikes.dim())))


def _as_tensor_list(spike_tensors: Tensor | Sequence[Tensor]) -> list[Tensor]:
    tensors = [spike_tensors] if isinstance(spike_tensors, Tensor) else list(spike_tensors)
    if not tensors:
        raise ValueError("need at least one spike tensor")
    for tensor in tensors:
        _check_time_batch(tensor)
    batch_sizes = {tensor.shape[1] for tensor in tensors}
    if len(batch_sizes) != 1:
        raise ValueError(f"spike tensors disagree on the batch size: {sorted(batch_sizes)}")
    return tensors


def count_spikes(*spike_tensors: Tensor) -> Tensor:
    r"""Total spikes per sample, summed over time, neurons and all given layers.

    .. math:: N_b = \sum_{\ell} \sum_{t} \sum_{i} S^{\ell}[t, b, i]

    Args:
        *spike_tensors: one or more ``[T_l, B, *neurons_l]`` tensors (layers may
            differ in length and width, not in ``B``).

    Returns:
        ``[B]`` counts (``torch.long`` for bool/integer spikes, float otherwise).
    """
    tensors = _as_tensor_list(spike_tensors)
    total = _spikes_per_sample(tensors[0])
    for spikes in tensors[1:]:
        total = total + _spikes_per_sample(spikes)
    return total


def decision_time(output_spikes: Tensor) -> Tensor:
    r"""Per sample, the first step at which any output neuron fires.

    .. math:: t^{dec}_b = \min\{t : \exists i,\ S[t, b, i] \neq 0\},\quad T \text{ if no output fires.}

    This is the decision latency of first-to-fire read-outs (S4NN, Spiking-GAN).

    Args:
        output_spikes: ``[T, B, *outputs]``.

    Returns:
        ``[B]`` ``torch.long`` steps in ``[0, T]``.
    """
    _check_time_batch(output_spikes)
    any_output = (output_spikes != 0).flatten(start_dim=2).any(dim=2)  # [T, B]
    return first_spike_time(any_output)


def spikes_until(spike_tensors: Tensor | Sequence[Tensor], t_stop: Tensor | int) -> Tensor:
    r"""Spikes per sample emitted at steps ``0..t_stop`` (inclusive), over all layers.

    .. math:: N_b = \sum_{\ell}\sum_{t \le t^{stop}_b}\sum_i S^{\ell}[t, b, i]

    With ``t_stop = decision_time(output_spikes)`` this is Spiking-GAN's
    "spikes to decision" count.  A ``t_stop >= T - 1`` (e.g. ``T`` for a sample
    that never decided) counts every spike of that sample.

    Args:
        spike_tensors: one ``[T_l, B, ...]`` tensor or a sequence of them.
        t_stop: last step counted; an int for all samples or a ``[B]`` tensor.

    Returns:
        ``[B]`` counts (``torch.long`` for bool/integer spikes, float otherwise).
    """
    tensors = _as_tensor_list(spike_tensors)
    batch_size = tensors[0].shape[1]
    t_stop = torch.as_tensor(t_stop, device=tensors[0].device)
    if t_stop.dim() > 1 or (t_stop.dim() == 1 and t_stop.shape[0] != batch_size):
        raise ValueError(f"t_stop must be an int or a [B={batch_size}] tensor, got {tuple(t_stop.shape)}")
    total = None
    for spikes in tensors:
        steps = torch.arange(spikes.shape[0], device=spikes.device)
        counted = steps.unsqueeze(1) <= t_stop.reshape(1, -1)  # [T, B] or [T, 1]
        counted = counted.view(*counted.shape, *([1] * (spikes.dim() - 2)))
        per_sample = _spikes_per_sample(spikes * counted)
        total = per_sample if total is None else total + per_sample
    return total


def firing_fraction(spikes: Tensor) -> Tensor:
    r"""Per sample, the fraction of neurons that fired at least once.

    .. math:: f_b = \frac{1}{n}\sum_i \mathbb 1\big[\exists t: S[t, b, i] \neq 0\big]

    Args:
        spikes: ``[T, B, *neurons]`` (``n`` = number of neurons per sample).

    Returns:
        ``[B]`` floats in ``[0, 1]``.
    """
    _check_time_batch(spikes)
    fired = (spikes != 0).any(dim=0).flatten(start_dim=1)  # [B, n]
    return fired.to(torch.get_default_dtype()).mean(dim=1)
